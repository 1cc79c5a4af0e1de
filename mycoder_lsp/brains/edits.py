"""From a brain's raw answer to a minimal, safe edit of the document.

:func:`extract_code` finds the code in what the model wrote (fences,
preambles, whole-file answers, several blocks, wrong indentation) and refuses
answers that were cut off. :func:`plan_edit` turns it into one range to
replace (the target symbol, the selection, or the file) and refuses any plan
whose result would not parse. :func:`parse_review` reads review findings;
:func:`unified_diff` shows a change in the terminal.

Positions are 0-based lines and columns in code points, ends exclusive for
columns. Pure functions: no model calls, no pygls, no file writes.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from mycoder_lsp.brains.governance import clean_output, fenced_blocks, is_meta, is_preamble, outside_fences
from mycoder_lsp.code.languages import language as language_record
from mycoder_lsp.code.parsing import parse_shared, parse_tree
from mycoder_lsp.code.symbols import Symbol, document_symbols
from mycoder_lsp.errors import UserError
from mycoder_lsp.text import newline_of, split_lines, to_lf

# Fence tags that are not code of the document's language.
_NOT_CODE_TAGS = {"bash", "sh", "shell", "console", "text", "txt", "output", "json", "diff", "log", "plaintext", "yaml"}


# The refusal of an answer that is the code as it was (the repair round
# restates the request for it).
UNCHANGED = "The model's answer changes nothing."


class EditRefused(UserError):
    """The answer cannot become a safe edit; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EditPlan:
    """Replace ``start_line:start_col`` .. ``end_line:end_col`` (end column
    exclusive) with ``new_text``. ``old_text`` is what is replaced."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    new_text: str
    old_text: str

    @property
    def changed_lines(self) -> int:
        """Lines that really differ between the old and the new text: each
        changed block counts its larger side (a two-line insert into a long
        function is 2, not the function's size). Shown to the user, and
        decides when the 'large change' verification runs."""
        return changed_line_count(self.old_text, self.new_text)


def changed_line_count(old: str, new: str) -> int:
    """How many lines differ between ``old`` and ``new`` (difflib over
    their lines; a replaced block counts its larger side)."""
    matcher = difflib.SequenceMatcher(None, split_lines(old), split_lines(new), autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal")


@dataclass(frozen=True)
class ReviewFinding:
    """One review finding; ``line`` is 0-based in the document (None when
    the reviewer named no line)."""

    line: int | None
    severity: str  # error | warning | info | hint
    message: str


# ------------------------------------------------------------------ parsing


def is_parseable(text: str, language: str | None) -> bool:
    """Does ``text`` parse as ``language``? Unknown languages count as yes
    (we cannot tell; the validation pipeline has the last word)."""
    if language == "python":
        try:
            parse_shared(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        return True
    tree = parse_tree(text, language) if language else None
    if tree is None:
        return True
    return not tree.root_node.has_error


def _fragment_parses(code: str, language: str | None) -> bool:
    """Does a definition taken out of its file parse on its own? Methods are
    tried inside a class / impl, since `fn m(&self)` and `bar() {}` are only
    valid there."""
    body = _dedent(code)
    if is_parseable(body, language):
        return True
    record = language_record(language)
    wrapped = record.method_wrapper if record else None
    return wrapped is not None and is_parseable(wrapped % body, language)


# ------------------------------------------------------------- indentation


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _dedent(code: str) -> str:
    lines = code.split("\n")
    widths = [len(_indent_of(row)) for row in lines if row.strip()]
    if not widths:
        return code
    cut = min(widths)
    return "\n".join(row[cut:] if row.strip() else "" for row in lines)


def _indent_unit(lines: list[str]) -> str:
    """The answer's indentation step: how much deeper than the first line
    the first more-indented line is (a definition's body), else 4 spaces."""
    first = next((row for row in lines if row.strip()), "")
    base = len(_indent_of(first).expandtabs(4))
    for line in lines:
        if line.strip():
            lead = _indent_of(line)
            width = len(lead.expandtabs(4))
            if width > base:
                return "\t" if lead.startswith("\t") else " " * (width - base)
    return " " * 4


def reindent(code: str, indent: str, *, body_indent: str = "") -> str:
    """``code`` moved so its first line starts at ``indent``; nested levels
    keep their relative depth, in the document's indentation step (tabs or
    N spaces, taken from ``body_indent``) when the answer used another."""
    code = _dedent(code.strip("\n"))
    lines = code.split("\n")
    doc_step = body_indent[len(indent):] if body_indent.startswith(indent) else ""
    unit = _indent_unit(lines)
    if doc_step and unit != doc_step and (doc_step == "\t" or doc_step.strip(" ") == ""):
        if unit == "\t" or unit.strip(" ") == "":
            lines = [_respace(row, unit, doc_step) for row in lines]
    return "\n".join(indent + row if row.strip() else "" for row in lines)


def _respace(line: str, unit: str, to: str) -> str:
    """One line's leading indentation re-expressed from ``unit`` steps into
    ``to`` steps; a remainder (aligned continuation lines) stays as spaces."""
    lead = _indent_of(line)
    if not lead:
        return line
    step = 4 if unit == "\t" else len(unit)
    depth, rest = divmod(len(lead.expandtabs(4)), step)
    return to * depth + " " * rest + line[len(lead):]


# --------------------------------------------------------------- extraction

_PROSE = re.compile(r"^[A-Z][A-Za-z']*(?:\s+[\w'`,()\-/]+){3,}[.:!?]?\s*$")
_CODEY = re.compile(
    r"[=;{}\[\]]"
    r"|^\s*(?:def|class|fn|func|function|return|import|from|let|const|var|pub|impl|if|for|while)\b"
    r"|\w\(.*\)\s*[:{]?\s*$"
)


def _looks_like_prose(line: str) -> bool:
    s = line.strip()
    if not s or s.startswith(("#", "//", "/*", "*", "@", '"', "'")):
        return False
    if is_meta(s) or is_preamble(s):
        return True
    return bool(_PROSE.match(s)) and not _CODEY.search(s)


def _strip_prose(code: str) -> str:
    """Drop explanation lines before the first and after the last code line
    of an unfenced answer."""
    lines = code.split("\n")
    while lines and (not lines[0].strip() or _looks_like_prose(lines[0])):
        lines.pop(0)
    # After the code: the first blank line followed by a column-0 prose line
    # ends the code (an explanation paragraph), whatever follows.
    for i in range(1, len(lines)):
        if not lines[i - 1].strip() and lines[i] and not lines[i][0].isspace() and _looks_like_prose(lines[i]):
            lines = lines[: i - 1]
            break
    while lines and (not lines[-1].strip() or _looks_like_prose(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def _tag_fits(tag: str, language: str | None) -> bool:
    if not tag:
        return True
    if tag in _NOT_CODE_TAGS:
        return False
    record = language_record(language)
    # An unknown language: any tag that is not one of the non-code ones may be it.
    return record is None or tag in record.fence_tags


def _closed_fences(raw: str) -> bool:
    """False when the last fence opened never closes (the answer was cut)."""
    count = 0
    for line in raw.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            count += 1
        elif count % 2 == 1 and line.rstrip().endswith(("```", "~~~")):
            count += 1  # a closing fence glued to the last code line
    return count % 2 == 0


def _definitions(code: str, language: str | None) -> list[Symbol]:
    return document_symbols(code, language)


def _pick_target(code: str, language: str | None, target: Symbol) -> str | None:
    """The target's definition out of a longer answer (whole file, or the
    target plus unrelated code); None when the answer has no such symbol."""
    symbols = _definitions(code, language)
    if not symbols:
        return None
    exact = [s for s in symbols if s.qualname == target.qualname]
    if not exact:
        exact = [s for s in symbols if s.name == target.name and s.kind == target.kind]
    if not exact:
        exact = [s for s in symbols if s.name == target.name]
    if len(exact) >= 1:
        return exact[0].text(code).rstrip("\n")
    return None


def _top_level(symbols: list[Symbol]) -> list[Symbol]:
    return [s for s in symbols if s.parent is None]


def extract_code(raw: str, *, language: str | None, target: Symbol | None,
                 document: str | None = None) -> str:
    """The code the answer proposes, ready for :func:`plan_edit`: for a
    target, its new definition indented like the target; otherwise the code
    as written. Raises :class:`EditRefused` for answers without code and
    answers that were cut off.

    ``document`` (optional) is the current file: it tells a whole-file answer
    from a definition plus a new helper."""
    if raw is None or not raw.strip():
        raise EditRefused("The model returned an empty answer.")
    blocks = fenced_blocks(raw)
    cut_off = not _closed_fences(raw)
    if blocks:
        fitting = [body for tag, body in blocks if _tag_fits(tag, language) and body.strip()]
        if not fitting:
            raise EditRefused("The model's answer contains no code for this file's language.")
        code = _choose_block(fitting, language, target, document)
    else:
        code = _strip_prose(clean_output(raw))
    code = code.strip("\n")
    if not code.strip():
        raise EditRefused("The model's answer contains no code.")

    if target is not None:
        code = _narrow_to_target(code, language, target, document)
    if not _fragment_parses(code, language):
        if cut_off or _ends_abruptly(code, language):
            raise EditRefused("The model's answer was cut off before the code ended; nothing was changed.")
        raise EditRefused("The model's answer is not valid code; nothing was changed.")
    if _ends_abruptly(code, language) or _has_placeholder(code, target):
        raise EditRefused(
            "The model's answer is incomplete (it leaves out part of the code); nothing was changed."
        )
    if target is not None:
        code = reindent(code, target.indent, body_indent=target.body_indent)
    return code


def _choose_block(blocks: list[str], language: str | None, target: Symbol | None,
                  document: str | None = None) -> str:
    if len(blocks) == 1:
        return blocks[0]
    if target is not None:
        defining = [b for b in blocks if any(s.name == target.name for s in _definitions(b, language))]
        if document is not None and len(defining) > 1:
            # Models often quote the current code before the new one: a
            # block that is the target as it stands is not the answer.
            current = _normal(target.text(document))
            changed = [b for b in defining if _normal(_pick_target(b, language, target) or b) != current]
            defining = changed or defining
        if defining:
            # Of several changed versions ("option 1", "option 2"), the
            # first is the model's main answer.
            return defining[0]
    parsing = [b for b in blocks if _fragment_parses(b, language)]
    pool = parsing or blocks
    return max(pool, key=len)


def _normal(code: str) -> str:
    return "\n".join(line.rstrip() for line in _dedent(code.strip("\n")).split("\n"))


def _narrow_to_target(code: str, language: str | None, target: Symbol, document: str | None) -> str:
    symbols = _definitions(code, language)
    if not symbols:
        return code
    tops = _top_level(symbols)
    names = {s.name for s in tops}
    # The answer is the target (maybe renamed) and nothing else around it.
    if len(tops) == 1 and not _has_other_statements(code, tops[0], language):
        only = tops[0]
        if only.name == target.name or only.kind == target.kind or target.kind == "method":
            if (
                target.parent is not None
                and only.kind in ("class", "impl", "trait", "interface")
                and only.name != target.name
            ):
                # The method wrapped in (a copy of) its class.
                picked = _pick_target(code, language, target)
                return picked if picked is not None else code
            return code
    picked = _pick_target(code, language, target)
    if picked is None:
        if len(tops) == 1 and not _has_other_statements(code, tops[0], language):
            return code
        raise EditRefused(
            f"The model's answer does not contain `{target.qualname}`; nothing was changed."
        )
    if document is not None:
        known = {s.name for s in _top_level(document_symbols(document, language))}
        extra = names - known - {target.name}
        whole_file = len(names & known) > 1 or _has_other_statements(code, None, language)
        if extra and not whole_file:
            # The target plus a new helper it calls: keep both.
            return code
    return picked


def _has_other_statements(code: str, sym: Symbol | None, language: str | None) -> bool:
    """Code outside the given definition (imports, other statements)."""
    lines = code.split("\n")
    inside = set(range(sym.start_line, sym.end_line + 1)) if sym else set()
    if sym is None:
        return bool(re.search(r"^(?:import|from\s+\S+\s+import|use\s|package\s|#include)", code, re.M))
    for i, line in enumerate(lines):
        if i in inside or not line.strip():
            continue
        if line.strip().startswith(("#", "//", "/*", "*")):
            continue
        return True
    return False


_PLACEHOLDER = re.compile(
    r"^\s*(?:#|//)\s*(?:\.\.\.|…)?\s*(?:rest\s+of|remaining|existing|other|same\s+as|unchanged|previous)\b"
    r".*(?:code|unchanged|here|before|above|methods|functions)?"
    r"|^\s*(?:\.\.\.|…)\s*(?:#.*)?$",
    re.IGNORECASE,
)


def _has_placeholder(code: str, target: Symbol | None) -> bool:
    """`# ... rest of the code unchanged` and friends: applying that would
    delete what the model did not bother to repeat."""
    for line in code.split("\n"):
        if _PLACEHOLDER.match(line):
            # A bare `...` body is legitimate in stubs and protocols.
            if line.strip() in ("...", "…") and target is not None and target.kind in ("class",):
                continue
            if line.strip() == "..." and "Protocol" in code:
                continue
            return True
    return False


def _ends_abruptly(code: str, language: str | None) -> bool:
    """Signs of an answer cut off mid-way that still parse: unbalanced
    brackets in brace languages, a last line ending in an operator or comma."""
    last = code.rstrip().split("\n")[-1].rstrip()
    if re.search(r"(?:[,(\[{+\-*/=\\]|\band|\bor|\bnot)$", last) and not last.endswith(("{}", "[]", "()")):
        return True
    record = language_record(language)
    if record is not None and record.braces:
        stripped = re.sub(r"(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|//[^\n]*)", "", code)
        return stripped.count("{") > stripped.count("}")
    return False


# ------------------------------------------------------------------ planning


def _lines(document: str) -> list[str]:
    """The lines of a document already in ``\\n`` form (see ``to_lf``)."""
    return document.split("\n")


def _trailing_comment(rest: str, language: str | None) -> bool:
    """Is what follows a symbol on its last line only a comment?"""
    starts = ("#",) if language == "python" else ("//", "/*")
    return rest.strip().startswith(starts)


def plan_edit(
    document: str,
    *,
    language: str | None,
    target: Symbol | None,
    selection: tuple[int, int, int, int] | None,
    new_code: str,
    parses: Callable[[str], bool] | None = None,
) -> EditPlan:
    """The smallest edit that puts ``new_code`` in place of the target (or
    the selection, or the whole file when there is neither). Raises
    :class:`EditRefused` when the edited document would not parse (unless
    the document did not parse before either and the new code itself does),
    or when nothing would change. ``parses``: whether a Python text parses,
    when the caller has a cheaper answer than a full parse (the document's
    incremental parse); the answer must be ``ast.parse``'s."""
    # Work in \n form (CR-only and CRLF files have the same LSP lines) and
    # give the new text the file's own line break at the end.
    newline = newline_of(document)
    text = to_lf(document)
    lines = _lines(text)
    new_code = to_lf(new_code)
    if target is not None:
        sl, el = target.start_line, min(target.end_line, len(lines) - 1)
        if sl >= len(lines):
            raise EditRefused(f"`{target.qualname}` is no longer where it was; try again.")
        head = lines[sl][: target.start_col]
        sc = target.start_col if head.strip() else 0
        tail_from = target.end_col if el == target.end_line else len(lines[el])
        rest = lines[el][tail_from:]
        # The model was shown whole lines, a trailing comment included: the
        # edit replaces whole lines, so the comment is never kept twice.
        whole = not rest.strip() or _trailing_comment(rest, language)
        ec = len(lines[el]) if whole else tail_from
        if sc == 0 and not _indent_of(new_code.split("\n")[0]) == target.indent:
            new_code = reindent(new_code, target.indent, body_indent=target.body_indent)
        new_code = _keep_prefix(lines, target, new_code.strip("\n"))
        if rest.strip() and whole and rest.strip() not in new_code:
            new_code += rest  # an answer without the comment keeps it once
        new_text = new_code if sc == 0 else new_code.strip()
    elif selection is not None:
        sl, sc, el, ec = selection
        if not (0 <= sl < len(lines) and 0 <= el < len(lines)) or (sl, sc) > (el, ec):
            raise EditRefused("The selection is outside the document; select the code again.")
        sc = min(sc, len(lines[sl]))
        ec = min(ec, len(lines[el]))
        whole_lines = not lines[sl][:sc].strip()
        if whole_lines and sc > 0:
            # A selection starting in the indentation keeps that indentation.
            ind = _indent_of(lines[sl])
            sc = 0
            new_text = reindent(new_code, ind, body_indent=ind + _indent_unit(new_code.split("\n")).strip("\n"))
        else:
            new_text = new_code.strip("\n")
            if whole_lines and new_code.strip():
                ind = _indent_of(lines[sl])
                first = _indent_of(new_code.strip("\n").split("\n")[0])
                if first != ind:
                    new_text = reindent(new_code, ind, body_indent=ind + "    ")
    else:
        sl, sc = 0, 0
        el = len(lines) - 1
        ec = len(lines[el])
        new_text = new_code.rstrip("\n") if text.endswith("\n") and ec == 0 else new_code
        if text.endswith("\n"):
            # Keep the file's final newline: replace up to it, not past it.
            el = max(0, len(lines) - 2)
            ec = len(lines[el])
            new_text = new_code.rstrip("\n")
    old_text = _slice(lines, sl, sc, el, ec)
    if old_text == new_text:
        raise EditRefused(UNCHANGED)
    plan = EditPlan(sl, sc, el, ec, new_text, old_text)
    after = apply_plan(text, plan)
    if not (parses(after) if parses is not None and language == "python" else is_parseable(after, language)):
        if is_parseable(text, language) or not _fragment_parses(new_text, language):
            raise EditRefused("The change would leave the file unparseable; nothing was changed.")
    if newline != "\n":
        plan = EditPlan(sl, sc, el, ec, new_text.replace("\n", newline), old_text.replace("\n", newline))
    return plan


_ATTRIBUTE_LINE = re.compile(r"^\s*(?:@|#\[|#!\[)")
_EXPORT = re.compile(r"^(\s*)(export\s+default\s+|export\s+)")


def _keep_prefix(lines: list[str], target: Symbol, new_code: str) -> str:
    """Models asked for one function often leave out its decorators,
    attributes or ``export`` keyword; they stay unless the answer has its own."""
    if not new_code.strip():
        return new_code
    new_lines = new_code.split("\n")
    first = next((row for row in new_lines if row.strip()), "")
    above = lines[target.start_line : target.def_line]
    if above and all(_ATTRIBUTE_LINE.match(ln) or not ln.strip() or ln.strip().startswith(("#", "//")) for ln in above):
        if not _ATTRIBUTE_LINE.match(first) and any(_ATTRIBUTE_LINE.match(row) for row in above):
            new_code = "\n".join(above) + "\n" + new_code
            new_lines = new_code.split("\n")
    def_line = lines[target.def_line] if target.def_line < len(lines) else ""
    m = _EXPORT.match(def_line)
    if m and not any(_EXPORT.match(row) for row in new_lines[:3]):
        for i, line in enumerate(new_lines):
            if line.strip() and not _ATTRIBUTE_LINE.match(line):
                lead = _indent_of(line)
                new_lines[i] = lead + m.group(2) + line[len(lead):]
                break
        new_code = "\n".join(new_lines)
    return new_code


def _slice(lines: list[str], sl: int, sc: int, el: int, ec: int) -> str:
    if sl == el:
        return lines[sl][sc:ec]
    return "\n".join([lines[sl][sc:], *lines[sl + 1 : el], lines[el][:ec]])


def apply_plan(document: str, plan: EditPlan) -> str:
    """``document`` with the plan's range replaced (line endings kept)."""
    newline = newline_of(document)
    text = to_lf(document)
    lines = _lines(text)
    new_text = to_lf(plan.new_text)
    before = "\n".join(lines[: plan.start_line] + [lines[plan.start_line][: plan.start_col]])
    after = "\n".join([lines[plan.end_line][plan.end_col :]] + lines[plan.end_line + 1 :])
    out = before + new_text + after
    return out.replace("\n", newline) if newline != "\n" else out


# ------------------------------------------------------------------- imports
#
# A whole-file answer often adds `import logging` at the top for the function
# it changed; taking only the function would lose it. These helpers find such
# imports (Python) and plan their insertion as a second, separate edit, so the
# main edit stays minimal. Both plans are relative to the original document.

_PY_IMPORT = re.compile(
    r"^(?:import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*"
    r"|from\s+[\w.]+\s+import\s+[^\n(]+)\s*$"
)


_WORD = re.compile(r"[A-Za-z_]\w*")


def extract_imports(raw: str, *, language: str | None, document: str) -> list[str]:
    """Top-level import lines of the answer that the document lacks and
    that the answer's code uses (Python only; other languages: []).

    Small models echo imports the code does not need: of the reference
    material they were shown (`from neighbour.convert import km_to_miles`,
    a function the file itself defines), or `from typing import *` out of
    habit. Only a line binding a name the code uses and the document does
    not define is added; wildcards and ``__future__`` imports (which must
    open the file) never are."""
    if language != "python" or not raw:
        return []
    blocks = fenced_blocks(raw)
    text = "\n".join(body for _, body in blocks) if blocks else raw
    lines = split_lines(text)
    used = set(_WORD.findall("\n".join(line for line in lines if not _PY_IMPORT.match(line))))
    defined = _top_level_names(document)
    have = {" ".join(line.split()) for line in split_lines(document)}
    out: list[str] = []
    for line in lines:
        if not _PY_IMPORT.match(line):
            continue
        norm = " ".join(line.split())
        if norm in have or norm in out:
            continue
        if any(name in used and name not in defined for name in _bound_names(norm)):
            out.append(norm)
    return out


def _bound_names(line: str) -> list[str]:
    """The names one import line binds ([] for a wildcard, a ``__future__``
    import, or a line that does not parse)."""
    try:
        node = ast.parse(line).body[0]
    except (SyntaxError, ValueError, IndexError):
        return []
    if isinstance(node, ast.Import):
        return [alias.asname or alias.name.split(".")[0] for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module != "__future__":
        return [alias.asname or alias.name for alias in node.names if alias.name != "*"]
    return []


def _top_level_names(document: str) -> set[str]:
    """Functions, classes and assigned names at the document's top level."""
    try:
        tree = parse_shared(to_lf(document))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def plan_imports(document: str, imports: list[str], *, language: str | None) -> EditPlan | None:
    """An insertion of ``imports`` after the document's last top-level import
    (or after its module docstring), or None when there is nothing to add."""
    if language != "python" or not imports:
        return None
    text = to_lf(document)
    lines = text.split("\n")
    after: int | None = None
    try:
        tree = parse_shared(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            after = (node.end_lineno or node.lineno) - 1
        elif after is None and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str) and node is tree.body[0]:
            after = (node.end_lineno or node.lineno) - 1  # the module docstring
        elif after is not None or not isinstance(node, ast.Expr):
            break
    newline = newline_of(document)
    block = newline.join(imports)
    if after is None:
        return EditPlan(0, 0, 0, 0, block + newline + (newline if lines and lines[0].strip() else ""), "")
    end = len(lines[after])
    return EditPlan(after, end, after, end, newline + block, "")


def apply_plans(document: str, plans: list[EditPlan]) -> str:
    """Several non-overlapping plans, all relative to ``document``, applied
    from the last to the first so that positions stay valid."""
    for plan in sorted(plans, key=lambda p: (p.start_line, p.start_col), reverse=True):
        document = apply_plan(document, plan)
    return document


# -------------------------------------------------------------------- review

_SEVERITY_WORDS = {
    "error": "error", "err": "error", "critical": "error", "high": "error", "bug": "error", "fatal": "error",
    "warning": "warning", "warn": "warning", "medium": "warning", "major": "warning",
    "info": "info", "information": "info", "note": "info", "low": "info", "minor": "info", "suggestion": "info",
    "style": "hint", "hint": "hint", "nit": "hint", "nitpick": "hint",
}
_SEV = "|".join(sorted(_SEVERITY_WORDS, key=len, reverse=True))
_SEP = r"\s*[:|\-–—)]\s*"
# The fields a finding's line may start with, in any order, each followed by
# a separator: the line number (``7``, ``Line 7``, ``LINE: 7``, ``L7``,
# ``7-9``), the severity (``error``, ``[ERROR]``, ``(warning)``), ``(line 7)``,
# and placeholders (``<severity>:``, the older prompt's ``LINE:``,
# ``SEVERITY:``), which small models copy instead of filling in.
_FIELD = re.compile(
    rf"(?:(?:line|ln|l)\b\.?\s*[:#]?\s*|l(?=\d))?(?P<num>\d+)(?:\s*[-–]\s*\d+)?(?:{_SEP}|\s+(?=[(\[]))"
    rf"|[\[(](?P<bsev>{_SEV})[\])](?:{_SEP}|\s+)"
    rf"|(?P<sev>{_SEV})(?:{_SEP}|\s+(?=\(\s*line\b))"
    rf"|\(\s*line\s*(?P<pnum>\d+)\s*\){_SEP}"
    rf"|(?P<placeholder>line|severity|message|finding|<[^<>\n]{{1,40}}>)\s*[:|\-–]\s*",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•]\s+|\d+\.\s+(?=(?:line|l)\b))?", re.IGNORECASE)
_SAYS_NONE = re.compile(
    r"(?:none|n/a|no\s+(?:issues?|findings?|problems?|bugs?)\b.*|nothing\s+to\s+report.*|"
    r"(?:the\s+code\s+)?looks\s+(?:good|correct|fine).*)",
    re.IGNORECASE,
)
_ECHOED = re.compile(r"^(?P<num>\d+)\|(?P<rest>.*)$")
_PROSE_LINE = re.compile(r"\bline\s+(\d+)\b", re.IGNORECASE)
# An answer in prose (no line numbers given) still names problems; at most
# this many of its sentences become findings.
MAX_PROSE_FINDINGS = 5


def parse_review(raw: str, *, first_line: int = 1, line_count: int | None = None) -> list[ReviewFinding]:
    """Findings from a review answer.

    The prompt asks for ``<line number>: <severity>: message`` (``7: error:
    ...``); models also write ``LINE: 7: error: ...``, ``Line 7 - warning -
    ...``, ``**7**: [INFO]: ...``, ``error: line 7: ...``, bullets, findings
    as comments on the numbered code they copied (``7|  # ...``) and (small
    models) the placeholders themselves (``LINE: SEVERITY: ...``, from an
    earlier prompt). Copied code lines are not findings. Line numbers are
    the ones shown to the model (1-based, numbering starting at
    ``first_line``); a number outside the shown lines becomes None. An
    answer with no finding line at all but sentences that are not "none" is
    read as prose: each sentence is a finding (on the line it names, if any),
    so a real finding is never turned into "no problems". Repeats (small
    models loop) count once. Empty when the answer says there is nothing,
    or says nothing but the prompt's placeholders (tell the two apart with
    :func:`review_says_none`).
    """
    text = review_text(raw)
    last = first_line + (line_count - 1 if line_count else 10**9)

    def index(number: int) -> int | None:
        return number - 1 if first_line <= number <= last else None

    found: list[ReviewFinding] = []
    prose: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line.replace("**", "").replace("__", "")).strip()
        if not line:
            continue
        echo = _ECHOED.match(line)
        if echo:
            # The code as numbered in the prompt ("6|     return x"), copied back:
            # no finding, unless the model wrote its finding as a comment there.
            comment = echo.group("rest").strip()
            if not comment.startswith(("#", "//")):
                continue
            line = f"{echo.group('num')}: {comment.lstrip('#/').strip()}"
        number: int | None = None
        severity: str | None = None
        fields = 0
        rest = line
        while fields < 4 and (m := _FIELD.match(rest)):
            if m.group("num") or m.group("pnum"):
                if number is not None:
                    break  # a second number starts the message ("7: 3 calls ...")
                number = int(m.group("num") or m.group("pnum"))
            elif m.group("sev") or m.group("bsev"):
                if severity is not None:
                    break
                severity = _SEVERITY_WORDS[(m.group("sev") or m.group("bsev")).lower()]
            fields += 1
            rest = rest[m.end():]
        message = rest.strip()
        if not fields:
            prose.append(line)
            continue
        if not message or _SAYS_NONE.fullmatch(message.rstrip(".!")) or _is_placeholder_stub(message):
            continue  # "LINE: NONE", "7: none", an answer cut at "LINE: SEVER"
        found.append(ReviewFinding(index(number) if number is not None else None, severity or "warning",
                                   _sentence(message)))
    if not found:
        for line in prose:
            if _SAYS_NONE.fullmatch(line.rstrip(".!")) or line.endswith(":"):
                continue  # "No issues found.", "Here are my findings:"
            named = _PROSE_LINE.search(line)
            found.append(ReviewFinding(index(int(named.group(1))) if named else None, "warning", _sentence(line)))
    # A small model that loops repeats one sentence on line after line: the
    # same message on a line already seen, off the shown lines, or on three
    # or more lines, counts once.
    times: dict[str, int] = {}
    for finding in found:
        times[finding.message.lower()] = times.get(finding.message.lower(), 0) + 1
    out: list[ReviewFinding] = []
    seen: set[tuple[int | None, str]] = set()
    for finding in found:
        message = finding.message.lower()
        key = (finding.line if times[message] < 3 else None, message)
        if key in seen or (finding.line is None and any(k[1].startswith(message.rstrip(".")) for k in seen)):
            continue  # a repeat, or a repeat that the token limit cut short
        seen.add(key)
        out.append(finding)
    return out if any(f.line is not None for f in out) else out[:MAX_PROSE_FINDINGS]


def review_text(raw: str | None) -> str:
    """The part of a review answer that holds its findings: the words, not
    the code it quotes (a suggested fix in a fence was read as the whole
    answer, and its findings were lost); the fenced code only when the
    model fenced the whole answer."""
    text = clean_output(raw or "", prose=True, keep_fences=True)
    words = outside_fences(text)
    return words if words.strip() else clean_output(raw or "", prose=True)


def review_says_none(raw: str) -> bool:
    """Does the review answer say there is nothing to report (``NONE``, "No
    issues found", ``LINE: NONE`` over and over, or nothing at all)? An
    answer that :func:`parse_review` finds nothing in, but that is not this,
    is one that could not be read: not the same as "no problems"."""
    for line in review_text(raw).splitlines():
        line = _BULLET.sub("", line.replace("**", "").replace("__", "")).strip()
        while line and (m := _FIELD.match(line)):
            line = line[m.end():]
        if line and not _SAYS_NONE.fullmatch(line.strip().rstrip(".!")):
            return False
    return True


def _is_placeholder_stub(message: str) -> bool:
    word = message.strip().strip("<>.:").upper()
    return bool(word) and any(p.startswith(word) for p in (
        "LINE NUMBER", "SEVERITY", "MESSAGE", "WHAT IS WRONG AND WHAT TO DO"))


def _sentence(message: str) -> str:
    message = message.strip()
    return message if message.endswith((".", "!", "?")) else message + "."


def unified_diff(old: str, new: str, path: str) -> str:
    """A ``diff -u`` of the change, for the terminal."""
    return "".join(
        difflib.unified_diff(
            split_lines(old, keepends=True),
            split_lines(new, keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


__all__ = [
    "EditPlan",
    "EditRefused",
    "ReviewFinding",
    "apply_plan",
    "apply_plans",
    "changed_line_count",
    "extract_code",
    "extract_imports",
    "is_parseable",
    "parse_review",
    "plan_edit",
    "plan_imports",
    "reindent",
    "review_says_none",
    "unified_diff",
]
