"""The real-model tier: tests that run llama.cpp's llama-server.

The fixtures (``llama_server``, ``llama_servers``, ``provisioning``) live in the
plugin ``tests/support/llama_servers.py``, registered for the whole test tree by
``tests/conftest.py``, so the real editors' tests (``tests/editors``) share the
same servers; see there. The names below stay importable from here.
"""

from __future__ import annotations

from tests.support.llama_servers import DEFAULT_MODEL, LlamaServers, _provisioning

__all__ = ["DEFAULT_MODEL", "LlamaServers", "_provisioning"]
