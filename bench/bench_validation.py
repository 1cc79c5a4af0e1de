"""Full validation pipeline vs pyflakes alone on large stdlib files.

Prints the median milliseconds of both, measured interleaved in the same run,
and the ratio. Target: pipeline <= 50 ms median and <= 2x pyflakes on a
2,000+-line file. pyflakes alone means what running pyflakes costs: parse
plus check.

    python bench/bench_validation.py [--runs N] [FILE ...]
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import sysconfig
import time
from pathlib import Path

from pyflakes import checker

from mycoder_lsp.config import Settings
from mycoder_lsp.validation.pipeline import validate_text

DEFAULT_FILES = ["argparse.py", "subprocess.py", "inspect.py", "typing.py"]


def pyflakes_alone(text: str, path: str) -> None:
    checker.Checker(ast.parse(text, filename=path), filename=path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = [Path(f) for f in args.files] or [stdlib / name for name in DEFAULT_FILES]
    settings = Settings()
    root = stdlib
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores "
          "(wall ms suffer from other processes; CPU ms are this process's own time)")
    print(f"{'file':<16}{'lines':>7}{'pipeline ms':>13}{'pyflakes ms':>13}{'ratio':>7}"
          f"{'pipeline cpu':>14}{'pyflakes cpu':>14}{'ratio':>7}{'findings':>10}")
    for path in files:
        text = path.read_text("utf-8")
        # Warm-up: stdlib-name caches and the workspace environment scan are
        # per process, not per file.
        result = validate_text(text, path=str(path), settings=settings, workspace_root=root)
        pyflakes_alone(text, str(path))
        ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            validate_text(text, path=str(path), settings=settings, workspace_root=root)
            middle, middle_cpu = time.perf_counter(), time.process_time()
            pyflakes_alone(text, str(path))
            end, end_cpu = time.perf_counter(), time.process_time()
            ours.append((middle - start) * 1000)
            theirs.append((end - middle) * 1000)
            ours_cpu.append((middle_cpu - start_cpu) * 1000)
            theirs_cpu.append((end_cpu - middle_cpu) * 1000)
        mine, flakes = statistics.median(ours), statistics.median(theirs)
        mine_cpu, flakes_cpu = statistics.median(ours_cpu), statistics.median(theirs_cpu)
        lines = text.count("\n")
        print(f"{path.name:<16}{lines:>7}{mine:>13.1f}{flakes:>13.1f}{mine / flakes:>7.2f}"
              f"{mine_cpu:>14.1f}{flakes_cpu:>14.1f}{mine_cpu / flakes_cpu:>7.2f}{len(result.findings):>10}")


if __name__ == "__main__":
    main()
