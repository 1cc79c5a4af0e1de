"""Opening the vault database: the whole-file check (``PRAGMA quick_check``,
every page read) runs only after an unclean end; a clean open trusts a cheap
probe of the header and the file size, which still finds a cut or
overwritten file.

The statements SQLite runs are traced through ``sqlite3``'s own trace hook.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mycoder_lsp.memory import store as store_module
from mycoder_lsp.memory.store import Store, header_damage

HOLD_OPEN = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("INSERT INTO meta VALUES ('held', 'open')")
print("written", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    statements: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(store_module.sqlite3, "connect", connect)
    return statements


def checks(statements: list[str]) -> list[str]:
    return [s for s in statements if "quick_check" in s or "integrity_check" in s]


def test_a_clean_open_reads_no_page_for_the_check(tmp_path: Path, traced: list[str]) -> None:
    vault_dir = tmp_path / ".mycoder"
    first = Store(vault_dir)
    first.set_meta("k", "v")
    first.close()
    assert not (vault_dir / "vault.db-wal").exists()  # a clean close leaves no log behind
    traced.clear()
    again = Store(vault_dir)
    assert again.get_meta("k") == "v" and again.notice is None
    again.close()
    assert checks(traced) == []


def test_a_log_left_behind_means_the_whole_check(tmp_path: Path, traced: list[str]) -> None:
    # Another process holds the vault open (or was killed with it open): a -wal file.
    vault_dir = tmp_path / ".mycoder"
    Store(vault_dir).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(vault_dir / "vault.db")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "written"
        assert (vault_dir / "vault.db-wal").exists()
        traced.clear()
        store = Store(vault_dir)
        assert store.get_meta("held") == "open" and store.notice is None
        store.close()
    finally:
        holder.communicate("")
    assert checks(traced) == ["PRAGMA quick_check(1)"]


def test_the_header_probe(tmp_path: Path) -> None:
    vault_dir = tmp_path / ".mycoder"
    store = Store(vault_dir)
    store.set_meta("k", "v")
    store.close()
    db = vault_dir / "vault.db"
    assert header_damage(db) is None
    data = db.read_bytes()
    page = int.from_bytes(data[16:18], "big")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert header_damage(empty) is None  # a new database
    cut = tmp_path / "cut.db"
    cut.write_bytes(data[: len(data) - page])
    assert "its header says" in (header_damage(cut) or "")
    grown = tmp_path / "grown.db"
    grown.write_bytes(data + b"\0" * page)
    assert "its header says" in (header_damage(grown) or "")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    assert header_damage(garbage) == "it is not an SQLite database"


def test_a_cut_file_is_moved_aside_at_a_clean_open(tmp_path: Path) -> None:
    vault_dir = tmp_path / ".mycoder"
    store = Store(vault_dir)
    store.set_meta("k", "v")
    store.close()
    db = vault_dir / "vault.db"
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    again = Store(vault_dir)
    assert again.notice and "damaged" in again.notice and "moved to vault.db.broken-" in again.notice
    assert again.get_meta("k") is None  # rebuilt empty
    again.close()
