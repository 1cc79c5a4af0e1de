"""The model servers as the editor's features share them.

One HTTP client for the server's life, the pools of model servers and one
circuit breaker per server (:mod:`mycoder_lsp.brains.breaker`,
:mod:`mycoder_lsp.brains.pool`), the originals' findings kept across
requests, and the request flow built on them
(:class:`~mycoder_lsp.brains.orchestrator.Orchestrator`). Commands, hover and
completion all call models through this one feature, so a server that stops
answering is noticed once, skipped by all of them, and the user is told once.

What of a model's answer reaches the editor is cut here too
(:func:`cut_for_editor`): a runaway model must not freeze the editor.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import httpx
from lsprotocol import types

from mycoder_lsp.brains.breaker import Breaker, Breakers
from mycoder_lsp.brains.pool import Pools
from mycoder_lsp.brains.wire.http import BrainError, check_endpoint, new_client
from mycoder_lsp.server.app import MyCoderServer
from mycoder_lsp.server.feature import Feature
from mycoder_lsp.vocabulary import brains_of_kind

if TYPE_CHECKING:
    # Imported when the first request is made (or warmed up after the first
    # diagnostics): the request flow is not needed to start the server.
    from mycoder_lsp.brains.orchestrator import Baselines, Orchestrator, Result

log = logging.getLogger(__name__)

# What of one model answer reaches the editor (hover, showMessage, a command's
# result): a runaway model must not freeze the editor with megabytes of text.
EDITOR_ANSWER_LIMIT = 64 * 1024
LOG_LINE = 1000


class ModelServers(Feature):
    def __init__(self, server: MyCoderServer) -> None:
        super().__init__(server)
        self._client: httpx.AsyncClient | None = None
        # The last model trouble the user was told about: hovers do not
        # repeat it until a model call succeeds again.
        self.told: str | None = None
        self.breakers = Breakers(on_open=self._server_down, on_close=self._server_back)
        # The servers of brains whose url is a list: every request of this
        # server counts in one load and one breaker per server.
        self.pools = Pools(self.breakers)
        # The originals' findings, kept across requests (one orchestrator per request).
        self.baselines: Baselines | None = None

    # -- hooks ------------------------------------------------------------------

    async def settings_changed(self) -> None:
        self.told = None
        self.breakers.reset()
        self.pools.reset()

    async def shutdown(self) -> None:
        await self.breakers.close()
        await self.pools.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- shared pieces ----------------------------------------------------------

    @property
    def client(self) -> httpx.AsyncClient:
        # One client for the server's life: connections to the model server
        # are reused, and building a client is not free.
        if self._client is None:
            self._client = new_client()
            self.breakers.guard(self._client)
        return self._client

    def orchestrator(self) -> Orchestrator:
        from mycoder_lsp.brains.orchestrator import Baselines, Orchestrator

        server = self.server
        if self.baselines is None:
            self.baselines = Baselines()
        return Orchestrator(server.settings, client=self.client, pools=self.pools,
                            context_provider=server.context_provider,
                            run_in_thread=server.run_in_thread, workspace_root=server.root,
                            open_documents=self.open_texts, baselines=self.baselines)

    def open_texts(self) -> dict[str, str]:
        """path -> text of the documents the editor holds."""
        return {self.server.path_of(uri): doc.source for uri, doc in self.server.workspace.text_documents.items()}

    def answered(self) -> None:
        """A model call succeeded: the next trouble is news again."""
        self.told = None

    def tell(self, result: Result) -> None:
        """Show a failed result once, not once per hover."""
        if result.message != self.told:
            self.told = result.message
            self.server.show_message(cut_for_editor(result.message), types.MessageType.Error)

    # -- the model servers' breakers -------------------------------------------

    def breakers_of(self, brain: str) -> list[Breaker]:
        """The breakers of ``brain``'s server (each server of its pool); none
        for servers we may not talk to (not even a probe goes to a host
        outside ``brains.allowed_hosts``)."""
        settings = getattr(self.server.settings.brains, brain)
        try:
            check_endpoint(settings.urls, self.server.settings.brains.allowed_hosts)
        except BrainError:
            return []
        return [self.breakers.of(url, settings.backend) for url in settings.urls]

    def down(self, kind: str) -> Breaker | None:
        """The open breaker that makes a ``kind`` request pointless now: every
        brain it may use is on servers that are not answering (each one of a pool)."""
        brains = [self.breakers_of(name) for name in brains_of_kind(kind) or ("coding",)]
        if brains and all(breakers and all(b.is_open for b in breakers) for breakers in brains):
            return brains[0][0]
        return None

    async def answering(self, kind: str) -> bool:
        """After a failed call: are the servers of ``kind`` there at all (for a
        pool: one of them)? A server that is not opens its breaker (and the
        user is told once)."""
        brains = [self.breakers_of(name) for name in brains_of_kind(kind)]
        results = [await asyncio.gather(*(self.breakers.check(b) for b in breakers)) for breakers in brains if breakers]
        return all(any(answered) for answered in results)

    def _server_down(self, breaker: Breaker) -> None:
        message = breaker.message
        if self._spare(breaker):
            message += " Meanwhile the other servers of its pool answer."
        self.told = message
        self.server.show_message(message, types.MessageType.Warning)

    def _spare(self, breaker: Breaker) -> bool:
        """Is ``breaker``'s server one of a pool whose other servers answer?"""
        for name in ("organizer", "coding", "reasoning", "completion"):  # completion shares these breakers
            breakers = self.breakers_of(name)
            if breaker in breakers and any(not b.is_open for b in breakers if b is not breaker):
                return True
        return False

    def _server_back(self, breaker: Breaker) -> None:
        self.told = None
        self.server.show_message(f"The model server at {breaker.url} answers again.", types.MessageType.Info)


def cut_for_editor(text: str, limit: int = EDITOR_ANSWER_LIMIT, *, log_whole: bool = True) -> str:
    """``text``, or its first ``limit`` bytes and a note saying it was cut
    (the whole answer goes to the log, once: ``log_whole``)."""
    if len(text) * 4 <= limit:
        return text
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    if log_whole:
        # In lines of a bounded length: log readers (an editor's output
        # channel, a test harness) read stderr line by line.
        lines = [line[i:i + LOG_LINE] for line in text.splitlines() for i in range(0, max(len(line), 1), LOG_LINE)]
        log.info("a model answer of %d bytes was cut to %d for the editor; the whole answer:\n%s", len(data), limit,
                 "\n".join(lines))
    kept = data[:limit].decode("utf-8", "ignore")
    return f"{kept}\n\n… (cut: the answer was {len(data) // 1024:,} KB; see the output/log)"


def register(server: MyCoderServer, models: ModelServers) -> ModelServers:
    """Add ``models`` (made first: the features that call models hold it) to the server's features."""
    return server.add_feature(models)


__all__ = ["EDITOR_ANSWER_LIMIT", "ModelServers", "cut_for_editor"]
