"""pyflakes in-process vs ruff as the engine of the MC3xx lint layer.

Same files for both (the stdlib and the running interpreter's site-packages,
``.py`` and ``.pyi``), two paths the product has:

- CLI batch (``mycoder-lsp check .``): pyflakes over every file in one
  process, against one ``ruff check --select F`` over the same files.
- per keystroke (the server, one open document): pyflakes on a tree already
  parsed (the pipeline parses once for every layer) and with its own parse,
  against one ``ruff check -`` spawned per file with the text on stdin.

Wall and CPU time (ruff's threads and child processes included), and how far
the findings agree, keyed by (file, line, pyflakes code as ruff's F-code).
ruff is not a dependency: pass its binary with ``--ruff`` (``pip download
ruff==X`` and unzip the wheel). This script only measures; it fetches nothing.

    python bench/bench_lint_engines.py --ruff /path/to/ruff [--sample 200] [--json out.json]

Results (2026-12-01, 2 shared CPUs, load average 2.3-5.0 so read CPU, not
wall; pyflakes 4.1.0, ruff 0.17.6, CPython 3.11.7; 3,938 files, 1.70 M lines;
three runs, ranges):

| path | pyflakes in-process | ruff |
|---|---|---|
| CLI batch, CPU for all files | 23.4-25.8 s (parse + check) | 1.06-1.16 s |
| per keystroke, CPU/file, mean | 3.3-3.7 ms (parsed tree), 6.3-6.9 ms (own parse) | 3.5-3.8 ms (spawned, stdin) |
| per keystroke, wall/file, median / p95 | 1.2-1.7 / 13-37 ms | 3.3-7.5 / 4.8-12 ms |

Agreement (file, line, F-code): 12,795 findings both, 12,114 pyflakes only
(9,560 F821: forward references in .pyi stubs and ``Literal`` imported as
``L``, which validation.lint now drops; 1,277 F401, mostly re-exports ruff
excuses), 770 ruff only (690 F405). F822 differs only in the line each
engine reports.

Reading: ruff wins the batch by about 20x in CPU, but not the per-keystroke
path the server lives on (the same CPU, a slower median because of the
process start, a better tail on big files), and it would add a platform
binary and a second engine's behaviour. Keep pyflakes in-process.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# pyflakes message class -> ruff rule (the F-codes ruff took from pyflakes)
RUFF_CODES: dict[str, str] = {
    "UnusedImport": "F401", "ImportShadowedByLoopVar": "F402", "ImportStarUsed": "F403", "LateFutureImport": "F404",
    "ImportStarUsage": "F405", "ImportStarNotPermitted": "F406", "FutureFeatureNotDefined": "F407",
    "PercentFormatInvalidFormat": "F501", "PercentFormatExpectedMapping": "F502",
    "PercentFormatExpectedSequence": "F503", "PercentFormatExtraNamedArguments": "F504",
    "PercentFormatMissingArgument": "F505", "PercentFormatMixedPositionalAndNamed": "F506",
    "PercentFormatPositionalCountMismatch": "F507", "PercentFormatStarRequiresSequence": "F508",
    "PercentFormatUnsupportedFormatCharacter": "F509", "StringDotFormatInvalidFormat": "F521",
    "StringDotFormatExtraNamedArguments": "F522", "StringDotFormatExtraPositionalArguments": "F523",
    "StringDotFormatMissingArgument": "F524", "StringDotFormatMixingAutomatic": "F525",
    "FStringMissingPlaceholders": "F541", "MultiValueRepeatedKeyLiteral": "F601",
    "MultiValueRepeatedKeyVariable": "F602", "TooManyExpressionsInStarredAssignment": "F621",
    "TwoStarredExpressions": "F622", "AssertTuple": "F631", "IsLiteral": "F632", "InvalidPrintSyntax": "F633",
    "IfTuple": "F634", "BreakOutsideLoop": "F701", "ContinueOutsideLoop": "F702", "YieldOutsideFunction": "F704",
    "ReturnOutsideFunction": "F706", "DefaultExceptNotLast": "F707", "ForwardAnnotationSyntaxError": "F722",
    "RedefinedWhileUnused": "F811", "UndefinedName": "F821", "UndefinedExport": "F822", "UndefinedLocal": "F823",
    "DuplicateArgument": "F831", "UnusedVariable": "F841", "UnusedAnnotation": "F842", "RaiseNotImplemented": "F901",
}


@dataclass
class Timing:
    wall: float = 0.0
    cpu: float = 0.0
    per_file_wall: list[float] = field(default_factory=list)

    def row(self, name: str, files: int) -> str:
        per = self.per_file_wall or [self.wall / max(files, 1)]
        p95 = sorted(per)[int(len(per) * 0.95) - 1] if len(per) >= 20 else max(per)
        return (f"| {name} | {files} | {self.wall:.2f} | {self.cpu:.2f} | {1000 * self.wall / max(files, 1):.2f} | "
                f"{1000 * statistics.median(per):.2f} | {1000 * p95:.2f} | {1000 * self.cpu / max(files, 1):.2f} |")


def corpus() -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    site = Path(sysconfig.get_paths()["purelib"])
    files: list[Path] = []
    for root in (stdlib, site):
        for path in sorted(root.rglob("*.py*")):
            if path.suffix not in (".py", ".pyi") or root == stdlib and "site-packages" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
                ast.parse(text)
            except (UnicodeDecodeError, SyntaxError, ValueError, OSError, RecursionError):
                continue  # both engines would report a syntax error: not what is compared
            files.append(path)
    return files


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def pyflakes_file(path: Path, text: str, tree: ast.Module | None) -> list[tuple[str, int, str]]:
    from pyflakes import checker

    tree = tree if tree is not None else ast.parse(text, filename=str(path))
    found = []
    for message in checker.Checker(tree, filename=str(path)).messages:
        code = RUFF_CODES.get(type(message).__name__)
        if code:
            found.append((str(path), message.lineno, code))
    return found


def run_pyflakes(files: list[Path], texts: dict[Path, str], parse: bool) -> tuple[Timing, list[tuple[str, int, str]]]:
    trees = {} if parse else {p: ast.parse(texts[p], filename=str(p)) for p in files}
    timing, found = Timing(), []
    start_wall, start_cpu = time.perf_counter(), cpu_now()
    for path in files:
        t0 = time.perf_counter()
        found += pyflakes_file(path, texts[path], trees.get(path))
        timing.per_file_wall.append(time.perf_counter() - t0)
    timing.wall, timing.cpu = time.perf_counter() - start_wall, cpu_now() - start_cpu
    return timing, found


def ruff_args(ruff: str) -> list[str]:
    target = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return [ruff, "check", "--no-cache", "--isolated", "--select", "F", "--target-version", target,
            "--output-format", "json", "--exit-zero"]


def parse_ruff(output: str, stdin_path: Path | None = None) -> list[tuple[str, int, str]]:
    found = []
    for item in json.loads(output or "[]"):
        if item.get("code"):
            path = str(stdin_path) if stdin_path else item["filename"]
            found.append((path, item["location"]["row"], item["code"]))
    return found


def run_ruff_batch(ruff: str, files: list[Path], threads: int | None) -> tuple[Timing, list[tuple[str, int, str]]]:
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    start_wall, start_cpu = time.perf_counter(), cpu_now()
    done = subprocess.run(ruff_args(ruff) + [str(p) for p in files],
                          capture_output=True, text=True, env=env, check=False)
    timing = Timing(time.perf_counter() - start_wall, cpu_now() - start_cpu)
    if done.returncode not in (0, 1):
        raise SystemExit(f"ruff failed: {done.stderr[:500]}")
    return timing, parse_ruff(done.stdout)


def run_ruff_stdin(ruff: str, files: list[Path], texts: dict[Path, str]) -> tuple[Timing, list[tuple[str, int, str]]]:
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    timing, found = Timing(), []
    start_wall, start_cpu = time.perf_counter(), cpu_now()
    for path in files:
        t0 = time.perf_counter()
        done = subprocess.run(ruff_args(ruff) + ["--stdin-filename", str(path), "-"], input=texts[path],
                              capture_output=True, text=True, env=env, check=False)
        timing.per_file_wall.append(time.perf_counter() - t0)
        found += parse_ruff(done.stdout, path)
    timing.wall, timing.cpu = time.perf_counter() - start_wall, cpu_now() - start_cpu
    return timing, found


def at_statement(found: list[tuple[str, int, str]], texts: dict[Path, str]) -> list[tuple[str, int, str]]:
    """ruff puts F401 on the imported name, pyflakes on the statement: key
    both by the statement's first line."""
    starts: dict[str, dict[int, int]] = {}
    moved = []
    for path, line, code in found:
        if code == "F401":
            if path not in starts:
                starts[path] = {}
                for node in ast.walk(ast.parse(texts[Path(path)])):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        for row in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                            starts[path][row] = node.lineno
            line = starts[path].get(line, line)
        moved.append((path, line, code))
    return moved


def agreement(pyflakes: list[tuple[str, int, str]], ruff: list[tuple[str, int, str]]) -> list[str]:
    mine, theirs = Counter(pyflakes), Counter(ruff)
    by_code: dict[str, list[int]] = {}
    for key in set(mine) | set(theirs):
        both = min(mine[key], theirs[key])
        row = by_code.setdefault(key[2], [0, 0, 0])
        row[0] += both
        row[1] += mine[key] - both
        row[2] += theirs[key] - both
    lines = ["| code | both | pyflakes only | ruff only |", "|---|---|---|---|"]
    total = [0, 0, 0]
    for code in sorted(by_code):
        row = by_code[code]
        total = [a + b for a, b in zip(total, row)]
        lines.append(f"| {code} | {row[0]} | {row[1]} | {row[2]} |")
    lines.append(f"| all | {total[0]} | {total[1]} | {total[2]} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ruff", default=shutil.which("ruff"), help="the ruff binary (default: ruff on PATH)")
    parser.add_argument("--sample", type=int, default=200, help="files for the per-keystroke comparison")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not args.ruff:
        raise SystemExit("no ruff binary: pass --ruff PATH")
    warnings.simplefilter("ignore")  # SyntaxWarnings of old stdlib tests
    sys.setrecursionlimit(10_000)
    files = corpus()
    texts = {p: p.read_text(encoding="utf-8") for p in files}
    lines = sum(t.count("\n") for t in texts.values())
    version = subprocess.run([args.ruff, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    from pyflakes import __version__ as pyflakes_version

    print(f"{len(files)} files, {lines:,} lines; pyflakes {pyflakes_version}, {version}; "
          f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    header = ["| engine | files | wall s | CPU s | wall ms/file (mean) | median | p95 | CPU ms/file |",
              "|---|---|---|---|---|---|---|---|"]
    batch_pf, found_pf = run_pyflakes(files, texts, parse=True)
    batch_ruff, found_ruff = run_ruff_batch(args.ruff, files, None)
    batch_ruff1, _ = run_ruff_batch(args.ruff, files, 1)
    print("\nCLI batch (every file, one process)\n")
    print("\n".join(header + [batch_pf.row("pyflakes in-process (parse + check)", len(files)),
                              batch_ruff.row("ruff check, default threads", len(files)),
                              batch_ruff1.row("ruff check, 1 thread", len(files))]))
    step = max(1, len(files) // args.sample)
    sample = files[::step][:args.sample]
    key_pf_tree, _ = run_pyflakes(sample, texts, parse=False)
    key_pf, _ = run_pyflakes(sample, texts, parse=True)
    key_ruff, _ = run_ruff_stdin(args.ruff, sample, texts)
    print(f"\nper keystroke (one file, {len(sample)} files, every {step}th)\n")
    print("\n".join(header + [key_pf_tree.row("pyflakes on the tree already parsed", len(sample)),
                              key_pf.row("pyflakes with its own parse", len(sample)),
                              key_ruff.row("ruff check - (spawned, stdin)", len(sample))]))
    print("\nagreement over all files, keyed by (file, line, code)\n")
    table = agreement(found_pf, at_statement(found_ruff, texts))
    print("\n".join(table))
    if args.json:
        args.json.write_text(json.dumps({
            "files": len(files), "lines": lines, "ruff": version, "pyflakes": pyflakes_version,
            "batch": {"pyflakes": vars(batch_pf) | {"per_file_wall": []}, "ruff": vars(batch_ruff),
                      "ruff_1_thread": vars(batch_ruff1)},
            "keystroke": {name: {"wall": t.wall, "cpu": t.cpu, "median_ms": 1000 * statistics.median(t.per_file_wall)}
                          for name, t in (("pyflakes_tree", key_pf_tree), ("pyflakes", key_pf), ("ruff", key_ruff))},
            "agreement": table,
        }, indent=1))


if __name__ == "__main__":
    main()
