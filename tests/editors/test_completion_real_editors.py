"""Inline completion from a REAL local model in both real editors.

llama.cpp's server runs Qwen2.5-Coder (the real-model tier's provisioning,
``tests/support/llama_servers.py``); headless Neovim (every version found)
and VS Code (code-server + Chromium) each ask it for one suggestion on a
line of a real-looking file and accept it. Asserted is what any competent
suggestion satisfies: it appeared, accepting it changed the file at the
cursor, and the file still parses — never an exact text.

Marked ``realmodel``: without the provisioned engine and weights (or with
``MYCODER_REALMODEL=0``) they skip and say why; ``editor`` as well, so the
editor prerequisites' rules (skip outside CI, fail in CI) hold as for the
other editor tests.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.editors.test_neovim import run_script
from tests.editors.test_vscode_e2e import E2E, MISSING_PREREQUISITES, in_ci
from tests.realmodel.llama_server import LlamaServer
from tests.support.llama_servers import llama_threads, provisioned

pytestmark = [pytest.mark.realmodel, pytest.mark.editor]

# The 1.5B, the completion brain's default. The 0.5B passes these two prompts too, but at 22 `return `
# points of stdlib files it gave a parseable suggestion 19 times against the 1.5B's 21, and the
# session's 1.5B server is shared with tests/realmodel anyway.
MODEL = "1.5b"

# The files as they are when the editor asks, split at the cursor (after the typed "return ").
NEOVIM_FILE = ('"""Shapes and their areas."""\n\n\ndef rectangle_area(width: float, height: float) -> float:\n'
               '    """The area of a width x height rectangle."""\n    return ',
               '\n\n\ndef square_area(side: float) -> float:\n    """The area of a square."""\n'
               '    return rectangle_area(side, side)\n')
VSCODE_FILE = ('def area(width, height):\n    """The area of a width by height rectangle."""\n    return ', '\n')


def assert_completed(path: Path, before: str, after: str) -> str:
    """The completed file is the old one with text inserted at the cursor, and
    it parses; returns the inserted text."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith(before) and text.endswith(after), f"the file changed away from the cursor:\n{text}"
    inserted = text[len(before):len(text) - len(after)]
    assert inserted.strip(), f"nothing was inserted at the cursor:\n{text}"
    try:
        ast.parse(text)
    except SyntaxError as exc:
        pytest.fail(f"the file with the suggestion {inserted!r} does not parse: {exc}\n{text}", pytrace=False)
    return inserted


@pytest.mark.parametrize("llama_server", [MODEL], indirect=True)
def test_neovim_shows_and_accepts_a_real_suggestion(nvim: str, tmp_path: Path,
                                                     llama_server: LlamaServer) -> None:
    result = tmp_path / "geometry-after.py"
    figures = run_script(nvim, "test_completion_real.lua", tmp_path, {
        "MYCODER_TEST_LLAMA_URL": llama_server.url, "MYCODER_TEST_LLAMA_MODEL": llama_server.model,
        "MYCODER_TEST_RESULT": str(result)})
    completed = assert_completed(result, *NEOVIM_FILE)
    print(f"  inserted: {completed!r}; {figures}")


def test_vscode_shows_and_accepts_real_ghost_text(tmp_path: Path) -> None:
    # llama-server runs INSIDE e2e.sh's network sandbox (only loopback there), so
    # the test hands it the engine and the weights, not a running server.
    binary, gguf = provisioned(MODEL)
    completed_file = tmp_path / "shapes-after.py"
    env = dict(os.environ)
    env.setdefault("MYCODER_PYTHON", sys.executable)
    env.setdefault("MYCODER_LSP_COMMAND", str(Path(sys.executable).with_name("mycoder-lsp")))
    env.setdefault("E2E_TIMEOUT", "300")
    env.update({
        "E2E_ONLY": "completion",
        "E2E_LLAMA_SERVER": str(binary),
        "E2E_LLAMA_MODEL": str(gguf),
        "E2E_LLAMA_THREADS": str(llama_threads()),
        "E2E_COMPLETED_FILE": str(completed_file),
        "E2E_SCREENSHOT": str(tmp_path / "vscode.png"),
    })
    result = subprocess.run(["bash", str(E2E)], cwd=E2E.parents[3], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=int(env["E2E_TIMEOUT"]) + 60)
    print(result.stdout)
    if result.returncode == MISSING_PREREQUISITES:
        reason = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "prerequisites missing"
        if in_ci():
            pytest.fail(f"CI must run the VS Code e2e test: {reason}")
        pytest.skip(reason)
    assert result.returncode == 0, (f"e2e.sh (E2E_ONLY=completion) failed (exit {result.returncode}):\n"
                                    f"{result.stdout[-6000:]}")
    assert "ghost text:" in result.stdout, result.stdout[-3000:]
    completed = assert_completed(completed_file, *VSCODE_FILE)
    print(f"  inserted: {completed!r}")
