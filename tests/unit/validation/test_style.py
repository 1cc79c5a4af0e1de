from __future__ import annotations

from mycoder_lsp.config import Settings
from mycoder_lsp.validation.findings import Severity
from tests.unit.validation.conftest import codes


def test_bad_indentation_is_a_warning_with_the_indent_range(check):
    result = check("def f():\n   return 1\n")
    (finding,) = [f for f in result.findings if f.code == "MC201"]
    assert (finding.line, finding.column, finding.end_column) == (1, 0, 3)
    assert finding.severity == Severity.WARNING


def test_mixed_tabs_and_spaces(check):
    result = check("if True:\n    x = 1\n    if x:\n    \t    y = 2\n")
    assert "MC202" in codes(result)
    assert all(f.severity != Severity.ERROR for f in result.findings if f.code.startswith("MC2"))


def test_trailing_whitespace_range(check):
    result = check("x = 1   \ny = 2\n")
    (finding,) = [f for f in result.findings if f.code == "MC203"]
    assert (finding.line, finding.column, finding.end_column) == (0, 5, 8)
    assert finding.severity == Severity.INFORMATION


def test_long_line_over_79(check):
    line = "x = '" + "a" * 80 + "'"
    result = check(line + "\n")
    (finding,) = [f for f in result.findings if f.code == "MC204"]
    assert (finding.column, finding.end_column) == (79, len(line))
    assert finding.severity == Severity.INFORMATION


def test_multiline_string_content_is_not_layout(check):
    code = 'def f():\n    text = """\n   three spaces   \n\tand a tab \n"""\n    return text\n'
    result = check(code)
    assert not [c for c in codes(result) if c in ("MC201", "MC202", "MC203")]


def test_continuation_lines_may_align_with_brackets(check):
    code = "result = dict(a=1,\n              b=2)\n"
    assert "MC201" not in codes(check(code))


def test_rules_are_configurable(check):
    settings = Settings()
    settings.validation.style.indent_size = 2
    settings.validation.style.trailing_whitespace = False
    settings.validation.style.max_line_length = 0
    result = check("def f():\n  return 1  \n" + "x = 1" + " " * 0 + "#" * 90 + "\n", settings=settings)
    assert not [c for c in codes(result) if c.startswith("MC2")]
    settings.validation.style.enabled = False
    assert "MC201" not in codes(check("def f():\n   return 1\n", settings=settings))


def test_ignore_setting_drops_codes(check):
    settings = Settings()
    settings.validation.ignore = ["MC203"]
    assert "MC203" not in codes(check("x = 1 \n", settings=settings))


def test_function_indented_with_tabs_in_a_file_of_spaces(check):
    code = ("def area(w, h):\n    return w * h\n\n\ndef volume(w, h, d):\n    return w * h * d\n\n\n"
            "def perimeter(w, h):\n\ttotal = 2 * (w + h)\n\treturn total\n")
    result = check(code)
    (finding,) = [f for f in result.findings if f.code == "MC205"]
    assert (finding.line, finding.column, finding.end_column) == (9, 0, 1)  # its first indented line
    assert finding.severity == Severity.WARNING
    assert "'perimeter' is indented with tabs, the rest of this file with spaces" in finding.message
    assert "MC202" not in codes(result)  # no indent mixes both characters


def test_spaces_block_in_a_file_of_tabs_names_the_other_way(check):
    code = "def a():\n\tx = 1\n\treturn x\n\n\ndef b():\n\treturn 2\n\n\nif __name__ == '__main__':\n    a()\n"
    (finding,) = [f for f in check(code).findings if f.code == "MC205"]
    assert finding.line == 10
    assert "This block is indented with spaces, the rest of this file with tabs" in finding.message


def test_one_indent_style_per_file_is_clean(check):
    tabs = "def area(w, h):\n\treturn w * h\n\n\ndef perimeter(w, h):\n\treturn 2 * (w + h)\n"
    in_string = 'def usage():\n    text = """\n\tname\tdescription\n"""\n    return text\n'
    for code in (tabs, in_string, "x = '\\t'\ndef f():\n    return x\n"):
        assert "MC205" not in codes(check(code))
    settings = Settings()
    settings.validation.style.mixed_indentation = False  # MC205 is a kind of mixed indentation
    assert "MC205" not in codes(check("def a():\n    return 1\n\n\ndef b():\n\treturn 2\n", settings=settings))
