"""The request flow (orchestrator), the CLI (`ask`, `doctor`) and the scripted
server itself, against the scripted server over real HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mycoder_lsp.brains.context import ContextPiece, ContextRequest
from mycoder_lsp.brains.orchestrator import Orchestrator, Request
from mycoder_lsp.brains.wire import base
from mycoder_lsp.config import Settings
from tests.support.connect_trace import read_trace, trace_env
from tests.support.fake_ollama import FakeOllama

REPO = Path(__file__).resolve().parents[3]
CODING, REASONING, ORGANIZER = "codellama:7b", "llama3.2:3b-instruct-q8_0", "llama3.2:1b-instruct-q4_K_M"
COMPLETION = "qwen2.5-coder:1.5b"

DOC = '''def parse(text):
    return [line for line in text.splitlines() if line]


def total(values):
    result = 0
    for v in values:
        result += v
    return result
'''


def settings_for(url: str, **brains: object) -> Settings:
    settings = Settings()
    for name in ("organizer", "coding", "reasoning"):
        getattr(settings.brains, name).url = url
    for key, value in brains.items():
        setattr(settings.brains, key, value)
    return settings


def request(**kw: object) -> Request:
    base: dict[str, object] = dict(kind="modify", instruction="add a docstring", path="/w/m.py", text=DOC,
                                   language="python")
    base.update(kw)
    return Request(**base)  # type: ignore[arg-type]


async def test_verification_by_the_reasoning_brain(fake_ollama: FakeOllama):
    new = 'def parse(text):\n    """Lines."""\n    return [line for line in text.splitlines() if line]'
    fake_ollama.reply(new, model=CODING)
    fake_ollama.reply("PROBLEM: the docstring does not say that empty lines are dropped", model=REASONING, times=1)
    fake_ollama.reply("OK", model=REASONING)
    orchestrator = Orchestrator(settings_for(fake_ollama.url, verify="always"))
    refused = await orchestrator.run(request(symbol="parse"))
    assert refused.kind == "refused" and "empty lines are dropped" in refused.message
    verify = fake_ollama.chats()[-1]
    assert verify.model == REASONING and '"""Lines."""' in verify.last_user
    accepted = await orchestrator.run(request(symbol="parse"))
    assert accepted.kind == "edit" and accepted.edit is not None
    never = Orchestrator(settings_for(fake_ollama.url, verify="never"))
    before = len(fake_ollama.chats())
    assert (await never.run(request(symbol="parse"))).kind == "edit"
    assert len(fake_ollama.chats()) == before + 1  # no verification call
    # The user asking for it wins over the setting (a small edit, verify="large").
    large = Orchestrator(settings_for(fake_ollama.url, verify="large"))
    before = len(fake_ollama.chats())
    assert (await large.run(request(symbol="parse"))).kind == "edit"
    assert len(fake_ollama.chats()) == before + 1
    assert (await large.run(request(symbol="parse", verify=True))).kind == "edit"
    assert len(fake_ollama.chats()) == before + 3
    assert fake_ollama.chats()[-1].model == REASONING


async def test_selection_edit_touches_only_the_selected_lines(fake_ollama: FakeOllama):
    fake_ollama.reply("    result = sum(values)\n", model=CODING)
    result = await Orchestrator(settings_for(fake_ollama.url)).run(
        request(instruction="use sum", selection=(5, 0, 8, 0)))
    assert result.kind == "edit", result.message
    edit = result.edit
    assert edit is not None and (edit.start_line, edit.end_line) == (5, 7)
    assert edit.new_document == DOC.replace("    result = 0\n    for v in values:\n        result += v\n",
                                            "    result = sum(values)\n")
    assert "for v in values" in fake_ollama.chats()[0].last_user
    assert "def parse" not in fake_ollama.chats()[0].last_user


class Vault:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.asked: list[ContextRequest] = []
        self.exchanges: list[tuple[str, str]] = []

    async def gather(self, req: ContextRequest) -> list[ContextPiece]:
        self.asked.append(req)
        if self.fail:
            raise RuntimeError("vault is broken")
        return [ContextPiece("learned pattern P0001", "Docstrings here are one line, imperative.")]

    async def record_exchange(self, role: str, text: str) -> None:
        self.exchanges.append((role, text))


async def test_context_provider_feeds_the_prompt_and_hears_the_outcome(fake_ollama: FakeOllama):
    fake_ollama.reply('def parse(text):\n    """Return lines."""\n    return [l for l in text.splitlines() if l]',
                      model=CODING)
    vault = Vault()
    result = await Orchestrator(settings_for(fake_ollama.url), context_provider=vault).run(request(symbol="parse"))
    assert result.kind == "edit"
    (asked,) = vault.asked
    assert asked.intent == "modify-target" and asked.target == "parse" and asked.path == "/w/m.py"
    assert "Docstrings here are one line, imperative." in fake_ollama.chats()[0].last_user
    assert "learned pattern P0001" in fake_ollama.chats()[0].last_user
    assert [r for r, _ in vault.exchanges] == ["user", "assistant"] and "[edit]" in vault.exchanges[1][1]
    broken = Vault(fail=True)
    again = await Orchestrator(settings_for(fake_ollama.url), context_provider=broken).run(request(symbol="parse"))
    assert again.kind == "edit"  # a failing vault never stops the request


async def test_openai_backend_through_the_flow(fake_ollama: FakeOllama):
    fake_ollama.reply("It keeps the non-empty lines.", path="/v1/chat/completions")
    settings = settings_for(fake_ollama.url + "/v1")
    settings.brains.reasoning.backend = "openai"
    result = await Orchestrator(settings).run(request(kind="explain", symbol="parse"))
    assert result.kind == "explanation" and result.text == "It keeps the non-empty lines."
    assert fake_ollama.chats()[0].path == "/v1/chat/completions"


async def test_general_question_without_a_file_is_answered(fake_ollama: FakeOllama):
    fake_ollama.reply("Use a list comprehension.", model=CODING)
    result = await Orchestrator(settings_for(fake_ollama.url)).run(
        Request(kind="ask", instruction="how do I write a fast loop in python in general"))
    assert result.kind in ("explanation",), result.to_json()
    assert result.text == "Use a list comprehension."


# -- the scripted server itself -----------------------------------------------


def test_fake_server_from_the_command_line(tmp_path: Path):
    script = tmp_path / "s.json"
    script.write_text(json.dumps({"models": [CODING], "rules": [{"reply": "hello world", "pieces": 2}]}))
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.fake_ollama", "--port", "0", "--script",
                             str(script)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(trust_env=False) as http:
            whole = http.post(f"{url}/api/generate", json={"model": CODING, "prompt": "hi", "stream": False}).json()
            assert whole["response"] == "hello world" and whole["done"] is True
            lines = [json.loads(x) for x in http.post(f"{url}/api/generate", json={"model": CODING, "prompt": "hi"})
                     .text.splitlines()]
            assert "".join(x["response"] for x in lines) == "hello world" and lines[-1]["done"] is True
            chat = http.post(f"{url}/api/chat", json={"model": CODING, "stream": False,
                                                      "messages": [{"role": "user", "content": "hi"}]}).json()
            assert chat["message"]["content"] == "hello world"
            missing = http.post(f"{url}/api/chat", json={"model": "nope", "messages": []})
            assert missing.status_code == 404 and "try pulling it first" in missing.json()["error"]
            recorded = http.get(f"{url}/_fake/requests").json()["requests"]
            assert [r["path"] for r in recorded] == ["/api/generate", "/api/generate", "/api/chat", "/api/chat"]
            assert recorded[1]["outcome"] == "done"
    finally:
        proc.terminate()
        proc.wait(5)


# -- the CLI ---------------------------------------------------------------------


def cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(root / "xdg"), "HOME": str(root), **(env or {})}
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", *args, "--root", str(root)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60)


def project(root: Path, url: str) -> None:
    """Every brain at ``url`` in the user's config (a repository's own
    settings may not choose endpoints); the vault off in the project's."""
    (root / "xdg" / "mycoder").mkdir(parents=True, exist_ok=True)
    (root / "xdg" / "mycoder" / "config.toml").write_text(
        "".join(f'[brains.{n}]\nurl = "{url}"\n' for n in ("organizer", "coding", "reasoning", "completion")))
    (root / ".mycoder").mkdir(parents=True, exist_ok=True)
    (root / ".mycoder" / "config.toml").write_text('[vault]\nenabled = false\n')


def test_ask_prints_a_diff_and_writes_only_with_apply(tmp_path: Path, fake_ollama: FakeOllama):
    project(tmp_path, fake_ollama.url)
    (tmp_path / "m.py").write_text(DOC)
    fake_ollama.reply('```python\ndef parse(text):\n    """Return the lines."""\n'
                      '    return [line for line in text.splitlines() if line]\n```', model=CODING)
    shown = cli(tmp_path, "ask", "--file", "m.py", "--symbol", "parse", "--kind", "modify", "add a docstring")
    assert shown.returncode == 0, shown.stderr
    assert '+    """Return the lines."""' in shown.stdout and shown.stdout.startswith("--- a/m.py")
    assert (tmp_path / "m.py").read_text() == DOC
    applied = cli(tmp_path, "ask", "--json", "--apply", "--file", "m.py", "--symbol", "parse", "--kind", "modify",
                  "add a docstring")
    data = json.loads(applied.stdout)
    assert data["kind"] == "edit" and data["applied"] is True
    assert '"""Return the lines."""' in (tmp_path / "m.py").read_text()


def test_ask_reports_a_down_server(tmp_path: Path):
    project(tmp_path, FakeOllama.down_url())
    (tmp_path / "m.py").write_text(DOC)
    out = cli(tmp_path, "ask", "--file", "m.py", "--kind", "explain", "--symbol", "parse", "what is it")
    assert out.returncode == 1 and "ollama serve" in out.stderr and out.stdout == ""


def test_doctor(tmp_path: Path, fake_ollama: FakeOllama):
    project(tmp_path, fake_ollama.url)
    fake_ollama.set_script({"models": [CODING, REASONING, ORGANIZER, COMPLETION]})
    good = cli(tmp_path, "doctor")
    assert good.returncode == 0, good.stdout + good.stderr
    assert f"ok   server {fake_ollama.url}" in good.stdout and "All good." in good.stdout
    fake_ollama.set_script({"models": [CODING]})
    missing = cli(tmp_path, "doctor", "--json")
    assert missing.returncode == 1
    checks = {c["name"]: c for c in json.loads(missing.stdout)["checks"]}
    assert checks["reasoning brain"]["ok"] is False
    assert checks["reasoning brain"]["fix"] == f"run `ollama pull {REASONING}`"
    assert checks["coding brain"]["ok"] is True
    # Inline completion's own model is checked too, while completion is on.
    assert checks["completion brain"]["fix"] == f"run `ollama pull {COMPLETION}`"
    (tmp_path / ".mycoder" / "config.toml").write_text('[vault]\nenabled = false\n[completion]\nenabled = false\n')
    off = {c["name"] for c in json.loads(cli(tmp_path, "doctor", "--json").stdout)["checks"]}
    assert "completion brain" not in off and "coding brain" in off
    project(tmp_path, FakeOllama.down_url())
    down = cli(tmp_path, "doctor")
    assert down.returncode == 1 and "ollama serve" in down.stdout


def test_doctor_uses_the_users_endpoints_not_the_repositorys(tmp_path: Path, fake_ollama: FakeOllama):
    project(tmp_path, f"http://localhost:{fake_ollama.port}")
    (tmp_path / ".mycoder" / "config.toml").write_text(
        '[brains]\nallowed_hosts = ["203.0.113.7"]\n[brains.coding]\nurl = "http://203.0.113.7:11434"\n'
        '[vault]\nenabled = false\nembedder = "ollama"\nembedding_url = "http://203.0.113.7:11434"\n')
    fake_ollama.set_script({"models": [CODING, REASONING, ORGANIZER, COMPLETION]})
    env, log = trace_env(tmp_path / "trace")
    out = cli(tmp_path, "doctor", env=env)
    assert out.returncode == 0, out.stdout + out.stderr  # refused settings are warnings
    assert f"ok   server http://localhost:{fake_ollama.port}" in out.stdout
    for key in ("brains.allowed_hosts", "brains.coding.url", "vault.embedder", "vault.embedding_url"):
        assert f"warn settings: {key}: " in out.stdout
    assert "may not choose endpoints" in out.stdout and "put it in " + str(tmp_path / "xdg") in out.stdout
    trace = read_trace(log)
    assert trace and all(t.on_loopback and not t.blocked for t in trace), trace
    assert not [t for t in trace if t.kind == "getaddrinfo" and t.host not in (None, "127.0.0.1", "::1")]


@pytest.mark.parametrize("url", ["http://10.1.2.3:11434"])
def test_doctor_refuses_a_foreign_endpoint(tmp_path: Path, url: str):
    project(tmp_path, url)
    out = cli(tmp_path, "doctor")
    assert out.returncode == 1 and "brains.allowed_hosts" in out.stdout


async def test_new_code_is_shown_not_pasted_over_the_code_at_the_cursor(fake_ollama: FakeOllama):
    fake_ollama.reply("```python\ndef reverse(s):\n    return s[::-1]\n```", model=CODING)
    result = await Orchestrator(settings_for(fake_ollama.url)).run(
        request(kind="ask", instruction="write a function that reverses a string", position=(1, 4)))
    assert result.route is not None and result.route.intent == "general"
    assert result.kind == "explanation" and result.edit is None
    assert result.text == "def reverse(s):\n    return s[::-1]"


def test_doctor_checks_the_vault_read_only(tmp_path: Path, fake_ollama: FakeOllama):
    project(tmp_path, fake_ollama.url)
    config = tmp_path / ".mycoder" / "config.toml"
    config.write_text(config.read_text().replace("enabled = false", "enabled = true"))
    fake_ollama.set_script({"models": [CODING, REASONING, ORGANIZER, COMPLETION]})
    missing = cli(tmp_path, "doctor")
    assert missing.returncode == 0, missing.stdout  # a vault not built yet is a warning
    assert "warn vault: not built yet" in missing.stdout and "mycoder-lsp index" in missing.stdout
    assert not (tmp_path / ".mycoder" / "vault.db").exists()  # the doctor created nothing
    (tmp_path / ".mycoder" / "vault.db").write_bytes(b"this is not sqlite" * 10)
    broken = cli(tmp_path, "doctor")
    assert broken.returncode == 1 and "FAIL vault" in broken.stdout and "rebuild" in broken.stdout


# -- prompts sized to the window ----------------------------------------------


class RankedVault(Vault):
    """Eight retrieved pieces, best first, each about 200 tokens."""

    async def gather(self, req: ContextRequest) -> list[ContextPiece]:
        self.asked.append(req)
        return [ContextPiece(f"retrieved lib/m{i}.py:1-20 (helper_{i})",
                             "".join(f"def helper_{i}_{j}(x):  # a helper\n    return x\n" for j in range(15)))
                for i in range(8)]


async def test_retrieved_context_is_trimmed_to_a_small_window_and_logged(fake_ollama: FakeOllama, caplog):
    fake_ollama.set_script({"context_length": 2048, "rules": [{"reply": "It keeps the non-empty lines."}]})
    caplog.set_level("INFO", logger="mycoder_lsp")
    result = await Orchestrator(settings_for(fake_ollama.url), context_provider=RankedVault()).run(
        request(kind="explain", symbol="parse"))
    assert result.kind == "explanation", result.message
    (sent,) = fake_ollama.chats()
    assert sent.body["options"]["num_ctx"] == 2048
    assert "helper_0_0" in sent.last_user and "helper_7_0" not in sent.last_user
    assert "def parse(text):" in sent.last_user
    assert re.search(r"reasoning brain \(.*\): \d of 8 retrieved pieces left out(, the last piece kept cut short)? "
                     r"to fit the 2048-token window", caplog.text)


async def test_code_larger_than_the_window_is_refused_before_any_call(fake_ollama: FakeOllama):
    # llama.cpp's server with a small --ctx-size: it would answer HTTP 400.
    fake_ollama.set_script({"n_ctx": 1024, "rules": [{"reply": "x"}]})
    big = "def big(x):\n" + "".join(f"    x = x + {i}  # one more step of a long computation\n"
                                    for i in range(150)) + "    return x\n"
    settings = settings_for(fake_ollama.url)
    settings.brains.coding.backend = "openai"
    result = await Orchestrator(settings).run(request(kind="modify", symbol="big", text=big,
                                                      instruction="add a docstring"))
    assert result.kind == "refused"
    assert re.search(r"Not sent: the code to change \(`big`\) needs a prompt of about \d+ tokens, but the 1024-token "
                     r"window of codellama:7b leaves 448 for it after 512 for the answer — select a smaller part of "
                     r"the code, or start the model server with a larger window \(llama-server --ctx-size\)",
                     result.message), result.message
    assert fake_ollama.chats() == []


async def test_a_prompt_cut_by_the_server_is_said_in_the_result(fake_ollama: FakeOllama, caplog):
    fake_ollama.set_script({"context_length": 2048, "rules": [
        {"reply": 'def parse(text):\n    """Return lines."""\n    return [l for l in text.splitlines() if l]',
         "prompt_tokens": 2048}]})
    result = await Orchestrator(settings_for(fake_ollama.url)).run(request(symbol="parse"))
    assert result.kind == "edit"
    assert result.message.startswith("Changed parse")
    assert ("(the model server cut the prompt: it counted 2048 tokens, its whole 2048-token window, so the answer "
            "may have missed part of the code — raise brains.coding.num_ctx)") in result.message
    assert "dropped part of the prompt" in caplog.text


async def _explained_with(fake_ollama: FakeOllama, *, tokenize: bool) -> str:
    fake_ollama.set_script({"n_ctx": 2048, "tokenize": tokenize, "rules": [{"reply": "It keeps the lines."}]})
    settings = settings_for(fake_ollama.url)
    settings.brains.reasoning.backend = "openai"
    result = await Orchestrator(settings, context_provider=RankedVault()).run(request(kind="explain", symbol="parse"))
    assert result.kind == "explanation", result.message
    return fake_ollama.chats()[-1].last_user


async def test_where_the_server_counts_tokens_its_count_decides_what_fits(fake_ollama: FakeOllama):
    from mycoder_lsp.brains.prompts import prompt_budget
    by_estimate = await _explained_with(fake_ollama, tokenize=False)
    assert len([r for r in fake_ollama.requests if r.path == "/tokenize"]) == 1  # a 404: not asked again
    fake_ollama.reset()
    base.NO_TOKENIZER.clear()  # the same URL is now a server that counts
    counted = await _explained_with(fake_ollama, tokenize=True)
    assert counted.count("(source: retrieved") > by_estimate.count("(source: retrieved")
    sent = fake_ollama.chats()[0].body["messages"]
    # The scripted server counts a token per 4 characters, as /tokenize told.
    assert sum(len(m["content"]) + 1 for m in sent) // 4 + 16 <= prompt_budget(2048, 512)
    assert len([r for r in fake_ollama.requests if r.path == "/tokenize"]) == 2


async def test_code_the_estimate_refuses_is_sent_when_the_server_counts_it_fits(fake_ollama: FakeOllama):
    from mycoder_lsp.brains.backends import estimate_tokens
    from mycoder_lsp.brains.prompts import build_messages, prompt_budget
    budget = prompt_budget(1024, 512)

    def doc(lines: int) -> str:
        return "def big(x):\n" + "".join(f"    x = x + {i}  # a step\n" for i in range(lines)) + "    return x\n"

    def estimate(lines: int) -> int:
        return estimate_tokens(build_messages("modify-target", instruction="add a docstring", code=doc(lines),
                                              language="python", target="big"))

    lines = next(n for n in range(200) if estimate(n) > budget)  # the first size the estimate refuses
    settings = settings_for(fake_ollama.url)
    settings.brains.coding.backend = "openai"
    fake_ollama.set_script({"n_ctx": 1024, "rules": [{"reply": doc(lines).replace("):\n", '):\n    """Add."""\n', 1)}]})
    refused = await Orchestrator(settings).run(request(symbol="big", text=doc(lines)))
    assert refused.kind == "refused" and "Not sent" in refused.message and fake_ollama.chats() == []
    fake_ollama.set_script({"n_ctx": 1024, "tokenize": True, "rules": [
        {"reply": doc(lines).replace("):\n", '):\n    """Add."""\n', 1)}]})
    base.NO_TOKENIZER.clear()
    result = await Orchestrator(settings).run(request(symbol="big", text=doc(lines)))
    assert result.kind == "edit", result.message
    assert len(fake_ollama.chats()) == 1
