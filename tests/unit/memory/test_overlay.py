"""A reader's overlay and the index per commit, on a real PostgreSQL + pgvector.

The shared index is keyed by commit: the indexer writes HEAD's, readers read the newest
whose commit is in their history, and their overlay (in memory, never in the database)
covers what changed since: commits after the indexed one, uncommitted and untracked files,
unsaved buffers. Old commits' indexes are pruned.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.memory import lexical
from mycoder_lsp.memory.overlay import changed_paths, head_commit, is_ancestor
from mycoder_lsp.memory.vault import Vault
from tests.unit.memory.conftest import FILES, write_tree

pytest.importorskip("psycopg")
from mycoder_lsp.memory.pg_store import MIGRATIONS, SCHEMA_VERSION, empty_schema_name, index_schema_name, schema_name  # noqa: E402

CORE_V1 = '''def parse_invoice(text):
    """Split an invoice into its lines."""
    return text.splitlines()
'''
CORE_V2 = '''def read_invoice_lines(text):
    """Split an invoice into its lines."""
    return text.splitlines()
'''


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                           "-c", "init.defaultBranch=main", *args],
                          cwd=root, capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip()


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write_tree(root, {**FILES, "app/core.py": CORE_V1, "pyproject.toml": "[project]\nname = 'repo'\n"})
    git(root, "init", "-q")
    commit(root, "first")
    return root


def settings_for(url: str, *, keep: int = 3) -> Settings:
    settings = Settings()
    settings.vault.url = url
    settings.vault.repository = "repo"
    settings.vault.user = "dev"
    settings.vault.keep_indexes = keep
    return settings


def index(root: Path, url: str, **kw) -> Vault:
    """What CI runs: ``mycoder-lsp index --vault URL`` at the checked-out commit."""
    v = Vault.open(root, settings_for(url, **kw), index_writer=True)
    asyncio.run(v.index())
    return v


def reader(root: Path, url: str) -> Vault:
    v = Vault.open(root, settings_for(url))
    asyncio.run(v.index())
    return v


def names(v: Vault, query: str, k: int = 5) -> list[tuple[str, str]]:
    return [(r.path, r.name) for r in v.search_sync(query, k)]


def shared_chunk_names(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        schemas = [r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mcix_%'")]
        return {r[0] for s in schemas for r in conn.execute(f"SELECT name FROM {s}.chunks")}


def test_a_reader_sees_its_commits_and_uncommitted_work_over_the_indexed_commit(repo, pg_vault_url):
    first = git(repo, "rev-parse", "HEAD")
    index(repo, pg_vault_url).close()
    # The developer moves on: a commit, then uncommitted, deleted and untracked work.
    (repo / "app/core.py").write_text(CORE_V2)
    commit(repo, "rename")
    (repo / "notes.md").unlink()
    (repo / "app/new_module.py").write_text("def brand_new_helper():\n    return 42\n")
    (repo / "app/config.py").write_text(FILES["app/config.py"] + "\n\ndef uncommitted_settings_writer():\n    pass\n")

    v = reader(repo, pg_vault_url)
    assert v.store.base_commit == first  # the index of an ancestor
    assert v.overlay is not None and v.overlay.overlaid() == {"app/core.py", "notes.md", "app/new_module.py",
                                                              "app/config.py"}
    top = names(v, "read invoice lines")
    assert top[0] == ("app/core.py", "read_invoice_lines")
    assert all(name != "parse_invoice" for _, name in top), top  # the stale shared chunk of that path
    assert names(v, "brand new helper", 1) == [("app/new_module.py", "brand_new_helper")]
    assert v.symbols("uncommitted_settings") and v.symbols("parse_invoice") == []
    assert all(path != "notes.md" for path, _ in names(v, "shopping cart total computed", 10))
    assert v.chunks_of("notes.md") == [] and v.chunks_of("app/core.py")[0].name == "read_invoice_lines"
    # Counts: the shared index with the overlay on top (6 shared files - 1 deleted + 1 new).
    assert v.stats()["files"] == 6
    # Nothing of it reached the database.
    assert {"read_invoice_lines", "brand_new_helper", "uncommitted_settings_writer"}.isdisjoint(
        shared_chunk_names(pg_vault_url))
    v.close()


def test_an_unsaved_buffer_wins_and_closing_it_brings_the_shared_version_back(repo, pg_vault_url):
    index(repo, pg_vault_url).close()
    v = reader(repo, pg_vault_url)
    path = repo / "app/core.py"
    assert asyncio.run(v.overlay_buffer(path, CORE_V2)) == 1
    assert names(v, "read invoice lines", 3)[0] == ("app/core.py", "read_invoice_lines")
    assert v.symbols("parse_invoice") == []
    # A re-index from git keeps the buffer (the file on disk is unchanged, the buffer is not).
    asyncio.run(v.index())
    assert v.symbols("read_invoice") and v.symbols("parse_invoice") == []
    asyncio.run(v.buffer_closed(path))
    assert v.overlay is not None and v.overlay.overlaid() == set()
    assert [r.name for r in v.symbols("parse_invoice")] == ["parse_invoice"] and v.symbols("read_invoice") == []
    v.close()


def test_overlay_scores_are_on_the_shared_scale(repo, pg_vault_url):
    """A reader whose overlay holds the change ranks like the index of the commit that has it.

    Scores are near, not equal: the shared corpus figures still count the hidden chunk (a
    few hundredths here, in a corpus of a dozen chunks; nothing at a repository's size)."""
    index(repo, pg_vault_url).close()
    (repo / "app/core.py").write_text(CORE_V2)
    commit(repo, "rename")
    v = reader(repo, pg_vault_url)
    assert v.overlay is not None and v.overlay.overlaid() == {"app/core.py"}
    queries = ("read invoice lines", "split an invoice", "send the request again", "load settings")
    over = {q: v.search_sync(q, 3) for q in queries}
    v.close()
    fresh = index(repo, pg_vault_url)
    for q in queries:
        got = fresh.search_sync(q, 3)
        assert [(r.path, r.name) for r in over[q]] == [(r.path, r.name) for r in got], q
        assert [r.score for r in over[q]] == pytest.approx([r.score for r in got], abs=0.08), q
        assert over[q][0].score == pytest.approx(got[0].score, abs=0.02), q
    fresh.close()


def test_readers_use_the_newest_index_in_their_history(repo, pg_vault_url):
    a = git(repo, "rev-parse", "HEAD")
    index(repo, pg_vault_url).close()
    (repo / "app/core.py").write_text(CORE_V2)
    b = commit(repo, "rename")
    writer = index(repo, pg_vault_url)
    # Seeded from a's index: only the changed file was read again.
    assert writer.store.commit == b
    writer.close()
    v = reader(repo, pg_vault_url)
    assert v.store.base_commit == b and v.overlay is not None and v.overlay.overlaid() == set()
    v.close()
    # A branch from a does not have b: its reader uses a's index, the overlay covers the rest.
    git(repo, "checkout", "-q", "-b", "other", a)
    (repo / "app/branch_only.py").write_text("def only_on_the_branch():\n    pass\n")
    commit(repo, "branch work")
    v = reader(repo, pg_vault_url)
    assert v.store.base_commit == a and v.overlay is not None and v.overlay.overlaid() == {"app/branch_only.py"}
    assert v.symbols("parse_invoice") and v.symbols("read_invoice_lines") == []
    v.close()


def test_an_index_of_a_new_commit_reads_only_what_changed(repo, pg_vault_url):
    first = Vault.open(repo, settings_for(pg_vault_url), index_writer=True)
    report = asyncio.run(first.index())
    assert report.changed == 6 and report.embedded > 0
    first.close()
    (repo / "app/core.py").write_text(CORE_V2)
    commit(repo, "rename")
    second = Vault.open(repo, settings_for(pg_vault_url), index_writer=True)
    report = asyncio.run(second.index())
    # Seeded from the first commit's index: one file chunked again, one chunk embedded.
    assert (report.changed, report.embedded, report.files) == (1, 1, 6)
    second.close()


def test_old_commits_indexes_are_pruned(repo, pg_vault_url):
    import psycopg

    commits = [git(repo, "rev-parse", "HEAD")]
    index(repo, pg_vault_url, keep=2).close()
    for i in range(2):
        (repo / f"app/step{i}.py").write_text(f"def step_{i}():\n    pass\n")
        commits.append(commit(repo, f"step {i}"))
        index(repo, pg_vault_url, keep=2).close()
    with psycopg.connect(pg_vault_url) as conn:
        kept = [r[0] for r in conn.execute(f"SELECT commit FROM {schema_name('repo')}.indexes ORDER BY updated")]
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mcix_%'")}
    assert kept == commits[1:]
    assert schemas == {index_schema_name("repo", c) for c in commits[1:]} | {empty_schema_name("repo")}


def test_a_reader_whose_index_is_pruned_chooses_again(repo, pg_vault_url):
    index(repo, pg_vault_url, keep=1).close()
    v = reader(repo, pg_vault_url)
    (repo / "app/later.py").write_text("def added_later():\n    pass\n")
    later = commit(repo, "later")
    index(repo, pg_vault_url, keep=1).close()  # drops the index v reads
    assert v.symbols("added_later")  # from the newer index, chosen again
    assert v.store.base_commit == later
    v.close()


def test_a_version_1_vault_migrates_to_commit_indexes(repo, pg_vault_url):
    import psycopg

    schema = schema_name("repo")
    with psycopg.connect(pg_vault_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}, public")
        conn.execute("CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                     "applied DOUBLE PRECISION NOT NULL)")
        for statement in (s.strip() for s in MIGRATIONS[0][2].split(";")):
            if statement:
                conn.execute(statement)
        conn.execute("INSERT INTO migrations VALUES (1, 'initial schema', 0)")
        conn.execute("INSERT INTO files VALUES ('old.py', 0, 0, 'x')")
        conn.execute("INSERT INTO features (user_id, id, seq, title, status, created) "
                     "VALUES ('dev', 'A001', 1, 'kept across the migration', 'open', 0)")
    v = index(repo, pg_vault_url)
    assert v.store.query("SELECT MAX(version) FROM migrations")[0][0] == SCHEMA_VERSION == 3
    assert "old.py" not in v.store.files() and v.stats()["files"] == 6
    assert [f.title for f in v.session.features()] == ["kept across the migration"]
    v.close()


def test_a_version_2_vault_migrates_its_commit_indexes(repo, pg_vault_url):
    """Version 3 puts each chunk's length in its postings and keeps the corpus figures in a
    row: a version 2 vault's commit indexes are changed in place, their scores unchanged."""
    import psycopg

    v = index(repo, pg_vault_url)
    terms = lexical.query_terms("compute the cart total")
    before = v.store.lexical_search(terms, 10, lexical.FIELD_WEIGHTS)
    v.close()
    schema = schema_name("repo")
    with psycopg.connect(pg_vault_url, autocommit=True) as conn:  # back to version 2's tables
        for ix in [r[0] for r in conn.execute(f"SELECT schema FROM {schema}.indexes")] + [empty_schema_name("repo")]:
            conn.execute(f"DROP TABLE {ix}.lexical_stats")
            conn.execute(f"ALTER TABLE {ix}.lexical_terms DROP CONSTRAINT lexical_terms_pkey, "
                         "ADD PRIMARY KEY (term, chunk_id)")
            conn.execute(f"ALTER TABLE {ix}.lexical_terms DROP COLUMN len")
        conn.execute(f"DELETE FROM {schema}.migrations WHERE version = 3")
    again = reader(repo, pg_vault_url)
    assert again.store.query("SELECT MAX(version) FROM migrations")[0][0] == SCHEMA_VERSION == 3
    after = again.store.lexical_search(terms, 10, lexical.FIELD_WEIGHTS)
    assert [c for c, _ in after] == [c for c, _ in before] and before
    assert [x for _, x in after] == pytest.approx([x for _, x in before], rel=1e-9)
    assert again.store.query("SELECT COUNT(*) FROM lexical_terms WHERE len = 0")[0][0] == 0
    again.close()
    (repo / "app/extra.py").write_text("def cart_total_again(cart):\n    return sum(cart)\n")
    commit(repo, "extra")
    newer = index(repo, pg_vault_url)  # seeded from the upgraded index
    assert newer.store.lexical_stats()[0] == newer.store.query("SELECT COUNT(*) FROM lexical_docs")[0][0]
    newer.close()


def test_without_git_the_newest_index_is_read(workspace, pg_vault_url):
    index(workspace, pg_vault_url).close()
    v = reader(workspace, pg_vault_url)
    assert v.store.base_commit == "worktree" and v.overlay is not None and v.overlay.overlaid() == set()
    assert names(v, "send the request again", 1) == [("app/http.py", "HttpClient.retry_request")]
    v.close()


def test_the_repositorys_git_config_runs_no_program(repo, tmp_path):
    """``core.fsmonitor`` names a program git status runs: an opened repository must not run one."""
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 1\n")
    hook.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(hook))
    (repo / "app/core.py").write_text(CORE_V2)
    base = git(repo, "rev-parse", "HEAD")
    changes = changed_paths(repo, base)
    assert changes is not None and changes.paths == ["app/core.py"]
    assert head_commit(repo) == base and is_ancestor(repo, base, base)
    assert not marker.exists()
    # An odd commit key from the database is never handed to git as an option.
    assert not is_ancestor(repo, "--output=/tmp/x", base)
    assert changed_paths(repo, "--output=/tmp/x") == changes
