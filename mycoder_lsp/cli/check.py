"""``mycoder-lsp check``: validate files and print the findings, like ruff.

Each file is checked with the settings of its own project: the nearest
directory at or above it (never above the workspace root) with
``.mycoder/config.toml`` or ``[tool.mycoder]`` in ``pyproject.toml``, else the
workspace root's; and with the project's line length and Python version
(validation/project.py). The workspace root is ``--root``, or without it the
project the current directory is in. So ``cd pkg && mycoder-lsp check .`` and
``mycoder-lsp check pkg`` agree, and ``cd pkg/sub`` still finds pkg's settings.

Output formats: ``text`` (``path:line:col: CODE [severity] message``,
1-based, then a summary), ``json`` (``{"files": [FileResult.to_json(),
...]}``), ``github`` (workflow commands) and ``sarif`` (2.1.0). A file that
was not checked (binary, undecodable, too large) is an MC001 finding in
every format. Exit status 1 when a finding shown is an error (0 with
``--exit-zero``), 2 for usage errors. Many files are validated in a process
pool. This module must stay light to import: no pygls, no httpx.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mycoder_lsp import __version__
from mycoder_lsp.code.languages import language_for_path
from mycoder_lsp.code.workspace import iter_source_files
from mycoder_lsp.config import Settings, load_settings
from mycoder_lsp.errors import UserError
from mycoder_lsp.validation.findings import FileResult, Finding, Severity
from mycoder_lsp.validation.pipeline import validate_bytes
from mycoder_lsp.validation.project import find_root
from mycoder_lsp.validation.suppress import FOREIGN_CODES

HELP = "validate files and print findings (exit 1 on errors)"

# Below this many files a pool costs more to start than it saves.
POOL_THRESHOLD = 40
FORMATS = ("text", "json", "github", "sarif")
SKIPPED_CODE = "MC001"
_SELECTOR = re.compile(r"^MC\d{0,3}$")


def _selectors(value: str) -> list[str]:
    """``--select MC5,MC31,E501`` -> ``["MC5", "MC31", "MC204", "MC302"]``;
    ``ALL`` -> ``[""]`` (the prefix of every code)."""
    selected: list[str] = []
    for token in (t.strip().upper() for t in value.split(",")):
        if not token:
            continue
        if token == "ALL":
            selected.append("")
        elif _SELECTOR.match(token):
            selected.append(token)
        elif token in FOREIGN_CODES:
            selected += FOREIGN_CODES[token]
        else:
            raise argparse.ArgumentTypeError(
                f"unknown code {token!r}: give MC codes or prefixes (MC3, MC31, MC310), ALL, "
                "or a ruff/flake8 code that has an MC equivalent (F401, E501)")
    return selected


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", type=Path,
                        help="files or directories to check; - reads one file from stdin")
    parser.add_argument("--stdin-filename", default=None, metavar="NAME",
                        help="the name of the file read from stdin: its language and project come from it")
    parser.add_argument("--select", action="extend", type=_selectors, default=None, metavar="CODES",
                        help="only these codes or prefixes, comma-separated (MC5,MC31; default ALL)")
    parser.add_argument("--extend-select", action="extend", type=_selectors, default=[], metavar="CODES",
                        help="codes or prefixes to add to --select")
    parser.add_argument("--ignore", action="extend", type=_selectors, default=[], metavar="CODES",
                        help="codes or prefixes to leave out (the more specific of --select/--ignore wins)")
    parser.add_argument("--severity", choices=[s.label for s in Severity], default=Severity.HINT.label,
                        help="show findings of this severity or worse (default: hint, i.e. all)")
    parser.add_argument("--output-format", choices=FORMATS, default=None, help="text (default), json, github, sarif")
    parser.add_argument("--json", action="store_true", help="same as --output-format json")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when errors are found")
    parser.add_argument("--original", type=Path, default=None, metavar="FILE",
                        help="the version before an edit: report functions the edit lost")
    parser.add_argument("--instruction", default=None, metavar="TEXT",
                        help="what the edit was asked to do (a rename or removal makes lost names legitimate)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help=argparse.SUPPRESS)
    # Without --root, the workspace is the project the current directory is
    # in (so `cd pkg/sub && check .` still reads pkg's settings), not the
    # current directory itself; an explicit --root is the upper bound.
    parser.set_defaults(root=None)


@dataclass(frozen=True)
class Selection:
    """Which findings are shown: ``select``/``ignore`` prefixes (the longest
    match decides, a tie goes to ignore) and the least severe level shown.
    MC001 (a file not checked) is shown unless ignored by name or prefix."""

    select: tuple[str, ...] = ("",)
    ignore: tuple[str, ...] = ()
    minimum: Severity = Severity.HINT

    def shows(self, finding: Finding) -> bool:
        ignored = _longest(finding.code, self.ignore)
        if finding.code == SKIPPED_CODE:
            return ignored < 0
        selected = _longest(finding.code, self.select)
        return selected >= 0 and ignored < selected and finding.severity <= self.minimum


def _longest(code: str, prefixes: Iterable[str]) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


def run(args: argparse.Namespace) -> int:
    if args.root is None:
        cwd = Path.cwd().resolve()
        root = find_root(cwd, None) or cwd
    else:
        root = args.root.resolve()
        if not root.is_dir():
            raise UserError(f"--root {args.root} is not a directory.")
    output = _output_format(args)
    selection = Selection(
        select=tuple(args.select if args.select is not None else [""]) + tuple(args.extend_select),
        ignore=tuple(args.ignore),
        minimum=Severity[args.severity.upper()],
    )
    settings_for = ProjectSettings(root)
    stdin = [p for p in args.paths if str(p) == "-"]
    if stdin and len(args.paths) > 1:
        raise UserError("- (stdin) checks one file: give it alone, without other PATHs.")
    if args.stdin_filename and not stdin:
        raise UserError("--stdin-filename names the file read from stdin: give - as the PATH.")
    original = _read_original(args.original, args.paths) if args.original else None
    if stdin:
        results = [_validate_stdin(args.stdin_filename, settings_for, root, original, args.instruction)]
    else:
        files, skipped = _collect(args.paths, root)
        results = _validate_all(files, settings_for, root, original, args.instruction, args.jobs)
        results += skipped
    results.sort(key=lambda r: r.path)
    cwd = Path.cwd()
    for result in results:
        if result.path != "-":
            result.path = _display(Path(result.path), cwd, root)
        if result.skipped is not None:
            result.findings = [skipped_finding(result.skipped)]
            result.confidence = 0.0  # not checked: nothing is known to be safe
        result.findings = [f for f in result.findings if selection.shows(f)]
    REPORTERS[output](results, sys.stdout)
    if output != "text":
        # Also on stderr, as before MC001 was in every format: scripts that
        # counted skipped files there keep working.
        for result in results:
            if result.skipped is not None:
                print(f"{result.path}: skipped: {result.skipped}", file=sys.stderr)
    errors = any(r.has_errors for r in results)
    return 1 if errors and not args.exit_zero else 0


def _output_format(args: argparse.Namespace) -> str:
    if args.json and args.output_format not in (None, "json"):
        raise UserError(f"--json and --output-format {args.output_format} disagree: give one of them.")
    return "json" if args.json else args.output_format or "text"


def skipped_finding(why: str) -> Finding:
    return Finding(SKIPPED_CODE, f"MyCoder skipped this file: {why}.", Severity.INFORMATION, 0, 0, 0, 0)


class ProjectSettings:
    """Settings per project, loaded once each: a file's are those of the
    nearest directory at or above its project root, up to ``--root``, that
    has settings of its own (``.mycoder/config.toml`` or ``[tool.mycoder]``);
    ``--root``'s when none has. The repository layers stay untrusted."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._loaded: dict[Path, Settings] = {}
        self._directories: dict[Path, Path] = {}  # project root -> the directory its settings come from

    def directory_for(self, path: Path) -> Path:
        start = find_root(path, self.root) or self.root
        known = self._directories.get(start)
        if known is not None:
            return known
        found = self.root
        for candidate in (start, *start.parents):
            if candidate != self.root and self.root not in candidate.parents:
                break
            if _has_own_settings(candidate):
                found = candidate
                break
            if candidate == self.root:
                break
        self._directories[start] = found
        return found

    def __call__(self, path: Path) -> Settings:
        directory = self.directory_for(path)
        settings = self._loaded.get(directory)
        if settings is None:
            settings, problems = load_settings(directory)
            for problem in problems:
                print(f"mycoder-lsp: {problem}", file=sys.stderr)
            self._loaded[directory] = settings
        return settings


def _has_own_settings(directory: Path) -> bool:
    if (directory / ".mycoder" / "config.toml").is_file():
        return True
    try:
        with (directory / "pyproject.toml").open("rb") as handle:
            head = handle.read(1_000_000)
    except OSError:
        return False
    return re.search(rb"^\s*\[\s*tool\s*\.\s*mycoder\b", head, re.MULTILINE) is not None


def _read_original(path: Path, paths: list[Path]) -> str:
    if len(paths) != 1 or paths[0].is_dir():
        raise UserError("--original compares one edited file with its original: give exactly one file PATH.")
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UserError(f"--original {path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--original {path} cannot be read as UTF-8 text: {exc}") from None


def _validate_stdin(name: str | None, settings_for: ProjectSettings, root: Path, original: str | None,
                    instruction: str | None) -> FileResult:
    """One file from stdin; ``name`` gives its language (Python without one)
    and its project, as if it were on disk there."""
    data = sys.stdin.buffer.read()
    path = (Path.cwd() / name).resolve() if name else None
    settings = settings_for(path if path is not None else root)
    language = language_for_path(name) if name else "python"
    if name and language is None:
        return FileResult(path=str(path), language=None,
                          skipped="unknown language (no validator for this file type)")
    result = validate_bytes(data, path=str(path) if path else "-", settings=settings, original=original,
                            instruction=instruction, workspace_root=root, language=language)
    return result


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


def _validate_all(files: list[Path], settings_for: ProjectSettings, root: Path, original: str | None,
                  instruction: str | None, jobs: int) -> list[FileResult]:
    if len(files) < POOL_THRESHOLD or jobs <= 1:
        return [validate_file(p, settings_for(p), root, original, instruction) for p in files]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        chunk = max(1, min(64, len(files) // (jobs * 8)))
        return list(pool.map(_validate_in_worker, [(p, settings_for(p), root) for p in files], chunksize=chunk))


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


# -- output formats -----------------------------------------------------------


def print_text(results: list[FileResult], out) -> None:  # type: ignore[no-untyped-def]
    total = errors = with_findings = skipped = 0
    for result in results:
        skipped += result.skipped is not None
        if result.findings:
            with_findings += 1
        for f in result.findings:
            total += 1
            errors += f.severity == Severity.ERROR
            out.write(f"{result.path}:{f.line + 1}:{f.column + 1}: {f.code} [{f.severity.label}] {f.message}\n")
    checked = len(results) - skipped
    if total:
        out.write(f"Found {total} finding{'s' * (total != 1)} ({errors} error{'s' * (errors != 1)}) "
                  f"in {with_findings} file{'s' * (with_findings != 1)}.\n")
    elif skipped:
        out.write("No findings in the files checked, but not every file was checked (MC001 above).\n")
    else:
        out.write("All checks passed.\n")
    note = f" ({skipped} skipped)" if skipped else ""
    out.write(f"Checked {checked} file{'s' * (checked != 1)}{note}.\n")


def print_json(results: list[FileResult], out) -> None:  # type: ignore[no-untyped-def]
    files = []
    for result in results:
        data = result.to_json()
        if result.skipped is not None:
            data["skipped"] = result.skipped
        files.append(data)
    json.dump({"files": files}, out, indent=2)
    out.write("\n")


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning",
                 Severity.INFORMATION: "notice", Severity.HINT: "notice"}


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def print_github(results: list[FileResult], out) -> None:  # type: ignore[no-untyped-def]
    """GitHub Actions workflow commands: each finding an annotation on its line."""
    for result in results:
        path = _github_escape(result.path, prop=True)
        for f in result.findings:
            out.write(f"::{_GITHUB_LEVEL[f.severity]} file={path},line={f.line + 1},col={f.column + 1},"
                      f"endLine={f.end_line + 1},endColumn={f.end_column + 1},title={f.code}::"
                      f"{_github_escape(f'{f.code} {f.message}')}\n")


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning",
                Severity.INFORMATION: "note", Severity.HINT: "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def print_sarif(results: list[FileResult], out) -> None:  # type: ignore[no-untyped-def]
    """SARIF 2.1.0: one run, the rules used, one result per finding. Columns
    are code points (``columnKind``), 1-based, the end exclusive as SARIF
    defines it."""
    codes = sorted({f.code for r in results for f in r.findings})
    index = {code: i for i, code in enumerate(codes)}
    sarif_results = []
    for result in results:
        uri = Path(result.path).as_uri() if Path(result.path).is_absolute() else Path(result.path).as_posix()
        for f in result.findings:
            sarif_results.append({
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": f.line + 1, "startColumn": f.column + 1,
                               "endLine": f.end_line + 1, "endColumn": f.end_column + 1},
                }}],
            })
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mycoder-lsp",
                "version": __version__,
                "informationUri": "https://github.com/mycoder-lsp/mycoder-lsp",
                "rules": [{"id": code, "name": code, "shortDescription": {"text": rule_description(code)}}
                          for code in codes],
            }},
            "columnKind": "unicodeCodePoints",
            "results": sarif_results,
        }],
    }
    json.dump(log, out, indent=2)
    out.write("\n")


REPORTERS = {"text": print_text, "json": print_json, "github": print_github, "sarif": print_sarif}

_RULES = {
    "MC001": "file skipped (too large, binary or not decodable)",
    "MC101": "syntax error",
    "MC102": "syntax error (tree-sitter ERROR node)",
    "MC103": "syntax error (missing token)",
    "MC201": "indentation not a multiple of the indent size",
    "MC202": "tabs and spaces mixed in one indent",
    "MC203": "trailing whitespace",
    "MC204": "line longer than the style limit",
    "MC301": "wildcard import",
    "MC302": "line longer than the hard limit",
    "MC401": "call of a forbidden builtin",
    "MC402": "hardcoded secret (token format)",
    "MC403": "hardcoded private key",
    "MC404": "hardcoded password or secret",
    "MC501": "placeholder standing in for code",
    "MC502": "function that does nothing",
    "MC503": "function or class of the original is missing",
    "MC504": "import that resolves nowhere",
    "MC505": "known package that is not installed",
    "MC506": "standard-library attribute that does not exist",
}


def rule_description(code: str) -> str:
    if code in _RULES:
        return _RULES[code]
    from mycoder_lsp.validation.lint import PYFLAKES_CODES

    for name, (mc, _, _) in PYFLAKES_CODES.items():
        if mc == code:
            return "pyflakes: " + re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    return code
