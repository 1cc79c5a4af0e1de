"""``mycoder-lsp route``: classify requests (intent and target) from the terminal.

With TEXT: one decision, as text or (``--json``) one JSON object. Without:
JSONL ``{"id", "text"}`` on stdin, one JSONL ``{"id", "intent", "target",
"via", "confidence", "ms"}`` per line on stdout, in order. Targets are checked
against the definitions in the workspace's files under ``--root`` (the files
``check`` and ``index`` see, every language; cached by mtime and size). The
organizer at the configured URL is asked only about requests the rules are
not sure of; ``--offline`` never calls a model.

This module only parses arguments and prints; routing lives in
:mod:`mycoder_lsp.brains.router`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TextIO, TypeVar

from mycoder_lsp.brains.router import RouteDecision, SymbolIndex
from mycoder_lsp.workspace_session import Workspace

HELP = "classify requests: intent and target symbol"
log = logging.getLogger(__name__)

# After this many organizer failures in a row, a batch stops asking it (a
# server that is down would otherwise cost a timeout per line).
MAX_ORGANIZER_FAILURES = 2

T = TypeVar("T")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", metavar="TEXT", help="the request; omit to read JSONL from stdin")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--offline", action="store_true", help="never call a model (rules only)")


def run(args: argparse.Namespace) -> int:
    workspace = Workspace.open(Path(args.root))
    for problem in workspace.problems:
        print(f"mycoder-lsp: {problem}", file=sys.stderr)
    names = workspace.symbol_index()
    if args.offline:
        # The rules alone: no event loop and no client (neither asyncio nor httpx is imported).
        def guess(text: str) -> RouteDecision:
            return workspace.router.guess(text, names)

        if args.text is not None:
            _print(guess(args.text), args.json)
            return 0
        return _offline_batch(guess, sys.stdin, sys.stdout)
    import asyncio

    session = _Session(workspace)
    if args.text is not None:
        _print(asyncio.run(session.connected(lambda: session.route(args.text, names))), args.json)
        return 0
    return asyncio.run(session.connected(lambda: _batch(session, names, sys.stdin, sys.stdout)))


def _print(decision: RouteDecision, as_json: bool) -> None:
    print(json.dumps(decision.to_json()) if as_json else _human(decision))


class _Session:
    """One CLI run: the workspace (its router, client and pools), the
    organizer (made on first need) and how often it failed."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.settings = workspace.settings
        self.router = workspace.router
        self._organizer: Any = None
        self._organizer_error: str | None = None
        self.failures = 0

    async def connected(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` with the workspace connected to its model servers, closed at the end."""
        async with self.workspace.connected():
            try:
                return await work()
            finally:
                self._organizer = None  # its client is closed

    def organizer(self) -> Any:
        if self._organizer_error is not None:
            return None
        if self._organizer is None:
            from mycoder_lsp.brains.backends import make_brain

            try:
                self._organizer = make_brain("organizer", self.settings, client=self.workspace.client,
                                             pools=self.workspace.pools)
            except Exception as exc:  # noqa: BLE001 - e.g. a refused endpoint: say it once, go on with rules
                self._organizer_error = str(exc)
                print(f"mycoder-lsp: organizer not used: {exc}", file=sys.stderr)
                return None
        return self._organizer

    async def route(self, text: str, names: SymbolIndex) -> RouteDecision:
        organizer = self.organizer() if self.failures < MAX_ORGANIZER_FAILURES else None
        decision = await self.router.route(text, symbols=names, organizer=organizer, )
        if organizer is not None:
            asked = self.router.guess(text, names).via != "rules"
            if asked and decision.via == "fallback":
                self.failures += 1
                if self.failures == 1:
                    where = ", ".join(self.settings.brains.organizer.urls)
                    print(
                        f"mycoder-lsp: the organizer at {where} could not be asked "
                        "or answered nonsense; the rule-based guess stands (via=fallback)",
                        file=sys.stderr,
                    )
                if self.failures == MAX_ORGANIZER_FAILURES:
                    print("mycoder-lsp: the organizer keeps failing; using the rules for the rest", file=sys.stderr)
            elif decision.via == "organizer":
                self.failures = 0
        return decision


class _Batch:
    """The JSONL requests on stdin, in order, and their answers on stdout. A bad
    line costs one error line (and exit status 1), never the rest of the batch."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin, self.stdout = stdin, stdout
        self.status = 0

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        """``(id, text)`` of each good line."""
        for number, line in enumerate(self.stdin, 1):
            if not line.strip():
                continue
            item: Any = None
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError('expected an object with a "text" string')
            except ValueError as exc:
                print(f"mycoder-lsp: stdin line {number} skipped: {exc}", file=sys.stderr)
                ident = item.get("id") if isinstance(item, dict) else None
                self.stdout.write(json.dumps({"id": ident, "error": f"line {number}: {exc}"}) + "\n")
                self.status = 1
                continue
            yield item.get("id"), item["text"]

    def answer(self, ident: Any, decision: RouteDecision) -> None:
        self.stdout.write(json.dumps({"id": ident, **decision.to_json()}) + "\n")
        self.stdout.flush()


async def _batch(session: _Session, names: SymbolIndex, stdin: TextIO, stdout: TextIO) -> int:
    batch = _Batch(stdin, stdout)
    for ident, text in batch:
        batch.answer(ident, await session.route(text, names))
    return batch.status


def _offline_batch(guess: Callable[[str], RouteDecision], stdin: TextIO, stdout: TextIO) -> int:
    batch = _Batch(stdin, stdout)
    for ident, text in batch:
        batch.answer(ident, guess(text))
    return batch.status


def _human(decision: RouteDecision) -> str:
    target = decision.target or "(none)"
    return (
        f"intent: {decision.intent}\n"
        f"target: {target}\n"
        f"via: {decision.via} (confidence {decision.confidence:.2f}, {decision.ms:.2f} ms)"
    )
