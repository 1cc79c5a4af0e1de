"""A change validates the original once per text: the second change to the
same code (an undo and retry, the benchmark's loop) validates only the new
document. Observed through the thread runner the orchestrator is given."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from mycoder_lsp.brains.orchestrator import Baselines, Orchestrator, Request
from mycoder_lsp.config import Settings
from mycoder_lsp.validation.findings import FileResult
from tests.support.fake_ollama import FakeOllama

CODING = "codellama:7b"
DOC = "def mean(values):\n    return sum(values) / len(values)\n\n\ndef other():\n    return 1\n"
NEW = 'def mean(values):\n    """The average."""\n    return sum(values) / len(values)\n'


async def test_the_original_is_validated_once_per_text(fake_ollama: FakeOllama):
    fake_ollama.reply(NEW, model=CODING)
    settings = Settings()
    for name in ("organizer", "coding", "reasoning"):
        getattr(settings.brains, name).url = fake_ollama.url
    validated: list[str] = []

    async def run_in_thread(func: Callable[..., Any], *args: Any) -> Any:
        if getattr(func, "__name__", "") == "_validate":
            validated.append(args[1])  # the text validated
        return await asyncio.to_thread(func, *args)

    orchestrator = Orchestrator(settings, run_in_thread=run_in_thread)
    request = Request(kind="modify", path="/w/m.py", text=DOC, language="python", symbol="mean",
                      instruction="add a docstring")
    first = await orchestrator.run(request)
    assert first.kind == "edit", first.message
    assert validated.count(DOC) == 1 and len(validated) == 2
    second = await orchestrator.run(request)
    assert second.kind == "edit", second.message
    assert validated.count(DOC) == 1 and len(validated) == 3  # only the new document again
    other = await orchestrator.run(Request(kind="modify", path="/w/m.py", text=DOC + "\n# changed\n",
                                           language="python", symbol="mean", instruction="add a docstring"))
    assert other.kind == "edit", other.message
    assert len(validated) == 5  # another text: its own baseline


def test_a_kept_baseline_expires_and_the_oldest_goes_first():
    result = FileResult(path="m.py", language="python")
    kept = Baselines(keep=2, seconds=60)
    for key in (("a",), ("b",), ("c",)):
        kept.put(key, result)
    assert kept.get(("a",)) is None and kept.get(("c",)) is result
    expired = Baselines(seconds=-1)
    expired.put(("a",), result)
    assert expired.get(("a",)) is None
