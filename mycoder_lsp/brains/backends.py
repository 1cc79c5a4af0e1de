"""Talking to the models: the :class:`Brain` facade over the wire protocols.

A :class:`Brain` is one configured model (organizer, coding or reasoning)
spoken to over one wire (:mod:`mycoder_lsp.brains.wire`: Ollama's native API
or an OpenAI-compatible server). :meth:`Brain.generate` streams the answer
and returns one :class:`Completion`: the text and what the server said about
it (token counts, stop reason, timings); :meth:`Brain.complete` is its text
alone, :meth:`Brain.choose` a constrained one-word choice,
:meth:`Brain.context_window` asks the server the model's real window, and
:meth:`Brain.prompt_window` is the window prompts are sized to (for Ollama
also the ``num_ctx`` sent, pinned per model so Ollama never reloads it).
:func:`fill_in_middle` streams an inline completion (FIM) over one of the
wires in :data:`FIM_WIRES`; the prompt templates live in
:mod:`mycoder_lsp.completion.templates`. :func:`embed` turns texts into
vectors through the same servers, and :func:`probe` asks a server what it
runs (for ``doctor``).

What is the brain's and not the wire's lives here: the timeout of a whole
call, the bound on what is read, the pool a call runs on, the window pinned
per model. Every failure is one :class:`BrainError` whose message tells the
user what to do; the egress rule (loopback, or a host allowed by name) is
checked by :func:`make_brain`, :func:`embed` and the embedders.

This module must not import pygls, and must not know about prompts, routing
or edits: it moves text to a model and back.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import httpx

from mycoder_lsp.brains.governance import BRAIN_NAMES, token_limit
from mycoder_lsp.brains.wire import Wire, wire_for
from mycoder_lsp.brains.wire.base import (
    DEFAULT_NUM_CTX,
    MAX_NUM_CTX,
    TOKENS_PER_MESSAGE,
    WINDOWS,
    Choice,
    Completion,
    FimRequest,
    Message,
    ServerInfo,
)
from mycoder_lsp.brains.wire.http import BrainError, check_endpoint
from mycoder_lsp.config import BrainSettings, Settings

if TYPE_CHECKING:
    from mycoder_lsp.brains.pool import Pools

log = logging.getLogger(__name__)

# num_ctx, when Ollama does not pin it for us: the model's own window capped
# at PINNED_NUM_CTX_CAP (a larger one costs memory and prompt time that one
# request rarely needs), DEFAULT_NUM_CTX when the server does not say,
# brains.<name>.num_ctx when set (at most MAX_NUM_CTX).
PINNED_NUM_CTX_CAP = 8192
# A rough, deliberately pessimistic characters-per-token for code (measured
# with Qwen2.5-Coder's tokenizer on this project's prompts: the estimate is
# 1.2-1.5 times the real count).
CHARS_PER_TOKEN = 3
EMBED_BATCH = 32
# No answer is read past this many characters: far beyond any max_tokens, it
# bounds what a runaway or hostile server can make us hold (done_reason "cut").
MAX_ANSWER_CHARS = 256 * 1024

# How a FIM request travels. "ollama-suffix": /api/generate with ``suffix``
# (Ollama applies the model's own template); "ollama-raw": /api/generate with
# ``raw`` and our templated prompt; "infill": llama.cpp's /infill (its own
# template, other files as ``input_extra``); "completions": OpenAI-compatible
# /v1/completions with our templated prompt.
FIM_WIRES = ("ollama-suffix", "ollama-raw", "infill", "completions")
# A FIM-capable model to name when the configured one cannot fill in the middle.
FIM_MODEL_HINT = "qwen2.5-coder:1.5b-base"


def estimate_tokens(messages: list[Message]) -> int:
    """The prompt's size in tokens, over- rather than underestimated: without
    a round trip to the server's tokenizer, and fine for a budget."""
    return sum(len(m.get("content", "")) for m in messages) // CHARS_PER_TOKEN + TOKENS_PER_MESSAGE * len(messages)


class Brain:
    """One configured model, over the wire of its ``backend``.

    A brain whose ``url`` is a list runs each call on one server of its pool
    (:mod:`mycoder_lsp.brains.pool`): ``pools`` is the entry point's shared
    registry of those servers (their load and breakers); without one the
    brain keeps a registry of its own. ``client``: the entry point's shared
    HTTP client; without one each call opens one that every request of the
    call reuses."""

    def __init__(self, name: str, settings: BrainSettings, *, max_tokens: int,
                 client: httpx.AsyncClient | None = None, pools: Pools | None = None) -> None:
        self.name = name
        self.settings = settings
        self.max_tokens = max_tokens
        self.pools = pools
        # The one server of the pool this copy of the brain talks to (at()).
        self._endpoint: str | None = None
        self.wire: Wire = wire_for(settings.backend, settings.urls[0], settings.api_key, client=client)
        self.last = Completion()

    @property
    def backend(self) -> str:
        return self.wire.backend

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def url(self) -> str:
        """The server this brain talks to: its own, the one of the pool a
        call runs on, or for a pool outside a call its first."""
        return self.wire.url

    @property
    def pooled(self) -> bool:
        """Several servers, and no call has chosen one yet."""
        return self._endpoint is None and len(self.settings.urls) > 1

    def at(self, url: str) -> Brain:
        """This brain on one server of its pool (same client, same settings)."""
        here = copy.copy(self)
        here._endpoint = url
        here.wire = self.wire.on(url)
        here.last = Completion()
        return here

    def _on_pool(self) -> Pools:
        if self.pools is None:
            from mycoder_lsp.brains.pool import Pools  # pool.py builds on this module

            self.pools = Pools()
        return self.pools

    # -- answers ------------------------------------------------------------------

    async def complete(self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None,
                       on_piece: Callable[[str], None] | None = None) -> str:
        """The answer's text; :meth:`generate` with the counters."""
        result = await self.generate(messages, json_mode=json_mode, max_tokens=max_tokens, on_piece=on_piece)
        return result.text

    async def generate(self, messages: list[Message], *, json_mode: bool = False, max_tokens: int | None = None,
                       on_piece: Callable[[str], None] | None = None) -> Completion:
        """Stream the answer to ``messages``; ``on_piece`` sees each chunk.

        Bounded by the brain's ``timeout`` as a whole (a slow trickle is a
        timeout too). Cancelling the awaiting task closes the HTTP stream.
        On a pool, a server that fails before the answer begins is replaced by
        the next (each try has the whole timeout); one that breaks off
        mid-answer is reported, not asked again elsewhere.
        """
        if self.pooled:
            return await self._on_pool().run(self, lambda here: here.generate(
                messages, json_mode=json_mode, max_tokens=max_tokens, on_piece=on_piece))
        limit = min(max_tokens, self.max_tokens) if max_tokens else self.max_tokens
        result = Completion(window=self._known_window())
        self.last = result
        pieces: list[str] = []
        received = 0

        async def run() -> None:
            nonlocal received
            async with self.wire.connected() as http:
                num_ctx = await self._num_ctx()
                stream = self._stream(http, messages, result, json_mode=json_mode, max_tokens=limit,
                                      num_ctx=num_ctx)
                async with aclosing(stream):
                    async for piece in stream:
                        pieces.append(piece)
                        received += len(piece)
                        result.pieces += 1
                        if on_piece is not None:
                            on_piece(piece)
                        if received >= MAX_ANSWER_CHARS:
                            log.warning("%s at %s sent over %d characters; the rest is not read", self.model,
                                        self.url, MAX_ANSWER_CHARS)
                            result.done_reason = "cut"
                            return  # closes the stream

        await self._bounded(run())
        result.text = "".join(pieces)
        if result.prompt_truncated:
            log.warning("%s at %s counted %s prompt tokens in a window of %s: it dropped part of the prompt",
                        self.model, self.url, result.prompt_tokens, result.window)
        return result

    async def _stream(self, http: httpx.AsyncClient, messages: list[Message], result: Completion, *,
                      json_mode: bool, max_tokens: int, num_ctx: int | None) -> AsyncGenerator[str, None]:
        payload = self.wire.chat_payload(self.settings, messages, json_mode=json_mode, max_tokens=max_tokens,
                                         num_ctx=num_ctx)
        if num_ctx:  # Ollama: the window is the one we asked for
            result.window = num_ctx
        async with aclosing(self._lines(http, self.wire.chat_path, payload)) as lines:
            async for line in lines:
                piece, done = self.wire.parse_chat_line(line, result)
                if piece:
                    yield piece
                if done:
                    return
        raise self.wire.cut(self.model)

    async def choose(self, messages: list[Message], labels: Sequence[str]) -> Choice | None:
        """Which of ``labels`` (distinct lowercase words) answers ``messages``,
        as a constrained choice: one short, unstreamed call that reads each
        label's probability where the server sends log-probabilities. None
        when the answer names no label. Bounded by the brain's timeout;
        faults raise :class:`BrainError` as :meth:`generate` does."""
        if self.pooled:  # unstreamed: a try that failed showed nothing, so any may be repeated
            return await self._on_pool().run(self, lambda here: here.choose(messages, labels))
        lines: list[str] = []

        async def run() -> None:
            async with self.wire.connected() as http:
                payload = self.wire.choice_payload(self.settings, messages, labels, max_tokens=self.max_tokens,
                                                   num_ctx=await self._num_ctx())
                received = 0
                async with aclosing(self._lines(http, self.wire.chat_path, payload)) as body:
                    async for line in body:
                        lines.append(line)
                        received += len(line)
                        if received >= MAX_ANSWER_CHARS:  # no answer to a one-word question is this long
                            raise self.wire.cut(self.model)

        await self._bounded(run())
        return self.wire.read_choice(self.wire.json_object("\n".join(lines)), labels)

    async def _bounded(self, call: Any) -> None:
        """``call`` within the brain's timeout, as a whole."""
        try:
            await asyncio.wait_for(call, timeout=self.settings.timeout)
        except asyncio.TimeoutError:
            raise self._timed_out() from None

    def _timed_out(self) -> BrainError:
        return BrainError(
            f"The {self.name} brain ({self.model} at {self.url}) did not answer within "
            f"{self.settings.timeout:g} s — the model may still be loading; try again, or raise "
            f"brains.{self.name}.timeout."
        )

    def _lines(self, http: httpx.AsyncClient, path: str, payload: dict[str, Any]) -> AsyncGenerator[str, None]:
        return self.wire.lines(http, path, payload, model=self.model, timeout=self.settings.timeout,
                               setting=f"brains.{self.name}.backend", timed_out=self._timed_out)

    # -- sizing ---------------------------------------------------------------------

    async def context_window(self) -> int | None:
        """The model's real context window in tokens, as the server reports
        it (llama.cpp ``/props``, Ollama ``/api/show``), asked once per
        server and model and then cached; ``None`` when it does not say.
        Never raises: a server that cannot answer is found out by the call."""
        if self.pooled:  # the servers of a pool serve the same model: any one may say
            return await (await self._on_pool().one(self)).context_window()
        key = (self.backend, self.url, self.model)
        if key in WINDOWS:
            return WINDOWS[key]
        window: int | None = None
        answered = False

        async def ask() -> None:
            nonlocal window, answered
            try:
                async with self.wire.connected() as http:
                    window = await self.wire.ask_window(http, self.model)
                answered = True
            except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
                log.info("%s at %s did not say its context window: %s", self.model, self.url, exc)

        try:
            await asyncio.wait_for(ask(), timeout=min(10.0, self.settings.timeout))
        except asyncio.TimeoutError:
            log.info("%s at %s did not say its context window in time", self.model, self.url)
            return None  # not cached: it may be loading
        if answered:  # a failure to ask is not cached: the server may be starting
            WINDOWS[key] = window
        return window

    async def prompt_window(self) -> int:
        """The window, in tokens, that a prompt and its answer must fit.

        For Ollama it is also the ``num_ctx`` every call sends: the setting
        ``brains.<name>.num_ctx`` when set, else the model's own window capped
        at PINNED_NUM_CTX_CAP, else DEFAULT_NUM_CTX. For an OpenAI-compatible
        server the window is the server's own (llama-server's ``--ctx-size``);
        a smaller setting sizes prompts smaller. Never raises."""
        setting = min(self.settings.num_ctx, MAX_NUM_CTX)
        if setting and self.wire.sends_num_ctx:
            return setting  # no round trip
        window = await self.context_window()
        if self.wire.sends_num_ctx:
            return min(window, PINNED_NUM_CTX_CAP) if window else DEFAULT_NUM_CTX
        known = [w for w in (window, setting) if w]
        return min(known) if known else DEFAULT_NUM_CTX

    async def _num_ctx(self) -> int | None:
        """The ``num_ctx`` to send (None: the protocol has none)."""
        return await self.prompt_window() if self.wire.sends_num_ctx else None

    def _known_window(self) -> int | None:
        return WINDOWS.get((self.backend, self.url, self.model))

    async def count_tokens(self, messages: list[Message]) -> int | None:
        """The server's own count of the prompt ``messages`` make, or None
        when it has no tokenizer to ask (Ollama) or does not answer. One
        short round trip (llama.cpp's ``/tokenize``): for when the estimate
        says a prompt must be trimmed, not for every call. Never raises."""
        if self.pooled:
            return await (await self._on_pool().one(self)).count_tokens(messages)
        if not self.wire.has_tokenizer:
            return None
        text = "\n".join(m.get("content", "") for m in messages)

        async def ask() -> int | None:
            async with self.wire.connected() as http:
                return await self.wire.count_tokens(http, text)

        try:
            tokens = await asyncio.wait_for(ask(), timeout=min(10.0, self.settings.timeout))
        except (asyncio.TimeoutError, httpx.HTTPError, ValueError, AttributeError) as exc:
            log.info("%s at %s did not count the prompt's tokens: %s", self.model, self.url, exc or type(exc).__name__)
            return None
        return None if tokens is None else tokens + TOKENS_PER_MESSAGE * len(messages)


def make_brain(name: str, settings: Settings, *, client: httpx.AsyncClient | None = None,
               pools: Pools | None = None) -> Brain:
    """The brain ``name`` (organizer | coding | reasoning) as configured.

    Refuses (BrainError) an endpoint outside loopback whose host is not in
    ``brains.allowed_hosts`` (every server of a pool). Pass a shared
    ``client`` to reuse connections, and the entry point's ``pools`` so that
    every request counts in the same load and breakers.
    """
    if name not in BRAIN_NAMES:
        raise ValueError(f"unknown brain {name!r}")
    brain_settings: BrainSettings = getattr(settings.brains, name)
    check_endpoint(brain_settings.urls, settings.brains.allowed_hosts, what=f"{name} brain's endpoint")
    return Brain(name, brain_settings, max_tokens=token_limit(name, settings), client=client, pools=pools)


# -- fill in the middle (inline completion) ---------------------------------


def _no_fim(brain: Brain, fim_wire: str, exc: BrainError) -> BrainError:
    """The one clear message for a model or server that cannot fill in the middle; ``exc`` otherwise."""
    text = str(exc).lower()
    if "does not support insert" in text or "infill is not supported" in text:
        return BrainError(
            f"The completion model {brain.model} at {brain.url} cannot fill in the middle (an instruct or chat "
            f"model) — pull a FIM model, e.g. `ollama pull {FIM_MODEL_HINT}`, and set brains.completion.model "
            "to it.")
    # A 404 reads "the model is not available" (see Wire.http_error); for /infill it is the path.
    if fim_wire == "infill" and ("http 404" in text or " is not available on " in text):
        return BrainError(
            f"The server at {brain.url} has no /infill (only llama.cpp's server has) — set completion.fim_template "
            "to the model's family (e.g. \"qwen\") so MyCoder sends /v1/completions instead.")
    return exc


def _fim_wire(brain: Brain, fim_wire: str) -> Wire:
    """The wire that carries ``fim_wire``: the brain's own, or (a FIM wire of
    the other protocol, which the completer never picks) one on its server."""
    if fim_wire in brain.wire.fim_wires:
        return brain.wire
    other = wire_for("ollama" if fim_wire.startswith("ollama") else "openai", brain.url, brain.settings.api_key,
                     client=brain.wire.client)
    return other


async def fill_in_middle(brain: Brain, request: FimRequest, wire: str, *,
                         enough: Callable[[str], bool] | None = None) -> Completion:
    """Stream the middle for ``request`` over ``wire`` (one of FIM_WIRES).

    ``enough(text so far)`` returning True ends the answer there (the stream
    is closed, ``done_reason`` "enough"): the caller has the lines it will
    show. Bounded by the brain's timeout; cancelling closes the stream; a
    model without FIM support raises one :class:`BrainError` naming one to pull.
    """
    if wire not in FIM_WIRES:
        raise ValueError(f"unknown FIM wire {wire!r}")
    if brain.pooled:
        return await brain._on_pool().run(brain, lambda here: fill_in_middle(here, request, wire, enough=enough))
    result = Completion(window=brain._known_window())
    brain.last = result
    pieces: list[str] = []
    speaker = _fim_wire(brain, wire)

    async def run() -> None:
        async with speaker.connected() as http:
            num_ctx = await brain._num_ctx() if speaker.sends_num_ctx else None
            if num_ctx:
                result.window = num_ctx
            payload = speaker.fim_payload(brain.settings, request, wire, num_ctx)
            lines = speaker.lines(http, speaker.fim_path(wire), payload, model=brain.model,
                                  timeout=brain.settings.timeout, setting=f"brains.{brain.name}.backend",
                                  timed_out=brain._timed_out)
            received = 0
            async with aclosing(lines):
                async for line in lines:
                    piece, done = speaker.parse_fim_line(wire, line, result)
                    if piece:
                        pieces.append(piece)
                        received += len(piece)
                        result.pieces += 1
                    if done:
                        return
                    if received >= MAX_ANSWER_CHARS:
                        result.done_reason = "cut"
                        return
                    if piece and enough is not None and enough("".join(pieces)):
                        result.done_reason = "enough"
                        return  # closes the stream: the server stops generating
            raise speaker.cut(brain.model)

    try:
        await brain._bounded(run())
    except BrainError as exc:
        raised = _no_fim(brain, wire, exc)
        if raised is exc:
            raise
        raise raised from None
    result.text = "".join(pieces)
    return result


# -- embeddings and doctor --------------------------------------------------


async def embed(texts: list[str], *, model: str, url: str, backend: str = "ollama", api_key: str = "",
                allowed_hosts: Iterable[str] = (), batch_size: int = EMBED_BATCH, timeout: float = 60.0,
                client: httpx.AsyncClient | None = None) -> list[list[float]]:
    """Vectors for ``texts`` (same order), batched: Ollama ``/api/embed`` or
    OpenAI-compatible ``/v1/embeddings``, every batch over one client."""
    if not texts:
        return []
    check_endpoint(url, allowed_hosts, what="embedding endpoint")
    wire = wire_for(backend, url, api_key, client=client)
    vectors: list[list[float]] = []
    step = max(1, batch_size)

    async def run() -> None:
        async with wire.connected() as http:
            for start in range(0, len(texts), step):
                vectors.extend(await wire.embed_batch(http, model, texts[start:start + step], timeout))

    try:
        await asyncio.wait_for(run(), timeout)
    except asyncio.TimeoutError:
        raise BrainError(f"Embedding with {model} at {wire.url} did not finish within {timeout:g} s.") from None
    return vectors


async def probe(url: str, *, backend: str = "ollama", api_key: str = "", timeout: float = 5.0,
                client: httpx.AsyncClient | None = None) -> ServerInfo:
    """Ask a server its version and models; never raises for network trouble."""
    wire = wire_for(backend, url, api_key, client=client)
    async with wire.connected() as http:
        return await wire.probe(http, timeout)


__all__ = [
    "Brain",
    "CHARS_PER_TOKEN",
    "EMBED_BATCH",
    "FIM_MODEL_HINT",
    "FIM_WIRES",
    "MAX_ANSWER_CHARS",
    "PINNED_NUM_CTX_CAP",
    "embed",
    "estimate_tokens",
    "fill_in_middle",
    "make_brain",
    "probe",
]
