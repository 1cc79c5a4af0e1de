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
What a file becomes and the embedding are :mod:`.indexer`'s, the order of
results :mod:`.ranking`'s (:class:`~.ranking.RankingParams` in
``Vault.ranking``), a request's context :mod:`.context`'s; this module
decides what to do and when.

What is indexed is what :mod:`mycoder_lsp.code.workspace` walks (as for ``check`` and ``route``):
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
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from mycoder_lsp.brains.context import ContextPiece, ContextRequest
from mycoder_lsp.code.workspace import (
    PROJECT_MARKERS,
    has_project_marker,
    is_workspace_file,
    iter_workspace_files,
    read_source,
)
from mycoder_lsp.config import Settings
from mycoder_lsp.errors import UserError
from mycoder_lsp.memory import lexical, patterns
from mycoder_lsp.memory.chunking import reference_bonus
from mycoder_lsp.memory.context import gather
from mycoder_lsp.memory.embedders import Embedder, make_embedder
from mycoder_lsp.memory.indexer import (
    BATCH_FILES,
    EMBED_TEXT,
    INDEX_VERSION,
    FileWork,
    IndexReport,
    embed_missing_into,
    file_work,
    file_writes,
)
from mycoder_lsp.memory.overlay import OverlayStore, changed_paths, head_commit, is_ancestor
from mycoder_lsp.memory.ranking import ANY_PATH, MODES, Candidate, PathFilter, RankingParams, Scorer
from mycoder_lsp.memory.redaction import redact
from mycoder_lsp.memory.session import Session
from mycoder_lsp.memory.store import Store, VaultRefused, VaultStore, locate

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]
ThreadRunner = Callable[..., Awaitable[Any]]

# Files indexed in a directory that is no project (see has_project_marker): a
# script opened from ~ once indexed all of ~ (2,176 files, a 177 MB vault).
STRAY_FILE_LIMIT = 200
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


async def _to_thread(func: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(func, *args)


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
        # Besides the walk's own rules: the vault itself, wherever vault.path puts it.
        self.excluded = (store.dir,) if store.dir is not None else ()
        self.index_lock = store.index_lock()
        # How search orders what it finds; a benchmark passes its variants here.
        self.ranking = RankingParams()
        # None: index everything (a project, or a caller that asked for all of it).
        self.file_limit = None if has_project_marker(root) else stray_limit
        # A shared vault is written by its indexer only: a reader's working tree (unsaved
        # and uncommitted work) must not reach the index everyone else retrieves from. It
        # goes to the reader's overlay instead, which every write of its store lands in.
        self.overlay = store if isinstance(store, OverlayStore) else None
        self.writes_index = store.dir is not None or settings.vault.index_shared or self.overlay is not None

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
        store = open_store(root, settings, writer=index_writer)
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
        for abs_path in iter_workspace_files(self.root, self.root, exclude=self.excluded):
            found[abs_path.relative_to(self.root).as_posix()] = abs_path
            if limit is not None and len(found) > limit:
                break
        return found

    def _prepare(self, rel: str, abs_path: Path, known_hash: str | None) -> FileWork | None:
        """Read, hash and chunk one file (None when it must not be indexed)."""
        source = read_source(abs_path, self.settings.validation.max_file_size)
        if source.text is None:
            return None
        return file_work(rel, source.text, source.mtime_ns, source.size, known_hash)

    def _write_files(self, works: list[FileWork], removed: Iterable[str] = ()) -> None:
        """One transaction: old chunks of these files out, new ones in."""
        self.store.write_files(file_writes(works), list(removed))

    async def _embed_missing_into(self, report: IndexReport, path: str | None = None) -> None:
        """Embed what lacks a vector (of ``path``, if given); a failing embedder stops
        embedding for this run (reported), never the indexing itself."""
        await embed_missing_into(report, self.store, self.embedder, self.run_in_thread, path)

    async def index(self, progress: ProgressCallback | None = None, *, wait: bool = True) -> IndexReport:
        """Bring the vault up to date with the workspace. With ``wait=False``
        and another process indexing, only report what is there."""
        started = time.perf_counter()
        if self.overlay is not None:
            report = await self._index_overlay(self.overlay)
            report.seconds = time.perf_counter() - started
            return report
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
            # A shared vault: this commit's index is complete (readers may use it); old ones are pruned.
            report.pruned = await self.run_in_thread(self.store.index_done)
            await self.run_in_thread(self._counts, report)
            report.seconds = time.perf_counter() - started
            return report
        finally:
            await self.run_in_thread(self.index_lock.release)

    @staticmethod
    def _vanished(batch: list[tuple[str, Path]], works: list[FileWork], known: dict) -> list[str]:
        """Files that were indexed but now must not be (binary, too large, unreadable)."""
        kept = {w.rel for w in works}
        return [rel for rel, _ in batch if rel not in kept and rel in known]

    def _prepare_batch(self, batch: list[tuple[str, Path]], known: dict) -> list[FileWork]:
        out = []
        for rel, abs_path in batch:
            work = self._prepare(rel, abs_path, known.get(rel, (0, 0, None))[2])
            if work is not None:
                out.append(work)
        return out

    def _counts(self, report: IndexReport) -> IndexReport:
        counts = self.store.counts()
        report.files, report.chunks = counts["files"], counts["chunks"]
        report.commit = self.store.commit
        return report

    def indexable(self, path: Path | str) -> str | None:
        """The relative path if ``path`` is a file of this workspace the vault indexes."""
        rel = self._rel(path)
        if rel is None or rel.startswith("../"):
            return None
        abs_path = self.root / rel
        if self.store.dir is not None and abs_path.resolve().is_relative_to(self.store.dir.resolve()):
            return None
        return rel if is_workspace_file(abs_path, self.root, exclude=self.excluded) else None

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
        if self.overlay is not None:
            self.overlay.buffers.discard(rel)  # saved (or closed): the file on disk is the user's version now
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

    async def _index_overlay(self, overlay: OverlayStore) -> IndexReport:
        """A reader's index run: the shared index is the team's; what this checkout changed
        since the indexed commit (git) goes into the overlay, unsaved buffers stay as they are."""
        report = IndexReport(shared_read=True)
        await self.run_in_thread(overlay.shared.follow_newest)
        changes = await self.run_in_thread(changed_paths, self.root, overlay.base_commit)
        if changes is not None:
            wanted = await self.run_in_thread(self._overlay_wanted, changes.paths)
            stale = [rel for rel in overlay.overlaid() - wanted if rel not in overlay.buffers]
            if stale:
                await self.run_in_thread(overlay.drop, stale)
            todo = [(rel, self.root / rel) for rel in sorted(wanted) if rel not in overlay.buffers]
            for start in range(0, len(todo), BATCH_FILES):
                batch = todo[start : start + BATCH_FILES]
                known = {rel: (0, 0, await self.run_in_thread(overlay.file_hash, rel)) for rel, _ in batch}
                works = await self.run_in_thread(self._prepare_batch, batch, known)
                kept = {w.rel for w in works}
                await self.run_in_thread(self._write_files, works, [rel for rel, _ in batch if rel not in kept])
                report.changed += sum(1 for w in works if not w.unchanged)
            await self._embed_missing_into(report)
            if changes.truncated:
                report.notice = (f"This checkout differs from the shared index ({(overlay.base_commit or '')[:12]}) "
                                 f"in more than {len(changes.paths)} files: only those are searched as you have "
                                 "them. Index this branch (`mycoder-lsp index --vault URL`) for the rest.")
        report.removed = len(overlay.deleted())
        return await self.run_in_thread(self._counts, report)

    def _overlay_wanted(self, paths: list[str]) -> set[str]:
        """Of git's changed paths, those the walk would index (a deleted one: its tombstone)."""
        return {rel for rel in paths if not (self.root / rel).exists()
                or is_workspace_file(self.root / rel, self.root, exclude=self.excluded)}

    async def overlay_buffer(self, path: Path | str, text: str) -> int:
        """An unsaved editor buffer of ``path``: a reader of a shared vault searches this text
        instead of the indexed file (nothing leaves this process). Others: nothing to do
        (their index follows saves). Returns the buffer's chunk count."""
        overlay = self.overlay
        if overlay is None:
            return 0
        rel, is_dir = await self.run_in_thread(self._locate, path)
        if rel is None or is_dir:
            return 0
        work = await self.run_in_thread(self._buffer_work, rel, text, overlay)
        if work is None:
            return 0
        overlay.buffers.add(rel)
        await self.run_in_thread(self._write_files, [work])
        await self._embed_missing_into(IndexReport(), rel)
        return await self.run_in_thread(overlay.chunk_count, rel)

    def _buffer_work(self, rel: str, text: str, overlay: OverlayStore) -> FileWork | None:
        if len(text.encode("utf-8", "surrogatepass")) > self.settings.validation.max_file_size:
            return None
        # The hash known for the path is a database read when the overlay does not hold it: here, in a thread.
        return file_work(rel, text, time.time_ns(), len(text), overlay.file_hash(rel))

    async def buffer_closed(self, path: Path | str) -> None:
        """An editor buffer closed (saved or not): the file on disk is what counts again."""
        if self.overlay is not None and await self.run_in_thread(self.indexable, path) in self.overlay.buffers:
            await self.reindex_file(path)

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

    def _rank(self, query: str, qvec: np.ndarray | None, k: int, params: RankingParams,
              paths: PathFilter = ANY_PATH) -> list[SearchResult]:
        # A path filter drops candidates: take more of them so k can still be met.
        limit = params.candidates * (3 if paths else 1)
        lex: list[tuple[int, float]] = []
        if params.mode != "dense":
            lex = self.store.lexical_search(lexical.query_terms(query), limit, params.field_weights)
        dense_rank: list[int] = []
        cos: dict[int, float] = {}
        if qvec is not None and params.mode != "lexical":
            dense_rank, cos = self.store.nearest(qvec, limit, [cid for cid, _ in lex])
        ids = list(dict.fromkeys([cid for cid, _ in lex] + dense_rank))
        if not ids:
            return []
        scorer = Scorer(params, query, lex, dense_rank, cos)
        meta = {c.id: c for c in self._candidates(ids, with_references=False) if paths.allows(c.path)}
        scores = {cid: scorer.score(c) for cid, c in meta.items()}
        # The best tests name the code they exercise: read them, lift that code.
        sources = scorer.evidence_sources([meta[cid] for cid in sorted(scores, key=lambda cid: -scores[cid])])
        if sources:
            texts = self._contents([c.id for c in sources])
            scorer.add_test_evidence([(c, texts.get(c.id, "")) for c in sources], meta.values())
            scores = {cid: scorer.score(c) for cid, c in meta.items()}
        # References need a lookup per name and stub detection the text: only
        # for those that can still make the top k.
        short = sorted(scores, key=lambda cid: -scores[cid])[: k + params.short_list_extra]
        contents = self._contents(short)
        for c in self._candidates(short, with_references=True):
            meta[c.id] = c = replace(c, content=contents.get(c.id, ""))
            scores[c.id] = scorer.score(c)
        best = sorted(scores, key=lambda cid: -scores[cid])[:k]
        # A demoted stub can let in a candidate from beyond the short list.
        late = [cid for cid in best if meta[cid].content is None]
        for cid, text in self._contents(late).items():
            meta[cid] = replace(meta[cid], content=text)
        return [SearchResult(c.path, c.name, c.kind, c.start_line, c.end_line, scores[cid], c.importance,
                             c.content or "") for cid in best for c in (meta[cid],)]

    def _candidates(self, ids: list[int], with_references: bool = True) -> list[Candidate]:
        """The chunks ``ids`` without their text (candidates are many, only the
        short list needs it); importance includes the references bonus when asked."""
        if not ids:
            return []
        rows = self.store.chunk_rows(ids)
        counts: dict[str, int] = {}
        if with_references:
            words = [r[2].rsplit(".", 1)[-1] for r in rows if not r[2].startswith("<")]
            counts = lexical.document_counts(self.store.term_document_counts, words)
        out = []
        for cid, path, name, kind, start, end, imp in rows:
            refs = counts.get(name.rsplit(".", 1)[-1], 1) - 1 if with_references and name[0] != "<" else 0
            out.append(Candidate(cid, path, name, kind, start, end, imp + reference_bonus(refs)))
        return out

    def _contents(self, ids: list[int]) -> dict[int, str]:
        return self.store.chunk_contents(ids)

    async def search(self, query: str, k: int = 10, *, mode: str | None = None,
                     paths: PathFilter = ANY_PATH) -> list[SearchResult]:
        """The ``k`` chunks that answer ``query`` best (hybrid by default), from
        the files ``paths`` allows (all by default)."""
        params = self.ranking if mode is None else replace(self.ranking, mode=mode)
        if params.mode not in MODES:
            raise ValueError(f"unknown search mode {params.mode!r}")
        query = (query or "").strip()
        if not query or k <= 0:
            return []
        sync = getattr(self.embedder, "embed_sync", None)
        if sync is not None or params.mode == "lexical":
            # One hop to a worker thread, not two: on a busy machine each hop costs.
            return await self.run_in_thread(self._search_local, query, k, params, paths)
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
        return await self.run_in_thread(self._rank, query, qvec, k, params, paths)

    def _search_local(self, query: str, k: int, params: RankingParams, paths: PathFilter) -> list[SearchResult]:
        qvec = self.embedder.embed_sync([query])[0] if params.mode != "lexical" else None  # type: ignore[attr-defined]
        return self._rank(query, qvec, k, params, paths)

    def search_sync(self, query: str, k: int = 10, *, mode: str | None = None,
                    paths: PathFilter = ANY_PATH) -> list[SearchResult]:
        """:meth:`search` for the CLI and benchmarks (no running event loop)."""
        return asyncio.run(self.search(query, k, mode=mode, paths=paths))

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

    async def gather(self, request: ContextRequest) -> list[ContextPiece]:
        """Context for one request, within ``request.budget_tokens`` (:func:`.context.gather`)."""
        return await gather(self, request)

    async def record_exchange(self, role: str, text: str) -> None:
        await self.run_in_thread(self.session.append, role, text)


def open_store(root: Path, settings: Settings, *, writer: bool = False) -> VaultStore:
    """The vault's storage: PostgreSQL when ``vault.url`` names one (a user-only
    setting), else the SQLite file under ``vault.path``. On PostgreSQL the index is
    that of a commit: the indexer (``writer``, or ``vault.index_shared``) writes
    HEAD's; a reader reads the newest whose commit is HEAD or an ancestor of it,
    under an overlay of its own changes (:mod:`.overlay`)."""
    url = settings.vault.url.strip()
    if url:
        try:
            # psycopg is only needed for a PostgreSQL vault
            from mycoder_lsp.memory.pg_store import NO_COMMIT, PgStore
        except ImportError as exc:
            raise VaultRefused(f"vault.url names a PostgreSQL vault, but {exc.name} is not installed: "
                               "pip install 'psycopg[binary]' pgvector. Everything else keeps working.") from None

        head = head_commit(root)

        def in_history(commit: str) -> bool:
            # HEAD now, not at opening: a reader that commits moves on to newer indexes.
            now = head_commit(root)
            return now is not None and is_ancestor(root, commit, now)

        writer = writer or settings.vault.index_shared
        shared = PgStore.connect(url, settings.vault, root, commit=head or NO_COMMIT, writer=writer,
                                 is_ancestor=in_history if head else None)
        return shared if writer else OverlayStore(shared)
    return Store(locate(root, settings.vault.path))


__all__ = ["IndexReport", "STRAY_FILE_LIMIT", "SearchResult", "Vault"]
