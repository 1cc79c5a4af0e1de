"""What every wire protocol shares: the records a call returns, and the
:class:`Wire` base class, one endpoint of one protocol.

A wire is one server (its URL with any ``/v1`` stripped, its auth header)
spoken to in one protocol (:mod:`.ollama`, :mod:`.openai`). Its subclasses
turn calls into payloads and streamed lines back into text and counters;
this base posts, streams and turns every HTTP failure into one
:class:`~.http.BrainError` worded for the user. It knows no brain names,
settings precedence or pools: :mod:`mycoder_lsp.brains.backends` does.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from mycoder_lsp.brains.wire.http import BrainError, ServerFault, new_client, request_timeout

if TYPE_CHECKING:
    from mycoder_lsp.config import BrainSettings

Message = dict[str, str]

# Ollama's default window is small and it truncates silently, so num_ctx is
# always sent (see backends.Brain.prompt_window); DEFAULT_NUM_CTX when the
# server does not say, never more than MAX_NUM_CTX.
DEFAULT_NUM_CTX = 4096
MAX_NUM_CTX = 32768
# The chat template's tokens per message.
TOKENS_PER_MESSAGE = 8
# Brain.choose: how many alternatives the server lists for the answer's first
# token (OpenAI's own maximum), and the tokens Ollama may spend on its JSON.
CHOICE_TOP_LOGPROBS = 20
CHOICE_MAX_TOKENS = 16

# Servers that answered /tokenize with 404: not asked again.
NO_TOKENIZER: set[str] = set()

# The window each server reports, by (backend, url, model): asked once per
# process, since the orchestrator makes a brain per request. None: the server
# answered but does not say (asking again would not help).
WINDOWS: dict[tuple[str, str, str], int | None] = {}


# -- records ------------------------------------------------------------------


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


@dataclass
class ServerInfo:
    """What a server said it runs (``doctor``)."""

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


def answered_choice(text: str, labels: Sequence[str], prompt_tokens: int | None) -> Choice | None:
    """The label a server without log-probabilities answered (its first
    word, or the start of one: "modify-target", "expl"), unscored."""
    words = re.findall(r"[a-z]+", text.lower())
    owners = [label for label in labels if words and (words[0].startswith(label) or label.startswith(words[0]))]
    if len(owners) != 1:
        return None
    return Choice({label: float(label == owners[0]) for label in labels}, False, prompt_tokens)


def count(value: Any) -> int | None:
    """A token count as a server sent it, or None for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def seconds(value: Any, per_second: float) -> float | None:
    """A duration a server sent in ``1/per_second`` units, in seconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return value / per_second


def error_text(body: bytes) -> str:
    """What an error body says, short: Ollama's ``error``, OpenAI's ``error.message``."""
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


def _context_overflow(body: bytes) -> tuple[int, int] | None:
    """llama-server refuses a prompt longer than its window (HTTP 400,
    ``exceed_context_size_error``) instead of cutting it: (prompt, window)."""
    try:
        err = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(err, dict) or err.get("type") != "exceed_context_size_error":
        return None
    prompt, window = count(err.get("n_prompt_tokens")), count(err.get("n_ctx"))
    return (prompt, window) if prompt is not None and window else None


# -- one endpoint of one protocol ---------------------------------------------


class Wire:
    """One server spoken to in one protocol.

    ``client``: the entry point's shared client (guarded by its breakers);
    without one, :meth:`connected` opens one for the outermost call and every
    request inside it (the window, the token count, the answer) reuses it.
    """

    backend = ""
    chat_path = ""
    embed_path = ""
    # The FIM wires (backends.FIM_WIRES) this protocol carries.
    fim_wires: tuple[str, ...] = ()
    # Ollama: a num_ctx goes with every call.
    sends_num_ctx = False

    def __init__(self, url: str, api_key: str = "", *, client: httpx.AsyncClient | None = None) -> None:
        self.url = self.base_of(url)
        self.api_key = api_key
        self.headers: dict[str, str] = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client
        self._owned = 0  # calls using the client connected() opened

    @staticmethod
    def base_of(url: str) -> str:
        """The server a configured URL names, as requests are built on it."""
        return url.rstrip("/")

    def on(self, url: str) -> Wire:
        """The same protocol, key and client on another server (of a pool)."""
        return type(self)(url, self.api_key, client=self.client if not self._owned else None)

    @contextlib.asynccontextmanager
    async def connected(self) -> AsyncIterator[httpx.AsyncClient]:
        """The client for a call: the shared one, or one opened for the
        outermost call in progress and closed when the last one ends."""
        if self.client is not None and not self._owned:
            yield self.client  # the entry point's: it closes it
            return
        if self.client is None:
            self.client = new_client()
        self._owned += 1
        try:
            yield self.client
        finally:
            self._owned -= 1
            if not self._owned:
                client, self.client = self.client, None
                await client.aclose()

    # -- messages -------------------------------------------------------------

    @property
    def label(self) -> str:
        raise NotImplementedError

    def unreachable(self) -> BrainError:
        raise NotImplementedError

    def not_found(self, model: str, text: str) -> BrainError:
        raise NotImplementedError

    def cut(self, model: str, exc: Exception | None = None) -> BrainError:
        why = f" ({exc})" if exc else ""
        return ServerFault(f"The answer from {model} at {self.url} broke off before it was complete{why} — "
                           "try again; if it keeps happening, check the server's log.")

    def not_json(self, line: str) -> BrainError:
        return BrainError(f"{self.label} sent something that is not JSON "
                          f"({line[:80]!r}) — is that URL really an {self.backend} server?")

    def json_object(self, text: str) -> dict[str, Any]:
        try:
            data = json.loads(text)
        except ValueError:
            raise self.not_json(text) from None
        if not isinstance(data, dict):
            raise self.not_json(text)
        return data

    def raise_for_redirect(self, response: httpx.Response) -> None:
        """Redirects are never followed (one to another host would carry the code
        there); say so, and where it pointed, instead of "the answer broke off"."""
        if not 300 <= response.status_code < 400:
            return
        location = response.headers.get("location")
        to = f" to {location[:200]}" if location else ""
        raise BrainError(
            f"{self.label} redirected the request{to} (HTTP {response.status_code}). MyCoder does not follow "
            "redirects, so your code was not sent there — set the url to the address the server answers on itself.")

    def http_error(self, status: int, body: bytes, model: str) -> BrainError:
        text = error_text(body)
        if status == 404 and ("not found" in text.lower() or "pull" in text.lower() or not text):
            return self.not_found(model, text)
        detail = f": {text}" if text else ""
        return BrainError(f"{self.label} answered HTTP {status}{detail}")

    async def misdirected(self, http: httpx.AsyncClient, status: int, setting: str) -> BrainError | None:
        """The error when the server speaks another protocol than this one, if it does."""
        return None

    async def failure(self, http: httpx.AsyncClient, status: int, body: bytes, *, model: str,
                      setting: str) -> BrainError:
        """The error for an HTTP ``status`` >= 400; ``setting`` names the backend
        setting to change (e.g. ``brains.coding.backend``)."""
        too_long = _context_overflow(body)
        if too_long is not None:
            prompt, window = too_long
            WINDOWS[(self.backend, self.url, model)] = window
            return BrainError(
                f"The prompt ({prompt} tokens) does not fit the context window of {model} at {self.url} "
                f"({window} tokens) — start the server with a larger window (llama-server --ctx-size), or ask "
                "about less code.")
        other = await self.misdirected(http, status, setting)
        if other is not None:
            return other
        if status == 503:  # loading a model, or no slot free: another server of a pool may answer
            text = error_text(body)
            return ServerFault(f"{self.label} is not ready (HTTP 503{': ' + text if text else ''}) "
                               "— it may still be loading the model; try again in a moment.")
        return self.http_error(status, body, model)

    # -- streaming ------------------------------------------------------------

    async def lines(self, http: httpx.AsyncClient, path: str, payload: dict[str, Any], *, model: str,
                    timeout: float, setting: str, timed_out: Callable[[], BrainError]) -> AsyncGenerator[str, None]:
        """POST ``payload`` and yield the response body line by line."""
        try:
            async with http.stream("POST", self.url + path, json=payload, headers=self.headers,
                                   timeout=request_timeout(timeout)) as response:
                self.raise_for_redirect(response)
                if response.status_code >= 400:
                    body = await response.aread()
                    raise await self.failure(http, response.status_code, body, model=model, setting=setting)
                async for line in response.aiter_lines():
                    if line.strip():
                        yield line
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise self.unreachable() from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise self.cut(model, exc) from None
        except httpx.TimeoutException:
            raise timed_out() from None
        except httpx.HTTPError as exc:
            raise BrainError(f"{self.label} failed: {exc or type(exc).__name__}") from None

    # -- the protocol: chat, choice, FIM, window, tokens --------------------------

    def chat_payload(self, settings: BrainSettings, messages: list[Message], *, json_mode: bool, max_tokens: int,
                     num_ctx: int | None) -> dict[str, Any]:
        raise NotImplementedError

    def parse_chat_line(self, line: str, result: Completion) -> tuple[str, bool]:
        """One line of the streamed body -> (text piece, whether it was the
        last); what the server says about the call goes into ``result``."""
        raise NotImplementedError

    def choice_payload(self, settings: BrainSettings, messages: list[Message], labels: Sequence[str], *,
                       max_tokens: int, num_ctx: int | None) -> dict[str, Any]:
        raise NotImplementedError

    def read_choice(self, data: dict[str, Any], labels: Sequence[str]) -> Choice | None:
        raise NotImplementedError

    def fim_path(self, fim_wire: str) -> str:
        raise NotImplementedError

    def fim_payload(self, settings: BrainSettings, request: FimRequest, fim_wire: str,
                    num_ctx: int | None) -> dict[str, Any]:
        raise NotImplementedError

    def parse_fim_line(self, fim_wire: str, line: str, result: Completion) -> tuple[str, bool]:
        """One line of a streamed FIM answer -> (text piece, whether it was the last)."""
        raise NotImplementedError

    async def ask_window(self, http: httpx.AsyncClient, model: str) -> int | None:
        """The model's window as the server reports it; httpx errors and bad JSON raise."""
        raise NotImplementedError

    @property
    def has_tokenizer(self) -> bool:
        """Whether :meth:`count_tokens` may be asked (a round trip)."""
        return False

    async def count_tokens(self, http: httpx.AsyncClient, text: str) -> int | None:
        """The server's own token count of ``text``, None when it has no tokenizer to ask."""
        return None

    # -- embeddings and probing -------------------------------------------------

    def read_embeddings(self, data: Any) -> list[Any]:
        raise NotImplementedError

    async def embed_batch(self, http: httpx.AsyncClient, model: str, batch: list[str],
                          timeout: float) -> list[list[float]]:
        """Vectors for one batch of texts, in order."""
        try:
            response = await http.post(self.url + self.embed_path, json={"model": model, "input": batch},
                                       headers=self.headers, timeout=request_timeout(timeout))
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise self.unreachable() from None
        except httpx.HTTPError as exc:
            raise BrainError(f"Embedding request to {self.url} failed: {exc or type(exc).__name__}") from None
        self.raise_for_redirect(response)
        if response.status_code >= 400:
            raise await self.failure(http, response.status_code, response.content, model=model,
                                     setting="the embedder's backend")
        try:
            data = response.json()
        except ValueError:
            raise BrainError(f"{self.label} sent an embedding answer that is not JSON.") from None
        out = self.read_embeddings(data)
        if len(out) != len(batch) or not all(isinstance(v, list) for v in out):
            raise BrainError(f"{self.label} answered {len(out)} embeddings for {len(batch)} texts.")
        return [[float(x) for x in v] for v in out]

    async def ask_models(self, http: httpx.AsyncClient, info: ServerInfo, timeout: float) -> None:
        """Fill ``info`` with the server's version and models; httpx errors raise."""
        raise NotImplementedError

    async def probe(self, http: httpx.AsyncClient, timeout: float) -> ServerInfo:
        """What the server runs; never raises for network trouble."""
        info = ServerInfo(url=self.url, backend=self.backend)
        try:
            await self.ask_models(http, info, timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            info.error = str(self.unreachable())
        except BrainError as exc:
            info.error = str(exc)
        except httpx.HTTPStatusError as exc:
            info.error = f"{self.label} answered HTTP {exc.response.status_code}"
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            info.error = f"{self.label} did not answer like an {self.backend} server ({exc})"
        return info


__all__ = ["CHOICE_MAX_TOKENS", "CHOICE_TOP_LOGPROBS", "Choice", "Completion", "DEFAULT_NUM_CTX", "FimRequest",
           "MAX_NUM_CTX", "Message", "ServerInfo", "TOKENS_PER_MESSAGE", "Wire", "answered_choice", "count",
           "error_text", "label_probabilities", "seconds"]
