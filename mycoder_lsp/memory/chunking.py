"""Cut a source file into the chunks the vault indexes.

Python is read with ``ast``: one chunk per function, method and class
(``Class.method``, ``outer.inner``) and one ``<module>`` chunk for the
top-level code. JavaScript, TypeScript, Go and Rust are read with tree-sitter
through the ``queries/<language>.scm`` files shipped as package data. Files
that do not parse, and any other text, are cut into character windows of
2,048 characters overlapping by 512 (the mission's numbers).

Every chunk carries its content hash (what decides re-embedding) and the
mission's importance: a docstring +0.2, length up to +0.3; the third part
(references in the workspace, up to +0.2) depends on the whole workspace and
is added at search time by the vault (:func:`reference_bonus`).

Pure functions only: this module must not touch the disk (except reading its
own ``.scm`` files), the vault or any model, and never raises on bad input.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import re
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterator

from mycoder_lsp.languages import LANGUAGES
from mycoder_lsp.code.parsing import parse_python
from mycoder_lsp.text import line_starts, split_lines

WINDOW = 2048
OVERLAP = 512
# A Python module's top-level code larger than this is cut into windows too.
MAX_MODULE_CHUNK = 4 * WINDOW

LANGUAGE_BY_SUFFIX = LANGUAGES


@dataclass(frozen=True)
class Chunk:
    """One indexed piece of a file; lines are 1-based and inclusive."""

    path: str  # relative to the workspace root, "/" separators
    name: str  # qualified: Class.method, outer.inner; "<module>" / "<text>" for the rest
    kind: str  # function | method | class | interface | type | enum | trait | impl | module | text ...
    start_line: int
    end_line: int
    content: str
    hash: str
    importance: float  # docstring + length parts; see reference_bonus()
    docstring: str = ""


def language_of(path: str) -> str | None:
    dot = path.rfind(".")
    return LANGUAGE_BY_SUFFIX.get(path[dot:].lower()) if dot >= 0 else None


def content_hash(kind: str, name: str, content: str) -> str:
    """What an embedding is keyed by: the same text under the same name is
    never embedded twice, wherever it moves."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{kind}\0{name}\0".encode())
    h.update(content.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def importance(content: str, has_docstring: bool, lines: int | None = None) -> float:
    """Docstring +0.2, length up to +0.3 (full at 60 lines)."""
    if lines is None:
        lines = content.rstrip("\n").count("\n") + 1
    return round((0.2 if has_docstring else 0.0) + 0.3 * min(1.0, lines / 60.0), 4)


def reference_bonus(references: int) -> float:
    """How often a name is used elsewhere in the workspace: up to +0.2 (full at 10)."""
    return 0.2 * min(1.0, max(0, references) / 10.0)


def chunk_file(path: str, text: str, language: str | None = None) -> list[Chunk]:
    """All chunks of one file. ``language`` defaults to the one its suffix says."""
    language = language or language_of(path)
    chunks: list[Chunk] | None = None
    try:
        if language == "python":
            chunks = _python_chunks(path, text)
        elif language in ("javascript", "typescript", "tsx", "go", "rust"):
            chunks = _tree_sitter_chunks(path, text, language)
    except Exception:  # noqa: BLE001 - a file we cannot read structurally is still text
        chunks = None
    if chunks is None:
        chunks = list(_windows(path, text, 1, "<text>", "text"))
    return chunks


def _make(path: str, name: str, kind: str, start: int, end: int, content: str, doc: str) -> Chunk:
    return Chunk(
        path=path,
        name=name,
        kind=kind,
        start_line=start,
        end_line=end,
        content=content,
        hash=content_hash(kind, name, content),
        importance=importance(content, bool(doc.strip()), end - start + 1),
        docstring=doc,
    )


def _windows(path: str, text: str, first_line: int, name: str, kind: str) -> Iterator[Chunk]:
    """Character windows of WINDOW characters, each starting WINDOW - OVERLAP
    after the previous one; lines are those the window touches."""
    if not text.strip():
        return
    step = WINDOW - OVERLAP
    start = 0
    starts = line_starts(text)  # LSP lines: a lone \r ends one too
    while True:
        piece = text[start : start + WINDOW]
        if piece.strip():
            line0 = first_line + bisect.bisect_right(starts, start) - 1
            line1 = first_line + bisect.bisect_right(starts, start + len(piece.rstrip("\r\n")) - 1) - 1
            yield _make(path, name, kind, line0, line1, piece, "")
        if start + WINDOW >= len(text):
            return
        start += step


# --------------------------------------------------------------------- python


def _python_chunks(path: str, text: str) -> list[Chunk] | None:
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = split_lines(text, keepends=True)
    out: list[Chunk] = []

    def visit(body: list[ast.stmt], prefix: str, in_class: bool) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                is_class = isinstance(node, ast.ClassDef)
                kind = "class" if is_class else ("method" if in_class else "function")
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                end = node.end_lineno or node.lineno
                qual = prefix + node.name
                doc = ast.get_docstring(node, clean=True) or ""
                if is_class:
                    # Methods have chunks of their own: the class keeps their signatures only.
                    inner = [(min([m.lineno] + [d.lineno for d in m.decorator_list]), m.body[0].lineno - 1,
                              m.end_lineno or m.lineno)
                             for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
                    content = _outline(lines, start, end, inner)
                else:
                    content = "".join(lines[start - 1 : end])
                out.append(_make(path, qual, kind, start, end, content, doc))
                visit(node.body, qual + ".", is_class)
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.While)):
                # Definitions under `if TYPE_CHECKING:` / `try:` keep the enclosing prefix.
                for field_name in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field_name, []) or [], prefix, in_class)
                for handler in getattr(node, "handlers", []) or []:
                    visit(handler.body, prefix, in_class)

    visit(tree.body, "", False)
    out.extend(_python_module_chunks(path, tree, lines))
    out.sort(key=lambda c: (c.start_line, -c.end_line))
    return out


def _outline(lines: list[str], start: int, end: int, inner: list[tuple[int, int, int]]) -> str:
    """Lines ``start..end`` (1-based) with the bodies of the ``inner``
    definitions (start, last header line, end) replaced by ``...``: a
    container's chunk says what it holds without repeating its members'
    chunks, so a change inside a method never re-embeds its class."""
    out: list[str] = []
    line = start
    for istart, header_end, iend in sorted(inner):
        if istart < line or iend > end:
            continue
        out.extend(lines[line - 1 : max(istart, header_end + 1) - 1])
        if header_end + 1 <= iend:
            body = lines[header_end] if header_end < len(lines) else ""
            indent = body[: len(body) - len(body.lstrip())]
            out.append(f"{indent}...\n")
        line = iend + 1
    out.extend(lines[line - 1 : end])
    return "".join(out)


def _python_module_chunks(path: str, tree: ast.Module, lines: list[str]) -> Iterator[Chunk]:
    """The module's own code: every top-level line outside a def or class."""
    taken = [False] * (len(lines) + 2)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            for i in range(start, (node.end_lineno or node.lineno) + 1):
                taken[i] = True
    kept = [(i, lines[i - 1]) for i in range(1, len(lines) + 1) if not taken[i] and lines[i - 1].strip()]
    if not kept:
        return
    content = "".join(line for _, line in kept)
    doc = ast.get_docstring(tree, clean=True) or ""
    first, last = kept[0][0], kept[-1][0]
    if len(content) <= MAX_MODULE_CHUNK:
        yield _make(path, "<module>", "module", first, last, content, doc)
        return
    # Large top-level code (tables, constants): windows over the real text so
    # line numbers stay exact.
    text = "".join(lines[first - 1 : last])
    yield from _windows(path, text, first, "<module>", "module")


# ---------------------------------------------------------------- tree-sitter

_QUERIES: dict[str, Any] = {}
_QUERY_LOCK = threading.Lock()
_SCOPES = {"class", "impl", "trait", "interface", "module"}
_COMMENTS = {"comment", "line_comment", "block_comment"}


def _query(language: str) -> Any | None:
    """The compiled ``queries/<language>.scm``, once per process."""
    with _QUERY_LOCK:
        if language in _QUERIES:
            return _QUERIES[language]
        query = None
        try:
            import tree_sitter

            from mycoder_lsp.symbols import tree_sitter_language

            lang = tree_sitter_language(language)
            if lang is not None:
                source = resources.files("mycoder_lsp.memory").joinpath("queries", f"{language}.scm").read_text()
                query = tree_sitter.Query(lang, source)
        except Exception:  # noqa: BLE001 - a missing grammar means "plain text"
            query = None
        _QUERIES[language] = query
        return query


def _tree_sitter_chunks(path: str, text: str, language: str) -> list[Chunk] | None:
    query = _query(language)
    if query is None:
        return None
    import tree_sitter

    from mycoder_lsp.symbols import parse_tree

    tree = parse_tree(text, language)
    if tree is None or tree.root_node.has_error and not tree.root_node.named_child_count:
        return None
    src = text.encode("utf-8")
    lines = split_lines(text, keepends=True)

    def node_text(node: Any) -> str:
        return src[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    # node id -> (node, kind, name, receiver)
    defs: dict[int, tuple[Any, str, str, str | None]] = {}
    for _, captures in tree_sitter.QueryCursor(query).matches(tree.root_node):
        names = captures.get("name") or []
        if not names:
            continue
        for cap, nodes in captures.items():
            if not cap.startswith("definition."):
                continue
            node = nodes[0]
            receiver = None
            if "receiver" in captures:
                m = re.search(r"\*?\s*([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)\s*$", node_text(captures["receiver"][0]))
                receiver = m.group(1) if m else None
            name = re.sub(r"<.*", "", node_text(names[0])).strip()
            defs.setdefault(node.id, (node, cap.split(".", 1)[1], name, receiver))

    def lines_of(node: Any) -> tuple[int, int, int]:
        """(first line, last header line, last line), 1-based, of a definition."""
        outer = node
        while outer.parent is not None and outer.parent.type in ("export_statement", "decorated_definition"):
            outer = outer.parent
        body = node.child_by_field_name("body")
        header_end = body.start_point[0] + 1 if body is not None else outer.end_point[0] + 1
        return outer.start_point[0] + 1, header_end, outer.end_point[0] + 1

    # Members of each container, so its chunk can outline them instead of repeating them.
    members: dict[int, list[tuple[int, int, int]]] = {}
    for node, _, _, _ in defs.values():
        up = node.parent
        while up is not None and up.id not in defs:
            up = up.parent
        if up is not None:
            members.setdefault(up.id, []).append(lines_of(node))

    out: list[Chunk] = []
    for node, kind, name, receiver in defs.values():
        # Qualify by the enclosing definitions (class / impl / trait / mod).
        parents: list[str] = []
        parent_kind = None
        up = node.parent
        while up is not None:
            hit = defs.get(up.id)
            if hit is not None:
                parents.append(hit[2])
                parent_kind = parent_kind or hit[1]
            up = up.parent
        if receiver:
            parents = [receiver]
            kind = "method"
        elif kind == "function" and parent_kind in _SCOPES - {"module"}:
            kind = "method"
        qual = ".".join([*reversed(parents), name])
        outer = node
        while outer.parent is not None and outer.parent.type in ("export_statement", "decorated_definition"):
            outer = outer.parent
        start, end = outer.start_point[0] + 1, outer.end_point[0] + 1
        doc = _doc_comment(outer, src)
        if kind in _SCOPES and node.id in members:
            content = _outline(lines, start, end, members[node.id])
        else:
            content = "".join(lines[start - 1 : end])
        out.append(_make(path, qual, kind, start, end, content, doc))
    out.sort(key=lambda c: (c.start_line, -c.end_line))
    return out


def _doc_comment(node: Any, src: bytes) -> str:
    """The comment block right above a definition (``///``, ``//``, ``/** */``)."""
    parts: list[str] = []
    prev = node.prev_sibling
    row = node.start_point[0]
    while prev is not None and prev.type in ("attribute_item",):
        row = prev.start_point[0]
        prev = prev.prev_sibling
    while prev is not None and prev.type in _COMMENTS and prev.end_point[0] >= row - 1:
        parts.append(src[prev.start_byte : prev.end_byte].decode("utf-8", errors="replace"))
        row = prev.start_point[0]
        prev = prev.prev_sibling
    return "\n".join(reversed(parts))


__all__ = [
    "Chunk",
    "LANGUAGE_BY_SUFFIX",
    "OVERLAP",
    "WINDOW",
    "chunk_file",
    "content_hash",
    "importance",
    "language_of",
    "reference_bonus",
]
