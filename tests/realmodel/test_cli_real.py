"""``mycoder-lsp ask`` from the terminal against a real model.

The CLI reads its brains from the user's config file, the way a user sets up
llama.cpp's server (the OpenAI-compatible backend), runs the same request
flow as the editor, and prints a diff. Asserted is what any competent fix
satisfies and what the CLI promises: the file is written only with
``--apply``, it parses and behaves afterwards, and the exit status is 0 for a
change and 1 for a refusal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.realmodel.llama_server import DEADLINE, LlamaServer

pytestmark = pytest.mark.realmodel

NUMBERS = '''"""Numbers."""


def is_even(n):
    """True when n is even."""
    return n % 2 == 1


def main():
    print(is_even(4))
'''
INSTRUCTION = "fix the bug in is_even: it must return True for even numbers"


def user_config(home: Path, server: LlamaServer) -> None:
    brain = (f'url = "{server.url}"\nbackend = "openai"\nmodel = "{server.model}"\ntemperature = 0.0\n'
             f"timeout = {DEADLINE}\n")
    (home / "mycoder").mkdir(parents=True)
    (home / "mycoder" / "config.toml").write_text(
        '[brains]\nverify = "never"\n'
        + "".join(f"[brains.{name}]\n{brain}max_tokens = {tokens}\n"
                  for name, tokens in (("coding", 256), ("reasoning", 128), ("organizer", 64))),
        encoding="utf-8")


def ask(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["XDG_CONFIG_HOME"] = str(home)
    env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", "ask", "--root", str(root), *args],
                          cwd=root, capture_output=True, text=True, timeout=DEADLINE + 60, env=env)


@pytest.mark.parametrize("llama_server", ["1.5b"], indirect=True)
def test_ask_shows_a_diff_writes_only_with_apply_and_exits_by_outcome(tmp_path: Path,
                                                                      llama_server: LlamaServer) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".git").mkdir()
    home = tmp_path / "home"
    user_config(home, llama_server)
    source = root / "numbers.py"
    source.write_text(NUMBERS, encoding="utf-8")

    shown = ask(root, home, "--file", "numbers.py", INSTRUCTION)
    assert shown.returncode == 0, shown
    assert "-    return n % 2 == 1" in shown.stdout and "\n+" in shown.stdout, shown.stdout  # a diff
    assert "add --apply" in shown.stderr and "Traceback" not in shown.stderr, shown.stderr
    assert source.read_text(encoding="utf-8") == NUMBERS  # not written

    applied = ask(root, home, "--file", "numbers.py", "--apply", INSTRUCTION)
    assert applied.returncode == 0 and "written to the file" in applied.stderr, applied
    text = source.read_text(encoding="utf-8")
    namespace: dict[str, Any] = {}
    exec(compile(text, "numbers.py", "exec"), namespace)  # the file parses and runs
    assert namespace["is_even"](4) is True and namespace["is_even"](7) is False, text
    assert text.split("def is_even")[0] == NUMBERS.split("def is_even")[0] and text.count("def main():") == 1

    # A refusal (no such function): exit status 1, one line saying why, the file untouched.
    refused = ask(root, home, "--file", "numbers.py", "--kind", "modify", "--symbol", "nope", "--apply",
                  "add a docstring")
    assert refused.returncode == 1 and "no symbol named 'nope'" in refused.stderr, refused
    assert "Traceback" not in refused.stderr and source.read_text(encoding="utf-8") == text
