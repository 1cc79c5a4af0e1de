"""The context one model request gets from the vault, within its budget.

:func:`gather` (what :meth:`~.vault.Vault.gather` answers for the request
flow's :class:`~mycoder_lsp.brains.context.ContextProvider`) packs, in this
order: the locked feature's scratchpad, the target's neighbours in its file,
the best two learned patterns, then the top retrieved chunks; each piece is
redacted and goes in once. What needs the store is read in one hop to a
worker thread and the search in one more: on a busy machine each hop costs.

This module must not rank, index or know tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mycoder_lsp.brains.context import ContextPiece, ContextRequest
from mycoder_lsp.memory import patterns
from mycoder_lsp.memory.redaction import redact

if TYPE_CHECKING:
    from mycoder_lsp.memory.vault import SearchResult, Vault

RETRIEVED = 8  # chunks searched for; the budget decides how many go in


@dataclass
class _Pieces:
    """Pieces within a budget of characters (~4 per token)."""

    budget: int
    pieces: list[ContextPiece] = field(default_factory=list)

    def add(self, origin: str, text: str, score: float = 0.0) -> None:
        text = redact(text)
        cost = len(origin) + len(text) + 8
        if cost > self.budget:
            if self.budget > 200 and not self.pieces:
                text = text[: self.budget - len(origin) - 8 - 4] + "\n..."
                cost = self.budget
            else:
                return
        self.pieces.append(ContextPiece(origin=origin, text=text, score=score))
        self.budget -= cost


def neighbours(vault: Vault, path: str | None, target: str | None) -> list[SearchResult]:
    """The definitions just before and after ``target`` in its file, at its level."""
    if not path or not target:
        return []
    rel = vault._rel(path) or path
    chunks = [c for c in vault.chunks_of(rel) if c.kind not in ("module", "text")]
    me = next((c for c in chunks if c.name == target), None) or next(
        (c for c in chunks if c.name.rsplit(".", 1)[-1] == target.rsplit(".", 1)[-1]), None)
    if me is None:
        return []
    parent = me.name.rsplit(".", 1)[0] if "." in me.name else None
    siblings = [c for c in chunks if c.name != me.name
                and (c.name.rsplit(".", 1)[0] if "." in c.name else None) == parent]
    before = [c for c in siblings if c.end_line < me.start_line][-1:]
    after = [c for c in siblings if c.start_line > me.end_line][:1]
    return before + after


@dataclass
class _Local:
    """What the store knows about the request, read in one go."""

    scratchpad: ContextPiece | None
    target_rel: str | None
    neighbours: list[SearchResult]
    patterns: list[tuple[patterns.Pattern, float]]


def _local(vault: Vault, request: ContextRequest) -> _Local:
    scratch = vault.session.prompt_scratchpad()
    piece = None
    if scratch is not None:
        lines = [f"Feature {scratch.id}: {scratch.title}"]
        for key in ("user_instruction", "target_symbol", "code_to_propose"):
            value = getattr(scratch, key)
            if value:
                lines.append(f"{key}: {value}")
        piece = ContextPiece(origin=f"feature {scratch.id} scratchpad", text="\n".join(lines))
    target_rel = (vault._rel(request.path) if request.path else None) or request.path
    near = neighbours(vault, request.path, request.target)
    signature = ""
    if request.target and target_rel:
        me = [c for c in vault.chunks_of(target_rel) if c.name == request.target]
        signature = me[0].content.splitlines()[0] if me and me[0].content else request.target
    return _Local(piece, target_rel, near, patterns.best(vault.store, request.query, signature, 2))


async def gather(vault: Vault, request: ContextRequest) -> list[ContextPiece]:
    """Context for one request, within ``request.budget_tokens`` (~4 chars each)."""
    out = _Pieces(max(0, request.budget_tokens) * 4)
    local: _Local = await vault.run_in_thread(_local, vault, request)
    if local.scratchpad is not None:
        out.add(local.scratchpad.origin, local.scratchpad.text)
    shown: set[tuple[str, int, int]] = set()  # a chunk goes in once, as a neighbour or as a hit
    for n in local.neighbours:
        out.add(f"neighbour {n.path}:{n.start_line}-{n.end_line} ({n.name})", n.content)
        shown.add((n.path, n.start_line, n.end_line))
    for pattern, score in local.patterns:
        out.add(f"learned pattern {pattern.id}",
                f"request: {pattern.user_intent}\nsignature: {pattern.signature}\naccepted change:\n"
                f"{pattern.code_delta}", score)
    query = " ".join(x for x in (request.query, request.target or "") if x)
    for hit in await vault.search(query, RETRIEVED):
        if hit.path == local.target_rel and hit.name == request.target:
            continue  # the target itself is already in the prompt
        if (hit.path, hit.start_line, hit.end_line) in shown:
            continue
        out.add(f"retrieved {hit.path}:{hit.start_line}-{hit.end_line} ({hit.name})", hit.content, hit.score)
    return out.pieces


__all__ = ["gather", "neighbours"]
