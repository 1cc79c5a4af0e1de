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

An opened repository is untrusted input: it can ship ``.mycoder`` itself, or
any file the vault writes, as a symbolic link to a file elsewhere. So the
vault never follows a link for anything it writes: its directory, the
directories between the workspace and it, and every file it keeps there
(``vault.db`` and SQLite's ``-wal``/``-shm``/``-journal``, ``index.lock``,
``.gitignore`` and its ``.tmp``) must be real, the user's own and (files)
singly linked, or the vault is refused with :class:`VaultRefused`; files are
created with ``O_NOFOLLOW``, and nothing is chmod-ed that this module did not
create.

A database that cannot be read, or whose schema version is newer than this
code knows, is moved aside (``vault.db.broken-<time>``) and rebuilt; the
caller gets the reason in :attr:`Store.notice` and tells the user.

This module knows tables, not retrieval: it must not chunk, embed or rank.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import sqlite3
import stat
import threading
import time
from pathlib import Path
from typing import Iterator

from mycoder_lsp.errors import UserError

log = logging.getLogger(__name__)

DB_NAME = "vault.db"
LOCK_NAME = "index.lock"
IGNORE_NAME = ".gitignore"
# Every name the vault (or SQLite on its behalf) creates or writes in its directory.
OWN_FILES = (IGNORE_NAME, IGNORE_NAME + ".tmp", DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal",
             LOCK_NAME)
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


class VaultRefused(UserError):
    """The vault's location is not safe to write (a link, another user's, outside
    the workspace); the server works on without a vault and says why."""


def _refuse(path: Path, why: str) -> VaultRefused:
    return VaultRefused(f"The vault at {path} is not used: {why}. MyCoder never follows links out of a workspace; "
                        "remove it (or set vault.path in your own settings) to get a vault. "
                        "Everything else keeps working.")


def _check_dir(path: Path) -> bool:
    """True if ``path`` is a real directory of this user, False if missing; refused otherwise."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise _refuse(path, "it is a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise _refuse(path, "it is not a directory")
    if st.st_uid != os.geteuid():
        raise _refuse(path, "it belongs to another user")
    return True


def _check_file(path: Path) -> None:
    """A file the vault writes must be missing, or a regular file of this user
    with one name (writing a hard link writes the file behind its other name)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise _refuse(path.parent, f"{path.name} in it is a symbolic link")
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path.parent, f"{path.name} in it is not a regular file")
    if st.st_uid != os.geteuid():
        raise _refuse(path.parent, f"{path.name} in it belongs to another user")
    if st.st_nlink > 1:
        raise _refuse(path.parent, f"{path.name} in it has other hard links")


def _open_own(path: Path, flags: int) -> int:
    """Open (creating 0600) a file of the vault without following a link."""
    try:
        return os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(path.parent, f"{path.name} in it is a symbolic link") from None
        raise


def locate(root: Path, configured: str) -> Path:
    """The vault directory for ``vault.path`` (``configured``): a relative path is
    taken from the (resolved) workspace ``root`` and must stay inside it: no
    ``..``, no symbolic link on the way; missing directories on the way are
    created 0700. An absolute path is the user's own choice, taken as given
    (the project layer cannot set ``vault.path``)."""
    path = Path(configured)
    if path.is_absolute():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path
    if not path.parts or ".." in path.parts:
        raise VaultRefused(f"vault.path {configured!r} leads out of the workspace {root}: a relative vault.path "
                           "stays inside it (for a vault elsewhere, give an absolute path in your own settings). "
                           "Everything else keeps working.")
    current = root
    for part in path.parts[:-1]:
        current = current / part
        if not _check_dir(current):
            with contextlib.suppress(FileExistsError):
                os.mkdir(current, 0o700)
            _check_dir(current)
    return root / path


def prepare_dir(vault_dir: Path) -> None:
    """The vault directory, 0700, with a ``.gitignore`` so it is never committed;
    refused (:class:`VaultRefused`) if it, or a file the vault writes in it, is unsafe."""
    if not _check_dir(vault_dir):
        with contextlib.suppress(FileExistsError):
            # 0700 from the start (umask can only take bits away): no chmod of anything found here.
            os.mkdir(vault_dir, 0o700)
        _check_dir(vault_dir)
    for name in OWN_FILES:
        _check_file(vault_dir / name)
    ignore = vault_dir / IGNORE_NAME
    if not os.path.lexists(ignore):
        tmp = vault_dir / (IGNORE_NAME + ".tmp")
        fd = _open_own(tmp, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "w") as fh:
            fh.write("# Written by mycoder-lsp: the vault is private and never committed.\n*\n")
        # rename() replaces a name, never what a link points to.
        try:
            os.replace(tmp, ignore)
        except FileNotFoundError:
            # A second process on this workspace wrote the same file at the same moment.
            if not os.path.lexists(ignore):
                raise


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
        # Checked again just before SQLite opens them by name (a move-aside ran in between).
        for suffix in ("", "-wal", "-shm", "-journal"):
            _check_file(self.path.with_name(self.path.name + suffix))
        # Created here, 0600 and not through a link; SQLite gives its -wal/-shm/-journal
        # files the database's own mode, so they need no chmod.
        os.close(_open_own(self.path, os.O_RDWR))
        conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise VaultUnreadable(f"the database refused WAL mode ({mode})")
            # NORMAL in WAL mode: a crash never corrupts, at worst loses the last commit.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows are overwritten, not left in free pages: a chunk
            # dropped for a missed secret must not linger in vault.db.
            conn.execute("PRAGMA secure_delete = ON")
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
        suffixes = ("", "-wal", "-shm")
        n = 1
        # A name nothing holds yet: rename() over a planted link would not follow it, but
        # would still drop whatever the workspace kept under that name.
        while any(os.path.lexists(moved.with_name(moved.name + s)) for s in suffixes):
            n += 1
            moved = self.path.with_name(f"{DB_NAME}.broken-{stamp}-{n}")
        for suffix in suffixes:
            src = self.path.with_name(self.path.name + suffix)
            _check_file(src)
            if os.path.lexists(src):
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
        fd = _open_own(self.path, os.O_RDWR)
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


__all__ = ["IndexLock", "MIGRATIONS", "SCHEMA_VERSION", "Store", "VaultRefused", "VaultUnreadable", "locate",
           "prepare_dir"]
