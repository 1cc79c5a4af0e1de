"""Incremental parsing (validation/incremental.py) against full parses.

The differential tests edit real files (a fixed, seeded sample of the
standard library) at random, with the characters that move statement
boundaries (quotes, brackets, colons, indentation, comment markers,
backslashes, decorators, imports), and require the spliced tree, and the
findings and confidence validated from it, and the node index that reuses
the last tree's statements, to equal a full parse's.
"""

from __future__ import annotations

import ast
import random
import sysconfig
from collections import defaultdict
from pathlib import Path

import pytest

from mycoder_lsp.code.parsing import all_nodes
from mycoder_lsp.validation.incremental import DocumentParses
from mycoder_lsp.validation.pipeline import validate_text
from mycoder_lsp.validation.source import NodeIndexMemo
from mycoder_lsp.validation.syntax import parse_python

# The sampled stdlib files have invalid escapes ("\\w" in docstrings): each parse would warn.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")

STDLIB = Path(sysconfig.get_paths()["stdlib"])

# Inserted at random places: what opens, closes or continues a statement.
PIECES = ['"', "'", '"""', "'''", "(", ")", "[", "]", "{", "}", ":", " ", "    ", "\t", "#", "\\", "\n",
          "\n    ", "x", " = 1", "else:\n", "@decorator\n", "import os\n", "from os import path\n",
          "from __future__ import annotations\n", "def f():\n", "    pass\n", "if x:\n", "lambda: 0", ";", "\\\n",
          "# comment\n", "f'{x}'", "1", "async ", "try:\n", "\r", "# \r"]


def sample_files(count: int, seed: int, max_lines: int = 1500) -> list[Path]:
    files = sorted(p for p in STDLIB.glob("*.py") if 80 < len(p.read_text(encoding="utf-8").split("\n")) < max_lines)
    return random.Random(seed).sample(files, count)


def random_edit(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    kind = rng.random()
    if kind < 0.15 and len(lines) > 2:  # delete a line
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines)
    if kind < 0.25:  # duplicate a line elsewhere
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
        return "\n".join(lines)
    if kind < 0.4 and text:  # delete a few characters
        at = rng.randrange(len(text))
        return text[:at] + text[at + rng.randint(1, 4):]
    if kind < 0.55:  # insert at the start of a line (a decorator, an import, an indent)
        index = rng.randrange(len(lines))
        lines[index] = rng.choice(PIECES) + lines[index]
        return "\n".join(lines)
    at = rng.randrange(len(text) + 1)
    return text[:at] + rng.choice(PIECES) + text[at:]


def dump(tree: ast.AST | None) -> str:
    return ast.dump(tree, include_attributes=True) if tree is not None else "<none>"


def index_of(tree: ast.AST) -> dict[type, list[ast.AST]]:
    found: dict[type, list[ast.AST]] = defaultdict(list)
    for node in all_nodes(tree):
        found[node.__class__].append(node)
    return found


def ids(index: dict[type, list[ast.AST]]) -> dict[type, list[int]]:
    return {kind: [id(node) for node in nodes] for kind, nodes in index.items()}


def test_spliced_trees_equal_full_parses() -> None:
    rng = random.Random(20261201)
    incremental = 0
    for number, path in enumerate(sample_files(30, seed=9)):
        base = path.read_text(encoding="utf-8")
        if number % 4 == 3:  # as a Windows editor sends it
            base = base.replace("\n", "\r\n")
        parses, nodes = DocumentParses(), NodeIndexMemo()
        parses.release(parses.parse(base, str(path))[0])
        for _ in range(40):
            edited = random_edit(base, rng)
            tree, error = parses.parse(edited, str(path))
            full, full_error = parse_python(edited, str(path))
            assert dump(tree) == dump(full), f"{path.name}: the splice differs from a full parse"
            assert error == full_error
            if tree is not None:  # the node index reusing the last tree's statements: all_nodes', in order
                assert ids(nodes.index(tree)) == ids(index_of(tree)), path.name
            parses.release(tree)
            if tree is not None:
                base = edited
            else:  # as after a fix in the editor: the last good text again, parsed in full
                parses.release(parses.parse(base, str(path))[0])
        incremental += parses.stats.incremental
    # Most random edits inside one statement splice; the rest exercise the fallbacks.
    assert incremental > 300


def test_incremental_findings_equal_full_validation(tmp_path: Path) -> None:
    rng = random.Random(7)
    incremental = 0
    for source in sample_files(6, seed=10, max_lines=900):
        path = tmp_path / source.name
        text = source.read_text(encoding="utf-8")
        parses = DocumentParses()
        validate_text(text, path=str(path), workspace_root=tmp_path, parses=parses)
        for number in range(8):
            edited = random_edit(text, rng)
            # Every other one as the modify path validates a candidate edit: against its original.
            original, instruction = (text, "tidy this up") if number % 2 else (None, None)
            got = validate_text(edited, path=str(path), workspace_root=tmp_path, parses=parses,
                                original=original, instruction=instruction)
            want = validate_text(edited, path=str(path), workspace_root=tmp_path,
                                 original=original, instruction=instruction)
            assert [(f.code, f.line, f.column, f.end_line, f.end_column, f.message, f.severity)
                    for f in got.findings] == \
                   [(f.code, f.line, f.column, f.end_line, f.end_column, f.message, f.severity)
                    for f in want.findings], source.name
            assert got.confidence == want.confidence
            if any(f.code == "MC101" for f in want.findings):
                parses.release(parses.parse(text, str(path))[0])  # the last good text again
            else:
                text = edited
        incremental += parses.stats.incremental
    assert incremental > 10


# -- the fallbacks, one by one ---------------------------------------------------------

BASE = "import os\n\n\ndef f(a):\n    if a:\n        return 1\n    return 2\n\n\nx = f(1)\n\n\nclass C:\n    y = 2\n"


def parsed_twice(second: str, first: str = BASE) -> DocumentParses:
    """A history that parsed ``first`` then ``second``; asserts the second tree is a full parse's."""
    parses = DocumentParses()
    parses.release(parses.parse(first, "m.py")[0])
    tree, error = parses.parse(second, "m.py")
    full, full_error = parse_python(second, "m.py")
    assert dump(tree) == dump(full)
    assert error == full_error
    parses.release(tree)
    return parses


def test_an_edit_inside_one_statement_parses_only_that_statement() -> None:
    parses = parsed_twice(BASE.replace("x = f(1)", "x = f(2) + f(3)"))
    assert (parses.stats.full, parses.stats.incremental) == (1, 1)


def test_lines_added_above_shift_the_statements_below() -> None:
    parses = parsed_twice(BASE.replace("x = f(1)\n", "x = f(1)\ny = [\n    1,\n]\n"))
    assert parses.stats.incremental == 1
    parses = parsed_twice(BASE.replace("    if a:\n        return 1\n", ""))
    assert parses.stats.incremental == 1


@pytest.mark.parametrize("second", [
    BASE.replace("x = f(1)\n", "else:\n    pass\nx = f(1)\n"),  # continues the statement before
    BASE.replace("x = f(1)\n", "    x = f(1)\n"),  # an indent joins the function above
    BASE.replace("x = f(1)\n", "x = f(1\n"),  # an open bracket runs into the class
    BASE.replace("x = f(1)\n", 'x = """\n') + '"""\n',  # a string that closes further down
    BASE.replace("\n\nclass C:", "\n@decorator\nclass C:"),  # a decorator for the statement below
    BASE.replace("x = f(1)\n", "from __future__ import annotations\nx = f(1)\n"),
    BASE.replace("x = f(1)\n", "x = f(1)\ry = 2\n"),  # a lone CR is a line break for ast, not for split("\n")
])
def test_edits_that_reach_past_their_statement_parse_the_whole_file(second: str) -> None:
    parses = parsed_twice(second)
    assert parses.stats.incremental == 0


def test_a_backslash_joining_the_next_statement_parses_the_whole_file() -> None:
    parses = parsed_twice("a = 1\nb = 2\n", "a = \\\nb = 2\n")
    assert parses.stats.incremental == 0
    parses = parsed_twice("a = \\\nb = 2\n", "a = 1\nb = 2\n")
    assert parses.stats.incremental == 0


def test_a_text_with_lone_cr_is_never_the_base_of_a_splice() -> None:
    # ast counts the lone CR as a line break, split("\n") does not: the next parse must not build on it
    # (found by tests/e2e/test_fuzz_documents.py, seed 2: the planted name was reported twice).
    head = "# \u00e9\nimport os\n"
    tail = ("# form\x0cf\U0001f600\x0b\x0c\u00e9xeed\ny = 1; z = zq_marker  # the planted finding\n"
            "print(os.sep)\n")
    parses = parsed_twice(head + "# \u2029\\\\\n" + tail, head + "# \x1e\\\\\r# \x0b\x85\n" + tail)
    assert parses.stats.incremental == 0


def test_future_import_removed_parses_the_whole_file() -> None:
    first = "from __future__ import annotations\n\nx: list[int] = []\n"
    parses = parsed_twice("x: list[int] = []\n", first)
    assert parses.stats.incremental == 0


def test_after_a_syntax_error_the_next_parse_builds_on_the_last_good_tree() -> None:
    parses = parsed_twice(BASE.replace("x = f(1)", "x = f(1"))  # typing: the bracket is not closed yet
    fixed = BASE.replace("x = f(1)", "x = f(1, 2)")
    tree, _ = parses.parse(fixed, "m.py")
    assert dump(tree) == dump(parse_python(fixed, "m.py")[0])
    assert (parses.stats.full, parses.stats.incremental) == (1, 1)


def test_a_tree_still_in_use_is_never_reused() -> None:
    parses = DocumentParses()
    first, _ = parses.parse(BASE, "m.py")
    before = dump(first)
    # Not released: a validation still reads it, so the next edit's parse must not shift its nodes.
    second, _ = parses.parse("\n\n" + BASE, "m.py")
    assert dump(first) == before and second is not first
    assert (parses.stats.full, parses.stats.incremental) == (2, 0)
