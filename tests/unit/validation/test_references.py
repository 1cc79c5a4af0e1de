"""MC504-MC506 judged like real projects need: guards that do not hold here,
the project's target Python, names on stdlib classes, declared packages,
submodules of installed packages and invented packages in generated code."""

from __future__ import annotations

from pathlib import Path

import pytest

from mycoder_lsp.validation.findings import FileResult, Finding, Severity
from mycoder_lsp.validation.pipeline import validate_text
from mycoder_lsp.validation.project import Project

REFERENCE_CODES = ("MC504", "MC505", "MC506")


@pytest.fixture
def run(tmp_path: Path):
    """Validate code as a file of a project in tmp_path that supports ``python`` and up."""

    def go(code: str, *, python: tuple[int, int] | None = None, original: str | None = None,
           name: str = "mod.py") -> FileResult:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
        return validate_text(code, path=str(path), workspace_root=tmp_path, original=original,
                             project=Project(tmp_path, python=python))

    return go


def refs(result: FileResult) -> list[Finding]:
    return [f for f in result.findings if f.code in REFERENCE_CODES]


def fake_venv(root: Path) -> Path:
    site = root / ".venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return site


# ---------------------------------------------------------------- guards


@pytest.mark.parametrize(
    "code",
    [
        # the fallback in the handler is as optional as the try body
        "try:\n    import fastjson_zz as json\nexcept ImportError:\n    import slowjson_zz as json\n",
        "try:\n    import a_zz\nexcept ModuleNotFoundError:\n    from b_zz import thing\n",
        # a module-level flag derived from sys.version_info
        "import sys\nPY_3_14_PLUS = sys.version_info >= (3, 14)\nif PY_3_14_PLUS:\n    import annotationlib\n"
        "    import only_on_314_zz\n",
        "import sys\nPY2 = sys.version_info[0] == 2\nif PY2:\n    import urllib2\n",
        "import sys\nif sys.version_info[:3] < (3, 0, 0):\n    import urllib2\n",
        "if False:\n    import never_runs_zz\n",
        "if 0:\n    import never_runs_zz\n",
        # the rest of the file is for another platform
        "import sys\nassert sys.platform == 'win32'\nimport winonly_zz\n",
        "import os\nassert os.name == 'nt'\nimport winonly_zz\n",
        # a test skipped unless on another platform or Python
        "import sys, pytest\n@pytest.mark.skipif(sys.platform != 'win32', reason='windows')\ndef test_x():\n"
        "    import winonly_zz\n",
        "import sys, unittest\n@unittest.skipUnless(sys.platform.startswith('win'), 'windows')\nclass T(unittest.TestCase):\n"
        "    def test(self):\n        import winonly_zz\n",
        "import sys, pytest\npytestmark = pytest.mark.skipif('sys.platform != \"darwin\"')\nimport maconly_zz\n",
        "from sys import hexversion\nif hexversion >= 0x30D00A2:\n    from itertools import batched\n",
        "from sys import version_info\nif version_info >= (3, 14):\n    import annotationlib\n",
        # a test that runs only where a feature exists
        "import socket, unittest, sys\nHAVE_BT = hasattr(socket, 'AF_BLUETOOTH')\n"
        "@unittest.skipUnless(HAVE_BT, 'bluetooth')\nclass T(unittest.TestCase):\n    def test(self):\n"
        "        if sys.platform != 'win32':\n            socket.BTPROTO_HCI_zz\n",
        # a deprecated name the module still serves through its __getattr__
        "import sqlite3\nprint(sqlite3.OptimizedUnicode)\n",
        # a function that returns early on the Pythons that lack the name
        "import sys, types\ndef f(v):\n    if sys.version_info < (3, 15):\n        return\n"
        "    return type(v) is types.LazyImportType\n",
    ],
)
def test_guards_that_do_not_hold_here_are_not_judged(run, code):
    assert refs(run(code)) == []


def test_flags_named_for_a_version_imported_from_elsewhere(tmp_path: Path, run):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "compat.py").write_text("PY2 = False\nPY_3_14_PLUS = False\n")
    code = "from .compat import PY2, PY_3_14_PLUS\nif PY2:\n    import urllib2\nif PY_3_14_PLUS:\n    import new_zz\n"
    assert refs(run(code)) == []


def test_code_guarded_for_the_running_platform_and_python_is_judged(run):
    code = ("import sys\nif sys.platform == 'win32':\n    import winreg\nelse:\n    import posix_only_zz\n"
            "if sys.version_info >= (3, 0):\n    import also_here_zz\n")
    found = refs(run(code))
    assert [(f.code, f.line) for f in found] == [("MC504", 4), ("MC504", 6)]


def test_version_guard_narrows_the_target_range(run):
    # copy.replace is 3.13+: fine behind the guard, a version finding without it
    code = "import copy\nimport sys\nif sys.version_info >= (3, 13):\n    copy.replace(1)\n"
    assert refs(run(code, python=(3, 10))) == []
    flag = "import copy, sys\nPY313 = sys.version_info >= (3, 13)\nif PY313:\n    copy.replace(1)\n"
    assert refs(run(flag, python=(3, 10))) == []
    (finding,) = refs(run("import copy\ncopy.replace(1)\n", python=(3, 10)))
    assert finding.code == "MC506" and "before Python 3.13" in finding.message


def test_skipif_on_version_guards_the_test_body(run):
    code = ("import copy, sys, pytest\n@pytest.mark.skipif(sys.version_info < (3, 13), reason='3.13 API')\n"
            "def test_replace():\n    copy.replace(1)\n")
    assert refs(run(code, python=(3, 10))) == []


def test_undecidable_guards_still_guard(run):
    code = "HAS_FAST = True\nif HAS_FAST:\n    import fast_zz\nif TYPE_CHECKING:\n    import types_zz\n"
    assert refs(run(code)) == []


# ---------------------------------------------------------------- target Python


def test_a_name_added_later_is_fine_for_a_project_that_requires_it(run):
    assert refs(run("from typing import override\n", python=(3, 12))) == []
    assert refs(run("import typing\n@typing.override\ndef f(): ...\n", python=(3, 12))) == []


def test_a_name_added_later_says_which_version_lacks_it(run):
    (finding,) = refs(run("from typing import override\n", python=(3, 10)))
    assert finding.code == "MC506" and finding.severity == Severity.WARNING
    assert finding.message.startswith("'typing' has no 'override' before Python 3.12; this project supports 3.10+")
    assert "typing_extensions" in finding.message
    assert (finding.column, finding.end_column) == (19, 27)


def test_target_python_read_from_requires_python(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nrequires-python = ">=3.10"\n')
    code = "from typing import override\n"
    (tmp_path / "m.py").write_text(code)
    (finding,) = refs(validate_text(code, path=str(tmp_path / "m.py"), workspace_root=tmp_path))
    assert "this project supports 3.10+" in finding.message


def test_stdlib_modules_by_version(run):
    (finding,) = refs(run("import tomllib\n", python=(3, 10)))
    assert finding.code == "MC504" and finding.severity == Severity.WARNING
    assert "'tomllib' is in the standard library only from Python 3.11; this project supports 3.10+" in finding.message
    guarded = "import sys\nif sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli as tomllib\n"
    assert refs(run(guarded, python=(3, 10))) == []
    (removed,) = refs(run("import imp\n", python=(3, 12)))
    assert removed.severity == Severity.ERROR and "from Python 3.12 on (removed)" in removed.message


def test_names_removed_in_the_target_range(run):
    (finding,) = refs(run("import asyncio\n@asyncio.coroutine\ndef f():\n    yield\n", python=(3, 11)))
    assert finding.code == "MC506" and "from Python 3.11 on (removed)" in finding.message


# ---------------------------------------------------------------- names on stdlib classes


@pytest.mark.parametrize(
    "code, shown",
    [
        ("import datetime\ndatetime.datetime.from_string('2020')\n", "'datetime.datetime' has no attribute 'from_string'"),
        ("from datetime import datetime\ndatetime.from_string('2020')\n", "'datetime.datetime' has no attribute"),
        ("from pathlib import Path\nPath.read_json\n", "'pathlib.Path' has no attribute 'read_json'"),
        ("from pathlib import Path\nPath('x').read_json()\n", "'Path' objects have no attribute 'read_json'"),
        ("import pathlib\nconfig = pathlib.Path('c.json')\nprint(config.read_json())\n",
         "'Path' objects have no attribute 'read_json'"),
    ],
)
def test_invented_members_of_stdlib_classes(run, code, shown):
    (finding,) = refs(run(code))
    assert finding.code == "MC506" and finding.severity == Severity.ERROR
    assert finding.message.startswith(shown)
    line = code.split("\n")[finding.line]
    assert line[finding.column:finding.end_column] in ("from_string", "read_json")


@pytest.mark.parametrize(
    "code",
    [
        "from pathlib import Path\nPath.read_json = lambda self: {}\nPath('x').read_json()\n",  # monkeypatched
        "from pathlib import Path\nclass P(Path):\n    def read_json(self): ...\nP('x').read_json()\n",  # subclass
        "from pathlib import Path\np = Path('x')\np = make()\np.read_json()\n",  # bound twice
        "from pathlib import Path\nprint(Path('x').read_text(), Path('x').parent.name, Path.cwd())\n",
        "import argparse\np = argparse.ArgumentParser()\nprint(p.prog, p.anything_set_elsewhere)\n",  # has __dict__
        "import types\nm = types.ModuleType('m')\nprint(m.main)\n",
        "import datetime\nprint(datetime.datetime.fromisoformat('2020'), datetime.datetime.now().year)\n",
        "from collections import OrderedDict\nprint(OrderedDict.fromkeys, OrderedDict().move_to_end)\n",
        "import enum\nclass Color(enum.Enum):\n    RED = 1\nprint(enum.Enum.__members__)\n",
        "from pathlib import Path\nsetattr(Path, 'read_json', None)\nPath.read_json\n",
    ],
)
def test_real_or_dynamic_class_members_are_clean(run, code):
    assert refs(run(code)) == []


def test_wrong_name_in_an_annotation_that_never_runs_is_a_warning(run):
    code = "from __future__ import annotations\nimport re\ndef f(p: re.RegexObject) -> None: ...\n"
    (finding,) = refs(run(code))
    assert finding.severity == Severity.WARNING and "never evaluated" in finding.message
    (evaluated,) = refs(run("import re\ndef f(p: re.RegexObject) -> None: ...\n"))
    assert evaluated.severity == Severity.ERROR


def test_names_only_typeshed_declares_are_fine_in_annotations_that_never_run(run):
    code = ("from __future__ import annotations\nimport zlib\nclass G:\n    c: zlib._Compress | None = None\n"
            "    def f(self) -> zlib._Compress: ...\n")
    assert refs(run(code)) == []


def test_stubs_are_not_judged_for_versions(run):
    code = "from types import UnionType\nimport tomllib\nx: UnionType\n"
    assert refs(run(code, python=(3, 9), name="mod.pyi")) == []
    assert len(refs(run(code, python=(3, 9)))) == 2


def test_stub_files_may_use_names_only_typeshed_declares(run):
    code = "import typing\nfrom typing import type_check_only\n@typing.type_check_only\nclass P: ...\n"
    assert refs(run(code, name="mod.pyi")) == []
    assert refs(run(code, name="mod.py"))  # at run time it does not exist


def test_class_member_added_later_says_which_version(run):
    code = "from pathlib import Path\nfor root, dirs, files in Path('.').walk():\n    pass\n"
    assert refs(run(code, python=(3, 12))) == []
    (finding,) = refs(run(code, python=(3, 10)))
    assert "'walk'" in finding.message and "before Python 3.12" in finding.message


# ---------------------------------------------------------------- unknown packages


def test_existing_code_unknown_package_is_a_warning_naming_the_declarations(tmp_path: Path, run):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\ndependencies = ["requests>=2"]\n')
    (finding,) = refs(run("import nothere_pkg_zz\n"))
    assert finding.code == "MC504" and finding.severity == Severity.WARNING
    assert "not declared in pyproject.toml" in finding.message and "resolves nowhere here" in finding.message


def test_declared_but_not_installed_is_not_judged(tmp_path: Path, run):
    (tmp_path / "requirements.txt").write_text("private-tool-zz==1.0 ; python_version >= '3.8'\n")
    assert refs(run("import private_tool_zz\n")) == []
    assert refs(run("import private_tool_zz\n", original="")) == []


def test_generated_import_of_an_invented_package_is_the_slopsquatting_error(run):
    (finding,) = refs(run("import fastjsonparse_zz\n", original="x = 1\n"))
    assert finding.code == "MC504" and finding.severity == Severity.ERROR
    assert "not installed" in finding.message and "not declared" in finding.message
    assert "check that this package is real before adding it" in finding.message
    assert "install it" not in finding.message.lower() and "pip install" not in finding.message


def test_generated_import_of_a_known_but_absent_package_is_a_warning(run):
    (finding,) = refs(run("import yaml\n", original=""))
    assert finding.code == "MC505" and finding.severity == Severity.WARNING
    assert "check that this package is real" in finding.message and "pip install" not in finding.message


def test_generated_code_keeps_an_import_the_original_had_as_existing_code(run):
    (finding,) = refs(run("import nothere_pkg_zz\nx = 2\n", original="import nothere_pkg_zz\nx = 1\n"))
    assert finding.severity == Severity.WARNING and "resolves nowhere here" in finding.message


# ---------------------------------------------------------------- submodules


def test_missing_submodule_of_an_installed_package(tmp_path: Path, run):
    site = fake_venv(tmp_path)
    pkg = site / "realpkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import sub\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "models.py").write_text("X = 1\n")
    code = "import realpkg.models\nfrom realpkg.sub import thing\nfrom realpkg.invented_module import X\n"
    (finding,) = refs(run(code))
    assert finding.code == "MC504" and finding.severity == Severity.ERROR and finding.line == 2
    assert "'realpkg' (installed in" in finding.message and "no submodule 'invented_module'" in finding.message


def test_real_installed_package_submodule(run):
    (finding,) = refs(run("import httpx.nothere_zz\nimport httpx._models\n"))
    assert finding.code == "MC504" and "no submodule 'nothere_zz'" in finding.message


@pytest.mark.parametrize(
    "layout",
    [
        {"nspkg/other.py": ""},  # namespace package: another directory may add it
        {"dynpkg/__init__.py": "def __getattr__(name):\n    return name\n"},
        {"aliaspkg/__init__.py": "import sys\nsys.modules[__name__ + '.invented'] = sys\n"},
        {"mentions/__init__.py": "from ._impl import invented\n"},
        {"flat.py": ""},  # a single module: anything below it is not judged
    ],
)
def test_submodules_that_files_cannot_rule_out_are_clean(tmp_path: Path, run, layout):
    site = fake_venv(tmp_path)
    for name, text in layout.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    top = next(iter(layout)).split("/")[0].removesuffix(".py")
    assert refs(run(f"import {top}.invented\n")) == []


def test_declared_not_installed_submodule_in_generated_code_cannot_be_verified(tmp_path: Path, run):
    (tmp_path / "requirements.txt").write_text("declaredpkg-zz\n")
    (finding,) = refs(run("from declaredpkg_zz.sub import X\n", original=""))
    assert finding.severity == Severity.HINT and finding.message.startswith("Cannot verify 'declaredpkg_zz.sub'")
