"""MC5xx: signs that code was invented rather than written: placeholder
bodies (MC501), trivial implementations (MC502), functions and classes the
original had and the new text lost (MC503); the references it makes to
modules and names that do not exist (MC504-MC506) are checked by
:mod:`mycoder_lsp.validation.references`.

MC501 is also a stand-in inside an otherwise real function: ``...`` as the
body of a loop or branch, ``# implement ... here`` above a ``pass``, and a
TODO/FIXME/XXX comment that says logic is missing ("TODO: validate the code",
a TODO right above a ``return None``, or one a generated edit leaves after
its last statement); a TODO about future work on real code ("TODO: use a
heap", "once we drop 3.10") is not one. Such a TODO is information in
existing code, a warning in a generated edit. MC502 is also a generated
function whose body is only a docstring although it promises a result (a
return annotation, or a caller in the file using its value), unless it
declares an interface (a hookspec, a method left to subclasses).

MC503 excuses only the definitions the instruction takes away: the names
right after "rename", "remove", "merge", "move", "inline", "replace",
"split", ... ("rename foo to bar" excuses foo), as whole words; "delete
unused code" names none and excuses all. The finding says where the lost
definition was and sits on its class, or where it stood in the new text.

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

from mycoder_lsp.text import to_lf
from mycoder_lsp.validation import references
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.source import PythonSource, scan_comment

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_PLACEHOLDER_WORDS = re.compile(
    r"\b(?:TODO|FIXME|XXX|TBD)\b|\bimplement(?:ation)?\s+(?:goes\s+)?here\b|\byour\s+(?:code|logic)\s+here\b|"
    r"\bnot\s+(?:yet\s+)?implemented\b|\bplaceholder\b|\bfill\s+(?:this\s+)?in\b",
    re.IGNORECASE,
)
# A comment above a ``pass`` that says the code belongs there ("# implement
# key handling here"), not one that says nothing belongs there ("# nothing to
# do here", "# intentionally empty").
_GOES_HERE = re.compile(
    r"^(?!.*\b(?:nothing|no-?op|intentional\w*|deliberate\w*|on\s+purpose|not\s+needed|no\s+need)\b)"
    r"#.*(?:\b(?:implement|add|insert|put|write|fill\s+in)\b.*\bhere\b|\byour\s+(?:own\s+)?(?:code|logic)\b|"
    r"\b(?:code|logic|implementation)\s+goes\s+here\b)",
    re.IGNORECASE,
)
# TODO comments. Missing logic: the comment asks for code to be written ("TODO:
# validate the code", "FIXME: handle errors", "not implemented"). Future work
# on code that works ("TODO: faster", "once we drop 3.10") is not a stand-in.
_MARKER_LINE = re.compile(r"^[ \t]*#[^\n]*?(?:TODO|FIXME|XXX)", re.IGNORECASE | re.MULTILINE)
_TODO = re.compile(r"#+\s*(?P<marker>TODO|FIXME|XXX|todo|fixme|Todo)\b\W*(?:\([^)]*\)\W*)?(?P<text>.*)")
_MISSING_LOGIC = re.compile(
    r"^(?:(?:actually|really|properly)\s+)?(?:implement|add|handle|validate|verify|check|compute|calculate|write|"
    r"fill|finish|complete|parse|load|save|send|call|raise|support|perform|insert|apply|connect|fetch|process|"
    r"convert|look\s*up|lookup|read|store|create|populate|return|do\s+(?:the|something|it|this))\b|"
    r"\bnot\s+(?:yet\s+)?implemented\b|\bunimplemented\b|\bmissing\b|\bstub\b|\bplaceholder\b|"
    r"\b(?:real|actual)\s+(?:logic|implementation|computation|work|code)\b|\bgoes\s+here\b|\blogic\s+here\b",
    re.IGNORECASE,
)
_FUTURE_WORK = re.compile(
    r"\b(?:optimi[sz]\w*|faster|speed\w*|perf\w*|refactor\w*|clean\w*\s*up|simplif\w*|consider\w*|maybe|might|"
    r"could|someday|eventually|later|deprecat\w*|once|after|until|when|document\w*|docs?|type\s+hints?|cach\w*|"
    r"python\s*\d|py\d|efficient\w*|nicer|better|instead|in\s+C|(?:check|see|find\s+out)\s+(?:if|whether)|not\s+(?:\w+\s+)?needed|(?:in|for|with)\s+(?:python\s*)?\d+\.\d+)\b|\?\s*$",
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
# What an instruction may ask to take away, and the word that ends the list
# of names it takes away ("rename foo to bar", "merge a and b into c").
# (Letters only: ``delete_user`` and ``move_to`` are names, not verbs.)
_TAKES_AWAY = re.compile(
    r"\b(?P<verb>renam[a-z]*|remov[a-z]*|delet[a-z]*|drop[a-z]*|get\s+rid\s+of|eliminat[a-z]*|merg[a-z]*|"
    r"consolidat[a-z]*|combin[a-z]*|inlin[a-z]*|mov[a-z]*|replac[a-z]*|split[a-z]*|deprecat[a-z]*|strip[a-z]*|"
    r"fold[a-z]*)\b",
    re.IGNORECASE,
)
_LIST_END = re.compile(r"\b(?:to|into|with|by|as|in\s+favou?r\s+of|because|since|so|but|then|which|it|they|"
                       r"from|out\s+of|in|inside|onto)\b|[.;:!?\n(]|,\s*(?:and\s+)?(?:then|it|so|which)\b|"
                       r",?\s*\band\s+(?:add|make|use|update|change|fix|keep|write|create|improve|handle|return|"
                       r"log|call)\b", re.IGNORECASE)
# "delete unused code", "remove the dead helpers": the model decides which
# names go, so no name it drops can be held against it.
_UNNAMED_REMOVAL = re.compile(
    r"\b(?:unused|dead|obsolete|deprecated|duplicated?|duplicates|redundant|legacy|unnecessary|unneeded|"
    r"everything|all)\b", re.IGNORECASE)
_REMOVAL_VERBS = re.compile(r"^(?:remov|delet|drop|get\s+rid|eliminat|strip)", re.IGNORECASE)
_IDENTIFIER = re.compile(r"`([^`]+)`|([A-Za-z_][\w.]*)")

_ABSTRACT_DECORATORS = {"abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod",
                        "overload", "override"}
_ABSTRACT_BASES = {"ABC", "ABCMeta", "Protocol", "Generic"}



def check_hallucination(src: PythonSource) -> list[Finding]:
    if src.tree is None:
        return []
    findings: list[Finding] = []
    changed = _changed_functions(src)
    body_findings, stand_ins = _bodies(src, changed)
    findings += body_findings
    findings += _stand_ins_inside(src, changed, stand_ins)
    findings += _elided_comments(src)
    if src.original is not None:
        findings += _missing_definitions(src)
    findings += references.check_references(src)
    return findings


# ---------------------------------------------------------------- bodies


def _changed_functions(src: PythonSource) -> set[str] | None:
    """Qualified names whose source differs from the original's (None when
    there is no original to compare with)."""
    before = src.original_tree
    if before is None:
        return None
    old = {name: node for name, node, _ in _definitions(before)}
    old_lines = to_lf(src.original or "").split("\n")
    changed = set()
    for name, node, _ in _definitions(src.tree):  # type: ignore[arg-type]
        prior = old.get(name)
        # The same lines are the same tree: ast.dump, the costly comparison
        # (most of a candidate's validation on a large file), only for the rest.
        if prior is None or (_lines_of(src.lines, node) != _lines_of(old_lines, prior)
                             and ast.dump(prior) != ast.dump(node)):
            changed.add(name)
    return changed


def _lines_of(lines: list[str], node: ast.AST) -> list[str]:
    """The whole lines of a definition, its decorators included (a ``def``
    or ``class`` always starts its line and takes the rest of its last one)."""
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])  # type: ignore[attr-defined]
    return lines[start - 1:node.end_lineno]  # type: ignore[attr-defined]


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


def _bodies(src: PythonSource, changed: set[str] | None) -> tuple[list[Finding], set[int]]:
    """Findings for whole bodies that stand in for code, and the ids of the
    functions they cover (their insides need no second finding)."""
    if src.is_stub:
        return [], set()
    findings = []
    covered: set[int] = set()
    used = _functions_whose_value_is_used(src) if changed is not None else set()
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
        covered.add(id(node))
        if kind == "docstring":
            # Documentation only: a hook or a no-op in existing code; in a
            # generated edit, a stand-in when the function promises a result.
            promise = _promised_result(node, used)
            if changed is not None and promise and not _declares_an_interface(node, cls):
                findings.append(src.header_finding(
                    "MC502", f"'{node.name}' has only a docstring but {promise}: write the body.",
                    Severity.WARNING, node))
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
    return findings, covered


_DECLARATION_DECORATORS = re.compile(r"hookspec|spec$|interface", re.IGNORECASE)
_FOR_SUBCLASSES = re.compile(r"overrid|overwrit|subclass|implemented\s+(?:by|in)|to\s+be\s+implemented|"
                             r"implementations?\s+(?:must|should|may)|implementing\s+this", re.IGNORECASE)


def _declares_an_interface(node: ast.AST, cls: ast.ClassDef | None) -> bool:
    """A docstring-only function that declares rather than implements: a
    pluggy hookspec, one whose docstring leaves it to subclasses, or a method
    of a class whose methods are all docstrings (an interface)."""
    for decorator in node.decorator_list:  # type: ignore[attr-defined]
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if _DECLARATION_DECORATORS.search(name):
            return True
    if _FOR_SUBCLASSES.search(ast.get_docstring(node) or ""):  # type: ignore[arg-type]
        return True
    if cls is None:
        return False
    methods = [item for item in cls.body if isinstance(item, _FUNCTIONS)]
    return len(methods) > 1 and all(
        len(m.body) == 1 and isinstance(m.body[0], ast.Expr) and isinstance(m.body[0].value, ast.Constant)
        for m in methods)


def _functions_whose_value_is_used(src: PythonSource) -> set[str]:
    """Names of functions and methods called somewhere for their value
    (``x = f()``, ``return self.f()``), not only as a statement."""
    discarded = set()
    for stmt in src.of_type(ast.Expr):
        value = stmt.value  # type: ignore[attr-defined]
        discarded.add(id(value.value if isinstance(value, ast.Await) else value))
    used = set()
    for call in src.of_type(ast.Call):
        if id(call) in discarded:
            continue
        func = call.func  # type: ignore[attr-defined]
        if isinstance(func, ast.Name):
            used.add(func.id)
        elif isinstance(func, ast.Attribute):
            used.add(func.attr)
    return used


def _promised_result(node: ast.AST, used: set[str]) -> str | None:
    """What makes a docstring-only function a stand-in, said for the message."""
    returns = node.returns  # type: ignore[attr-defined]
    if returns is not None:
        if isinstance(returns, ast.Constant) and returns.value is None:
            return None
        if isinstance(returns, (ast.Name, ast.Attribute)) and \
                (returns.id if isinstance(returns, ast.Name) else returns.attr) in ("None", "NoReturn", "Never"):
            return None
        return f"promises a result (-> {ast.unparse(returns)})"
    if node.name in used:  # type: ignore[attr-defined]
        return "a caller in this file uses its result"
    return None


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
    comment_list = [line[line.index("#"):] for line in src.lines[start - 1:end] if "#" in line]
    comments = " ".join(comment_list)
    if _PLACEHOLDER_WORDS.search(comments) or any(_GOES_HERE.search(c) for c in comment_list) or \
            any(_PLACEHOLDER_WORDS.search(s) for s in strings) or (
            doc and not rest and not ellipsis and _PLACEHOLDER_WORDS.search(doc)):
        return "todo"
    if ellipsis and not rest:
        return "ellipsis"
    if not rest:
        return "docstring" if doc is not None else None
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


# Blocks whose body may stand in for code; an ``except`` body of ``pass`` or
# ``...`` is a deliberate "ignore this error" and is left alone.
_BLOCKS = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try, *(
    (ast.TryStar,) if hasattr(ast, "TryStar") else ()), *((ast.match_case,) if hasattr(ast, "match_case") else ()))
_BLOCK_FIELDS = ("body", "orelse", "finalbody")


def _stand_ins_inside(src: PythonSource, changed: set[str] | None, covered: set[int]) -> list[Finding]:
    """Stand-ins inside functions whose body is otherwise real: ``...`` as a
    loop or branch body, ``# implement ... here`` above ``pass``, and TODO
    comments that say logic is missing. In existing code such a TODO is
    information (it is the author's own note); in a generated edit, where it
    is new, a warning."""
    if src.is_stub:
        return []
    # Candidates first, from the shared node index and one look at the text
    # (most files have none); only they are matched to their function.
    blocks: list[tuple[ast.stmt, str]] = []
    for block in src.of_type(*_BLOCKS):
        for name in _BLOCK_FIELDS:
            body = getattr(block, name, None)
            if not body or len(body) != 1:
                continue
            stmt = body[0]
            if _is_ellipsis(stmt):
                if src.original is None and _explains_a_no_op(_comments_above(src, stmt.lineno)):
                    continue  # existing code: "# nothing to do here, because ..." then `...`
                blocks.append((stmt, "'...' stands in for the body of this block: write the code it should run."))
            elif isinstance(stmt, ast.Pass) and _GOES_HERE.search(_comments_above(src, stmt.lineno)):
                blocks.append((stmt, "The comment above this 'pass' says code belongs here: write it."))
    todos = _todo_lines(src)
    if not blocks and not todos:
        return []
    original_lines = None
    if src.original is not None:
        original_lines = {line.strip() for line in src.original.split("\n")}
    findings: list[Finding] = []
    for qualname, node, cls in _definitions(src.tree):  # type: ignore[arg-type]
        if not isinstance(node, _FUNCTIONS) or id(node) in covered:
            continue
        if changed is not None and qualname not in changed:
            continue
        if _is_exempt(node, cls):
            continue
        first, last = node.lineno, _end_with_comments(src, node)
        reported: set[int] = set()
        for stmt, message in blocks:
            if first < stmt.lineno <= last:
                reported.add(stmt.lineno)
                findings.append(src.finding("MC501", message, Severity.WARNING, stmt))
        inside = [index for index in todos if first <= index < last]  # 0-based lines after the ``def`` line
        if inside:
            findings += _todo_comments(src, node, inside, original_lines, reported)
    return findings


def _end_with_comments(src: PythonSource, node: ast.AST) -> int:
    """The function's last line, counting the comments indented under it
    that follow its last statement (``ast`` ends it at that statement)."""
    end = node.end_lineno  # type: ignore[attr-defined]
    margin = len(src.line(node.lineno - 1)) - len(src.line(node.lineno - 1).lstrip())  # type: ignore[attr-defined]
    index = end
    while index < len(src.lines):
        line = src.lines[index]
        text = line.strip()
        if text and (not text.startswith("#") or len(line) - len(line.lstrip()) <= margin):
            break
        index += 1
        if text:
            end = index
    return end


def _todo_lines(src: PythonSource) -> list[int]:
    """0-based lines that are a comment with a TODO/FIXME/XXX marker (one
    regex over the text: most lines have none)."""
    lines = []
    text = to_lf(src.text)
    line, offset = 0, 0
    for match in _MARKER_LINE.finditer(text):
        line += text.count("\n", offset, match.start())
        offset = match.start()
        if line not in src.string_lines:
            lines.append(line)
    return lines


def _explains_a_no_op(comment: str) -> bool:
    """A comment above a ``...`` body that says why nothing happens there
    (networkx: "# In this case we know prev must be the parent ... so we don't
    have to search the stack"), not that code is missing."""
    return bool(comment) and not _PLACEHOLDER_WORDS.search(comment) and not _GOES_HERE.search(comment) \
        and not _TODO.search(comment)


def _is_ellipsis(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis


def _comments_above(src: PythonSource, lineno: int) -> str:
    """The own-line comments right above 1-based line ``lineno``."""
    comments = []
    index = lineno - 2
    while index >= 0:
        text = src.line(index).strip()
        if not text.startswith("#"):
            break
        comments.append(text)
        index -= 1
    return " ".join(reversed(comments))


def _todo_comments(src: PythonSource, node: ast.AST, lines: list[int], original_lines: set[str] | None,
                   reported: set[int]) -> list[Finding]:
    end = node.end_lineno  # type: ignore[attr-defined]
    findings = []
    statements = None
    for index in lines:
        line = src.line(index)
        text = line.strip()
        match = _TODO.match(text)
        if match is None:
            continue
        if original_lines is not None and text in original_lines:
            continue  # the original's own note, not the edit's
        if statements is None:
            statements = {s.lineno: s for s in ast.walk(node) if isinstance(s, ast.stmt)}
        following = _next_statement(src, index, end, statements)
        if following is not None and following.lineno in reported:
            continue
        said = match["text"]
        if _FUTURE_WORK.search(said):
            continue
        # An XXX is as often a remark ("XXX relies on CPython") as a gap: only
        # its words count. A TODO or FIXME counts by its words, or by where it
        # is: above a stand-in statement, or, written by a generated edit,
        # after the function's last one (work left at the end: "# TODO:
        # close the file"; in existing code that is as often a remark).
        if not _MISSING_LOGIC.search(said) and (match["marker"].upper() == "XXX" or not (
                following is None and original_lines is not None
                or following is not None and _is_stand_in_statement(following))):
            continue
        column = line.index("#")
        findings.append(Finding(
            "MC501", f"This {match['marker'].upper()} marks logic the function still lacks: write it (or delete "
            "the comment once it is done).",
            Severity.WARNING if original_lines is not None else Severity.INFORMATION,
            index, column, index, len(line.rstrip())))
    return findings


def _next_statement(src: PythonSource, index: int, end: int, statements: dict[int, ast.stmt]) -> ast.stmt | None:
    for following in range(index + 1, end):
        text = src.line(following).strip()
        if not text or text.startswith("#"):
            continue
        return statements.get(following + 1)
    return None


def _is_stand_in_statement(stmt: ast.stmt) -> bool:
    """``pass``, ``...``, ``raise NotImplementedError``, a ``return`` of
    nothing, None or an empty container (``return 8`` is an answer)."""
    if isinstance(stmt, ast.Pass) or _is_ellipsis(stmt):
        return True
    if isinstance(stmt, ast.Raise):
        return _raises_not_implemented(stmt)
    if isinstance(stmt, ast.Return):
        value = stmt.value
        if value is None or isinstance(value, ast.Constant) and value.value in (None, ""):
            return True
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            return not value.elts
        return isinstance(value, ast.Dict) and not value.keys
    return False


def _elided_comments(src: PythonSource) -> list[Finding]:
    if "#" not in src.text:
        return []
    findings = []
    for index, line in enumerate(src.lines):
        if "#" not in line or index in src.string_lines:
            continue
        position, _ = scan_comment(line)
        if position < 0:
            continue
        # The whole comment must be the stand-in, not a comment quoting one.
        match = _ELIDED.match(line, position)
        if match:
            findings.append(Finding(
                "MC501", "This comment stands for code that was left out: write the code it refers to.",
                Severity.WARNING, index, match.start(), index, len(line.rstrip())))
    return findings


# ---------------------------------------------------------------- lost definitions


def _missing_definitions(src: PythonSource) -> list[Finding]:
    before = src.original_tree
    if before is None:
        return []
    now = {name: node for name, node, _ in _definitions(src.tree)}  # type: ignore[arg-type]
    old = list(_definitions(before))
    excused = excused_names(src.instruction or "", {name for name, _, _ in old})
    if excused is None:
        return []  # "delete unused code": which names go is the model's call
    findings = []
    for position, (name, node, cls) in enumerate(old):
        if name in now or name in excused or (cls is not None and cls.name in excused):
            continue
        if cls is not None and cls.name not in now:
            continue  # the whole class is gone: one finding, for the class
        kind = "Class" if isinstance(node, ast.ClassDef) else "Method" if cls else "Function"
        message = (f"{kind} '{name}' was in the original (at line {node.lineno}) but is missing now: restore it, "
                   "or ask explicitly to remove or rename it.")
        findings.append(_lost_finding(src, message, now, old[position + 1:], cls))
    return findings


def excused_names(instruction: str, names: set[str]) -> set[str] | None:
    """The definitions (of ``names``) an instruction renames, removes, merges,
    moves, inlines, replaces or splits: the names right after such a verb,
    up to the word that ends the list ("rename foo to bar" excuses foo, not
    bar; "merge a and b into c" excuses a and b). Names count as whole words
    (``load`` is not ``load_all``); ``Store.put`` and ``put`` both name the
    method. None: the instruction removes code it does not name ("delete
    unused code"), so every name is excused."""
    last_parts: dict[str, set[str]] = {}
    for name in names:
        last_parts.setdefault(name.split(".")[-1], set()).add(name)
    excused: set[str] = set()
    verbs = list(_TAKES_AWAY.finditer(instruction))
    for index, verb in enumerate(verbs):
        stop = verbs[index + 1].start() if index + 1 < len(verbs) else len(instruction)
        end = _LIST_END.search(instruction, verb.end(), stop)
        region = instruction[verb.end():end.start() if end else stop]
        found = set()
        for match in _IDENTIFIER.finditer(region):
            word = (match[1] or match[2]).strip().rstrip("()").removeprefix("self.")
            if word in names:
                found.add(word)
            elif word.split(".")[-1] in last_parts:
                found |= last_parts[word.split(".")[-1]]
        if not found and _REMOVAL_VERBS.match(verb["verb"]) and _UNNAMED_REMOVAL.search(region):
            return None
        # "rename the Cart method add": the class is where the method is, not what is renamed.
        excused |= {name for name in found if not any(other.startswith(name + ".") for other in found)}
    return excused


def _lost_finding(src: PythonSource, message: str, now: dict[str, ast.AST],
                  later: list[tuple[str, ast.AST, ast.ClassDef | None]], cls: ast.ClassDef | None) -> Finding:
    """On the class that lost the method, else where the definition was: on
    the next definition of the original that is still there, else the end."""
    anchor = now.get(cls.name) if cls is not None else None
    if anchor is None:
        anchor = next((now[name] for name, _, later_cls in later
                       if name in now and (later_cls is None) == (cls is None)), None)
    if anchor is not None:
        return src.header_finding("MC503", message, Severity.ERROR, anchor)
    index = max((i for i, line in enumerate(src.lines) if line.strip()), default=0)
    return Finding("MC503", message, Severity.ERROR, index, 0, index, len(src.line(index)))
