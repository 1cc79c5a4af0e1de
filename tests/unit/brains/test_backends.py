"""The backends against the scripted server: real HTTP, real streaming."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
import pytest

from mycoder_lsp.brains import backends
from mycoder_lsp.brains.backends import embed, fill_in_middle, make_brain, probe
from mycoder_lsp.brains.wire import base
from mycoder_lsp.brains.wire.base import Completion, FimRequest
from mycoder_lsp.brains.wire.http import BrainError, new_client
from mycoder_lsp.config import Settings
from tests.support.fake_ollama import FakeOllama

MSG = [{"role": "system", "content": "be terse"}, {"role": "user", "content": "say hello"}]


def settings_for(url: str, *, backend: str = "ollama", **brain: object) -> Settings:
    settings = Settings()
    for name in ("organizer", "coding", "reasoning"):
        b = getattr(settings.brains, name)
        b.url = url
        b.backend = backend  # type: ignore[assignment]
        for key, value in brain.items():
            setattr(b, key, value)
    return settings


async def test_streams_pieces_and_sends_the_documented_payload(fake_ollama: FakeOllama):
    fake_ollama.reply("Hello there, world", model="codellama:7b", pieces=4)
    brain = make_brain("coding", settings_for(fake_ollama.url))
    seen: list[str] = []
    text = await brain.complete(MSG, on_piece=seen.append)
    assert text == "Hello there, world"
    assert len(seen) == 4 and "".join(seen) == text
    (req,) = fake_ollama.chats()
    assert req.path == "/api/chat"
    body = req.body
    assert body["model"] == "codellama:7b" and body["stream"] is True
    assert body["messages"] == MSG
    assert body["options"]["num_predict"] == 2048
    assert body["options"]["temperature"] == 0.4
    assert body["options"]["num_ctx"] == base.DEFAULT_NUM_CTX  # /api/show does not say
    assert body["keep_alive"] == "30m"
    assert "format" not in body
    assert brain.last.output_tokens == 4 and brain.last.done_reason == "stop"


async def test_json_mode_and_max_tokens_and_constitution_cap(fake_ollama: FakeOllama):
    fake_ollama.reply('{"intent": "fix"}', model="llama3.2:1b-instruct-q4_K_M")
    settings = settings_for(fake_ollama.url)
    settings.brains.organizer.max_tokens = 500
    settings.constitution.max_token_limits["organizer"] = 64
    brain = make_brain("organizer", settings)
    assert json.loads(await brain.complete(MSG, json_mode=True)) == {"intent": "fix"}
    body = fake_ollama.chats()[0].body
    assert body["format"] == "json"
    assert body["options"]["num_predict"] == 64  # the constitution wins
    assert body["options"]["temperature"] == 0.0
    fake_ollama.reply("x", model="llama3.2:1b-instruct-q4_K_M")
    await brain.complete(MSG, max_tokens=10)
    assert fake_ollama.chats()[1].body["options"]["num_predict"] == 10


async def test_num_ctx_is_pinned_per_model_whatever_the_prompt_size(fake_ollama: FakeOllama):
    # A new num_ctx makes Ollama reload the model: every call sends the same one,
    # the model's own window (asked once) capped at PINNED_NUM_CTX_CAP.
    fake_ollama.set_script({"context_length": 32768, "rules": [{"reply": "ok"}]})
    settings = settings_for(fake_ollama.url)
    await make_brain("coding", settings).complete([{"role": "user", "content": "x"}])
    await make_brain("coding", settings).complete([{"role": "user", "content": "x" * 60_000}])
    await make_brain("reasoning", settings_for(fake_ollama.url, model="codellama:7b")).complete(MSG, max_tokens=9)
    sent = [r.body["options"]["num_ctx"] for r in fake_ollama.chats()]
    assert sent == [backends.PINNED_NUM_CTX_CAP] * 3
    assert len([r for r in fake_ollama.requests if r.path == "/api/show"]) == 1


async def test_num_ctx_setting_wins_and_a_small_model_window_is_kept(fake_ollama: FakeOllama):
    fake_ollama.set_script({"context_length": 2048, "rules": [{"reply": "ok"}]})
    await make_brain("coding", settings_for(fake_ollama.url)).complete(MSG)
    set_by_user = settings_for(fake_ollama.url, model="other", num_ctx=6000)
    brain = make_brain("coding", set_by_user)
    assert await brain.prompt_window() == 6000
    await brain.complete(MSG)
    assert [r.body["options"]["num_ctx"] for r in fake_ollama.chats()] == [2048, 6000]
    # The setting is asked of no server.
    assert [r.body["model"] for r in fake_ollama.requests if r.path == "/api/show"] == ["codellama:7b"]


async def test_prompt_window_of_an_openai_server_is_its_own_or_a_smaller_setting(fake_ollama: FakeOllama):
    fake_ollama.set_script({"n_ctx": 1024, "rules": []})
    url = fake_ollama.url + "/v1"

    async def window(model: str, **brain: object) -> int:
        return await make_brain("coding", settings_for(url, backend="openai", model=model, **brain)).prompt_window()

    assert await window("q") == 1024
    assert await window("q", num_ctx=512) == 512
    assert await window("q", num_ctx=9999) == 1024
    fake_ollama.set_script({"rules": []})  # /props and /v1/models say nothing
    assert await window("r") == base.DEFAULT_NUM_CTX


async def test_openai_compatible_server_sent_events(fake_ollama: FakeOllama):
    fake_ollama.reply("def add(a, b):\n    return a + b\n", model="qwen", pieces=5, path="/v1/chat/completions")
    settings = settings_for(fake_ollama.url + "/v1", backend="openai", model="qwen", api_key="sekret")
    seen: list[str] = []
    text = await make_brain("coding", settings).complete(MSG, json_mode=True, on_piece=seen.append)
    assert text == "def add(a, b):\n    return a + b\n" and len(seen) == 5
    req = fake_ollama.chats()[0]
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sekret"
    assert req.body["max_tokens"] == 2048 and req.body["response_format"] == {"type": "json_object"}


async def test_server_down_says_how_to_start_it():
    url = FakeOllama.down_url()
    with pytest.raises(BrainError, match=r"not reachable at .*ollama serve"):
        await make_brain("coding", settings_for(url)).complete(MSG)


async def test_model_not_pulled_says_ollama_pull(fake_ollama: FakeOllama):
    fake_ollama.set_script({"models": ["llama3.2:3b-instruct-q8_0"], "rules": [{"reply": "x"}]})
    with pytest.raises(BrainError, match=r"run `ollama pull codellama:7b`"):
        await make_brain("coding", settings_for(fake_ollama.url)).complete(MSG)


async def test_http_500_shows_the_servers_error(fake_ollama: FakeOllama):
    fake_ollama.reply("", status=500, error="out of memory loading model")
    with pytest.raises(BrainError, match=r"HTTP 500: out of memory loading model"):
        await make_brain("coding", settings_for(fake_ollama.url)).complete(MSG)


async def test_openai_404_and_500(fake_ollama: FakeOllama):
    fake_ollama.set_script({"models": ["other"], "rules": [{"reply": "x"}]})
    settings = settings_for(fake_ollama.url, backend="openai", model="qwen")
    with pytest.raises(BrainError, match=r"model qwen is not available"):
        await make_brain("coding", settings).complete(MSG)
    fake_ollama.set_script({"rules": [{"status": 500, "error": "kv cache full"}]})
    with pytest.raises(BrainError, match=r"HTTP 500: kv cache full"):
        await make_brain("coding", settings).complete(MSG)


async def test_timeout_is_reported_with_the_setting_to_raise(fake_ollama: FakeOllama):
    fake_ollama.reply("slow answer", delay=0.5, pieces=5)
    settings = settings_for(fake_ollama.url, timeout=0.3)
    with pytest.raises(BrainError, match=r"did not answer within 0.3 s.*brains.coding.timeout"):
        await make_brain("coding", settings).complete(MSG)


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_stream_cut_off(fake_ollama: FakeOllama, backend: str):
    fake_ollama.reply("a b c d e f", pieces=6, cut=3)
    with pytest.raises(BrainError, match=r"broke off"):
        await make_brain("coding", settings_for(fake_ollama.url, backend=backend)).complete(MSG)


async def test_connection_dropped_without_answer(fake_ollama: FakeOllama):
    fake_ollama.reply("x", drop=True)
    with pytest.raises(BrainError, match=r"broke off"):
        await make_brain("coding", settings_for(fake_ollama.url)).complete(MSG)


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_garbage_line_is_not_json(fake_ollama: FakeOllama, backend: str):
    fake_ollama.reply("a b c d", pieces=4, garbage=True)
    with pytest.raises(BrainError, match=r"not JSON"):
        await make_brain("coding", settings_for(fake_ollama.url, backend=backend)).complete(MSG)


async def test_cancelling_closes_the_stream(fake_ollama: FakeOllama):
    fake_ollama.reply("x" * 50, delay=0.2, pieces=50)
    brain = make_brain("coding", settings_for(fake_ollama.url))
    seen: list[str] = []
    task = asyncio.create_task(brain.complete(MSG, on_piece=seen.append))
    while not seen:
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The server notices the closed connection and stops generating.
    (req,) = fake_ollama.chats()
    for _ in range(50):
        if req.outcome == "aborted":
            break
        await asyncio.sleep(0.05)
    assert req.outcome == "aborted"
    assert len(seen) < 10


def test_non_loopback_endpoint_is_refused_unless_allowed():
    settings = settings_for("http://10.1.2.3:11434")
    with pytest.raises(BrainError, match=r'not on this machine.*add "10.1.2.3" to brains.allowed_hosts'):
        make_brain("coding", settings)
    settings.brains.allowed_hosts = ["10.1.2.3"]
    assert make_brain("coding", settings).url == "http://10.1.2.3:11434"
    for url in ("http://localhost:11434", "http://127.0.0.2:1", "http://[::1]:11434"):
        make_brain("coding", settings_for(url))
    with pytest.raises(BrainError, match="not an http"):
        make_brain("coding", settings_for("ftp://127.0.0.1/x"))


async def test_embed_batches_and_keeps_order(fake_ollama: FakeOllama):
    fake_ollama.set_script({"embed_dim": 8})
    texts = [f"text {i}" for i in range(7)]
    vectors = await embed(texts, model="nomic-embed-text", url=fake_ollama.url, batch_size=3)
    assert len(vectors) == 7 and all(len(v) == 8 for v in vectors)
    assert [len(r.body["input"]) for r in fake_ollama.requests] == [3, 3, 1]
    again = await embed(["text 5"], model="nomic-embed-text", url=fake_ollama.url)
    assert again[0] == vectors[5]
    assert vectors[0] != vectors[1]
    openai = await embed(texts, model="e", url=fake_ollama.url + "/v1", backend="openai", batch_size=4)
    assert openai == vectors
    assert fake_ollama.requests[-1].path == "/v1/embeddings"


async def test_embed_faults():
    with pytest.raises(BrainError, match="ollama serve"):
        await embed(["a"], model="m", url=FakeOllama.down_url())
    with pytest.raises(BrainError, match="not on this machine"):
        await embed(["a"], model="m", url="http://10.1.2.3:11434")


async def test_embed_model_not_pulled(fake_ollama: FakeOllama):
    fake_ollama.set_script({"models": ["codellama:7b"]})
    with pytest.raises(BrainError, match=r"ollama pull nomic-embed-text"):
        await embed(["a"], model="nomic-embed-text", url=fake_ollama.url)


async def test_probe_lists_models_and_reports_down(fake_ollama: FakeOllama):
    fake_ollama.set_script({"models": ["codellama:7b", "nomic-embed-text:latest"]})
    info = await probe(fake_ollama.url)
    assert info.reachable and info.version == "0.6.99-fake"
    assert info.has_model("codellama:7b") and info.has_model("nomic-embed-text")
    assert not info.has_model("llama3.2:1b-instruct-q4_K_M")
    down = await probe(FakeOllama.down_url())
    assert not down.reachable and "ollama serve" in (down.error or "")
    oa = await probe(fake_ollama.url, backend="openai")
    assert oa.models == ["codellama:7b", "nomic-embed-text:latest"]


# -- where a request really goes ---------------------------------------------------


@pytest.fixture
def resolved(monkeypatch) -> list[str]:
    """Every name handed to the system resolver (the stdlib's, not ours)."""
    names: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        names.append(host.decode() if isinstance(host, bytes) else str(host))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.mark.parametrize("name", ["localhost", "ollama.localhost", "LocalHost."])
async def test_localhost_names_reach_loopback_without_a_resolver(fake_ollama: FakeOllama, resolved, name: str):
    fake_ollama.reply("hi", model="codellama:7b")
    url = f"http://{name}:{fake_ollama.port}"
    assert await make_brain("coding", settings_for(url)).complete(MSG) == "hi"
    assert (await embed(["a"], model="m", url=url)) and (await probe(url)).reachable
    assert resolved == []
    assert {r.headers["host"] for r in fake_ollama.requests} == {f"{name.lower()}:{fake_ollama.port}"}


async def test_a_localhost_name_falls_back_to_ipv6_loopback(resolved):
    try:
        fake = FakeOllama(host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        fake.reply("six", model="codellama:7b")
        brain = make_brain("coding", settings_for(f"http://localhost:{fake.port}"))
        assert await brain.complete(MSG) == "six"
        assert resolved == []
    finally:
        fake.stop()


def test_a_name_not_allowed_is_refused_before_it_is_resolved(resolved):
    """Even a name that would resolve to loopback: what is checked must be
    what is connected to, so a resolver must not be asked at all."""
    for url in ("http://127.0.0.1.nip.io:11434", "http://localhost.example.org:11434", "http://127.1:11434",
                "http://2130706433:11434", "http://127.0.0.1\\@203.0.113.7:11434"):
        with pytest.raises(BrainError, match="not on this machine"):
            make_brain("coding", settings_for(url))
    assert resolved == []


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_a_redirect_is_reported_and_never_followed(fake_ollama: FakeOllama, backend: str):
    elsewhere = f"{fake_ollama.url}/elsewhere"  # on loopback: following it would show, and go nowhere
    fake_ollama.add_rule(status=307, location=elsewhere, model="codellama:7b")
    brain = make_brain("coding", settings_for(fake_ollama.url, backend=backend))
    with pytest.raises(BrainError) as caught:
        await brain.complete(MSG)
    message = str(caught.value)
    assert f"redirected the request to {elsewhere} (HTTP 307)" in message
    assert "does not follow redirects" in message and "broke off" not in message
    asked = [r.path for r in fake_ollama.requests]
    assert asked == (["/api/show", brain.wire.chat_path] if backend == "ollama" else [brain.wire.chat_path])


async def test_an_embedding_redirect_is_reported_and_never_followed(fake_ollama: FakeOllama):
    fake_ollama.add_rule(status=308, location="/v2/embed", path="/api/embed")
    with pytest.raises(BrainError, match=r"redirected the request to /v2/embed \(HTTP 308\)"):
        await embed(["a"], model="m", url=fake_ollama.url)
    assert [r.path for r in fake_ollama.requests] == ["/api/embed"]


# -- what the server said: one result per call --------------------------------


async def test_ollama_final_line_gives_the_counters_and_the_stop_reason(fake_ollama: FakeOllama):
    # A complete-looking answer that the server says it cut at the token limit.
    fake_ollama.reply("def add(a, b):\n    return a + b\n", pieces=5, done_reason="length", prompt_tokens=321)
    brain = make_brain("coding", settings_for(fake_ollama.url))
    result = await brain.generate(MSG)
    assert isinstance(result, Completion) and result is brain.last
    assert result.text == "def add(a, b):\n    return a + b\n" and result.pieces == 5
    assert (result.prompt_tokens, result.output_tokens, result.done_reason) == (321, 5, "length")
    assert result.truncated and not result.prompt_truncated
    assert result.prompt_seconds == pytest.approx(100 / 1e9) and result.output_seconds == pytest.approx(500 / 1e9)
    assert result.window == fake_ollama.chats()[0].body["options"]["num_ctx"]


async def test_an_answer_that_looks_cut_is_not_truncated_when_the_server_says_stop(fake_ollama: FakeOllama):
    fake_ollama.reply("def add(a, b):\n    return", pieces=2)
    result = await make_brain("coding", settings_for(fake_ollama.url)).generate(MSG)
    assert result.done_reason == "stop" and not result.truncated


async def test_openai_stream_asks_for_and_reads_the_usage_chunk(fake_ollama: FakeOllama):
    fake_ollama.reply("a b c d", pieces=4, path="/v1/chat/completions", done_reason="length", prompt_tokens=77,
                      timings={"prompt_n": 77, "prompt_ms": 250.0, "predicted_n": 4, "predicted_ms": 80.0})
    settings = settings_for(fake_ollama.url + "/v1", backend="openai", model="qwen")
    result = await make_brain("coding", settings).generate(MSG)
    assert fake_ollama.chats()[0].body["stream_options"] == {"include_usage": True}
    assert result.text == "a b c d"
    assert (result.prompt_tokens, result.output_tokens, result.done_reason) == (77, 4, "length")
    assert result.truncated
    assert result.timings["predicted_n"] == 4
    assert result.prompt_seconds == pytest.approx(0.25) and result.output_seconds == pytest.approx(0.08)


async def test_a_server_that_sends_no_counters_leaves_them_unknown(fake_ollama: FakeOllama):
    # The chunk with the usage is not sent, as by a server that ignores stream_options.
    fake_ollama.reply("hello", path="/v1/chat/completions", usage=False)
    result = await make_brain("coding", settings_for(fake_ollama.url, backend="openai", model="qwen")).generate(MSG)
    assert result.text == "hello" and result.done_reason == "stop"
    assert result.prompt_tokens is None and result.output_tokens is None and not result.truncated


async def test_a_prompt_that_fills_the_window_is_reported_as_cut_by_the_server(fake_ollama: FakeOllama, caplog):
    fake_ollama.set_script({"context_length": 2048, "rules": [{"reply": "ok", "prompt_tokens": 2048}]})
    result = await make_brain("coding", settings_for(fake_ollama.url, max_tokens=64)).generate(MSG)
    assert result.window == 2048 and result.prompt_truncated
    assert "dropped part of the prompt" in caplog.text


async def test_llama_server_behind_the_ollama_backend_says_set_backend_openai(fake_ollama: FakeOllama):
    fake_ollama.set_script({"api": "openai", "models": ["qwen"], "rules": [{"reply": "x"}]})
    with pytest.raises(BrainError, match=r'OpenAI-compatible server.*set `backend = "openai"` '
                                         r'\(brains.coding.backend\)') as caught:
        await make_brain("coding", settings_for(fake_ollama.url, model="qwen")).complete(MSG)
    assert "ollama pull" not in str(caught.value)
    with pytest.raises(BrainError, match=r'set `backend = "openai"`'):
        await embed(["x"], model="qwen", url=fake_ollama.url)


async def test_a_model_not_pulled_on_real_ollama_still_says_ollama_pull(fake_ollama: FakeOllama):
    # Ollama also serves /v1/models: the probe must not take it for llama-server.
    fake_ollama.set_script({"models": ["other"], "rules": [{"reply": "x"}]})
    with pytest.raises(BrainError, match=r"run `ollama pull qwen`"):
        await make_brain("coding", settings_for(fake_ollama.url, model="qwen")).complete(MSG)


async def test_context_window_from_ollama_show_is_cached_and_capped(fake_ollama: FakeOllama):
    fake_ollama.set_script({"context_length": 8192, "rules": [{"reply": "x"}]})
    brain = make_brain("coding", settings_for(fake_ollama.url))
    assert await brain.context_window() == 8192
    assert await make_brain("coding", settings_for(fake_ollama.url)).context_window() == 8192
    shows = [r for r in fake_ollama.requests if r.path == "/api/show"]
    assert len(shows) == 1 and shows[0].body == {"model": "codellama:7b"}
    fake_ollama.set_script({"context_length": 131072, "rules": []})
    other = make_brain("coding", settings_for(fake_ollama.url, model="big"))
    assert await other.context_window() == base.MAX_NUM_CTX


async def test_context_window_from_llama_server_props_sizes_the_result(fake_ollama: FakeOllama):
    fake_ollama.set_script({"n_ctx": 4096, "rules": [{"reply": "ok", "prompt_tokens": 4096}]})
    brain = make_brain("coding", settings_for(fake_ollama.url + "/v1", backend="openai", model="qwen"))
    assert await brain.context_window() == 4096
    result = await brain.generate(MSG)
    assert result.window == 4096 and result.prompt_truncated


async def test_context_window_is_none_when_the_server_does_not_say(fake_ollama: FakeOllama):
    assert await make_brain("coding", settings_for(fake_ollama.url)).context_window() is None
    openai = make_brain("coding", settings_for(fake_ollama.url, backend="openai", model="qwen"))
    assert await openai.context_window() is None
    assert await make_brain("coding", settings_for(FakeOllama.down_url())).context_window() is None


async def test_a_prompt_longer_than_llama_servers_window_says_so_and_learns_the_window(fake_ollama: FakeOllama):
    # llama-server refuses (HTTP 400) rather than cutting the prompt.
    fake_ollama.reply("", status=400, error_body={"error": {
        "code": 400, "message": "request (1530 tokens) exceeds the available context size (512 tokens), try "
        "increasing it", "type": "exceed_context_size_error", "n_prompt_tokens": 1530, "n_ctx": 512}})
    brain = make_brain("coding", settings_for(fake_ollama.url, backend="openai", model="qwen"))
    with pytest.raises(BrainError, match=r"prompt \(1530 tokens\) does not fit .* \(512 tokens\).*--ctx-size"):
        await brain.complete(MSG)
    assert await brain.context_window() == 512  # learnt from the refusal, not asked
    assert not [r for r in fake_ollama.requests if r.path == "/props"]


# -- one client per endpoint, the /v1 stripping and the auth header once ----------


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_a_call_without_a_shared_client_sends_all_its_requests_over_one_connection(fake_ollama: FakeOllama,
                                                                                         backend: str):
    # Ollama asks /api/show for the window and then /api/chat: every request
    # of a call reuses one client.
    fake_ollama.set_script({"rules": [{"reply": "hi"}], "n_ctx": 4096, "tokenize": True})
    brain = make_brain("coding", settings_for(fake_ollama.url, backend=backend))
    if backend == "openai":
        assert await brain.count_tokens(MSG)
    assert (await brain.generate(MSG)).text == "hi"
    asked = [r.path for r in fake_ollama.requests]
    assert asked == (["/api/show", "/api/chat"] if backend == "ollama"
                     else ["/tokenize", "/v1/chat/completions"])
    # One connection per call (the token count is a call of its own).
    assert fake_ollama.connections == (1 if backend == "ollama" else 2)


def count_clients(monkeypatch: pytest.MonkeyPatch) -> list[httpx.AsyncClient]:
    """Every httpx client made from now on (httpx's constructor, observed, not replaced)."""
    made: list[httpx.AsyncClient] = []
    init = httpx.AsyncClient.__init__

    def counted(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "__init__", counted)
    return made


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_one_client_per_call_without_a_shared_client(fake_ollama: FakeOllama, backend: str,
                                                           monkeypatch: pytest.MonkeyPatch):
    fake_ollama.set_script({"rules": [{"reply": "hi"}, {"reply": '{"choice": "fix"}', "contains": "pick"}],
                            "n_ctx": 4096, "tokenize": True})
    brain = make_brain("coding", settings_for(fake_ollama.url, backend=backend))
    made = count_clients(monkeypatch)
    assert (await brain.generate(MSG)).text == "hi"  # Ollama: /api/show, then /api/chat
    assert len(made) == 1
    await brain.prompt_window()
    await brain.count_tokens(MSG)
    await brain.choose([{"role": "user", "content": "pick"}], ("fix", "explain"))
    assert len(made) <= 4  # one per call at most, each closed after it
    assert all(client.is_closed for client in made)


async def test_a_shared_client_is_the_only_client_across_calls(fake_ollama: FakeOllama,
                                                               monkeypatch: pytest.MonkeyPatch):
    fake_ollama.set_script({"rules": [{"reply": "hi"}], "n_ctx": 4096, "tokenize": True})
    async with new_client() as client:
        made = count_clients(monkeypatch)
        for backend in ("ollama", "openai"):
            settings = settings_for(fake_ollama.url, backend=backend)
            for name in ("organizer", "coding"):
                brain = make_brain(name, settings, client=client)
                assert await brain.complete(MSG) == "hi"
                await brain.context_window()
                await brain.count_tokens(MSG)
            await embed(["a", "b", "c"], model="nomic-embed-text", url=fake_ollama.url, backend=backend,
                        batch_size=1, client=client)
            assert (await probe(fake_ollama.url, backend=backend, client=client)).reachable
            assert (await fill_in_middle(make_brain("coding", settings, client=client),
                                         FimRequest(prefix="a", suffix="b", prompt="ab"),
                                         "ollama-suffix" if backend == "ollama" else "completions")).text == "hi"
    assert made == []
    assert len(fake_ollama.requests) >= 20


async def test_embedding_batches_share_one_connection_without_a_shared_client(fake_ollama: FakeOllama):
    vectors = await embed([f"text {i}" for i in range(5)], model="nomic-embed-text", url=fake_ollama.url,
                          batch_size=2)
    assert len(vectors) == 5
    assert [r.path for r in fake_ollama.requests] == ["/api/embed"] * 3
    assert fake_ollama.connections == 1


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
async def test_an_openai_url_with_or_without_v1_reaches_the_same_paths_with_the_key(fake_ollama: FakeOllama,
                                                                                    suffix: str):
    fake_ollama.set_script({"rules": [{"reply": "hi"}], "n_ctx": 2048})
    url = fake_ollama.url + suffix
    brain = make_brain("coding", settings_for(url, backend="openai", api_key="sekrit"))
    assert brain.url == fake_ollama.url
    assert await brain.complete(MSG) == "hi"
    await embed(["x"], model="e", url=url, backend="openai", api_key="sekrit")
    info = await probe(url, backend="openai", api_key="sekrit")
    assert info.url == fake_ollama.url
    assert await brain.context_window() == 2048
    paths = [r.path for r in fake_ollama.requests]
    assert paths == ["/v1/chat/completions", "/v1/embeddings", "/v1/models", "/props"]
    assert {r.headers.get("authorization") for r in fake_ollama.requests} == {"Bearer sekrit"}


async def test_an_ollama_url_keeps_its_path_and_sends_no_key_when_none_is_set(fake_ollama: FakeOllama):
    fake_ollama.set_script({"rules": [{"reply": "hi"}]})
    brain = make_brain("coding", settings_for(fake_ollama.url + "/"))
    assert brain.url == fake_ollama.url
    assert await brain.complete(MSG) == "hi"
    assert all("authorization" not in r.headers for r in fake_ollama.requests)
