"""The request flow: one path from a request to an edit, an answer or a refusal.

    route -> context -> brain -> clean -> extract -> validate -> (one repair) -> result

Every message to a brain passes through the request's
:class:`~mycoder_lsp.memory.redaction.Redactor`: secrets in the code, the
context and the instruction reach the model as ``<redacted:N>``, and an edit
gets the user's own lines back in place of the placeholders, or is refused
(a placeholder is never written into the file).

The server's commands and hover, ``mycoder-lsp ask`` and the benchmarks all
call :meth:`Orchestrator.run`. It never applies anything: it returns a
:class:`Result` (an :class:`Edit` to apply, an explanation, review findings,
or a refusal with its reason) and the caller decides. An edit that would
leave the file unparseable, or that validation scores unsafe, is refused.

This module must not import pygls: positions are 0-based lines and columns in
code points, like :mod:`mycoder_lsp.validation.findings`.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

import httpx

from mycoder_lsp.brains import edits
from mycoder_lsp.brains.backends import Brain, estimate_tokens, make_brain
from mycoder_lsp.brains.consequences import Consequences, RelatedEdit, consequences_of, own_renames
from mycoder_lsp.brains.context import ContextPiece, ContextProvider, ContextRequest
from mycoder_lsp.brains.governance import clean_output
from mycoder_lsp.brains.pool import Pools
from mycoder_lsp.brains.prompts import (
    PromptSize,
    PromptTooLarge,
    brain_for,
    fit_messages,
    prompt_budget,
    repair_messages,
    verify_messages,
)
from mycoder_lsp.brains.router import IntentRouter, RouteDecision
from mycoder_lsp.brains.wire.http import BrainError
from mycoder_lsp.code.languages import language_for_path
from mycoder_lsp.code.symbols import Symbol, document_symbols, find_symbol, symbol_at
from mycoder_lsp.code.workspace import content_hash
from mycoder_lsp.config import Settings
from mycoder_lsp.errors import UserError
from mycoder_lsp.memory.redaction import Redactor, SecretInAnswer, redact
from mycoder_lsp.text import split_lines
from mycoder_lsp.validation.findings import FileResult, Finding, Severity
from mycoder_lsp.validation.incremental import DocumentParses
from mycoder_lsp.validation.pipeline import validate_text
from mycoder_lsp.vocabulary import EDIT_INTENTS, INTENT_OF_KIND, KINDS, ROUTED_KIND, Kind

log = logging.getLogger(__name__)

# Without a target, a document this small is edited whole; a larger one needs
# the cursor in a symbol or a selection.
WHOLE_FILE_LINES = 200
# Originals whose findings are kept (Orchestrator._baseline): the open documents
# being worked on, for a while: other files (what an import resolves to) change too.
BASELINES_KEPT = 8
BASELINE_SECONDS = 60.0
# What the user must be told about the request running in this task (a
# server that cut the prompt), gathered wherever the flow learns it and added
# to the result's message by :meth:`Orchestrator.run`: one list per request,
# since the orchestrator itself holds no per-request state.
_NOTES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("mycoder_request_notes", default=None)


class Baselines:
    """The findings of the last few original documents, by text and settings
    (:meth:`Orchestrator._baseline`), and the parse history of each of their
    paths (:meth:`parses`). Used from the event loop only, but for
    :meth:`parses`, which the validations in worker threads call."""

    def __init__(self, keep: int = BASELINES_KEPT, seconds: float = BASELINE_SECONDS) -> None:
        self.keep = keep
        self.seconds = seconds
        self._results: dict[tuple[str, ...], tuple[float, FileResult]] = {}
        self._parses: dict[str, DocumentParses] = {}
        self._parses_lock = threading.Lock()

    def parses(self, path: str) -> DocumentParses:
        """The parse history of ``path`` (validation/incremental.py): the
        original and each candidate differ in one region, and so do the
        candidates of one request and the next, so each is parsed from the last."""
        with self._parses_lock:
            found = self._parses.pop(path, None) or DocumentParses()
            self._parses[path] = found  # the most recent last
            while len(self._parses) > self.keep:
                del self._parses[next(iter(self._parses))]
            return found

    def get(self, key: tuple[str, ...]) -> FileResult | None:
        found = self._results.get(key)
        if found is None or time.monotonic() - found[0] > self.seconds:
            return None
        return found[1]

    def put(self, key: tuple[str, ...], result: FileResult) -> None:
        self._results.pop(key, None)
        self._results[key] = (time.monotonic(), result)
        while len(self._results) > self.keep:
            del self._results[next(iter(self._results))]


@dataclass
class Request:
    """One request from the editor or the terminal."""

    kind: Kind
    instruction: str = ""
    path: str = ""
    text: str = ""  # the whole document
    language: str | None = None
    position: tuple[int, int] | None = None  # line, column
    selection: tuple[int, int, int, int] | None = None  # start line, column, end line, column
    symbol: str | None = None
    diagnostics: list[Finding] = field(default_factory=list)
    uri: str = ""
    # Tell the context provider about the exchange (not for hover explanations,
    # which the user did not ask for in words).
    record: bool = True
    # The user asked for (True) or against (False) the reasoning brain's
    # check of an edit; None leaves it to ``brains.verify``.
    verify: bool | None = None


@dataclass
class Edit:
    """Replace ``[start_line, start_col) .. [end_line, end_col)`` of the
    original document by ``new_text``."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    new_text: str
    old_code: str
    new_code: str
    new_document: str
    changed_lines: int = 0
    # Further non-overlapping replacements relative to the original document,
    # e.g. the imports a whole-file answer added for the new code.
    extra: list[edits.EditPlan] = field(default_factory=list)
    # Edits of other files that go with this one (the callers of a renamed
    # function), and what the edit means for the workspace (the files that
    # use what it changed, validated once it is applied).
    related: list[RelatedEdit] = field(default_factory=list)
    consequences: Consequences | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"range": _range_json(self.start_line, self.start_col, self.end_line, self.end_col),
                                "new_text": self.new_text}
        if self.extra:
            data["extra_edits"] = [{"range": _range_json(p.start_line, p.start_col, p.end_line, p.end_col),
                                    "new_text": p.new_text} for p in self.extra]
        if self.related:
            data["related_edits"] = [r.to_json() for r in self.related]
        return data


def _range_json(start_line: int, start_col: int, end_line: int, end_col: int) -> dict[str, Any]:
    return {"start": {"line": start_line, "character": start_col}, "end": {"line": end_line, "character": end_col}}


@dataclass
class Target:
    """What the brain works on: a symbol, a selection, or the whole file."""

    start_line: int
    end_line: int  # inclusive
    code: str
    symbol: Symbol | None = None
    enclosing: str = ""
    # Start line, column, end line, column of a selection (None: the symbol,
    # or the whole file when there is no symbol either).
    selection: tuple[int, int, int, int] | None = None

    @property
    def name(self) -> str | None:
        return self.symbol.qualname if self.symbol else None


@dataclass
class Result:
    kind: Literal["edit", "explanation", "review", "refused", "error"]
    message: str
    intent: str = ""
    target: str | None = None
    edit: Edit | None = None
    text: str = ""
    findings: list[Any] = field(default_factory=list)
    route: RouteDecision | None = None
    validation: FileResult | None = None
    repaired: bool = False
    tokens: int = 0
    ms: float = 0.0
    # What the user must hear before an edit is applied: uses in other files
    # that it breaks and cannot fix (a removed function still imported).
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "message": self.message, "intent": self.intent,
                                "target": self.target, "repaired": self.repaired, "tokens": self.tokens,
                                "ms": round(self.ms, 1)}
        if self.warnings:
            data["warnings"] = list(self.warnings)
        if self.route is not None:
            data["route"] = self.route.to_json()
        if self.edit is not None:
            data["edit"] = self.edit.to_json()
        if self.text:
            data["text"] = self.text
        if self.kind == "review":
            data["findings"] = [_finding_json(f) for f in self.findings]
        if self.validation is not None:
            data["validation"] = self.validation.to_json()
        return data


def _finding_json(finding: Any) -> dict[str, Any]:
    to_json = getattr(finding, "to_json", None)
    if callable(to_json):
        return to_json()
    return {k: getattr(finding, k) for k in ("line", "severity", "message") if hasattr(finding, k)}


@dataclass
class Progress:
    phase: str  # routing | generating | repairing | verifying
    tokens: int


ThreadRunner = Callable[..., Awaitable[Any]]


async def _to_thread(func: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(func, *args)


class Orchestrator:
    """Runs requests with the current settings. Holds no per-request state,
    so one instance serves concurrent requests."""

    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None = None, pools: Pools | None = None,
                 context_provider: ContextProvider | None = None, run_in_thread: ThreadRunner | None = None,
                 workspace_root: Path | None = None,
                 open_documents: Callable[[], Mapping[str, str]] | None = None,
                 baselines: Baselines | None = None) -> None:
        self.settings = settings
        self.client = client
        # The entry point's servers of pooled brains (brains/pool.py): their load and breakers.
        self.pools = pools
        self.context_provider = context_provider
        self.run_in_thread = run_in_thread or _to_thread
        self.workspace_root = workspace_root
        # path -> text of the documents the editor holds (unsaved changes
        # included): other files are read from them, not from the disk.
        self.open_documents = open_documents
        self.router = IntentRouter(settings)
        # The entry point keeps one across requests (the server makes an
        # orchestrator per request): a second change to the same code does not
        # validate the original again.
        self.baselines = baselines if baselines is not None else Baselines()

    def brain(self, name: str) -> Brain:
        return make_brain(name, self.settings, client=self.client, pools=self.pools)

    # -- the flow -------------------------------------------------------------

    async def run(self, request: Request, *, on_progress: Callable[[Progress], None] | None = None) -> Result:
        """Run one request to its result. Model faults become a ``refused``
        or ``error`` result with the message for the user; cancellation
        propagates (and closes the model's stream)."""
        t0 = time.perf_counter()
        tokens = 0

        def count(phase: str) -> Callable[[str], None]:
            def on_piece(piece: str) -> None:
                nonlocal tokens
                tokens += 1
                if on_progress is not None:
                    on_progress(Progress(phase, tokens))
            return on_piece

        # One redactor per request: the same secret is the same placeholder in
        # every message, and the answer's placeholders map back to its lines.
        redactor = Redactor(path=request.path or None)
        notes: list[str] = []
        told = _NOTES.set(notes)
        try:
            result = await self._run(request, count, redactor)
        except BrainError as exc:
            result = Result("error", str(exc))
        except UserError as exc:
            result = Result("refused", str(exc))
        finally:
            _NOTES.reset(told)
        for note in dict.fromkeys(notes):  # a repair round may hear the same twice
            if result.kind == "explanation":
                result.text = result.message = f"{result.text.rstrip()}\n\n[{note}]"
            else:
                result.message = f"{result.message.rstrip()} ({note})"
        result.tokens = tokens
        result.ms = (time.perf_counter() - t0) * 1000
        await self._record(request, result)
        return result

    async def _run(self, request: Request, count: Callable[[str], Callable[[str], None]],
                   redactor: Redactor) -> Result:
        if request.kind not in KINDS:
            raise UserError(f"Unknown request kind {request.kind!r}; use one of {', '.join(KINDS)}.")
        language = request.language or language_for_path(request.path)
        symbols: list[Symbol] = await self.run_in_thread(document_symbols, request.text, language)
        route: RouteDecision | None = None
        if request.kind == ROUTED_KIND:
            if not request.instruction.strip():
                raise UserError("Ask what? The request has no instruction.")
            organizer = self._organizer_or_none()
            route = await self.router.route(request.instruction, symbols=symbols, organizer=organizer)
            intent = route.intent
            named = route.target
        else:
            intent = INTENT_OF_KIND[request.kind]
            named = request.symbol
        if intent == "modify-target" and request.kind == "modify" and not request.instruction.strip():
            raise UserError("Modify how? Say what to change (the instruction is empty).")
        target = self._target(request, symbols, named, intent)
        diagnostics = _in_range(request.diagnostics, target) if target else list(request.diagnostics)
        if intent not in EDIT_INTENTS:
            # "general" is new code or a question: the answer is shown, never
            # pasted over the code at the cursor.
            return await self._answer(request, intent, target, diagnostics, language, route, count, redactor)
        if target is None:
            raise UserError("Put the cursor in the function to change, or select the code, then try again.")
        return await self._change(request, intent, target, diagnostics, language, route, count, redactor)

    def _organizer_or_none(self) -> Brain | None:
        try:
            return self.brain("organizer")
        except BrainError as exc:
            # The organizer only refines routing: the rules' guess stands.
            log.info("organizer unavailable: %s", exc)
            return None

    # -- targets ----------------------------------------------------------------

    def _target(self, request: Request, symbols: list[Symbol], named: str | None, intent: str) -> Target | None:
        lines = split_lines(request.text, keepends=True)  # LSP lines, as the editor counts them
        if named:
            symbol = find_symbol(symbols, named)
            if symbol is None and request.kind != "ask":
                raise UserError(f"There is no symbol named {named!r} in {request.path or 'this document'}.")
            if symbol is not None:
                return self._symbol_target(symbol, symbols, lines)
        if request.selection is not None:
            sl, sc, el, ec = request.selection
            if (sl, sc) != (el, ec):
                if ec == 0 and el > sl:
                    el -= 1  # a selection ending at a line's start ends on the line before
                el = min(el, max(len(lines) - 1, 0))
                enclosing = symbol_at(symbols, sl, None)
                return Target(sl, el, "".join(lines[sl:el + 1]), None,
                              enclosing.text(request.text) if enclosing else "",
                              selection=(sl, 0, el, len(lines[el].rstrip("\r\n"))))
        line: int | None = None
        if request.position is not None:
            line = request.position[0]
        elif intent == "fix" and request.diagnostics:
            line = request.diagnostics[0].line
        if line is not None:
            symbol = symbol_at(symbols, line, None)
            if symbol is not None:
                return self._symbol_target(symbol, symbols, lines)
            if intent == "fix" and request.diagnostics:
                first = min(d.line for d in request.diagnostics)
                last = max(d.end_line for d in request.diagnostics)
                last = min(last, max(len(lines) - 1, 0))
                return Target(first, last, "".join(lines[first:last + 1]),
                              selection=(first, 0, last, len(lines[last].rstrip("\r\n"))))
        if lines and (len(lines) <= WHOLE_FILE_LINES or intent in ("explain", "review")):
            return Target(0, len(lines) - 1, request.text)
        return None

    def _symbol_target(self, symbol: Symbol, symbols: list[Symbol], lines: list[str]) -> Target:
        parent = find_symbol(symbols, symbol.parent) if symbol.parent else None
        enclosing = ""
        if parent is not None:
            # The class around a method, without the method itself repeated.
            enclosing = "".join(lines[parent.start_line:symbol.start_line]) + f"{symbol.indent}...\n"
            enclosing = enclosing + "".join(lines[symbol.end_line + 1:parent.end_line + 1])
        code = "".join(lines[symbol.start_line:symbol.end_line + 1])
        return Target(symbol.start_line, symbol.end_line, code, symbol, enclosing)

    # -- answers: explain, review, general questions -----------------------

    async def _answer(self, request: Request, intent: str, target: Target | None, diagnostics: list[Finding],
                      language: str | None, route: RouteDecision | None,
                      count: Callable[[str], Callable[[str], None]], redactor: Redactor) -> Result:
        brain = self.brain(brain_for(intent))
        context = await self._context(request, intent, target, language)
        messages = await self._messages(brain, intent, request, target, diagnostics, language, context, redactor)
        # A review or an explanation cut short (a timeout under load, the
        # token limit) is still worth showing: what came is kept, and said to be cut.
        raw, cut = await self._complete(brain, messages, count("generating"), keep_partial=True)
        name = target.name if target else None
        if intent == "review":
            if cut:
                raw = _complete_lines(raw)  # the last line broke off mid-sentence
            findings = await self.run_in_thread(functools.partial(
                edits.parse_review, raw, first_line=(target.start_line + 1) if target else 1,
                line_count=(target.end_line - target.start_line + 1) if target else None))
            # A finding without a line belongs to the reviewed code's first line.
            findings = [f if f.line is not None else dataclasses.replace(f, line=target.start_line if target else 0)
                        for f in findings]
            n = len(findings)
            if cut and not n:
                return Result("error", f"The review was cut off before its first finding ({cut}).", intent, name,
                              route=route)
            if n:
                message = f"{n} finding{'s' if n != 1 else ''} on {name or 'the code'}"
            elif edits.review_says_none(raw):
                message = f"No problems found in {name or 'the code'}."
            else:
                # Not "no problems": the answer said something, in no form we can read.
                said = " ".join(raw.split())
                said = said if len(said) <= 160 else said[:160] + "…"
                message = (f"No finding could be read from the review of {name or 'the code'} "
                           f"(the model answered: {said!r}); try again, or a larger model.")
            if cut:
                message += f" (the answer was cut off, there may be more: {cut})"
            return Result("review", message, intent, name, findings=findings, route=route)
        # An explanation keeps the code it quotes among its words; "general"
        # is new code, shown as the code alone.
        explaining = intent != "general"
        text = await self.run_in_thread(functools.partial(clean_output, raw, prose=explaining,
                                                          keep_fences=explaining))
        if not text.strip():
            if cut:
                return Result("error", cut, intent, name, route=route)
            return Result("error", f"The {brain.name} brain ({brain.model}) answered nothing — try again.", intent,
                          name, route=route)
        if cut:
            text = f"{text.rstrip()} …\n\n[The answer was cut off: {cut}]"
        return Result("explanation", text, intent, name, text=text, route=route)

    async def _messages(self, brain: Brain, intent: str, request: Request, target: Target | None,
                        diagnostics: list[Finding], language: str | None, context: list[ContextPiece],
                        redactor: Redactor) -> list[dict[str, str]]:
        """The request's messages, sized to the brain's window and redacted.

        The code, the instruction and the diagnostics always go; the enclosing
        code and the retrieved context only as far as they fit (what was left
        out is logged). When the code alone does not fit, the request is
        refused (:class:`UserError`) without a call to the model."""
        window = await brain.prompt_window()
        budget = prompt_budget(window, brain.max_tokens)
        fit = functools.partial(
            fit_messages, intent, budget=budget, instruction=request.instruction,
            code=target.code if target else "", language=language, context=context, findings=diagnostics,
            constitution=self.settings.constitution, target=target.symbol if target else None,
            enclosing=target.enclosing if target else None, first_line=(target.start_line + 1) if target else 1)
        fitted: _Fitted
        try:
            # Building and hiding scan all the text (a whole file for a review): not on the event loop.
            fitted = await self.run_in_thread(functools.partial(fit, count=estimate_tokens))
        except PromptTooLarge as exc:
            fitted = exc
        if isinstance(fitted, PromptTooLarge) or fitted[1].trimmed:
            # The estimate over-counts (1.2-1.5 times, measured): where the
            # server can count (llama.cpp), its count decides what fits.
            fitted = await self._fit_counted(brain, fit, budget) or fitted
        if isinstance(fitted, PromptTooLarge):
            raise UserError(_too_large_message(brain, intent, target, window, fitted))
        messages, size = fitted
        if size.trimmed:
            log.info("%s brain (%s): %s (the prompt is about %d of its %d tokens)", brain.name, brain.model,
                     size.describe(window), size.tokens, size.budget)
        return await self.run_in_thread(redactor.hide_messages, messages)

    async def _fit_counted(self, brain: Brain, fit: Callable[..., Any], budget: int) -> _Fitted | None:
        """``fit`` again with the estimate scaled to the server's own count:
        (messages, size), or the :class:`PromptTooLarge` by that count; None
        when the server cannot count, or the result does not fit by its
        count after all (then the estimate's answer stands). Two short
        round trips, only for a prompt that the estimate had to trim."""
        whole, _ = await self.run_in_thread(functools.partial(fit, budget=1 << 40, count=estimate_tokens))
        real = await brain.count_tokens(whole)
        if not real:
            return None
        ratio = real / max(estimate_tokens(whole), 1)
        if ratio >= 1:
            return None

        def scaled(messages: list[dict[str, str]]) -> int:
            # A little over the ratio: the code and the context do not tokenize alike.
            return int(estimate_tokens(messages) * min(1.0, ratio * 1.1)) + 1

        try:
            messages, size = await self.run_in_thread(functools.partial(fit, count=scaled))
        except PromptTooLarge as exc:
            return exc
        checked = await brain.count_tokens(messages)
        if checked is None or checked > budget:
            return None
        return messages, dataclasses.replace(size, tokens=checked)

    async def _complete(self, brain: Brain, messages: list[dict[str, str]], on_piece: Callable[[str], None], *,
                        keep_partial: bool = False) -> tuple[str, str]:
        """The brain's answer to ``messages`` and, with ``keep_partial``, why
        it was cut ("" when it was not): the text that had come when the
        call failed (a timeout, a broken stream) or stopped at the token
        limit. With ``-v`` the messages (already redacted) and the raw answer
        are logged, so a user can see why an answer was refused."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s brain (%s) is sent:\n%s", brain.name, brain.model, _messages_text(messages))
        pieces: list[str] = []

        def collect(piece: str) -> None:
            pieces.append(piece)
            on_piece(piece)

        try:
            raw = await brain.complete(messages, on_piece=collect)
        except BrainError as exc:
            partial = "".join(pieces)
            log.debug("%s brain (%s) failed after %d characters (%s); its answer so far:\n%s",
                      brain.name, brain.model, len(partial), exc, partial)
            if keep_partial and partial.strip():
                return partial, str(exc).rstrip(".")
            raise
        log.debug("%s brain (%s) answered:\n%s", brain.name, brain.model, raw)
        # ``last`` is the backend's record of the call (the stop reason among it).
        last = getattr(brain, "last", None)
        if last is not None and getattr(last, "prompt_truncated", False):
            _tell(_cut_prompt_note(brain, last.prompt_tokens, last.window))
        if keep_partial and getattr(last, "truncated", False):
            return raw, f"it reached the token limit of brains.{brain.name}.max_tokens"
        return raw, ""

    # -- changes: modify, fix, general code at a target --------------------

    async def _change(self, request: Request, intent: str, target: Target, diagnostics: list[Finding],
                      language: str | None, route: RouteDecision | None,
                      count: Callable[[str], Callable[[str], None]], redactor: Redactor) -> Result:
        brain = self.brain("coding")
        context = await self._context(request, intent, target, language)
        messages = await self._messages(brain, intent, request, target, diagnostics, language, context, redactor)
        # The original's findings (to tell new problems from old ones) are
        # computed while the model writes.
        baseline_task = asyncio.ensure_future(self._baseline(request))
        try:
            raw, _ = await self._complete(brain, messages, count("generating"))
        except BaseException:
            baseline_task.cancel()
            raise
        baseline: FileResult = await baseline_task
        attempt = await self._attempt(request, target, language, raw, baseline, redactor)
        repaired = False
        if attempt.problems:
            log.info("first answer refused (%s); one repair round", attempt.reason)
            repaired = True
            unchanged = attempt.reason == edits.UNCHANGED.rstrip(".")
            messages = await self.run_in_thread(redactor.hide_messages, repair_messages(
                messages, raw, attempt.problems, unchanged=unchanged, instruction=request.instruction))
            raw, _ = await self._complete(brain, messages, count("repairing"))
            attempt = await self._attempt(request, target, language, raw, baseline, redactor)
        if attempt.edit is None:
            why = attempt.reason or "the answer could not be turned into an edit"
            tried = " after one repair round" if repaired else ""
            return Result("refused", f"Not applied{tried}: {why}. Your file is unchanged.", intent, target.name,
                          route=route, validation=attempt.validation, repaired=repaired)
        verdict = await self._verify(request, intent, target, attempt.edit, language, count, redactor)
        if verdict is not None:
            return Result("refused", f"Not applied: the reasoning brain found a problem: {verdict}. "
                          "Your file is unchanged.", intent, target.name, route=route,
                          validation=attempt.validation, repaired=repaired)
        n = attempt.edit.changed_lines
        where = target.name or f"lines {target.start_line + 1}-{target.end_line + 1}"
        message = f"Changed {where} ({n} line{'s' if n != 1 else ''})" + (" after one repair round" if repaired else "")
        warnings = await self._consequences(request, language, attempt.edit)
        if attempt.edit.related:
            uses = sum(len(r.edits) for r in attempt.edit.related)
            files = len(attempt.edit.related)
            message += (f"; updated {uses} use{'s' if uses != 1 else ''} in {files} other "
                        f"file{'s' if files != 1 else ''}")
        return Result("edit", message, intent, target.name, edit=attempt.edit, route=route,
                      validation=attempt.validation, repaired=repaired, warnings=warnings)

    async def _consequences(self, request: Request, language: str | None, edit: Edit) -> list[str]:
        """Carry a rename into the files that use the symbol (``edit.related``)
        and say what the edit breaks that no edit can fix (the warnings).
        Scanning the workspace is CPU and disk work: in a thread."""
        root = self.workspace_root
        if root is None or not request.path:
            return []
        open_texts = dict(self.open_documents()) if self.open_documents is not None else {}
        try:
            found: Consequences = await self.run_in_thread(functools.partial(
                consequences_of, request.text, edit.new_document, path=request.path, language=language, root=root,
                open_texts=open_texts, max_file_size=self.settings.validation.max_file_size))
        except asyncio.CancelledError:
            raise
        except Exception:
            # The edit itself is good; only the look at its callers failed.
            log.exception("looking for the uses of what the edit changed failed")
            return []
        edit.related = found.related
        edit.consequences = found
        if not found.complete:
            log.info("the search for uses stopped after %d files (%d bytes)", found.files_scanned,
                     found.bytes_scanned)
        return found.warnings(root)

    async def _attempt(self, request: Request, target: Target, language: str | None, raw: str,
                       baseline: FileResult, redactor: Redactor) -> _Attempt:
        planned = await self.run_in_thread(self._plan, request, target, language, raw, redactor)
        if isinstance(planned, _Attempt):
            return planned
        plan, extra, new_document = planned
        # A renamed function: the rest of its own file calls it by the new name too.
        renames = await self.run_in_thread(own_renames, request.text, new_document, language,
                                           [(p.start_line, p.end_line) for p in [plan, *extra]])
        if renames:
            extra = extra + [edits.EditPlan(line, col, line, end, new, old) for line, col, end, old, new in renames]
            new_document = edits.apply_plans(request.text, [plan, *extra])
        result: FileResult = await self.run_in_thread(self._validate, request, new_document, request.instruction)
        problems = _regressions(result, baseline)
        if problems:
            reason = "; ".join(f"line {f.line + 1}: {f.message}" for f in problems[:3])
            return _Attempt(None, f"validation found {reason}", problems, result)
        edit = Edit(plan.start_line, plan.start_col, plan.end_line, plan.end_col, plan.new_text,
                    old_code=plan.old_text, new_code=plan.new_text, new_document=new_document,
                    changed_lines=plan.changed_lines, extra=extra)
        return _Attempt(edit, "", [], result)

    def _plan(self, request: Request, target: Target, language: str | None, raw: str,
              redactor: Redactor) -> _Attempt | tuple[edits.EditPlan, list[edits.EditPlan], str]:
        """The answer turned into edits and the new document, or the refusal.
        CPU work (a long answer costs hundreds of ms): runs in a thread."""
        # The answer is read against the document as the model saw it; only
        # then do the user's own lines replace the placeholders.
        seen = redactor.hide(request.text)
        try:
            code = edits.extract_code(raw, language=language, target=target.symbol, document=seen)
            code = redactor.restore(code, request.text, seen)
            imports = [redactor.restore(line, request.text, seen)
                       for line in edits.extract_imports(raw, language=language, document=seen)]
            plan = edits.plan_edit(request.text, language=language, target=target.symbol,
                                   selection=target.selection, new_code=code, parses=self._parses_check(request))
        except edits.EditRefused as exc:
            reason = exc.reason.rstrip(".").removesuffix("; nothing was changed")
            return _Attempt(None, reason, [reason], None)
        except SecretInAnswer as exc:
            return _Attempt(None, str(exc), [str(exc)], None)
        # A whole-file answer may bring the imports its new code needs.
        import_plan = edits.plan_imports(request.text, imports, language=language)
        extra = [import_plan] if import_plan is not None else []
        return plan, extra, edits.apply_plans(request.text, [plan, *extra])

    async def _baseline(self, request: Request) -> FileResult:
        """The original document's findings, validated once per text and settings."""
        key = (request.path or "", request.language or "", content_hash(request.text),
               repr(self.settings.validation), str(self.workspace_root))
        found = self.baselines.get(key)
        if found is None:
            found = await self.run_in_thread(self._validate, request, request.text, None)
            self.baselines.put(key, found)
        return found

    def _parses_check(self, request: Request) -> Callable[[str], bool]:
        """Whether a Python text parses, from the document's parse history:
        the candidate differs from the original in one region, and its
        validation then finds the same text already parsed."""
        path = request.path or "untitled"

        def parses(text: str) -> bool:
            history = self.baselines.parses(path)
            tree, _ = history.parse(text, path)
            history.release(tree)
            return tree is not None

        return parses

    def _validate(self, request: Request, text: str, instruction: str | None) -> FileResult:
        original = request.text if instruction is not None else None
        path = request.path or "untitled"
        return validate_text(text, path=path, language=request.language, settings=self.settings,
                             original=original, instruction=instruction, workspace_root=self.workspace_root,
                             parses=self.baselines.parses(path))

    async def _verify(self, request: Request, intent: str, target: Target, edit: Edit, language: str | None,
                      count: Callable[[str], Callable[[str], None]], redactor: Redactor) -> str | None:
        """The reasoning brain's objection, or None when it agrees (or was not asked)."""
        mode = self.settings.brains.verify
        if request.verify is None:
            large = edit.changed_lines >= self.settings.brains.verify_min_lines
            if mode == "never" or (mode == "large" and not large):
                return None
        elif not request.verify:
            return None
        messages = await self.run_in_thread(
            redactor.hide_messages, verify_messages(request.instruction, edit.old_code, edit.new_code, language))
        raw, _ = await self._complete(self.brain("reasoning"), messages, count("verifying"))
        answer = (await self.run_in_thread(functools.partial(clean_output, raw, prose=True))).strip()
        first = answer.splitlines()[0].strip() if answer else ""
        if first.upper().startswith("OK") or not first:
            return None
        return first.removeprefix("PROBLEM:").strip() or answer[:200]

    # -- the vault seam -----------------------------------------------------

    async def _context(self, request: Request, intent: str, target: Target | None,
                       language: str | None) -> list[ContextPiece]:
        provider = self.context_provider
        if provider is None:
            return []
        try:
            # The query may go to an embedding server: no secret typed into it goes along.
            query = redact(request.instruction or (target.code[:500] if target else ""), request.path or None)
            return list(await provider.gather(ContextRequest(
                query=query, intent=intent,
                path=request.path or None, target=target.name if target else None, language=language)))
        except asyncio.CancelledError:
            raise
        except Exception:
            # The vault makes answers better; its failure must not stop them.
            log.exception("context provider failed; going on without retrieved context")
            return []

    async def _record(self, request: Request, result: Result) -> None:
        provider = self.context_provider
        if provider is None or not request.record:
            return
        try:
            await provider.record_exchange("user", f"[{request.kind}] {request.instruction}".strip())
            await provider.record_exchange("assistant", f"[{result.kind}] {result.message}")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("context provider could not record the exchange")


# The messages that fit and what was kept, or why nothing fits.
_Fitted: TypeAlias = "tuple[list[dict[str, str]], PromptSize] | PromptTooLarge"


@dataclass
class _Attempt:
    edit: Edit | None
    reason: str
    problems: list[Any]
    validation: FileResult | None


def _tell(note: str) -> None:
    """Add ``note`` to the running request's result message."""
    notes = _NOTES.get()
    if notes is not None:
        notes.append(note)


def _cut_prompt_note(brain: Brain, prompt_tokens: int | None, window: int | None) -> str:
    how = (f"raise brains.{brain.name}.num_ctx" if brain.backend == "ollama"
           else "start the server with a larger --ctx-size")
    return (f"the model server cut the prompt: it counted {prompt_tokens} tokens, its whole {window}-token window, "
            f"so the answer may have missed part of the code — {how}")


def _too_large_message(brain: Brain, intent: str, target: Target | None, window: int, exc: PromptTooLarge) -> str:
    what = f"`{target.name}`" if target and target.name else (
        f"lines {target.start_line + 1}-{target.end_line + 1}" if target else "the request")
    answer = min(brain.max_tokens, window // 2)
    how = (f"raise brains.{brain.name}.num_ctx (Ollama)" if brain.backend == "ollama"
           else "start the model server with a larger window (llama-server --ctx-size)")
    verb = {"explain": "explain", "review": "review", "general": "ask about"}.get(intent, "change")
    return (f"Not sent: the code to {verb} ({what}) needs a prompt of about {exc.needed} tokens, but the "
            f"{window}-token window of {brain.model} leaves {max(exc.budget, 0)} for it after {answer} for the "
            f"answer — select a smaller part of the code, or {how}.")


def _messages_text(messages: Sequence[dict[str, str]]) -> str:
    return "\n".join(f"--- {m.get('role', '?')} ---\n{m.get('content', '')}" for m in messages)


def _complete_lines(text: str) -> str:
    """``text`` without its last line unless that line ended."""
    if text.endswith("\n"):
        return text
    return text.rpartition("\n")[0]


def _in_range(diagnostics: Sequence[Finding], target: Target) -> list[Finding]:
    return [d for d in diagnostics if d.line <= target.end_line and d.end_line >= target.start_line]


def _regressions(result: FileResult, baseline: FileResult) -> list[Finding]:
    """What the new document gets wrong that the original did not: new
    errors (syntax, hallucinated imports, dropped functions), or a score
    below ``safe_to_persist`` where the original was safe."""
    before = {(f.code, f.message) for f in baseline.findings}
    new_errors = [f for f in result.findings
                  if (f.severity == Severity.ERROR or f.code.startswith("MC5")) and (f.code, f.message) not in before]
    syntax_now = [f for f in result.findings if f.code.startswith("MC1")]
    syntax_before = [f for f in baseline.findings if f.code.startswith("MC1")]
    if syntax_now and (not syntax_before or len(syntax_now) > len(syntax_before)):
        new_errors = syntax_now + [f for f in new_errors if f not in syntax_now]
    if not new_errors and not result.safe_to_persist and baseline.safe_to_persist:
        new_errors = [f for f in result.findings if (f.code, f.message) not in before] or [
            Finding("MC000", f"validation confidence {result.confidence:.2f} is below 0.6", Severity.ERROR, 0, 0, 0, 0)]
    return new_errors


__all__ = ["Baselines", "Edit", "Orchestrator", "Progress", "Request", "Result", "Target"]
