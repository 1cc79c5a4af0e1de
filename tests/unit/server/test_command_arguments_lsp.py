"""Typed command arguments through the real server: a field of the wrong
type is one message naming it, before any model is asked (before the typed
records, a list as ``symbol`` reached the request flow and ended as an
internal error, and ``"verify": "no"`` was silently ignored)."""

from __future__ import annotations

from tests.e2e.lsp_session import lsp_session
from tests.support.brain_lsp import Editor, attach, brains_options, command
from tests.support.fake_ollama import FakeOllama

DOC = "def parse(text):\n    return text.split()\n"


async def test_a_field_of_the_wrong_type_is_named(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    async with lsp_session(root, initialization_options=brains_options(fake_ollama.url)) as client:
        editor = Editor(client, (root / "m.py").as_uri(), DOC)
        attach(client, editor)
        editor.open()
        listed = await command(client, "mycoder.explain", {"uri": editor.uri, "symbol": ["parse"]})
        assert listed == {"kind": "error", "message": "mycoder.explain: symbol must be a string, got ['parse']."}
        verify = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "parse",
                                                          "instruction": "add a docstring", "verify": "no"})
        assert verify["kind"] == "error" and "verify must be true or false, got 'no'" in verify["message"]
        position = await command(client, "mycoder.review", {"uri": editor.uri, "position": {"line": 0}})
        assert position["kind"] == "error" and "position.character is missing" in position["message"]
        assert any("symbol must be a string" in m.message for m in client.messages)
        assert fake_ollama.requests == []  # refused before any model was asked
        assert editor.text == DOC
