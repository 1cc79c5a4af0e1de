"""Lexical search: BM25 over identifier-split code tokens, names and paths.

Tokens are split before they reach SQLite (``parseHTTPResponse`` and
``parse_http_response`` both give ``parse http response``; the whole
identifier is kept too, lower-cased, so an exact name still wins), then stored
by the vault's store with three columns: the qualified name, the path and the
body (SQLite: an FTS5 table whose ``bm25()`` with per-column weights gives the
field boosts; PostgreSQL: see :mod:`.pg_store`). Either way the postings are
updated inside the same transaction as the chunk.

This module must not embed, fuse scores or know tables; :mod:`.vault` fuses,
the stores keep the index.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from mycoder_lsp.memory.embedders import split_identifier

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[^\W\d_]+|\d+", re.UNICODE)
# Words that match nearly every chunk (or every docstring-style query) and
# only cost time: an OR over them scores the whole index.
STOPWORDS = frozenset(
    """a an and are as at be by for from has have if in into is it its of on or that the this to was were
    will with which when what who how not no can do does return returns self cls none true false def class
    import pass""".split()
)
# Default field weights for bm25(name, path, body); tuned in bench/bench_retrieval.py.
FIELD_WEIGHTS = (4.0, 1.0, 1.0)
# How text becomes tokens. Stored in the vault: a vault indexed with another
# version has its lexical index rebuilt (see Vault.open).
VERSION = "split-plural-v2"


def fold_plural(part: str) -> str:
    """Light, rule-based plural folding ("settings" -> "setting", "entries" ->
    "entry"), applied alike to indexed and query words so that a description
    ("Return the items") meets the code ("item"). No real stemmer: a wrong
    fold of a short or Latin word ("status", "class", "axis") costs more than
    it brings, so those are left alone. Whole multi-part identifiers are not
    folded: an exact name still matches exactly."""
    if len(part) > 4 and part.endswith("ies"):
        return part[:-3] + "y"
    if part.endswith("sses"):
        return part[:-2]
    if len(part) > 3 and part.endswith("s") and not part.endswith(("ss", "us", "is")):
        return part[:-1]
    return part


@lru_cache(maxsize=200_000)
def _word_tokens(word: str) -> tuple[str, ...]:
    parts = [fold_plural(p.lower()) for p in split_identifier(word) if p and p != "_"]
    whole = word.lower().strip("_")
    if len(parts) > 1 and whole:
        parts.append(whole)
    return tuple(parts)


def tokens(text: str) -> list[str]:
    """Lower-case tokens of code or prose: identifier parts (plurals folded),
    plus the whole identifier when it has several parts."""
    out: list[str] = []
    for word in _IDENT.findall(text):
        out.extend(_word_tokens(word))
    return out


def query_terms(text: str, limit: int = 32) -> list[str]:
    """The distinct terms of a query worth looking up."""
    seen: dict[str, None] = {}
    for tok in tokens(text):
        if tok not in STOPWORDS and len(tok) > 1:
            seen.setdefault(tok, None)
    return list(seen)[:limit]


def document(name: str, path: str, body: str) -> tuple[str, str, str]:
    """The three pre-split columns of one chunk (computed outside any transaction)."""
    return " ".join(tokens(name)), " ".join(tokens(path)), " ".join(tokens(body))


@dataclass(frozen=True)
class LexicalHit:
    chunk_id: int
    score: float  # BM25, higher is better


def document_counts(lookup: Callable[[list[str]], dict[str, int]], words: list[str]) -> dict[str, int]:
    """In how many chunks each identifier occurs (keyed by the word as given,
    looked up through ``lookup`` as the index stores it): the "references in
    the workspace" part of importance."""
    if not words:
        return {}
    # Look each word up in its indexed form (a one-part word is stored folded).
    indexed = {w: (_word_tokens(w) or ("",))[-1] for w in words if w}
    counts = lookup(sorted({t for t in indexed.values() if t}))
    return {w: counts[t] for w, t in indexed.items() if t in counts}


__all__ = ["FIELD_WEIGHTS", "LexicalHit", "STOPWORDS", "VERSION", "document", "document_counts", "fold_plural",
           "query_terms", "tokens"]
