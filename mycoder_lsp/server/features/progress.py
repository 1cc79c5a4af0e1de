"""``$/progress`` for one command: begin, "generating… N tokens" at most every
``PROGRESS_INTERVAL``, end; the progress' cancel button cancels the command.

A client that cannot show progress (no ``window.workDoneProgress``, or a
refused token) still gets its answer: the reporter then reports nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from mycoder_lsp.server.app import MyCoderServer

if TYPE_CHECKING:
    from mycoder_lsp.brains.orchestrator import Progress

log = logging.getLogger(__name__)

# $/progress reports at most this often (a token per report would flood the editor).
PROGRESS_INTERVAL = 0.1


class ProgressReporter:
    """``$/progress`` for one command: begin, "generating… N tokens" at most
    every PROGRESS_INTERVAL, end. Cancelling the progress cancels ``task``."""

    def __init__(self, server: MyCoderServer, title: str, task: asyncio.Task[Any] | None) -> None:
        self.server = server
        self.title = title
        self.task = task
        self.token: str | None = None
        self._last = 0.0

    async def __aenter__(self) -> Callable[[Progress], None]:
        if self.server.supports_work_done_progress:
            token = f"mycoder-{uuid.uuid4().hex[:12]}"
            try:
                await asyncio.wait_for(self.server.work_done_progress.create_async(token), 5)
            except Exception:  # a client that cannot show progress still gets its answer
                log.info("window/workDoneProgress/create failed; no progress shown", exc_info=True)
            else:
                self.token = token
                future = self.server.work_done_progress.tokens.get(token)
                if future is not None and self.task is not None:
                    task = self.task
                    future.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)
                self.server.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                    title=self.title, message="thinking…", cancellable=True, percentage=None))
        return self.report

    def report(self, progress: Progress) -> None:
        if self.token is None:
            return
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL and progress.tokens > 1:
            return
        self._last = now
        self.server.work_done_progress.report(self.token, types.WorkDoneProgressReport(
            message=f"{progress.phase}… {progress.tokens} tokens"))

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.token is None:
            return
        message = "cancelled" if exc_type is asyncio.CancelledError else "done"
        self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        self.server.work_done_progress.tokens.pop(self.token, None)


__all__ = ["PROGRESS_INTERVAL", "ProgressReporter"]
