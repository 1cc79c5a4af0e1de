"""Code actions (listed without any model call) and hover (instant part,
explanation, cache) end to end through the real server."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Union

from lsprotocol import types

from tests.e2e.lsp_session import lsp_session
from tests.support.brain_lsp import REASONING, Editor, attach, brains_options, command, messages, wait_until
from tests.support.fake_ollama import FakeOllama

DOC = '''import os


def parse(text):
    """Split text into its non-empty lines."""
    return [line for line in text.splitlines() if line]


class Calc:
    def mul(self, a, b):
        return a * b


def main():
    print(parse(os.environ.get("X", "")))
'''


def rng(sl: int, sc: int, el: int, ec: int) -> types.Range:
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))


def parse_code_actions_like_an_editor(client) -> None:
    """lsprotocol's client-side parser takes every CodeAction that carries a
    command for a bare Command (it only checks that the key exists); editors
    tell them apart by the command's type, and so does this."""
    converter = client.protocol._converter

    def hook(obj: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    # The typing.Union object is what lsprotocol's converter looks the hook up by.
    converter.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007


async def actions(client, uri: str, r: types.Range, diagnostics=(), only=None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=r,
        context=types.CodeActionContext(diagnostics=list(diagnostics), only=only)))
    assert all(isinstance(a, types.CodeAction) for a in result or []), result
    return list(result or [])


async def test_code_actions_are_listed_at_once_without_any_model_call(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    other = types.Diagnostic(range=rng(10, 15, 10, 16), message="Operator \"*\" not supported for \"None\"",
                             severity=types.DiagnosticSeverity.Error, source="Pyright", code="reportOptionalOperand")
    async with lsp_session(root, initialization_options=brains_options(fake_ollama.url)) as client:
        parse_code_actions_like_an_editor(client)
        editor = Editor(client, (root / "m.py").as_uri(), DOC)
        attach(client, editor)
        editor.open()
        t0 = time.perf_counter()
        listed = await actions(client, editor.uri, rng(10, 15, 10, 15), [other])
        elapsed = time.perf_counter() - t0
        titles = [a.title for a in listed]
        assert titles == [
            'Fix with MyCoder: Operator "*" not supported for "None"',
            "Explain Calc.mul with MyCoder",
            "Review Calc.mul with MyCoder",
            "Modify Calc.mul with MyCoder…",
        ]
        fix = listed[0]
        assert fix.kind == types.CodeActionKind.QuickFix and list(fix.diagnostics) == [other]
        assert fix.command.command == "mycoder.fix"
        (arg,) = fix.command.arguments
        assert arg["uri"] == editor.uri and arg["diagnostics"][0]["source"] == "Pyright"
        assert [a.command.command for a in listed[1:]] == ["mycoder.explain", "mycoder.review", "mycoder.modify"]
        assert listed[1].command.arguments[0]["symbol"] == "Calc.mul"
        assert listed[3].kind == types.CodeActionKind.RefactorRewrite

        selected = await actions(client, editor.uri, rng(3, 0, 6, 0))
        assert [a.title for a in selected] == ["Explain selection with MyCoder", "Review selection with MyCoder",
                                               "Modify selection with MyCoder…"]
        assert selected[0].command.arguments[0]["range"] == {"start": {"line": 3, "character": 0},
                                                             "end": {"line": 6, "character": 0}}
        assert await actions(client, editor.uri, rng(1, 0, 1, 0)) == []  # a blank line outside any symbol
        quick_only = await actions(client, editor.uri, rng(10, 15, 10, 15), [other],
                                   only=[types.CodeActionKind.QuickFix])
        assert [a.command.command for a in quick_only] == ["mycoder.fix"]
        assert fake_ollama.requests == []  # listing never woke a model
        assert elapsed < 2.0

        # Choosing the listed Modify action without an instruction: a clear error.
        result = await command(client, listed[3].command.command, listed[3].command.arguments[0])
        assert result["kind"] == "error" and "instruction" in result["message"]
        # Choosing the Explain action runs it (selection variant).
        fake_ollama.reply("It splits text into lines.", model=REASONING)
        explained = await command(client, "mycoder.explain", selected[0].command.arguments[0])
        assert explained["kind"] == "explanation"
        assert "def parse(text):" in fake_ollama.chats()[-1].last_user
        assert "class Calc" not in fake_ollama.chats()[-1].last_user


async def hover(client, uri: str, line: int, character: int) -> types.Hover | None:
    return await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)))


async def test_hover_explains_caches_by_content_and_re_explains_after_an_edit(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply("Returns the non-empty lines.", model=REASONING, contains="return [line", times=1)
    fake_ollama.reply("Returns the lines, stripped.", model=REASONING, contains="strip()")
    options = brains_options(fake_ollama.url, hover={"wait_ms": 5000})
    async with lsp_session(root, initialization_options=options) as client:
        editor = Editor(client, (root / "m.py").as_uri(), DOC)
        attach(client, editor)
        editor.open()
        first = await hover(client, editor.uri, 3, 5)
        value = first.contents.value
        assert "def parse(text):" in value and "Split text into its non-empty lines." in value
        assert "m.py:4" in value and "1 reference in this file" in value
        assert "Returns the non-empty lines." in value
        assert len(fake_ollama.chats()) == 1

        t0 = time.perf_counter()
        second = await hover(client, editor.uri, 14, 11)  # on the call parse(...) in main
        assert time.perf_counter() - t0 < 1.0
        assert "Returns the non-empty lines." in second.contents.value
        assert len(fake_ollama.chats()) == 1  # from the cache

        assert await hover(client, editor.uri, 1, 0) is None

        editor.change(DOC.replace("if line]", "if line.strip()]"))
        third = await hover(client, editor.uri, 3, 5)
        assert "Returns the lines, stripped." in third.contents.value
        assert len(fake_ollama.chats()) == 2


async def test_hover_with_a_slow_model_answers_at_once_and_fills_the_cache(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply("Multiplies a by b.", model=REASONING, pieces=3, delay=0.4)
    options = brains_options(fake_ollama.url, hover={"wait_ms": 100})
    async with lsp_session(root, initialization_options=options) as client:
        parse_code_actions_like_an_editor(client)
        editor = Editor(client, (root / "m.py").as_uri(), DOC)
        attach(client, editor)
        editor.open()
        t0 = time.perf_counter()
        first = await hover(client, editor.uri, 9, 9)
        assert time.perf_counter() - t0 < 1.0
        assert "def mul(self, a, b):" in first.contents.value and "still thinking" in first.contents.value
        await wait_until(lambda: len(fake_ollama.chats()) == 1)
        (req,) = fake_ollama.chats()
        await wait_until(lambda: req.outcome == "done")
        await asyncio.sleep(0.1)  # the answer travels from the fake to the server's cache
        second = await hover(client, editor.uri, 9, 9)
        assert "Multiplies a by b." in second.contents.value
        assert len(fake_ollama.chats()) == 1


async def test_hover_with_the_model_down_tells_the_user_once(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    down = FakeOllama.down_url()
    async with lsp_session(root, initialization_options=brains_options(down, hover={"wait_ms": 3000})) as client:
        editor = Editor(client, (root / "m.py").as_uri(), DOC)
        attach(client, editor)
        editor.open()
        for line, col in ((3, 5), (9, 9), (3, 5), (13, 5)):
            result = await hover(client, editor.uri, line, col)
            assert result is not None and "```python" in result.contents.value
            assert "---" not in result.contents.value
        await wait_until(lambda: any("not reachable" in m for m in messages(client)))
        await asyncio.sleep(0.2)
        assert len([m for m in messages(client) if "not reachable" in m]) == 1
