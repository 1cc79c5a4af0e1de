"""Cut a source file into the chunks the vault indexes.

Chunks from symbols, plus windows for the rest: one chunk per symbol of
:mod:`mycoder_lsp.code.symbols` (function, method, class, type ...) under its
qualified name (``Class.method``, ``outer.inner``), so the vault and the
editor name a definition alike, and one ``<module>`` chunk for the lines no
symbol covers (imports, constants, top-level code; cut into windows when
large). A container's chunk outlines its members instead of repeating them.
Files that do not parse, and any other text, are cut into character windows
of 2,048 characters overlapping by 512 (the mission's numbers).

Every chunk carries its content hash (what decides re-embedding) and the
mission's importance: a docstring +0.2, length up to +0.3; the third part
(references in the workspace, up to +0.2) depends on the whole workspace and
is added at search time by the vault (:func:`reference_bonus`).

Pure functions only: this module must not touch the disk, the vault or any
model, and never raises on bad input.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from mycoder_lsp.code.languages import LANGUAGES
from mycoder_lsp.code.symbols import Outline, Symbol, document_outline
from mycoder_lsp.text import line_starts, split_lines

WINDOW = 2048
OVERLAP = 512
# A file's top-level code larger than this is cut into windows too.
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
        outline = document_outline(text, language)
        if outline is not None and outline.parsed:
            chunks = _symbol_chunks(path, text, outline)
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


# ------------------------------------------------------------------- symbols

# Kinds whose chunk outlines the symbols inside it.
_CONTAINERS = {"class", "impl", "trait", "interface", "module"}


def _symbol_chunks(path: str, text: str, outline: Outline) -> list[Chunk]:
    """One chunk per symbol under its qualified name, then ``<module>`` for
    the lines no symbol covers."""
    lines = split_lines(text, keepends=True)
    symbols = outline.symbols
    out: list[Chunk] = []
    for sym in symbols:
        start, end = sym.start_line + 1, sym.end_line + 1
        content = None
        if sym.kind in _CONTAINERS:
            members = [(m.start_line + 1, max(m.header_end_line, m.def_line) + 1, m.end_line + 1) for m in symbols
                       if m.parent == sym.qualname and m is not sym
                       and sym.start_line <= m.start_line and m.end_line <= sym.end_line]
            if members:
                content = _outline(lines, start, end, members)
        if content is None:
            content = "".join(lines[start - 1 : end])
        out.append(_make(path, sym.qualname, sym.kind, start, end, content, sym.docstring))
    out.extend(_module_chunks(path, lines, symbols, outline.docstring))
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


def _module_chunks(path: str, lines: list[str], symbols: tuple[Symbol, ...], doc: str) -> Iterator[Chunk]:
    """The file's own code: every line outside the symbols (imports,
    constants, top-level statements)."""
    taken = [False] * (len(lines) + 2)
    for sym in symbols:  # inner ones too: an object literal's methods have no symbol around them
        # A doc comment above a symbol is its docstring, not the file's code.
        first = sym.start_line if sym.doc_line is None else min(sym.doc_line, sym.start_line)
        for i in range(first + 1, min(sym.end_line + 1, len(lines)) + 1):
            taken[i] = True
    kept = [(i, lines[i - 1]) for i in range(1, len(lines) + 1) if not taken[i] and lines[i - 1].strip()]
    if not kept:
        return
    content = "".join(line for _, line in kept)
    first, last = kept[0][0], kept[-1][0]
    if len(content) <= MAX_MODULE_CHUNK:
        yield _make(path, "<module>", "module", first, last, content, doc)
        return
    # Large top-level code (tables, constants): windows over the real text so
    # line numbers stay exact.
    yield from _windows(path, "".join(lines[first - 1 : last]), first, "<module>", "module")


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
