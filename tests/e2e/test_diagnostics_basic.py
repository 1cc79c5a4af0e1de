from __future__ import annotations

from lsprotocol import types

from tests.e2e.lsp_session import lsp_session, open_document, wait_for_diagnostics


async def test_syntax_error_is_published_on_open(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    async with lsp_session(root) as client:
        uri = open_document(client, root / "a.py", "def f(:\n    pass\n")
        diags = await wait_for_diagnostics(client, uri)
        codes = [d.code for d in diags]
        assert "MC101" in codes
        d = next(d for d in diags if d.code == "MC101")
        assert d.source == "mycoder"
        assert d.severity == types.DiagnosticSeverity.Error
        assert d.range.start.line == 0
