"""What llama-server says about a call reaches our result object, and a
llama-server configured as Ollama is recognised for what it is."""

from __future__ import annotations

import pytest

from mycoder_lsp.brains.backends import embed, make_brain
from mycoder_lsp.brains.wire.http import BrainError
from mycoder_lsp.config import BrainSettings, Settings
from tests.realmodel.llama_server import CONTEXT, LlamaServer

pytestmark = pytest.mark.realmodel

COUNT = [{"role": "system", "content": "You are a helpful assistant."},
         {"role": "user", "content": "Count from 1 to 200, separated by commas. Do not stop early."}]


def settings_for(server: LlamaServer, *, backend: str = "openai", max_tokens: int = 8) -> Settings:
    settings = Settings()
    # A loaded shared box can generate at a few tokens per second: a generous deadline.
    settings.brains.coding = BrainSettings(model=server.model, max_tokens=max_tokens, temperature=0.0,
                                           url=server.url + ("/v1" if backend == "openai" else ""),
                                           backend=backend, timeout=300.0)  # type: ignore[arg-type]
    return settings


async def test_llama_server_reports_token_counts_and_the_length_stop(llama_server: LlamaServer) -> None:
    brain = make_brain("coding", settings_for(llama_server, max_tokens=8))

    result = await brain.generate(COUNT)

    # Counting to 200 takes far more than 8 tokens: any answer stops at the limit.
    assert result.text.strip()
    assert result.done_reason == "length" and result.truncated, result
    assert result.output_tokens == 8, result
    assert result.prompt_tokens is not None and 10 < result.prompt_tokens < CONTEXT, result
    assert result.output_seconds is not None and result.output_seconds > 0, result


async def test_llama_server_reports_its_context_window(llama_server: LlamaServer) -> None:
    brain = make_brain("coding", settings_for(llama_server))
    assert await brain.context_window() == CONTEXT
    result = await brain.generate(COUNT, max_tokens=2)
    assert result.window == CONTEXT and not result.prompt_truncated


async def test_llama_server_behind_the_ollama_backend_says_set_backend_openai(llama_server: LlamaServer) -> None:
    brain = make_brain("coding", settings_for(llama_server, backend="ollama"))
    with pytest.raises(BrainError, match=r'OpenAI-compatible server.*set `backend = "openai"`') as caught:
        await brain.complete(COUNT)
    assert "ollama pull" not in str(caught.value)
    with pytest.raises(BrainError, match=r'set `backend = "openai"`'):
        await embed(["x"], model=llama_server.model, url=llama_server.url, backend="ollama")


async def test_a_prompt_longer_than_the_window_is_refused_with_the_numbers(llama_server: LlamaServer) -> None:
    brain = make_brain("coding", settings_for(llama_server))
    # Refused before any of it is processed, so this costs no generation time.
    huge = [{"role": "user", "content": "word " * (CONTEXT * 2)}]
    with pytest.raises(BrainError, match=rf"does not fit the context window .* \({CONTEXT} tokens\)"):
        await brain.complete(huge)
