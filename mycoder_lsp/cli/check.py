"""``mycoder-lsp check``: validate files and print the findings, like ruff.

Text: one ``path:line:col: CODE message`` line per finding (1-based), then a
summary; ``--json``: ``{"files": [FileResult.to_json(), ...]}``. Exit status
1 when any finding is an error, 0 otherwise, 2 for usage errors. Many files
are validated in a process pool. This module must stay light to import: no
pygls, no httpx.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from mycoder_lsp.config import Settings, load_settings
from mycoder_lsp.errors import UserError
from mycoder_lsp.validation.findings import FileResult, Severity
from mycoder_lsp.validation.pipeline import language_for_path, validate_bytes
from mycoder_lsp.validation.walk import iter_source_files

HELP = "validate files and print findings (exit 1 on errors)"

# Below this many files a pool costs more to start than it saves.
POOL_THRESHOLD = 40


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", type=Path, help="files or directories to check")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--original", type=Path, default=None, metavar="FILE",
                        help="the version before an edit: report functions the edit lost")
    parser.add_argument("--instruction", default=None, metavar="TEXT",
                        help="what the edit was asked to do (a rename or removal makes lost names legitimate)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    root: Path = args.root.resolve()
    if not root.is_dir():
        raise UserError(f"--root {args.root} is not a directory.")
    settings, problems = load_settings(root)
    for problem in problems:
        print(f"mycoder-lsp: {problem}", file=sys.stderr)
    original = _read_original(args.original, args.paths) if args.original else None
    files, skipped = _collect(args.paths, root)
    results = _validate_all(files, settings, root, original, args.instruction, args.jobs)
    results += skipped
    results.sort(key=lambda r: r.path)
    cwd = Path.cwd()
    for result in results:
        result.path = _display(Path(result.path), cwd, root)
    if args.json:
        checked = [r for r in results if r.skipped is None]
        json.dump({"files": [r.to_json() for r in checked]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        for result in results:
            if result.skipped is not None:
                print(f"{result.path}: skipped: {result.skipped}", file=sys.stderr)
    else:
        _print_text(results)
    return 1 if any(r.has_errors for r in results) else 0


def _read_original(path: Path, paths: list[Path]) -> str:
    if len(paths) != 1 or paths[0].is_dir():
        raise UserError("--original compares one edited file with its original: give exactly one file PATH.")
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UserError(f"--original {path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--original {path} cannot be read as UTF-8 text: {exc}") from None


def _collect(paths: list[Path], root: Path) -> tuple[list[Path], list[FileResult]]:
    files: list[Path] = []
    skipped: list[FileResult] = []
    seen: set[Path] = set()
    for given in paths:
        if not given.exists():
            raise UserError(f"{given}: no such file or directory.")
        if given.is_dir():
            found = list(iter_source_files(given, root))
        elif language_for_path(str(given)) is None:
            skipped.append(FileResult(path=str(given.resolve()), language=None,
                                      skipped="unknown language (no validator for this file type)"))
            continue
        else:
            found = [given.resolve()]
        for path in found:
            if path not in seen:
                seen.add(path)
                files.append(path)
    return files, skipped


def _validate_all(files: list[Path], settings: Settings, root: Path, original: str | None,
                  instruction: str | None, jobs: int) -> list[FileResult]:
    if len(files) < POOL_THRESHOLD or jobs <= 1:
        return [validate_file(p, settings, root, original, instruction) for p in files]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        chunk = max(1, min(64, len(files) // (jobs * 8)))
        return list(pool.map(_validate_in_worker, [(p, settings, root) for p in files], chunksize=chunk))


def _validate_in_worker(job: tuple[Path, Settings, Path]) -> FileResult:
    return validate_file(*job)


def validate_file(path: Path, settings: Settings, root: Path, original: str | None = None,
                  instruction: str | None = None) -> FileResult:
    limit = settings.validation.max_file_size
    try:
        size = path.stat().st_size
        if size > limit:
            return FileResult(path=str(path), language=language_for_path(str(path)),
                              skipped=f"{size:,} bytes is over the {limit:,}-byte limit (validation.max_file_size)")
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(path=str(path), language=None, skipped=f"cannot be read: {exc.strerror or exc}")
    return validate_bytes(data, path=str(path), settings=settings, original=original,
                          instruction=instruction, workspace_root=root)


def _display(path: Path, cwd: Path, root: Path) -> str:
    for base in (cwd, root):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


def _print_text(results: list[FileResult]) -> None:
    out = sys.stdout
    total = errors = with_findings = skipped = 0
    for result in results:
        if result.skipped is not None:
            skipped += 1
            out.write(f"{result.path}: skipped: {result.skipped}\n")
            continue
        if result.findings:
            with_findings += 1
        for f in result.findings:
            total += 1
            errors += f.severity == Severity.ERROR
            out.write(f"{result.path}:{f.line + 1}:{f.column + 1}: {f.code} {f.message}\n")
    checked = len(results) - skipped
    if total:
        out.write(f"Found {total} finding{'s' * (total != 1)} ({errors} error{'s' * (errors != 1)}) "
                  f"in {with_findings} file{'s' * (with_findings != 1)}.\n")
    else:
        out.write("All checks passed.\n")
    note = f" ({skipped} skipped)" if skipped else ""
    out.write(f"Checked {checked} file{'s' * (checked != 1)}{note}.\n")
