"""MC3xx: lint for Python: wildcard imports (MC301), lines over the hard
limit (MC302), and pyflakes run in-process on the tree already parsed.

Each pyflakes message class has its own stable code in :data:`PYFLAKES_CODES`;
a class this table does not know yet becomes MC399 so a pyflakes upgrade never
breaks validation. Severity follows what the message means at run time: code
the compiler or interpreter rejects is an error, what working code routinely
contains (an unused import) is a warning at most.
"""

from __future__ import annotations

import ast
import logging
import re

from mycoder_lsp.config import LintSettings
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.source import PythonSource

log = logging.getLogger(__name__)

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFORMATION

# pyflakes message class -> (code, severity, what to do)
PYFLAKES_CODES: dict[str, tuple[str, Severity, str]] = {
    "UndefinedName": ("MC310", E, "Define or import it, or fix the spelling."),
    "UndefinedLocal": ("MC311", E, "Assign it before this use, or declare it global/nonlocal."),
    "UndefinedExport": ("MC312", W, "Define it or remove it from __all__."),
    "UnusedImport": ("MC313", W, "Remove the import, or list it in __all__ if it is re-exported."),
    "UnusedVariable": ("MC314", W, "Remove the assignment or use the value."),
    "RedefinedWhileUnused": ("MC315", W, "Remove or rename one of the two definitions."),
    "ImportShadowedByLoopVar": ("MC316", W, "Rename the loop variable."),
    "ImportStarUsage": ("MC317", I, "Import the name explicitly."),
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
    "FStringMissingPlaceholders": ("MC330", I, "Drop the 'f' prefix or add a placeholder."),
    "TStringMissingPlaceholders": ("MC331", I, "Drop the 't' prefix or add a placeholder."),
    "MultiValueRepeatedKeyLiteral": ("MC332", W, "Remove the duplicate key."),
    "MultiValueRepeatedKeyVariable": ("MC333", W, "Remove the duplicate key."),
    "AssertTuple": ("MC334", W, "Remove the parentheses: a non-empty tuple is always true."),
    "IfTuple": ("MC335", W, "Remove the parentheses: a non-empty tuple is always true."),
    "RaiseNotImplemented": ("MC336", W, "Raise NotImplementedError instead."),
    "ForwardAnnotationSyntaxError": ("MC337", W, "Fix the string annotation."),
    "UnusedAnnotation": ("MC338", I, "Assign a value or remove the annotation."),
    "UnusedIndirectAssignment": ("MC339", I, "Remove the global/nonlocal declaration or use the name."),
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


def check_lint(src: PythonSource, lint: LintSettings) -> list[Finding]:
    findings: list[Finding] = []
    for node in src.of_type(ast.ImportFrom):
        if any(alias.name == "*" for alias in node.names):  # type: ignore[attr-defined]
            module = "." * node.level + (node.module or "")  # type: ignore[attr-defined]
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
        findings += run_pyflakes(src)
    return findings


def run_pyflakes(src: PythonSource) -> list[Finding]:
    from pyflakes import checker

    try:
        result = checker.Checker(src.tree, filename=src.path or "<string>")
    except (RecursionError, ValueError):  # pathological nesting; the other layers still ran
        log.warning("pyflakes could not check %s", src.path, exc_info=True)
        return []
    findings: list[Finding] = []
    expected: _ExpectedNameErrors | None = None
    for message in result.messages:
        name = type(message).__name__
        if name in _SKIPPED:
            continue
        code, severity, advice = PYFLAKES_CODES.get(name, UNKNOWN_PYFLAKES)
        if name == "UndefinedLocal" and not _names_at(src, message):
            # pyflakes points at a different identifier when it confuses an
            # alias (``import datetime as datetime_module``) with the name.
            severity, advice = W, f"{advice} (pyflakes may be confusing an import alias here)"
        if name == "UndefinedName":
            expected = expected or _ExpectedNameErrors(src)
            reason = expected.why(message)
            if reason:
                severity, advice = W, f"{advice} ({reason}, so this may work)"
        findings.append(_finding(src, message, code, severity, advice))
    return findings


def _names_at(src: PythonSource, message: object) -> bool:
    lineno = getattr(message, "lineno", 1) or 1
    col = src.column(lineno, getattr(message, "col", 0) or 0)
    args = getattr(message, "message_args", ())
    line = src.line(lineno - 1)
    match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", line[col:])
    return bool(args) and match is not None and match.group() == args[0]


_DYNAMIC_NAMESPACE = re.compile(
    r"\bglobals\(\)|\bvars\(\)|\blocals\(\)|sys\.modules\[__name__\]|\._convert_\(|global_enum|"
    r"__builtins__\[|\bexec\(|__dict__\.update|setattr\(sys\.modules|\bbuiltins\.\w+\s*=|\.install\("
)


class _ExpectedNameErrors:
    """Why an undefined name may still work: the module fills its namespace
    at run time (``globals().update(...)``, ``Enum._convert_``), the name is
    deleted at module level after functions that use it ran (pyflakes checks
    function bodies after the whole module), or the code expects NameError."""

    def __init__(self, src: PythonSource) -> None:
        self.dynamic = bool(_DYNAMIC_NAMESPACE.search(src.text))
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
        for node in src.of_type(ast.Try):
            for handler in node.handlers:  # type: ignore[attr-defined]
                if handler.type is None or "NameError" in ast.dump(handler.type):
                    self.regions.append((node.lineno, node.body[-1].end_lineno))  # type: ignore[attr-defined]
        for node in src.of_type(ast.With):
            if any("NameError" in ast.dump(item.context_expr) for item in node.items):  # type: ignore[attr-defined]
                self.regions.append((node.lineno, node.end_lineno))  # type: ignore[attr-defined]

    def why(self, message: object) -> str | None:
        if self.dynamic:
            return "the module defines names at run time"
        args = getattr(message, "message_args", ())
        if args and args[0] in self.deleted:
            return "the module deletes it with 'del' after use"
        line = getattr(message, "lineno", 0)
        if any(start <= line <= end for start, end in self.regions):
            return "the code expects a NameError here"
        if args and args[0] in self._bound():
            return "it is bound elsewhere in this file; make sure that happens before this line runs"
        return None

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


def _finding(src: PythonSource, message: object, code: str, severity: Severity, advice: str) -> Finding:
    lineno = getattr(message, "lineno", 1) or 1
    col = src.column(lineno, getattr(message, "col", 0) or 0)
    text = message.message % message.message_args  # type: ignore[attr-defined]
    text = text[0].upper() + text[1:] if text else text
    start, end = _span(src.line(lineno - 1), col, getattr(message, "message_args", ()))
    return Finding(code, f"{text}. {advice}".rstrip(), severity, lineno - 1, start, lineno - 1, end)


def _span(line: str, col: int, args: tuple[object, ...]) -> tuple[int, int]:
    """Underline the name the message is about (pyflakes points at the start
    of the statement for imports), else the word at the column, else one
    character."""
    for arg in args:
        if not isinstance(arg, str) or not arg:
            continue
        for name in (arg, arg.split(" as ")[-1], arg.split(" as ")[0].split(".")[-1]):
            if name.isidentifier() or "." in name and all(p.isidentifier() for p in name.split(".")):
                found = re.compile(r"(?<![\w.])" + re.escape(name) + r"(?!\w)").search(line, col)
                if found:
                    return found.start(), found.end()
    end = col
    while end < len(line) and (line[end].isalnum() or line[end] in "_."):
        end += 1
    return col, end if end > col else min(col + 1, max(len(line), col))
