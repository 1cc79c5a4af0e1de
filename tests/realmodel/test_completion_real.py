"""Inline completion against a real model (llama.cpp's server, Qwen2.5-Coder).

The engine builds the Qwen FIM prompt, streams the middle over
``/v1/completions`` (the wire for a known family on an OpenAI-compatible
server) and checks it; the CLI does the same from the terminal. (llama.cpp's
``/infill`` always adds the repository-level header, which makes the
instruct models we have skip the middle here: it is the wire for models of
unknown family only.) Asserted is what any competent
suggestion satisfies: something comes back within the timeout, and the file
with it in still parses. Temperature 0 and the server's fixed seed make the
answer repeatable.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mycoder_lsp.completion import Completer, CompletionRequest
from mycoder_lsp.config import Settings
from tests.realmodel.llama_server import DEADLINE, LlamaServer

pytestmark = pytest.mark.realmodel

# The box running the tests is shared and slow; a quiet one answers in about a second.
TIMEOUT = 120.0

GEOMETRY = '''"""Shapes."""


def rectangle_area(width: float, height: float) -> float:
    """The area of a width x height rectangle."""
    return 


def square_area(side: float) -> float:
    """The area of a square."""
    return rectangle_area(side, side)
'''
LINE, COLUMN = 5, len("    return ")  # 0-based, the end of "    return "


def settings_for(server: LlamaServer) -> Settings:
    settings = Settings()
    brain = settings.brains.completion
    brain.url, brain.backend, brain.model, brain.timeout = server.url, "openai", server.model, TIMEOUT
    return settings


def inserted(text: str, line: int, column: int, middle: str) -> str:
    lines = text.split("\n")
    lines[line] = lines[line][:column] + middle + lines[line][column:]
    return "\n".join(lines)


@pytest.mark.parametrize("llama_server", ["0.5b", "1.5b"], indirect=True)
def test_a_suggestion_that_parses_comes_back_in_time(tmp_path: Path, llama_server: LlamaServer) -> None:
    path = tmp_path / "geometry.py"
    path.write_text(GEOMETRY, encoding="utf-8")

    async def go() -> tuple[list, dict[str, int]]:
        completer = Completer(settings_for(llama_server), client=None, workspace_root=tmp_path)
        request = CompletionRequest(uri=path.as_uri(), path=str(path), text=GEOMETRY, line=LINE, character=COLUMN,
                                    language="python", trigger="invoked")
        return await completer.complete(request), dict(completer.stats)

    suggestions, stats = asyncio.run(go())
    assert suggestions, stats
    (suggestion,) = suggestions
    assert suggestion.text.strip() and suggestion.ms < TIMEOUT * 1000
    ast.parse(inserted(GEOMETRY, LINE, COLUMN, suggestion.text))
    assert "width" in suggestion.text and "height" in suggestion.text  # any competent area uses both


@pytest.mark.parametrize("llama_server", ["0.5b"], indirect=True)
def test_the_cli_prints_a_suggestion(tmp_path: Path, llama_server: LlamaServer) -> None:
    home = tmp_path / "home"
    (home / "mycoder").mkdir(parents=True)
    (home / "mycoder" / "config.toml").write_text(
        f'[brains.completion]\nurl = "{llama_server.url}"\nbackend = "openai"\nmodel = "{llama_server.model}"\n'
        f"timeout = {TIMEOUT}\n", encoding="utf-8")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "geometry.py").write_text(GEOMETRY, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["XDG_CONFIG_HOME"] = env["HOME"] = str(home)
    done = subprocess.run([sys.executable, "-m", "mycoder_lsp", "complete", "--root", str(root), "--file",
                           "geometry.py", "--line", str(LINE + 1), "--column", str(COLUMN + 1), "--json"],
                          cwd=root, capture_output=True, text=True, timeout=DEADLINE, env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["text"].strip() and data["model"] == llama_server.model
    ast.parse(inserted(GEOMETRY, LINE, COLUMN, data["text"]))
