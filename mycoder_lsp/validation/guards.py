"""Which lines of a Python file run on which Python versions and platforms,
for the reference checks (MC504-MC506): ``if sys.version_info >= (3, 11):``
and its ``else``, module-level flags derived from it (``PY_3_14_PLUS``),
``if False:``, platform tests, a module-level ``assert sys.platform == ...``,
an early ``return``/``raise`` behind such a test, ``pytest.mark.skipif`` /
``unittest.skipIf`` on a test; and where a failing import or a missing
attribute is expected (``try``/``except ImportError`` and its fallback,
tests this cannot decide such as ``if TYPE_CHECKING:`` or ``if HAS_SSL:``).

Versions are tested for every Python 3 minor, the platform for the one this
runs on. It reads the tree only; it must not report anything itself.
"""

from __future__ import annotations

import ast
import bisect
import os
import platform
import re
import sys
from pathlib import Path

from mycoder_lsp.validation import imports
from mycoder_lsp.validation.source import PythonSource

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
RUNNING = imports.RUNNING_MINOR
# Tests the evaluator below cannot decide: the code they guard may fail here on purpose.
_GUARD_WORDS = re.compile(
    r"\b(?:sys\.platform|platform\.\w+|os\.name|_?mswindows|MS_WINDOWS|WINDOWS|win32|nt|posix|darwin|linux|"
    r"cygwin|emscripten|wasi|java|hasattr|getattr|version_info|implementation|TYPE_CHECKING|[Hh][Aa][Vv][Ee]_\w+|"
    r"has_\w+|HAS_\w+|\w*supports?_\w*|_?WIN\w*|is_?win\w*|IS_WIN\w*|is_android|is_apple\w*|requires_\w+)\b"
)
# ``PY2``, ``PY3``, ``PY310``, ``PY_3_14_PLUS``, ``IS_PY311``, ``PYTHON_3_12_OR_LATER``: flags named for a version.
_VERSION_FLAG = re.compile(
    r"_?(?:IS_)?PY(?:THON)?_?(\d)(?:_?(\d{1,2}))?(?:_?PLUS|_OR_(?:LATER|NEWER|GREATER|ABOVE)|_?UP)?", re.IGNORECASE)
_SKIPS = ("skipif", "skipIf", "skipUnless")


# ---------------------------------------------------------------- target Python and guards

_Condition = tuple[frozenset[int], frozenset[int]]  # (minors where a test holds here, minors where it does not)


class _Evaluator:
    """Decides ``if`` tests about the Python version (for every 3.x minor)
    and the platform (for the one this runs on); None for anything else."""

    def __init__(self, every: frozenset[int]) -> None:
        self.every = every
        self.flags: dict[str, _Condition] = {}
        self._platform: dict[str, str] | None = None

    def constant(self, value: bool) -> _Condition:
        return (self.every, frozenset()) if value else (frozenset(), self.every)

    def platform_values(self) -> dict[str, str]:
        if self._platform is None:
            self._platform = {
                "sys.platform": sys.platform, "os.name": os.name, "sys.implementation.name": sys.implementation.name,
                "platform.system()": platform.system(),
                "platform.python_implementation()": platform.python_implementation(),
            }
        return self._platform

    def evaluate(self, test: ast.expr) -> _Condition | None:
        if isinstance(test, ast.Constant) and isinstance(test.value, (bool, int)):
            return self.constant(bool(test.value))
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self.evaluate(test.operand)
            return None if inner is None else (inner[1], inner[0])
        if isinstance(test, ast.BoolOp):
            parts = [self.evaluate(v) for v in test.values]
            if any(p is None for p in parts):
                return None
            trues = [p[0] for p in parts]  # type: ignore[index]
            falses = [p[1] for p in parts]  # type: ignore[index]
            if isinstance(test.op, ast.And):
                return frozenset.intersection(*trues), frozenset.union(*falses)
            return frozenset.union(*trues), frozenset.intersection(*falses)
        if isinstance(test, (ast.Name, ast.Attribute)):
            name = test.id if isinstance(test, ast.Name) else test.attr
            if name in self.flags:
                return self.flags[name]
            return self._named_flag(name)
        if isinstance(test, ast.Compare) and len(test.ops) == 1:
            return self._compare(test.left, test.ops[0], test.comparators[0])
        if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and \
                test.func.attr in ("startswith", "endswith") and len(test.args) == 1:
            value = self.platform_values().get(dotted(test.func.value))
            prefixes = _strings(test.args[0])
            if value is not None and prefixes is not None:
                method = value.startswith if test.func.attr == "startswith" else value.endswith
                return self.constant(method(tuple(prefixes)))
        return None

    def _named_flag(self, name: str) -> _Condition | None:
        match = _VERSION_FLAG.fullmatch(name)
        if not match:
            return None
        major, minor = int(match.group(1)), match.group(2)
        if major != 3:
            return self.constant(False)  # PY2: Python 2 only
        if minor is None:
            return self.constant(True)  # PY3
        true = frozenset(m for m in self.every if m >= int(minor))
        return true, self.every - true

    def _compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> _Condition | None:
        swapped = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
        if _version_kind(right) and not _version_kind(left):
            left, right = right, left
            op = swapped.get(type(op), type(op))()
        kind = _version_kind(left)
        if kind:
            bound = constant(right)
            if bound is None:
                return None

            def holds(minor: int) -> bool:
                # late in each minor's life: ``>= (3, 11, 2)`` holds for 3.11
                value: object = {"major": 3, "minor": minor, "tuple": (3, minor, 99), "pair": (3, minor),
                                 "hex": 0x0300FFFF | (minor << 16)}[kind]
                try:
                    return _apply(op, value, bound)
                except TypeError:
                    return False

            true = frozenset(m for m in self.every if holds(m))
            return true, self.every - true
        value = self.platform_values().get(dotted(left))
        if value is None:
            return None
        if isinstance(op, (ast.In, ast.NotIn)):
            options = _strings(right)
            if options is None:
                return None
            return self.constant((value in options) == isinstance(op, ast.In))
        other = constant(right)
        if not isinstance(other, str) or not isinstance(op, (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
            return None
        return self.constant((value == other) == isinstance(op, (ast.Eq, ast.Is)))


def _apply(op: ast.cmpop, left: object, right: object) -> bool:
    if isinstance(op, ast.GtE):
        return left >= right  # type: ignore[operator]
    if isinstance(op, ast.Gt):
        return left > right  # type: ignore[operator]
    if isinstance(op, ast.LtE):
        return left <= right  # type: ignore[operator]
    if isinstance(op, ast.Lt):
        return left < right  # type: ignore[operator]
    if isinstance(op, (ast.Eq, ast.Is)):
        return left == right
    if isinstance(op, (ast.NotEq, ast.IsNot)):
        return left != right
    raise TypeError(op)


def _version_kind(node: ast.expr) -> str | None:
    """``sys.version_info`` ("tuple"), ``[:2]`` ("pair"), ``[0]``/``.major``, ``[1]``/``.minor``."""
    name = dotted(node)
    if name in ("sys.version_info", "version_info"):  # also ``from sys import version_info``
        return "tuple"
    if name in ("sys.hexversion", "hexversion"):
        return "hex"
    if isinstance(node, ast.Attribute) and dotted(node.value) in ("sys.version_info", "version_info") and \
            node.attr in ("major", "minor"):
        return node.attr
    if isinstance(node, ast.Subscript) and dotted(node.value) in ("sys.version_info", "version_info"):
        index = node.slice
        if isinstance(index, ast.Constant) and index.value in (0, 1):
            return "major" if index.value == 0 else "minor"
        upper = constant(index.upper) if isinstance(index, ast.Slice) and index.lower is None else None
        if upper == 2:
            return "pair"
        if isinstance(upper, int) and upper >= 3:
            return "tuple"
    return None


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        return f"{dotted(node.func)}()"
    return ""


def constant(node: ast.expr | None) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        values = [constant(e) for e in node.elts]
        return tuple(values) if all(isinstance(v, int) for v in values) else None
    return None


def _strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return values if len(values) == len(node.elts) else None
    return None


class Guards:
    """Per file: the Python minors the project supports, the minors each line
    runs in (version/platform guards), and the regions where a failing import
    or a missing attribute is expected (``try``, undecidable guards)."""

    def __init__(self, src: PythonSource) -> None:
        self.src = src
        data = imports.stdlib_versions()
        self.every = data.every
        project = getattr(src, "project", None)
        lowest = getattr(project, "python", None)
        self.project_root: Path | None = getattr(project, "root", None)
        self.lowest = lowest[1] if lowest and lowest[0] == 3 else None
        if self.lowest is None:
            self.target = frozenset({RUNNING})  # unknown project: judge for this Python
        else:
            self.target = frozenset(range(self.lowest, max(data.newest, self.lowest) + 1))
        self.evaluator = _Evaluator(self.every)
        self._regions: list[tuple[int, int, frozenset[int]]] | None = None
        self._undecided: list[tuple[int, int]] = []
        self._import_guards: tuple[list[int], list[int]] | None = None
        self._attribute_guards: tuple[list[int], list[int]] | None = None

    @property
    def project_known(self) -> bool:
        return self.lowest is not None

    def runs_in(self, line: int) -> frozenset[int]:
        """The supported minors in which ``line`` runs on this platform."""
        if self._regions is None:
            self._regions = self._find_regions()
        minors = self.target
        for start, end, when in self._regions:
            if start <= line <= end:
                minors = minors & when
        return minors

    def judged_here(self, line: int) -> bool:
        """Third-party imports are judged against this environment only where
        the line runs in this Python, or in every supported one."""
        minors = self.runs_in(line)
        return bool(minors) and (RUNNING in minors or minors == self.target)

    def import_guarded(self, line: int) -> bool:
        if self._import_guards is None:
            self.runs_in(line)
            self._import_guards = normalise(self._undecided + _try_regions(
                self.src, {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}))
        return inside(self._import_guards, line)

    def attribute_guarded(self, line: int) -> bool:
        if self._attribute_guards is None:
            self.runs_in(line)
            intervals = _try_regions(self.src, {"AttributeError", "ImportError", "ModuleNotFoundError", "Exception",
                                                "BaseException", "NameError", "OSError"})
            for node in self.src.of_type(ast.IfExp):
                if _GUARD_WORDS.search(_test_text(self.src, node.test)):  # type: ignore[attr-defined]
                    intervals.append((node.lineno, node.end_lineno))  # type: ignore[attr-defined]
            self._attribute_guards = normalise(self._undecided + intervals)
        return inside(self._attribute_guards, line)

    def _find_regions(self) -> list[tuple[int, int, frozenset[int]]]:
        src, evaluate = self.src, self.evaluator.evaluate
        regions: list[tuple[int, int, frozenset[int]]] = []
        end_of_file = len(src.lines) + 1
        body = src.tree.body if src.tree else []
        for node in body:  # module-level flags: PY_3_14_PLUS = sys.version_info >= (3, 14)
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                condition = evaluate(node.value) if isinstance(node.value, (ast.Compare, ast.BoolOp,
                                                                              ast.UnaryOp, ast.Call)) else None
                for target in targets:
                    if isinstance(target, ast.Name) and condition is not None:
                        self.evaluator.flags[target.id] = condition
        for node in src.of_type(ast.If):
            condition = evaluate(node.test)  # type: ignore[attr-defined]
            if condition is None:
                if _GUARD_WORDS.search(_test_text(src, node.test)):  # type: ignore[attr-defined]
                    self._undecided.append((node.lineno, node.end_lineno))  # type: ignore[attr-defined]
                continue
            regions.append((node.lineno, node.body[-1].end_lineno, condition[0]))  # type: ignore[attr-defined]
            if node.orelse:  # type: ignore[attr-defined]
                regions.append((node.orelse[0].lineno, node.end_lineno, condition[1]))  # type: ignore[attr-defined]
        for node in body:
            if isinstance(node, ast.Assert):
                # ``assert sys.platform == "win32"``: the rest of the file is for that platform.
                condition = evaluate(node.test)
                if condition is not None:
                    regions.append(((node.end_lineno or node.lineno) + 1, end_of_file, condition[0]))
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark"
                                                      for t in node.targets):
                for mark in (node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]):
                    when = self._skip_condition(mark)
                    if when is not None:
                        regions.append((1, end_of_file, when))
        # ``if sys.version_info < (3, 9): raise ImportError(...)`` (or ``return``): the rest of
        # the module or function runs where the test is false.
        blocks: list[tuple[list[ast.stmt], int]] = [(body, end_of_file)]
        blocks += [(f.body, f.end_lineno) for f in src.of_type(*_FUNCTIONS)]  # type: ignore[attr-defined]
        for statements, block_end in blocks:
            for node in statements:
                if isinstance(node, ast.If) and not node.orelse and _exits(node.body):
                    after = (node.end_lineno or node.lineno) + 1
                    condition = evaluate(node.test)
                    if condition is not None:
                        regions.append((after, block_end, condition[1]))
                    elif statements is body and _GUARD_WORDS.search(_test_text(src, node.test)):
                        self._undecided.append((after - 1, block_end))
        for node in src.of_type(*_FUNCTIONS, ast.ClassDef):
            for decorator in node.decorator_list:  # type: ignore[attr-defined]
                when = self._skip_condition(decorator)
                if when is not None:
                    regions.append((node.lineno, node.end_lineno, when))  # type: ignore[attr-defined]
                elif dotted(getattr(decorator, "func", decorator)).rpartition(".")[2] in _SKIPS and \
                        _GUARD_WORDS.search(_test_text(src, decorator)):
                    # ``@skipUnless(HAVE_SOCKET_BLUETOOTH, ...)``: runs only where a feature exists.
                    self._undecided.append((node.lineno, node.end_lineno))  # type: ignore[attr-defined]
        self._undecided += _expected_failures(src)
        return regions

    def _skip_condition(self, decorator: ast.expr) -> frozenset[int] | None:
        """``pytest.mark.skipif(cond)`` / ``unittest.skipIf(cond)`` / ``skipUnless(cond)``:
        the minors in which the decorated test runs here."""
        if not isinstance(decorator, ast.Call) or not decorator.args:
            return None
        name = dotted(decorator.func).rpartition(".")[2]
        if name not in _SKIPS:
            return None
        test: ast.expr | None = decorator.args[0]
        if isinstance(test, ast.Constant) and isinstance(test.value, str):
            try:
                test = ast.parse(test.value, mode="eval").body
            except SyntaxError:
                return None
        condition = self.evaluator.evaluate(test)  # type: ignore[arg-type]
        if condition is None:
            return None
        return condition[0] if name == "skipUnless" else condition[1]


def _exits(body: list[ast.stmt]) -> bool:
    last = body[-1]
    if isinstance(last, (ast.Raise, ast.Return)):
        return True
    return isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and \
        dotted(last.value.func) in ("sys.exit", "exit", "pytest.skip", "os._exit")


def _try_regions(src: PythonSource, caught: set[str]) -> list[tuple[int, int]]:
    """``try`` bodies with a handler for one of ``caught``, and the bodies of
    ``except ImportError`` handlers (the fallback import is optional too)."""
    intervals: list[tuple[int, int]] = []
    for node in src.of_type(ast.Try, getattr(ast, "TryStar", ast.Try)):
        handlers = node.handlers  # type: ignore[attr-defined]
        if any(_catches(h, caught) for h in handlers):
            intervals.append((node.lineno, node.body[-1].end_lineno))  # type: ignore[attr-defined]
        for handler in handlers:
            if handler.type is not None and _catches(handler, {"ImportError", "ModuleNotFoundError"} & caught):
                intervals.append((handler.lineno, handler.end_lineno))
    return intervals


def _expected_failures(src: PythonSource) -> list[tuple[int, int]]:
    """Code meant to fail: ``with self.assertRaises(...)`` / ``pytest.raises``."""
    intervals = []
    for node in src.of_type(ast.With):
        if any(
            "raises" in _test_text(src, item.context_expr).lower()
            for item in node.items  # type: ignore[attr-defined]
        ):
            intervals.append((node.lineno, node.end_lineno))  # type: ignore[attr-defined]
    return intervals


def _test_text(src: PythonSource, test: ast.expr) -> str:
    """The source lines of an ``if`` test (``ast.unparse`` is far slower)."""
    end = test.end_lineno or test.lineno
    if end == test.lineno:
        return src.line(test.lineno - 1)
    return "\n".join(src.lines[test.lineno - 1:end])


def lazy_import_lines(src: PythonSource) -> tuple[list[int], list[int]]:
    """Function bodies and ``with`` blocks: an import there runs late, often
    after the code arranged for the module to exist (tests, plugins)."""
    intervals = [(n.lineno, n.end_lineno) for n in src.of_type(*_FUNCTIONS, ast.With)]  # type: ignore[attr-defined]
    return normalise(intervals)


def normalise(intervals: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [s for s, _ in merged], [e for _, e in merged]


def inside(regions: tuple[list[int], list[int]], line: int) -> bool:
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
