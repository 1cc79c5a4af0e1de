"""An edit's consequences in other files, end to end: the real server process,
a client that behaves like an editor over several files, the model replaced
by the scripted server. The project is tests/data/cross_file (its own check
is ``python check_shop.py``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.lsp_session import capabilities_for, lsp_session
from tests.support.brain_lsp import CODING, apply_text_edits, brains_options, command, messages, wait_until
from tests.support.fake_ollama import FakeOllama

DATA = Path(__file__).resolve().parents[1] / "data" / "cross_file"


class Files:
    """The editor's side: open documents kept in memory (and told to the
    server), closed files edited on disk, as an editor that saves them."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.open: dict[str, tuple[int, str]] = {}  # uri -> version, text
        self.applied: list[types.ApplyWorkspaceEditParams] = []
        self.asked: list[types.ShowMessageRequestParams] = []
        self.answer: str | None = None

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            return self.on_apply(params)

        @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def ask(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
            self.asked.append(params)
            return types.MessageActionItem(title=self.answer) if self.answer else None

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def text(self, name: str) -> str:
        uri = self.uri(name)
        return self.open[uri][1] if uri in self.open else (self.root / name).read_text()

    def show(self, name: str) -> str:
        uri = self.uri(name)
        text = (self.root / name).read_text()
        self.open[uri] = (1, text)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        return uri

    def on_apply(self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        self.applied.append(params)
        per_file: list[tuple[str, int | None, list[Any]]] = []
        for change in params.edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            per_file.append((change.text_document.uri, change.text_document.version, list(change.edits)))
        for uri, edits in (params.edit.changes or {}).items():
            per_file.append((uri, None, list(edits)))
        for uri, version, _ in per_file:
            if version is not None and (uri not in self.open or self.open[uri][0] != version):
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason=f"version mismatch: {uri}")
        for uri, _, edits in per_file:
            if uri in self.open:
                version, text = self.open[uri]
                text = apply_text_edits(text, edits)
                self.open[uri] = (version + 1, text)
                self.client.text_document_did_change(types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version + 1),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
            else:
                path = Path(uri.removeprefix("file://"))
                path.write_text(apply_text_edits(path.read_text(), edits))
        return types.ApplyWorkspaceEditResult(applied=True)

    def save_all(self) -> None:
        for uri, (_, text) in self.open.items():
            Path(uri.removeprefix("file://")).write_text(text)


def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop-ws"
    shutil.copytree(DATA, root)
    return root


def run_check(root: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The project's own check, in a fresh copy (no stale bytecode)."""
    copy = tmp_path / "check-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__", ".mycoder"))
    return subprocess.run([sys.executable, "check_shop.py"], cwd=copy, capture_output=True, text=True, timeout=60)


GET_USER = '''def get_user(user_id):
    """The user with this id."""
    return {"id": user_id, "name": f"user{user_id}"}'''


async def test_a_rename_updates_every_caller_in_the_same_workspace_edit(tmp_path, fake_ollama: FakeOllama):
    root = project(tmp_path)
    fake_ollama.reply(f"```python\n{GET_USER}\n```", model=CODING, contains="rename")
    async with lsp_session(root, profile="vscode", initialization_options=brains_options(fake_ollama.url)) as client:
        files = Files(client, root)
        users = files.show("shop/users.py")
        orders = files.show("shop/orders.py")  # open: edited with its version; the others are closed
        result = await command(client, "mycoder.modify", {"uri": users, "symbol": "fetch_user",
                                                          "instruction": "rename fetch_user to get_user"})
        assert result["kind"] == "edit" and result["applied"] is True, result
        assert not files.asked  # nothing left broken: no question
        (params,) = files.applied
        changed = {c.text_document.uri: c for c in params.edit.document_changes or []}
        assert set(changed) == {users, orders, files.uri("check_shop.py")}
        assert changed[orders].text_document.version == 1
        assert changed[files.uri("check_shop.py")].text_document.version is None  # closed: no version
        assert "updated 5 uses in 2 other files" in result["message"]

        # Its own file calls it by the new name too.
        assert 'return "Hello, " + get_user(user_id)["name"]' in files.text("shop/users.py")
        text = files.text("shop/orders.py")
        assert "from .users import get_user\n" in text and "owner = get_user(" in text
        assert "users.get_user(order" in text
        # Identifiers only: the comment and the string keep the old name.
        assert "# fetch_user looks the owner up" in text and 'LABEL = "fetch_user"' in text
        check = files.text("check_shop.py")
        assert "from shop.users import get_user as lookup" in check and "lookup(1)" in check
        assert "shop.users.get_user(4)" in check
        files.save_all()
        done = run_check(root, tmp_path)
        assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


async def test_a_removal_asks_first_and_cancel_changes_nothing(tmp_path, fake_ollama: FakeOllama):
    root = project(tmp_path)
    before = {p: (root / p).read_text() for p in ("shop/users.py", "shop/admin.py")}
    without = before["shop/users.py"].replace('def delete_user(user_id):\n    return {"deleted": user_id}\n\n\n', "")
    fake_ollama.reply(f"```python\n{without}```", model=CODING, contains="remove")
    async with lsp_session(root, profile="vscode", initialization_options=brains_options(fake_ollama.url)) as client:
        files = Files(client, root)
        users = files.show("shop/users.py")
        for answer in ("Cancel", None):  # Cancel, then no answer at all (the message dismissed)
            files.answer = answer
            result = await command(client, "mycoder.modify", {"uri": users,
                                                              "instruction": "remove delete_user, nobody needs it"})
            assert result["kind"] == "refused" and not result.get("applied"), result
            assert "delete_user was removed, but it is still used in 2 places: shop/admin.py:2, shop/admin.py:6" \
                in result["message"]
            assert not files.applied
            assert files.text("shop/users.py") == before["shop/users.py"]
            assert (root / "shop/admin.py").read_text() == before["shop/admin.py"]
        assert len(files.asked) == 2
        question = files.asked[0]
        assert question.type == types.MessageType.Warning
        assert "shop/admin.py:2" in question.message and question.message.endswith("Apply anyway?")
        assert [a.title for a in question.actions or []] == ["Apply", "Cancel"]
        assert any("Your files are unchanged" in m for m in messages(client))


async def test_a_signature_change_applied_anyway_shows_the_broken_callers(tmp_path, fake_ollama: FakeOllama):
    root = project(tmp_path)
    fake_ollama.reply('```python\ndef fetch_user(user_id, db):\n    """The user with this id, from db."""\n'
                      '    return db[user_id]\n```', model=CODING, contains="db")
    async with lsp_session(root, profile="neovim", initialization_options=brains_options(fake_ollama.url)) as client:
        files = Files(client, root)
        users = files.show("shop/users.py")
        orders = files.show("shop/orders.py")
        files.answer = "Apply"
        result = await command(client, "mycoder.modify", {"uri": users, "symbol": "fetch_user",
                                                          "instruction": "read the user from a db argument"})
        assert result["kind"] == "edit" and result["applied"] is True, result
        (question,) = files.asked
        assert "check_shop.py:8" in question.message and "shop/orders.py:8" in question.message
        # Its own file's caller too.
        assert "shop/users.py:14" in question.message
        assert result["warnings"] and "5 calls no longer fit it" in result["warnings"][0]
        assert "def fetch_user(user_id, db):" in files.text("shop/users.py")

        def cross(uri: str) -> list[types.Diagnostic]:
            return [d for d in client.diagnostics.get(uri, []) if d.source == "mycoder-cross-file"]

        # An open caller and a closed one both get the finding.
        check = files.uri("check_shop.py")
        await wait_until(lambda: cross(orders) and cross(check), timeout=15)
        assert sorted(d.range.start.line for d in cross(orders)) == [7, 12]
        assert all(d.code == "MC602" and "does not pass 'db'" in d.message for d in cross(orders) + cross(check))
        assert sorted(d.range.start.line for d in cross(check)) == [7, 10]
        await wait_until(lambda: cross(users), timeout=15)
        assert [d.range.start.line for d in cross(users)] == [13]


def test_ask_apply_writes_the_callers_too_and_refuses_what_would_break(tmp_path, fake_ollama: FakeOllama):
    root = project(tmp_path)
    (tmp_path / "xdg" / "mycoder").mkdir(parents=True)
    (tmp_path / "xdg" / "mycoder" / "config.toml").write_text(
        "".join(f'[brains.{n}]\nurl = "{fake_ollama.url}"\n' for n in ("organizer", "coding", "reasoning")))
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}

    def ask(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mycoder_lsp", "ask", "--root", str(root), "--kind", "modify",
                               "--file", "shop/users.py", "--apply", *argv], cwd=root, env=env, capture_output=True,
                              text=True, timeout=60)

    before = {p: (root / p).read_text() for p in ("shop/users.py", "shop/admin.py")}
    without = before["shop/users.py"].replace('def delete_user(user_id):\n    return {"deleted": user_id}\n\n\n', "")
    fake_ollama.reply(f"```python\n{without}```", model=CODING, contains="remove")
    out = ask("remove delete_user")
    assert out.returncode == 1, out.stderr
    assert "warning: delete_user was removed, but it is still used in 2 places: shop/admin.py:2" in out.stderr
    assert "not written" in out.stderr
    assert {p: (root / p).read_text() for p in before} == before

    fake_ollama.reply(f"```python\n{GET_USER}\n```", model=CODING, contains="rename")
    out = ask("--symbol", "fetch_user", "rename fetch_user to get_user")
    assert out.returncode == 0, out.stderr
    assert "+from .users import get_user" in out.stdout and "+++ b/check_shop.py" in out.stdout
    assert "from .users import get_user" in (root / "shop/orders.py").read_text()
    done = run_check(root, tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


async def test_a_previewed_rename_shows_the_other_files_and_applies_them_on_accept(tmp_path, fake_ollama: FakeOllama):
    root = project(tmp_path)
    fake_ollama.reply(f"```python\n{GET_USER}\n```", model=CODING, contains="rename")
    caps = capabilities_for("vscode")
    caps.experimental = {"mycoder": {"editPreview": True}}
    async with lsp_session(root, capabilities=caps, initialization_options=brains_options(fake_ollama.url)) as client:
        files = Files(client, root)
        users = files.show("shop/users.py")
        result = await command(client, "mycoder.modify", {"uri": users, "symbol": "fetch_user",
                                                          "instruction": "rename fetch_user to get_user"})
        assert result["kind"] == "edit" and result["applied"] is False, result
        proposal = result["proposal"]
        assert sorted(Path(r["path"]).name for r in proposal["related"]) == ["check_shop.py", "orders.py"]
        orders = next(r for r in proposal["related"] if r["path"].endswith("orders.py"))
        assert "from .users import get_user\n" in orders["new_text"] and len(orders["edits"]) == 3
        # The proposal's own edits are the edited document's only.
        assert all(e["range"]["start"]["line"] >= 3 for e in proposal["edits"]) and len(proposal["edits"]) == 2
        assert not files.applied and "get_user" not in (root / "shop/orders.py").read_text()

        accepted = await command(client, "mycoder.acceptEdit", proposal["id"])
        assert accepted["applied"] is True, accepted
        assert "from .users import get_user\n" in (root / "shop/orders.py").read_text()
        files.save_all()
        done = run_check(root, tmp_path)
        assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
