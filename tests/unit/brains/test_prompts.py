"""System prompts and message lists for the brains."""

from __future__ import annotations

import re

from mycoder_lsp.brains.context import ContextPiece
from mycoder_lsp.brains.edits import parse_review
from mycoder_lsp.brains.prompts import (
    REVIEW_FORMAT,
    brain_for,
    build_messages,
    repair_messages,
    system_prompt,
)
from mycoder_lsp.config import Constitution
from mycoder_lsp.validation.findings import Finding, Severity

CODE = "def f(x):\n    return eval(x)\n"


def test_every_prompt_forbids_chatter_and_markdown():
    for brain, intent in [("coding", "modify-target"), ("coding", "fix"), ("coding", "general"),
                          ("reasoning", "review"), ("reasoning", "explain")]:
        text = system_prompt(brain, intent, language="python")
        lowered = text.lower()
        for word in ("preamble", "apology", "markdown", "fences"):
            assert word in lowered, (brain, intent, word)


def test_constitution_is_in_the_prompt():
    constitution = Constitution(owner="ACME Corp", block_hierarchy=["module", "class", "method"],
                                forbidden_sources=["eval", "exec", "pickle"])
    messages = build_messages("modify-target", instruction="make it safe", code=CODE, language="python",
                              constitution=constitution, target="f")
    system = messages[0]["content"]
    assert "eval, exec, pickle" in system
    assert "ACME Corp" in system
    assert "module > class > method" in system


def test_edit_messages_carry_code_context_findings_and_origin():
    finding = Finding("MC401", "eval() runs arbitrary code", Severity.ERROR, 1, 11, 1, 18)
    pieces = [ContextPiece("retrieved lib/safe.py:1-9 (safe_eval)", "def safe_eval(s): ...")]
    messages = build_messages("fix", instruction="", code=CODE, language="python", context=pieces,
                              findings=[finding], target="f", enclosing="class Outer:\n    ...")
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "(source: retrieved lib/safe.py:1-9 (safe_eval))" in user
    assert "line 2: MC401 eval() runs arbitrary code" in user
    assert CODE.strip() in user
    assert "class Outer" in user
    assert "`f`" in user


def test_review_prompt_numbers_lines_and_its_format_parses():
    messages = build_messages("review", instruction="", code=CODE, language="python", first_line=10)
    user = messages[1]["content"]
    assert "10| def f(x):" in user and "11|     return eval(x)" in user
    # Placeholders that cannot pass for a finding: the old template's
    # "LINE: SEVERITY: message" came back verbatim from the real 0.5B.
    assert REVIEW_FORMAT in messages[0]["content"] and "LINE: SEVERITY" not in messages[0]["content"]
    assert REVIEW_FORMAT in user and parse_review(REVIEW_FORMAT, line_count=2) == []
    # An answer in the asked format maps back to document lines (0-based).
    findings = parse_review("11: error: eval runs arbitrary code; use ast.literal_eval", first_line=10, line_count=2)
    assert findings[0].line == 10 and findings[0].severity == "error"


def test_explain_and_general_prompts():
    explain = build_messages("explain", instruction="", code=CODE, language="go")
    assert "Go" in explain[0]["content"] and "plain" in explain[0]["content"]
    general = build_messages("general", instruction="how do I parse json", code="", language=None)
    assert general[1]["content"].strip() == "how do I parse json"


def test_brain_for_intent():
    assert brain_for("review") == brain_for("explain") == "reasoning"
    assert brain_for("fix") == brain_for("modify-target") == brain_for("general") == "coding"


def test_repair_messages_feed_findings_back():
    first = build_messages("fix", instruction="fix it", code=CODE, language="python")
    finding = Finding("MC501", "import of unknown module 'magic'", Severity.ERROR, 0, 0, 0, 12)
    messages = repair_messages(first, "import magic\n", [finding])
    assert messages[:2] == first
    assert messages[2] == {"role": "assistant", "content": "import magic\n"}
    assert "MC501" in messages[3]["content"] and "unknown module" in messages[3]["content"]


def test_an_unchanged_answer_gets_the_request_restated():
    # Seen with the 1.5B on a fix: told only "changes nothing", it sent the same code again.
    first = build_messages("fix", instruction="find_all only ever returns one match", code=CODE, language="python")
    messages = repair_messages(first, CODE, ["The model's answer changes nothing"], unchanged=True,
                               instruction="find_all only ever returns one match")
    assert messages[:3] == [*first, {"role": "assistant", "content": CODE}]
    assert "exactly as it was" in messages[3]["content"]
    assert "find_all only ever returns one match" in messages[3]["content"]


def test_a_fix_puts_the_bug_report_before_the_code():
    messages = build_messages("fix", instruction="find_all only ever returns one match", code=CODE,
                              language="python", target="f")
    user = messages[1]["content"]
    assert user.index("Bug report: find_all only ever returns one match") < user.index(CODE.rstrip())
    assert user.rstrip().endswith("Return the complete new version of `f` only.")
    assert "Fix the bug reported above." in user
    # A modify keeps its task after the code.
    modify = build_messages("modify-target", instruction="add a docstring", code=CODE, language="python")[1]["content"]
    assert modify.index(CODE.rstrip()) < modify.index("Task: add a docstring")


def test_prompts_without_a_language_read_as_english():
    # Seen without --file: "You are a concise the file's programming assistant".
    for intent in ("general", "fix", "modify-target", "review", "explain"):
        messages = build_messages(intent, instruction="do it", code="x = 1\n", language=None)
        text = messages[0]["content"] + messages[1]["content"]
        assert "the file's" not in text and not re.search(r"[a-z]  [a-z]", text), intent
        assert "The code" in messages[1]["content"] or intent == "general", intent
    assert system_prompt("coding", "general").startswith("You are a concise programming assistant.")
    assert system_prompt("coding", "general", language="python").startswith(
        "You are a concise Python programming assistant.")
    assert "Output only source code," in system_prompt("coding", "fix")
    assert "a strict code reviewer." in system_prompt("reasoning", "review")


# -- sizing to the window -----------------------------------------------------


def _chars(messages: list[dict[str, str]]) -> int:
    """A count that is easy to reason about: one token per character."""
    return sum(len(m["content"]) for m in messages)


SIZED = dict(instruction="what does it do?", code=CODE, language="python", findings=["line 2: eval is unsafe"])


def _pieces(n: int, lines: int = 10) -> list[ContextPiece]:
    return [ContextPiece(f"retrieved p{i}.py:1-{lines}", "".join(f"piece {i} line {j}\n" for j in range(lines)))
            for i in range(n)]


def test_prompt_budget_leaves_room_for_the_answer_and_a_margin():
    from mycoder_lsp.brains.prompts import PROMPT_MARGIN, prompt_budget
    assert prompt_budget(8192, 512) == 8192 - 512 - PROMPT_MARGIN
    # A token limit as large as the window would leave nothing: half is kept for the prompt.
    assert prompt_budget(1024, 2048) == 1024 - 512 - PROMPT_MARGIN


def test_everything_is_sent_when_it_fits():
    from mycoder_lsp.brains.prompts import fit_messages
    pieces = _pieces(3)
    messages, size = fit_messages("explain", budget=100_000, count=_chars, context=pieces, **SIZED)
    assert messages == build_messages("explain", context=pieces, **SIZED)
    assert (size.pieces, size.kept, size.cut, size.trimmed) == (3, 3, False, False)
    assert size.describe(4096) == ""


def test_the_lowest_ranked_pieces_go_first_and_the_last_kept_is_cut_at_a_line():
    from mycoder_lsp.brains.prompts import fit_messages
    pieces = _pieces(8)
    bare = _chars(build_messages("explain", **SIZED))
    two_and_a_half = _chars(build_messages("explain", context=pieces[:3], **SIZED)) - 75
    messages, size = fit_messages("explain", budget=two_and_a_half, count=_chars, context=pieces, **SIZED)
    assert bare < _chars(messages) <= two_and_a_half
    user = messages[1]["content"]
    assert "piece 0 line 9" in user and "piece 1 line 9" in user  # the best two whole
    assert "piece 2 line 0" in user and "piece 2 line 9" not in user  # the third cut...
    assert re.search(r"\(source: retrieved p2.py:1-10, cut short\)\n(piece 2 line \d\n)+\n", user)  # ...at a line
    assert not any(f"piece {i} " in user for i in range(3, 8))
    # The code, the instruction and the diagnostics are all there.
    assert "return eval(x)" in user and "what does it do?" in user and "eval is unsafe" in user
    assert (size.pieces, size.kept, size.cut) == (8, 3, True)
    assert size.describe(2048) == ("5 of 8 retrieved pieces left out, the last piece kept cut short "
                                   "to fit the 2048-token window")


def test_a_piece_whose_first_line_does_not_fit_is_left_out():
    from mycoder_lsp.brains.prompts import fit_messages
    pieces = _pieces(2)
    budget = _chars(build_messages("explain", context=pieces[:1], **SIZED)) + 5
    messages, size = fit_messages("explain", budget=budget, count=_chars, context=pieces, **SIZED)
    assert (size.kept, size.cut) == (1, False) and "piece 1" not in messages[1]["content"]


def test_the_enclosing_code_goes_before_the_pieces():
    from mycoder_lsp.brains.prompts import fit_messages
    enclosing = "class Box:\n" + "".join(f"    field_{i} = {i}\n" for i in range(30)) + "    ...\n"
    sized = dict(SIZED, enclosing=enclosing)
    whole = _chars(build_messages("explain", **sized))
    messages, size = fit_messages("explain", budget=whole + 10, count=_chars, context=_pieces(4), **sized)
    assert "field_29" in messages[1]["content"] and size.kept == 0 and size.scope == "whole"
    assert size.describe(1024) == "4 of 4 retrieved pieces left out to fit the 1024-token window"
    messages, size = fit_messages("explain", budget=whole - 100, count=_chars, context=_pieces(4), **sized)
    assert "field_0 " in messages[1]["content"] and "field_29" not in messages[1]["content"]
    assert size.scope == "cut" and size.describe(1024).startswith("the enclosing code cut, 4 of 4")


def test_code_that_does_not_fit_alone_is_refused_with_the_sizes():
    from mycoder_lsp.brains.prompts import PromptTooLarge, fit_messages
    bare = _chars(build_messages("review", **SIZED))
    try:
        fit_messages("review", budget=bare - 1, count=_chars, context=_pieces(2), **SIZED)
    except PromptTooLarge as exc:
        assert (exc.needed, exc.budget) == (bare, bare - 1)
    else:
        raise AssertionError("not refused")
