"""The vault's storage: one SQLite database (standard library) in WAL mode.

Everything the vault keeps lives in ``<vault>/vault.db``: files and chunks
(metadata), the lexical index (an FTS5 table over pre-split tokens, see
:mod:`.lexical`), embeddings as float32 blobs keyed by content hash (loaded
into one numpy matrix when the vault opens), the learning log, session state
and the feature list. Why one SQLite file: a write is one transaction, so a
``kill -9`` at any moment loses at most the transaction in flight, and two
processes on one workspace are serialised by SQLite's own locking (WAL:
readers never wait for the writer). Files are created 0600 in a 0700
directory.

A database that cannot be read, or whose schema version is newer than this
code knows, is moved aside (``vault.db.broken-<time>``) and rebuilt; the
caller gets the reason in :attr:`Store.notice` and tells the user.

This module knows tables, not retrieval: it must not chunk, embed or rank.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

DB_NAME = "vault.db"
LOCK_NAME = "index.lock"
# Each migration moves the schema from version n-1 to n; never edit one that
# shipped, add the next.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema",
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE files (
            path TEXT PRIMARY KEY,
            mtime_ns INTEGER NOT NULL,
            size INTEGER NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            start_line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            hash TEXT NOT NULL,
            importance REAL NOT NULL,
            content TEXT NOT NULL
        );
        CREATE INDEX chunks_path ON chunks(path);
        CREATE INDEX chunks_hash ON chunks(hash);
        CREATE INDEX chunks_name ON chunks(name COLLATE NOCASE);
        CREATE TABLE vectors (hash TEXT PRIMARY KEY, vec BLOB NOT NULL);
        CREATE VIRTUAL TABLE lexical USING fts5(
            name, path, body, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
        );
        CREATE VIRTUAL TABLE lexical_vocab USING fts5vocab(lexical, 'row');
        CREATE TABLE patterns (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            timestamp REAL NOT NULL,
            signature TEXT NOT NULL,
            user_intent TEXT NOT NULL,
            code_delta TEXT NOT NULL,
            confidence REAL NOT NULL,
            path TEXT NOT NULL DEFAULT '',
            target TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            timestamp REAL NOT NULL,
            role TEXT NOT NULL,
            text TEXT NOT NULL
        );
        CREATE TABLE features (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            title TEXT NOT NULL,
            status TEXT NOT NULL,
            code_to_propose TEXT NOT NULL DEFAULT '',
            target_symbol TEXT NOT NULL DEFAULT '',
            user_instruction TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL
        );
        CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """,
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


class VaultUnreadable(Exception):
    """The database exists but cannot be used as this version's vault."""


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 if missing, and make it 0600 if it exists."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)


def prepare_dir(vault_dir: Path) -> None:
    """The vault directory, 0700, with a ``.gitignore`` so it is never committed."""
    vault_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(vault_dir, 0o700)
    ignore = vault_dir / ".gitignore"
    if not ignore.exists():
        tmp = vault_dir / ".gitignore.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write("# Written by mycoder-lsp: the vault is private and never committed.\n*\n")
        os.replace(tmp, ignore)


class Store:
    """One connection to the vault database, shared by the vault's threads.

    SQLite serialises access through a lock here too: the vault is used from
    the event loop's worker threads, and one connection is cheaper than one
    per thread while keeping each write a single transaction.
    """

    def __init__(self, vault_dir: Path) -> None:
        self.dir = vault_dir
        self.path = vault_dir / DB_NAME
        self.notice: str | None = None
        self.lock = threading.RLock()
        prepare_dir(vault_dir)
        try:
            self.conn = self._connect()
        except VaultUnreadable as exc:
            self._move_aside(str(exc))
            self.conn = self._connect()

    # -- opening ---------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        _private_file(self.path)
        conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise VaultUnreadable(f"the database refused WAL mode ({mode})")
            # NORMAL in WAL mode: a crash never corrupts, at worst loses the last commit.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    with contextlib.suppress(OSError):
                        os.chmod(side, 0o600)
            self._migrate(conn)
            # A cheap structural check of the tables we are about to trust.
            row = conn.execute("PRAGMA quick_check(1)").fetchone()
            if row is None or row[0] != "ok":
                raise VaultUnreadable(f"the integrity check failed ({row[0] if row else 'no answer'})")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise VaultUnreadable(f"the database cannot be read ({exc})") from exc
        except VaultUnreadable:
            conn.close()
            raise
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied REAL NOT NULL)"
        )
        current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM migrations").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise VaultUnreadable(
                f"it was written by a newer mycoder-lsp (schema {current}, this one knows {SCHEMA_VERSION})"
            )
        for version, name, sql in MIGRATIONS:
            if version <= current:
                continue
            # BEGIN IMMEDIATE: two processes opening a new vault at once migrate once.
            conn.execute("BEGIN IMMEDIATE")
            try:
                again = conn.execute("SELECT COALESCE(MAX(version), 0) FROM migrations").fetchone()[0]
                if again < version:
                    for statement in _statements(sql):
                        conn.execute(statement)
                    conn.execute("INSERT INTO migrations VALUES (?, ?, ?)", (version, name, time.time()))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _move_aside(self, reason: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = self.path.with_name(f"{DB_NAME}.broken-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            src = self.path.with_name(self.path.name + suffix)
            if src.exists():
                os.replace(src, moved.with_name(moved.name + suffix))
        self.notice = (
            f"The vault at {self.dir} could not be used: {reason}. It was moved to {moved.name} "
            "and is being rebuilt; learned patterns and features in it are kept there, not lost."
        )
        log.warning("%s", self.notice)

    # -- use -------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: all of it lands, or (crash, error) none of it."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def get_meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self.lock, contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal", "-shm"):
            p = self.path.with_name(self.path.name + suffix)
            if p.exists():
                total += p.stat().st_size
        return total


class IndexLock:
    """An advisory lock held while one process indexes the workspace, so a
    second server on the same workspace reads instead of indexing twice."""

    def __init__(self, vault_dir: Path) -> None:
        self.path = vault_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, wait: bool) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


__all__ = ["IndexLock", "MIGRATIONS", "SCHEMA_VERSION", "Store", "VaultUnreadable", "prepare_dir"]
