"""code/parsing.py: the shared parse for readers of a document's tree."""

from __future__ import annotations

import ast

import pytest

from mycoder_lsp.code import parsing
from mycoder_lsp.validation.incremental import DocumentParses


def test_the_same_text_is_parsed_once_and_the_last_two_are_kept() -> None:
    first, second, third = "a = 1\n", "b = 2\n", "c = 3\n"
    tree = parsing.parse_shared(first)
    assert parsing.parse_shared(first) is tree
    assert ast.dump(tree) == ast.dump(ast.parse(first))
    parsing.parse_shared(second)
    parsing.parse_shared(third)  # first is now the oldest of three: dropped
    assert parsing.parse_shared(first) is not tree


def test_errors_are_raised_and_large_texts_not_kept() -> None:
    with pytest.raises(SyntaxError):
        parsing.parse_shared("def f(:\n")
    large = "x = 1\n" * (parsing._SHARED_MAX_CHARS // 6 + 1)
    assert parsing.parse_shared(large) is not parsing.parse_shared(large)


def test_the_incremental_parse_never_gets_a_shared_tree() -> None:
    """It shifts its trees' line numbers in place: a shared tree would move under its other readers."""
    text = "import os\n\n\ndef f():\n    return os.sep\n"
    shared = parsing.parse_shared(text)
    tree, _ = DocumentParses().parse(text, "m.py")
    assert tree is not shared
