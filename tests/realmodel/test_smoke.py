"""The real model answers through our own OpenAI-compatible backend."""

from __future__ import annotations

import pytest

from mycoder_lsp.brains.backends import make_brain
from mycoder_lsp.config import BrainSettings, Settings
from tests.realmodel.llama_server import LlamaServer

pytestmark = pytest.mark.realmodel


async def test_chat_completion_at_temperature_zero_returns_text_and_a_stop_reason(llama_server: LlamaServer) -> None:
    settings = Settings()
    # A loaded shared box can generate at a few tokens per second: a generous deadline.
    settings.brains.coding = BrainSettings(model=llama_server.model, max_tokens=48, temperature=0.0,
                                           url=llama_server.url + "/v1", backend="openai", timeout=300.0)
    brain = make_brain("coding", settings)
    pieces: list[str] = []

    text = await brain.complete(
        [{"role": "system", "content": "You are a Python programmer. Answer with code only."},
         {"role": "user", "content": "Write a Python function add(a, b) that returns their sum."}],
        on_piece=pieces.append)

    assert text.strip(), "the model answered nothing"
    assert len(pieces) > 1, "the answer was not streamed"
    assert brain.last.done_reason in {"stop", "length"}, brain.last
