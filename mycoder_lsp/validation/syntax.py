"""MC1xx: does the file parse? Python through ``ast``, the other languages
through tree-sitter grammars (ERROR and MISSING nodes).

Grammar ``Language``/``Parser`` objects are built once per language and kept.
This module only reports syntax; it must not judge style or meaning.
"""

from __future__ import annotations

import ast
import importlib
import logging
import threading
from typing import Any

from mycoder_lsp.parsing import parse_python as parse_ast
from mycoder_lsp.text import lone_cr_as_lf, position_of, split_lines
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.source import PythonSource

log = logging.getLogger(__name__)

# language -> (grammar module, function returning the language pointer)
GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
}

# Past this many syntax errors the rest is noise from the first ones.
MAX_SYNTAX_FINDINGS = 20

_parsers: dict[str, Any] = {}
_parsers_lock = threading.Lock()
# A tree-sitter Parser is not safe to share between threads at once.
_parse_lock = threading.Lock()


def parse_python(text: str, path: str) -> tuple[ast.Module | None, Finding | None]:
    """The tree, or the syntax error as a finding (MC101)."""
    try:
        return parse_ast(text, filename=path), None
    except SyntaxError as exc:
        return None, _python_error(text, exc)
    except ValueError as exc:  # NUL bytes on Python < 3.12
        line, col = position_of(text, text.find("\0")) if "\0" in text else (0, 0)
        return None, Finding("MC101", f"Syntax error: {exc}. Remove the NUL characters.", Severity.ERROR,
                             line, col, line, col + 1)
    except (RecursionError, MemoryError):
        return None, Finding("MC101", "Syntax error: the code is nested too deeply for Python to parse. "
                             "Flatten the expression.", Severity.ERROR, 0, 0, 0, 0)


def _python_error(text: str, exc: SyntaxError) -> Finding:
    src = PythonSource(text, "")
    line = max((exc.lineno or 1) - 1, 0)
    # SyntaxError offsets are 1-based code-point columns.
    col = max((exc.offset or 1) - 1, 0)
    end_line = (exc.end_lineno or exc.lineno or 1) - 1
    end_col = (exc.end_offset or 0) - 1
    line_len = len(src.line(line))
    col = min(col, line_len)
    if end_line < line or (end_line == line and end_col <= col):
        # No usable end: underline one character, or the rest of a line
        # ending in an unterminated construct.
        end_line, end_col = line, min(col + 1, max(line_len, col))
    msg = exc.msg[0].upper() + exc.msg[1:] if exc.msg else "Invalid syntax"
    if not msg.endswith((".", "?", "!")):
        msg += "."
    return Finding("MC101", f"Syntax error: {msg} Fix it before anything else: the file cannot run.",
                   Severity.ERROR, line, col, max(end_line, line), max(end_col, 0))


def check_python(src: PythonSource) -> list[Finding]:
    """Errors that ``ast.parse`` accepts but the compiler refuses are left
    to pyflakes (return outside function, ...)."""
    if src.tree is not None:
        return []
    _, finding = parse_python(src.text, src.path)
    return [finding] if finding else []


def parser_for(language: str) -> Any | None:
    """A cached tree-sitter parser, or None when the grammar is not installed."""
    with _parsers_lock:
        if language in _parsers:
            return _parsers[language]
        parser = None
        spec = GRAMMARS.get(language)
        if spec is not None:
            try:
                from tree_sitter import Language, Parser

                module = importlib.import_module(spec[0])
                parser = Parser(Language(getattr(module, spec[1])()))
            except Exception:  # a broken or missing wheel must not stop validation
                log.warning("tree-sitter grammar for %s is not available", language, exc_info=True)
        _parsers[language] = parser
        return parser


def check_tree_sitter(text: str, language: str) -> list[Finding]:
    parser = parser_for(language)
    if parser is None:
        return []
    # tree-sitter rows break at \n only: a lone \r becomes \n (same bytes
    # count) so rows are the editor's lines in CR-only files too.
    data = lone_cr_as_lf(text).encode("utf-8", "surrogatepass")
    with _parse_lock:
        tree = parser.parse(data)
    root = tree.root_node
    if not root.has_error:
        return []
    lines = split_lines(text)
    findings: list[Finding] = []
    stack = [root]
    while stack and len(findings) < MAX_SYNTAX_FINDINGS:
        node = stack.pop()
        if node.is_missing:
            findings.append(_missing(node, lines))
            continue
        if node.is_error:
            findings.append(_error(node, lines))
            continue  # nested errors repeat the outer one
        if node.has_error:
            stack.extend(reversed(node.children))
    return findings


def _col(lines: list[str], row: int, byte_col: int) -> int:
    text = lines[row] if 0 <= row < len(lines) else ""
    if text.isascii():
        return byte_col
    return len(text.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "ignore"))


def _missing(node: Any, lines: list[str]) -> Finding:
    row, col = node.start_point
    col = _col(lines, row, col)
    what = f"'{node.type}'" if not node.is_named else f"{node.type.replace('_', ' ')}"
    return Finding("MC103", f"Syntax error: missing {what} here. Add it.", Severity.ERROR, row, col, row, col)


def _error(node: Any, lines: list[str]) -> Finding:
    row, col = node.start_point
    end_row, end_col = node.end_point
    start = _col(lines, row, col)
    end = _col(lines, end_row, end_col)
    snippet = (node.text or b"").decode("utf-8", "replace").strip().splitlines()
    shown = snippet[0][:40] if snippet else ""
    detail = f" near '{shown}'" if shown else ""
    if end_row == row and end <= start:
        end = start + 1 if start < len(lines[row] if row < len(lines) else "") else start
    return Finding("MC102", f"Syntax error: unexpected code{detail}. Fix the syntax here.",
                   Severity.ERROR, row, start, end_row, end)
