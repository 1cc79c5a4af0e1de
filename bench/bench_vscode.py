"""Time from opening a file in a real VS Code (code-server) to MyCoder's
diagnostics drawn in the editor, and the time of the whole editor test.

Runs ``editors/vscode/test/e2e.sh`` ``--runs`` times (each opens
``--files`` files with a stub; the first file of a run starts the server) and
prints the medians over all runs: cold (the first file) and warm (the others),
plus the median total time of the test. Needs ``editors/vscode/test/setup.sh``.

Usage: python bench/bench_vscode.py [--runs 3] [--files 6]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
E2E = REPO / "editors" / "vscode" / "test" / "e2e.sh"
RUNS = re.compile(r"TIMING open-to-diagnostics runs_ms=([\d,]+)")
TOTAL = re.compile(r"TIMING vscode-e2e total_ms=(\d+)")


def one_run(files: int, screenshot: Path) -> tuple[list[int], int]:
    env = dict(os.environ, E2E_TIMING_RUNS=str(files), E2E_SCREENSHOT=str(screenshot))
    env.setdefault("MYCODER_PYTHON", sys.executable)
    env.setdefault("MYCODER_LSP_COMMAND", str(Path(sys.executable).with_name("mycoder-lsp")))
    result = subprocess.run(["bash", str(E2E)], env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    runs, total = RUNS.search(output), TOTAL.search(output)
    if result.returncode != 0 or not runs or not total:
        raise SystemExit(f"e2e.sh failed (exit {result.returncode}):\n{output[-4000:]}")
    return [int(ms) for ms in runs.group(1).split(",")], int(total.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files", type=int, default=6)
    args = parser.parse_args()
    cold: list[int] = []
    warm: list[int] = []
    totals: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.runs):
            timings, total = one_run(args.files, Path(tmp) / "shot.png")
            print(f"run {n + 1}: open→diagnostics {timings} ms, test total {total} ms", flush=True)
            cold.append(timings[0])
            warm.extend(timings[1:])
            totals.append(total)
    print(f"cold (first file, starts the server): median {statistics.median(cold):.0f} ms "
          f"(n={len(cold)}, {min(cold)}–{max(cold)} ms)")
    if warm:
        print(f"warm (server running): median {statistics.median(warm):.0f} ms "
              f"(n={len(warm)}, {min(warm)}–{max(warm)} ms)")
    print(f"whole VS Code e2e test: median {statistics.median(totals) / 1000:.1f} s (n={len(totals)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
