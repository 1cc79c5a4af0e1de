"""The brain commands end to end: real server process, real LSP client,
the model replaced only by the scripted Ollama server on loopback."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from tests.e2e.lsp_session import lsp_session
from tests.support.brain_lsp import (
    CODING,
    ORGANIZER,
    REASONING,
    Editor,
    attach,
    brains_options,
    command,
    messages,
    pos,
    progress_token,
    wait_until,
)
from tests.support.fake_ollama import FakeOllama

DOC = '''import os


def parse(text):
    return [line for line in text.splitlines() if line]


class Calc:
    def mul(self, a, b):
        return a * b

    def sub(self, a, b):
        return a - b


def main():
    print(parse(os.environ.get("X", "")))
'''

PARSE_WITH_DOCSTRING = '''def parse(text):
    """The non-empty lines of text."""
    return [line for line in text.splitlines() if line]'''


async def open_editor(client, root, text=DOC, name="m.py") -> Editor:
    editor = Editor(client, (root / name).as_uri(), text)
    attach(client, editor)
    return editor.open()


async def test_modify_applies_a_minimal_edit_cleaned_of_fences_and_preamble(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply(f"Sure! Here's the updated function:\n\n```python\n{PARSE_WITH_DOCSTRING}\n```\n\n"
                      "I hope this helps!", model=CODING, pieces=7)
    async with lsp_session(root, profile="vscode", initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root)
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "position": pos(4, 6),
                                                          "instruction": "add a docstring"})
        assert result["kind"] == "edit", result
        assert result["applied"] is True and result["target"] == "parse"
        assert editor.text == DOC.replace('def parse(text):\n    return', PARSE_WITH_DOCSTRING.rsplit("\n", 1)[0]
                                          + "\n    return")
        (params,) = editor.applied
        (change,) = params.edit.document_changes
        assert change.text_document.version == 1  # VS Code gets a versioned edit
        (text_edit,) = change.edits
        # Minimal: only the target symbol's lines are replaced.
        assert (text_edit.range.start.line, text_edit.range.end.line) == (3, 4)
        (req,) = fake_ollama.chats()
        assert req.model == CODING and "add a docstring" in req.last_user and "def parse(text):" in req.last_user
        assert "class Calc" not in req.last_user  # only the target, not the file
        assert any("Changed parse" in m for m in messages(client))

        # An editor that refuses the edit: reported, nothing changes.
        editor.change(DOC)
        editor.accept = False
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "parse",
                                                          "instruction": "add a docstring"})
        assert result["kind"] == "refused" and "the user said no" in result["message"]
        assert editor.text == DOC


async def test_explain_review_fix_and_ask(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply("**Multiplies** two numbers and returns the product.", model=REASONING, contains="explain")
    fake_ollama.reply("10: warning: mul does not check that a and b are numbers\n"
                      "13: error: sub has the operands the wrong way round", model=REASONING, contains="review")
    fake_ollama.reply("def sub(self, a, b):\n    return b - a", model=CODING, contains="operands")
    fake_ollama.reply("It prints the parsed lines of $X.", model=REASONING, contains="main")
    async with lsp_session(root, profile="neovim", initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root)

        explained = await command(client, "mycoder.explain", {"uri": editor.uri, "position": pos(9, 8)})
        assert explained["kind"] == "explanation" and explained["target"] == "Calc.mul"
        assert explained["text"] == "Multiplies two numbers and returns the product."
        assert any(m.endswith("Multiplies two numbers and returns the product.") for m in messages(client))

        reviewed = await command(client, "mycoder.review", {"uri": editor.uri, "symbol": "Calc"})
        assert reviewed["kind"] == "review" and len(reviewed["findings"]) == 2
        await wait_until(lambda: any(d.source == "mycoder-review" for d in client.diagnostics.get(editor.uri, [])))
        review = [d for d in client.diagnostics[editor.uri] if d.source == "mycoder-review"]
        assert sorted((d.range.start.line, d.severity) for d in review) == [
            (9, types.DiagnosticSeverity.Warning), (12, types.DiagnosticSeverity.Error)]
        assert "10| " in fake_ollama.chats()[-1].last_user  # the model saw the file's line numbers

        wrong = next(d for d in review if d.severity == types.DiagnosticSeverity.Error)
        fixed = await command(client, "mycoder.fix", {
            "uri": editor.uri, "range": {"start": pos(12, 8), "end": pos(12, 20)},
            "diagnostics": [{"range": {"start": pos(12, 8), "end": pos(12, 20)}, "message": wrong.message,
                             "severity": 1, "source": "mycoder-review", "code": "review"}]})
        assert fixed["kind"] == "edit" and fixed["target"] == "Calc.sub", fixed
        assert "    def sub(self, a, b):\n        return b - a\n" in editor.text
        assert "def mul(self, a, b):\n        return a * b" in editor.text
        assert "operands the wrong way round" in fake_ollama.chats()[-1].last_user
        # The review described the old text: once the document changes it goes.
        await wait_until(lambda: not any(d.source == "mycoder-review" for d in client.diagnostics.get(editor.uri, [])))

        asked = await command(client, "mycoder.ask", {"uri": editor.uri, "position": pos(16, 4),
                                                      "instruction": "explain what main does"})
        assert asked["kind"] == "explanation" and asked["route"]["intent"] == "explain", asked
        assert asked["route"]["via"] in ("rules", "organizer", "fallback")


async def test_ask_routes_ambiguous_requests_through_the_organizer(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply('{"choice": "review"}', model=ORGANIZER)
    fake_ollama.reply("5: info: empty lines are dropped silently", model=REASONING)
    async with lsp_session(root, initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root)
        # The rules cannot tell what "parse(), thoughts?" wants: the organizer
        # chooses the intent (the rules find the target).
        result = await command(client, "mycoder.ask", {"uri": editor.uri, "position": pos(0, 0),
                                                       "instruction": "parse(), thoughts?"})
        assert result["route"]["via"] == "organizer", result
        assert result["kind"] == "review" and result["target"] == "parse"
        organizer = [r for r in fake_ollama.chats() if r.model == ORGANIZER]
        assert len(organizer) == 1 and "review" in organizer[0].body["format"]["properties"]["choice"]["enum"]
        assert organizer[0].body["options"]["num_predict"] <= 64
        # The organizer answering nonsense: the rules' best guess stands.
        fake_ollama.set_script({"rules": [{"model": ORGANIZER, "reply": "I think it is fine"},
                                          {"model": REASONING, "reply": "It splits text into lines."},
                                          {"model": CODING, "reply": "def parse(text):\n    return []"}]})
        again = await command(client, "mycoder.ask", {"uri": editor.uri, "position": pos(4, 4),
                                                      "instruction": "parse(), thoughts?"})
        assert again["route"]["via"] == "fallback" and again["kind"] in ("explanation", "review", "edit"), again


async def test_repair_round_and_never_applying_a_broken_edit(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    dropped = "class Calc:\n    def mul(self, a, b):\n        return a * b * 1\n"
    whole = dropped + "\n    def sub(self, a, b):\n        return a - b\n"
    fake_ollama.reply(dropped, model=CODING, times=1)
    fake_ollama.reply(whole, model=CODING, contains="validation found", times=1)
    async with lsp_session(root, initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root)
        # 1. The first answer drops a method; the second, told so, keeps it.
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "Calc",
                                                          "instruction": "multiply by one in mul"})
        assert result["kind"] == "edit" and result["repaired"] is True, result
        assert "return a * b * 1" in editor.text and "def sub(self, a, b):" in editor.text
        first, second = fake_ollama.chats()
        assert [m["role"] for m in second.body["messages"]] == ["system", "user", "assistant", "user"]
        assert "sub" in second.last_user  # the finding named what was dropped

        # 2. The first answer does not parse; the second does.
        editor.change(DOC)
        fake_ollama.set_script({"rules": [
            {"model": CODING, "times": 1,
             "reply": "def parse(text):\n    return [line for line in text.splitlines() if line"},
            {"model": CODING, "times": 1, "reply": PARSE_WITH_DOCSTRING}]})
        fake_ollama.reset()
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "parse",
                                                          "instruction": "add a docstring"})
        assert result["kind"] == "edit" and result["repaired"] is True, result
        assert PARSE_WITH_DOCSTRING in editor.text
        assert len(fake_ollama.chats()) == 2

        # 3. Both answers are broken: nothing is applied, the user is told why.
        editor.change(DOC)
        applied_before = len(editor.applied)
        fake_ollama.set_script({"rules": [{"model": CODING, "reply": "def parse(text):\n    return [line for line in\n"}]})
        fake_ollama.reset()
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "parse",
                                                          "instruction": "add a docstring"})
        assert result["kind"] == "refused", result
        assert "after one repair round" in result["message"] and "unchanged" in result["message"]
        assert len(editor.applied) == applied_before and editor.text == DOC
        assert len(fake_ollama.chats()) == 2  # exactly one repair round
        assert any("Not applied" in m for m in messages(client))

        # 4. The first answer imports a package that exists nowhere; the second does without.
        fake_ollama.set_script({"rules": [
            {"model": CODING, "times": 1, "reply": "def parse(text):\n    import yamlish_fastparse\n"
                                                   "    return yamlish_fastparse.lines(text)"},
            {"model": CODING, "times": 1, "reply": PARSE_WITH_DOCSTRING}]})
        fake_ollama.reset()
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "parse",
                                                          "instruction": "use a faster parser"})
        assert result["kind"] == "edit" and result["repaired"] is True, result
        assert "yamlish_fastparse" in fake_ollama.chats()[1].last_user
        assert "yamlish_fastparse" not in editor.text and PARSE_WITH_DOCSTRING in editor.text


async def test_faults_each_get_one_clear_message(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    options = brains_options(fake_ollama.url, brains={"coding": {"timeout": 1.0}})
    cases = [
        ({"models": ["other:1b"], "rules": [{"reply": "x"}]}, "run `ollama pull codellama:7b`"),
        ({"rules": [{"status": 500, "error": "CUDA out of memory"}]}, "HTTP 500: CUDA out of memory"),
        ({"rules": [{"reply": "def parse(text):\n    return 1\n", "pieces": 6, "cut": 2}]}, "broke off"),
        ({"rules": [{"reply": "def parse(text):\n    return 1\n", "pieces": 4, "garbage": True}]}, "not JSON"),
        ({"rules": [{"reply": "def parse(text):\n    return 1\n", "pieces": 4, "delay": 0.6}]},
         "did not answer within 1 s"),
    ]
    async with lsp_session(root, initialization_options=options) as client:
        editor = await open_editor(client, root)
        for script, expected in cases:
            fake_ollama.set_script(script)
            shown = len(client.messages)
            result = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "parse",
                                                              "instruction": "add a docstring"})
            assert result["kind"] == "error" and expected in result["message"], (expected, result)
            new = client.messages[shown:]
            assert [m.type for m in new] == [types.MessageType.Error] and expected in new[0].message
        assert editor.applied == [] and editor.text == DOC


async def test_server_down_foreign_endpoint_and_bad_arguments(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    down = FakeOllama.down_url()
    options = brains_options(down, brains={"reasoning": {"url": "http://10.1.2.3:11434"}})
    async with lsp_session(root, initialization_options=options) as client:
        editor = await open_editor(client, root)
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "parse",
                                                          "instruction": "add a docstring"})
        assert result["kind"] == "error"
        assert f"Ollama is not reachable at {down}" in result["message"] and "ollama serve" in result["message"]
        foreign = await command(client, "mycoder.explain", {"uri": editor.uri, "symbol": "parse"})
        assert foreign["kind"] == "error"
        assert "not on this machine" in foreign["message"]
        assert 'add "10.1.2.3" to brains.allowed_hosts' in foreign["message"]
        missing = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "parse"})
        assert missing["kind"] == "error" and "needs an instruction" in missing["message"]
        nothing = await command(client, "mycoder.review", None)
        assert nothing["kind"] == "error" and "uri" in nothing["message"]
        unknown = await command(client, "mycoder.review", {"uri": editor.uri, "symbol": "nope"})
        assert unknown["kind"] == "refused" and "no symbol named 'nope'" in unknown["message"]
        assert editor.text == DOC


async def test_progress_and_cancellation(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    fake_ollama.reply("def parse(text):\n" + "    x = 1\n" * 40 + "    return x\n", model=CODING, pieces=40,
                      delay=0.15)
    async with lsp_session(root, profile="vscode", initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root)
        task = asyncio.ensure_future(command(client, "mycoder.modify", {
            "uri": editor.uri, "symbol": "parse", "instruction": "unroll it"}, msg_id="slow-1"))

        def reports() -> list[types.WorkDoneProgressReport]:
            token = progress_token(client, "MyCoder: modify")
            return [v for v in client.progress_reports.get(token, []) if isinstance(v, types.WorkDoneProgressReport)]

        await wait_until(lambda: len(reports()) >= 2)
        assert "generating… " in (reports()[-1].message or "") and "tokens" in (reports()[-1].message or "")
        token = progress_token(client, "MyCoder: modify")
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="slow-1"))
        try:
            await task
        except Exception as exc:  # the request answers "cancelled"
            assert "cancel" in str(exc).lower()
        (req,) = fake_ollama.chats()
        await wait_until(lambda: req.outcome == "aborted", timeout=5)
        await wait_until(lambda: isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd))
        assert editor.applied == []
        # The progress' cancel button stops a model call too.
        fake_ollama.set_script({"rules": [{"model": REASONING, "reply": "It " + "really " * 60 + "parses.",
                                           "pieces": 60, "delay": 0.1}]})
        fake_ollama.reset()
        task = asyncio.ensure_future(command(client, "mycoder.explain", {"uri": editor.uri, "symbol": "parse"}))
        await wait_until(lambda: any(isinstance(v, types.WorkDoneProgressReport)
                                     for v in client.progress_reports.get(progress_token(client, "MyCoder: explain"), [])))
        token = progress_token(client, "MyCoder: explain")
        client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token))
        result = await task
        assert result["kind"] == "cancelled"
        (req,) = fake_ollama.chats()
        await wait_until(lambda: req.outcome == "aborted", timeout=5)
        # The server is still fine: the next request works.
        fake_ollama.set_script({"rules": [{"reply": "It parses.", "model": REASONING}]})
        result = await command(client, "mycoder.explain", {"uri": editor.uri, "symbol": "parse"})
        assert result["kind"] == "explanation"


async def test_whole_file_answer_brings_its_imports_as_a_second_edit(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    whole_file = DOC.replace("import os\n", "import os\nimport re\n").replace(
        "    return [line for line in text.splitlines() if line]",
        "    return [line for line in re.split(r'\\n+', text) if line]")
    fake_ollama.reply(f"```python\n{whole_file}```", model=CODING)
    async with lsp_session(root, profile="neovim", initialization_options=brains_options(fake_ollama.url)) as client:
        editor = await open_editor(client, root)
        result = await command(client, "mycoder.modify", {"uri": editor.uri, "symbol": "parse",
                                                          "instruction": "split with a regex"})
        assert result["kind"] == "edit", result
        assert editor.text == whole_file
        (params,) = editor.applied
        edits = params.edit.changes[editor.uri]
        assert len(edits) == 2  # the function, and the import it needs
        (import_edit,) = [e for e in edits if "import re" in e.new_text]
        assert import_edit.range.start.line <= 1 and "def parse" not in import_edit.new_text


async def test_a_cancel_that_arrives_with_its_request_stops_it_before_any_model_call(tmp_path, fake_ollama: FakeOllama):
    # The request and its $/cancelRequest in one read: pygls drops the
    # request's future before our handler has run. The command must still
    # stop, never reach the model, and say so (before: it ran to the end and
    # applied its edit although the user had cancelled it).
    from tests.e2e.test_protocol_robustness import notification, raw_server, request

    fake_ollama.reply(PARSE_WITH_DOCSTRING, model=CODING, pieces=4)
    async with raw_server(tmp_path, initialize=False) as server:
        root = tmp_path / "ws"
        await server.call("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {},
                                         "initializationOptions": brains_options(fake_ollama.url)})
        await server.send(notification("initialized", {}))
        uri = (root / "m.py").as_uri()
        await server.send(notification("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": DOC}}))
        await server.send(request("slow-1", "workspace/executeCommand", {"command": "mycoder.modify", "arguments": [
            {"uri": uri, "symbol": "parse", "instruction": "add a docstring"}]})
            + notification("$/cancelRequest", {"id": "slow-1"}))
        told = await server.wait_for(lambda m: m.get("method") == "window/showMessage"
                                     and "Cancelled" in m["params"]["message"])
        assert told["params"]["type"] == types.MessageType.Info
        await server.probe()  # still serving
    assert fake_ollama.chats() == []
    assert not [m for m in server.received if m.get("method") == "workspace/applyEdit"]
