from __future__ import annotations

import random

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.pipeline import score, validate_bytes, validate_text


def f(code: str, severity: Severity = Severity.WARNING) -> Finding:
    return Finding(code, "m", severity, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([], 1.0),
        ([f("MC501")], 0.7),
        ([f("MC501"), f("MC501")], 0.4),
        ([f("MC503", Severity.ERROR)], 0.6),
        ([f("MC504", Severity.ERROR), f("MC504", Severity.ERROR)], 0.6),
        ([f("MC503", Severity.ERROR), f("MC503", Severity.ERROR), f("MC503", Severity.ERROR)], 0.0),  # clamped
        ([f("MC502")], 0.0),
        ([f("MC502", Severity.INFORMATION)], 1.0),
        ([f("MC504", Severity.WARNING), f("MC506", Severity.WARNING)], 1.0),
        ([f("MC101", Severity.ERROR)], 0.0),
        ([f("MC313"), f("MC204", Severity.INFORMATION)], 1.0),
    ],
)
def test_confidence_arithmetic(findings, expected):
    assert score(findings) == pytest.approx(expected)


def test_safe_to_persist_threshold(check):
    # generated code (an edit against an original): invented imports are errors there
    assert check("import os\nimport nothere_aa\nimport nothere_bb\nprint(os, nothere_aa, nothere_bb)\n",
                 original="").safe_to_persist
    result = check("import nothere_aa\nimport nothere_bb\nimport nothere_cc\nprint(nothere_aa, nothere_bb, nothere_cc)\n",
                   original="")
    assert result.confidence == pytest.approx(0.4) and not result.safe_to_persist


def test_empty_and_whitespace_files_are_fine():
    for text in ("", "\n\n", "   "):
        result = validate_text(text, path="e.py")
        assert result.findings == [] and result.confidence == 1.0


def test_unknown_language_is_not_validated():
    result = validate_text("whatever ((", path="notes.txt")
    assert result.language is None and result.findings == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01binary", "binary"),
        (b"x = '\xff'\n", "not valid utf-8"),
        (b"# coding: nonsense-enc\nx = 1\n", None),
    ],
)
def test_validate_bytes_bad_input(data, reason):
    result = validate_bytes(data, path="x.py")
    if reason:
        assert result.skipped and reason in result.skipped
        assert result.findings == []
    else:
        assert result.skipped is None or "encoding" in result.skipped


def test_validate_bytes_size_limit_and_bom():
    settings = Settings()
    settings.validation.max_file_size = 10
    result = validate_bytes(b"x = 1\n" * 10, path="x.py", settings=settings)
    assert result.skipped and "limit" in result.skipped
    assert validate_bytes("\ufeffx = 1\n".encode(), path="x.py").findings == []


def test_pep263_declared_encoding_is_decoded():
    result = validate_bytes(b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n", path="x.py")
    assert result.skipped is None and result.findings == []


def test_layer_toggles():
    settings = Settings()
    settings.validation.security = False
    settings.validation.hallucination = False
    settings.validation.lint.enabled = False
    settings.validation.style.enabled = False
    result = validate_text("import nothere_zz\neval('1')\nx = 1   \n", path="x.py", settings=settings)
    assert result.findings == []
    settings.validation.syntax = False
    result = validate_text("def (:\n", path="x.py", settings=settings)
    assert result.findings == [] and result.confidence == 0.0


def test_never_raises_on_random_input():
    rng = random.Random(1234)
    alphabet = "def class ( ) [ ] { } : ; = + - * / \\ \" ' # \n \t  x y 1 0 é ✓ import from eval TODO pass ..."
    tokens = alphabet.split(" ") + ["\n", "    ", "\r\n", "\x0c", "\0", "\udcff"]
    for _ in range(300):
        text = "".join(rng.choice(tokens) for _ in range(rng.randint(0, 80)))
        for path in ("f.py", "f.js", "f.ts", "f.tsx", "f.go", "f.rs", "f.pyi"):
            result = validate_text(text, path=path)
            assert 0.0 <= result.confidence <= 1.0
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        validate_bytes(data, path="f.py")
        validate_bytes(data, path="f.rs")


def test_deep_nesting_does_not_crash():
    result = validate_text("x = " + "(" * 500 + "1" + ")" * 500 + "\n", path="deep.py")
    assert 0.0 <= result.confidence <= 1.0
    result = validate_text("x = " + "[" * 100_000 + "\n", path="deep.py")
    assert result.confidence == 0.0


def test_findings_are_sorted_by_position(check):
    result = check("import os   \nx = eval('1')\n")
    positions = [(f.line, f.column) for f in result.findings]
    assert positions == sorted(positions)


def test_a_line_over_both_limits_is_reported_once():
    long_line = "x = " + "1 + " * 40 + "1\n"  # over 100 and over 79
    medium_line = "y = " + "1 + " * 20 + "1\n"  # over 79 only
    result = validate_text(long_line + medium_line, path="m.py")
    lengths = [(f.line, f.code) for f in result.findings if f.code in ("MC204", "MC302")]
    assert lengths == [(0, "MC302"), (1, "MC204")]
