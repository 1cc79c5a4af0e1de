"""No planted secret leaves the file it is in: not to a model, not to an
embedding server, not into the vault; and a model's placeholder never lands in
the user's file.

Every AI entry point runs through the real server (pytest-lsp) or the real
CLI, the model replaced only by the scripted server on loopback, which records
every request body. The vault embeds with the ``ollama`` embedder pointed at the
same server, so the chunks it would send out are recorded too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lsprotocol import types

from tests.e2e.lsp_session import lsp_session, server_env
from tests.e2e.test_vault import wait_index_end
from tests.support import planted_secrets as planted
from tests.support.brain_lsp import CODING, ORGANIZER, REASONING, Editor, attach, brains_options, command, pos
from tests.support.fake_ollama import FakeOllama

S = planted.SECRETS
COMPLETION = "qwen2.5-coder:1.5b"
INSTRUCTION_SECRET = S["secret in an instruction"]
TITLE_SECRET = S["secret in a feature title"]


def script(fake: FakeOllama) -> None:
    fake.set_script({"embed_dim": 16, "rules": [
        {"model": ORGANIZER, "reply": '{"intent": "explain", "target": "connect"}'},
        {"model": REASONING, "contains": "Findings, one per line", "reply": "NONE"},
        {"model": REASONING, "reply": "It builds the connection settings."},
        {"model": CODING, "reply": planted.CONNECT_ANSWER},
        {"model": COMPLETION, "reply": "timeout = float(timeout)"},
    ]})


def options(url: str) -> dict:
    return brains_options(url, vault={"embedder": "ollama", "embedding_url": url},
                          brains={"completion": {"url": url, "model": COMPLETION}})


def sent(fake: FakeOllama) -> str:
    """Everything the scripted server was sent, as one text."""
    return "\n".join(s for r in fake.requests for s in planted.strings_in(r.body))


def hover(client, uri: str, line: int, character: int):
    return client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character)))


async def test_no_planted_secret_reaches_a_model_or_the_vault(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    planted.plant(root)
    script(fake_ollama)
    line = planted.CONNECT_LINE
    async with lsp_session(root, profile="vscode", initialization_options=options(fake_ollama.url)) as client:
        await wait_index_end(client)
        created = await command(client, "mycoder.feature.create", {"title": f"Rotate the key {TITLE_SECRET}"})
        await command(client, "mycoder.feature.lock", {"id": created["id"]})

        path = root / "app/settings.py"
        editor = Editor(client, path.as_uri(), path.read_text())
        attach(client, editor)
        editor.open()
        uri = editor.uri
        results = [
            await command(client, "mycoder.explain", {"uri": uri, "position": pos(line + 1, 4)}),
            await command(client, "mycoder.review", {"uri": uri, "position": pos(0, 0)}),  # the whole file
            await command(client, "mycoder.explain", {"uri": uri, "position": pos(0, 0)}),
            await command(client, "mycoder.fix", {
                "uri": uri, "range": {"start": pos(line + 1, 4), "end": pos(line + 1, 10)},
                "diagnostics": [{"range": {"start": pos(line + 1, 4), "end": pos(line + 1, 10)},
                                 "message": "timeout must be a float", "severity": 2, "source": "test"}]}),
            await command(client, "mycoder.modify", {
                "uri": uri, "position": pos(line, 5),
                "instruction": f"make the timeout a float; the deploy token is {INSTRUCTION_SECRET}"}),
            # Ambiguous: the organizer is asked, with the request's text.
            await command(client, "mycoder.ask", {"uri": uri, "position": pos(line, 5),
                                                  "instruction": f"connect, thoughts? {INSTRUCTION_SECRET}"}),
        ]
        for result in results:
            assert result["kind"] in ("explanation", "review", "edit", "refused"), result
        explained = await hover(client, uri, line, 5)
        assert explained is not None
        # Inline completion (the fill-in-the-middle prompt holds the file around the cursor).
        await client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line + 1, 4)))

        for rel, language_id in (("config/app.yaml", "yaml"), ("docker-compose.yml", "yaml")):
            doc = Editor(client, (root / rel).as_uri(), (root / rel).read_text(), language_id=language_id).open()
            explained_file = await command(client, "mycoder.explain", {"uri": doc.uri, "position": pos(0, 0)})
            assert explained_file["kind"] == "explanation", explained_file

        # Save: the applied edit is learned (patterns and scratchpad store text too).
        path.write_text(editor.text)
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        summary = await command(client, "mycoder.index")
        assert summary["files"] == len(planted.FILES), summary
        learned = await command(client, "mycoder.patterns", {})
        assert isinstance(learned, list)

    chats = fake_ollama.chats()
    assert len(chats) >= 9 and any(r.path == "/api/embed" for r in fake_ollama.requests)
    assert any(r.model == ORGANIZER for r in chats)
    assert any(r.model == COMPLETION for r in chats), "the completion was not asked"
    assert planted.leaks(sent(fake_ollama)) == [], "planted secrets sent to the model server"
    assert planted.leaks(planted.vault_bytes(root)) == [], "planted secrets stored in the vault"


def cli(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", *args, "--root", str(root)], capture_output=True,
                          text=True, timeout=60, env=server_env(home))


def test_the_cli_sends_and_stores_no_planted_secret(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    planted.plant(root)
    script(fake_ollama)
    home = tmp_path / "home"
    user_config = home / "xdg-config" / "mycoder" / "config.toml"
    user_config.parent.mkdir(parents=True)
    user_config.write_text("".join(f'[brains.{name}]\nurl = "{fake_ollama.url}"\n'
                                   for name in ("organizer", "coding", "reasoning"))
                           + f'[vault]\nembedder = "ollama"\nembedding_url = "{fake_ollama.url}"\n')
    file = str(root / "app/settings.py")
    line = str(planted.CONNECT_LINE + 1)
    runs = [
        cli(root, home, "index"),
        cli(root, home, "ask", "--file", file, "--kind", "review", f"check it, the token is {INSTRUCTION_SECRET}"),
        cli(root, home, "ask", "--file", file, "--kind", "explain", "what does this file hold"),
        cli(root, home, "ask", "--file", file, "--line", line, "--kind", "fix", "timeout must be a float"),
        cli(root, home, "ask", "--file", file, "--line", line, f"connect, thoughts? {INSTRUCTION_SECRET}"),
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    assert len(fake_ollama.chats()) >= 4 and any(r.path == "/api/embed" for r in fake_ollama.requests)
    assert planted.leaks(sent(fake_ollama)) == [], "planted secrets sent to the model server"
    assert planted.leaks(planted.vault_bytes(root)) == [], "planted secrets stored in the vault"


TOKEN = S["github token"]
CLIENT_PY = f'''import os


def make_client(retries):
    token = "{TOKEN}"
    return {{"token": token, "retries": retries}}
'''


async def test_a_fix_next_to_a_secret_keeps_the_real_value_and_never_writes_a_placeholder(
        tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "client.py").write_text(CLIENT_PY)
    async with lsp_session(root, profile="neovim", initialization_options=brains_options(fake_ollama.url)) as client:
        editor = Editor(client, (root / "client.py").as_uri(), CLIENT_PY)
        attach(client, editor)
        editor.open()

        async def fix(answer: str) -> dict:
            fake_ollama.set_script({"rules": [{"model": CODING, "reply": answer}]})
            fake_ollama.reset()
            return await command(client, "mycoder.fix", {
                "uri": editor.uri, "range": {"start": pos(5, 4), "end": pos(5, 10)},
                "instruction": "retry three times by default",
                "diagnostics": [{"range": {"start": pos(5, 4), "end": pos(5, 10)},
                                 "message": "retries needs a default of 3", "severity": 2, "source": "test"}]})

        # The model saw a placeholder where the token is ...
        first = await fix("")
        prompt = fake_ollama.chats()[0].last_user
        assert TOKEN not in prompt and first["kind"] == "refused"
        placeholder = next(w.strip('"') for w in prompt.split() if "redacted" in w)
        assert placeholder.startswith("<redacted:")

        # ... and answers with it on the unchanged line: the file keeps the real token.
        kept = await fix(f'def make_client(retries=3):\n    token = "{placeholder}"\n'
                         '    return {"token": token, "retries": retries}\n')
        assert kept["kind"] == "edit" and kept["applied"] is True, kept
        assert editor.text == CLIENT_PY.replace("make_client(retries)", "make_client(retries=3)")

        # A placeholder the model moved or changed: refused, the file is unchanged.
        before = editor.text
        for answer in (f'def make_client(retries=3):\n    token = "{placeholder}-v2"\n    return {{"token": token}}\n',
                       f'def make_client(retries=3):\n    print("{placeholder}")\n    return {{}}\n',
                       'def make_client(retries=3):\n    token = "[REDACTED]"\n    return {"token": token}\n'):
            refused = await fix(answer)
            assert refused["kind"] == "refused", refused
            assert "a secret the model was not shown" in refused["message"] and "unchanged" in refused["message"]
            assert editor.text == before and "redacted" not in editor.text.lower()
