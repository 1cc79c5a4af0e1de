"""Completion end to end: the real server process through pytest-lsp, the
model replaced only by the scripted server on loopback.

A client that announces inline completion gets ``textDocument/inlineCompletion``
(and no completion items); any other gets ``textDocument/completion`` items.
Cancellation reaches the model's stream, a slow model never holds up
diagnostics, and a model that is down is reported once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.e2e.lsp_session import capabilities_for, lsp_session, open_document, wait_for_diagnostics
from tests.support.brain_lsp import Editor, brains_options, messages, wait_until
from tests.support.fake_ollama import FakeOllama, Recorded

MODEL = "qwen2.5-coder:1.5b"
DOC = "def add(a, b):\n    return \n\n\nprint(add(1, 2))\n"
CURSOR = types.Position(line=1, character=11)  # after "return "
# Between two keystrokes: long enough for an undebounced request to reach the
# model, well inside the tests' 1 s debounce.
KEYSTROKE = 0.15
# The paths a fill-in-the-middle request may take (Ollama, llama.cpp, OpenAI-compatible).
FIM_PATHS = ("/api/generate", "/infill", "/completion", "/v1/completions")


def options(url: str, **completion: Any) -> dict[str, Any]:
    return brains_options(url, brains={"completion": {"url": url, "model": MODEL}},
                          completion={"debounce_ms": 0, **completion})


def inline_capabilities(profile: str = "vscode") -> types.ClientCapabilities:
    """``profile`` plus inline completion (``neovim``: diagnostics are pushed)."""
    caps = capabilities_for(profile)
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities(dynamic_registration=False)
    return caps


def inline_session(root: Path, url: str, profile: str = "vscode", **completion: Any) -> Any:
    """A session with a client that announces inline completion."""
    return lsp_session(root, capabilities=inline_capabilities(profile),
                       initialization_options=options(url, **completion))


def fim_requests(fake: FakeOllama) -> list[Recorded]:
    return [r for r in fake.requests if r.method == "POST" and r.path in FIM_PATHS]


def inline_params(uri: str, position: types.Position = CURSOR, *,
                  trigger: types.InlineCompletionTriggerKind = types.InlineCompletionTriggerKind.Invoked,
                  ) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position,
        context=types.InlineCompletionContext(trigger_kind=trigger))


def completion_params(uri: str, position: types.Position = CURSOR) -> types.CompletionParams:
    return types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position,
                                  context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked))


async def warm_up(client: Any, uri: str, fake: FakeOllama) -> None:
    """One request elsewhere in the file, so that the server's first-call costs
    (imports, parsers) do not hold a request back longer than a keystroke."""
    elsewhere = types.Position(line=0, character=0)
    if client.initialize_result.capabilities.inline_completion_provider is not None:
        await asyncio.wait_for(client.text_document_inline_completion_async(inline_params(uri, elsewhere)), 20)
    else:
        await asyncio.wait_for(client.text_document_completion_async(completion_params(uri, elsewhere)), 20)
    fake.reset()


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


async def test_inline_completion_answers_the_models_suggestion(tmp_path, fake_ollama: FakeOllama):
    root = workspace(tmp_path)
    fake_ollama.reply("a + b", model=MODEL)
    async with inline_session(root, fake_ollama.url) as client:
        caps = client.initialize_result.capabilities  # type: ignore[attr-defined]
        assert caps.inline_completion_provider is not None
        assert caps.completion_provider is None  # never both: the editor would show the suggestion twice
        uri = open_document(client, root / "m.py", DOC)
        result = await asyncio.wait_for(client.text_document_inline_completion_async(inline_params(uri)), 20)
        assert isinstance(result, types.InlineCompletionList), result
        (item,) = result.items
        assert item.insert_text == "a + b"
        assert item.range == types.Range(start=CURSOR, end=CURSOR)
        (request,) = fim_requests(fake_ollama)
        assert "def add(a, b)" in str(request.body) and "print(add(1, 2))" in str(request.body)


async def test_a_client_without_inline_completion_gets_completion_items(tmp_path, fake_ollama: FakeOllama):
    root = workspace(tmp_path)
    fake_ollama.reply(" + b", model=MODEL)
    async with lsp_session(root, profile="neovim", initialization_options=options(fake_ollama.url)) as client:
        caps = client.initialize_result.capabilities  # type: ignore[attr-defined]
        assert caps.completion_provider is not None and caps.inline_completion_provider is None
        text = DOC.replace("return \n", "return a\n")
        uri = open_document(client, root / "m.py", text)
        after_a = types.Position(line=1, character=12)
        result = await asyncio.wait_for(client.text_document_completion_async(completion_params(uri, after_a)), 20)
        assert isinstance(result, types.CompletionList), result
        (item,) = result.items
        assert item.label == "MyCoder: a + b"
        assert item.insert_text_format == types.InsertTextFormat.PlainText
        # The edit starts at the word being typed, so menus that filter on it keep the item.
        assert item.text_edit == types.TextEdit(range=types.Range(start=types.Position(line=1, character=11),
                                                                  end=after_a), new_text="a + b")
        assert item.insert_text == item.filter_text == "a + b"


async def test_cancel_request_aborts_the_models_stream(tmp_path, fake_ollama: FakeOllama):
    root = workspace(tmp_path)
    fake_ollama.reply("a + b  # " + "slowly " * 40, model=MODEL, pieces=40, delay=0.1)
    async with inline_session(root, fake_ollama.url) as client:
        uri = open_document(client, root / "m.py", DOC)
        future = asyncio.ensure_future(client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(uri), msg_id="inline-1"))
        await wait_until(lambda: any(r.outcome == "streaming" for r in fim_requests(fake_ollama)))
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="inline-1"))
        with pytest.raises(Exception, match="(?i)cancel"):
            await asyncio.wait_for(future, 10)
        (request,) = fim_requests(fake_ollama)
        await wait_until(lambda: request.outcome == "aborted", timeout=10)
        # Still serving: the next request is answered.
        fake_ollama.set_script({"rules": [{"model": MODEL, "reply": "a + b"}]})
        result = await asyncio.wait_for(client.text_document_inline_completion_async(inline_params(uri)), 20)
        assert result is not None and result.items[0].insert_text == "a + b"


async def test_a_slow_model_never_holds_up_diagnostics(tmp_path, fake_ollama: FakeOllama):
    root = workspace(tmp_path)
    fake_ollama.reply("a + b", model=MODEL, pieces=5, delay=1.0)
    async with inline_session(root, fake_ollama.url, "neovim") as client:
        editor = Editor(client, (root / "m.py").as_uri(), DOC).open()
        await wait_for_diagnostics(client, editor.uri, version=1)
        pending = asyncio.ensure_future(client.text_document_inline_completion_async(inline_params(editor.uri)))
        await wait_until(lambda: any(r.outcome == "streaming" for r in fim_requests(fake_ollama)))
        editor.change(DOC + "def broken(:\n")
        diagnostics = await wait_for_diagnostics(client, editor.uri, version=2, until=bool)
        assert any(d.severity == types.DiagnosticSeverity.Error for d in diagnostics)
        # A hover is answered too while the model still streams.
        await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=editor.uri), position=types.Position(line=0, character=5))),
            10)
        assert not pending.done()
        # The document changed under it: the suggestion is for text that is gone.
        assert await asyncio.wait_for(pending, 20) is None


async def test_debounced_typing_sends_only_the_newest_request(tmp_path, fake_ollama: FakeOllama):
    root = workspace(tmp_path)
    fake_ollama.reply("a + b", model=MODEL)
    async with inline_session(root, fake_ollama.url, debounce_ms=1000) as client:
        uri = open_document(client, root / "m.py", DOC)
        await warm_up(client, uri, fake_ollama)
        typing = inline_params(uri, trigger=types.InlineCompletionTriggerKind.Automatic)
        first = asyncio.ensure_future(client.text_document_inline_completion_async(typing))
        await asyncio.sleep(KEYSTROKE)  # the user types on within the debounce
        second = asyncio.ensure_future(client.text_document_inline_completion_async(typing))
        assert await asyncio.wait_for(first, 20) is None
        result = await asyncio.wait_for(second, 20)
        assert result is not None and result.items[0].insert_text == "a + b"
        assert len(fim_requests(fake_ollama)) == 1


async def test_completion_requests_are_debounced_too(tmp_path, fake_ollama: FakeOllama):
    # Menus that complete as you type send "invoked" on every keystroke.
    root = workspace(tmp_path)
    fake_ollama.reply("a + b", model=MODEL)
    async with lsp_session(root, profile="neovim", initialization_options=options(fake_ollama.url, debounce_ms=1000)) \
            as client:
        uri = open_document(client, root / "m.py", DOC)
        await warm_up(client, uri, fake_ollama)
        first = asyncio.ensure_future(client.text_document_completion_async(completion_params(uri)))
        await asyncio.sleep(KEYSTROKE)  # the user types on within the debounce
        second = asyncio.ensure_future(client.text_document_completion_async(completion_params(uri)))
        assert await asyncio.wait_for(first, 20) is None
        result = await asyncio.wait_for(second, 20)
        assert isinstance(result, types.CompletionList) and result.items[0].label == "MyCoder: a + b"
        assert len(fim_requests(fake_ollama)) == 1


@pytest.mark.parametrize("completion", [{"enabled": False}, {"disabled_languages": ["python"]},
                                        {"languages": ["rust"]}], ids=["off", "language-off", "not-listed"])
async def test_completion_off_answers_nothing_and_sends_nothing(tmp_path, fake_ollama: FakeOllama, completion):
    root = workspace(tmp_path)
    fake_ollama.reply("a + b", model=MODEL)
    async with inline_session(root, fake_ollama.url, **completion) as client:
        uri = open_document(client, root / "m.py", DOC)
        assert await asyncio.wait_for(client.text_document_inline_completion_async(inline_params(uri)), 20) is None
        assert fim_requests(fake_ollama) == []


async def test_a_model_that_is_down_is_reported_once(tmp_path):
    root = workspace(tmp_path)
    down = FakeOllama.down_url()
    async with inline_session(root, down) as client:
        uri = open_document(client, root / "m.py", DOC)
        for _ in range(3):
            result = await asyncio.wait_for(client.text_document_inline_completion_async(inline_params(uri)), 20)
            assert result is None
        await wait_until(lambda: any("MyCoder:" in m for m in messages(client)))
        shown = [m for m in client.messages if m.type == types.MessageType.Error]
        assert len(shown) == 1, messages(client)
