"""The embedders: the offline static table, its tokenizer, and Ollama's /api/embed
against the scripted server on loopback (never a patched client)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.errors import UserError
from mycoder_lsp.memory.embedders import (STATIC_TABLE, Embedder, EmbedderError, OllamaEmbedder, StaticEmbedder,
                                          WordPieceTokenizer, code_words, load_static_table, make_embedder,
                                          split_identifier)
from tests.support.fake_ollama import FakeOllama, vector_for


@pytest.fixture(scope="module")
def static() -> StaticEmbedder:
    return StaticEmbedder()


# -- tokenizer ----------------------------------------------------------------


@pytest.mark.parametrize("word, parts", [
    ("parseHTTPResponse2", ["parse", "HTTP", "Response", "2"]),
    ("getattr", ["getattr"]),
    ("XMLParser", ["XML", "Parser"]),
    ("utf8", ["utf", "8"]),
])
def test_split_identifier(word: str, parts: list[str]) -> None:
    assert split_identifier(word) == parts


def test_code_words_split_snake_and_camel_and_drop_punctuation() -> None:
    assert code_words("def read_file(pathName): return x.y") == ["def", "read", "file", "path", "name",
                                                                  "return", "x", "y"]
    assert code_words("a+b", keep_punctuation=True) == ["a", "+", "b"]
    assert code_words("café") == ["cafe"]


def test_wordpiece_is_greedy_longest_match_and_prefers_whole_words() -> None:
    vocab = {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "unaffable": 4, "aff": 5, "##a": 6}
    tok = WordPieceTokenizer(vocab)
    assert tok.word_ids("unaffable") == (4,)
    del vocab["unaffable"]
    tok = WordPieceTokenizer(vocab)
    assert tok.word_ids("unaffable") == (1, 2, 3)
    assert tok.word_ids("xyz") == (0,)


# -- the offline embedder -------------------------------------------------------


async def test_static_embedder_shape_dtype_and_norm(static: StaticEmbedder) -> None:
    assert isinstance(static, Embedder)
    assert static.name.startswith("static-minilm") and "-v" in static.name
    vecs = await static.embed(["def add(a, b): return a + b", "open a file", ""])
    assert vecs.dtype == np.float32 and vecs.shape == (3, static.dim)
    assert np.allclose(np.linalg.norm(vecs[:2], axis=1), 1.0, atol=1e-5)
    assert not vecs[2].any(), "a text without tokens is the zero vector, not NaN"
    assert (await static.embed([])).shape == (0, static.dim)


def test_static_embedder_is_deterministic_and_sync_matches(static: StaticEmbedder) -> None:
    texts = ["class Cache:\n    def get(self, key): ...", "Return the cached value for key."]
    first = static.embed_sync(texts)
    assert np.array_equal(first, asyncio.run(static.embed(texts)))
    assert np.array_equal(first, StaticEmbedder().embed_sync(texts))


def test_static_embedder_ranks_the_matching_function_first(static: StaticEmbedder) -> None:
    code = [
        "def read_text_file(path):\n    with open(path, encoding='utf-8') as fh:\n        return fh.read()",
        "def add_numbers(a, b):\n    return a + b",
        "def send_email(address, subject, body):\n    smtp = smtplib.SMTP('localhost')\n    smtp.sendmail(address, body)",
        "def sort_by_date(items):\n    return sorted(items, key=lambda item: item.date)",
    ]
    queries = ["Read the contents of a file.", "Sum two numbers.", "Send a mail message.",
               "Order the records chronologically."]
    sims = static.embed_sync(queries) @ static.embed_sync(code).T
    assert list(sims.argmax(axis=1)) == [0, 1, 2, 3]


async def test_static_embedder_does_not_block_the_event_loop(static: StaticEmbedder) -> None:
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    texts = [f"def function_{i}(value):\n    return compute_something(value) + {i}" for i in range(6000)]
    started = asyncio.get_running_loop().time()
    await static.embed(texts)
    elapsed = asyncio.get_running_loop().time() - started
    done = True
    await task
    # A blocked loop would tick once; a free one ticks many times while the thread works.
    assert ticks >= min(5, int(elapsed / 0.01)), (ticks, elapsed)


def test_missing_or_corrupt_table_is_a_clear_user_error(tmp_path) -> None:
    with pytest.raises(EmbedderError, match="reinstall"):
        load_static_table(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(EmbedderError, match="reinstall"):
        load_static_table(bad)
    assert issubclass(EmbedderError, UserError)


def test_shipped_table_records_its_provenance() -> None:
    table = load_static_table(STATIC_TABLE)
    assert table.meta["license"] == "Apache-2.0"
    assert "all-MiniLM-L6-v2" in table.meta["source_model"]
    assert STATIC_TABLE.stat().st_size < 20_000_000


# -- the Ollama embedder against the scripted server ---------------------------------


def _settings(url: str, *, model: str = "nomic-embed-text", allowed: list[str] | None = None) -> Settings:
    settings = Settings()
    settings.vault.embedder = "ollama"
    settings.vault.embedding_url = url
    settings.vault.embedding_model = model
    settings.brains.allowed_hosts = allowed or []
    return settings


def test_make_embedder_picks_by_settings() -> None:
    assert isinstance(make_embedder(Settings()), StaticEmbedder)
    embedder = make_embedder(_settings("http://127.0.0.1:11434"))
    assert isinstance(embedder, OllamaEmbedder) and embedder.name == "ollama:nomic-embed-text"


def test_unknown_embedder_setting_is_a_user_error() -> None:
    settings = Settings()
    settings.vault.embedder = "word2vec"  # type: ignore[assignment]
    with pytest.raises(UserError, match="offline"):
        make_embedder(settings)


async def test_ollama_embedder_batches_and_normalises() -> None:
    with FakeOllama({"models": ["nomic-embed-text:latest"], "embed_dim": 24}) as fake:
        embedder = make_embedder(_settings(fake.url))
        texts = [f"chunk {i}" for i in range(70)]
        vecs = await embedder.embed(texts)
        assert vecs.shape == (70, 24) and vecs.dtype == np.float32 and embedder.dim == 24
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
        assert np.allclose(vecs[5], vector_for("chunk 5", 24), atol=1e-6), "order is kept across batches"
        embeds = [r for r in fake.requests if r.path == "/api/embed"]
        assert [len(r.body["input"]) for r in embeds] == [32, 32, 6]
        assert all(r.body["model"] == "nomic-embed-text" for r in embeds)


async def test_ollama_down_says_start_it() -> None:
    embedder = make_embedder(_settings(FakeOllama.down_url()))
    with pytest.raises(UserError, match="ollama serve"):
        await embedder.embed(["x"])


async def test_ollama_model_not_pulled_says_pull_it() -> None:
    with FakeOllama({"models": ["codellama:7b"]}) as fake:
        embedder = make_embedder(_settings(fake.url))
        with pytest.raises(UserError, match="ollama pull nomic-embed-text"):
            await embedder.embed(["x"])


async def test_ollama_server_error_is_a_user_error() -> None:
    with FakeOllama({"rules": [{"path": "/api/embed", "status": 500, "error": "out of memory"}]}) as fake:
        embedder = make_embedder(_settings(fake.url))
        with pytest.raises(UserError, match="out of memory"):
            await embedder.embed(["x"])


def test_non_loopback_host_refused_unless_allowed() -> None:
    with pytest.raises(UserError, match="allowed_hosts"):
        make_embedder(_settings("http://gpu-box.example:11434"))
    embedder = make_embedder(_settings("http://gpu-box.example:11434", allowed=["gpu-box.example"]))
    assert isinstance(embedder, OllamaEmbedder) and embedder.url == "http://gpu-box.example:11434"
