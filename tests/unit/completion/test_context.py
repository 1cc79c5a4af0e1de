"""What the model sees: the window by tokens, a stable start, the scope, other files."""

from __future__ import annotations

from pathlib import Path

from mycoder_lsp.completion.context import (
    STEP_LINES,
    CrossFileSnippets,
    enclosing_scope,
    imported_names,
    offset_of,
    window_around,
)

LONG = "".join(f"value_{i} = {i}\n" for i in range(400))


def test_offsets_clamp_to_the_line() -> None:
    assert offset_of("ab\ncd\n", 1, 1) == 4
    assert offset_of("ab\ncd\n", 1, 99) == 5
    assert offset_of("ab\ncd\n", 9, 0) == 6


def test_the_window_fits_the_budget_at_line_boundaries() -> None:
    line = 300
    offset = offset_of(LONG, line, 0)
    window = window_around(LONG, line, offset, budget_tokens=400)
    assert len(window.prefix) <= 400 * 0.6 * 3 and len(window.suffix) <= 400 * 0.15 * 3
    assert window.prefix.startswith("value_") and window.suffix.endswith("\n")
    assert LONG[offset - len(window.prefix):offset + len(window.suffix)] == window.prefix + window.suffix


def test_the_start_stays_put_while_typing() -> None:
    lines = LONG.split("\n")
    firsts = set()
    for typed in range(1, 12):
        text = "\n".join(lines[:300] + ["result = compute("[:typed]] + lines[300:])
        firsts.add(window_around(text, 300, offset_of(text, 300, typed), 400).first_line)
    assert len(firsts) == 1 and firsts.pop() % STEP_LINES == 0


def test_the_enclosing_scope_is_kept_whole_when_it_fits() -> None:
    # The definition starts just below a step, where the stepped start would cut it.
    text = "".join(LONG.splitlines(keepends=True)[:STEP_LINES * 4 - 3]) + "def target(a, b):\n" + "".join(f"    x{i} = a + {i}\n" for i in range(20)) + "    return b\n"
    text += LONG
    line = text[:text.index("    x10")].count("\n")
    scope = enclosing_scope(text, "python", line)
    assert scope is not None and scope.name == "target"
    window = window_around(text, line, offset_of(text, line, 0), 200, scope)
    assert window.first_line == scope.start_line
    assert window.prefix.startswith("def target(a, b):\n")
    assert "    return b\n" in window.suffix


def test_imports_are_read_from_a_half_typed_file() -> None:
    names = [(i.module, i.name, i.bound) for i in imported_names(
        "from pkg.util import helper, other as o\nimport pkg.tools as t\nimport os\nfrom . import sib\nx = (")]
    assert names == [("pkg.util", "helper", "helper"), ("pkg.util", "other", "o"), ("pkg.tools", None, "t"),
                     ("os", None, "os"), (".", "sib", "sib")]


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "util.py").write_text(
        "def helper(path: str, *, strict: bool = False) -> list[str]:\n    return [path]\n\n"
        "RETRIES = 3\n\nclass Unused:\n    pass\n")
    (tmp_path / "pkg" / "tools.py").write_text("def shout(text):\n    return text.upper()\n")
    return tmp_path


def test_definitions_of_names_used_near_the_cursor_come_from_their_files(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    text = ("import os\nfrom pkg.util import helper, RETRIES, Unused\nimport pkg.tools as t\n\n"
            "def main():\n    for _ in range(RETRIES):\n        t.shout(helper(\n")
    snippets = CrossFileSnippets(root).snippets(text, str(root / "main.py"), 6, 1000)
    # One entry per file, sorted by path; an imported name not used near the
    # cursor (Unused) is shown too, a class as its outline.
    assert snippets == [
        ("pkg/tools.py", "def shout(text):\n    return text.upper()"),
        ("pkg/util.py", "RETRIES = 3\nclass Unused:\n    ...\n"
                        "def helper(path: str, *, strict: bool = False) -> list[str]:\n    return [path]"),
    ]


def test_nothing_from_outside_the_workspace_or_beyond_the_budget(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    text = "import os\nfrom pkg.util import helper\n\nos.path.join(helper(\n"
    assert CrossFileSnippets(root).snippets(text, str(root / "main.py"), 3, 5) == []
    assert CrossFileSnippets(None).snippets(text, str(root / "main.py"), 3, 1000) == []
    assert [p for p, _ in CrossFileSnippets(root).snippets(text, str(root / "main.py"), 3, 1000)] == ["pkg/util.py"]


def test_parenthesised_imports_spanning_lines_are_read() -> None:
    text = "from pkg.util import (\n    helper,\n    other as o,  # why\n)\nfrom pkg.x import (a,\n  b)\nx = 1\n"
    assert [(i.module, i.name, i.bound, i.line, i.end_line) for i in imported_names(text)] == [
        ("pkg.util", "helper", "helper", 0, 3), ("pkg.util", "other", "o", 0, 3),
        ("pkg.x", "a", "a", 4, 5), ("pkg.x", "b", "b", 4, 5)]
    # Left open while typing: the import ends where a statement starts at the margin.
    half = "from pkg.util import (\n    helper,\n    oth\ndef f():\n    pass\n"
    assert [(i.name, i.end_line) for i in imported_names(half)] == [("helper", 2), ("oth", 2)]


def _package(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg._models import Request\n")
    (tmp_path / "pkg" / "_models.py").write_text(
        "class Request:\n    \"\"\"An HTTP request.\n\n    Long text.\n    \"\"\"\n"
        "    method: str\n    timeout = 5.0\n\n    def send(self, body: bytes) -> int:\n"
        + "".join(f"        x{i} = {i}\n" for i in range(40)) + "        return 0\n\n"
        "    def close(self) -> None:\n        pass\n")
    (tmp_path / "pkg" / "_types.py").write_text("URLTypes = str\nTimeoutTypes = float\n\n"
                                                "def is_url(value) -> bool:\n    return True\n")
    return tmp_path


def test_typing_an_import_shows_the_modules_names(tmp_path: Path) -> None:
    root = _package(tmp_path)
    text = "from pkg._types import (\n    URLTypes,\n    \n)\n\ndef main():\n    pass\n"
    snippets = CrossFileSnippets(root).snippets(text, str(root / "pkg" / "main.py"), 2, 1000)
    assert snippets == [("pkg/_types.py", "URLTypes = str\nTimeoutTypes = float\ndef is_url(value) -> bool:")]
    # Just the module named so far, on one line:
    text = "from ._types import \n"
    assert CrossFileSnippets(root).snippets(text, str(root / "pkg" / "main.py"), 0, 1000) == snippets


def test_a_class_is_its_outline_and_a_reexport_is_followed(tmp_path: Path) -> None:
    root = _package(tmp_path)
    text = "from pkg import Request\n\ndef main():\n    Request(\n"
    [(path, snippet)] = CrossFileSnippets(root).snippets(text, str(root / "main.py"), 3, 1000)
    assert path == "pkg/_models.py"
    assert snippet == ('class Request:\n    """An HTTP request."""\n    method: str\n    timeout = 5.0\n'
                       "    def send(self, body: bytes) -> int:\n    def close(self) -> None:")


def test_the_enclosing_classs_base_comes_first_and_first_lines_before_bodies(tmp_path: Path) -> None:
    root = _package(tmp_path)
    text = ("from pkg._types import is_url, TimeoutTypes\nfrom pkg._models import Request\n\n"
            "class Upload(Request):\n" + "".join(f"    a{i} = {i}\n" for i in range(40))
            + "    def go(self):\n        if is_url(self.url):\n            self.\n")
    snippets = CrossFileSnippets(root)
    # Room for little more than the first lines: every wanted definition
    # gets its first line, the base class (not used near the cursor) too.
    small = dict(snippets.snippets(text, str(root / "up.py"), 45, 30))
    assert small["pkg/_models.py"].startswith("class Request:")
    assert set(small["pkg/_types.py"].split("\n")) == {"TimeoutTypes = float", "def is_url(value) -> bool:"}
    # With room, the base class's outline follows: its methods.
    big = dict(snippets.snippets(text, str(root / "up.py"), 45, 1000))
    assert "    def send(self, body: bytes) -> int:" in big["pkg/_models.py"]


def test_an_assignment_that_goes_on_is_shown_closed(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "types.py").write_text(
        "AuthTypes = Union[\n    Tuple[str, str],\n    None,\n]\nSHORT = 1\n")
    text = "from pkg.types import AuthTypes, SHORT\n\nx = \n"
    assert CrossFileSnippets(tmp_path).snippets(text, str(tmp_path / "m.py"), 2, 1000) == [
        ("pkg/types.py", "AuthTypes = ...\nSHORT = 1")]
