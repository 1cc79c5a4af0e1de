"""The vault: one workspace's persistent memory, and the only door to it.

``Vault.open(root, settings)`` opens (or creates, or rebuilds) ``<root>/.mycoder``,
or, with ``vault.url``, the repository's part of a shared PostgreSQL vault
(:mod:`.pg_store`; read only unless this process is its indexer);
``index()`` brings it up to date with the files (only what changed: files by
mtime/size then content hash, chunks by content hash, so an unchanged chunk is
never embedded again); ``reindex_file`` / ``remove_file`` follow single
files; ``search`` is the hybrid retrieval; ``symbols`` answers
``workspace/symbol``; ``gather`` / ``record_exchange`` implement the
request flow's :class:`~mycoder_lsp.brains.context.ContextProvider`.

What is indexed follows the walking rules of :mod:`mycoder_lsp.validation.walk`:
no symbolic link is followed, secrets (``.env``, private keys) are skipped, and
a directory without a project marker (a stray file's home directory) gets at
most :data:`STRAY_FILE_LIMIT` files, with :attr:`IndexReport.notice` saying so.

Methods that embed are ``async`` (an embedder may be a server); their CPU and
disk work runs through ``run_in_thread`` (the server passes its own). Plain
methods are blocking and are meant to be called from a worker thread.
This module must not import pygls.
"""

from __future__ import annotations

import asyncio
import difflib
import fnmatch
import hashlib
import logging
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable, Sequence

import numpy as np

from mycoder_lsp.brains.context import ContextPiece, ContextRequest
from mycoder_lsp.config import Settings
from mycoder_lsp.errors import UserError
from mycoder_lsp.memory import lexical, patterns
from mycoder_lsp.memory.chunking import Chunk, chunk_file, reference_bonus
from mycoder_lsp.memory.embedders import Embedder, make_embedder
from mycoder_lsp.memory import redaction
from mycoder_lsp.memory.redaction import redact
from mycoder_lsp.memory.session import Session
from mycoder_lsp.memory.store import ChunkRow, FileWrite, Store, VaultRefused, VaultStore, locate
from mycoder_lsp.validation.walk import (PROJECT_MARKERS, SKIPPED_DIRS, has_project_marker, is_secret_file,
                                         read_text_file)

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]
ThreadRunner = Callable[..., Awaitable[Any]]

# Files indexed in a directory that is no project (see has_project_marker): a
# script opened from ~ once indexed all of ~ (2,176 files, a 177 MB vault).
STRAY_FILE_LIMIT = 200
# Files embedded per embedder call / written per transaction during index().
BATCH_FILES = 64
EMBED_BATCH = 256
# What the embedder sees of a chunk: its path, its name four times, its first
# line (the signature) three times, then the start of its text. The offline
# embedder sums token vectors, so repeating the name and the signature weighs
# them against the body's many tokens: dense MRR@10 on the tune split 0.349
# for "name\ncode", 0.385 for "path name×3\ncode", 0.408 for this
# (bench/RESULTS.md, "## Vault").
# EMBED_TEXT is stored with the embedder's name: changing the format re-embeds
# existing vaults.
EMBED_CHARS = 4000
EMBED_TEXT = "path-name4-sig3-code-v3"
# What the stored chunks were built with: another tokeniser or other
# redaction rules mean a rebuild.
INDEX_VERSION = f"{lexical.VERSION}+redaction-{redaction.VERSION}"


def embed_text(path: str, name: str, content: str) -> str:
    signature = content.split("\n", 1)[0]
    return f"{path} " + f"{name} " * 4 + "\n" + f"{signature}\n" * 3 + content[:EMBED_CHARS]


CANDIDATES = 100
# Fusion modes measured in bench/bench_retrieval.py (bench/RESULTS.md, "## Vault"):
# hybrid = 0.3 × BM25/max(BM25) + 0.7 × cosine (+ the kind prior below) won on
# the tune split and held on the test split; min-max and z-score
# normalisation were no better. Importance only hurt there (the mission's
# 0.7 × cosine + 0.3 × importance ranks long, documented classes above the
# function asked for), and reciprocal-rank fusion throws away the score gaps
# that make BM25 useful on exact names.
MODES = ("lexical", "dense", "mission", "hybrid", "rrf")
DEFAULT_MODE = "hybrid"
HYBRID_WEIGHTS = (0.3, 0.7, 0.0)  # normalised BM25, cosine, importance
RRF_K = 60
# A class outline or a module's top-level code names everything it holds, so
# it matches a description of any one of its functions, lexically and densely.
# Unless the query reads like the description of a thing (see
# ``_describes_a_container``), containers get this much less (on the scale of
# a cosine): hybrid MRR@10 on tune 0.441 -> 0.455.
CONTAINER_KINDS = frozenset({"class", "module", "impl", "trait", "interface", "enum", "type"})
CONTAINER_PRIOR = -0.1
# First words of a noun-phrase description ("A parser for...", "Base class
# for...") or words that ask for a container outright.
_THING_FIRST_WORDS = frozenset(
    "a an the base abstract mixin interface wrapper container exception error represents represent".split())
_THING_WORDS = frozenset({"class", "module", "object", "type", "struct", "trait", "interface", "enum"})


def _describes_a_container(query: str) -> bool:
    words = [w.strip(".,:;()[]'\"`").lower() for w in query.split()]
    return bool(words) and (words[0] in _THING_FIRST_WORDS or any(w in _THING_WORDS for w in words))


@dataclass(frozen=True)
class SearchResult:
    path: str  # relative to the root, "/" separators
    name: str
    kind: str
    start_line: int  # 1-based, inclusive
    end_line: int
    score: float
    importance: float = 0.0
    content: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "kind": self.kind,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "score": round(float(self.score), 6),
        }


@dataclass
class IndexReport:
    files: int = 0  # files in the index after the run
    chunks: int = 0  # chunks in the index after the run
    changed: int = 0  # files (re)chunked in this run
    removed: int = 0
    embedded: int = 0  # chunks embedded in this run (0 when nothing changed)
    seconds: float = 0.0
    skipped_locked: bool = False  # another process was indexing; this one only read
    shared_read: bool = False  # a shared vault this process only reads (vault.index_shared off)
    # Why embedding stopped (the embedding server is down...): lexical search still works.
    embed_error: str | None = None
    capped: bool = False  # a directory without a project marker: only the first files are indexed
    notice: str | None = None  # for the user: why the index is partial

    def to_json(self) -> dict[str, Any]:
        return {"files": self.files, "chunks": self.chunks, "changed": self.changed, "removed": self.removed,
                "embedded": self.embedded, "seconds": round(self.seconds, 3), "capped": self.capped}


@dataclass
class _FileWork:
    rel: str
    mtime_ns: int
    size: int
    hash: str = ""
    chunks: list[Chunk] = field(default_factory=list)
    lexical: list[tuple[str, str, str]] = field(default_factory=list)  # per chunk, pre-split
    unchanged: bool = False


async def _to_thread(func: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(func, *args)


class IgnoreRules:
    """What the vault never indexes: the vault itself, VCS and dependency
    directories, virtualenvs, and what ``.gitignore`` says (git answers when
    the root is a repository; otherwise the root ``.gitignore`` patterns)."""

    def __init__(self, root: Path, vault_dir: Path) -> None:
        self.root = root
        self.vault_dir = vault_dir
        self.patterns: list[tuple[str, bool, bool]] = []  # (glob, negated, dir_only)
        gi = root / ".gitignore"
        if gi.is_file():
            try:
                for line in gi.read_text(encoding="utf-8", errors="replace").splitlines():
                    line = line.strip()
                    if not line or line.startswith("#"):
                        continue
                    neg = line.startswith("!")
                    line = line[1:] if neg else line
                    self.patterns.append((line.strip("/") if line != "/" else line, neg, line.endswith("/")))
            except OSError:
                pass
        self.git = (root / ".git").exists() and _has_git()

    def skip_dir(self, rel_dir: str, abs_dir: Path) -> bool:
        name = rel_dir.rsplit("/", 1)[-1]
        if name in SKIPPED_DIRS or abs_dir == self.vault_dir:
            return True
        if (abs_dir / "pyvenv.cfg").exists():
            return True
        return self._matches(rel_dir, True)

    def _matches(self, rel: str, is_dir: bool) -> bool:
        ignored = False
        name = rel.rsplit("/", 1)[-1]
        for glob, neg, dir_only in self.patterns:
            if dir_only and not is_dir:
                # "build/" also covers files below it: checked through their directory.
                continue
            target = rel if "/" in glob else name
            if fnmatch.fnmatchcase(target, glob) or fnmatch.fnmatchcase(rel, glob + "/*"):
                ignored = not neg
        return ignored

    def skip_file(self, rel: str) -> bool:
        if is_secret_file(rel.rsplit("/", 1)[-1]) or self._matches(rel, False):
            return True
        parts = rel.split("/")[:-1]
        for i in range(len(parts)):
            sub = "/".join(parts[: i + 1])
            if parts[i] in SKIPPED_DIRS or self._matches(sub, True):
                return True
        return False

    def git_files(self) -> set[str] | None:
        """Tracked and untracked-but-not-ignored files, from git itself."""
        if not self.git:
            return None
        try:
            out = subprocess.run(
                ["git", "-C", str(self.root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                capture_output=True, timeout=30, check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        return {p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}

    def git_ignored(self, rel: str) -> bool:
        if not self.git:
            return False
        try:
            return subprocess.run(["git", "-C", str(self.root), "check-ignore", "-q", rel],
                                  capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False


def _has_git() -> bool:
    from shutil import which

    return which("git") is not None


class Vault:
    """One open vault. Thread-safe: the store serialises access."""

    def __init__(self, root: Path, settings: Settings, store: VaultStore, embedder: Embedder,
                 run_in_thread: ThreadRunner | None = None, stray_limit: int | None = STRAY_FILE_LIMIT) -> None:
        self.root = root
        self.settings = settings
        self.store = store
        self.embedder = embedder
        # Why the last query could not be embedded (its search was lexical only), for the CLI to say once.
        self.query_embed_error: str | None = None
        self.session = Session(store)
        self.run_in_thread: ThreadRunner = run_in_thread or _to_thread
        self.ignore = IgnoreRules(root, store.dir)
        self.index_lock = store.index_lock()
        self.mode = DEFAULT_MODE
        self.field_weights = lexical.FIELD_WEIGHTS
        # None: index everything (a project, or a caller that asked for all of it).
        self.file_limit = None if has_project_marker(root) else stray_limit
        # A shared vault is written by its indexer only: a reader's working tree (unsaved
        # and uncommitted work) must not reach the index everyone else retrieves from.
        self.writes_index = store.dir is not None or settings.vault.index_shared

    # -- opening -----------------------------------------------------------------

    @classmethod
    def open(cls, root: Path | str, settings: Settings, *, embedder: Embedder | None = None,
             run_in_thread: ThreadRunner | None = None, stray_limit: int | None = STRAY_FILE_LIMIT,
             index_writer: bool = False) -> Vault:
        """Open the vault of ``root`` (blocking: call it in a thread from the server).
        ``index_writer``: this caller writes a shared vault's index (``mycoder-lsp index``).
        ``vault.notice`` says if a broken vault was moved aside and rebuilt; an
        unsafe location (a planted link...) raises :class:`~.store.VaultRefused`.
        ``stray_limit``: files indexed when ``root`` has no project marker (None: all)."""
        root = Path(root).resolve()
        store = open_store(root, settings)
        vault = cls(root, settings, store, embedder or make_embedder(settings), run_in_thread, stray_limit)
        vault.writes_index = vault.writes_index or index_writer
        vault._check_embedder()
        vault._check_lexical()
        return vault

    @property
    def notice(self) -> str | None:
        return self.store.notice

    def close(self) -> None:
        self.store.close()

    def _check_lexical(self) -> None:
        """An index split by other tokenising rules would not match this
        version's queries, and chunks redacted by older rules may hold a
        secret they missed: drop chunks and files so index() rebuilds them
        (vectors are kept by content hash: nothing unchanged is embedded again).
        The store deletes securely, so the dropped text leaves the file too."""
        self.store.reset_if_changed("lexical", INDEX_VERSION, "index")

    def _check_embedder(self) -> None:
        """Vectors of another embedder are useless: forget them (re-embedded by index())."""
        self.store.reset_if_changed("embedder", f"{self.embedder.name}+{EMBED_TEXT}", "vectors")

    # -- indexing ----------------------------------------------------------------

    def _rel(self, path: Path | str) -> str | None:
        p = Path(path)
        if not p.is_absolute():
            p = self.root / p
        try:
            rel = p.resolve().relative_to(self.root) if p.exists() else p.absolute().relative_to(self.root)
        except ValueError:
            return None
        return rel.as_posix()

    def scan(self, limit: int | None = None) -> dict[str, Path]:
        """Every indexable file of the workspace: rel path -> absolute path (the
        first ``limit`` + 1 found, shallow first, when ``limit`` is given)."""
        found: dict[str, Path] = {}
        git = self.ignore.git_files()
        # os.walk lists a linked directory but never enters it (followlinks=False).
        for dirpath, dirnames, filenames in os.walk(self.root):
            base = Path(dirpath)
            rel_base = base.relative_to(self.root).as_posix()
            rel_base = "" if rel_base == "." else rel_base
            dirnames[:] = sorted(
                d for d in dirnames
                if not self.ignore.skip_dir(f"{rel_base}/{d}" if rel_base else d, base / d)
            )
            for name in filenames:
                rel = f"{rel_base}/{name}" if rel_base else name
                if is_secret_file(name):
                    continue
                if git is not None:
                    if rel not in git:
                        continue
                elif self.ignore.skip_file(rel):
                    continue
                abs_path = base / name
                if abs_path.is_symlink() or not abs_path.is_file():
                    continue
                found[rel] = abs_path
                if limit is not None and len(found) > limit:
                    return found
        return found

    def _prepare(self, rel: str, abs_path: Path, known_hash: str | None) -> _FileWork | None:
        """Read, hash and chunk one file (None when it must not be indexed)."""
        text, mtime_ns, size = read_text_file(abs_path, self.settings.validation.max_file_size)
        if text is None:
            return None
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        work = _FileWork(rel, mtime_ns, size, digest)
        if digest == known_hash:
            work.unchanged = True
            return work
        work.chunks = chunk_file(rel, redact(text, rel))  # config files: bare values are values
        work.lexical = [lexical.document(c.name, c.path, c.content) for c in work.chunks]
        return work

    def _write_files(self, works: list[_FileWork], removed: Iterable[str] = ()) -> None:
        """One transaction: old chunks of these files out, new ones in."""
        writes = [FileWrite(w.rel, w.mtime_ns, w.size, w.hash, None if w.unchanged else [
            ChunkRow(c.path, c.name, c.kind, c.start_line, c.end_line, c.hash, c.importance, c.content, columns)
            for c, columns in zip(w.chunks, w.lexical)]) for w in works]
        self.store.write_files(writes, list(removed))

    def _missing_vectors(self, limit: int, path: str | None = None) -> list[tuple[str, str]]:
        """(hash, text to embed) of chunks (of one file, if given) that have no vector yet."""
        return [(h, embed_text(p, name, content)) for h, p, name, content in self.store.missing_vectors(limit, path)]

    def _store_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        self.store.put_vectors(hashes, vectors)

    async def _embed_missing_into(self, report: IndexReport, path: str | None = None) -> None:
        """Embed what lacks a vector; a failing embedder stops embedding for
        this run (reported), never the indexing itself."""
        if report.embed_error is not None:
            return
        try:
            report.embedded += await self._embed_missing(path)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - chunks and lexical search stay useful without vectors
            # A user error (server down, no such model) is the caller's to show, once (report.embed_error);
            # anything else is a bug: its traceback.
            if isinstance(exc, UserError):
                log.debug("embedding failed; the vault is searched lexically until it works: %s", exc)
            else:
                log.warning("embedding failed; the vault is searched lexically until it works", exc_info=True)
            report.embed_error = str(exc) or type(exc).__name__

    async def _embed_missing(self, path: str | None = None) -> int:
        done = 0
        while True:
            todo = await self.run_in_thread(self._missing_vectors, EMBED_BATCH, path)
            if not todo:
                return done
            vectors = await self._embed([t for _, t in todo])
            await self.run_in_thread(self._store_vectors, [h for h, _ in todo], vectors)
            done += len(todo)
            if len(todo) < EMBED_BATCH:
                return done

    async def _embed(self, texts: list[str]) -> np.ndarray:
        sync = getattr(self.embedder, "embed_sync", None)
        if sync is not None:
            return await self.run_in_thread(sync, texts)
        return await self.embedder.embed(texts)

    async def index(self, progress: ProgressCallback | None = None, *, wait: bool = True) -> IndexReport:
        """Bring the vault up to date with the workspace. With ``wait=False``
        and another process indexing, only report what is there."""
        started = time.perf_counter()
        if not self.writes_index:
            report = await self.run_in_thread(self._counts, IndexReport(shared_read=True))
            report.seconds = time.perf_counter() - started
            return report
        got = await self.run_in_thread(self.index_lock.acquire, wait)
        if not got:
            report = await self.run_in_thread(self._counts, IndexReport(skipped_locked=True))
            report.seconds = time.perf_counter() - started
            return report
        try:
            report = IndexReport()
            files = await self.run_in_thread(self.scan, self.file_limit)
            if self.file_limit is not None and len(files) > self.file_limit:
                files = dict(list(files.items())[: self.file_limit])
                report.capped = True
                report.notice = (
                    f"{self.root} is not a project (none of {', '.join(PROJECT_MARKERS)} in it): only its first "
                    f"{self.file_limit} files are indexed. Open the project's own folder, or add one of those "
                    "files to index all of it.")
                log.warning("%s", report.notice)
            known = await self.run_in_thread(self.store.files)
            removed = [rel for rel in known if rel not in files]
            todo: list[tuple[str, Path]] = []
            for rel, abs_path in files.items():
                old = known.get(rel)
                try:
                    st = abs_path.stat()
                except OSError:
                    continue
                if old is None or old[0] != st.st_mtime_ns or old[1] != st.st_size:
                    todo.append((rel, abs_path))
            total = len(todo)
            if progress:
                progress(0, total, "")
            if removed:
                await self.run_in_thread(self._write_files, [], removed)
                report.removed = len(removed)
            for start in range(0, total, BATCH_FILES):
                batch = todo[start : start + BATCH_FILES]
                works = await self.run_in_thread(self._prepare_batch, batch, known)
                await self.run_in_thread(self._write_files, works, [w for w in self._vanished(batch, works, known)])
                report.changed += sum(1 for w in works if not w.unchanged)
                await self._embed_missing_into(report)
                if progress:
                    progress(min(total, start + len(batch)), total, batch[-1][0])
            # Chunks left without a vector (another embedder before, a crash mid-run).
            await self._embed_missing_into(report)
            await self.run_in_thread(self._counts, report)
            report.seconds = time.perf_counter() - started
            return report
        finally:
            await self.run_in_thread(self.index_lock.release)

    @staticmethod
    def _vanished(batch: list[tuple[str, Path]], works: list[_FileWork], known: dict) -> list[str]:
        """Files that were indexed but now must not be (binary, too large, unreadable)."""
        kept = {w.rel for w in works}
        return [rel for rel, _ in batch if rel not in kept and rel in known]

    def _prepare_batch(self, batch: list[tuple[str, Path]], known: dict) -> list[_FileWork]:
        out = []
        for rel, abs_path in batch:
            work = self._prepare(rel, abs_path, known.get(rel, (0, 0, None))[2])
            if work is not None:
                out.append(work)
        return out

    def _counts(self, report: IndexReport) -> IndexReport:
        counts = self.store.counts()
        report.files, report.chunks = counts["files"], counts["chunks"]
        return report

    def indexable(self, path: Path | str) -> str | None:
        """The relative path if ``path`` is a file of this workspace the vault indexes."""
        rel = self._rel(path)
        if rel is None or rel.startswith("../"):
            return None
        abs_path = self.root / rel
        if self.store.dir is not None and abs_path.resolve().is_relative_to(self.store.dir.resolve()):
            return None
        parent_rel = ""
        for part in rel.split("/")[:-1]:
            parent_rel = f"{parent_rel}/{part}" if parent_rel else part
            if self.ignore.skip_dir(parent_rel, self.root / parent_rel):
                return None
        if self.ignore.skip_file(rel) or self.ignore.git_ignored(rel):
            return None
        return rel

    def _locate(self, path: Path | str) -> tuple[str | None, bool]:
        rel = self.indexable(path)
        return rel, rel is not None and (self.root / rel).is_dir()

    async def reindex_file(self, path: Path | str) -> int:
        """Re-index one file (on save); returns its chunk count. A file that is
        gone, ignored, binary or too large leaves the index."""
        # git check-ignore and stat calls: not on the event loop.
        rel, is_dir = await self.run_in_thread(self._locate, path)
        if rel is None:
            return 0
        if not self.writes_index:
            return await self.run_in_thread(self.store.chunk_count, rel)
        abs_path = self.root / rel
        if is_dir:
            # A directory created or moved in: whatever it holds is new.
            report = await self.index(wait=False)
            return report.chunks
        known = await self.run_in_thread(self.store.file_hash, rel)
        if known is None and self.file_limit is not None and (
                await self.run_in_thread(self.store.counts))["files"] >= self.file_limit:
            return 0  # a stray directory's vault stays within its limit, save by save too
        work = await self.run_in_thread(self._prepare, rel, abs_path, known)
        if work is None:
            await self.run_in_thread(self._write_files, [], [rel])
            return 0
        await self.run_in_thread(self._write_files, [work])
        await self._embed_missing_into(IndexReport(), rel)
        if work.unchanged:
            return await self.run_in_thread(self.store.chunk_count, rel)
        return len(work.chunks)

    def remove_file(self, path: Path | str) -> None:
        """Forget a deleted file, or everything under a deleted directory."""
        rel = self._rel(path)
        if rel is None or not self.writes_index:
            return
        paths = self.store.files_under(rel)
        if paths:
            self._write_files([], paths)

    # -- search ------------------------------------------------------------------

    def warm(self) -> None:
        """Load the vectors now (blocking) so the first search does not pay for it."""
        self.store.warm()

    def _rank(self, query: str, qvec: np.ndarray | None, k: int, mode: str) -> list[SearchResult]:
        lex: list[lexical.LexicalHit] = []
        if mode != "dense":
            lex = [lexical.LexicalHit(cid, score) for cid, score in
                   self.store.lexical_search(lexical.query_terms(query), CANDIDATES, self.field_weights)]
        dense_rank: list[int] = []
        cos: dict[int, float] = {}
        if qvec is not None and mode != "lexical":
            dense_rank, cos = self.store.nearest(qvec, CANDIDATES, [h.chunk_id for h in lex])
        candidates = list(dict.fromkeys([h.chunk_id for h in lex] + dense_rank))
        if not candidates:
            return []
        meta = self._chunk_meta(candidates, with_references=False)
        bm25 = {h.chunk_id: h.score for h in lex}
        lex_rank = {h.chunk_id: i for i, h in enumerate(lex)}
        dense_pos = {cid: i for i, cid in enumerate(dense_rank)}
        top_bm25 = max(bm25.values(), default=1.0) or 1.0
        prior = 0.0 if _describes_a_container(query) else CONTAINER_PRIOR

        def fuse(cid: int, imp: float, kind: str) -> float:
            if mode == "lexical":
                return bm25.get(cid, 0.0)
            if mode == "dense":
                return cos.get(cid, 0.0)
            if mode == "mission":
                return 0.7 * cos.get(cid, 0.0) + 0.3 * imp
            if mode == "rrf":
                s = 0.0
                if cid in lex_rank:
                    s += 1.0 / (RRF_K + 1 + lex_rank[cid])
                if cid in dense_pos:
                    s += 1.0 / (RRF_K + 1 + dense_pos[cid])
                return s + 0.001 * imp
            a, b, c = HYBRID_WEIGHTS
            score = a * bm25.get(cid, 0.0) / top_bm25 + b * cos.get(cid, 0.0) + c * imp
            return score + prior if kind in CONTAINER_KINDS else score

        scores = {cid: fuse(cid, meta[cid][-1], meta[cid][2]) for cid in candidates if cid in meta}
        # The references bonus needs a lookup per name: only for those that can still make the top k.
        short = sorted(scores, key=lambda cid: -scores[cid])[: k + 20]
        meta.update(self._chunk_meta(short, with_references=True))
        scores.update({cid: fuse(cid, meta[cid][-1], meta[cid][2]) for cid in short if cid in meta})
        best = sorted(scores, key=lambda cid: -scores[cid])[:k]
        contents = self._contents(best)
        out = []
        for cid in best:
            path, name, kind, start, end, imp = meta[cid]
            out.append(SearchResult(path, name, kind, start, end, scores[cid], imp, contents.get(cid, "")))
        return out

    def _chunk_meta(self, ids: list[int], with_references: bool = True) -> dict[int, tuple]:
        """id -> (path, name, kind, start, end, importance (incl. references)); no
        content: candidates are many, only the top k need their text."""
        if not ids:
            return {}
        rows = self.store.chunk_rows(ids)
        counts: dict[str, int] = {}
        if with_references:
            words = [r[2].rsplit(".", 1)[-1] for r in rows if not r[2].startswith("<")]
            counts = lexical.document_counts(self.store.term_document_counts, words)
        out = {}
        for cid, path, name, kind, start, end, imp in rows:
            refs = counts.get(name.rsplit(".", 1)[-1], 1) - 1 if with_references and name[0] != "<" else 0
            out[cid] = (path, name, kind, start, end, imp + reference_bonus(refs))
        return out

    def _contents(self, ids: list[int]) -> dict[int, str]:
        return self.store.chunk_contents(ids)

    async def search(self, query: str, k: int = 10, *, mode: str | None = None) -> list[SearchResult]:
        """The ``k`` chunks that answer ``query`` best (hybrid by default)."""
        mode = mode or self.mode
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}")
        query = (query or "").strip()
        if not query or k <= 0:
            return []
        sync = getattr(self.embedder, "embed_sync", None)
        if sync is not None or mode == "lexical":
            # One hop to a worker thread, not two: on a busy machine each hop costs.
            return await self.run_in_thread(self._search_local, query, k, mode)
        qvec = None
        try:
            # This embedder is a server: a secret typed into the query stays here.
            qvec = (await self.embedder.embed([redact(query)]))[0]
            self.query_embed_error = None
        except Exception as exc:  # noqa: BLE001 - a dead embedding server must not stop lexical search
            self.query_embed_error = str(exc) or type(exc).__name__
            # A user error (server down...) is shown by the caller and at index time; a bug gets its traceback.
            if isinstance(exc, UserError):
                log.debug("query embedding failed; lexical search only: %s", exc)
            else:
                log.warning("query embedding failed; lexical search only", exc_info=True)
        return await self.run_in_thread(self._rank, query, qvec, k, mode)

    def _search_local(self, query: str, k: int, mode: str) -> list[SearchResult]:
        qvec = self.embedder.embed_sync([query])[0] if mode != "lexical" else None  # type: ignore[attr-defined]
        return self._rank(query, qvec, k, mode)

    def search_sync(self, query: str, k: int = 10, *, mode: str | None = None) -> list[SearchResult]:
        """:meth:`search` for the CLI and benchmarks (no running event loop)."""
        return asyncio.run(self.search(query, k, mode=mode))

    def symbols(self, query: str, limit: int = 200) -> list[SearchResult]:
        """Definitions whose qualified name contains ``query`` (case-insensitive),
        exact and prefix matches first: ``workspace/symbol``."""
        q = (query or "").strip()
        rows = self.store.symbol_rows(q, limit * 5)
        ql = q.lower()

        def rank(row: tuple) -> tuple:
            name = row[1].lower()
            short = name.rsplit(".", 1)[-1]
            return (short != ql and name != ql, not short.startswith(ql), len(name), row[0], row[3])

        rows.sort(key=rank)
        return [SearchResult(p, n, kd, s, e, 1.0, imp) for p, n, kd, s, e, imp in rows[:limit]]

    def chunks_of(self, rel: str) -> list[SearchResult]:
        rows = self.store.chunks_of(rel)
        return [SearchResult(p, n, kd, s, e, 0.0, imp, c) for p, n, kd, s, e, imp, c in rows]

    def stats(self) -> dict[str, Any]:
        return {
            **self.store.counts(),
            "bytes": self.store.size_bytes(),
            "embedder": self.embedder.name,
        }

    # -- learned patterns --------------------------------------------------------

    def record_pattern(self, *, signature: str, user_intent: str, old_code: str, new_code: str,
                       confidence: float = patterns.DEFAULT_CONFIDENCE, path: str = "",
                       target: str = "") -> patterns.Pattern:
        if old_code.strip():
            delta = "".join(difflib.unified_diff(old_code.splitlines(keepends=True),
                                                 new_code.splitlines(keepends=True), "before", "after", n=2))
        else:
            delta = new_code
        return patterns.record(self.store, signature=signature, user_intent=user_intent, code_delta=delta,
                               confidence=confidence, path=path, target=target,
                               keep=self.settings.vault.max_patterns)

    def related_patterns(self, symbol_name: str, k: int = 3) -> list[patterns.Pattern]:
        """Patterns recorded for a symbol, newest first (for hover). Blocking."""
        return patterns.related(self.store, symbol_name, k)

    # -- the ContextProvider seam -----------------------------------------------

    def _neighbours(self, path: str | None, target: str | None) -> list[SearchResult]:
        if not path:
            return []
        rel = self._rel(path) or path
        chunks = [c for c in self.chunks_of(rel) if c.kind not in ("module", "text")]
        if not target:
            return []
        me = next((c for c in chunks if c.name == target), None) or next(
            (c for c in chunks if c.name.rsplit(".", 1)[-1] == target.rsplit(".", 1)[-1]), None)
        if me is None:
            return []
        parent = me.name.rsplit(".", 1)[0] if "." in me.name else None
        siblings = [c for c in chunks if c.name != me.name
                    and (c.name.rsplit(".", 1)[0] if "." in c.name else None) == parent]
        before = [c for c in siblings if c.end_line < me.start_line][-1:]
        after = [c for c in siblings if c.start_line > me.end_line][:1]
        return before + after

    async def gather(self, request: ContextRequest) -> list[ContextPiece]:
        """Context for one request, within ``request.budget_tokens`` (~4 chars each):
        the locked feature's scratchpad, the target's neighbours, the best two
        learned patterns, then the top retrieved chunks."""
        budget = max(0, request.budget_tokens) * 4
        pieces: list[ContextPiece] = []

        def add(origin: str, text: str, score: float = 0.0) -> None:
            nonlocal budget
            text = redact(text)
            cost = len(origin) + len(text) + 8
            if cost > budget:
                if budget > 200 and not pieces:
                    text = text[: budget - len(origin) - 8 - 4] + "\n..."
                    cost = budget
                else:
                    return
            pieces.append(ContextPiece(origin=origin, text=text, score=score))
            budget -= cost

        scratch = await self.run_in_thread(self.session.prompt_scratchpad)
        if scratch is not None:
            lines = [f"Feature {scratch.id}: {scratch.title}"]
            for key in ("user_instruction", "target_symbol", "code_to_propose"):
                value = getattr(scratch, key)
                if value:
                    lines.append(f"{key}: {value}")
            add(f"feature {scratch.id} scratchpad", "\n".join(lines))
        target_rel = (await self.run_in_thread(self._rel, request.path) if request.path else None) or request.path
        shown: set[tuple[str, int, int]] = set()  # a chunk goes in once, as a neighbour or as a hit
        for n in await self.run_in_thread(self._neighbours, request.path, request.target):
            add(f"neighbour {n.path}:{n.start_line}-{n.end_line} ({n.name})", n.content)
            shown.add((n.path, n.start_line, n.end_line))
        signature = ""
        if request.target and target_rel:
            me = [c for c in await self.run_in_thread(self.chunks_of, target_rel) if c.name == request.target]
            signature = me[0].content.splitlines()[0] if me and me[0].content else request.target
        for pattern, score in await self.run_in_thread(patterns.best, self.store, request.query, signature, 2):
            add(f"learned pattern {pattern.id}",
                f"request: {pattern.user_intent}\nsignature: {pattern.signature}\naccepted change:\n"
                f"{pattern.code_delta}", score)
        query = " ".join(x for x in (request.query, request.target or "") if x)
        for hit in await self.search(query, 8):
            if hit.path == target_rel and hit.name == request.target:
                continue  # the target itself is already in the prompt
            if (hit.path, hit.start_line, hit.end_line) in shown:
                continue
            add(f"retrieved {hit.path}:{hit.start_line}-{hit.end_line} ({hit.name})", hit.content, hit.score)
        return pieces

    async def record_exchange(self, role: str, text: str) -> None:
        await self.run_in_thread(self.session.append, role, text)


def open_store(root: Path, settings: Settings) -> VaultStore:
    """The vault's storage: PostgreSQL when ``vault.url`` names one (a user-only
    setting), else the SQLite file under ``vault.path``."""
    url = settings.vault.url.strip()
    if url:
        try:
            from mycoder_lsp.memory.pg_store import PgStore  # psycopg is only needed for a PostgreSQL vault
        except ImportError as exc:
            raise VaultRefused(f"vault.url names a PostgreSQL vault, but {exc.name} is not installed: "
                               "pip install 'psycopg[binary]' pgvector. Everything else keeps working.") from None
        return PgStore.connect(url, settings.vault, root)
    return Store(locate(root, settings.vault.path))


__all__ = ["DEFAULT_MODE", "IndexReport", "IgnoreRules", "MODES", "STRAY_FILE_LIMIT", "SearchResult", "Vault"]
