"""The real server, driven through a real LSP client, against a real model.

llama.cpp's server runs Qwen2.5-Coder; the brains point at it with the
OpenAI-compatible backend from the user's own settings (initializationOptions),
the way a user would. The assertions are what any competent answer must
satisfy, never an exact text: an explanation that is there, a fix after which
the file parses and the function behaves, and the user's secret is still in
the file as it was (the model only ever saw a placeholder).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.lsp_session import lsp_session
from tests.realmodel.llama_server import DEADLINE, LlamaServer, brain_options
from tests.support.brain_lsp import Editor, attach, command, pos

pytestmark = pytest.mark.realmodel


TOKEN = "ghp_" + "Zq8" * 12  # built from pieces: the repository holds no whole token

DOC = f'''"""Numbers."""

SERVICE_TOKEN = "{TOKEN}"


def is_even(n):
    """True when n is even."""
    return n % 2 == 1


def main():
    print(is_even(4))
'''


@pytest.mark.parametrize("llama_server", ["1.5b"], indirect=True)
async def test_explain_and_fix_with_a_real_model(tmp_path: Path, llama_server: LlamaServer) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".git").mkdir()
    options = brain_options(llama_server, reasoning_max_tokens=200)
    async with lsp_session(root, profile="vscode", initialization_options=options) as client:
        editor = Editor(client, (root / "numbers.py").as_uri(), DOC)
        attach(client, editor)
        editor.open()

        explained = await command(client, "mycoder.explain", {"uri": editor.uri, "position": pos(5, 5)},
                                  timeout=DEADLINE)
        assert explained["kind"] == "explanation", explained
        assert len(explained["text"].split()) >= 5, explained

        fixed = await command(client, "mycoder.modify", {
            "uri": editor.uri, "position": pos(5, 5),
            "instruction": "fix the bug: is_even must return True for even numbers"}, timeout=DEADLINE)
        assert fixed["kind"] == "edit" and fixed.get("applied") is True, fixed

    namespace: dict = {}
    exec(compile(editor.text, "numbers.py", "exec"), namespace)  # the file parses and runs
    assert namespace["is_even"](4) is True and namespace["is_even"](7) is False
    assert editor.text.count("def main():") == 1 and f'SERVICE_TOKEN = "{TOKEN}"' in editor.text
    # Nothing but the function changed.
    assert editor.text.split("def is_even")[0] == DOC.split("def is_even")[0]
