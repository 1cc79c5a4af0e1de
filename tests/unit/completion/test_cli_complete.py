"""``mycoder-lsp complete`` against the scripted server: text and exit status.

The command runs as its own process, as a user runs it (its logging setup
must not touch the test's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fake_ollama import FakeOllama

CODE = "import os\n\n\ndef names(root):\n    out = []\n    for name in os.listdir(root):\n        \n    return out\n"


@pytest.fixture
def workspace(tmp_path: Path, fake_ollama: FakeOllama) -> Path:
    home = tmp_path / "home"
    (home / "mycoder").mkdir(parents=True)
    (home / "mycoder" / "config.toml").write_text(
        f'[brains.completion]\nurl = "{fake_ollama.url}"\nmodel = "qwen2.5-coder:1.5b"\n', encoding="utf-8")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "m.py").write_text(CODE, encoding="utf-8")
    return root


def complete(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(root.parent / "home")}
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", "complete", "--root", str(root),
                           "--file", str(root / "m.py"), *args],
                          capture_output=True, text=True, timeout=60, env=env, cwd=root)


def test_prints_the_suggestion(workspace: Path, fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("out.append(name)")
    # Line 7, column 9: the end of the blank body line, 1-based as editors show it.
    done = complete(workspace, "--line", "7", "--column", "9")
    assert (done.returncode, done.stdout) == (0, "out.append(name)\n"), done.stderr
    (sent,) = [r for r in fake_ollama.requests if r.path == "/api/generate"]
    assert sent.body["prompt"].endswith("    for name in os.listdir(root):\n        <|fim_suffix|>\n"
                                        "    return out\n<|fim_middle|>")


def test_json_and_exit_1_when_everything_was_dropped(workspace: Path, fake_ollama: FakeOllama) -> None:
    fake_ollama.reply("import zzqx_not_a_module")
    done = complete(workspace, "--line", "7", "--column", "9", "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["text"] is None and data["stats"]["dropped_import"] == 1


@pytest.mark.parametrize("line, column", [("0", "1"), ("99", "1"), ("7", "30")])
def test_bad_positions_exit_2(workspace: Path, line: str, column: str) -> None:
    done = complete(workspace, "--line", line, "--column", column)
    assert done.returncode == 2 and "mycoder-lsp:" in done.stderr and not done.stdout


def test_a_model_that_is_down_exits_2(workspace: Path, fake_ollama: FakeOllama) -> None:
    fake_ollama.stop()
    done = complete(workspace, "--line", "7", "--column", "9")
    assert done.returncode == 2 and "not reachable" in done.stderr
