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


def test_redundant_alias_is_a_re_export_not_unused(check):
    result = check("from .x import A as A\nimport os as os\nfrom json import loads as loads\n")
    assert by_code(result, "MC313") == []
    # `import a.b as b` is not the typing spec's re-export form (ruff reports it too)
    (finding,) = by_code(check("import os.path as path\n"), "MC313")
    assert "os.path" in finding.message


def test_imports_in_a_stub_are_not_unused(check):
    assert by_code(check("import os\nfrom typing import Any\n", name="mod.pyi"), "MC313") == []
    assert by_code(check("import os\n", name="mod.py"), "MC313")


def test_relative_imports_in_a_package_init_are_its_api(check):
    assert by_code(check("from .core import run\nfrom . import helpers\n", name="__init__.py"), "MC313") == []
    # an absolute import is not an export
    (finding,) = by_code(check("import os\nfrom .core import run\n", name="__init__.py"), "MC313")
    assert finding.line == 0
    # with a literal __all__, the names it leaves out are unused
    (finding,) = by_code(check("from .core import run, walk\n__all__ = ['run']\n", name="__init__.py"), "MC313")
    assert "walk" in finding.message
    # an __all__ pyflakes cannot read says nothing: the imports are exports
    code = "from .core import run\nfrom . import core\n__all__ = core.__all__ + ['run']\n"
    assert by_code(check(code, name="__init__.py"), "MC313") == []


def severities(result, code="MC310"):
    return [(f.line, f.severity) for f in by_code(result, code)]


def test_exec_with_its_own_namespace_defines_nothing(check):
    code = "def run(src):\n    ns = {}\n    exec(src, ns)\n    return ns\n\ndef f():\n    return undefined_thing\n"
    assert severities(check(code)) == [(6, Severity.ERROR)]
    # at module level without a namespace it may define anything from there on
    code = "print(before)\nexec(open('x').read())\nprint(after)\n"
    assert severities(check(code)) == [(0, Severity.ERROR), (2, Severity.WARNING)]


def test_globals_update_with_unknown_names_covers_later_lines_and_functions(check):
    code = "print(BEFORE)\nglobals().update(TABLE_FROM_ELSEWHERE)\nprint(AFTER)\n\ndef f():\n    return LATER\n"
    result = check(code)
    assert severities(result) == [
        (0, Severity.ERROR), (1, Severity.ERROR), (2, Severity.WARNING), (5, Severity.WARNING)]
    assert "line 2 defines names at run time" in by_code(result, "MC310")[2].message


def test_globals_with_names_spelled_out_covers_only_those(check):
    code = "globals()['X'] = 1\nglobals().update({'Y': 2}, Z=3)\nprint(X, Y, Z)\nprint(W)\n"
    assert severities(check(code)) == [
        (2, Severity.WARNING), (2, Severity.WARNING), (2, Severity.WARNING), (3, Severity.ERROR)]
    # a namespace reached through another name may get any name
    assert severities(check("g = globals()\ng['a' + 'b'] = 1\nprint(W)\n")) == [(2, Severity.WARNING)]


def test_gettext_install_and_builtins_define_only_their_names(check):
    result = check("import gettext\ngettext.install('app')\nprint(_('hello'), nope)\n")
    assert [(f.message.split("'")[1], f.severity) for f in by_code(result, "MC310")] == [
        ("_", Severity.WARNING), ("nope", Severity.ERROR)]
    result = check("import builtins\nbuiltins.tr = str\nprint(tr('x'), nope)\n")
    assert [(f.message.split("'")[1], f.severity) for f in by_code(result, "MC310")] == [
        ("tr", Severity.WARNING), ("nope", Severity.ERROR)]


def test_locals_in_a_function_defines_nothing_but_enum_convert_does(check):
    code = "def f(d):\n    locals().update(d)\n    return missing\n"
    assert severities(check(code)) == [(2, Severity.ERROR)]
    code = "import enum\nenum.IntEnum._convert_('Sig', __name__, lambda n: n.startswith('SIG'))\nprint(SIGINT)\n"
    assert severities(check(code)) == [(2, Severity.WARNING)]


def test_python_2_builtins_under_a_version_guard_are_warnings(check):
    code = "import sys\nif sys.version_info[0] < 3:\n    text_type = unicode\nelse:\n    text_type = str\n"
    assert severities(check(code)) == [(2, Severity.WARNING)]
    assert severities(check("text_type = unicode\n")) == [(0, Severity.ERROR)]


def test_strings_of_literal_imported_under_another_name_are_not_names(check):
    code = "from typing import Literal as L\n\nOrder = L[\n    'big', 'little',\n]\nx: L['S'] = 'S'\n" \
           "y: L['<u2', ''] = ''\n"
    assert [f.code for f in check(code).findings if f.code.startswith("MC3")] == []
    assert severities(check("from typing import List as L\nx: L['Missing'] = []\n")) == [(1, Severity.ERROR)]


def test_name_probed_with_try_name_error_is_guarded_later(check):
    code = "def in_ipython():\n    try:\n        get_ipython\n    except NameError:\n        return False\n" \
           "    return get_ipython() is not None\n"
    assert severities(check(code)) == [(5, Severity.WARNING)]


def test_a_stub_may_use_a_class_before_defining_it(check):
    code = "class A:\n    def f(self) -> B: ...\n    x: list[B]\n\nclass B: ...\n"
    assert by_code(check(code, name="mod.pyi"), "MC310") == []
    assert severities(check("def f() -> Missing: ...\n", name="mod.pyi")) == [(0, Severity.ERROR)]


def test_name_error_caught_by_except_exception_or_marked_for_the_type_checker(check):
    code = "def hook():\n    try:\n        ip = get_ipython()\n    except Exception:\n        return None\n" \
           "    return ip\n"
    assert severities(check(code)) == [(2, Severity.WARNING)]
    code = "x = reveal_locals()  # type: ignore[name-defined]\ny = missing\n"
    assert severities(check(code)) == [(0, Severity.WARNING), (1, Severity.ERROR)]
    # other handlers do not excuse it
    code = "try:\n    ip = get_ipython()\nexcept ImportError:\n    ip = None\n"
    assert severities(check(code)) == [(1, Severity.ERROR)]


def test_underscore_locals_are_meant_unused(check):
    code = "def f():\n    __traceback_hide__ = True\n    _rich_traceback_guard = True\n    value = 1\n"
    assert [f.message.split("'")[1] for f in by_code(check(code), "MC314")] == ["value"]


def test_overloads_in_a_stub_are_not_redefinitions(check):
    code = "from typing import overload\nfrom .x import frozen\n\ndef frozen(a: int) -> int: ...\n"
    assert by_code(check(code, name="mod.pyi"), "MC315") == []
    assert by_code(check(code, name="mod.py"), "MC315")


def test_only_the_branch_for_another_python_is_excused(check):
    code = "import sys\nif sys.version_info >= (4, 0):\n    m = frozendict\nelse:\n    m = missing_here\n"
    assert severities(check(code)) == [(2, Severity.WARNING), (4, Severity.ERROR)]
    code = "import sys\nif sys.version_info[:2] < (3, 0) or sys.hexversion < 0x3000000:\n    t = unicode\n"
    assert severities(check(code)) == [(2, Severity.WARNING)]


def test_star_imports_in_a_package_init_are_its_api(tmp_path):
    from mycoder_lsp.validation.pipeline import validate_text

    code = "from .core import *\nfrom pkg.more import *\n"
    init = validate_text(code, path=str(tmp_path / "pkg" / "__init__.py"))
    assert [(f.code, f.severity.label) for f in init.findings if f.code.startswith("MC3")] == [
        ("MC301", "information"), ("MC301", "information")]
    module = validate_text(code.replace(".core", "os"), path=str(tmp_path / "pkg" / "m.py"))
    assert sorted((f.code, f.severity.label) for f in module.findings if f.code.startswith("MC3")) == [
        ("MC301", "warning"), ("MC301", "warning"), ("MC313", "warning"), ("MC313", "warning")]
