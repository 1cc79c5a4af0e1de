"""Suppressions through the whole pipeline: each comment form, the settings,
generated code, and comments that are not comments (inside strings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mycoder_lsp.config import Settings, apply_layer
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.lint import PYFLAKES_CODES
from mycoder_lsp.validation.pipeline import validate_text
from mycoder_lsp.validation.suppress import FOREIGN_CODES, our_codes, parse_directives, per_file_codes


@pytest.fixture
def check(tmp_path: Path):
    def run(code: str, *, name: str = "mod.py", settings: Settings | None = None, **kwargs: object) -> list[str]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
        result = validate_text(code, path=str(path), settings=settings, workspace_root=tmp_path,
                               **kwargs)  # type: ignore[arg-type]
        return [f"{f.line + 1}:{f.code}" for f in result.findings]

    return run


@pytest.mark.parametrize(
    ("comment", "hidden"),
    [
        ("# noqa", True),
        ("# NOQA", True),
        ("#noqa:F401", True),
        ("# noqa: F401", True),
        ("# noqa: E501, F401", True),
        ("# noqa: E501 F401", True),
        ("# noqa: MC313", True),
        ("# noqa: MC3", True),  # our prefixes work too
        ("# noqa: F841", False),  # another problem's code
        ("# noqa: D401", False),  # a code we have no equivalent of hides nothing
        ("# mycoder: ignore", True),
        ("# mycoder: ignore[MC313]", True),
        ("# mycoder: ignore[MC504, MC313]", True),
        ("# mycoder: ignore[MC504]", False),
        ("# type: ignore  # noqa: F401", True),
        ("# noqanot", False),
        ("# ruff: noqa: F401", False),  # file-level only on a line of its own
    ],
)
def test_line_comments(check, comment, hidden):
    assert check(f"import os  {comment}\n") == ([] if hidden else ["1:MC313"])


def test_noqa_inside_a_string_is_not_a_comment(check):
    assert check('import os; x = "# noqa"\n') == ["1:MC313"]
    assert check("import os; x = '# mycoder: ignore'  # real comment\n") == ["1:MC313"]
    assert check('x = """\n# noqa\n"""\nimport os\n') == ["4:MC313"]


def test_file_level_comments(check):
    body = "import os\nimport sys\nundefined_name\n"
    assert check(body) == ["1:MC313", "2:MC313", "3:MC310"]
    for header in ("# mycoder: skip-file", "# ruff: noqa", "# flake8: noqa", "#  Ruff:NOQA"):
        assert check(f"{header}\n{body}") == [], header
        assert check(f"{body}{header}\n") == [], header  # anywhere in the file, as in ruff
    assert check(f"# ruff: noqa: F401\n{body}") == ["4:MC310"]
    # Trailing a statement, a file-level comment is not one.
    assert check(f"x = 1  # mycoder: skip-file\n{body}") == ["2:MC313", "3:MC313", "4:MC310"]


def test_multi_line_findings_are_hidden_by_their_first_or_last_line(check):
    settings = Settings()
    apply_layer(settings, {"validation": {"hallucination": False}}, "test")
    code = "from os import (\n    path,\n    sep,\n)\n"
    assert check(code) == ["1:MC313", "1:MC313"]
    assert check(code.replace("(\n", "(  # noqa: F401\n", 1)) == []
    assert check(code.replace("\n)\n", "\n)  # noqa: F401\n")) == []
    assert check(code.replace("path,", "path,  # noqa")) == ["1:MC313", "1:MC313"]  # a middle line: not
    # A long line inside a multi-line string: the comment after the string's end counts.
    long_string = 'x = """\n' + "a" * 120 + '\n"""\n'
    assert check(long_string) == ["2:MC302"]
    assert check(long_string.replace('\n"""\n', '\n"""  # noqa: E501\n')) == []


def test_per_file_ignores(check, tmp_path: Path):
    settings = Settings()
    problems = apply_layer(settings, {"validation": {"per_file_ignores": {
        "tests/*": ["MC310"], "__init__.py": ["F401"], "scripts/": ["MC3"]}}}, "test")
    assert problems == []
    code = "import os\nundefined_name\n"
    assert check(code, name="tests/test_a.py", settings=settings) == ["1:MC313"]
    assert check(code, name="tests/deep/test_b.py", settings=settings) == ["1:MC313"]
    assert check(code, name="pkg/__init__.py", settings=settings) == ["2:MC310"]
    assert check(code, name="scripts/run.py", settings=settings) == []
    assert check(code, name="src/a.py", settings=settings) == ["1:MC313", "2:MC310"]


def test_per_file_ignores_are_relative_to_the_files_project(tmp_path: Path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "pyproject.toml").write_text("")
    assert per_file_codes(str(tmp_path / "pkg" / "tests" / "t.py"), tmp_path / "pkg", {"tests/*": ["MC310"]}) \
        == frozenset({"MC310"})
    assert per_file_codes(str(tmp_path / "pkg" / "tests" / "t.py"), tmp_path, {"tests/*": ["MC310"]}) == frozenset()


def test_generated_code_keeps_the_originals_suppressions_only(check):
    original = "import os  # noqa: F401\n\n\ndef f():\n    return 1\n"
    kept = "import os  # noqa: F401\n\n\ndef f():\n    return 2\n"
    assert check(kept, original=original, instruction="return 2") == []
    # A suppression the model added to its own output does not count.
    added = "import os  # noqa: F401\nimport sys  # noqa\n\n\ndef f():\n    return 2\n"
    assert check(added, original=original, instruction="return 2") == ["2:MC313"]
    skipped = "# mycoder: skip-file\n" + added
    assert check(skipped, original=original, instruction="return 2") == ["3:MC313"]
    # Existing code (no original): every comment counts.
    assert check(added) == []


def test_syntax_errors_keep_confidence_zero_when_suppressed(tmp_path: Path):
    path = tmp_path / "m.py"
    result = validate_text("def f(:  # noqa\n    pass\n", path=str(path), workspace_root=tmp_path)
    assert result.findings == [] and result.confidence == 0.0


def test_comments_are_read_past_a_tokenize_error():
    # tokenize stops at the bad dedent; the comment after it is still read.
    text = "if x:\n        a = 1\n    b = 2  # noqa\nc = 3  # noqa: F401\n"
    directives = parse_directives(text, "python")
    assert directives.lines.get(3) == frozenset({"MC313"})


def test_other_languages_use_their_comment_marker():
    directives = parse_directives("let x = 1; // noqa\nconst y = 2; /* mycoder: ignore[MC102] */\n", "javascript")
    assert directives.lines == {0: None, 1: frozenset({"MC102"})}
    hidden = Finding("MC102", "m", Severity.ERROR, 1, 0, 1, 3)
    assert directives.hides(hidden)
    assert not directives.hides(Finding("MC001", "m", Severity.INFORMATION, 0, 0, 0, 0))


def test_every_foreign_code_maps_to_a_real_code():
    known = {code for code, _, _ in PYFLAKES_CODES.values()} | {
        "MC101", "MC201", "MC202", "MC203", "MC204", "MC301", "MC302", "MC401", "MC402", "MC404", "MC501"}
    for foreign, ours in FOREIGN_CODES.items():
        assert set(ours) <= known, foreign
    assert our_codes(["f401", "E501", "MC5", "XYZ9"]) == {"MC313", "MC204", "MC302", "MC5"}


@pytest.mark.parametrize(
    "text",
    [
        'import os  # noqa\nx = "# noqa"\ny = \'a # noqa\'  # noqa: F401\n',
        'x = """\n# noqa\nstill # mycoder: ignore\n"""  # noqa: E501\nz = 1\n',
        "s = f'{a!r} # noqa'  # mycoder: ignore[MC310]\nt = f'''\n# noqa\n'''\n",
        "from os import (  # noqa: F401\n    path,\n    sep,\n)  # noqa\n",
        "é = 'ü' ; b = '''x\n'''  # noqa: F401\n# mycoder: skip-file\n",
        "x = 'it''s'  # NOQA:e501\nr = r'\\'  # noqa'\nq = 2  # noqa\n",
    ],
)
def test_the_tree_and_tokenize_read_the_same_comments(text):
    import ast

    from mycoder_lsp.validation.source import PythonSource

    src = PythonSource(text, "m.py", ast.parse(text))
    assert parse_directives(text, "python", src=src) == parse_directives(text, "python")


def test_per_file_ignores_from_the_projects_pyproject(tmp_path: Path, monkeypatch):
    from mycoder_lsp.config import load_settings

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "pyproject.toml").write_text(
        "[tool.mycoder.validation]\npython_version = '3.9'\n"
        "[tool.mycoder.validation.per_file_ignores]\n'tests/*' = ['MC310', 'F401']\n")
    settings, problems = load_settings(tmp_path)
    assert problems == []
    assert settings.validation.per_file_ignores == {"tests/*": ["MC310", "F401"]}
    assert settings.validation.python_version == "3.9"
    (tmp_path / "tests").mkdir()
    path = tmp_path / "tests" / "test_x.py"
    code = "import os\nundefined_name\n"
    result = validate_text(code, path=str(path), settings=settings, workspace_root=tmp_path)
    assert result.findings == []


def test_validation_ignore_takes_prefixes_and_foreign_codes(check):
    code = "import os\nx = 1   \nundefined_name\n"
    for ignore, left in ((["MC203"], ["1:MC313", "3:MC310"]), (["MC3"], ["2:MC203"]),
                         (["F401", "W291"], ["3:MC310"]), ([], ["1:MC313", "2:MC203", "3:MC310"])):
        settings = Settings()
        apply_layer(settings, {"validation": {"ignore": ignore}}, "test")
        assert check(code, settings=settings) == left, ignore


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_lines(check, newline):
    code = newline.join(["import os", "import sys  # noqa: F401", "import re  # noqa", "import csv", ""])
    assert check(code) == ["1:MC313", "4:MC313"]
    directives = parse_directives(code + "x = (\n", "python")  # a syntax error: the tokenize path
    assert set(directives.lines) == {1, 2}


@pytest.mark.parametrize("files", [
    {"pyproject.toml": '[tool.ruff.lint.per-file-ignores]\n"__init__.py" = ["F401"]\n"scripts/*" = ["E501"]\n'},
    {"pyproject.toml": '[tool.ruff]\nline-length = 100\n[tool.ruff.per-file-ignores]\n"__init__.py" = ["F401"]\n'
                       '[tool.ruff.extend-per-file-ignores]\n"scripts/*" = ["E501"]\n'},
    {"ruff.toml": '[lint.per-file-ignores]\n"__init__.py" = ["F401"]\n"scripts/*" = ["E501"]\n'},
    {"setup.cfg": "[flake8]\nper-file-ignores =\n    __init__.py: F401\n    scripts/*:E501,W291\n"},
    {".flake8": "[flake8]\nper-file-ignores = __init__.py:F401 scripts/*:E501\n"},
])
def test_the_projects_own_ruff_or_flake8_per_file_ignores_count(tmp_path: Path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "scripts").mkdir()
    init, script = tmp_path / "__init__.py", tmp_path / "scripts" / "run.py"
    long_line = "X = '" + "a" * 130 + "'\n"
    init.write_text("import os\n")
    script.write_text("import os\n" + long_line)

    def codes(path: Path) -> list[str]:
        result = validate_text(path.read_text(), path=str(path), workspace_root=tmp_path)
        return sorted(f.code for f in result.findings)

    assert codes(init) == []
    assert codes(script) == ["MC313"]  # E501 is hidden there, F401 is not
    # Without the project's settings both findings are back.
    for name in files:
        (tmp_path / name).write_text("")
    from mycoder_lsp.validation.project import clear_cache
    clear_cache()
    assert codes(init) == ["MC313"]
    assert codes(script) == ["MC302", "MC313"]


@pytest.mark.parametrize("config", [
    ("pyproject.toml", '[tool.ruff.lint]\nignore = ["E501", "F401"]\n'),
    ("pyproject.toml", '[tool.ruff]\nextend-ignore = ["E501"]\nignore = ["F"]\n'),
    ("setup.cfg", "[flake8]\nextend-ignore = E501,F401\n"),
])
def test_a_project_that_turns_off_e501_gets_no_line_length_findings_but_keeps_pyflakes(tmp_path: Path, config):
    name, text = config
    (tmp_path / name).write_text(text)
    path = tmp_path / "m.py"
    path.write_text("import os\nX = '" + "a" * 130 + "'\nundefined_name\n")
    result = validate_text(path.read_text(), path=str(path), workspace_root=tmp_path)
    # The project's style choice counts; its pyflakes choices do not (F821 would hide real NameErrors).
    assert sorted(f.code for f in result.findings) == ["MC310", "MC313"]


def test_ruffs_pycodestyle_max_line_length_is_the_hard_limit(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 88\n[tool.ruff.lint.pycodestyle]\n"
                                             "max-line-length = 120\n")
    path = tmp_path / "m.py"
    path.write_text("X = '" + "a" * 100 + "'\nY = '" + "b" * 130 + "'\n")
    result = validate_text(path.read_text(), path=str(path), workspace_root=tmp_path)
    assert [(f.code, f.line) for f in result.findings] == [("MC204", 0), ("MC302", 1)]
