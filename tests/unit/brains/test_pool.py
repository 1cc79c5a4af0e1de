"""Pools of model servers (brains/pool.py): selection, failover, a breaker per
server, and the ``url`` list in the settings, against scripted servers on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from mycoder_lsp.brains.backends import fill_in_middle, make_brain
from mycoder_lsp.brains.breaker import Breakers
from mycoder_lsp.brains.pool import Pools, ask_health, prometheus_gauges
from mycoder_lsp.brains.wire.base import FimRequest
from mycoder_lsp.brains.wire.http import BrainError, new_client
from mycoder_lsp.config import REPOSITORY_MAY_NOT, Settings, apply_layer, load_settings
from tests.support.fake_ollama import FakeOllama

CODING = "codellama:7b"
MSG = [{"role": "user", "content": "write f"}]


@pytest.fixture
def two() -> Iterator[tuple[FakeOllama, FakeOllama]]:
    with FakeOllama() as a, FakeOllama() as b:
        yield a, b


def pool_settings(*urls: str, backend: str = "ollama", **brain: object) -> Settings:
    settings = Settings()
    settings.brains.coding.url = list(urls)
    settings.brains.coding.backend = backend  # type: ignore[assignment]
    for key, value in brain.items():
        setattr(settings.brains.coding, key, value)
    return settings


def breakers(events: list[str] | None = None) -> Breakers:
    events = events if events is not None else []
    return Breakers(on_open=lambda b: events.append(f"open {b.url}"),
                    on_close=lambda b: events.append(f"close {b.url}"),
                    probe_timeout=0.3, retry_first=0.05, retry_max=0.2)


def served(server: FakeOllama) -> int:
    return len(server.chats())


# -- the settings ---------------------------------------------------------------------


def test_a_brains_url_may_be_a_list_of_servers():
    settings = Settings()
    pool = ["http://127.0.0.1:8081", "http://127.0.0.1:8082/v1"]
    problems = apply_layer(settings, {"brains": {"coding": {"url": pool}}}, "user")
    assert problems == []
    assert settings.brains.coding.urls == ["http://127.0.0.1:8081", "http://127.0.0.1:8082/v1"]
    assert settings.brains.reasoning.urls == [settings.brains.reasoning.url]  # one server: a list of one


@pytest.mark.parametrize("value, reason", [
    ([], "must name at least one server"),
    (["http://127.0.0.1:8081", 8082], "must be a string or a list"),
    (["http://127.0.0.1:8081", "127.0.0.1:8082"], "'127.0.0.1:8082' is not an http(s) URL"),
    (["http://127.0.0.1:8081", "http://127.0.0.1:8081/"], "names the server http://127.0.0.1:8081 twice"),
    ({"a": "http://127.0.0.1:8081"}, "must be a string or a list"),
    ("ftp://127.0.0.1", "is not an http(s) URL"),
])
def test_a_bad_server_list_is_one_clear_problem_and_the_layer_below_stands(value, reason):
    settings = Settings()
    problems = apply_layer(settings, {"brains": {"coding": {"url": value}}}, "user.toml")
    assert len(problems) == 1 and problems[0].key == "brains.coding.url" and reason in problems[0].reason, problems
    assert settings.brains.coding.url == Settings().brains.coding.url


def test_a_repository_may_not_name_the_servers_of_a_pool(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / ".mycoder").mkdir()
    (tmp_path / ".mycoder" / "config.toml").write_text(
        '[brains.coding]\nurl = ["http://127.0.0.1:8081", "http://127.0.0.1:8082"]\n')
    settings, problems = load_settings(tmp_path)
    assert [(p.key, p.reason) for p in problems] == [("brains.coding.url", REPOSITORY_MAY_NOT)]
    assert settings.brains.coding.urls == [Settings().brains.coding.url]


def test_every_server_of_a_pool_passes_the_egress_rule():
    settings = pool_settings("http://127.0.0.1:8081", "http://gpu2.example.org:8080")
    with pytest.raises(BrainError, match='add "gpu2.example.org" to brains.allowed_hosts'):
        make_brain("coding", settings)
    settings.brains.allowed_hosts = ["gpu2.example.org"]
    assert make_brain("coding", settings).pooled


# -- choosing a server ------------------------------------------------------------------


async def test_calls_go_to_the_least_busy_server_and_ties_go_round(two):
    a, b = two
    a.set_script({"rules": [{"reply": "slow", "pieces": 4, "delay": 0.15}]})
    b.set_script({"rules": [{"reply": "slow", "pieces": 4, "delay": 0.15}]})
    pools = Pools()
    settings = pool_settings(a.url, b.url)
    # Four at once: two on each (our own in-flight count).
    answers = await asyncio.gather(*(make_brain("coding", settings, pools=pools).complete(MSG) for _ in range(4)))
    assert answers == ["slow"] * 4 and (served(a), served(b)) == (2, 2)
    # One after another (nothing in flight): they alternate.
    for _ in range(4):
        await make_brain("coding", settings, pools=pools).complete(MSG)
    assert (served(a), served(b)) == (4, 4)
    assert {e.url: (e.served, e.in_flight) for e in pools.endpoints()} == {a.url: (4, 0), b.url: (4, 0)}
    await pools.close()


async def test_a_server_busy_with_other_users_is_avoided_by_its_own_slots(two):
    """llama.cpp's /slots counts every client's requests, not only ours."""
    a, b = two
    for server in two:
        server.set_script({"api": "openai", "slots": 1, "rules": [{"reply": "ok " * 50, "pieces": 100, "delay": 0.1}]})
    async with new_client() as colleague:  # another user's editor, streaming from a
        async with colleague.stream("POST", a.url + "/v1/chat/completions", json={"model": CODING, "messages": MSG,
                                                                                   "stream": True}) as response:
            lines = response.aiter_lines()  # kept: a dropped iterator would close the stream
            await lines.__anext__()  # a is processing now
            pools = Pools()
            settings = pool_settings(a.url, b.url, backend="openai")
            for _ in range(2):  # no tie to go round: b each time
                b.set_script({**b.script, "rules": [{"reply": "ok"}]})
                assert await make_brain("coding", settings, pools=pools).complete(MSG) == "ok"
            assert [r.body.get("stream") for r in a.chats()] == [True] and served(b) == 2
            assert (await ask_health(colleague, a.url, "openai")).busy == 1
            await pools.close()


async def test_a_vllm_server_busy_with_other_users_is_avoided_by_its_metrics(two):
    """vLLM's /health is an empty 200; /metrics counts every client's requests,
    running and queued."""
    a, b = two
    for server in two:
        server.set_script({"api": "openai", "vllm": 1, "rules": [{"reply": "ok " * 50, "pieces": 100,
                                                                   "delay": 0.1}]})
    body = {"model": CODING, "messages": MSG, "stream": True}
    async with new_client() as colleague:  # another user's editor: two streams from a, one of them queued
        async with colleague.stream("POST", a.url + "/v1/chat/completions", json=body) as first, \
                colleague.stream("POST", a.url + "/v1/chat/completions", json=body) as second:
            streams = first.aiter_lines(), second.aiter_lines()  # kept: a dropped iterator closes its stream
            for lines in streams:
                await lines.__anext__()
            health = await ask_health(colleague, a.url, "openai")
            assert (health.busy, health.waiting, health.slots) == (2, 1, None)
            assert health.describe() == "ready, 1 running, 1 waiting"
            pools = Pools()
            settings = pool_settings(a.url, b.url, backend="openai")
            for _ in range(2):  # no tie to go round: b each time
                b.set_script({**b.script, "rules": [{"reply": "ok"}]})
                assert await make_brain("coding", settings, pools=pools).complete(MSG) == "ok"
            assert [r.body.get("stream") for r in a.chats()] == [True, True] and served(b) == 2
            assert [r.path for r in a.requests if r.method == "GET"][-2:] == ["/health", "/metrics"]
            await pools.close()


def test_prometheus_gauges_sum_every_series_of_a_name():
    text = ('# HELP vllm:num_requests_running Number of requests currently running on GPU.\n'
            'vllm:num_requests_running{model_name="a",note="x}\\"y"} 2.0\n'
            'vllm:num_requests_running{model_name="b"} 1 1700000000000\n'
            'vllm:num_requests_running_total 9\nvllm:num_requests_waiting NaN-ish\nnot a sample\n')
    assert prometheus_gauges(text, ("vllm:num_requests_running", "vllm:num_requests_waiting")) == {
        "vllm:num_requests_running": 3.0}


async def test_a_loading_server_and_a_cold_model_are_passed_over(two):
    a, b = two
    a.set_script({"api": "openai", "health": 503, "rules": [{"reply": "from a"}]})
    b.set_script({"api": "openai", "slots": 1, "rules": [{"reply": "from b"}]})
    pools = Pools()
    for _ in range(2):
        assert await make_brain("coding", pool_settings(a.url, b.url, backend="openai"),
                                pools=pools).complete(MSG) == "from b"
    assert served(a) == 0
    # Ollama: /api/ps says where the model is already in memory (a load takes seconds).
    a.set_script({"loaded": [], "rules": [{"reply": "from a"}]})
    b.set_script({"loaded": [CODING], "rules": [{"reply": "from b"}]})
    pools = Pools()
    for _ in range(2):
        assert await make_brain("coding", pool_settings(a.url, b.url), pools=pools).complete(MSG) == "from b"
    assert served(a) == 0
    await pools.close()


# -- failover ------------------------------------------------------------------------------


async def test_a_server_that_is_down_is_skipped_and_its_breaker_opens_alone(two):
    a, b = two
    b.reply("from b", times=1)
    b.reply("again b")
    down = FakeOllama.down_url()
    events: list[str] = []
    registry = breakers(events)
    pools = Pools(registry)
    client = new_client()
    registry.guard(client)
    settings = pool_settings(down, b.url)
    brain = make_brain("coding", settings, client=client, pools=pools)
    assert await brain.complete(MSG) == "from b"

    async def opened() -> None:
        while not registry.of(down).is_open:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(opened(), 5)
    assert not registry.of(b.url).is_open and events == [f"open {down}"]
    # While its breaker is open no call goes there, and none waits for it.
    t0 = time.perf_counter()
    assert await make_brain("coding", settings, client=client, pools=pools).complete(MSG) == "again b"
    assert time.perf_counter() - t0 < 1.0
    assert [e.faults for e in pools.endpoints()] == [1, 0]
    await client.aclose()
    await pools.close()
    await registry.close()


async def test_a_call_that_failed_before_its_answer_began_runs_on_the_next_server(two):
    a, b = two
    settings = pool_settings(a.url, b.url)
    # A server that drops the connection, or is loading (HTTP 503): the other answers.
    for fault in ({"drop": True}, {"status": 503, "error": "Loading model"}):
        for broken, working in ((a, b), (b, a)):
            broken.set_script({"rules": [fault]})
            working.set_script({"rules": [{"reply": "answered"}]})
            for server in two:
                server.reset()
            assert await make_brain("coding", settings, pools=Pools()).complete(MSG) == "answered"
            assert served(working) == 1 and served(broken) <= 1
    # choose() (unstreamed) and fill-in-the-middle fail over the same way.
    a.set_script({"rules": [{"drop": True}]})
    b.set_script({"rules": [{"reply": '{"choice": "fix"}'}]})
    pools = Pools()
    choice = await make_brain("coding", settings, pools=pools).choose(MSG, ("fix", "explain"))
    assert choice is not None and choice.best[0] == "fix"
    b.set_script({"rules": [{"reply": "x = 1", "path": "/api/generate"}]})
    pools = Pools()
    middle = await fill_in_middle(make_brain("coding", settings, pools=pools),
                                  FimRequest(prefix="def f():\n    ", suffix=""), "ollama-suffix")
    assert middle.text == "x = 1"
    await pools.close()


async def test_an_answer_that_broke_off_mid_way_is_reported_not_repeated_elsewhere(two):
    a, b = two
    for server in two:
        server.set_script({"rules": [{"reply": "def f():\n    return 1\n", "pieces": 6, "cut": 2}]})
    pieces: list[str] = []
    brain = make_brain("coding", pool_settings(a.url, b.url), pools=Pools())
    with pytest.raises(BrainError) as caught:
        await brain.complete(MSG, on_piece=pieces.append)
    message = str(caught.value)
    assert "broke off" in message and "already arrived" in message and "would have arrived twice" in message
    assert served(a) + served(b) == 1 and len(pieces) == 2


async def test_when_no_server_of_the_pool_answers_the_message_names_each(two):
    first, second = FakeOllama.down_url(), FakeOllama.down_url()
    brain = make_brain("coding", pool_settings(first, second), pools=Pools())
    with pytest.raises(BrainError) as caught:
        await brain.complete(MSG)
    message = str(caught.value)
    assert "No server of the coding brain's pool (2 servers) answered" in message
    assert f"{first}: Ollama is not reachable at {first}" in message and f"{second}: " in message


async def test_without_an_entry_points_pools_a_failed_server_rests(two):
    a, b = two
    b.reply("from b")
    down = FakeOllama.down_url()
    brain = make_brain("coding", pool_settings(down, b.url))  # no shared Pools: the brain keeps its own
    for _ in range(3):
        assert await brain.complete(MSG) == "from b"
    assert brain.pools is not None and [e.faults for e in brain.pools.endpoints()] == [1, 0]


async def test_a_single_server_brain_is_not_polled(fake_ollama: FakeOllama):
    fake_ollama.reply("ok")
    pools = Pools()
    assert await make_brain("coding", pool_settings(fake_ollama.url), pools=pools).complete(MSG) == "ok"
    assert [r.path for r in fake_ollama.requests] == ["/api/show", "/api/chat"] and pools.endpoints() == []


async def test_health_of_a_vllm_like_and_a_plain_server(fake_ollama: FakeOllama):
    async with httpx.AsyncClient() as client:
        fake_ollama.set_script({"api": "openai"})
        health = await ask_health(client, fake_ollama.url + "/v1", "openai")
        assert health.ready and health.note == "no /health" and health.slots is None
        fake_ollama.set_script({"api": "openai", "slots": 2})
        assert (await ask_health(client, fake_ollama.url, "openai")).describe() == "ready, 0/2 slots busy"
        fake_ollama.set_script({"loaded": ["qwen:0.5b"]})
        assert (await ask_health(client, fake_ollama.url, "ollama")).describe() == "ready, loaded: qwen:0.5b"


# -- the entry points: doctor and the command line ------------------------------------


async def test_doctor_lists_each_server_of_a_pool_with_its_health(two):
    from mycoder_lsp.cli.doctor import _brain_checks

    a, b = two
    a.set_script({"api": "openai", "slots": 2, "models": [CODING]})
    down = FakeOllama.down_url()
    settings = pool_settings(a.url, down, backend="openai", model=CODING)
    checks = {c.name: c for c in await _brain_checks(settings, 2.0)}
    assert checks[f"server {a.url}"].ok and "health: ready, 0/2 slots busy" in checks[f"server {a.url}"].detail
    assert not checks[f"server {down}"].ok and "not reachable" in checks[f"server {down}"].detail
    assert checks["coding brain (pool 1/2)"].ok and "coding brain (pool 2/2)" not in checks  # no server to ask


def doctor(root, config: str, *args: str):
    import os
    import subprocess
    import sys

    (root / "xdg" / "mycoder").mkdir(parents=True, exist_ok=True)
    (root / "xdg" / "mycoder" / "config.toml").write_text(config + "[vault]\nenabled = false\n")
    env = {**os.environ, "XDG_CONFIG_HOME": str(root / "xdg"), "HOME": str(root)}
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", "doctor", *args, "--root", str(root)], cwd=root,
                          env=env, capture_output=True, text=True, timeout=60)


def test_doctor_passes_while_a_pool_has_a_server_that_answers_and_warns_about_the_one_down(tmp_path, two):
    import json

    a, b = two
    models = ["codellama:7b", "llama3.2:3b-instruct-q8_0", "llama3.2:1b-instruct-q4_K_M", "qwen2.5-coder:1.5b"]
    a.set_script({"models": models})
    b.set_script({"models": models[1:]})  # the coding model is not on b
    down, other_down = FakeOllama.down_url(), FakeOllama.down_url()
    alone = "".join(f'[brains.{n}]\nurl = "{a.url}"\n' for n in ("organizer", "reasoning", "completion"))

    out = doctor(tmp_path, alone + f'[brains.coding]\nurl = ["{down}", "{a.url}", "{b.url}"]\n')
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"warn server {down}: " in out.stdout and "the other servers of the pool (coding brain) answer" \
        in out.stdout and "All good." in out.stdout
    assert "warn coding brain (pool 3/3): codellama:7b is not on" in out.stdout
    assert "ok   coding brain (pool 2/3)" in out.stdout

    # No server of the pool has the model: a failure, as for a brain on one server.
    out = doctor(tmp_path, alone + f'[brains.coding]\nurl = ["{down}", "{other_down}"]\n', "--json")
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert out.returncode == 1 and checks[f"server {down}"]["required"] and checks[f"server {other_down}"]["required"]
    # A server down that another brain needs alone stays a failure too.
    single = "".join(f'[brains.{n}]\nurl = "{a.url}"\n' for n in ("organizer", "completion"))
    out = doctor(tmp_path, single + f'[brains.reasoning]\nurl = "{down}"\n'
                 f'[brains.coding]\nurl = ["{down}", "{a.url}"]\n', "--json")
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert out.returncode == 1 and checks[f"server {down}"]["required"] and not checks[f"server {down}"]["ok"]


def test_ask_from_the_command_line_fails_over_like_the_server(tmp_path, two):
    import os
    import subprocess
    import sys

    a, b = two
    b.reply("It returns the non-empty lines.", model="llama3.2:3b-instruct-q8_0")
    down = FakeOllama.down_url()
    (tmp_path / "xdg" / "mycoder").mkdir(parents=True)
    (tmp_path / "xdg" / "mycoder" / "config.toml").write_text(
        f'[brains.reasoning]\nurl = ["{down}", "{b.url}"]\n[vault]\nenabled = false\n')
    (tmp_path / "m.py").write_text("def parse(text):\n    return [l for l in text.splitlines() if l]\n")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "mycoder_lsp", "ask", "--file", "m.py", "--kind", "explain",
                          "--symbol", "parse", "what is it", "--root", str(tmp_path)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "It returns the non-empty lines." in out.stdout


async def test_inline_completion_on_a_pool_fails_over_too(two):
    from mycoder_lsp.completion import Completer, CompletionRequest

    a, b = two
    b.reply("result.append(name)")
    settings = Settings()
    settings.brains.completion.url = [FakeOllama.down_url(), b.url]
    settings.brains.completion.model = "qwen2.5-coder:1.5b"
    text = ("import os\n\n\ndef names(root):\n    result = []\n    for name in os.listdir(root):\n        \n"
            "    return result\n")

    def at_cursor(text: str) -> CompletionRequest:
        return CompletionRequest(uri="file:///w/m.py", path="", text=text, line=6, character=8, language="python")

    completer = Completer(settings, client=None)
    for tail in ("", "\n"):  # a new text below the cursor: asked again, not served from the cache
        (suggestion,) = await completer.complete(at_cursor(text + tail))
        assert suggestion.text == "result.append(name)" and not suggestion.cached
    assert served(b) == 2
    settings.brains.completion.url = [b.url, "http://203.0.113.7:11434"]
    with pytest.raises(BrainError, match='add "203.0.113.7" to brains.allowed_hosts'):
        await Completer(settings, client=None).complete(at_cursor(text))
    assert served(b) == 2
