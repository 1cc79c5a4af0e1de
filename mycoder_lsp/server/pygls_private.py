"""The pygls internals the server relies on, in one place.

pygls keeps some things private that a robust server needs: the future of
the request being handled (to notice ``$/cancelRequest``), sending a raw
response or message (to answer what pygls cannot: a request whose params
do not parse, a ``null`` id), whether ``shutdown`` was received, its error
reporter, the workspace it made at ``initialize`` and the sync kind on it.
Every other module reaches them through these functions, so a pygls upgrade
breaks here, by name, and ``tests/unit/server/test_pygls_private.py``
(pinned to the version below) says what moved.

Must not grow behaviour: each function is one access.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import Workspace

# The pygls release these accesses were checked against (major.minor).
PYGLS_CHECKED = "2.1"


def request_future(protocol: LanguageServerProtocol, request_id: Any) -> Any:
    """pygls' future for an incoming request; None once a ``$/cancelRequest``
    dropped it (or it was answered)."""
    return protocol._request_futures.get(request_id)


def send_response(protocol: LanguageServerProtocol, msg_id: Any, *, error: types.ResponseError) -> None:
    """An error response to request ``msg_id``, sent outside pygls' handler flow."""
    protocol._send_response(msg_id, error=error)


def send_raw(protocol: LanguageServerProtocol, message: dict[str, Any]) -> None:
    """A JSON-RPC message exactly as given (lsprotocol would drop ``"id": null``)."""
    protocol._send_data(message)


def shutdown_received(protocol: LanguageServerProtocol) -> bool:
    return bool(protocol._shutdown)


def report_server_error(protocol: LanguageServerProtocol, error: Exception, source: Any) -> None:
    """pygls' own error path (which calls the server's ``report_server_error``)."""
    protocol._server._report_server_error(error, source)


def replace_workspace(protocol: LanguageServerProtocol, workspace: Workspace) -> None:
    """Install ``workspace`` as the one pygls hands to every handler."""
    protocol._workspace = workspace


def sync_kind(workspace: Workspace) -> types.TextDocumentSyncKind:
    return workspace._sync_kind
