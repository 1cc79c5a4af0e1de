"""Parse a new version of a Python document from its previous version's tree.

An edit usually touches one top-level statement of a large file; parsing the
whole file again costs more than the rest of the edit (``ast.parse`` is a
third of a validation of a 2,000-line module). :class:`DocumentParses` keeps
the last tree of one document and parses only the top-level statements
(and the lines between them) that the edit touched, shifting the line
numbers of the untouched statements after them.

The result must be the tree a full parse gives, node for node: whenever that
is not certain the whole text is parsed. That is when the segment does not
parse alone (an edit that opens a bracket or a string running into the next
statement, an indented line or an ``else:`` continuing the statement before,
a decorator left without its ``def``), when ``__future__`` appears in the old
or new segment (compiler directives: not worth reasoning about; ``ast.parse``
itself ignores them, ``barry_as_FLUFL`` included), when line breaks are lone
``\\r`` (ast counts them as lines, ``split("\\n")`` does not), or when the
segment is most of the file anyway. After a syntax error the next parse
builds on the last tree that parsed.
Syntax errors are always reported from a full parse, so their positions
and messages are the full parse's.

A tree handed out by :meth:`DocumentParses.parse` shares its untouched
statements with the previous version's tree, whose line numbers are shifted
in place: only the latest tree of a document may be used. This module must
not run any check itself.
"""

from __future__ import annotations

import ast
import threading
from dataclasses import dataclass

from mycoder_lsp.code.parsing import all_nodes
from mycoder_lsp.code.parsing import parse_python as parse_ast
from mycoder_lsp.validation import syntax
from mycoder_lsp.validation.findings import Finding
from mycoder_lsp.validation.flakes import FlakesMemo
from mycoder_lsp.validation.source import NodeIndexMemo

# A segment over this share of the file's lines is parsed as a whole file:
# the splice would save little and costs a shift of the rest.
MAX_SEGMENT_SHARE = 0.5
# Trees lent out and not yet released, per document (validations in flight).
_MAX_LENT = 4


@dataclass
class _Version:
    """The last parsed text of a document and its tree."""

    lines: list[str]
    tree: ast.Module
    # Per group of top-level statements sharing lines: (first line, last line,
    # index of its first statement in tree.body), 1-based lines; a group
    # starts at its first decorator.
    units: list[tuple[int, int, int]]


@dataclass
class ParseStats:
    """How the parses of one document went (for tests and the benchmark)."""

    full: int = 0
    incremental: int = 0


class DocumentParses:
    """The parse history of one document: each :meth:`parse` is incremental
    from the last tree given back with :meth:`release`.

    A tree is lent, not shared: its nodes may be reused (and shifted) by the
    next parse only once the caller has released it, so a validation still
    reading its tree is never disturbed by the next edit's. Thread-safe: two
    parses at once each get a correct tree (the second by a full parse)."""

    def __init__(self) -> None:
        self._last: _Version | None = None
        self._lent: dict[int, _Version] = {}
        self._lock = threading.Lock()
        self.stats = ParseStats()
        # pyflakes' findings per function of the last version checked (the
        # lint layer's history of this document; nothing here reads it).
        self.flakes = FlakesMemo()
        self.nodes = NodeIndexMemo()  # validation's node index, per statement

    def parse(self, text: str, path: str) -> tuple[ast.Module | None, Finding | None]:
        """The tree of ``text`` or its syntax error (as :func:`syntax.parse_python`)."""
        with self._lock:
            last, self._last = self._last, None  # taken: nobody else may shift its nodes now
        lines = text.split("\n")
        plain = _plain_breaks(text)
        tree = _splice(last, lines) if last is not None and plain else None
        if tree is None:
            tree, error = syntax.parse_python(text, path)
            if tree is None:
                # A failed splice changed nothing: the next edit (the one that
                # fixes the typo) still builds on the last good tree.
                with self._lock:
                    if self._last is None:
                        self._last = last
                return None, error
            self.stats.full += 1
        else:
            self.stats.incremental += 1
        if not plain:
            return tree, None  # its lines are not ast's: never a base for the next parse
        with self._lock:
            if len(self._lent) >= _MAX_LENT:  # never released (a caller that raised): forget the oldest
                self._lent.pop(next(iter(self._lent)))
            self._lent[id(tree)] = _Version(lines, tree, _units(tree))
        return tree, None

    def release(self, tree: ast.Module | None) -> None:
        """``tree`` (from :meth:`parse`) is no longer read: the next parse may build on it."""
        if tree is None:
            return
        with self._lock:
            version = self._lent.pop(id(tree), None)
            if version is not None:
                self._last = version


def _plain_breaks(text: str) -> bool:
    """Lines end in ``\\n`` or ``\\r\\n`` only, so ``split("\\n")`` gives ast's lines."""
    return "\r" not in text or text.count("\r") == text.count("\r\n")


def _units(tree: ast.Module) -> list[tuple[int, int, int]]:
    units: list[tuple[int, int, int]] = []
    for index, node in enumerate(tree.body):
        start = node.lineno
        for decorator in getattr(node, "decorator_list", ()):
            start = min(start, decorator.lineno)
        end = node.end_lineno or node.lineno
        if units and start <= units[-1][1]:
            first, last, at = units[-1]
            units[-1] = (first, max(last, end), at)
        else:
            units.append((start, end, index))
    return units


def _splice(last: _Version, lines: list[str]) -> ast.Module | None:
    """The tree of ``lines`` from ``last``'s, or None where only a full parse is safe."""
    old = last.lines
    if old == lines:
        return last.tree
    limit = min(len(old), len(lines))
    prefix = 0
    while prefix < limit and old[prefix] == lines[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == lines[-1 - suffix]:
        suffix += 1
    delta = len(lines) - len(old)
    units = last.units
    # Units wholly in the common prefix stay; so do those wholly in the common suffix.
    before = 0
    while before < len(units) and units[before][1] <= prefix:
        before += 1
    after = len(units)
    while after > before and units[after - 1][0] - 1 >= len(old) - suffix:
        after -= 1
    start = units[before - 1][1] if before else 0  # 0-based first line of the segment
    old_end = units[after][0] - 1 if after < len(units) else len(old)  # 0-based, exclusive
    end = old_end + delta
    if end - start > MAX_SEGMENT_SHARE * len(lines) or end < start:
        return None
    segment = "\n".join(lines[start:end])
    if "__future__" in segment or "__future__" in "\n".join(old[start:old_end]) or "\0" in segment:
        return None
    try:
        part = parse_ast(segment)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the full parse says what is wrong, where
    if start:
        for node in part.body:
            _shift(node, start)
    body = last.tree.body
    first_after = units[after][2] if after < len(units) else len(body)
    kept_after = body[first_after:]
    if delta:
        for node in kept_after:
            _shift(node, delta)
    first_changed = units[before][2] if before < len(units) else len(body)
    return ast.Module(body=[*body[:first_changed], *part.body, *kept_after], type_ignores=[])


def _shift(tree: ast.AST, by: int) -> None:
    """``ast.increment_lineno`` without ``ast.walk``'s generator overhead."""
    for node in all_nodes(tree):
        if "lineno" in node._attributes:
            node.lineno += by  # type: ignore[attr-defined]
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += by  # type: ignore[attr-defined]
