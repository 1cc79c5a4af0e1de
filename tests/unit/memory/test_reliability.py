"""The vault survives kill -9, two processes at once, corruption and a newer schema.

The crash and concurrency tests run real subprocesses (``python -c``) on a
real vault directory and really SIGKILL them mid-write.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.memory import patterns
from mycoder_lsp.memory import store as store_module
from mycoder_lsp.memory.store import VaultBusy
from mycoder_lsp.memory.vault import Vault

from .conftest import write_tree

WRITER = r"""
import asyncio, sys, time
from pathlib import Path
from mycoder_lsp.config import Settings
from mycoder_lsp.memory.vault import Vault
root, mode, tag = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
settings = Settings()
settings.vault.max_patterns = 100000
v = Vault.open(root, settings)
print("open", flush=True)
if mode.startswith("index"):
    r = asyncio.run(v.index(wait=True))
    print("indexed", r.files, flush=True)
i = 0
forever = mode.endswith("forever")
while forever or i < 30:
    v.record_pattern(signature=f"def f{i}():", user_intent=f"{tag} change {i}", old_code="", new_code=f"x = {i}")
    v.session.append("user", f"{tag} {i}")
    p = root / f"gen/{tag}_{i % 7}.py"
    p.parent.mkdir(exist_ok=True)
    p.write_text(f"def generated_{tag}_{i}():\n    return {i}\n")
    asyncio.run(v.reindex_file(p))
    i += 1
    if forever:
        print("wrote", i, flush=True)
v.close()
print("done", flush=True)
"""


def many_files(root: Path, n: int = 40) -> None:
    write_tree(root, {f"pkg/m{i}.py": "".join(f"def func_{i}_{j}(x):\n    return x + {j}\n\n" for j in range(15))
                      for i in range(n)})


def start(root: Path, mode: str, tag: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(root), mode, tag], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def assert_consistent(root: Path) -> Vault:
    v = Vault.open(root, Settings())
    assert v.notice is None, v.notice
    q = v.store.query
    assert q("PRAGMA integrity_check")[0][0] == "ok"
    chunks = q("SELECT COUNT(*) FROM chunks")[0][0]
    assert q("SELECT COUNT(*) FROM lexical")[0][0] == chunks
    # Every chunk belongs to a known file, every file's chunks are all there.
    assert q("SELECT COUNT(*) FROM chunks WHERE path NOT IN (SELECT path FROM files)")[0][0] == 0
    return v


def test_kill_9_mid_write_leaves_a_consistent_vault(tmp_path):
    root = tmp_path / "ws"
    many_files(root)
    for attempt, delay in enumerate((0.3, 0.9, 1.6)):
        # The first run is killed while indexing or right after; the others while writing.
        proc = start(root, "forever" if attempt else "index-forever", f"k{attempt}")
        assert proc.stdout.readline().strip() == "open"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        v = assert_consistent(root)
        # Every write the process finished is there; at most the one in flight is lost.
        finished = [int(line.split()[1]) for line in out.splitlines() if line.startswith("wrote")]
        done = finished[-1] if finished else 0
        stored = [p for p in patterns.all_patterns(v.store) if p.user_intent.startswith(f"k{attempt} ")]
        assert done <= len(stored) <= done + 1
        assert [p.user_intent for p in stored] == [f"k{attempt} change {i}" for i in range(len(stored))]
        # The next run finishes what the killed one left, and recalls what it stored.
        report = asyncio.run(v.index())
        assert v.stats()["vectors"] >= len({r[0] for r in v.store.query("SELECT hash FROM chunks")})
        assert report.files >= 40
        assert v.search_sync("func_3_7", 3)[0].name == "func_3_7"
        v.close()


def test_two_processes_on_one_workspace(tmp_path):
    root = tmp_path / "ws"
    many_files(root, 25)
    a, b = start(root, "index", "a"), start(root, "index", "b")
    outs = [p.communicate(timeout=120) for p in (a, b)]
    for p, (out, err) in zip((a, b), outs):
        assert p.returncode == 0, err
        assert out.strip().endswith("done")
    v = assert_consistent(root)
    stored = patterns.all_patterns(v.store)
    # Both processes' patterns are there, none lost or duplicated (the log keeps the last 100).
    assert len(stored) == 60 and len({p.id for p in stored}) == 60
    assert sum(p.user_intent.startswith("a ") for p in stored) == 30
    assert len(v.session.history()) == 20
    assert v.stats()["files"] == 25 + 14  # the workspace plus gen/{a,b}_0..6.py
    v.close()


def test_a_second_server_reads_while_the_first_indexes(workspace):
    first = Vault.open(workspace, Settings())
    assert first.index_lock.acquire(wait=False)
    try:
        second = Vault.open(workspace, Settings())
        report = asyncio.run(second.index(wait=False))
        assert report.skipped_locked
        second.close()
    finally:
        first.index_lock.release()
        first.close()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "newer-schema"])
def test_broken_vault_is_moved_aside_and_rebuilt(workspace, vault, damage):
    vault.record_pattern(signature="def f():", user_intent="x", old_code="", new_code="y")
    vault.close()
    db = workspace / ".mycoder/vault.db"
    if damage == "garbage":
        db.write_bytes(b"this is not a database" * 1000)
    elif damage == "truncated":
        data = db.read_bytes()
        db.write_bytes(data[:4096] + b"\xff" * 4096)
    else:
        conn = sqlite3.connect(db)
        conn.execute("INSERT INTO migrations VALUES (999, 'from the future', 0)")
        conn.commit()
        conn.close()
    for side in ("-wal", "-shm"):
        p = db.with_name(db.name + side)
        if p.exists():
            p.unlink()
    v = Vault.open(workspace, Settings())
    assert v.notice and "moved to vault.db.broken-" in v.notice
    if damage == "newer-schema":
        assert "newer mycoder-lsp" in v.notice
    assert list((workspace / ".mycoder").glob("vault.db.broken-*"))
    report = asyncio.run(v.index())
    assert report.files == 4 and v.search_sync("retry request", 1)[0].name == "HttpClient.retry_request"
    v.close()
    again = Vault.open(workspace, Settings())
    assert again.notice is None
    again.close()


def test_a_locked_vault_is_left_as_it_is_not_moved_aside(workspace, vault, monkeypatch):
    # Another process holds the database past the busy timeout (a long write, a
    # stuck process): the file is fine, so opening fails with a clear reason and
    # leaves it, its patterns and the other process's writes where they are.
    vault.record_pattern(signature="def f():", user_intent="kept", old_code="", new_code="y")
    vault.close()
    db = workspace / ".mycoder/vault.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 50)
    try:
        with pytest.raises(VaultBusy, match="left as it is") as caught:
            Vault.open(workspace, Settings())
        assert "locked" in str(caught.value)
        assert not list((workspace / ".mycoder").glob("vault.db.broken-*"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    v = Vault.open(workspace, Settings())
    assert v.notice is None
    assert [p.user_intent for p in patterns.all_patterns(v.store)] == ["kept"]
    v.close()
