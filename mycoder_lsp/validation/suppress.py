"""Suppressions: the comments and settings that hide findings, applied once
after every layer has run.

Line comments: ``# noqa`` (everything on the line), ``# noqa: F401,E501``
(pyflakes/pycodestyle/ruff codes, mapped to ours by :data:`FOREIGN_CODES`, or
our own ``MC313``), ``# mycoder: ignore`` and ``# mycoder: ignore[MC504]``.
File comments, on a line of their own: ``# mycoder: skip-file``, ``# ruff:
noqa``, ``# flake8: noqa`` (``# ruff: noqa: F401`` hides those codes in the
whole file). Setting: ``validation.per_file_ignores`` (globs relative to the
project root -> codes or prefixes).

Like ruff, a finding spanning lines is hidden by a comment on its first or
last line, and a finding on a line of a multi-line string or import by a
comment on the statement's first or last line. Python comments are found with ``tokenize``, so
``"# noqa"`` inside a string is data, not a comment.

In generated code (an edit compared with its original) only comments the
original already had count: a model must not silence the checks on its own
output by adding ``# noqa`` to it. This module must not run any check.
"""

from __future__ import annotations

import ast
import fnmatch
import io
import re
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from mycoder_lsp.text import to_lf
from mycoder_lsp.validation.findings import Finding
from mycoder_lsp.validation.source import PythonSource, scan_comment

# pyflakes (F), pycodestyle (E/W), bandit via ruff (S), flake8-fixme (FIX):
# the codes a project's existing comments use, and the MC codes that mean the
# same problem here.
FOREIGN_CODES: dict[str, tuple[str, ...]] = {
    "E999": ("MC101",),
    "E111": ("MC201",), "E114": ("MC201",), "E117": ("MC201",),
    "E101": ("MC202",), "W191": ("MC202",),
    "W291": ("MC203",), "W293": ("MC203",),
    "E501": ("MC204", "MC302"),
    "F403": ("MC301",), "F405": ("MC317",),
    "F821": ("MC310",), "F823": ("MC311",), "F822": ("MC312",), "F401": ("MC313",), "F841": ("MC314",),
    "F811": ("MC315",), "F402": ("MC316",), "F406": ("MC318",), "F831": ("MC319",), "F706": ("MC320",),
    "F704": ("MC321",), "F701": ("MC322",), "F702": ("MC323",), "F404": ("MC324",), "F407": ("MC325",),
    "F707": ("MC326",), "F622": ("MC327",), "F621": ("MC328",), "F632": ("MC329",), "F541": ("MC330",),
    "F601": ("MC332",), "F602": ("MC333",), "F631": ("MC334",), "F634": ("MC335",), "F901": ("MC336",),
    "F722": ("MC337",), "F842": ("MC338",), "F633": ("MC340",),
    "F501": ("MC350",), "F506": ("MC351",), "F509": ("MC352",), "F507": ("MC353",), "F504": ("MC354",),
    "F505": ("MC355",), "F502": ("MC356",), "F503": ("MC357",), "F508": ("MC358",),
    "F523": ("MC360",), "F522": ("MC361",), "F524": ("MC362",), "F525": ("MC363",), "F521": ("MC364",),
    "S307": ("MC401",), "S102": ("MC401",),
    "S105": ("MC402", "MC404"), "S106": ("MC404",), "S107": ("MC404",),
    "FIX001": ("MC501",), "FIX002": ("MC501",), "FIX003": ("MC501",), "FIX004": ("MC501",),
}
# Never hidden: a skipped file must stay visible as such.
UNSUPPRESSIBLE = frozenset({"MC001"})

_CODE = r"[A-Za-z]+[0-9]+"
_NOQA = re.compile(rf"#\s*noqa\b(?::\s*(?P<codes>{_CODE}(?:[,\s]+{_CODE})*))?", re.IGNORECASE)
_MYCODER = re.compile(r"#\s*mycoder\s*:\s*(?P<kind>ignore|skip-file)\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_FILE_NOQA = re.compile(rf"#\s*(?:ruff|flake8)\s*:\s*noqa\b(?::\s*(?P<codes>{_CODE}(?:[,\s]+{_CODE})*))?",
                        re.IGNORECASE)
# Languages other than Python: the comment starts at // or /* (or # for shells).
_OTHER_COMMENT = re.compile(r"(?://|/\*|#)")


def our_codes(tokens: Iterable[str]) -> frozenset[str]:
    """``F401`` -> ``MC313``; our own codes and prefixes (``MC3``) as given;
    unknown foreign codes suppress nothing, as in ruff."""
    codes: set[str] = set()
    for token in tokens:
        token = token.strip().upper()
        if not token:
            continue
        if token.startswith("MC"):
            codes.add(token)
        else:
            codes.update(FOREIGN_CODES.get(token, ()))
    return frozenset(codes)


def _split(codes: str | None) -> list[str]:
    return [c for c in re.split(r"[,\s]+", codes or "") if c]


@dataclass
class Directives:
    """What a file's comments suppress. A line's value ``None`` means every code."""

    skip_file: bool = False
    file_codes: frozenset[str] = frozenset()
    lines: dict[int, frozenset[str] | None] = field(default_factory=dict)
    # 0-based line of a multi-line string or import -> its first and last
    # lines, where a comment about any of its lines may stand.
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)

    def hides(self, finding: Finding) -> bool:
        if finding.code in UNSUPPRESSIBLE:
            return False
        if self.skip_file or _matches(finding.code, self.file_codes):
            return True
        candidates = {finding.line, finding.end_line}
        for line in (finding.line, finding.end_line):
            candidates.update(self.spans.get(line, ()))
        for line in candidates:
            if line not in self.lines:
                continue
            codes = self.lines[line]
            if codes is None or _matches(finding.code, codes):
                return True
        return False


def _matches(code: str, selectors: frozenset[str]) -> bool:
    return any(code.startswith(s) for s in selectors)


@dataclass(frozen=True)
class _Comment:
    line: int
    text: str  # from its comment marker to the end of the line
    own_line: bool  # nothing but whitespace before it


def python_comments(text: str) -> tuple[list[_Comment], dict[int, tuple[int, int]]]:
    """The comments of Python ``text`` and the spans of its multi-line
    strings and imports, via ``tokenize``; a file it cannot tokenize to the
    end falls back to a line scanner for the rest."""
    comments: list[_Comment] = []
    spans: dict[int, tuple[int, int]] = {}
    lines = text.split("\n")
    reached = 0
    statement: tokenize.TokenInfo | None = None  # the first token of the logical line
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            reached = tok.start[0]
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                own = not tok.line[:col].strip() if tok.line else col == 0
                comments.append(_Comment(row - 1, tok.string, own))
            elif tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                _span(spans, tok.start[0] - 1, tok.end[0] - 1)
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                # A multi-line import: ruff takes its noqa at its end; we also at its start.
                if statement is not None and statement.string in ("import", "from") \
                        and tok.start[0] > statement.start[0]:
                    _span(spans, statement.start[0] - 1, tok.start[0] - 1)
                statement = None
            elif statement is None and tok.type not in _LAYOUT:
                statement = tok
    except (tokenize.TokenError, SyntaxError):
        # A syntax error (an unclosed bracket or string) stops tokenize; the
        # lines after what it reached still get their comments read.
        done = {c.line for c in comments}
        comments += [c for c in _scan_lines(lines, reached - 1) if c.line not in done]
    return comments, spans


_LAYOUT = (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING)


def _span(spans: dict[int, tuple[int, int]], first: int, last: int) -> None:
    for row in range(first, last + 1):
        spans.setdefault(row, (first, last))


def _scan_lines(lines: list[str], first: int) -> list[_Comment]:
    """Comments by a quote-aware scan of each line (used where tokenize gave up)."""
    comments: list[_Comment] = []
    open_triple = ""
    for index in range(max(first, 0), len(lines)):
        line = lines[index]
        position, open_triple = scan_comment(line, 0, open_triple)
        if position >= 0:
            comments.append(_Comment(index, line[position:], not line[:position].strip()))
    return comments


def _marked_rows(text: str) -> list[int]:
    """0-based rows whose text mentions noqa or mycoder (any case): the only
    ones a suppression can be on."""
    low = text.lower()
    positions = sorted(m for word in ("noqa", "mycoder") for m in _find_all(low, word))
    rows: list[int] = []
    row, last = 0, 0
    for position in positions:
        row += text.count("\n", last, position)
        last = position
        if not rows or rows[-1] != row:
            rows.append(row)
    return rows


def _find_all(text: str, word: str) -> Iterable[int]:
    position = text.find(word)
    while position >= 0:
        yield position
        position = text.find(word, position + len(word))


def tree_comments(src: PythonSource) -> tuple[list[_Comment], dict[int, tuple[int, int]]]:
    """Like :func:`python_comments`, for a file that parsed: the tree says
    where multi-line strings and imports are, and only the rows that mention
    a suppression are scanned (tokenizing a whole file costs a third of the
    pipeline)."""
    spans: dict[int, tuple[int, int]] = {}
    inside: set[int] = set()
    string_end: dict[int, int] = {}  # last row of a multi-line string -> the column after it
    for node in src.of_type(ast.Constant, ast.JoinedStr):
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
        is_text = node.__class__ is ast.JoinedStr or isinstance(node.value, (str, bytes))  # type: ignore[attr-defined]
        if last > first and is_text:
            _span(spans, first, last)
            inside.update(range(first + 1, last))
            end = src.column(last + 1, node.end_col_offset or 0)  # type: ignore[attr-defined]
            string_end[last] = max(string_end.get(last, 0), end)
    for node in src.of_type(ast.Import, ast.ImportFrom):
        if (node.end_lineno or node.lineno) > node.lineno:  # type: ignore[attr-defined]
            _span(spans, node.lineno - 1, node.end_lineno - 1)  # type: ignore[attr-defined]
    comments: list[_Comment] = []
    for row in _marked_rows(to_lf(src.text) if "\r" in src.text else src.text):
        if row in inside:
            continue
        line = src.line(row)
        position, _ = scan_comment(line, string_end.get(row, 0))
        if position >= 0:
            comments.append(_Comment(row, line[position:], not line[:position].strip()))
    return comments, spans


def other_comments(text: str) -> list[_Comment]:
    comments: list[_Comment] = []
    for index, line in enumerate(text.split("\n")):
        match = _OTHER_COMMENT.search(line)
        if match:
            # Normalise // and /* to # so one set of patterns reads both.
            body = "#" + line[match.end():].removesuffix("*/") if match.group() != "#" else line[match.start():]
            comments.append(_Comment(index, body, not line[:match.start()].strip()))
    return comments


def comments_of(text: str, language: str | None) -> tuple[list[_Comment], dict[int, tuple[int, int]]]:
    if "#" not in text and "/" not in text:
        return [], {}
    if language == "python":
        return python_comments(text)
    return other_comments(text), {}


def parse_directives(text: str, language: str | None, *, original: str | None = None,
                     src: PythonSource | None = None) -> Directives:
    """The suppressions in ``text``; with ``original`` (generated code) only
    the comments that ``original`` has too. ``src``: the parsed ``text``,
    which makes reading its comments cheap."""
    directives = Directives()
    low = text.lower()
    if "noqa" not in low and "mycoder" not in low:
        return directives
    # Rows are LSP lines: CRLF and a lone CR end a line too.
    if src is not None and src.tree is not None and src.text is text:
        comments, directives.spans = tree_comments(src)
    else:
        comments, directives.spans = comments_of(to_lf(text) if "\r" in text else text, language)
    if original is not None:
        kept = {c.text.strip() for c in comments_of(to_lf(original), language)[0]}
        comments = [c for c in comments if c.text.strip() in kept]
    for comment in comments:
        body = comment.text
        if comment.own_line:
            file_level = _FILE_NOQA.match(body)
            if file_level is not None:
                if file_level.group("codes"):
                    directives.file_codes |= our_codes(_split(file_level.group("codes")))
                else:
                    directives.skip_file = True
                continue
        for match in _MYCODER.finditer(body):
            if match.group("kind").lower() == "skip-file":
                if comment.own_line:
                    directives.skip_file = True
                continue
            _add(directives, comment.line, match.group("codes"), bracketed=True)
        for match in _NOQA.finditer(body):
            _add(directives, comment.line, match.group("codes"), bracketed=False)
    return directives


def _add(directives: Directives, line: int, codes: str | None, *, bracketed: bool) -> None:
    current = directives.lines.get(line, frozenset())
    if current is None:
        return
    if codes is None or (bracketed and not codes.strip()):
        directives.lines[line] = None
        return
    directives.lines[line] = current | our_codes(_split(codes))


def per_file_codes(path: str, root: Path | None, patterns: Mapping[str, list[str]]) -> frozenset[str]:
    """The codes ``validation.per_file_ignores`` drops for ``path``: each glob
    is matched against the path relative to ``root`` (the project's), and a
    glob without ``/`` against the file name too, as ruff does."""
    if not patterns:
        return frozenset()
    relative = _relative(path, root)
    name = PurePosixPath(relative).name
    codes: set[str] = set()
    for pattern, listed in patterns.items():
        pattern = pattern.replace("\\", "/").removeprefix("./")
        if fnmatch.fnmatchcase(relative, pattern) or ("/" not in pattern and fnmatch.fnmatchcase(name, pattern)) \
                or fnmatch.fnmatchcase(relative, pattern.rstrip("/") + "/*"):
            codes |= our_codes(listed)
    return frozenset(codes)


def _relative(path: str, root: Path | None) -> str:
    candidate = Path(path)
    if root is not None and candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            pass
    return candidate.as_posix()


def apply_suppressions(findings: list[Finding], *, text: str, language: str | None, path: str,
                       root: Path | None, per_file_ignores: Mapping[str, list[str]],
                       original: str | None = None, src: PythonSource | None = None) -> list[Finding]:
    """``findings`` without the ones a comment or ``per_file_ignores`` hides."""
    if not findings:
        return findings
    dropped = per_file_codes(path, root, per_file_ignores)
    directives = parse_directives(text, language, original=original, src=src)
    if not dropped and not directives.skip_file and not directives.file_codes and not directives.lines:
        return findings
    return [f for f in findings
            if f.code in UNSUPPRESSIBLE or not (_matches(f.code, dropped) or directives.hides(f))]
