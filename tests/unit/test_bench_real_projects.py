"""The real-projects benchmark's pins, workspaces, parsing and summary
(bench/bench_real_projects.py) on a tiny made-up package: no network, no
virtualenv, not the real run."""

from __future__ import annotations

import collections
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from bench import bench_real_projects as bench

REPO = Path(__file__).resolve().parents[2]


def make_site(tmp_path: Path) -> Path:
    """A site-packages with a package, a single-file module and bytecode."""
    site = tmp_path / "site-packages"
    (site / "tinypkg" / "__pycache__").mkdir(parents=True)
    (site / "tinypkg" / "__init__.py").write_text("from .core import run as run\n")
    (site / "tinypkg" / "core.py").write_text("def run():\n    return undefined_thing\n")
    (site / "tinypkg" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\0bytecode")
    (site / "tinymod.py").write_text("X = 1")  # no trailing newline: still one line
    (site / "other").mkdir()
    (site / "other" / "__init__.py").write_text("raise SystemExit\n")
    return site


def make_sdist(folder: Path, src: str = "") -> str:
    """A source release with config files at its top and a nested one, the
    package under ``src`` (e.g. ``"src/"``); returns its sha256."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in (("tinypkg-1.0/pyproject.toml", "[tool.ruff]\nline-length = 120\n"),
                           ("tinypkg-1.0/tox.ini", "[flake8]\nmax-line-length = 120\n"),
                           ("tinypkg-1.0/docs/pyproject.toml", "nested = true\n"),
                           (f"tinypkg-1.0/{src}tinypkg/__init__.py", ""),
                           (f"tinypkg-1.0/{src}tinymod.py", ""),
                           ("tinypkg-1.0/tests/tinypkg/__init__.py", ""),
                           ("tinypkg-1.0/README.md", "# tiny\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tinypkg-1.0.tar.gz").write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def test_the_pins_are_at_least_ten_exact_hashed_releases() -> None:
    projects, support = bench.load_pins()
    assert len(projects) >= 10
    names = [p.name for p in projects + support]
    assert len(names) == len(set(names))
    for pin in projects:
        assert pin.paths and pin.sdist_sha256
        hashed = f" --hash=sha256:{pin.sha256}" if pin.sha256 else ""
        assert pin.requirement() == f"{pin.name}=={pin.version}{hashed}"
        assert all(part.isdigit() or part.startswith("post") for part in pin.version.split("."))
    assert sum(p.sha256 is not None for p in projects) >= 10
    unhashed = next(p for p in support if p.sha256 is None)
    assert unhashed.requirement() == f"{unhashed.name}=={unhashed.version}"


def test_the_pins_digest_changes_with_any_pin() -> None:
    pins = [bench.Pin("a", "1.0", "00"), bench.Pin("b", "2.0")]
    assert bench.pins_digest(pins) == bench.pins_digest(list(reversed(pins)))
    assert bench.pins_digest(pins) != bench.pins_digest([bench.Pin("a", "1.1", "00"), bench.Pin("b", "2.0")])


def test_a_pins_file_with_a_project_without_paths_is_refused(tmp_path: Path) -> None:
    pins = tmp_path / "projects.toml"
    pins.write_text('[[project]]\nname = "x"\nversion = "1"\n')
    with pytest.raises(ValueError, match="project x lists no paths"):
        bench.load_pins(pins)


def test_every_label_names_a_pinned_project_and_a_verdict() -> None:
    projects, _ = bench.load_pins()
    labels = bench.load_labels()
    assert labels
    for label in labels.values():
        assert label.project in {p.name for p in projects}
        assert label.reason and label.cause
        top = label.file.removeprefix("src/").split("/")[0]
        assert top in {path for p in projects if p.name == label.project for path in p.paths}


def test_a_label_with_a_bad_verdict_is_refused(tmp_path: Path) -> None:
    labels = tmp_path / "labels.toml"
    labels.write_text('[[label]]\nproject = "x"\nfile = "x.py"\nline = 1\ncode = "MC310"\nverdict = "maybe"\n')
    with pytest.raises(ValueError, match="verdict"):
        bench.load_labels(labels)
    assert bench.load_labels(tmp_path / "missing.toml") == {}


def test_config_members_are_only_the_top_level_config_files() -> None:
    names = ["p-1/pyproject.toml", "p-1/setup.cfg", "p-1/docs/pyproject.toml", "p-1/README.md", "../tox.ini",
             "pyproject.toml", "p-1/.flake8"]
    assert bench.config_members(names) == {"p-1/pyproject.toml": "pyproject.toml", "p-1/setup.cfg": "setup.cfg",
                                           "p-1/.flake8": ".flake8"}


def test_the_workspace_holds_the_project_sources_and_its_sdist_config(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    cache = tmp_path / "cache"
    digest = make_sdist(cache / "sdists")  # found by its hash: nothing is downloaded
    pin = bench.Pin("tinypkg", "1.0", paths=("tinypkg", "tinymod.py"), sdist_sha256=digest)
    workspace = bench.ensure_workspace(cache, site, pin)
    assert workspace == cache / bench.WORKSPACES / "tinypkg-1.0"
    found = sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*") if p.is_file())
    assert found == ["pyproject.toml", "tinymod.py", "tinypkg/__init__.py", "tinypkg/core.py", "tox.ini"]
    assert "line-length = 120" in (workspace / "pyproject.toml").read_text()
    # Built once: a second call reuses it as it is.
    (workspace / "marker").write_text("")
    assert bench.ensure_workspace(cache, site, pin) == workspace and (workspace / "marker").exists()


def test_a_src_layout_release_gets_a_src_layout_workspace(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    cache = tmp_path / "cache"
    digest = make_sdist(cache / "sdists", src="src/")
    pin = bench.Pin("tinypkg", "1.0", paths=("tinypkg", "tinymod.py"), sdist_sha256=digest)
    workspace = bench.ensure_workspace(cache, site, pin)
    found = sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*") if p.is_file())
    assert found == ["pyproject.toml", "src/tinymod.py", "src/tinypkg/__init__.py", "src/tinypkg/core.py",
                     "tox.ini"]


def test_source_folder_is_the_shallowest_place_of_the_package() -> None:
    names = ["p-1/tests/pkg/__init__.py", "p-1/src/pkg/__init__.py", "p-1/src/pkg/x.py", "p-1/src/mod.py"]
    assert bench.source_folder(names, "pkg") == "src/"
    assert bench.source_folder(names, "mod.py") == "src/"
    assert bench.source_folder(["p-1/pkg/__init__.py", "p-1/src/pkg/__init__.py"], "pkg") == ""
    assert bench.source_folder([], "pkg") == ""


def test_an_sdist_is_recognised_by_its_hash_only(tmp_path: Path) -> None:
    digest = make_sdist(tmp_path / "sdists")
    pin = bench.Pin("tinypkg", "1.0", paths=("tinypkg",), sdist_sha256=digest)
    assert bench.ensure_sdist(tmp_path, pin).name == "tinypkg-1.0.tar.gz"


def test_count_lines_counts_a_last_line_without_newline() -> None:
    assert [bench.count_lines(b) for b in (b"", b"a\n", b"a\nb", b"a\n\n")] == [0, 1, 2, 2]


def report_for_tiny_package() -> dict:
    """What ``check --json`` prints for the tiny package (shape of FileResult.to_json)."""
    def finding(line: int, code: str, severity: str, message: str) -> dict:
        return {"line": line, "column": 5, "end_line": line, "end_column": 9, "severity": severity,
                "code": code, "source": "mycoder", "message": message}
    return {"files": [
        {"path": "tinymod.py", "confidence": 1.0, "safe_to_persist": True, "findings": []},
        {"path": "tinypkg/__init__.py", "confidence": 1.0, "safe_to_persist": True,
         "findings": [finding(1, "MC313", "warning", "unused")]},
        {"path": "tinypkg/core.py", "confidence": 0.5, "safe_to_persist": False,
         "findings": [finding(2, "MC310", "error", "Undefined name 'undefined_thing'."),
                      finding(2, "MC204", "information", "long"), finding(1, "MC310", "warning", "maybe")]},
    ]}


def test_summarize_counts_files_lines_codes_and_lists_the_errors(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    pin = bench.Pin("tinypkg", "1.0", paths=("tinypkg", "tinymod.py"))
    workspace = bench.ensure_workspace(tmp_path / "cache", site, pin)
    result = bench.summarize(pin, report_for_tiny_package(), ["x.py: skipped: binary"], workspace, 1.5, 1.25, 1)
    assert (result.files, result.lines, result.wall, result.cpu) == (3, 4, 1.5, 1.25)
    assert result.by_code == {"MC313": 1, "MC310": 2, "MC204": 1}
    assert result.by_severity == {"warning": 2, "error": 1, "information": 1}
    assert result.code_severities["MC310"] == {"error": 1, "warning": 1}
    assert result.errors == [bench.ErrorFinding("tinypkg/core.py", 2, 5, "MC310",
                                                "Undefined name 'undefined_thing'.")]
    assert result.total == 4 and result.skipped == ["x.py: skipped: binary"]
    assert bench.per_thousand(result.total, result.lines) == 1000.0


def test_errors_are_counted_true_false_and_unlabelled_from_the_labels(tmp_path: Path) -> None:
    labels_file = tmp_path / "labels.toml"
    labels_file.write_text('[[label]]\nproject = "tinypkg"\nfile = "tinypkg/core.py"\nline = 2\ncode = "MC310"\n'
                           'verdict = "true"\ncause = "lint"\nreason = "really undefined"\n')
    labels = bench.load_labels(labels_file)
    result = bench.ProjectResult("tinypkg", "1.0", files=1, lines=10, errors=[
        bench.ErrorFinding("tinypkg/core.py", 2, 5, "MC310", "m"), bench.ErrorFinding("tinypkg/core.py", 3, 1,
                                                                                       "MC310", "m")])
    assert bench.error_counts([result], labels) == (1, 0, 1)
    section = "\n".join(bench.project_section(result, labels))
    assert "`tinypkg/core.py:2:5` MC310 m -> TRUE (lint): really undefined" in section
    assert "`tinypkg/core.py:3:1` MC310 m -> UNLABELLED" in section
    assert "| **all** | 1 | 10 | 2 (1/0/1) |" in "\n".join(bench.totals_table([result], labels))


def test_the_tables_total_per_thousand_lines_and_the_speed_ratio() -> None:
    def result(name: str, lines: int, codes: dict[str, int], cpu: float) -> bench.ProjectResult:
        r = bench.ProjectResult(name, "1", files=1, lines=lines, by_code=collections.Counter(codes), wall=cpu,
                                cpu=cpu)
        r.code_severities = {c: collections.Counter({"warning": n}) for c, n in codes.items()}
        return r
    now = [result("a", 1000, {"MC204": 2, "MC302": 1}, 2.0), result("b", 3000, {"MC204": 2}, 4.0)]
    before = [result("a", 1000, {"MC204": 10}, 1.0), result("b", 3000, {"MC204": 30}, 3.0)]
    codes = bench.code_table({"now": now, "before": before})
    assert "| MC204 | warning | 4 | 1.00 | 80.0% | 40 | 10.00 | 100.0% |" in codes
    assert codes[-1] == "| **all** | | 5 | 1.25 | 100% | 40 | 10.00 | 100% |"
    by_project = bench.project_code_table(now, top=1)
    assert by_project[0] == "| project | lines | MC204 | other | all |"
    assert by_project[-1] == "| **all** | 4,000 | 1.00 | 0.25 | 1.25 |"
    assert bench.speed_table(now, before)[-1].endswith("| 1.50x (wall 1.50x) |")


def test_run_check_parses_the_real_cli_on_the_tiny_package(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    pin = bench.Pin("tinypkg", "1.0", paths=("tinypkg", "tinymod.py"))
    workspace = bench.ensure_workspace(tmp_path / "cache", site, pin)
    report, skipped, wall, cpu, status = bench.run_check(REPO, workspace, tmp_path / "no-venv", tmp_path / "cfg")
    result = bench.summarize(pin, report, skipped, workspace, wall, cpu, status)
    assert status == 1 and wall > 0 and skipped == []
    assert (result.files, result.lines) == (3, 4)
    assert [(e.path, e.line, e.code) for e in result.errors] == [("tinypkg/core.py", 2, "MC310")]
