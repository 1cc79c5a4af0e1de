"""The shared vault on a real PostgreSQL + pgvector: what SQLite has no counterpart for.

Users kept apart in one database, two indexers of one repository, BM25 equal to FTS5's,
the schema's version, the URL's trust rules, and the CLI's ``--vault``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys

import pytest

from mycoder_lsp.brains.context import ContextRequest
from mycoder_lsp.config import Settings
from mycoder_lsp.memory import lexical
from mycoder_lsp.memory.vault import Vault

pytest.importorskip("psycopg")
from mycoder_lsp.memory.pg_store import VaultDatabaseError, check_url, redacted_url  # noqa: E402


def shared(url: str, user: str, *, writer: bool = True) -> Settings:
    settings = Settings()
    settings.vault.url = url
    settings.vault.user = user
    settings.vault.index_shared = writer
    return settings


def test_a_password_in_the_url_or_a_remote_host_is_refused():
    with pytest.raises(VaultDatabaseError, match="PGPASSWORD or ~/.pgpass") as info:
        check_url("postgresql://bob:hunter2@127.0.0.1/team", [])
    assert "hunter2" not in str(info.value)
    with pytest.raises(VaultDatabaseError, match="vault.allowed_hosts"):
        check_url("postgresql://bob@db.example.com/team", [])
    with pytest.raises(VaultDatabaseError, match="203.0.113.7"):
        check_url("postgresql://bob@127.0.0.1,203.0.113.7/team", [])
    assert check_url("postgresql://bob@DB.example.com/team", ["db.example.com"])["host"] == "DB.example.com"
    for local in ("postgresql://bob@localhost/t", "postgresql://bob@[::1]:5433/t", "postgresql:///t?host=/run/pg",
                  "postgresql://bob@/t"):
        check_url(local, [])
    assert redacted_url("postgresql://bob:s3cr3t@h/db") == "postgresql://bob:***@h/db"


def test_users_share_the_index_but_not_their_sessions_or_patterns(workspace, pg_vault_url):
    alice = Vault.open(workspace, shared(pg_vault_url, "alice"))
    asyncio.run(alice.index())
    bob = Vault.open(workspace, shared(pg_vault_url, "bob", writer=False))
    # Bob reads what Alice indexed.
    report = asyncio.run(bob.index())
    assert report.shared_read and (report.changed, report.embedded, report.files) == (0, 0, 4)
    assert bob.search_sync("send the request again", 1)[0].name == "HttpClient.retry_request"

    alice.record_pattern(signature="def retry_request(self, request, attempts=3):",
                         user_intent="add exponential backoff to the retry loop", old_code="", new_code="sleep(2)")
    feature = alice.session.create_feature("Alice's secret plan")
    alice.session.update_scratchpad(feature.id, code_to_propose="alice_only_code()")
    alice.session.lock(feature.id)
    asyncio.run(alice.record_exchange("user", "alice private chat"))

    request = ContextRequest(query="add exponential backoff to the retry loop", intent="modify-target")
    assert any(p.origin == "feature A001 scratchpad" for p in asyncio.run(alice.gather(request)))
    pieces = asyncio.run(bob.gather(request))
    assert not any("learned pattern" in p.origin or "scratchpad" in p.origin for p in pieces), pieces
    assert not any("alice_only_code" in p.text for p in pieces)
    assert bob.session.features() == [] and bob.session.history() == [] and bob.session.current_feature_id is None
    assert bob.stats()["patterns"] == 0 and alice.stats()["patterns"] == 1
    # Bob's own numbering starts at his first feature.
    assert bob.session.create_feature("Bob's").id == "A001"
    alice.close()
    bob.close()


def test_a_reader_never_writes_its_working_tree_into_the_shared_index(workspace, pg_vault_url):
    indexer = Vault.open(workspace, shared(pg_vault_url, "ci"))
    asyncio.run(indexer.index())
    reader = Vault.open(workspace, shared(pg_vault_url, "dev", writer=False))
    path = workspace / "app/http.py"
    path.write_text(path.read_text() + "\n\ndef uncommitted_work_in_progress():\n    pass\n")
    asyncio.run(reader.reindex_file(path))
    (workspace / "notes.md").unlink()
    reader.remove_file(workspace / "notes.md")
    assert asyncio.run(reader.index()).shared_read
    assert indexer.symbols("uncommitted_work") == [] and indexer.stats()["files"] == 4
    # The indexer, asked to, does pick the change up.
    asyncio.run(indexer.index())
    assert reader.symbols("uncommitted_work") and reader.stats()["files"] == 3
    indexer.close()
    reader.close()


def test_a_dropped_database_session_is_replaced(workspace, pg_vault_url):
    import psycopg

    v = Vault.open(workspace, shared(pg_vault_url, "me"))
    asyncio.run(v.index())

    def end_its_session():
        with psycopg.connect(pg_vault_url, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (v.store.conn.info.backend_pid,)).fetchone()[0]

    end_its_session()
    assert v.search_sync("send the request again", 1)[0].name == "HttpClient.retry_request"
    end_its_session()
    v.record_pattern(signature="def f():", user_intent="after a restart", old_code="", new_code="x = 1")
    assert [p.user_intent for p in v.related_patterns("f")] == ["after a restart"]
    v.close()


def test_two_indexers_of_one_repository_never_run_at_once(workspace, pg_vault_url):
    first = Vault.open(workspace, shared(pg_vault_url, "ci"))
    second = Vault.open(workspace, shared(pg_vault_url, "dev"))
    assert first.index_lock.acquire(wait=False)
    try:
        report = asyncio.run(second.index(wait=False))
        assert report.skipped_locked and report.files == 0
    finally:
        first.index_lock.release()
    report = asyncio.run(second.index(wait=False))
    assert not report.skipped_locked and report.files == 4
    first.close()
    second.close()


def test_bm25_scores_equal_fts5s(workspace, pg_vault_url):
    lite = Vault.open(workspace, Settings())
    asyncio.run(lite.index())
    pg = Vault.open(workspace, shared(pg_vault_url, "me"))
    asyncio.run(pg.index())
    for query in ("send the request again when the connection drops", "compute cart total", "settings", "close"):
        for weights in (lexical.FIELD_WEIGHTS, (1.0, 1.0, 1.0)):
            terms = lexical.query_terms(query)
            a = lite.store.lexical_search(terms, 20, weights)
            b = pg.store.lexical_search(terms, 20, weights)
            names_a = [lite.store.chunk_rows([cid])[0][2] for cid, _ in a]
            names_b = [pg.store.chunk_rows([cid])[0][2] for cid, _ in b]
            assert names_a == names_b, query
            assert [s for _, s in a] == pytest.approx([s for _, s in b], rel=1e-5), query
    for mode in ("hybrid", "dense"):
        got = pg.search_sync("read the settings file", 5, mode=mode)
        want = lite.search_sync("read the settings file", 5, mode=mode)
        assert [r.name for r in got] == [r.name for r in want]
        # The SQLite vault stores its vectors as int8 (a cosine within ~1e-3 of float32's).
        assert [r.score for r in got] == pytest.approx([r.score for r in want], abs=2e-3)
    lite.close()
    pg.close()


def test_bm25_stays_fts5s_after_files_change_and_go(workspace, pg_vault_url):
    """The corpus figures are kept by each write (not counted per query): after an edit, a
    new file and a removal they are still the documents' own, and the scores FTS5's."""
    lite = Vault.open(workspace, Settings())
    pg = Vault.open(workspace, shared(pg_vault_url, "me"))
    for v in (lite, pg):
        asyncio.run(v.index())
    first = sorted(workspace.rglob("*.py"))
    first[0].write_text(first[0].read_text() + "\n\ndef resend_request(request):\n    return request\n")
    first[1].unlink()
    (workspace / "extra.py").write_text("def close_the_connection(conn):\n    conn.close()\n")
    for v in (lite, pg):
        asyncio.run(v.index())
    n, avgdl = pg.store.lexical_stats()
    docs, mean = pg.store.query("SELECT COUNT(*), AVG(len)::float8 FROM lexical_docs")[0]
    assert (n, avgdl) == (docs, pytest.approx(mean))
    for query in ("send the request again", "close the connection", "settings"):
        terms = lexical.query_terms(query)
        a = lite.store.lexical_search(terms, 20, lexical.FIELD_WEIGHTS)
        b = pg.store.lexical_search(terms, 20, lexical.FIELD_WEIGHTS)
        assert [lite.store.chunk_rows([c])[0][2] for c, _ in a] == [pg.store.chunk_rows([c])[0][2] for c, _ in b]
        assert [x for _, x in a] == pytest.approx([x for _, x in b], rel=1e-5), query
    assert pg.store.lexical_search(["no_such_term_anywhere"], 5, lexical.FIELD_WEIGHTS) == []
    lite.close()
    pg.close()


def test_a_schema_newer_than_this_code_is_refused_not_rebuilt(workspace, pg_vault_url):
    v = Vault.open(workspace, shared(pg_vault_url, "me"))
    asyncio.run(v.index())
    with v.store.transaction() as conn:
        conn.execute("INSERT INTO migrations VALUES (99, 'from the future', 0)")
    v.close()
    with pytest.raises(VaultDatabaseError, match="newer mycoder-lsp"):
        Vault.open(workspace, shared(pg_vault_url, "me"))
    with pytest.raises(VaultDatabaseError, match="cannot be reached"):
        Vault.open(workspace, shared(pg_vault_url.replace("/vault_", "/no_such_db_"), "me"))


def test_repositories_are_kept_apart_by_schema(tmp_path, workspace, pg_vault_url):
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text("[project]\nname = 'other'\n")
    (other / "only_here.py").write_text("def only_in_the_other_repository():\n    pass\n")
    a = Vault.open(workspace, shared(pg_vault_url, "me"))
    b = Vault.open(other, shared(pg_vault_url, "me"))
    asyncio.run(a.index())
    asyncio.run(b.index())
    assert a.symbols("only_in_the_other") == [] and b.symbols("only_in_the_other")
    assert a.stats()["files"] == 4 and b.stats()["files"] == 2
    # Named on purpose: two checkouts in folders of other names share one index.
    settings = dataclasses.replace(shared(pg_vault_url, "me"))
    settings.vault.repository = "other"
    c = Vault.open(workspace, settings)
    assert c.symbols("only_in_the_other")
    for v in (a, b, c):
        v.close()


def cli(*args):
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", *map(str, args)], capture_output=True, text=True,
                          timeout=60)


def test_cli_index_search_and_doctor_with_vault_flag(workspace, pg_vault_url):
    done = cli("index", "--root", workspace, "--json", "--vault", pg_vault_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"] == 4
    assert not (workspace / ".mycoder").exists()  # nothing written locally
    found = json.loads(cli("search", "--root", workspace, "-k", "1", "--json", "--vault", pg_vault_url,
                           "send the request again").stdout)
    assert found[0]["name"] == "HttpClient.retry_request"
    doctor = cli("doctor", "--root", workspace, "--json", "--vault", pg_vault_url, "--timeout", "0.5")
    vault_check = next(c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "vault")
    assert vault_check["ok"] and "4 files" in vault_check["detail"], vault_check
    refused = cli("search", "--root", workspace, "--vault", "postgresql://u:pw@127.0.0.1/x", "anything")
    assert refused.returncode == 2 and "PGPASSWORD" in refused.stderr and "pw@" not in refused.stderr
