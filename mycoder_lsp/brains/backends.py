"""Talking to the models: Ollama's native API and OpenAI-compatible servers.

A :class:`Brain` is one configured model (organizer, coding or reasoning) with
one async method, :meth:`Brain.generate`, that streams the answer and returns
one :class:`Completion`: the text and what the server said about it (token
counts, stop reason, timings); :meth:`Brain.complete` is its text alone,
:meth:`Brain.context_window` asks the server the model's real window, and
:meth:`Brain.prompt_window` is the window prompts are sized to (for Ollama
also the ``num_ctx`` sent, pinned per model so Ollama never reloads it).
:func:`embed` turns texts into vectors through the same servers, and
:func:`probe` asks a server what it runs (for ``doctor``).
:func:`fill_in_middle` streams an inline completion (FIM) over one of the
wires in :data:`FIM_WIRES`; the prompt templates live in
:mod:`mycoder_lsp.completion.templates`.

Every failure becomes one :class:`BrainError` whose message tells the user what
to do (start the server, pull the model, ...). Nothing here leaves loopback
unless the host is allowed by name in ``brains.allowed_hosts``: ``localhost``
and ``*.localhost`` are connected to the loopback address directly, without
asking a resolver, any other name is refused before it is resolved, and
redirects are never followed.

This module must not import pygls, and must not know about prompts, routing
or edits: it moves text to a model and back.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import json
import logging
import math
import re
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable, Sequence

import httpx

from mycoder_lsp.brains.governance import BRAIN_NAMES, token_limit
from mycoder_lsp.config import BrainSettings, Settings
from mycoder_lsp.errors import UserError

if TYPE_CHECKING:
    from mycoder_lsp.brains.pool import Pools

log = logging.getLogger(__name__)

Message = dict[str, str]

# Ollama's default window is small and it truncates silently, so num_ctx is
# always sent, and always the same for a model (a new num_ctx reloads it):
# the model's own window capped at PINNED_NUM_CTX_CAP (a larger one costs
# memory and prompt time that one request rarely needs), DEFAULT_NUM_CTX when
# the server does not say, brains.<name>.num_ctx when set (at most MAX_NUM_CTX).
DEFAULT_NUM_CTX = 4096
PINNED_NUM_CTX_CAP = 8192
MAX_NUM_CTX = 32768
# A rough, deliberately pessimistic characters-per-token for code (measured
# with Qwen2.5-Coder's tokenizer on this project's prompts: the estimate is
# 1.2-1.5 times the real count), and the chat template's tokens per message.
CHARS_PER_TOKEN = 3
TOKENS_PER_MESSAGE = 8
EMBED_BATCH = 32
# Brain.choose: how many alternatives the server lists for the answer's first
# token (OpenAI's own maximum), and the tokens Ollama may spend on its JSON.
CHOICE_TOP_LOGPROBS = 20
CHOICE_MAX_TOKENS = 16
# No answer is read past this many characters: far beyond any max_tokens, it
# bounds what a runaway or hostile server can make us hold (done_reason "cut").
MAX_ANSWER_CHARS = 256 * 1024


# Servers that answered /tokenize with 404: not asked again.
_NO_TOKENIZER: set[str] = set()

# The window each server reports, by (backend, url, model): asked once per
# process, since the orchestrator makes a brain per request. None: the server
# answered but does not say (asking again would not help).
_WINDOWS: dict[tuple[str, str, str], int | None] = {}


class BrainError(UserError):
    """A model call failed; the message says what the user can do about it."""


class ServerFault(BrainError):
    """The server failed, not the request: no connection, a connection that
    broke, HTTP 503. Another server of a pool may answer the same request
    (:mod:`mycoder_lsp.brains.pool`)."""


# -- where we may send data -------------------------------------------------


def _host_of(url: str) -> str:
    # Parsed by httpx, the parser that the connection uses, so the host
    # checked is the host connected to.
    try:
        parts = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise BrainError(f"The LLM endpoint {url!r} is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.host:
        raise BrainError(f"The LLM endpoint {url!r} is not an http(s) URL, e.g. http://127.0.0.1:11434.")
    return parts.host.lower()


def is_localhost_name(host: str) -> bool:
    """``localhost`` or a name under it: loopback by definition (RFC 6761)."""
    name = host.lower().removesuffix(".")
    return name == "localhost" or name.endswith(".localhost")


def is_loopback(host: str) -> bool:
    """Loopback without asking a resolver: an IP literal, or a localhost name
    (which :func:`new_client` connects to 127.0.0.1 itself)."""
    if is_localhost_name(host):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str | Sequence[str], allowed_hosts: Iterable[str], *, what: str = "LLM endpoint") -> None:
    """Refuse a non-loopback endpoint unless its host is allowed by name; a
    list (a brain's pool) is refused when any of its servers is."""
    if not isinstance(url, str):
        allowed = list(allowed_hosts)
        if not url:
            raise BrainError(f"The {what} names no server: set its url.")
        for one in url:
            check_endpoint(one, allowed, what=what)
        return
    host = _host_of(url)
    if is_loopback(host):
        return
    if host in {h.strip().lower() for h in allowed_hosts}:
        return
    raise BrainError(
        f"The {what} {url} is not on this machine, so MyCoder will not send your code there. "
        f"If you trust that server, add \"{host}\" to brains.allowed_hosts in your settings."
    )


# -- sizing -----------------------------------------------------------------


def estimate_tokens(messages: list[Message]) -> int:
    """The prompt's size in tokens, over- rather than underestimated: without
    a round trip to the server's tokenizer, and fine for a budget."""
    return sum(len(m.get("content", "")) for m in messages) // CHARS_PER_TOKEN + TOKENS_PER_MESSAGE * len(messages)


# -- errors -----------------------------------------------------------------


def _server_label(backend: str, url: str) -> str:
    return f"Ollama at {url}" if backend == "ollama" else f"the OpenAI-compatible server at {url}"


def _unreachable(backend: str, url: str) -> BrainError:
    if backend == "ollama":
        return ServerFault(f"Ollama is not reachable at {url} — start it with `ollama serve` "
                           "(or fix the brain's url).")
    return ServerFault(
        f"The OpenAI-compatible server at {url} is not reachable — start it (llama.cpp server, vLLM, "
        "LM Studio) or fix the brain's url."
    )


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:300]
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):  # OpenAI style: {"error": {"message": ...}}
            err = err.get("message")
        if err:
            return str(err)
    return json.dumps(data)[:300]


def _raise_for_redirect(response: httpx.Response, backend: str, url: str) -> None:
    """Redirects are never followed (one to another host would carry the code
    there); say so, and where it pointed, instead of "the answer broke off"."""
    if not 300 <= response.status_code < 400:
        return
    location = response.headers.get("location")
    to = f" to {location[:200]}" if location else ""
    raise BrainError(
        f"{_server_label(backend, url)} redirected the request{to} (HTTP {response.status_code}). MyCoder does not "
        "follow redirects, so your code was not sent there — set the url to the address the server answers on itself."
    )


def _http_error(status: int, body: bytes, *, backend: str, url: str, model: str) -> BrainError:
    text = _error_text(body)
    if status == 404 and ("not found" in text.lower() or "pull" in text.lower() or not text):
        if backend == "ollama":
            return BrainError(f"The model {model} is not pulled on {url} — run `ollama pull {model}`.")
        return BrainError(f"The model {model} is not available on {url} ({text or 'not found'}) — load it there "
                          "or fix the brain's model name.")
    detail = f": {text}" if text else ""
    return BrainError(f"{_server_label(backend, url)} answered HTTP {status}{detail}")


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _seconds(value: Any, per_second: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return value / per_second


async def _speaks_openai_only(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> bool:
    """After a 404 from Ollama's API: is ``url`` an OpenAI-compatible server
    (llama.cpp server, vLLM, LM Studio) rather than Ollama? Ollama answers
    ``/api/version``; the others do not, but list models at ``/v1/models``."""
    try:
        version = await client.get(url + "/api/version", timeout=_timeout(3.0))
        if version.status_code == 200 and isinstance(version.json(), dict) and version.json().get("version"):
            return False
        models = await client.get(url + "/v1/models", headers=headers, timeout=_timeout(3.0))
        return models.status_code == 200 and isinstance(models.json().get("data"), list)
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def _context_overflow(body: bytes) -> tuple[int, int] | None:
    """llama-server refuses a prompt longer than its window (HTTP 400,
    ``exceed_context_size_error``) instead of cutting it: (prompt, window)."""
    try:
        err = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(err, dict) or err.get("type") != "exceed_context_size_error":
        return None
    prompt, window = _count(err.get("n_prompt_tokens")), _count(err.get("n_ctx"))
    return (prompt, window) if prompt is not None and window else None


async def _failure(client: httpx.AsyncClient, status: int, body: bytes, *, backend: str, url: str, model: str,
                   headers: dict[str, str], setting: str) -> BrainError:
    """The error for an HTTP ``status`` >= 400; ``setting`` names the backend
    setting to change (e.g. ``brains.coding.backend``)."""
    too_long = _context_overflow(body)
    if too_long is not None:
        prompt, window = too_long
        _WINDOWS[(backend, url, model)] = window
        return BrainError(
            f"The prompt ({prompt} tokens) does not fit the context window of {model} at {url} ({window} tokens) "
            "— start the server with a larger window (llama-server --ctx-size), or ask about less code.")
    if status == 404 and backend == "ollama" and await _speaks_openai_only(client, url, headers):
        return BrainError(
            f"The server at {url} does not speak Ollama's API (HTTP 404 for /api/...): this looks like an "
            f"OpenAI-compatible server (llama.cpp server, vLLM, LM Studio): set `backend = \"openai\"` "
            f"({setting}) and keep the url.")
    if status == 503:  # loading a model, or no slot free: another server of a pool may answer
        text = _error_text(body)
        return ServerFault(f"{_server_label(backend, url)} is not ready (HTTP 503{': ' + text if text else ''}) "
                           "— it may still be loading the model; try again in a moment.")
    return _http_error(status, body, backend=backend, url=url, model=model)


# -- the brains -------------------------------------------------------------


@dataclass
class Completion:
    """What one call returned and what the server said about it.

    :meth:`Brain.generate` returns one per call (``Brain.last`` keeps the most
    recent, for callers of :meth:`Brain.complete`). Counters are the server's
    own (Ollama's final line, an OpenAI-compatible ``usage`` chunk), ``None``
    when it sent none; nothing here is estimated from the text.
    """

    text: str = ""
    pieces: int = 0
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    # "stop", "length" (the token limit), "cut" (MAX_ANSWER_CHARS), ... as sent.
    done_reason: str | None = None
    prompt_seconds: float | None = None
    output_seconds: float | None = None
    # The window the prompt went into: the num_ctx sent to Ollama, or the
    # server's n_ctx when :meth:`Brain.context_window` has already read it.
    window: int | None = None
    timings: dict[str, Any] = field(default_factory=dict)  # llama-server's "timings", as sent

    @property
    def truncated(self) -> bool:
        """The answer stopped at a limit, not because the model was done."""
        return self.done_reason in ("length", "cut")

    @property
    def prompt_truncated(self) -> bool:
        """The server's prompt count filled the window: it dropped part of the prompt."""
        return self.prompt_tokens is not None and self.window is not None and self.prompt_tokens >= self.window


@dataclass
class Choice:
    """What :meth:`Brain.choose` read: each label's probability (summing to 1).

    ``scored``: the probabilities are the model's own, from the
    log-probabilities of the answer's first token. A server that sends none
    yields the label it answered with probability 1 and ``scored`` False.
    """

    probabilities: dict[str, float]
    scored: bool
    prompt_tokens: int | None = None

    @property
    def best(self) -> tuple[str, float]:
        label = max(self.probabilities, key=self.probabilities.__getitem__)
        return label, self.probabilities[label]


def label_probabilities(candidates: Iterable[tuple[Any, Any]], labels: Sequence[str]) -> dict[str, float] | None:
    """Each label's share of the probability of the ``(token, logprob)``
    candidates for one position that can begin it and no other label ("ex"
    begins "explain", "General" begins "general"); None when none can."""
    mass = dict.fromkeys(labels, 0.0)
    for token, logprob in candidates:
        piece = str(token).strip().strip('"').lower()
        owners = [label for label in labels if piece and label.startswith(piece)]
        if len(owners) == 1 and isinstance(logprob, (int, float)) and not isinstance(logprob, bool):
            mass[owners[0]] += math.exp(min(0.0, logprob))
    total = sum(mass.values())
    return {label: m / total for label, m in mass.items()} if total > 0 else None


def _answered(text: str, labels: Sequence[str], prompt_tokens: int | None) -> Choice | None:
    """The label a server without log-probabilities answered (its first
    word, or the start of one: "modify-target", "expl"), unscored."""
    words = re.findall(r"[a-z]+", text.lower())
    owners = [label for label in labels if words and (words[0].startswith(label) or label.startswith(words[0]))]
    if len(owners) != 1:
        return None
    return Choice({label: float(label == owners[0]) for label in labels}, False, prompt_tokens)


class Brain:
    """One configured model. Subclasses speak one wire protocol.

    A brain whose ``url`` is a list runs each call on one server of its pool
    (:mod:`mycoder_lsp.brains.pool`): ``pools`` is the entry point's shared
    registry of those servers (their load and breakers); without one the
    brain keeps a registry of its own."""

    backend = "ollama"

    def __init__(self, name: str, settings: BrainSettings, *, max_tokens: int,
                 client: httpx.AsyncClient | None = None, pools: Pools | None = None) -> None:
        self.name = name
        self.settings = settings
        self.max_tokens = max_tokens
        self._client = client
        self.pools = pools
        # The one server of the pool this copy of the brain talks to (at()).
        self._endpoint: str | None = None
        self.last = Completion()

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def url(self) -> str:
        """The server this brain talks to: its own, the one of the pool a
        call runs on, or for a pool outside a call its first."""
        return self._server(self._endpoint or self.settings.urls[0])

    def _server(self, url: str) -> str:
        return url.rstrip("/")

    @property
    def pooled(self) -> bool:
        """Several servers, and no call has chosen one yet."""
        return self._endpoint is None and len(self.settings.urls) > 1

    def at(self, url: str) -> Brain:
        """This brain on one server of its pool (same client, same settings)."""
        here = copy.copy(self)
        here._endpoint = url
        here.last = Completion()
        return here

    def _on_pool(self) -> Pools:
        if self.pools is None:
            from mycoder_lsp.brains.pool import Pools  # pool.py builds on this module

            self.pools = Pools()
        return self.pools

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

        async def run(client: httpx.AsyncClient) -> None:
            nonlocal received
            num_ctx = await self._num_ctx()
            stream = self._stream(client, messages, result, json_mode=json_mode, max_tokens=limit, num_ctx=num_ctx)
            async with aclosing(stream):  # type: ignore[type-var]
                async for piece in stream:
                    pieces.append(piece)
                    received += len(piece)
                    result.pieces += 1
                    if on_piece is not None:
                        on_piece(piece)
                    if received >= MAX_ANSWER_CHARS:
                        log.warning("%s at %s sent over %d characters; the rest is not read", self.model, self.url,
                                    MAX_ANSWER_CHARS)
                        result.done_reason = "cut"
                        return  # closes the stream

        try:
            await asyncio.wait_for(self._with_client(run), timeout=self.settings.timeout)
        except asyncio.TimeoutError:
            raise self._timed_out() from None
        result.text = "".join(pieces)
        if result.prompt_truncated:
            log.warning("%s at %s counted %s prompt tokens in a window of %s: it dropped part of the prompt",
                        self.model, self.url, result.prompt_tokens, result.window)
        return result

    async def choose(self, messages: list[Message], labels: Sequence[str]) -> Choice | None:
        """Which of ``labels`` (distinct lowercase words) answers ``messages``,
        as a constrained choice: one short, unstreamed call that reads each
        label's probability where the server sends log-probabilities. None
        when the answer names no label. Bounded by the brain's timeout;
        faults raise :class:`BrainError` as :meth:`generate` does."""
        if self.pooled:  # unstreamed: a try that failed showed nothing, so any may be repeated
            return await self._on_pool().run(self, lambda here: here.choose(messages, labels))
        lines: list[str] = []

        async def run(client: httpx.AsyncClient) -> None:
            payload = self.choice_payload(messages, labels, num_ctx=await self._num_ctx())
            received = 0
            async with aclosing(self._lines(client, self.chat_path, payload)) as body:  # type: ignore[type-var]
                async for line in body:
                    lines.append(line)
                    received += len(line)
                    if received >= MAX_ANSWER_CHARS:  # no answer to a one-word question is this long
                        raise self._cut()

        try:
            await asyncio.wait_for(self._with_client(run), timeout=self.settings.timeout)
        except asyncio.TimeoutError:
            raise self._timed_out() from None
        return self.read_choice(self._json("\n".join(lines)), labels)

    def choice_payload(self, messages: list[Message], labels: Sequence[str], *,
                       num_ctx: int | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def read_choice(self, data: dict[str, Any], labels: Sequence[str]) -> Choice | None:
        raise NotImplementedError

    def _timed_out(self) -> BrainError:
        return BrainError(
            f"The {self.name} brain ({self.model} at {self.url}) did not answer within "
            f"{self.settings.timeout:g} s — the model may still be loading; try again, or raise "
            f"brains.{self.name}.timeout."
        )

    async def _with_client(self, work: Callable[[httpx.AsyncClient], Any]) -> None:
        if self._client is not None:
            await work(self._client)
            return
        async with new_client() as client:
            await work(client)

    chat_path = ""

    def payload(self, messages: list[Message], *, json_mode: bool, max_tokens: int,
                num_ctx: int | None = None) -> dict[str, Any]:
        raise NotImplementedError

    def parse_line(self, line: str, result: Completion) -> tuple[str, bool]:
        """One line of the streamed body -> (text piece, whether it was the
        last); what the server says about the call goes into ``result``."""
        raise NotImplementedError

    async def context_window(self) -> int | None:
        """The model's real context window in tokens, as the server reports
        it (llama.cpp ``/props``, Ollama ``/api/show``), asked once per
        server and model and then cached; ``None`` when it does not say.
        Never raises: a server that cannot answer is found out by the call."""
        if self.pooled:  # the servers of a pool serve the same model: any one may say
            return await (await self._on_pool().one(self)).context_window()
        key = (self.backend, self.url, self.model)
        if key in _WINDOWS:
            return _WINDOWS[key]
        window: int | None = None
        answered = False

        async def ask(client: httpx.AsyncClient) -> None:
            nonlocal window, answered
            try:
                window = await self._ask_window(client)
                answered = True
            except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
                log.info("%s at %s did not say its context window: %s", self.model, self.url, exc)

        try:
            await asyncio.wait_for(self._with_client(ask), timeout=min(10.0, self.settings.timeout))
        except asyncio.TimeoutError:
            log.info("%s at %s did not say its context window in time", self.model, self.url)
            return None  # not cached: it may be loading
        if answered:  # a failure to ask is not cached: the server may be starting
            _WINDOWS[key] = window
        return window

    async def prompt_window(self) -> int:
        """The window, in tokens, that a prompt and its answer must fit.

        For Ollama it is also the ``num_ctx`` every call sends: the setting
        ``brains.<name>.num_ctx`` when set, else the model's own window capped
        at PINNED_NUM_CTX_CAP, else DEFAULT_NUM_CTX. For an OpenAI-compatible
        server the window is the server's own (llama-server's ``--ctx-size``);
        a smaller setting sizes prompts smaller. Never raises."""
        setting = min(self.settings.num_ctx, MAX_NUM_CTX)
        if setting and self.backend == "ollama":
            return setting  # no round trip
        window = await self.context_window()
        if self.backend == "ollama":
            return min(window, PINNED_NUM_CTX_CAP) if window else DEFAULT_NUM_CTX
        known = [w for w in (window, setting) if w]
        return min(known) if known else DEFAULT_NUM_CTX

    async def _num_ctx(self) -> int | None:
        """The ``num_ctx`` to send (None: the protocol has none)."""
        return None

    async def count_tokens(self, messages: list[Message]) -> int | None:
        """The server's own count of the prompt ``messages`` make, or None
        when it has no tokenizer to ask (Ollama) or does not answer. One
        short round trip (llama.cpp's ``/tokenize``): for when the estimate
        says a prompt must be trimmed, not for every call. Never raises."""
        return None

    async def _ask_window(self, client: httpx.AsyncClient) -> int | None:
        raise NotImplementedError

    def _known_window(self) -> int | None:
        return _WINDOWS.get((self.backend, self.url, self.model))

    async def _stream(self, client: httpx.AsyncClient, messages: list[Message], result: Completion, *,
                      json_mode: bool, max_tokens: int, num_ctx: int | None = None) -> AsyncIterator[str]:
        payload = self.payload(messages, json_mode=json_mode, max_tokens=max_tokens, num_ctx=num_ctx)
        if num_ctx:  # Ollama: the window is the one we asked for
            result.window = num_ctx
        lines = self._lines(client, self.chat_path, payload)
        async with aclosing(lines):  # type: ignore[type-var]
            async for line in lines:
                piece, done = self.parse_line(line, result)
                if piece:
                    yield piece
                if done:
                    return
        raise self._cut()

    def _json(self, text: str) -> dict[str, Any]:
        try:
            data = json.loads(text)
        except ValueError:
            raise self._not_json(text) from None
        if not isinstance(data, dict):
            raise self._not_json(text)
        return data

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}

    async def _lines(self, client: httpx.AsyncClient, path: str, payload: dict[str, Any]) -> AsyncIterator[str]:
        """POST ``payload`` and yield the response body line by line."""
        try:
            async with client.stream("POST", self.url + path, json=payload, headers=self._headers(),
                                     timeout=_timeout(self.settings.timeout)) as response:
                _raise_for_redirect(response, self.backend, self.url)
                if response.status_code >= 400:
                    body = await response.aread()
                    raise await _failure(client, response.status_code, body, backend=self.backend, url=self.url,
                                         model=self.model, headers=self._headers(),
                                         setting=f"brains.{self.name}.backend")
                async for line in response.aiter_lines():
                    if line.strip():
                        yield line
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise _unreachable(self.backend, self.url) from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise self._cut(exc) from None
        except httpx.TimeoutException:
            raise self._timed_out() from None
        except httpx.HTTPError as exc:
            raise BrainError(f"{_server_label(self.backend, self.url)} failed: {exc or type(exc).__name__}") from None

    def _cut(self, exc: Exception | None = None) -> BrainError:
        why = f" ({exc})" if exc else ""
        return ServerFault(f"The answer from {self.model} at {self.url} broke off before it was complete{why} — "
                          "try again; if it keeps happening, check the server's log.")

    def _not_json(self, line: str) -> BrainError:
        return BrainError(f"{_server_label(self.backend, self.url)} sent something that is not JSON "
                          f"({line[:80]!r}) — is that URL really an {self.backend} server?")


class OllamaBrain(Brain):
    """Ollama's native ``/api/chat``, streamed as newline-delimited JSON."""

    backend = "ollama"
    chat_path = "/api/chat"

    def payload(self, messages: list[Message], *, json_mode: bool, max_tokens: int,
                num_ctx: int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "options": {
                "temperature": self.settings.temperature,
                "num_predict": max_tokens,
                "num_ctx": num_ctx or DEFAULT_NUM_CTX,
            },
            "keep_alive": self.settings.keep_alive,
        }
        if json_mode:
            payload["format"] = "json"
        return payload

    async def _num_ctx(self) -> int | None:
        return await self.prompt_window()

    def choice_payload(self, messages: list[Message], labels: Sequence[str], *,
                       num_ctx: int | None = None) -> dict[str, Any]:
        # A JSON schema with an enum makes Ollama answer one of the labels;
        # Ollama 0.12.11 and later also send the log-probabilities asked for.
        schema = {"type": "object", "properties": {"choice": {"type": "string", "enum": list(labels)}},
                  "required": ["choice"]}
        options: dict[str, Any] = {"temperature": 0.0, "num_predict": min(CHOICE_MAX_TOKENS, self.max_tokens)}
        if num_ctx:
            options["num_ctx"] = num_ctx
        return {"model": self.model, "messages": messages, "stream": False, "format": schema, "options": options,
                "keep_alive": self.settings.keep_alive, "logprobs": True, "top_logprobs": CHOICE_TOP_LOGPROBS}

    def read_choice(self, data: dict[str, Any], labels: Sequence[str]) -> Choice | None:
        if data.get("error"):
            raise BrainError(f"Ollama at {self.url} stopped with an error: {data['error']}")
        prompt_tokens = _count(data.get("prompt_eval_count"))
        # The label's first token is the one after the JSON's opening `{"choice": "`.
        before = ""
        for entry in data.get("logprobs") or []:
            if not isinstance(entry, dict):
                break
            if re.search(r':\s*"$', before):
                top = [(t.get("token"), t.get("logprob")) for t in entry.get("top_logprobs") or []
                       if isinstance(t, dict)]
                probabilities = label_probabilities(top, labels)
                if probabilities:
                    return Choice(probabilities, True, prompt_tokens)
                break
            before += str(entry.get("token") or "")
        content = str((data.get("message") or {}).get("content") or "")
        try:
            answer = json.loads(content)
        except ValueError:
            return _answered(content, labels, prompt_tokens)
        for value in answer.values() if isinstance(answer, dict) else [answer]:
            choice = _answered(value, labels, prompt_tokens) if isinstance(value, str) else None
            if choice is not None:
                return choice
        return None

    async def _ask_window(self, client: httpx.AsyncClient) -> int | None:
        response = await client.post(self.url + "/api/show", json={"model": self.model}, timeout=_timeout(5.0))
        if response.status_code != 200:
            return None
        data = response.json()
        # A num_ctx in the Modelfile wins over the architecture's length; we
        # never ask for more than MAX_NUM_CTX either way.
        for line in str(data.get("parameters") or "").splitlines():
            name, _, value = line.strip().partition(" ")
            if name == "num_ctx" and value.strip().isdigit():
                return min(int(value.strip()), MAX_NUM_CTX)
        lengths = [v for k, v in (data.get("model_info") or {}).items()
                   if k.endswith(".context_length") and isinstance(v, int) and v > 0]
        return min(lengths[0], MAX_NUM_CTX) if lengths else None

    def parse_line(self, line: str, result: Completion) -> tuple[str, bool]:
        data = self._json(line)
        if data.get("error"):
            raise BrainError(f"Ollama at {self.url} stopped with an error: {data['error']}")
        piece = (data.get("message") or {}).get("content") or ""
        if data.get("done"):
            _read_ollama_final(data, result)
            return piece, True
        return piece, False


class OpenAIBrain(Brain):
    """``/v1/chat/completions`` streamed as server-sent events (llama.cpp
    server, vLLM, LM Studio, Ollama's own ``/v1``)."""

    backend = "openai"
    chat_path = "/v1/chat/completions"

    async def count_tokens(self, messages: list[Message]) -> int | None:
        if self.pooled:
            return await (await self._on_pool().one(self)).count_tokens(messages)
        if self.url in _NO_TOKENIZER:
            return None
        text = "\n".join(m.get("content", "") for m in messages)
        count: int | None = None

        async def ask(client: httpx.AsyncClient) -> None:
            nonlocal count
            response = await client.post(self.url + "/tokenize", json={"content": text}, headers=self._headers(),
                                         timeout=_timeout(5.0))
            if response.status_code == 404:
                _NO_TOKENIZER.add(self.url)
            elif response.status_code == 200:
                tokens = response.json().get("tokens")
                if isinstance(tokens, list):
                    count = len(tokens) + TOKENS_PER_MESSAGE * len(messages)

        try:
            await asyncio.wait_for(self._with_client(ask), timeout=min(10.0, self.settings.timeout))
        except (asyncio.TimeoutError, httpx.HTTPError, ValueError, AttributeError) as exc:
            log.info("%s at %s did not count the prompt's tokens: %s", self.model, self.url, exc or type(exc).__name__)
            return None
        return count

    def _server(self, url: str) -> str:
        # Accept both http://host:port and http://host:port/v1.
        url = url.rstrip("/")
        return url[:-3] if url.endswith("/v1") else url

    def payload(self, messages: list[Message], *, json_mode: bool, max_tokens: int,
                num_ctx: int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "max_tokens": max_tokens,
            "temperature": self.settings.temperature,
            # Without it llama-server and vLLM send no token counts when streaming.
            "stream_options": {"include_usage": True},
        }
        if json_mode:
            payload["response_format"] = {"type": "json_object"}
        return payload

    def choice_payload(self, messages: list[Message], labels: Sequence[str], *,
                       num_ctx: int | None = None) -> dict[str, Any]:
        # One token is enough: the labels differ in their first token, and the
        # alternatives listed for it carry the probability of every label.
        return {"model": self.model, "messages": messages, "stream": False, "max_tokens": 1, "temperature": 0.0,
                "logprobs": True, "top_logprobs": CHOICE_TOP_LOGPROBS}

    def read_choice(self, data: dict[str, Any], labels: Sequence[str]) -> Choice | None:
        if data.get("error"):
            raise BrainError(f"{_server_label(self.backend, self.url)} stopped with an error: "
                             f"{_error_text(json.dumps(data).encode())}")
        usage = data.get("usage")
        prompt_tokens = _count(usage.get("prompt_tokens")) if isinstance(usage, dict) else None
        choices = data.get("choices")
        first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        tokens = (first.get("logprobs") or {}).get("content") or []
        if tokens and isinstance(tokens[0], dict):
            top = [(t.get("token"), t.get("logprob")) for t in tokens[0].get("top_logprobs") or []
                   if isinstance(t, dict)]
            probabilities = label_probabilities(top, labels)
            if probabilities:
                return Choice(probabilities, True, prompt_tokens)
        return _answered(str((first.get("message") or {}).get("content") or ""), labels, prompt_tokens)

    async def _ask_window(self, client: httpx.AsyncClient) -> int | None:
        # llama.cpp's server: the window of one slot. Others (vLLM) put
        # max_model_len in /v1/models.
        props = await client.get(self.url + "/props", headers=self._headers(), timeout=_timeout(5.0))
        if props.status_code == 503:  # llama-server is loading the model: ask again later
            raise ValueError("the server is loading (HTTP 503)")
        if props.status_code == 200:
            n_ctx = _count((props.json().get("default_generation_settings") or {}).get("n_ctx"))
            if n_ctx:
                return n_ctx
        models = await client.get(self.url + "/v1/models", headers=self._headers(), timeout=_timeout(5.0))
        if models.status_code != 200:
            return None
        for entry in models.json().get("data") or []:
            if isinstance(entry, dict) and entry.get("id") == self.model:
                return _count(entry.get("max_model_len")) or _count((entry.get("meta") or {}).get("n_ctx"))
        return None

    def parse_line(self, line: str, result: Completion) -> tuple[str, bool]:
        data = _sse_event(self, line)
        if data is None or data is _SSE_DONE:
            return "", data is _SSE_DONE
        pieces = []
        for choice in data.get("choices") or []:
            pieces.append((choice.get("delta") or {}).get("content") or "")
            if choice.get("finish_reason"):
                result.done_reason = choice["finish_reason"]
        _read_openai_counters(data, result)
        return "".join(pieces), False


# -- fill in the middle (inline completion) ---------------------------------

# How a FIM request travels. "ollama-suffix": /api/generate with ``suffix``
# (Ollama applies the model's own template); "ollama-raw": /api/generate with
# ``raw`` and our templated prompt; "infill": llama.cpp's /infill (its own
# template, other files as ``input_extra``); "completions": OpenAI-compatible
# /v1/completions with our templated prompt.
FIM_WIRES = ("ollama-suffix", "ollama-raw", "infill", "completions")
_FIM_PATHS = {"ollama-suffix": "/api/generate", "ollama-raw": "/api/generate", "infill": "/infill",
              "completions": "/v1/completions"}
# A FIM-capable model to name when the configured one cannot fill in the middle.
FIM_MODEL_HINT = "qwen2.5-coder:1.5b-base"


@dataclass
class FimRequest:
    """One fill-in-the-middle call.

    ``prompt`` is the whole templated prompt, for the raw wires
    (``ollama-raw``, ``completions``); ``ollama-suffix`` and ``infill`` send
    ``prefix`` and ``suffix`` and let the server apply the model's template
    (``extra``: ``(file name, text)`` of other files, llama.cpp's
    ``input_extra``)."""

    prefix: str
    suffix: str
    prompt: str = ""
    extra: list[tuple[str, str]] = field(default_factory=list)
    stop: list[str] = field(default_factory=list)
    max_tokens: int = 64
    seed: int = 0


def _fim_payload(brain: Brain, request: FimRequest, wire: str, num_ctx: int | None) -> dict[str, Any]:
    temperature = brain.settings.temperature
    if wire in ("ollama-suffix", "ollama-raw"):
        options: dict[str, Any] = {"temperature": temperature, "num_predict": request.max_tokens,
                                   "num_ctx": num_ctx or DEFAULT_NUM_CTX, "seed": request.seed}
        if request.stop:
            options["stop"] = request.stop
        payload: dict[str, Any] = {"model": brain.model, "stream": True, "options": options,
                                   "keep_alive": brain.settings.keep_alive}
        if wire == "ollama-raw":
            payload.update(prompt=request.prompt, raw=True)
        else:
            payload.update(prompt=request.prefix, suffix=request.suffix)
        return payload
    common = {"temperature": temperature, "stop": request.stop, "stream": True, "seed": request.seed,
              # llama.cpp keeps the evaluated prompt and reuses its common prefix
              # on the next keystroke; other servers ignore the key.
              "cache_prompt": True}
    if wire == "infill":
        return {"model": brain.model, "input_prefix": request.prefix, "input_suffix": request.suffix,
                "input_extra": [{"filename": name, "text": text} for name, text in request.extra],
                "prompt": "", "n_predict": request.max_tokens, **common}
    return {"model": brain.model, "prompt": request.prompt, "max_tokens": request.max_tokens,
            "stream_options": {"include_usage": True}, **common}


def _parse_fim_line(brain: Brain, wire: str, line: str, result: Completion) -> tuple[str, bool]:
    """One line of a streamed FIM answer -> (text piece, whether it was the last)."""
    if wire in ("ollama-suffix", "ollama-raw"):
        data = brain._json(line)
        if data.get("error"):
            raise BrainError(f"Ollama at {brain.url} stopped with an error: {data['error']}")
        if data.get("done"):
            _read_ollama_final(data, result)
        return str(data.get("response") or ""), bool(data.get("done"))
    data = _sse_event(brain, line)
    if data is None or data is _SSE_DONE:
        return "", data is _SSE_DONE
    if wire == "infill":
        done = bool(data.get("stop"))
        if done:
            result.prompt_tokens = _count(data.get("tokens_evaluated"))
            result.output_tokens = _count(data.get("tokens_predicted"))
            result.done_reason = "length" if data.get("stop_type") == "limit" else "stop"
            _read_openai_counters({"timings": data.get("timings")}, result)
        return str(data.get("content") or ""), done
    pieces = []
    for choice in data.get("choices") or []:
        pieces.append(str(choice.get("text") or ""))
        if choice.get("finish_reason"):
            result.done_reason = choice["finish_reason"]
    _read_openai_counters(data, result)
    return "".join(pieces), False


# The event that ends an OpenAI-compatible stream ("data: [DONE]").
_SSE_DONE: dict[str, Any] = {}


def _sse_event(brain: Brain, line: str) -> dict[str, Any] | None:
    """One server-sent event line of an OpenAI-compatible stream (chat or
    FIM): its JSON, ``_SSE_DONE`` at the end, None for comments, event names
    and keep-alives; an error the server sends mid-stream is raised."""
    if not line.startswith("data:"):
        return None
    text = line[5:].strip()
    if text == "[DONE]":
        return _SSE_DONE
    data = brain._json(text)
    if data.get("error"):
        raise BrainError(f"{_server_label(brain.backend, brain.url)} stopped with an error: "
                         f"{_error_text(text.encode())}")
    return data


def _read_ollama_final(data: dict[str, Any], result: Completion) -> None:
    """The counters of Ollama's last line (chat and generate alike)."""
    result.prompt_tokens = _count(data.get("prompt_eval_count"))
    result.output_tokens = _count(data.get("eval_count"))
    result.done_reason = data.get("done_reason") or None
    result.prompt_seconds = _seconds(data.get("prompt_eval_duration"), 1e9)
    result.output_seconds = _seconds(data.get("eval_duration"), 1e9)


def _read_openai_counters(data: dict[str, Any], result: Completion) -> None:
    """``usage`` of an OpenAI-compatible event and llama-server's own ``timings``, where present."""
    usage = data.get("usage")
    if isinstance(usage, dict):
        result.prompt_tokens = _count(usage.get("prompt_tokens"))
        result.output_tokens = _count(usage.get("completion_tokens"))
    timings = data.get("timings")
    if isinstance(timings, dict):
        result.timings = timings
        result.prompt_seconds = _seconds(timings.get("prompt_ms"), 1e3)
        result.output_seconds = _seconds(timings.get("predicted_ms"), 1e3)


def _no_fim(brain: Brain, wire: str, exc: BrainError) -> BrainError:
    """The one clear message for a model or server that cannot fill in the middle; ``exc`` otherwise."""
    text = str(exc).lower()
    if "does not support insert" in text or "infill is not supported" in text:
        return BrainError(
            f"The completion model {brain.model} at {brain.url} cannot fill in the middle (an instruct or chat "
            f"model) — pull a FIM model, e.g. `ollama pull {FIM_MODEL_HINT}`, and set brains.completion.model "
            "to it.")
    # A 404 reads "the model is not available" (see _http_error); for /infill it is the path.
    if wire == "infill" and ("http 404" in text or " is not available on " in text):
        return BrainError(
            f"The server at {brain.url} has no /infill (only llama.cpp's server has) — set completion.fim_template "
            "to the model's family (e.g. \"qwen\") so MyCoder sends /v1/completions instead.")
    return exc


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

    async def run(client: httpx.AsyncClient) -> None:
        num_ctx = await brain._num_ctx() if wire.startswith("ollama") else None
        if num_ctx:
            result.window = num_ctx
        lines = brain._lines(client, _FIM_PATHS[wire], _fim_payload(brain, request, wire, num_ctx))
        received = 0
        async with aclosing(lines):  # type: ignore[type-var]
            async for line in lines:
                piece, done = _parse_fim_line(brain, wire, line, result)
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
        raise brain._cut()

    try:
        await asyncio.wait_for(brain._with_client(run), timeout=brain.settings.timeout)
    except asyncio.TimeoutError:
        raise brain._timed_out() from None
    except BrainError as exc:
        raised = _no_fim(brain, wire, exc)
        if raised is exc:
            raise
        raise raised from None
    result.text = "".join(pieces)
    return result


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
    cls = OpenAIBrain if brain_settings.backend == "openai" else OllamaBrain
    return cls(name, brain_settings, max_tokens=token_limit(name, settings), client=client, pools=pools)


class _LocalhostTransport(httpx.AsyncBaseTransport):
    """Sends requests for ``localhost`` and ``*.localhost`` to the loopback
    address itself (RFC 6761), so such a name never reaches a resolver, which
    could answer with another host (or learn what we are about to send).
    127.0.0.1 first, then ::1 for a server that listens on IPv6 only."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        name = request.url.host
        if not is_localhost_name(name):
            return await self._inner.handle_async_request(request)
        # The Host header keeps the name; TLS checks the certificate against it.
        request.extensions = {**request.extensions, "sni_hostname": name}
        original = request.url
        try:
            request.url = original.copy_with(host="127.0.0.1")
            return await self._inner.handle_async_request(request)
        except httpx.ConnectError:
            request.url = original.copy_with(host="::1")
            return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def new_client() -> httpx.AsyncClient:
    """An HTTP client for model servers. Environment proxies are ignored on
    purpose: a proxy would carry the user's code off the machine; so are
    redirects: one to another host would too."""
    return httpx.AsyncClient(transport=_LocalhostTransport(), trust_env=False, follow_redirects=False,
                             timeout=_timeout(120.0))


def _timeout(total: float) -> httpx.Timeout:
    # Connecting to a local server is instant or impossible; reading may wait
    # for a model to load, which the overall deadline in complete() bounds.
    return httpx.Timeout(total, connect=min(5.0, total))


# -- embeddings -------------------------------------------------------------


async def embed(texts: list[str], *, model: str, url: str, backend: str = "ollama", api_key: str = "",
                allowed_hosts: Iterable[str] = (), batch_size: int = EMBED_BATCH, timeout: float = 60.0,
                client: httpx.AsyncClient | None = None) -> list[list[float]]:
    """Vectors for ``texts`` (same order), batched: Ollama ``/api/embed`` or
    OpenAI-compatible ``/v1/embeddings``."""
    if not texts:
        return []
    check_endpoint(url, allowed_hosts, what="embedding endpoint")
    base = url.rstrip("/")
    if backend == "openai" and base.endswith("/v1"):
        base = base[:-3]
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    vectors: list[list[float]] = []

    async def run(http: httpx.AsyncClient) -> None:
        for start in range(0, len(texts), max(1, batch_size)):
            batch = texts[start:start + max(1, batch_size)]
            vectors.extend(await _embed_batch(http, base, backend, model, batch, headers, timeout))

    try:
        if client is not None:
            await asyncio.wait_for(run(client), timeout)
        else:
            async with new_client() as http:
                await asyncio.wait_for(run(http), timeout)
    except asyncio.TimeoutError:
        raise BrainError(f"Embedding with {model} at {base} did not finish within {timeout:g} s.") from None
    return vectors


async def _embed_batch(http: httpx.AsyncClient, base: str, backend: str, model: str, batch: list[str],
                       headers: dict[str, str], timeout: float) -> list[list[float]]:
    path = "/v1/embeddings" if backend == "openai" else "/api/embed"
    try:
        response = await http.post(base + path, json={"model": model, "input": batch}, headers=headers,
                                   timeout=_timeout(timeout))
    except (httpx.ConnectError, httpx.ConnectTimeout):
        raise _unreachable(backend, base) from None
    except httpx.HTTPError as exc:
        raise BrainError(f"Embedding request to {base} failed: {exc or type(exc).__name__}") from None
    _raise_for_redirect(response, backend, base)
    if response.status_code >= 400:
        raise await _failure(http, response.status_code, response.content, backend=backend, url=base, model=model,
                             headers=headers, setting="the embedder's backend")
    try:
        data = response.json()
    except ValueError:
        raise BrainError(f"{_server_label(backend, base)} sent an embedding answer that is not JSON.") from None
    if backend == "openai":
        items = sorted(data.get("data") or [], key=lambda d: d.get("index", 0))
        out = [item.get("embedding") for item in items]
    else:
        out = data.get("embeddings") or []
    if len(out) != len(batch) or not all(isinstance(v, list) for v in out):
        raise BrainError(f"{_server_label(backend, base)} answered {len(out)} embeddings for {len(batch)} texts.")
    return [[float(x) for x in v] for v in out]


# -- what a server runs (doctor) --------------------------------------------


@dataclass
class ServerInfo:
    url: str
    backend: str
    version: str | None = None
    models: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def reachable(self) -> bool:
        return self.error is None

    def has_model(self, model: str) -> bool:
        names = set(self.models)
        # Ollama treats "name" as "name:latest".
        return model in names or (":" not in model and f"{model}:latest" in names)


async def probe(url: str, *, backend: str = "ollama", api_key: str = "", timeout: float = 5.0,
                client: httpx.AsyncClient | None = None) -> ServerInfo:
    """Ask a server its version and models; never raises for network trouble."""
    base = url.rstrip("/")
    if backend == "openai" and base.endswith("/v1"):
        base = base[:-3]
    info = ServerInfo(url=base, backend=backend)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    async def run(http: httpx.AsyncClient) -> None:
        try:
            if backend == "ollama":
                version = await http.get(base + "/api/version", timeout=timeout)
                if version.status_code == 200:
                    info.version = str(version.json().get("version"))
                tags = await http.get(base + "/api/tags", timeout=timeout)
                _raise_for_redirect(tags, backend, base)
                tags.raise_for_status()
                info.models = [m.get("name") or m.get("model") for m in tags.json().get("models") or []]
            else:
                models = await http.get(base + "/v1/models", headers=headers, timeout=timeout)
                _raise_for_redirect(models, backend, base)
                models.raise_for_status()
                info.models = [m.get("id") for m in models.json().get("data") or []]
        except (httpx.ConnectError, httpx.ConnectTimeout):
            info.error = str(_unreachable(backend, base))
        except BrainError as exc:
            info.error = str(exc)
        except httpx.HTTPStatusError as exc:
            info.error = f"{_server_label(backend, base)} answered HTTP {exc.response.status_code}"
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            info.error = f"{_server_label(backend, base)} did not answer like an {backend} server ({exc})"

    if client is not None:
        await run(client)
    else:
        async with new_client() as http:
            await run(http)
    return info


__all__ = [
    "BRAIN_NAMES",
    "Brain",
    "Choice",
    "BrainError",
    "Completion",
    "FIM_WIRES",
    "FimRequest",
    "Message",
    "OllamaBrain",
    "ServerFault",
    "OpenAIBrain",
    "ServerInfo",
    "check_endpoint",
    "embed",
    "is_localhost_name",
    "is_loopback",
    "make_brain",
    "estimate_tokens",
    "fill_in_middle",
    "new_client",
    "probe",
]
