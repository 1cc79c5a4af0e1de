from __future__ import annotations

from pathlib import Path

import pytest

from mycoder_lsp.code.parsing import parser_for
from mycoder_lsp.validation.findings import Severity
from mycoder_lsp.validation.pipeline import validate_text
from mycoder_lsp.validation.syntax import check_tree_sitter
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


CORPUS = Path(__file__).resolve().parents[2] / "data" / "js_corpus"
CORPUS_FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".js", ".ts", ".mts"))


def test_js_corpus_is_there():
    assert len(CORPUS_FILES) >= 18


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_js_corpus_has_no_syntax_errors(path):
    result = validate_text(path.read_text(encoding="utf-8"), path=str(path))
    syntax = [(f.code, f.line + 1, f.column + 1, f.message) for f in result.findings if f.code in ("MC102", "MC103")]
    assert syntax == []


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("typescript", 'export type * from "./x";\nexport type * as ns from "./y";\n'),
        ("typescript", 'let t: import("x").T<U>;\ntype W<T> = T extends 1 ? import("./x").Y<T> : never;\n'),
        ("typescript", 'type A = import("x").T.U<V>;\n'),
        ("javascript", "let a\n[a] = [1]\nvar b, c\n;[b, c] = [c, b]\n"),
        ("javascript", "let a\n({a} = {a: 1})\n"),
        ("typescript", "let a\n[a] = [1]\n"),
        ("javascript", "class C {\n  #abort\n\n  [kResume] = null\n}\n"),
        ("typescript", "type T = { [K in keyof readonly any[]]?: boolean };\n"),
        ("typescript", "interface I {\n    abstract?: boolean;\n    accessor: number;\n}\n"),
        ("typescript", "class C { static accessor x = 1; abstract(): void {} }\n"),
        ("typescript", 'declare module "b" {\n    global {\n        interface X {}\n    }\n}\n'),
        ("javascript", 'import data from "./a.json" assert { type: "json" };\n'),
        ("typescript", "type T<in out U> = U;\ninterface I<out T, in U extends T> {}\n"),
        ("typescript", "interface Z<\n/** @ts-ignore */\nout S extends X = Y, out C = D> {}\n"),
        ("javascript", 'const _null = null;\nexport { _null as null, _null as function };\n'),
        ("javascript", 'export { function, registry } from "./core";\n'),
        ("typescript", "export default function (fork: Fork): void;\n"),
        ("typescript", "declare function f<T>(this: T, await: A): void;\n"),
        ("typescript", "type T = `${infer L}\\\\${string}`;\n"),
        ("typescript", "type T = {\n  (a: A): T\n  <P = D>(h: H<P>): T\n}\n"),
    ],
)
def test_valid_modern_code_the_grammar_misses_is_not_an_error(language, code):
    assert check_tree_sitter(code, language) == []


@pytest.mark.parametrize(
    ("language", "code", "line", "column"),
    [
        # a real error next to a rewritten construct keeps its position
        ("typescript", 'export type * from "./x";\nlet t: import("x").T<U> = ;\n', 1, 24),
        ("javascript", "let a\n[a] = [1]\nlet b = ;\n", 2, 6),
        ("javascript", "let a\n[a] = [1]\nconst s = 'é'; let = ;\n", 2, 19),
        # what stays invalid after the rewrites
        ("javascript", 'export type * from "./x";\n', 0, 7),
        ("typescript", "type T = { accessor x: number };\n", 0, 20),
        ("javascript", "export { function };\n", 0, 9),
    ],
)
def test_rewrites_do_not_hide_real_errors(language, code, line, column):
    findings = check_tree_sitter(code, language)
    assert findings
    first = min(findings, key=lambda f: (f.line, f.column))
    assert (first.line, first.column) == (line, column)


def test_flow_files_are_not_checked_as_javascript():
    code = 'import type { A } from "./a";\nfunction f(x: number): string { return "" }\n'
    assert check_tree_sitter(code, "javascript")
    assert check_tree_sitter("// @flow\n" + code, "javascript") == []
    assert check_tree_sitter("/**\n * @flow strict\n */\n" + code, "javascript") == []


@pytest.mark.parametrize("language", ["javascript", "typescript"])
def test_a_template_that_renders_javascript_is_not_checked_as_javascript(language):
    # django/views/templates/i18n_catalog.js, in short: ten false MC102 before.
    template = ("{% autoescape off %}\n'use strict';\n{\n  const django = globalThis.django || {};\n"
                "  {% if plural %}\n  django.pluralidx = function(n) { return {{ plural }}; };\n"
                "  {% else %}\n  django.pluralidx = function(count) { return (count == 1) ? 0 : 1; };\n"
                "  {% endif %}\n  const catalog = {{ catalog_str }};\n}\n{% endautoescape %}\n")
    findings = check_tree_sitter(template, language)
    assert [(f.code, f.severity, f.line) for f in findings] == [("MC001", Severity.INFORMATION, 0)]
    assert "template" in findings[0].message
    # Valid JavaScript with braces is untouched, broken JavaScript is still an error.
    assert check_tree_sitter("const o = {a: {b: 1}};\nfunction f() {{ return 1 }}\n", language) == []
    assert [f.code for f in check_tree_sitter("const s = '{% raw %}';\nvar a = ;\n", language)] == ["MC102"]
