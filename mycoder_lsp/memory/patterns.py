"""The learning log (CAG): edits the user accepted, recalled as examples.

An accepted edit (the generated code still in the document at the next save)
becomes a pattern ``{id, timestamp, signature, user_intent, code_delta,
confidence}``; the log keeps the last ``vault.max_patterns``. A request is
matched against each pattern by its intent text (weight 2.0) and its target's
signature (weight 1.0), times the pattern's confidence; the best two go into
the coding brain's prompt.

This module only reads and writes the ``patterns`` table through a
:class:`~mycoder_lsp.memory.store.VaultStore`; it must not decide what counts as
accepted (the server feature does) and never talks to a model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mycoder_lsp.memory.lexical import query_terms
from mycoder_lsp.memory.redaction import redact
from mycoder_lsp.memory.store import PatternRow, VaultStore

INTENT_WEIGHT = 2.0
SIGNATURE_WEIGHT = 1.0
DEFAULT_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Pattern(PatternRow):
    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "timestamp": self.timestamp,
            "signature": self.signature,
            "user_intent": self.user_intent,
            "code_delta": self.code_delta,
            "confidence": self.confidence,
        }


def record(
    store: VaultStore,
    *,
    signature: str,
    user_intent: str,
    code_delta: str,
    confidence: float = DEFAULT_CONFIDENCE,
    path: str = "",
    target: str = "",
    keep: int = 100,
) -> Pattern:
    """Append one pattern (secrets redacted) and drop the oldest beyond ``keep``."""
    signature, user_intent = redact(signature, path or None), redact(user_intent)
    code_delta = redact(code_delta, path or None)

    def build(seq: int) -> Pattern:
        return Pattern(id=f"P{seq:04d}", timestamp=time.time(), signature=signature, user_intent=user_intent,
                       code_delta=code_delta, confidence=max(0.0, min(1.0, float(confidence))), path=path,
                       target=target)

    return store.append_pattern(build, keep)  # type: ignore[return-value]


def all_patterns(store: VaultStore) -> list[Pattern]:
    return [Pattern(*(getattr(row, f) for f in _FIELDS)) for row in store.pattern_rows()]


_FIELDS = ("id", "timestamp", "signature", "user_intent", "code_delta", "confidence", "path", "target")


def _overlap(query: set[str], text: str) -> float:
    """The share of the query's terms the text has (0..1)."""
    if not query:
        return 0.0
    return len(query & set(query_terms(text, limit=256))) / len(query)


def score(pattern: Pattern, intent_text: str, signature: str) -> float:
    intent_terms = set(query_terms(intent_text))
    signature_terms = set(query_terms(signature))
    return (
        INTENT_WEIGHT * _overlap(intent_terms, pattern.user_intent)
        + SIGNATURE_WEIGHT * _overlap(signature_terms, pattern.signature)
    ) * pattern.confidence


def best(store: VaultStore, intent_text: str, signature: str = "", k: int = 2) -> list[tuple[Pattern, float]]:
    """The ``k`` patterns that match a request best; patterns matching nothing are left out."""
    scored = [(p, score(p, intent_text, signature)) for p in all_patterns(store)]
    scored = [(p, s) for p, s in scored if s > 0]
    # Ties: the newer pattern is the better example.
    scored.sort(key=lambda ps: (-ps[1], -ps[0].timestamp))
    return scored[:k]


def related(store: VaultStore, symbol_name: str, k: int = 3) -> list[Pattern]:
    """Patterns recorded for a symbol (by target or signature), newest first."""
    if not symbol_name:
        return []
    short = symbol_name.rsplit(".", 1)[-1]
    scored = []
    for p in all_patterns(store):
        if p.target == symbol_name or p.target.rsplit(".", 1)[-1] == short:
            scored.append((2.0, p))
        elif short and short in p.signature:
            scored.append((1.0, p))
    scored.sort(key=lambda sp: (-sp[0], -sp[1].timestamp))
    return [p for _, p in scored[:k]]


__all__ = ["DEFAULT_CONFIDENCE", "INTENT_WEIGHT", "Pattern", "SIGNATURE_WEIGHT", "all_patterns", "best", "record",
           "related", "score"]
