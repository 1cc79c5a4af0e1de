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
