"""A circuit breaker per model server: stop waiting for a server that does not answer.

A hung or stopped server makes every model call wait for its deadline; in an
editor that is every hover, over and over. One :class:`Breaker` per server
(the brain's URL without ``/v1``) remembers whether it answers:

- **closed**: calls go through. When a call failed, or a hover waited in vain,
  :meth:`Breakers.check` asks the server something cheap (Ollama
  ``GET /api/version``, OpenAI-compatible ``GET /v1/models``) with a short
  deadline. Any HTTP answer means the server is there (a slow *model* is not
  the breaker's business); no answer, or no connection, opens the breaker.
- **open**: calls to that server fail at once (a request hook on the shared
  HTTP client, :meth:`Breakers.guard`), and the server is probed again in the
  background after a pause that grows from ``retry_first`` to ``retry_max``.
- **half-open**: a probe is in flight; calls still fail at once. The probe
  answering closes the breaker, its failure opens it again.

Opening and closing are announced through callbacks, once each per outage,
so the user is told once, not once per hover. Each server of a brain's pool
(:mod:`mycoder_lsp.brains.pool`) has its own breaker: a pool leaves out the
servers whose breaker is open. This module must not import pygls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx

from mycoder_lsp.brains.wire.http import new_client
from mycoder_lsp.config import server_base

log = logging.getLogger(__name__)

# A server that cannot answer "what version are you" in this long is not answering.
PROBE_TIMEOUT = 2.0
RETRY_FIRST = 1.0
RETRY_MAX = 15.0

State = Literal["closed", "open", "half-open"]


@dataclass(eq=False)
class Breaker:
    """One model server's circuit (compared by identity: a reset makes new ones)."""

    url: str
    probe_path: str
    state: State = "closed"
    # Why the server was last found not answering, for the message.
    reason: str = ""

    @property
    def is_open(self) -> bool:
        return self.state != "closed"

    @property
    def message(self) -> str:
        return (f"The model server at {self.url} is not answering ({self.reason}); MyCoder stops waiting for it "
                "and retries in the background.")

    def covers(self, url: str) -> bool:
        return url == self.url or url.startswith(self.url + "/")


class Breakers:
    """Every server's breaker, with the probes that open and close them.

    ``on_open`` and ``on_close`` are called (on the event loop) when a
    breaker opens and when it closes again.
    """

    def __init__(self, *, on_open: Callable[[Breaker], None] | None = None,
                 on_close: Callable[[Breaker], None] | None = None,
                 client_factory: Callable[[], httpx.AsyncClient] = new_client,
                 probe_timeout: float = PROBE_TIMEOUT, retry_first: float = RETRY_FIRST,
                 retry_max: float = RETRY_MAX) -> None:
        self.on_open = on_open
        self.on_close = on_close
        self.probe_timeout = probe_timeout
        self.retry_first = retry_first
        self.retry_max = retry_max
        self._client_factory = client_factory
        self._client: httpx.AsyncClient | None = None
        self._breakers: dict[str, Breaker] = {}
        self._checks: dict[Breaker, asyncio.Task[bool]] = {}
        self._retries: dict[str, asyncio.Task[None]] = {}

    def of(self, url: str, backend: str = "ollama") -> Breaker:
        """The breaker of the server at ``url`` (a brain's URL)."""
        base = server_base(url)
        breaker = self._breakers.get(base)
        if breaker is None:
            breaker = Breaker(base, "/v1/models" if backend == "openai" else "/api/version")
            self._breakers[base] = breaker
        return breaker

    def open_for(self, url: str) -> Breaker | None:
        """The open breaker covering ``url``, if any."""
        for breaker in self._breakers.values():
            if breaker.is_open and breaker.covers(url):
                return breaker
        return None

    def guard(self, client: httpx.AsyncClient) -> None:
        """Make ``client`` refuse requests to a server whose breaker is open,
        at once, as a connection failure (which the backends report)."""

        async def refuse_when_open(request: httpx.Request) -> None:
            breaker = self.open_for(str(request.url))
            if breaker is not None:
                raise httpx.ConnectError(breaker.message, request=request)

        client.event_hooks["request"].append(refuse_when_open)

    def check(self, breaker: Breaker) -> asyncio.Future[bool]:
        """Is the server answering? Probes it once (concurrent checks share
        the probe) and opens the breaker when it does not answer."""
        if breaker.is_open:
            done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            done.set_result(False)
            return done
        task = self._checks.get(breaker)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._check(breaker), name=f"probe:{breaker.url}")
            self._checks[breaker] = task
            task.add_done_callback(lambda t: self._checks.pop(breaker, None))
        return task

    async def _check(self, breaker: Breaker) -> bool:
        reason = await self._probe(breaker)
        if reason is None:
            return True
        # Not after reset() (settings changed meanwhile), and not twice.
        if self._breakers.get(breaker.url) is breaker and not breaker.is_open:
            self._open(breaker, reason)
        return False

    def _open(self, breaker: Breaker, reason: str) -> None:
        breaker.state = "open"
        breaker.reason = reason
        log.warning("%s", breaker.message)
        if self.on_open is not None:
            self.on_open(breaker)
        self._retries[breaker.url] = asyncio.get_running_loop().create_task(self._retry(breaker),
                                                                            name=f"retry:{breaker.url}")

    async def _retry(self, breaker: Breaker) -> None:
        pause = self.retry_first
        try:
            while True:
                await asyncio.sleep(pause)
                breaker.state = "half-open"
                reason = await self._probe(breaker)
                if reason is None:
                    breaker.state = "closed"
                    log.info("the model server at %s answers again", breaker.url)
                    if self.on_close is not None:
                        self.on_close(breaker)
                    return
                breaker.state = "open"
                breaker.reason = reason
                pause = min(pause * 2, self.retry_max)
        finally:
            if self._retries.get(breaker.url) is asyncio.current_task():
                del self._retries[breaker.url]

    async def _probe(self, breaker: Breaker) -> str | None:
        """None when the server answered (any HTTP status), else why not."""
        if self._client is None:
            self._client = self._client_factory()
        try:
            await asyncio.wait_for(self._client.get(breaker.url + breaker.probe_path, timeout=self.probe_timeout),
                                   self.probe_timeout + 0.5)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            return "not reachable: no connection; is it running?"
        except (httpx.TimeoutException, asyncio.TimeoutError):
            return f"no answer within {self.probe_timeout:g} s"
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:200]
        return None

    def reset(self) -> None:
        """Forget every outage (the settings changed: try again at once)."""
        # Checks in flight end on their own within probe_timeout; callers await them.
        for task in list(self._retries.values()):
            task.cancel()
        self._retries.clear()
        self._breakers.clear()

    async def close(self) -> None:
        self.reset()
        for task in list(self._checks.values()):
            task.cancel()
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):
                await client.aclose()


__all__ = ["Breaker", "Breakers", "PROBE_TIMEOUT"]
