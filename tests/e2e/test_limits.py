"""The server's limits end to end (issue #8): what commands may read, the size
limit on every parse, capped model answers, and the breaker for a model server
that stops answering. Real server process, real LSP client, the model replaced
only by the scripted server on loopback."""

from __future__ import annotations

import re
import time

from lsprotocol import types

from tests.e2e.lsp_session import lsp_session, wait_for_diagnostics
from tests.e2e.test_brain_actions import DOC
from tests.support.brain_lsp import REASONING, Editor, attach, brains_options, command, messages, pos, wait_until
from tests.support.fake_ollama import FakeOllama

SECRET = "def leak():\n    return 'the contents of a private file'\n"


async def hover(client, uri: str, line: int, character: int) -> types.Hover | None:
    return await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)))


async def test_commands_read_only_open_documents_and_files_inside_the_workspace(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    (tmp_path / "outside.py").write_text(SECRET)
    (root / "inside.py").write_text(DOC)
    (root / "link.py").symlink_to(tmp_path / "outside.py")
    (root / "sub").mkdir()
    fake_ollama.reply("It multiplies.", model=REASONING)
    async with lsp_session(root, initialization_options=brains_options(fake_ollama.url)) as client:
        for uri in ((tmp_path / "outside.py").as_uri(),  # never opened, outside
                    root.as_uri() + "/sub/../../outside.py",  # `..` out of the workspace
                    (root / "link.py").as_uri(),  # a link inside pointing outside
                    "untitled:Untitled-1"):  # not a file, not open
            result = await command(client, "mycoder.explain", {"uri": uri, "position": pos(0, 4)})
            assert result["kind"] == "error", (uri, result)
            assert "open" in result["message"], result
        assert fake_ollama.chats() == []
        assert not any("the contents of a private file" in m for m in messages(client))

        # A file inside the workspace needs no editor; an open document is fine wherever it is.
        inside = await command(client, "mycoder.explain", {"uri": (root / "inside.py").as_uri(), "symbol": "Calc.mul"})
        assert inside["kind"] == "explanation", inside
        outside = Editor(client, (tmp_path / "outside.py").as_uri(), SECRET).open()
        opened = await command(client, "mycoder.explain", {"uri": outside.uri, "symbol": "leak"})
        assert opened["kind"] == "explanation", opened
        assert len(fake_ollama.chats()) == 2


def big_python(size: int) -> str:
    block = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(200))
    return "import os\n\n\n" + block * (size // len(block) + 1)


async def test_documents_over_the_size_limit_are_never_parsed(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    limit = 100_000
    text = big_python(3_000_000)
    (root / "on_disk.py").write_text(text)
    options = brains_options(fake_ollama.url, validation={"max_file_size": limit}, hover={"explain": False})
    async with lsp_session(root, initialization_options=options) as client:
        big = Editor(client, (root / "big.py").as_uri(), text).open()
        small = Editor(client, (root / "small.py").as_uri(), DOC).open()
        diagnostics = await wait_for_diagnostics(client, big.uri)
        assert [d.code for d in diagnostics] == ["MC001"]

        t0 = time.perf_counter()
        assert await hover(client, big.uri, 3, 6) is None  # on `def helper_0`: parsing would have found it
        answered = await hover(client, small.uri, 3, 5)  # other documents still hover, at once
        assert time.perf_counter() - t0 < 1.0
        assert answered is not None and "def parse(text):" in answered.contents.value

        listed = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=big.uri), range=types.Range(start=types.Position(3, 6),
                                                                                        end=types.Position(3, 6)),
            context=types.CodeActionContext(diagnostics=[])))
        assert not listed

        for uri in (big.uri, (root / "on_disk.py").as_uri()):
            result = await command(client, "mycoder.explain", {"uri": uri, "symbol": "helper_0"})
            assert result["kind"] == "error" and "too large" in result["message"], result
            assert f"{len(text):,} bytes is over the {limit:,}-byte limit" in result["message"]
        assert fake_ollama.chats() == []


async def test_a_huge_model_answer_is_cut_for_the_editor(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    answer = "Multiplies. " + "And then some more words about it. " * 6000  # ~210 KB
    fake_ollama.reply(answer, model=REASONING, contains="def mul", pieces=30)
    endless = "It parses. " + "On and on. " * 60000  # ~660 KB, over the hard cap
    fake_ollama.reply(endless, model=REASONING, contains="def parse", pieces=60)
    options = brains_options(fake_ollama.url, hover={"wait_ms": 10000})
    async with lsp_session(root, initialization_options=options) as client:
        editor = Editor(client, (root / "m.py").as_uri(), DOC)
        attach(client, editor)
        editor.open()
        result = await command(client, "mycoder.explain", {"uri": editor.uri, "symbol": "Calc.mul"})
        assert result["kind"] == "explanation"
        note = f"… (cut: the answer was {len(answer.encode()) // 1024:,} KB; see the output/log)"
        for text in (result["text"], result["message"], messages(client)[-1].removeprefix("MyCoder: ")):
            assert text.startswith("Multiplies.") and text.endswith(note), text[-200:]
            assert len(text.encode()) < 64 * 1024 + 200

        shown = await hover(client, editor.uri, 9, 9)
        assert shown is not None and shown.contents.value.endswith(note)
        assert len(shown.contents.value.encode()) < 64 * 1024 + 1000

        # Past the hard cap the stream is not even read to its end.
        cut = await command(client, "mycoder.explain", {"uri": editor.uri, "symbol": "parse"})
        assert cut["kind"] == "explanation"
        read_kb = int(re.search(r"\(cut: the answer was (\d+) KB", cut["text"]).group(1))
        assert 256 <= read_kb < 270 < len(endless) // 1024, read_kb  # 256 K characters and the piece that crossed it


async def test_a_model_server_that_stops_answering_trips_the_breaker(tmp_path, fake_ollama: FakeOllama):
    root = tmp_path / "ws"
    root.mkdir()
    wait_ms = 1000
    # Hung: the model never answers, and neither does the server's /api/version.
    fake_ollama.set_script({"rules": [{"model": REASONING, "reply": "never", "delay": 60},
                                      {"path": "/api/version", "delay": 60}]})
    options = brains_options(fake_ollama.url, hover={"wait_ms": wait_ms})
    async with lsp_session(root, initialization_options=options) as client:
        editor = Editor(client, (root / "m.py").as_uri(), DOC).open()
        first = await hover(client, editor.uri, 3, 5)
        assert first is not None and "still thinking" in first.contents.value

        def told() -> list[str]:
            return [m for m in messages(client) if "is not answering" in m]

        await wait_until(lambda: told(), timeout=10)
        assert fake_ollama.url in told()[0] and "retries in the background" in told()[0]

        for line, col in ((9, 9), (13, 5), (3, 5), (9, 9)):
            t0 = time.perf_counter()
            shown = await hover(client, editor.uri, line, col)
            elapsed = time.perf_counter() - t0
            assert shown is not None and "```python" in shown.contents.value
            assert "still thinking" not in shown.contents.value and "---" not in shown.contents.value
            assert elapsed < wait_ms / 1000 / 4, elapsed
        t0 = time.perf_counter()
        failed = await command(client, "mycoder.explain", {"uri": editor.uri, "symbol": "main"})
        assert time.perf_counter() - t0 < 0.5
        assert failed["kind"] == "error" and "is not answering" in failed["message"]
        assert len(fake_ollama.chats()) == 1  # only the first hover's
        assert len(told()) == 1

        # The server answers again: the breaker closes, explanations come back.
        fake_ollama.set_script({"rules": [{"model": REASONING, "reply": "Multiplies a by b."}]})
        await wait_until(lambda: any("answers again" in m for m in messages(client)), timeout=20)
        again = await hover(client, editor.uri, 9, 9)
        assert again is not None and "Multiplies a by b." in again.contents.value
        assert len(told()) == 1
