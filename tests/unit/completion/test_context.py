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
    assert snippets == [
        ("pkg/tools.py", "def shout(text):\n    return text.upper()"),
        ("pkg/util.py", "RETRIES = 3"),
        ("pkg/util.py", "def helper(path: str, *, strict: bool = False) -> list[str]:\n    return [path]"),
    ]


def test_nothing_from_outside_the_workspace_or_beyond_the_budget(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    text = "import os\nfrom pkg.util import helper\n\nos.path.join(helper(\n"
    assert CrossFileSnippets(root).snippets(text, str(root / "main.py"), 3, 5) == []
    assert CrossFileSnippets(None).snippets(text, str(root / "main.py"), 3, 1000) == []
    assert [p for p, _ in CrossFileSnippets(root).snippets(text, str(root / "main.py"), 3, 1000)] == ["pkg/util.py"]
