"""Pytest plugin: real llama.cpp servers for any test suite that needs a real model.

Registered for the whole test tree by ``tests/conftest.py`` (``pytest_plugins``), so the
real-model tier (``tests/realmodel``) and the real editors (``tests/editors``) share one
server per model and session.

``llama_server`` (session scope) serves the 0.5B model by default; a test asks
for another with ``@pytest.mark.parametrize("llama_server", ["1.5b"], indirect=True)``.
Each model's server starts once per session, when a test first needs it, on
a free loopback port, and stops at the end; ``llama_servers.get(key)`` gives a
test a second model next to the first. Engine and weights come from the cache that
``bash scripts/provision_models.sh`` fills (``$MYCODER_MODEL_CACHE``); when
they are missing the tests skip and say which command provisions them, and
``MYCODER_REALMODEL=0`` skips them too (the switch ``scripts/test.sh`` documents).
``MYCODER_LLAMA_THREADS`` overrides the server's thread count (default 2).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.realmodel.llama_server import THREADS, LlamaServer, run_llama_server

CHECKOUT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = "0.5b"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "realmodel: runs a real model through llama.cpp's llama-server "
        "(provision it with `bash scripts/provision_models.sh`; MYCODER_REALMODEL=0 skips it)")


def _provisioning() -> ModuleType:
    """scripts/provision_models.py, so the tests and the script agree on what
    is provisioned and where (scripts/ is not a package)."""
    name = "mycoder_provision_models"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, CHECKOUT / "scripts" / "provision_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ in scripts/
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


@pytest.fixture
def provisioning() -> ModuleType:
    """scripts/provision_models.py as a module."""
    return _provisioning()


def provisioned(key: str) -> tuple[Path, Path]:
    """The engine binary and the weights of model ``key``; skips the test, saying
    which command provisions them, when they are missing or MYCODER_REALMODEL=0."""
    if os.environ.get("MYCODER_REALMODEL", "1") == "0":
        pytest.skip("MYCODER_REALMODEL=0: the real-model tests are switched off")
    provision = _provisioning()
    try:
        root = provision.cache_root()
    except provision.ProvisionError as exc:
        pytest.skip(str(exc))
    engine = provision.engine_status(root)
    weights = provision.model_status(root, key)
    missing = [f"{s.what}: {s.problem}" for s in (engine, weights) if not s.ready]
    if missing:
        pytest.skip(f"real model {key} not provisioned ({'; '.join(missing)}) — run "
                    f"`{provision.PROVISION_COMMAND} --model {key}`")
    return engine.path, weights.path


def llama_threads() -> int:
    # Two threads are fastest on two quiet cores; on a box shared with other jobs one thread is
    # steadier (measured: 15 tok/s every time against 7-26 with two), hence the knob.
    return int(os.environ.get("MYCODER_LLAMA_THREADS") or THREADS)


class LlamaServers:
    """The session's llama-servers, one per model, each started when first
    asked for and kept to the end: a test that needs two models (the 0.5B as
    organizer, the 1.5B for the code) shares them with every other test."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._running: dict[str, LlamaServer] = {}
        self._stack = contextlib.ExitStack()

    def get(self, key: str) -> LlamaServer:
        if key not in self._running:
            self._running[key] = self._start(key)
        return self._running[key]

    def _start(self, key: str) -> LlamaServer:
        binary, gguf = provisioned(key)
        log = self._tmp.mktemp(f"llama-server-{key}") / "llama-server.log"
        return self._stack.enter_context(run_llama_server(binary, gguf, alias=f"qwen2.5-coder-{key}",
                                                          log=log, threads=llama_threads()))

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def llama_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServers]:
    """Every model's server, started on first use (``llama_servers.get("1.5b")``)."""
    servers = LlamaServers(tmp_path_factory)
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture(scope="session")
def llama_server(request: pytest.FixtureRequest, llama_servers: LlamaServers) -> LlamaServer:
    return llama_servers.get(getattr(request, "param", DEFAULT_MODEL))
