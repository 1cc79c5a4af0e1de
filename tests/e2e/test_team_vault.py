"""A team's shared vault end to end: the real server as a reader of an index CI wrote.

The shared index (PostgreSQL + pgvector, tests/support/postgres.py) is written by
``mycoder-lsp index --vault URL`` at a commit; the developer's server only reads it,
and what the developer has changed (an unsaved buffer here) wins over it, from a local
overlay that never reaches the database.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from tests.e2e.lsp_session import lsp_session, open_document
from tests.e2e.test_vault import command, symbols, until, wait_index_end

pytest.importorskip("psycopg")

CORE_V1 = '''def parse_invoice(text):
    """Split an invoice into its lines."""
    return text.splitlines()
'''
CORE_V2 = CORE_V1.replace("parse_invoice", "read_invoice_lines")
FILES = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "app/core.py": CORE_V1,
    "app/http.py": "def retry_request(request):\n    \"\"\"Send a request again.\"\"\"\n    return request\n",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True,
                   capture_output=True, timeout=30)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


def shared_names(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        schemas = [r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mcix_%'")]
        return {r[0] for s in schemas for r in conn.execute(f"SELECT name FROM {s}.chunks")}


async def search(client, query: str) -> list[dict]:
    return await command(client, "mycoder.search", {"query": query, "k": 5})


async def test_an_unsaved_rename_wins_over_the_shared_index(repo, pg_vault_url):
    # The team's indexer (CI) writes the shared index of this commit.
    done = subprocess.run([sys.executable, "-m", "mycoder_lsp", "index", "--root", str(repo), "--vault", pg_vault_url,
                           "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "parse_invoice" in shared_names(pg_vault_url)

    # The developer's server reads it (vault.index_shared stays off).
    async with lsp_session(repo, profile="vscode", initialization_options={"vault": {"url": pg_vault_url}}) as client:
        await wait_index_end(client)
        assert (await search(client, "parse invoice"))[0]["name"] == "parse_invoice"

        path = repo / "app/core.py"
        uri = open_document(client, path, CORE_V1)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=CORE_V2)]))

        async def renamed():
            found = await search(client, "read invoice lines")
            return found if found and found[0]["name"] == "read_invoice_lines" else None

        found = await until(renamed)
        assert found[0]["path"] == "app/core.py" and found[0]["uri"] == uri
        # The stale shared chunk of that path is not returned, by search or by workspace/symbol.
        assert all(r["name"] != "parse_invoice" for r in found)
        assert all(r["name"] != "parse_invoice" for r in await search(client, "parse invoice"))
        assert await symbols(client, "parse_invoice") == []
        assert [s.name for s in await symbols(client, "read_invoice")] == ["read_invoice_lines"]
        # The other files still come from the shared index.
        assert (await search(client, "send a request again"))[0]["name"] == "retry_request"
        # The buffer never went to the database.
        assert "read_invoice_lines" not in shared_names(pg_vault_url)

        # Closed without saving: the file on disk, which is the shared version, counts again.
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

        async def back():
            return [s.name for s in await symbols(client, "parse_invoice")] == ["parse_invoice"]

        await until(back)
        assert await symbols(client, "read_invoice") == []


async def test_a_checkout_ahead_of_the_shared_index_searches_its_own_commits(repo, pg_vault_url):
    done = subprocess.run([sys.executable, "-m", "mycoder_lsp", "index", "--root", str(repo), "--vault", pg_vault_url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # A commit the shared index has not seen, and an untracked file.
    (repo / "app/core.py").write_text(CORE_V2)
    git(repo, "commit", "-q", "-am", "rename")
    (repo / "app/draft.py").write_text("def draft_discount_rules():\n    pass\n")
    async with lsp_session(repo, profile="neovim-0.10", initialization_options={"vault": {"url": pg_vault_url}}) as c:
        await wait_index_end(c)
        assert (await search(c, "read invoice lines"))[0]["name"] == "read_invoice_lines"
        assert await symbols(c, "parse_invoice") == []
        assert [s.name for s in await symbols(c, "draft_discount")] == ["draft_discount_rules"]
    assert {"read_invoice_lines", "draft_discount_rules"}.isdisjoint(shared_names(pg_vault_url))
