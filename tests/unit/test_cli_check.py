"""The ``check`` subcommand, run as a real process on files in tmp_path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mycoder_lsp.validation.walk import iter_source_files, parse_gitignore

CLEAN = "def add(a, b):\n    return a + b\n"
BROKEN = "def add(a, b:\n    return a + b\n"


def run_check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mycoder_lsp", "check", "--root", str(cwd), *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
    )


def test_clean_file_passes(tmp_path: Path):
    (tmp_path / "ok.py").write_text(CLEAN)
    proc = run_check("ok.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All checks passed." in proc.stdout
    assert "Checked 1 file." in proc.stdout


def test_text_output_is_ruff_like_and_exit_1_on_errors(tmp_path: Path):
    (tmp_path / "bad.py").write_text(BROKEN)
    (tmp_path / "style.py").write_text("x = 1   \n")
    proc = run_check(".", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("bad.py:1:8: MC101 Syntax error")
    assert "style.py:1:6: MC203 Trailing whitespace" in proc.stdout
    assert "Found 2 findings (1 error) in 2 files." in proc.stdout


def test_warnings_only_exit_0(tmp_path: Path):
    (tmp_path / "w.py").write_text("import os\n")
    proc = run_check("w.py", cwd=tmp_path)
    assert proc.returncode == 0
    assert "w.py:1:8: MC313" in proc.stdout


def test_json_output_contract(tmp_path: Path):
    (tmp_path / "bad.py").write_text(BROKEN)
    (tmp_path / "ok.py").write_text(CLEAN)
    proc = run_check("--json", "bad.py", "ok.py", cwd=tmp_path)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert list(data) == ["files"]
    files = {f["path"]: f for f in data["files"]}
    assert set(files) == {"bad.py", "ok.py"}
    bad = files["bad.py"]
    assert set(bad) == {"path", "confidence", "safe_to_persist", "findings"}
    assert bad["confidence"] == 0.0 and bad["safe_to_persist"] is False
    finding = bad["findings"][0]
    assert set(finding) == {"line", "column", "end_line", "end_column", "severity", "code", "source", "message"}
    assert (finding["line"], finding["column"], finding["code"], finding["severity"], finding["source"]) == (
        1, 8, "MC101", "error", "mycoder")
    assert files["ok.py"] == {"path": "ok.py", "confidence": 1.0, "safe_to_persist": True, "findings": []}


def test_usage_errors_exit_2(tmp_path: Path):
    proc = run_check("nope.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nope.py: no such file or directory" in proc.stderr
    (tmp_path / "a.py").write_text(CLEAN)
    proc = run_check("--original", "missing_orig.py", "a.py", cwd=tmp_path)
    assert proc.returncode == 2 and "missing_orig.py" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "mycoder_lsp", "check"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 2


def test_original_and_instruction(tmp_path: Path):
    (tmp_path / "orig.py").write_text("def keep():\n    return 1\n\ndef lost():\n    return 2\n")
    (tmp_path / "new.py").write_text("def keep():\n    return 1\n")
    proc = run_check("--json", "--original", "orig.py", "new.py", cwd=tmp_path)
    assert proc.returncode == 1
    result = json.loads(proc.stdout)["files"][0]
    assert [f["code"] for f in result["findings"]] == ["MC503"]
    assert result["confidence"] == pytest.approx(0.6)
    proc = run_check("--original", "orig.py", "--instruction", "remove lost()", "new.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "All checks passed." in proc.stdout


def test_skipped_files_are_reported(tmp_path: Path):
    (tmp_path / "bin.py").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9'\n")
    (tmp_path / "declared.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n")
    (tmp_path / "notes.txt").write_text("hello")
    proc = run_check("bin.py", "latin.py", "declared.py", "notes.txt", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "bin.py: skipped: binary file" in proc.stdout
    assert "latin.py: skipped: not valid utf-8" in proc.stdout
    assert "notes.txt: skipped: unknown language" in proc.stdout
    assert "declared.py" not in proc.stdout.replace("Checked", "")
    assert "(3 skipped)" in proc.stdout


def test_directory_walk_respects_gitignore_and_skips_environments(tmp_path: Path):
    for rel in ["a.py", "b.js", "build/gen.py", "keep/x.py", "keep/ignored.py", "logs/debug.py", "node_modules/m.js",
                ".venv/lib/v.py", "env2/lib/e.py", "sub/deep/c.go", "sub/deep/skip.go", "__pycache__/p.py",
                ".mycoder/v.py", "README.md", "docs/important.py", "docs/other.py"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(CLEAN if rel.endswith(".py") else "")
    (tmp_path / "env2" / "pyvenv.cfg").write_text("")
    (tmp_path / ".gitignore").write_text("# comment\n/build/\nignored.py\nlogs\ndocs/*\n!docs/important.py\n")
    (tmp_path / "sub" / ".gitignore").write_text("deep/skip.*\n")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in iter_source_files(tmp_path, tmp_path))
    assert found == ["a.py", "b.js", "docs/important.py", "keep/x.py", "sub/deep/c.go"]
    proc = run_check("--json", ".", cwd=tmp_path)
    assert sorted(f["path"] for f in json.loads(proc.stdout)["files"]) == found


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "ignored"),
    [
        ("*.log", "a/b/c.log", False, True),
        ("/top.py", "top.py", False, True),
        ("/top.py", "sub/top.py", False, False),
        ("build/", "build", True, True),
        ("build/", "build", False, False),
        ("**/cache", "x/y/cache", True, True),
        ("a/**/b.py", "a/x/y/b.py", False, True),
        ("a/**/b.py", "a/b.py", False, True),
        ("file?.py", "file1.py", False, True),
        ("file[0-9].py", "filex.py", False, False),
        ("doc/*.py", "doc/sub/x.py", False, False),
    ],
)
def test_gitignore_patterns(tmp_path: Path, pattern, path, is_dir, ignored):
    from mycoder_lsp.validation.walk import GitIgnore, IgnoreFile

    matcher = GitIgnore([IgnoreFile(tmp_path, parse_gitignore(pattern + "\n"))])
    assert matcher.ignored(tmp_path / path, is_dir) is ignored


def test_many_files_use_the_pool_and_agree(tmp_path: Path):
    for i in range(45):
        (tmp_path / f"m{i}.py").write_text(CLEAN if i % 2 else "import os\n")
    proc = run_check("--json", ".", cwd=tmp_path)
    files = json.loads(proc.stdout)["files"]
    assert len(files) == 45
    assert sum(1 for f in files if f["findings"]) == 23


def test_check_does_not_import_the_server_or_http_stacks(tmp_path: Path):
    (tmp_path / "ok.py").write_text(CLEAN)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mycoder_lsp", "check", "ok.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "mycoder_lsp" in imported
    assert not imported & {"pygls", "httpx", "lsprotocol"}
