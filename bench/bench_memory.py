"""Server memory when the same large document is opened, validated and closed again and again.

Starts the real server (``python -m mycoder_lsp``) through a real LSP client
(pytest-lsp), opens a generated Python document of ``--size-kb`` KB, waits for
its diagnostics (the whole validation pipeline), optionally hovers a symbol
(the symbol parse), closes it, and reads the server's resident memory
(``VmRSS`` in ``/proc/PID/status``) after each cycle. Prints RSS after the
first cycle, after the last, and the peak: a bounded server levels off.

    python bench/bench_memory.py [--cycles 60] [--size-kb 750] [--hover]

Set ``MALLOC_ARENA_MAX`` in the environment to compare glibc arena settings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsprotocol import types  # noqa: E402

from tests.e2e.lsp_session import lsp_session, wait_for_diagnostics  # noqa: E402


def document(size_kb: int) -> str:
    parts = ["import os\n\n"]
    i = 0
    while sum(map(len, parts)) < size_kb * 1024:
        parts.append(f"def helper_{i}(text, n={i}):\n    \"\"\"Helper {i}.\"\"\"\n"
                     f"    lines = [line for line in text.splitlines() if line]\n"
                     f"    return os.path.join(str(n), *lines[:{i % 7 + 1}])\n\n\n")
        i += 1
    return "".join(parts)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main(cycles: int, size_kb: int, hover: bool) -> None:
    text = document(size_kb)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        options = {"vault": {"enabled": False}, "hover": {"explain": False}}
        async with lsp_session(root, profile="neovim", initialization_options=options) as client:
            pid = client._server.pid
            uri = (root / "big.py").as_uri()
            figures: list[float] = []
            t0 = time.perf_counter()
            for cycle in range(cycles):
                client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=cycle + 1, text=text)))
                await wait_for_diagnostics(client, uri, version=cycle + 1, timeout=120)
                if hover:
                    await client.text_document_hover_async(types.HoverParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        position=types.Position(line=2, character=6)))
                client.text_document_did_close(types.DidCloseTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=uri)))
                await wait_for_diagnostics(client, uri, until=lambda d: not d, timeout=30)
                await asyncio.sleep(0.2)  # let the close hooks run
                figures.append(rss_mb(pid))
            elapsed = time.perf_counter() - t0
    print(f"{cycles} x open/validate{'/hover' if hover else ''}/close of a {len(text) / 1024:.0f} KB Python document "
          f"(MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', 'unset')}), {elapsed:.0f} s")
    print(f"server RSS after cycle 1: {figures[0]:.0f} MB, after cycle {cycles}: {figures[-1]:.0f} MB, "
          f"peak {max(figures):.0f} MB")
    marks = sorted({0, len(figures) // 4, len(figures) // 2, 3 * len(figures) // 4, len(figures) - 1})
    print("  " + ", ".join(f"cycle {i + 1}: {figures[i]:.0f} MB" for i in marks))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--size-kb", type=int, default=750)
    parser.add_argument("--hover", action="store_true", help="hover a symbol in each cycle (parses symbols)")
    args = parser.parse_args()
    asyncio.run(main(args.cycles, args.size_kb, args.hover))
