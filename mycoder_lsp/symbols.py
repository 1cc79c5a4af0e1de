"""The symbols of one document: functions, methods, classes and types.

Routing checks a named target against them, edits take the target's range
from them, hover shows their signature and docstring. Python is read with
``ast`` (and, when the file does not parse, with an indentation scan so a
half-typed file still has symbols); JavaScript, TypeScript, Go and Rust with
tree-sitter. Every function here is pure and never raises on bad input: a
document that cannot be read has no symbols.

Positions are 0-based lines and columns in code points, lines inclusive, like
:mod:`mycoder_lsp.validation.findings`. This module must not import pygls nor
talk to any model.
"""

from __future__ import annotations

import ast
import re
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from mycoder_lsp.code.parsing import parse_python
from mycoder_lsp.text import lone_cr_as_lf, split_lines

# Languages we read with tree-sitter; python is read with ast.
TREE_SITTER_LANGUAGES = ("javascript", "typescript", "tsx", "go", "rust")


@dataclass(frozen=True)
class Symbol:
    """One definition in a document.

    ``start_line`` includes decorators / attributes / an ``export`` keyword
    (what an edit must replace), ``def_line`` is the line of the definition
    keyword itself. ``indent`` is the leading whitespace of the definition,
    ``body_indent`` that of its body (empty when unknown).
    """

    name: str
    qualname: str
    kind: str  # function | method | class | interface | type | enum | trait | impl | module
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


def document_symbols(text: str, language: str | None) -> list[Symbol]:
    """All symbols of ``text``, outer ones before inner ones, in source order."""
    if not text or not language:
        return []
    try:
        if language == "python":
            return _python_symbols(text)
        if language in TREE_SITTER_LANGUAGES:
            return _tree_sitter_symbols(text, language)
    except Exception:  # noqa: BLE001 - a symbol table is best effort, never a crash
        return []
    return []


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


def _python_symbols(text: str) -> list[Symbol]:
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _python_scan(text)
    lines = split_lines(text)
    out: list[Symbol] = []

    def visit(body: list[ast.stmt], prefix: str, parent_kind: str | None, parent: str | None) -> None:
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
                if body_first > def_line and body_first < len(lines):
                    body_indent = _leading_ws(lines[body_first])
                else:
                    body_indent = ""
                header_end = max(def_line, body_first - 1) if body_first > def_line else def_line
                signature = _python_signature(lines, def_line, header_end)
                out.append(
                    Symbol(
                        name=node.name,
                        qualname=qual,
                        kind=kind,
                        start_line=first,
                        end_line=last,
                        start_col=_char_col(lines, def_line, node.col_offset),
                        end_col=_char_col(lines, last, node.end_col_offset or 0),
                        def_line=def_line,
                        indent=_leading_ws(lines[def_line]) if def_line < len(lines) else "",
                        body_indent=body_indent,
                        signature=signature,
                        docstring=ast.get_docstring(node, clean=True) or "",
                        parent=prefix[:-1] or None,
                    )
                )
                visit(node.body, qual + ".", kind, qual)
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.While)):
                # Definitions under `if TYPE_CHECKING:` / try-import blocks
                # belong to the enclosing scope.
                for field_name in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field_name, []) or [], prefix, parent_kind, parent)
                for handler in getattr(node, "handlers", []) or []:
                    visit(handler.body, prefix, parent_kind, parent)

    visit(tree.body, "", None, None)
    return out


def _char_col(lines: list[str], row: int, byte_col: int) -> int:
    """``ast`` columns are UTF-8 bytes; symbols use code points."""
    line = lines[row] if 0 <= row < len(lines) else ""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


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


def _python_scan(text: str) -> list[Symbol]:
    """Symbols of Python that does not parse: definitions found by their
    keyword, each ending before the next line indented at or left of it."""
    lines = split_lines(text)
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
            )
        )
        stack.append((qual, width, kind))
    return out


# ---------------------------------------------------------------- tree-sitter

_LANGUAGES: dict[str, Any] = {}
_LANGUAGE_LOCK = threading.Lock()


def tree_sitter_language(language: str) -> Any | None:
    """The tree-sitter ``Language`` for one of :data:`TREE_SITTER_LANGUAGES`,
    loaded once; None when its grammar wheel is missing."""
    with _LANGUAGE_LOCK:
        if language in _LANGUAGES:
            return _LANGUAGES[language]
        lang = None
        try:
            import tree_sitter

            if language == "javascript":
                import tree_sitter_javascript as mod

                lang = tree_sitter.Language(mod.language())
            elif language in ("typescript", "tsx"):
                import tree_sitter_typescript as ts_mod

                fn = ts_mod.language_tsx if language == "tsx" else ts_mod.language_typescript
                lang = tree_sitter.Language(fn())
            elif language == "go":
                import tree_sitter_go as mod

                lang = tree_sitter.Language(mod.language())
            elif language == "rust":
                import tree_sitter_rust as mod

                lang = tree_sitter.Language(mod.language())
        except Exception:  # noqa: BLE001 - a missing or broken grammar means "no symbols"
            lang = None
        _LANGUAGES[language] = lang
        return lang


def parse_tree(text: str, language: str) -> Any | None:
    """A tree-sitter tree for ``text`` (a new parser each call: parsers are
    not shared between threads). Its rows are LSP lines, also in a file
    whose lines end in a lone ``\\r``."""
    lang = tree_sitter_language(language)
    if lang is None:
        return None
    import tree_sitter

    return tree_sitter.Parser(lang).parse(lone_cr_as_lf(text).encode("utf-8"))


# node type -> kind, per language family
_TS_KINDS: dict[str, dict[str, str]] = {
    "javascript": {
        "function_declaration": "function",
        "generator_function_declaration": "function",
        "class_declaration": "class",
        "method_definition": "method",
    },
    "typescript": {
        "function_declaration": "function",
        "generator_function_declaration": "function",
        "class_declaration": "class",
        "abstract_class_declaration": "class",
        "method_definition": "method",
        "interface_declaration": "interface",
        "enum_declaration": "enum",
        "type_alias_declaration": "type",
    },
    "go": {
        "function_declaration": "function",
        "method_declaration": "method",
        "type_spec": "type",
    },
    "rust": {
        "function_item": "function",
        "struct_item": "class",
        "enum_item": "enum",
        "trait_item": "trait",
        "impl_item": "impl",
        "mod_item": "module",
        "function_signature_item": "function",
    },
}
_TS_KINDS["tsx"] = _TS_KINDS["typescript"]

# Nodes that wrap a definition and belong to its range when edited.
_WRAPPERS = {"export_statement", "decorated_definition"}
# Preceding siblings that belong to the definition (Rust attributes, TS decorators).
_ATTACHED = {"attribute_item", "decorator"}
_COMMENTS = {"comment", "line_comment", "block_comment"}


class _Text:
    """Byte offsets to code point columns, per line."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)

    def col(self, row: int, byte_col: int) -> int:
        if row >= len(self.lines):
            return byte_col
        line = self.lines[row]
        if line.isascii():
            return byte_col
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def line(self, row: int) -> str:
        return self.lines[row] if 0 <= row < len(self.lines) else ""


def _node_name(node: Any, language: str, src: bytes) -> str | None:
    name = node.child_by_field_name("name")
    if name is None and node.type == "impl_item":
        name = node.child_by_field_name("type")
    if name is None:
        return None
    raw = src[name.start_byte : name.end_byte].decode("utf-8", errors="replace")
    if node.type == "impl_item":
        raw = re.sub(r"<.*", "", raw).strip()  # impl Foo<T> -> Foo
    return raw


def _go_receiver(node: Any, src: bytes) -> str | None:
    recv = node.child_by_field_name("receiver")
    if recv is None:
        return None
    raw = src[recv.start_byte : recv.end_byte].decode("utf-8", errors="replace")
    m = re.search(r"\*?\s*([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)\s*$", raw)
    return m.group(1) if m else None


def _tree_sitter_symbols(text: str, language: str) -> list[Symbol]:
    tree = parse_tree(text, language)
    if tree is None:
        return []
    src = lone_cr_as_lf(text).encode("utf-8")
    doc = _Text(text)
    kinds = _TS_KINDS[language]
    out: list[Symbol] = []

    def emit(node: Any, name: str, kind: str, prefix: str, parent: str | None) -> str:
        outer = node
        while outer.parent is not None and outer.parent.type in _WRAPPERS:
            outer = outer.parent
        if node.type == "type_spec" and node.parent is not None and node.parent.type == "type_declaration":
            # `type S struct {...}`: the keyword belongs to the one spec it declares.
            if sum(1 for c in node.parent.named_children if c.type == "type_spec") == 1:
                outer = node.parent
        start = outer
        prev = start.prev_named_sibling
        while prev is not None and prev.type in _ATTACHED:
            start = prev
            prev = prev.prev_named_sibling
        start_row = start.start_point[0]
        # Decorators inside a class body precede a method as siblings (TS/JS).
        qual = f"{prefix}{name}"
        body = node.child_by_field_name("body")
        body_indent = ""
        if body is not None and body.named_child_count:
            first = body.named_children[0]
            if first.start_point[0] > node.start_point[0]:
                body_indent = _leading_ws(doc.line(first.start_point[0]))
        def_row = node.start_point[0]
        signature = _ts_signature(node, body, src)
        out.append(
            Symbol(
                name=name,
                qualname=qual,
                kind=kind,
                start_line=start_row,
                end_line=outer.end_point[0],
                start_col=doc.col(start_row, start.start_point[1]),
                end_col=doc.col(outer.end_point[0], outer.end_point[1]),
                def_line=def_row,
                indent=_leading_ws(doc.line(def_row)),
                body_indent=body_indent,
                signature=signature,
                docstring=_ts_doc_comment(start, src),
                parent=parent,
            )
        )
        return qual

    def walk(node: Any, prefix: str, parent: str | None, parent_kind: str | None) -> None:
        for child in node.named_children:
            kind = kinds.get(child.type)
            name = _node_name(child, language, src) if kind else None
            if kind == "type" and language == "go":
                type_node = child.child_by_field_name("type")
                if type_node is not None and type_node.type == "struct_type":
                    kind = "class"
                elif type_node is not None and type_node.type == "interface_type":
                    kind = "interface"
            if kind is None and child.type in ("lexical_declaration", "variable_declaration"):
                # const handler = (req) => {...}: a function by any other name.
                for decl in child.named_children:
                    value = decl.child_by_field_name("value")
                    dname = decl.child_by_field_name("name")
                    if value is not None and dname is not None and value.type in (
                        "arrow_function",
                        "function_expression",
                        "function",
                    ):
                        # A one-declarator statement: the statement is the range.
                        target = child if child.named_child_count == 1 else decl
                        nm = src[dname.start_byte : dname.end_byte].decode("utf-8", errors="replace")
                        emit_arrow(target, value, nm, prefix, parent)
                continue
            if kind and name:
                if language == "go" and child.type == "method_declaration":
                    recv = _go_receiver(child, src)
                    qual_prefix = f"{recv}." if recv else prefix
                    emit(child, name, kind, qual_prefix, recv)
                    continue
                if kind == "function" and parent_kind in ("class", "impl", "trait", "interface"):
                    kind = "method"
                qual = emit(child, name, kind, prefix, parent)
                walk(child.child_by_field_name("body") or child, qual + ".", qual, kind)
            elif child.type == "type_declaration" or child.type in _WRAPPERS or child.type in (
                "declaration_list",
                "class_body",
                "statement_block",
                "program",
                "source_file",
                "export_statement",
            ):
                walk(child, prefix, parent, parent_kind)

    def emit_arrow(stmt: Any, value: Any, name: str, prefix: str, parent: str | None) -> None:
        outer = stmt
        while outer.parent is not None and outer.parent.type in _WRAPPERS:
            outer = outer.parent
        body = value.child_by_field_name("body")
        body_indent = ""
        if body is not None and body.named_child_count and body.named_children[0].start_point[0] > stmt.start_point[0]:
            body_indent = _leading_ws(doc.line(body.named_children[0].start_point[0]))
        row = outer.start_point[0]
        head = src[stmt.start_byte : (body.start_byte if body is not None else stmt.end_byte)]
        out.append(
            Symbol(
                name=name,
                qualname=f"{prefix}{name}",
                kind="function",
                start_line=row,
                end_line=outer.end_point[0],
                start_col=doc.col(row, outer.start_point[1]),
                end_col=doc.col(outer.end_point[0], outer.end_point[1]),
                def_line=stmt.start_point[0],
                indent=_leading_ws(doc.line(stmt.start_point[0])),
                body_indent=body_indent,
                signature=" ".join(head.decode("utf-8", errors="replace").split()).rstrip(" ={"),
                docstring=_ts_doc_comment(outer, src),
                parent=parent,
            )
        )

    walk(tree.root_node, "", None, None)
    out.sort(key=lambda s: (s.start_line, -s.line_count))
    return out


def _ts_signature(node: Any, body: Any, src: bytes) -> str:
    end = body.start_byte if body is not None else node.end_byte
    head = src[node.start_byte : end].decode("utf-8", errors="replace")
    return " ".join(head.split())


def _ts_doc_comment(node: Any, src: bytes) -> str:
    """The comment block right above a definition (``///``, ``//``, ``/** */``)."""
    parts: list[str] = []
    prev = node.prev_sibling
    row = node.start_point[0]
    while prev is not None and prev.type in _COMMENTS and prev.end_point[0] >= row - 1:
        parts.append(src[prev.start_byte : prev.end_byte].decode("utf-8", errors="replace"))
        row = prev.start_point[0]
        prev = prev.prev_sibling
    if not parts:
        return ""
    cleaned: list[str] = []
    for part in reversed(parts):
        for line in part.splitlines():
            line = line.strip()
            line = re.sub(r"^(///?!?|/\*\*?|\*/|\*)\s?", "", line)
            line = re.sub(r"\s*\*/$", "", line)
            if line:
                cleaned.append(line)
    return "\n".join(cleaned)


__all__ = [
    "Symbol",
    "TREE_SITTER_LANGUAGES",
    "document_symbols",
    "find_symbol",
    "parse_tree",
    "symbol_at",
    "symbol_names",
    "tree_sitter_language",
    "workspace_symbol_names",
]


# ------------------------------------------------------------ workspace scan
#
# The one function here that reads files: the qualified names of every
# Python definition under a workspace root, for checking a request's target
# when no vault is at hand (the CLI's `route`). Cached per file by mtime and
# size, in memory and (when given) in a JSON file, so a second run costs
# one stat per file.

_SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "env", "node_modules", "__pycache__", ".mypy_cache",
              ".pytest_cache", ".tox", "build", "dist", ".mycoder", "site-packages"}
_SCAN_CACHE: dict[str, tuple[int, int, list[str]]] = {}


def workspace_symbol_names(root: Any, *, cache_file: Any = None, max_files: int = 5000) -> list[str]:
    """Qualified names of the Python definitions under ``root``."""
    import json
    import os
    from pathlib import Path

    root = Path(root)
    disk: dict[str, list[Any]] = {}
    if cache_file is not None:
        try:
            disk = json.loads(Path(cache_file).read_text(encoding="utf-8")).get("files", {})
        except (OSError, ValueError, AttributeError):
            disk = {}
    names: set[str] = set()
    fresh: dict[str, list[Any]] = {}
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")]
        for fn in filenames:
            if not fn.endswith(".py"):
                continue
            seen += 1
            if seen > max_files:
                break
            path = os.path.join(dirpath, fn)
            try:
                st = os.stat(path)
            except OSError:
                continue
            key = os.path.relpath(path, root)
            stamp = (st.st_mtime_ns, st.st_size)
            hit = _SCAN_CACHE.get(path)
            if hit and hit[:2] == stamp:
                found = hit[2]
            elif key in disk and tuple(disk[key][:2]) == stamp:
                found = list(disk[key][2])
            else:
                try:
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        found = [s.qualname for s in _python_symbols(fh.read())]
                except OSError:
                    continue
            _SCAN_CACHE[path] = (stamp[0], stamp[1], found)
            fresh[key] = [stamp[0], stamp[1], found]
            names.update(found)
    if cache_file is not None and fresh != disk:
        try:
            target = Path(cache_file)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"version": 1, "files": fresh}), encoding="utf-8")
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only costs time
    return sorted(names)
