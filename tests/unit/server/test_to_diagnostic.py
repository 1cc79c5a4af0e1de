"""A finding's range as the client counts it: characters of ASCII lines pass as
they are; other lines go through pygls' conversion to the negotiated encoding."""

from __future__ import annotations

import itertools

import pytest
from lsprotocol import types
from pygls.workspace import PositionCodec, TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from mycoder_lsp.server.features.diagnostics import to_diagnostic
from mycoder_lsp.validation.findings import Finding, Severity

TEXT = "x = 1\né = '😀' + y  # ü\n\tz = 2\r\nlast = 'end'\n"


@pytest.mark.parametrize("encoding", [types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8,
                                      types.PositionEncodingKind.Utf32])
def test_every_range_is_the_codecs_own(encoding):
    doc = TextDocument("file:///w/a.py", TEXT, position_codec=PositionCodec(encoding))
    lines = doc.lines
    for (line, end_line) in itertools.product(range(len(lines) + 1), repeat=2):
        for column, end_column in ((0, 0), (2, 7), (5, 99), (-1, 3)):
            finding = Finding("MC313", "m", Severity.WARNING, line, column, end_line, end_column)
            got = to_diagnostic(doc, finding).range
            # What pygls' conversion gives for the same clamped positions.
            def clamp(at: int, col: int) -> ServerTextPosition:
                if at >= len(lines):
                    at, col = len(lines) - 1, len(lines[-1].rstrip("\r\n"))
                text = lines[at].rstrip("\r\n")
                return ServerTextPosition(at, min(max(col, 0), len(text)))
            want = doc.range_to_client_units(ServerTextRange(clamp(line, column), clamp(end_line, end_column)))
            assert (got.start.line, got.start.character, got.end.line, got.end.character) == (
                want.start.line, want.start.character, want.end.line, want.end.character), (line, column, encoding)
