"""The symbol table and the vault's chunks name the same definitions.

Hover, routing's targets and edits look a name up in the symbols of the open
document; the vault's neighbours and learned patterns look the same name up
in its chunks. Each file of tests/data/code_corpus/ (Python, JavaScript,
TypeScript, TSX, Go, Rust) must give the same qualified names, kinds and
lines both ways, and the names listed here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mycoder_lsp.code.languages import language_for_path
from mycoder_lsp.code.symbols import TREE_SITTER_LANGUAGES, document_symbols, symbol_query
from mycoder_lsp.memory.chunking import chunk_file

CORPUS = Path(__file__).resolve().parents[2] / "data" / "code_corpus"
FILES = sorted(p.name for p in CORPUS.iterdir() if language_for_path(p.name))

EXPECTED = {
    "shapes.py": {
        "register", "Square", "Square.__init__", "Square.__repr__", "Square.area", "Square.corners",
        "Square.corners.corner", "Square.Meta", "Square.Meta.label", "load", "load.one", "fast_area",
    },
    "widgets.js": {
        "add", "ids", "double",
        # export default class extends HTMLElement { ... }: the export's name
        "default", "default.connectedCallback",
        "Counter", "Counter.increment", "Counter.reset", "Counter.reset.zero",
        # methods of an object literal, qualified by its variable
        "api.get", "api.post", "api.nested.remove",
    },
    "service.ts": {
        "Point", "Id", "Color", "logged",
        # namespaces qualify what they hold
        "Geometry", "Geometry.distance", "Geometry.Units", "Geometry.Units.Meter",
        "Geometry.Units.Meter.constructor", "Geometry.Units.Meter.toFeet",
        # export default class Service
        "Service", "Service.find", "Service.handle",
        "Repository", "Repository.load", "Repository.save", "Repository.save.check",
        "handlers.onOpen", "handlers.onClose",
    },
    "view.tsx": {"Props", "default", "Badge", "Badge.upper", "Panel", "Panel.render"},
    # every spec of the grouped `type ( ... )`
    "shop.go": {"Order", "Item", "Pricer", "Cents", "Alias", "Store", "Order.Total", "Store.Len", "Cents.String",
                "New"},
    "stack.rs": {
        "Stack", "Stack.push", "Stack.peek", "Stack.peek.last", "Shape", "Shape.area", "Shape.fmt",
        "Area", "Area.area", "Area.describe", "Result", "square", "util", "util.helper",
    },
}


def _read(name: str) -> tuple[str, str]:
    language = language_for_path(name)
    assert language is not None
    return (CORPUS / name).read_text(encoding="utf-8"), language


def test_the_corpus_has_every_language():
    assert {language_for_path(name) for name in FILES} == {"python", "javascript", "typescript", "tsx", "go",
                                                            "rust"}
    assert set(FILES) == set(EXPECTED)


def test_every_tree_sitter_language_has_its_query():
    # The queries are package data: a language without one would have no symbols and no chunks.
    assert set(TREE_SITTER_LANGUAGES) == {"javascript", "typescript", "tsx", "go", "rust"}
    assert all(symbol_query(language) is not None for language in TREE_SITTER_LANGUAGES)


@pytest.mark.parametrize("name", FILES)
def test_symbols_and_chunks_name_the_same_definitions(name):
    text, language = _read(name)
    symbols = {s.qualname for s in document_symbols(text, language)}
    chunks = {c.name for c in chunk_file(name, text) if c.name not in ("<module>", "<text>")}
    assert chunks == symbols, (sorted(symbols - chunks), sorted(chunks - symbols))
    assert symbols == EXPECTED[name], (sorted(EXPECTED[name] - symbols), sorted(symbols - EXPECTED[name]))


@pytest.mark.parametrize("name", FILES)
def test_each_symbol_is_one_chunk_with_its_kind_and_lines(name):
    text, language = _read(name)
    symbols = sorted((s.qualname, s.kind, s.start_line + 1, s.end_line + 1) for s in document_symbols(text, language))
    chunks = sorted((c.name, c.kind, c.start_line, c.end_line) for c in chunk_file(name, text) if c.name != "<module>")
    assert chunks == symbols


def test_grouped_go_types_are_one_symbol_each():
    text, language = _read("shop.go")
    by_name = {s.qualname: s for s in document_symbols(text, language)}
    assert [(n, by_name[n].kind) for n in ("Order", "Item", "Pricer", "Cents")] == [
        ("Order", "class"), ("Item", "class"), ("Pricer", "interface"), ("Cents", "type")]
    order = by_name["Order"]
    assert text.splitlines()[order.start_line].strip() == "Order struct {"
    assert order.docstring == "Order is one order."
    assert by_name["Store.Len"].parent == "Store"  # a generic receiver: Store[T]


def test_the_module_chunk_holds_only_what_no_symbol_covers():
    text, _ = _read("widgets.js")
    (module,) = [c for c in chunk_file("widgets.js", text) if c.name == "<module>"]
    assert "const DEFAULT_SIZE = 3;" in module.content and "module.exports" in module.content
    assert "fetch(url)" not in module.content and "return a + b" not in module.content
    assert "Adds two numbers" not in module.content  # add's doc comment is add's
    text, _ = _read("shapes.py")
    (module,) = [c for c in chunk_file("shapes.py", text) if c.name == "<module>"]
    assert "REGISTRY" in module.content and "except ImportError:" in module.content
    assert "return side * side" not in module.content  # the fallback under `except` has its own chunk
