"""Suppressions and the project's own line length, end to end: the real
server process, a real LSP client, diagnostics as the editor gets them."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.lsp_session import lsp_session, open_document, wait_for_diagnostics

SUPPRESSED = (
    "import os  # noqa\n"
    "import sys  # noqa: F401\n"
    "import json  # mycoder: ignore[MC313]\n"
    "import re\n"
    "print(undefined_a)  # mycoder: ignore\n"
    "print(undefined_b)  # noqa: F401\n"
    "s = '# noqa'; import csv\n"
)


def lines_and_codes(diagnostics) -> list[tuple[int, str]]:
    return sorted((d.range.start.line, str(d.code)) for d in diagnostics)


async def test_noqa_ignore_and_skip_file_hide_their_diagnostics(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    async with lsp_session(root) as client:
        uri = open_document(client, root / "a.py", SUPPRESSED)
        diagnostics = await wait_for_diagnostics(client, uri, version=1)
        # Only the lines without a matching suppression: 're' unused, undefined_b (F401 is another code),
        # and 'csv' (the "# noqa" there is inside a string).
        assert lines_and_codes(diagnostics) == [(3, "MC313"), (5, "MC310"), (6, "MC313")]

        skipped = open_document(client, root / "b.py", "# mycoder: skip-file\n" + SUPPRESSED)
        assert await wait_for_diagnostics(client, skipped, version=1) == []


async def test_the_projects_ruff_line_length_replaces_pep8(tmp_path: Path):
    root = tmp_path / "ws"
    (root / "sub").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.ruff]\nline-length = 120\n")
    line_100 = "x = '" + "a" * 94 + "'\n"
    line_130 = "y = '" + "b" * 124 + "'\n"
    async with lsp_session(root) as client:
        uri = open_document(client, root / "sub" / "long.py", line_100 + line_130)
        diagnostics = await wait_for_diagnostics(client, uri, version=1)
        assert lines_and_codes(diagnostics) == [(1, "MC302")]
        assert "hard limit of 120" in diagnostics[0].message

        # A package of its own inside the workspace keeps its own length (black's default 88).
        (root / "pkg").mkdir()
        (root / "pkg" / "pyproject.toml").write_text("[tool.black]\n")
        line_90 = "z = '" + "c" * 84 + "'\n"
        other = open_document(client, root / "pkg" / "mod.py", line_90)
        diagnostics = await wait_for_diagnostics(client, other, version=1)
        assert lines_and_codes(diagnostics) == [(0, "MC204")]
        assert "the project's 88" in diagnostics[0].message
