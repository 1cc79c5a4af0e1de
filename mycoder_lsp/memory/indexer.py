"""What indexing does to one file and to the chunks that lack a vector.

A file becomes a :class:`FileWork` (its content hash, its chunks, their
pre-split lexical columns) that :func:`file_writes` turns into the store's
rows; :func:`embed_missing` embeds, in batches, the chunks without a vector,
with the text :func:`embed_text` gives the embedder. :class:`~.vault.Vault`
walks the workspace, decides what changed and calls these; the store writes.

This module must not walk directories, rank, or know tables.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mycoder_lsp.code.workspace import content_hash
from mycoder_lsp.errors import UserError
from mycoder_lsp.memory import lexical, redaction
from mycoder_lsp.memory.chunking import Chunk, chunk_file
from mycoder_lsp.memory.embedders import Embedder
from mycoder_lsp.memory.redaction import redact
from mycoder_lsp.memory.store import ChunkRow, FileWrite, VaultStore

log = logging.getLogger(__name__)

ThreadRunner = Callable[..., Awaitable[Any]]

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
    commit: str | None = None  # a shared vault: the commit whose index this is (a reader: the one it reads)
    pruned: list[str] = field(default_factory=list)  # older commits' indexes dropped by this run

    def to_json(self) -> dict[str, Any]:
        return {"files": self.files, "chunks": self.chunks, "changed": self.changed, "removed": self.removed,
                "embedded": self.embedded, "seconds": round(self.seconds, 3), "capped": self.capped,
                **({"commit": self.commit, "pruned": self.pruned} if self.commit else {})}


@dataclass
class FileWork:
    """One file's new state, ready for the store (``unchanged``: same content, only mtime/size move)."""

    rel: str
    mtime_ns: int
    size: int
    hash: str = ""
    chunks: list[Chunk] = field(default_factory=list)
    lexical: list[tuple[str, str, str]] = field(default_factory=list)  # per chunk, pre-split
    unchanged: bool = False


def file_work(rel: str, text: str, mtime_ns: int, size: int, known_hash: str | None) -> FileWork:
    """Hash ``text`` and, unless it is the indexed content (``known_hash``), chunk it."""
    digest = content_hash(text)
    work = FileWork(rel, mtime_ns, size, digest)
    if digest == known_hash:
        work.unchanged = True
        return work
    work.chunks = chunk_file(rel, redact(text, rel))  # config files: bare values are values
    work.lexical = [lexical.document(c.name, c.path, c.content) for c in work.chunks]
    return work


def file_writes(works: Sequence[FileWork]) -> list[FileWrite]:
    return [FileWrite(w.rel, w.mtime_ns, w.size, w.hash, None if w.unchanged else [
        ChunkRow(c.path, c.name, c.kind, c.start_line, c.end_line, c.hash, c.importance, c.content, columns)
        for c, columns in zip(w.chunks, w.lexical, strict=True)]) for w in works]


def missing_vectors(store: VaultStore, limit: int, path: str | None = None) -> list[tuple[str, str]]:
    """(hash, text to embed) of chunks (of one file, if given) that have no vector yet."""
    return [(h, embed_text(p, name, content)) for h, p, name, content in store.missing_vectors(limit, path)]


async def embed(embedder: Embedder, texts: list[str], run_in_thread: ThreadRunner) -> np.ndarray:
    sync = getattr(embedder, "embed_sync", None)
    if sync is not None:
        return await run_in_thread(sync, texts)
    return await embedder.embed(texts)


async def embed_missing(store: VaultStore, embedder: Embedder, run_in_thread: ThreadRunner,
                        path: str | None = None) -> int:
    """Embed, in batches, every chunk (of ``path``, if given) without a vector; how many."""
    done = 0
    while True:
        todo = await run_in_thread(missing_vectors, store, EMBED_BATCH, path)
        if not todo:
            return done
        vectors = await embed(embedder, [t for _, t in todo], run_in_thread)
        await run_in_thread(store.put_vectors, [h for h, _ in todo], vectors)
        done += len(todo)
        if len(todo) < EMBED_BATCH:
            return done


async def embed_missing_into(report: IndexReport, store: VaultStore, embedder: Embedder,
                             run_in_thread: ThreadRunner, path: str | None = None) -> None:
    """:func:`embed_missing`, counted in ``report``; a failing embedder stops
    embedding for this run (``report.embed_error``), never the indexing itself."""
    if report.embed_error is not None:
        return
    try:
        report.embedded += await embed_missing(store, embedder, run_in_thread, path)
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


__all__ = ["BATCH_FILES", "EMBED_BATCH", "EMBED_TEXT", "INDEX_VERSION", "FileWork", "IndexReport", "embed_missing",
           "embed_missing_into", "embed_text", "file_work", "file_writes"]
