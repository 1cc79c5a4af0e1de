"""Document symbols for Python (ast, and a scan for broken files) and the
tree-sitter languages."""

from __future__ import annotations

import pytest

from mycoder_lsp.code.symbol_index import workspace_symbol_names
from mycoder_lsp.code.symbols import document_symbols, find_symbol, symbol_at

PY = '''import os


@decorator
@other(arg=1)
def top(a,
        b) -> int:
    """Add them.

    Really."""
    return a + b


class Shape:
    """A shape."""

    def area(self):
        def helper():
            return 1
        return helper()

    async def fetch(self): return None

if True:
    def conditional():
        pass
'''


def by_qual(symbols):
    return {s.qualname: s for s in symbols}


def test_python_symbols_ranges_kinds_and_docs():
    syms = by_qual(document_symbols(PY, "python"))
    assert set(syms) == {"top", "Shape", "Shape.area", "Shape.area.helper", "Shape.fetch", "conditional"}
    top = syms["top"]
    assert (top.kind, top.start_line, top.def_line, top.end_line) == ("function", 3, 5, 10)
    assert top.signature == "def top(a, b) -> int:"
    assert top.docstring == "Add them.\n\nReally."
    assert top.body_indent == "    "
    area = syms["Shape.area"]
    assert (area.kind, area.indent, area.body_indent, area.parent) == ("method", "    ", "        ", "Shape")
    assert syms["Shape.area.helper"].kind == "function"
    assert syms["Shape"].docstring == "A shape."
    assert syms["Shape.fetch"].signature == "async def fetch(self):"
    assert area.text(PY).startswith("    def area(self):\n")


def test_symbol_at_is_innermost_and_find_symbol_resolves_names():
    syms = document_symbols(PY, "python")
    assert symbol_at(syms, 17, 8).qualname == "Shape.area.helper"
    assert symbol_at(syms, 19, 8).qualname == "Shape.area"
    assert symbol_at(syms, 3, 0).qualname == "top"  # the decorator line belongs to it
    assert symbol_at(syms, 0, 0) is None
    assert find_symbol(syms, "area").qualname == "Shape.area"
    assert find_symbol(syms, "Shape.area").qualname == "Shape.area"
    assert find_symbol(syms, "area.helper").qualname == "Shape.area.helper"
    assert find_symbol(syms, "`top()`").qualname == "top"
    assert find_symbol(syms, "nope") is None


def test_ambiguous_short_name_is_none():
    syms = document_symbols("class A:\n    def run(self): pass\nclass B:\n    def run(self): pass\n", "python")
    assert find_symbol(syms, "run") is None
    assert find_symbol(syms, "B.run").parent == "B"


def test_broken_python_still_has_symbols():
    broken = "def ok():\n    return 1\n\n\nclass K:\n    def half(self:\n        return (\n\ndef after():\n    pass\n"
    syms = by_qual(document_symbols(broken, "python"))
    assert {"ok", "K", "K.half", "after"} <= set(syms)
    assert syms["ok"].end_line == 1
    assert syms["K.half"].kind == "method"


@pytest.mark.parametrize("junk", ["", "\x00\x01", "def", "(((((", "\n" * 50, "é" * 1000])
def test_never_raises(junk):
    for lang in ("python", "javascript", "typescript", "tsx", "go", "rust", "cobol", None):
        assert isinstance(document_symbols(junk, lang), list)


TS = '''/** Greets someone. */
export function greet(name: string): string {
  return "hi " + name;
}

class Repo {
  @cached()
  find(id: number) {
    return id;
  }
}

export const handler = async (req) => {
  return req;
};

interface Shape { area(): number }
'''


def test_typescript_symbols():
    syms = by_qual(document_symbols(TS, "typescript"))
    assert {"greet", "Repo", "Repo.find", "handler", "Shape"} <= set(syms)
    greet = syms["greet"]
    assert (greet.start_line, greet.end_line, greet.docstring) == (1, 3, "Greets someone.")
    assert greet.signature.startswith("function greet(name: string)")
    find = syms["Repo.find"]
    assert (find.kind, find.start_line, find.def_line, find.end_line) == ("method", 6, 7, 9)
    assert syms["handler"].kind == "function"
    assert syms["Shape"].kind == "interface"


def test_javascript_and_tsx_symbols():
    js = "function a() {\n  return 1;\n}\nclass B {\n  m() {}\n}\n"
    assert set(by_qual(document_symbols(js, "javascript"))) == {"a", "B", "B.m"}
    tsx = "export function App(): JSX.Element {\n  return <div>hi</div>;\n}\n"
    assert set(by_qual(document_symbols(tsx, "tsx"))) == {"App"}


def test_go_symbols():
    go = (
        "package shop\n\n// Total sums it.\nfunc (o *Order) Total() int {\n\treturn 0\n}\n\n"
        "type Order struct {\n\tItems []int\n}\n\nfunc New() *Order { return &Order{} }\n"
    )
    syms = by_qual(document_symbols(go, "go"))
    assert set(syms) == {"Order.Total", "Order", "New"}
    total = syms["Order.Total"]
    assert (total.kind, total.start_line, total.end_line, total.docstring) == ("method", 3, 5, "Total sums it.")
    assert total.body_indent == "\t"
    order = syms["Order"]
    assert (order.kind, order.start_line, order.start_col) == ("class", 7, 0)


def test_rust_symbols():
    rs = (
        "/// Adds.\n#[inline]\npub fn add(a: i32) -> i32 {\n    a\n}\n\n"
        "struct Point { x: i32 }\n\nimpl Point {\n    fn norm(&self) -> i32 {\n        self.x\n    }\n}\n"
    )
    syms = document_symbols(rs, "rust")
    quals = by_qual(syms)
    assert {"add", "Point", "Point.norm"} <= set(quals)
    add = quals["add"]
    assert (add.start_line, add.def_line, add.docstring) == (1, 2, "Adds.")
    assert quals["Point.norm"].kind == "method"
    assert find_symbol(syms, "Point").kind == "class"  # the struct, not the impl


def test_what_the_parser_could_not_read_has_no_symbols():
    # A method pasted on its own: tree-sitter reads its `if (...) {` as a method named `if`.
    bare = "add(user: User): void {\n    if (this.items.some((u) => u.id === user.id)) {\n        throw e;\n    }\n}\n"
    assert document_symbols(bare, "typescript") == []


def test_non_ascii_columns_are_code_points():
    js = "const s = 'é'; function f() {}\n"
    (f,) = document_symbols(js, "javascript")
    assert js.splitlines()[0][f.start_col :].startswith("function f")


def test_workspace_symbol_names_cached(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("class A:\n    def m(self): pass\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.py").write_text("def hidden(): pass\n")
    cache = tmp_path / ".mycoder" / "cache" / "syms.json"
    assert workspace_symbol_names(tmp_path, cache_file=cache) == ["A", "A.m"]
    assert cache.exists()
    (tmp_path / "pkg" / "a.py").write_text("def renamed(): pass\n")
    assert workspace_symbol_names(tmp_path, cache_file=cache) == ["renamed"]
