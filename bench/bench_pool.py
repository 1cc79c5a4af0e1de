"""Pool benchmark: one brain on two model servers, then one of them stopped mid-run.

Two llama.cpp servers (the 0.5B from the model cache, one thread each, one
slot each) serve the coding brain as a pool (``url = [a, b]``,
:mod:`mycoder_lsp.brains.pool`). Two runs of ``--requests`` calls,
``--concurrency`` at a time, through the same :class:`Pools` and breakers the
LSP server uses:

- **spread**: both servers up: how many calls each server answered, and the
  latency of a call (p50 / p95) and the wall time;
- **stop**: the first server is stopped (SIGTERM) once ``--stop-after``
  calls have finished: each call is *answered* (on the server it was sent to),
  *retried* (it failed before its answer began and the other server answered
  it), *answered with a message* (its answer broke off mid-way: a BrainError
  that says so) or *lost* (anything else: there should be none), and how many
  were in flight on the stopped server when it went.

Usage::

    python bench/bench_pool.py                 # starts two llama-servers (0.5B) from the model cache
    python bench/bench_pool.py --fake          # scripted servers instead (seconds; a smoke run)
    python bench/bench_pool.py --json out.json # also write the figures as JSON
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mycoder_lsp.brains.backends import make_brain  # noqa: E402
from mycoder_lsp.brains.breaker import Breakers  # noqa: E402
from mycoder_lsp.brains.pool import Pools  # noqa: E402
from mycoder_lsp.brains.wire.http import BrainError, new_client  # noqa: E402
from mycoder_lsp.config import Settings  # noqa: E402

MODEL = "qwen2.5-coder-0.5b"
PROMPTS = ["Write a Python function {name}(a, b) that returns a + b. Only the code.",
           "Write a Python function {name}(items) that returns the largest item. Only the code.",
           "Write a Python function {name}(text) that returns text reversed. Only the code."]


@dataclass
class Run:
    """One run's figures."""

    requests: int
    concurrency: int
    wall_seconds: float = 0.0
    p50_seconds: float = 0.0
    p95_seconds: float = 0.0
    # Calls answered by each server ("a", "b"), retried ones included.
    by_server: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    retried: int = 0
    answered_with_message: int = 0
    lost: int = 0
    in_flight_on_stopped: int | None = None
    messages: list[str] = field(default_factory=list)


class _Retries(logging.Handler):
    """Counts the pool's "trying the next server" warnings: one per retry."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "trying the next server" in record.getMessage():
            self.count += 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def run_calls(urls: list[str], *, requests: int, concurrency: int, max_tokens: int,
                    stop_after: int | None = None, stop: Callable[[], None] | None = None) -> Run:
    settings = Settings()
    coding = settings.brains.coding
    coding.url, coding.backend, coding.model = list(urls), "openai", MODEL
    coding.temperature, coding.max_tokens, coding.timeout = 0.0, max_tokens, 300.0
    breakers = Breakers()
    pools = Pools(breakers)
    retries = _Retries()
    logging.getLogger("mycoder_lsp.brains.pool").addHandler(retries)
    run = Run(requests, concurrency)
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    finished = 0
    stopped = asyncio.Event()

    async with new_client() as client:
        breakers.guard(client)

        async def call(number: int) -> None:
            nonlocal finished
            async with gate:
                prompt = PROMPTS[number % len(PROMPTS)].format(name=f"f{number}")
                brain = make_brain("coding", settings, client=client, pools=pools)
                t0 = time.perf_counter()
                try:
                    await brain.complete([{"role": "user", "content": prompt}])
                    latencies.append(time.perf_counter() - t0)
                    run.answered += 1
                except BrainError as exc:
                    if "already arrived" in str(exc):
                        run.answered_with_message += 1
                        run.messages.append(str(exc))
                    else:
                        run.lost += 1
                        run.messages.append(f"LOST: {exc}")
                finished += 1
                if stop is not None and stop_after is not None and finished >= stop_after and not stopped.is_set():
                    stopped.set()
                    run.in_flight_on_stopped = pools.endpoint(urls[0]).in_flight
                    await asyncio.to_thread(stop)

        t0 = time.perf_counter()
        await asyncio.gather(*(call(n) for n in range(requests)))
        run.wall_seconds = time.perf_counter() - t0
    logging.getLogger("mycoder_lsp.brains.pool").removeHandler(retries)
    run.retried = retries.count
    names = dict(zip(urls, "ab"))
    run.by_server = {names.get(e.url, e.url): e.answered for e in pools.endpoints()}
    run.p50_seconds = statistics.median(latencies) if latencies else 0.0
    run.p95_seconds = percentile(latencies, 0.95)
    await pools.close()
    await breakers.close()
    return run


@contextlib.contextmanager
def real_servers(threads: int) -> Iterator[tuple[list[str], Callable[[], None]]]:
    """Two llama-servers (0.5B) from the provisioned cache, as the real-model
    tests start them; yields their URLs and a function that stops the first."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("provision_models", ROOT / "scripts" / "provision_models.py")
    assert spec is not None and spec.loader is not None
    provision = importlib.util.module_from_spec(spec)
    sys.modules["provision_models"] = provision
    spec.loader.exec_module(provision)
    from tests.realmodel.llama_server import run_llama_server

    root = provision.cache_root()
    engine, weights = provision.engine_status(root), provision.model_status(root, "0.5b")
    for status in (engine, weights):
        if not status.ready:
            raise SystemExit(f"{status.what}: {status.problem} — run `{provision.PROVISION_COMMAND} --model 0.5b`")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as second:
        first = contextlib.ExitStack()
        try:
            a = first.enter_context(run_llama_server(engine.path, weights.path, alias=MODEL, log=Path(tmp) / "a.log",
                                                     threads=threads))
            b = second.enter_context(run_llama_server(engine.path, weights.path, alias=MODEL,
                                                      log=Path(tmp) / "b.log", threads=threads))
            yield [a.url, b.url], first.close
        finally:
            first.close()


@contextlib.contextmanager
def fake_servers() -> Iterator[tuple[list[str], Callable[[], None]]]:
    """Two scripted servers that stream a short answer slowly (for a smoke run)."""
    from tests.support.fake_ollama import FakeOllama

    script = {"api": "openai", "slots": 1, "rules": [{"reply": "def f(a, b):\n    return a + b\n", "pieces": 10,
                                                      "delay": 0.02}]}
    with FakeOllama(script) as a, FakeOllama(script) as b:
        yield [a.url, b.url], a.stop


def report(name: str, run: Run) -> None:
    print(f"{name}: {run.requests} calls, {run.concurrency} at a time, {run.wall_seconds:.1f} s; "
          f"p50 {run.p50_seconds:.2f} s, p95 {run.p95_seconds:.2f} s; by server {run.by_server}")
    if run.in_flight_on_stopped is not None:
        print(f"  stopped a with {run.in_flight_on_stopped} calls in flight on it: answered {run.answered} "
              f"(of which retried on b {run.retried}), answered with a message {run.answered_with_message}, "
              f"lost {run.lost}")
    for message in run.messages[:5]:
        print(f"  message: {message[:300]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fake", action="store_true", help="scripted servers instead of llama-server")
    ap.add_argument("--requests", type=int, default=24, help="calls per run (default 24)")
    ap.add_argument("--concurrency", type=int, default=4, help="calls at a time (default 4)")
    ap.add_argument("--max-tokens", type=int, default=48, help="tokens per answer (default 48)")
    ap.add_argument("--stop-after", type=int, help="stop the first server after this many calls (default a third)")
    ap.add_argument("--threads", type=int, default=1, help="llama-server threads each (default 1)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    stop_after = args.stop_after or max(1, args.requests // 3)
    figures: dict[str, Any] = {"load_average": os.getloadavg(), "fake": args.fake}
    servers = fake_servers() if args.fake else real_servers(args.threads)
    with servers as (urls, stop):
        common = dict(requests=args.requests, concurrency=args.concurrency, max_tokens=args.max_tokens)
        spread = asyncio.run(run_calls(urls, **common))
        report("spread", spread)
        stopped = asyncio.run(run_calls(urls, **common, stop_after=stop_after, stop=stop))
        report("stop", stopped)
    figures.update(spread=asdict(spread), stop=asdict(stopped), load_average_after=os.getloadavg())
    print(f"load average {figures['load_average'][0]:.2f} before, {figures['load_average_after'][0]:.2f} after")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if stopped.lost == 0 and spread.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
