"""Chunking: every language, qualified names, line ranges, importance, windows."""

from __future__ import annotations

import pytest

from mycoder_lsp.memory.chunking import OVERLAP, WINDOW, chunk_file, content_hash, importance

PY = '''"""A module."""
import os

CONSTANT = 1


class Shape:
    """A shape."""

    def area(self):
        def helper():
            return 1
        return helper()

    @property
    def name(self):
        return "shape"


async def main():
    pass
'''


def by_name(chunks):
    return {c.name: c for c in chunks}


def test_python_qualified_names_kinds_and_lines():
    chunks = by_name(chunk_file("pkg/shapes.py", PY))
    assert set(chunks) == {"<module>", "Shape", "Shape.area", "Shape.area.helper", "Shape.name", "main"}
    assert (chunks["Shape"].kind, chunks["Shape"].start_line, chunks["Shape"].end_line) == ("class", 7, 17)
    assert (chunks["Shape.area"].kind, chunks["Shape.area"].start_line, chunks["Shape.area"].end_line) == (
        "method", 10, 13)
    assert chunks["Shape.area.helper"].kind == "function"
    # The decorator belongs to the method's lines.
    assert chunks["Shape.name"].start_line == 15
    assert chunks["Shape.name"].content.startswith("    @property")
    assert chunks["main"].start_line == 20 and chunks["main"].end_line == 21
    module = chunks["<module>"]
    assert "import os" in module.content and "CONSTANT = 1" in module.content
    assert "def area" not in module.content
    assert all(c.path == "pkg/shapes.py" for c in chunks.values())


def test_importance_docstring_and_length():
    chunks = by_name(chunk_file("s.py", PY))
    assert chunks["Shape"].importance == pytest.approx(0.2 + 0.3 * 11 / 60, abs=1e-3)
    assert chunks["main"].importance == pytest.approx(0.3 * 2 / 60, abs=1e-3)
    long_body = "def f():\n" + "    x = 1\n" * 200
    assert chunk_file("l.py", long_body)[0].importance == pytest.approx(0.3)
    assert importance("x", True) > importance("x", False)


def test_content_hash_stable_and_sensitive():
    a = chunk_file("a.py", PY)
    b = chunk_file("b/other_place.py", PY)
    # Same text under the same name: same hash wherever it lives (no re-embedding on move).
    assert [c.hash for c in a] == [c.hash for c in b]
    changed = by_name(chunk_file("a.py", PY.replace("return 1", "return 2")))
    assert changed["Shape.area.helper"].hash != by_name(a)["Shape.area.helper"].hash
    assert changed["main"].hash == by_name(a)["main"].hash
    assert content_hash("function", "f", "x") != content_hash("method", "f", "x")


JS = """// Adds.
function add(a, b) {
  return a + b;
}

class Counter {
  increment() {
    this.n += 1;
  }
}

const double = (x) => x * 2;
export function exported() {}
"""

TS = """export interface Point {
  x: number;
}

type Id = string;

enum Color { Red, Green }

export class Box<T> {
  get(): T {
    return this.value;
  }
}
"""

GO = """package geo

// Point is a point.
type Point struct {
\tX, Y int
}

type Shape interface {
\tArea() float64
}

func (p *Point) Move(dx int) {
\tp.X += dx
}

func Distance(a, b Point) int {
\treturn 0
}
"""

RUST = """/// A stack.
struct Stack {
    items: Vec<i32>,
}

impl Stack {
    fn push(&mut self, x: i32) {
        self.items.push(x);
    }
}

trait Shape {
    fn area(&self) -> f64;
}

mod util {
    pub fn helper() {}
}

fn main() {}
"""


@pytest.mark.parametrize(
    "path,text,expected",
    [
        ("a.js", JS, {"add": ("function", 2, 4), "Counter": ("class", 6, 10), "Counter.increment": ("method", 7, 9),
                      "double": ("function", 12, 12), "exported": ("function", 13, 13)}),
        ("a.ts", TS, {"Point": ("interface", 1, 3), "Id": ("type", 5, 5), "Color": ("enum", 7, 7),
                      "Box": ("class", 9, 13), "Box.get": ("method", 10, 12)}),
        ("a.tsx", TS, {"Point": ("interface", 1, 3), "Box.get": ("method", 10, 12)}),
        ("a.go", GO, {"Point": ("class", 4, 6), "Shape": ("interface", 8, 10), "Point.Move": ("method", 12, 14),
                      "Distance": ("function", 16, 18)}),
        ("a.rs", RUST, {"Stack": ("class", 2, 4), "Stack.push": ("method", 7, 9), "Shape": ("trait", 12, 14),
                        "Shape.area": ("method", 13, 13), "util": ("module", 16, 18),
                        "util.helper": ("function", 17, 17), "main": ("function", 20, 20)}),
    ],
)
def test_tree_sitter_languages(path, text, expected):
    chunks = chunk_file(path, text)
    # Rust: `struct Stack` and `impl Stack` share a name; the impl is checked apart.
    got = {c.name: (c.kind, c.start_line, c.end_line) for c in chunks if c.kind != "impl"}
    if path.endswith(".rs"):
        assert [(c.name, c.start_line, c.end_line) for c in chunks if c.kind == "impl"] == [("Stack", 6, 10)]
    for name, want in expected.items():
        assert got.get(name) == want, (name, got)


def test_doc_comments_count_as_docstrings():
    go = by_name(chunk_file("a.go", GO))
    assert go["Point"].docstring and not go["Distance"].docstring
    assert go["Point"].importance > go["Distance"].importance
    rs = [c for c in chunk_file("a.rs", RUST) if c.name == "Stack" and c.kind == "class"]
    assert "A stack" in rs[0].docstring
    js = by_name(chunk_file("a.js", JS))
    assert "Adds" in js["add"].docstring


def test_unparseable_and_other_text_become_windows():
    broken = "def f(:\n" + "    x = 1\n" * 600  # ~6,000 characters that do not parse
    chunks = chunk_file("broken.py", broken)
    assert all(c.kind == "text" and c.name == "<text>" for c in chunks)
    assert len(chunks) == 4  # windows start at 0, 1536, 3072, 4608
    assert len(chunks[0].content) == WINDOW
    assert chunks[1].content[:OVERLAP] == chunks[0].content[-OVERLAP:]
    assert chunks[0].start_line == 1
    # Line ranges are those the window touches.
    first_line_of_second = broken.count("\n", 0, WINDOW - OVERLAP) + 1
    assert chunks[1].start_line == first_line_of_second
    assert chunks[-1].end_line == broken.rstrip("\n").count("\n") + 1
    notes = chunk_file("README.md", "# Title\n\nSome words.\n")
    assert [(c.kind, c.start_line, c.end_line) for c in notes] == [("text", 1, 3)]
    assert chunk_file("empty.py", "") == []
    assert chunk_file("blank.txt", "\n\n  \n") == []


def test_containers_outline_their_members():
    chunks = by_name(chunk_file("s.py", PY))
    shape = chunks["Shape"]
    assert "def area(self):" in shape.content and "return helper()" not in shape.content
    assert '"""A shape."""' in shape.content and "..." in shape.content
    # A change inside a method never re-embeds its class.
    edited = by_name(chunk_file("s.py", PY.replace("return helper()", "return helper() + 1")))
    assert edited["Shape"].hash == shape.hash and edited["Shape.area"].hash != chunks["Shape.area"].hash
    rust = [c for c in chunk_file("a.rs", RUST) if c.kind == "impl"][0]
    assert "fn push(&mut self, x: i32) {" in rust.content and "self.items.push(x)" not in rust.content
    go_like = by_name(chunk_file("a.ts", TS))["Box"]
    assert "get(): T {" in go_like.content and "return this.value" not in go_like.content
