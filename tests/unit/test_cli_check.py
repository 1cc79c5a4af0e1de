"""The ``check`` subcommand, run as a real process on files in tmp_path."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mycoder_lsp.code.workspace import iter_source_files, parse_gitignore
from mycoder_lsp.validation.findings import FileResult, Finding, Severity

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
    assert lines[0].startswith("bad.py:1:8: MC101 [error] Syntax error")
    assert "style.py:1:6: MC203 [information] Trailing whitespace" in proc.stdout
    assert "Found 2 findings (1 error) in 2 files." in proc.stdout


def test_warnings_only_exit_0(tmp_path: Path):
    (tmp_path / "w.py").write_text("import os\n")
    proc = run_check("w.py", cwd=tmp_path)
    assert proc.returncode == 0
    assert "w.py:1:8: MC313 [warning]" in proc.stdout


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
    assert "bin.py:1:1: MC001 [information] MyCoder skipped this file: binary file" in proc.stdout
    assert "latin.py:1:1: MC001 [information] MyCoder skipped this file: not valid utf-8" in proc.stdout
    assert "notes.txt:1:1: MC001 [information] MyCoder skipped this file: unknown language" in proc.stdout
    assert "declared.py" not in proc.stdout.replace("Checked", "")
    assert "All checks passed" not in proc.stdout
    assert "Found 3 findings (0 errors) in 3 files." in proc.stdout
    assert "Checked 1 file (3 skipped)." in proc.stdout


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
    from mycoder_lsp.code.workspace import GitIgnore, IgnoreFile

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


# -- projects, selection, stdin and output formats ------------------------------------------------------------------

PKG_CONFIG = "[tool.ruff]\nline-length = 120\n\n[tool.mycoder.validation]\nignore = ['MC203']\n"
LONG_110 = "X = '" + "a" * 104 + "'\n"
LONG_130 = "Y = '" + "b" * 124 + "'\n"
MIXED = "import os\nundefined_name\nx = 1   \n" + "z = '" + "c" * 80 + "'\n"


def check_in(cwd: Path, *args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    """``check`` without --root, as a user types it in ``cwd``."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run([sys.executable, "-m", "mycoder_lsp", "check", *args], cwd=cwd, input=data,
                          capture_output=True, timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def make_workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "pkg" / "sub").mkdir(parents=True)
    (ws / "pkg" / "pyproject.toml").write_text(PKG_CONFIG)
    (ws / "pkg" / "a.py").write_text("import os\n" + LONG_110 + "t = 1  \n")
    (ws / "pkg" / "sub" / "b.py").write_text(LONG_130 + "import sys\n")
    return ws


def findings_by_file(proc: subprocess.CompletedProcess[str], base: str = "") -> dict[str, list[tuple]]:
    assert proc.returncode in (0, 1), proc.stderr
    return {str(Path(base) / f["path"]): [(x["line"], x["column"], x["code"]) for x in f["findings"]]
            for f in json.loads(proc.stdout)["files"]}


def test_cd_into_the_package_gives_the_same_result(tmp_path: Path):
    ws = make_workspace(tmp_path)
    from_above = findings_by_file(check_in(ws, "--json", "pkg"))
    from_inside = findings_by_file(check_in(ws / "pkg", "--json", "."), "pkg")
    from_sub = findings_by_file(check_in(ws / "pkg" / "sub", "--json", "."), "pkg/sub")
    assert from_above == from_inside
    assert from_sub == {"pkg/sub/b.py": from_above["pkg/sub/b.py"]}
    # The package's settings: its ruff line length (no MC302 at 110, one finding at 130), its ignore (no MC203).
    assert from_above == {"pkg/a.py": [(1, 8, "MC313")], "pkg/sub/b.py": [(1, 121, "MC302"), (2, 8, "MC313")]}


def test_an_explicit_root_is_the_upper_bound(tmp_path: Path):
    ws = make_workspace(tmp_path)
    sub = ws / "pkg" / "sub"
    (sub / "c.py").write_text("t = 1  \n" + LONG_110)
    found = findings_by_file(check_in(sub, "--json", "--root", str(sub), "c.py"))
    # pkg's settings are above --root: PEP 8's 79 and the hard 100, MC203 not ignored.
    assert found == {"c.py": [(1, 6, "MC203"), (2, 101, "MC302")]}


def test_stdin_takes_language_and_project_from_its_name(tmp_path: Path):
    ws = make_workspace(tmp_path)
    code = LONG_110 + "import json\nt = 1  \n"
    proc = check_in(ws, "-", "--stdin-filename", "pkg/sub/new.py", stdin=code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("pkg/sub/new.py:2:8: MC313 [warning]")
    assert "MC302" not in proc.stdout and "MC203" not in proc.stdout  # pkg's line length and ignore
    proc = check_in(ws, "-", stdin=code)  # no name: Python, the workspace's defaults
    assert "-:1:101: MC302 [warning]" in proc.stdout and "-:3:6: MC203" in proc.stdout
    proc = check_in(ws, "-", "--stdin-filename", "notes.txt", stdin="hello")
    assert "notes.txt:1:1: MC001 [information] MyCoder skipped this file: unknown language" in proc.stdout
    proc = check_in(ws, "-", "--stdin-filename", "x.js", "--json", stdin="let a\n[a] = [1]\nexport {a}\n")
    assert json.loads(proc.stdout)["files"][0]["path"] == "x.js"
    proc = check_in(ws, "-", "--stdin-filename", "bin.py", stdin=b"\x00\x01")
    assert "bin.py:1:1: MC001" in proc.stdout and "All checks passed" not in proc.stdout
    assert check_in(ws, "-", "pkg", stdin="").returncode == 2
    assert check_in(ws, "pkg", "--stdin-filename", "x.py").returncode == 2


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], ["MC313", "MC310", "MC203", "MC204"]),
        (["--select", "MC3"], ["MC313", "MC310"]),
        (["--select", "MC31", "--ignore", "MC310"], ["MC313"]),
        (["--select=MC3,MC2", "--ignore", "MC31"], ["MC203", "MC204"]),
        (["--ignore", "MC3", "--extend-select", "MC313"], ["MC313", "MC203", "MC204"]),  # more specific wins
        (["--select", "MC310", "--extend-select", "MC203"], ["MC310", "MC203"]),
        (["--select", "F401,E501"], ["MC313", "MC204"]),
        (["--select", "ALL", "--ignore", "mc2"], ["MC313", "MC310"]),
        (["--severity", "error"], ["MC310"]),
        (["--severity", "warning"], ["MC313", "MC310"]),
        (["--severity", "information"], ["MC313", "MC310", "MC203", "MC204"]),
    ],
)
def test_select_ignore_severity(tmp_path: Path, flags, expected):
    (tmp_path / "m.py").write_text(MIXED)
    proc = run_check("--json", *flags, "m.py", cwd=tmp_path)
    assert [f["code"] for f in json.loads(proc.stdout)["files"][0]["findings"]] == expected
    assert proc.returncode == (1 if "MC310" in expected else 0)


def test_exit_zero_and_bad_flags(tmp_path: Path):
    (tmp_path / "m.py").write_text(MIXED)
    assert run_check("m.py", cwd=tmp_path).returncode == 1
    assert run_check("--exit-zero", "m.py", cwd=tmp_path).returncode == 0
    for bad in (["--bogus"], ["--select", "X1"], ["--severity", "fatal"], ["--output-format", "xml"],
                ["--json", "--output-format", "sarif"]):
        proc = run_check(*bad, "m.py", cwd=tmp_path)
        assert proc.returncode == 2, bad
        assert proc.stdout == ""
        if bad[0] != "--json":
            assert "usage: mycoder-lsp check" in proc.stderr, bad  # check's own usage, not the top level's


def test_skipped_files_and_the_mc001_in_every_format(tmp_path: Path):
    (tmp_path / "bin.py").write_bytes(b"\x00\x01")
    (tmp_path / "ok.py").write_text(CLEAN)
    data = json.loads(run_check("--json", "--severity", "error", "bin.py", "ok.py", cwd=tmp_path).stdout)
    skipped = {f["path"]: f for f in data["files"]}["bin.py"]
    assert skipped["skipped"].startswith("binary file") and skipped["safe_to_persist"] is False
    assert [f["code"] for f in skipped["findings"]] == ["MC001"]  # shown whatever --severity says
    github = run_check("--output-format", "github", "bin.py", cwd=tmp_path).stdout
    assert github.startswith("::notice file=bin.py,line=1,col=1,endLine=1,endColumn=1,title=MC001::MC001 MyCoder")
    sarif = json.loads(run_check("--output-format", "sarif", "bin.py", cwd=tmp_path).stdout)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["MC001"]
    assert run_check("--ignore", "MC001", "bin.py", cwd=tmp_path).stdout.startswith("No findings")


GITHUB_LINE = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),endLine=(\d+),"
                         r"endColumn=(\d+),title=(MC\d{3})::(MC\d{3}) (.+)$")


def test_output_formats_parse_back_to_the_same_findings(tmp_path: Path):
    (tmp_path / "m.py").write_text(MIXED + "s = 'héllo'; undefined_two\n")
    expected = [(f["line"], f["column"], f["code"], f["severity"])
                for f in json.loads(run_check("--json", "m.py", cwd=tmp_path).stdout)["files"][0]["findings"]]
    assert len(expected) == 5
    text = run_check("m.py", cwd=tmp_path).stdout.splitlines()
    parsed = [re.match(r"^m\.py:(\d+):(\d+): (MC\d{3}) \[(\w+)\] .+$", line) for line in text[:-2]]
    assert [(int(m[1]), int(m[2]), m[3], m[4]) for m in parsed] == expected  # type: ignore[index]
    assert text[-2:] == ["Found 5 findings (2 errors) in 1 file.", "Checked 1 file."]

    github = run_check("--output-format", "github", "m.py", cwd=tmp_path)
    assert github.returncode == 1
    level = {"error": "error", "warning": "warning", "information": "notice", "hint": "notice"}
    matches = [GITHUB_LINE.match(line) for line in github.stdout.splitlines()]
    assert all(matches), github.stdout
    assert [(int(m[3]), int(m[4]), m[7], m[1]) for m in matches] == [  # type: ignore[index]
        (line, col, code, level[sev]) for line, col, code, sev in expected]
    assert {m[2] for m in matches} == {"m.py"}  # type: ignore[index]

    sarif = json.loads(run_check("--output-format", "sarif", "m.py", cwd=tmp_path).stdout)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mycoder-lsp"
    rules = [r["id"] for r in driver["rules"]]
    assert rules == sorted({code for _, _, code, _ in expected})
    assert all(r["shortDescription"]["text"] for r in driver["rules"])
    assert run["columnKind"] == "unicodeCodePoints"
    sarif_level = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
    got = []
    for result in run["results"]:
        assert set(result) == {"ruleId", "ruleIndex", "level", "message", "locations"}
        assert rules[result["ruleIndex"]] == result["ruleId"] and result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "m.py"
        region = location["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        got.append((region["startLine"], region["startColumn"], result["ruleId"], result["level"]))
    assert got == [(line, col, code, sarif_level[sev]) for line, col, code, sev in expected]
    # --json is an alias of --output-format json.
    assert run_check("--output-format", "json", "m.py", cwd=tmp_path).stdout == \
        run_check("--json", "m.py", cwd=tmp_path).stdout


def test_github_escapes_what_would_break_the_command(tmp_path: Path):
    from mycoder_lsp.cli.check import print_github

    finding = Finding("MC310", "50% of\nit", Severity.ERROR, 0, 0, 0, 1)
    out = io.StringIO()
    print_github([FileResult(path="a,b:c.py", language="python", findings=[finding])], out)
    assert out.getvalue() == ("::error file=a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=2,title=MC310::"
                              "MC310 50%25 of%0Ait\n")


def test_noqa_reaches_the_cli(tmp_path: Path):
    (tmp_path / "m.py").write_text("import os  # noqa: F401\nimport sys  # mycoder: ignore[MC313]\nimport re\n")
    proc = run_check("m.py", cwd=tmp_path)
    assert [line.split(":")[1] for line in proc.stdout.splitlines()[:-2]] == ["3"]
