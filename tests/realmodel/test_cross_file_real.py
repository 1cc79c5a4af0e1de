"""A rename by a real model reaches the callers in other files.

The Qwen2.5-Coder 1.5B renames a function that two other files of
tests/data/cross_file use; the server carries the rename into them in the
same WorkspaceEdit. What any competent answer satisfies: the function has
its new name, and the project's own check still passes (so every caller was
updated, and the string that merely says the old name was not).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.lsp_session import lsp_session
from tests.e2e.test_cross_file import Files, project, run_check
from tests.realmodel.llama_server import DEADLINE, LlamaServer, brain_options
from tests.support.brain_lsp import command

pytestmark = pytest.mark.realmodel


@pytest.mark.parametrize("llama_server", ["1.5b"], indirect=True)
async def test_a_real_rename_updates_the_callers_in_other_files(tmp_path: Path, llama_server: LlamaServer) -> None:
    root = project(tmp_path)
    options = brain_options(llama_server, reasoning_max_tokens=200)
    async with lsp_session(root, profile="neovim", initialization_options=options) as client:
        files = Files(client, root)
        users = files.show("shop/users.py")
        result = await command(client, "mycoder.modify", {"uri": users, "symbol": "fetch_user",
                                                          "instruction": "rename fetch_user to get_user"},
                               timeout=DEADLINE)
        assert result["kind"] == "edit" and result.get("applied") is True, result
        assert not files.asked, files.asked  # a rename leaves nothing broken: no question
        files.save_all()
    assert "def get_user(" in (root / "shop/users.py").read_text()
    assert "get_user" in (root / "shop/orders.py").read_text()
    done = run_check(root, tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
