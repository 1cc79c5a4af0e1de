"""The wire protocols a brain speaks: one class per protocol, one instance
per server (:class:`~.base.Wire`): Ollama's native API (:mod:`.ollama`) and
OpenAI-compatible servers (:mod:`.openai`), over the one HTTP client factory
and egress rule of :mod:`.http`.

This package must not import pygls, and must not know about prompts,
routing, edits or pools: it moves text to a model server and back.
"""

from __future__ import annotations

import httpx

from mycoder_lsp.brains.wire.base import Wire
from mycoder_lsp.brains.wire.ollama import OllamaWire
from mycoder_lsp.brains.wire.openai import OpenAIWire


def wire_for(backend: str, url: str, api_key: str = "", *, client: httpx.AsyncClient | None = None) -> Wire:
    """The server at ``url`` spoken to in ``backend``'s protocol ("openai";
    anything else is Ollama's, as the settings default)."""
    cls: type[Wire] = OpenAIWire if backend == "openai" else OllamaWire
    return cls(url, api_key, client=client)


__all__ = ["OllamaWire", "OpenAIWire", "Wire", "wire_for"]
