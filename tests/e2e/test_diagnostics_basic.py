"""Diagnostics end to end: the real server process, a real LSP client."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from tests.e2e.lsp_session import lsp_session, open_document, wait_for_diagnostics

BROKEN = "def f(:\n    pass\n"
FIXED = "def f(x):\n    return x\n"


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    return root


def codes(diags):
    return [d.code for d in diags]


def change(client, uri, version, start, end, text):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text
                )
            ],
        )
    )


@pytest.mark.parametrize("profile", ["neovim", "neovim-0.10", "neovim-0.11", "vscode-1.65"])
async def test_open_change_save_close(root, profile):
    async with lsp_session(root, profile=profile) as client:
        uri = open_document(client, root / "a.py", BROKEN)
        diags = await wait_for_diagnostics(client, uri, version=1)
        mc101 = next(d for d in diags if d.code == "MC101")
        assert mc101.source == "mycoder"
        assert mc101.severity == types.DiagnosticSeverity.Error
        assert mc101.range.start.line == 0
        assert "Syntax error" in mc101.message

        # Incremental edit that fixes the signature: "def f(:" -> "def f(x):"
        change(client, uri, 2, (0, 6), (0, 6), "x)")
        diags = await wait_for_diagnostics(client, uri, version=2)
        assert "MC101" not in codes(diags)

        # Break it again and save: diagnostics come with the save too.
        change(client, uri, 3, (0, 6), (0, 8), "")
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        diags = await wait_for_diagnostics(client, uri, version=3)
        assert "MC101" in codes(diags)

        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        diags = await wait_for_diagnostics(client, uri)
        assert diags == []


async def test_rapid_changes_publish_the_last_version(root):
    # A generous debounce so a loaded CI machine still sees one burst.
    async with lsp_session(root, initialization_options={"validation": {"debounce_ms": 1500}}) as client:
        uri = open_document(client, root / "b.py", FIXED)
        await wait_for_diagnostics(client, uri, version=1)
        seen: list[int | None] = []
        # Five quick keystrokes, each breaking/fixing the file.
        for version in range(2, 7):
            text = "(" if version % 2 == 0 else ""
            end = (0, 6) if version % 2 == 0 else (0, 7)
            change(client, uri, version, (0, 6), end, text)

        async def collect():
            while True:
                params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
                seen.append(params.version)
                if params.version == 6:
                    return params

        params = await asyncio.wait_for(collect(), 15)
        # Debounced: intermediate versions are never validated.
        assert seen == [6]
        assert "MC101" in codes(params.diagnostics)  # version 6 left the "(" in place


async def test_pull_diagnostics_for_vscode(root):
    async with lsp_session(root, profile="vscode") as client:
        uri = open_document(client, root / "c.py", BROKEN)
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert report.kind == "full"
        assert "MC101" in codes(report.items)
        again = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id
            )
        )
        assert again.kind == "unchanged"
        # Not open: an empty report, not an error.
        other = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=(root / "nope.py").as_uri()))
        )
        assert list(other.items) == []
        # In pull mode nothing is pushed; the client is told to re-pull instead.
        assert uri not in client.diagnostics
        assert client.diagnostic_refresh_count >= 1


async def test_invalid_settings_warn_and_keep_defaults(root):
    options = {"validation": {"maxFileSize": "huge", "bogus": 1}, "brains": {"coding": {"temperature": "hot"}}}
    async with lsp_session(root, initialization_options=options) as client:
        uri = open_document(client, root / "d.py", BROKEN)
        diags = await wait_for_diagnostics(client, uri)
        assert "MC101" in codes(diags)  # the server still works
        warnings = [m for m in client.messages if m.type == types.MessageType.Warning]
        assert len(warnings) == 1
        text = warnings[0].message
        assert "validation.maxFileSize" in text and "validation.bogus" in text and "brains.coding.temperature" in text


async def test_workspace_configuration_is_read_and_reread(root):
    async with lsp_session(root, profile="neovim-0.10", configuration={"validation": {"ignore": ["MC101"]}}) as client:
        uri = open_document(client, root / "e.py", BROKEN)
        diags = await wait_for_diagnostics(client, uri)
        assert "MC101" not in codes(diags)
        client.set_configuration({"validation": {"ignore": []}}, section="mycoder")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await wait_for_diagnostics(client, uri, until=lambda d: "MC101" in codes(d))
        # Every publish from now on has it; none fell back to the old settings.
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert "MC101" in codes(await wait_for_diagnostics(client, uri))


async def test_pushed_configuration_without_workspace_configuration(root):
    # Neovim 0.7 profile: settings arrive in didChangeConfiguration itself.
    async with lsp_session(root, profile="neovim") as client:
        uri = open_document(client, root / "f.py", BROKEN)
        assert "MC101" in codes(await wait_for_diagnostics(client, uri))
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"mycoder": {"validation": {"ignore": ["MC101"]}}})
        )
        await wait_for_diagnostics(client, uri, until=lambda d: "MC101" not in codes(d))


async def test_bad_input_never_crashes(root):
    options = {"validation": {"maxFileSize": 2000}}
    async with lsp_session(root, initialization_options=options) as client:
        huge = open_document(client, root / "huge.py", "x = 1\n" * 1000)
        diags = await wait_for_diagnostics(client, huge)
        assert codes(diags) == ["MC001"]
        assert diags[0].severity == types.DiagnosticSeverity.Information
        assert "max_file_size" in diags[0].message

        binary = open_document(client, root / "blob.py", "abc\0\1\2def")
        diags = await wait_for_diagnostics(client, binary)
        assert codes(diags) == ["MC001"] and "binary" in diags[0].message

        unknown = open_document(client, root / "notes.xyz", "whatever (((", language_id="plaintext")
        assert await wait_for_diagnostics(client, unknown) == []

        empty = open_document(client, root / "empty.py", "")
        assert await wait_for_diagnostics(client, empty) == []

        # Emoji before the error: the column is in UTF-16 units for this client.
        emoji = open_document(client, root / "emoji.py", "s = '😀' +\n")
        diags = await wait_for_diagnostics(client, emoji)
        assert "MC101" in codes(diags)

        # The server is still alive and answering requests.
        still = open_document(client, root / "ok.py", BROKEN)
        assert "MC101" in codes(await wait_for_diagnostics(client, still))


async def test_requests_on_documents_not_open_or_out_of_range(root):
    async with lsp_session(root, profile="neovim-0.11") as client:
        uri = open_document(client, root / "g.py", "def f(x):\n    return x\n")
        await wait_for_diagnostics(client, uri)
        far = types.Position(line=500, character=80)
        doc = types.TextDocumentIdentifier(uri=uri)
        missing = types.TextDocumentIdentifier(uri=(root / "never-opened.py").as_uri())

        # Hover and code actions far past the end, and on a file that is not open.
        assert await client.text_document_hover_async(types.HoverParams(text_document=doc, position=far)) is None
        assert await client.text_document_hover_async(
            types.HoverParams(text_document=missing, position=types.Position(0, 0))) is None
        for target in (doc, missing):
            actions = await client.text_document_code_action_async(types.CodeActionParams(
                text_document=target, range=types.Range(start=far, end=far),
                context=types.CodeActionContext(diagnostics=[])))
            assert not actions
        # A command on a document that is not open is a clear error, not a crash.
        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="mycoder.explain", arguments=[{"uri": missing.uri, "position": {"line": 0, "character": 0}}]))
        assert result["kind"] == "error" and "never-opened.py" in result["message"]
        # Still alive.
        still = open_document(client, root / "h.py", BROKEN)
        assert "MC101" in codes(await wait_for_diagnostics(client, still))


async def test_an_undone_edit_gets_the_earlier_findings_for_its_own_version(root):
    # An edit applied and taken back (undo, redo) returns to a text checked a moment
    # ago: its findings come back for the new version, at that text's positions.
    text = "import os\n\n\ndef f(x):\n    return x\n"
    async with lsp_session(root, profile="neovim") as client:
        uri = open_document(client, root / "a.py", text)
        first = await wait_for_diagnostics(client, uri, version=1)
        unused = next(d for d in first if d.code == "MC313")
        assert unused.range.start.line == 0
        change(client, uri, 2, (0, 0), (0, 0), "import sys\n")  # a line above: the finding moves down
        second = await wait_for_diagnostics(client, uri, version=2)
        assert sorted(d.range.start.line for d in second if d.code == "MC313") == [0, 1]
        change(client, uri, 3, (0, 0), (1, 0), "")  # undo
        third = await wait_for_diagnostics(client, uri, version=3)
        assert [(d.code, d.range, d.message) for d in third] == [(d.code, d.range, d.message) for d in first]
        change(client, uri, 4, (0, 0), (0, 0), "import sys\n")  # redo
        fourth = await wait_for_diagnostics(client, uri, version=4)
        assert [(d.code, d.range, d.message) for d in fourth] == [(d.code, d.range, d.message) for d in second]
