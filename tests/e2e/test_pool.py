"""A brain served by a pool of two model servers, end to end: the real server
process, a real LSP client, and two scripted servers on loopback, one of which
is stopped while answering."""

from __future__ import annotations

import asyncio

from tests.e2e.lsp_session import lsp_session
from tests.support.brain_lsp import REASONING, Editor, brains_options, command, messages, wait_until
from tests.support.fake_ollama import FakeOllama

DOC = '''def parse(text):
    return [line for line in text.splitlines() if line]


def total(values):
    return sum(values)


def mean(values):
    return total(values) / len(values)
'''
SYMBOLS = ("parse", "total", "mean")
ANSWER = "It turns the text into the list of its non-empty lines, in order."


def explain(client, editor: Editor, symbol: str):
    return command(client, "mycoder.explain", {"uri": editor.uri, "symbol": symbol, "show": False}, timeout=60)


async def test_requests_spread_over_the_pool_and_a_server_stopped_mid_run_loses_none(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    with FakeOllama() as a, FakeOllama() as b:
        for server in (a, b):
            server.set_script({"rules": [{"model": REASONING, "reply": ANSWER, "pieces": 6, "delay": 0.05}]})
        async with lsp_session(root, initialization_options=brains_options([a.url, b.url])) as client:
            editor = Editor(client, (root / "m.py").as_uri(), DOC).open()

            # Six at once: both servers answer some of them.
            spread = await asyncio.gather(*(explain(client, editor, s) for s in SYMBOLS * 2))
            assert [r["kind"] for r in spread] == ["explanation"] * 6 and all(ANSWER in r["text"] for r in spread)
            assert len(a.chats()) >= 2 and len(b.chats()) >= 2 and len(a.chats()) + len(b.chats()) == 6

            # Slow answers; a stops while at least one of its answers is streaming.
            for server in (a, b):
                server.set_script({"rules": [{"model": REASONING, "reply": ANSWER, "pieces": 30, "delay": 0.1}]})
                server.reset()
            sent_before = a.pieces_sent
            running = [asyncio.create_task(explain(client, editor, s)) for s in SYMBOLS + SYMBOLS[:1]]
            await wait_until(lambda: a.pieces_sent > sent_before and len(a.chats()) + len(b.chats()) == 4,
                             timeout=20)
            on_a = len(a.chats())
            a.stop()
            results = await asyncio.gather(*running)

            # Nothing lost: every request has its result. Those that broke off
            # on a say so (an error, or the part that came with the reason:
            # the orchestrator keeps what had arrived); none was asked twice.
            def said(result: dict) -> str:
                return f"{result.get('text', '')} {result['message']}"

            broken = [r for r in results if "already arrived" in said(r)]
            whole = [r for r in results if r not in broken]
            assert len(results) == 4 and 1 <= len(broken) <= on_a, results
            for result in broken:
                assert result["kind"] in ("explanation", "error") and f"at {a.url} broke off" in said(result)
            assert all(r["kind"] == "explanation" and r["text"].strip() == ANSWER for r in whole), whole
            assert len(b.chats()) == len(whole)  # each of the others once, retried ones included

            # The user is told once that a is down and that the pool goes on.
            def told() -> list[str]:
                return [m for m in messages(client) if "is not answering" in m]

            await wait_until(lambda: told(), timeout=10)
            assert a.url in told()[0] and "Meanwhile the other servers of its pool answer." in told()[0]

            # From now on b answers everything, without waiting for a.
            b.set_script({"rules": [{"model": REASONING, "reply": ANSWER, "pieces": 2}]})
            after = await asyncio.gather(*(explain(client, editor, s) for s in SYMBOLS))
            assert [r["kind"] for r in after] == ["explanation"] * 3
            assert len(told()) == 1


async def test_inline_completion_shares_the_servers_breakers_with_the_other_brains(tmp_path):
    """A completion pool's server that is down opens the server's own breaker
    for it (the user is told once, that the pool goes on), not a private one."""
    from lsprotocol import types

    from tests.e2e.lsp_session import capabilities_for, open_document

    root = tmp_path / "ws"
    root.mkdir()
    model = "qwen2.5-coder:1.5b"
    down = FakeOllama.down_url()
    caps = capabilities_for("vscode")
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities(dynamic_registration=False)
    with FakeOllama() as b:
        b.reply("a + b", model=model)
        options = brains_options(b.url, brains={"completion": {"url": [down, b.url], "model": model}},
                                 completion={"debounce_ms": 0})
        async with lsp_session(root, capabilities=caps, initialization_options=options) as client:
            uri = open_document(client, root / "m.py", "def add(a, b):\n    return \n\n\ndef sub(a, b):\n"
                                                       "    return \n")

            async def complete(line: int) -> list[str]:
                params = types.InlineCompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=line, character=11),
                    context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked))
                result = await asyncio.wait_for(client.text_document_inline_completion_async(params), 30)
                return [item.insert_text for item in result.items] if result else []

            assert await complete(1) == ["a + b"]

            def told() -> list[str]:
                return [m for m in messages(client) if "is not answering" in m]

            await wait_until(lambda: told(), timeout=10)
            assert down in told()[0] and "Meanwhile the other servers of its pool answer." in told()[0]
            assert await complete(5) == ["a + b"]
            fims = [r for r in b.requests if r.method == "POST" and r.path == "/api/generate"]
            assert len(fims) == 2 and len(told()) == 1
