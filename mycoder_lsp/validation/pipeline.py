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

import logging
import tokenize
from pathlib import Path
from typing import Callable

from mycoder_lsp.config import Settings
from mycoder_lsp.languages import LANGUAGE_IDS, LANGUAGES, language_for_path
from mycoder_lsp.validation import hallucination, lint, security, style, syntax
from mycoder_lsp.validation.findings import FileResult, Finding, Severity
from mycoder_lsp.validation.source import PythonSource

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
) -> FileResult:
    """Validate ``text``; ``original`` and ``instruction`` enable the MC5xx
    comparison checks (dropped functions) for generated edits."""
    settings = settings or Settings()
    language = language or language_for_path(path)
    result = FileResult(path=path, language=language)
    if language is None or not text.strip():
        return result
    config = settings.validation
    findings: list[Finding] = []
    if language == "python":
        tree, error = syntax.parse_python(text, path)
        src = PythonSource(text, path, tree, workspace_root, original, instruction)
        if error is not None and config.syntax:
            findings.append(error)
        if error is not None and not config.syntax:
            # Confidence still reflects that the file cannot run.
            result.confidence = 0.0
        layers: list[tuple[bool, Callable[[], list[Finding]]]] = [
            (config.style.enabled, lambda: style.check_style(src, config.style)),
            (config.lint.enabled, lambda: lint.check_lint(src, config.lint)),
            (config.security, lambda: security.check_security(src, list(settings.constitution.forbidden_sources))),
            (config.hallucination, lambda: hallucination.check_hallucination(src)),
        ]
    else:
        src = PythonSource(text, path)
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
    ignored = set(config.ignore)
    # A line over the hard limit (MC302) need not also be told it is over
    # PEP 8's (MC204): one finding per problem.
    too_long = {f.line for f in findings if f.code == "MC302"}
    result.findings = sorted(
        (f for f in findings if f.code not in ignored and not (f.code == "MC204" and f.line in too_long)),
        key=lambda f: (f.line, f.column, f.code),
    )
    result.confidence = min(result.confidence, score(result.findings))
    return result


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


# The language tables are re-exported: callers find them next to the pipeline.
__all__ = ["LANGUAGES", "LANGUAGE_IDS", "PENALTIES", "language_for_path", "score", "validate_bytes", "validate_text"]
