"""Start the real server process and talk LSP to it through pytest-lsp.

``lsp_session`` is an async context manager used by every end-to-end test:
it starts ``python -m mycoder_lsp`` in a private environment (its own
``XDG_CONFIG_HOME`` so the developer's config never leaks in), initializes it
with a capability profile of a real editor, and shuts it down cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

PROFILES = {
    "neovim": "neovim@v0.7.0",
    "neovim-0.10": "neovim@v0.10.0",
    "neovim-0.11": "neovim@v0.11.0",
    "vscode-1.65": "visual_studio_code",
}


def capabilities_for(profile: str) -> types.ClientCapabilities:
    """A recorded editor profile; ``vscode`` is VS Code 1.65 (pytest-lsp's
    recording) plus what current VS Code adds: pull diagnostics with refresh."""
    if profile != "vscode":
        return client_capabilities(PROFILES.get(profile, profile))
    caps = client_capabilities("visual_studio_code")
    caps.text_document.diagnostic = types.DiagnosticClientCapabilities(
        dynamic_registration=True, related_document_support=False
    )
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


def server_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(home / "xdg-config")
    env["HOME"] = str(home)
    env.pop("PYTHONPATH", None)
    env.update(extra or {})
    return env


@contextlib.asynccontextmanager
async def lsp_session(
    root: Path,
    *,
    profile: str = "neovim",
    initialization_options: Any = None,
    configuration: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    home: Path | None = None,
    capabilities: types.ClientCapabilities | None = None,
    cwd: Path | None = None,
) -> AsyncIterator[LanguageClient]:
    """``configuration`` is what the client answers to workspace/configuration
    (section ``mycoder``); ``None`` answers nothing. ``capabilities``
    replaces the profile's (e.g. a profile plus ``experimental``). ``cwd``
    starts the server in that directory, as an editor starts it in the
    workspace (pytest-lsp has no option for it: a shell changes directory)."""
    home = home or root.parent / f"{root.name}-home"
    home.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "mycoder_lsp", "--stdio"]
    if cwd is not None:
        command = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', str(cwd), *command]
    config = ClientServerConfig(
        server_command=command,
        server_env=server_env(home, env),
    )
    client = await config.start()
    if configuration is not None:
        client.set_configuration(configuration, section="mycoder")
    capabilities = capabilities or capabilities_for(profile)
    # Kept on the client for tests that check what the server announced.
    client.initialize_result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=initialization_options,
        )
    )
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), timeout=10)
        await client.stop()


def open_document(client: LanguageClient, path: Path, text: str, language_id: str = "python", version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=version, text=text)
        )
    )
    return uri


async def wait_for_diagnostics(client: LanguageClient, uri: str, *, version: int | None = None,
                               until: Callable[[list[types.Diagnostic]], bool] | None = None,
                               timeout: float = 15.0) -> list[types.Diagnostic]:
    """Wait for a publishDiagnostics for ``uri`` (and ``version``, if given;
    and one that satisfies ``until``, if given: an earlier publish may still
    be in flight when a test changes something)."""

    async def wait() -> list[types.Diagnostic]:
        while True:
            params: types.PublishDiagnosticsParams = await client.wait_for_notification(
                types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
            )
            if params.uri == uri and (version is None or params.version == version):
                diagnostics = list(params.diagnostics)
                if until is None or until(diagnostics):
                    return diagnostics

    return await asyncio.wait_for(wait(), timeout)
