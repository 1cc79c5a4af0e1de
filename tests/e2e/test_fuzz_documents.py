"""Fuzzing document sync and URIs against the real server process.

Incremental edits: seeded random didChange edits that insert text full of
characters ``str.splitlines()`` breaks at and LSP does not (``\\f``,
``\\v``, ``\\x1c``, ``\\x85``, U+2028, U+2029), line breaks of every kind
(``\\n``, ``\\r\\n``, a lone ``\\r``) and astral characters (two UTF-16
units each). The test keeps its own copy of the document with LSP semantics
(written here, independently of the server) and, after every edit, checks the
server's copy through an oracle the server cannot fake: the file has one
undefined name planted on a known line and column, and the server's MC310
diagnostic must point exactly there, with no syntax error anywhere (each edit
keeps the Python valid, so any MC1xx means the copies diverged).

Odd URIs: documents opened under URIs real clients send (percent-encoded
names, drive letters, ``untitled:``, other schemes, query and fragment); the
server must answer every request and publish under the URI as sent.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field

import pytest
from lsprotocol import types

from tests.e2e.lsp_session import lsp_session, wait_for_diagnostics

MARKER = "zq_marker"
# Comment text: what splitlines() breaks at, astral and combining characters.
JUNK = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "😀", "𝔘", "é", "e\u0301", "\t", " ",
        "x", "#", "\\"]
BREAKS = ["\n", "\r\n", "\r"]
_BREAK = re.compile(r"\r\n|\r|\n")


def units(text: str) -> int:
    """UTF-16 code units."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


@dataclass
class Model:
    """The editor's copy: LSP lines, UTF-16 positions."""

    text: str

    def lines(self) -> list[str]:
        """Line contents without their breaks (a final break ends no line)."""
        parts = _BREAK.split(self.text)
        return parts

    def offset(self, line: int, character: int) -> int:
        starts = [0] + [m.end() for m in _BREAK.finditer(self.text)]
        i = starts[line]
        seen = 0
        while seen < character:
            seen += units(self.text[i])
            i += 1
        return i

    def apply(self, start: tuple[int, int], end: tuple[int, int], new: str) -> None:
        a, b = self.offset(*start), self.offset(*end)
        self.text = self.text[:a] + new + self.text[b:]

    def marker(self) -> tuple[int, int]:
        for number, line in enumerate(self.lines()):
            if MARKER in line:
                return number, units(line[: line.index(MARKER)])
        raise AssertionError("the marker is gone")


def junk(rng: random.Random) -> str:
    return "".join(rng.choice(JUNK) for _ in range(rng.randint(1, 6)))


def random_edit(rng: random.Random, model: Model) -> tuple[tuple[int, int], tuple[int, int], str]:
    """An edit that keeps the file valid Python: new comment lines, text
    inside a comment, or a comment line deleted."""
    lines = model.lines()
    comments = [i for i, line in enumerate(lines) if line.startswith("#")]
    kind = rng.choice(["line", "line", "inside", "delete"])
    if kind == "delete" and len(comments) > 3:
        i = rng.choice([c for c in comments if c + 1 < len(lines)] or comments[:1])
        return (i, 0), (i + 1, 0), ""
    if kind == "inside" and comments:
        i = rng.choice(comments)
        line = lines[i]
        # Any code-point boundary after the "#" (never inside a surrogate pair).
        cut = rng.randint(1, len(line))
        return (i, units(line[:cut])), (i, units(line[:cut])), junk(rng)
    i = rng.randrange(0, len(lines))
    return (i, 0), (i, 0), "# " + junk(rng) + rng.choice(BREAKS)


START = 'import os\n# 😀 emoji\n# form\x0cfeed\ny = "𝔘é"; z = zq_marker  # the planted finding\nprint(os.sep)\n'


@dataclass
class FuzzStats:
    tried: int = 0
    diverged: list[str] = field(default_factory=list)


async def fuzz_session(root, seed: int, steps: int, stats: FuzzStats) -> None:
    rng = random.Random(seed)
    model = Model(START)
    uri = (root / f"fuzz_{seed}.py").as_uri()  # a plain name: odd URIs are tested below
    async with lsp_session(root, initialization_options={"validation": {"debounce_ms": 0}}) as client:
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=model.text)))
        await wait_for_diagnostics(client, uri, version=1)
        for version in range(2, steps + 2):
            start, end, new = random_edit(rng, model)
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=new)]))
            model.apply(start, end, new)
            stats.tried += 1
            try:
                diagnostics = await wait_for_diagnostics(client, uri, version=version, timeout=10)
            except asyncio.TimeoutError:
                stats.diverged.append(f"seed {seed} step {version - 1}: nothing published")
                return
            found = [(d.range.start.line, d.range.start.character) for d in diagnostics
                     if d.code == "MC310" and MARKER in d.message]
            broken = [d.message for d in diagnostics if str(d.code).startswith("MC1")]
            if found != [model.marker()] or broken:
                stats.diverged.append(f"seed {seed} step {version - 1}: edit {start}-{end} {new!r}: "
                                      f"marker at {found}, expected {model.marker()}; syntax {broken[:1]}")
                return  # once diverged, every later step is noise


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_incremental_edits_keep_the_server_copy_in_sync(tmp_path, seed, record_property):
    root = tmp_path / "ws"
    root.mkdir()
    stats = FuzzStats()
    await fuzz_session(root, seed, 40, stats)
    record_property("fuzz", f"fuzz: documents seed {seed} {stats.tried} edits, {len(stats.diverged)} diverged")
    assert stats.diverged == [], stats.diverged
    assert stats.tried == 40


DOC = "import os\n\n\ndef greet(name):\n    return undefined_thing + name\n"
ODD_URIS = [
    "file:///tmp/fuzz/my%20file.py",
    "file:///tmp/fuzz/a%2Bb.py",
    "file:///tmp/fuzz/caf%C3%A9.py",
    "file:///tmp/fuzz/100%25.py",
    "file:///C%3A/Users/me/proj/x.py",
    "file:///c:/Users/me/proj/y.py",
    "file://server/share/z.py",
    "file:///tmp/fuzz/q.py?query=1#fragment",
    "untitled:Untitled-1",
    "untitled:Untitled-2?lang=python",
    "vscode-notebook-cell:/tmp/fuzz/n.ipynb#W0sZmlsZQ%3D%3D",
    "git:/tmp/fuzz/g.py?%7B%22path%22%3A%22%2Ftmp%2Ffuzz%2Fg.py%22%7D",
    "https://example.com/remote.py",
    "relative/path.py",
    "file:///tmp/fuzz/%E2%80%A8sep.py",
    "file:///tmp/fuzz/%F0%9F%98%80.py",
]


async def test_odd_uris_are_answered_and_published_as_sent(tmp_path, record_property):
    root = tmp_path / "ws"
    root.mkdir()
    problems: list[str] = []
    async with lsp_session(root) as client:
        for uri in ODD_URIS:
            client.text_document_did_open(types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=DOC)))
            try:
                diagnostics = await wait_for_diagnostics(client, uri, version=1, timeout=10)
            except asyncio.TimeoutError:
                problems.append(f"{uri}: no diagnostics published under this URI")
                continue
            if {d.code: d.range.start.line for d in diagnostics}.get("MC310") != 4:
                problems.append(f"{uri}: {[(d.code, d.range.start.line) for d in diagnostics]}")
            ident = types.TextDocumentIdentifier(uri=uri)
            hover = await asyncio.wait_for(client.text_document_hover_async(
                types.HoverParams(text_document=ident, position=types.Position(3, 5))), 10)
            if hover is None or "greet" not in hover.contents.value:
                problems.append(f"{uri}: no hover on the definition")
            actions = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
                text_document=ident, range=types.Range(start=types.Position(4, 4), end=types.Position(4, 4)),
                context=types.CodeActionContext(diagnostics=[]))), 10)
            if not actions:
                problems.append(f"{uri}: no code actions")
            client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=ident))
            if await wait_for_diagnostics(client, uri, timeout=10) != []:
                problems.append(f"{uri}: diagnostics not cleared on close")
        # Requests for URIs never opened: answered (empty), never an error.
        for uri in ODD_URIS[:4] + ["file:///nowhere/never-opened.py", "bogus", ""]:
            ident = types.TextDocumentIdentifier(uri=uri)
            hover = await asyncio.wait_for(client.text_document_hover_async(
                types.HoverParams(text_document=ident, position=types.Position(0, 0))), 10)
            if hover is not None:
                problems.append(f"{uri}: hover for a document that is not open")
    record_property("fuzz", f"fuzz: uris {len(ODD_URIS)} opened + 7 never opened, {len(problems)} failures")
    assert problems == [], problems
