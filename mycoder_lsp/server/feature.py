"""The base of every server feature: hooks the dispatcher calls.

A feature overrides only the hooks it needs. Hooks are ``async`` and must not
block: CPU work goes through ``server.run_in_thread``, long work through
``server.spawn``. Exceptions are caught by the dispatcher, logged, and never
reach the other features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lsprotocol.types import InitializeParams

    from mycoder_lsp.brains.context import AcceptedEdit
    from mycoder_lsp.server.app import MyCoderServer


class Feature:
    def __init__(self, server: MyCoderServer) -> None:
        self.server = server

    def client_known(self, params: InitializeParams) -> None:
        """During ``initialize``: the client's capabilities are known and
        handlers registered here still make it into the server's capabilities."""

    async def initialized(self) -> None:
        """The client is ready; settings are loaded."""

    async def settings_changed(self) -> None:
        """``server.settings`` was rebuilt."""

    async def document_opened(self, uri: str) -> None: ...

    async def document_changed(self, uri: str) -> None: ...

    async def document_saved(self, uri: str) -> None: ...

    async def document_closed(self, uri: str) -> None: ...

    async def edit_applied(self, edit: AcceptedEdit) -> None:
        """A generated edit landed in a document (``workspace/applyEdit`` ok)."""

    async def shutdown(self) -> None: ...
