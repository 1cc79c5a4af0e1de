"""The one way this package runs ``ast.parse``.

CPython 3.11 keeps the AST constructor's recursion depth in interpreter-wide
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
import logging
import threading

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


__all__ = ["parse_python"]
