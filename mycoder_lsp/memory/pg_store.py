"""The vault's storage on PostgreSQL + pgvector: one shared vault for a team.

The same interface as the SQLite :class:`~.store.Store` (:class:`~.store.VaultStore`),
selected by ``vault.url = "postgresql://..."`` (a user-only setting). One database holds
the index of many repositories, each in a schema of its own (``mc_<repository>``); the
shared part (files, chunks, vectors, the lexical postings) is written by whoever indexes
and read by everyone. What is personal (chat history, features and their scratchpads,
learned patterns, the locked feature) is keyed by ``vault.user``: one user's work never
reaches another's prompts (the memory quarantine, across users).

- Vectors: a pgvector column, keyed by content hash as in SQLite; nearest neighbours by
  an exact scan on the inner product (the vectors are unit length, so it is the cosine):
  see ``nearest`` for why exact.
- Lexical: BM25 computed in SQL over a postings table (term, chunk, per-column term
  frequencies, the chunk's length) that the indexer fills from the same pre-split tokens
  FTS5 gets, with FTS5's own formula (k1 1.2, b 0.75, per-column weights, IDF floor 1e-6):
  the ranking is the SQLite vault's, not an approximation of it. A query reads only its
  terms' postings, from the primary key's index alone (the other columns are INCLUDEd and
  the indexer vacuums, so no table page is visited), and the corpus figures from a
  one-row ``lexical_stats`` that every write keeps current (a count over the documents
  cost more than the rest of the query). The bundled engine (pgserver) has
  no ``pg_trgm``; ``ts_rank`` over a ``tsvector`` is no BM25 (no length normalisation by
  the average, no IDF) and ranked worse here (bench/bench_vault_backends.py).
- Writes are transactions; the schema is versioned (``migrations``, applied under a
  transaction-level advisory lock, so two servers starting at once migrate once); the
  indexer holds a session-level advisory lock (``pg_try_advisory_lock``) instead of
  ``index.lock``, so two indexers of one repository never run at once.
- Credentials: the URL must not carry a password (``PGPASSWORD`` or ``~/.pgpass``, which
  libpq reads itself); a host other than loopback or a Unix socket is refused unless
  ``vault.allowed_hosts`` names it. :attr:`location` is the URL without a password, the
  only form that reaches a message or a log.

This module knows tables, not retrieval: it must not chunk, embed or fuse scores.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mycoder_lsp.brains.wire.http import is_loopback
from mycoder_lsp.memory.store import (
    FEATURE_COLUMNS,
    PATTERN_COLUMNS,
    SCRATCHPAD_FIELDS,
    FileWrite,
    PatternRow,
    VaultRefused,
    like_escape,
)

log = logging.getLogger(__name__)

# BM25 as FTS5 computes it (sqlite/ext/fts5/fts5_aux.c).
BM25_K1 = 1.2
BM25_B = 0.75
# Each migration moves a repository's schema from version n-1 to n; never edit one that shipped.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema",
        """
        CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE files (path TEXT PRIMARY KEY, mtime_ns BIGINT NOT NULL, size BIGINT NOT NULL,
                            hash TEXT NOT NULL);
        CREATE TABLE chunks (
            id BIGSERIAL PRIMARY KEY, path TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
            start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, hash TEXT NOT NULL,
            importance DOUBLE PRECISION NOT NULL, content TEXT NOT NULL
        );
        CREATE INDEX chunks_path ON chunks(path);
        CREATE INDEX chunks_hash ON chunks(hash);
        CREATE TABLE vectors (hash TEXT PRIMARY KEY, vec public.vector NOT NULL);
        CREATE TABLE lexical_docs (chunk_id BIGINT PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
                                   len INTEGER NOT NULL);
        CREATE TABLE lexical_terms (
            term TEXT NOT NULL, chunk_id BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
            tf_name REAL NOT NULL, tf_path REAL NOT NULL, tf_body REAL NOT NULL,
            PRIMARY KEY (term, chunk_id)
        );
        CREATE INDEX lexical_terms_chunk ON lexical_terms(chunk_id);
        CREATE TABLE patterns (
            user_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, timestamp DOUBLE PRECISION NOT NULL,
            signature TEXT NOT NULL, user_intent TEXT NOT NULL, code_delta TEXT NOT NULL,
            confidence DOUBLE PRECISION NOT NULL, path TEXT NOT NULL DEFAULT '', target TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (user_id, id)
        );
        CREATE TABLE history (id BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, timestamp DOUBLE PRECISION NOT NULL,
                              role TEXT NOT NULL, text TEXT NOT NULL);
        CREATE INDEX history_user ON history(user_id, id);
        CREATE TABLE features (
            user_id TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL,
            code_to_propose TEXT NOT NULL DEFAULT '', target_symbol TEXT NOT NULL DEFAULT '',
            user_instruction TEXT NOT NULL DEFAULT '', created DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (user_id, id)
        );
        CREATE TABLE state (user_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                            PRIMARY KEY (user_id, key));
        """,
    ),
    (
        2,
        "an index per commit",
        # Files, chunks and postings move to one schema per indexed commit (INDEX_TABLES), so
        # a reader of a pruned index finds no table instead of an empty one (it chooses again).
        # The rows of version 1 had no commit: the next index rebuilds them, and vectors,
        # kept here by content hash, are not embedded again.
        """
        CREATE TABLE indexes (commit TEXT PRIMARY KEY, schema TEXT NOT NULL UNIQUE,
                              created DOUBLE PRECISION NOT NULL, updated DOUBLE PRECISION NOT NULL,
                              complete BOOLEAN NOT NULL DEFAULT FALSE);
        DROP TABLE lexical_terms;
        DROP TABLE lexical_docs;
        DROP TABLE chunks;
        DROP TABLE files
        """,
    ),
    (
        3,
        "postings carry the chunk length, corpus figures kept",
        # Nothing in the repository's schema: INDEX_UPGRADES[3] changes every commit index.
        "",
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
# The tables of one commit's index, in a schema of their own (``index_schema_name``). Put
# before the repository's schema on the search path, they answer every query on files,
# chunks and postings; vectors, meta and each user's data stay in the repository's schema.
# A later migration that changes them also changes every schema listed in ``indexes``.
INDEX_TABLES = """
    CREATE TABLE files (path TEXT PRIMARY KEY, mtime_ns BIGINT NOT NULL, size BIGINT NOT NULL, hash TEXT NOT NULL);
    CREATE TABLE chunks (
        id BIGSERIAL PRIMARY KEY, path TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
        start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, hash TEXT NOT NULL,
        importance DOUBLE PRECISION NOT NULL, content TEXT NOT NULL
    );
    CREATE INDEX chunks_path ON chunks(path);
    CREATE INDEX chunks_hash ON chunks(hash);
    CREATE TABLE lexical_docs (chunk_id BIGINT PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
                               len INTEGER NOT NULL);
    CREATE TABLE lexical_terms (
        term TEXT NOT NULL, chunk_id BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
        tf_name REAL NOT NULL, tf_path REAL NOT NULL, tf_body REAL NOT NULL, len INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (term, chunk_id) INCLUDE (tf_name, tf_path, tf_body, len)
    );
    CREATE INDEX lexical_terms_chunk ON lexical_terms(chunk_id);
    CREATE TABLE lexical_stats (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), docs BIGINT NOT NULL,
                                total_len BIGINT NOT NULL)
"""
# What a migration changes in each commit index (and the empty one) that exists when it runs.
# ``len`` is added last, so the upgraded table's columns are in INDEX_TABLES' order (an index
# is seeded from its ancestor's with ``SELECT *``).
INDEX_UPGRADES: dict[int, str] = {
    3: """
        ALTER TABLE lexical_terms ADD COLUMN len INTEGER NOT NULL DEFAULT 0;
        UPDATE lexical_terms p SET len = d.len FROM lexical_docs d WHERE d.chunk_id = p.chunk_id;
        ALTER TABLE lexical_terms DROP CONSTRAINT lexical_terms_pkey,
            ADD PRIMARY KEY (term, chunk_id) INCLUDE (tf_name, tf_path, tf_body, len);
        CREATE TABLE lexical_stats (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), docs BIGINT NOT NULL,
                                    total_len BIGINT NOT NULL);
        INSERT INTO lexical_stats SELECT TRUE, COUNT(*), COALESCE(SUM(len), 0) FROM lexical_docs
    """,
}
# In the order they are copied.
INDEX_TABLE_NAMES = ("files", "chunks", "lexical_docs", "lexical_terms", "lexical_stats")
# The commit key of a workspace that is no git repository (or whose HEAD git cannot tell).
NO_COMMIT = "worktree"
DEFAULT_KEEP_INDEXES = 3
# An index left unfinished this long (seconds) was abandoned (its indexer died): pruned like an old one.
ABANDONED_AFTER = 86400.0
_RESETS = {"index": ("lexical_stats", "lexical_terms", "lexical_docs", "chunks", "files"), "vectors": ("vectors",)}
# A query's postings are grouped by chunk in memory: PostgreSQL's default (4 MB) spills the
# groups of a few common terms (10^5 postings) to disk.
SESSION_WORK_MEM = "32MB"


class VaultDatabaseError(VaultRefused):
    """The PostgreSQL vault cannot be used (refused URL, unreachable, newer schema):
    like a refused vault directory, the server works on without a vault and says why."""


def redacted_url(url: str) -> str:
    """``url`` without a password, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@/]+@", r"\1:***@", url)


def check_url(url: str, allowed_hosts: Sequence[str]) -> dict[str, str]:
    """The URL's parameters, or :class:`VaultDatabaseError`: a password in it, a
    host that is not loopback or a Unix socket and not allowed by name."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = {k: str(v) for k, v in conninfo_to_dict(url).items()}
    except Exception as exc:  # noqa: BLE001 - psycopg's message names the bad part, never a password we log
        raise VaultDatabaseError(
            f"vault.url {redacted_url(url)!r} is not a PostgreSQL URL ({type(exc).__name__}).") from None
    if params.get("password"):
        raise VaultDatabaseError(
            f"vault.url {redacted_url(url)!r} carries a password: take it out and put it in PGPASSWORD or "
            "~/.pgpass (libpq reads both), so it is never written in a settings file or shown in a log.")
    allowed = {h.strip().lower() for h in allowed_hosts}
    for host in (params.get("host", "") + "," + params.get("hostaddr", "")).split(","):
        host = host.strip().lower()
        if not host or host.startswith("/") or host.startswith("@") or is_loopback(host) or host in allowed:
            continue  # no host: libpq's Unix socket
        raise VaultDatabaseError(
            f"The vault database host {host!r} is not on this machine: MyCoder sends your code only where you "
            f"allow it. If you trust that server, add \"{host}\" to vault.allowed_hosts in your own settings.")
    return params


def _slug(repository: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", repository.lower()).strip("_") or "workspace"
    if len(slug) > 40:
        slug = slug[:30] + "_" + hashlib.blake2b(slug.encode(), digest_size=4).hexdigest()
    return slug


def schema_name(repository: str) -> str:
    """``mc_`` and the repository's name, reduced to what an unquoted identifier may hold."""
    return f"mc_{_slug(repository)}"


# What an index schema's name may be: it is put in SQL as an identifier (names read back from
# the database are checked against it, never trusted as they come).
_INDEX_SCHEMA = re.compile(r"mcix_[a-z0-9_]{1,60}")


def empty_schema_name(repository: str) -> str:
    """An index schema that stays empty: what a reader reads before anything is indexed
    ("empty" is no commit key: those are hexadecimal, or ``NO_COMMIT``)."""
    return f"mcix_{_slug(repository)}_empty"


def index_schema_name(repository: str, commit: str) -> str:
    """The schema of one commit's index: ``mcix_<repository>_<first 12 hex digits>`` (at most 58 characters)."""
    key = re.sub(r"[^a-z0-9]+", "", commit.lower())[:12] or NO_COMMIT
    return f"mcix_{_slug(repository)}_{key}"


@dataclass(frozen=True)
class SharedIndex:
    """One commit's index in the shared vault."""

    commit: str
    schema: str
    updated: float


class AdvisoryIndexLock:
    """The indexer's lock: a session-level advisory lock on a connection of its own
    (closing it, or the process dying, releases it)."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        self.key = key
        self._conn: Any = None

    def acquire(self, wait: bool) -> bool:
        import psycopg

        conn = psycopg.connect(self.url, autocommit=True)
        sql = "SELECT pg_advisory_lock(hashtext(%s))" if wait else "SELECT pg_try_advisory_lock(hashtext(%s))"
        got = conn.execute(sql, (self.key,)).fetchall()[0][0]
        if got is False:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (self.key,))
            self._conn.close()
            self._conn = None


class PgStore:
    """One connection to the shared vault, serialised by a lock like the SQLite store."""

    dir: Path | None = None

    def __init__(self, conn: Any, url: str, schema: str, user: str, repository: str = "",
                 keep_indexes: int = DEFAULT_KEEP_INDEXES) -> None:
        self.conn = conn
        self.url = url
        self.schema = schema
        self.user = user
        self.repository = repository or schema
        self.keep_indexes = max(1, keep_indexes)
        self.notice: str | None = None
        self.lock = threading.RLock()
        # The commit index this store reads (and, for the indexer, writes); None: nothing indexed yet,
        # the repository's own (empty) tables answer.
        self.index_schema: str | None = None
        self.commit: str | None = None
        self.writer = False
        self._is_ancestor: Callable[[str], bool] | None = None

    @classmethod
    def connect(cls, url: str, vault_settings: Any, root: Path, *, commit: str = NO_COMMIT, writer: bool = False,
                is_ancestor: Callable[[str], bool] | None = None) -> PgStore:
        """Open the repository's part of the shared vault. ``writer`` (the indexer): the index
        of ``commit`` (HEAD), created if missing and seeded from the newest index of an
        ancestor, so only what changed since is read again. A reader: the newest complete
        index whose commit ``is_ancestor`` accepts (None: no git here, the newest)."""
        import psycopg
        from pgvector.psycopg import register_vector

        check_url(url, vault_settings.allowed_hosts)
        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
            conn.execute(f"SET work_mem = '{SESSION_WORK_MEM}'")
        except psycopg.Error as exc:
            raise VaultDatabaseError(
                f"The vault database at {redacted_url(url)} cannot be reached: {str(exc).strip().splitlines()[0]}. "
                "Check vault.url and that the server runs; the password comes from PGPASSWORD or ~/.pgpass."
            ) from None
        repository = vault_settings.repository or root.name
        store = cls(conn, url, schema_name(repository), vault_settings.user or getpass.getuser(), repository,
                    getattr(vault_settings, "keep_indexes", DEFAULT_KEEP_INDEXES))
        try:
            store._migrate()
            register_vector(conn)
            if writer:
                store._open_for_writing(commit, is_ancestor)
            else:
                store._open_for_reading(is_ancestor)
        except BaseException:
            conn.close()
            raise
        return store

    @property
    def location(self) -> str:
        return f"{redacted_url(self.url)} (schema {self.schema})"

    def _migrate(self) -> None:
        with self.lock, self.conn.transaction():
            # One migration at a time per repository, across every server that opens it.
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"mycoder-migrate:{self.schema}",))
            self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            self.conn.execute(f"SET search_path TO {self.schema}, public")
            self.conn.execute("CREATE TABLE IF NOT EXISTS migrations "
                              "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied DOUBLE PRECISION NOT NULL)")
            current = self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM migrations").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise VaultDatabaseError(
                    f"The vault {self.location} was written by a newer mycoder-lsp (schema {current}, this one knows "
                    f"{SCHEMA_VERSION}): upgrade mycoder-lsp to use it.")
            empty = empty_schema_name(self.repository)
            for version, name, sql in MIGRATIONS:
                if version > current:
                    for statement in (s.strip() for s in sql.split(";")):
                        if statement:
                            self.conn.execute(statement)
                    if version in INDEX_UPGRADES and current >= 2:  # before 2 there were no commit indexes
                        self._upgrade_indexes(INDEX_UPGRADES[version], empty)
                    self.conn.execute("INSERT INTO migrations VALUES (%s, %s, %s)", (version, name, time.time()))
            if self.conn.execute("SELECT to_regclass(%s)", (f"{empty}.files",)).fetchone()[0] is None:
                self.conn.execute(f"CREATE SCHEMA IF NOT EXISTS {empty}")
                self.conn.execute(f"SET LOCAL search_path TO {empty}, public")
                for statement in (x.strip() for x in INDEX_TABLES.split(";")):
                    if statement:
                        self.conn.execute(statement)
                self.conn.execute(f"SET search_path TO {self.schema}, public")
        # search_path set inside the transaction is kept: SET (not SET LOCAL) outlives it.

    def _upgrade_indexes(self, sql: str, empty: str) -> None:
        """Run one migration's INDEX_UPGRADES in every commit index and the empty one (inside
        ``_migrate``'s transaction)."""
        schemas = [str(s) for (s,) in self.conn.execute(f"SELECT schema FROM {self.schema}.indexes").fetchall()]
        if self.conn.execute("SELECT to_regclass(%s)", (f"{empty}.files",)).fetchone()[0] is not None:
            schemas.append(empty)
        for schema in schemas:
            if not _INDEX_SCHEMA.fullmatch(schema):
                continue
            self.conn.execute(f"SET LOCAL search_path TO {schema}, public")
            for statement in (x.strip() for x in sql.split(";")):
                if statement:
                    self.conn.execute(statement)
        self.conn.execute(f"SET search_path TO {self.schema}, public")

    # -- which commit's index ------------------------------------------------------

    def _search_path(self) -> str:
        return ", ".join(s for s in (self.index_schema, self.schema, "public") if s)

    def indexes(self) -> list[SharedIndex]:
        """The complete commit indexes of this repository, newest first."""
        return [SharedIndex(str(c), str(s), float(u)) for c, s, u in self._rows(
            f"SELECT commit, schema, updated FROM {self.schema}.indexes WHERE complete ORDER BY updated DESC, commit")
            if _INDEX_SCHEMA.fullmatch(str(s))]

    def _newest(self, is_ancestor: Callable[[str], bool] | None) -> SharedIndex | None:
        for found in self.indexes():
            if is_ancestor is None or (found.commit != NO_COMMIT and is_ancestor(found.commit)):
                return found
        return None

    def _open_for_reading(self, is_ancestor: Callable[[str], bool] | None) -> None:
        self._is_ancestor = is_ancestor
        chosen = self._newest(is_ancestor)
        if chosen is None and is_ancestor is not None:
            every = self.indexes()
            if every:
                # Better a neighbouring commit's index than none: the overlay still covers this checkout's changes.
                chosen = every[0]
                self.notice = (f"The shared vault {self.location} has no index of a commit in your history (the "
                               f"newest is of {chosen.commit[:12]}, used meanwhile): results may show code of "
                               "another branch. Run `mycoder-lsp index --vault URL` on your branch, or fetch.")
        if chosen is not None:
            self.index_schema, self.commit = chosen.schema, chosen.commit
        elif self.index_schema is None:
            self.index_schema = empty_schema_name(self.repository)
        with self.lock:
            self.conn.execute(f"SET search_path TO {self._search_path()}")

    def _open_for_writing(self, commit: str, is_ancestor: Callable[[str], bool] | None) -> None:
        target = index_schema_name(self.repository, commit)
        with self.lock, self.conn.transaction():
            # One creator at a time per repository, across every indexer that starts.
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"mycoder-indexes:{self.schema}",))
            found = self.conn.execute(f"SELECT schema FROM {self.schema}.indexes WHERE commit = %s",
                                      (commit,)).fetchone()
            if found is None:
                base = self._newest(is_ancestor)
                self.conn.execute(f"CREATE SCHEMA {target}")
                self.conn.execute(f"SET LOCAL search_path TO {target}, public")
                for statement in (x.strip() for x in INDEX_TABLES.split(";")):
                    if statement:
                        self.conn.execute(statement)
                if base is not None:
                    # Unchanged files cost a stat and a hash, not a re-chunk (files carry the content hash).
                    for table in INDEX_TABLE_NAMES:
                        self.conn.execute(f"INSERT INTO {target}.{table} SELECT * FROM {base.schema}.{table}")
                    self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{target}.chunks', 'id'), "
                                      f"COALESCE((SELECT MAX(id) FROM {target}.chunks), 0) + 1, false)")
                now = time.time()
                self.conn.execute(f"INSERT INTO {self.schema}.indexes VALUES (%s, %s, %s, %s, FALSE)",
                                  (commit, target, now, now))
            elif _INDEX_SCHEMA.fullmatch(str(found[0])):
                target = str(found[0])
        self.index_schema, self.commit, self.writer = target, commit, True
        with self.lock:
            self.conn.execute(f"SET search_path TO {self._search_path()}")

    def index_done(self) -> list[str]:
        """The indexer finished: its commit's index is complete (readers may use it), and
        the oldest beyond ``keep_indexes`` are dropped. Returns the commits dropped."""
        if not self.writer or self.commit is None:
            return []
        dropped: list[str] = []
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"mycoder-indexes:{self.schema}",))
            conn.execute(f"UPDATE {self.schema}.indexes SET complete = TRUE, updated = %s WHERE commit = %s",
                         (time.time(), self.commit))
            old = conn.execute(f"SELECT commit, schema FROM {self.schema}.indexes WHERE commit != %s AND complete"
                               " ORDER BY updated DESC, commit OFFSET %s",
                               (self.commit, self.keep_indexes - 1)).fetchall()
            # An unfinished index is another indexer's work in progress, unless it was abandoned long ago.
            old += conn.execute(f"SELECT commit, schema FROM {self.schema}.indexes WHERE commit != %s AND NOT complete"
                                " AND updated < %s", (self.commit, time.time() - ABANDONED_AFTER)).fetchall()
            for commit, schema in old:
                if _INDEX_SCHEMA.fullmatch(str(schema)):
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                conn.execute(f"DELETE FROM {self.schema}.indexes WHERE commit = %s", (commit,))
                dropped.append(str(commit))
        if dropped:
            log.info("shared vault %s: dropped the indexes of %s (keeping %d)", self.location,
                     ", ".join(c[:12] for c in dropped), self.keep_indexes)
        self._vacuum()
        return dropped

    def _vacuum(self) -> None:
        """Mark the new postings' pages all-visible (a query then reads them from the index
        alone, not from scattered table pages) and give the planner their statistics, now
        rather than when autovacuum comes round. Outside a transaction, as VACUUM must be."""
        import psycopg

        with self.lock:
            try:
                self.conn.execute("VACUUM (ANALYZE) lexical_terms, lexical_docs")
                self.conn.execute("ANALYZE chunks")
            except psycopg.Error as exc:  # an optimisation: the index is complete without it
                log.warning("shared vault %s: VACUUM after indexing failed: %s", self.location, exc)

    # -- use -------------------------------------------------------------------

    def _reconnect(self) -> None:
        """A new session after the old one broke (the server restarted, an admin ended it)."""
        import psycopg
        from pgvector.psycopg import register_vector

        with contextlib.suppress(Exception):
            self.conn.close()
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            conn.execute(f"SET work_mem = '{SESSION_WORK_MEM}'")
        except psycopg.Error as exc:
            raise VaultDatabaseError(f"The vault database at {redacted_url(self.url)} cannot be reached: "
                                     f"{str(exc).strip().splitlines()[0]}.") from None
        conn.execute(f"SET search_path TO {self._search_path()}")
        register_vector(conn)
        self.conn = conn
        log.info("reconnected to the vault database %s", self.location)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """One atomic write: all of it lands, or none of it. The session is probed first
        (one round trip; a broken one is replaced), so a write after a server restart
        lands; a session that breaks during the write fails that write, and only it."""
        with self.lock:
            self._rows("SELECT 1")
            with self.conn.transaction():
                yield self.conn

    def _rows(self, sql: str, params: Sequence[Any] | dict = ()) -> list[tuple]:
        import psycopg

        with self.lock:
            if self.conn.closed or self.conn.broken:
                self._reconnect()
            try:
                return self.conn.execute(sql, params).fetchall()
            except psycopg.errors.UndefinedTable:
                if self.writer or self.index_schema == empty_schema_name(self.repository):
                    raise
                # The indexer pruned the index this reader used: the newest one that fits, once.
                log.info("the shared index %s was pruned; choosing again", self.index_schema)
                self.index_schema = self.commit = None
                self._open_for_reading(self._is_ancestor)
                return self.conn.execute(sql, params).fetchall()
            except psycopg.OperationalError:
                if not self.conn.broken:
                    raise
            # A read is safe to repeat: once, on a new session.
            self._reconnect()
            return self.conn.execute(sql, params).fetchall()

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """A read in SQLite's placeholder style (``?``), for tests and diagnostics that
        ask both stores the same question."""
        return self._rows(sql.replace("?", "%s"), tuple(params))

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = %s", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                         (key, value))

    def reset_if_changed(self, key: str, value: str, what: str) -> None:
        if self.get_meta(key) == value:
            return
        with self.transaction() as conn:
            conn.execute("LOCK TABLE meta IN EXCLUSIVE MODE")
            row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
            if row is None or row[0] != value:
                for table in _RESETS[what]:
                    conn.execute(f"DELETE FROM {table}")
                conn.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                             (key, value))

    def index_lock(self) -> AdvisoryIndexLock:
        return AdvisoryIndexLock(self.url, f"mycoder-index:{self.schema}")

    def close(self) -> None:
        with self.lock, contextlib.suppress(Exception):
            self.conn.close()

    def size_bytes(self) -> int:
        return int(self._rows("SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                              " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%s)"
                              " AND c.relkind = 'r'", ([self.schema, self.index_schema or self.schema],))[0][0])

    # -- files and chunks --------------------------------------------------------

    def files(self) -> dict[str, tuple[int, int, str]]:
        return {r[0]: (r[1], r[2], r[3]) for r in self._rows("SELECT path, mtime_ns, size, hash FROM files")}

    def file_hash(self, path: str) -> str | None:
        rows = self._rows("SELECT hash FROM files WHERE path = %s", (path,))
        return rows[0][0] if rows else None

    def files_under(self, path: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT path FROM files WHERE path = %s OR path LIKE %s ESCAPE '\\'",
                                         (path, like_escape(path) + "/%"))]

    def write_files(self, writes: Sequence[FileWrite], removed: Sequence[str] = ()) -> None:
        """One transaction: old chunks of these files out (their postings go with
        them, ON DELETE CASCADE), new ones in (COPY: a big index is millions of postings)."""
        changed = [w for w in writes if w.chunks is not None]
        with self.transaction() as conn:
            # Two writers of one file (two servers saving it) would both delete, then both insert.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"mycoder-write:{self.schema}",))
            gone = list(removed) + [w.path for w in changed]
            if gone:
                # The corpus figures lose the documents that go (their rows go by cascade).
                conn.execute("UPDATE lexical_stats s SET docs = s.docs - g.n, total_len = s.total_len - g.l FROM"
                             " (SELECT COUNT(*) AS n, COALESCE(SUM(d.len), 0) AS l FROM lexical_docs d"
                             "  JOIN chunks c ON c.id = d.chunk_id WHERE c.path = ANY(%s)) g", (gone,))
                conn.execute("DELETE FROM chunks WHERE path = ANY(%s)", (gone,))
                conn.execute("DELETE FROM files WHERE path = ANY(%s)", (gone,))
            for w in writes:
                if w.chunks is None:
                    conn.execute("UPDATE files SET mtime_ns = %s, size = %s WHERE path = %s",
                                 (w.mtime_ns, w.size, w.path))
            rows = [c for w in changed for c in w.chunks or ()]
            if rows:
                ids = [r[0] for r in conn.execute(
                    "SELECT nextval(pg_get_serial_sequence('chunks', 'id')) FROM generate_series(1, %s)",
                    (len(rows),)).fetchall()]
                with conn.cursor() as cur:
                    with cur.copy("COPY chunks (id, path, name, kind, start_line, end_line, hash, importance, content)"
                                  " FROM STDIN") as copy:
                        for cid, c in zip(ids, rows, strict=True):
                            copy.write_row((cid, c.path, c.name, c.kind, c.start_line, c.end_line, c.hash,
                                            c.importance, c.content))
                    lengths = [sum(len(col.split()) for col in c.lexical) for c in rows]
                    with cur.copy("COPY lexical_docs (chunk_id, len) FROM STDIN") as copy:
                        for cid, length in zip(ids, lengths, strict=True):
                            copy.write_row((cid, length))
                    with cur.copy("COPY lexical_terms (term, chunk_id, tf_name, tf_path, tf_body, len)"
                                  " FROM STDIN") as copy:
                        for cid, c, length in zip(ids, rows, lengths, strict=True):
                            for term, tfs in _postings(c.lexical).items():
                                copy.write_row((term, cid, *tfs, length))
                conn.execute("INSERT INTO lexical_stats VALUES (TRUE, %s, %s) ON CONFLICT (one) DO UPDATE SET"
                             " docs = lexical_stats.docs + EXCLUDED.docs,"
                             " total_len = lexical_stats.total_len + EXCLUDED.total_len", (len(rows), sum(lengths)))
            for w in changed:
                conn.execute("INSERT INTO files VALUES (%s, %s, %s, %s)", (w.path, w.mtime_ns, w.size, w.hash))

    def counts(self) -> dict[str, int]:
        row = self._rows("SELECT (SELECT COUNT(*) FROM files), (SELECT COUNT(*) FROM chunks),"
                         " (SELECT COUNT(*) FROM vectors), (SELECT COUNT(*) FROM patterns WHERE user_id = %s)",
                         (self.user,))[0]
        return dict(zip(("files", "chunks", "vectors", "patterns"), (int(x) for x in row), strict=True))

    def chunk_count(self, path: str) -> int:
        return int(self._rows("SELECT COUNT(*) FROM chunks WHERE path = %s", (path,))[0][0])

    def path_chunk_counts(self, paths: Sequence[str]) -> dict[str, int]:
        """The indexed files among ``paths``, each with its chunk count (one round trip)."""
        if not paths:
            return {}
        return {str(p): int(n) for p, n in self._rows(
            "SELECT f.path, (SELECT COUNT(*) FROM chunks c WHERE c.path = f.path) FROM files f"
            " WHERE f.path = ANY(%s)", (list(paths),))}

    def follow_newest(self) -> bool:
        """A reader: move to a newer fitting index if one completed since; True if it moved."""
        if self.writer:
            return False
        before = self.index_schema
        self._open_for_reading(self._is_ancestor)
        return self.index_schema != before

    def lexical_stats(self) -> tuple[int, float]:
        """(documents, their average length in tokens): BM25's corpus figures."""
        rows = self._rows("SELECT docs, total_len FROM lexical_stats")
        n, total = (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)
        return n, (total / n if n else 1.0)

    def chunk_rows(self, ids: Sequence[int]) -> list[tuple]:
        if not ids:
            return []
        return self._rows("SELECT id, path, name, kind, start_line, end_line, importance FROM chunks"
                          " WHERE id = ANY(%s)", (list(ids),))

    def chunk_contents(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        return {int(cid): text for cid, text in self._rows("SELECT id, content FROM chunks WHERE id = ANY(%s)",
                                                           (list(ids),))}

    def chunks_of(self, path: str) -> list[tuple]:
        return self._rows("SELECT path, name, kind, start_line, end_line, importance, content FROM chunks"
                          " WHERE path = %s ORDER BY start_line, -end_line", (path,))

    def symbol_rows(self, substring: str, limit: int, *, exclude: Sequence[str] = ()) -> list[tuple]:
        """``exclude``: paths whose chunks are not to be returned (a reader's overlay holds them)."""
        # ILIKE: SQLite's LIKE is case-insensitive for ASCII.
        return self._rows("SELECT path, name, kind, start_line, end_line, importance FROM chunks"
                          " WHERE kind NOT IN ('module', 'text') AND name ILIKE %s ESCAPE '\\' AND path <> ALL(%s)"
                          " ORDER BY id LIMIT %s", ("%" + like_escape(substring) + "%", list(exclude), limit))

    # -- vectors -----------------------------------------------------------------

    def missing_vectors(self, limit: int, path: str | None = None) -> list[tuple[str, str, str, str]]:
        where = "v.hash IS NULL" + (" AND c.path = %s" if path is not None else "")
        return self._rows(
            "SELECT c.hash, MIN(c.path), MIN(c.name), MIN(c.content) FROM chunks c"
            f" LEFT JOIN vectors v ON v.hash = c.hash WHERE {where} GROUP BY c.hash ORDER BY c.hash LIMIT %s",
            (path, limit) if path is not None else (limit,))

    def put_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not len(hashes):
            return
        with self.transaction() as conn:
            conn.execute("INSERT INTO meta VALUES ('vector_dim', %s) ON CONFLICT (key) DO UPDATE SET value = "
                         "EXCLUDED.value", (str(vectors.shape[1]),))
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO vectors VALUES (%s, %s)"
                                " ON CONFLICT (hash) DO UPDATE SET vec = EXCLUDED.vec",
                                [(h, vectors[i]) for i, h in enumerate(hashes)])

    def warm(self) -> None:
        """Nothing to load: the engine keeps the vectors."""

    def nearest(self, qvec: np.ndarray, limit: int, also: Sequence[int], *,
                exclude: Sequence[str] = ()) -> tuple[list[int], dict[int, float]]:
        """The ``limit`` nearest chunks by inner product (= cosine, unit vectors), exact;
        none of the paths in ``exclude`` (a reader's overlay holds them).

        Exact, not HNSW or IVFFlat: at a vault's sizes (10^4-10^5 chunks) the scan
        costs milliseconds, and an approximate index gives up recall, and so MRR, that
        the SQLite vault does not (bench/bench_vault_backends.py has the figures)."""
        dim = self.get_meta("vector_dim")
        if dim is None or int(dim) != qvec.shape[0]:
            return [], {}
        q = np.ascontiguousarray(qvec, dtype=np.float32)
        if exclude:
            # The excluded chunks' hashes take at most as many places in the nearest list as they
            # are: that many more, so ``limit`` others remain (a join of every chunk costs 4x).
            rows = self._rows(
                "WITH near AS (SELECT hash, vec <#> %(q)s AS d FROM vectors ORDER BY d"
                " LIMIT %(n)s + (SELECT COUNT(*) FROM chunks WHERE path = ANY(%(x)s)))"
                " SELECT c.id, -near.d FROM near JOIN chunks c ON c.hash = near.hash WHERE c.path <> ALL(%(x)s)"
                " ORDER BY near.d, c.id LIMIT %(n)s", {"q": q, "n": limit, "x": list(exclude)})
        else:
            rows = self._rows(
                "WITH near AS (SELECT hash, vec <#> %(q)s AS d FROM vectors ORDER BY d LIMIT %(n)s)"
                " SELECT c.id, -near.d FROM near JOIN chunks c ON c.hash = near.hash ORDER BY near.d, c.id LIMIT %(n)s",
                {"q": q, "n": limit})
        ranked = [int(r[0]) for r in rows]
        cos = {int(r[0]): float(r[1]) for r in rows}
        rest = [int(c) for c in also if int(c) not in cos]
        if rest:
            cos.update({int(cid): float(s) for cid, s in self._rows(
                "SELECT c.id, -(v.vec <#> %s) FROM chunks c JOIN vectors v ON v.hash = c.hash WHERE c.id = ANY(%s)",
                (q, rest))})
            cos.update({cid: 0.0 for cid in rest if cid not in cos})
        return ranked, cos

    # -- lexical -----------------------------------------------------------------

    def lexical_search(self, terms: Sequence[str], limit: int, weights: tuple[float, float, float], *,
                       exclude: Sequence[str] = ()) -> list[tuple[int, float]]:
        """(chunk id, BM25) exactly as FTS5's ``bm25()`` scores it, best first; none of the
        paths in ``exclude`` (the corpus figures still count them)."""
        if not terms:
            return []
        # Two short reads first (the corpus figures, each term's document count), so the one
        # scan of the postings is planned with the IDFs as values, not as a join on a guess.
        n, avgdl = self.lexical_stats()
        counts = self.term_document_counts(terms)
        found = [t for t in dict.fromkeys(terms) if counts.get(t)]
        if not found:
            return []
        idf = [_idf(n, counts[t]) for t in found]
        without = " AND p.chunk_id NOT IN (SELECT id FROM chunks WHERE path = ANY(%(x)s))" if exclude else ""
        rows = self._rows(
            """
            SELECT p.chunk_id,
                   SUM(q.idf * (f.f * (%(k1)s + 1.0)) / (f.f + %(k1)s * (1 - %(b)s + %(b)s * p.len / %(avgdl)s))) AS s
            FROM unnest(%(t)s::text[], %(i)s::float8[]) AS q(term, idf) JOIN lexical_terms p ON p.term = q.term
            CROSS JOIN LATERAL (SELECT %(w1)s * p.tf_name + %(w2)s * p.tf_path + %(w3)s * p.tf_body AS f) f
            WHERE TRUE""" + without + """
            GROUP BY p.chunk_id ORDER BY s DESC, p.chunk_id LIMIT %(n)s
            """,
            {"t": found, "i": idf, "avgdl": float(avgdl), "k1": BM25_K1, "b": BM25_B, "w1": float(weights[0]),
             "w2": float(weights[1]), "w3": float(weights[2]), "n": limit, "x": list(exclude)})
        return [(int(cid), float(s)) for cid, s in rows]

    def term_document_counts(self, terms: Sequence[str]) -> dict[str, int]:
        uniq = sorted({t for t in terms if t})
        if not uniq:
            return {}
        return {str(t): int(n) for t, n in self._rows(
            "SELECT term, COUNT(*) FROM lexical_terms WHERE term = ANY(%s) GROUP BY term", (uniq,))}

    # -- learned patterns (the user's own) ---------------------------------------

    def append_pattern(self, build: Callable[[int], PatternRow], keep: int) -> PatternRow:
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"mycoder-patterns:{self.schema}:{self.user}",))
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM patterns WHERE user_id = %s",
                               (self.user,)).fetchone()[0]
            p = build(seq)
            conn.execute(f"INSERT INTO patterns (user_id, seq, {PATTERN_COLUMNS}) VALUES "
                         "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                         (self.user, seq, p.id, p.timestamp, p.signature, p.user_intent, p.code_delta, p.confidence,
                          p.path, p.target))
            conn.execute("DELETE FROM patterns WHERE user_id = %s AND seq NOT IN "
                         "(SELECT seq FROM patterns WHERE user_id = %s ORDER BY seq DESC LIMIT %s)",
                         (self.user, self.user, max(0, keep)))
        return p

    def pattern_rows(self) -> list[PatternRow]:
        return [PatternRow(*row) for row in self._rows(
            f"SELECT {PATTERN_COLUMNS} FROM patterns WHERE user_id = %s ORDER BY seq", (self.user,))]

    # -- session (the user's own) ------------------------------------------------

    def append_history(self, role: str, text: str, keep: int) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO history (user_id, timestamp, role, text) VALUES (%s, %s, %s, %s)",
                         (self.user, time.time(), role, text))
            conn.execute("DELETE FROM history WHERE user_id = %s AND id NOT IN "
                         "(SELECT id FROM history WHERE user_id = %s ORDER BY id DESC LIMIT %s)",
                         (self.user, self.user, keep))

    def history(self) -> list[tuple[str, str, float]]:
        return self._rows("SELECT role, text, timestamp FROM history WHERE user_id = %s ORDER BY id", (self.user,))

    def create_feature(self, title: str) -> str:
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"mycoder-features:{self.schema}:{self.user}",))
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM features WHERE user_id = %s",
                               (self.user,)).fetchone()[0]
            fid = f"A{seq:03d}"
            conn.execute("INSERT INTO features (user_id, id, seq, title, status, created) "
                         "VALUES (%s, %s, %s, %s, 'open', %s)", (self.user, fid, seq, title, time.time()))
        return fid

    def feature_row(self, feature_id: str) -> tuple | None:
        rows = self._rows(f"SELECT {FEATURE_COLUMNS} FROM features WHERE user_id = %s AND id = %s",
                          (self.user, feature_id))
        return rows[0] if rows else None

    def feature_rows(self) -> list[tuple]:
        return self._rows(f"SELECT {FEATURE_COLUMNS} FROM features WHERE user_id = %s ORDER BY seq", (self.user,))

    def lock_feature(self, feature_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE features SET status = 'open' WHERE user_id = %s AND status = 'locked' AND id != %s",
                         (self.user, feature_id))
            conn.execute("UPDATE features SET status = 'locked' WHERE user_id = %s AND id = %s",
                         (self.user, feature_id))
            conn.execute("INSERT INTO state VALUES (%s, 'current_feature_id', %s) ON CONFLICT (user_id, key) "
                         "DO UPDATE SET value = EXCLUDED.value", (self.user, feature_id))

    def unlock_feature(self, feature_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE features SET status = 'open' WHERE user_id = %s AND id = %s AND status = 'locked'",
                         (self.user, feature_id))
            conn.execute("DELETE FROM state WHERE user_id = %s AND key = 'current_feature_id' AND value = %s",
                         (self.user, feature_id))

    def update_feature(self, feature_id: str, fields: dict[str, str]) -> None:
        unknown = set(fields) - set(SCRATCHPAD_FIELDS)
        if unknown:
            raise ValueError(f"unknown scratchpad fields {sorted(unknown)}")
        if not fields:
            return
        sets = ", ".join(f"{k} = %s" for k in fields)
        with self.transaction() as conn:
            conn.execute(f"UPDATE features SET {sets} WHERE user_id = %s AND id = %s",
                         [*fields.values(), self.user, feature_id])

    def current_feature_id(self) -> str | None:
        rows = self._rows("SELECT value FROM state WHERE user_id = %s AND key = 'current_feature_id'", (self.user,))
        return rows[0][0] if rows else None


def _idf(documents: int, hits: int) -> float:
    """FTS5's IDF: ln((N - n + 0.5) / (n + 0.5)), 1e-6 where that is not positive."""
    ratio = (documents - hits + 0.5) / (hits + 0.5)
    return math.log(ratio) if ratio > 1 else 1e-6


def _postings(columns: tuple[str, str, str]) -> dict[str, list[int]]:
    """term -> [tf in name, tf in path, tf in body] of one chunk's pre-split columns."""
    out: dict[str, list[int]] = {}
    for i, column in enumerate(columns):
        for term in column.split():
            out.setdefault(term, [0, 0, 0])[i] += 1
    return out




def inspect(vault_settings: Any, root: Path) -> str:
    """One line on the shared vault for ``doctor``: read only (no schema is created or
    migrated); :class:`VaultDatabaseError` when it cannot be used."""
    import psycopg

    url = vault_settings.url.strip()
    check_url(url, vault_settings.allowed_hosts)
    schema = schema_name(vault_settings.repository or root.name)
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SET default_transaction_read_only = on")
            found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
            if not found:
                return f"{redacted_url(url)}: reachable, repository {schema} not indexed yet (run `mycoder-lsp index`)"
            version = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {schema}.migrations").fetchall()[0][0]
            if version > SCHEMA_VERSION:
                raise VaultDatabaseError(f"{redacted_url(url)} schema {schema} is version {version}, newer than "
                                         f"this mycoder-lsp knows ({SCHEMA_VERSION}): upgrade mycoder-lsp")
            where, commit = schema, ""
            if version >= 2:
                rows = conn.execute(f"SELECT commit, schema FROM {schema}.indexes WHERE complete "
                                    "ORDER BY updated DESC, commit").fetchall()
                if not rows:
                    return (f"{redacted_url(url)}: reachable, repository {schema} not indexed yet "
                            "(run `mycoder-lsp index`)")
                commit, where = f" (newest of {len(rows)} commit indexes: {rows[0][0][:12]})", rows[0][1]
            files, chunks, vectors = conn.execute(
                f"SELECT (SELECT COUNT(*) FROM {where}.files), (SELECT COUNT(*) FROM {where}.chunks),"
                f" (SELECT COUNT(*) FROM {schema}.vectors)").fetchall()[0]
    except psycopg.Error as exc:
        raise VaultDatabaseError(f"The vault database at {redacted_url(url)} cannot be used: "
                                 f"{str(exc).strip().splitlines()[0]}") from None
    return f"{redacted_url(url)} schema {schema}{commit}: {files} files, {chunks} chunks, {vectors} vectors"


__all__ = ["AdvisoryIndexLock", "DEFAULT_KEEP_INDEXES", "MIGRATIONS", "NO_COMMIT", "PgStore", "SCHEMA_VERSION",
           "SharedIndex", "VaultDatabaseError", "check_url", "index_schema_name", "inspect", "redacted_url",
           "schema_name"]
