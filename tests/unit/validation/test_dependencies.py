"""Declared dependencies, read from each file format a project may use, as import names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mycoder_lsp.validation import dependencies
from mycoder_lsp.validation.dependencies import declarations, declared_import_names


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


PYPROJECT = """
[build-system]
requires = ["hatchling>=1.0"]

[project]
name = "My_App"
dependencies = ["requests[socks]>=2.0 ; python_version >= '3.8'", "PyYAML", "beautifulsoup4"]

[project.optional-dependencies]
fast = ["orjson"]

[dependency-groups]
test = ["pytest-cov", {include-group = "lint"}]
lint = ["ruff"]

[tool.poetry.dependencies]
python = "^3.10"
Pillow = "*"

[tool.poetry.group.docs.dependencies]
sphinx-rtd-theme = "*"
"""


def test_pyproject_sections(tmp_path: Path):
    write(tmp_path, "pyproject.toml", PYPROJECT)
    found = declarations(tmp_path)
    assert found.files == ("pyproject.toml",)
    assert {"requests", "pyyaml", "beautifulsoup4", "orjson", "pytest-cov", "ruff", "hatchling", "pillow",
            "sphinx-rtd-theme", "my-app"} <= found.distributions
    assert "python" not in found.distributions
    names = found.import_names
    # the famous mismatches and the normalised names
    assert {"requests", "yaml", "bs4", "PIL", "orjson", "pytest_cov", "sphinx_rtd_theme", "my_app"} <= names


def test_requirements_with_includes_markers_extras_and_eggs(tmp_path: Path):
    write(tmp_path, "requirements.txt",
          "# runtime\n-r requirements/base.txt\nhttpx[http2]==0.27 ; sys_platform != 'win32'\n"
          "--index-url https://example.invalid/simple\n-e git+https://example.invalid/x.git#egg=Editable_Pkg\n"
          "https://example.invalid/wheel.whl\n")
    write(tmp_path, "requirements/base.txt", "python-dateutil>=2  # dates\n-c ../constraints.txt\n")
    write(tmp_path, "constraints.txt", "six==1.16\n")
    write(tmp_path, "requirements-dev.in", "opencv-python-headless\n")
    names = declared_import_names(tmp_path)
    assert {"httpx", "dateutil", "six", "editable_pkg", "cv2"} <= names
    assert "https" not in names and "wheel" not in names


def test_setup_cfg(tmp_path: Path):
    write(tmp_path, "setup.cfg",
          "[options]\ninstall_requires =\n    scikit-learn>=1\n    # a comment\n    attrs\n"
          "[options.extras_require]\ntest =\n    pytest-mock\n")
    assert {"sklearn", "attr", "attrs", "pytest_mock"} <= declared_import_names(tmp_path)


@pytest.mark.parametrize("name", ["uv.lock", "poetry.lock", "pdm.lock"])
def test_lock_files(tmp_path: Path, name: str):
    write(tmp_path, name, 'version = 1\n[[package]]\nname = "GitPython"\nversion = "3.1"\n'
                          '[[package]]\nname = "zope.interface"\nversion = "6"\n')
    names = declared_import_names(tmp_path)
    assert {"git", "zope"} <= names


def test_pipfile(tmp_path: Path):
    write(tmp_path, "Pipfile", '[packages]\nflask = "*"\n[dev-packages]\npython-dotenv = "*"\n')
    assert {"flask", "dotenv"} <= declared_import_names(tmp_path)


def test_installed_metadata_maps_distribution_to_import_names(tmp_path: Path):
    site = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages"
    dist = site / "Odd_Dist-1.0.dist-info"
    dist.mkdir(parents=True)
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("")
    (dist / "top_level.txt").write_text("strange_import_name\n")
    write(tmp_path, "requirements.txt", "odd-dist\n")
    assert "strange_import_name" in declared_import_names(tmp_path)


def test_broken_files_are_skipped_and_changes_are_seen(tmp_path: Path, monkeypatch):
    write(tmp_path, "pyproject.toml", "[project\nbroken")
    write(tmp_path, "requirements.txt", "first-pkg\n")
    assert declarations(tmp_path).files == ("requirements.txt",)
    assert "first_pkg" in declared_import_names(tmp_path)
    monkeypatch.setattr(dependencies, "_RECHECK_SECONDS", 0.0)
    write(tmp_path, "requirements.txt", "second-pkg\n")
    stat = (tmp_path / "requirements.txt").stat()
    os.utime(tmp_path / "requirements.txt", (stat.st_atime, stat.st_mtime + 10))
    names = declared_import_names(tmp_path)
    assert "second_pkg" in names and "first_pkg" not in names


def test_no_project(tmp_path: Path):
    assert declared_import_names(None) == frozenset()
    assert declared_import_names(tmp_path / "missing") == frozenset()
    assert declarations(tmp_path).files == ()


def test_planted_files_neither_block_nor_fill_memory(tmp_path: Path):
    # An untrusted repository: a FIFO as an included requirements file would
    # block a plain read, a link to /dev/zero would never end, a huge file
    # would fill memory. Each is skipped; the real declarations still count.
    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    with open(tmp_path / "huge.txt", "wb") as handle:
        handle.truncate(2**31)  # sparse: 2 GiB a plain read would load whole
    (tmp_path / "requirements.txt").write_text("httpx\n-r fifo.txt\n-r zero.txt\n-r huge.txt\n")
    (tmp_path / "requirements-dev.txt").symlink_to("/dev/zero")
    assert "httpx" in declared_import_names(tmp_path)
