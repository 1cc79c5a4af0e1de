"""``mycoder-lsp route`` in a large tree without a vault: CPU per call.

Runs the real CLI (``route --offline --json TEXT``) in a subprocess, as a
user would, against a copy of this machine's standard library (a large
tree with no vault; the copy keeps the stdlib itself untouched). The first
call reads every file; later calls find the symbol index cached by mtime
and size in the user's cache directory (a temporary one here), so they cost
the walk, one ``stat`` per file and the process start. The process start
(``mycoder-lsp --version``) is measured too, to show what routing adds.

``--old DIR``: also run the code checked out in DIR (e.g. ``git archive
HEAD | tar -x -C DIR``) in the same run, for a before/after on the same load.

    python bench/bench_route.py [--tree DIR] [--old DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bytecode import compile_tree  # noqa: E402

REQUEST = "add a docstring to HTTPConnection.request"


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], code: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, stdout) of one CLI process running the code in ``code``."""
    before, start = child_cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mycoder_lsp", *args], capture_output=True, text=True,
                          cwd=code, env=env, timeout=600)
    wall, cpu = time.perf_counter() - start, child_cpu() - before
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return cpu, wall, proc.stdout.strip()


def measure(label: str, code: Path, tree: Path, runs: int, home: Path) -> None:
    env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"), XDG_CACHE_HOME=str(home / "cache"),
               PYTHONDONTWRITEBYTECODE="1")
    shutil.rmtree(home / "cache", ignore_errors=True)
    start = [timed(["--version"], code, env)[0] for _ in range(runs)]
    route = ["route", "--root", str(tree), "--offline", "--json", REQUEST]
    cpu, wall, out = timed(route, code, env)
    print(f"{label}: first call  CPU {cpu * 1000:7.0f} ms  wall {wall * 1000:7.0f} ms  -> {out}")
    warm = [timed(route, code, env)[:2] for _ in range(runs)]
    cpus = [c for c, _ in warm]
    print(f"{label}: next calls  CPU median {statistics.median(cpus) * 1000:7.0f} ms "
          f"(min {min(cpus) * 1000:.0f}, max {max(cpus) * 1000:.0f}; wall median "
          f"{statistics.median(w for _, w in warm) * 1000:.0f} ms) over {runs} runs")
    print(f"{label}: process start alone (--version) CPU median {statistics.median(start) * 1000:.0f} ms; "
          f"routing adds {(statistics.median(cpus) - statistics.median(start)) * 1000:.0f} ms")


def in_process(tree: Path, runs: int, home: Path) -> None:
    """The symbol index alone, in one process: what a long-lived entry point pays per request."""
    from mycoder_lsp.code.symbol_index import WorkspaceSymbols

    index = WorkspaceSymbols(tree, home / "in-process.json")
    start = time.process_time()
    names = index.names()
    cold = time.process_time() - start
    times = []
    for _ in range(runs):
        start = time.process_time()
        index.names()
        times.append(time.process_time() - start)
    print(f"in process: {len(index.last_files)} files, {len(names)} names; first {cold * 1000:.0f} ms CPU, "
          f"then median {statistics.median(times) * 1000:.0f} ms CPU (walk + one stat per file)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, help="the tree to route in (default: a copy of the stdlib)")
    parser.add_argument("--old", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-route-") as scratch:
        work = Path(scratch)
        tree = args.tree
        if tree is None:
            stdlib = Path(sysconfig.get_paths()["stdlib"])
            tree = work / "stdlib"
            shutil.copytree(stdlib, tree, symlinks=True, ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
        tree = tree.resolve()
        for code in (ROOT, args.old):
            if code is not None:
                compile_tree(code)  # both timed from bytecode (bench/bytecode.py)
        files = sum(1 for p in tree.rglob("*.py"))
        print(f"tree: {tree} ({files} .py files), load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if args.old is not None:
            measure("old", args.old.resolve(), tree, args.runs, work / "home-old")
        measure("new", ROOT, tree, args.runs, work / "home-new")
        in_process(tree, args.runs, work)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
