"""Completion while typing: ghost text where the editor can show it, items where not.

A client that announces ``textDocument.inlineCompletion`` (LSP 3.18; VS Code
through our extension, Neovim where ``vim.lsp.inline_completion`` exists) gets
``textDocument/inlineCompletion``; any other client gets the same suggestion
as ``textDocument/completion`` items (label ``MyCoder: …``, plain text, the
whole suggestion in a ``textEdit``), never both, so no editor shows it twice.

The suggestion itself comes from the completion engine
(:class:`mycoder_lsp.completion.Completer`: prompt, model, cache, checks);
this module is glue around it: it maps positions between the client's units
and ours, waits ``completion.debounce_ms`` on automatic inline triggers and
on every completion request (a newer request for the document makes the
older one answer nothing), passes
``$/cancelRequest`` through as cancellation (the engine closes the model's
stream), and tells the user once, not once per keystroke, when the model is
down or cannot fill in the middle. A handler only awaits I/O: diagnostics,
hovers and code actions are answered while a completion waits for its model.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from mycoder_lsp.brains.wire.http import BrainError
from mycoder_lsp.code.languages import language_of_document
from mycoder_lsp.completion import Completer, CompletionRequest, Suggestion
from mycoder_lsp.server.app import MyCoderServer
from mycoder_lsp.server.feature import Feature
from mycoder_lsp.server.features.diagnostics import over_size_limit
from mycoder_lsp.server.features.models import ModelServers

log = logging.getLogger(__name__)

LABEL_PREFIX = "MyCoder: "
# A label is one line the menu can show; the whole suggestion is in the edit.
LABEL_LIMIT = 60
# The identifier the user is typing: completion menus filter on it, so the
# item's edit starts where it starts (see _item).
_WORD_BEFORE = re.compile(r"[A-Za-z0-9_$]*$")


class CompletionFeature(Feature):
    def __init__(self, server: MyCoderServer, models: ModelServers) -> None:
        super().__init__(server)
        self.models = models
        self.inline = False
        self._completer: Completer | None = None
        # The newest request per document: an older one still debouncing answers nothing.
        self._latest: dict[str, int] = {}
        self._serial = 0
        # The model trouble the user was last told about: repeated only after
        # a suggestion came back or the settings changed.
        self._told: str | None = None

    # -- hooks ------------------------------------------------------------------

    def client_known(self, params: types.InitializeParams) -> None:
        td = params.capabilities.text_document
        self.inline = bool(td and td.inline_completion is not None)
        if self.inline:
            _register_inline(self.server, self)
        else:
            _register_fallback(self.server, self)

    async def settings_changed(self) -> None:
        # The engine holds the settings it was built with (model, template,
        # cache): a new one for new settings.
        self._completer = None
        self._told = None

    async def document_closed(self, uri: str) -> None:
        self._latest.pop(uri, None)
        if self._completer is not None:
            self._completer.forget(uri)

    # -- the engine ---------------------------------------------------------------

    @property
    def completer(self) -> Completer:
        server = self.server
        if self._completer is None:
            # The model servers' client and pools: the same breaker per model
            # server (one opened by a hover's call makes completion skip that
            # server too, and the user is told once) and the same load count.
            self._completer = Completer(server.settings, client=self.models.client, pools=self.models.pools,
                                        context_provider=server.context_provider,
                                        run_in_thread=server.run_in_thread, workspace_root=server.root)
        return self._completer

    # -- one request ----------------------------------------------------------------

    async def suggest(self, uri: str, position: types.Position, trigger: str, *,
                      debounce: bool) -> tuple[TextDocument | None, list[Suggestion]]:
        """The document and the suggestions at ``position`` (client units), []
        when there is nothing to show. ``debounce``: wait ``completion.debounce_ms``
        first, and answer nothing if a newer request for the document came
        meanwhile. Cancelled by $/cancelRequest (CancelledError)."""
        await self.server.wait_ready()
        doc = self.server.workspace.text_documents.get(uri)
        if doc is None:
            return None, []
        language = language_of_document(doc.language_id, self.server.path_of(uri))
        if not self.server.settings.completion.covers(language):
            return doc, []
        if over_size_limit(doc.source, self.server.settings.validation.max_file_size):
            return doc, []
        self._serial += 1
        serial = self._latest[uri] = self._serial
        if debounce:
            await asyncio.sleep(self.server.settings.completion.debounce_ms / 1000)
            if self._latest.get(uri) != serial:
                return doc, []  # the user typed on: the newer request answers
        version, text = doc.version, doc.source
        pos = doc.position_from_client_units(position) if doc.lines else ServerTextPosition(0, 0)
        request = CompletionRequest(uri=uri, path=self.server.path_of(uri), text=text, line=pos.line,
                                    character=pos.character, language=language, trigger=trigger)
        try:
            suggestions = await self.completer.complete(request)
        except BrainError as exc:
            self._tell(str(exc))
            return doc, []
        except asyncio.CancelledError:
            task = asyncio.current_task()
            # Task.cancelling() is 3.11+; on 3.10 every cancellation is passed on.
            cancelling = getattr(task, "cancelling", None)
            if task is not None and (cancelling is None or cancelling()):
                raise  # $/cancelRequest or shutdown: pygls answers RequestCancelled
            # The engine gave this request up for a newer one: nothing to show.
            return doc, []
        self._told = None
        current = self.server.workspace.text_documents.get(uri)
        if current is None or current.version != version or current.source != text:
            return doc, []  # edited while the model worked: the suggestion is for text that is gone
        return current, suggestions

    def _tell(self, message: str) -> None:
        if message != self._told:
            self._told = message
            log.warning("completion: %s", message)
            self.server.show_message(message, types.MessageType.Error)

    # -- answers ---------------------------------------------------------------------

    async def inline_completion(self, params: types.InlineCompletionParams) -> types.InlineCompletionList | None:
        trigger = "invoked" if params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked \
            else "automatic"
        doc, suggestions = await self.suggest(params.text_document.uri, params.position, trigger,
                                              debounce=trigger == "automatic")
        if doc is None or not suggestions:
            return None
        cursor = params.position
        items = [types.InlineCompletionItem(insert_text=s.text,
                                            range=types.Range(start=cursor, end=_end(doc, cursor, s)))
                 for s in suggestions]
        return types.InlineCompletionList(items=items)

    async def completion(self, params: types.CompletionParams) -> types.CompletionList | None:
        # A menu the user opened (omnifunc, Ctrl-Space) is invoked; one the
        # client opened on a trigger character is automatic. Always debounced:
        # menus that complete as you type (nvim-cmp, VS Code's quick
        # suggestions) say "invoked" on every keystroke.
        context = params.context
        automatic = context is not None and context.trigger_kind != types.CompletionTriggerKind.Invoked
        doc, suggestions = await self.suggest(params.text_document.uri, params.position,
                                              "automatic" if automatic else "invoked", debounce=True)
        if doc is None or not suggestions:
            return None
        items = [_item(doc, params.position, s, rank) for rank, s in enumerate(suggestions)]
        # Incomplete: typing on asks again instead of filtering a stale suggestion.
        return types.CompletionList(is_incomplete=True, items=items)


def _end(doc: TextDocument, cursor: types.Position, suggestion: Suggestion) -> types.Position:
    """Where the suggestion's replacement ends, in client units."""
    if suggestion.replace_end is None:
        return cursor
    line, character = suggestion.replace_end
    return doc.range_to_client_units(ServerTextRange(ServerTextPosition(line, character),
                                                     ServerTextPosition(line, character))).start


def _item(doc: TextDocument, cursor: types.Position, suggestion: Suggestion, rank: int) -> types.CompletionItem:
    """One completion item. Its edit starts at the identifier being typed and
    repeats it: menus (VS Code, Neovim's omnifunc) filter and replace from that
    word, so an edit starting at the cursor would be filtered out or eat the word."""
    server_cursor = doc.position_from_client_units(cursor) if doc.lines else ServerTextPosition(0, 0)
    line = doc.lines[server_cursor.line] if server_cursor.line < len(doc.lines) else ""
    word = _WORD_BEFORE.search(line[:server_cursor.character])
    typed = word.group() if word else ""
    start = doc.range_to_client_units(ServerTextRange(
        ServerTextPosition(server_cursor.line, server_cursor.character - len(typed)), server_cursor)).start
    new_text = typed + suggestion.text
    first = new_text.strip().splitlines()[0] if new_text.strip() else new_text
    label = first if len(first) <= LABEL_LIMIT else first[:LABEL_LIMIT - 1] + "…"
    lines = suggestion.text.count("\n") + 1
    return types.CompletionItem(
        label=f"{LABEL_PREFIX}{label}",
        kind=types.CompletionItemKind.Text,
        detail=f"{suggestion.model} · {lines} line{'s' if lines > 1 else ''}",
        documentation=types.MarkupContent(kind=types.MarkupKind.PlainText, value=new_text),
        insert_text=new_text,
        insert_text_format=types.InsertTextFormat.PlainText,
        filter_text=new_text,
        # Above the language's own items: the user asked for this one.
        sort_text=f"0000{rank:02d}",
        preselect=rank == 0,
        text_edit=types.TextEdit(range=types.Range(start=start, end=_end(doc, cursor, suggestion)),
                                 new_text=new_text),
    )


def _register_inline(server: MyCoderServer, feature: CompletionFeature) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline(ls: MyCoderServer, params: types.InlineCompletionParams) -> Any:
        return await feature.inline_completion(params)


def _register_fallback(server: MyCoderServer, feature: CompletionFeature) -> None:
    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(resolve_provider=False))
    async def completion(ls: MyCoderServer, params: types.CompletionParams) -> Any:
        return await feature.completion(params)


def register(server: MyCoderServer, models: ModelServers) -> CompletionFeature:
    return server.add_feature(CompletionFeature(server, models))
