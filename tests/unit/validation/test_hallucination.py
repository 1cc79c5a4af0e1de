from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mycoder_lsp.validation import imports
from mycoder_lsp.validation.findings import Severity
from mycoder_lsp.validation.pipeline import validate_text
from tests.unit.validation.conftest import codes


def by_code(result, code):
    return [f for f in result.findings if f.code == code]


def dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


# ---------------------------------------------------------------- placeholders and trivial bodies


def test_todo_body_is_a_placeholder_on_the_name(check):
    result = check(dedent('''
        def parse(text):
            # TODO: implement parsing
            pass
    '''))
    (finding,) = by_code(result, "MC501")
    assert (finding.line, finding.column, finding.end_column) == (0, 4, 9)
    assert result.confidence == pytest.approx(0.7)


def test_todo_string_and_ellipsis_bodies(check):
    result = check(dedent('''
        def a():
            """Do a."""
            "TODO"

        def b(x):
            ...
    '''))
    assert [f.line for f in by_code(result, "MC501")] == [0, 4]
    assert result.confidence == pytest.approx(0.4)


def test_elided_code_comment(check):
    result = check(dedent('''
        def a():
            x = 1
            # ... rest of the code remains the same
            return x
    '''))
    (finding,) = by_code(result, "MC501")
    assert (finding.line, finding.column) == (2, 4)


@pytest.mark.parametrize(
    "code",
    [
        "PATTERN = '# ... rest of the code'\n",
        "x = 1  # a comment quoting '# rest of the code' is not a stand-in\n",
    ],
)
def test_elided_code_phrases_in_strings_or_quoted_are_clean(check, code):
    assert not by_code(check(code), "MC501")


def test_trivial_bodies_in_generated_code_zero_confidence(check):
    result = check("def compute(x):\n    pass\n", original="")
    (finding,) = by_code(result, "MC502")
    assert (finding.line, finding.column, finding.end_column) == (0, 4, 11)
    assert finding.severity == Severity.WARNING
    assert result.confidence == 0.0
    assert by_code(check("def compute(x):\n    raise NotImplementedError\n", original=""), "MC502")


def test_empty_function_in_existing_code_is_only_information(check):
    result = check("def _probe():\n    pass\n\nPROBE_TYPE = type(_probe)\n")
    (finding,) = by_code(result, "MC502")
    assert finding.severity == Severity.INFORMATION
    assert result.confidence == 1.0


@pytest.mark.parametrize(
    "code",
    [
        # pass in except
        "def f():\n    try:\n        return 1\n    except ValueError:\n        pass\n",
        # abstract methods
        "import abc\nclass A(abc.ABC):\n    @abc.abstractmethod\n    def run(self):\n        pass\n",
        "from abc import abstractmethod\nclass A:\n    @abstractmethod\n    def run(self):\n"
        "        raise NotImplementedError\n",
        # Protocol classes
        "from typing import Protocol\nclass P(Protocol):\n    def run(self) -> int: ...\n",
        # overloads
        "from typing import overload\n@overload\ndef f(x: int) -> int: ...\n@overload\ndef f(x: str) -> str: ...\n"
        "def f(x):\n    return x\n",
        # TODO inside an ordinary string
        "def f():\n    return 'TODO: this text is data'\n",
        # a TODO comment in a real body
        "def f(x):\n    # TODO: faster algorithm\n    return sorted(x)\n",
        # hook methods of a base class, exception classes
        "class Base:\n    def setup(self):\n        pass\n    def handle(self):\n"
        "        raise NotImplementedError\n",
        "class MyError(Exception):\n    pass\n",
        # platform answers
        "def f():\n    raise NotImplementedError('not supported on Windows')\n",
        # docstring-only function
        'def f():\n    """Nothing to do here."""\n',
    ],
)
def test_legitimate_lookalikes_stay_clean(check, code):
    result = check(code)
    assert not [c for c in codes(result) if c.startswith("MC5")], result.findings
    assert result.confidence == 1.0


def test_stub_files_are_clean(check):
    result = check("def f(x: int) -> int: ...\nclass A:\n    def m(self) -> None: ...\n", name="mod.pyi")
    assert not [c for c in codes(result) if c.startswith("MC5")]


# ---------------------------------------------------------------- generated edits


ORIGINAL = dedent('''
    class Store:
        def get(self, key):
            return self.data[key]

        def put(self, key, value):
            self.data[key] = value

    def helper():
        return 1
''')


def test_missing_function_and_method_from_original(check):
    new = dedent('''
        class Store:
            def get(self, key):
                return self.data.get(key)
    ''')
    result = check(new, original=ORIGINAL, instruction="make get tolerant of missing keys")
    found = by_code(result, "MC503")
    assert sorted(f.message.split("'")[1] for f in found) == ["Store.put", "helper"]
    assert all(f.severity == Severity.ERROR for f in found)
    method = next(f for f in found if "Store.put" in f.message)
    assert (method.line, method.column, method.end_column) == (0, 6, 11)  # on 'Store'
    assert result.confidence == pytest.approx(0.2)
    assert not result.safe_to_persist


@pytest.mark.parametrize("instruction", ["remove the put method and helper", "rename helper to util",
                                         "Delete unused code"])
def test_removal_instruction_makes_it_legitimate(check, instruction):
    new = "class Store:\n    def get(self, key):\n        return self.data[key]\n"
    result = check(new, original=ORIGINAL, instruction=instruction)
    assert not by_code(result, "MC503")


def test_with_original_changed_methods_are_held_to_it(check):
    new = ORIGINAL.replace("return self.data[key]", "pass")
    result = check(new, original=ORIGINAL)
    (finding,) = by_code(result, "MC502")
    assert "'get'" in finding.message
    # the unchanged original code is not the edit's fault
    assert by_code(check(ORIGINAL.replace("return 1", "pass"), original=ORIGINAL.replace("return 1", "pass")),
                   "MC502") == []


# ---------------------------------------------------------------- imports


def test_unresolvable_import_is_an_error_with_exact_range(check):
    result = check("import os\nimport fastjsonparserx\n\nprint(os, fastjsonparserx)\n")
    (finding,) = by_code(result, "MC504")
    assert (finding.line, finding.column, finding.end_column) == (1, 7, 22)
    assert finding.severity == Severity.ERROR
    assert "resolves nowhere" in finding.message and "Install it or fix the name" in finding.message
    assert result.confidence == pytest.approx(0.8)


def test_from_import_names_the_top_package(check):
    (finding,) = by_code(check("from nosuchpkgzz.sub import thing\nprint(thing)\n"), "MC504")
    assert (finding.column, finding.end_column) == (5, 20)


@pytest.mark.parametrize("name", ["yaml", "bs4", "PIL", "sklearn", "cv2", "dateutil", "jwt", "google.protobuf"])
def test_known_pypi_import_names_are_not_hallucinated(check, name):
    result = check(f"import {name}\nprint({name.split('.')[0]})\n")
    assert not by_code(result, "MC504")
    assert result.confidence == 1.0


def test_installed_packages_of_the_workspace_venv(tmp_path: Path):
    site = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages"
    (site / "privatepkg").mkdir(parents=True)
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    dist = site / "weird_dist-1.0.dist-info"
    dist.mkdir()
    (dist / "top_level.txt").write_text("weirdname\n")
    (site / "single_mod.py").write_text("")
    code = "import privatepkg\nimport weirdname\nimport single_mod\nimport notthere_qq\n"
    result = validate_text(code, path=str(tmp_path / "m.py"), workspace_root=tmp_path)
    found = by_code(result, "MC504")
    assert [f.line for f in found] == [3]
    assert str(tmp_path / ".venv") in found[0].message


def test_workspace_modules_and_relative_imports(tmp_path: Path):
    pkg = tmp_path / "src" / "app"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text("X = 1\n")
    (tmp_path / "tools.py").write_text("")
    code = "import app\nimport tools\nfrom .models import X\nfrom .missing_mod import Y\nprint(app, tools, X, Y)\n"
    result = validate_text(code, path=str(pkg / "views.py"), workspace_root=tmp_path)
    found = by_code(result, "MC504")
    assert [(f.line, f.column) for f in found] == [(3, 6)]
    assert "missing_mod" in found[0].message


@pytest.mark.parametrize(
    "code",
    [
        "try:\n    import ujsonzz as json\nexcept ImportError:\n    import json\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from nothere_types import T\n",
        "import sys\nif sys.platform == 'win32':\n    import winonlymodzz\n",
    ],
)
def test_optional_imports_are_not_errors(check, code):
    result = check(code)
    assert not [f for f in result.findings if f.severity == Severity.ERROR], result.findings
    assert not by_code(result, "MC504")


def test_optional_import_does_not_hide_a_later_unguarded_one(check):
    code = "try:\n    import nothere_opt\nexcept ImportError:\n    pass\nimport nothere_opt\n"
    (finding,) = by_code(check(code), "MC504")
    assert finding.line == 4 and finding.severity == Severity.ERROR


def test_import_inside_function_is_only_a_warning(check):
    (finding,) = by_code(check("def f():\n    import nothere_lazyzz\n    return nothere_lazyzz\n"), "MC504")
    assert finding.severity == Severity.WARNING


def test_site_packages_are_read_without_importing(tmp_path: Path):
    site = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("")
    marker = tmp_path / "imported"
    (site / "sideeffect.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    env = imports.environment_for(tmp_path)
    assert "sideeffect" in env.top_level
    result = validate_text("import sideeffect\nsideeffect.anything()\n", path=str(tmp_path / "a.py"),
                           workspace_root=tmp_path)
    assert not marker.exists()
    assert not by_code(result, "MC504") and not by_code(result, "MC506")


# ---------------------------------------------------------------- stdlib attributes


def test_missing_stdlib_attributes(check):
    result = check("import os\nimport json\nprint(os.path.joinpath('a'), json.loads_file('x'))\n")
    found = by_code(result, "MC506")
    assert [(f.line, f.column, f.end_column) for f in found] == [(2, 14, 22), (2, 34, 44)]
    assert all(f.severity == Severity.ERROR for f in found)
    assert "os.path" in found[0].message and "loads_file" in found[1].message
    assert result.confidence == pytest.approx(0.6)


def test_from_stdlib_import_missing_name(check):
    (finding,) = by_code(check("from json import loads_file\nprint(loads_file)\n"), "MC506")
    assert (finding.column, finding.end_column) == (17, 27)


@pytest.mark.parametrize(
    "code",
    [
        "import os\nprint(os.path.join('a', 'b'), os.getcwd(), os.environ)\n",
        "import sys\nsys.ps1 = '>>> '\nprint(sys.__dict__)\n",
        "import json\njson.my_cache = {}\nprint(json.my_cache)\n",
        "import sys\nif sys.platform == 'win32':\n    print(sys.getwindowsversion())\n",
        "import os\nif hasattr(os, 'startfile'):\n    os.startfile('x')\n",
        "import select\ntry:\n    select.kqueue()\nexcept AttributeError:\n    pass\n",
        "import xml.etree.ElementTree as ET\nprint(ET.parse, ET.fromstring)\n",
        "import collections.abc\nprint(collections.abc.Mapping, collections.OrderedDict)\n",
        "import json\njson = {'loads_file': 1}\nprint(json.loads_file)\n",  # rebound name
        "import builtins\nprint(builtins._)\n",
        "import concurrent.futures\nprint(concurrent.futures.ThreadPoolExecutor)\n",
        # a module with a module-level __getattr__ may have any attribute
        "import concurrent.futures\nprint(concurrent.futures.AnythingLazy)\n",
    ],
)
def test_existing_or_guarded_attributes_are_clean(check, code):
    result = check(code)
    assert not by_code(result, "MC506"), result.findings


def test_platform_specific_attribute_is_only_a_warning(check):
    (finding,) = by_code(check("import os\nos.startfile('x')\n"), "MC506")
    assert finding.severity == Severity.WARNING


def test_side_effect_modules_are_never_imported(check):
    import sys

    before = {"antigravity", "this"} & set(sys.modules)
    check("import this\nimport antigravity\nprint(this.nothing, antigravity.fly)\n")
    assert {"antigravity", "this"} & set(sys.modules) == before


def test_local_module_shadowing_stdlib(tmp_path: Path):
    (tmp_path / "json.py").write_text("def loads_file(p):\n    return p\n")
    result = validate_text("import json\njson.loads_file('x')\n", path=str(tmp_path / "a.py"), workspace_root=tmp_path)
    assert not by_code(result, "MC506")


def test_open_namespaces_are_never_judged():
    assert imports.stdlib_module_names("builtins") is None
    assert imports.stdlib_module_names("__main__") is None
    assert imports.stdlib_module_names("concurrent.futures") is None  # has __getattr__


@pytest.mark.parametrize(
    "code",
    [
        # expected to fail
        "import unittest\nclass T(unittest.TestCase):\n    def test(self):\n"
        "        with self.assertRaises(ImportError):\n            import nothere_expected\n"
        "        with self.assertRaises(ImportError):\n            from json import nothere_name\n",
        # everything after a module-level platform skip
        "import sys, unittest\nif sys.platform != 'win32':\n    raise unittest.SkipTest('windows only')\n"
        "import nothere_winonly\n",
        # CPython's own test extension modules live in lib-dynload
        "import _testcapi\nprint(_testcapi)\n",
    ],
)
def test_more_expected_import_failures_are_not_errors(check, code):
    result = check(code)
    assert not [f for f in result.findings if f.code in ("MC504", "MC506")], result.findings


def test_files_that_extend_sys_path_get_warnings(check):
    (finding,) = by_code(check("import sys\nsys.path.insert(0, 'tools')\nimport nothere_tool\n"), "MC504")
    assert finding.severity == Severity.WARNING


def test_c_extension_attribute_is_only_a_warning(check):
    (finding,) = by_code(check("import _io\n_io.closesocket_qq(1)\n"), "MC506")
    assert finding.severity == Severity.WARNING
