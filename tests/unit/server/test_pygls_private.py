"""The pygls internals mycoder_lsp.server.pygls_private reaches, checked
against the installed pygls: an upgrade that moves one fails here, by name,
before any end-to-end test fails for a reason that is hard to see."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from importlib.metadata import version

import pytest
from lsprotocol import types
from pygls.workspace import Workspace

from mycoder_lsp.server import pygls_private
from mycoder_lsp.server.app import create_server


class Captured:
    """A writer that keeps what the protocol sends."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.sent.append(data)

    def close(self) -> None: ...


def test_pinned_to_the_pygls_release_it_was_checked_against() -> None:
    # Bump PYGLS_CHECKED (and re-read pygls_private.py against the new pygls) on an upgrade.
    assert version("pygls").startswith(pygls_private.PYGLS_CHECKED + "."), version("pygls")


def test_every_private_member_is_where_pygls_keeps_it(caplog: pytest.LogCaptureFixture) -> None:
    server = create_server()
    protocol = server.protocol
    writer = Captured()
    protocol.set_writer(writer)  # type: ignore[arg-type]

    assert pygls_private.request_future(protocol, 7) is None
    future: Future[None] = Future()
    protocol._request_futures[7] = future
    assert pygls_private.request_future(protocol, 7) is future

    assert pygls_private.shutdown_received(protocol) is False
    protocol._shutdown = True
    assert pygls_private.shutdown_received(protocol) is True

    pygls_private.send_raw(protocol, {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "x"}})
    pygls_private.send_response(protocol, 3, error=types.ResponseError(code=-32602, message="bad params"))
    sent = b"".join(writer.sent)
    assert b'"id": null' in sent or b'"id":null' in sent
    assert b"bad params" in sent

    workspace = Workspace(None, types.TextDocumentSyncKind.Incremental)
    assert pygls_private.sync_kind(workspace) == types.TextDocumentSyncKind.Incremental
    pygls_private.replace_workspace(protocol, workspace)
    assert server.workspace is workspace

    # pygls' reporter hands the error to ours (MyCoderServer.report_server_error), which logs it.
    with caplog.at_level(logging.ERROR, logger="mycoder_lsp.server.app"):
        pygls_private.report_server_error(protocol, ValueError("boom"), RuntimeError)
    assert "server error (RuntimeError): boom" in caplog.text
