"""End-to-end helpers for the brain features: a client that behaves like an
editor (applies ``workspace/applyEdit`` to its copy of the document and sends
``didChange``), and settings pointing every brain at the scripted server."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

CODING = "codellama:7b"
REASONING = "llama3.2:3b-instruct-q8_0"
ORGANIZER = "llama3.2:1b-instruct-q4_K_M"


def brains_options(url: str, **extra: Any) -> dict[str, Any]:
    """initializationOptions sending every brain to ``url``."""
    brains: dict[str, Any] = {name: {"url": url} for name in ("organizer", "coding", "reasoning")}
    for key, value in extra.pop("brains", {}).items():
        if isinstance(value, dict):
            brains.setdefault(key, {}).update(value)
        else:
            brains[key] = value
    return {"brains": brains, **extra}


def apply_text_edits(text: str, edits: list[types.TextEdit | types.AnnotatedTextEdit]) -> str:
    """Apply LSP edits (ASCII test documents: UTF-16 units are code points)."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        return sum(len(line) + 1 for line in lines[:pos.line]) + pos.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


@dataclass
class Editor:
    """One open document in the fake editor, kept in sync with the server."""

    client: LanguageClient
    uri: str
    text: str
    version: int = 1
    language_id: str = "python"
    applied: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    accept: bool = True

    def open(self) -> Editor:
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=self.uri, language_id=self.language_id, version=self.version,
                                                 text=self.text)))
        return self

    def change(self, text: str) -> None:
        self.version += 1
        self.text = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def on_apply(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        self.applied.append(params)
        if not self.accept:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="the user said no")
        edits: list[types.TextEdit | types.AnnotatedTextEdit] = []
        for change in params.edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            assert change.text_document.uri == self.uri
            if change.text_document.version is not None and change.text_document.version != self.version:
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason="version mismatch")
            # An edit annotated needsConfirmation: this editor's user confirms it.
            edits.extend(e for e in change.edits if isinstance(e, (types.TextEdit, types.AnnotatedTextEdit)))
        for uri, uri_edits in (params.edit.changes or {}).items():
            assert uri == self.uri
            edits.extend(uri_edits)
        self.change(apply_text_edits(self.text, edits))
        return types.ApplyWorkspaceEditResult(applied=True)


_ids = itertools.count(1)


def attach(client: LanguageClient, editor: Editor) -> None:
    """Route the server's applyEdit requests to ``editor``."""

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        return editor.on_apply(params)


async def command(client: LanguageClient, name: str, argument: dict[str, Any] | None = None, *,
                  timeout: float = 20.0, msg_id: str | None = None) -> Any:
    params = types.ExecuteCommandParams(command=name, arguments=[argument] if argument is not None else None)
    future = client.protocol.send_request_async(types.WORKSPACE_EXECUTE_COMMAND, params,
                                                msg_id=msg_id or f"cmd-{next(_ids)}")
    return await asyncio.wait_for(future, timeout)


def progress_token(client: LanguageClient, title: str) -> Any:
    """The progress token whose begin title starts with ``title``."""
    for token, values in client.progress_reports.items():
        if values and isinstance(values[0], types.WorkDoneProgressBegin) and values[0].title.startswith(title):
            return token
    return None


def pos(line: int, character: int = 0) -> dict[str, int]:
    return {"line": line, "character": character}


def messages(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages]


async def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll a condition fed by the server's notifications (no fixed sleeps)."""
    async def loop() -> None:
        while not predicate():
            await asyncio.sleep(interval)

    await asyncio.wait_for(loop(), timeout)
