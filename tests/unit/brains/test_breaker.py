"""The model servers' breaker against a real HTTP server on loopback (the scripted one)."""

from __future__ import annotations

import asyncio
import time

import httpx

from mycoder_lsp.brains.breaker import Breakers
from mycoder_lsp.brains.wire.http import new_client
from mycoder_lsp.config import server_base
from tests.support.fake_ollama import FakeOllama


def breakers(events: list[str]) -> Breakers:
    return Breakers(on_open=lambda b: events.append(f"open {b.url}"),
                    on_close=lambda b: events.append(f"close {b.url}"),
                    probe_timeout=0.3, retry_first=0.05, retry_max=0.2)


async def test_a_hung_server_opens_the_breaker_once_and_its_answer_closes_it(fake_ollama: FakeOllama):
    events: list[str] = []
    registry = breakers(events)
    breaker = registry.of(fake_ollama.url + "/")
    assert await registry.check(breaker) is True and breaker.state == "closed" and events == []

    fake_ollama.set_script({"rules": [{"path": "/api/version", "delay": 30}]})
    assert await registry.check(breaker) is False
    assert breaker.is_open and events == [f"open {fake_ollama.url}"]
    assert "no answer within 0.3 s" in breaker.message and "retries in the background" in breaker.message
    # Open: a guarded client refuses at once, and checks answer at once, without telling again.
    client = new_client()
    registry.guard(client)
    t0 = time.perf_counter()
    try:
        await client.post(fake_ollama.url + "/api/chat", json={})
    except httpx.ConnectError as exc:
        assert "is not answering" in str(exc)
    else:
        raise AssertionError("the open breaker let a request through")
    assert await registry.check(breaker) is False
    assert time.perf_counter() - t0 < 0.2 and events == [f"open {fake_ollama.url}"]
    assert not [r for r in fake_ollama.requests if r.path == "/api/chat"]

    fake_ollama.set_script({"rules": []})

    async def closed() -> None:
        while breaker.is_open:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(closed(), 5)
    assert events == [f"open {fake_ollama.url}", f"close {fake_ollama.url}"]
    response = await client.get(fake_ollama.url + "/api/version")
    assert response.status_code == 200
    await client.aclose()
    await registry.close()


async def test_a_server_that_is_down_and_openai_servers():
    events: list[str] = []
    registry = breakers(events)
    down = FakeOllama.down_url()
    breaker = registry.of(down)
    assert await registry.check(breaker) is False
    assert "not reachable" in breaker.reason and events == [f"open {down}"]
    registry.reset()  # settings changed: forgotten, probes stopped
    assert registry.open_for(down + "/api/chat") is None

    openai = registry.of("http://127.0.0.1:8080/v1/", backend="openai")
    assert (openai.url, openai.probe_path, openai.state) == ("http://127.0.0.1:8080", "/v1/models", "closed")
    assert registry.of("http://127.0.0.1:8080") is openai
    assert server_base("http://127.0.0.1:8080/v1") == server_base("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    await registry.close()
