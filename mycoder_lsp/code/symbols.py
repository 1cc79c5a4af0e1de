"""The symbols of one document: functions, methods, classes and types.

The one extractor everything that needs symbols asks: the vault's chunks
(:mod:`mycoder_lsp.memory.chunking`), routing's targets, edits, hover,
completion and the workspace's symbol index
(:mod:`mycoder_lsp.code.symbol_index`). Python is read with ``ast`` (and, when the
file does not parse, with an indentation scan so a half-typed file still has
symbols); JavaScript, TypeScript, Go and Rust with tree-sitter, driven by the
``queries/<language>.scm`` files shipped as package data (the aider repomap
approach): adding a language is its record in :mod:`mycoder_lsp.code.languages`
plus a query file. Every function here is pure and never raises on bad input:
a document that cannot be read has no symbols.

Positions are 0-based lines and columns in code points, lines inclusive, like
:mod:`mycoder_lsp.validation.findings`. This module must not import pygls nor
talk to any model.
"""

from __future__ import annotations

import ast
import functools
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from mycoder_lsp.code.languages import RECORDS
from mycoder_lsp.code.languages import language as language_record
from mycoder_lsp.code.parsing import char_column, parse_shared, parse_tree, source_bytes, tree_sitter_language
from mycoder_lsp.text import split_lines

log = logging.getLogger(__name__)

# Languages whose symbols come from a tree-sitter query; python is read with ast.
TREE_SITTER_LANGUAGES = tuple(record.name for record in RECORDS if record.query)


@dataclass(frozen=True)
class Symbol:
    """One definition in a document.

    ``start_line`` includes decorators / attributes / an ``export`` keyword
    (what an edit must replace), ``def_line`` is the line of the definition
    keyword itself. ``indent`` is the leading whitespace of the definition,
    ``body_indent`` that of its body (empty when unknown). ``header_end_line``
    is the last line of its header (what an outline of the enclosing class
    keeps of it). ``parent`` is the qualified name it is nested in (a class,
    a Go receiver type, an object literal's variable), None at the top.
    """

    name: str
    qualname: str
    kind: str  # function | method | class | interface | type | enum | trait | impl | module | macro
    start_line: int
    end_line: int
    start_col: int
    end_col: int
    def_line: int
    indent: str
    body_indent: str
    signature: str
    docstring: str = ""
    parent: str | None = None
    header_end_line: int = -1  # -1: the same as def_line
    # First line of the doc comment right above ``start_line`` (``///``,
    # ``/** */``); None without one (a Python docstring is inside the body).
    doc_line: int | None = None

    @property
    def line_count(self) -> int:
        return self.end_line - self.start_line + 1

    def contains(self, line: int, col: int | None = None) -> bool:
        if not self.start_line <= line <= self.end_line:
            return False
        if col is None:
            return True
        if line == self.start_line and col < self.start_col:
            return False
        if line == self.end_line and col > self.end_col:
            return False
        return True

    def text(self, document: str) -> str:
        """The symbol's source (whole lines, decorators included)."""
        lines = split_lines(document, keepends=True)
        return "".join(lines[self.start_line : self.end_line + 1])


@dataclass(frozen=True)
class Outline:
    """What the extractor read of one document.

    ``parsed`` is False when the symbols are a best guess (Python that does
    not parse, read by its indentation); the vault then indexes the file as
    text. ``docstring`` is the document's own (a Python module docstring).
    """

    symbols: tuple[Symbol, ...]
    parsed: bool
    docstring: str = ""


def document_outline(text: str, language: str | None) -> Outline | None:
    """The symbols of ``text`` and how they were read; None when the language
    has no extractor (or its grammar is missing)."""
    if not text or not language:
        return None
    try:
        return _outline_cached(text, language)
    except Exception:  # noqa: BLE001 - a symbol table is best effort, never a crash
        return None


def document_symbols(text: str, language: str | None) -> list[Symbol]:
    """All symbols of ``text``, outer ones before inner ones, in source order."""
    outline = document_outline(text, language)
    return list(outline.symbols) if outline is not None else []


# The same document is asked for again and again (hover, completion, the
# brains on one request): the last few answers are kept.
@functools.lru_cache(maxsize=16)
def _outline_cached(text: str, language: str) -> Outline | None:
    if language == "python":
        return _python_outline(text)
    if language in TREE_SITTER_LANGUAGES:
        return _tree_sitter_outline(text, language)
    return None


def symbol_at(symbols: Sequence[Symbol], line: int, col: int | None = None) -> Symbol | None:
    """The innermost symbol containing the position, or None."""
    best: Symbol | None = None
    for sym in symbols:
        if sym.contains(line, col):
            if best is None or sym.line_count < best.line_count or (
                sym.line_count == best.line_count and sym.qualname.count(".") > best.qualname.count(".")
            ):
                best = sym
    return best


def find_symbol(symbols: Sequence[Symbol], name: str) -> Symbol | None:
    """The symbol named ``name``: a qualified name (``Class.method``), a
    unique qualified suffix, or a unique short name. None when unknown or
    ambiguous."""
    if not name:
        return None
    name = name.strip().strip("`").rstrip("()").replace("::", ".")
    for sym in symbols:
        if sym.qualname == name:
            return sym
    if "." in name:
        suffix = [s for s in symbols if s.qualname.endswith("." + name)]
        return suffix[0] if len(suffix) == 1 else None
    short = [s for s in symbols if s.name == name]
    if len(short) == 1:
        return short[0]
    # Several with the same short name (overloads, methods of different
    # classes): prefer a unique top-level one, else it is ambiguous.
    top = [s for s in short if s.parent is None]
    if len(top) > 1:
        # Rust: `struct Foo` and `impl Foo` share a name; the type is meant.
        top = [s for s in top if s.kind != "impl"]
    return top[0] if len(top) == 1 else None


def symbol_names(symbols: Iterable[Symbol]) -> set[str]:
    """Every name a request may use for these symbols: short and qualified."""
    names: set[str] = set()
    for sym in symbols:
        names.add(sym.name)
        names.add(sym.qualname)
    return names


# --------------------------------------------------------------------- python


def _leading_ws(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _python_outline(text: str) -> Outline:
    lines = split_lines(text)
    try:
        tree = parse_shared(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Outline(tuple(_python_scan(lines)), parsed=False)
    out: list[Symbol] = []

    def col(row: int, byte_col: int) -> int:
        return char_column(lines[row] if 0 <= row < len(lines) else "", byte_col)

    def visit(body: list[ast.stmt], prefix: str, parent_kind: str | None) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if isinstance(node, ast.ClassDef):
                    kind = "class"
                else:
                    kind = "method" if parent_kind == "class" else "function"
                qual = f"{prefix}{node.name}"
                first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
                last = (node.end_lineno or node.lineno) - 1
                def_line = node.lineno - 1
                body_first = node.body[0].lineno - 1 if node.body else def_line
                if def_line < body_first < len(lines):
                    body_indent = _leading_ws(lines[body_first])
                else:
                    body_indent = ""
                # The header ends on the line before the first statement of
                # the body (`def f(a,\n      b):`); a one-liner is all header.
                header_end = body_first - 1 if body_first > def_line else def_line
                out.append(
                    Symbol(
                        name=node.name,
                        qualname=qual,
                        kind=kind,
                        start_line=first,
                        end_line=last,
                        start_col=col(def_line, node.col_offset),
                        end_col=col(last, node.end_col_offset or 0),
                        def_line=def_line,
                        indent=_leading_ws(lines[def_line]) if def_line < len(lines) else "",
                        body_indent=body_indent,
                        signature=_python_signature(lines, def_line, header_end),
                        docstring=ast.get_docstring(node, clean=True) or "",
                        parent=prefix[:-1] or None,
                        header_end_line=header_end,
                    )
                )
                visit(node.body, qual + ".", kind)
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.While)):
                # Definitions under `if TYPE_CHECKING:` / try-import blocks
                # belong to the enclosing scope.
                for field_name in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field_name, []) or [], prefix, parent_kind)
                for handler in getattr(node, "handlers", []) or []:
                    visit(handler.body, prefix, parent_kind)

    visit(tree.body, "", None)
    return Outline(tuple(out), parsed=True, docstring=ast.get_docstring(tree, clean=True) or "")


def _python_signature(lines: list[str], start: int, end: int) -> str:
    """The header ``def f(a, b) -> int:`` on one line, even when it spans
    several source lines."""
    header = " ".join(part.strip() for part in lines[start : end + 1])
    # Cut at the colon that opens the body (the last one at depth 0).
    depth = 0
    cut = len(header)
    for i, ch in enumerate(header):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ":" and depth == 0:
            cut = i + 1
            rest = header[i + 1 :].strip()
            if not rest or rest.startswith("#"):
                break
    return header[:cut].strip()


_PY_DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?(?P<kw>def|class)[ \t]+(?P<name>[A-Za-z_]\w*)")


def _python_scan(lines: list[str]) -> list[Symbol]:
    """Symbols of Python that does not parse: definitions found by their
    keyword, each ending before the next line indented at or left of it."""
    found: list[tuple[int, int, str, str, str]] = []  # def_line, start, indent, kw, name
    for i, line in enumerate(lines):
        m = _PY_DEF.match(line)
        if not m:
            continue
        start = i
        while start > 0 and lines[start - 1].strip().startswith("@") and _leading_ws(lines[start - 1]) == m["indent"]:
            start -= 1
        found.append((i, start, m["indent"], m["kw"], m["name"]))
    out: list[Symbol] = []
    stack: list[tuple[str, int, str]] = []  # (qualname, indent width, kind)
    for def_line, start, indent, kw, name in found:
        width = len(indent.expandtabs())
        end = def_line
        body_indent = ""
        for j in range(def_line + 1, len(lines)):
            stripped = lines[j].strip()
            if not stripped:
                continue
            w = len(_leading_ws(lines[j]).expandtabs())
            if w <= width and not stripped.startswith((")", "]", "}")):
                break
            if not body_indent and w > width:
                body_indent = _leading_ws(lines[j])
            end = j
        while stack and stack[-1][1] >= width:
            stack.pop()
        parent = stack[-1] if stack else None
        kind = "class" if kw == "class" else ("method" if parent and parent[2] == "class" else "function")
        qual = f"{parent[0]}.{name}" if parent else name
        out.append(
            Symbol(
                name=name,
                qualname=qual,
                kind=kind,
                start_line=start,
                end_line=end,
                start_col=len(indent),
                end_col=len(lines[end]),
                def_line=def_line,
                indent=indent,
                body_indent=body_indent,
                signature=lines[def_line].strip(),
                docstring="",
                parent=parent[0] if parent else None,
                header_end_line=def_line,
            )
        )
        stack.append((qual, width, kind))
    return out


# ---------------------------------------------------------------- tree-sitter
#
# A query names each definition (@definition.<kind>) and its @name; what is
# left to code is the same for every language: qualify a definition by the
# definitions (and @scope nodes) around it, and take its range, header,
# body indent and doc comment from the tree.

_QUERIES: dict[str, Any] = {}
_QUERY_LOCK = threading.Lock()

# Nodes that wrap a definition and belong to its range when edited.
_WRAPPERS = {"export_statement", "decorated_definition"}
# Statements that belong to the range of a definition when it is the only one
# they hold: `type S struct {...}`, `const f = () => {...};`.
_SOLE_WRAPPERS = {"type_declaration", "lexical_declaration", "variable_declaration", "expression_statement"}
# Preceding siblings that belong to the definition (Rust attributes, TS decorators).
_ATTACHED = {"attribute_item", "decorator"}
_COMMENTS = {"comment", "line_comment", "block_comment"}
# A function directly inside one of these is a method.
_METHOD_SCOPES = {"class", "impl", "trait", "interface"}
# What a variable, field or property holding a function holds.
_FUNCTION_VALUES = {"arrow_function", "function_expression", "generator_function", "function"}
_RECEIVER = re.compile(r"\*?\s*([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)\s*$")


def symbol_query(language: str) -> Any | None:
    """The compiled ``queries/<file>`` of ``language``, once per process; None
    when the language has no query or no grammar."""
    with _QUERY_LOCK:
        if language in _QUERIES:
            return _QUERIES[language]
        query = None
        record = language_record(language)
        lang = tree_sitter_language(language) if record is not None and record.query else None
        if lang is not None and record is not None and record.query:
            try:
                import tree_sitter

                source = (resources.files("mycoder_lsp.code") / "queries" / record.query).read_text("utf-8")
                query = tree_sitter.Query(lang, source)
            except Exception:  # noqa: BLE001 - a broken query file means "no symbols", never a crash
                log.warning("the symbol query for %s does not load", language, exc_info=True)
                query = None
        _QUERIES[language] = query
        return query


@dataclass
class _Def:
    node: Any
    kind: str
    name: str
    priority: int  # the pattern's index: the first matching pattern wins
    receiver: str | None = None


def _tree_sitter_outline(text: str, language: str) -> Outline | None:
    query = symbol_query(language)
    if query is None:
        return None
    import tree_sitter

    src = source_bytes(text)
    tree = parse_tree(src, language)
    if tree is None:
        return None
    lines = split_lines(text)
    if tree.root_node.has_error and not tree.root_node.named_child_count:
        return Outline((), parsed=False)

    def node_text(node: Any) -> str:
        return src[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    defs: dict[int, _Def] = {}
    scopes: dict[int, str] = {}
    for pattern, captures in tree_sitter.QueryCursor(query).matches(tree.root_node):
        names = captures.get("name") or []
        if not names:
            continue
        name = re.sub(r"<.*", "", node_text(names[0])).strip()  # impl Foo<T> -> Foo
        if not name:
            continue
        if "scope" in captures:
            scopes.setdefault(captures["scope"][0].id, name)
            continue
        for cap, nodes in captures.items():
            if not cap.startswith("definition."):
                continue
            node = nodes[0]
            known = defs.get(node.id)
            if known is not None and known.priority <= pattern:
                continue
            if _in_error(node):
                continue
            receiver = None
            if "receiver" in captures:
                m = _RECEIVER.search(node_text(captures["receiver"][0]))
                receiver = m.group(1) if m else None
            defs[node.id] = _Def(node, cap.split(".", 1)[1], name, pattern, receiver)

    def col(row: int, byte_col: int) -> int:
        return char_column(lines[row], byte_col) if row < len(lines) else byte_col

    def line(row: int) -> str:
        return lines[row] if 0 <= row < len(lines) else ""

    quals: dict[int, tuple[str, str | None, str]] = {}  # node id -> (qualname, parent, kind)

    def qualify(d: _Def) -> tuple[str, str | None, str]:
        hit = quals.get(d.node.id)
        if hit is not None:
            return hit
        kind = d.kind
        parent: str | None = None
        parent_kind: str | None = None
        up = d.node.parent
        while up is not None:
            if up.id in defs:
                parent, _, parent_kind = qualify(defs[up.id])
                break
            if up.id in scopes:
                parent = _scope_name(up, scopes, defs, qualify)
                break
            up = up.parent
        if d.receiver:
            parent, kind = d.receiver, "method"
        elif kind == "function" and parent_kind in _METHOD_SCOPES:
            kind = "method"
        result = (f"{parent}.{d.name}" if parent else d.name, parent, kind)
        quals[d.node.id] = result
        return result

    out: list[tuple[tuple[int, int, int, int], Symbol]] = []
    for d in defs.values():
        qual, parent, kind = qualify(d)
        node = d.node
        # The statement a lone definition is declared by: its range (Go
        # `type S struct`) and, for a function in a variable, its header.
        stmt = node
        if (
            node.parent is not None
            and node.parent.type in _SOLE_WRAPPERS
            and sum(1 for c in node.parent.named_children if c.type == node.type) == 1
        ):
            stmt = node.parent
        outer = stmt
        while outer.parent is not None and outer.parent.type in _WRAPPERS:
            outer = outer.parent
        start = outer
        prev = start.prev_named_sibling
        while prev is not None and prev.type in _ATTACHED:
            start = prev
            prev = prev.prev_named_sibling
        value = node.child_by_field_name("value") or node.child_by_field_name("right")
        is_variable = value is not None and value.type in _FUNCTION_VALUES
        body = (value if is_variable else node).child_by_field_name("body")
        head = stmt if is_variable else node
        def_row = head.start_point[0]
        body_indent = ""
        if body is not None and body.named_child_count:
            first = body.named_children[0]
            if first.start_point[0] > def_row:
                body_indent = _leading_ws(line(first.start_point[0]))
        signature = " ".join(
            src[head.start_byte : body.start_byte if body is not None else head.end_byte]
            .decode("utf-8", errors="replace").split())
        if is_variable:
            signature = signature.rstrip(" ={")
        start_row, end_row = start.start_point[0], outer.end_point[0]
        docstring, doc_line = _doc_comment(start, src)
        sym = Symbol(
            name=d.name,
            qualname=qual,
            kind=kind,
            start_line=start_row,
            end_line=end_row,
            start_col=col(start_row, start.start_point[1]),
            end_col=col(end_row, outer.end_point[1]),
            def_line=def_row,
            indent=_leading_ws(line(def_row)),
            body_indent=body_indent,
            signature=signature,
            docstring=docstring,
            parent=parent,
            header_end_line=body.start_point[0] if body is not None else end_row,
            doc_line=doc_line,
        )
        out.append(((start_row, start_row - end_row, start.start_byte, -outer.end_byte), sym))
    out.sort(key=lambda pair: pair[0])
    return Outline(tuple(sym for _, sym in out), parsed=True)


def _in_error(node: Any) -> bool:
    """Inside a region the parser could not read: what looks like a
    definition there is the parser's guess (a bare method's `if (...) {`
    read as a method named `if`)."""
    up = node.parent
    while up is not None:
        if up.type == "ERROR":
            return True
        up = up.parent
    return False


def _scope_name(node: Any, scopes: dict[int, str], defs: dict[int, _Def], qualify: Any) -> str:
    """The qualified name of a @scope node (an object literal's variable),
    itself qualified by the definitions and scopes around it."""
    up = node.parent
    while up is not None:
        if up.id in defs:
            return f"{qualify(defs[up.id])[0]}.{scopes[node.id]}"
        if up.id in scopes:
            return f"{_scope_name(up, scopes, defs, qualify)}.{scopes[node.id]}"
        up = up.parent
    return scopes[node.id]


def _doc_comment(node: Any, src: bytes) -> tuple[str, int | None]:
    """The comment block right above a definition (``///``, ``//``, ``/** */``),
    cleaned of its markers, and the line it starts on."""
    parts: list[str] = []
    prev = node.prev_sibling
    row = node.start_point[0]
    while prev is not None and prev.type in _COMMENTS and prev.end_point[0] >= row - 1:
        parts.append(src[prev.start_byte : prev.end_byte].decode("utf-8", errors="replace"))
        row = prev.start_point[0]
        prev = prev.prev_sibling
    if not parts:
        return "", None
    cleaned: list[str] = []
    for part in reversed(parts):
        for text_line in part.splitlines():
            text_line = text_line.strip()
            text_line = re.sub(r"^(///?!?|/\*\*?|\*/|\*)\s?", "", text_line)
            text_line = re.sub(r"\s*\*/$", "", text_line)
            if text_line:
                cleaned.append(text_line)
    return "\n".join(cleaned), row


__all__ = [
    "Outline",
    "Symbol",
    "TREE_SITTER_LANGUAGES",
    "document_outline",
    "document_symbols",
    "find_symbol",
    "symbol_at",
    "symbol_names",
    "symbol_query",
]
