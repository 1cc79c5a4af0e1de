"""The untrusted-repository suite, file system part: the real server opens a
hostile workspace (planted links where the vault writes), a stray file with
no workspace at all, and a directory that is no project. Nothing outside may
change, the vault stays small, and diagnostics keep coming.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from mycoder_lsp.memory.vault import STRAY_FILE_LIMIT
from tests.e2e.lsp_session import capabilities_for, lsp_session, open_document, server_env, wait_for_diagnostics
from tests.e2e.test_vault import command, wait_index_end

PRECIOUS = b"the user's own file\n"
BROKEN = "def f(:\n    pass\n"


async def warning(client: LanguageClient, contains: str, timeout: float = 15.0) -> str:
    """The first window/showMessage warning that says ``contains`` (already shown, or the next)."""

    async def wait() -> str:
        while True:
            for m in client.messages:
                if m.type == types.MessageType.Warning and contains in m.message:
                    return m.message
            await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)

    return await asyncio.wait_for(wait(), timeout)


async def diagnostics_still_work(client: LanguageClient, root: Path) -> None:
    uri = open_document(client, root / "broken.py", BROKEN)
    diags = await wait_for_diagnostics(client, uri, until=bool)
    assert any(d.severity == types.DiagnosticSeverity.Error for d in diags)


@pytest.mark.parametrize("planted", [".mycoder", ".mycoder/.gitignore.tmp", ".mycoder/vault.db",
                                     ".mycoder/index.lock"])
async def test_a_hostile_workspace_changes_nothing_outside(tmp_path, planted):
    root = tmp_path / "ws"
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text("def main():\n    return 0\n")
    outside_dir = tmp_path / "outside"
    outside_dir.mkdir()
    outside_dir.chmod(0o755)
    target = outside_dir / "precious.txt"
    target.write_bytes(PRECIOUS)
    target.chmod(0o644)
    link = root / planted
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(outside_dir if planted == ".mycoder" else target)

    async with lsp_session(root, profile="vscode-1.65") as client:
        shown = await warning(client, "is not used")
        assert "symbolic link" in shown and "keeps working" in shown
        await diagnostics_still_work(client, root)
        answer = await command(client, "mycoder.search", {"query": "main"})
        assert "symbolic link" in answer["error"]
    # Told once unasked (a command that needs the vault answers with the reason too).
    assert [m.message for m in client.messages if m.type == types.MessageType.Warning].count(shown) == 1
    assert target.read_bytes() == PRECIOUS and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(os.listdir(outside_dir)) == ["precious.txt"]
    assert stat.S_IMODE(outside_dir.stat().st_mode) == 0o755
    assert link.is_symlink()


@contextlib.asynccontextmanager
async def session_without_root(home: Path) -> AsyncIterator[LanguageClient]:
    """What an editor sends for a file opened on its own: no rootUri, no workspace folders."""
    home.mkdir(parents=True, exist_ok=True)
    client = await ClientServerConfig(server_command=[sys.executable, "-m", "mycoder_lsp", "--stdio"],
                                      server_env=server_env(home)).start()
    await client.initialize_session(types.InitializeParams(capabilities=capabilities_for("vscode-1.65")))
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), timeout=10)
        await client.stop()


def stray_home(home: Path, n: int) -> None:
    """A home directory: a script next to a lot of other people's files."""
    # Not under a dot-directory (~/.local): the workspace walk never enters those.
    notes = home / "Documents" / "notes"
    notes.mkdir(parents=True)
    for i in range(n):
        (notes / f"n{i:04}.md").write_text(f"# note {i}\n")
    (home / "broken.py").write_text(BROKEN)


async def test_a_stray_file_without_a_workspace_indexes_nothing(tmp_path):
    home = tmp_path / "home"
    stray_home(home, STRAY_FILE_LIMIT + 100)
    async with session_without_root(home) as client:
        await diagnostics_still_work(client, home)
        answer = await command(client, "mycoder.index")
        assert "needs a workspace folder" in answer["error"]
    assert not (home / ".mycoder").exists()


async def test_a_directory_that_is_no_project_gets_a_capped_vault(tmp_path):
    home = tmp_path / "home"
    stray_home(home, STRAY_FILE_LIMIT + 100)
    async with lsp_session(home, profile="vscode-1.65", home=tmp_path / "user") as client:
        reports = await wait_index_end(client, timeout=60)
        assert f"{STRAY_FILE_LIMIT} files" in reports[-1].message
        shown = await warning(client, "is not a project")
        assert f"first {STRAY_FILE_LIMIT} files" in shown and ".git" in shown
        await diagnostics_still_work(client, home)
        again = await command(client, "mycoder.index")
        assert again["files"] == STRAY_FILE_LIMIT
    assert sum("is not a project" in m.message for m in client.messages) == 1  # shown once, not per index


# Modules the server imports after it starts; a repository's file of the same name must not be run.
SHADOWS = ("numbers", "json", "decimal", "fractions", "sqlite3", "httpx", "numpy")


async def test_a_repositorys_module_named_like_a_library_is_not_run(tmp_path):
    """An editor runs ``python -m mycoder_lsp`` in the workspace (VS Code's
    ``mycoder.server.python``), and ``-m`` puts that directory first on
    ``sys.path``: a repository's ``numbers.py`` would replace the standard
    library's inside the server and run there."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".git").mkdir()
    ran = tmp_path / "ran"
    for name in SHADOWS:
        (root / f"{name}.py").write_text(
            f"import pathlib\npathlib.Path({str(ran)!r}).write_text({name!r})\nraise SystemExit(3)\n")
    async with lsp_session(root, cwd=root) as client:
        uri = open_document(client, root / "app.py", BROKEN)
        diagnostics = await wait_for_diagnostics(client, uri, timeout=30)
        assert any(d.code == "MC101" for d in diagnostics), diagnostics
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="mycoder.search", arguments=[{"query": "f"}]))
        assert result is not None
    assert not ran.exists(), f"the repository's {ran.read_text()}.py ran in the server"
