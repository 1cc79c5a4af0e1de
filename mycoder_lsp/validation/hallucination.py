"""MC5xx: signs that code was invented rather than written: placeholder
bodies (MC501), trivial implementations (MC502), functions and classes the
original had and the new text lost (MC503); the references it makes to
modules and names that do not exist (MC504-MC506) are checked by
:mod:`mycoder_lsp.validation.references`.

Real, working code must stay clean: ``pass`` in ``except``, abstract
methods, ``Protocol`` classes, ``@overload``, ``.pyi`` stubs, hook methods of
a base class, ``TODO`` in an ordinary string, optional imports in
``try/except ImportError``, ``if TYPE_CHECKING:`` imports, platform-guarded
attributes. Without an original, only what looks like a stand-in is flagged;
with one (a generated edit; pass ``original=""`` for brand-new code), every
new or changed function is held to it.
"""

from __future__ import annotations

import ast
import dataclasses
import re

from mycoder_lsp.parsing import parse_python
from mycoder_lsp.validation import references
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.source import PythonSource

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_PLACEHOLDER_WORDS = re.compile(
    r"\b(?:TODO|FIXME|XXX|TBD)\b|\bimplement(?:ation)?\s+(?:goes\s+)?here\b|\byour\s+(?:code|logic)\s+here\b|"
    r"\bnot\s+(?:yet\s+)?implemented\b|\bplaceholder\b|\bfill\s+(?:this\s+)?in\b",
    re.IGNORECASE,
)
# A comment that stands for code the model left out ("# ... rest of the code").
_ELIDED = re.compile(
    r"#\s*(?:\.\.\.\s*)?(?:(?:the\s+)?rest\s+of\s+(?:the\s+)?(?:code|implementation|file|function|class|method)|"
    r"(?:existing|previous|remaining|other|original|unchanged)\s+(?:code|methods|functions|implementation)"
    r"(?:\s+(?:here|remains?|unchanged|as\s+before|goes\s+here))?\s*(?:\.\.\.)?\s*$|"
    r"\.\.\.\s*(?:same\s+as\s+(?:before|above)|unchanged|existing)|"
    r"(?:code|implementation)\s+(?:remains?\s+)?(?:the\s+same|unchanged)|"
    r"(?:add|insert|put|write)\s+(?:your\s+)?(?:code|logic|implementation)\s+here)",
    re.IGNORECASE,
)
_REMOVAL = re.compile(
    r"\b(?:remove|delete|drop|rename|get\s+rid\s+of|eliminate|strip|merge|consolidate|inline|replace|"
    r"split|move|extract|combine|deprecate|refactor)\w*\b",
    re.IGNORECASE,
)
_ABSTRACT_DECORATORS = {"abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod",
                        "overload", "override"}
_ABSTRACT_BASES = {"ABC", "ABCMeta", "Protocol", "Generic"}



def check_hallucination(src: PythonSource) -> list[Finding]:
    if src.tree is None:
        return []
    findings: list[Finding] = []
    changed = _changed_functions(src)
    findings += _bodies(src, changed)
    findings += _elided_comments(src)
    if src.original is not None:
        findings += _missing_definitions(src)
    findings += references.check_references(src)
    return findings


# ---------------------------------------------------------------- bodies


def _changed_functions(src: PythonSource) -> set[str] | None:
    """Qualified names whose source differs from the original's (None when
    there is no original to compare with)."""
    if src.original is None:
        return None
    try:
        before = parse_python(src.original)
    except (SyntaxError, ValueError, RecursionError):
        return None
    old = {name: ast.dump(node) for name, node, _ in _definitions(before)}
    return {
        name
        for name, node, _ in _definitions(src.tree)  # type: ignore[arg-type]
        if old.get(name) != ast.dump(node)
    }


def _definitions(tree: ast.Module):  # type: ignore[no-untyped-def]
    """(qualified name, node, enclosing class or None) for module-level
    functions and classes and their methods (nested functions are details)."""
    for node in tree.body:
        if isinstance(node, _FUNCTIONS):
            yield node.name, node, None
        elif isinstance(node, ast.ClassDef):
            yield node.name, node, None
            for item in node.body:
                if isinstance(item, (*_FUNCTIONS, ast.ClassDef)):
                    yield f"{node.name}.{item.name}", item, node


def _bodies(src: PythonSource, changed: set[str] | None) -> list[Finding]:
    if src.is_stub:
        return []
    findings = []
    for qualname, node, cls in _definitions(src.tree):  # type: ignore[arg-type]
        if not isinstance(node, _FUNCTIONS):
            continue
        if changed is not None and qualname not in changed:
            continue  # the original's own code is not the edit's fault
        if _is_exempt(node, cls):
            continue
        kind = _body_kind(src, node)
        if kind is None:
            continue
        is_hook = cls is not None or bool(node.decorator_list)
        if changed is None and is_hook and kind != "todo":
            # A method that does nothing is a hook for subclasses; a decorated
            # one is defined by its decorator (pluggy hookspecs, ...).
            continue
        finding = _body_finding(src, node, kind)
        if changed is None and finding.code == "MC502":
            # Existing code: an empty function is usually a deliberate no-op
            # (a callback, a type probe like ``def _f(): pass``). Say so, do
            # not score it; a generated edit (with an original) is held to it.
            finding = dataclasses.replace(finding, severity=Severity.INFORMATION)
        findings.append(finding)
    return findings


def _is_exempt(node: ast.AST, cls: ast.ClassDef | None) -> bool:
    for decorator in node.decorator_list:  # type: ignore[attr-defined]
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
        if name in _ABSTRACT_DECORATORS:
            return True
    if cls is not None:
        for base in (*cls.bases, *(k.value for k in cls.keywords)):
            target = base.value if isinstance(base, ast.Subscript) else base
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name in _ABSTRACT_BASES:
                return True
    return False


def _body_kind(src: PythonSource, node: ast.AST) -> str | None:
    """'todo', 'ellipsis', 'pass' or 'not-implemented' for a stand-in body."""
    body = list(node.body)  # type: ignore[attr-defined]
    doc = None
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        doc = body[0].value.value
        body = body[1:]
    strings = [s.value.value for s in body if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
               and isinstance(s.value.value, str)]
    rest = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    ellipsis = any(isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is Ellipsis
                   for s in body)
    trivial = all(_is_trivial_statement(s) for s in rest)
    if not trivial:
        return None
    start, end = node.lineno, node.end_lineno  # type: ignore[attr-defined]
    comments = " ".join(line[line.index("#"):] for line in src.lines[start - 1:end] if "#" in line)
    if _PLACEHOLDER_WORDS.search(comments) or any(_PLACEHOLDER_WORDS.search(s) for s in strings) or (
            doc and not rest and not ellipsis and _PLACEHOLDER_WORDS.search(doc)):
        return "todo"
    if ellipsis and not rest:
        return "ellipsis"
    if not rest:
        return None  # docstring only: documentation, often a hook
    raise_ = next((s for s in rest if isinstance(s, ast.Raise)), None)
    if raise_ is not None:
        return "not-implemented" if _bare_not_implemented(raise_) else None
    if all(isinstance(s, ast.Pass) for s in rest):
        return "pass"
    return None


def _is_trivial_statement(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Raise):
        return _raises_not_implemented(stmt)
    return False


def _raises_not_implemented(stmt: ast.Raise) -> bool:
    exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _bare_not_implemented(stmt: ast.Raise) -> bool:
    """``raise NotImplementedError`` without a reason; a message such as "not
    supported on Windows" is a deliberate answer, not a stand-in."""
    if not isinstance(stmt.exc, ast.Call):
        return True
    args = stmt.exc.args
    if not args:
        return True
    first = args[0]
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and (
        not first.value.strip() or bool(_PLACEHOLDER_WORDS.search(first.value)))


def _body_finding(src: PythonSource, node: ast.AST, kind: str) -> Finding:
    name = node.name  # type: ignore[attr-defined]
    if kind in ("todo", "ellipsis"):
        what = "a TODO" if kind == "todo" else "'...'"
        return src.header_finding(
            "MC501", f"'{name}' has {what} where its implementation should be: write the body.",
            Severity.WARNING, node)
    what = "only 'pass'" if kind == "pass" else "only 'raise NotImplementedError'"
    return src.header_finding(
        "MC502", f"'{name}' does nothing ({what}): implement it, or mark it @abstractmethod if subclasses must.",
        Severity.WARNING, node)


def _elided_comments(src: PythonSource) -> list[Finding]:
    if "#" not in src.text:
        return []
    findings = []
    for index, line in enumerate(src.lines):
        if "#" not in line or index in src.string_lines:
            continue
        position = _comment_start(line)
        if position < 0:
            continue
        # The whole comment must be the stand-in, not a comment quoting one.
        match = _ELIDED.match(line, position)
        if match:
            findings.append(Finding(
                "MC501", "This comment stands for code that was left out: write the code it refers to.",
                Severity.WARNING, index, match.start(), index, len(line.rstrip())))
    return findings


def _comment_start(line: str) -> int:
    """Index of the ``#`` that starts a comment, skipping ones in strings."""
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif line.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
        elif ch in "'\"":
            quote = ch * 3 if line.startswith(ch * 3, i) else ch
            i += len(quote) - 1
        elif ch == "#":
            return i
        i += 1
    return -1


# ---------------------------------------------------------------- lost definitions


def _missing_definitions(src: PythonSource) -> list[Finding]:
    try:
        before = parse_python(src.original or "")
    except (SyntaxError, ValueError, RecursionError):
        return []
    now = {name: node for name, node, _ in _definitions(src.tree)}  # type: ignore[arg-type]
    instruction = src.instruction or ""
    if _REMOVAL.search(instruction):
        return []  # asked to remove, rename or restructure: losing names is the point
    findings = []
    for name, node, cls in _definitions(before):
        if name in now or name.split(".")[-1] in instruction:
            continue
        kind = "Class" if isinstance(node, ast.ClassDef) else "Method" if cls else "Function"
        message = (f"{kind} '{name}' was in the original but is missing now: restore it, "
                   "or ask explicitly to remove or rename it.")
        anchor = now.get(cls.name) if cls is not None else None
        if anchor is not None:
            findings.append(src.header_finding("MC503", message, Severity.ERROR, anchor))
        else:
            findings.append(Finding("MC503", message, Severity.ERROR, 0, 0, 0, 0))
    return findings
