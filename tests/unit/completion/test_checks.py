"""The checks a suggestion passes before it is shown (pure functions)."""

from __future__ import annotations

from pathlib import Path

from mycoder_lsp.completion.checks import (
    breaks_syntax,
    check_suggestion,
    cut_to_lines,
    far_syntax_error,
    fix_indentation,
    indent_unit,
    trim_repetition,
    unresolved_import,
)

BODY = "def f(items):\n    total = 0\n    for item in items:\n        "
AFTER = "\n    return total\n"


def check(middle: str, before: str = BODY, after: str = AFTER, **kw: object):
    options = dict(language="python", max_lines=3, unit="    ", path="", root=None)
    options.update(kw)
    return check_suggestion(middle, before=before, after=after, **options)  # type: ignore[arg-type]


def test_inside_a_line_only_the_rest_of_the_line() -> None:
    assert cut_to_lines("x, y)\n    z = 1", ")\n", 3) == "x, y)"
    assert cut_to_lines("a\nb\nc\nd\n", "\n", 3) == "a\nb\nc"
    assert cut_to_lines("a\n\n\n", "\n", 3) == "a"


def test_repeating_the_code_after_the_cursor_is_cut() -> None:
    assert trim_repetition("total += item\n    return total", AFTER) == ("total += item", False)
    assert trim_repetition("return total", "\n    return total\n") == ("", True)
    assert check("    return total").dropped == "repeats_suffix"
    assert check("total += item\n    return total").text == "total += item"


def test_the_rest_of_the_line_typed_again_replaces_it() -> None:
    checked = check("x)", before="print(", after=")\n")
    assert checked.text == "x)" and checked.replaces_rest_of_line
    assert check("x", before="print(", after=")\n").replaces_rest_of_line is False
    assert check(")", before="print(x", after=")\n").dropped == "repeats_suffix"


def test_indentation_fixed_to_the_block() -> None:
    # The cursor already stands at the body's indentation; the model indents again.
    assert fix_indentation("    total += item\n    print(item)", BODY, "    ") == "total += item\nprint(item)"
    # After a line that opens a block one step in is right.
    assert fix_indentation("    return 1", "def g():\n", "    ") == "    return 1"
    # Tabs from the model become the file's spaces.
    assert fix_indentation("if x:\n\tpass", BODY, "    ") == "if x:\n    pass"
    assert indent_unit("def f():\n  return 1\n") == "  "
    assert indent_unit("def f():\n\treturn 1\n") == "\t"


def test_a_suggestion_that_breaks_the_syntax_is_trimmed_or_dropped() -> None:
    assert breaks_syntax("x = ", "(1, ", "\n", "python")
    assert not breaks_syntax("x = ", "(1, 2)", "\n", "python")
    # A block cut short by max_lines: the complete lines stay.
    checked = check("total += item\n        y = [1,\n        2", max_lines=3)
    assert checked.text == "total += item" and checked.trimmed == "syntax"
    assert check("total += )(").dropped == "syntax"


def test_a_suggestion_that_opens_a_block_is_not_a_syntax_error() -> None:
    assert not breaks_syntax("def f():\n    ", "if total > 10:", "\n", "python")
    assert not breaks_syntax("function f() {\n  ", "if (x) {", "\n}\n", "javascript")


def test_errors_elsewhere_in_the_file_do_not_count() -> None:
    # A broken line below the cursor was there before the suggestion.
    assert not breaks_syntax("x = ", "1", "\ny = (\n", "python")


def test_an_invented_import_is_dropped(tmp_path: Path) -> None:
    assert unresolved_import("import os\nimport json", str(tmp_path / "m.py"), tmp_path) is None
    assert unresolved_import("import zzqx_no_such_module", str(tmp_path / "m.py"), tmp_path) == "zzqx_no_such_module"
    (tmp_path / "localmod.py").write_text("X = 1\n")
    assert unresolved_import("from localmod import X", str(tmp_path / "m.py"), tmp_path) is None
    checked = check("import zzqx_no_such_module", before="", after="\n", path=str(tmp_path / "m.py"), root=tmp_path)
    assert checked.dropped == "import"


def test_only_a_syntax_error_far_above_the_cursor_stops_a_request() -> None:
    broken = "def f(:\n    pass\n" + "x = 1\n" * 10
    assert far_syntax_error(broken + "y = ", "python", 12)
    # The half-typed line at the cursor, and an open bracket above it, are the typing itself.
    assert not far_syntax_error("x = 1\n" * 10 + "y = foo(", "python", 10)
    assert not far_syntax_error("x = 1\n" * 10 + "y = foo(\n" + "    a,\n" * 8 + "    ", "python", 19)
    assert not far_syntax_error("def f(:\n    pass\nx = ", "python", 2)


def test_empty_is_dropped() -> None:
    assert check("   \n  ").dropped == "empty"


def test_an_import_in_a_string_is_text_and_lines_before_an_invented_import_stay(tmp_path: Path) -> None:
    path = str(tmp_path / "m.py")
    # Seen in the benchmark: a test's source in a triple-quoted string; the
    # first line, exactly right, was dropped for the "import" inside the string.
    before = "def test_it():\n    "
    middle = 'flakes("""\n        import foo_bar_nowhere\n    """)'
    checked = check(middle, before=before, after="\n", path=path, root=tmp_path, max_lines=3)
    assert checked.dropped == "" and checked.text.startswith('flakes("""')
    # A real invented import after a good line: the good line is kept.
    checked = check("x = 1\nimport zzqx_no_such_module", before="", after="\n", path=path, root=tmp_path, max_lines=3)
    assert (checked.text, checked.trimmed, checked.dropped) == ("x = 1", "import", "")
