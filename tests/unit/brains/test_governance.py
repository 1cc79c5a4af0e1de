"""Cleaning brain output and deciding token budgets."""

from __future__ import annotations

import pytest

from mycoder_lsp.brains.governance import clean_output, fenced_blocks, token_limit
from mycoder_lsp.config import Settings

CODE = "def f(x):\n    return x + 1"


@pytest.mark.parametrize(
    "raw",
    [
        f"```python\n{CODE}\n```",
        f"Sure! Here's the updated function:\n\n```python\n{CODE}\n```\n\nThis version adds one.",
        f"Certainly.\n```\n{CODE}\n```\nI hope this helps!",
        f"Here is the code:\n{CODE}\n\nLet me know if you need anything else.",
        f"I apologize for the confusion. Here is the corrected version:\n{CODE}",
        f"~~~py\n{CODE}\n~~~",
        f"{CODE}\n\nNote: I added one to x.",
        f"Updated code:\n{CODE}\n",
    ],
)
def test_clean_output_leaves_only_the_code(raw):
    assert clean_output(raw) == CODE


def test_clean_output_keeps_code_that_looks_like_chatter():
    code = "ok = check()\nsorry(ok)\nnote = 1\nhere = 2"
    assert clean_output(code) == code


def test_clean_output_keeps_comments_and_hashes_in_code():
    code = "# Note this matters\nx = 1  # **not bold**\n## section\n"
    assert clean_output(code) == code.rstrip("\n")


def test_prose_mode_drops_markdown_and_chatter():
    raw = "Sure! Here's an explanation:\n\n## Overview\nThe function **adds** one to `x`.\n\nI hope this helps!"
    assert clean_output(raw, prose=True) == "Overview\nThe function adds one to `x`."


def test_unclosed_fence_keeps_content():
    assert fenced_blocks("```python\ndef f(:\n") == [("python", "def f(:")]


def test_empty():
    assert clean_output("") == ""
    assert clean_output("\n\n") == ""


def test_token_limit_is_min_of_brain_and_constitution():
    settings = Settings()
    assert token_limit("coding", settings) == 2048
    assert token_limit("organizer", settings) == 64
    settings.brains.coding.max_tokens = 4096
    settings.constitution.max_token_limits["coding"] = 1000
    assert token_limit("coding", settings) == 1000
    settings.constitution.max_token_limits.pop("reasoning")
    settings.brains.reasoning.max_tokens = 300
    assert token_limit("reasoning", settings) == 300
    assert token_limit("coding", None) == 2048


@pytest.mark.parametrize("answer", [
    # Seen from Qwen2.5-Coder-1.5B explaining a function: the whole answer
    # was thrown away as "meta commentary" and the user told it said nothing.
    "This code checks if a given number `n` is even. It returns `True` if `n` is even, and `False` otherwise.",
    "This is a function that returns the sum of two numbers.",
    "The function above adds one to x.",
    "Note: the loop never ends when n is negative.",
])
def test_prose_that_talks_about_the_code_is_the_answer(answer):
    assert clean_output(answer, prose=True) == answer
    assert clean_output(f"Sure!\n\n{answer}\n\nI hope this helps!", prose=True) == answer


def test_an_explanation_keeps_the_words_around_the_code_it_quotes():
    # Seen from Qwen2.5-Coder-0.5B explaining is_even: an intro, the function
    # in a fence, then the explanation. Only the three lines of code reached
    # the user; the words were thrown away with the fences.
    raw = ("The code is:\n\n```python\ndef is_even(n):\n    # **odd** on purpose\n    return n % 2 == 1\n```\n\n"
           "This function takes a number `n` and returns **True** when it is odd, so the name is wrong.")
    text = clean_output(raw, prose=True, keep_fences=True)
    assert "This function takes a number `n` and returns True when it is odd" in text
    # The quoted code is kept as written: no markdown is taken out of it.
    assert "```python\ndef is_even(n):\n    # **odd** on purpose\n    return n % 2 == 1\n```" in text
    # Without keep_fences (code answers) only the code is kept, as before.
    assert clean_output(raw) == "def is_even(n):\n    # **odd** on purpose\n    return n % 2 == 1"
