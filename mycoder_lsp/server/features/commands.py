"""The brain commands: ``mycoder.explain``, ``review``, ``modify``, ``fix``,
``ask`` (the vocabulary's kinds) and ``mycoder.acceptEdit``/``rejectEdit``.

A code action (:mod:`~mycoder_lsp.server.features.code_actions`) runs a
``workspace/executeCommand``: its argument is structured into a typed record
(:mod:`mycoder_lsp.server.arguments`), goes through the request flow
(:mod:`mycoder_lsp.brains.orchestrator`) and then applies the edit with
``workspace/applyEdit``, shows the explanation, or publishes the review
findings as diagnostics (source ``mycoder-review``). Every command answers a
JSON result ``{"kind": "edit" | "explanation" | "review" | "refused" |
"error" | "cancelled", "message": ...}``.

An edit is reviewed before it lands (``edits.preview``, on by default): a
client that declares ``experimental.mycoder.editPreview`` gets a proposal
(``applied: false``, ``proposal: {id, uri, version, new_text, ...}``, kept in
:mod:`mycoder_lsp.server.proposals`) that ``mycoder.acceptEdit`` applies and
``mycoder.rejectEdit`` discards; a client with LSP change annotations gets
the edit marked ``needsConfirmation``; any other client has it applied at once.

Model calls stream ``$/progress`` (:mod:`~mycoder_lsp.server.features.progress`)
and stop on ``$/cancelRequest`` or a cancelled progress.

Limits, because a repository and a model server are not to be trusted:
commands read only open documents and files inside the workspace folders;
documents over ``validation.max_file_size`` are refused; what a model answers
reaches the editor cut to ``EDITOR_ANSWER_LIMIT``; and a model server that
stops answering trips its breaker (:mod:`~mycoder_lsp.server.features.models`):
commands fail at once until it answers again; for a brain served by a pool,
only when every server of the pool is down.

Handlers stay glue: the flow lives in the orchestrator, not here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from typing import TYPE_CHECKING, Any, cast

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from mycoder_lsp.brains.context import AcceptedEdit
from mycoder_lsp.code.languages import language_of_document
from mycoder_lsp.code.workspace import content_hash
from mycoder_lsp.server import pygls_private
from mycoder_lsp.server.app import MyCoderServer
from mycoder_lsp.server.arguments import (
    BadArguments,
    DiagnosticArgument,
    ProposalArguments,
    TargetArguments,
    to_json,
)
from mycoder_lsp.server.cross_file import CrossFile
from mycoder_lsp.server.documents import LspWorkspace
from mycoder_lsp.server.feature import Feature
from mycoder_lsp.server.features.diagnostics import over_size_limit
from mycoder_lsp.server.features.models import ModelServers, cut_for_editor
from mycoder_lsp.server.features.progress import ProgressReporter
from mycoder_lsp.server.proposals import Proposal, Proposals
from mycoder_lsp.server.proposals import new_id as new_proposal_id
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.vocabulary import COMMANDS, KINDS_WITH_INSTRUCTION, Kind

if TYPE_CHECKING:
    from mycoder_lsp.brains.orchestrator import Request, Result

log = logging.getLogger(__name__)

REVIEW_SOURCE = "mycoder-review"
PROPOSAL_COMMANDS = ("mycoder.acceptEdit", "mycoder.rejectEdit")
# The change annotation of an edit the client should confirm with the user.
CHANGE_ANNOTATION = "mycoder.review"
MAX_REVIEW_FINDINGS = 200


class CommandsFeature(Feature):
    def __init__(self, server: MyCoderServer, models: ModelServers) -> None:
        super().__init__(server)
        self.models = models
        self.proposals = Proposals()
        # Other files an edit touches or breaks (server/cross_file.py).
        self.cross_file = CrossFile(server)

    # -- hooks ------------------------------------------------------------------

    async def edit_applied(self, edit: AcceptedEdit) -> None:
        self.cross_file.applied(edit)

    async def document_closed(self, uri: str) -> None:
        self.proposals.drop_document(uri)

    # -- commands ---------------------------------------------------------------

    async def execute(self, name: str, args: tuple[Any, ...]) -> dict[str, Any]:
        """Run a command; cancellable by ``$/cancelRequest`` for it and by the
        progress' cancel button."""
        request_id, outer = _request_future(self.server)
        if request_id is not None and (outer is None or outer.cancelled()):
            # $/cancelRequest came before this handler ran: pygls has already
            # dropped the request, so nothing would ever cancel the work.
            log.info("mycoder.%s was cancelled before it started", name.removeprefix("mycoder."))
            self.server.show_message("Cancelled.", types.MessageType.Info)
            return {"kind": "cancelled", "message": "Cancelled."}
        work = asyncio.ensure_future(self._execute(name, args))
        if outer is not None:
            # pygls cancels the executeCommand request's own future, not the
            # task running our handler: link the two.
            outer.add_done_callback(lambda f: work.cancel() if f.cancelled() else None)
        try:
            return await work
        except asyncio.CancelledError:
            if not work.cancelled():  # this handler itself was cancelled (shutdown)
                work.cancel()
                raise
            self.server.show_message("Cancelled.", types.MessageType.Info)
            return {"kind": "cancelled", "message": "Cancelled."}

    async def _execute(self, name: str, args: tuple[Any, ...]) -> dict[str, Any]:
        kind = name.removeprefix("mycoder.")
        try:
            request, doc, target = await self._request(kind, args)
        except BadArguments as exc:
            self.server.show_message(str(exc), types.MessageType.Error)
            return {"kind": "error", "message": str(exc)}
        down = self.models.down(kind)
        if down is not None:
            # Told once when it went down; the editor shows the result.
            return {"kind": "error", "message": down.message}
        try:
            async with ProgressReporter(self.server, f"MyCoder: {kind}", asyncio.current_task()) as on_progress:
                result = await self.models.orchestrator().run(request, on_progress=on_progress)
            show = target.show
            if result.kind == "error" and not await self.models.answering(kind):
                # The server is not there at all: the breaker's message said so.
                return await self._deliver(result, request, doc, show=show, tell_error=False)
            return await self._deliver(result, request, doc, show=show)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug, not a model fault: logged with its traceback; the user
            # gets a short message and the server keeps serving.
            log.exception("mycoder.%s failed", kind)
            message = f"mycoder.{kind} failed with an internal error; the server log has the details."
            self.server.show_message(message, types.MessageType.Error)
            return {"kind": "error", "message": message}

    async def _request(self, kind: str, args: tuple[Any, ...]) -> tuple[Request, TextDocument, TargetArguments]:
        target = TargetArguments.of(f"mycoder.{kind}", args)
        uri = target.uri
        doc = self.server.workspace.text_documents.get(uri) or await self._workspace_file(uri)
        source = doc.source
        limit = self.server.settings.validation.max_file_size
        if over_size_limit(source, limit):
            raise BadArguments(_too_large_message(uri, len(source.encode("utf-8", "surrogatepass")), limit))
        instruction = target.instruction or ""
        if kind in KINDS_WITH_INSTRUCTION and not instruction.strip():
            raise BadArguments(f"mycoder.{kind} needs an instruction: say what to change.")
        from mycoder_lsp.brains.orchestrator import Request  # loaded at start-up's end (app.warm_up)

        # Only the vocabulary's kinds are registered as commands.
        request = Request(kind=cast(Kind, kind), instruction=instruction, path=self.server.path_of(uri),
                          text=source, language=language_of_document(doc.language_id, self.server.path_of(doc.uri)),
                          symbol=target.symbol or None, uri=uri, verify=target.verify)
        try:
            if target.range is not None:
                rng = doc.range_from_client_units(target.range)
                request.selection = (rng.start.line, rng.start.character, rng.end.line, rng.end.character)
                request.position = (rng.start.line, rng.start.character)
            if target.position is not None:
                pos = doc.position_from_client_units(target.position)
                request.position = (pos.line, pos.character)
            for item in target.diagnostics:
                request.diagnostics.append(_finding(doc, item))
        except (KeyError, TypeError, ValueError) as exc:
            raise BadArguments(f"mycoder.{kind}: bad range or position ({exc}).") from None
        if kind == "fix":
            if not request.diagnostics:
                request.diagnostics = self._diagnostics_near(doc, request)
            # A fix targets the problem's code, not a selection around it.
            request.selection = None
        return request, doc, target

    async def _workspace_file(self, uri: str) -> TextDocument:
        """A file that is not open: only from inside a workspace folder (after
        resolving ``..`` and symbolic links), a regular file, within the size
        limit. A repository's link to ``~/.ssh/id_rsa`` is not read."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if not path:
            raise BadArguments(f"{uri} is not open in the editor; open it first.")
        real = os.path.realpath(path)
        if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self._workspace_roots()):
            raise BadArguments(f"{path} is neither open in the editor nor inside the workspace folder; MyCoder "
                                "only reads those. Open the file first.")
        limit = self.server.settings.validation.max_file_size

        def read() -> str:
            info = os.stat(real)
            if not stat.S_ISREG(info.st_mode):
                raise BadArguments(f"{path} is not a regular file.")
            if info.st_size > limit:
                raise BadArguments(_too_large_message(uri, info.st_size, limit))
            with open(real, encoding="utf-8") as fh:
                return fh.read(limit + 1)

        try:
            source = await self.server.run_in_thread(read)
        except (OSError, UnicodeDecodeError) as exc:
            raise BadArguments(f"Cannot read {path}: {exc}") from None
        workspace = self.server.workspace
        assert isinstance(workspace, LspWorkspace)  # installed on initialize (server/app.py)
        return workspace.detached_document(uri, source)

    def _workspace_roots(self) -> list[str]:
        roots = [to_fs_path(folder.uri) for folder in self.server.workspace.folders.values()]
        if self.server.root is not None:
            roots.append(str(self.server.root))
        return sorted({os.path.realpath(r) for r in roots if r})

    def _diagnostics_near(self, doc: TextDocument, request: Request) -> list[Finding]:
        line = request.position[0] if request.position else None
        found = []
        for diagnostic in self.server.diagnostics.for_uri(doc.uri):
            finding = _finding(doc, DiagnosticArgument.of(diagnostic))
            if line is None or finding.line <= line <= finding.end_line:
                found.append(finding)
        return found

    async def _deliver(self, result: Result, request: Request, doc: TextDocument, *,
                       show: bool = True, tell_error: bool = True) -> dict[str, Any]:
        if len(result.findings) > MAX_REVIEW_FINDINGS:
            result.message += f" (the first {MAX_REVIEW_FINDINGS} are shown)"
            result.findings = result.findings[:MAX_REVIEW_FINDINGS]
        data = result.to_json()
        if result.kind == "edit" and result.edit is not None:
            return await self._apply(result, request, doc, data)
        # An explanation is its message and its text: both are cut for the editor.
        data["message"] = cut_for_editor(result.message, log_whole=result.message is not result.text)
        if "text" in data:
            data["text"] = cut_for_editor(result.text)
        if result.kind == "explanation":
            if show:
                self.server.show_message(data["text"] if "text" in data else data["message"], types.MessageType.Info)
        elif result.kind == "review":
            self._publish_review(doc, result)
            self.server.show_message(data["message"], types.MessageType.Info)
        elif result.kind == "refused":
            self.server.show_message(data["message"], types.MessageType.Warning)
        elif result.kind == "error" and tell_error:
            self.server.show_message(data["message"], types.MessageType.Error)
        return data

    async def _apply(self, result: Result, request: Request, doc: TextDocument, data: dict[str, Any]) -> dict[str, Any]:
        """An edit: proposed for review, sent with a request for confirmation,
        or applied at once (``_apply_mode``)."""
        if doc.source != request.text:
            message = "Not applied: the document changed while MyCoder was working. Run it again."
            self.server.show_message(message, types.MessageType.Warning)
            return {**data, "kind": "refused", "message": message}
        mode = self._apply_mode()
        workspace_edit = self._workspace_edit(doc, result, confirm=mode == "confirm")
        on_applied = self._accepted_edit(result, request, doc)
        refusal = await self._cross_file(result, request, doc, workspace_edit, on_applied, ask=mode != "preview")
        if refusal is not None:
            self.server.show_message(refusal, types.MessageType.Warning)
            return {**data, "kind": "refused", "message": refusal}
        if mode == "preview":
            return self._propose(result, doc, data, workspace_edit, on_applied)
        return await self._send(workspace_edit, f"MyCoder: {result.message}", result.message, data, on_applied)

    async def _cross_file(self, result: Result, request: Request, doc: TextDocument,
                          workspace_edit: types.WorkspaceEdit, on_applied: AcceptedEdit, *, ask: bool) -> str | None:
        """The edit's consequences for other files: their edits join
        ``workspace_edit``, warnings are asked about first (``ask``), and
        the files using what changed are checked once it is applied. None,
        or why it is not applied."""
        edit = result.edit
        assert edit is not None
        refusal = self.cross_file.add_related(workspace_edit, edit)
        if refusal is None and ask:
            refusal = await self.cross_file.confirm(result)
            if refusal is None and doc.source != request.text:
                refusal = "Not applied: the document changed while MyCoder was working. Run it again."
        if refusal is None:
            self.cross_file.check_after(on_applied, edit, doc.uri)
        return refusal

    def _apply_mode(self) -> str:
        """``preview``: the client shows the edit as a diff to accept
        (``experimental.mycoder.editPreview``); ``confirm``: the client asks
        the user before applying an annotated edit (LSP change annotations);
        ``now``: apply at once, as ``edits.preview = false`` asks."""
        if not self.server.settings.edits.preview:
            return "now"
        caps = self.server.client_capabilities
        experimental = caps.experimental if isinstance(caps.experimental, dict) else {}
        mycoder = experimental.get("mycoder")
        if isinstance(mycoder, dict) and mycoder.get("editPreview") is True:
            return "preview"
        edit_caps = caps.workspace.workspace_edit if caps.workspace else None
        # Annotated edits travel only in documentChanges (TextDocumentEdit).
        if edit_caps and edit_caps.change_annotation_support and edit_caps.document_changes:
            return "confirm"
        return "now"

    def _workspace_edit(self, doc: TextDocument, result: Result, *, confirm: bool = False) -> types.WorkspaceEdit:
        """The one place an edit becomes a WorkspaceEdit (preview, confirmation
        and apply-at-once all send this): the target's replacements, versioned
        where the client takes versions; ``confirm`` annotates every change
        with ``needsConfirmation``."""
        edit = result.edit
        assert edit is not None
        replacements = [(edit.start_line, edit.start_col, edit.end_line, edit.end_col, edit.new_text)]
        replacements += [(p.start_line, p.start_col, p.end_line, p.end_col, p.new_text) for p in edit.extra]
        ranges = [(doc.range_to_client_units(ServerTextRange(ServerTextPosition(sl, sc), ServerTextPosition(el, ec))),
                   text) for sl, sc, el, ec, text in replacements]
        if confirm:
            annotated: list[types.TextEdit | types.AnnotatedTextEdit] = [
                types.AnnotatedTextEdit(range=rng, new_text=text, annotation_id=CHANGE_ANNOTATION)
                for rng, text in ranges]
            return types.WorkspaceEdit(
                document_changes=[types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
                    edits=annotated)],
                change_annotations={CHANGE_ANNOTATION: types.ChangeAnnotation(
                    label=f"MyCoder: {result.message}", needs_confirmation=True,
                    description="Review MyCoder's edit before it is applied.")})
        text_edits = [types.TextEdit(range=rng, new_text=text) for rng, text in ranges]
        ws = self.server.client_capabilities.workspace
        if ws and ws.workspace_edit and ws.workspace_edit.document_changes:
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
                edits=text_edits)])
        return types.WorkspaceEdit(changes={doc.uri: text_edits})

    def _accepted_edit(self, result: Result, request: Request, doc: TextDocument) -> AcceptedEdit:
        """What ``edit_applied`` hears once the edit is in the document
        (learned patterns, re-validation)."""
        edit = result.edit
        assert edit is not None
        return AcceptedEdit(
            uri=doc.uri, path=request.path, intent=result.intent, instruction=request.instruction,
            target=result.target, signature=edit.new_code.strip().splitlines()[0] if edit.new_code.strip() else "",
            new_code=edit.new_code, old_code=edit.old_code,
            confidence=result.validation.confidence if result.validation else 0.9)

    def _propose(self, result: Result, doc: TextDocument, data: dict[str, Any], workspace_edit: types.WorkspaceEdit,
                 on_applied: AcceptedEdit) -> dict[str, Any]:
        """Keep the edit for ``mycoder.acceptEdit`` and answer it for the
        editor to show; nothing is applied."""
        edit = result.edit
        assert edit is not None
        # This document's edits only: those of other files are in ``related``.
        text_edits = [e for change in workspace_edit.document_changes or []
                      if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == doc.uri
                      for e in change.edits]
        text_edits += list((workspace_edit.changes or {}).get(doc.uri, []))
        proposal = Proposal(
            id=new_proposal_id(), uri=doc.uri, version=doc.version, digest=content_hash(doc.source),
            label=result.message, new_text=edit.new_document,
            edits=[{"range": to_json(e.range), "new_text": e.new_text} for e in text_edits
                   if isinstance(e, (types.TextEdit, types.AnnotatedTextEdit))],
            workspace_edit=workspace_edit,
            warnings=[str(w) for w in getattr(result, "warnings", None) or []],
            related=[_as_json(r) for r in getattr(edit, "related", None) or []],
            data=data, on_applied=on_applied)
        self.proposals.add(proposal)
        log.info("proposed %s for %s (version %s): %s", proposal.id, doc.uri, doc.version, result.message)
        return {**data, "applied": False, "message": f"Proposed: {result.message}",
                "proposal": proposal.to_json()}

    async def _send(self, workspace_edit: types.WorkspaceEdit, label: str, message: str, data: dict[str, Any],
                    on_applied: AcceptedEdit) -> dict[str, Any]:
        """``workspace/applyEdit``; once the editor applied it, the features
        hear ``edit_applied``."""
        try:
            applied = await asyncio.wait_for(self.server.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=workspace_edit, label=label)), 30)
        except Exception as exc:  # the client failed the request: tell the user, keep serving
            log.warning("workspace/applyEdit failed: %s", exc)
            refusal = f"Not applied: the editor refused the edit ({exc})."
            self.server.show_message(refusal, types.MessageType.Warning)
            return {**data, "kind": "refused", "message": refusal}
        if not applied.applied:
            refusal = f"Not applied: the editor refused the edit ({applied.failure_reason or 'no reason given'})."
            self.server.show_message(refusal, types.MessageType.Warning)
            return {**data, "kind": "refused", "message": refusal}
        self.server.show_message(message, types.MessageType.Info)
        await self.server.dispatch("edit_applied", lambda f: f.edit_applied(on_applied))
        return {**data, "applied": True}

    # -- proposals: accept / reject -------------------------------------------------

    async def accept_edit(self, args: tuple[Any, ...]) -> dict[str, Any]:
        """``mycoder.acceptEdit [id]``: apply a proposal if its document still
        is what the edit was computed against."""
        try:
            proposal_id = ProposalArguments.of("mycoder.acceptEdit", args).id
        except BadArguments as exc:
            return self._no_proposal(str(exc), None)
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            return self._no_proposal(None, proposal_id)
        doc = self.server.workspace.text_documents.get(proposal.uri)
        if doc is None:
            try:
                doc = await self._workspace_file(proposal.uri)
            except BadArguments:
                doc = None
        self.proposals.pop(proposal.id)
        if doc is None or content_hash(doc.source) != proposal.digest or (
                proposal.version is not None and doc.version != proposal.version):
            message = "Not applied: the document changed since the edit was proposed. Run the command again."
            self.server.show_message(message, types.MessageType.Warning)
            return {**proposal.data, "kind": "refused", "message": message, "applied": False}
        return await self._send(proposal.workspace_edit, f"MyCoder: {proposal.label}", proposal.label,
                                proposal.data, proposal.on_applied)

    async def reject_edit(self, args: tuple[Any, ...]) -> dict[str, Any]:
        """``mycoder.rejectEdit [id]``: forget a proposal; nothing changes."""
        try:
            proposal_id = ProposalArguments.of("mycoder.rejectEdit", args).id
        except BadArguments as exc:
            return self._no_proposal(str(exc), None)
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            return self._no_proposal(None, proposal_id)
        self.proposals.pop(proposal.id)
        self.server.show_message("Discarded.", types.MessageType.Info)
        return {"kind": "discarded", "message": "Discarded.", "id": proposal.id}

    def _no_proposal(self, error: str | None, proposal_id: str | None) -> dict[str, Any]:
        message = error or (f"No proposed edit {proposal_id}: it was accepted, rejected, or dropped (its document "
                            "closed, or newer ones replaced it)." if proposal_id else "No proposed edit to act on.")
        self.server.show_message(message, types.MessageType.Warning)
        return {"kind": "error", "message": message}

    def _publish_review(self, doc: TextDocument, result: Result) -> None:
        lines = doc.lines
        diagnostics = []
        for finding in result.findings:
            line = min(max(int(getattr(finding, "line", 0)), 0), max(len(lines) - 1, 0))
            text = lines[line].rstrip("\r\n") if lines else ""
            indent = len(text) - len(text.lstrip())
            rng = doc.range_to_client_units(ServerTextRange(ServerTextPosition(line, indent),
                                                            ServerTextPosition(line, len(text))))
            severity = _severity(getattr(finding, "severity", "warning"))
            diagnostics.append(types.Diagnostic(range=rng, message=str(getattr(finding, "message", finding)),
                                                severity=severity, source=REVIEW_SOURCE,
                                                code=getattr(finding, "code", None) or "review"))
        if self.server.diagnostics.published:
            self.server.diagnostics.set(REVIEW_SOURCE, doc.uri, diagnostics)
        else:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=diagnostics, version=doc.version))


def _request_future(server: MyCoderServer) -> tuple[Any, Any]:
    """The id of the request being handled and pygls' future for it (None
    once pygls dropped it on ``$/cancelRequest``). pygls keeps both private:
    this is the one place here that asks (through :mod:`pygls_private`)."""
    request_id = server.protocol.msg_id
    if request_id is None:
        return None, None
    return request_id, pygls_private.request_future(server.protocol, request_id)


def _as_json(value: Any) -> Any:
    """A record another module made (a related edit), as JSON."""
    to_json = getattr(value, "to_json", None)
    return to_json() if callable(to_json) else value


def _too_large_message(uri: str, size: int, limit: int) -> str:
    path = to_fs_path(uri) or uri
    return (f"{path} is too large for MyCoder: {size:,} bytes is over the {limit:,}-byte limit "
            "(setting validation.max_file_size).")


def _finding(doc: TextDocument, diagnostic: DiagnosticArgument) -> Finding:
    rng = doc.range_from_client_units(diagnostic.range) if doc.lines else ServerTextRange(
        ServerTextPosition(0, 0), ServerTextPosition(0, 0))
    severity = Severity(int(diagnostic.severity or 1))
    return Finding(str(diagnostic.code or ""), str(diagnostic.message or ""), severity, rng.start.line,
                   rng.start.character, rng.end.line, rng.end.character, source=str(diagnostic.source or "editor"))


def _severity(value: Any) -> types.DiagnosticSeverity:
    if isinstance(value, int):
        return types.DiagnosticSeverity(min(max(value, 1), 4))
    name = str(getattr(value, "name", value)).lower()
    return {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "info": types.DiagnosticSeverity.Information, "information": types.DiagnosticSeverity.Information,
            "hint": types.DiagnosticSeverity.Hint}.get(name, types.DiagnosticSeverity.Warning)


def register(server: MyCoderServer, models: ModelServers) -> CommandsFeature:
    feature = server.add_feature(CommandsFeature(server, models))

    def command(name: str) -> None:
        @server.command(name)
        async def run(ls: MyCoderServer, *args: Any) -> dict[str, Any]:
            return await feature.execute(name, args)

    for name in COMMANDS:
        command(name)

    @server.command("mycoder.acceptEdit")
    async def accept_edit(ls: MyCoderServer, *args: Any) -> dict[str, Any]:
        return await _guarded("acceptEdit", feature.accept_edit(args), ls)

    @server.command("mycoder.rejectEdit")
    async def reject_edit(ls: MyCoderServer, *args: Any) -> dict[str, Any]:
        return await _guarded("rejectEdit", feature.reject_edit(args), ls)

    return feature


async def _guarded(name: str, work: Any, server: MyCoderServer) -> dict[str, Any]:
    """A proposal command that fails on a bug says so briefly; the log has the rest."""
    try:
        return await work
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("mycoder.%s failed", name)
        message = f"mycoder.{name} failed with an internal error; the server log has the details."
        server.show_message(message, types.MessageType.Error)
        return {"kind": "error", "message": message}

