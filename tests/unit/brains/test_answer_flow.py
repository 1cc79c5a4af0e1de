"""What the request flow keeps and says, against the scripted server over
real HTTP: a review or an explanation cut off by a timeout keeps what had
come, the changed-line count is the lines that really differ (and decides
verification), and ``-v`` logs the redacted prompt and the raw answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mycoder_lsp.brains.orchestrator import Orchestrator, Request
from mycoder_lsp.config import Settings
from tests.support.fake_ollama import FakeOllama

CODING, REASONING = "codellama:7b", "llama3.2:3b-instruct-q8_0"
TOKEN = "ghp_" + "Zq8" * 12  # built from pieces: the repository holds no whole token

DOC = '''def mean(values):
    total = 0
    for v in values:
        total += v
    return total / len(values)
'''

LONG = "def work(x):\n" + "".join(f"    x += {i}\n" for i in range(12)) + "    return x\n"


def settings_for(url: str, *, timeout: float | None = None, **brains: object) -> Settings:
    settings = Settings()
    for name in ("organizer", "coding", "reasoning"):
        getattr(settings.brains, name).url = url
        if timeout is not None:
            getattr(settings.brains, name).timeout = timeout
    for key, value in brains.items():
        setattr(settings.brains, key, value)
    return settings


def request(**kw: object) -> Request:
    base: dict[str, object] = dict(kind="review", path="/w/m.py", text=DOC, language="python", symbol="mean")
    base.update(kw)
    return Request(**base)  # type: ignore[arg-type]


# The first line arrives at once, the rest trickles in: a timeout cuts it.
SLOW_REVIEW = "5: error: dividing by len(values) fails on an empty list.\n" + "4: warning: " + "x" * 400 + "\n"


async def test_a_review_cut_by_a_timeout_keeps_its_findings_and_says_so(fake_ollama: FakeOllama):
    fake_ollama.reply(SLOW_REVIEW, model=REASONING, pieces=40, delay=0.15)
    result = await Orchestrator(settings_for(fake_ollama.url, timeout=1.5)).run(request())
    assert result.kind == "review", result.message
    assert [(f.line, f.severity) for f in result.findings] == [(4, "error")]  # the broken last line is left out
    assert "cut off" in result.message and "did not answer within" in result.message


async def test_a_review_cut_before_its_first_line_is_an_error_not_no_problems(fake_ollama: FakeOllama):
    fake_ollama.reply("5: error: " + "y" * 400, model=REASONING, pieces=40, delay=0.15)
    result = await Orchestrator(settings_for(fake_ollama.url, timeout=1.0)).run(request())
    assert result.kind == "error" and "cut off" in result.message and "No problems" not in result.message


async def test_an_unreadable_review_is_not_reported_as_no_problems(fake_ollama: FakeOllama):
    # A small model that answers with the prompt's own placeholders said nothing readable.
    fake_ollama.reply("<line number>: <severity>: <what is wrong and what to do>", model=REASONING, times=1)
    result = await Orchestrator(settings_for(fake_ollama.url)).run(request())
    assert result.kind == "review" and result.findings == []
    assert "No problems" not in result.message and "No finding could be read" in result.message
    fake_ollama.reply("LINE: NONE\nLINE: NONE", model=REASONING)
    none = await Orchestrator(settings_for(fake_ollama.url)).run(request())
    assert none.kind == "review" and none.message == "No problems found in mean."


async def test_an_explanation_cut_by_a_timeout_is_shown_as_cut(fake_ollama: FakeOllama):
    fake_ollama.reply("It adds the values up and divides by their count. " + "z " * 300, model=REASONING,
                      pieces=40, delay=0.15)
    result = await Orchestrator(settings_for(fake_ollama.url, timeout=1.0)).run(request(kind="explain"))
    assert result.kind == "explanation" and result.text.startswith("It adds the values up")
    assert "[The answer was cut off:" in result.text


async def test_an_explanation_that_quotes_the_code_keeps_its_words(fake_ollama: FakeOllama):
    # Seen from the real 0.5B: the code in a fence, then the explanation;
    # only the code reached the user.
    answer = ("The code is:\n\n```python\ndef mean(values):\n    ...\n```\n\n"
              "This function adds the values up and divides by how many there are.")
    fake_ollama.reply(answer, model=REASONING)
    result = await Orchestrator(settings_for(fake_ollama.url)).run(request(kind="explain"))
    assert result.kind == "explanation", result.message
    assert "divides by how many there are" in result.text
    assert "```python\ndef mean(values):" in result.text


async def test_an_answer_that_changes_nothing_is_repaired_with_the_request_restated(fake_ollama: FakeOllama):
    # Seen with the 1.5B: told only "changes nothing", it sent the same code again.
    fake_ollama.reply(DOC, model=CODING, times=1)
    fake_ollama.reply(DOC.replace("return total / len(values)", "return total / max(len(values), 1)"),
                      model=CODING)
    result = await Orchestrator(settings_for(fake_ollama.url)).run(
        request(kind="fix", instruction="mean crashes on an empty list"))
    assert result.kind == "edit" and result.repaired, result.message
    repair = [r for r in fake_ollama.chats() if r.model == CODING][1]
    assert "exactly as it was" in repair.last_user and "mean crashes on an empty list" in repair.last_user


async def test_changed_lines_are_the_lines_that_differ_and_decide_verification(fake_ollama: FakeOllama):
    # A docstring added to a 14-line function is a 1-line change: with
    # verification for changes of 5 lines or more, the reasoning brain is not asked.
    new = LONG.replace("def work(x):\n", 'def work(x):\n    """Add 0..11 to x."""\n', 1)
    fake_ollama.reply(new, model=CODING)
    settings = settings_for(fake_ollama.url, verify="large", verify_min_lines=5)
    result = await Orchestrator(settings).run(request(kind="modify", instruction="add a docstring", text=LONG,
                                                      symbol="work"))
    assert result.kind == "edit", result.message
    assert result.edit is not None and result.edit.changed_lines == 1
    assert result.message == "Changed work (1 line)"
    assert [r.model for r in fake_ollama.chats()] == [CODING]


def test_ask_verbose_logs_the_redacted_prompt_and_the_raw_answer(tmp_path: Path, fake_ollama: FakeOllama):
    (tmp_path / "xdg" / "mycoder").mkdir(parents=True)
    (tmp_path / "xdg" / "mycoder" / "config.toml").write_text(
        "".join(f'[brains.{n}]\nurl = "{fake_ollama.url}"\n' for n in ("organizer", "coding", "reasoning")))
    (tmp_path / ".mycoder").mkdir()
    (tmp_path / ".mycoder" / "config.toml").write_text("[vault]\nenabled = false\n")
    (tmp_path / "m.py").write_text(f'TOKEN = "{TOKEN}"\n\n\n' + DOC)
    fake_ollama.reply("LINE: 8: error: an empty list divides by zero; return 0 first", model=REASONING)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "mycoder_lsp", "ask", "-v", "--file", "m.py", "--kind", "review",
                          "--symbol", "mean", f"check it, the token is {TOKEN}", "--root", str(tmp_path)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # The finding in the prompt's own template lands on its line.
    assert "m.py:8: error: an empty list divides by zero" in out.stdout
    assert "reasoning brain (" in out.stderr and "is sent:" in out.stderr
    assert "You are a strict Python code reviewer" in out.stderr
    assert "6|     for v in values:" in out.stderr  # the numbered code, as the model saw it
    assert "answered:\nLINE: 8: error: an empty list divides by zero" in out.stderr
    assert TOKEN not in out.stderr + out.stdout and "the token is <redacted:" in out.stderr
