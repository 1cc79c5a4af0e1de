"""A pool of two real llama.cpp servers (the 0.5B, one thread each) behind one
brain: requests spread over both, and one server stopped mid-run loses no
request beyond the ones in flight on it, each of which is either retried on
the other or answered by a clear message."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from mycoder_lsp.brains.backends import make_brain
from mycoder_lsp.brains.breaker import Breakers
from mycoder_lsp.brains.pool import Pools
from mycoder_lsp.brains.wire.http import BrainError, new_client
from mycoder_lsp.config import Settings
from tests.realmodel.llama_server import DEADLINE, LlamaServer, run_llama_server
from tests.support.llama_servers import provisioned

pytestmark = pytest.mark.realmodel

MODEL = "qwen2.5-coder-0.5b"
ASK = [{"role": "user", "content": "Write a Python function add(a, b) that returns a + b. Only the code."}]


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[list[LlamaServer], list[contextlib.ExitStack]]]:
    binary, gguf = provisioned("0.5b")
    stacks = [contextlib.ExitStack(), contextlib.ExitStack()]
    try:
        servers = [stack.enter_context(run_llama_server(binary, gguf, alias=MODEL, log=tmp_path / f"llama-{n}.log",
                                                        threads=1))
                   for n, stack in enumerate(stacks)]
        yield servers, stacks
    finally:
        for stack in stacks:
            stack.close()


def pool_settings(servers: list[LlamaServer]) -> Settings:
    settings = Settings()
    coding = settings.brains.coding
    coding.url, coding.backend, coding.model = [s.url for s in servers], "openai", MODEL
    coding.temperature, coding.max_tokens, coding.timeout = 0.0, 48, DEADLINE
    return settings


async def test_two_real_servers_share_the_load_and_one_stopped_mid_run_loses_nothing(two_servers):
    servers, stacks = two_servers
    settings = pool_settings(servers)
    breakers = Breakers(retry_first=0.2, retry_max=1.0)
    pools = Pools(breakers)
    async with new_client() as client:
        breakers.guard(client)

        async def ask(pieces: list[str] | None = None) -> str:
            brain = make_brain("coding", settings, client=client, pools=pools)
            return await brain.complete(ASK, on_piece=None if pieces is None else pieces.append)

        # Four at once on two one-slot servers: two each.
        answers = await asyncio.gather(*(ask() for _ in range(4)))
        assert all("def add" in a for a in answers), answers
        assert sorted(e.served for e in pools.endpoints()) == [2, 2]

        # Four more; the first server stops once an answer is streaming on it.
        first = pools.endpoint(servers[0].url)
        streams: list[list[str]] = [[] for _ in range(4)]
        running = [asyncio.create_task(ask(pieces)) for pieces in streams]
        while not (first.in_flight and any(streams)):
            await asyncio.sleep(0.05)
        in_flight_on_first = first.in_flight
        await asyncio.to_thread(stacks[0].close)  # SIGTERM, as an operator's restart would
        results = await asyncio.gather(*running, return_exceptions=True)

        failed = [r for r in results if isinstance(r, BaseException)]
        assert all(isinstance(r, BrainError) for r in failed), failed
        assert len(failed) <= in_flight_on_first and first.faults >= 1
        for exc in failed:
            assert f"at {servers[0].url} broke off" in str(exc) and "already arrived" in str(exc), exc
        assert all("def add" in r for r in results if isinstance(r, str)), results

        # From now on the second server answers everything.
        for _ in range(2):
            assert "def add" in await ask()
    await pools.close()
    await breakers.close()
