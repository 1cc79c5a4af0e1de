"""pyflakes with a memo of the last version (validation/flakes.py) against
pyflakes run whole.

Every case compares the messages to a plain ``pyflakes.checker.Checker`` on
the same text, and says how many function bodies must have been replayed,
so a memo that never replays (or always does) fails. The cases are the
ways a function body or a class statement reaches outside itself: module
names it uses, imports it shadows, names added or removed at module level
(and, for a class, bound before or after it), ``global``, wildcard imports,
messages that quote another line. The differential test edits a
seeded sample of the standard library at random inside and between
functions.
"""

from __future__ import annotations

import ast
import random
import textwrap

import pytest
from pyflakes import checker

from mycoder_lsp.validation.flakes import FlakesMemo, check
from tests.unit.validation.test_incremental import sample_files

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")


def messages(found: list) -> list[tuple]:
    return sorted((type(m).__name__, m.lineno, m.col, tuple(map(str, m.message_args))) for m in found)


def both(text: str, memo: FlakesMemo) -> tuple[list[tuple], list[tuple]]:
    text = textwrap.dedent(text)
    full = checker.Checker(ast.parse(text), filename="m.py").messages
    got = check(ast.parse(text), "m.py", text.split("\n"), memo)
    return messages(full), messages(got)


def replays(memo: FlakesMemo, *versions: str) -> list[int]:
    """Check each version in turn; the function bodies and top-level
    classes replayed by each."""
    counts = []
    for text in versions:
        before = memo.stats.replayed + memo.stats.statements
        full, got = both(text, memo)
        assert got == full, text
        counts.append(memo.stats.replayed + memo.stats.statements - before)
    return counts


def test_an_import_used_only_in_an_unchanged_function_stays_used() -> None:
    v1 = """
        import os

        def f():
            return os.sep

        def g():
            return 1
        """
    v2 = v1.replace("return 1", "return 2")
    v3 = v2.replace("return os.sep", "return ''")  # now os is unused
    memo = FlakesMemo()
    assert replays(memo, v1, v2, v3) == [0, 1, 1]
    assert [m[0] for m in both(v3, memo)[1]] == ["UnusedImport"]


def test_messages_move_with_their_function() -> None:
    v1 = """
        def f():
            x = 1
            return missing
        """
    v2 = "\n\n# a comment\n" + textwrap.dedent(v1)
    memo = FlakesMemo()
    assert replays(memo, v1, v2) == [0, 1]
    assert [(m[0], m[1]) for m in both(v2, memo)[1]] == [("UndefinedName", 7), ("UnusedVariable", 6)]


def test_a_name_defined_at_module_level_reaches_unchanged_functions() -> None:
    v1 = """
        def f():
            return helper()
        """
    v2 = textwrap.dedent(v1) + "\ndef helper():\n    return 1\n"
    v3 = textwrap.dedent(v1)
    memo = FlakesMemo()
    assert replays(memo, v1, v2, v3) == [0, 0, 0]  # the module's names changed: read again
    assert replays(memo, v3) == [1]


def test_a_function_shadowing_an_import_is_always_read() -> None:
    v1 = """
        import os

        def f():
            os = 1
            return os

        def g():
            return 1
        """
    v2 = textwrap.dedent(v1) + "# the end\n"
    memo = FlakesMemo()
    assert replays(memo, v1, v2) == [0, 1]  # g only: f's shadowing is noted on the import
    assert "RedefinedWhileUnused" in [m[0] for m in both(v2, memo)[1]]


def test_a_message_quoting_a_module_line_is_not_replayed() -> None:
    v1 = """
        value = 1

        def f():
            print(value)
            value = 2
        """
    v2 = "\n\n" + textwrap.dedent(v1)
    memo = FlakesMemo()
    assert replays(memo, v1, v2) == [0, 0]
    assert [m[:2] for m in both(v2, memo)[1]] == [("UndefinedLocal", 7), ("UnusedVariable", 8)]


def test_global_and_wildcard_imports_read_everything() -> None:
    with_global = """
        counter = 0

        def bump():
            global counter
            counter += 1

        def read():
            return counter
        """
    wildcard = """
        from os.path import *

        def f():
            return join("a", "b")
        """
    memo = FlakesMemo()
    assert replays(memo, with_global, with_global.replace("+= 1", "+= 2")) == [0, 0]
    # A global added to one function of a module replayed until then: the
    # other function's undefined name is no longer one.
    before = """
        def bump():
            return 1

        def read():
            return counter
        """
    memo = FlakesMemo()
    assert replays(memo, before, before + "# the end\n") == [0, 2]
    assert both(before.replace("return 1", "global counter; counter = 1"), memo) == ([], [])
    assert replays(memo, wildcard, wildcard.replace('"b"', '"c"')) == [0, 0]


def test_methods_nested_functions_and_identical_bodies() -> None:
    v1 = """
        import json

        class A:
            def load(self, text):
                def inner():
                    return json.loads(text) + undefined_a
                return inner

        class B:
            def load(self, text):
                def inner():
                    return json.loads(text) + undefined_a
                return inner

        def main():
            pass
        """
    v2 = v1.replace("pass", "return 0")
    memo = FlakesMemo()
    assert replays(memo, v1, v2) == [0, 2]
    assert [m[:2] for m in both(v2, memo)[1]] == [("UndefinedName", 7), ("UndefinedName", 13)]


def test_a_class_attribute_is_not_visible_to_its_methods() -> None:
    v1 = """
        class A:
            size = 1

            def grow(self):
                return size
        """
    v2 = v1.replace("size = 1", "size = 2")
    memo = FlakesMemo()
    assert replays(memo, v1, v2) == [0, 1]
    assert [m[0] for m in both(v2, memo)[1]] == ["UndefinedName"]


def test_a_class_sees_only_what_is_bound_before_it() -> None:
    """The module level is read in order: the same names in another order
    change what a class statement finds, though its text is the same."""
    v1 = """
        class A(Base):
            pass

        Base = object
        """
    v2 = """
        Base = object

        class A(Base):
            pass
        """
    memo = FlakesMemo()
    assert replays(memo, v1, v1 + "# the end\n", v2) == [0, 1, 0]
    assert both(v2, memo)[1] == []


def test_a_function_statement_sees_only_what_is_bound_before_it() -> None:
    """Decorators and defaults are read at the module level, in order."""
    v1 = """
        @decorate
        def f(limit=LIMIT):
            return limit

        def decorate(fn):
            return fn

        LIMIT = 3
        """
    v2 = """
        def decorate(fn):
            return fn

        LIMIT = 3

        @decorate
        def f(limit=LIMIT):
            return limit
        """
    memo = FlakesMemo()
    # v2: f's statement is read again (what its decorator and default find
    # changed), its body and decorate's statement are replayed.
    assert replays(memo, v1, v1 + "# the end\n", v2) == [0, 2, 2]
    assert both(v2, memo)[1] == []
    assert [m[0] for m in both(v1, FlakesMemo())[1]] == ["UndefinedName", "UndefinedName"]


def test_a_new_module_name_reads_the_replayed_classes_again() -> None:
    """A class is replayed before the module's final names are known; when
    they turn out changed, its methods may see them: the check is redone."""
    v1 = """
        class A:
            def f(self):
                return helper()
        """
    v2 = textwrap.dedent(v1) + "\ndef helper():\n    return 1\n"
    memo = FlakesMemo()
    assert replays(memo, v1, v2, v2 + "# the end\n") == [0, 0, 2]
    assert both(v2, memo)[1] == []


def test_an_import_used_only_by_a_replayed_classs_method_stays_used() -> None:
    v1 = """
        import json

        class A:
            def load(self, text: str) -> dict:
                return json.loads(text)

        def main():
            return 1
        """
    v2 = v1.replace("return 1", "return 2")
    v3 = v2.replace("json.loads(text)", "{}")
    memo = FlakesMemo()
    assert replays(memo, v1, v2, v3) == [0, 1, 1]  # the class, then main
    assert [m[0] for m in both(v3, memo)[1]] == ["UnusedImport"]


def test_a_class_binding_a_name_the_module_imports_is_always_read() -> None:
    v1 = """
        import os

        class A:
            os = 1

        def main():
            return 1
        """
    v2 = v1.replace("return 1", "return 2")
    memo = FlakesMemo()
    assert replays(memo, v1, v2) == [0, 0]
    assert "RedefinedWhileUnused" in [m[0] for m in both(v2, memo)[1]]


def random_edit(lines: list[str], rng: random.Random) -> list[str]:
    """An edit that usually still parses: a statement added, removed or
    changed inside or between functions."""
    lines = list(lines)
    at = rng.randrange(len(lines))
    indent = " " * (len(lines[at]) - len(lines[at].lstrip()))
    kind = rng.random()
    if kind < 0.45:
        lines.insert(at, indent + rng.choice([
            "undefined_{n} = 1", "print(os, sys)", "import json", "os = 3", "x_{n} = [y for y in range({n})]",
            "del x_{n}", "return missing_{n}", "def helper_{n}(): return helper_{n}", "__all__ = ['nothing']",
        ]).format(n=rng.randrange(3)))
    elif kind < 0.75:
        del lines[at]
    else:
        lines[at] = lines[at].replace("self", "slf", 1)
    return lines


def test_random_edits_to_the_standard_library_match_pyflakes() -> None:
    rng = random.Random(20261202)
    replayed = checked = 0
    for path in sample_files(12, seed=7):
        lines = path.read_text(encoding="utf-8").split("\n")
        memo = FlakesMemo()
        for step in range(10):
            for _ in range(20 if step else 0):  # a few tries for an edit that parses
                candidate = random_edit(lines, rng)
                try:
                    ast.parse("\n".join(candidate))
                except SyntaxError:
                    continue
                lines = candidate
                break
            text = "\n".join(lines)
            full = checker.Checker(ast.parse(text), filename=str(path)).messages
            got = check(ast.parse(text), str(path), lines, memo)
            assert messages(got) == messages(full), f"{path.name}, edit {step}"
            checked += 1
        replayed += memo.stats.replayed + memo.stats.statements
    assert checked == 120
    assert replayed > 300  # most bodies and classes were replayed, not read


def test_a_pyflakes_whose_internals_moved_is_run_whole(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """The memo reads pyflakes internals (its deferred closures, scope
    attributes): if a release moves them, checks fall back to pyflakes whole,
    with one warning, never to no findings."""
    from mycoder_lsp.validation import flakes

    class Moved:
        def __init__(self, *args: object) -> None:
            raise AttributeError("'ModuleScope' object has no attribute '_annotations_future_enabled'")

    monkeypatch.setattr(flakes, "_checker_class", lambda: Moved)
    monkeypatch.setattr(flakes, "_warned", [])
    memo = FlakesMemo()
    text = "import os\n\ndef f():\n    return missing\n"
    for _ in range(2):
        full, got = both(text, memo)
        assert got == full and [m[0] for m in got] == ["UndefinedName", "UnusedImport"]
    assert memo._get() is None
    assert sum("checking whole modules" in r.getMessage() for r in caplog.records) == 1
