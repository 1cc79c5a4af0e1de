"""Hover: what is known of the symbol at once, and the reasoning brain's
explanation when it arrives within ``hover.wait_ms``.

What is known: its signature, docstring, where it is and how often this file
names it, and the vault's learned patterns for it. Explanations are cached by
the symbol's content hash (the newest ``EXPLAINED_CACHE``); one that takes
longer than the hover waits goes on in the background to fill the cache for
the next hover. A model server that is down is not waited for.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.workspace import TextDocument

from mycoder_lsp.code.symbols import Symbol, find_symbol, symbol_at
from mycoder_lsp.code.workspace import content_hash
from mycoder_lsp.server.app import MyCoderServer
from mycoder_lsp.server.feature import Feature
from mycoder_lsp.server.features.models import ModelServers, cut_for_editor
from mycoder_lsp.server.features.symbols import DocumentSymbols

if TYPE_CHECKING:
    from mycoder_lsp.brains.orchestrator import Result

log = logging.getLogger(__name__)

# Explanations kept for hovers (by content hash); the oldest go first.
EXPLAINED_CACHE = 512


class HoverFeature(Feature):
    def __init__(self, server: MyCoderServer, models: ModelServers, symbols: DocumentSymbols) -> None:
        super().__init__(server)
        self.models = models
        self.symbols = symbols
        self._explained: OrderedDict[str, str] = OrderedDict()
        self._explaining: dict[str, asyncio.Task[Result]] = {}

    async def shutdown(self) -> None:
        for task in list(self._explaining.values()):
            task.cancel()

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        doc = self.symbols.open_document(params.text_document.uri)
        if doc is None or self.symbols.too_large(doc) or not doc.lines:
            return None
        pos = doc.position_from_client_units(params.position)
        symbols = await self.symbols.of(doc)
        # On a definition line: that definition. Elsewhere: the symbol the
        # word under the cursor names (a call, a reference), if we know it.
        symbol = symbol_at(symbols, pos.line, None)
        if symbol is None or symbol.def_line != pos.line:
            word = _word_at(doc.lines[pos.line] if pos.line < len(doc.lines) else "", pos.character)
            symbol = find_symbol(symbols, word) if word else None
        if symbol is None:
            return None
        parts = [self._known(doc, symbol)]
        learned = await self._learned(symbol)
        if learned:
            parts.append(learned)
        if self.server.settings.hover.explain:
            explanation = await self._explanation(doc, symbol)
            if explanation:
                parts.append("---\n" + explanation)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(parts)))

    def _known(self, doc: TextDocument, symbol: Symbol) -> str:
        language = self.symbols.language(doc) or ""
        path = self.server.path_of(doc.uri)
        root = self.server.root
        if root is not None and path.startswith(str(root)):
            path = path[len(str(root)):].lstrip("/\\")
        uses = len(re.findall(rf"(?<![\w.]){re.escape(symbol.name)}\b", doc.source)) - 1
        out = [f"```{language}\n{symbol.signature or symbol.name}\n```"]
        if symbol.docstring:
            out.append(symbol.docstring)
        refs = f"{uses} reference{'s' if uses != 1 else ''} in this file"
        out.append(f"*{symbol.kind} `{symbol.qualname}` · {path}:{symbol.def_line + 1} · {refs}*")
        return "\n\n".join(out)

    async def _learned(self, symbol: Symbol) -> str:
        """The vault's learned patterns for this symbol, if a vault is open."""
        related = getattr(self.server.context_provider, "related_patterns", None)
        if related is None:
            return ""
        try:
            found = await self.server.run_in_thread(related, symbol.qualname, 3)
        except Exception:
            log.exception("related patterns failed; hover goes on without them")
            return ""
        lines = [f"- {p.id}: {p.user_intent} (confidence {p.confidence:.2f})" for p in found]
        return "**Learned here**\n\n" + "\n".join(lines) if lines else ""

    async def _explanation(self, doc: TextDocument, symbol: Symbol) -> str | None:
        code = symbol.text(doc.source)
        key = content_hash(f"{self.symbols.language(doc)}\n{code}")
        if key in self._explained:
            self._explained.move_to_end(key)
            return self._explained[key]
        if self.models.down("explain") is not None:
            return None  # the server is not answering: what is known, at once
        task = self._explaining.get(key)
        if task is None:
            from mycoder_lsp.brains.orchestrator import Request  # loaded at start-up's end (app.warm_up)

            request = Request(kind="explain", instruction="", path=self.server.path_of(doc.uri), text=doc.source,
                              language=self.symbols.language(doc), symbol=symbol.qualname, uri=doc.uri, record=False)
            task = self.server.spawn(self.models.orchestrator().run(request), f"explain:{symbol.qualname}")
            self._explaining[key] = task
            task.add_done_callback(lambda t: self._explained_done(key, t))
        wait = self.server.settings.hover.wait_ms / 1000
        try:
            # shield: a hover that gives up (or is cancelled) leaves the
            # explanation running, to fill the cache for the next hover.
            result = await asyncio.wait_for(asyncio.shield(task), wait)
        except asyncio.TimeoutError:
            # Silent so long: is the server there at all? If not, the
            # next hovers stop waiting for it.
            for breaker in self.models.breakers_of("reasoning"):
                self.models.breakers.check(breaker)
            return "*MyCoder is still thinking about this one — hover again in a moment.*"
        if result.kind == "explanation":
            return self._explained.get(key) or cut_for_editor(result.text)
        return None

    def _explained_done(self, key: str, task: asyncio.Task[Result]) -> None:
        self._explaining.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        result = task.result()
        if result.kind == "explanation":
            self._explained[key] = cut_for_editor(result.text)
            while len(self._explained) > EXPLAINED_CACHE:
                self._explained.popitem(last=False)
            self.models.answered()
        else:
            self.server.spawn(self._tell_unless_down(result), "explain:failed")

    async def _tell_unless_down(self, result: Result) -> None:
        if await self.models.answering("explain"):
            self.models.tell(result)


def _word_at(line: str, col: int) -> str:
    for m in re.finditer(r"\w+", line):
        if m.start() <= col <= m.end():
            return m.group()
    return ""


def register(server: MyCoderServer, models: ModelServers, symbols: DocumentSymbols) -> HoverFeature:
    feature = server.add_feature(HoverFeature(server, models, symbols))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: MyCoderServer, params: types.HoverParams) -> types.Hover | None:
        return await feature.hover(params)

    return feature
