"""Typing into a real module through the real server: after every keystroke
the diagnostics are those of a full check of the same text.

The server checks an edit incrementally (validation/incremental.py parses
only the statements it touched, validation/flakes.py replays pyflakes for
the functions it did not change, the node index reuses the untouched
statements). The oracle here is the pipeline run whole, in this process,
on the text the test keeps itself. The keystrokes type, one character at a
time, lines that make and unmake findings in and between functions while an
import stays used only by a function that does not change, then a local
that shadows that import.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from mycoder_lsp.validation.pipeline import validate_text
from tests.e2e.lsp_session import lsp_session, wait_for_diagnostics

MODULE = '''"""A small store of JSON files, typed into by the test."""

from __future__ import annotations

import json
import os
from pathlib import Path


class Store:
    """JSON files under one directory."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def load(self, name: str) -> dict:
        with open(os.path.join(self.root, name), encoding="utf-8") as fh:
            return json.load(fh)

    def names(self) -> list[str]:
        return sorted(os.listdir(self.root))


def main() -> list[str]:
    return Store(".").names()
'''

# (the line typed before, what is typed there one character at a time): a
# method (json stays used only by the unchanged load), a function using a
# name not defined yet, the name, a local that shadows the json import, and
# an edit elsewhere while that shadowing function stays as it is.
TYPED = [
    ("    def names(self) -> list[str]:", "    def count(self) -> int:\n        return len(self.names()) + undefined_total\n\n"),
    ("def main() -> list[str]:", "def extra() -> str:\n    return os.sep + missing\n\n\n"),
    ("def main() -> list[str]:", "missing = 1\n"),
    ('        with open(os.path.join(self.root, name), encoding="utf-8") as fh:', "        json = None\n"),
    ('    return Store(".").names()', "    print(extra())\n"),
]


def expected(path: Path, text: str, root: Path) -> list[tuple]:
    result = validate_text(text, path=str(path), workspace_root=root)
    return sorted((f.code, f.line, f.column, f.end_line, f.end_column) for f in result.findings)


def got(diagnostics: list[types.Diagnostic]) -> list[tuple]:
    return sorted((str(d.code), d.range.start.line, d.range.start.character, d.range.end.line,
                   d.range.end.character) for d in diagnostics if d.source == "mycoder")


async def test_every_keystroke_gets_the_full_checks_diagnostics(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    path = root / "store.py"
    text = MODULE  # ASCII: characters and UTF-16 units agree below
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    checked = 0
    async with lsp_session(root, initialization_options={"validation": {"debounce_ms": 0}}) as client:
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        assert got(await wait_for_diagnostics(client, uri, version=1)) == expected(path, text, root)
        version = 1
        for before, typed in TYPED:
            line = text.split("\n").index(before)
            column = 0
            for char in typed:
                version += 1
                client.text_document_did_change(types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangePartial(
                        range=types.Range(start=types.Position(line, column), end=types.Position(line, column)),
                        text=char)]))
                lines = text.split("\n")
                lines[line] = lines[line][:column] + char + lines[line][column:]
                text = "\n".join(lines)
                if char == "\n":
                    line, column = line + 1, 0
                else:
                    column += 1
                diagnostics = await wait_for_diagnostics(client, uri, version=version, timeout=20)
                assert got(diagnostics) == expected(path, text, root), (version, repr(typed[:column]))
                checked += 1
    assert checked == sum(len(t) for _, t in TYPED)
    final = [f[0] for f in expected(path, text, root)]
    assert "MC310" in final and "MC313" in final  # undefined_total; json unused once shadowed in load
