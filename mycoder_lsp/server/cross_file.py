"""An edit's consequences for other files, in the editor.

The orchestrator finds them (:mod:`mycoder_lsp.brains.consequences`): edits
of the files that use a renamed symbol (``Edit.related``) and warnings about
uses no edit can fix (``Result.warnings``). Here they meet LSP: the related
edits join the edit's ``WorkspaceEdit`` (an open document with its version,
a closed file with ``version: null``); warnings are a
``window/showMessageRequest`` that must be answered "Apply" before anything
is sent (no answer is a no); and once the edit is in, the files that use
what it changed are checked again and their findings published, so a caller
it broke shows, open or not.

Glue only: the checks live in the core module; CPU work runs in the
server's threads.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from mycoder_lsp.code.workspace import read_source
from mycoder_lsp.server.app import MyCoderServer
from mycoder_lsp.server.documents import LspWorkspace
from mycoder_lsp.server.features.diagnostics import to_diagnostic, validate_document

if TYPE_CHECKING:
    from mycoder_lsp.brains.orchestrator import Edit, Result

log = logging.getLogger(__name__)

APPLY = "Apply"
CANCEL = "Cancel"
# How long the question waits for the user; no answer is a no.
ASK_TIMEOUT = 300.0
# Edits whose users are checked once the editor says they were applied (the
# newest; a proposal never accepted is forgotten).
PENDING_CHECKS = 32


class CrossFile:
    """The cross-file part of applying one edit, for one server."""

    def __init__(self, server: MyCoderServer) -> None:
        self.server = server
        self._pending: OrderedDict[int, tuple[Any, Edit, str]] = OrderedDict()

    # -- before: the question, the related edits -----------------------------

    async def confirm(self, result: Result) -> str | None:
        """Ask before applying an edit with warnings; None to go on, else why
        not (the user said Cancel, or nothing)."""
        if not result.warnings:
            return None
        question = f"{result.message}. " + "; ".join(w[0].upper() + w[1:] for w in result.warnings) + ". Apply anyway?"
        try:
            answer = await asyncio.wait_for(self.server.window_show_message_request_async(
                types.ShowMessageRequestParams(type=types.MessageType.Warning, message=question,
                                               actions=[types.MessageActionItem(title=APPLY),
                                                        types.MessageActionItem(title=CANCEL)])), ASK_TIMEOUT)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # no answer (a timeout, a client that cannot ask) is a no
            log.info("window/showMessageRequest got no answer: %r", exc)
            answer = None
        if answer is not None and answer.title == APPLY:
            return None
        return "Not applied: " + "; ".join(result.warnings) + ". Your files are unchanged."

    def add_related(self, workspace_edit: types.WorkspaceEdit, edit: Edit) -> str | None:
        """Put ``edit.related`` into ``workspace_edit`` (as its own part is:
        ``documentChanges`` or ``changes``, annotated like it); None, or why
        not (an open document changed since it was read)."""
        annotation = next(iter(workspace_edit.change_annotations or {}), None)
        for related in edit.related:
            uri = from_fs_path(related.path) or related.path
            doc = self.server.workspace.text_documents.get(uri)
            if doc is not None and doc.source != related.old_text:
                return (f"Not applied: {related.path} changed while MyCoder was working. Run it again.")
            version = doc.version if doc is not None else None
            shown = doc if doc is not None else self._detached(uri, related.old_text)
            text_edits: list[types.TextEdit | types.AnnotatedTextEdit] = []
            for sl, sc, el, ec, text in related.edits:
                rng = shown.range_to_client_units(ServerTextRange(ServerTextPosition(sl, sc),
                                                                  ServerTextPosition(el, ec)))
                text_edits.append(types.AnnotatedTextEdit(range=rng, new_text=text, annotation_id=annotation)
                                  if annotation else types.TextEdit(range=rng, new_text=text))
            # lsprotocol types these as read-only Sequence/Mapping: build new ones.
            if workspace_edit.document_changes is not None:
                workspace_edit.document_changes = [*workspace_edit.document_changes, types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                    edits=text_edits)]
            else:
                # ``changes`` holds plain edits: an annotation needs documentChanges.
                plain = [types.TextEdit(range=e.range, new_text=e.new_text) for e in text_edits]
                workspace_edit.changes = {**(workspace_edit.changes or {}), uri: plain}
        return None

    def _detached(self, uri: str, text: str) -> TextDocument:
        workspace = self.server.workspace
        assert isinstance(workspace, LspWorkspace)  # installed on initialize (server/app.py)
        return workspace.detached_document(uri, text)

    # -- after: the users of what changed, checked again ----------------------

    def check_after(self, accepted: Any, edit: Edit, uri: str) -> None:
        """Check the users of ``edit``'s changes once ``accepted`` (what
        ``edit_applied`` will hear) is applied."""
        found = edit.consequences
        if found is None or not (found.users or found.broken):
            return
        self._pending[id(accepted)] = (accepted, edit, uri)
        while len(self._pending) > PENDING_CHECKS:
            self._pending.popitem(last=False)

    def applied(self, accepted: Any) -> None:
        pending = self._pending.pop(id(accepted), None)
        if pending is not None and pending[0] is accepted:
            self.server.spawn(self._check(pending[1], pending[2]), "cross-file:check")

    async def _check(self, edit: Edit, uri: str) -> None:
        from mycoder_lsp.brains.consequences import SOURCE, caller_findings  # loaded with the request flow

        found = edit.consequences
        root = self.server.root
        if found is None or root is None:
            return
        target = self.server.workspace.text_documents.get(uri)
        target_text = target.source if target is not None else edit.new_document
        related = {r.path: r for r in edit.related}
        docs: dict[str, TextDocument] = {}
        closed: list[str] = []
        limit = self.server.settings.validation.max_file_size
        for path in found.users:
            file_uri = from_fs_path(path) or path
            doc = self.server.workspace.text_documents.get(file_uri)
            if doc is None:
                text = related[path].new_text if path in related else await self._read(path, limit)
                if text is None:
                    continue
                doc = self._detached(file_uri, text)
                closed.append(path)
            docs[path] = doc
        path_of_target = self.server.path_of(uri)
        findings = await self.server.run_in_thread(
            caller_findings, path_of_target, target_text, found.changes, list(docs), Path(root),
            {p: d.source for p, d in docs.items()})
        if path_of_target not in docs:  # the edited file's own calls
            if target is None:
                target = self._detached(uri, target_text)
                closed.append(path_of_target)
            docs[path_of_target] = target
        published = self.server.diagnostics.published
        ignored = set(self.server.settings.validation.ignore)
        for path, doc in docs.items():
            cross = [to_diagnostic(doc, f) for f in findings.get(path, []) if f.code not in ignored]
            if path in closed or not published:
                # Not open: the pipeline's findings too, for the file as the edit left it.
                checked = await self.server.run_in_thread(validate_document, self.server, doc)
                own = [to_diagnostic(doc, f) for f in checked.findings if f.code not in ignored]
                self.server.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=own + cross))
            else:
                # Open: its own diagnostics follow its didChange; these join them.
                self.server.diagnostics.set(SOURCE, doc.uri, cross)
        log.info("checked %d file(s) that use what the edit changed: %d finding(s)", len(docs),
                 sum(len(v) for v in findings.values()))

    async def _read(self, path: str, limit: int) -> str | None:
        source = await self.server.run_in_thread(read_source, path, limit)
        return source.text


__all__ = ["APPLY", "CANCEL", "CrossFile"]
