"""The seam between the request flow and the vault.

The orchestrator asks a :class:`ContextProvider` for extra context (retrieved
chunks, learned patterns, the locked feature's scratchpad) and tells it what
happened. The vault implements it; with no vault the flow runs without it.
This module must stay free of pygls and of the vault's internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ContextPiece:
    """One piece of context for a prompt; ``origin`` says where it came from,
    e.g. ``"retrieved mycoder_lsp/config.py:40-61 (load_settings)"``,
    ``"learned pattern P0007"``, ``"feature A001 scratchpad"``."""

    origin: str
    text: str
    score: float = 0.0


@dataclass
class ContextRequest:
    query: str
    intent: str
    path: str | None = None
    target: str | None = None
    language: str | None = None
    # Rough budget for all pieces together, in tokens (~4 characters each).
    budget_tokens: int = 1024


@dataclass(frozen=True)
class AcceptedEdit:
    """A generated edit that was applied to a document; the vault records it
    as a learned pattern once it is still there at the next save."""

    uri: str
    path: str
    intent: str
    instruction: str
    target: str | None
    signature: str
    new_code: str
    old_code: str = ""
    confidence: float = 0.9
    extra: dict[str, str] = field(default_factory=dict)


class ContextProvider(Protocol):
    async def gather(self, request: ContextRequest) -> list[ContextPiece]: ...

    async def record_exchange(self, role: str, text: str) -> None:
        """Append a message to the session history."""
        ...
