"""A reader's local overlay over the shared vault: its own changes win over the team's index.

A developer whose vault is the team's PostgreSQL index (``vault.url``, not its indexer)
still has work the index has not seen: unsaved editor buffers, uncommitted changes,
and the commits between the indexed commit and HEAD. :class:`OverlayStore` keeps those
files, chunked and embedded like any other, in this process's memory, and answers the
vault's questions from both: an overlaid path's shared chunks are never returned (its
chunks here replace them), a path deleted here hides its shared chunks. Nothing written
here reaches the database: every write method of the store lands in the overlay, and the
shared index is only read (the user's own sessions and patterns still go to the shared
vault, kept apart by user id as before).

Scores are on the shared index's scale: an overlay chunk's BM25 uses the shared corpus's
document count, average length and document frequencies (plus the overlay's own), so a
buffer's function ranks against the team's chunks as it would once indexed.

The git questions (HEAD, ancestry, what changed since a commit) are here too: bounded,
no shell, ``cwd`` the workspace, a timeout, and with the repository's own hooks off
(``core.fsmonitor`` would run a program the repository names).

This module must not chunk, embed or rank (the vault does); it only keeps and merges.
"""

from __future__ import annotations

import logging
import math
import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mycoder_lsp.memory.store import FileWrite, PatternRow

if TYPE_CHECKING:
    from mycoder_lsp.memory.pg_store import PgStore

log = logging.getLogger(__name__)

# At most this many changed files go into the overlay from git; beyond, the notice says to
# index the branch (a branch that far from the shared index needs an index of its own).
MAX_OVERLAY_FILES = 2000
GIT_TIMEOUT = 10.0
# What a repository's own git config must not make these commands do.
_GIT_SAFE = ("-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "-c", "diff.external=")
BM25_K1 = 1.2
BM25_B = 0.75


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    try:
        return subprocess.run(["git", *_GIT_SAFE, *args], cwd=root, capture_output=True, timeout=GIT_TIMEOUT,
                              env=env, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


def is_git_checkout(root: Path) -> bool:
    return (root / ".git").exists()


def head_commit(root: Path) -> str | None:
    """HEAD's full hash, or None (no git, no repository, no commit yet)."""
    if not is_git_checkout(root):
        return None
    done = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if done is None or done.returncode != 0:
        return None
    out = done.stdout.decode("ascii", "replace").strip()
    return out if len(out) in (40, 64) and all(c in "0123456789abcdef" for c in out) else None


def is_ancestor(root: Path, commit: str, head: str) -> bool:
    """``commit`` is ``head`` or one of its ancestors (unknown here: False)."""
    if commit == head:
        return True
    if not all(c in "0123456789abcdef" for c in commit.lower()) or not commit:
        return False
    done = _git(root, "merge-base", "--is-ancestor", commit, head)
    return done is not None and done.returncode == 0


@dataclass
class Changes:
    """What differs from an indexed commit in this working tree."""

    paths: list[str]  # relative, "/" separators, each once
    truncated: bool = False


def changed_paths(root: Path, base: str | None) -> Changes | None:
    """Files that differ between ``base`` and the working tree (``git diff --name-only``,
    staged and unstaged), plus untracked files git does not ignore and what ``git status``
    reports against HEAD; None without git. At most :data:`MAX_OVERLAY_FILES`."""
    if not is_git_checkout(root):
        return None
    found: dict[str, None] = {}
    if base and all(c in "0123456789abcdef" for c in base.lower()):
        diff = _git(root, "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", base, "--")
        if diff is not None and diff.returncode == 0:
            found.update(dict.fromkeys(p for p in diff.stdout.decode("utf-8", "surrogateescape").split("\0") if p))
    status = _git(root, "status", "--porcelain", "-z", "--no-renames", "--untracked-files=all")
    if status is None or status.returncode != 0:
        if not found:
            return None
    else:
        for entry in status.stdout.decode("utf-8", "surrogateescape").split("\0"):
            if len(entry) > 3 and entry[2] == " " and entry[:2] != "!!":
                found[entry[3:]] = None
    paths = [p for p in found if not p.endswith("/")]
    return Changes(paths[:MAX_OVERLAY_FILES], truncated=len(paths) > MAX_OVERLAY_FILES)


@dataclass
class _File:
    write: FileWrite
    ids: list[int] = field(default_factory=list)


class _LocalLock:
    """The overlay's index lock: it is this process's own, so a thread lock is enough."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self, wait: bool) -> bool:
        return self._lock.acquire(blocking=wait)

    def release(self) -> None:
        if self._lock.locked():
            self._lock.release()


class OverlayStore:
    """The shared store as seen with this reader's changes on top (a :class:`~.store.VaultStore`)."""

    dir: Path | None = None

    def __init__(self, shared: PgStore) -> None:
        self.shared = shared
        self.lock = threading.RLock()
        self._files: dict[str, _File] = {}
        self._deleted: set[str] = set()
        self._chunks: dict[int, Any] = {}  # id (negative: never a shared id) -> ChunkRow
        self._postings: dict[int, tuple[dict[str, tuple[int, int, int]], int]] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._next_id = -1
        self.buffers: set[str] = set()  # overlaid from an unsaved editor buffer: git's view must not replace them
        self._lock = _LocalLock()

    # -- what the overlay holds ----------------------------------------------------

    @property
    def notice(self) -> str | None:
        return self.shared.notice

    @property
    def location(self) -> str:
        return f"{self.shared.location}, with this checkout's changes in memory"

    @property
    def base_commit(self) -> str | None:
        """The commit of the shared index read (None: nothing indexed yet)."""
        return self.shared.commit

    @property
    def commit(self) -> str | None:
        return self.shared.commit

    def overlaid(self) -> set[str]:
        """Every path the overlay decides: replaced or deleted."""
        with self.lock:
            return set(self._files) | self._deleted

    def deleted(self) -> set[str]:
        """The paths deleted here (their shared chunks are hidden)."""
        with self.lock:
            return set(self._deleted)

    def drop(self, paths: Sequence[str]) -> None:
        """Forget these paths here: the shared index answers for them again."""
        with self.lock:
            for rel in paths:
                self._forget(rel)
                self._deleted.discard(rel)
                self.buffers.discard(rel)

    def _forget(self, rel: str) -> None:
        old = self._files.pop(rel, None)
        for cid in old.ids if old else ():
            self._chunks.pop(cid, None)
            self._postings.pop(cid, None)

    def _hidden_shared(self) -> dict[str, int]:
        """The shared index's files that the overlay hides, with their chunk counts."""
        hidden = self.overlaid()
        return self.shared.path_chunk_counts(sorted(hidden)) if hidden else {}

    # -- writes: all of them land here ----------------------------------------------

    def write_files(self, writes: Sequence[FileWrite], removed: Sequence[str] = ()) -> None:
        same = self.shared.path_chunk_counts([w.path for w in writes])
        shared_hash = {p: self.shared.file_hash(p) for p in same}
        with self.lock:
            for rel in removed:
                self._forget(rel)
                self.buffers.discard(rel)
                self._deleted.add(rel)
            for w in writes:
                if w.path not in self.buffers and shared_hash.get(w.path) == w.hash:
                    # Back to what the team indexed: nothing to overlay.
                    self._forget(w.path)
                    self._deleted.discard(w.path)
                    continue
                if w.chunks is None:
                    kept = self._files.get(w.path)
                    if kept is not None:
                        kept.write.mtime_ns, kept.write.size = w.mtime_ns, w.size
                    continue
                self._forget(w.path)
                self._deleted.discard(w.path)
                entry = _File(FileWrite(w.path, w.mtime_ns, w.size, w.hash, list(w.chunks)))
                for row in w.chunks:
                    cid = self._next_id
                    self._next_id -= 1
                    entry.ids.append(cid)
                    self._chunks[cid] = row
                    self._postings[cid] = (_postings(row.lexical), sum(len(col.split()) for col in row.lexical))
                self._files[w.path] = entry

    def put_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self.lock:
            for i, h in enumerate(hashes):
                self._vectors[h] = vectors[i].copy()

    def missing_vectors(self, limit: int, path: str | None = None) -> list[tuple[str, str, str, str]]:
        with self.lock:
            out: dict[str, tuple[str, str, str, str]] = {}
            for row in self._chunks.values():
                if row.hash not in self._vectors and row.hash not in out and (path is None or row.path == path):
                    out[row.hash] = (row.hash, row.path, row.name, row.content)
            return list(out.values())[:limit]

    def index_lock(self) -> _LocalLock:
        return self._lock

    def index_done(self) -> list[str]:
        return []

    def reset_if_changed(self, key: str, value: str, what: str) -> None:
        """A reader never resets the team's index; it says when it was built otherwise."""
        theirs = self.shared.get_meta(key)
        if theirs is not None and theirs != value:
            log.warning("the shared vault was built with %s %s, this server uses %s: results may be poorer "
                        "until its indexer runs this version", key, theirs, value)
            with self.lock:
                if what == "vectors":
                    self._vectors.clear()

    # -- reads: the shared index, with the overlay on top ----------------------------

    def files(self) -> dict[str, tuple[int, int, str]]:
        theirs = self.shared.files()
        with self.lock:
            out = {p: v for p, v in theirs.items() if p not in self._deleted}
            out.update({p: (f.write.mtime_ns, f.write.size, f.write.hash) for p, f in self._files.items()})
        return out

    def file_hash(self, path: str) -> str | None:
        with self.lock:
            if path in self._files:
                return self._files[path].write.hash
            if path in self._deleted:
                return None
        return self.shared.file_hash(path)

    def files_under(self, path: str) -> list[str]:
        prefix = path + "/"
        with self.lock:
            mine = [p for p in self._files if p == path or p.startswith(prefix)]
            deleted = set(self._deleted)
        return sorted(set(mine) | {p for p in self.shared.files_under(path) if p not in deleted})

    def counts(self) -> dict[str, int]:
        counts = dict(self.shared.counts())
        hidden = self._hidden_shared()
        with self.lock:
            counts["files"] += len(self._files) - len(hidden)
            counts["chunks"] += len(self._chunks) - sum(hidden.values())
        return counts

    def chunk_count(self, path: str) -> int:
        with self.lock:
            if path in self._files:
                return len(self._files[path].ids)
            if path in self._deleted:
                return 0
        return self.shared.chunk_count(path)

    def _split(self, ids: Sequence[int]) -> tuple[list[int], list[int]]:
        return [int(i) for i in ids if int(i) > 0], [int(i) for i in ids if int(i) < 0]

    def chunk_rows(self, ids: Sequence[int]) -> list[tuple]:
        theirs, mine = self._split(ids)
        rows = self.shared.chunk_rows(theirs) if theirs else []
        with self.lock:
            for cid in mine:
                r = self._chunks.get(cid)
                if r is not None:
                    rows.append((cid, r.path, r.name, r.kind, r.start_line, r.end_line, r.importance))
        return rows

    def chunk_contents(self, ids: Sequence[int]) -> dict[int, str]:
        theirs, mine = self._split(ids)
        out = self.shared.chunk_contents(theirs) if theirs else {}
        with self.lock:
            out.update({cid: self._chunks[cid].content for cid in mine if cid in self._chunks})
        return out

    def chunks_of(self, path: str) -> list[tuple]:
        with self.lock:
            entry = self._files.get(path)
            if entry is not None:
                rows = [self._chunks[cid] for cid in entry.ids]
                return sorted(((r.path, r.name, r.kind, r.start_line, r.end_line, r.importance, r.content)
                               for r in rows), key=lambda t: (t[3], -t[4]))
            if path in self._deleted:
                return []
        return self.shared.chunks_of(path)

    def symbol_rows(self, substring: str, limit: int) -> list[tuple]:
        rows = self.shared.symbol_rows(substring, limit, exclude=sorted(self.overlaid()))
        needle = substring.lower()
        with self.lock:
            rows += [(r.path, r.name, r.kind, r.start_line, r.end_line, r.importance) for r in self._chunks.values()
                     if r.kind not in ("module", "text") and needle in r.name.lower()]
        return rows[:limit]

    def nearest(self, qvec: np.ndarray, limit: int, also: Sequence[int]) -> tuple[list[int], dict[int, float]]:
        theirs_also, mine_also = self._split(also)
        ranked, cos = self.shared.nearest(qvec, limit, theirs_also, exclude=sorted(self.overlaid()))
        scored = [(cos.get(cid, 0.0), cid) for cid in ranked]
        with self.lock:
            mine = {}
            for cid, row in self._chunks.items():
                vec = self._vectors.get(row.hash)
                if vec is not None and vec.shape[0] == qvec.shape[0]:
                    mine[cid] = float(vec @ qvec)
        scored += [(s, cid) for cid, s in mine.items()]
        scored.sort(key=lambda t: (-t[0], t[1]))
        best = [cid for _, cid in scored[:limit]]
        cos.update({cid: s for s, cid in scored[:limit]})
        cos.update({cid: mine.get(cid, 0.0) for cid in mine_also})
        return best, cos

    def lexical_search(self, terms: Sequence[str], limit: int,
                       weights: tuple[float, float, float]) -> list[tuple[int, float]]:
        if not terms:
            return []
        hits = self.shared.lexical_search(terms, limit, weights, exclude=sorted(self.overlaid()))
        with self.lock:
            postings = dict(self._postings)
        if postings:
            hits += _bm25(postings, list(dict.fromkeys(terms)), weights, self.shared.lexical_stats(),
                          self.shared.term_document_counts)
        hits.sort(key=lambda t: (-t[1], t[0]))
        return hits[:limit]

    def term_document_counts(self, terms: Sequence[str]) -> dict[str, int]:
        counts = dict(self.shared.term_document_counts(terms))
        wanted = set(terms)
        with self.lock:
            for terms_here, _ in self._postings.values():
                for t in wanted.intersection(terms_here):
                    counts[t] = counts.get(t, 0) + 1
        return counts

    def warm(self) -> None:
        self.shared.warm()

    def size_bytes(self) -> int:
        return self.shared.size_bytes()

    def close(self) -> None:
        self.shared.close()

    # -- the rest is the user's own, in the shared vault (kept apart by user id) -----

    def get_meta(self, key: str) -> str | None:
        return self.shared.get_meta(key)

    def set_meta(self, key: str, value: str) -> None:
        raise RuntimeError("a reader of the shared vault never writes its metadata")

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        return self.shared.query(sql, params)

    def append_pattern(self, build: Callable[[int], PatternRow], keep: int) -> PatternRow:
        return self.shared.append_pattern(build, keep)

    def pattern_rows(self) -> list[PatternRow]:
        return self.shared.pattern_rows()

    def append_history(self, role: str, text: str, keep: int) -> None:
        self.shared.append_history(role, text, keep)

    def history(self) -> list[tuple[str, str, float]]:
        return self.shared.history()

    def create_feature(self, title: str) -> str:
        return self.shared.create_feature(title)

    def feature_row(self, feature_id: str) -> tuple | None:
        return self.shared.feature_row(feature_id)

    def feature_rows(self) -> list[tuple]:
        return self.shared.feature_rows()

    def lock_feature(self, feature_id: str) -> None:
        self.shared.lock_feature(feature_id)

    def unlock_feature(self, feature_id: str) -> None:
        self.shared.unlock_feature(feature_id)

    def update_feature(self, feature_id: str, fields: dict[str, str]) -> None:
        self.shared.update_feature(feature_id, fields)

    def current_feature_id(self) -> str | None:
        return self.shared.current_feature_id()


def _postings(columns: tuple[str, str, str]) -> dict[str, tuple[int, int, int]]:
    """term -> (tf in name, tf in path, tf in body) of one chunk's pre-split columns."""
    out: dict[str, list[int]] = {}
    for i, column in enumerate(columns):
        for term in column.split():
            out.setdefault(term, [0, 0, 0])[i] += 1
    return {t: (a, b, c) for t, (a, b, c) in out.items()}


def _bm25(postings: dict[int, tuple[dict[str, tuple[int, int, int]], int]], terms: list[str],
          weights: tuple[float, float, float], shared_stats: tuple[int, float],
          shared_df: Callable[[Sequence[str]], dict[str, int]]) -> list[tuple[int, float]]:
    """FTS5's BM25 (as :mod:`.pg_store` computes it) of the overlay's chunks, over the
    shared corpus and the overlay together."""
    n_shared, avg_shared = shared_stats
    n = n_shared + len(postings)
    avgdl = (avg_shared * n_shared + sum(length for _, length in postings.values())) / max(1, n)
    df = dict(shared_df(terms))
    for tfs, _ in postings.values():
        for t in terms:
            if t in tfs:
                df[t] = df.get(t, 0) + 1
    idf = {}
    for t in terms:
        hits = df.get(t, 0)
        value = math.log((n - hits + 0.5) / (hits + 0.5)) if hits else 0.0
        idf[t] = value if value > 0 else 1e-6
    out = []
    w1, w2, w3 = (float(w) for w in weights)
    for cid, (tfs, length) in postings.items():
        score = 0.0
        for t in terms:
            tf = tfs.get(t)
            if tf is None:
                continue
            f = w1 * tf[0] + w2 * tf[1] + w3 * tf[2]
            score += idf[t] * (f * (BM25_K1 + 1.0)) / (f + BM25_K1 * (1 - BM25_B + BM25_B * length / avgdl))
        if score > 0:
            out.append((cid, score))
    return out


__all__ = ["Changes", "MAX_OVERLAY_FILES", "OverlayStore", "changed_paths", "head_commit", "is_ancestor",
           "is_git_checkout"]
