"""The one place this package parses code: ``ast`` for Python, tree-sitter
for the other languages, and the one conversion from a parser's UTF-8 byte
column to the code-point column the rest of the package uses.

**ast.** CPython 3.11 keeps the AST constructor's recursion depth in interpreter-wide
state; two threads building trees at once (validation and symbols run in the
server's thread pool) can leave it inconsistent, and ``ast.parse`` then raises
``SystemError: AST constructor recursion depth mismatch`` on perfectly good
code (gh-106905). That error escaping a validation run means nothing is
published for the document. Parses here are serialised by one lock, and the
spurious error is retried; callers see only the exceptions ``ast.parse``
documents (``SyntaxError``, ``ValueError``, ``RecursionError``,
``MemoryError``).
"""

from __future__ import annotations

import ast
import importlib
import logging
import threading
from typing import Any

from mycoder_lsp.code.languages import RECORDS
from mycoder_lsp.text import lone_cr_as_lf

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_ATTEMPTS = 3


def parse_python(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source, filename)``, safe to call from any thread."""
    last: SystemError | None = None
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with _LOCK:
                return ast.parse(source, filename=filename)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc):
                raise
            log.warning("ast.parse hit CPython's recursion depth bug (attempt %d of %d)", attempt, _ATTEMPTS)
            last = exc
    # Still failing: report it as what it is about, nesting, never as a crash.
    raise RecursionError(f"Python could not build the syntax tree: {last}")


# The last texts parsed by parse_shared, newest last: the request flow reads
# one document's tree several times (the edit plan, the names an edit
# imports, the comparison with the original, the outline), and the document
# after one edit is the original of the next. A tree costs ~60 bytes per
# character: larger texts are parsed each time rather than kept.
_SHARED_KEPT = 2
_SHARED_MAX_CHARS = 120_000
_SHARED: dict[str, ast.Module] = {}
_SHARED_LOCK = threading.Lock()


def parse_shared(source: str) -> ast.Module:
    """:func:`parse_python` for readers: the tree may be another caller's
    too, so it must not be changed (the incremental parse shifts its own
    trees' lines, and never gets one from here). Raises as ``ast.parse``."""
    with _SHARED_LOCK:
        tree = _SHARED.pop(source, None)
        if tree is not None:
            _SHARED[source] = tree
            return tree
    tree = parse_python(source)
    if len(source) > _SHARED_MAX_CHARS:
        return tree
    with _SHARED_LOCK:
        _SHARED[source] = tree
        while len(_SHARED) > _SHARED_KEPT:
            del _SHARED[next(iter(_SHARED))]
    return tree


# ---------------------------------------------------------------- tree-sitter

# language -> (grammar module, function returning the language pointer), from the records
GRAMMARS: dict[str, tuple[str, str]] = {record.name: record.grammar for record in RECORDS if record.grammar}

_GRAMMAR_LOCK = threading.Lock()
_GRAMMARS_LOADED: dict[str, Any] = {}
_PARSERS = threading.local()


def all_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node under ``tree`` (itself included), in no particular order:
    ``ast.walk`` without its generator and deque, for the hot paths that visit
    every node of a large file (validation's shared traversal, line shifts)."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    pop, push, keep = stack.pop, stack.append, found.append
    node_type = ast.AST
    while stack:
        node = pop()
        keep(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, node_type):
                        push(item)
            elif isinstance(value, node_type):
                push(value)
    return found


def tree_sitter_language(language: str) -> Any | None:
    """The tree-sitter ``Language`` for ``language``, loaded once per
    process; None when its grammar wheel is missing or broken (logged once),
    so a missing grammar means "not parsed", never a crash."""
    with _GRAMMAR_LOCK:
        if language in _GRAMMARS_LOADED:
            return _GRAMMARS_LOADED[language]
        loaded = None
        spec = GRAMMARS.get(language)
        if spec is not None:
            try:
                from tree_sitter import Language

                loaded = Language(getattr(importlib.import_module(spec[0]), spec[1])())
            except Exception:  # noqa: BLE001 - a broken or missing wheel must not stop anything
                log.warning("tree-sitter grammar for %s is not available", language, exc_info=True)
        _GRAMMARS_LOADED[language] = loaded
        return loaded


def parser_for(language: str) -> Any | None:
    """A tree-sitter ``Parser`` for ``language``, one per thread (a parser
    must not be used by two threads at once), or None without a grammar."""
    lang = tree_sitter_language(language)
    if lang is None:
        return None
    cache: dict[str, Any] | None = getattr(_PARSERS, "cache", None)
    if cache is None:
        cache = _PARSERS.cache = {}
    parser = cache.get(language)
    if parser is None:
        from tree_sitter import Parser

        parser = cache[language] = Parser(lang)
    return parser


def source_bytes(text: str) -> bytes:
    """The bytes tree-sitter is given for ``text``: UTF-8 (lone surrogates
    kept), each lone ``\\r`` as ``\\n`` so tree rows are LSP lines and byte
    offsets stay those of the text."""
    return lone_cr_as_lf(text).encode("utf-8", "surrogatepass")


def parse_tree(text: str | bytes, language: str) -> Any | None:
    """The tree-sitter tree of ``text`` (a ``str``, or bytes already made by
    :func:`source_bytes`), or None without a grammar."""
    parser = parser_for(language)
    if parser is None:
        return None
    return parser.parse(source_bytes(text) if isinstance(text, str) else text)


def char_column(line: str, byte_col: int) -> int:
    """The code-point column of UTF-8 byte column ``byte_col`` in ``line``
    (``ast`` and tree-sitter count bytes; LSP positions here count code
    points, converted to UTF-16 at the protocol edge)."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "ignore"))


__all__ = ["GRAMMARS", "all_nodes", "char_column", "parse_python", "parse_shared", "parse_tree", "parser_for",
           "source_bytes", "tree_sitter_language"]
