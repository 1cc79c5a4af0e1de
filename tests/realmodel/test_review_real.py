"""A review by a real model lands as diagnostics in the editor.

Through the real LSP server and a real LSP client, llama.cpp's server with
Qwen2.5-Coder 1.5B reviews a function with a planted bug (``is_even`` that
answers for odd numbers). Any competent review names at least one problem;
the test asserts that it reaches the editor as a ``mycoder-review``
diagnostic inside the reviewed function, never what the finding says. (The
first real run of the review answered in the prompt's own template and was
dropped as "No problems found": that is what this guards.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.lsp_session import lsp_session
from tests.realmodel.llama_server import DEADLINE, LlamaServer, brain_options
from tests.support.brain_lsp import Editor, attach, command, pos, wait_until

pytestmark = pytest.mark.realmodel


DOC = '''"""Numbers."""


def is_even(n):
    """True when n is even."""
    return n % 2 == 1


def main():
    print(is_even(4))
'''
FUNCTION = (3, 5)  # is_even's first and last line, 0-based


# Small models may loop on the findings format: the limit keeps a loop short.
REASONING_MAX_TOKENS = 128


@pytest.mark.parametrize("llama_server", ["1.5b"], indirect=True)
async def test_a_review_of_a_planted_bug_publishes_a_diagnostic(tmp_path: Path, llama_server: LlamaServer) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".git").mkdir()
    options = brain_options(llama_server, reasoning_max_tokens=REASONING_MAX_TOKENS)
    async with lsp_session(root, profile="neovim", initialization_options=options) as client:
        editor = Editor(client, (root / "numbers.py").as_uri(), DOC)
        attach(client, editor)
        editor.open()

        reviewed = await command(client, "mycoder.review", {"uri": editor.uri, "position": pos(5, 8)},
                                 timeout=DEADLINE)
        assert reviewed["kind"] == "review" and reviewed["findings"], reviewed
        await wait_until(lambda: any(d.source == "mycoder-review" for d in client.diagnostics.get(editor.uri, [])))
        review = [d for d in client.diagnostics[editor.uri] if d.source == "mycoder-review"]
        assert review and all(FUNCTION[0] <= d.range.start.line <= FUNCTION[1] for d in review), review
        assert all(d.message.strip() for d in review)
