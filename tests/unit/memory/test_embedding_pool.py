"""``vault.embedding_url`` as a pool: a list of embedding servers of one model, each batch on
one that answers (mycoder_lsp/brains/pool.py), against scripted servers on loopback."""

from __future__ import annotations

import numpy as np
import pytest

from mycoder_lsp.config import Settings, apply_layer
from mycoder_lsp.memory.embedders import (
    EmbedderError,
    UnavailableEmbedder,
    make_embedder,
    make_embedder_or_stand_in,
)
from tests.support.fake_ollama import FakeOllama, vector_for

MODEL = "nomic-embed-text"


def pool_settings(urls: list[str], *, embedder: str = "ollama") -> Settings:
    settings = Settings()
    settings.vault.embedder = embedder  # type: ignore[assignment]
    settings.vault.embedding_url = urls
    settings.vault.embedding_model = MODEL
    return settings


def embedded(fake: FakeOllama, path: str = "/api/embed") -> list[str]:
    return [text for r in fake.requests if r.path == path for text in r.body["input"]]


async def test_a_server_down_leaves_the_batches_to_the_other() -> None:
    with FakeOllama({"models": [f"{MODEL}:latest"], "embed_dim": 24}) as fake:
        embedder = make_embedder(pool_settings([FakeOllama.down_url(), fake.url]))
        texts = [f"chunk {i}" for i in range(70)]
        vectors = await embedder.embed(texts)
        assert vectors.shape == (70, 24)
        assert np.allclose(vectors[5], vector_for("chunk 5", 24), atol=1e-6), "order is kept across batches"
        assert embedded(fake) == texts
        # A later call (another event loop: the CLI's next asyncio.run) still finds the live one.
        again = await embedder.embed(["one more"])
        assert again.shape == (1, 24) and embedded(fake)[-1] == "one more"


async def test_a_server_that_fails_a_batch_before_answering_hands_it_on() -> None:
    # Up for the health poll, but 503 on every batch: each batch it is given runs again elsewhere.
    with FakeOllama({"models": [f"{MODEL}:latest"], "embed_dim": 8,
                     "rules": [{"path": "/api/embed", "status": 503, "error": "loading model"}]}) as sick, \
            FakeOllama({"models": [f"{MODEL}:latest"], "embed_dim": 8}) as well:
        embedder = make_embedder(pool_settings([sick.url, well.url]))
        texts = [f"text {i}" for i in range(40)]
        vectors = await embedder.embed(texts)
        assert vectors.shape == (40, 8) and embedded(well) == texts
        assert np.allclose(vectors[39], vector_for("text 39", 8), atol=1e-6)


async def test_an_openai_pool_fails_over_too() -> None:
    with FakeOllama({"embed_dim": 12}) as fake:
        embedder = make_embedder(pool_settings([FakeOllama.down_url(), fake.url], embedder="openai"))
        vectors = await embedder.embed(["a", "b", "c"])
        assert vectors.shape == (3, 12) and embedded(fake, "/v1/embeddings") == ["a", "b", "c"]


async def test_no_server_of_the_pool_answering_names_each_and_the_setting() -> None:
    first, second = FakeOllama.down_url(), FakeOllama.down_url()
    embedder = make_embedder(pool_settings([first, second]))
    with pytest.raises(EmbedderError) as caught:
        await embedder.embed(["x"])
    message = str(caught.value)
    assert first in message and second in message and "2 servers" in message
    assert "vault.embedding_url" in message and "the brain's url" not in message


def test_a_pool_is_refused_when_one_server_is_not_allowed() -> None:
    embedder, why = make_embedder_or_stand_in(pool_settings(["http://127.0.0.1:11434", "http://203.0.113.7:11434"]))
    assert isinstance(embedder, UnavailableEmbedder) and why and "203.0.113.7" in why


def test_a_list_in_the_user_config_is_a_pool_and_each_url_is_checked() -> None:
    settings = Settings()
    urls = ["http://127.0.0.1:8081", "http://127.0.0.1:8082/"]
    assert not apply_layer(settings, {"vault": {"embedding_url": urls}}, "user config", trusted=True)
    assert settings.vault.embedding_urls == urls
    settings = Settings()
    problems = apply_layer(settings, {"vault": {"embedding_url": ["http://127.0.0.1:8081", "ftp://nope"]}},
                           "user config", trusted=True)
    assert [p.key for p in problems] == ["vault.embedding_url"]
    assert settings.vault.embedding_urls == [Settings().vault.embedding_url]
    # The user's own, as before: a repository may not point the embedder at a pool.
    settings = Settings()
    assert apply_layer(settings, {"vault": {"embedding_url": urls}}, "project", trusted=False)
    assert settings.vault.embedding_urls == [Settings().vault.embedding_url]


async def test_doctor_warns_about_a_pool_server_down_while_another_answers() -> None:
    from mycoder_lsp.cli.doctor import _brain_checks

    down = FakeOllama.down_url()
    with FakeOllama({"models": [f"{MODEL}:latest"]}) as fake:
        checks = await _brain_checks(pool_settings([down, fake.url]), 1.0)
    assert any(c.name == "embeddings (pool 2/2)" and c.ok for c in checks)
    (gone,) = [c for c in checks if c.name == f"server {down}"]
    assert not gone.ok and not gone.required and "embeddings" in gone.fix
