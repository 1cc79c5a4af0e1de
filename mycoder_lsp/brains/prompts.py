"""The words sent to each brain: system prompts and message lists.

One system prompt per brain and intent. Every one of them forbids what the
governance layer would otherwise have to cut (preambles, apologies,
meta-commentary, markdown) and carries the constitution (forbidden sources,
the owner, the block hierarchy). The answer formats asked for here are the
ones :mod:`mycoder_lsp.brains.edits` parses: plain code for edits, one
``<line number>: <severity>: message`` per finding for reviews, plain prose for
explanations (the organizer's prompt is in :mod:`mycoder_lsp.brains.router`).
:func:`fit_messages` sizes one request's messages to the model's window:
the retrieved context is trimmed to fit, the code itself never is.

Pure text building: no model calls, no pygls, no file reading. Secrets are
hidden by the caller (the orchestrator's per-request redactor).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mycoder_lsp.code.languages import language as language_record
from mycoder_lsp.text import split_lines
from mycoder_lsp.vocabulary import BRAIN_FOR_INTENT, EDIT_INTENTS

if TYPE_CHECKING:
    from mycoder_lsp.brains.context import ContextPiece
    from mycoder_lsp.code.symbols import Symbol
    from mycoder_lsp.config import Constitution

Message = dict[str, str]

REVIEW_SEVERITIES = ("error", "warning", "info", "hint")
# The shape of one review finding, as the prompt shows it (no example: one
# was tried with the real Qwen2.5-Coder 0.5B and it copied the example
# into its answers as findings; with placeholders it copies the placeholders,
# which :func:`mycoder_lsp.brains.edits.parse_review` strips, and fills in the rest.
REVIEW_FORMAT = "<line number>: <severity>: <what is wrong and what to do>"

_DISCIPLINE = (
    "Answer with the answer only. No greeting, no preamble such as \"Sure\" or \"Here is\", "
    "no apology, no comment about yourself or about the answer, no closing remarks, "
    "no markdown (no ``` fences, no headings, no bold)."
)

_CODE_ONLY = (
    "Output only {language}, exactly as it must appear in the file, starting at the "
    "first character of the code and ending at its last. Keep the existing indentation style. "
    "Never leave placeholders such as `...`, `pass  # TODO` or \"rest of the code\": write every line."
)

def brain_for(intent: str) -> str:
    """The brain that answers ``intent`` (``coding`` or ``reasoning``)."""
    return BRAIN_FOR_INTENT.get(intent, "coding")


def language_name(language: str | None) -> str:
    """The language as a word to put before a noun ("Python code"), or ""
    when it is unknown (then the prompt just says "code")."""
    record = language_record(language)
    return record.display_name if record else language or ""


def _with(lang: str, noun: str) -> str:
    """``noun`` with the language in front when there is one: "Python code" or "code"."""
    return f"{lang} {noun}" if lang else noun


def constitution_rules(constitution: Constitution | None) -> str:
    """The constitution as prompt lines (empty when there is nothing to say)."""
    if constitution is None:
        return ""
    lines: list[str] = []
    forbidden = [s for s in constitution.forbidden_sources if s]
    if forbidden:
        lines.append(
            "Never use, import or call any of these (forbidden by the project): "
            + ", ".join(forbidden)
            + ". If the task seems to need one, solve it without it."
        )
    if constitution.owner:
        lines.append(f"The code belongs to {constitution.owner}; follow its existing conventions.")
    if constitution.block_hierarchy:
        lines.append(
            "Keep the project's block hierarchy, outermost first: "
            + " > ".join(constitution.block_hierarchy)
            + ". Do not move code across these blocks."
        )
    return "\n".join(lines)


def system_prompt(brain: str, intent: str, *, language: str | None = None,
                  constitution: Constitution | None = None) -> str:
    """The system prompt for ``brain`` answering ``intent``."""
    lang = language_name(language)
    if intent in EDIT_INTENTS:
        role = (
            f"You are a careful {_with(lang, 'programmer')} changing one piece of an existing file. "
            "Return the complete new version of the code you are given (the whole definition, "
            "signature and decorators included), changed as asked and otherwise identical. "
            "Keep every other function, name and import it relies on. Do not invent imports of "
            "packages the file does not already use."
        )
        body = _CODE_ONLY.format(language=_with(lang, "source code"))
    elif intent == "review":
        role = (
            f"You are a strict {_with(lang, 'code reviewer')}. Report real problems in the code you are "
            "given: bugs, unsafe calls, unhandled errors, misleading names, missing edge cases."
        )
        body = (
            "Write one finding per line, in this form:\n"
            f"{REVIEW_FORMAT}\n"
            "where <line number> is the number shown at the start of the code line, <severity> is one of "
            + ", ".join(REVIEW_SEVERITIES)
            + ", and the message is one sentence.\n"
            "Write nothing else. If there is nothing to report, write exactly: NONE"
        )
    elif intent == "explain":
        role = (
            f"You explain {_with(lang, 'code')} to the developer who maintains it. Say what the code does, "
            "its inputs and outputs, side effects and anything surprising, in plain sentences."
        )
        body = "At most six sentences of plain text. Do not repeat the code."
    else:
        role = (
            f"You are a concise {_with(lang, 'programming assistant')}. When the answer is code, output "
            "only the code; when it is an explanation, answer in a few plain sentences."
        )
        body = "Never leave placeholders in code."
    parts = [role, body, _DISCIPLINE]
    rules = constitution_rules(constitution)
    if rules:
        parts.append(rules)
    return "\n\n".join(parts)


def numbered(code: str, first_line: int = 1) -> str:
    """``code`` with its line numbers (1-based, as in the editor) in front,
    so review findings name real lines."""
    lines = split_lines(code)
    width = len(str(first_line + max(len(lines) - 1, 0)))
    return "\n".join(f"{first_line + i:>{width}}| {line}" for i, line in enumerate(lines))


def _findings_text(findings: Iterable[Any]) -> str:
    out = []
    for f in findings:
        if isinstance(f, str):
            out.append(f"- {f}")
            continue
        line = getattr(f, "line", None)
        code = getattr(f, "code", "")
        message = getattr(f, "message", str(f))
        where = f"line {line + 1}" if isinstance(line, int) else "somewhere"
        out.append(f"- {where}: {code} {message}".replace("  ", " "))
    return "\n".join(out)


def _context_text(context: Sequence[ContextPiece]) -> str:
    # "(source: …)", not "[from …]": a small model turned
    # "[from neighbour convert.py:8-9]" into "from neighbour.convert import …".
    blocks = []
    for piece in context:
        blocks.append(f"(source: {piece.origin})\n{piece.text.rstrip()}")
    return "\n\n".join(blocks)


def build_messages(
    intent: str,
    *,
    instruction: str,
    code: str,
    language: str | None,
    context: Sequence[ContextPiece] = (),
    findings: Sequence[Any] = (),
    constitution: Constitution | None = None,
    target: Symbol | str | None = None,
    enclosing: str | None = None,
    first_line: int = 1,
) -> list[Message]:
    """The chat messages for one request.

    ``code`` is what the brain works on (the target symbol's source, the
    selection, or the whole file); ``first_line`` is its 1-based line in the
    file (review line numbers). ``enclosing`` is the surrounding scope's
    source (e.g. the class of a method), shown read-only. ``findings`` are
    diagnostics in range (:class:`~mycoder_lsp.validation.findings.Finding`
    or strings). Each context piece is shown with where it came from.
    """
    brain = brain_for(intent)
    code_words = _with(language_name(language), "code")  # "Python code", or "code"
    system = system_prompt(brain, intent, language=language, constitution=constitution)
    target_name = getattr(target, "qualname", target) if target is not None else None
    parts: list[str] = []
    if context:
        parts.append(
            "Reference material from the project (read-only, do not repeat it):\n\n" + _context_text(context)
        )
    if enclosing and enclosing.strip() and enclosing.strip() != code.strip():
        parts.append(f"The enclosing code (read-only, for context):\n{enclosing.rstrip()}")
    if findings:
        parts.append("Diagnostics reported on this code:\n" + _findings_text(findings))
    what = f"`{target_name}`" if target_name else "the code"
    if intent == "fix" and instruction.strip():
        # The bug report before the code, the order after it: with the report
        # as a "Task:" after the code, a 1.5B model read a symptom ("only ever
        # returns one match") as the wanted behaviour; this way it fixed 11 of
        # 12 benchmark fix tasks instead of 8 (bench/RESULTS.md, task benchmark).
        parts.append(f"Bug report: {instruction.strip()}")
        parts.append(f"The {code_words} with the bug ({what}):\n{code.rstrip()}")
        parts.append(f"Fix the bug reported above.\nReturn the complete new version of {what} only.")
    elif intent in EDIT_INTENTS:
        parts.append(f"The {code_words} to change ({what}):\n{code.rstrip()}")
        verb = "Fix" if intent == "fix" and not instruction.strip() else "Task"
        task = instruction.strip() or "Fix the problems reported above."
        parts.append(f"{verb}: {task}\nReturn the complete new version of {what} only.")
    elif intent == "review":
        parts.append(f"The {code_words} to review ({what}), with line numbers:\n{numbered(code, first_line)}")
        if instruction.strip():
            parts.append(f"The developer asks: {instruction.strip()}")
        parts.append(f"Findings, one per line as {REVIEW_FORMAT} (or NONE):")
    elif intent == "explain":
        parts.append(f"The {code_words} to explain ({what}):\n{code.rstrip()}")
        parts.append(f"The developer asks: {instruction.strip() or 'What does this code do?'}")
    else:
        if code.strip():
            parts.append(f"The {code_words} at hand:\n{code.rstrip()}")
        parts.append(instruction.strip())
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


# -- sizing to the window ---------------------------------------------------

# Tokens kept free besides the answer: the chat template's own tokens, and
# the slack of an estimate made without the model's tokenizer.
PROMPT_MARGIN = 64


def prompt_budget(window: int, max_tokens: int) -> int:
    """How many tokens of ``window`` a prompt may take: the rest is the
    answer's (``max_tokens``, but at most half the window, so a brain whose
    token limit is the whole window can still be asked) and a margin."""
    return window - min(max_tokens, window // 2) - PROMPT_MARGIN


class PromptTooLarge(ValueError):
    """Even without any context the prompt needs ``needed`` tokens, over the
    ``budget`` the window leaves: the request cannot be sent as it is."""

    def __init__(self, needed: int, budget: int) -> None:
        super().__init__(f"the prompt needs about {needed} tokens; {budget} fit")
        self.needed = needed
        self.budget = budget


@dataclass(frozen=True)
class PromptSize:
    """What :func:`fit_messages` kept, for the log and the user."""

    budget: int
    tokens: int  # the estimate for the messages returned
    pieces: int  # context pieces offered
    kept: int  # ... of which sent (the last of them maybe cut)
    cut: bool = False  # the last piece sent was cut at a line boundary
    # The enclosing code (a method's class): "" (none), "whole", "cut" or "left out".
    scope: str = ""

    @property
    def trimmed(self) -> bool:
        return self.kept < self.pieces or self.cut or self.scope in ("cut", "left out")

    def describe(self, window: int) -> str:
        """E.g. "3 of 8 retrieved pieces left out to fit the 2048-token window"."""
        parts = []
        if self.scope in ("cut", "left out"):
            parts.append(f"the enclosing code {self.scope}")
        if self.kept < self.pieces:
            parts.append(f"{self.pieces - self.kept} of {self.pieces} retrieved pieces left out")
        if self.cut:
            parts.append("the last piece kept cut short")
        return ", ".join(parts) + f" to fit the {window}-token window" if parts else ""


def fit_messages(intent: str, *, budget: int, count: Callable[[list[Message]], int],
                 context: Sequence[ContextPiece] = (), enclosing: str | None = None,
                 **request: Any) -> tuple[list[Message], PromptSize]:
    """:func:`build_messages` within ``budget`` tokens as ``count`` counts them.

    Kept whatever it costs: the system prompt, the instruction, the code and
    its diagnostics; :class:`PromptTooLarge` when they alone do not fit. Then,
    while they fit, the enclosing code and the context pieces in the order
    given (the provider's ranking, best first): the first one that does not
    fit whole is cut at a line boundary and everything after it left out.
    """
    pieces = list(context)
    scope = "whole" if enclosing and enclosing.strip() else ""

    def build(kept: Sequence[ContextPiece], scope_text: str | None) -> list[Message]:
        return build_messages(intent, context=kept, enclosing=scope_text, **request)

    messages = build(pieces, enclosing)
    tokens = count(messages)
    if tokens <= budget:
        return messages, PromptSize(budget, tokens, len(pieces), len(pieces), scope=scope)
    messages = build([], None)
    tokens = count(messages)
    if tokens > budget:
        raise PromptTooLarge(tokens, budget)
    if scope:
        fitted = _longest_fit(enclosing or "", lambda text: build([], text), count, budget)
        if fitted is None or fitted[0] != enclosing:
            # Not all of the enclosing code fits: what does of it, and no piece.
            if fitted is not None:
                _, messages, tokens = fitted
            return messages, PromptSize(budget, tokens, len(pieces), 0,
                                        scope="left out" if fitted is None else "cut")
        _, messages, tokens = fitted
    scope_text = enclosing if scope else None
    kept: list[ContextPiece] = []
    for piece in pieces:
        candidate = build([*kept, piece], scope_text)
        cost = count(candidate)
        if cost <= budget:
            kept.append(piece)
            messages, tokens = candidate, cost
            continue
        fitted = _longest_fit(piece.text, lambda text: build(
            [*kept, _cut_short(piece, text)], scope_text),  # noqa: B023 - called at once, for this piece
            count, budget)
        if fitted is not None:
            _, messages, tokens = fitted
            return messages, PromptSize(budget, tokens, len(pieces), len(kept) + 1, cut=True, scope=scope)
        break
    return messages, PromptSize(budget, tokens, len(pieces), len(kept), scope=scope)


def _cut_short(piece: ContextPiece, text: str) -> ContextPiece:
    return dataclasses.replace(piece, origin=f"{piece.origin}, cut short", text=text)


def _longest_fit(text: str, build: Callable[[str], list[Message]], count: Callable[[list[Message]], int],
                 budget: int) -> tuple[str, list[Message], int] | None:
    """The longest run of ``text``'s first whole lines whose messages fit
    (``text`` itself when it all fits), with those messages and their size;
    None when not even its first line does."""
    lines = split_lines(text, keepends=True)
    best: tuple[str, list[Message], int] | None = None
    low, high = 1, len(lines)
    while low <= high:  # the size grows with the lines kept: a binary search
        middle = (low + high) // 2
        head = "".join(lines[:middle])
        messages = build(head)
        tokens = count(messages)
        if tokens <= budget:
            best = (head, messages, tokens)
            low = middle + 1
        else:
            high = middle - 1
    return best


def repair_messages(
    previous: list[Message],
    answer: str,
    findings: Sequence[Any],
    *,
    unchanged: bool = False,
    instruction: str = "",
) -> list[Message]:
    """The one automatic repair round: the first exchange, the answer the
    brain gave, and what validation found wrong with it. An answer that is
    the code as it was (``unchanged``) gets the request restated instead: told
    only "changes nothing", a small model at temperature 0 sent the same code
    again."""
    if unchanged:
        request = instruction.strip() or "fix the problems reported above"
        feedback = (
            "Your answer is the code exactly as it was, so it does not do what was asked. "
            f"The request is: {request}\n\nChange the code so that it does this, and return the complete "
            "new code only. Same rules as before: code only, no fences, no explanations."
        )
        return [*previous, {"role": "assistant", "content": answer}, {"role": "user", "content": feedback}]
    feedback = (
        "Your answer cannot be applied; validation found:\n"
        + _findings_text(findings)
        + "\n\nReturn the corrected complete code only, fixing every point above and keeping "
        "everything else. Same rules as before: code only, no fences, no explanations."
    )
    return [*previous, {"role": "assistant", "content": answer}, {"role": "user", "content": feedback}]


def verify_messages(instruction: str, old: str, new: str, language: str | None) -> list[Message]:
    """Ask the reasoning brain whether a change does what was asked."""
    system = ("You check a code change against its request. Answer OK if the new code does what was asked "
              "and keeps everything else working; otherwise answer PROBLEM: and one sentence saying what is "
              "wrong. Nothing else, no markdown.")
    user = (f"Request: {instruction or 'fix the reported problems'}\n\nOld {language or ''} code:\n{old.rstrip()}"
            f"\n\nNew code:\n{new.rstrip()}\n\nOK or PROBLEM?")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


__all__ = [
    "PROMPT_MARGIN",
    "PromptSize",
    "PromptTooLarge",
    "REVIEW_FORMAT",
    "REVIEW_SEVERITIES",
    "brain_for",
    "build_messages",
    "constitution_rules",
    "fit_messages",
    "numbered",
    "prompt_budget",
    "repair_messages",
    "system_prompt",
    "verify_messages",
]
