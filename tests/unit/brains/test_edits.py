"""From raw model answers to minimal edits; refusals; review parsing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mycoder_lsp.brains.edits import (
    EditPlan,
    EditRefused,
    ReviewFinding,
    apply_plan,
    extract_code,
    is_parseable,
    parse_review,
    plan_edit,
    reindent,
    unified_diff,
)
from mycoder_lsp.errors import UserError
from mycoder_lsp.symbols import document_symbols, find_symbol

ROOT = Path(__file__).resolve().parents[3]
CASES = ROOT / "tests" / "data" / "edit_cases"
sys.path.insert(0, str(ROOT / "bench"))
import bench_edits  # noqa: E402  - the benchmark's case runner, shared on purpose


@pytest.mark.parametrize("case_dir", sorted(p for p in CASES.iterdir() if (p / "case.json").exists()), ids=lambda p: p.name)
def test_edit_case(case_dir):
    outcome = bench_edits.run_case(case_dir)
    assert not outcome.broken, outcome
    assert outcome.correct, outcome


def test_case_set_covers_the_required_shapes():
    names = [p.name for p in CASES.iterdir()]
    assert len(names) >= 40
    for shape in ("fenced", "preamble", "whole_file", "dedented", "indent", "truncated", "blocks", "placeholder"):
        assert any(shape in n for n in names), shape


DOC = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"


def target(doc, name, language="python"):
    return find_symbol(document_symbols(doc, language), name)


def test_plan_is_minimal_and_keeps_indentation():
    t = target(DOC, "A.f")
    plan = plan_edit(DOC, language="python", target=t, selection=None, new_code="def f(self):\n    return 42")
    assert (plan.start_line, plan.start_col, plan.end_line, plan.end_col) == (1, 0, 2, len("        return 1"))
    assert plan.new_text == "    def f(self):\n        return 42"
    assert plan.old_text == "    def f(self):\n        return 1"
    assert apply_plan(DOC, plan) == DOC.replace("return 1", "return 42")


def test_plan_refuses_a_result_that_does_not_parse():
    t = target(DOC, "A.f")
    with pytest.raises(EditRefused) as info:
        plan_edit(DOC, language="python", target=t, selection=None, new_code="    def f(self):\n        return (1")
    assert "unparseable" in info.value.reason
    assert isinstance(info.value, UserError)


def test_plan_refuses_no_change():
    t = target(DOC, "A.g")
    with pytest.raises(EditRefused):
        plan_edit(DOC, language="python", target=t, selection=None, new_code="    def g(self):\n        return 2")


def test_plan_on_a_file_that_was_already_broken_checks_the_new_code_itself():
    doc = "def ok():\n    return 1\n\n\ndef broken(:\n    pass\n"
    t = target(doc, "ok")
    plan = plan_edit(doc, language="python", target=t, selection=None, new_code="def ok():\n    return 2")
    assert apply_plan(doc, plan).startswith("def ok():\n    return 2\n")
    with pytest.raises(EditRefused):
        plan_edit(doc, language="python", target=t, selection=None, new_code="def ok(:\n    return 2")


def test_crlf_document_keeps_its_line_endings():
    doc = DOC.replace("\n", "\r\n")
    t = target(doc, "A.g")
    plan = plan_edit(doc, language="python", target=t, selection=None, new_code="def g(self):\n    return 3")
    out = apply_plan(doc, plan)
    assert out == DOC.replace("return 2", "return 3").replace("\n", "\r\n")
    assert "\r\n" in plan.new_text


def test_selection_out_of_range_is_refused():
    with pytest.raises(EditRefused):
        plan_edit(DOC, language="python", target=None, selection=(40, 0, 41, 0), new_code="x")


def test_tree_sitter_parse_check():
    assert is_parseable("fn main() { let x = 1; }", "rust")
    assert not is_parseable("fn main() { let x = ; ", "rust")
    assert not is_parseable("func main() {", "go")
    assert is_parseable("anything at all", "cobol")


def test_extract_refuses_cut_off_and_chatter_only_answers():
    t = target(DOC, "A.f")
    with pytest.raises(EditRefused, match="cut off"):
        extract_code("```python\ndef f(self):\n    return compute(1,", language="python", target=t)
    with pytest.raises(EditRefused):
        extract_code("Sorry, I can't help with that.", language="python", target=t)


def test_reindent_converts_tabs_and_steps():
    code = "func f() {\n    return\n}"
    assert reindent(code, "", body_indent="\t") == "func f() {\n\treturn\n}"
    assert reindent("def f():\n  if x:\n    y()", "    ", body_indent="        ") == (
        "    def f():\n        if x:\n            y()"
    )


def test_parse_review_formats():
    raw = (
        "Here are my findings:\n"
        "3: error: division by zero when items is empty\n"
        "- Line 5 - warning - the name `tmp` says nothing\n"
        "**7**: [INFO]: consider a generator\n"
        "12: warning: outside the shown lines\n"
        "WARNING: no tests for this function\n"
        "I hope this helps!"
    )
    findings = parse_review(raw, first_line=2, line_count=8)
    assert findings == [
        ReviewFinding(2, "error", "division by zero when items is empty."),
        ReviewFinding(4, "warning", "the name `tmp` says nothing."),
        ReviewFinding(6, "info", "consider a generator."),
        ReviewFinding(None, "warning", "outside the shown lines."),
        ReviewFinding(None, "warning", "no tests for this function"),
    ]
    assert parse_review("NONE") == []
    assert parse_review("No issues found.") == []
    assert parse_review("") == []


def test_unified_diff():
    diff = unified_diff("a\nb\n", "a\nc\n", "pkg/m.py")
    assert diff.startswith("--- a/pkg/m.py\n+++ b/pkg/m.py\n")
    assert "-b\n+c\n" in diff
    assert unified_diff("same\n", "same\n", "x") == ""


def test_edit_plan_counts_changed_lines():
    assert EditPlan(0, 0, 2, 0, "a\nb", "a\nb\nc").changed_lines == 3


def test_mangled_answers_never_crash_nor_break_the_file():
    """Cut, shuffled and re-indented versions of every case: each ends in an
    edit that parses or an EditRefused, never another exception."""
    import json
    import random

    rng = random.Random(7)
    for case_dir in sorted(CASES.iterdir()):
        meta = json.loads((case_dir / "case.json").read_text())
        language = meta["language"]
        before = next(case_dir.glob("before.*")).read_text()
        raw = (case_dir / "raw.txt").read_text()
        symbols = document_symbols(before, language)
        for _ in range(6):
            mangled = [
                raw[: rng.randint(0, len(raw))],
                raw.replace("    ", "  "),
                "\n".join(rng.sample(raw.split("\n"), len(raw.split("\n")))),
                raw[: rng.randint(0, len(raw))] + rng.choice(["```", "(", "}", "\t", "@x\n", "def "]),
            ][rng.randint(0, 3)]
            target = rng.choice([*symbols, None])
            try:
                code = extract_code(mangled, language=language, target=target, document=before)
                plan = plan_edit(before, language=language, target=target, selection=None, new_code=code)
            except EditRefused:
                continue
            assert is_parseable(apply_plan(before, plan), language), (case_dir.name, mangled)


def test_new_imports_become_a_second_edit():
    from mycoder_lsp.brains.edits import apply_plans, extract_imports, plan_imports

    doc = '"""Mod."""\nfrom __future__ import annotations\nimport os\n\n\ndef f():\n    return os.sep\n'
    raw = "```python\nimport os\nimport logging\nfrom pathlib import Path\n\ndef f():\n    return os.sep\n```"
    imports = extract_imports(raw, language="python", document=doc)
    assert imports == ["import logging", "from pathlib import Path"]
    plan = plan_imports(doc, imports, language="python")
    assert (plan.start_line, plan.start_col) == (2, len("import os"))
    out = apply_plans(doc, [plan])
    assert out.startswith('"""Mod."""\nfrom __future__ import annotations\nimport os\nimport logging\nfrom pathlib import Path\n\n')
    assert plan_imports(doc, [], language="python") is None
    assert extract_imports(raw, language="go", document=doc) == []
    # No import yet: at the top, after the module docstring when there is one.
    assert apply_plans("x = 1\n", [plan_imports("x = 1\n", ["import sys"], language="python")]) == "import sys\n\nx = 1\n"
    assert apply_plans('"""D."""\nx = 1\n', [plan_imports('"""D."""\nx = 1\n', ["import sys"], language="python")]) == (
        '"""D."""\nimport sys\nx = 1\n'
    )


def _read_exact(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as fh:  # CR-only cases stay CR-only
        return fh.read()


def _target_cases() -> list[Path]:
    import json

    return [p for p in sorted(CASES.iterdir()) if (p / "case.json").exists()
            and json.loads((p / "case.json").read_text())["target"]]


@pytest.mark.parametrize("case_dir", _target_cases(), ids=lambda p: p.name)
def test_an_edit_replaces_whole_lines_of_its_symbol_and_duplicates_nothing(case_dir):
    """Over every edit case with a target: the main edit covers whole lines
    of the symbol (a trailing comment included), no line outside the symbol
    changes, and no text of the symbol's last line ends up in the file twice
    (the `# type: ignore  # type: ignore` a Fix wrote into a real project)."""
    import json

    from mycoder_lsp.text import split_lines

    meta = json.loads((case_dir / "case.json").read_text())
    language = meta["language"]
    before = _read_exact(next(case_dir.glob("before.*")))
    raw = _read_exact(case_dir / "raw.txt")
    target = find_symbol(document_symbols(before, language), meta["target"])
    assert target is not None, case_dir.name
    try:
        code = extract_code(raw, language=language, target=target, document=before)
        plan = plan_edit(before, language=language, target=target, selection=None, new_code=code)
    except EditRefused:
        assert meta["expect"] == "refuse", case_dir.name
        return
    old, new = split_lines(before), split_lines(apply_plan(before, plan))
    assert (plan.start_line, plan.end_line) == (target.start_line, target.end_line)
    last = old[target.end_line]
    rest = last[target.end_col:].strip()
    if not rest or rest.startswith(("#", "//", "/*")):
        assert plan.end_col == len(last), (case_dir.name, last, plan)
    assert not old[plan.start_line][: plan.start_col].strip() or plan.start_col == target.start_col
    after_count = len(old) - plan.end_line - 1
    assert new[: plan.start_line] == old[: plan.start_line]
    if after_count:
        assert new[-after_count:] == old[-after_count:]
    if rest:
        assert apply_plan(before, plan).count(rest) <= before.count(rest), (case_dir.name, rest)
