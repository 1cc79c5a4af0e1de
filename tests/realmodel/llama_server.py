"""Start and stop a real ``llama-server`` on a free loopback port.

Used by ``conftest.py`` (the ``llama_server`` fixture) and by benchmarks that
want the same server the tests get. Settings are pinned for repeatable
answers: one slot, a fixed seed, a fixed context window, two threads (the
machines this project runs on have two cores).

This module starts processes; it does not know where the engine and weights
come from (``scripts/provision_models.py`` does).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

CONTEXT = 4096
THREADS = 2
SEED = 0
# Loading takes about a second on a quiet box; a box shared with compilers
# and other test runs can be far slower, and a hung start must still end.
START_TIMEOUT = 180.0


class LlamaServerError(RuntimeError):
    """llama-server did not start; the message quotes the end of its log."""


@dataclass(frozen=True)
class LlamaServer:
    """A running llama-server: where to reach it and what it serves."""

    url: str  # base URL, without /v1
    model: str  # the alias it answers to in "model" and /v1/models
    gguf: Path
    log: Path
    start_seconds: float


# A loaded two-core box can be slow: one generous deadline per model call.
DEADLINE = 240.0


def brain_options(server: LlamaServer, *, reasoning_max_tokens: int) -> dict[str, Any]:
    """initializationOptions sending every brain to ``server``, the way a user
    sets llama.cpp's server up: the OpenAI backend, temperature 0, no verify."""
    brain = {"url": server.url, "backend": "openai", "model": server.model, "timeout": DEADLINE}
    return {"brains": {"coding": {**brain, "temperature": 0.0, "max_tokens": 256},
                       "reasoning": {**brain, "temperature": 0.0, "max_tokens": reasoning_max_tokens},
                       "organizer": brain, "verify": "never"}}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def run_llama_server(binary: Path, gguf: Path, *, alias: str, log: Path, threads: int = THREADS,
                     timeout: float = START_TIMEOUT, extra_args: Sequence[str] = (),
                     context: int = CONTEXT) -> Iterator[LlamaServer]:
    """Run ``binary`` serving ``gguf`` until the block ends; yields once
    ``/health`` answers 200 (the model is loaded). ``extra_args`` go on the
    command line as they are (e.g. ``--embeddings``); ``context`` is the
    window (``--ctx-size``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--model", str(gguf), "--alias", alias,
               "--ctx-size", str(context), "--threads", str(threads), "--seed", str(SEED), "--parallel", "1",
               "--no-webui", *extra_args]
    started = time.monotonic()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(process, url, log, started + timeout)
        yield LlamaServer(url=url, model=alias, gguf=gguf, log=log, start_seconds=time.monotonic() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path, deadline: float) -> None:
    # /health answers 503 while the model loads and 200 once it can serve;
    # there is no event to wait on, so poll it briefly.
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while True:
            if process.poll() is not None:
                raise LlamaServerError(f"llama-server exited with {process.returncode} before it was ready; "
                                       f"the end of {log}:\n{_tail(log)}")
            try:
                if client.get(url + "/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise LlamaServerError(f"llama-server did not become healthy at {url} in time; "
                                       f"the end of {log}:\n{_tail(log)}")
            time.sleep(0.1)
