"""Fixtures shared by every test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_ollama import FakeOllama

# The real llama.cpp servers (fixtures llama_server, llama_servers): used by tests/realmodel and tests/editors.
pytest_plugins = ["tests.support.llama_servers", "tests.support.postgres"]


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A scripted Ollama/OpenAI-compatible server on a free loopback port.

    Script it with ``fake_ollama.reply(text, model=..., contains=...)`` or
    ``fake_ollama.set_script({...})``; read what it was sent in
    ``fake_ollama.requests`` / ``fake_ollama.chats()``.
    """
    with FakeOllama() as fake:
        yield fake


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzz suites' figures (cases tried, failures), at the end of every run."""
    lines = [value for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
             if report.when == "call" for key, value in report.user_properties if key == "fuzz"]
    if lines:
        terminalreporter.section("fuzz")
        for line in lines:
            terminalreporter.line(line)
