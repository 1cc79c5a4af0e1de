from __future__ import annotations

import pytest

from mycoder_lsp.validation.findings import Severity
from mycoder_lsp.validation.syntax import check_tree_sitter, parser_for
from tests.unit.validation.conftest import codes


def test_python_syntax_error_has_exact_range_and_zero_confidence(check):
    result = check("x = 1\ndef f(:\n    pass\n")
    (finding,) = [f for f in result.findings if f.code == "MC101"]
    assert (finding.line, finding.column) == (1, 6)
    assert finding.end_line == 1 and finding.end_column > finding.column
    assert finding.severity == Severity.ERROR
    assert "Syntax error" in finding.message
    assert result.confidence == 0.0 and not result.safe_to_persist


def test_python_unclosed_bracket_points_at_the_bracket(check):
    result = check("value = foo(1,\n")
    (finding,) = result.findings
    assert finding.code == "MC101"
    assert (finding.line, finding.column) == (0, 11)


def test_python_columns_are_code_points(check):
    result = check("s = 'héllo' +\n")
    (finding,) = result.findings
    assert finding.code == "MC101" and finding.line == 0


def test_null_bytes_are_a_syntax_error_not_a_crash(check):
    result = check("x = 1\0\n")
    assert codes(result) == ["MC101"]


@pytest.mark.parametrize(
    ("language", "code", "line", "column"),
    [
        ("javascript", "function f() {\n  return 1 +;\n}\n", 1, 11),
        ("typescript", "let x: number = ;\n", 0, 16),
        ("tsx", "const a = <div>{1}</div>;\nlet y: number = ;\n", 1, 14),
        ("go", "package main\nfunc main() {\n  x := \n}\n", 2, 7),
        ("rust", "fn main() {\n    let x = 1\n}\n", 1, 13),
    ],
)
def test_tree_sitter_languages_report_error_position(language, code, line, column):
    findings = check_tree_sitter(code, language)
    assert findings, f"no syntax finding for {language}"
    first = min(findings, key=lambda f: (f.line, f.column))
    assert first.code in ("MC102", "MC103") and first.severity == Severity.ERROR
    assert first.line == line
    assert abs(first.column - column) <= 2


def test_missing_node_is_mc103_zero_width():
    (finding,) = check_tree_sitter("fn main() {\n    let x = 1\n}\n", "rust")
    assert finding.code == "MC103"
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (1, 13, 1, 13)
    assert "';'" in finding.message


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx", "go", "rust", "python"])
def test_valid_code_is_clean_and_parsers_are_cached(language):
    samples = {
        "javascript": "export function add(a, b) { return a + b; }\n",
        "typescript": "export function add(a: number, b: number): number { return a + b; }\n",
        "tsx": "export const A = () => <div className=\"x\">{1}</div>;\n",
        "go": "package main\n\nfunc main() {}\n",
        "rust": "fn main() { let x = 1; println!(\"{}\", x); }\n",
        "python": "def f():\n    return 1\n",
    }
    assert check_tree_sitter(samples[language], language) == []
    assert parser_for(language) is parser_for(language)


def test_non_python_error_confidence_zero(check):
    result = check("function f( {\n", name="a.js")
    assert codes(result) == ["MC102"]
    assert result.confidence == 0.0


def test_ts_error_columns_count_code_points():
    findings = check_tree_sitter("const s = 'é'; let = ;\n", "typescript")
    assert findings
    assert all(f.column <= len("const s = 'é'; let = ;") for f in findings)
