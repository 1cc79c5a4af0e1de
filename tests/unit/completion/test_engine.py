"""The completion engine against the scripted server: request shapes per
family and wire, supersession, cancellation, the cache, the checks, context."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mycoder_lsp.brains.wire.http import BrainError
from mycoder_lsp.completion import Completer, CompletionRequest
from mycoder_lsp.config import Settings
from tests.support.fake_ollama import FakeOllama

BEFORE = "import os\n\n\ndef list_python_files(root):\n    result = []\n    for name in os.listdir(root):\n        "
AFTER = "\n    return result\n"
TEXT = BEFORE + AFTER
LINE, COLUMN = 6, 8


def settings_for(url: str, *, backend: str = "ollama", model: str = "qwen2.5-coder:1.5b", **completion: object
                 ) -> Settings:
    settings = Settings()
    brain = settings.brains.completion
    brain.url, brain.backend, brain.model, brain.timeout = url, backend, model, 10.0  # type: ignore[assignment]
    for key, value in completion.items():
        setattr(settings.completion, key, value)
    return settings


def request(text: str = TEXT, line: int = LINE, column: int = COLUMN, path: str = "", **kw: object
            ) -> CompletionRequest:
    return CompletionRequest(uri="file:///w/m.py", path=path, text=text, line=line, character=column,
                             language="python", **kw)  # type: ignore[arg-type]


def fim_requests(fake: FakeOllama) -> list:
    return [r for r in fake.requests if r.path in ("/api/generate", "/infill", "/v1/completions")]


@pytest.mark.parametrize("backend, model, template, path, prompt_start, prompt_end", [
    ("openai", "qwen2.5-coder-1.5b", "auto", "/v1/completions", "<|fim_prefix|>import os", "<|fim_middle|>"),
    ("ollama", "qwen2.5-coder:1.5b", "auto", "/api/generate", "<|fim_prefix|>import os", "<|fim_middle|>"),
    ("ollama", "codellama:7b-code", "auto", "/api/generate", "<PRE> import os", " <MID>"),
    ("openai", "starcoder2-3b", "auto", "/v1/completions", "<fim_prefix>import os", "<fim_middle>"),
    ("ollama", "deepseek-coder:1.3b-base", "auto", "/api/generate", "<｜fim▁begin｜>import os", "<｜fim▁end｜>"),
    ("ollama", "codegemma:2b", "auto", "/api/generate", "<|fim_prefix|>import os", "<|fim_middle|>"),
    ("ollama", "my-finetune", "starcoder", "/api/generate", "<fim_prefix>import os", "<fim_middle>"),
])
async def test_each_family_sends_its_template(fake_ollama: FakeOllama, backend: str, model: str, template: str,
                                              path: str, prompt_start: str, prompt_end: str) -> None:
    fake_ollama.reply("result.append(name)")
    completer = Completer(settings_for(fake_ollama.url, backend=backend, model=model, fim_template=template),
                          client=None)
    (suggestion,) = await completer.complete(request())
    assert suggestion.text == "result.append(name)" and not suggestion.cached
    (sent,) = fim_requests(fake_ollama)
    assert sent.path == path  # (its outcome is set after the last byte: racy to read here)
    body = sent.body
    assert body["prompt"].startswith(prompt_start) and body["prompt"].endswith(prompt_end)
    assert body["stream"] is True and body["model"] == model
    if backend == "ollama":
        assert body["raw"] is True and "suffix" not in body
        assert body["options"]["temperature"] == 0.0 and body["options"]["num_predict"] == 64
        assert "\n\n" in body["options"]["stop"]
    else:
        assert body["max_tokens"] == 64 and body["cache_prompt"] is True and "\n\n" in body["stop"]


async def test_unknown_model_on_ollama_sends_prefix_and_suffix(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("result.append(name)")
    completer = Completer(settings_for(fake_ollama.url, model="some-fim-model"), client=None)
    assert await completer.complete(request())
    (sent,) = fim_requests(fake_ollama)
    assert sent.path == "/api/generate"
    assert sent.body["prompt"] == BEFORE and sent.body["suffix"] == AFTER and "raw" not in sent.body


async def test_unknown_model_on_llama_cpp_uses_infill(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    fake_ollama.reply("root)")
    completer = Completer(settings_for(fake_ollama.url, backend="openai", model="some-fim-model"), client=None,
                          workspace_root=root)
    text = "from pkg.util import helper\n\nvalue = helper("
    (suggestion,) = await completer.complete(request(text, 2, 15, path=str(root / "main.py")))
    assert suggestion.text == "root)"
    (sent,) = fim_requests(fake_ollama)
    assert sent.path == "/infill" and sent.body["cache_prompt"] is True
    assert sent.body["input_prefix"] == text and sent.body["input_suffix"] == ""
    assert sent.body["input_extra"] == [{"filename": "pkg/util.py", "text": "def helper(path):\n    return [path]"}]


async def test_a_model_without_fim_gets_one_clear_message(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("", status=400, error='registry.ollama.ai/library/llama3.2:latest does not support insert')
    completer = Completer(settings_for(fake_ollama.url, model="llama3.2"), client=None)
    with pytest.raises(BrainError, match=r"cannot fill in the middle.*ollama pull qwen2.5-coder:1.5b-base"):
        await completer.complete(request())


async def test_a_server_without_infill_says_what_to_set(fake_ollama: FakeOllama) -> None:
    fake_ollama.set_script({"api": "openai"})  # a server that answers 404 to what it lacks
    completer = Completer(settings_for(fake_ollama.url, backend="openai", model="some-model"), client=None)
    fake_ollama.reply("", status=404, error="File Not Found", path="/infill")
    with pytest.raises(BrainError, match=r"no /infill.*completion.fim_template"):
        await completer.complete(request())


async def test_a_new_request_supersedes_the_one_in_flight(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("result.append(name)", pieces=40, delay=0.2, times=1)
    fake_ollama.reply("esult.append(name)")
    completer = Completer(settings_for(fake_ollama.url), client=None)
    first = asyncio.create_task(completer.complete(request()))
    while not fim_requests(fake_ollama) or fim_requests(fake_ollama)[0].outcome != "streaming":
        await asyncio.sleep(0.01)
    text = BEFORE + "r" + AFTER  # the user typed on
    second = await completer.complete(request(text, LINE, COLUMN + 1))
    assert await first == []
    assert [s.text for s in second] == ["esult.append(name)"]
    old = fim_requests(fake_ollama)[0]
    for _ in range(100):
        if old.outcome == "aborted":
            break
        await asyncio.sleep(0.05)
    assert old.outcome == "aborted"
    assert completer.stats["superseded"] == 1


async def test_cancelling_closes_the_stream(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("result.append(name)", pieces=40, delay=0.2)
    completer = Completer(settings_for(fake_ollama.url), client=None)
    task = asyncio.create_task(completer.complete(request()))
    while not fim_requests(fake_ollama) or fim_requests(fake_ollama)[0].outcome != "streaming":
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (sent,) = fim_requests(fake_ollama)
    for _ in range(100):
        if sent.outcome == "aborted":
            break
        await asyncio.sleep(0.05)
    assert sent.outcome == "aborted"


async def test_the_stream_ends_when_the_lines_to_show_are_in(fake_ollama: FakeOllama) -> None:
    # A model that goes on and on: three lines are shown, the rest never read.
    fake_ollama.reply("".join(f"print({i})\n        " for i in range(30)), pieces=60, delay=0.05)
    completer = Completer(settings_for(fake_ollama.url, max_lines=3), client=None)
    (suggestion,) = await completer.complete(request(BEFORE + "\n    return result\n"))
    assert suggestion.text == "print(0)\n        print(1)\n        print(2)"
    (sent,) = fim_requests(fake_ollama)
    for _ in range(100):
        if sent.outcome == "aborted":
            break
        await asyncio.sleep(0.05)
    assert sent.outcome == "aborted"


async def test_typing_through_a_suggestion_asks_nothing_new(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("result.append(name)")
    completer = Completer(settings_for(fake_ollama.url), client=None)
    await completer.complete(request())
    typed = BEFORE + "result.ap" + AFTER
    (suggestion,) = await completer.complete(request(typed, LINE, COLUMN + len("result.ap")))
    assert suggestion.text == "pend(name)" and suggestion.cached
    assert len(fim_requests(fake_ollama)) == 1
    assert completer.stats["served_from_cache"] == 1
    # Typing something else asks the model again.
    other = BEFORE + "print" + AFTER
    await completer.complete(request(other, LINE, COLUMN + 5))
    assert len(fim_requests(fake_ollama)) == 2


async def test_an_invented_import_is_never_returned(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    fake_ollama.reply("import zzqx_magic_helpers")
    completer = Completer(settings_for(fake_ollama.url), client=None, workspace_root=tmp_path)
    text = "import os\n\n\nprint(os.getcwd())\n"
    assert await completer.complete(request(text, 1, 0, path=str(tmp_path / "m.py"))) == []
    assert completer.stats["dropped_import"] == 1 and "shown" not in completer.stats


async def test_repeating_the_code_below_is_dropped(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("    return result")
    completer = Completer(settings_for(fake_ollama.url), client=None)
    assert await completer.complete(request()) == []
    assert completer.stats["dropped_repeats_suffix"] == 1


async def test_broken_syntax_is_dropped(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("result.append(name))) ]")
    completer = Completer(settings_for(fake_ollama.url), client=None)
    assert await completer.complete(request()) == []
    assert completer.stats["dropped_syntax"] == 1


async def test_replacing_the_rest_of_the_line(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("name)")
    completer = Completer(settings_for(fake_ollama.url), client=None)
    text = BEFORE + "result.append()" + AFTER
    (suggestion,) = await completer.complete(request(text, LINE, COLUMN + len("result.append(")))
    assert suggestion.text == "name)" and suggestion.replace_end == (LINE, COLUMN + len("result.append()"))
    (sent,) = fim_requests(fake_ollama)
    assert sent.body["options"]["stop"][0] == "\n"  # inside a line: the line only


async def test_a_syntax_error_far_above_sends_nothing(fake_ollama: FakeOllama) -> None:
    completer = Completer(settings_for(fake_ollama.url), client=None)
    text = "def broken(:\n    pass\n\n" + "x = 1\n" * 10 + "y = "
    assert await completer.complete(request(text, 13, 4)) == []
    assert fim_requests(fake_ollama) == [] and completer.stats["skipped_syntax_error"] == 1


async def test_disabled_languages_send_nothing(fake_ollama: FakeOllama) -> None:
    completer = Completer(settings_for(fake_ollama.url, disabled_languages=["python"]), client=None)
    assert await completer.complete(request()) == []
    assert fim_requests(fake_ollama) == [] and completer.stats["skipped_disabled"] == 1


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "util.py").write_text("def helper(path):\n    return [path]\n")
    return tmp_path


async def test_definitions_from_other_files_go_into_the_prompt(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    fake_ollama.reply("root)")
    text = "from pkg.util import helper\n\nvalue = helper("
    vault = Completer(settings_for(fake_ollama.url), client=None, workspace_root=root)
    assert await vault.complete(request(text, 2, 15, path=str(root / "main.py")))
    in_file = Completer(settings_for(fake_ollama.url, context="file"), client=None, workspace_root=root)
    assert await in_file.complete(request(text, 2, 15, path=str(root / "main.py")))
    with_context, without = (r.body["prompt"] for r in fim_requests(fake_ollama))
    assert with_context.startswith(f"<|repo_name|>{root.name}\n<|file_sep|>pkg/util.py\ndef helper(path):\n"
                                   "    return [path]\n<|file_sep|>main.py\n<|fim_prefix|>from pkg.util")
    assert "def helper" not in without


async def test_an_endpoint_off_this_machine_is_refused_before_anything_is_sent() -> None:
    completer = Completer(settings_for("http://203.0.113.7:11434"), client=None)  # constructing never raises
    with pytest.raises(BrainError, match=r"not on this machine.*brains.allowed_hosts"):
        await completer.complete(request())


async def test_an_older_request_never_supersedes_a_newer_one(fake_ollama: FakeOllama) -> None:
    # The first request's prompt takes longer to build than the second's:
    # the second has asked the model by then, and keeps its answer.
    fake_ollama.reply("esult.append(name)", pieces=5, delay=0.05)
    calls = 0

    async def run_in_thread(func, *args):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(0.5)
        return await asyncio.to_thread(func, *args)

    completer = Completer(settings_for(fake_ollama.url), client=None, run_in_thread=run_in_thread)
    first = asyncio.create_task(completer.complete(request()))
    await asyncio.sleep(0.05)
    second = await completer.complete(request(BEFORE + "r" + AFTER, LINE, COLUMN + 1))
    assert await first == []
    assert [s.text for s in second] == ["esult.append(name)"]
    assert len(fim_requests(fake_ollama)) == 1 and completer.stats["superseded"] == 1


async def test_inside_a_word_only_when_asked(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("nd")
    completer = Completer(settings_for(fake_ollama.url), client=None)
    text = BEFORE + "result.apped(name)" + AFTER
    at = COLUMN + len("result.app")
    assert await completer.complete(request(text, LINE, at)) == []
    assert fim_requests(fake_ollama) == [] and completer.stats["skipped_mid_word"] == 1
    await completer.complete(request(text, LINE, at, trigger="invoked"))
    assert len(fim_requests(fake_ollama)) == 1


async def test_learned_patterns_of_the_function_go_in_once_per_function(fake_ollama: FakeOllama,
                                                                        tmp_path: Path) -> None:
    from mycoder_lsp.memory.vault import Vault

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'w'\n")
    (tmp_path / "m.py").write_text(TEXT)
    vault = Vault.open(tmp_path, Settings())
    try:
        await vault.index()
        # Accepted earlier in this function: skip hidden files.
        vault.record_pattern(signature="def list_python_files(root):", user_intent="skip hidden files",
                             old_code="", new_code="if name.startswith('.'):\n    continue", target="list_python_files")
        vault.record_pattern(signature="def unrelated(x):", user_intent="cache it", old_code="",
                             new_code="UNRELATED_PATTERN = 1", target="unrelated")
        fake_ollama.reply("result.append(name)")
        completer = Completer(settings_for(fake_ollama.url, backend="openai", model="qwen2.5-coder-1.5b"),
                              client=None, context_provider=vault, workspace_root=tmp_path)
        path = str(tmp_path / "m.py")
        assert await completer.complete(request(path=path))
        first = fim_requests(fake_ollama)[-1].body["prompt"]
        assert "name.startswith('.')" in first and "UNRELATED_PATTERN" not in first
        # The next keystroke in the same function: the same patterns, the same prompt start.
        typed = BEFORE + "x" + AFTER  # not a start of the suggestion: a new request
        assert await completer.complete(request(text=typed, column=COLUMN + 1, path=path)) is not None
        assert len(fim_requests(fake_ollama)) == 2
        second = fim_requests(fake_ollama)[-1].body["prompt"]
        cut = first.index("<|fim_prefix|>")
        assert second[:cut] == first[:cut]
        # Completing without the vault's context: no pattern.
        plain = Completer(settings_for(fake_ollama.url, backend="openai", model="qwen2.5-coder-1.5b", context="file"),
                          client=None, context_provider=vault, workspace_root=tmp_path)
        assert await plain.complete(request(path=path))
        assert "name.startswith('.')" not in fim_requests(fake_ollama)[-1].body["prompt"]
    finally:
        vault.close()


async def test_no_secret_reaches_the_completion_model(fake_ollama: FakeOllama, tmp_path: Path) -> None:
    from tests.support.planted_secrets import SECRETS

    token = SECRETS["github token"]
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'w'\n")
    (tmp_path / "settings.py").write_text(f'def headers():\n    api_token = "{token}"\n    return {{"token": api_token}}\n')
    body = BEFORE.replace("    result = []\n", "    result = []\n    sent = headers()\n")
    text = f'from settings import headers\n\nAPI_TOKEN = "{token}"\n\n\n' + body + AFTER
    line = text.split("\n").index("        ")
    fake_ollama.reply("result.append(name)")
    completer = Completer(settings_for(fake_ollama.url, backend="openai", model="qwen2.5-coder-1.5b"), client=None,
                          workspace_root=tmp_path)
    path = str(tmp_path / "m.py")
    assert await completer.complete(request(text=text, line=line, path=path))
    prompt = fim_requests(fake_ollama)[-1].body["prompt"]
    assert "def headers" in prompt and 'api_token = "<redacted:1>"' in prompt  # the other file's, too
    assert token not in prompt and 'API_TOKEN = "<redacted:1>"' in prompt
    # An answer with a placeholder is never shown (it would write it into the file).
    fake_ollama.set_script({"rules": [{"reply": "print(<redacted:1>)"}]})
    assert await completer.complete(request(text=text.replace(AFTER, "\n" + AFTER), line=line, path=path)) == []
    assert completer.stats["dropped_secret"] == 1
    # On the secret's own line nothing is asked.
    asked = len(fim_requests(fake_ollama))
    on_secret = text.replace(f'API_TOKEN = "{token}"', f'API_TOKEN = "{token}"  ')
    assert await completer.complete(request(text=on_secret, line=2, column=len(f'API_TOKEN = "{token}"  '),
                                            path=path, trigger="invoked")) == []
    assert len(fim_requests(fake_ollama)) == asked and completer.stats["skipped_secret_line"] == 1
