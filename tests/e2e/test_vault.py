"""The vault end to end: the real server process, a real LSP client (pytest-lsp)."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from lsprotocol import types

from tests.e2e.lsp_session import lsp_session, open_document

FILES = {
    "app/config.py": 'def load_settings(path):\n    """Read the settings file."""\n    return {}\n',
    "app/http.py": (
        "class HttpClient:\n"
        "    def retry_request(self, request, attempts=3):\n"
        '        """Send a request again when the connection drops."""\n'
        "        return request\n"
    ),
    "web/cart.ts": "export function computeCartTotal(items: number[]): number {\n  return 0;\n}\n",
}


def write_workspace(tmp_path):
    """FILES under ``tmp_path/ws``: a small workspace in three languages."""
    root = tmp_path / "ws"
    for rel, text in FILES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


@pytest.fixture
def root(tmp_path):
    return write_workspace(tmp_path)


# The same flows on the embedded SQLite vault and on a shared PostgreSQL one.
both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgres"])


@pytest.fixture
def vault_init(backend: str, request: pytest.FixtureRequest) -> dict | None:
    """initializationOptions choosing the backend (the editor's settings are the user's own)."""
    if backend == "sqlite":
        return None
    # This server is the shared index's writer, as a developer's server may be (vault.index_shared).
    return {"vault": {"url": request.getfixturevalue("pg_vault_url"), "indexShared": True}}


async def wait_index_end(client, timeout: float = 30.0) -> list:
    """Wait until an indexing progress ends; return its reports."""

    async def wait():
        while True:
            for token, reports in client.progress_reports.items():
                if str(token).startswith("mycoder-index-") and reports and isinstance(
                        reports[-1], types.WorkDoneProgressEnd):
                    return reports
            await client.wait_for_notification(types.PROGRESS)

    return await asyncio.wait_for(wait(), timeout)


async def command(client, name: str, *args):
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=list(args)))


async def symbols(client, query: str):
    return await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query)) or []


async def until(predicate, timeout: float = 15.0):
    """Poll a request until its answer satisfies ``predicate`` (re-indexing sends no notification)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


@both_backends
async def test_index_on_initialize_with_progress_search_and_symbols(root, vault_init, backend):
    async with lsp_session(root, profile="vscode", initialization_options=vault_init) as client:
        reports = await wait_index_end(client)
        assert isinstance(reports[0], types.WorkDoneProgressBegin) and "indexing" in reports[0].title
        assert "3 files" in reports[-1].message
        found = await symbols(client, "retry")
        assert [(s.name, s.kind, s.container_name) for s in found] == [
            ("retry_request", types.SymbolKind.Method, "HttpClient")]
        assert found[0].location.uri == (root / "app/http.py").as_uri()
        assert found[0].location.range.start.line == 1

        results = await command(client, "mycoder.search", {"query": "send the request again", "k": 2})
        assert len(results) == 2
        top = results[0]
        assert (top["path"], top["name"], top["kind"], top["start_line"], top["end_line"]) == (
            "app/http.py", "HttpClient.retry_request", "method", 2, 4)
        assert top["uri"] == (root / "app/http.py").as_uri() and isinstance(top["score"], float)

        summary = await command(client, "mycoder.index")
        assert summary["files"] == 3 and summary["chunks"] >= 4 and summary["seconds"] >= 0

        bad = await command(client, "mycoder.search", {"k": 3})
        assert "needs a query" in bad["error"]
        assert any("needs a query" in m.message for m in client.messages)

        # include / exclude, as the CLI's --include / --exclude.
        everywhere = await command(client, "mycoder.search", {"query": "total", "k": 10})
        assert {r["path"] for r in everywhere} >= {"web/cart.ts", "app/http.py"}
        only_web = await command(client, "mycoder.search", {"query": "total", "k": 10, "include": ["web"]})
        assert only_web and {r["path"] for r in only_web} == {"web/cart.ts"}
        no_ts = await command(client, "mycoder.search", {"query": "total", "k": 10, "exclude": ["*.ts"]})
        assert no_ts and all(not r["path"].endswith(".ts") for r in no_ts)
        letters = await command(client, "mycoder.search", {"query": "total", "include": "web"})
        assert "include" in letters["error"] and "list of strings" in letters["error"]
    # A shared vault writes nothing into the workspace.
    assert (root / ".mycoder" / "vault.db").exists() == (backend == "sqlite")


@both_backends
async def test_reindex_on_save_delete_and_rename(root, vault_init):
    async with lsp_session(root, profile="neovim-0.10", initialization_options=vault_init) as client:
        await wait_index_end(client)
        path = root / "app/config.py"
        text = path.read_text() + "\n\ndef freshly_saved_function():\n    return 1\n"
        path.write_text(text)
        uri = open_document(client, path, text)
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await until(lambda: symbols(client, "freshly_saved"))

        # Rename (file operation): the old path leaves, the new one is indexed.
        new = root / "web/cart2.ts"
        shutil.move(root / "web/cart.ts", new)
        client.workspace_did_rename_files(types.RenameFilesParams(
            files=[types.FileRename(old_uri=(root / "web/cart.ts").as_uri(), new_uri=new.as_uri())]))

        async def moved():
            found = await symbols(client, "computeCartTotal")
            return found and all(s.location.uri == new.as_uri() for s in found)

        await until(moved)

        # Delete (file operation) and a watched-file deletion.
        (root / "app/http.py").unlink()
        client.workspace_did_delete_files(types.DeleteFilesParams(
            files=[types.FileDelete(uri=(root / "app/http.py").as_uri())]))

        async def gone():
            return not await symbols(client, "retry_request")

        await until(gone)
        path.unlink()
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Deleted)]))

        async def config_gone():
            return not await symbols(client, "load_settings")

        await until(config_gone)


@both_backends
async def test_feature_commands_restart_and_recall(root, tmp_path, vault_init):
    home = tmp_path / "home"
    async with lsp_session(root, profile="vscode", home=home, initialization_options=vault_init) as client:
        await wait_index_end(client)
        a = await command(client, "mycoder.feature.create", {"title": "Retry with backoff"})
        b = await command(client, "mycoder.feature.create", {"title": "Cache settings"})
        assert (a["id"], a["status"], b["id"]) == ("A001", "open", "A002")
        locked = await command(client, "mycoder.feature.lock", {"id": "A002"})
        assert locked["status"] == "locked"
        listing = await command(client, "mycoder.feature.list")
        assert listing["current_feature_id"] == "A002"
        assert [(f["id"], f["title"], f["status"]) for f in listing["features"]] == [
            ("A001", "Retry with backoff", "open"), ("A002", "Cache settings", "locked")]
        missing = await command(client, "mycoder.feature.lock", {"id": "A404"})
        assert "no feature" in missing["error"]
        empty = await command(client, "mycoder.feature.create", {"title": ""})
        assert "needs a title" in empty["error"]

    # Restart: the vault opens, nothing changed is re-embedded, and everything is recalled.
    async with lsp_session(root, profile="vscode", home=home, initialization_options=vault_init) as client:
        reports = await wait_index_end(client)
        assert "3 files" in reports[-1].message and "embedded" not in reports[-1].message
        listing = await command(client, "mycoder.feature.list")
        assert listing["current_feature_id"] == "A002"
        assert [f["id"] for f in listing["features"]] == ["A001", "A002"]
        results = await command(client, "mycoder.search", {"query": "compute cart total"})
        assert results[0]["name"] == "computeCartTotal"
        unlocked = await command(client, "mycoder.feature.unlock", {"id": "A002"})
        assert unlocked["status"] == "open"
        assert (await command(client, "mycoder.feature.list"))["current_feature_id"] is None


async def test_an_unusable_database_is_one_warning_and_the_server_works_on(root):
    options = {"vault": {"url": "postgresql://me@db.example.com/team"}}
    async with lsp_session(root, profile="vscode", initialization_options=options) as client:
        results = await until(lambda: command(client, "mycoder.search", {"query": "load settings"}))
        assert "error" in results and "vault.allowed_hosts" in results["error"]
        warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
        assert sum("db.example.com" in m for m in warnings) == 1
    assert not (root / ".mycoder").exists()


async def test_corrupt_vault_is_rebuilt_and_the_user_told(root):
    vault_dir = root / ".mycoder"
    vault_dir.mkdir()
    (vault_dir / "vault.db").write_bytes(b"not a database at all" * 500)
    async with lsp_session(root, profile="neovim") as client:
        # Neovim 0.7 has no work-done progress: wait for the answer instead.
        results = await until(lambda: command(client, "mycoder.search", {"query": "load settings"}))
        assert results[0]["name"] == "load_settings"
        warnings = [m.message for m in client.messages if m.type == types.MessageType.Warning]
        assert any("could not be used" in m and "rebuilt" in m for m in warnings)
    assert list(vault_dir.glob("vault.db.broken-*"))


async def test_file_watching_is_registered_and_followed(root, tmp_path):
    """VS Code can watch files for the server: it is asked to (dynamic
    registration for **/*), and a created file reported that way is indexed."""
    import sys

    from pytest_lsp import ClientServerConfig, client_capabilities

    from tests.e2e.lsp_session import server_env

    registered: asyncio.Queue = asyncio.Queue()
    config = ClientServerConfig(server_command=[sys.executable, "-m", "mycoder_lsp", "--stdio"],
                                server_env=server_env(tmp_path / "home-watch"))
    (tmp_path / "home-watch").mkdir()
    client = await config.start()

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        for registration in params.registrations:
            registered.put_nowait(registration)

    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual_studio_code"), root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
        registration = await asyncio.wait_for(registered.get(), 15)
        assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        watchers = registration.register_options["watchers"]
        assert [w["globPattern"] for w in watchers] == ["**/*"]
        await wait_index_end(client)

        created = root / "app/new_module.py"
        created.write_text("def created_outside_the_editor():\n    return 1\n")
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=created.as_uri(), type=types.FileChangeType.Created)]))
        await until(lambda: symbols(client, "created_outside"))
    finally:
        await asyncio.wait_for(client.shutdown_session(), 10)
        await client.stop()
