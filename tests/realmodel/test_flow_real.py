"""Every AI feature of the editor, end to end against a real model.

The real server process (``python -m mycoder_lsp``) talks LSP to a real client
(pytest-lsp), and its brains talk to llama.cpp's llama-server running
Qwen2.5-Coder at temperature 0 with a fixed seed. What is asserted is what any
competent answer satisfies, never an exact text: after a fix the file parses
and the test that failed passes; a hover carries the model's words; a
cancelled generation stops in llama-server too; progress counts tokens; the
organizer is asked about an ambiguous request and its route is acted on.

The 0.5B model serves what needs speed (hover, cancel, the organizer), the
1.5B what needs skill (the fix, the answer an organized request leads to).
(Review findings as diagnostics: ``test_review_real.py``; explain and modify:
``test_lsp_features.py``.)
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from tests.e2e.lsp_session import lsp_session
from tests.realmodel.llama_server import DEADLINE, LlamaServer, brain_options
from tests.realmodel.recording_proxy import RecordingProxy
from tests.support.brain_lsp import Editor, attach, command, pos, progress_token, wait_until

if TYPE_CHECKING:
    from tests.realmodel.conftest import LlamaServers

pytestmark = pytest.mark.realmodel


def workspace(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".git").mkdir()
    for name, text in (files or {}).items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def run_tests(root: Path, name: str) -> subprocess.CompletedProcess[str]:
    """The workspace's test file, run with python as its user would."""
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name], cwd=root,
                          capture_output=True, text=True, timeout=120)


# -- fix: a planted bug and the test it fails -------------------------------------------

PRICING = '''"""Prices."""


def apply_discount(price, percent):
    """The price after taking percent per cent off."""
    return price * (1 + percent / 100)


def main():
    print(apply_discount(100, 10))
'''
TEST_PRICING = '''from pricing import apply_discount


def test_ten_per_cent_off():
    assert apply_discount(100, 10) == 90
    assert apply_discount(80, 25) == 60
'''


@pytest.mark.parametrize("llama_server", ["1.5b"], indirect=True)
async def test_fix_makes_the_failing_test_pass(tmp_path: Path, llama_server: LlamaServer) -> None:
    root = workspace(tmp_path, {"pricing.py": PRICING, "test_pricing.py": TEST_PRICING})
    before = run_tests(root, "test_pricing.py")
    assert before.returncode == 1 and "1 failed" in before.stdout, before.stdout  # the planted bug is there

    options = brain_options(llama_server, reasoning_max_tokens=64)
    async with lsp_session(root, profile="neovim", initialization_options=options) as client:
        editor = Editor(client, (root / "pricing.py").as_uri(), PRICING)
        attach(client, editor)
        editor.open()
        # What a user types after the test failed: the failure, in their words.
        fixed = await command(client, "mycoder.fix", {
            "uri": editor.uri, "position": pos(5, 11),
            "instruction": "test_ten_per_cent_off fails: apply_discount(100, 10) returns 110.0, expected 90"},
            timeout=DEADLINE)
        assert fixed["kind"] == "edit" and fixed.get("applied") is True, fixed
        assert fixed["target"] == "apply_discount", fixed

    compile(editor.text, "pricing.py", "exec")  # the file parses
    (root / "pricing.py").write_text(editor.text, encoding="utf-8")  # the editor saves it
    after = run_tests(root, "test_pricing.py")
    assert after.returncode == 0 and "1 passed" in after.stdout, (editor.text, after.stdout)
    # Nothing but the function changed.
    assert editor.text.split("def apply_discount")[0] == PRICING.split("def apply_discount")[0]
    assert editor.text.count("def main():") == 1


# -- the organizer routes an ambiguous request ----------------------------------------

NUMBERS = '''"""Numbers."""


def is_even(n):
    """True when n is even."""
    return n % 2 == 1


def main():
    print(is_even(4))
'''
# Neither an order nor a question the rules can place: the organizer decides.
AMBIGUOUS = "is_even(4) is False"
# What a competent router may make of it: a bug report (fix, or a change to the
# function), or a question about it.
SENSIBLE_INTENTS = {"fix", "modify-target", "explain", "review"}


async def test_the_organizer_routes_an_ambiguous_request(tmp_path: Path, llama_servers: LlamaServers) -> None:
    from mycoder_lsp.brains.router import IntentRouter

    # The request must be one the rules are unsure of, or the organizer is never asked.
    assert IntentRouter().guess(AMBIGUOUS, ["is_even", "main"]).via == "fallback", "pick a request the rules doubt"
    small, large = llama_servers.get("0.5b"), llama_servers.get("1.5b")
    root = workspace(tmp_path)
    # The small model organizes (through a proxy that shows what it was asked);
    # the larger one writes the answer the route leads to.
    with RecordingProxy(small.url) as organizer:
        options = brain_options(large, reasoning_max_tokens=96)
        options["brains"]["organizer"] = {**options["brains"]["organizer"], "url": organizer.url,
                                          "model": small.model}
        async with lsp_session(root, profile="neovim", initialization_options=options) as client:
            editor = Editor(client, (root / "numbers.py").as_uri(), NUMBERS)
            attach(client, editor)
            editor.open()
            result = await command(client, "mycoder.ask", {"uri": editor.uri, "instruction": AMBIGUOUS},
                                   timeout=DEADLINE)

    (asked,) = organizer.posts()
    assert asked.status == 200 and AMBIGUOUS in json.dumps(asked.body["messages"]), asked
    route = result["route"]
    assert route["via"] == "organizer", result  # its answer was read, and acted on
    assert route["intent"] in SENSIBLE_INTENTS and route["target"] == "is_even", result
    # The route was followed to a real answer: the bug fixed, or words about it.
    if result["kind"] == "edit":
        assert result.get("applied") is True, result
        namespace: dict[str, Any] = {}
        exec(compile(editor.text, "numbers.py", "exec"), namespace)
        assert namespace["is_even"](4) is True, editor.text
    elif result["kind"] == "explanation":
        assert len(result["text"].split()) >= 5, result
    else:
        assert result["kind"] == "review" and result["findings"], result


# -- hover ------------------------------------------------------------------------------


async def test_hover_shows_the_models_explanation(tmp_path: Path, llama_server: LlamaServer) -> None:
    root = workspace(tmp_path)
    options = brain_options(llama_server, reasoning_max_tokens=64)
    options["hover"] = {"wait_ms": int(DEADLINE * 1000)}  # wait for the model, however loaded the box
    async with lsp_session(root, profile="neovim", initialization_options=options) as client:
        editor = Editor(client, (root / "numbers.py").as_uri(), NUMBERS)
        editor.open()
        hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=editor.uri), position=types.Position(3, 5))), DEADLINE)

    assert hover is not None
    value = hover.contents.value
    known, _, explained = value.partition("\n---\n")
    assert "def is_even(n)" in known and "True when n is even." in known, value
    assert explained and "still thinking" not in explained, value
    # Words about the code, not the code echoed back.
    code = {line.strip() for line in NUMBERS.splitlines() if line.strip()}
    words = [w for line in explained.splitlines() if line.strip() not in code for w in line.split()]
    assert len(words) >= 5, value


# -- progress and $/cancelRequest -------------------------------------------------------

# A long answer: room for many tokens, so a cancel comes long before the end.
LONG = 1024
LONG_QUESTION = "Explain it line by line, in great detail, with an example for every line."


def progress_values(client: Any, title: str) -> list[Any]:
    return list(client.progress_reports.get(progress_token(client, title), []))


def token_counts(values: list[Any]) -> list[int]:
    return [int(m.group(1)) for v in values if isinstance(v, types.WorkDoneProgressReport)
            for m in [re.search(r"(\d+) tokens", v.message or "")] if m]


async def slot_busy(server: LlamaServer) -> bool:
    """Is llama-server generating? (``/slots``, one entry per slot.)"""
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        return any(slot.get("is_processing") for slot in (await http.get(server.url + "/slots")).json())


async def slot_idle(server: LlamaServer, *, timeout: float) -> None:
    # llama-server tells no one when a slot frees: ask it, briefly, until it has.
    async def loop() -> None:
        while await slot_busy(server):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(loop(), timeout)


async def test_cancel_stops_the_generation_and_progress_counts_tokens(tmp_path: Path,
                                                                        llama_server: LlamaServer) -> None:
    root = workspace(tmp_path)
    options = brain_options(llama_server, reasoning_max_tokens=LONG)
    options["brains"]["coding"]["max_tokens"] = 160
    async with lsp_session(root, profile="vscode", initialization_options=options) as client:
        editor = Editor(client, (root / "numbers.py").as_uri(), NUMBERS)
        attach(client, editor)
        editor.open()
        cancelled_before = llama_server.log.read_text(errors="replace").count("cancel task")

        # Asked for this, the 0.5B writes past 300 tokens (measured): it is still writing when cancelled.
        long = asyncio.ensure_future(command(client, "mycoder.explain", {
            "uri": editor.uri, "position": pos(3, 5), "instruction": LONG_QUESTION}, msg_id="long-explain",
            timeout=DEADLINE))
        await wait_until(lambda: token_counts(progress_values(client, "MyCoder: explain")), timeout=DEADLINE)
        assert await slot_busy(llama_server)  # llama-server is generating
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="long-explain"))
        t0 = time.monotonic()
        with pytest.raises(JsonRpcRequestCancelled):
            await long  # the request ends as cancelled, at once
        ended = time.monotonic() - t0
        assert ended < 10, ended
        # llama-server stops too, long before 1024 tokens could have been written: its log
        # says the task was cancelled, and its slot goes idle (it is released just after).
        try:
            await wait_until(lambda: llama_server.log.read_text(errors="replace").count("cancel task")
                             > cancelled_before, timeout=10)
        except asyncio.TimeoutError:
            pytest.fail(f"llama-server was never told to stop generating (no 'cancel task' in {llama_server.log})")
        await slot_idle(llama_server, timeout=10)
        values = progress_values(client, "MyCoder: explain")
        await wait_until(lambda: isinstance(progress_values(client, "MyCoder: explain")[-1], types.WorkDoneProgressEnd))
        assert max(token_counts(values)) < LONG

        # The server still answers, and reports the progress of a whole generation.
        changed = await command(client, "mycoder.modify", {
            "uri": editor.uri, "position": pos(3, 5), "instruction": "add a type hint to n: int"}, timeout=DEADLINE)
        assert changed["kind"] in ("edit", "refused") and changed["message"].strip(), changed
        values = progress_values(client, "MyCoder: modify")
        assert isinstance(values[0], types.WorkDoneProgressBegin), values
        counts = token_counts(values)
        assert counts and counts == sorted(counts) and 0 < counts[-1] <= changed["tokens"], (counts, changed)
        await wait_until(lambda: isinstance(progress_values(client, "MyCoder: modify")[-1], types.WorkDoneProgressEnd))
        assert progress_values(client, "MyCoder: modify")[-1].message == "done"
