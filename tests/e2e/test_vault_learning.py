"""Learned patterns end to end: an edit the brains applied becomes a pattern
only if it is still in the document at the next save, and then reaches the
next prompt. The model is the scripted Ollama server on loopback."""

from __future__ import annotations

from lsprotocol import types

from tests.e2e.lsp_session import lsp_session
from tests.e2e.test_vault import command, until, wait_index_end
from tests.support.brain_lsp import CODING, Editor, attach, brains_options, pos
from tests.support.fake_ollama import FakeOllama

DOC = '''def parse(text):
    return [line for line in text.splitlines() if line]


def total(values):
    return sum(values)
'''
PARSE_DOC = '''def parse(text):
    """The non-empty lines of text."""
    return [line for line in text.splitlines() if line]'''
TOTAL_DOC = '''def total(values):
    """The sum of the values."""
    return sum(values)'''


def save(client, editor: Editor, path) -> None:
    path.write_text(editor.text)
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri)))


async def test_accepted_edit_is_learned_and_recalled(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    path = root / "m.py"
    path.write_text(DOC)
    # "document total" first: the second request's prompt also quotes the
    # learned pattern "document parse ...", and must get total's answer.
    fake_ollama.reply(f"```python\n{TOTAL_DOC}\n```", model=CODING, contains="document total")
    fake_ollama.reply(f"```python\n{PARSE_DOC}\n```", model=CODING, contains="document parse")
    async with lsp_session(root, profile="vscode", initialization_options=brains_options(fake_ollama.url)) as client:
        await wait_index_end(client)
        editor = Editor(client, path.as_uri(), DOC)
        attach(client, editor)
        editor.open()

        # 1. Applied, then undone before saving: not learned.
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "position": pos(0, 5),
                                                          "instruction": "document parse with a docstring"})
        assert result["applied"] is True
        editor.change(DOC)
        save(client, editor, path)
        # 2. Applied and kept at the save: learned.
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "position": pos(0, 5),
                                                          "instruction": "document parse with a docstring"})
        assert result["applied"] is True and '"""The non-empty lines of text."""' in editor.text
        save(client, editor, path)
        learned = await until(lambda: command(client, "mycoder.patterns", {}))
        assert len(learned) == 1
        (pattern,) = learned
        assert pattern["id"] == "P0001" and pattern["user_intent"] == "document parse with a docstring"
        assert pattern["signature"] == "def parse(text):" and pattern["confidence"] > 0
        assert '+    """The non-empty lines of text."""' in pattern["code_delta"]
        assert [p["id"] for p in await command(client, "mycoder.patterns", {"symbol": "parse"})] == ["P0001"]
        # Hover on parse shows what was learned there.
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=editor.uri), position=types.Position(0, 5)))
        assert "P0001: document parse with a docstring" in hover.contents.value

        # 3. The next similar request gets the pattern in its prompt, with its origin.
        first_chats = len(fake_ollama.chats())
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "position": pos(5, 5),
                                                          "instruction": "document total with a docstring"})
        assert result["applied"] is True
        chat = fake_ollama.chats()[first_chats]
        prompt = "\n".join(m.get("content", "") for m in chat.body["messages"])
        assert "learned pattern P0001" in prompt and "The non-empty lines of text." in prompt
