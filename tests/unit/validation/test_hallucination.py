from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mycoder_lsp.validation import hallucination, imports
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


def test_todo_marking_missing_logic_in_a_real_function(check):
    code = dedent('''
        def apply_discount(order, code):
            total = sum(item.price for item in order.items)
            # TODO: validate the discount code against the database
            return total * 0.9
    ''')
    (finding,) = by_code(check(code), "MC501")
    assert (finding.line, finding.column, finding.end_column) == (2, 4, 59)
    assert finding.severity == Severity.INFORMATION  # existing code: the author's own note
    assert "TODO" in finding.message
    (generated,) = by_code(check(code, original="", instruction="add apply_discount"), "MC501")
    assert generated.severity == Severity.WARNING


@pytest.mark.parametrize(
    "code",
    [
        # any TODO/FIXME right above a stand-in statement
        "def f(x):\n    x = x.strip()\n    # TODO\n    return None\n",
        "def f(kind):\n    if kind == 'a':\n        return 1\n    # FIXME: yaml\n    raise NotImplementedError\n",
        # words that say logic is missing, after XXX too
        "def f(img):\n    img = img.copy()\n    # XXX: implement the actual resampling\n    return img\n",
        "def f(p):\n    data = open(p).read()\n    # FIXME: handle invalid JSON here\n    return data\n",
    ],
)
def test_todo_forms_that_mark_missing_logic(check, code):
    assert by_code(check(code), "MC501")


@pytest.mark.parametrize(
    "code",
    [
        "def f(x):\n    # TODO: use a heap for large inputs\n    return sorted(x)[:3]\n",
        "def f(x):\n    y = g(x)  # TODO: validate y\n    return y\n",  # trailing: a note on a real line
        "def f(x):\n    # TODO: compute this with the csv module once quoting shows up\n    return x.split(',')\n",
        "def f(x):\n    # XXX the A.OUT format also falls under this class\n    pass\n    return x\n",
        "def f(x):\n    if x:\n        # TODO(pganssle): Document this\n        return 8\n    return 0\n",
        "def f(x):\n    # FIXME: raise an error if this is applied at toplevel?\n    return x\n",
        "def f(x):\n    # XXX: relies on dicts keeping insertion order\n    return list(x)\n",
        "def f(x):\n    # XXX Check for other types -- not currently needed\n    return str(x)\n",
        "def f(x):\n    x = g(x)\n    # TODO: uncomment the next lines in 3.13\n    # return h(x)\n    return None\n",
    ],
)
def test_todos_about_future_work_on_real_code_are_clean(check, code):
    assert not by_code(check(code), "MC501")
    assert not by_code(check(code, original=""), "MC501")


def test_a_todo_after_the_last_statement_is_work_left_undone(check):
    original = "def f(path):\n    return open(path).read()\n"
    new = "def f(path, data):\n    fh = open(path, 'w')\n    fh.write(data)\n    # TODO: close the file\n\n\nx = 1\n"
    (finding,) = by_code(check(new, original=original), "MC501")
    assert finding.severity == Severity.WARNING and finding.line == 3
    assert not by_code(check(new), "MC501")  # in existing code as often a remark
    # a TODO on a real line further on is a note; so is one that names later work
    followed = new.replace("    # TODO", "    # TODO: close the file\n    fh.flush()\n    #")
    assert not by_code(check(followed, original=original), "MC501")
    later = new.replace("close the file", "use a with block once we drop 2.5")
    assert not by_code(check(later, original=original), "MC501")
    # a comment at the margin after the function is the module's, not the function's
    assert not by_code(check(new.replace("    # TODO", "# TODO"), original=original), "MC501")


def test_a_todo_the_original_had_is_not_the_edits_fault(check):
    original = "def f(x):\n    # TODO: handle negative numbers\n    return x * 2\n"
    new = "def f(x):\n    # TODO: handle negative numbers\n    return x * 3\n"
    assert not by_code(check(new, original=original), "MC501")
    assert by_code(check(new.replace("negative", "zero"), original=original), "MC501")


def test_implement_here_comment_before_pass(check):
    code = dedent('''
        def handle(state, event):
            if event == "click":
                state += 1
            elif event == "key":
                # implement key handling here
                pass
            return state
    ''')
    (finding,) = by_code(check(code), "MC501")
    assert (finding.line, finding.column, finding.end_column) == (5, 8, 12)  # the 'pass'
    whole = "def parse(text):\n    # add the parsing logic here\n    pass\n"
    assert [f.line for f in by_code(check(whole), "MC501")] == [0]  # the whole body: on the name, once
    for quiet in ("# nothing to do here", "# intentionally empty: add nothing here"):
        noop = f"class Base:\n    def setup(self):\n        {quiet}\n        pass\n"
        assert not by_code(check(noop), "MC501")
        branch = f"def f(x):\n    if x:\n        {quiet}\n        pass\n    return x\n"
        assert not by_code(check(branch), "MC501")


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("def f(rows):\n    out = []\n    for row in rows:\n        ...\n    return out\n", 3),
        ("def f(n):\n    if n > 3:\n        ...\n    return n\n", 2),
        ("def f(n):\n    if n:\n        return 1\n    else:\n        ...\n", 4),
        ("class A:\n    def f(self, p):\n        with open(p) as fh:\n            ...\n        return 1\n", 3),
    ],
)
def test_ellipsis_standing_in_for_a_loop_or_branch_body(check, code, line):
    (finding,) = by_code(check(code), "MC501")
    assert finding.line == line and finding.severity == Severity.WARNING
    assert "'...'" in finding.message


@pytest.mark.parametrize(
    "code",
    [
        "def f(hs):\n    for h in hs:\n        try:\n            h.close()\n        except OSError:\n            ...\n",
        "def f(m, k, default=...):\n    if default is ...:\n        raise KeyError(k)\n    return m.get(k, default)\n",
        "import numpy as np\ndef f(a):\n    return a[..., 0]\n",
        "from typing import Callable\nCallback = Callable[..., None]\n",
    ],
)
def test_ellipsis_that_is_no_stand_in(check, code):
    assert not by_code(check(code), "MC501")


def test_docstring_only_body_that_promises_a_result_in_generated_code(check):
    original = "def load(path):\n    return open(path).read()\n"
    annotated = original + "\n\ndef parse(path: str) -> dict:\n    \"\"\"Parse the file into a dict.\"\"\"\n"
    (finding,) = by_code(check(annotated, original=original), "MC502")
    assert (finding.line, finding.column, finding.end_column) == (4, 4, 9)
    assert "-> dict" in finding.message and finding.severity == Severity.WARNING
    used = original + "\n\ndef summary(rows):\n    \"\"\"A summary.\"\"\"\n\n\nline = summary([])\n"
    (finding,) = by_code(check(used, original=original), "MC502")
    assert "uses its result" in finding.message


@pytest.mark.parametrize(
    "extra",
    [
        "def on_close() -> None:\n    \"\"\"Called on close; nothing to do by default.\"\"\"\n",
        "def hook():\n    \"\"\"Subclasses override this.\"\"\"\n\n\nhook()\n",  # called, value unused
        "from typing import Protocol\nclass P(Protocol):\n    def size(self) -> int:\n        \"\"\"The size.\"\"\"\n",
        # declarations, not implementations: a hookspec, a method left to subclasses, an interface class
        "@hookspec(firstresult=True)\ndef pytest_collect(path) -> bool | None:\n    \"\"\"Return True to skip.\"\"\"\n",
        "class Item:\n    def name(self) -> str:\n        \"\"\"Subclasses override this.\"\"\"\n"
        "    def size(self):\n        return 0\n",
        "class IProvider:\n    def has(self, name) -> bool:\n        \"\"\"Whether name exists.\"\"\"\n"
        "    def get(self, name) -> str:\n        \"\"\"The value of name.\"\"\"\n",
    ],
)
def test_docstring_only_bodies_that_promise_nothing_are_clean(check, extra):
    original = "def load(path):\n    return open(path).read()\n"
    assert not by_code(check(original + "\n\n" + extra, original=original), "MC502")


def test_docstring_only_body_in_existing_code_is_not_judged(check):
    assert not by_code(check("def parse(path: str) -> dict:\n    \"\"\"Parse it.\"\"\"\n"), "MC502")


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


@pytest.mark.parametrize(
    ("instruction", "missing"),
    [
        ("remove the put method and helper", []),
        ("Delete unused code", []),  # unnamed: which names go is the model's call
        ("merge put and helper into get", []),
        ("drop `Store.put`, inline helper()", []),
        # only the names the instruction takes away are excused
        ("rename helper to util", ["Store.put"]),
        ("move `helper` to utils.py", ["Store.put"]),
        ("replace put with a __setitem__ method", ["helper"]),
        # restructuring words no longer switch the check off for every name
        ("refactor get to use dict.get", ["Store.put", "helper"]),
        ("replace the print calls with logging", ["Store.put", "helper"]),
        # a name is a whole word, not a substring of the instruction
        ("make get tolerant of missing keys and document the helpers_module", ["Store.put", "helper"]),
        ("rename Store to Cache and the put method to set", ["helper"]),
        ("rename the Store method put to set", ["helper"]),  # the class only says where put is
    ],
)
def test_instruction_excuses_only_the_names_it_takes_away(check, instruction, missing):
    new = "class Store:\n    def get(self, key):\n        return self.data[key]\n"
    result = check(new, original=ORIGINAL, instruction=instruction)
    assert sorted(f.message.split("'")[1] for f in by_code(result, "MC503")) == missing


@pytest.mark.parametrize(
    ("instruction", "excused"),
    [
        ("remove delete_user, nobody needs it", {"delete_user"}),  # a name that starts like a verb is a name
        ("rename move_to to relocate", {"move_to"}),
        ("Remove `drop_table` and merge load and load_all into load", {"drop_table", "load", "load_all"}),
        ("delete the unused helpers", None),
        ("remove the validation and add logging to load", set()),  # "add" starts the next request
    ],
)
def test_excused_names_parse_the_instruction(instruction, excused):
    names = {"delete_user", "move_to", "drop_table", "load", "load_all", "relocate"}
    assert hallucination.excused_names(instruction, names) == excused


def test_lost_definition_is_placed_where_it_was_and_says_its_old_line(check):
    original = "def a():\n    return 1\n\n\ndef b():\n    return 2\n\n\ndef c():\n    return 3\n"
    new = "def a():\n    return 1\n\n\ndef c():\n    return 3\n"
    (finding,) = by_code(check(new, original=original, instruction="make c return 4"), "MC503")
    assert "'b'" in finding.message and "at line 5" in finding.message
    assert (finding.line, finding.column, finding.end_column) == (4, 4, 5)  # on 'c', where b stood
    # nothing after it survives: the last line of the new text, not line 1
    (last,) = by_code(check("def a():\n    return 1\n", original="def a():\n    return 1\n\ndef z():\n"
                            "    return 0\n"), "MC503")
    assert (last.line, last.column, last.end_column) == (1, 0, 12)


def test_a_lost_class_is_one_finding(check):
    result = check("def helper():\n    return 1\n", original=ORIGINAL, instruction="tidy helper")
    assert [f.message.split("'")[1] for f in by_code(result, "MC503")] == ["Store"]


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
    # existing code: a warning at most (it may be a real package this environment lacks)
    assert finding.severity == Severity.WARNING
    assert "resolves nowhere here" in finding.message and "Check the name" in finding.message
    assert result.confidence == 1.0


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
    (finding,) = by_code(check(code, original=""), "MC504")
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


def test_an_explained_ellipsis_branch_in_existing_code_is_deliberate():
    code = textwrap.dedent('''\
        def walk(prev, stack, node):
            if prev.has_vertical_child:
                # In this case prev must be the parent of the current line,
                # so there is no need to search the stack.
                ...
            else:
                while stack and stack[-1] is not node:
                    stack.pop()
            return stack
        ''')
    assert "MC501" not in codes(validate_text(code, path="m.py"))
    # A comment that says code is missing still counts, and so does generated code.
    missing = code.replace("# In this case prev must be the parent of the current line,",
                           "# TODO: handle the vertical chain")
    assert "MC501" in codes(validate_text(missing, path="m.py"))
    assert "MC501" in codes(validate_text(code, path="m.py", original="", instruction="add walk"))
