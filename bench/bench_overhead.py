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

The real configuration by default: the vault on, over a workspace of a
2,000-line document plus a copy of some stdlib packages (thousands of
chunks: what a search and the vector matrix cost grows with), indexed before
anything is timed; every modify then gathers context from the vault and
records the exchange in it (session writes), as in an editor.

    python bench/bench_overhead.py [--n 200] [--lines 2000] [--no-vault] [--packages email json ...] [--old DIR]

``--vault-only`` times just the vault's part of a request in this process,
over a copy of the whole stdlib (~20,000 chunks): a session write (as each
request records its exchange) followed by the context search, the pair that
reloaded the whole vector matrix before round 7.

``--old DIR`` also times a copy of the old code (``git archive HEAD | tar -x
-C DIR``) in the same run, started with DIR first on its ``PYTHONPATH``, so
before and after share the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

# The tree whose code runs in this process: this one, or (``--validation-only --old``'s child) the old copy.
sys.path.insert(0, os.environ.get("MYCODER_BENCH_TREE") or str(Path(__file__).resolve().parent.parent))

from lsprotocol import types  # noqa: E402

from mycoder_lsp.brains.backends import make_brain  # noqa: E402
from mycoder_lsp.brains.wire.http import new_client  # noqa: E402
from mycoder_lsp.config import Settings  # noqa: E402
from tests.e2e.lsp_session import lsp_session  # noqa: E402
from tests.support.brain_lsp import CODING, REASONING, Editor, attach, brains_options, command  # noqa: E402
from tests.support.fake_ollama import FakeOllama  # noqa: E402

PACKAGES = ("email", "json", "http", "urllib", "logging", "concurrent", "xml")
NEW_PARSE = 'def parse(text):\n    """The non-empty lines."""\n    return [line for line in text.splitlines() if line]'


def document(lines: int) -> str:
    """A Python module of about ``lines`` lines: ``parse`` near the top, then helpers."""
    head = 'import os\n\n\ndef parse(text):\n    return [line for line in text.splitlines() if line]\n\n\n'
    helpers: list[str] = []
    i = 0
    while (head + "".join(helpers)).count("\n") < lines - 5:
        helpers.append(f"def helper_{i}(x, y=None):\n    if y is None:\n        y = {i}\n    return x + y\n\n\n")
        i += 1
    return head + "".join(helpers) + "class Calc:\n    def mul(self, a, b):\n        return a * b\n"


def workspace(root: Path, doc: str, packages: list[str]) -> None:
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    (root / "m.py").write_text(doc)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in packages:
        shutil.copytree(stdlib / name, root / "lib" / name, ignore=shutil.ignore_patterns("__pycache__", "test*"))


async def wait_index_end(client, timeout: float) -> None:
    async def wait() -> None:
        while True:
            for token, reports in client.progress_reports.items():
                if str(token).startswith("mycoder-index-") and reports and isinstance(
                        reports[-1], types.WorkDoneProgressEnd):
                    return
            await client.wait_for_notification(types.PROGRESS)

    await asyncio.wait_for(wait(), timeout)


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


def vault_only(n: int) -> None:
    from mycoder_lsp.memory.vault import Vault

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        shutil.copytree(stdlib, root, ignore=shutil.ignore_patterns(
            "__pycache__", "test", "tests", "idlelib", "site-packages", "lib2to3", "turtledemo", "*.pyc", "*.so"))
        (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
        vault = Vault.open(root, Settings())
        t0 = time.perf_counter()
        report = asyncio.run(vault.index())
        print(f"vault over the stdlib copy: {report.chunks} chunks, indexed in {time.perf_counter() - t0:.1f} s")
        queries = ["parse a header value", "retry the request", "read the config file", "format a date"]
        vault.search_sync(queries[0], 8)  # the first load of the matrix is not a request's
        searches, cpu = [], []
        for i in range(n):
            c0, t0 = time.process_time(), time.perf_counter()
            asyncio.run(vault.record_exchange("user", f"request {i}"))
            vault.search_sync(queries[i % len(queries)], 8)
            searches.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        vault.close()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(line("session write + context search (wall)", searches))
    print(line("session write + context search (CPU)", cpu))


def validation_only(n: int, lines: int) -> None:
    """The modify path's validations in this process, as the orchestrator
    makes them for each modify: the original (its baseline: cached by text,
    but validated whenever the document changed) and the candidate edit.
    Whatever code is first on ``sys.path`` is timed (``--old`` runs this in a
    child process with the old copy first)."""
    from mycoder_lsp.brains.orchestrator import Orchestrator, Request

    doc = document(lines)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "m.py").write_text(doc)
        orchestrator = Orchestrator(Settings(), workspace_root=root)
        request = Request(kind="modify", instruction="add a docstring", path=str(root / "m.py"), text=doc,
                          language="python")
        old_parse = 'def parse(text):\n    return [line for line in text.splitlines() if line]'
        candidate = doc.replace(old_parse, NEW_PARSE)
        for _ in range(3):  # warm up: imports, the project's settings
            orchestrator._validate(request, doc, None)
            orchestrator._validate(request, candidate, request.instruction)
        both = []
        for i in range(n):
            # A document edited since the last modify: its baseline is validated again.
            text = doc.replace("y = 0\n", f"y = {i}\n", 1)
            request.text = text
            c0 = time.process_time()
            orchestrator._validate(request, text, None)
            orchestrator._validate(request, text.replace(old_parse, NEW_PARSE), request.instruction)
            both.append((time.process_time() - c0) * 1000)
    import mycoder_lsp
    print(f"modify's validations (original + candidate), {len(doc.splitlines())} lines, code at "
          f"{Path(mycoder_lsp.__file__).parent.parent}; load average {os.getloadavg()[0]:.1f}")
    print(line("  original + candidate (CPU)", both))


async def main(n: int, lines: int, vault: bool, packages: list[str], old: Path | None = None) -> None:
    doc = document(lines)
    # The old copy first on the server's sys.path, before the installed (editable) package.
    env = {"PYTHONPATH": str(old)} if old is not None else None
    label = f"old code at {old}" if old is not None else "this tree"
    print(f"-- {label}")
    with FakeOllama({"rules": [{"model": CODING, "reply": NEW_PARSE, "pieces": 8},
                               {"model": REASONING, "reply": "It splits text into lines.", "pieces": 4}]}) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            workspace(root, doc, packages if vault else [])
            options = brains_options(fake.url, vault={"enabled": vault}, hover={"wait_ms": 5000})
            # Started in the workspace, as an editor does: from this tree's directory, ``-m``
            # would import this tree's mycoder_lsp before the old copy on PYTHONPATH.
            async with lsp_session(root, profile="vscode", initialization_options=options, env=env,
                                   cwd=root) as client:
                t_index = time.perf_counter()
                if vault:
                    await wait_index_end(client, 600)
                t_index = time.perf_counter() - t_index
                editor = Editor(client, (root / "m.py").as_uri(), doc)
                attach(client, editor)
                editor.open()
                params = types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=editor.uri),
                    range=types.Range(start=types.Position(line=4, character=8),
                                      end=types.Position(line=4, character=8)),
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
                    editor.change(doc)  # undo, so the next run changes the same code
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
    chunks = f", vault on: {len(packages)} stdlib packages + the document, indexed in {t_index:.1f} s" if vault else ""
    print(f"server overhead, {len(doc.splitlines())}-line Python document{chunks or ', vault off'}, "
          "scripted model answering at once")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(line("code action listing (no model call)", actions) + f"  server CPU/request={cpu_actions:5.2f} ms")
    print(line("mycoder.modify end to end (incl. applyEdit)", modify) + f"  server CPU/request={cpu_modify:5.2f} ms")
    print(line("  of which one streamed call to the fake", model))
    print(line("hover, explanation from the cache", hovers))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--lines", type=int, default=2000, help="lines of the document changed (default 2000)")
    parser.add_argument("--no-vault", action="store_true", help="the vault off (the figure before round 7)")
    parser.add_argument("--packages", nargs="*", default=list(PACKAGES),
                        help="stdlib packages copied into the workspace for the vault")
    parser.add_argument("--vault-only", action="store_true", help="only the vault's part, in process, over the stdlib")
    parser.add_argument("--validation-only", action="store_true",
                        help="only the modify path's validations (original + candidate), in process")
    parser.add_argument("--old", type=Path, default=None,
                        help="also time a copy of the old code (git archive HEAD | tar -x -C DIR) in the same run")
    args = parser.parse_args()
    if not os.environ.get("MYCODER_BENCH_TREE"):  # the parent, not --old's child
        from bench.bytecode import compile_tree

        for tree in (Path(__file__).resolve().parent.parent, args.old):
            if tree is not None:
                compile_tree(tree)  # both timed from bytecode (bench/bytecode.py)
    if args.vault_only:
        vault_only(args.n)
    elif args.validation_only:
        validation_only(args.n, args.lines)
        if args.old is not None:
            subprocess.run([sys.executable, __file__, "--validation-only", "--n", str(args.n), "--lines",
                            str(args.lines)], check=True, env={**os.environ, "MYCODER_BENCH_TREE": str(args.old)})
    else:
        asyncio.run(main(args.n, args.lines, not args.no_vault, args.packages))
        if args.old is not None:
            asyncio.run(main(args.n, args.lines, not args.no_vault, args.packages, old=args.old.resolve()))
