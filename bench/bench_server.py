"""The language server's own cost, against other servers driven by the same client.

Three measures from issue #10, each taken from the client's side through one
LSP client script (pytest-lsp, a Neovim 0.7 profile: pushed diagnostics):

- ``change``: CPU the server spends per ``didChange`` on a 2,000-line Python
  file, from the edit to the ``publishDiagnostics`` for its version, against
  ``ruff server`` on the same file and edits;
- ``scale``: a 10,000-line file with about 20,000 findings, ``didOpen`` to
  its ``publishDiagnostics`` (wall time, and how many were published);
- ``spawn``: process start to the first ``publishDiagnostics`` for a small
  file in a workspace with an indexed vault, and the server's RSS then,
  against a bare pygls server that publishes nothing.

``--old DIR`` also runs a second copy of mycoder-lsp (``git archive HEAD |
tar -x -C DIR``) in the same run, so before and after share the machine's
load. Prints measured figures; it is not a test.

    python bench/bench_server.py [--old DIR] [--only change,scale,spawn] [--edits 40] [--spawns 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from bench.bytecode import compile_tree  # noqa: E402
from tests.e2e.lsp_session import capabilities_for, server_env  # noqa: E402

RUFF = ROOT / ".venv" / "bin" / "ruff"


@dataclass
class Server:
    """A server command and the environment it runs in."""

    name: str
    command: list[str]


def servers(old: Path | None, *, ruff: bool, bare: bool) -> list[Server]:
    found = [Server("mycoder", [sys.executable, "-m", "mycoder_lsp", "--stdio"])]
    if old is not None:
        # Put first on sys.path, before the working directory that ``-m`` would add: the old copy is imported.
        start = (f"import runpy, sys; sys.path.insert(0, {str(old)!r}); "
                 "runpy.run_module('mycoder_lsp', run_name='__main__')")
        found.append(Server("mycoder (old)", [sys.executable, "-c", start, "--stdio"]))
    if ruff and RUFF.exists():
        found.append(Server("ruff server", [str(RUFF), "server"]))
    if bare:
        found.append(Server("bare pygls", [sys.executable, str(Path(__file__).resolve()), "--bare-server"]))
    return found


# -- the documents ---------------------------------------------------------------


def module_of(lines: int) -> str:
    """A plausible module of about ``lines`` lines: imports, classes, functions,
    docstrings, a few findings (an unused import, an unused variable)."""
    head = ('"""A generated module for the server benchmark."""\n\nfrom __future__ import annotations\n\n'
            "import json\nimport os\nimport re\nfrom dataclasses import dataclass\n\n")
    blocks: list[str] = []
    i = 0
    while (head + "".join(blocks)).count("\n") < lines - 20:
        blocks.append(f'''

@dataclass
class Record{i}:
    """One record of kind {i}."""

    name: str
    size: int = {i}

    def describe(self) -> str:
        """A line about the record."""
        return f"{{self.name}} ({{self.size}} bytes)"

    def grow(self, by: int) -> int:
        self.size += by
        return self.size


def load_{i}(path: str) -> list[Record{i}]:
    """Records from a JSON file."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    out = []
    for item in data:
        if not re.match(r"^[a-z]+$", item["name"]):
            continue
        out.append(Record{i}(item["name"], int(item.get("size", 0))))
    unused = os.sep
    return out
''')
        i += 1
    return head + "".join(blocks)


def noisy_module(lines: int) -> str:
    """``lines`` lines, two undefined names on each: about 2 findings a line."""
    return "".join(f"value_{i} = missing_a_{i} + missing_b_{i}\n" for i in range(lines))


# -- the client --------------------------------------------------------------------


def cpu_ms(pid: int) -> float:
    """User + system CPU of a process so far (Linux), in ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


class Session:
    """One server process, initialized with the Neovim 0.7 profile; records
    every publishDiagnostics as it arrives (with its arrival time)."""

    def __init__(self, server: Server, root: Path, home: Path, options: dict[str, Any] | None) -> None:
        self.server, self.root, self.home, self.options = server, root, home, options
        self.client: LanguageClient | None = None
        self.published: list[tuple[float, types.PublishDiagnosticsParams]] = []
        self.arrived = asyncio.Event()
        self.started = 0.0

    async def __aenter__(self) -> Session:
        env = server_env(self.home)
        self.started = time.perf_counter()
        client = await ClientServerConfig(server_command=self.server.command, server_env=env).start()
        assert isinstance(client, LanguageClient)
        self.client = client

        if self.server.name.startswith("ruff"):
            # ruff's notebookDocumentSync does not structure under this lsprotocol; the
            # result is not used here, so any capabilities will do.
            client.protocol._converter.register_structure_hook(
                types.InitializeResult, lambda obj, _: types.InitializeResult(capabilities=types.ServerCapabilities()))
        # pytest-lsp's own handler keeps only the last list per URI; this one keeps them all, timed.
        client.protocol.fm._features.pop(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, None)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published.append((time.perf_counter(), params))
            self.arrived.set()

        await client.initialize_session(types.InitializeParams(
            capabilities=capabilities_for("neovim"), root_uri=self.root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name=self.root.name)],
            initialization_options=self.options))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.client is not None
        try:
            await asyncio.wait_for(self.client.shutdown_session(), timeout=10)
        except Exception:  # noqa: BLE001 - a server that will not stop is stopped below
            pass
        await self.client.stop()

    @property
    def pid(self) -> int:
        assert self.client is not None and self.client._server is not None
        return self.client._server.pid

    async def diagnostics(self, uri: str, version: int | None, timeout: float = 300) -> tuple[float, list[Any]]:
        """The first publish for ``uri`` (at ``version``, if given) not yet
        taken: its arrival time and its diagnostics."""
        deadline = time.perf_counter() + timeout
        while True:
            for i, (at, params) in enumerate(self.published):
                if params.uri == uri and (version is None or params.version in (version, None)):
                    del self.published[: i + 1]
                    return at, list(params.diagnostics)
            self.arrived.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{self.server.name}: no diagnostics for {uri} v{version}")
            await asyncio.wait_for(self.arrived.wait(), left)

    def open(self, uri: str, text: str, version: int = 1) -> None:
        assert self.client is not None
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))

    def change(self, uri: str, version: int, line: int, start: int, end: int, text: str) -> None:
        assert self.client is not None
        rng = types.Range(start=types.Position(line=line, character=start),
                          end=types.Position(line=line, character=end))
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=text)]))

    async def settle(self, quiet_s: float = 0.5, limit_s: float = 60) -> None:
        """Wait until the server has used no CPU for ``quiet_s`` (start-up
        work such as indexing must not count against an edit)."""
        end = time.perf_counter() + limit_s
        last = cpu_ms(self.pid)
        while time.perf_counter() < end:
            await asyncio.sleep(quiet_s)
            now = cpu_ms(self.pid)
            if now - last < 5:
                return
            last = now


MYCODER_OPTIONS: dict[str, Any] = {"validation": {"debounce_ms": 0}}


def options_for(server: Server, extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
    if not server.name.startswith("mycoder"):
        return None
    return {**MYCODER_OPTIONS, **(extra or {})}


# -- the measures ------------------------------------------------------------------


async def measure_change(server: Server, work: Path, edits: int) -> str:
    root = work / "change"
    root.mkdir(exist_ok=True)
    text = module_of(2000)
    path = root / "module.py"
    path.write_text(text)
    lines = text.split("\n")
    # The line to edit: a literal in the middle of the file, edited in place.
    target = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith("    size: int = "))
    column = len("    size: int = ")
    width = len(lines[target]) - column
    async with Session(server, root, work / "home-change", options_for(server)) as s:
        uri = path.as_uri()
        s.open(uri, text)
        await s.diagnostics(uri, 1)
        await s.settle()
        per_edit, wall = [], []
        for k in range(edits):
            version = k + 2
            new = str(100000 + k)
            cpu0, t0 = cpu_ms(s.pid), time.perf_counter()
            s.change(uri, version, target, column, column + width, new)
            width = len(new)
            at, _ = await s.diagnostics(uri, version)
            # The publish is sent before the server's last bookkeeping: let it finish.
            await asyncio.sleep(0.05)
            per_edit.append(cpu_ms(s.pid) - cpu0)
            wall.append((at - t0) * 1000)
    # The mean: CPU time is counted in 10 ms clock ticks, too coarse for a median of one edit.
    return (f"{server.name:<16} change, 2,000 lines: CPU/edit mean {statistics.mean(per_edit):6.1f} ms; "
            f"edit->publish p50 {statistics.median(wall):6.1f} ms "
            f"(n={edits}; {len(text.splitlines())} lines)")


async def measure_scale(server: Server, work: Path) -> str:
    root = work / "scale"
    root.mkdir(exist_ok=True)
    text = noisy_module(10_000)
    path = root / "noisy.py"
    path.write_text(text)
    async with Session(server, root, work / "home-scale", options_for(server)) as s:
        await s.settle()
        uri = path.as_uri()
        cpu0, t0 = cpu_ms(s.pid), time.perf_counter()
        s.open(uri, text)
        at, diagnostics = await s.diagnostics(uri, 1, timeout=600)
        cpu = cpu_ms(s.pid) - cpu0
        summary = [d for d in diagnostics if d.code == "MC002"]
    note = f"; summary: {summary[0].message[:90]!r}" if summary else ""
    return (f"{server.name:<16} scale, 10,000 lines: open->publish {(at - t0) * 1000:8.0f} ms "
            f"(server CPU {cpu:6.0f} ms), "
            f"{len(diagnostics)} diagnostics{note}")


def build_vault_workspace(root: Path, files: int) -> None:
    """A project of ``files`` modules with its vault indexed, as after a day's work."""
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    (root / "pkg").mkdir(exist_ok=True)
    for i in range(files):
        (root / "pkg" / f"mod_{i}.py").write_text(module_of(120).replace("Record", f"Record{i}_"))
    (root / "small.py").write_text(module_of(40))
    env = server_env(root.parent / "home-index")
    subprocess.run([sys.executable, "-m", "mycoder_lsp", "index", "--root", str(root)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root)


async def measure_spawn(server: Server, work: Path, spawns: int) -> str:
    root = work / "spawn"
    text = (root / "small.py").read_text()
    uri = (root / "small.py").as_uri()
    times, cpu, rss, settled, hwm = [], [], [], [], []
    for _ in range(spawns):
        session = Session(server, root, work / "home-spawn", options_for(server))
        async with session as s:
            s.open(uri, text)
            at, _ = await s.diagnostics(uri, None, timeout=60)
            times.append((at - s.started) * 1000)
            cpu.append(cpu_ms(s.pid))
            rss.append(rss_mb(s.pid)[0])
            # Start-up work that goes on after the first publish (the vault opening, an
            # index run finding nothing changed) counts in the memory a server keeps.
            await s.settle()
            now, peak = rss_mb(s.pid)
            settled.append(now)
            hwm.append(peak)
    return (f"{server.name:<16} spawn->first diagnostics p50 {statistics.median(times):6.0f} ms "
            f"(min {min(times):.0f}), CPU to then p50 {statistics.median(cpu):5.0f} ms; RSS then "
            f"{statistics.median(rss):4.0f} MB, settled {statistics.median(settled):4.0f} MB, "
            f"peak {statistics.median(hwm):4.0f} MB (n={spawns})")


# -- a bare pygls server, the floor for spawn -----------------------------------


def bare_server() -> None:
    """A pygls server that publishes an empty list for every document."""
    from pygls.lsp.server import LanguageServer

    server = LanguageServer("bare", "1")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def opened(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=params.text_document.uri, diagnostics=[], version=params.text_document.version))

    server.start_io()


async def main(args: argparse.Namespace) -> None:
    only = set(args.only.split(","))
    for tree in (ROOT, args.old):
        if tree is not None:
            compile_tree(tree)  # both timed from bytecode (bench/bytecode.py)
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        work = Path(tmp)
        if "change" in only:
            for server in servers(args.old, ruff=True, bare=False):
                print(await measure_change(server, work, args.edits), flush=True)
        if "scale" in only:
            for server in servers(args.old, ruff=True, bare=False):
                print(await measure_scale(server, work), flush=True)
        if "spawn" in only:
            build_vault_workspace(work / "spawn", args.vault_files)
            for server in servers(args.old, ruff=False, bare=True):
                print(await measure_spawn(server, work, args.spawns), flush=True)
    print(f"load average at end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--bare-server"]:
        bare_server()
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--old", type=Path, default=None, help="a copy of the old code to run in the same session")
    parser.add_argument("--only", default="change,scale,spawn")
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--spawns", type=int, default=5)
    parser.add_argument("--vault-files", type=int, default=200)
    asyncio.run(main(parser.parse_args()))
