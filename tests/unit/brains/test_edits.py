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
    changed_line_count,
    extract_code,
    is_parseable,
    parse_review,
    plan_edit,
    reindent,
    review_says_none,
    unified_diff,
)
from mycoder_lsp.code.symbols import document_symbols, find_symbol
from mycoder_lsp.errors import UserError

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


def test_plan_asks_the_callers_parse_check_and_it_agrees_with_a_full_parse():
    """The orchestrator passes the document's incremental parse: the same answer as ast.parse, one check per plan."""
    from mycoder_lsp.validation.incremental import DocumentParses

    history, asked = DocumentParses(), []
    history.release(history.parse(DOC, "m.py")[0])

    def parses(text: str) -> bool:
        asked.append(text)
        tree, _ = history.parse(text, "m.py")
        history.release(tree)
        return tree is not None

    t = target(DOC, "A.f")
    plan = plan_edit(DOC, language="python", target=t, selection=None, new_code="def f(self):\n    return 42",
                     parses=parses)
    assert asked == [apply_plan(DOC, plan)]
    with pytest.raises(EditRefused):
        plan_edit(DOC, language="python", target=t, selection=None, new_code="    def f(self):\n        return (1",
                  parses=parses)
    assert len(asked) == 2
    with pytest.raises(EditRefused):  # its answer is the one used
        plan_edit(DOC, language="python", target=t, selection=None, new_code="def f(self):\n    return 42",
                  parses=lambda text: False)


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
        ReviewFinding(None, "warning", "no tests for this function."),
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
    assert EditPlan(0, 0, 2, 0, "a\nb", "a\nb\nc").changed_lines == 1
    assert EditPlan(0, 0, 0, 1, "a", "a").changed_lines == 0
    assert EditPlan(0, 0, 1, 0, "x\ny\nz", "a\nb").changed_lines == 3


def test_a_two_line_insert_into_a_long_function_counts_two_lines():
    # Seen with a real model: "21 lines changed" for a docstring added to a 20-line function.
    old = "def f(x):\n" + "".join(f"    x += {i}\n" for i in range(19)) + "    return x\n"
    new = old.replace("def f(x):\n", 'def f(x):\n    """Add 0..18 to x."""\n\n', 1)
    plan = EditPlan(0, 0, 20, 0, new, old)
    assert changed_line_count(old, new) == 2 and plan.changed_lines == 2


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
    raw = ("```python\nimport os\nimport logging\nfrom pathlib import Path\n\ndef f():\n"
           "    logging.info(Path(os.sep))\n    return os.sep\n```")
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


def test_imports_the_new_code_does_not_use_are_not_added():
    # Seen with Qwen2.5-Coder 1.5B (bench/bench_tasks.py, mod_type_hints): shown a
    # neighbouring function as "[from neighbour convert.py:8-9 (km_to_miles)]", it
    # answered with an import of it and a wildcard; both would have landed in the file.
    from mycoder_lsp.brains.edits import extract_imports

    doc = ('"""Unit conversions."""\n\n\ndef celsius_to_fahrenheit(celsius):\n    return celsius * 9 / 5 + 32\n\n\n'
           'def km_to_miles(km):\n    return km * 0.621371\n')
    raw = ("```python\nfrom typing import *\nfrom neighbour.convert import km_to_miles\n\n"
           "def celsius_to_fahrenheit(celsius: float) -> float:\n    return celsius * 9 / 5 + 32\n```")
    assert extract_imports(raw, language="python", document=doc) == []
    # Used by the new code, the import stays; a name the file defines itself is never imported;
    # a __future__ import cannot go after other statements, so it is not added either.
    raw = ("```python\nfrom __future__ import annotations\nimport math\nfrom conv import km_to_miles\n\n"
           "def celsius_to_fahrenheit(celsius):\n    return math.floor(km_to_miles(celsius) * 9 / 5 + 32)\n```")
    assert extract_imports(raw, language="python", document=doc) == ["import math"]
    raw = "import os.path as osp, json\n\ndef celsius_to_fahrenheit(c):\n    return json.dumps(c)\n"
    assert extract_imports(raw, language="python", document=doc) == ["import os.path as osp, json"]


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


# Raw answers of the real Qwen2.5-Coder models to the review prompt of the
# first real-model run (its template asked for ``LINE: SEVERITY: message``;
# temperature 0; /work/scratch/b/raw_answers.jsonl). Small models loop until
# the token limit: the loops are cut short here, their shape kept.
RAW_05B_TEMPLATE_COPIED = (
    "LINE: SEVERITY: The function `average` is defined to calculate the mean of a list of values.\n"
    "LINE: SEVERITY: The function `average` takes a list of values as input.\n"
    "LINE: SEVERITY: The function `average` calculates the mean of the values by summing all the values and dividing by the number of values.\n"
    "LINE: SEVERITY: The function `average` returns the mean value plus one.\n"
    "LINE: SEVERITY: The function `average` is defined to calculate the mean of a list of values.\n"
    "LINE: SEVERITY: The function `average` takes a list of values as input.\n"
    "LINE: SEVERITY: The function `average` calculates the mean of the values by summing all the values and dividing by the number of values.\n"
    "LINE: SEVERITY: The function `average` returns the mean value plus one.\n"
    "LINE: SEVERITY: The function `average` is defined to calculate the mean of a list of values."
)
RAW_05B_ONE_FINDING = "LINE: SEVERITY: The function `read_config` is missing a closing parenthesis `)` at the end of the line."
RAW_05B_LINE_NONE = "LINE: NONE\n" * 12
RAW_15B_LOOPING = (
    "1: error: The return statement should be inside the for loop to correctly calculate the average.\n"
    "2: warning: The return statement should be inside the for loop to correctly calculate the average.\n"
    "3: warning: The return statement should be inside the for loop to correctly calculate the average.\n"
    "4: warning: The return statement should be inside the for loop to correctly calculate the average.\n"
    "5: warning: The return statement should be inside the for loop to correctly calculate the average.\n"
    "6: warning: The return statement should be inside the for loop to correctly calculate the average.\n"
    "7: warning: The return statement should be inside the for loop to correctly calculate the average.\n"
    "8: warning: The return statement should be inside the for loop to correctly calculate the average.\n"
    "9: warning: The return statement should be inside the for loop to correctly calculate the average."
)
RAW_15B_EVEN = "6: error: The function `is_even` returns `True` when `n` is even, but the condition `n % 2 == 1` checks if `n` is odd."


def test_review_in_the_prompts_own_template_is_read():
    # The answer the issue saw dropped as "No problems found".
    (finding,) = parse_review("LINE: 1: the mean is off by one; drop the + 1", first_line=1, line_count=6)
    assert finding == ReviewFinding(0, "warning", "the mean is off by one; drop the + 1.")
    assert parse_review("LINE: 3: error: x", first_line=1, line_count=6) == [ReviewFinding(2, "error", "x.")]
    assert parse_review("Line 3: [ERROR] x", line_count=6) == [ReviewFinding(2, "error", "x.")]
    assert parse_review("LINE 3 - ERROR - x", line_count=6) == [ReviewFinding(2, "error", "x.")]
    assert parse_review("L3: warning: x", line_count=6) == [ReviewFinding(2, "warning", "x.")]
    assert parse_review("error: line 3: x", line_count=6) == [ReviewFinding(2, "error", "x.")]
    assert parse_review("ERROR (line 3): x", line_count=6) == [ReviewFinding(2, "error", "x.")]
    assert parse_review("[WARNING] Line 3: x", line_count=6) == [ReviewFinding(2, "warning", "x.")]
    assert parse_review("3 (hint): x", line_count=6) == [ReviewFinding(2, "hint", "x.")]
    assert parse_review("1. **Line 3**: error: x", line_count=6) == [ReviewFinding(2, "error", "x.")]
    assert parse_review("3: SEVERITY: x", line_count=6) == [ReviewFinding(2, "warning", "x.")]


def test_review_answers_of_the_real_small_models():
    # The 0.5B copied the template's placeholders and named no line: the
    # findings are kept (on no line), the loop counts once, the cut stub goes.
    copied = parse_review(RAW_05B_TEMPLATE_COPIED, first_line=1, line_count=6)
    assert [f.line for f in copied] == [None] * 4 and len({f.message for f in copied}) == 4
    assert not any(f.message.startswith(("LINE", "SEVER")) for f in copied)
    (one,) = parse_review(RAW_05B_ONE_FINDING, first_line=10, line_count=8)
    assert one.line is None and "closing parenthesis" in one.message
    # The 1.5B repeats one sentence on every line number: one finding.
    (loop,) = parse_review(RAW_15B_LOOPING, first_line=1, line_count=6)
    assert loop.line == 0 and loop.severity == "error"
    (even,) = parse_review(RAW_15B_EVEN, first_line=6, line_count=3)
    assert even.line == 5 and even.severity == "error" and "odd" in even.message


def test_no_problems_only_when_the_answer_says_none():
    for none in ("NONE", "none.", "No issues found.", "No problems.", RAW_05B_LINE_NONE, "7: NONE", "", "  "):
        assert parse_review(none, line_count=8) == [], none
    # Prose that names a problem is a finding, on the line it names.
    prose = parse_review("The loop on line 4 never ends because i is not incremented.", line_count=8)
    assert prose == [ReviewFinding(3, "warning", "The loop on line 4 never ends because i is not incremented.")]
    (unnamed,) = parse_review("Here are the issues:\nIt divides by zero for an empty list.", line_count=8)
    assert unnamed.line is None and "divides by zero" in unnamed.message



def test_the_prompts_placeholders_copied_back_are_no_finding_and_not_none():
    template = "<line number>: <severity>: <what is wrong and what to do>"
    assert parse_review(template, line_count=6) == [] and not review_says_none(template)
    filled = parse_review("<line number>: 3: <severity>: error: x is never used", line_count=6)
    assert filled == [ReviewFinding(2, "error", "x is never used.")]
    assert parse_review("6: <severity>: the result is inverted", line_count=6) == [
        ReviewFinding(5, "warning", "the result is inverted.")]


def test_review_says_none():
    for none in ("NONE", RAW_05B_LINE_NONE, "No issues found.", "7: none", ""):
        assert review_says_none(none), none
    for some in ("5: error: x", RAW_05B_ONE_FINDING, "It never closes the file."):
        assert not review_says_none(some), some


# The real 0.5B's review of is_even (tests/realmodel/test_review_real.py's
# document, through the orchestrator, -v log): it copies the numbered code,
# then writes its findings as comments on numbered lines; cut at the token limit.
RAW_05B_ECHOED_CODE = (
    "4| def is_even(n):\n"
    "5|     \"\"\"True when n is even.\"\"\"\n"
    "6|     return n % 2 == 1\n"
    "\n"
    "5|     # This line is not safe because it does not handle the case where n is not an integer\n"
    "6|     # This line is not safe because it does not handle the case where n is negative\n"
    "6|     # This line is not safe because it does not handle the case where n is zero\n"
    "6|     # This line is not safe because it does not handle the case where n is an infinity\n"
    "6|     # This line is not safe because it does"
)


def test_echoed_code_is_no_finding_and_numbered_comments_are():
    findings = parse_review(RAW_05B_ECHOED_CODE.rpartition("\n")[0], first_line=4, line_count=3)
    assert [f.line for f in findings] == [4, 5, 5, 5]
    assert all(f.message.startswith("This line is not safe") for f in findings)
    assert parse_review("6|     return n % 2 == 1", first_line=4, line_count=3) == []
    # Inline code at the end of a message keeps its closing backtick.
    (finding,) = parse_review("6: error: The return statement should be `return n % 2 == 0`", first_line=4)
    assert finding.message == "The return statement should be `return n % 2 == 0`."


def test_a_review_that_suggests_a_fix_in_a_fence_keeps_its_findings():
    # The fenced fix was read as the whole answer: its finding was lost and
    # the code line became a "finding" of its own.
    raw = ("3: error: dividing by len(values) fails on an empty list.\n\nSuggested fix:\n"
           "```python\nreturn total / max(len(values), 1)\n```\n")
    findings = parse_review(raw, first_line=1, line_count=5)
    assert [(f.line, f.severity) for f in findings] == [(2, "error")]
    assert "empty list" in findings[0].message
    # A model that fences its whole answer is still read.
    fenced = parse_review("```\n3: error: dividing by zero\n```", first_line=1, line_count=5)
    assert [(f.line, f.severity) for f in fenced] == [(2, "error")]
    assert not review_says_none(raw)
    assert review_says_none("```\nNONE\n```")
