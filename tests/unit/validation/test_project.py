"""The checked file's project: its root, line length and lowest Python."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mycoder_lsp.config import Settings, apply_layer
from mycoder_lsp.validation.pipeline import effective_validation, validate_text
from mycoder_lsp.validation.project import Project, find_root, parse_requires_python, project_for


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("spec", "lowest"),
    [
        (">=3.9", (3, 9)),
        ("~=3.9", (3, 9)),
        (">=3.8,<4", (3, 8)),
        (">=3.8, <4", (3, 8)),
        ("^3.10", (3, 10)),  # poetry
        ("~3.11", (3, 11)),
        ("3.12", (3, 12)),
        ("3.11.*", (3, 11)),
        ("==3.10.*", (3, 10)),
        (">3.8", (3, 8)),  # 3.8.1 is allowed
        (">=3.7, !=3.8.*", (3, 7)),
        (">=3.9 || ^3.8", (3, 8)),
        (">=3.8, >=3.9", (3, 9)),  # both must hold
        ("<=3.12", None),
        ("<4", None),
        ("", None),
        ("nonsense", None),
    ],
)
def test_requires_python(spec, lowest):
    assert parse_requires_python(spec) == lowest


def test_root_is_the_nearest_marker_never_above_the_workspace(tmp_path: Path):
    ws = tmp_path / "ws"
    write(ws / "pyproject.toml", "")
    deep = write(ws / "pkg" / "sub" / "a.py", "")
    assert find_root(deep, ws) == ws.resolve()
    write(ws / "pkg" / "setup.cfg", "")
    assert find_root(deep, ws) == (ws / "pkg").resolve()  # the new marker is seen (directory mtime)
    assert find_root(ws / "pkg" / "sub", ws) == (ws / "pkg").resolve()
    # A marker above the workspace root is not the project's.
    write(tmp_path / "pyproject.toml", "")
    inner = tmp_path / "inner"
    assert find_root(write(inner / "x.py", ""), inner) == inner.resolve()
    # Outside the workspace, no upper bound: the nearest marker.
    assert find_root(write(tmp_path / "other" / "y.py", ""), ws) == tmp_path.resolve()
    assert find_root(None, ws) == ws.resolve()
    assert project_for(None, None) == Project(None)


@pytest.mark.parametrize(
    ("files", "length", "source"),
    [
        ({"pyproject.toml": "[tool.ruff]\nline-length = 120\n"}, 120, "pyproject.toml [tool.ruff]"),
        ({"pyproject.toml": "[tool.black]\nline-length = 99\n"}, 99, "pyproject.toml [tool.black]"),
        ({"pyproject.toml": "[tool.ruff.lint]\nselect = ['E']\n"}, 88, "pyproject.toml [tool.ruff] (default)"),
        ({"pyproject.toml": "[tool.black]\n"}, 88, "pyproject.toml [tool.black] (default)"),
        ({"ruff.toml": "line-length = 110\n"}, 110, "ruff.toml"),
        ({".ruff.toml": "[lint]\nselect = ['F']\n"}, 88, ".ruff.toml (default)"),
        ({"setup.cfg": "[flake8]\nmax-line-length = 100\n"}, 100, "setup.cfg [flake8]"),
        ({"tox.ini": "[flake8]\nmax_line_length = 127\n"}, 127, "tox.ini [flake8]"),
        ({".flake8": "[flake8]\nmax-line-length=90\nextend-ignore = E203\n"}, 90, ".flake8 [flake8]"),
        # An explicit number wins over another tool's default.
        ({"pyproject.toml": "[tool.black]\n", "setup.cfg": "[flake8]\nmax-line-length = 100\n"}, 100,
         "setup.cfg [flake8]"),
        ({"pyproject.toml": "[project]\nname = 'x'\n"}, None, None),
        ({"setup.cfg": "[metadata]\nname = x\n"}, None, None),
        ({"pyproject.toml": "this is [not toml"}, None, None),
        ({"setup.cfg": "[flake8\nbroken"}, None, None),
    ],
)
def test_line_length_sources(tmp_path: Path, files, length, source):
    for name, text in files.items():
        write(tmp_path / name, text)
    project = project_for(write(tmp_path / "m.py", ""), tmp_path)
    assert (project.line_length, project.line_length_source) == (length, source)


def test_python_version_sources(tmp_path: Path):
    py = write(tmp_path / "pyproject.toml", "[project]\nrequires-python = '>=3.9'\n")
    path = write(tmp_path / "m.py", "")
    assert project_for(path, tmp_path).python == (3, 9)
    write(py, "[tool.poetry.dependencies]\npython = '^3.10'\n")
    os.utime(py, ns=(1, 1))  # same size, older mtime: still seen as changed
    assert project_for(path, tmp_path).python == (3, 10)
    write(py, "[project]\nrequires-python = '>=3.9'\n[tool.mycoder.validation]\npython_version = '3.12'\n")
    assert project_for(path, tmp_path).python == (3, 12)
    write(py, "")
    assert project_for(path, tmp_path).python is None


def test_validation_python_version_setting_overrides_requires_python(tmp_path: Path, monkeypatch):
    seen: list[Project | None] = []
    from mycoder_lsp.validation import hallucination

    real = hallucination.check_hallucination

    def spy(src):
        seen.append(src.project)
        return real(src)

    monkeypatch.setattr(hallucination, "check_hallucination", spy)
    write(tmp_path / "pyproject.toml", "[project]\nrequires-python = '~=3.9'\n")
    path = write(tmp_path / "m.py", "x = 1\n")
    validate_text("x = 1\n", path=str(path), workspace_root=tmp_path)
    settings = Settings()
    apply_layer(settings, {"validation": {"python_version": "py311"}}, "test")
    validate_text("x = 1\n", path=str(path), workspace_root=tmp_path, settings=settings)
    assert [p.python for p in seen] == [(3, 9), (3, 11)]  # type: ignore[union-attr]
    assert seen[0].root == tmp_path.resolve()  # type: ignore[union-attr]


def test_untitled_documents_belong_to_the_workspace_project(tmp_path: Path):
    write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 120\n")
    line = "x = '" + "a" * 100 + "'\n"
    assert validate_text(line, path="untitled:Untitled-1", language="python", workspace_root=tmp_path).findings == []


LONG_100 = "x = '" + "a" * 94 + "'\n"  # 100 columns
LONG_110 = "x = '" + "a" * 104 + "'\n"
LONG_130 = "x = '" + "a" * 124 + "'\n"


def codes_for(tmp_path: Path, text: str, settings: Settings | None = None) -> list[str]:
    path = write(tmp_path / "m.py", text)
    return [f.code for f in validate_text(text, path=str(path), workspace_root=tmp_path, settings=settings).findings]


def test_project_line_length_replaces_pep8_and_raises_the_hard_limit(tmp_path: Path):
    assert codes_for(tmp_path, LONG_100) == ["MC204"]  # no project setting: PEP 8's 79
    write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 120\n")
    assert codes_for(tmp_path, LONG_100) == []
    assert codes_for(tmp_path, LONG_110) == []  # not MC302 at 101 for a project at 120
    assert codes_for(tmp_path, LONG_130) == ["MC302"]  # one finding per long line
    path = tmp_path / "m.py"
    message = validate_text(LONG_130, path=str(path), workspace_root=tmp_path).findings[0].message
    assert "hard limit of 120" in message


def test_tool_default_88_and_its_message(tmp_path: Path):
    write(tmp_path / "pyproject.toml", "[tool.black]\n")
    line = "x = '" + "a" * 84 + "'\n"  # 90 columns
    path = write(tmp_path / "m.py", line)
    findings = validate_text(line, path=str(path), workspace_root=tmp_path).findings
    assert [f.code for f in findings] == ["MC204"]
    assert "over the project's 88 (pyproject.toml [tool.black] (default))" in findings[0].message
    assert "PEP 8" not in findings[0].message


def test_an_explicit_mycoder_setting_wins_over_the_project(tmp_path: Path):
    write(tmp_path / "pyproject.toml", "[tool.ruff]\nline-length = 120\n")
    settings = Settings()
    # Equal to the default, and still the user's choice.
    apply_layer(settings, {"validation": {"style": {"max_line_length": 79}, "lint": {"max_line_length": 100}}}, "t")
    assert codes_for(tmp_path, LONG_110, settings) == ["MC302"]
    assert codes_for(tmp_path, LONG_100, settings) == ["MC204"]
    off = Settings()
    apply_layer(off, {"validation": {"style": {"max_line_length": 0}}}, "t")
    assert codes_for(tmp_path, LONG_100, off) == []


def test_effective_validation_leaves_the_settings_alone(tmp_path: Path):
    settings = Settings()
    config = effective_validation(settings.validation, Project(tmp_path, 120, "x"))
    assert (config.style.max_line_length, config.lint.max_line_length) == (120, 120)
    assert (settings.validation.style.max_line_length, settings.validation.lint.max_line_length) == (79, 100)
    config = effective_validation(settings.validation, Project(tmp_path, 88, "x"))
    assert (config.style.max_line_length, config.lint.max_line_length) == (88, 100)
    assert effective_validation(settings.validation, Project(tmp_path)) is settings.validation


def test_hostile_config_files_do_not_block_or_fill_memory(tmp_path: Path):
    os.mkfifo(tmp_path / "pyproject.toml")  # open() without O_NONBLOCK would wait forever
    (tmp_path / "setup.cfg").symlink_to("/dev/zero")
    write(tmp_path / "tox.ini", "[flake8]\nmax-line-length = 100\n" + "#" * 2_000_000)
    project = project_for(write(tmp_path / "m.py", ""), tmp_path)
    assert project == Project(tmp_path.resolve())
