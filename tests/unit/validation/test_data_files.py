"""The shipped data files are what their generators make: the known import
names are the seed run through scripts/build_pypi_import_names.py (nobody
edits the .txt by hand), and the stdlib names file names its source."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "mycoder_lsp" / "data"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_known_import_names_are_the_seed_as_the_script_writes_it(tmp_path: Path) -> None:
    script = _script("build_pypi_import_names")
    out = tmp_path / "names.txt"
    assert script.main(["--output", str(out)]) == 0
    assert out.read_text("utf-8") == (DATA / "pypi_import_names.txt").read_text("utf-8"), \
        "pypi_import_names.txt differs from the seed: rerun scripts/build_pypi_import_names.py"


def test_the_stdlib_names_file_names_its_source() -> None:
    head = (DATA / "stdlib_names.txt").read_text("utf-8")[:2000]
    assert "scripts/build_stdlib_names.py" in head and "typeshed" in head
