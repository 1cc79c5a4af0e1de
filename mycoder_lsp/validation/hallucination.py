"""MC5xx: signs that code was invented rather than written: placeholder
bodies (MC501), trivial implementations (MC502), functions and classes the
original had and the new text lost (MC503), imports that resolve nowhere
(MC504; a known PyPI package that is simply not installed is MC505, a hint),
and attributes or names a standard-library module does not have (MC506).

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
import bisect
import dataclasses
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from mycoder_lsp.parsing import parse_python
from mycoder_lsp.validation import imports
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
_GUARD_WORDS = re.compile(
    r"\b(?:sys\.platform|platform\.\w+|os\.name|_?mswindows|MS_WINDOWS|WINDOWS|win32|nt|posix|darwin|linux|"
    r"cygwin|emscripten|wasi|java|hasattr|getattr|version_info|implementation|TYPE_CHECKING|[Hh][Aa][Vv][Ee]_\w+|"
    r"has_\w+|HAS_\w+|\w*supports?_\w*|_?WIN\w*|is_?win\w*|IS_WIN\w*|is_android|is_apple\w*|requires_\w+)\b"
)


@dataclass(frozen=True)
class _Interval:
    start: int  # 1-based lines, inclusive
    end: int


def check_hallucination(src: PythonSource) -> list[Finding]:
    if src.tree is None:
        return []
    findings: list[Finding] = []
    changed = _changed_functions(src)
    findings += _bodies(src, changed)
    findings += _elided_comments(src)
    if src.original is not None:
        findings += _missing_definitions(src)
    findings += _imports(src)
    findings += _stdlib_attributes(src)
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


# ---------------------------------------------------------------- imports


def _guarded(src: PythonSource) -> tuple[list[int], list[int]]:
    """Sorted starts/ends of regions where a failing import is expected:
    ``try`` bodies with an ImportError-catching handler, ``if TYPE_CHECKING``."""
    intervals: list[tuple[int, int]] = []
    for node in src.of_type(ast.Try, getattr(ast, "TryStar", ast.Try)):
        if any(_catches(h, {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
               for h in node.handlers):  # type: ignore[attr-defined]
            intervals.append((node.lineno, node.body[-1].end_lineno))  # type: ignore[attr-defined]
    for node in src.of_type(ast.If):
        # TYPE_CHECKING imports never run; platform branches run elsewhere.
        if _GUARD_WORDS.search(_test_text(src, node.test)):  # type: ignore[attr-defined]
            intervals.append((node.lineno, node.end_lineno))  # type: ignore[attr-defined]
    intervals += _expected_failures(src)
    return _normalise(intervals)


def _expected_failures(src: PythonSource) -> list[tuple[int, int]]:
    """Code meant to fail: ``with self.assertRaises(...)`` / ``pytest.raises``
    blocks, and everything after a module-level platform check that raises
    (``if sys.platform != 'win32': raise unittest.SkipTest(...)``)."""
    intervals = []
    for node in src.of_type(ast.With):
        if any(
            "raises" in _test_text(src, item.context_expr).lower()
            for item in node.items  # type: ignore[attr-defined]
        ):
            intervals.append((node.lineno, node.end_lineno))  # type: ignore[attr-defined]
    for node in (src.tree.body if src.tree else []):
        if isinstance(node, ast.If) and _GUARD_WORDS.search(_test_text(src, node.test)) and any(
                isinstance(stmt, ast.Raise) for stmt in node.body):
            intervals.append((node.end_lineno or node.lineno, len(src.lines) + 1))
    return intervals


def _test_text(src: PythonSource, test: ast.expr) -> str:
    """The source lines of an ``if`` test (``ast.unparse`` is far slower)."""
    end = test.end_lineno or test.lineno
    if end == test.lineno:
        return src.line(test.lineno - 1)
    return "\n".join(src.lines[test.lineno - 1:end])


def _lazy_import_lines(src: PythonSource) -> tuple[list[int], list[int]]:
    """Function bodies and ``with`` blocks: an import there runs late, often
    after the code arranged for the module to exist (tests, plugins)."""
    intervals = [(n.lineno, n.end_lineno) for n in src.of_type(*_FUNCTIONS, ast.With)]  # type: ignore[attr-defined]
    return _normalise(intervals)


def _normalise(intervals: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [s for s, _ in merged], [e for _, e in merged]


def _inside(regions: tuple[list[int], list[int]], line: int) -> bool:
    starts, ends = regions
    i = bisect.bisect_right(starts, line) - 1
    return i >= 0 and line <= ends[i]


def _catches(handler: ast.ExceptHandler, names: set[str]) -> bool:
    if handler.type is None:
        return True
    types_ = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for tp in types_:
        name = tp.attr if isinstance(tp, ast.Attribute) else getattr(tp, "id", "")
        if name in names:
            return True
    return False


def _file_dir(src: PythonSource) -> Path | None:
    if not src.path:
        return None
    parent = Path(src.path).resolve().parent
    return parent if parent.is_dir() else None


def _imports(src: PythonSource) -> list[Finding]:
    nodes = src.of_type(ast.Import, ast.ImportFrom)
    if not nodes:
        return []
    guarded: tuple[list[int], list[int]] | None = None  # computed on the first unresolved import
    root = src.workspace_root.resolve() if src.workspace_root else None
    file_dir = _file_dir(src)
    env = imports.environment_for(root)
    pypi = imports.pypi_import_names()
    findings: list[Finding] = []
    seen: set[str] = set()
    # A file that extends sys.path imports what it put there.
    extends_path = "sys.path" in src.text
    lazy: tuple[list[int], list[int]] | None = None
    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset)):  # type: ignore[attr-defined]
        if isinstance(node, ast.ImportFrom) and node.level:
            finding = _relative_import(src, node, file_dir)
            if finding:
                guarded = guarded or _guarded(src)
                if _inside(guarded, node.lineno):
                    continue
                lazy = lazy or _lazy_import_lines(src)
                if _inside(lazy, node.lineno):
                    finding = dataclasses.replace(finding, severity=Severity.WARNING)
                findings.append(finding)
            continue
        modules = (
            [a.name for a in node.names]  # type: ignore[attr-defined]
            if isinstance(node, ast.Import)
            else [node.module or ""]  # type: ignore[attr-defined]
        )
        for module in modules:
            top = module.split(".")[0]
            if not top or top in seen:
                continue
            if top in imports.INTERPRETER_NAMES or top in env.top_level or \
                    imports.workspace_module_path(top, file_dir, root) is not None:
                seen.add(top)
                continue
            guarded = guarded or _guarded(src)
            if _inside(guarded, node.lineno):  # type: ignore[attr-defined]
                continue  # optional here; an unguarded import of it later is still checked
            seen.add(top)
            if top in pypi:
                dist = pypi[top]
                findings.append(_import_finding(
                    src, node, top, "MC505", Severity.HINT,
                    f"Import '{top}' comes from the PyPI package '{dist}', which is not installed in "
                    f"{env.label}: pip install {dist}"))
                continue
            lazy = lazy or _lazy_import_lines(src)
            severity = Severity.WARNING if extends_path or _inside(lazy, node.lineno) else Severity.ERROR
            findings.append(_import_finding(
                src, node, top, "MC504", severity,
                f"Import '{top}' resolves nowhere: not stdlib, not installed in {env.label}, not in the "
                f"workspace, not a known PyPI package. Install it or fix the name."))
    return findings


def _relative_import(src: PythonSource, node: ast.ImportFrom, file_dir: Path | None) -> Finding | None:
    if file_dir is None or not node.module:
        return None  # ``from . import x``: x may be a name in __init__.py
    base = file_dir
    for _ in range(node.level - 1):
        base = base.parent
    first = node.module.split(".")[0]
    if imports.module_in_dir(base, first) is not None:
        return None
    if not (base / "__init__.py").exists() and not any(base.glob("*.py")):
        return None  # not a package on disk (an unsaved buffer, a moved file): cannot tell
    target = "." * node.level + node.module
    return _import_finding(
        src, node, first, "MC504", Severity.ERROR,
        f"Relative import '{target}' resolves nowhere: there is no module '{first}' in {base}. "
        "Create it or fix the name.")


def _import_finding(src: PythonSource, node: ast.AST, name: str, code: str, severity: Severity,
                    message: str) -> Finding:
    index = node.lineno - 1  # type: ignore[attr-defined]
    line = src.line(index)
    start = src.column(node.lineno, node.col_offset)  # type: ignore[attr-defined]
    match = re.compile(r"\b" + re.escape(name) + r"\b").search(line, start)
    if match and node.lineno == node.end_lineno:  # type: ignore[attr-defined]
        word_end = match.end()
        while word_end < len(line) and (line[word_end].isalnum() or line[word_end] in "._"):
            word_end += 1
        return Finding(code, message, severity, index, match.start(), index, word_end)
    return src.finding(code, message, severity, node)


# ---------------------------------------------------------------- stdlib attributes


def _attribute_guards(src: PythonSource) -> tuple[list[int], list[int]]:
    """Regions where a missing attribute is expected on some platform or
    version: ``try`` with a handler for AttributeError/ImportError/Exception,
    ``if`` tests about the platform, version or ``hasattr``."""
    intervals: list[tuple[int, int]] = []
    for node in src.of_type(ast.Try, getattr(ast, "TryStar", ast.Try)):
        if any(
            _catches(h, {"AttributeError", "ImportError", "ModuleNotFoundError", "Exception",
                         "BaseException", "NameError", "OSError"})
            for h in node.handlers  # type: ignore[attr-defined]
        ):
            intervals.append((node.lineno, node.body[-1].end_lineno))  # type: ignore[attr-defined]
    for node in src.of_type(ast.If, ast.IfExp):
        if _GUARD_WORDS.search(_test_text(src, node.test)):  # type: ignore[attr-defined]
            intervals.append((node.lineno, node.end_lineno))  # type: ignore[attr-defined]
    intervals += _expected_failures(src)
    return _normalise(intervals)


def _stdlib_attributes(src: PythonSource) -> list[Finding]:
    import_nodes = src.of_type(ast.Import, ast.ImportFrom)
    if not import_nodes:
        return []
    root = src.workspace_root.resolve() if src.workspace_root else None
    file_dir = _file_dir(src)

    shadow_cache: dict[str, bool] = {}

    def shadowed(top: str) -> bool:
        """A workspace module of the same name wins over the stdlib one."""
        if top not in shadow_cache:
            local = imports.workspace_module_path(top, file_dir, root)
            shadow_cache[top] = local is not None and imports.STDLIB_DIR not in local.resolve().parents
        return shadow_cache[top]

    aliases: dict[str, str] = {}
    rebound: set[str] = set()
    candidates: list[tuple[ast.ImportFrom, str]] = []
    for node in import_nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                bound = alias.asname or top
                module = alias.name if alias.asname else top
                if top in imports.STDLIB_NAMES and not shadowed(top):
                    if aliases.get(bound, module) != module:
                        rebound.add(bound)
                    aliases[bound] = module
                else:
                    rebound.add(bound)
        elif node.level == 0 and node.module and node.module != "__future__" and \
                node.module.split(".")[0] in imports.STDLIB_NAMES:  # type: ignore[attr-defined]
            for alias in node.names:  # type: ignore[attr-defined]
                rebound.add(alias.asname or alias.name)
                if alias.name != "*":
                    candidates.append((node, alias.name))  # type: ignore[arg-type]
        else:
            for alias in node.names:  # type: ignore[attr-defined]
                rebound.add(alias.asname or alias.name)
    guards: tuple[list[int], list[int]] | None = None
    findings: list[Finding] = []
    for node, name in candidates:
        module = node.module or ""
        if shadowed(module.split(".")[0]):
            continue
        known = imports.stdlib_module_names(module)
        if known is None or name in known.names or name in imports.OPTIONAL_ATTRIBUTES.get(module, ()):
            continue
        guards = guards or _attribute_guards(src)
        if _inside(guards, node.lineno):
            continue
        findings.append(_name_finding(src, node, name, module))
    if not aliases:
        return findings
    for node in src.of_type(ast.Name):
        if node.id in aliases and not isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
            rebound.add(node.id)  # type: ignore[attr-defined]
    for node in src.of_type(*_FUNCTIONS, ast.ClassDef):
        rebound.add(node.name)  # type: ignore[attr-defined]
    for node in src.of_type(ast.arg):
        rebound.add(node.arg)  # type: ignore[attr-defined]
    live = {k: v for k, v in aliases.items() if k not in rebound}
    if not live:
        return findings
    attributes = src.of_type(ast.Attribute)
    # ``sys.my_flag = 1`` anywhere in the file creates the attribute.
    stored = {(n.value.id, n.attr) for n in attributes  # type: ignore[attr-defined]
              if not isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name)}  # type: ignore[attr-defined]
    for node in attributes:
        parts: list[str] = []
        base: ast.AST = node
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if (
            not isinstance(base, ast.Name)
            or base.id not in live
            or not isinstance(node.ctx, ast.Load)  # type: ignore[attr-defined]
        ):
            continue  # ``sys.ps1 = ...`` creates the attribute
        parts.reverse()
        if parts[-1].startswith("__") and parts[-1].endswith("__") or (base.id, parts[0]) in stored:
            continue  # module dunders (__dict__, __file__, ...) always exist
        module_name = _missing_attribute(live[base.id], parts)
        if module_name is None:
            continue
        guards = guards or _attribute_guards(src)
        if _inside(guards, node.lineno):  # type: ignore[attr-defined]
            continue
        written = ".".join([base.id, *parts[:-1]])
        findings.append(_attribute_finding(src, node, module_name, written))  # type: ignore[arg-type]
    return findings


def _missing_attribute(module: str, parts: list[str]) -> str | None:
    """Follow ``module.a.b`` while each step is a module; return the module
    that lacks the last part, or None when it exists or cannot be known. Each
    Attribute node of a chain checks only its own last part."""
    for part in parts[:-1]:
        known = imports.stdlib_module_names(module)
        if known is None or part not in known.modules:
            return None
        module = known.modules[part]
    known = imports.stdlib_module_names(module)
    if known is None or parts[-1] in known.names or parts[-1] in imports.OPTIONAL_ATTRIBUTES.get(module, ()):
        return None
    return module


def _attribute_severity(module: str, name: str) -> tuple[Severity, str]:
    """An error only when the name is missing everywhere: platform-dependent
    modules and private names vary between builds and versions."""
    if module.split(".")[0] in imports.PLATFORM_DEPENDENT or not imports.has_python_source(module):
        return Severity.WARNING, f" on this platform ({sys.platform}); guard it if it is platform-specific"
    if name.startswith("_"):
        return Severity.WARNING, " in this Python version (private names change between versions)"
    return Severity.ERROR, ""


def _name_finding(src: PythonSource, node: ast.ImportFrom, name: str, module: str) -> Finding:
    index = node.lineno - 1
    line = src.line(index)
    found = re.compile(r"\b" + re.escape(name) + r"\b").search(line, src.column(node.lineno, node.col_offset) + 5)
    severity, where = _attribute_severity(module, name)
    message = (f"'{module}' has no '{name}'{where}: fix the name, or import it from where it really lives.")
    if found and node.lineno == node.end_lineno:
        return Finding("MC506", message, severity, index, found.start(), index, found.end())
    return src.finding("MC506", message, severity, node)


def _attribute_finding(src: PythonSource, node: ast.Attribute, module: str, written: str) -> Finding:
    end_line = node.end_lineno or node.lineno
    end = src.column(end_line, node.end_col_offset or 0)
    start = end - len(node.attr)
    severity, where = _attribute_severity(module, node.attr)
    shown = written if written == module else f"{written}' ('{module}"
    message = (f"Module '{shown}' has no attribute '{node.attr}'{where}: fix the name, "
               "it would raise AttributeError.")
    return Finding("MC506", message, severity, end_line - 1, max(start, 0), end_line - 1, end)
