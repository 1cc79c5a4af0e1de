"""One Python source file, parsed once and shared by every validation layer.

Holds the text, its lines and the ``ast`` tree, and converts ``ast``'s UTF-8
byte columns to the code-point columns that :class:`Finding` uses. It must not
run any check itself.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mycoder_lsp.code.parsing import all_nodes, char_column, parse_shared
from mycoder_lsp.text import to_lf
from mycoder_lsp.validation.findings import Finding, Severity

if TYPE_CHECKING:
    from mycoder_lsp.validation.guards import Guards
from mycoder_lsp.validation.project import Project

_DEF_KEYWORD = re.compile(r"(?:async\s+)?(?:def|class)\s+")


@dataclass
class PythonSource:
    text: str
    path: str
    tree: ast.Module | None = None
    workspace_root: Path | None = None
    original: str | None = None
    instruction: str | None = None
    # The checked file's project (root, line length, lowest Python); None:
    # unknown, judge as for the running interpreter.
    project: Project | None = None
    # The node index of this document's last tree, whose untouched statements
    # this tree shares (validation/incremental.py); None: index it whole.
    node_memo: NodeIndexMemo | None = None
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        # LSP lines, which are ast's (splitlines() would also split on \x0c,
        # U+2028, ...); a final line break leaves an empty last line.
        self.lines = to_lf(self.text).split("\n")

    @cached_property
    def nodes(self) -> dict[type, list[ast.AST]]:
        """Every node of the tree grouped by type, from one traversal that all
        layers share (``ast.walk`` once per layer would cost more than pyflakes)."""
        if self.tree is None:
            return defaultdict(list)
        if self.node_memo is not None:
            return self.node_memo.index(self.tree)
        by_type: dict[type, list[ast.AST]] = defaultdict(list)
        for node in all_nodes(self.tree):
            by_type[node.__class__].append(node)
        return by_type

    def of_type(self, *types: type) -> list[Any]:
        """The nodes of these types. Typed ``Any``: callers ask for node
        types whose attributes they use, which ``list[ast.AST]`` hides."""
        nodes = self.nodes
        found: list[Any] = []
        for tp in types:
            found.extend(nodes.get(tp, ()))
        return found

    @cached_property
    def string_lines(self) -> set[int]:
        """0-based lines that end inside a multi-line string literal: their
        whitespace is data, not layout."""
        inside: set[int] = set()
        for node in self.of_type(ast.Constant, ast.JoinedStr):
            end = getattr(node, "end_lineno", None)
            if end is not None and end > node.lineno and (  # type: ignore[attr-defined]
                node.__class__ is ast.JoinedStr or isinstance(node.value, (str, bytes))  # type: ignore[attr-defined]
            ):
                inside.update(range(node.lineno - 1, end - 1))  # type: ignore[attr-defined]
        return inside

    @cached_property
    def original_tree(self) -> ast.Module | None:
        """The tree of ``original``, parsed once for every check that
        compares with it; None without an original or when it does not parse."""
        if self.original is None:
            return None
        try:
            return parse_shared(self.original)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    @cached_property
    def guards(self) -> Guards:
        """Which lines run on which Pythons and platforms, worked out once
        for every layer that asks (references and lint both do)."""
        from mycoder_lsp.validation.guards import Guards  # guards.py reads this module's class

        return Guards(self)

    @cached_property
    def is_stub(self) -> bool:
        return self.path.endswith(".pyi")

    def line(self, index: int) -> str:
        return self.lines[index] if 0 <= index < len(self.lines) else ""

    def column(self, lineno: int, byte_col: int) -> int:
        """Code-point column of ``ast``'s 1-based line / UTF-8 byte column."""
        return char_column(self.line(lineno - 1), byte_col)

    def finding(self, code: str, message: str, severity: Severity, node: ast.AST) -> Finding:
        """A finding covering ``node`` (first line only for multi-line nodes
        whose end would make the range noisy is the caller's choice)."""
        lineno = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        end_lineno = getattr(node, "end_lineno", None) or lineno
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end_col = col
        return Finding(
            code,
            message,
            severity,
            lineno - 1,
            self.column(lineno, col),
            end_lineno - 1,
            self.column(end_lineno, end_col),
        )

    def header_finding(self, code: str, message: str, severity: Severity, node: ast.AST) -> Finding:
        """A finding on the name of a ``def``/``class`` (not its whole body)."""
        lineno = node.lineno  # type: ignore[attr-defined]
        text = self.line(lineno - 1)
        name = getattr(node, "name", "")
        match = _DEF_KEYWORD.match(text, self.column(lineno, node.col_offset))  # type: ignore[attr-defined]
        start = match.end() if match else -1
        if start < 0 or not text.startswith(name, start):
            return self.finding(code, message, severity, node)
        return Finding(code, message, severity, lineno - 1, start, lineno - 1, start + len(name))


# Statements with fewer nodes are walked again at each index (a module of
# 10,000 one-line statements: keeping each one's index cost 4x a plain walk).
_KEPT_FROM_NODES = 16


class NodeIndexMemo:
    """The nodes of each top-level statement of a document's last tree, by
    type. An incremental parse hands the next version's tree the statements
    an edit did not touch as the same objects, so only the others are
    traversed again. The index is :func:`all_nodes`' own, order included:
    that traversal visits the module, its type comments, then each statement
    whole from the last to the first."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[ast.AST, dict[type, list[ast.AST]]]] = {}

    def index(self, tree: ast.Module) -> dict[type, list[ast.AST]]:
        kept, now = self._kept, {}
        by_type: dict[type, list[ast.AST]] = defaultdict(list)
        by_type[tree.__class__].append(tree)
        for comment in reversed(tree.type_ignores):
            by_type[comment.__class__].append(comment)
        for statement in reversed(tree.body):
            entry = kept.get(id(statement))
            if entry is None or entry[0] is not statement:  # new, or the id of a statement since freed
                found = all_nodes(statement)
                if len(found) < _KEPT_FROM_NODES:  # cheaper to walk again than to keep and merge
                    for node in found:
                        by_type[node.__class__].append(node)
                    continue
                own: dict[type, list[ast.AST]] = defaultdict(list)
                for node in found:
                    own[node.__class__].append(node)
                entry = (statement, own)
            now[id(statement)] = entry
            for kind, nodes in entry[1].items():
                by_type[kind].extend(nodes)
        self._kept = now  # one assignment: a concurrent index reads the old or the new
        return by_type


def scan_comment(line: str, start: int = 0, quote: str = "") -> tuple[int, str]:
    """Index of the ``#`` that starts a comment in ``line`` (-1: none), and
    the triple quote still open at its end; ``quote``: the one open at ``start``."""
    i = start
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif line.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
        elif ch in "'\"":
            quote = ch * 3 if line.startswith(ch * 3, i) else ch
            i += len(quote) - 1
        elif ch == "#":
            return i, ""
        i += 1
    return -1, quote if len(quote) == 3 else ""
