"""MC3xx: lint for Python: wildcard imports (MC301), lines over the hard
limit (MC302), and pyflakes run in-process on the tree already parsed.

Each pyflakes message class has its own stable code in :data:`PYFLAKES_CODES`;
a class this table does not know yet becomes MC399 so a pyflakes upgrade never
breaks validation. Severity follows what the message means at run time: code
the compiler or interpreter rejects is an error, what working code routinely
contains (an unused import) is a warning at most. An import that re-exports
(``from .x import A as A``, a stub's imports, a package ``__init__``'s relative
imports) is not unused; an undefined name is only excused where the module
could really define it at run time (:class:`_RuntimeNames`).
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass, field

from mycoder_lsp.config import LintSettings
from mycoder_lsp.validation import flakes
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.flakes import FlakesMemo
from mycoder_lsp.validation.guards import RUNNING
from mycoder_lsp.validation.source import PythonSource

log = logging.getLogger(__name__)

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFORMATION

# pyflakes message class -> (code, severity, what to do)
PYFLAKES_CODES: dict[str, tuple[str, Severity, str]] = {
    "UndefinedName": ("MC310", E, "Define or import it, or fix the spelling."),
    "UndefinedLocal": ("MC311", E, "Assign it before this use, or declare it global/nonlocal."),
    "UndefinedExport": ("MC312", W, "Define it or remove it from __all__."),
    "UnusedImport": ("MC313", W, "Remove the import; to re-export it, list it in __all__ or import it as "
                                 "itself ('from m import A as A')."),
    "UnusedVariable": ("MC314", W, "Remove the assignment or use the value."),
    "RedefinedWhileUnused": ("MC315", W, "Remove or rename one of the two definitions."),
    "ImportShadowedByLoopVar": ("MC316", W, "Rename the loop variable."),
    "ImportStarUsage": ("MC317", INFO, "Import the name explicitly."),
    "ImportStarNotPermitted": ("MC318", E, "Move the wildcard import to module level or import names explicitly."),
    "DuplicateArgument": ("MC319", E, "Rename one of the arguments."),
    "ReturnOutsideFunction": ("MC320", E, "Move it into a function."),
    "YieldOutsideFunction": ("MC321", E, "Move it into a function."),
    "BreakOutsideLoop": ("MC322", E, "Move it into a loop."),
    "ContinueOutsideLoop": ("MC323", E, "Move it into a loop."),
    "LateFutureImport": ("MC324", E, "Move the __future__ import to the top of the file."),
    "FutureFeatureNotDefined": ("MC325", E, "Fix the feature name."),
    "DefaultExceptNotLast": ("MC326", E, "Move the bare 'except:' last."),
    "TwoStarredExpressions": ("MC327", E, "Keep one starred target."),
    "TooManyExpressionsInStarredAssignment": ("MC328", E, "Use fewer targets."),
    "IsLiteral": ("MC329", W, "Compare with '==' / '!=' instead of 'is'."),
    "FStringMissingPlaceholders": ("MC330", INFO, "Drop the 'f' prefix or add a placeholder."),
    "TStringMissingPlaceholders": ("MC331", INFO, "Drop the 't' prefix or add a placeholder."),
    "MultiValueRepeatedKeyLiteral": ("MC332", W, "Remove the duplicate key."),
    "MultiValueRepeatedKeyVariable": ("MC333", W, "Remove the duplicate key."),
    "AssertTuple": ("MC334", W, "Remove the parentheses: a non-empty tuple is always true."),
    "IfTuple": ("MC335", W, "Remove the parentheses: a non-empty tuple is always true."),
    "RaiseNotImplemented": ("MC336", W, "Raise NotImplementedError instead."),
    "ForwardAnnotationSyntaxError": ("MC337", W, "Fix the string annotation."),
    "UnusedAnnotation": ("MC338", INFO, "Assign a value or remove the annotation."),
    "UnusedIndirectAssignment": ("MC339", INFO, "Remove the global/nonlocal declaration or use the name."),
    "InvalidPrintSyntax": ("MC340", E, "Call print() as a function."),
    "PercentFormatInvalidFormat": ("MC350", W, "Fix the % format string."),
    "PercentFormatMixedPositionalAndNamed": ("MC351", W, "Use either positional or named placeholders."),
    "PercentFormatUnsupportedFormatCharacter": ("MC352", W, "Use a supported conversion character."),
    "PercentFormatPositionalCountMismatch": ("MC353", W, "Pass as many values as placeholders."),
    "PercentFormatExtraNamedArguments": ("MC354", W, "Remove the unused keys."),
    "PercentFormatMissingArgument": ("MC355", W, "Pass the missing keys."),
    "PercentFormatExpectedMapping": ("MC356", W, "Pass a dict for named placeholders."),
    "PercentFormatExpectedSequence": ("MC357", W, "Pass a tuple for positional placeholders."),
    "PercentFormatStarRequiresSequence": ("MC358", W, "Pass a tuple for '*' width or precision."),
    "StringDotFormatExtraPositionalArguments": ("MC360", W, "Remove the unused arguments."),
    "StringDotFormatExtraNamedArguments": ("MC361", W, "Remove the unused arguments."),
    "StringDotFormatMissingArgument": ("MC362", W, "Pass the missing arguments."),
    "StringDotFormatMixingAutomatic": ("MC363", W, "Number all fields or none."),
    "StringDotFormatInvalidFormat": ("MC364", W, "Fix the format string."),
    "EagerUseOfLazyImport": ("MC370", W, "Use the lazily imported name later, or import it eagerly."),
    "LazyImportNotAtModuleScope": ("MC371", E, "Move the lazy import to module level."),
    "LazyImportStarNotPermitted": ("MC372", E, "Import names explicitly."),
}
UNKNOWN_PYFLAKES = ("MC399", W, "")
# MC301 reports wildcard imports already, with a better message.
_SKIPPED = {"ImportStarUsed", "DoctestSyntaxError"}


def check_lint(src: PythonSource, lint: LintSettings, memo: FlakesMemo | None = None) -> list[Finding]:
    """``memo``: what pyflakes found in the last version of this document
    (:mod:`~mycoder_lsp.validation.flakes`); the findings are the same."""
    findings: list[Finding] = []
    is_init = src.path.endswith("__init__.py")
    for node in src.of_type(ast.ImportFrom):
        if any(alias.name == "*" for alias in node.names):  # type: ignore[attr-defined]
            module = "." * node.level + (node.module or "")  # type: ignore[attr-defined]
            if is_init:
                # A package publishing a module's names: a convention, not a mistake.
                findings.append(src.finding(
                    "MC301", f"Wildcard re-export from '{module}': list the names in that module's __all__ "
                    "so readers and tools see the package's API.", Severity.INFORMATION, node))
                continue
            findings.append(src.finding(
                "MC301", f"Wildcard import from '{module}': import the names you use explicitly.",
                Severity.WARNING, node))
    limit = lint.max_line_length
    if limit:
        for index, line in enumerate(src.lines):
            if len(line) > limit:
                findings.append(Finding(
                    "MC302", f"Line is {len(line)} characters long, over the hard limit of {limit}: split it.",
                    Severity.WARNING, index, limit, index, len(line)))
    if lint.pyflakes and src.tree is not None:
        findings += run_pyflakes(src, memo)
    return findings


def run_pyflakes(src: PythonSource, memo: FlakesMemo | None = None) -> list[Finding]:
    assert src.tree is not None
    try:
        messages = flakes.check(src.tree, src.path or "<string>", src.lines, memo)
    except (RecursionError, ValueError):  # pathological nesting; the other layers still ran
        log.warning("pyflakes could not check %s", src.path, exc_info=True)
        return []
    findings: list[Finding] = []
    expected: _ExpectedNameErrors | None = None
    reexports: set[tuple[int, str]] | None = None
    for message in messages:
        name = type(message).__name__
        if name in _SKIPPED:
            continue
        if name == "RedefinedWhileUnused" and src.is_stub:
            continue  # overloads and re-exports in a stub, which never runs
        if name == "UnusedVariable" and str(message.message_args[0]).startswith("_"):  # type: ignore[attr-defined]
            # ruff's dummy-variable default: `_ignored`, and frame markers
            # that tracebacks read (`__traceback_hide__`, `_rich_traceback_guard`)
            continue
        if name == "UnusedImport":
            if src.is_stub:  # a stub's imports are its interface, not code that runs
                continue
            reexports = _reexports(src) if reexports is None else reexports
            if (getattr(message, "lineno", 0), message.message_args[0]) in reexports:  # type: ignore[attr-defined]
                continue
        code, severity, advice = PYFLAKES_CODES.get(name, UNKNOWN_PYFLAKES)
        if name == "UndefinedLocal" and not _names_at(src, message):
            # pyflakes points at a different identifier when it confuses an
            # alias (``import datetime as datetime_module``) with the name.
            severity, advice = W, f"{advice} (pyflakes may be confusing an import alias here)"
        if name == "ForwardAnnotationSyntaxError":
            expected = expected or _ExpectedNameErrors(src)
            if expected.in_literal(message):
                continue
        if name == "UndefinedName":
            expected = expected or _ExpectedNameErrors(src)
            if expected.in_literal(message) or src.is_stub and expected.bound_anywhere(message):
                continue  # a stub may name a class before it defines it
            reason = expected.why(message)
            if reason:
                severity, advice = W, f"{advice} ({reason}, so this may work)"
        findings.append(_finding(src, message, code, severity, advice))
    return findings


def _reexports(src: PythonSource) -> set[tuple[int, str]]:
    """(line, pyflakes' name for it) of the imports that re-export a name:
    a redundant alias (``from .x import A as A``, ``import a as a``: the typing
    spec's explicit re-export, read as ruff reads it; ``import a.b as b`` is
    not one) and, in a package's ``__init__.py`` that has no ``__all__`` to
    say what it exports, every relative import (``from .x import A``); in
    any ``__init__.py``, a star import (``from .core import *``: the package
    publishes that module's names)."""
    is_init = src.path.endswith("__init__.py")
    package_api = is_init and not _lists_exports(src.tree)
    found: set[tuple[int, str]] = set()
    for node in src.of_type(ast.Import, ast.ImportFrom):
        for alias in node.names:  # type: ignore[attr-defined]
            if is_init and alias.name == "*":
                found.add((node.lineno, "." * node.level + (node.module or "") + ".*"))  # type: ignore[attr-defined]
                continue
            if isinstance(node, ast.Import):
                if alias.asname == alias.name:
                    found.add((node.lineno, alias.name))
                continue
            if alias.asname == alias.name or package_api and node.level:
                module = "." * node.level + (node.module or "")
                full = module + alias.name if module.endswith(".") else f"{module}.{alias.name}"
                bound = alias.asname or alias.name
                found.add((node.lineno, full if alias.name == bound else f"{full} as {bound}"))
    return found


def _lists_exports(tree: ast.Module | None) -> bool:
    """Whether the module sets ``__all__`` to names pyflakes can read (a
    list or tuple of strings, or a sum of them)."""
    values = [
        node.value for node in (tree.body if tree else [])
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
        and any(isinstance(t, ast.Name) and t.id == "__all__"
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))
    ]

    def literal(value: ast.AST | None) -> bool:
        if isinstance(value, ast.BinOp):
            return literal(value.left) and literal(value.right)
        return isinstance(value, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts)

    return bool(values) and all(literal(v) for v in values)


def _names_at(src: PythonSource, message: object) -> bool:
    lineno = getattr(message, "lineno", 1) or 1
    col = src.column(lineno, getattr(message, "col", 0) or 0)
    args: tuple = getattr(message, "message_args", ())
    line = src.line(lineno - 1)
    match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", line[col:])
    return bool(args) and match is not None and match.group() == args[0]


_GETTEXT_NAMES = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext", "lgettext", "lngettext"})
# A namespace passed to these is only read.
_READS_NAMESPACE = frozenset(
    {"eval", "dict", "list", "sorted", "len", "print", "repr", "id", "iter", "copy", "deepcopy"})


@dataclass
class _RuntimeNames:
    """The names a module adds to its global (or builtin) namespace at run
    time, found in its tree: ``globals()["X"] = ...``, ``globals().update(X=1)``,
    ``builtins.X = ...``, ``gettext.install()`` (known names), and writes whose
    names cannot be read from the code: ``globals().update(table)``,
    ``exec(code)`` at module level, ``Enum._convert_``, ``setattr(sys.modules
    [__name__], ...)`` (unknown names, from their line on). ``exec(code, ns)``
    with its own namespace, and ``locals()`` in a function, define nothing."""

    known: dict[str, int] = field(default_factory=dict)  # name -> line that defines it
    unknown: list[tuple[int, bool]] = field(default_factory=list)  # (line, inside a function)
    class_bodies: list[tuple[int, int]] = field(default_factory=list)  # class bodies filled via locals()

    @classmethod
    def of(cls, tree: ast.Module) -> _RuntimeNames:
        names = cls()
        names._scan(tree, in_function=False, in_class=None)
        return names

    def _scan(self, node: ast.AST, in_function: bool, in_class: ast.ClassDef | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for deco in getattr(child, "decorator_list", []):
                    self._scan_decorator(deco, in_function)
                self._scan(child, True, None)
                continue
            if isinstance(child, ast.ClassDef):
                for deco in child.decorator_list:
                    self._scan_decorator(deco, in_function)
                self._scan(child, in_function, child)
                continue
            if isinstance(child, ast.Call):
                self._call(child, in_function, in_class)
            elif isinstance(child, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                for target in targets:
                    self._store(target, child.lineno, in_function, in_class)
                kind = child.value is not None and self._namespace(child.value, in_function, in_class)
                if kind and kind != "builtins":  # `g = globals()`: written to through another name
                    self._define(kind, None, child.lineno, in_function, in_class)
            self._scan(child, in_function, in_class)

    def _scan_decorator(self, deco: ast.expr, in_function: bool) -> None:
        if _dotted(deco).endswith("global_enum") or _dotted(getattr(deco, "func", deco)).endswith("global_enum"):
            self.unknown.append((deco.lineno, in_function))

    def _namespace(self, node: ast.AST, in_function: bool, in_class: ast.ClassDef | None) -> str | None:
        """'globals' / 'class' / 'builtins' when ``node`` is that namespace."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args:
            if node.func.id == "globals" or node.func.id in ("vars", "locals") and not in_function:
                return "class" if in_class is not None and node.func.id != "globals" else "globals"
        if isinstance(node, ast.Subscript) and _dotted(node.value) == "sys.modules" \
                and _dotted(node.slice) == "__name__":
            return "globals"
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return self._namespace(node.value, in_function, in_class)
        if _dotted(node) in ("builtins", "__builtins__", "__builtin__"):
            return "builtins"
        return None

    def _define(self, kind: str, names: list[str] | None, line: int, in_function: bool,
                in_class: ast.ClassDef | None) -> None:
        if kind == "class" and in_class is not None:
            if names is None:
                self.class_bodies.append((in_class.lineno, in_class.end_lineno or in_class.lineno))
            return
        if names is None:
            self.unknown.append((line, in_function or kind == "builtins"))
        else:
            for name in names:
                self.known.setdefault(name, line)

    def _store(self, target: ast.AST, line: int, in_function: bool, in_class: ast.ClassDef | None) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store(element, line, in_function, in_class)
            return
        if isinstance(target, ast.Subscript):
            kind = self._namespace(target.value, in_function, in_class)
            if kind:
                key = target.slice
                name = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
                self._define(kind, None if name is None else [name], line, in_function, in_class)
        elif isinstance(target, ast.Attribute) and self._namespace(target.value, in_function, in_class) == "builtins":
            self.known.setdefault(target.attr, line)

    def _call(self, call: ast.Call, in_function: bool, in_class: ast.ClassDef | None) -> None:
        func = call.func
        line = call.lineno
        if isinstance(func, ast.Attribute):
            kind = self._namespace(func.value, in_function, in_class)
            if kind and func.attr in ("update", "setdefault", "__setitem__"):
                self._define(kind, _written_keys(call), line, in_function, in_class)
                return
            if func.attr == "install":  # gettext.install() / translation.install(): '_' in builtins
                self.known.setdefault("_", line)
                if any(k.arg == "names" for k in call.keywords):
                    for name in _GETTEXT_NAMES:
                        self.known.setdefault(name, line)
                return
            if func.attr in ("_convert_", "_convert"):  # Enum._convert_ puts members in module globals
                self.unknown.append((line, in_function))
                return
        name = _dotted(func)
        if name == "setattr" and call.args:
            kind = self._namespace(call.args[0], in_function, in_class)
            if kind:
                key = call.args[1] if len(call.args) > 1 else None
                known = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
                self._define(kind, None if known is None else [known], line, in_function, in_class)
            return
        if name == "exec":
            namespaces = list(call.args[1:]) + [k.value for k in call.keywords if k.arg in ("globals", "locals")]
            if not namespaces and not in_function:
                self.unknown.append((line, False))
            return
        if name.split(".")[-1] in _READS_NAMESPACE:
            return
        # The namespace handed to any other function (``exec(code, globals())``,
        # ``_setup(globals())``) may be written to.
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            kind = self._namespace(arg, in_function, in_class)
            if kind and kind != "builtins":
                self._define(kind, None, line, in_function, in_class)

    def why(self, name: str, line: int, in_function: bool) -> str | None:
        if name in self.known:
            return f"line {self.known[name]} defines '{name}' at run time"
        for start, end in self.class_bodies:
            if start <= line <= end:
                return "the class body defines names at run time"
        for source, source_in_function in self.unknown:
            # a function body runs after the module's top level, a line at
            # module level only after the lines above it
            if in_function or source_in_function or source < line:
                return f"line {source} defines names at run time"
        return None


def _written_keys(call: ast.Call) -> list[str] | None:
    """The keys ``ns.update(...)`` writes when the code spells them all out."""
    keys: list[str] = []
    for arg in call.args:
        if call.func.attr != "update":  # type: ignore[attr-defined]
            first = call.args[0]
            return [first.value] if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
        if not isinstance(arg, ast.Dict):
            return None
        for key in arg.keys:
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                return None
            keys.append(key.value)
    for keyword in call.keywords:
        if keyword.arg is None:
            return None
        keys.append(keyword.arg)
    return keys


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


class _ExpectedNameErrors:
    """Why an undefined name may still work: the module puts that name (or
    names it does not spell out) in its namespace at run time (see
    :class:`_RuntimeNames`), the name is deleted at module level after
    functions that use it ran (pyflakes checks function bodies after the
    whole module), or the code expects NameError."""

    def __init__(self, src: PythonSource) -> None:
        self.runtime = _RuntimeNames.of(src.tree) if src.tree else _RuntimeNames()
        self.functions = [
            (n.lineno, n.end_lineno or n.lineno)  # type: ignore[attr-defined]
            for n in src.of_type(ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
        ]
        self.deleted: set[str] = set()
        for node in (src.tree.body if src.tree else []):
            if isinstance(node, ast.Delete):
                for target in node.targets:
                    for sub in ast.walk(target):
                        if isinstance(sub, ast.Name):
                            self.deleted.add(sub.id)
        # pyflakes reads a function body top to bottom, so a name bound later
        # (in a loop, or in the enclosing function after a nested class is
        # defined) looks undefined although it is set before the line runs.
        self.bound: set[str] | None = None
        self.src = src
        self.regions: list[tuple[int, int]] = []
        # `try: get_ipython except NameError: return`: later uses are guarded too
        self.probed: set[str] = set()
        for node in src.of_type(ast.Try):
            for handler in node.handlers:  # type: ignore[attr-defined]
                if _catches_name_error(handler.type):
                    self.regions.append((node.lineno, node.body[-1].end_lineno))  # type: ignore[attr-defined]
                    self.probed |= {
                        n.id for stmt in node.body  # type: ignore[attr-defined]
                        if isinstance(stmt, ast.Expr) and isinstance(n := stmt.value, ast.Name)
                    }
        for node in src.of_type(ast.With):
            if any("NameError" in ast.dump(item.context_expr) for item in node.items):  # type: ignore[attr-defined]
                self.regions.append((node.lineno, node.end_lineno))  # type: ignore[attr-defined]
        # `if sys.version_info[0] < 3: text_type = unicode`: a branch for
        # another Python (or platform) may use that one's builtins; the
        # branch this Python runs is checked against its own.
        self.guards = src.guards
        self.literals: set[tuple[int, int]] | None = None

    def in_literal(self, message: object) -> bool:
        """pyflakes reads the strings of ``L["big", "little"]`` as forward
        references when ``Literal`` is imported under another name."""
        if self.literals is None:
            aliases = {"Literal"} | {
                alias.asname for node in self.src.of_type(ast.ImportFrom)
                for alias in node.names  # type: ignore[attr-defined]
                if alias.name == "Literal" and alias.asname
            }
            self.literals = set()
            for node in self.src.of_type(ast.Subscript):
                value = node.value  # type: ignore[attr-defined]
                name = value.id if isinstance(value, ast.Name) else getattr(value, "attr", None)
                if name in aliases:
                    for sub in ast.walk(node.slice):  # type: ignore[attr-defined]
                        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                            self.literals.add((sub.lineno, sub.col_offset))
        return (getattr(message, "lineno", 0), getattr(message, "col", 0)) in self.literals

    def why(self, message: object) -> str | None:
        args = getattr(message, "message_args", ())
        line = getattr(message, "lineno", 0)
        if args:
            in_function = any(start <= line <= end for start, end in self.functions)
            reason = self.runtime.why(args[0], line, in_function)
            if reason:
                return reason
        if args and args[0] in self.deleted:
            return "the module deletes it with 'del' after use"
        if any(start <= line <= end for start, end in self.regions):
            return "a try/except around it catches the NameError"
        if _NAME_DEFINED_IGNORE.search(self.src.line(line - 1)):
            return "the line says the type checker cannot see it either"
        if args and args[0] in self.probed:
            return "the code checks that it exists with try/except NameError"
        if RUNNING not in self.guards.runs_in(line):
            return "this branch runs only on other Python versions or platforms"
        if args and args[0] in self._bound():
            return "it is bound elsewhere in this file; make sure that happens before this line runs"
        return None

    def bound_anywhere(self, message: object) -> bool:
        args: tuple = getattr(message, "message_args", ())
        return bool(args) and args[0] in self._bound()

    def _bound(self) -> set[str]:
        if self.bound is None:
            src = self.src
            bound = {
                n.id for n in src.of_type(ast.Name) if not isinstance(n.ctx, ast.Load)  # type: ignore[attr-defined]
            }
            bound |= {
                n.name  # type: ignore[attr-defined]
                for n in src.of_type(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            }
            bound |= {n.arg for n in src.of_type(ast.arg)}  # type: ignore[attr-defined]
            bound |= {n.name for n in src.of_type(ast.ExceptHandler) if n.name}  # type: ignore[attr-defined]
            for node in src.of_type(ast.Import, ast.ImportFrom):
                bound |= {(a.asname or a.name).split(".")[0] for a in node.names}  # type: ignore[attr-defined]
            self.bound = bound
        return self.bound


# mypy's and pyright's own suppressions of "undefined name" on a line
_NAME_DEFINED_IGNORE = re.compile(
    r"#\s*(?:type:\s*ignore\[[^\]]*name-defined|pyright:\s*ignore\[[^\]]*reportUndefinedVariable)")


def _catches_name_error(handler_type: ast.expr | None) -> bool:
    """A bare ``except:``, or one naming NameError, Exception or BaseException."""
    if handler_type is None:
        return True
    return any(
        isinstance(n, ast.Name) and n.id in ("NameError", "Exception", "BaseException")
        or isinstance(n, ast.Attribute) and n.attr in ("NameError", "Exception", "BaseException")
        for n in ast.walk(handler_type)
    )


def _finding(src: PythonSource, message: object, code: str, severity: Severity, advice: str) -> Finding:
    lineno = getattr(message, "lineno", 1) or 1
    col = src.column(lineno, getattr(message, "col", 0) or 0)
    text = message.message % message.message_args  # type: ignore[attr-defined]
    text = text[0].upper() + text[1:] if text else text
    start, end = _span(src.line(lineno - 1), col, getattr(message, "message_args", ()))
    return Finding(code, f"{text}. {advice}".rstrip(), severity, lineno - 1, start, lineno - 1, end)


_WORD = re.compile(r"\w")


def _find_name(line: str, name: str, col: int) -> int:
    """Where ``name`` stands whole in ``line`` at or after ``col`` (not part
    of a longer name or a dotted path), or -1. A search, not a regex per
    name: a file with 20,000 undefined names would compile 20,000 patterns."""
    at = line.find(name, col)
    while at >= 0:
        end = at + len(name)
        if (at == 0 or not (line[at - 1] == "." or _WORD.match(line, at - 1))) and not _WORD.match(line, end):
            return at
        at = line.find(name, at + 1)
    return -1


def _span(line: str, col: int, args: tuple[object, ...]) -> tuple[int, int]:
    """Underline the name the message is about (pyflakes points at the start
    of the statement for imports), else the word at the column, else one
    character."""
    for arg in args:
        if not isinstance(arg, str) or not arg:
            continue
        for name in (arg, arg.split(" as ")[-1], arg.split(" as ")[0].split(".")[-1]):
            if name.isidentifier() or "." in name and all(p.isidentifier() for p in name.split(".")):
                found = _find_name(line, name, col)
                if found >= 0:
                    return found, found + len(name)
    end = col
    while end < len(line) and (line[end].isalnum() or line[end] in "_."):
        end += 1
    return col, end if end > col else min(col + 1, max(len(line), col))
