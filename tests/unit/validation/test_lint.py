from __future__ import annotations

from mycoder_lsp.config import Settings
from mycoder_lsp.validation.findings import Severity
from mycoder_lsp.validation.lint import PYFLAKES_CODES
from tests.unit.validation.conftest import codes


def by_code(result, code):
    return [f for f in result.findings if f.code == code]


def test_wildcard_import_range(check):
    (finding,) = by_code(check("from os.path import *\nprint(join)\n"), "MC301")
    assert (finding.line, finding.column, finding.end_column) == (0, 0, 21)
    assert finding.severity == Severity.WARNING


def test_line_over_100(check):
    line = "x = " + "1 + " * 30 + "1"
    (finding,) = by_code(check(line + "\n"), "MC302")
    assert finding.column == 100 and finding.end_column == len(line)


def test_undefined_name_is_an_error_on_the_name(check):
    (finding,) = by_code(check("def f():\n    return undefined_thing + 1\n"), "MC310")
    assert finding.severity == Severity.ERROR
    assert (finding.line, finding.column, finding.end_column) == (1, 11, 26)
    assert "undefined_thing" in finding.message


def test_unused_import_is_only_a_warning_on_the_name(check):
    (finding,) = by_code(check("import os\nfrom json import loads as parse\n"), "MC313")[:1]
    assert finding.severity == Severity.WARNING
    assert (finding.line, finding.column, finding.end_column) == (0, 7, 9)
    second = by_code(check("from json import loads as parse\n"), "MC313")[0]
    assert second.column == 26  # 'parse'


def test_redefinition_and_unused_variable(check):
    result = check("import os\nimport os\n\ndef f():\n    x = 1\n    return os\n")
    assert "MC315" in codes(result) and "MC314" in codes(result)
    assert all(f.severity == Severity.WARNING for f in result.findings if f.code in ("MC314", "MC315"))


def test_compile_time_errors_are_errors(check):
    result = check("def f(a, a):\n    pass\nreturn 1\n")
    assert {"MC319", "MC320"} <= set(codes(result))
    assert all(f.severity == Severity.ERROR for f in result.findings if f.code in ("MC319", "MC320"))


def test_undefined_name_in_dynamic_module_is_a_warning(check):
    result = check("globals().update({'X': 1})\nprint(X)\n")
    (finding,) = by_code(result, "MC310")
    assert finding.severity == Severity.WARNING


def test_undefined_name_expected_by_try_name_error(check):
    result = check("try:\n    unicode\nexcept NameError:\n    unicode = str\n")
    assert all(f.severity != Severity.ERROR for f in result.findings)


def test_column_after_non_ascii_text(check):
    (finding,) = by_code(check("s = 'ééé'; t = nope\n"), "MC310")
    assert finding.column == 15 and finding.end_column == 19


def test_every_code_is_unique_and_in_range():
    values = [code for code, _, _ in PYFLAKES_CODES.values()]
    assert len(values) == len(set(values))
    assert all(v.startswith("MC3") for v in values)


def test_pyflakes_can_be_turned_off(check):
    settings = Settings()
    settings.validation.lint.pyflakes = False
    assert "MC310" not in codes(check("print(nope)\n", settings=settings))


def test_name_bound_later_in_a_loop_is_only_a_warning(check):
    code = "def f(items):\n    for i in items:\n        if i:\n            print(conn)\n        conn = i\n"
    (finding,) = by_code(check(code), "MC310")
    assert finding.severity == Severity.WARNING


def test_pyflakes_alias_confusion_is_only_a_warning(check):
    code = "import datetime as datetime_module\nfrom datetime import datetime\n\ndef f():\n" \
           "    datetime = datetime_module\n    return datetime\n"
    result = check(code)
    assert [(f.code, f.severity) for f in result.findings] == [("MC311", Severity.WARNING)]


def test_names_deleted_at_module_level_or_installed_are_warnings(check):
    code = "def helper():\n    return 1\n\ndef user():\n    return helper()\n\nuser()\ndel helper\n"
    # pyflakes reports the use in user() because it checks bodies after the module ran
    found = by_code(check(code), "MC310")
    assert found and all(f.severity == Severity.WARNING for f in found)
    found = by_code(check("import gettext\ngettext.install('app')\nprint(_('hello'))\n"), "MC310")
    assert found and all(f.severity == Severity.WARNING for f in found)
