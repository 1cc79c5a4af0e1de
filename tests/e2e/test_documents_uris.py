"""Real files, real URIs, end to end: percent-encoded URIs (as VS Code and
Neovim send them), LSP lines in files with form feeds, U+2028 and CR-only
line endings, and a Fix that keeps a trailing comment once. The real server
process, a pytest-lsp client, the model replaced by the scripted server."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from lsprotocol import types

from tests.e2e.lsp_session import lsp_session, open_document, wait_for_diagnostics
from tests.support.brain_lsp import CODING, Editor, attach, brains_options, command, pos
from tests.support.fake_ollama import FakeOllama

DOC = "import os\n\n\ndef greet(name):\n    return undefined_thing + name\n"
NAMES = ["my file.py", "café.py", "a+b.py"]


def lsp_apply(text: str, edits: list[types.TextEdit]) -> str:
    """What an editor does with TextEdits: LSP lines (\\n, \\r\\n, \\r),
    UTF-16 columns. Written here independently of the server's code."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def offset(p: types.Position) -> int:
        start = starts[min(p.line, len(starts) - 1)]
        units = 0
        i = start
        while units < p.character and i < len(text) and text[i] not in "\r\n":
            units += 2 if ord(text[i]) > 0xFFFF else 1
            i += 1
        return i

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


class LspEditor(Editor):
    """The brain tests' fake editor, applying edits with LSP line semantics."""

    def on_apply(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        self.applied.append(params)
        edits: list[types.TextEdit | types.AnnotatedTextEdit] = []
        for change in params.edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            assert change.text_document.uri == self.uri  # the client's own spelling
            edits.extend(e for e in change.edits if isinstance(e, (types.TextEdit, types.AnnotatedTextEdit)))
        for uri, uri_edits in (params.edit.changes or {}).items():
            assert uri == self.uri
            edits.extend(uri_edits)
        self.change(lsp_apply(self.text, edits))
        return types.ApplyWorkspaceEditResult(applied=True)


async def pull_until_found(client, uri: str, timeout: float = 15.0) -> list[types.Diagnostic]:
    """Pull until the server has findings: the first pull may race the
    settings loaded at startup (then the server answers what it has)."""
    async def loop() -> list[types.Diagnostic]:
        while True:
            report = await client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
            if getattr(report, "items", None):
                return list(report.items)
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(loop(), timeout)


def by_code(diagnostics: list[types.Diagnostic]) -> dict[str, int]:
    return {str(d.code): d.range.start.line for d in diagnostics}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("profile", ["neovim", "vscode"])
async def test_percent_encoded_uris_get_diagnostics_hover_and_actions(tmp_path, name, profile):
    root = tmp_path / "ws"
    root.mkdir()
    path = root / name
    path.write_text(DOC, encoding="utf-8")
    async with lsp_session(root, profile=profile) as client:
        uri = open_document(client, path, DOC)
        assert "%" in uri  # as editors send it: my%20file.py, caf%C3%A9.py, a%2Bb.py
        if profile == "vscode":  # pull diagnostics
            diagnostics = await pull_until_found(client, uri)
        else:  # pushed, and carrying the URI exactly as the client sent it
            diagnostics = await wait_for_diagnostics(client, uri, version=1)
        assert by_code(diagnostics) == {"MC313": 0, "MC310": 4}

        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(3, 5)))
        assert hover is not None and "def greet(name):" in hover.contents.value

        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(4, 4), end=types.Position(4, 4)),
            context=types.CodeActionContext(diagnostics=[])))
        assert any(getattr(a, "title", "") == "Explain greet with MyCoder" for a in actions or [])


LINES_DOC = ('"""Sections as the stdlib writes them."""\n\x0c\n'
             'SEP = "a\u2028b"  # U+2028 in a string\n\x0c\n'
             'def first(x):\n    return x\n')


async def test_form_feeds_and_line_separators_keep_the_server_in_sync(tmp_path):
    """Incremental edits after a form feed and a U+2028: the server's copy
    stays the editor's, so findings point at the line they are on."""
    root = tmp_path / "ws"
    root.mkdir()
    async with lsp_session(root) as client:
        uri = open_document(client, root / "sections.py", LINES_DOC)
        assert by_code(await wait_for_diagnostics(client, uri, version=1)) == {}
        # LSP line 4 is `def first(x):`; insert an unused import above it,
        # and an undefined name in its body (line 5 before the insertion).
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(5, 11), end=types.Position(5, 12)), text="missing"),
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(4, 0), end=types.Position(4, 0)), text="import sys\n"),
            ]))
        diagnostics = await wait_for_diagnostics(client, uri, version=2)
        assert by_code(diagnostics) == {"MC313": 4, "MC310": 6}, diagnostics


CR_DOC = "import os\r\r\rdef home():\r    return os.environ['HOME']\r\r\rdef user():\r    return nobody\r"
COMMENTED = ("from typing import cast\n\n\n"
             "def load(path: str) -> dict[str, str]:\n"
             "    with open(path) as fh:\n"
             "        data = fh.read()\n"
             "    return cast(dict, data)  # type: ignore[return-value]  # the JSON shape\n")


async def test_cr_only_file_gets_its_findings_and_its_fix(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply("```python\ndef user():\n    return os.environ['USER']\n```\n", model=CODING)
    async with lsp_session(root, initialization_options=brains_options(fake_ollama.url)) as client:
        editor = LspEditor(client, (root / "old mac.py").as_uri(), CR_DOC)
        attach(client, editor)
        editor.open()
        diagnostics = await wait_for_diagnostics(client, editor.uri, version=1)
        (undefined,) = [d for d in diagnostics if d.code == "MC310"]
        assert undefined.range.start.line == 8
        result = await command(client, "mycoder.fix", {
            "uri": editor.uri, "range": {"start": pos(8, 11), "end": pos(8, 17)}, "verify": False,
            "diagnostics": [{"range": {"start": pos(8, 11), "end": pos(8, 17)}, "message": undefined.message,
                             "severity": 1, "source": "mycoder", "code": "MC310"}]})
        assert result["kind"] == "edit" and result.get("applied"), result
        assert editor.text == CR_DOC.replace("return nobody", "return os.environ['USER']")
        assert "\n" not in editor.text  # CR endings kept


async def test_fix_keeps_a_trailing_comment_once(tmp_path, fake_ollama: FakeOllama):
    """The model repeats the function's last line with its comment; the edit
    must replace that whole line, not insert before the comment."""
    root = tmp_path / "ws"
    root.mkdir()
    fixed = COMMENTED.replace("open(path)", 'open(path, encoding="utf-8")')
    fake_ollama.reply("```python\n" + fixed.split("\n\n\n", 1)[1] + "```\n", model=CODING)
    async with lsp_session(root, profile="vscode", initialization_options=brains_options(fake_ollama.url)) as client:
        editor = LspEditor(client, (root / "my loader.py").as_uri(), COMMENTED)
        attach(client, editor)
        editor.open()
        result = await command(client, "mycoder.fix", {
            "uri": editor.uri, "range": {"start": pos(4, 9), "end": pos(4, 19)}, "verify": False,
            "diagnostics": [{"range": {"start": pos(4, 9), "end": pos(4, 19)}, "severity": 2, "source": "mycoder",
                             "code": "MC999", "message": "open() without an encoding: pass encoding=\"utf-8\"."}]})
        assert result["kind"] == "edit" and result.get("applied"), result
        assert editor.text == fixed
        assert editor.text.count("# type: ignore[return-value]") == 1


SECTIONS = ("def a(x):\n    return x\n\n\x0c\n"
            "def b(x):\n    return x + 1\n\n\x0c\n"
            "def c(x):\n    return x + 2\n")


async def test_modify_after_typing_below_a_form_feed_never_breaks_the_file(tmp_path, fake_ollama: FakeOllama):
    """The reported corruption: keystrokes below a form feed landed one line
    off in the server's copy, so the next edit it proposed was computed on
    text the editor did not have and `def b(x):` ended up in the file twice."""
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply("```python\ndef b(x):\n    return x * 10\n```\n", model=CODING)
    async with lsp_session(root, initialization_options=brains_options(fake_ollama.url)) as client:
        editor = LspEditor(client, (root / "sections.py").as_uri(), SECTIONS)
        attach(client, editor)
        editor.open()
        # Typing in c's body (LSP line 9: `    return x + 2`), incrementally.
        editor.version += 1
        edit = types.TextEdit(range=types.Range(start=types.Position(9, 15), end=types.Position(9, 16)), new_text="3")
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=editor.uri, version=editor.version),
            content_changes=[types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)]))
        editor.text = lsp_apply(editor.text, [edit])
        assert editor.text.endswith("return x + 3\n")
        await wait_for_diagnostics(client, editor.uri, version=editor.version)
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "position": pos(5, 4), "verify": False,
                                                          "instruction": "multiply by ten"})
        assert result["kind"] == "edit" and result.get("applied"), result
        assert editor.text == SECTIONS.replace("x + 1", "x * 10").replace("x + 2", "x + 3")
        assert editor.text.count("def b(x):") == 1


def test_names_are_really_encoded():
    for name in NAMES:
        assert "%" in Path("/p", name).as_uri()
