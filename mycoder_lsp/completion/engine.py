"""The completion engine: one request in, checked suggestions out.

:class:`Completer` (one per server, or per CLI run) builds the FIM prompt
(:mod:`.context`, :mod:`.templates`), streams the middle from the
``brains.completion`` model (:func:`mycoder_lsp.brains.backends.fill_in_middle`),
checks it (:mod:`.checks`) and keeps what it showed, so that typing through
a suggestion is answered from it without a new request. A new request
supersedes the one in flight: its HTTP stream is closed and it returns
nothing. ``stats`` counts what happened (requested, served_from_cache,
skipped_<why>, dropped_<why>, trimmed_<why>, shown), for the log and the
benchmark.

Which wire carries the request: with a known family, the prompt is ours
(``raw`` on Ollama, ``/v1/completions`` on an OpenAI-compatible server),
so other files go in as the family's own repository-level tokens; with an
unknown model the server applies the model's template (Ollama ``suffix``,
llama.cpp ``/infill``). No pygls here; CPU work goes through ``run_in_thread``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mycoder_lsp.brains.backends import Brain, fill_in_middle
from mycoder_lsp.brains.context import ContextProvider, ContextRequest
from mycoder_lsp.brains.pool import Pools
from mycoder_lsp.brains.wire.base import FimRequest
from mycoder_lsp.brains.wire.http import BrainError, check_endpoint
from mycoder_lsp.code.languages import language as language_record
from mycoder_lsp.code.symbols import Symbol, document_symbols, symbol_at
from mycoder_lsp.completion import checks
from mycoder_lsp.completion.context import (
    SUFFIX_SHARE,
    CrossFileSnippets,
    enclosing_scope,
    offset_of,
    window_around,
)
from mycoder_lsp.completion.templates import FimTemplate, as_comments, strip_special, template_for
from mycoder_lsp.config import Settings
from mycoder_lsp.memory.redaction import Redactor

log = logging.getLogger(__name__)

# The prompt's size in tokens when brains.completion.num_ctx does not say:
# small, because a cold prompt costs time on every new file (about 100-250
# tokens a second on two CPU cores with a 0.5-1.5B model); the server's cache
# makes the following keystrokes cheap.
DEFAULT_BUDGET_TOKENS = 1024
MAX_BUDGET_TOKENS = 8192
# The share of the budget other files may take (the rest is prefix and suffix).
CROSS_FILE_SHARE = 0.25
# Suggestions kept per document, for typing through them.
CACHE_PER_DOCUMENT = 8
# Learned patterns: the vault is asked once per function the cursor enters
# (not per keystroke), at most this many of its answers are kept, and they
# get this many tokens of the prompt.
PATTERN_SCOPES_KEPT = 64
PATTERN_BUDGET_TOKENS = 200
# What stands for a secret in a prompt (ours, or the vault's).
_MARKER = re.compile(r"<redacted:\d+>|\[REDACTED\]")


@dataclass
class CompletionRequest:
    uri: str
    path: str
    text: str  # the whole document as the server holds it
    line: int  # cursor, server units (code points), 0-based
    character: int
    language: str | None
    trigger: str = "automatic"  # "automatic" (typing) | "invoked" (the user asked)


@dataclass
class Suggestion:
    text: str  # inserted at the cursor (may span lines)
    replace_end: tuple[int, int] | None  # (line, character) the insert replaces up to (None: nothing after it)
    model: str
    ms: float
    cached: bool


@dataclass(frozen=True)
class _Shown:
    """A suggestion as shown: the text before and after the cursor then, and the middle."""

    before: str
    after: str
    middle: str
    replaces_rest: bool


@dataclass(frozen=True)
class Prompt:
    """What goes to the model (:meth:`Completer.prompt`); also what the benchmark reads."""

    request: FimRequest
    wire: str
    before: str  # the document up to the cursor
    after: str  # the document from the cursor
    extra: list[tuple[str, str]]
    skipped: str = ""  # non-empty: nothing is sent, and why


class Completer:
    """One per server; holds the cache and the in-flight request."""

    def __init__(self, settings: Settings, *, client: httpx.AsyncClient | None,
                 context_provider: ContextProvider | None = None,
                 run_in_thread: Callable[..., Awaitable[Any]] | None = None,
                 workspace_root: Path | None = None, pools: Pools | None = None) -> None:
        self.settings = settings
        self.root = workspace_root
        # Learned patterns come from the vault; the definitions come from the
        # workspace files themselves (exact, cheap, and stable between keystrokes).
        self.context_provider = context_provider
        self._patterns: OrderedDict[tuple[str, str], list[tuple[str, str]]] = OrderedDict()
        self._run = run_in_thread or _to_thread
        brain_settings = settings.brains.completion
        # ``pools``: the entry point's (brains/pool.py), so that completion's
        # calls count in the same load and breakers as every other brain's.
        self.brain = Brain("completion", brain_settings, max_tokens=brain_settings.max_tokens, client=client,
                                pools=pools)
        self.template: FimTemplate | None = template_for(brain_settings.model, settings.completion.fim_template)
        self.wire = _wire(brain_settings.backend, self.template)
        self.snippets = CrossFileSnippets(workspace_root)
        # The benchmark varies these two.
        self.cross_file_share = CROSS_FILE_SHARE
        self.suffix_share = SUFFIX_SHARE
        self.stats: dict[str, int] = Counter()
        self._cache: dict[str, OrderedDict[tuple[str, str], _Shown]] = {}
        self._inflight: asyncio.Task[Any] | None = None
        # Requests are numbered as they come; only the newest may ask the model.
        self._serial = 0

    # -- the request -------------------------------------------------------------

    def enabled_for(self, language: str | None) -> bool:
        return self.settings.completion.covers(language)

    async def complete(self, request: CompletionRequest) -> list[Suggestion]:
        """[] when there is nothing worth showing; see the module docstring.
        Raises BrainError with a user message; CancelledError closes the stream."""
        started = time.monotonic()
        self.stats["requested"] += 1
        self._serial += 1
        serial = self._serial
        if not self.enabled_for(request.language):
            self.stats["skipped_disabled"] += 1
            return []
        # Refused here, not in __init__: the caller tells the user, once.
        check_endpoint(self.brain.settings.url, self.settings.brains.allowed_hosts,
                       what="completion brain's endpoint")
        offset = offset_of(request.text, request.line, request.character)
        before, after = request.text[:offset], request.text[offset:]
        cached = self._from_cache(request.uri, before, after)
        if cached is not None:
            self.stats["served_from_cache"] += 1
            return [self._suggestion(request, cached[0], cached[1], started, cached=True)]
        learned = await self._learned(request)
        prompt = await self._run(self.prompt, request, learned)
        if prompt.skipped:
            self.stats[f"skipped_{prompt.skipped}"] += 1
            return []
        # A newer request that came in while this one built its prompt wins.
        middle = await self._fetch(prompt) if serial == self._serial else None
        if middle is None:  # superseded by a newer request
            self.stats["superseded"] += 1
            return []
        checked = await self._run(self._check, request, prompt, middle)
        if _MARKER.search(middle):  # a placeholder is never written into the file
            checked = dataclasses.replace(checked, dropped="secret")
        if checked.dropped:
            self.stats[f"dropped_{checked.dropped}"] += 1
            log.debug("completion at %s:%d dropped (%s): %r", request.path, request.line + 1, checked.dropped,
                     middle[:80])
            return []
        if checked.trimmed:
            self.stats[f"trimmed_{checked.trimmed}"] += 1
        self._remember(request.uri, _Shown(before, after, checked.text, checked.replaces_rest_of_line))
        self.stats["shown"] += 1
        return [self._suggestion(request, checked.text, checked.replaces_rest_of_line, started, cached=False)]

    async def _learned(self, request: CompletionRequest) -> list[tuple[str, str]]:
        """The vault's learned patterns for the function around the cursor,
        as ``(origin, text)`` for the prompt's other-files part. Asked once per
        function (the answer is kept), so the prompt's start stays the same
        while the user types in it; nothing when there is no vault."""
        provider = self.context_provider
        if provider is None or self.settings.completion.context != "vault":
            return []
        scope = await self._run(_innermost_definition, request.text, request.language, request.line)
        if scope is None:
            return []
        key = (request.path, scope.qualname)
        if key in self._patterns:
            self._patterns.move_to_end(key)
            return self._patterns[key]
        lines = request.text.split("\n")
        signature = lines[scope.def_line].strip() if scope.def_line < len(lines) else scope.name
        try:
            pieces = await provider.gather(ContextRequest(
                query=signature, intent="complete", path=request.path or None, target=scope.name,
                language=request.language, budget_tokens=PATTERN_BUDGET_TOKENS))
        except asyncio.CancelledError:
            raise
        except Exception:  # the vault makes suggestions better; it must not stop them
            log.exception("the vault could not give learned patterns; completing without them")
            pieces = []
        found = [(piece.origin, piece.text) for piece in pieces if piece.origin.startswith("learned pattern")]
        self._patterns[key] = found
        while len(self._patterns) > PATTERN_SCOPES_KEPT:
            self._patterns.popitem(last=False)
        return found

    def prompt(self, request: CompletionRequest, learned: list[tuple[str, str]] | None = None) -> Prompt:
        """The prompt for ``request`` (CPU work: parsing, reading other files);
        ``learned``: patterns from the vault, shown like other files."""
        text, language = request.text, request.language
        offset = offset_of(text, request.line, request.character)
        before, after = text[:offset], text[offset:]
        if request.trigger == "automatic" and after[:1].isidentifier():
            # Inside a word while typing: a middle there is almost never
            # wanted (the user is editing the word); asked for, it is tried.
            return Prompt(FimRequest("", ""), self.wire, before, after, [], skipped="mid_word")
        if checks.far_syntax_error(text, language, request.line):
            return Prompt(FimRequest("", ""), self.wire, before, after, [], skipped="syntax_error")
        budget = self._budget()
        extra: list[tuple[str, str]] = []
        if self.settings.completion.context == "vault" and language == "python":
            extra = self.snippets.snippets(text, request.path, request.line, int(budget * self.cross_file_share))
        # No secret goes to the model: the document and the other files as the
        # model sees them have each secret as <redacted:N> (lines keep their
        # count, so the cursor's line is the same line). A secret on the
        # cursor's own line would move the cursor: nothing is asked there.
        redactor = Redactor(path=request.path or None)
        seen = redactor.hide(text)
        seen_offset = offset
        if seen != text:
            if seen.split("\n")[request.line] != text.split("\n")[request.line]:
                return Prompt(FimRequest("", ""), self.wire, before, after, [], skipped="secret_line")
            seen_offset = offset_of(seen, request.line, request.character)
        extra = [(name, redactor.hide(body, name)) for name, body in [*(learned or []), *extra]]
        window = window_around(seen, request.line, seen_offset, budget,
                               enclosing_scope(text, language, request.line), self.suffix_share)
        rel = self._relative(request.path)
        max_lines = self.settings.completion.max_lines
        mid_line = bool(after.split("\n", 1)[0].strip())
        # The server stops at the end of what can be shown: the line when the
        # cursor is inside one, a blank line (the end of a block) otherwise.
        stop = ["\n"] if mid_line or max_lines <= 1 else ["\n\n"]
        if self.template is not None:
            stop += list(self.template.stops)
        record = language_record(language)
        comment = record.line_comment if record else "//"
        prefix = window.prefix
        if self.template is not None:
            full = self.template.render(prefix, window.suffix, path=rel, extra=extra,
                                        repo=self.root.name if self.root else "", comment=comment)
        else:
            full = ""
            if self.wire == "ollama-suffix" and extra:
                prefix = as_comments(extra, comment) + prefix
        fim = FimRequest(prefix=prefix, suffix=window.suffix, prompt=full, extra=extra, stop=stop[:16],
                         max_tokens=self.settings.brains.completion.max_tokens)
        return Prompt(fim, self.wire, before, after, extra)

    async def _fetch(self, prompt: Prompt) -> str | None:
        """The model's middle; None when a newer request superseded this one."""
        previous = self._inflight
        if previous is not None and not previous.done():
            previous.cancel()  # closes its HTTP stream
        max_lines = 1 if "\n" in prompt.request.stop else self.settings.completion.max_lines

        def enough(text: str) -> bool:
            return text.count("\n") >= max_lines

        task = asyncio.ensure_future(fill_in_middle(self.brain, prompt.request, self.wire, enough=enough))
        self._inflight = task
        try:
            result = await task
        except asyncio.CancelledError:
            if task.cancelled() and not _cancelling():
                return None  # superseded: the newer request answers
            task.cancel()
            raise
        finally:
            if self._inflight is task:
                self._inflight = None
        return strip_special(result.text, self.template)

    def _check(self, request: CompletionRequest, prompt: Prompt, middle: str) -> checks.Checked:
        return checks.check_suggestion(middle, before=prompt.before, after=prompt.after, language=request.language,
                                       max_lines=self.settings.completion.max_lines,
                                       unit=checks.indent_unit(request.text), path=request.path, root=self.root)

    # -- cache ---------------------------------------------------------------------

    def _from_cache(self, uri: str, before: str, after: str) -> tuple[str, bool] | None:
        """What is left of a shown suggestion the user has typed into (same
        text after the cursor, what was typed a start of the suggestion)."""
        for shown in reversed((self._cache.get(uri) or {}).values()):
            if shown.after != after or not before.startswith(shown.before):
                continue
            typed = before[len(shown.before):]
            if shown.middle.startswith(typed) and len(typed) < len(shown.middle):
                return shown.middle[len(typed):], shown.replaces_rest
        return None

    def _remember(self, uri: str, shown: _Shown) -> None:
        entries = self._cache.setdefault(uri, OrderedDict())
        entries[(shown.before[-200:], shown.after[:200])] = shown
        while len(entries) > CACHE_PER_DOCUMENT:
            entries.popitem(last=False)

    def forget(self, uri: str) -> None:
        """Drop a closed document's suggestions."""
        self._cache.pop(uri, None)

    # -- helpers ---------------------------------------------------------------------

    def _suggestion(self, request: CompletionRequest, text: str, replaces_rest: bool, started: float, *,
                    cached: bool) -> Suggestion:
        end: tuple[int, int] | None = None
        if replaces_rest:
            lines = request.text.split("\n")
            line_text = lines[request.line] if request.line < len(lines) else ""
            end = (request.line, len(line_text.rstrip("\r")))
        return Suggestion(text, end, self.brain.model, (time.monotonic() - started) * 1000, cached)

    def _budget(self) -> int:
        num_ctx = self.settings.brains.completion.num_ctx
        if not num_ctx:
            return DEFAULT_BUDGET_TOKENS
        return max(256, min(num_ctx, MAX_BUDGET_TOKENS) - self.settings.brains.completion.max_tokens)

    def _relative(self, path: str) -> str:
        if not path:
            return "file"
        if self.root is not None:
            try:
                return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
            except (OSError, ValueError):
                pass
        return Path(path).name


def _wire(backend: str, template: FimTemplate | None) -> str:
    if backend == "openai":
        return "completions" if template is not None else "infill"
    return "ollama-raw" if template is not None else "ollama-suffix"


def _cancelling() -> bool:
    """Is the running task itself being cancelled ($/cancelRequest, shutdown)?"""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)  # Python 3.11+
    return bool(task is not None and cancelling is not None and cancelling())


async def _to_thread(func: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(func, *args)


def _innermost_definition(text: str, language: str | None, line: int) -> Symbol | None:
    """The function (or class) the cursor is in: what a learned pattern names."""
    return symbol_at(document_symbols(text, language), line)


__all__ = ["BrainError", "CompletionRequest", "Completer", "Prompt", "Suggestion"]
