"""What the completion model sees: the code around the cursor, sized by
tokens, and definitions from other workspace files.

:func:`window_around` cuts the prefix and suffix to a token budget at line
boundaries, keeps the cursor's enclosing definition whole when it fits, and
moves the prefix's first line in steps of :data:`STEP_LINES` so that the
prompt stays the same between keystrokes (the model server's cache reuses
it). :class:`CrossFileSnippets` finds the names used near the cursor that
the file imports from other workspace files and returns their definitions
(CrossCodeEval: this is the context that helps most). Python imports only
for now; other languages get the in-file window.

Reads workspace files through :func:`mycoder_lsp.code.workspace.read_source`
(no links, no FIFOs, size-capped); CPU work, to be run in a thread. No
pygls, no model calls.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mycoder_lsp.brains.backends import CHARS_PER_TOKEN
from mycoder_lsp.code.symbols import Symbol, document_symbols, find_symbol
from mycoder_lsp.code.workspace import read_source
from mycoder_lsp.text import line_starts
from mycoder_lsp.validation import imports

# The prefix starts on a multiple of this many lines, so it does not move
# with every keystroke (and with it, the server's cached prompt).
STEP_LINES = 32
# Shares of the prompt budget: prefix, suffix; the rest is for other files.
# A keystroke makes the server evaluate again everything after the cursor
# (the suffix comes after the prefix in the FIM prompt), so the suffix is
# what a warm request costs: 0.05 of 1024 tokens took the 1.5B's warm p50
# from 2.65 to 2.27 s (dev) and 2.18 to 1.50 s (held-out) on two cores, exact
# match unchanged (bench/RESULTS.md, "Inline completion", round 6).
PREFIX_SHARE = 0.6
SUFFIX_SHARE = 0.05
# Names used this many lines around the cursor ask for their definitions.
NEAR_BEFORE = 30
NEAR_AFTER = 5
# A function longer than this is shown as its outline (signature, docstring);
# a class always is (its attributes and method signatures).
WHOLE_DEFINITION_LINES = 30
# An import statement longer than this many lines is read no further.
MAX_IMPORT_LINES = 200
# Outline lines (assignments) are cut to this many characters.
OUTLINE_LINE_CHARS = 100
# At most this many definitions are looked up (a file may import hundreds).
MAX_SNIPPETS = 64
# Workspace files larger than this are not read for snippets.
MAX_FILE_BYTES = 512 * 1024

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FROM_IMPORT = re.compile(r"^\s*from\s+(\.*)([\w.]*)\s+import\s+\(?([^)#]*)")
_IMPORT = re.compile(r"^\s*import\s+([^#]+)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*\s*(?::[^=]+)?=[^=]|^[A-Za-z_]\w*\s*:\s*[^=]+$")
_CLASS = re.compile(r"^\s*class\s+\w+\s*(?:\[[^\]]*\])?\s*(?:\(([^)]*)\))?")


@dataclass(frozen=True)
class Window:
    """The prompt's part of the document: ``prefix`` ends at the cursor,
    ``suffix`` starts there; ``first_line`` is the prefix's first line."""

    prefix: str
    suffix: str
    first_line: int


def offset_of(text: str, line: int, character: int) -> int:
    """The offset of (line, code-point column), clamped to the document."""
    starts = line_starts(text)
    if line >= len(starts):
        return len(text)
    start = starts[max(line, 0)]
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    body = text[start:end].rstrip("\r\n")
    return start + min(max(character, 0), len(body))


def window_around(text: str, line: int, offset: int, budget_tokens: int,
                  scope: Symbol | None = None, suffix_share: float = SUFFIX_SHARE) -> Window:
    """The prefix and suffix around ``offset`` (on ``line``) within
    ``budget_tokens`` (estimated, PREFIX_SHARE and ``suffix_share`` of it),
    whole lines, the enclosing ``scope`` kept whole when it fits."""
    starts = line_starts(text)
    prefix_chars = int(budget_tokens * PREFIX_SHARE) * CHARS_PER_TOKEN
    suffix_chars = int(budget_tokens * suffix_share) * CHARS_PER_TOKEN
    # The furthest-back line whose start still fits the prefix budget.
    first = line
    while first > 0 and offset - starts[first - 1] <= prefix_chars:
        first -= 1
    if first > 0:
        # Round up to a step so the start stays put while the user types;
        # but never cut into the scope that fits whole.
        stepped = min(-(-first // STEP_LINES) * STEP_LINES, line)
        first = min(stepped, scope.start_line) if scope is not None and scope.start_line >= first else stepped
    unused = prefix_chars - (offset - starts[first])
    # The suffix: whole lines within its budget, or to the scope's end when
    # that fits with what the prefix left over.
    def line_end(index: int) -> int:
        return starts[index + 1] if index + 1 < len(starts) else len(text)

    last = line
    while last + 1 < len(starts) and line_end(last + 1) - offset <= suffix_chars:
        last += 1
    if scope is not None and last < scope.end_line < len(starts) \
            and line_end(scope.end_line) - offset <= suffix_chars + max(unused, 0):
        last = scope.end_line
    end = line_end(last)
    if end < offset:
        end = offset
    return Window(text[starts[first]:offset], text[offset:end], first)


def enclosing_scope(text: str, language: str | None, line: int) -> Symbol | None:
    """The outermost definition around ``line`` (a method's class when it
    fits, the function otherwise: window_around keeps what fits)."""
    symbols = [s for s in document_symbols(text, language) if s.start_line <= line <= s.end_line]
    return min(symbols, key=lambda s: s.start_line) if symbols else None


@dataclass(frozen=True)
class _Import:
    module: str  # absolute or relative ("..pkg.mod")
    name: str | None  # the imported name (None: ``import module``)
    bound: str  # the name it is bound to in this file
    line: int = 0  # 0-based first and last line of its statement
    end_line: int = 0


def _statements(lines: list[str]) -> list[tuple[int, int, str]]:
    """Import statements as ``(first line, last line, joined text)``: a
    parenthesised or backslash-continued import spans lines (most packages
    write their long imports so). In a half-typed file an import left open
    ends at the first line that is not part of it (a new statement at the
    margin), or at the end of the file."""
    out: list[tuple[int, int, str]] = []
    index = 0
    while index < len(lines):
        raw = lines[index]
        if not (_FROM_IMPORT.match(raw) or _IMPORT.match(raw)):
            index += 1
            continue
        first, joined = index, raw.split("#", 1)[0]
        opened = _FROM_IMPORT.match(raw) is not None and "(" in joined and ")" not in joined
        while (opened or joined.rstrip().endswith("\\")) and index + 1 < len(lines) \
                and index + 1 - first < MAX_IMPORT_LINES:
            nxt = lines[index + 1]
            if opened and nxt[:1].strip() and nxt.strip() != ")":
                break  # something at the margin: the import was left open
            index += 1
            joined = joined.rstrip().rstrip("\\") + " " + nxt.split("#", 1)[0].strip()
            if ")" in nxt:
                opened = False
        out.append((first, index, joined.replace(")", " ")))
        index += 1
    return out


def imported_names(text: str) -> list[_Import]:
    """The file's imports, read line by line (a half-typed file still has
    them), multi-line parenthesised ones included."""
    found: list[_Import] = []
    for first, last, raw in _statements(text.split("\n")):
        m = _FROM_IMPORT.match(raw)
        if m:
            module = m.group(1) + m.group(2)
            for part in m.group(3).split(","):
                words = part.split()
                if not words or words[0] == "*":
                    continue
                bound = words[2] if len(words) == 3 and words[1] == "as" else words[0]
                if _IDENT.fullmatch(words[0]) and _IDENT.fullmatch(bound):
                    found.append(_Import(module, words[0], bound, first, last))
            continue
        m = _IMPORT.match(raw)
        if m:
            for part in m.group(1).split(","):
                words = part.split()
                if not words:
                    continue
                bound = words[2] if len(words) == 3 and words[1] == "as" else words[0].split(".")[0]
                found.append(_Import(words[0], None, bound, first, last))
    return found


@dataclass(frozen=True)
class _Wanted:
    """One definition (or a module's outline, ``name`` empty) to show, and
    how much it is wanted: lower ``rank`` first."""

    file: Path
    name: str
    rank: tuple[int, int]


class CrossFileSnippets:
    """Definitions of the names the cursor is likely to need from other
    workspace files, parsed once per file version (path, mtime).

    What is wanted, first to last: the module an import under the cursor
    imports from (its top-level names: the line being typed names one of
    them); the base classes of the class around the cursor (``self.`` calls
    their methods); every name the file imports from a workspace file, the
    ones used near the cursor first (the name the model needs next is often
    one it has not written yet, so not "near"). Within the budget, every
    wanted definition's first line comes before any definition's body, and a
    definition is shown as its outline (signature, first docstring line,
    class attributes and method signatures) unless it is short."""

    def __init__(self, root: Path | None) -> None:
        self.root = root.resolve() if root is not None else None
        self._symbols: dict[Path, tuple[int, str, list[Symbol]]] = {}

    def snippets(self, text: str, path: str, line: int, budget_tokens: int) -> list[tuple[str, str]]:
        """``(path relative to the root, snippet)``, one per file, sorted by
        path (the prompt's start stays the same while the user types), within
        the budget."""
        if self.root is None or budget_tokens <= 0:
            return []
        wanted = self._wanted(text, path, line)
        budget = budget_tokens * CHARS_PER_TOKEN
        pieces = [(want, self._snippet(want.file, want.name).split("\n")) for want in wanted]
        pieces = [(want, lines) for want, lines in pieces if lines and lines[0].strip()]
        kept: dict[_Wanted, list[str]] = {}
        for stage in ("first lines", "the rest"):
            for want, lines in pieces:
                if stage == "the rest" and want not in kept:
                    continue
                for raw in [lines[0][:OUTLINE_LINE_CHARS]] if stage == "first lines" else lines[1:]:
                    if len(raw) + 1 > budget:
                        break
                    kept.setdefault(want, []).append(raw)
                    budget -= len(raw) + 1
                if stage == "first lines" and want not in kept:
                    break  # not even a first line fits: the budget is spent
        by_file: dict[Path, list[str]] = {}
        for want in sorted(kept, key=lambda w: (str(w.file), w.name)):
            by_file.setdefault(want.file, []).extend(kept[want])
        return [(file.relative_to(self.root).as_posix(), "\n".join(lines)) for file, lines in sorted(
            by_file.items(), key=lambda item: str(item[0]))]

    def _wanted(self, text: str, path: str, line: int) -> list[_Wanted]:
        lines = text.split("\n")
        file_dir = Path(path).resolve().parent if path else None
        found = imported_names(text)
        in_imports = {k for imp in found for k in range(imp.line, imp.end_line + 1)}
        near_text = "\n".join(raw for k, raw in enumerate(lines[max(0, line - NEAR_BEFORE):line + NEAR_AFTER + 1],
                                                          max(0, line - NEAR_BEFORE)) if k not in in_imports)
        near = Counter(_IDENT.findall(near_text))
        wanted: dict[tuple[Path, str], tuple[int, int]] = {}

        def want(file: Path | None, name: str, rank: tuple[int, int]) -> None:
            if file is not None and (file, name) not in wanted or file is not None and rank < wanted[(file, name)]:
                wanted[(file, name)] = rank

        bases = _enclosing_bases(lines, line)
        for first, last, raw in _statements(lines):
            m = _FROM_IMPORT.match(raw)
            if m and first <= line <= last:  # typing this import: the module's names
                want(self._module_file(m.group(1) + m.group(2), file_dir), "", (-1_000_000, 0))
        for order, imp in enumerate(found):
            target = self._module_file(imp.module, file_dir)
            if imp.line <= line <= imp.end_line:
                continue
            if imp.name is None:  # import pkg.mod as m: the attributes used near, m.attr
                attrs = Counter(re.findall(re.escape(imp.bound) + r"\.([A-Za-z_]\w*)", near_text))
                for attr, count in attrs.items():
                    want(target, attr, (-count, order))
                continue
            submodule = self._module_file(f"{imp.module}.{imp.name}" if not imp.module.endswith(".")
                                          else imp.module + imp.name, file_dir)
            rank = (-100_000 if imp.bound in bases else -near[imp.bound], order)
            if submodule is not None:  # from pkg import mod: its outline
                want(submodule, "", rank)
            elif target is not None:
                want(*self._definer(target, imp.name), rank)
        ordered = sorted(wanted.items(), key=lambda item: item[1])[:MAX_SNIPPETS]
        return [_Wanted(file, name, rank) for (file, name), rank in ordered]

    def _module_file(self, module: str, file_dir: Path | None) -> Path | None:
        """The workspace file ``module`` names, or None (stdlib, installed, unknown)."""
        assert self.root is not None
        dots = len(module) - len(module.lstrip("."))
        parts = [p for p in module.lstrip(".").split(".") if p]
        if dots:
            if file_dir is None:
                return None
            base = file_dir
            for _ in range(dots - 1):
                base = base.parent
        else:
            if not parts or parts[0] in imports.STDLIB_NAMES:
                return None
            found = imports.workspace_module_path(parts[0], file_dir, self.root)
            if found is None:
                return None
            base, parts = found.parent, parts
        for index, part in enumerate(parts):
            candidate = base / part
            if candidate.is_dir():
                base = candidate
            elif (base / f"{part}.py").is_file() and index == len(parts) - 1:
                base = base / f"{part}.py"
            else:
                return None  # a name inside a module, or nothing at all
        target = base / "__init__.py" if base.is_dir() else base
        try:
            resolved = target.resolve()
            resolved.relative_to(self.root)
        except (OSError, ValueError):
            return None  # outside the workspace (a link, an installed package)
        return resolved if resolved.is_file() else None

    def _definer(self, target: Path, name: str, depth: int = 0) -> tuple[Path, str]:
        """Where ``name``, imported from ``target``, is defined: a package's
        ``__init__`` often re-exports it (``from ._models import Request``)."""
        parsed = self._parsed(target)
        if parsed is None or depth >= 3 or find_symbol(parsed[1], name) is not None:
            return target, name
        for imp in imported_names(parsed[0]):
            if imp.bound == name and imp.name is not None:
                source = self._module_file(imp.module, target.parent)
                if source is not None and source != target:
                    return self._definer(source, imp.name, depth + 1)
        return target, name

    def _snippet(self, target: Path, name: str) -> str:
        parsed = self._parsed(target)
        if parsed is None:
            return ""
        text, symbols = parsed
        lines = text.split("\n")
        if not name:  # a module: its top-level signatures and assignments
            return "\n".join(_top_level_outline(lines, symbols))
        symbol = find_symbol(symbols, name)
        if symbol is None:
            # A constant or an assignment: its line.
            for raw in lines:
                if re.match(rf"{re.escape(name)}\s*(?::[^=]*)?=", raw):
                    return _one_line(raw)
            return ""
        if symbol.kind != "class" and symbol.line_count <= WHOLE_DEFINITION_LINES:
            return symbol.text(text).rstrip()
        inner = [s for s in symbols if s.parent == symbol.qualname]
        outline = [symbol.signature] + ([f'{symbol.body_indent}"""{symbol.docstring.splitlines()[0]}"""']
                                         if symbol.docstring else [])
        if symbol.kind == "class":
            outline += _class_attributes(lines, symbol)
        outline += [s.indent + s.signature.strip() for s in inner] or [symbol.body_indent + "..."]
        return "\n".join(outline)

    def _parsed(self, target: Path) -> tuple[str, list[Symbol]] | None:
        source = read_source(target, MAX_FILE_BYTES)
        text, mtime = source.text, source.mtime_ns
        if text is None:
            return None
        cached = self._symbols.get(target)
        if cached is not None and cached[0] == mtime:
            return cached[1], cached[2]
        symbols = document_symbols(text, "python")
        if len(self._symbols) > 256:
            self._symbols.clear()
        self._symbols[target] = (mtime, text, symbols)
        return text, symbols


def _top_level_outline(lines: list[str], symbols: list[Symbol]) -> list[str]:
    """A module's top-level definitions' signatures and one-line assignments, in order."""
    rows = [(s.def_line, s.signature) for s in symbols if s.parent is None and s.signature]
    rows += [(k, _one_line(raw)) for k, raw in enumerate(lines) if _ASSIGNMENT.match(raw)]
    return [row for _, row in sorted(rows)]


def _class_attributes(lines: list[str], symbol: Symbol) -> list[str]:
    """The one-line attribute assignments and annotations of a class's body."""
    out = []
    for raw in lines[symbol.def_line + 1:symbol.end_line + 1]:
        if raw.startswith(symbol.body_indent) and raw[len(symbol.body_indent):][:1].strip() \
                and _ASSIGNMENT.match(raw[len(symbol.body_indent):]):
            out.append(_one_line(raw))
    return out


def _one_line(raw: str) -> str:
    """An assignment's first line for an outline: cut to OUTLINE_LINE_CHARS,
    and one that goes on (``X = Union[``) ends in ``...`` for the rest, so
    the model does not read it as an unclosed bracket to complete."""
    raw = raw.rstrip()
    opened = sum(raw.count(c) for c in "([{") - sum(raw.count(c) for c in ")]}")
    if opened > 0 or len(raw) > OUTLINE_LINE_CHARS or raw.endswith("\\"):
        name, _, value = raw.partition("=")
        return f"{name.rstrip()} = ..." if value else raw[:OUTLINE_LINE_CHARS]
    return raw


def _enclosing_bases(lines: list[str], line: int) -> set[str]:
    """The base classes' names of the class the cursor is in (read back
    from the cursor to the nearest ``class`` line at a lower indentation)."""
    indent = None
    for raw in reversed(lines[:line + 1]):
        if not raw.strip():
            continue
        width = len(raw) - len(raw.lstrip())
        if indent is not None and width >= indent:
            continue
        indent = width
        m = _CLASS.match(raw)
        if m:
            return set(_IDENT.findall(m.group(1) or "")) - {"object"}
        if width == 0:
            return set()
    return set()


__all__ = ["CrossFileSnippets", "Window", "enclosing_scope", "imported_names", "offset_of", "window_around"]
