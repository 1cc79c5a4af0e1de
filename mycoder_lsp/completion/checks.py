"""What a suggestion must pass before the editor shows it.

The model's raw middle is cut at the end of what will be shown (the rest
of the line when the cursor is inside a line, else ``max_lines`` lines),
its indentation fixed to the block it lands in, trimmed where it starts
repeating the code after the cursor, and checked by parsing the file with
it in (tree-sitter: every language the project knows, errors located) and,
for Python, by the validator's import check (an import that resolves
nowhere is never shown). :func:`check_suggestion` returns the text to show
or the reason it was dropped, which the engine counts.

Pure functions on text (the import check reads the workspace's module
listings); CPU work, to be run in a thread. No pygls, no model calls.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from mycoder_lsp.code.languages import language as language_record
from mycoder_lsp.code.parsing import parse_python
from mycoder_lsp.validation.findings import Severity
from mycoder_lsp.validation.hallucination import check_hallucination
from mycoder_lsp.validation.source import PythonSource
from mycoder_lsp.validation.syntax import check_tree_sitter

# A syntax error that ends this many lines above the cursor is not the
# half-typed code at the cursor: the model cannot fix it, so nothing is asked.
FAR_LINES = 5
_IMPORT_LINE = re.compile(r"^\s*(?:import|from)\s+[\w.]")


@dataclass(frozen=True)
class Checked:
    """The text to insert (``text``; empty when dropped, ``dropped`` says
    why: empty, repeats_suffix, syntax, import), whether it was cut short
    by a check (``trimmed``), and whether it replaces the rest of the line."""

    text: str
    dropped: str = ""
    trimmed: str = ""
    replaces_rest_of_line: bool = False


def far_syntax_error(text: str, language: str | None, line: int) -> bool:
    """The document has a syntax error wholly above the cursor, more than
    FAR_LINES lines away: the prompt would carry broken code the model
    cannot repair from here. Errors at, around or after the cursor are the
    user's typing in progress (an open bracket breaks everything below it)."""
    if not language:
        return False
    return any(f.severity == Severity.ERROR and f.end_line < line - FAR_LINES
               for f in check_tree_sitter(text, language))


def indent_unit(text: str) -> str:
    """The file's indentation step: a tab, or the smallest space indent seen (default four spaces)."""
    widths = []
    for raw in text.split("\n")[:2000]:
        stripped = raw.lstrip(" \t")
        if not stripped or raw == stripped:
            continue
        lead = raw[: len(raw) - len(stripped)]
        if lead.startswith("\t"):
            return "\t"
        widths.append(len(lead))
    return " " * (min(widths) if widths else 4)


def fix_indentation(middle: str, before: str, unit: str) -> str:
    """The suggestion with its indentation fitted to the file.

    Tabs become the file's unit (and back). When the cursor stands in the
    indentation of a line (only blanks before it on the line), the model
    often indents once more than the code allows: the first line is brought
    to the deepest level the previous line permits (one step in after a
    line that opens a block, else the same), and the lines below move with it."""
    lines = middle.split("\n")
    if unit != "\t":
        lines = [_leading(line).replace("\t", unit) + line.lstrip(" \t") for line in lines]
    else:
        lines = [_leading(line).replace(" " * 4, "\t") + line.lstrip(" \t") for line in lines]
    current = before.rsplit("\n", 1)[-1]
    if current.strip() or not lines[0].strip():
        return "\n".join(lines)
    previous = next((raw for raw in reversed(before.split("\n")[:-1]) if raw.strip()), "")
    opens = previous.rstrip().endswith((":", "{", "(", "[")) or previous.rstrip().endswith("=>")
    allowed = len(_leading(previous)) + (len(unit) if opens else 0)
    total = len(current) + len(_leading(lines[0]))
    if total <= allowed:
        return "\n".join(lines)
    delta = total - max(allowed, len(current))
    delta = min(delta, len(_leading(lines[0])))
    fixed = [lines[0][delta:]]
    for line in lines[1:]:
        lead = _leading(line)
        fixed.append(line[min(delta, len(lead)):])
    return "\n".join(fixed)


def _leading(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def cut_to_lines(middle: str, after: str, max_lines: int) -> str:
    """The part of the middle that will be shown: the rest of the line when
    the cursor is inside a line (text after it), else up to ``max_lines``
    lines; trailing blank lines never."""
    rest_of_line = after.split("\n", 1)[0]
    limit = 1 if rest_of_line.strip() else max(1, max_lines)
    lines = middle.split("\n")[:limit]
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines).rstrip() if len(lines) > 1 else lines[0].rstrip()


def trim_repetition(middle: str, after: str) -> tuple[str, bool]:
    """The middle without what the code after the cursor already has: cut
    where a line of it equals the next non-blank line after the cursor's
    line. (text, whether the whole middle was a repetition)."""
    rest_of_line, _, below = after.partition("\n")
    if middle.strip() and rest_of_line.strip() and middle.strip() == rest_of_line.strip():
        return "", True
    following = next((raw.strip() for raw in below.split("\n") if raw.strip()), None)
    lines = middle.split("\n")
    if following is None:
        return middle, False
    for index, line in enumerate(lines):
        if index == 0 and rest_of_line.strip():
            continue
        if line.strip() == following:
            kept = "\n".join(lines[:index]).rstrip()
            return kept, not kept.strip()
    return middle, False


def breaks_syntax(before: str, middle: str, after: str, language: str | None) -> bool:
    """Parsing the file with ``middle`` in finds an error on the lines it
    fills that the file without it does not have there."""
    if not language:
        return False
    line = before.count("\n")
    span = middle.count("\n")

    def errors(text: str) -> list[tuple[int, int, str]]:
        return [(f.line, f.end_line, f.code) for f in check_tree_sitter(text, language)
                if f.severity == Severity.ERROR]

    # Errors of the file without it that sit below the cursor move down by the span.
    known = {(start + span, code) for start, _, code in errors(before + after) if start > line}

    def bad(text: str) -> bool:
        return any(end >= line and start <= line + span and (start, code) not in known
                   for start, end, code in errors(text))

    if not bad(before + middle + after):
        return False
    # A suggestion that opens a block the shown lines do not close yet is
    # fine: try it with a body (Python) or closing braces (others).
    last = middle.rstrip().split("\n")[-1]
    if language == "python" and last.rstrip().endswith(":"):
        body = "\n" + _leading(last) + "    pass"
        return bad(before + middle + body + after)
    record = language_record(language)
    if record is not None and record.braces:
        open_count = middle.count("{") - middle.count("}")
        if open_count > 0:
            return bad(before + middle + "\n" + "}" * open_count + after)
    return True


def unresolved_import(middle: str, path: str, root: Path | None) -> str | None:
    """The module of an import in ``middle`` that resolves nowhere (the
    validator's MC504), or None. Python only."""
    lines = [line.strip() for line in middle.split("\n") if _IMPORT_LINE.match(line)]
    if not lines:
        return None
    snippet = "\n".join(lines) + "\n"
    try:
        tree = parse_python(snippet)
    except (SyntaxError, ValueError, RecursionError):
        return None  # a half-written import: the syntax check judges it
    src = PythonSource(snippet, path, tree=tree, workspace_root=root)
    for finding in check_hallucination(src):
        if finding.code == "MC504":
            return src.line(finding.line)[finding.column:finding.end_column] or "?"
    return None


def first_unresolved_import(before: str, middle: str, after: str, path: str, root: Path | None) -> int | None:
    """The index of the first line of ``middle`` that starts an import
    statement resolving nowhere, or None. Judged on the file with the
    suggestion in, so ``import x`` inside a string literal is text, not an
    import (seen: a test's source in a triple-quoted string was dropped); on
    a file that does not parse, line by line."""
    if not any(_IMPORT_LINE.match(line) for line in middle.split("\n")):
        return None
    first = before.count("\n") + 1  # the 1-based line of middle's first line
    last = first + middle.count("\n")
    try:
        tree = ast.parse(before + middle + after)
    except (SyntaxError, ValueError, RecursionError):
        for index, line in enumerate(middle.split("\n")):
            if _IMPORT_LINE.match(line) and unresolved_import(line, path, root):
                return index
        return None
    imports = sorted((node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                      and first <= node.lineno <= last), key=lambda node: node.lineno)
    for node in imports:
        if unresolved_import(ast.unparse(node), path, root):
            return node.lineno - first
    return None


def check_suggestion(middle: str, *, before: str, after: str, language: str | None, max_lines: int,
                     unit: str, path: str, root: Path | None) -> Checked:
    """Every check, in order; the first that drops the suggestion wins."""
    text = cut_to_lines(middle, after, max_lines)
    if not text.strip():
        return Checked("", dropped="empty")
    text = fix_indentation(text, before, unit)
    text, repeated = trim_repetition(text, after)
    if repeated or not text.strip():
        return Checked("", dropped="repeats_suffix")
    # "x)" typed before ")": the suggestion replaces the rest of the line.
    rest = after.split("\n", 1)[0]
    replaces = bool(rest.strip()) and "\n" not in text and text.rstrip().endswith(rest.strip())
    checked_after = after[len(rest):] if replaces else after
    trimmed = ""
    lines = text.split("\n")
    while lines and breaks_syntax(before, "\n".join(lines), checked_after, language):
        lines.pop()  # the last lines may be a block cut short: try fewer
        trimmed = "syntax"
    if not lines or not "\n".join(lines).strip():
        return Checked("", dropped="syntax")
    text = "\n".join(lines)
    bad = first_unresolved_import(before, text, checked_after, path, root) if language == "python" else None
    if bad is not None:
        # The lines before the invented import may stand on their own.
        lines = text.split("\n")[:bad]
        while lines and (not "\n".join(lines).strip()
                         or breaks_syntax(before, "\n".join(lines), checked_after, language)):
            lines.pop()
        if not lines:
            return Checked("", dropped="import")
        text, trimmed = "\n".join(lines), "import"
    return Checked(text, trimmed=trimmed, replaces_rest_of_line=replaces)


__all__ = ["Checked", "FAR_LINES", "breaks_syntax", "check_suggestion", "cut_to_lines", "far_syntax_error",
           "first_unresolved_import", "fix_indentation", "indent_unit", "trim_repetition", "unresolved_import"]
