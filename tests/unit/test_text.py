"""LSP line semantics (mycoder_lsp.text), URI normalisation and the
thread-safe ast.parse (mycoder_lsp.code.parsing)."""

from __future__ import annotations

import ast
import threading

import pytest

from mycoder_lsp.code import parsing
from mycoder_lsp.code.symbols import document_symbols
from mycoder_lsp.server.documents import DocumentMap, LspTextDocument, normalize_uri
from mycoder_lsp.text import line_starts, lone_cr_as_lf, newline_of, position_of, split_lines
from mycoder_lsp.validation.syntax import check_tree_sitter

# Characters str.splitlines() breaks at and LSP does not.
NOT_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", NOT_BREAKS, ids=repr)
def test_only_lf_crlf_and_cr_end_a_line(char):
    text = f"a{char}b\nc\r\nd\re"
    assert split_lines(text) == [f"a{char}b", "c", "d", "e"]
    assert split_lines(text, keepends=True) == [f"a{char}b\n", "c\r\n", "d\r", "e"]
    assert "".join(split_lines(text, keepends=True)) == text
    assert line_starts(text) == [0, 4, 7, 9]
    assert position_of(text, text.index("e")) == (3, 0)


def test_split_lines_matches_splitlines_where_they_agree():
    for text in ["", "a", "a\n", "a\n\n", "\n", "a\r\nb", "\r\r\n", "x\ry\n"]:
        assert split_lines(text) == text.splitlines(), repr(text)
        assert split_lines(text, keepends=True) == text.splitlines(keepends=True), repr(text)


def test_newline_of_and_lone_cr():
    assert newline_of("a\rb\r") == "\r"
    assert newline_of("a\r\nb\n") == "\r\n"
    assert newline_of("ab") == "\n"
    assert lone_cr_as_lf("a\rb\r\nc\r") == "a\nb\r\nc\n"


def test_python_symbols_and_tree_sitter_rows_use_lsp_lines():
    text = "x = 1\n\x0c\n# \u2028 here\ndef f():\n    return 'é'  # c\n"
    (f,) = document_symbols(text, "python")
    assert (f.start_line, f.end_line, f.indent) == (3, 4, "")
    assert f.end_col == len("    return 'é'")  # code points, not UTF-8 bytes
    js = "function a() {\r  return 1;\r}\rfunction b() {\r  return 2;\r}\r"
    assert [(s.name, s.start_line, s.end_line) for s in document_symbols(js, "javascript")] == [
        ("a", 0, 2), ("b", 3, 5)]
    (error,) = check_tree_sitter("const a = 1;\rconst = ;\r", "javascript")
    assert error.line == 1


@pytest.mark.parametrize("client, stored", [
    ("file:///p/my%20file.py", "file:///p/my file.py"),
    ("file:///p/caf%C3%A9.py", "file:///p/café.py"),
    ("file:///p/a%2Bb.py", "file:///p/a+b.py"),
    ("file:///c%3A/p/x.py", "file:///C:/p/x.py"),
    ("FILE:///p/x.py", "file:///p/x.py"),
])
def test_every_spelling_of_a_uri_finds_the_document(client, stored):
    assert normalize_uri(client) == normalize_uri(stored)
    docs = DocumentMap()
    docs[stored] = LspTextDocument(stored, source="x")
    assert client in docs and docs.get(client) is docs[stored]
    assert list(docs) == [stored]  # iteration keeps the spelling it was opened with
    del docs[client]
    assert not docs


def test_a_literal_percent_is_not_decoded_twice():
    assert normalize_uri("file:///p/100%2525.py") == "file:///p/100%25.py"
    assert normalize_uri("file:///p/100%2525.py") != normalize_uri("file:///p/100%25.py")


def test_document_lines_are_lsp_lines():
    doc = LspTextDocument("file:///x.py", source="a\x0cb\nc\u2028d\re")
    assert doc.lines == ("a\x0cb\n", "c\u2028d\r", "e")


def test_parse_python_is_serialised_across_threads(monkeypatch):
    """Never two ast.parse at once (gh-106905 corrupts shared state then):
    deeply nested code parsed from several threads at once."""
    real = ast.parse
    active = 0
    most = 0
    lock = threading.Lock()

    def watched(*args, **kwargs):
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(parsing.ast, "parse", watched)
    source = "\n".join(f"x{i} = " + "[" * 40 + "1" + "]" * 40 for i in range(150))
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                results.append(len(parsing.parse_python(source).body))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [150] * 30
    assert most == 1


def test_parse_python_retries_the_spurious_system_error(monkeypatch):
    real = ast.parse
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise SystemError("AST constructor recursion depth mismatch (before=102, after=37)")
        return real(*args, **kwargs)

    monkeypatch.setattr(parsing.ast, "parse", flaky)
    assert isinstance(parsing.parse_python("x = 1"), ast.Module)
    assert len(calls) == 2

    def always(*args, **kwargs):
        raise SystemError("AST constructor recursion depth mismatch (before=1, after=2)")

    monkeypatch.setattr(parsing.ast, "parse", always)
    with pytest.raises(RecursionError):  # what every caller already handles
        parsing.parse_python("x = 1")


def test_findings_point_at_lsp_lines_in_crlf_cr_and_form_feed_files():
    from mycoder_lsp.validation.pipeline import validate_text

    for newline in ("\n", "\r\n", "\r"):
        key = "AKIA" + "IOSFODNN7EXAMPLQ"  # split, so this file itself holds no key
        text = newline.join(["x = 1", "\x0c", f'key = "{key}"', "y = (", ""])
        found = {f.code: (f.line, f.column) for f in validate_text(text, path="/p/a.py", language="python").findings}
        assert found["MC402"] == (2, 7), (newline, found)  # the key itself, not a shifted span
        assert found["MC101"][0] == 3, (newline, found)
