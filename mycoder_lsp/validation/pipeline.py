"""Run every enabled validation layer over one file and score the result.

Entry points: :func:`validate_text` for text already decoded (the server's
open documents, generated edits), :func:`validate_bytes` for files on disk
(size limit, binary and undecodable content handled here, once).
"""

from __future__ import annotations

import ast
from pathlib import Path

from mycoder_lsp.config import Settings
from mycoder_lsp.validation.findings import FileResult, Finding, Severity

LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
}

# LSP languageId -> our language name
LANGUAGE_IDS = {
    "python": "python",
    "javascript": "javascript",
    "javascriptreact": "javascript",
    "typescript": "typescript",
    "typescriptreact": "tsx",
    "go": "go",
    "rust": "rust",
}


def language_for_path(path: str) -> str | None:
    return LANGUAGES.get(Path(path).suffix.lower())


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
    if language != "python":
        return result
    try:
        ast.parse(text, filename=path)
    except SyntaxError as exc:
        line = max((exc.lineno or 1) - 1, 0)
        col = max((exc.offset or 1) - 1, 0)
        result.findings.append(
            Finding("MC101", f"Syntax error: {exc.msg}", Severity.ERROR, line, col, line, col + 1)
        )
        result.confidence = 0.0
    return result


def validate_bytes(data: bytes, *, path: str, settings: Settings | None = None, **kwargs: object) -> FileResult:
    settings = settings or Settings()
    limit = settings.validation.max_file_size
    if len(data) > limit:
        return FileResult(path=path, language=language_for_path(path), skipped=f"larger than {limit} bytes")
    if b"\0" in data[:8192]:
        return FileResult(path=path, language=None, skipped="binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FileResult(path=path, language=None, skipped=f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
    return validate_text(text, path=path, settings=settings, **kwargs)  # type: ignore[arg-type]
