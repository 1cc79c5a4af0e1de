"""The arguments of the ``mycoder.*`` commands, as typed records.

A command's JSON argument is structured into its record with lsprotocol's
converter (ranges and positions are lsprotocol types), so a handler reads
fields, not dicts. What the converter rejects becomes one message that names
the field and what it should be (:class:`BadArguments`, a
:class:`~mycoder_lsp.errors.UserError`: shown to the user as is). The
converter is a copy of lsprotocol's with strict primitives: ``null`` is not
the string ``"None"`` and ``"no"`` is not ``true``.

Plain records and conversion: no pygls, no I/O. The names and shapes of the
arguments are the editors' contract (editors/, tests/e2e).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn
from lsprotocol import types
from lsprotocol.converters import get_converter

from mycoder_lsp.errors import UserError

T = TypeVar("T")
# How much of a refused value a message repeats.
SHOWN_VALUE = 80


class BadArguments(UserError):
    """A command's arguments (or what they point at) cannot be used; the message says why."""


def _strict(kind: type, what: str) -> Callable[[Any, type], Any]:
    def structure(value: Any, _: type) -> Any:
        # bool is an int in Python, not in JSON.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"must be {what}")
        return value

    return structure


def _strings(value: Any, _: Any) -> list[str]:
    """A list of strings, never a string taken apart into its letters."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("must be a list of strings")
    return list(value)


def _code(value: Any, _: Any) -> int | str | None:
    """A diagnostic's code: a number, a string, or none (LSP's ``integer | string``)."""
    if value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError("must be a number or a string")


@functools.cache
def converter() -> cattrs.Converter:
    """The arguments' converter, made on first use (it costs ~10 ms: not at the server's start)."""
    # A converter of our own: hooks registered on a copy of lsprotocol's do not
    # reach the attrs classes it structures (its factories hold the original).
    # LSP types (ranges, positions) are still structured by lsprotocol's.
    lsp = get_converter()
    converter = cattrs.Converter()
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(int, _strict(int, "a whole number"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(int | str | None, _code)
    converter.register_structure_hook_func(lambda t: t == list[str], _strings)
    for lsp_type in (types.Range, types.Position):
        converter.register_structure_hook(lsp_type, lsp.structure)
        converter.register_unstructure_hook(lsp_type, lsp.unstructure)
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True))
    return converter




@dataclass(frozen=True)
class Problem:
    """One field the converter refused: where (``range.start.line``), what it should be."""

    path: str
    said: str
    value: Any = None
    has_value: bool = False

    def __str__(self) -> str:
        where = self.path or "the argument"
        shown = repr(self.value)
        # A message, not an echo: an argument can be megabytes.
        shown = shown if len(shown) <= SHOWN_VALUE else shown[:SHOWN_VALUE - 1] + "…"
        got = f", got {shown}" if self.has_value else ""
        return f"{where} {self.said}{got}"


def _said(exc: BaseException, kind: Any) -> str:
    if isinstance(exc, KeyError):
        return "is missing"
    if isinstance(exc, TypeError) and str(exc).startswith("must be "):
        return str(exc)
    if isinstance(kind, type) and attrs.has(kind):
        return "must be an object"
    if getattr(kind, "__origin__", None) is list:
        return "must be a list"
    return "is not valid"


def _lookup(raw: Any, path: str) -> tuple[bool, Any]:
    """The raw value at ``path`` (``a.b[2].c``), if there is one."""
    value = raw
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            index = part[1:-1]
            if not isinstance(value, list) or not index.isdigit() or int(index) >= len(value):
                return False, None
            value = value[int(index)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return False, None
    return True, value


def problems(exc: Exception, raw: Any) -> list[Problem]:
    """What the converter refused in ``raw``, one :class:`Problem` per field."""
    if not isinstance(exc, cattrs.BaseValidationError):
        said = str(exc) if isinstance(exc, TypeError) and str(exc).startswith("must be ") else "is not valid"
        return [Problem("", said, raw, True)]
    found = []
    for line in cattrs.transform_error(exc, path="", format_exception=_said):
        said, _, path = line.rpartition(" @ ")
        path = path.lstrip(".")
        has_value, value = _lookup(raw, path) if path else (True, raw)
        found.append(Problem(path, said, value, has_value and said != "is missing"))
    return found


def structure(raw: Any, cls: type[T]) -> T:
    """The JSON object ``raw`` as the record ``cls``; :class:`BadArguments`
    saying which fields are wrong if it is not one."""
    try:
        if not isinstance(raw, dict):
            # cattrs would read a record out of a list, or fail on it with a KeyError.
            raise TypeError("must be an object")
        return converter().structure(raw, cls)
    except cattrs.StructureHandlerNotFoundError:
        raise  # a record this module got wrong, not the user's argument
    except Exception as exc:  # noqa: BLE001 - whatever the converter raised, the user gets one message
        raise BadArguments("; ".join(str(p) for p in problems(exc, raw))) from None


def to_json(record: Any) -> Any:
    """A record as JSON, without the fields left at their defaults."""
    return converter().unstructure(record)


def first(args: tuple[Any, ...]) -> Any:
    """A command's one argument (commands take ``[argument]``); None when there is none."""
    return args[0] if args else None


# -- the brain commands: mycoder.explain, review, modify, fix, ask --------------


@attrs.define
class DiagnosticArgument:
    """A diagnostic a fix is asked for, as the code action passes it on."""

    range: types.Range
    message: str | None = None
    code: int | str | None = None
    source: str | None = None
    severity: int | None = None

    @classmethod
    def of(cls, diagnostic: types.Diagnostic) -> DiagnosticArgument:
        return cls(range=diagnostic.range, message=diagnostic.message, code=diagnostic.code,
                   source=diagnostic.source, severity=int(diagnostic.severity) if diagnostic.severity else None)


@attrs.define
class TargetArguments:
    """``{"uri", "range" or "position", "symbol"?, "instruction"?, "diagnostics"?, "verify"?, "show"?}``."""

    uri: str
    # What to act on, in the client's units: a selection, or the cursor (and the symbol there).
    range: types.Range | None = None
    position: types.Position | None = None
    symbol: str | None = None
    instruction: str | None = None
    diagnostics: list[DiagnosticArgument] = attrs.Factory(list)
    # None: the settings decide whether an edit is checked.
    verify: bool | None = None
    # An editor that shows the answer itself (a Neovim scratch window) passes
    # false so it does not appear twice.
    show: bool = True

    @classmethod
    def usage(cls, command: str) -> str:
        return f"{command} needs one argument {{\"uri\": ..., \"range\" or \"position\", \"instruction\"}}."

    @classmethod
    def of(cls, command: str, args: tuple[Any, ...]) -> TargetArguments:
        raw = first(args)
        try:
            return structure(raw, cls)
        except BadArguments as exc:
            if not isinstance(raw, dict) or not isinstance(raw.get("uri"), str):
                raise BadArguments(cls.usage(command)) from None
            raise BadArguments(f"{command}: {exc}.") from None


# -- proposals: mycoder.acceptEdit, mycoder.rejectEdit --------------------------


@attrs.define
class ProposalArguments:
    """``[id]`` or ``[{"id": id}]``; no id: the newest proposal."""

    id: str | None = None

    @classmethod
    def of(cls, command: str, args: tuple[Any, ...]) -> ProposalArguments:
        raw = first(args)
        try:
            return structure({"id": raw} if raw is None or isinstance(raw, str) else raw, cls)
        except BadArguments:
            raise BadArguments(f"{command} takes the id of a proposed edit, e.g. [\"edit-1a2b3c4d5e6f\"].") from None


# -- the vault commands ---------------------------------------------------------


def vault_arguments(command: str, args: tuple[Any, ...], cls: type[T]) -> T:
    """A vault command's one object argument (none: every field's default)."""
    raw = first(args)
    if raw is None and not args:
        raw = {}
    if not isinstance(raw, dict):
        raise BadArguments(f"{command} takes one object argument, e.g. [{{\"query\": \"...\"}}]; got {raw!r}.")
    try:
        return structure(raw, cls)
    except BadArguments as exc:
        raise BadArguments(f"{command}: {exc}.") from None


# What one search may filter by: a glob is matched against every candidate's path.
MAX_GLOBS = 32
MAX_GLOB_LENGTH = 500


@attrs.define
class SearchArguments:
    query: str = ""
    k: int = 10
    # Globs over workspace-relative paths, as ``search --include/--exclude``.
    include: list[str] = attrs.Factory(list)
    exclude: list[str] = attrs.Factory(list)

    def check(self) -> None:
        if not self.query.strip():
            raise BadArguments("mycoder.search needs a query: [{\"query\": \"where are settings loaded\"}].")
        if not 0 < self.k <= 200:
            raise BadArguments(f"mycoder.search: k must be a whole number from 1 to 200, got {self.k!r}.")
        globs = [*self.include, *self.exclude]
        if len(globs) > MAX_GLOBS or any(not g.strip() or len(g) > MAX_GLOB_LENGTH for g in globs):
            raise BadArguments(f"mycoder.search: include and exclude take at most {MAX_GLOBS} globs in all, each "
                               f"1 to {MAX_GLOB_LENGTH} characters, e.g. {{\"exclude\": [\"tests\", \"*.md\"]}}.")


@attrs.define
class PatternsArguments:
    # A symbol's patterns; none: the whole learning log.
    symbol: str | None = None
    k: int = 100

    def check(self) -> None:
        if self.k <= 0:
            raise BadArguments(f"mycoder.patterns: k must be a positive whole number, got {self.k!r}.")


@attrs.define
class FeatureCreateArguments:
    title: str = ""


@attrs.define
class FeatureIdArguments:
    id: str = ""


__all__ = [
    "BadArguments", "DiagnosticArgument", "FeatureCreateArguments", "FeatureIdArguments",
    "PatternsArguments", "Problem", "ProposalArguments", "SearchArguments", "TargetArguments", "converter", "first",
    "problems", "structure", "to_json", "vault_arguments",
]
