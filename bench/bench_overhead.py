"""Server overhead per request, everything except model time.

Starts the real server (``python -m mycoder_lsp``) through a real LSP client
(pytest-lsp), points every brain at the scripted Ollama server answering
instantly, and times from the client's side:

- listing code actions (never calls a model),
- a full ``mycoder.modify``: command -> orchestrator -> HTTP stream from the
  scripted server -> clean, extract, validate -> ``workspace/applyEdit`` round
  trip -> result,
- a hover served from the explanation cache,

and, for scale, one direct streamed call to the scripted server (the part
of a modify that is "model time" here). Prints p50/p95 in milliseconds.

    python bench/bench_overhead.py [--n 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsprotocol import types  # noqa: E402

from mycoder_lsp.brains.backends import make_brain, new_client  # noqa: E402
from mycoder_lsp.config import Settings  # noqa: E402
from tests.e2e.lsp_session import lsp_session  # noqa: E402
from tests.support.brain_lsp import CODING, REASONING, Editor, attach, brains_options, command  # noqa: E402
from tests.support.fake_ollama import FakeOllama  # noqa: E402

FUNCTIONS = "\n\n".join(f"def helper_{i}(x):\n    return x + {i}\n" for i in range(60))
DOC = f'''import os


def parse(text):
    return [line for line in text.splitlines() if line]


{FUNCTIONS}

class Calc:
    def mul(self, a, b):
        return a * b
'''
NEW_PARSE = 'def parse(text):\n    """The non-empty lines."""\n    return [line for line in text.splitlines() if line]'


def cpu_ms(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux), in ms."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def line(label: str, values: list[float]) -> str:
    return (f"{label:<42} n={len(values):<4} p50={statistics.median(values):7.2f} ms  "
            f"p95={pct(values, 0.95):7.2f} ms  max={max(values):7.2f} ms")


async def direct_call(url: str, n: int) -> list[float]:
    settings = Settings()
    settings.brains.coding.url = url
    out = []
    async with new_client() as client:
        brain = make_brain("coding", settings, client=client)
        messages = [{"role": "user", "content": "x"}]
        for _ in range(n):
            t0 = time.perf_counter()
            await brain.complete(messages)
            out.append((time.perf_counter() - t0) * 1000)
    return out


async def main(n: int) -> None:
    with FakeOllama({"rules": [{"model": CODING, "reply": NEW_PARSE, "pieces": 8},
                               {"model": REASONING, "reply": "It splits text into lines.", "pieces": 4}]}) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            root.mkdir()
            options = brains_options(fake.url, vault={"enabled": False}, hover={"wait_ms": 5000})
            async with lsp_session(root, profile="vscode", initialization_options=options) as client:
                editor = Editor(client, (root / "m.py").as_uri(), DOC)
                attach(client, editor)
                editor.open()
                params = types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=editor.uri),
                    range=types.Range(start=types.Position(line=4, character=8), end=types.Position(line=4, character=8)),
                    context=types.CodeActionContext(diagnostics=[]))
                for _ in range(10):  # warm up: imports, symbol cache, connections
                    await client.text_document_code_action_async(params)
                pid = client._server.pid if client._server is not None else None
                cpu0 = cpu_ms(pid)
                actions = []
                for _ in range(n):
                    t0 = time.perf_counter()
                    await client.text_document_code_action_async(params)
                    actions.append((time.perf_counter() - t0) * 1000)
                assert not fake.chats(), "listing code actions must not call a model"

                cpu_actions = (cpu_ms(pid) - cpu0) / n
                modify = []
                argument = {"uri": editor.uri, "symbol": "parse", "instruction": "add a docstring"}
                for i in range(n // 2 + 3):
                    t0 = time.perf_counter()
                    result = await command(client, "mycoder.modify", argument)
                    elapsed = (time.perf_counter() - t0) * 1000
                    assert result["kind"] == "edit", result
                    if i >= 3:
                        modify.append(elapsed)
                    editor.change(DOC)  # undo, so the next run changes the same code
                    if i == 2:
                        cpu0 = cpu_ms(pid)
                cpu_modify = (cpu_ms(pid) - cpu0) / len(modify)

                hover_params = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=editor.uri),
                                                 position=types.Position(line=3, character=5))
                await client.text_document_hover_async(hover_params)
                hovers = []
                for _ in range(n):
                    t0 = time.perf_counter()
                    await client.text_document_hover_async(hover_params)
                    hovers.append((time.perf_counter() - t0) * 1000)
            model = await direct_call(fake.url, n // 2)
    print(f"server overhead, {len(DOC.splitlines())}-line Python document, scripted model answering at once")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(line("code action listing (no model call)", actions) + f"  server CPU/request={cpu_actions:5.2f} ms")
    print(line("mycoder.modify end to end (incl. applyEdit)", modify) + f"  server CPU/request={cpu_modify:5.2f} ms")
    print(line("  of which one streamed call to the fake", model))
    print(line("hover, explanation from the cache", hovers))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    asyncio.run(main(parser.parse_args().n))
