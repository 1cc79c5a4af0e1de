"""Completion through the real server and a real LSP client, from a real model.

llama.cpp's server runs Qwen2.5-Coder; ``brains.completion`` points at it
with the OpenAI-compatible backend, as a user would set it. A client that
announces inline completion gets ``textDocument/inlineCompletion``, one
that does not gets ``textDocument/completion`` items. Asserted is what any
competent suggestion satisfies: it comes back within the timeout, and the
file with it in parses.
"""

from __future__ import annotations

import ast
import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.e2e.lsp_session import capabilities_for, lsp_session, open_document
from tests.realmodel.llama_server import LlamaServer

pytestmark = pytest.mark.realmodel

# A shared two-core box is slow; a quiet one answers in about a second.
TIMEOUT = 120.0

GEOMETRY = '''"""Shapes."""


def rectangle_area(width: float, height: float) -> float:
    """The area of a width x height rectangle."""
    return 


def square_area(side: float) -> float:
    """The area of a square."""
    return rectangle_area(side, side)
'''
CURSOR = types.Position(line=5, character=len("    return "))


def options(server: LlamaServer) -> dict[str, Any]:
    brain = {"url": server.url, "backend": "openai", "model": server.model, "timeout": TIMEOUT}
    return {"brains": {"completion": brain}, "completion": {"debounce_ms": 0}}


def with_suggestion(text: str) -> str:
    lines = GEOMETRY.split("\n")
    line = lines[CURSOR.line]
    lines[CURSOR.line] = line[:CURSOR.character] + text + line[CURSOR.character:]
    return "\n".join(lines)


@pytest.mark.parametrize("llama_server", ["1.5b"], indirect=True)
async def test_inline_and_fallback_suggestions_from_a_real_model(tmp_path: Path, llama_server: LlamaServer) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    caps = capabilities_for("vscode")
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    async with lsp_session(root, capabilities=caps, initialization_options=options(llama_server)) as client:
        uri = open_document(client, root / "geometry.py", GEOMETRY)
        started = time.monotonic()
        result = await asyncio.wait_for(client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=CURSOR,
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked))), TIMEOUT)
        print(f"inline suggestion in {time.monotonic() - started:.2f} s: {result}")
        assert isinstance(result, types.InlineCompletionList) and result.items, result
        text = result.items[0].insert_text
        assert isinstance(text, str) and text.strip()
        ast.parse(with_suggestion(text))
        assert "width" in text and "height" in text  # any competent area uses both

    # A client without inline completion (Neovim's profile) gets the same as an item.
    async with lsp_session(root, profile="neovim", initialization_options=options(llama_server)) as client:
        uri = open_document(client, root / "geometry.py", GEOMETRY)
        items = await asyncio.wait_for(client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=CURSOR)), TIMEOUT)
        assert isinstance(items, types.CompletionList) and items.items, items
        item = items.items[0]
        assert item.label.startswith("MyCoder: ")
        assert isinstance(item.text_edit, types.TextEdit)
        ast.parse(with_suggestion(item.text_edit.new_text))
