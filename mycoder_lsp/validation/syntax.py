"""MC1xx: does the file parse? Python through ``ast``, the other languages
through tree-sitter grammars (ERROR and MISSING nodes).

Grammars and parsers come from :mod:`mycoder_lsp.code.parsing` (one loader
for the package, one parser per thread).
Valid JavaScript/TypeScript that the grammars cannot parse yet (``export
type *``, ``import("x").T<U>``, ASI before ``[``, ...: :data:`GRAMMAR_GAPS`)
is never reported: such a file is parsed again with those constructs
rewritten. A Flow file (``// @flow``) is not JavaScript and is not checked.
This module only reports syntax; it must not judge style or meaning.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Callable
from typing import Any

from mycoder_lsp.code.parsing import char_column, parser_for, source_bytes
from mycoder_lsp.code.parsing import parse_python as parse_ast
from mycoder_lsp.text import position_of
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.source import PythonSource

# Past this many syntax errors the rest is noise from the first ones.
MAX_SYNTAX_FINDINGS = 20


def parse_python(text: str, path: str) -> tuple[ast.Module | None, Finding | None]:
    """The tree, or the syntax error as a finding (MC101)."""
    try:
        return parse_ast(text, filename=path), None
    except SyntaxError as exc:
        return None, _python_error(text, exc)
    except ValueError as exc:  # NUL bytes on Python < 3.12
        line, col = position_of(text, text.find("\0")) if "\0" in text else (0, 0)
        return None, Finding("MC101", f"Syntax error: {exc}. Remove the NUL characters.", Severity.ERROR,
                             line, col, line, col + 1)
    except (RecursionError, MemoryError):
        return None, Finding("MC101", "Syntax error: the code is nested too deeply for Python to parse. "
                             "Flatten the expression.", Severity.ERROR, 0, 0, 0, 0)


def _python_error(text: str, exc: SyntaxError) -> Finding:
    src = PythonSource(text, "")
    line = max((exc.lineno or 1) - 1, 0)
    # SyntaxError offsets are 1-based code-point columns.
    col = max((exc.offset or 1) - 1, 0)
    end_line = (exc.end_lineno or exc.lineno or 1) - 1
    end_col = (exc.end_offset or 0) - 1
    line_len = len(src.line(line))
    col = min(col, line_len)
    if end_line < line or (end_line == line and end_col <= col):
        # No usable end: underline one character, or the rest of a line
        # ending in an unterminated construct.
        end_line, end_col = line, min(col + 1, max(line_len, col))
    msg = exc.msg[0].upper() + exc.msg[1:] if exc.msg else "Invalid syntax"
    if not msg.endswith((".", "?", "!")):
        msg += "."
    return Finding("MC101", f"Syntax error: {msg} Fix it before anything else: the file cannot run.",
                   Severity.ERROR, line, col, max(end_line, line), max(end_col, 0))


def check_python(src: PythonSource) -> list[Finding]:
    """Errors that ``ast.parse`` accepts but the compiler refuses are left
    to pyflakes (return outside function, ...)."""
    if src.tree is not None:
        return []
    _, finding = parse_python(src.text, src.path)
    return [finding] if finding else []


def check_tree_sitter(text: str, language: str) -> list[Finding]:
    parser = parser_for(language)
    if parser is None:
        return []
    if language == "javascript" and _FLOW.search(text[:2000]):
        return []  # a Flow file: its annotations would all be reported
    # tree-sitter rows break at \n only: source_bytes turns a lone \r into
    # \n (same byte count) so rows are the editor's lines in CR-only files too.
    data = source_bytes(text)
    tree = parser.parse(data)
    if tree.root_node.has_error and language in GRAMMAR_GAP_LANGUAGES:
        patched = patch_grammar_gaps(data, language)
        if patched != data:
            tree = parser.parse(patched)
    root = tree.root_node
    if not root.has_error:
        return []
    if language in GRAMMAR_GAP_LANGUAGES:
        template = _template_tag(text)
        if template is not None:
            # Django/Jinja/Liquid/Nunjucks rendering JavaScript: its tags are not
            # JavaScript, so every one of them would be a false syntax error.
            line = text.count("\n", 0, template.start())
            return [Finding(
                "MC001", "Not syntax-checked: this file is a template that renders JavaScript "
                f"('{template.group(0).strip()[:40]}' is a template tag), not JavaScript itself.",
                Severity.INFORMATION, line, 0, line, 0)]
    points = _Points(data)
    findings: list[Finding] = []
    stack = [root]
    while stack and len(findings) < MAX_SYNTAX_FINDINGS:
        node = stack.pop()
        if node.is_missing:
            findings.append(_missing(node, points))
            continue
        if node.is_error:
            findings.append(_error(node, points))
            continue  # nested errors repeat the outer one
        if node.has_error:
            stack.extend(reversed(node.children))
    return findings


# Valid JavaScript/TypeScript that the newest grammar wheels on PyPI
# (tree-sitter-javascript 0.25.0, tree-sitter-typescript 0.23.2) cannot
# parse. A file with syntax errors is parsed a second time with each such
# construct rewritten to one the grammar knows, byte for byte the same length
# so every other error keeps its position. Each pattern is written to match
# only the valid construct, so the errors that remain are the file's own.
# (pattern, replacement, languages)
_GAP = tuple[re.Pattern[bytes], Callable[[re.Match[bytes]], bytes], frozenset[str]]
_TS = frozenset({"typescript", "tsx"})
_JS_TS = frozenset({"javascript", "typescript", "tsx"})
GRAMMAR_GAP_LANGUAGES = _JS_TS
_NOT_A_FIELD = (
    rb"(?!(?:await|break|case|continue|default|delete|do|else|export|extends|in|instanceof|new|of|return|throw"
    rb"|typeof|void|yield)\b)"
)
_RESERVED = (
    rb"null|true|false|function|in|instanceof|typeof|void|delete|new|this|class|enum|const|var|if|else|for|while"
    rb"|do|switch|case|break|continue|return|throw|try|catch|finally|with|export|import|extends|super|debugger"
)
_RESERVED_IN_LIST = re.compile(rb"(?<=[{,])(\s*)(" + _RESERVED + rb")\b(?=\s*(?:[,}]|as\b))")


def _blank(group: int) -> Callable[[re.Match[bytes]], bytes]:
    """Replace one group with spaces, keep the rest of the match."""
    def replace(match: re.Match[bytes]) -> bytes:
        start, end = match.span(group)
        whole = match.group()
        offset = match.start()
        return whole[:start - offset] + b" " * (end - start) + whole[end - offset:]
    return replace


def _semicolon(match: re.Match[bytes]) -> bytes:
    """The semicolon JavaScript inserts (ASI), in place of the first
    whitespace byte at the end of the line (the line break itself when there
    is none: positions are computed from byte offsets, not rows)."""
    head, tail = match.group(1), match.group(2)
    return head + b";" + tail[1:]


def _module_block(match: re.Match[bytes]) -> bytes:
    space = len(match.group(1)) + len(match.group(2))
    return b" " * (space - 2) + b"module g{"


GRAMMAR_GAPS: tuple[_GAP, ...] = (
    # export type * from "x" / export type * as ns from "x" (TypeScript 5.0)
    (re.compile(rb"\bexport(\s+)(type)(?=\s*\*)"), _blank(2), _TS),
    # import("x").T<U> in a type position: the import type becomes a name
    (re.compile(rb"\bimport\s*\(\s*(?:\"[^\"\n\\]*\"|'[^'\n\\]*')\s*\)"), lambda m: b"_" * len(m.group()), _TS),
    # let a\n[a] = f() and a class field `#abort\n[key] = 1`: ASI before [ or (
    (re.compile(rb"(?m)(^[ \t]*(?:let|var)[ \t]+[A-Za-z_$][\w$]*(?:[ \t]*,[ \t]*[A-Za-z_$][\w$]*)*)"
                rb"([ \t]*\r?\n)(?=\s*[\[(])"), _semicolon, _JS_TS),
    (re.compile(rb"(?m)(^[ \t]+(?:(?:static|readonly|declare|public|private|protected|override|accessor)[ \t]+)*"
                + _NOT_A_FIELD + rb"#?[A-Za-z_$][\w$]*)([ \t]*\r?\n)(?=\s*\[)"), _semicolon, _JS_TS),
    # keyof readonly T[] (the operator after keyof)
    (re.compile(rb"\bkeyof(\s+)(readonly)(?=\s)"), _blank(2), _TS),
    # a property or method named `abstract` / `accessor`
    (re.compile(rb"(?:^|(?<=[{;,\n]))\s*(abstract|accessor)(?=\s*\??\s*[:(])"),
     lambda m: m.group()[:-len(m.group(1))] + b"_" + m.group(1)[1:], _TS),
    # static accessor x = 1 (TypeScript 4.9 auto-accessors)
    (re.compile(rb"\bstatic(\s+)(accessor)(?=\s+[#\w$])"), _blank(2), _TS),
    # `global { ... }` nested in `declare module "x" { ... }`
    (re.compile(rb"(?m)^([ \t]+)global([ \t]*)\{"), _module_block, _TS),
    # import data from "./a.json" assert { type: "json" } (import assertions,
    # the older form of `with`)
    (re.compile(rb"(\bfrom\s*(?:\"[^\"\n]*\"|'[^'\n]*')\s*)assert(?=\s*\{)"), lambda m: m.group(1) + b"with  ", _JS_TS),
    # variance annotations: type T<in out U> (TypeScript 4.7), also after a comment
    (re.compile(rb"(?<=[<,])((?:\s|/\*(?:[^*]|\*(?!/))*\*/)*)(in\s+out|in|out)"
                rb"(?=\s+[A-Za-z_$][\w$]*\s*(?:[,>=]|extends\b))"), _blank(2), _TS),
    # a reserved word as an exported name: export { _null as null, fn as function },
    # export { function } from "./x"
    (re.compile(rb"\bas\s+(" + _RESERVED + rb")\b(?=\s*[,}])"),
     lambda m: m.group()[:-len(m.group(1))] + b"_" + m.group(1)[1:], _JS_TS),
    (re.compile(rb"\bexport\s*(?:type\s*)?\{[^{}]*\}\s*from\b"),
     lambda m: _RESERVED_IN_LIST.sub(lambda w: w.group(1) + b"_" + w.group(2)[1:], m.group()), _JS_TS),
    # export default function (a: A): R;  (an anonymous signature in a .d.ts)
    (re.compile(rb"\bexport\s+default\s+function\s*\("),
     lambda m: b"export" + b" " * (len(m.group()) - 17) + b"function f(", _TS),
    # a parameter named await: (this: T, await: AwaitYield) => R
    (re.compile(rb"(?<=[(,])(\s*)(await|yield)(?=\s*\??:)"), lambda m: m.group(1) + b"_" + m.group(2)[1:], _TS),
    # a template literal type with an escaped backslash before ${: `${L}\\${R}`
    (re.compile(rb"\\\\(?=\$\{)"), lambda m: b"__", _TS),
    # members of a type literal without `;`, the next a generic call signature
    (re.compile(rb"(?<=[\w$)\]>])()([ \t]*\r?\n)(?=[ \t]*<[A-Za-z_$][\w$]*\s*(?:=|extends\b|,|>\s*\())"),
     _semicolon, frozenset({"typescript"})),
)

# A template tag ({% if x %}, {{ name }}, {{ x|filter }}): never valid JavaScript
# where a template engine puts it, so a file that fails to parse and has one
# is a template, not broken code.
_TEMPLATE_TAG = re.compile(r"\{%-?[ \t]*[A-Za-z_]\w*[^\n]*?-?%\}|\{\{-?[ \t]*[A-Za-z_][\w.]*[ \t]*(?:\|[^\n}]*)?-?\}\}")


def _template_tag(text: str) -> re.Match[str] | None:
    """The first template tag outside a string on its line (``'{% raw %}'``
    in a JavaScript string is data, not a template)."""
    for match in _TEMPLATE_TAG.finditer(text):
        before = text[text.rfind("\n", 0, match.start()) + 1:match.start()]
        if all(before.count(quote) % 2 == 0 for quote in "'\"`"):
            return match
    return None


# Flow's type syntax is not JavaScript and no grammar here parses it.
_FLOW = re.compile(r"(?:^|\n)\s*(?://|/?\*+)\s*@flow\b")


def patch_grammar_gaps(data: bytes, language: str) -> bytes:
    """``data`` with the constructs of :data:`GRAMMAR_GAPS` rewritten, the
    same length."""
    for pattern, replace, languages in GRAMMAR_GAPS:
        if language in languages:
            data = pattern.sub(replace, data)
    return data


class _Points:
    """Byte offset -> (line, code-point column) in the checked text."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = [0] + [m.end() for m in re.finditer(rb"\n", data)]

    def at(self, offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[row]
        end = self.starts[row + 1] if row + 1 < len(self.starts) else len(self.data)
        line = self.data[start:end].decode("utf-8", "surrogatepass")
        return row, char_column(line, offset - start)

    def line_end(self, row: int) -> int:
        end = self.starts[row + 1] - 1 if row + 1 < len(self.starts) else len(self.data)
        return self.at(end)[1]


def _missing(node: Any, points: _Points) -> Finding:
    row, col = points.at(node.start_byte)
    what = f"'{node.type}'" if not node.is_named else f"{node.type.replace('_', ' ')}"
    return Finding("MC103", f"Syntax error: missing {what} here. Add it.", Severity.ERROR, row, col, row, col)


def _error(node: Any, points: _Points) -> Finding:
    row, start = points.at(node.start_byte)
    end_row, end = points.at(node.end_byte)
    # the original text: the patched copy may differ inside the node
    snippet = points.data[node.start_byte:node.end_byte].decode("utf-8", "replace").strip().splitlines()
    shown = snippet[0][:40] if snippet else ""
    detail = f" near '{shown}'" if shown else ""
    if end_row == row and end <= start:
        end = start + 1 if start < points.line_end(row) else start
    return Finding("MC102", f"Syntax error: unexpected code{detail}. Fix the syntax here.",
                   Severity.ERROR, row, start, end_row, end)
