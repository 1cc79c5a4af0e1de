"""The words for what a user asks for, in one place.

Two vocabularies meet here. A **kind** is what the user asked for: the
editor's command (``mycoder.<kind>``) or ``ask --kind``. An **intent** is
what the router decided the request is; the prompts and the edit flow work
by intent. Every kind but ``ask`` fixes its intent; ``ask`` is routed.
Which brain answers an intent is here too, so the server's circuit breakers,
the prompts and the editors' status lines agree.

The VS Code extension (``editors/vscode/src``) and the Neovim plugin
(``editors/neovim``) spell these words in TypeScript and Lua; a test
(``tests/unit/test_vocabulary.py``) holds their literals to this module.
Plain data: nothing here imports the rest of the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

Kind = Literal["ask", "explain", "review", "fix", "modify"]
KINDS: tuple[Kind, ...] = ("ask", "explain", "review", "fix", "modify")
# The kind the router decides the intent of.
ROUTED_KIND: Kind = "ask"
# Kinds that need an instruction (what to ask, what to change): the editors
# ask the user for it when a code action carries none.
KINDS_WITH_INSTRUCTION: frozenset[Kind] = frozenset({"ask", "modify"})

Intent = Literal["general", "modify-target", "review", "fix", "explain"]
INTENTS: tuple[Intent, ...] = ("general", "modify-target", "review", "fix", "explain")
# Intents whose answer is an edit of the document (the others are prose).
EDIT_INTENTS: frozenset[Intent] = frozenset({"modify-target", "fix"})

INTENT_OF_KIND: Mapping[str, Intent] = MappingProxyType(
    {"explain": "explain", "review": "review", "fix": "fix", "modify": "modify-target"})

Brain = Literal["coding", "reasoning"]
BRAIN_FOR_INTENT: Mapping[str, Brain] = MappingProxyType({
    "general": "coding",
    "modify-target": "coding",
    "fix": "coding",
    "review": "reasoning",
    "explain": "reasoning",
})

COMMAND_PREFIX = "mycoder."


def command_of(kind: Kind) -> str:
    """The server's ``workspace/executeCommand`` name for ``kind``."""
    return COMMAND_PREFIX + kind


def brains_of_kind(kind: str) -> tuple[Brain, ...]:
    """The brains a request of ``kind`` may use (an ``ask`` may be routed to
    any intent, so to every brain); () for an unknown kind."""
    if kind == ROUTED_KIND:
        intents: tuple[Intent, ...] = INTENTS
    elif kind in INTENT_OF_KIND:
        intents = (INTENT_OF_KIND[kind],)
    else:
        return ()
    return tuple(dict.fromkeys(BRAIN_FOR_INTENT[intent] for intent in intents))


# The server's brain commands, in the order of KINDS.
COMMANDS: tuple[str, ...] = tuple(command_of(kind) for kind in KINDS)

__all__ = ["BRAIN_FOR_INTENT", "COMMANDS", "COMMAND_PREFIX", "EDIT_INTENTS", "INTENTS", "INTENT_OF_KIND",
           "KINDS", "KINDS_WITH_INSTRUCTION", "ROUTED_KIND", "Brain", "Intent", "Kind", "brains_of_kind",
           "command_of"]
