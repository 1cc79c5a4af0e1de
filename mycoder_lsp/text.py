"""Lines as the Language Server Protocol counts them.

LSP ends a line at ``\\n``, ``\\r\\n`` or ``\\r`` and nowhere else. Python's
``str.splitlines()`` also splits at form feeds, ``\\v``, ``\\x1c``-``\\x1e``,
``\\x85``, U+2028 and U+2029, all common in real files (the stdlib and GNU
code use ``\\f`` between sections): counting lines with it puts every
position after such a character on the wrong line. Everything that counts
lines of user text uses this module instead; ``ast`` agrees with it.

tree-sitter rows count ``\\n`` only, so a lone ``\\r`` is no row break there:
:func:`lone_cr_as_lf` gives it text whose rows are LSP lines.

Pure functions on ``str``; no pygls here.
"""

from __future__ import annotations

import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LONE_CR = re.compile(r"\r(?!\n)")


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """``text.splitlines(keepends)`` with LSP line breaks only: no empty
    last line after a final line break, ``[]`` for ``""``."""
    if keepends:
        starts = line_starts(text)
        lines = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)], strict=True)]
    else:
        lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def line_starts(text: str) -> list[int]:
    """The offset where each LSP line starts (the first is 0; one more
    entry than there are line breaks)."""
    return [0] + [m.end() for m in LINE_BREAK.finditer(text)]


def position_of(text: str, offset: int) -> tuple[int, int]:
    """The 0-based (line, code-point column) of ``offset`` in ``text``."""
    line = 0
    start = 0
    for m in LINE_BREAK.finditer(text, 0, max(offset, 0)):
        line += 1
        start = m.end()
    return line, offset - start


def newline_of(text: str) -> str:
    """The line break to write into ``text``: ``\\r\\n`` where it has any,
    else ``\\r`` where it has any (old Mac files), else ``\\n``."""
    if "\r\n" in text:
        return "\r\n"
    return "\r" if "\r" in text else "\n"


def to_lf(text: str) -> str:
    """Every line break as ``\\n``: same lines, same columns."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def lone_cr_as_lf(text: str) -> str:
    """``text`` with each lone ``\\r`` turned into ``\\n``: the same length
    and UTF-8 byte offsets, and tree-sitter rows that are LSP lines."""
    return _LONE_CR.sub("\n", text) if "\r" in text else text


__all__ = ["LINE_BREAK", "line_starts", "lone_cr_as_lf", "newline_of", "position_of", "split_lines", "to_lf"]
