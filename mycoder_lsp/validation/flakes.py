"""pyflakes on a new version of a module, reusing what it found in the
parts that did not change.

pyflakes reads a module in two passes: the module level first, statement
by statement (imports, class bodies, signatures, decorators), then each
function body, deferred until the module's names are all bound. An edit
usually changes one function. :class:`FlakesMemo` keeps what the last
version's check found, per part:

- per top-level class or function statement whose text is unchanged: what
  reading it at the module level reported and which module names it used,
  and the same for its deferred parts (bodies, annotations, lambdas); it is
  replayed when the module-level names it looked up (decorators, bases,
  defaults) are bound as they were then, since the module level is read in
  order;
- per function body (a method of a changed class, say): its messages and
  the module names it used, replayed instead of reading it again.

Messages are shifted to their new lines. The result must be the one a full
run gives; replaying is only done when nothing a part could depend on or
affect has changed:

- the module's final names, with each binding's kind and import target (a
  function body resolves its free names there; class bodies it cannot see).
  A statement is replayed before they are known: when they turn out
  changed, the check is redone without replaying statements;
- ``from __future__ import annotations`` and the file name;
- no ``global`` or ``nonlocal`` statement in the module (pyflakes binds
  both in the module's names from inside a function, and deletes messages
  already reported; a module with one is checked whole), no wildcard
  import (pyflakes marks those used by another path), no doctests checked;
- the part binds no name that an enclosing scope imports (pyflakes records
  that on the import, to report later), and none of its messages quotes
  another line (a redefinition's or an earlier use's line number).

Functions nested in another function, lambdas, and functions with type
parameters are read with their enclosing part or at the module level, as
pyflakes reads them. pyflakes is imported on first use (not at start-up).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import functools
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Messages that quote another line: replaying them could quote a stale one.
_QUOTES_A_LINE = frozenset({"RedefinedWhileUnused", "ImportShadowedByLoopVar", "UndefinedLocal"})
log = logging.getLogger(__name__)
_warned: list[bool] = []  # the fallback to whole checks was logged

# What a replayed use leaves in a binding's ``used``: truthy, and never the
# scope pyflakes compares it with.
_REPLAYED = (object(), None)


@dataclass(frozen=True)
class _Entry:
    """One function body's part of a check."""

    lineno: int
    messages: tuple[Any, ...]
    marks: frozenset[str]


@dataclass(frozen=True)
class _StatementEntry:
    """One top-level class or function statement's part of a check: what
    reading it at the module level found, what its deferred parts (bodies,
    annotations, lambdas) found later, and its functions' own entries."""

    lineno: int
    lookups: tuple[tuple[str, object], ...]  # module names it looked up, and what each was then
    bound: frozenset[str]  # names it bound in its own scopes
    marks: frozenset[str]
    messages: tuple[Any, ...]
    later_marks: frozenset[str]
    later_messages: tuple[Any, ...]
    members: tuple[tuple[tuple[str, int, tuple[str, ...]], _Entry], ...]


@dataclass(frozen=True)
class _State:
    signature: object
    entries: dict[tuple[str, int, tuple[str, ...]], _Entry]
    statements: dict[tuple[str, bool], _StatementEntry] = field(default_factory=dict)


class _Redo(Exception):
    """Statements were replayed, and the module's final names then differed
    from the last version's: check again without replaying statements."""


@dataclass
class FlakeStats:
    """How the checks with one memo went (for tests and the benchmark)."""

    runs: int = 0
    replayed: int = 0  # function bodies not read again
    read: int = 0  # function bodies read
    statements: int = 0  # top-level class and function statements not read again


class FlakesMemo:
    """The functions of one document's last checked version. Thread-safe:
    a state is never changed once stored, each check stores a new one."""

    def __init__(self) -> None:
        self._state: _State | None = None
        self._lock = threading.Lock()
        self.stats = FlakeStats()

    def _get(self) -> _State | None:
        with self._lock:
            return self._state

    def _put(self, state: _State | None) -> None:
        with self._lock:
            self._state = state


def check(tree: ast.Module, filename: str, lines: list[str], memo: FlakesMemo | None = None) -> list[Any]:
    """pyflakes' messages for ``tree`` (whose source lines are ``lines``),
    reusing and then updating ``memo``."""
    from pyflakes import checker

    doctests = "PYFLAKES_DOCTEST" in os.environ  # pyflakes' own default
    if memo is None or doctests:
        return _messages(checker.Checker(tree, filename=filename, withDoctest=doctests))
    try:
        try:
            run = _checker_class()(tree, filename, lines, memo._get())
        except _Redo:
            run = _checker_class()(tree, filename, lines, memo._get(), statements=False)
    except (RecursionError, ValueError):
        raise  # pyflakes' own failures on this tree: the caller reports them
    except Exception:  # noqa: BLE001 - a pyflakes whose internals moved: check whole, as it would
        if not _warned:
            _warned.append(True)
            log.warning("pyflakes %s: checking whole modules (the memo of unchanged functions does not fit it)",
                        getattr(sys.modules.get("pyflakes"), "__version__", "?"), exc_info=True)
        memo._put(None)
        return _messages(checker.Checker(tree, filename=filename, withDoctest=False))
    memo.stats.runs += 1
    memo.stats.replayed += run.replayed - run.replayed_statements
    memo.stats.read += len(run.units) - (run.replayed - run.replayed_statements)
    memo.stats.statements += run.replayed_statements
    memo._put(run.state())
    messages = run.messages
    saw_global, replayed = run.saw_global, run.replayed
    _dismantle(run)
    if saw_global and replayed:
        # This version added a `global` to a function: what was replayed
        # may be wrong. (A run that replays nothing is pyflakes' own.)
        return _messages(checker.Checker(tree, filename=filename, withDoctest=False))
    return messages


def _messages(run: Any) -> list[Any]:
    messages: list[Any] = run.messages
    _dismantle(run)
    return messages


def _dismantle(run: Any) -> None:
    """Break a finished checker's reference cycles (its handler table holds
    bound methods of itself; each binding used in a scope holds that scope),
    so reference counting frees it now instead of the cyclic collector
    tracing all of it later: that was ~3 ms of each check of a 2,000-line
    module."""
    for scope in run.deadScopes:
        scope.clear()
    run.__dict__.clear()


@dataclass(eq=False)
class _Unit:
    """A function body read in this check, with what it nests."""

    key: tuple[str, int, tuple[str, ...]]
    lineno: int
    messages: list[Any] = field(default_factory=list)
    marks: set[str] = field(default_factory=set)
    cacheable: bool = True


_NO_KEY: tuple[str, int, tuple[str, ...]] = ("", 0, ())


@dataclass(eq=False)
class _Statement:
    """A top-level class or function statement read in this check."""

    key: tuple[str, bool]
    lineno: int  # its first line, decorators included
    traversal: _Unit = field(default_factory=lambda: _Unit(_NO_KEY, 0))  # what reading it found
    later: _Unit = field(default_factory=lambda: _Unit(_NO_KEY, 0))  # its deferred annotations and lambdas
    members: list[_Unit] = field(default_factory=list)  # its function bodies
    lookups: dict[str, object] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)
    replayed: _StatementEntry | None = None


def _outcome(binding: Any) -> object:
    """What a module-level lookup found, as far as pyflakes' reading of a
    statement can tell (None: nothing bound)."""
    if binding is None:
        return None
    return type(binding).__name__, getattr(binding, "fullName", None), getattr(binding, "is_lazy", None)


def _shifted(messages: tuple[Any, ...], delta: int) -> tuple[Any, ...]:
    if not delta:
        return messages
    moved = []
    for message in messages:
        message = copy.copy(message)
        message.lineno += delta
        moved.append(message)
    return tuple(moved)


@functools.cache
def _checker_class() -> type:
    from pyflakes import checker as pf

    class RecordingModuleScope(pf.ModuleScope):  # type: ignore[misc,name-defined]
        """The module scope, noting each name a function body or a top-level
        statement looks up: ``window`` maps it to (its binding's ``used``
        before the lookup, the binding), or (None, None) when unbound."""

        window: dict[str, tuple[Any, Any]] | None = None

        def __getitem__(self, key: str) -> Any:
            window = self.window
            if window is None:  # most lookups: the module level outside any statement read
                return dict.__getitem__(self, key)
            try:
                binding: Any = dict.__getitem__(self, key)
            except KeyError:
                if key not in window:
                    window[key] = (None, None)
                raise
            if key not in window:
                window[key] = (binding.used, binding)
            return binding

    unit_scopes = (RecordingModuleScope, pf.ClassScope)

    class MemoChecker(pf.Checker):  # type: ignore[misc,name-defined]
        def __init__(self, tree: ast.Module, filename: str, lines: list[str], previous: _State | None,
                     statements: bool = True) -> None:
            self._lines = lines
            self._previous = previous
            self._replay_statements = statements and previous is not None
            self._unit: _Unit | None = None
            self._statement: _Statement | None = None  # the top-level statement being read
            self.statements: list[_Statement] = []
            self.replayed_statements = 0
            self.deadScopes: list[Any] = []
            self._signature: object = None
            self._replay = False
            self.units: list[_Unit] = []
            self.replayed = 0
            self.saw_global = False
            super().__init__(tree, filename=filename, withDoctest=False)

        @contextlib.contextmanager
        def in_scope(self, cls: type) -> Iterator[None]:  # pyflakes' own, plus the recording scope and the unit
            scope = (RecordingModuleScope if not self.scopeStack else cls)()
            scope._mycoder_unit = self._owner()
            self.scopeStack.append(scope)
            try:
                yield
            finally:
                self.deadScopes.append(self.scopeStack.pop())

        def report(self, messageClass: type, *args: Any, **kwargs: Any) -> None:
            message = messageClass(self.filename, *args, **kwargs)
            self.messages.append(message)
            owner = self._owner()
            if owner is not None:
                owner.messages.append(message)

        def _owner(self) -> _Unit | None:
            """The unit what happens now belongs to: the function body being
            read, else the top-level statement being read."""
            if self._unit is not None:
                return self._unit
            return self._statement.traversal if self._statement is not None else None

        def deferFunction(self, callable: Callable[[], None]) -> None:
            unit = self._unit
            root = False
            if unit is None:
                node = _function_of(callable)
                if node is not None and all(type(s) in unit_scopes for s in self.scopeStack):
                    end = node.end_lineno or node.lineno
                    text = "\n".join(self._lines[node.lineno - 1:end])
                    shape = tuple(type(s).__name__ for s in self.scopeStack)
                    unit = _Unit((text, node.col_offset, shape), node.lineno)
                    self.units.append(unit)
                    root = True
                    if self._statement is not None:
                        self._statement.members.append(unit)
                elif self._statement is not None:
                    unit = self._statement.later  # an annotation or a lambda of the statement being read
            if unit is not None:
                callable = functools.partial(self._run_unit, callable, unit, root)
            super().deferFunction(callable)

        def _run_unit(self, callable: Callable[[], None], unit: _Unit, root: bool) -> None:
            scope = self.scopeStack[0]
            if root and self._may_replay(scope):
                entry = self._previous.entries.get(unit.key)  # type: ignore[union-attr]
                if entry is not None:
                    self._replay_entry(scope, unit, entry)
                    return
            outer, self._unit = self._unit, unit
            window: dict[str, Any] = {}
            scope.window = window
            try:
                callable()
            finally:
                scope.window = None
                self._unit = outer
            unit.marks.update(_used_in(window))

        def _may_replay(self, scope: Any) -> bool:
            if self._signature is None:  # the module level is done: its names are final now
                self._signature = _signature(scope, self)
                self._replay = (self._previous is not None and self._signature is not False
                                and self._previous.signature == self._signature)
            return self._replay

        def _replay_entry(self, scope: Any, unit: _Unit, entry: _Entry) -> None:
            self._replay_part(scope, entry.marks, entry.messages, unit.lineno - entry.lineno, unit)
            unit.marks = set(entry.marks)
            self.replayed += 1

        def _replay_part(self, scope: Any, marks: frozenset[str], messages: tuple[Any, ...], delta: int,
                    unit: _Unit) -> None:
            """What reading a part found last time: ``marks`` used, ``messages``
            (moved by ``delta`` lines) reported, as ``unit``'s."""
            for name in marks:
                binding = dict.get(scope, name)
                if binding is not None:
                    binding.used = _REPLAYED
            moved = _shifted(messages, delta)
            self.messages.extend(moved)
            unit.messages.extend(moved)

        def CLASSDEF(self, node: ast.ClassDef) -> None:
            self._top_level(node, super().CLASSDEF, pf.ClassDefinition)

        def FUNCTIONDEF(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
            self._top_level(node, super().FUNCTIONDEF, pf.FunctionDefinition)

        ASYNCFUNCTIONDEF = FUNCTIONDEF  # as pyflakes reads it

        def _top_level(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef,
                       read: Callable[[Any], None], definition: type) -> None:
            """Read a class or function statement of the module level, or
            replay what reading it found last time."""
            if self._statement is not None or self._unit is not None or len(self.scopeStack) != 1:
                read(node)
                return
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            end = node.end_lineno or node.lineno
            text = type(node).__name__ + "\n" + "\n".join(self._lines[first - 1:end])
            statement = _Statement((text, bool(self.annotationsFutureEnabled)), first)
            self.statements.append(statement)
            scope = self.scopeStack[0]
            entry = self._previous.statements.get(statement.key) if self._replay_statements else None  # type: ignore[union-attr]
            if entry is not None and self._fits(scope, entry):
                self._replay_statement(node, scope, statement, entry, definition)
                return
            window: dict[str, tuple[Any, Any]] = {}
            self._statement, scope.window = statement, window
            try:
                read(node)
            finally:
                self._statement, scope.window = None, None
            statement.lookups = {name: _outcome(binding) for name, (_, binding) in window.items()}
            statement.traversal.marks.update(_used_in(window))

        def _fits(self, scope: Any, entry: _StatementEntry) -> bool:
            """Would reading the statement now find what it found then? The
            module level is read in order: what it sees is what is bound so far."""
            if scope.importStarred:
                return False
            for name, outcome in entry.lookups:
                if _outcome(dict.get(scope, name)) != outcome:
                    return False
            return not any(isinstance(dict.get(scope, name), pf.Importation) for name in entry.bound)

        def _replay_statement(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef, scope: Any,
                              statement: _Statement, entry: _StatementEntry, definition: type) -> None:
            delta = statement.lineno - entry.lineno
            self._replay_part(scope, entry.marks, entry.messages, delta, statement.traversal)
            statement.replayed = entry
            self.replayed += 1
            self.replayed_statements += 1
            # Its bodies and annotations, at the time pyflakes reads them.
            super().deferFunction(functools.partial(self._replay_later, statement, entry, delta))
            self.addBinding(node, definition(node.name, node))

        def _replay_later(self, statement: _Statement, entry: _StatementEntry, delta: int) -> None:
            scope = self.scopeStack[0]
            if not self._may_replay(scope):
                raise _Redo  # its bodies read the module's final names, and those changed
            self._replay_part(scope, entry.later_marks, entry.later_messages, delta, statement.later)

        # pyflakes builds this wrapper (functools.wraps) again for every
        # annotation it defers; one serves them all.
        _handle_annotation = staticmethod(pf.in_annotation(pf.Checker.handleNode))

        def handle_annotation_always_deferred(self, annotation: ast.AST, parent: ast.AST) -> None:
            handle = self._handle_annotation
            self.deferFunction(lambda: handle(self, annotation, parent))

        def GLOBAL(self, node: ast.Global | ast.Nonlocal) -> None:
            self.saw_global = True
            super().GLOBAL(node)

        NONLOCAL = GLOBAL  # as pyflakes reads it

        def addBinding(self, node: ast.AST, value: Any) -> None:
            unit = self._owner()
            if unit is not None and value.name not in self.scope:
                if self._unit is None and self.scope is not self.scopeStack[0]:
                    self._statement.bound.add(value.name)  # type: ignore[union-attr]
                for scope in reversed(self.scopeStack) if unit.cacheable else ():
                    if value.name in scope:
                        if (scope._mycoder_unit is not unit
                                and isinstance(dict.get(scope, value.name), pf.Importation)):
                            unit.cacheable = False  # pyflakes notes the shadowing on that import
                        break
            super().addBinding(node, value)

        def checkDeadScopes(self) -> None:
            dead = self.deadScopes
            try:
                for scope in dead:  # one at a time, so each message is its unit's
                    self._unit = scope._mycoder_unit
                    self.deadScopes = [scope]
                    super().checkDeadScopes()
            finally:
                self._unit = None
                self.deadScopes = dead

        def state(self) -> _State | None:
            if self._signature is None:
                self._signature = _signature(self.scopeStack[0] if self.scopeStack else self.deadScopes[-1], self)
            if self._signature is False or self.saw_global:
                return None
            entries = {}
            for unit in self.units:
                if _cacheable(unit):
                    entries[unit.key] = _Entry(unit.lineno, tuple(unit.messages), frozenset(unit.marks))
            statements = {}
            for statement in self.statements:
                if statement.replayed is not None:
                    statements[statement.key] = entry = _moved(statement.replayed, statement.lineno)
                    for key, member in entry.members:
                        entries.setdefault(key, member)
                elif all(_cacheable(part) for part in (statement.traversal, statement.later, *statement.members)):
                    later = [statement.later, *statement.members]
                    statements[statement.key] = _StatementEntry(
                        statement.lineno, tuple(statement.lookups.items()), frozenset(statement.bound),
                        frozenset(statement.traversal.marks), tuple(statement.traversal.messages),
                        frozenset().union(*(part.marks for part in later)),
                        tuple(m for part in later for m in part.messages),
                        tuple((u.key, _Entry(u.lineno, tuple(u.messages), frozenset(u.marks)))
                              for u in statement.members))
            return _State(self._signature, entries, statements)

    return MemoChecker


def _used_in(window: dict[str, tuple[Any, Any]]) -> list[str]:
    """The module names a recording window saw marked used (their ``used`` changed)."""
    return [name for name, (before, binding) in window.items() if binding is not None and binding.used is not before]


def _cacheable(unit: _Unit) -> bool:
    return unit.cacheable and not any(type(m).__name__ in _QUOTES_A_LINE for m in unit.messages)


def _moved(entry: _StatementEntry, lineno: int) -> _StatementEntry:
    """``entry`` for the statement now starting at ``lineno``."""
    delta = lineno - entry.lineno
    if not delta:
        return entry
    members = tuple((key, _Entry(member.lineno + delta, _shifted(member.messages, delta), member.marks))
                    for key, member in entry.members)
    return dataclasses.replace(entry, lineno=lineno, messages=_shifted(entry.messages, delta),
                               later_messages=_shifted(entry.later_messages, delta), members=members)


def _function_of(callable: Callable[[], None]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function whose body ``callable`` (pyflakes' deferred ``runFunction``) reads."""
    if getattr(callable, "__name__", None) != "runFunction" or not callable.__closure__:
        return None
    names = callable.__code__.co_freevars
    node = dict(zip(names, (cell.cell_contents for cell in callable.__closure__))).get("node")
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _signature(scope: Any, run: Any) -> object:
    """What every function body of the module may depend on, or False where
    nothing may be replayed (a wildcard import)."""
    if scope.importStarred:
        return False
    names = frozenset((name, type(binding).__name__, getattr(binding, "fullName", None))
                      for name, binding in dict.items(scope))
    return (names, bool(scope._annotations_future_enabled), run.filename)
