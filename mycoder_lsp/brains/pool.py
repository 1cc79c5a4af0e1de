"""Pools of model servers: a brain whose ``url`` is a list.

A team runs several servers of one model (llama.cpp's server, vLLM, Ollama)
and lists them: ``url = ["http://gpu1:8080", "http://gpu2:8080"]``. Each call
of such a brain (:mod:`mycoder_lsp.brains.backends`) runs on one of them:

- **the least busy healthy one**: busy is our own count of calls in flight
  there, raised to what the server says where that is cheap to ask
  (llama.cpp ``GET /slots``: the slots processing; vLLM ``GET /metrics``:
  ``vllm:num_requests_running`` + ``_waiting``; both count other users'
  requests too); healthy is its breaker closed and the server ready
  (llama.cpp and vLLM ``GET /health``; Ollama ``GET /api/ps`` also says
  whether the model is loaded there, and a loaded one is preferred, since a
  load takes seconds). The servers are asked at most every ``poll_interval``
  seconds, and a pick waits at most ``poll_timeout`` for them. Ties go round.
- **failover**: a call that fails before its answer began (no connection,
  the connection broke, HTTP 503: :class:`~mycoder_lsp.brains.wire.http.ServerFault`)
  runs again on the next server; one that broke off mid-answer is reported
  with a message that says so, never repeated elsewhere, so no part of an
  answer arrives twice.
- **a breaker per server** (:mod:`mycoder_lsp.brains.breaker`): a server
  that failed is probed; while it does not answer, its breaker is open and
  no call goes there. Every entry point (the LSP server, ``ask``, ``route``)
  hands its brains one :class:`Pools` built on its :class:`Breakers`, so the
  load and the breakers are the same for all its calls.

Every server of a pool passes the egress rule on its own (loopback, or its
host in ``brains.allowed_hosts``): :func:`make_brain` refuses the brain
otherwise. This module must not import pygls.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from mycoder_lsp.brains.backends import Brain
from mycoder_lsp.brains.breaker import Breaker, Breakers
from mycoder_lsp.brains.wire.http import BrainError, ServerFault, new_client
from mycoder_lsp.config import server_base

log = logging.getLogger(__name__)

# What a server says about its load is asked at most this often, and a pick
# waits at most this long for the answer (a later one still counts).
POLL_INTERVAL = 2.0
POLL_TIMEOUT = 0.5
# Without breakers (a brain with no entry point's Pools), a server that
# failed is left out for this long.
REST_AFTER_FAULT = 5.0

T = TypeVar("T")


@dataclass
class Health:
    """What one server said about itself at the last poll."""

    # Answered, and ready to serve (llama.cpp and vLLM /health 200; Ollama /api/ps 200).
    ready: bool = True
    # llama.cpp /slots: the slots processing a request, and how many there are;
    # vLLM /metrics: the requests running plus those waiting (of every user).
    busy: int | None = None
    slots: int | None = None
    # vLLM /metrics: vllm:num_requests_waiting (busy - waiting are running).
    waiting: int | None = None
    # Ollama /api/ps: the models in memory.
    loaded: tuple[str, ...] | None = None
    # Why it is not ready, or what it runs: for doctor and the logs.
    note: str = ""

    def describe(self) -> str:
        parts = [("ready" if self.ready else "not ready") + (f" ({self.note})" if self.note else "")]
        if self.slots is not None:
            parts.append(f"{self.busy or 0}/{self.slots} slots busy")
        elif self.waiting is not None:
            parts.append(f"{(self.busy or 0) - self.waiting} running, {self.waiting} waiting")
        if self.loaded is not None:
            parts.append("loaded: " + (", ".join(self.loaded) or "no model"))
        return ", ".join(parts)


@dataclass(eq=False)
class Endpoint:
    """One server, shared by every pool that lists it."""

    url: str
    backend: str
    in_flight: int = 0
    # Calls sent here, those answered here, and the faults seen (failed
    # calls and polls): for the logs and bench/bench_pool.py.
    served: int = 0
    answered: int = 0
    faults: int = 0
    health: Health = field(default_factory=Health)
    polled: float = -1e9
    # Without breakers: left out until this time (time.monotonic()).
    resting_until: float = 0.0

    @property
    def load(self) -> int:
        # The server's count includes our own calls; ours is fresher.
        return max(self.in_flight, self.health.busy or 0)

    def warm(self, model: str) -> bool:
        loaded = self.health.loaded
        return loaded is None or model in loaded or (":" not in model and f"{model}:latest" in loaded)


class Pools:
    """The servers of every pool of one entry point, with their load and breakers.

    ``breakers``: the entry point's (the LSP server tells the user when one
    opens); without them a failed server is left out for REST_AFTER_FAULT.
    """

    def __init__(self, breakers: Breakers | None = None, *, poll_interval: float = POLL_INTERVAL,
                 poll_timeout: float = POLL_TIMEOUT) -> None:
        self.breakers = breakers
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self._endpoints: dict[str, Endpoint] = {}
        self._polls: dict[str, asyncio.Task[None]] = {}
        self._turn = itertools.count()
        self._client: httpx.AsyncClient | None = None

    def endpoint(self, url: str, backend: str = "ollama") -> Endpoint:
        base = server_base(url)
        found = self._endpoints.get(base)
        if found is None:
            found = self._endpoints[base] = Endpoint(base, backend)
        return found

    def endpoints(self) -> list[Endpoint]:
        return list(self._endpoints.values())

    def breaker(self, endpoint: Endpoint) -> Breaker | None:
        return self.breakers.of(endpoint.url, endpoint.backend) if self.breakers is not None else None

    def healthy(self, endpoint: Endpoint) -> bool:
        breaker = self.breaker(endpoint)
        if breaker is not None and breaker.is_open:
            return False
        return endpoint.health.ready and time.monotonic() >= endpoint.resting_until

    # -- choosing ---------------------------------------------------------------

    async def pick(self, brain: Brain, *, exclude: set[str] | frozenset[str] = frozenset()) -> Endpoint | None:
        """The server of ``brain``'s pool that the next call goes to: the least
        busy healthy one not in ``exclude`` (else any not in it, whose failure
        then says why); None when every one is excluded."""
        pool = [self.endpoint(url, brain.backend) for url in brain.settings.urls]
        left = [e for e in pool if e.url not in exclude]
        if not left:
            return None
        await self._refresh(left, brain)
        healthy = [e for e in left if self.healthy(e)] or left
        turn = next(self._turn)
        order = {e.url: (i - turn) % len(pool) for i, e in enumerate(pool)}
        return min(healthy, key=lambda e: (e.load, not e.warm(brain.model), order[e.url]))

    async def one(self, brain: Brain) -> Brain:
        """``brain`` on the server a call would go to now (for questions that
        never fail a call: the context window, a token count)."""
        endpoint = await self.pick(brain)
        assert endpoint is not None  # nothing is excluded
        return brain.at(endpoint.url)

    @contextlib.contextmanager
    def lease(self, endpoint: Endpoint) -> Iterator[None]:
        """Counts one call in flight on ``endpoint`` while the block runs."""
        endpoint.in_flight += 1
        endpoint.served += 1
        try:
            yield
        finally:
            endpoint.in_flight -= 1

    async def run(self, brain: Brain, attempt: Callable[[Brain], Awaitable[T]]) -> T:
        """Run ``attempt`` on one server of ``brain``'s pool after another
        until one answers. A server that fails before its answer began is
        replaced by the next; an answer that broke off mid-way is reported
        (its start was already delivered: repeating it would deliver it twice).
        ``brain.last`` is the try that counted."""
        failed: dict[str, str] = {}
        while True:
            endpoint = await self.pick(brain, exclude=set(failed))
            if endpoint is None:
                raise BrainError(_none_answered(brain, failed))
            here = brain.at(endpoint.url)
            try:
                with self.lease(endpoint):
                    answer = await attempt(here)
                endpoint.answered += 1
                return answer
            except ServerFault as exc:
                self.fault(endpoint, str(exc))
                if here.last.pieces:
                    raise BrainError(
                        f"{exc} Part of the answer had already arrived, so it was not asked again of another "
                        f"server of the {brain.name} brain's pool (it would have arrived twice).") from None
                failed[endpoint.url] = str(exc)
                log.warning("%s brain: %s failed before answering, trying the next server of its pool: %s",
                            brain.name, endpoint.url, exc)
            finally:
                brain.last = here.last

    def fault(self, endpoint: Endpoint, reason: str) -> None:
        """``endpoint`` failed a call: its breaker checks whether it is there
        at all (and opens if not); without breakers it rests a while."""
        endpoint.faults += 1
        breaker = self.breaker(endpoint)
        if breaker is None:
            endpoint.resting_until = time.monotonic() + REST_AFTER_FAULT
        elif not breaker.is_open:
            assert self.breakers is not None
            self.breakers.check(breaker)

    # -- what the servers say ---------------------------------------------------

    async def _refresh(self, endpoints: list[Endpoint], brain: Brain) -> None:
        now = time.monotonic()
        for endpoint in endpoints:
            breaker = self.breaker(endpoint)
            stale = now - endpoint.polled >= self.poll_interval
            if stale and endpoint.url not in self._polls and not (breaker is not None and breaker.is_open):
                endpoint.polled = now
                task = asyncio.get_running_loop().create_task(self._poll(endpoint, brain),
                                                              name=f"poll:{endpoint.url}")
                self._polls[endpoint.url] = task
                task.add_done_callback(functools.partial(self._poll_done, endpoint.url))
        pending = [self._polls[e.url] for e in endpoints if e.url in self._polls]
        if pending:
            # shield: a poll that takes longer still lands for the next pick.
            await asyncio.wait([asyncio.shield(t) for t in pending], timeout=self.poll_timeout)

    def _poll_done(self, url: str, task: asyncio.Task[None]) -> None:
        self._polls.pop(url, None)

    async def _poll(self, endpoint: Endpoint, brain: Brain) -> None:
        if self._client is None:
            self._client = new_client()
            if self.breakers is not None:
                self.breakers.guard(self._client)
        try:
            endpoint.health = await ask_health(self._client, endpoint.url, endpoint.backend,
                                               headers=brain.wire.headers, timeout=self.poll_interval)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            endpoint.health = Health(ready=False, note="no connection")
            self.fault(endpoint, str(exc))
        except httpx.TimeoutException:
            pass  # a busy server may answer slowly: what it said last stands
        except Exception:  # noqa: BLE001 - a poll must never fail a call
            log.exception("polling %s failed", endpoint.url)

    # -- lifecycle ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every server (the settings changed)."""
        self._endpoints.clear()

    async def close(self) -> None:
        for task in list(self._polls.values()):
            task.cancel()
        self._polls.clear()
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):
                await client.aclose()


@contextlib.asynccontextmanager
async def pooled_client() -> AsyncIterator[tuple[httpx.AsyncClient, Pools]]:
    """What a command-line entry point needs to call the brains the way the
    LSP server does: one HTTP client that the breakers guard, and the Pools
    on those breakers; all closed at the end."""
    breakers = Breakers()
    pools = Pools(breakers)
    async with new_client() as client:
        breakers.guard(client)
        try:
            yield client, pools
        finally:
            await pools.close()
            await breakers.close()


def _none_answered(brain: Brain, failed: dict[str, str]) -> str:
    tried = "; ".join(f"{url}: {why}" for url, why in failed.items())
    return (f"No server of the {brain.name} brain's pool ({len(brain.settings.urls)} servers) answered — {tried}")


async def ask_health(client: httpx.AsyncClient, url: str, backend: str, *, headers: dict[str, str] | None = None,
                     timeout: float = POLL_INTERVAL) -> Health:
    """Ask the server at ``url`` how it is: Ollama ``/api/ps``; an
    OpenAI-compatible server ``/health`` (llama.cpp, vLLM) and, when it is
    llama.cpp's (its /health answers ``{"status": ...}``), ``/slots``, else
    (vLLM's is an empty 200) ``/metrics``. A
    server without those endpoints (404) is taken as ready. Connection
    errors and timeouts are raised (httpx's)."""
    base = server_base(url)
    headers = headers or {}
    if backend == "ollama":
        response = await client.get(base + "/api/ps", headers=headers, timeout=timeout)
        if response.status_code != 200:
            return Health(note=f"/api/ps answered HTTP {response.status_code}")
        models = _json(response).get("models")
        names = [m.get("name") or m.get("model") for m in models or [] if isinstance(m, dict)]
        return Health(loaded=tuple(str(n) for n in names if n))
    response = await client.get(base + "/health", headers=headers, timeout=timeout)
    if response.status_code == 503:
        return Health(ready=False, note="loading the model (HTTP 503)")
    if response.status_code == 404:
        return Health(note="no /health")
    if response.status_code != 200:
        return Health(ready=False, note=f"/health answered HTTP {response.status_code}")
    if "status" not in _json(response):
        # vLLM: an empty 200; its load is on /metrics.
        return await _vllm_health(client, base, headers, timeout)
    slots = await client.get(base + "/slots", headers=headers, timeout=timeout)
    if slots.status_code != 200:
        return Health()  # llama-server --no-slots
    try:
        listed = slots.json()
    except ValueError:
        return Health()
    if not isinstance(listed, list):
        return Health()
    busy = sum(1 for s in listed if isinstance(s, dict) and s.get("is_processing"))
    return Health(busy=busy, slots=len(listed))


# One sample of the Prometheus text format: name, optional {labels}, value (a timestamp may follow).
_SAMPLE = re.compile(r'(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)(?:\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(?P<value>\S+)')
# vLLM's gauges (Prometheus text on GET /metrics), one series per model served.
_VLLM_RUNNING = "vllm:num_requests_running"
_VLLM_WAITING = "vllm:num_requests_waiting"


async def _vllm_health(client: httpx.AsyncClient, base: str, headers: dict[str, str], timeout: float) -> Health:
    """A server whose /health is an empty 200: vLLM says how busy it is (every
    user's requests, running and queued) on ``/metrics``; another server, or a
    vLLM without metrics, is taken as ready with no load of its own to tell."""
    response = await client.get(base + "/metrics", headers=headers, timeout=timeout)
    if response.status_code != 200:
        return Health()
    gauges = prometheus_gauges(response.text, (_VLLM_RUNNING, _VLLM_WAITING))
    if _VLLM_RUNNING not in gauges:
        return Health()
    running, waiting = int(gauges[_VLLM_RUNNING]), int(gauges.get(_VLLM_WAITING, 0))
    return Health(busy=running + waiting, waiting=waiting)


def prometheus_gauges(text: str, names: tuple[str, ...]) -> dict[str, float]:
    """The sum over every series (label set) of each of ``names`` in a
    Prometheus text exposition; a name with no series is absent."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        sample = _SAMPLE.match(line)
        if sample is None or sample["name"] not in names:
            continue
        try:
            found[sample["name"]] = found.get(sample["name"], 0.0) + float(sample["value"])
        except ValueError:
            continue
    return found


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


__all__ = ["Endpoint", "Health", "POLL_INTERVAL", "POLL_TIMEOUT", "Pools", "ask_health", "pooled_client",
           "prometheus_gauges"]
