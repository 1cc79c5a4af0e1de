"""The vault in the server when embedding fails: one window/showMessage that
says why, and search by words instead of an error (the real server process,
pytest-lsp, the scripted OpenAI-compatible server on loopback)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.e2e.lsp_session import lsp_session
from tests.e2e.test_vault import command, wait_index_end, write_workspace
from tests.support.brain_lsp import wait_until
from tests.support.fake_ollama import FakeOllama

LLAMA_NO_EMBEDDINGS = {"error": {"code": 501, "message": "This server does not support embeddings. Start it with "
                                                         "`--embeddings`", "type": "not_supported_error"}}


@pytest.fixture
def root(tmp_path):
    return write_workspace(tmp_path)


def vault_options(url: str) -> dict:
    return {"vault": {"embedder": "openai", "embeddingUrl": url, "embeddingModel": "qwen-embed"}}


def embed_messages(client) -> list[types.ShowMessageParams]:
    return [m for m in client.messages if "indexed for words only" in m.message]


async def test_a_server_that_cannot_embed_is_one_warning_and_search_by_words(root):
    with FakeOllama({"rules": [{"path": "/v1/embeddings", "status": 501, "body": LLAMA_NO_EMBEDDINGS}]}) as fake:
        async with lsp_session(root, profile="vscode", initialization_options=vault_options(fake.url)) as client:
            await wait_index_end(client)
            await wait_until(lambda: embed_messages(client))
            shown = embed_messages(client)[0]
            assert shown.type == types.MessageType.Warning
            assert "does not support embeddings" in shown.message and "--embeddings" in shown.message

            results = await command(client, "mycoder.search", {"query": "send the request again", "k": 1})
            assert results[0]["name"] == "HttpClient.retry_request"
            summary = await command(client, "mycoder.index")
            assert summary["files"] == 3 and summary["embedded"] == 0 and "--embeddings" in summary["embed_error"]
            assert len(embed_messages(client)) == 1, "the same failure is not shown at every index"
            assert not [m for m in client.messages if m.type == types.MessageType.Error]
        assert {r.path for r in fake.requests if r.method == "POST"} == {"/v1/embeddings"}


async def test_a_refused_embedding_host_still_opens_the_vault_for_words(root):
    async with lsp_session(root, profile="vscode",
                           initialization_options=vault_options("http://203.0.113.7:8080")) as client:
        await wait_index_end(client)
        await wait_until(lambda: embed_messages(client))
        assert len(embed_messages(client)) == 1 and "allowed_hosts" in embed_messages(client)[0].message
        results = await command(client, "mycoder.search", {"query": "send the request again", "k": 1})
        assert results[0]["name"] == "HttpClient.retry_request"
