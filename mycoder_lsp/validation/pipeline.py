"""Run every enabled validation layer over one file and score the result.

Entry points: :func:`validate_text` for text already decoded (the server's
open documents, generated edits), :func:`validate_bytes` for files on disk
(size limit, binary and undecodable content handled here, once).

Python is parsed once and the tree is shared by all layers; other languages
get the tree-sitter syntax check and the secret scan. No layer may raise out
of here: a layer that breaks is logged and the others still report. This
module must not import pygls.
"""

from __future__ import annotations

import ast
import dataclasses
import logging
import tokenize
from collections.abc import Callable
from pathlib import Path

from mycoder_lsp.code.languages import language_for_path
from mycoder_lsp.config import Settings, ValidationSettings, was_set
from mycoder_lsp.validation import hallucination, lint, security, style, syntax
from mycoder_lsp.validation.findings import FileResult, Finding, Severity
from mycoder_lsp.validation.incremental import DocumentParses
from mycoder_lsp.validation.project import Project, parse_python_version, project_for
from mycoder_lsp.validation.source import PythonSource
from mycoder_lsp.validation.suppress import apply_suppressions, our_codes

log = logging.getLogger(__name__)

# The mission's confidence arithmetic: code -> (penalty per finding, the
# least severe level at which it counts). A finding below that level is the
# rule being unsure (a platform-specific attribute, an import inside a
# function, a no-op function in existing code), which is not penalised.
# A syntax error or a trivial body sets confidence to 0 outright.
PENALTIES: dict[str, tuple[float, Severity]] = {
    "MC501": (0.3, Severity.WARNING),
    "MC502": (1.0, Severity.WARNING),
    "MC503": (0.4, Severity.ERROR),
    "MC504": (0.2, Severity.ERROR),
    "MC506": (0.2, Severity.ERROR),
}



def validate_text(
    text: str,
    *,
    path: str,
    language: str | None = None,
    settings: Settings | None = None,
    original: str | None = None,
    instruction: str | None = None,
    workspace_root: Path | None = None,
    project: Project | None = None,
    parses: DocumentParses | None = None,
) -> FileResult:
    """Validate ``text``; ``original`` and ``instruction`` enable the MC5xx
    comparison checks (dropped functions) for generated edits. ``project``
    defaults to the project of ``path`` (:func:`project_for`). ``parses``:
    the document's parse history, to parse only what changed since the last
    text validated with it (the findings are the same)."""
    settings = settings or Settings()
    language = language or language_for_path(path)
    result = FileResult(path=path, language=language)
    if language is None or not text.strip():
        return result
    if project is None:
        # A relative or non-file path ("untitled:...") has no directory of
        # its own: it belongs to the workspace's project.
        project = project_for(path if Path(path).is_absolute() else None, workspace_root)
    project = _with_settings(project, settings.validation)
    config = effective_validation(settings.validation, project)
    findings: list[Finding] = []
    tree: ast.Module | None = None
    if language == "python":
        memo = parses.flakes if parses is not None else None
        tree, error = parses.parse(text, path) if parses is not None else syntax.parse_python(text, path)
        src = PythonSource(text, path, tree, workspace_root, original, instruction, project,
                           node_memo=parses.nodes if parses is not None else None)
        if error is not None and config.syntax:
            findings.append(error)
        if error is not None and not config.syntax:
            # Confidence still reflects that the file cannot run.
            result.confidence = 0.0
        layers: list[tuple[bool, Callable[[], list[Finding]]]] = [
            (config.style.enabled, lambda: style.check_style(src, config.style)),
            (config.lint.enabled, lambda: lint.check_lint(src, config.lint, memo)),
            (config.security, lambda: security.check_security(src, list(settings.constitution.forbidden_sources))),
            (config.hallucination, lambda: hallucination.check_hallucination(src)),
        ]
    else:
        src = PythonSource(text, path, project=project)
        layers = [
            (config.syntax, lambda: syntax.check_tree_sitter(text, language)),  # type: ignore[arg-type]
            (config.security, lambda: security.check_secrets_in_text(src)),
        ]
    for enabled, run in layers:
        if not enabled:
            continue
        try:
            findings += run()
        except Exception:  # one broken layer must not hide the others' findings
            log.exception("validation layer failed on %s", path)
    # Codes, prefixes ("MC2") or ruff/flake8 codes ("E501"), as in per_file_ignores.
    ignored = tuple(our_codes([*config.ignore, *project.style_ignores]))
    # A line over the hard limit (MC302) need not also be told it is over
    # PEP 8's (MC204): one finding per problem.
    too_long = {f.line for f in findings if f.code == "MC302"}
    findings = [f for f in findings
                if not f.code.startswith(ignored) and not (f.code == "MC204" and f.line in too_long)]
    if project.line_length is not None and not was_set(settings.validation.style, "max_line_length"):
        findings = [_project_length_message(f, project) if f.code == "MC204" else f for f in findings]
    if any(f.code.startswith("MC1") and f.severity == Severity.ERROR for f in findings):
        # Code that cannot run stays at confidence 0 even when its syntax error is suppressed.
        result.confidence = 0.0
    findings = apply_suppressions(findings, text=text, language=language, path=path, root=project.root,
                                  per_file_ignores=_per_file_ignores(project, config), original=original,
                                  src=src if language == "python" else None)
    result.findings = sorted(findings, key=lambda f: (f.line, f.column, f.code))
    result.confidence = min(result.confidence, score(result.findings))
    if parses is not None:
        parses.release(tree)  # the layers are done with it: the next parse may build on its nodes
    return result


def _per_file_ignores(project: Project, config: ValidationSettings) -> dict[str, list[str]]:
    """The project's ruff/flake8 per-file-ignores, then ``validation.per_file_ignores``."""
    if not project.per_file_ignores:
        return config.per_file_ignores
    merged: dict[str, list[str]] = {}
    for glob, codes in project.per_file_ignores:
        merged.setdefault(glob, []).extend(codes)
    for glob, listed in config.per_file_ignores.items():
        merged.setdefault(glob, []).extend(listed)
    return merged


def _with_settings(project: Project, config: ValidationSettings) -> Project:
    """``validation.python_version`` (from any settings layer) over the
    project's requires-python."""
    if not config.python_version:
        return project
    parsed = parse_python_version(config.python_version)
    return dataclasses.replace(project, python=parsed) if parsed is not None else project


def effective_validation(config: ValidationSettings, project: Project) -> ValidationSettings:
    """``config`` with the project's own line length where the user did not
    choose one: MC204 (the style note) at the project's length instead of
    PEP 8's 79, and MC302 (the hard limit) never below it, nor below ruff's
    ``pycodestyle.max-line-length`` (the project's own E501). A project at 120
    columns then gets MC302 past 120 only, and one finding per long line."""
    length = project.line_length
    if length is None and project.hard_line_length is None:
        return config
    style_settings, lint_settings = config.style, config.lint
    if length is not None and not was_set(style_settings, "max_line_length") and style_settings.max_line_length:
        style_settings = dataclasses.replace(style_settings, max_line_length=length)
    if not was_set(lint_settings, "max_line_length") and lint_settings.max_line_length:
        hard = max(lint_settings.max_line_length, length or 0, project.hard_line_length or 0)
        lint_settings = dataclasses.replace(lint_settings, max_line_length=hard)
    return dataclasses.replace(config, style=style_settings, lint=lint_settings)


def _project_length_message(finding: Finding, project: Project) -> Finding:
    """MC204 names the project's limit, not PEP 8's (style.py words it for 79)."""
    width = finding.end_column
    return dataclasses.replace(finding, message=(
        f"Line is {width} characters long, over the project's {project.line_length} "
        f"({project.line_length_source}): wrap it."))


def score(findings: list[Finding]) -> float:
    """Confidence from 1.0 down, clamped to [0, 1]."""
    confidence = 1.0
    for finding in findings:
        if finding.code.startswith("MC1") and finding.severity == Severity.ERROR:
            return 0.0
        penalty, level = PENALTIES.get(finding.code, (0.0, Severity.ERROR))
        if finding.severity <= level:
            confidence -= penalty
    return max(0.0, min(1.0, confidence))


def _python_encoding(data: bytes) -> str:
    """UTF-8 unless a PEP 263 coding declaration in the first two lines says
    otherwise (``# -*- coding: latin-1 -*-``)."""
    head = data[:400]
    if b"coding" not in head:
        return "utf-8"
    try:
        lines = iter(head.splitlines(keepends=True)[:2])
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
    except (SyntaxError, LookupError):
        return "utf-8"
    return "utf-8" if encoding == "utf-8-sig" else encoding


def validate_bytes(data: bytes, *, path: str, settings: Settings | None = None, **kwargs: object) -> FileResult:
    settings = settings or Settings()
    limit = settings.validation.max_file_size
    language = language_for_path(path)
    if len(data) > limit:
        return FileResult(path=path, language=language,
                          skipped=f"{len(data):,} bytes is over the {limit:,}-byte limit (validation.max_file_size)")
    if b"\0" in data[:8192]:
        return FileResult(path=path, language=language, skipped="binary file (contains NUL bytes)")
    encoding = _python_encoding(data) if language == "python" else "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            why = f"not valid {exc.encoding} ({exc.reason} at byte {exc.start})"
        else:
            why = f"unknown encoding {encoding!r} in its coding declaration"
        return FileResult(path=path, language=language, skipped=why)
    if text.startswith("\ufeff"):
        text = text[1:]  # a BOM is not part of the code
    return validate_text(text, path=path, settings=settings, **kwargs)  # type: ignore[arg-type]


__all__ = ["PENALTIES", "score", "validate_bytes", "validate_text"]
