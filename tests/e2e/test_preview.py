"""Review before apply, end to end: a client that can show a preview gets a
proposal and nothing is applied until ``mycoder.acceptEdit``; a client with
change annotations gets the edit marked ``needsConfirmation``; any other
client, or ``edits.preview = false``, gets it applied at once. Real server
process, real LSP client, the model replaced only by the scripted server."""

from __future__ import annotations

from lsprotocol import types

from tests.e2e.lsp_session import capabilities_for, lsp_session
from tests.e2e.test_vault import until, wait_index_end
from tests.support.brain_lsp import CODING, Editor, attach, brains_options, command, messages, pos, wait_until
from tests.support.fake_ollama import FakeOllama

DOC = '''def parse(text):
    return [line for line in text.splitlines() if line]


def total(values):
    return sum(values)
'''
PARSE_DOC = '''def parse(text):
    """The non-empty lines of text."""
    return [line for line in text.splitlines() if line]'''
NEW_DOC = DOC.replace("def parse(text):\n", 'def parse(text):\n    """The non-empty lines of text."""\n', 1)
MODIFY = {"position": pos(0, 5), "instruction": "document parse with a docstring"}


def previewing(profile: str = "neovim") -> types.ClientCapabilities:
    """A recorded editor profile plus the capability our two editors declare."""
    caps = capabilities_for(profile)
    caps.experimental = {"mycoder": {"editPreview": True}}
    return caps


def save(client, editor: Editor, path) -> None:
    path.write_text(editor.text)
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri)))


async def open_editor(client, path, text=DOC) -> Editor:
    editor = Editor(client, path.as_uri(), text)
    attach(client, editor)
    return editor.open()


async def test_a_proposal_is_shown_not_applied_then_accepted_and_learned(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    (root / ".mycoder").mkdir(parents=True)
    # A repository may not switch off the user's review of edits.
    (root / ".mycoder" / "config.toml").write_text("[edits]\npreview = false\n")
    path = root / "m.py"
    path.write_text(DOC)
    fake_ollama.reply(f"```python\n{PARSE_DOC}\n```", model=CODING)
    async with lsp_session(root, capabilities=previewing(),
                           initialization_options=brains_options(fake_ollama.url)) as client:
        await wait_index_end(client)
        editor = await open_editor(client, path)
        result = await command(client, "mycoder.modify", {"uri": editor.uri, **MODIFY})
        assert result["kind"] == "edit" and result["applied"] is False, result
        proposal = result["proposal"]
        assert proposal["uri"] == editor.uri and proposal["version"] == 1
        assert proposal["new_text"] == NEW_DOC and proposal["warnings"] == [] and proposal["related"] == []
        assert proposal["label"].startswith("Changed parse")
        (edit,) = proposal["edits"]
        assert edit["range"]["start"]["line"] == 0 and '"""The non-empty lines of text."""' in edit["new_text"]
        assert editor.applied == [] and editor.text == DOC  # nothing applied yet
        assert any("edits.preview" in m and "may not" in m for m in messages(client))

        accepted = await command(client, "mycoder.acceptEdit", proposal["id"])
        assert accepted["kind"] == "edit" and accepted["applied"] is True, accepted
        assert editor.text == NEW_DOC and len(editor.applied) == 1
        assert editor.applied[0].edit.changes is not None  # Neovim 0.7 takes plain changes
        assert any(m.endswith("Changed parse") or "Changed parse" in m for m in messages(client))
        # Accepted means applied: like an edit applied at once it is learned at the next save.
        save(client, editor, path)
        learned = await until(lambda: command(client, "mycoder.patterns", {}))
        assert [p["user_intent"] for p in learned] == ["document parse with a docstring"]

        # Once accepted it is gone: a second accept says so and changes nothing.
        again = await command(client, "mycoder.acceptEdit", proposal["id"])
        assert again["kind"] == "error" and "No proposed edit" in again["message"]
        assert editor.text == NEW_DOC


async def test_a_rejected_edit_is_discarded(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply(f"```python\n{PARSE_DOC}\n```", model=CODING)
    async with lsp_session(root, capabilities=previewing("vscode"),
                           initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root / "m.py")
        result = await command(client, "mycoder.modify", {"uri": editor.uri, **MODIFY})
        proposal = result["proposal"]
        rejected = await command(client, "mycoder.rejectEdit", {"id": proposal["id"]})
        assert rejected == {"kind": "discarded", "message": "Discarded.", "id": proposal["id"]}
        assert any(m.endswith("Discarded.") for m in messages(client))
        accepted = await command(client, "mycoder.acceptEdit", proposal["id"])
        assert accepted["kind"] == "error" and editor.applied == [] and editor.text == DOC

        # No id: the newest proposal. A bad argument: one clear message.
        await command(client, "mycoder.modify", {"uri": editor.uri, **MODIFY})
        assert (await command(client, "mycoder.acceptEdit"))["applied"] is True
        assert editor.text == NEW_DOC
        bad = await command(client, "mycoder.rejectEdit", 42)
        assert bad["kind"] == "error" and "takes the id of a proposed edit" in bad["message"]


async def test_accept_after_the_document_changed_is_refused(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply(f"```python\n{PARSE_DOC}\n```", model=CODING)
    async with lsp_session(root, capabilities=previewing(),
                           initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root / "m.py")
        proposal = (await command(client, "mycoder.modify", {"uri": editor.uri, **MODIFY}))["proposal"]
        edited = DOC + "\n\nimport os\n"  # an unused import: a finding to wait for
        editor.change(edited)
        # The proposal was computed against version 1: applying it now would
        # overwrite what the user typed since.
        await wait_until(lambda: bool(client.diagnostics.get(editor.uri)))
        accepted = await command(client, "mycoder.acceptEdit", proposal["id"])
        assert accepted["kind"] == "refused" and accepted["applied"] is False, accepted
        assert accepted["message"].startswith("Not applied: the document changed")
        assert editor.applied == [] and editor.text == edited

        # A proposal goes when its document closes (closing clears its findings:
        # the server has dropped the proposal by the time they are cleared).
        proposal = (await command(client, "mycoder.modify", {"uri": editor.uri, **MODIFY}))["proposal"]
        assert proposal["version"] == 2
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=editor.uri)))
        await wait_until(lambda: not client.diagnostics[editor.uri])
        gone = await command(client, "mycoder.acceptEdit", proposal["id"])
        assert gone["kind"] == "error" and "No proposed edit" in gone["message"]


async def test_a_client_without_the_capability_gets_the_edit_at_once(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply(f"```python\n{PARSE_DOC}\n```", model=CODING)
    async with lsp_session(root, profile="neovim", initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root / "m.py")
        result = await command(client, "mycoder.modify", {"uri": editor.uri, **MODIFY})
        assert result["applied"] is True and "proposal" not in result and editor.text == NEW_DOC
        (params,) = editor.applied
        assert params.edit.change_annotations is None


async def test_preview_off_applies_at_once_even_where_a_preview_could_be_shown(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply(f"```python\n{PARSE_DOC}\n```", model=CODING)
    options = brains_options(fake_ollama.url, edits={"preview": False})
    async with lsp_session(root, capabilities=previewing("vscode"), initialization_options=options) as client:
        editor = await open_editor(client, root / "m.py")
        result = await command(client, "mycoder.modify", {"uri": editor.uri, **MODIFY})
        assert result["applied"] is True and "proposal" not in result and editor.text == NEW_DOC
        (params,) = editor.applied
        assert params.edit.change_annotations is None
        (change,) = params.edit.document_changes
        assert all(isinstance(e, types.TextEdit) for e in change.edits)


async def test_a_client_with_change_annotations_is_asked_to_confirm(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply(f"```python\n{PARSE_DOC}\n```", model=CODING)
    # VS Code's recorded profile: change annotations, no editPreview (another extension's client).
    async with lsp_session(root, profile="vscode", initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root / "m.py")
        result = await command(client, "mycoder.modify", {"uri": editor.uri, **MODIFY})
        assert result["applied"] is True and editor.text == NEW_DOC
        (params,) = editor.applied
        (change,) = params.edit.document_changes
        assert change.text_document.version == 1
        (text_edit,) = change.edits
        assert isinstance(text_edit, types.AnnotatedTextEdit)
        annotation = params.edit.change_annotations[text_edit.annotation_id]
        assert annotation.needs_confirmation is True and annotation.label.startswith("MyCoder: Changed parse")

        # The user said no in the editor's confirmation: nothing changes, and they are told.
        editor.change(DOC)
        editor.accept = False
        result = await command(client, "mycoder.modify", {"uri": editor.uri, **MODIFY})
        assert result["kind"] == "refused" and "the user said no" in result["message"]
        assert editor.text == DOC
