"""MC2xx: layout rules for Python (the mission's former PowerShell checker).

Indentation that is not a multiple of ``indent_size`` (MC201), tabs and spaces
mixed in one indent (MC202), trailing whitespace (MC203), lines longer than
``max_line_length`` (MC204), and a top-level block (a function, a class)
indented with tabs in a file indented with spaces or the other way round
(MC205: Python accepts it block by block, but editors and diffs show it
wrong, and a line moved between the blocks is a TabError). Each rule is
switched by ``settings.validation.style``. Whitespace inside multi-line strings is data
and is left alone. Style is never an error: this module must not emit
``Severity.ERROR``.
"""

from __future__ import annotations

import ast

from mycoder_lsp.config import StyleSettings
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.source import PythonSource

_STATEMENTS = tuple(
    cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.stmt) and cls is not ast.stmt
)


def check_style(src: PythonSource, style: StyleSettings) -> list[Finding]:
    findings: list[Finding] = []
    in_string = src.string_lines if src.tree is not None else set()
    if style.indentation or style.mixed_indentation:
        findings += _indentation(src, style, in_string)
    if style.mixed_indentation and src.tree is not None and "\t" in src.text:
        findings += _indent_styles(src, in_string)
    limit = style.max_line_length
    for index, line in enumerate(src.lines):
        # A line of form feeds is a page break (PEP 8, the stdlib), not trailing whitespace.
        if style.trailing_whitespace and line and line[-1] in " \t\f\v" and index not in in_string \
                and line.strip("\f"):
            stripped = len(line.rstrip(" \t\f\v"))
            findings.append(Finding("MC203", "Trailing whitespace: delete it.", Severity.INFORMATION,
                                    index, stripped, index, len(line)))
        if limit and len(line) > limit:
            findings.append(Finding(
                "MC204", f"Line is {len(line)} characters long, over the {limit} of PEP 8: wrap it.",
                Severity.INFORMATION, index, limit, index, len(line)))
    return findings


def _indentation(src: PythonSource, style: StyleSettings, in_string: set[int]) -> list[Finding]:
    """Only lines that start a statement: continuation lines may align with
    an opening bracket, which PEP 8 allows at any column."""
    findings: list[Finding] = []
    size = style.indent_size
    seen: set[int] = set()
    for node in src.of_type(*_STATEMENTS):
        index = node.lineno - 1  # type: ignore[attr-defined]
        if index in seen or index in in_string:
            continue
        seen.add(index)
        line = src.line(index)
        width = len(line) - len(line.lstrip(" \t"))
        if width == 0 or width != node.col_offset:  # type: ignore[attr-defined]
            continue  # not first on its line (``a; b``) or at the margin
        indent = line[:width]
        if " " in indent and "\t" in indent:
            if style.mixed_indentation:
                findings.append(Finding("MC202", "Indentation mixes tabs and spaces: use spaces only.",
                                        Severity.WARNING, index, 0, index, width))
        elif style.indentation and size and "\t" not in indent and width % size:
            findings.append(Finding(
                "MC201", f"Indentation of {width} spaces is not a multiple of {size}: re-indent this block.",
                Severity.WARNING, index, 0, index, width))
    return findings


def _indent_styles(src: PythonSource, in_string: set[int]) -> list[Finding]:
    """MC205 on each top-level block indented with the file's less used
    character (tab or space), at its first indented line."""
    blocks: list[tuple[ast.stmt, str, int, int]] = []  # (block, char, first line index, lines)
    for top in src.tree.body:  # type: ignore[union-attr]
        first: tuple[str, int] | None = None
        count = 0
        for node in ast.walk(top):
            if not isinstance(node, ast.stmt) or node is top or node.lineno - 1 in in_string:
                continue
            line = src.line(node.lineno - 1)
            if line[:1] not in (" ", "\t") or len(line) - len(line.lstrip(" \t")) != node.col_offset:
                continue
            count += 1
            if first is None or node.lineno - 1 < first[1]:
                first = (line[0], node.lineno - 1)
        if first is not None:
            blocks.append((top, first[0], first[1], count))
    lines = {"\t": 0, " ": 0}
    for _, char, _, count in blocks:
        lines[char] += count
    if not lines["\t"] or not lines[" "]:
        return []
    usual = blocks[0][1] if lines["\t"] == lines[" "] else max(lines, key=lines.__getitem__)
    findings = []
    for top, char, index, _ in blocks:
        if char == usual:
            continue
        name = f"'{top.name}'" if hasattr(top, "name") else "This block"
        this, other = ("tabs", "spaces") if char == "\t" else ("spaces", "tabs")
        width = len(src.line(index)) - len(src.line(index).lstrip(" \t"))
        findings.append(Finding(
            "MC205", f"{name} is indented with {this}, the rest of this file with {other}: "
                     f"re-indent it with {other}.", Severity.WARNING, index, 0, index, width))
    return findings
