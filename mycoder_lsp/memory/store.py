"""The vault's storage: one SQLite database (standard library) in WAL mode.

Everything the vault keeps lives in ``<vault>/vault.db``: files and chunks
(metadata; the chunk texts of a file as one zlib blob), the lexical index (a
contentless FTS5 table over pre-split tokens, see :mod:`.lexical`: postings
only, no second copy of the text), embeddings as int8 blobs with a scale keyed
by content hash (see :func:`~.embedders.encode_vectors`; decoded into one
float32 numpy matrix when the vault opens), the learning log, session state
and the feature list: about 2x the size of the source it indexes. Why one SQLite file: a write is one transaction, so a
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

This module and :mod:`.pg_store` (the same interface on PostgreSQL) are the only
code that knows tables and SQL; both implement :class:`VaultStore`. They know
tables, not retrieval: they must not chunk, embed or rank (nearest-neighbour
lookup and BM25 are the engines' own, and belong here).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import sqlite3
import stat
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mycoder_lsp.errors import UserError
from mycoder_lsp.memory import lexical
from mycoder_lsp.memory.embedders import decode_vectors, encode_vectors

log = logging.getLogger(__name__)

DB_NAME = "vault.db"
LOCK_NAME = "index.lock"
# Held (flock) while a process opens the vault: creating it, switching it to
# WAL, migrating and moving a damaged one aside are one step for other openers.
OPEN_LOCK_NAME = "open.lock"
IGNORE_NAME = ".gitignore"
# Every name the vault (or SQLite on its behalf) creates or writes in its directory.
OWN_FILES = (IGNORE_NAME, IGNORE_NAME + ".tmp", DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal",
             LOCK_NAME, OPEN_LOCK_NAME)
# Version 2: the vault was 7x the source it indexes. Vectors are int8 with a
# scale (see embedders.encode_vectors) in a WITHOUT ROWID table (no second
# index of the hash); the lexical index keeps postings only (contentless: a
# deleted chunk's columns are recomputed from its stored text, see
# _delete_file); the chunk texts of a file are kept once, together, as one
# zlib blob (``texts``; a chunk holds its span in it): compressed together,
# overlapping and similar chunks cost half what they do one by one; the
# unused index on chunk names is gone (a LIKE '%x%' cannot use it). Chunks,
# files and the lexical index are dropped (the next index run reads every file
# again, in seconds); vectors are converted, not re-embedded (an embedding
# server may take minutes for them); patterns, history and features are kept.
_COMPACT_SQL = """
    DROP TABLE lexical_vocab;
    DROP TABLE lexical;
    DROP TABLE chunks;
    DELETE FROM files;
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        hash TEXT NOT NULL,
        importance REAL NOT NULL,
        text_at INTEGER NOT NULL,
        text_len INTEGER NOT NULL
    );
    CREATE INDEX chunks_path ON chunks(path);
    CREATE INDEX chunks_hash ON chunks(hash);
    CREATE TABLE texts (path TEXT PRIMARY KEY, body BLOB NOT NULL);
    CREATE VIRTUAL TABLE lexical USING fts5(
        name, path, body, content = '', tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
    );
    CREATE VIRTUAL TABLE lexical_vocab USING fts5vocab(lexical, 'row');
    CREATE TABLE vectors_compact (hash TEXT PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID;
"""


def _compact_schema(conn: sqlite3.Connection) -> None:
    for statement in _statements(_COMPACT_SQL):
        conn.execute(statement)
    rows = conn.execute("SELECT hash, vec FROM vectors").fetchall()
    by_width: dict[int, list[tuple[str, bytes]]] = {}
    for h, vec in rows:
        by_width.setdefault(len(vec), []).append((h, vec))
    for group in by_width.values():
        matrix = np.frombuffer(b"".join(v for _, v in group), dtype=np.float32).reshape(len(group), -1)
        conn.executemany("INSERT INTO vectors_compact VALUES (?, ?)",
                         zip([h for h, _ in group], encode_vectors(matrix), strict=True))
    conn.execute("DROP TABLE vectors")
    conn.execute("ALTER TABLE vectors_compact RENAME TO vectors")
    _bump_dense_generation(conn)


def pack_texts(texts: Sequence[str]) -> tuple[bytes, list[tuple[int, int]]]:
    """One file's chunk texts as stored: one zlib blob of them all (each
    distinct text once) and the (offset, length) of each in its text."""
    at: dict[str, tuple[int, int]] = {}
    parts: list[str] = []
    end = 0
    for text in texts:
        if text not in at:
            at[text] = (end, len(text))
            parts.append(text)
            end += len(text)
    return zlib.compress("".join(parts).encode("utf-8"), 6), [at[t] for t in texts]


def unpack_texts(body: bytes) -> str:
    return zlib.decompress(body).decode("utf-8")


# Each migration moves the schema from version n-1 to n (SQL, or a function run
# in the migration's transaction); never edit one that shipped, add the next.
Migration = str | Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = [
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
    (2, "compact vault: int8 vectors, contentless lexical index, compressed chunk text", _compact_schema),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
WAL_LIMIT = 4 * 1024 * 1024
BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class ChunkRow:
    """One chunk as stored, with its three pre-split lexical columns (name, path, body)."""

    path: str
    name: str
    kind: str
    start_line: int
    end_line: int
    hash: str
    importance: float
    content: str
    lexical: tuple[str, str, str]


@dataclass
class FileWrite:
    """One file's new state: ``chunks`` None means unchanged content (only mtime and size move)."""

    path: str
    mtime_ns: int
    size: int
    hash: str
    chunks: list[ChunkRow] | None = field(default=None)


@dataclass(frozen=True)
class PatternRow:
    id: str
    timestamp: float
    signature: str
    user_intent: str
    code_delta: str
    confidence: float
    path: str = ""
    target: str = ""


FEATURE_COLUMNS = "id, title, status, code_to_propose, target_symbol, user_instruction"
PATTERN_COLUMNS = "id, timestamp, signature, user_intent, code_delta, confidence, path, target"
SCRATCHPAD_FIELDS = ("code_to_propose", "target_symbol", "user_instruction")


class VaultStore(Protocol):
    """What the vault needs from its storage; :class:`Store` (SQLite) and
    :class:`~.pg_store.PgStore` (PostgreSQL) implement it alike. Every write
    method is one transaction."""

    # Read-only here (properties), so a plain attribute and a property both fit.
    @property
    def dir(self) -> Path | None: ...  # the vault directory (None: nothing on disk here)
    @property
    def notice(self) -> str | None: ...
    @property
    def location(self) -> str: ...  # for messages: a path, or a URL without its password
    @property
    def commit(self) -> str | None: ...  # a shared vault's index is that of a commit (None: the working tree's own)

    def close(self) -> None: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def reset_if_changed(self, key: str, value: str, what: str) -> None: ...
    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]: ...
    def index_lock(self) -> Any: ...
    def index_done(self) -> list[str]: ...  # an index run finished; a shared vault prunes (the commits dropped)
    # files and chunks
    def files(self) -> dict[str, tuple[int, int, str]]: ...
    def file_hash(self, path: str) -> str | None: ...
    def files_under(self, path: str) -> list[str]: ...
    def write_files(self, writes: Sequence[FileWrite], removed: Sequence[str] = ()) -> None: ...
    def counts(self) -> dict[str, int]: ...
    def chunk_count(self, path: str) -> int: ...
    def chunk_rows(self, ids: Sequence[int]) -> list[tuple]: ...
    def chunk_contents(self, ids: Sequence[int]) -> dict[int, str]: ...
    def chunks_of(self, path: str) -> list[tuple]: ...
    def symbol_rows(self, substring: str, limit: int) -> list[tuple]: ...
    def size_bytes(self) -> int: ...
    # vectors
    def missing_vectors(self, limit: int, path: str | None = None) -> list[tuple[str, str, str, str]]: ...
    def put_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None: ...
    def nearest(self, qvec: np.ndarray, limit: int, also: Sequence[int]) -> tuple[list[int], dict[int, float]]: ...
    def warm(self) -> None: ...
    # lexical
    def lexical_search(self, terms: Sequence[str], limit: int,
                       weights: tuple[float, float, float]) -> list[tuple[int, float]]: ...
    def term_document_counts(self, terms: Sequence[str]) -> dict[str, int]: ...
    # learned patterns
    def append_pattern(self, build: Callable[[int], PatternRow], keep: int) -> PatternRow: ...
    def pattern_rows(self) -> list[PatternRow]: ...
    # session
    def append_history(self, role: str, text: str, keep: int) -> None: ...
    def history(self) -> list[tuple[str, str, float]]: ...
    def create_feature(self, title: str) -> str: ...
    def feature_row(self, feature_id: str) -> tuple | None: ...
    def feature_rows(self) -> list[tuple]: ...
    def lock_feature(self, feature_id: str) -> None: ...
    def unlock_feature(self, feature_id: str) -> None: ...
    def update_feature(self, feature_id: str, fields: dict[str, str]) -> None: ...
    def current_feature_id(self) -> str | None: ...


class VaultUnreadable(Exception):
    """The database exists but cannot be used as this version's vault."""


class VaultRefused(UserError):
    """The vault's location is not safe to write (a link, another user's, outside
    the workspace); the server works on without a vault and says why."""


class VaultBusy(VaultRefused):
    """The vault stayed locked, or the disk failed, while opening it: nothing
    is wrong with the file, so nothing is moved aside; this session goes on
    without a vault and says why."""


# SQLite's primary result codes that mean the file itself is not a usable
# database; every other error (busy, locked, I/O, full, read-only) is about
# this moment or this disk, never a reason to move the user's vault aside.
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26
_DAMAGE_WORDS = ("malformed", "not a database")


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Whether ``exc`` says the database file is damaged (not busy, not the disk)."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    return any(word in str(exc) for word in _DAMAGE_WORDS)


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


_SQLITE_MAGIC = b"SQLite format 3\x00"


def header_damage(path: Path) -> str | None:
    """What is wrong with a closed SQLite file, judged from its 100-byte
    header and its size alone (no page is read), or None. A cleanly closed
    database in WAL mode holds every page in the file itself, so a file
    shorter or longer than its header says was cut or overwritten."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
            size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        return f"it cannot be read: {exc.strerror or exc}"
    if size == 0:
        return None  # a new vault: SQLite writes the header with the first table
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return "it is not an SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"its header gives an impossible page size ({page_size})"
    pages = int.from_bytes(header[28:32], "big")
    # The header's page count is only kept by SQLite 3.7+ writers, and only valid
    # when the change counter matches the version-valid-for number.
    if pages and header[24:28] == header[92:96]:
        if size != pages * page_size:
            return f"it is {size:,} bytes, its header says {pages * page_size:,}"
    elif size % page_size:
        return f"it is {size:,} bytes, not a whole number of {page_size}-byte pages"
    return None


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
        self.commit: str | None = None  # one vault per working tree, of no commit
        self.lock = threading.RLock()
        self._dense = _DenseMatrix()
        self._unpacked = _TextCache()
        prepare_dir(vault_dir)
        with _OpenLock(vault_dir / OPEN_LOCK_NAME):
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
        # A write-ahead log left over: the last process did not close the vault
        # (it was killed, or another one has it open now). Only then is the
        # whole-file check worth its cost: it reads every page, seconds on a
        # large vault, at every start of the server.
        unclean = os.path.lexists(self.path.with_name(self.path.name + "-wal"))
        # The header probe reads no lock: another process creating the vault or
        # switching it to WAL (a -journal, no -wal yet) can be caught mid-write.
        # A mismatch is only a reason for SQLite's own check, which takes the locks.
        damage = None if unclean else header_damage(self.path)
        conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise VaultUnreadable(f"the database refused WAL mode ({mode})")
            # NORMAL in WAL mode: a crash never corrupts, at worst loses the last commit.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows are overwritten, not left in free pages: a chunk
            # dropped for a missed secret must not linger in vault.db.
            conn.execute("PRAGMA secure_delete = ON")
            # The write-ahead log shrinks back after a checkpoint: a full index
            # would otherwise leave it at its largest (tens of MB) for good.
            conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
            self._migrate(conn)
            if unclean or damage:
                # A structural check of the tables we are about to trust.
                row = conn.execute("PRAGMA quick_check(1)").fetchone()
                if row is None or row[0] != "ok":
                    found = damage or f"the integrity check failed ({row[0] if row else 'no answer'})"
                    raise VaultUnreadable(f"the database file is damaged ({found})")
        except sqlite3.DatabaseError as exc:
            conn.close()
            if not is_damage(exc):
                # Locked past the busy timeout by a process that has the vault open, or a
                # failing disk: the file may be fine, and moving it aside would lose that
                # process's writes.
                raise VaultBusy(f"The vault at {self.dir} is not used in this session: opening it failed "
                                f"({exc}); it was left as it is. Restart the server to try again. "
                                "Everything else keeps working.") from exc
            if damage:
                raise VaultUnreadable(f"the database file is damaged ({damage})") from exc
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
                    if callable(sql):
                        sql(conn)
                    else:
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

    @property
    def location(self) -> str:
        return str(self.dir)

    def reset_if_changed(self, key: str, value: str, what: str) -> None:
        """Unless meta ``key`` is ``value``: drop ``what`` ("index": chunks, files and the
        lexical index; "vectors") and record ``value``, in one transaction."""
        if self.get_meta(key) == value:
            return
        with self.transaction() as conn:
            # Checked again inside the write lock: a second process opening at the
            # same moment must not wipe what the first one has written since.
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row is None or row[0] != value:
                for table in _RESETS[what]:
                    if table == "lexical":
                        # A contentless FTS5 table is emptied by its own command.
                        conn.execute("INSERT INTO lexical(lexical) VALUES ('delete-all')")
                    else:
                        conn.execute(f"DELETE FROM {table}")
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
                _bump_dense_generation(conn)  # the matrix is reloaded whole

    def index_lock(self) -> IndexLock:
        return IndexLock(self.dir)

    def index_done(self) -> list[str]:
        """One vault per workspace, no commits kept apart: nothing to prune.
        The write-ahead log an index run filled is folded into the database
        and emptied, unless another process is reading or writing just now
        (then it stays, at most WAL_LIMIT, until a later checkpoint)."""
        with self.lock:
            self.conn.execute("PRAGMA busy_timeout = 0")  # never wait for it
            try:
                with contextlib.suppress(sqlite3.OperationalError):
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return []

    # -- files and chunks --------------------------------------------------------

    def files(self) -> dict[str, tuple[int, int, str]]:
        return {r[0]: (r[1], r[2], r[3]) for r in self.query("SELECT path, mtime_ns, size, hash FROM files")}

    def file_hash(self, path: str) -> str | None:
        rows = self.query("SELECT hash FROM files WHERE path = ?", (path,))
        return rows[0][0] if rows else None

    def files_under(self, path: str) -> list[str]:
        rows = self.query("SELECT path FROM files WHERE path = ? OR path LIKE ? ESCAPE '\\'",
                          (path, like_escape(path) + "/%"))
        return [r[0] for r in rows]

    def write_files(self, writes: Sequence[FileWrite], removed: Sequence[str] = ()) -> None:
        """One transaction: old chunks of these files out, new ones in (and the
        same change made to the loaded vector matrix, not a reload of it)."""
        gone: list[int] = []
        added: list[tuple[int, str]] = []
        with self.transaction() as conn:
            for rel in removed:
                gone += self._delete_file(conn, rel)
            for w in writes:
                if w.chunks is None:
                    conn.execute("UPDATE files SET mtime_ns = ?, size = ? WHERE path = ?", (w.mtime_ns, w.size, w.path))
                    continue
                gone += self._delete_file(conn, w.path)
                body, spans = pack_texts([c.content for c in w.chunks])
                if w.chunks:
                    conn.execute("INSERT INTO texts VALUES (?, ?)", (w.path, body))
                for c, (text_at, text_len) in zip(w.chunks, spans, strict=True):
                    cur = conn.execute(
                        "INSERT INTO chunks (path, name, kind, start_line, end_line, hash, importance, text_at,"
                        " text_len) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (c.path, c.name, c.kind, c.start_line, c.end_line, c.hash, c.importance, text_at, text_len),
                    )
                    cid = cur.lastrowid
                    assert cid is not None  # an INSERT into a rowid table
                    conn.execute("INSERT INTO lexical(rowid, name, path, body) VALUES (?, ?, ?, ?)", (cid, *c.lexical))
                    added.append((cid, c.hash))
                conn.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (w.path, w.mtime_ns, w.size, w.hash))
            if gone or added:
                # A chunk that comes back (undo, rename) has its vector already.
                known = dict(_vectors_of(conn, sorted({h for _, h in added})))
                rows = [(cid, known[h]) for cid, h in added if h in known]
                change = (_bump_dense_generation(conn), gone, rows)
        if gone or added:
            self._dense.apply(*change)

    @staticmethod
    def _delete_file(conn: sqlite3.Connection, rel: str) -> list[int]:
        """Delete one file's rows; the ids of the chunks it had."""
        rows = conn.execute("SELECT id, name, path, text_at, text_len FROM chunks WHERE path = ?", (rel,)).fetchall()
        ids = [r[0] for r in rows]
        body = conn.execute("SELECT body FROM texts WHERE path = ?", (rel,)).fetchone()
        text = unpack_texts(body[0]) if body else ""
        # The lexical index keeps no copy of its columns: a row is deleted by
        # giving them again, recomputed from the stored chunk exactly as the
        # indexer made them (lexical.document of the same text; a change of
        # tokenizer rebuilds the whole index, see Vault._check_lexical).
        conn.executemany("INSERT INTO lexical(lexical, rowid, name, path, body) VALUES ('delete', ?, ?, ?, ?)",
                         [(cid, *lexical.document(name, path, text[at : at + n]))
                          for cid, name, path, at, n in rows])
        if ids:
            conn.execute("DELETE FROM chunks WHERE path = ?", (rel,))
        conn.execute("DELETE FROM texts WHERE path = ?", (rel,))
        conn.execute("DELETE FROM files WHERE path = ?", (rel,))
        # Vectors are kept by hash: a chunk that comes back (undo, rename) costs nothing.
        return ids

    def counts(self) -> dict[str, int]:
        return {table: self.query(f"SELECT COUNT(*) FROM {table}")[0][0]
                for table in ("files", "chunks", "vectors", "patterns")}

    def chunk_count(self, path: str) -> int:
        return self.query("SELECT COUNT(*) FROM chunks WHERE path = ?", (path,))[0][0]

    def chunk_rows(self, ids: Sequence[int]) -> list[tuple]:
        """(id, path, name, kind, start_line, end_line, importance) of these chunks."""
        if not ids:
            return []
        return self.query(f"SELECT id, path, name, kind, start_line, end_line, importance FROM chunks"
                          f" WHERE id IN ({','.join('?' * len(ids))})", list(ids))

    def chunk_contents(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        with self.lock:
            rows = self.conn.execute(f"SELECT id, path, text_at, text_len FROM chunks WHERE id IN"
                                     f" ({','.join('?' * len(ids))})", list(ids)).fetchall()
            texts = self._texts({r[1] for r in rows})
        return {int(cid): texts.get(path, "")[at : at + n] for cid, path, at, n in rows}

    def _texts(self, paths: set[str]) -> dict[str, str]:
        """The chunk texts of these files, decompressed (each file once)."""
        out: dict[str, str] = {}
        ordered = sorted(paths)
        for start in range(0, len(ordered), 500):
            part = ordered[start : start + 500]
            for path, body in self.conn.execute(
                    f"SELECT path, body FROM texts WHERE path IN ({','.join('?' * len(part))})", part):
                out[path] = self._unpacked.get(body)
        return out

    def chunks_of(self, path: str) -> list[tuple]:
        """(path, name, kind, start, end, importance, content) of one file, in file order."""
        with self.lock:
            rows = self.conn.execute("SELECT path, name, kind, start_line, end_line, importance, text_at, text_len"
                                     " FROM chunks WHERE path = ? ORDER BY start_line, -end_line", (path,)).fetchall()
            text = self._texts({path}).get(path, "")
        return [(*row[:6], text[row[6] : row[6] + row[7]]) for row in rows]

    def symbol_rows(self, substring: str, limit: int) -> list[tuple]:
        """(path, name, kind, start, end, importance) of definitions whose name contains ``substring``."""
        return self.query("SELECT path, name, kind, start_line, end_line, importance FROM chunks"
                          " WHERE kind NOT IN ('module', 'text') AND name LIKE ? ESCAPE '\\' LIMIT ?",
                          ("%" + like_escape(substring) + "%", limit))

    # -- vectors -----------------------------------------------------------------

    def missing_vectors(self, limit: int, path: str | None = None) -> list[tuple[str, str, str, str]]:
        """(hash, path, name, content) of chunks (of one file, if given) without a vector."""
        where = "v.hash IS NULL" + (" AND c.path = ?" if path is not None else "")
        # In file order, so that one batch decompresses few files' texts (in
        # hash order each batch would touch most files of the workspace).
        rows = self.query(
            "SELECT c.hash, MIN(c.path), MIN(c.name), MIN(c.id)"
            " FROM chunks c LEFT JOIN vectors v ON v.hash = c.hash"
            f" WHERE {where} GROUP BY c.hash ORDER BY MIN(c.path), MIN(c.id) LIMIT ?",
            (path, limit) if path is not None else (limit,),
        )
        # Chunks with one hash have one text: any of them gives it.
        texts = self.chunk_contents([r[3] for r in rows])
        return [(h, p, n, texts.get(cid, "")) for h, p, n, cid in rows]

    def put_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        blobs = dict(zip(hashes, encode_vectors(vectors), strict=True))
        with self.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", list(blobs.items()))
            rows = [(cid, blobs[h]) for cid, h in _chunks_with_hashes(conn, list(blobs))]
            change = (_bump_dense_generation(conn), [cid for cid, _ in rows], rows)
        self._dense.apply(*change)

    @property
    def dense_loads(self) -> int:
        """How often the vector matrix was read whole (tests: writes must not cost one)."""
        return self._dense.loads

    def _dense_index(self) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, matrix) of every chunk with a vector, read whole only when
        another process (or a reset) changed chunks or vectors since: this
        store's own writes change the loaded matrix in place, and session,
        pattern and feature writes do not touch it."""
        with self._dense.lock:
            # The connection lock too: no write of this store lands between the
            # generation and the rows it is read with.
            with self.lock:
                generation = _dense_generation(self.conn)
                if self._dense.generation != generation:
                    rows = self.conn.execute(
                        "SELECT c.id, v.vec FROM chunks c JOIN vectors v ON v.hash = c.hash ORDER BY c.id").fetchall()
                    self._dense.load(generation, rows)
            return self._dense.ids, self._dense.matrix

    def warm(self) -> None:
        self._dense_index()

    def nearest(self, qvec: np.ndarray, limit: int, also: Sequence[int]) -> tuple[list[int], dict[int, float]]:
        """The ``limit`` chunk ids nearest ``qvec`` (cosine: the vectors are unit
        length), best first, and the cosine of those and of ``also``. Exact: one
        matrix product over every vector (loaded once, kept while nothing changes)."""
        ids, matrix = self._dense_index()
        if not len(ids) or matrix.shape[1] != qvec.shape[0]:
            return [], {}
        cos_all = matrix @ qvec
        top = min(limit, len(ids))
        part = np.argpartition(-cos_all, top - 1)[:top]
        part = part[np.argsort(-cos_all[part])]
        ranked = [int(ids[i]) for i in part]
        # ids are sorted (ORDER BY id): a binary search beats a 20k-entry dict.
        cand = np.asarray(list(dict.fromkeys(list(also) + ranked)), dtype=np.int64)
        at = np.minimum(np.searchsorted(ids, cand), len(ids) - 1)
        hit = ids[at] == cand
        return ranked, {int(c): (float(cos_all[a]) if h else 0.0) for c, a, h in zip(cand, at, hit, strict=True)}

    # -- lexical -----------------------------------------------------------------

    def lexical_search(self, terms: Sequence[str], limit: int,
                       weights: tuple[float, float, float]) -> list[tuple[int, float]]:
        """(chunk id, BM25, higher is better) of chunks holding any of ``terms``."""
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        w = ", ".join(f"{float(x):.3f}" for x in weights)
        rows = self.query(
            f"SELECT rowid, bm25(lexical, {w}) AS s FROM lexical WHERE lexical MATCH ? ORDER BY s LIMIT ?",
            (match, limit))
        # FTS5's bm25() is negative (more negative = better).
        return [(int(r[0]), -float(r[1])) for r in rows]

    def term_document_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """In how many chunks each (indexed) term occurs."""
        uniq = sorted({t for t in terms if t})
        counts: dict[str, int] = {}
        for start in range(0, len(uniq), 200):
            part = uniq[start : start + 200]
            rows = self.query(f"SELECT term, doc FROM lexical_vocab WHERE term IN ({','.join('?' * len(part))})", part)
            counts.update({str(t): int(d) for t, d in rows})
        return counts

    # -- learned patterns --------------------------------------------------------

    def append_pattern(self, build: Callable[[int], PatternRow], keep: int) -> PatternRow:
        """Append the pattern ``build(seq)`` makes and drop the oldest beyond ``keep``."""
        with self.transaction() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM patterns").fetchone()[0]
            p = build(seq)
            conn.execute(f"INSERT INTO patterns (seq, {PATTERN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (seq, p.id, p.timestamp, p.signature, p.user_intent, p.code_delta, p.confidence, p.path,
                          p.target))
            conn.execute("DELETE FROM patterns WHERE seq NOT IN (SELECT seq FROM patterns ORDER BY seq DESC LIMIT ?)",
                         (max(0, keep),))
        return p

    def pattern_rows(self) -> list[PatternRow]:
        return [PatternRow(*row) for row in self.query(f"SELECT {PATTERN_COLUMNS} FROM patterns ORDER BY seq")]

    # -- session -----------------------------------------------------------------

    def append_history(self, role: str, text: str, keep: int) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO history (timestamp, role, text) VALUES (?, ?, ?)", (time.time(), role, text))
            conn.execute("DELETE FROM history WHERE id NOT IN (SELECT id FROM history ORDER BY id DESC LIMIT ?)",
                         (keep,))

    def history(self) -> list[tuple[str, str, float]]:
        return self.query("SELECT role, text, timestamp FROM history ORDER BY id")

    def create_feature(self, title: str) -> str:
        with self.transaction() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM features").fetchone()[0]
            fid = f"A{seq:03d}"
            conn.execute("INSERT INTO features (id, seq, title, status, created) VALUES (?, ?, ?, 'open', ?)",
                         (fid, seq, title, time.time()))
        return fid

    def feature_row(self, feature_id: str) -> tuple | None:
        rows = self.query(f"SELECT {FEATURE_COLUMNS} FROM features WHERE id = ?", (feature_id,))
        return rows[0] if rows else None

    def feature_rows(self) -> list[tuple]:
        return self.query(f"SELECT {FEATURE_COLUMNS} FROM features ORDER BY seq")

    def lock_feature(self, feature_id: str) -> None:
        """``feature_id`` becomes the current feature; any other locked one is unlocked."""
        with self.transaction() as conn:
            conn.execute("UPDATE features SET status = 'open' WHERE status = 'locked' AND id != ?", (feature_id,))
            conn.execute("UPDATE features SET status = 'locked' WHERE id = ?", (feature_id,))
            conn.execute("INSERT OR REPLACE INTO state VALUES ('current_feature_id', ?)", (feature_id,))

    def unlock_feature(self, feature_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE features SET status = 'open' WHERE id = ? AND status = 'locked'", (feature_id,))
            conn.execute("DELETE FROM state WHERE key = 'current_feature_id' AND value = ?", (feature_id,))

    def update_feature(self, feature_id: str, fields: dict[str, str]) -> None:
        unknown = set(fields) - set(SCRATCHPAD_FIELDS)
        if unknown:
            raise ValueError(f"unknown scratchpad fields {sorted(unknown)}")
        if not fields:
            return
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction() as conn:
            conn.execute(f"UPDATE features SET {sets} WHERE id = ?", [*fields.values(), feature_id])

    def current_feature_id(self) -> str | None:
        rows = self.query("SELECT value FROM state WHERE key = 'current_feature_id'")
        return rows[0][0] if rows else None

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal", "-shm"):
            p = self.path.with_name(self.path.name + suffix)
            if p.exists():
                total += p.stat().st_size
        return total


class _TextCache:
    """Recently decompressed file texts, keyed by a digest of the stored blob
    itself (so another process's write can never serve a stale text): a search
    reads the texts of its short list, and successive searches meet the same
    files again."""

    LIMIT = 4_000_000  # characters kept

    def __init__(self) -> None:
        self._texts: OrderedDict[bytes, str] = OrderedDict()
        self._size = 0

    def get(self, body: bytes) -> str:
        key = hashlib.blake2b(body, digest_size=16).digest()
        text = self._texts.get(key)
        if text is not None:
            self._texts.move_to_end(key)
            return text
        text = unpack_texts(body)
        self._texts[key] = text
        self._size += len(text)
        while self._size > self.LIMIT and len(self._texts) > 1:
            self._size -= len(self._texts.popitem(last=False)[1])
        return text


class _DenseMatrix:
    """The vectors of every chunk as one matrix, with the chunk ids (sorted) and
    the ``dense_generation`` (meta) it holds. Every commit that changes chunks or
    vectors moves the generation, so another process's change is seen with one
    one-row read per search, and this process's own change is applied in place."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.generation: int | None = None  # None: never loaded
        self.loads = 0

    def load(self, generation: int, rows: Sequence[tuple[int, bytes]]) -> None:
        self.loads += 1
        self.ids, self.matrix = _as_matrix(rows)
        self.generation = generation

    def apply(self, generations: tuple[int, int], gone: Sequence[int], added: Sequence[tuple[int, bytes]]) -> None:
        """One committed write (generation before, after): drop ``gone``, add
        ``added`` (id, vector blob) — only if the matrix held exactly the state
        before it; otherwise the next search reloads."""
        before, after = generations
        with self.lock:
            if self.generation != before:
                return
            ids, matrix = self.ids, self.matrix
            if len(gone) and len(ids):
                keep = ~np.isin(ids, np.asarray(gone, dtype=np.int64))
                ids, matrix = ids[keep], matrix[keep]
            if added:
                new_ids, new_rows = _as_matrix(added)
                if len(ids) and matrix.shape[1] != new_rows.shape[1]:
                    self.generation = None  # another embedder's width: read it all again
                    return
                ids = np.concatenate([ids, new_ids]) if len(ids) else new_ids
                matrix = np.concatenate([matrix, new_rows]) if len(matrix) else new_rows
                if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
                    order = np.argsort(ids, kind="stable")
                    ids, matrix = ids[order], matrix[order]
            self.ids, self.matrix, self.generation = ids, matrix, after


def _as_matrix(rows: Sequence[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    return ids, decode_vectors([r[1] for r in rows])


def _dense_generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'dense_generation'").fetchone()
    return int(row[0]) if row else 0


def _bump_dense_generation(conn: sqlite3.Connection) -> tuple[int, int]:
    """Inside a write transaction: (generation before, after)."""
    before = _dense_generation(conn)
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('dense_generation', ?)", (str(before + 1),))
    return before, before + 1


def _vectors_of(conn: sqlite3.Connection, hashes: Sequence[str]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for start in range(0, len(hashes), 500):
        part = list(hashes[start : start + 500])
        out += conn.execute(f"SELECT hash, vec FROM vectors WHERE hash IN ({','.join('?' * len(part))})",
                            part).fetchall()
    return out


def _chunks_with_hashes(conn: sqlite3.Connection, hashes: Sequence[str]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for start in range(0, len(hashes), 500):
        part = list(hashes[start : start + 500])
        out += conn.execute(f"SELECT id, hash FROM chunks WHERE hash IN ({','.join('?' * len(part))})",
                            part).fetchall()
    return out


class _OpenLock:
    """An exclusive flock on ``path`` for the duration of a ``with`` block."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> _OpenLock:
        fd = _open_own(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


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


# What reset_if_changed drops.
_RESETS = {"index": ("lexical", "chunks", "texts", "files"), "vectors": ("vectors",)}


def like_escape(text: str) -> str:
    """``text`` matched literally by ``LIKE ... ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


__all__ = ["ChunkRow", "FileWrite", "IndexLock", "MIGRATIONS", "PatternRow", "SCHEMA_VERSION", "SCRATCHPAD_FIELDS",
           "Store", "VaultRefused", "VaultStore", "VaultUnreadable", "like_escape", "locate", "prepare_dir"]
