"""Pytest plugin: one real PostgreSQL (with pgvector) per test session, for the vault's PostgreSQL backend.

``postgres_url`` (session scope) starts a server from the ``pgserver`` wheel (it bundles
PostgreSQL 16 and pgvector) in a temporary directory, on a Unix socket only (no TCP port:
nothing else on the machine can reach it), and deletes it at the end of the session.
``pg_vault_url`` (function scope) gives each test a database of its own on that server,
so tests never see each other's rows.

Missing engine: with ``CI=true`` the tests that need it FAIL (CI must run them), otherwise
they skip and say how to install it. ``MYCODER_POSTGRES=0`` skips them on purpose.

Run as root (CI containers), PostgreSQL refuses to start; pgserver then creates a system
user ``pgserver`` (``useradd``) and runs the server as that user, opening the directories
on the way to the data directory and to its own binaries for reading (``chmod go+rx``).
The data directory is therefore made under the system temporary directory, never under
``$HOME``, so no private directory of the user is opened up.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import warnings
from collections.abc import Iterator

import pytest

INSTALL_HINT = "install it with `.venv/bin/pip install pgserver psycopg[binary] pgvector`"
_names = itertools.count(1)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL for the vault tests is required in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL vault tests skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """The URL of the session's PostgreSQL server (its maintenance database)."""
    if os.environ.get("MYCODER_POSTGRES") == "0":
        pytest.skip("MYCODER_POSTGRES=0: PostgreSQL vault tests skipped")
    try:
        with warnings.catch_warnings():
            # platformdirs warns, at import, when XDG_RUNTIME_DIR is unset (CI): it falls back to /tmp.
            warnings.simplefilter("ignore")
            import pgserver
        import pgvector  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        _unavailable(f"{exc.name} is not installed ({INSTALL_HINT})")

    pgdata = tempfile.mkdtemp(prefix="mycoder-pg-")
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:  # noqa: BLE001 - any failure to start is reported as the reason
        _unavailable(f"pgserver could not start PostgreSQL in {pgdata} ({type(exc).__name__}: {exc})")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def pg_vault_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped after the test."""
    import psycopg

    name = f"vault_{os.getpid()}_{next(_names)}"
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server_url.replace("/postgres?", f"/{name}?", 1)
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


__all__ = ["INSTALL_HINT", "pg_vault_url", "postgres_server_url"]
