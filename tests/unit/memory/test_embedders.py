"""The embedders: the offline static table, its tokenizer, Ollama's /api/embed
and the OpenAI-compatible /v1/embeddings against the scripted server on
loopback (never a patched client), and what ``index``/``search`` say when
embedding fails."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.errors import UserError
from mycoder_lsp.memory.embedders import (
    STATIC_TABLE,
    Embedder,
    EmbedderError,
    OllamaEmbedder,
    OpenAIEmbedder,
    StaticEmbedder,
    UnavailableEmbedder,
    WordPieceTokenizer,
    code_words,
    load_static_table,
    make_embedder,
    make_embedder_or_stand_in,
    split_identifier,
)
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


# -- the OpenAI-compatible embedder (llama-server --embeddings, vLLM, LM Studio) --


def _openai_settings(url: str, *, model: str = "qwen-embed", api_key: str = "") -> Settings:
    settings = _settings(url, model=model)
    settings.vault.embedder = "openai"
    settings.vault.embedding_api_key = api_key
    return settings


async def test_openai_embedder_speaks_v1_embeddings_batched_in_order_with_its_key() -> None:
    with FakeOllama({"embed_dim": 12}) as fake:
        embedder = make_embedder(_openai_settings(fake.url + "/v1", api_key="sk-local"))
        assert isinstance(embedder, OpenAIEmbedder) and embedder.name == "openai:qwen-embed"
        texts = [f"chunk {i}" for i in range(40)]
        vecs = await embedder.embed(texts)
        assert vecs.shape == (40, 12) and vecs.dtype == np.float32 and embedder.dim == 12
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
        assert np.allclose(vecs[33], vector_for("chunk 33", 12), atol=1e-6), "order is kept across batches"
        sent = [r for r in fake.requests if r.method == "POST"]
        assert [r.path for r in sent] == ["/v1/embeddings", "/v1/embeddings"], "a /v1 suffix is not doubled"
        assert [len(r.body["input"]) for r in sent] == [32, 8]
        assert all(r.body["model"] == "qwen-embed" for r in sent)
        assert all(r.headers.get("authorization") == "Bearer sk-local" for r in sent)


def test_openai_and_ollama_embedders_have_different_names() -> None:
    # The vault re-embeds when the name changes: vectors of one server are not the other's.
    ollama = make_embedder(_settings("http://127.0.0.1:11434", model="m"))
    openai = make_embedder(_openai_settings("http://127.0.0.1:8080", model="m"))
    assert ollama.name != openai.name


async def test_openai_server_down_says_so_and_names_the_setting() -> None:
    embedder = make_embedder(_openai_settings(FakeOllama.down_url()))
    with pytest.raises(EmbedderError) as caught:
        await embedder.embed(["x"])
    message = str(caught.value)
    assert "not reachable" in message and "vault.embedding_url" in message
    assert "the brain's url" not in message and "ollama serve" not in message


# What llama-server answers (recorded from llama.cpp's server, this engine build).
LLAMA_NO_EMBEDDINGS = {"error": {"code": 501, "message": "This server does not support embeddings. Start it with "
                                                         "`--embeddings`", "type": "not_supported_error"}}
LLAMA_POOLING_NONE = {"error": {"code": 400, "message": "Pooling type 'none' is not OAI compatible. Please use a "
                                                        "different pooling type", "type": "invalid_request_error"}}
VLLM_NO_MODEL = {"object": "error", "message": "The model `qwen-embed` does not exist.", "type": "NotFoundError",
                 "code": 404}


@pytest.mark.parametrize("status, body, expected", [
    (501, LLAMA_NO_EMBEDDINGS, "does not support embeddings"),
    (400, LLAMA_POOLING_NONE, "Pooling type 'none'"),
    (404, {"error": {"message": "File Not Found", "type": "not_found_error", "code": 404}}, "File Not Found"),
    (404, VLLM_NO_MODEL, "does not exist"),
    (200, {"object": "list", "data": []}, "0 embeddings for 1"),  # not an embeddings server
    (200, ["not", "an", "embeddings", "answer"], "did not answer like an OpenAI-compatible embeddings server"),
    (200, {"data": [{"index": 0, "embedding": "abc"}]}, "embeddings for 1 texts"),
    (200, {"data": [{"index": 0, "embedding": ["x", "y"]}]}, "did not answer like"),
])
async def test_openai_failures_are_one_clear_user_error(status: int, body: object, expected: str) -> None:
    with FakeOllama({"rules": [{"path": "/v1/embeddings", "status": status, "body": body}]}) as fake:
        embedder = make_embedder(_openai_settings(fake.url))
        with pytest.raises(EmbedderError) as caught:
            await embedder.embed(["def add(a, b): return a + b"])
    message = str(caught.value)
    assert expected in message, message
    assert message.startswith("The vault cannot embed with qwen-embed") and "--embeddings" in message
    assert "ollama pull" not in message


def test_openai_embedder_refuses_a_host_that_is_not_allowed() -> None:
    with pytest.raises(UserError, match="allowed_hosts"):
        make_embedder(_openai_settings("http://gpu-box.example:8080"))


async def test_refused_embedder_settings_leave_a_stand_in_that_keeps_the_name() -> None:
    embedder, why = make_embedder_or_stand_in(_openai_settings("http://gpu-box.example:8080", model="m"))
    assert isinstance(embedder, UnavailableEmbedder) and embedder.name == "openai:m"
    assert why and "allowed_hosts" in why
    with pytest.raises(EmbedderError, match="allowed_hosts"):
        await embedder.embed(["x"])
    assert make_embedder_or_stand_in(Settings())[1] is None


# -- the CLI: an embedding failure is one message and a non-zero exit -----------------


def _cli(root, config_home, *args):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["XDG_CONFIG_HOME"] = str(config_home)
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", *args, "--root", str(root)], capture_output=True,
                          text=True, timeout=60, env=env)


def _user_config(tmp_path, url: str):
    home = tmp_path / "xdg"
    (home / "mycoder").mkdir(parents=True)
    (home / "mycoder" / "config.toml").write_text(
        f'[vault]\nembedder = "openai"\nembedding_url = "{url}"\nembedding_model = "qwen-embed"\n')
    return home


@pytest.mark.parametrize("fault", ["down", "no-embeddings", "not-json"])
def test_index_and_search_say_why_embedding_failed_and_exit_non_zero(workspace, tmp_path, fault) -> None:
    rules = {"no-embeddings": [{"path": "/v1/embeddings", "status": 501, "body": LLAMA_NO_EMBEDDINGS}],
             "not-json": [{"path": "/v1/embeddings", "body": "<html>hello</html>"}]}
    with FakeOllama({"rules": rules.get(fault, [])}) as fake:
        home = _user_config(tmp_path, FakeOllama.down_url() if fault == "down" else fake.url)
        out = _cli(workspace, home, "index")
        assert out.returncode == 1, out
        assert "Traceback" not in out.stderr and "WARNING" not in out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mycoder-lsp: The vault cannot embed with qwen-embed")
        assert "Only words were indexed" in lines[0]
        assert out.stdout.startswith("Indexed ") and "0 chunks embedded" in out.stdout

        summary = json.loads(_cli(workspace, home, "index", "--json").stdout)
        assert summary["embedded"] == 0 and "cannot embed" in summary["embed_error"]

        # Search still answers (by words), says once why, and fails too.
        found = _cli(workspace, home, "search", "--json", "-k", "1", "send the request again")
        assert found.returncode == 1 and "Traceback" not in found.stderr
        assert len(found.stderr.strip().splitlines()) == 1 and "match words only" in found.stderr
        assert json.loads(found.stdout)[0]["name"] == "HttpClient.retry_request"


def test_index_with_a_working_openai_server_exits_zero_and_search_uses_it(workspace, tmp_path) -> None:
    with FakeOllama({"embed_dim": 16}) as fake:
        home = _user_config(tmp_path, fake.url)
        out = _cli(workspace, home, "index", "--json")
        assert out.returncode == 0 and out.stderr == "", out
        summary = json.loads(out.stdout)
        assert summary["embedded"] >= 6 and summary["embed_error"] is None
        found = _cli(workspace, home, "search", "--json", "-k", "1", "send the request again")
        assert found.returncode == 0 and found.stderr == ""
        paths = [r.path for r in fake.requests if r.method == "POST"]
        assert paths and set(paths) == {"/v1/embeddings"}
