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

Reads workspace files through :func:`mycoder_lsp.validation.walk.read_text_file`
(no links, no FIFOs, size-capped); CPU work, to be run in a thread. No
pygls, no model calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mycoder_lsp.brains.backends import CHARS_PER_TOKEN
from mycoder_lsp.symbols import Symbol, document_symbols, find_symbol
from mycoder_lsp.text import line_starts
from mycoder_lsp.validation import imports
from mycoder_lsp.validation.walk import read_text_file

# The prefix starts on a multiple of this many lines, so it does not move
# with every keystroke (and with it, the server's cached prompt).
STEP_LINES = 32
# Shares of the prompt budget: prefix, suffix; the rest is for other files.
PREFIX_SHARE = 0.6
SUFFIX_SHARE = 0.15
# Names used this many lines around the cursor ask for their definitions.
NEAR_BEFORE = 30
NEAR_AFTER = 5
# A definition longer than this is shown as its outline (signatures, docstring).
WHOLE_DEFINITION_LINES = 30
MAX_SNIPPETS = 8
# Workspace files larger than this are not read for snippets.
MAX_FILE_BYTES = 512 * 1024

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FROM_IMPORT = re.compile(r"^\s*from\s+(\.*)([\w.]*)\s+import\s+\(?([^)#]*)")
_IMPORT = re.compile(r"^\s*import\s+([^#]+)")


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
                  scope: Symbol | None = None) -> Window:
    """The prefix and suffix around ``offset`` (on ``line``) within
    ``budget_tokens`` (estimated, PREFIX_SHARE and SUFFIX_SHARE of it),
    whole lines, the enclosing ``scope`` kept whole when it fits."""
    starts = line_starts(text)
    prefix_chars = int(budget_tokens * PREFIX_SHARE) * CHARS_PER_TOKEN
    suffix_chars = int(budget_tokens * SUFFIX_SHARE) * CHARS_PER_TOKEN
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


def imported_names(text: str) -> list[_Import]:
    """The file's imports, read line by line (a half-typed file still has
    them). Multi-line parenthesised imports count their first line only."""
    found: list[_Import] = []
    for raw in text.split("\n"):
        m = _FROM_IMPORT.match(raw)
        if m:
            module = m.group(1) + m.group(2)
            for part in m.group(3).split(","):
                words = part.split()
                if not words or words[0] == "*":
                    continue
                bound = words[2] if len(words) == 3 and words[1] == "as" else words[0]
                if _IDENT.fullmatch(words[0]) and _IDENT.fullmatch(bound):
                    found.append(_Import(module, words[0], bound))
            continue
        m = _IMPORT.match(raw)
        if m:
            for part in m.group(1).split(","):
                words = part.split()
                if not words:
                    continue
                bound = words[2] if len(words) == 3 and words[1] == "as" else words[0].split(".")[0]
                found.append(_Import(words[0], None, bound))
    return found


class CrossFileSnippets:
    """Definitions of the names used near the cursor that come from other
    workspace files, parsed once per file version (path, mtime)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root.resolve() if root is not None else None
        self._symbols: dict[Path, tuple[int, str, list[Symbol]]] = {}

    def snippets(self, text: str, path: str, line: int, budget_tokens: int) -> list[tuple[str, str]]:
        """``(path relative to the root, snippet)``, sorted, within the budget."""
        if self.root is None or budget_tokens <= 0:
            return []
        lines = text.split("\n")
        near = "\n".join(raw for raw in lines[max(0, line - NEAR_BEFORE):line + NEAR_AFTER + 1]
                         if not _FROM_IMPORT.match(raw) and not _IMPORT.match(raw))
        used = set(_IDENT.findall(near))
        file_dir = Path(path).resolve().parent if path else None
        wanted: dict[tuple[Path, str], None] = {}
        for imp in imported_names(text):
            if imp.bound not in used:
                continue
            if imp.name is None:  # import pkg.mod as m: the attributes used, m.attr
                target = self._module_file(imp.module, file_dir)
                attrs = re.findall(re.escape(imp.bound) + r"\.([A-Za-z_]\w*)", near)
                for attr in sorted(set(attrs)):
                    if target is not None:
                        wanted[(target, attr)] = None
                continue
            target = self._module_file(imp.module, file_dir)
            submodule = self._module_file(f"{imp.module}.{imp.name}" if not imp.module.endswith(".")
                                          else imp.module + imp.name, file_dir)
            if submodule is not None:  # from pkg import mod: its outline
                wanted[(submodule, "")] = None
            elif target is not None:
                wanted[(target, imp.name)] = None
        budget = budget_tokens * CHARS_PER_TOKEN
        out: list[tuple[str, str]] = []
        for target, name in sorted(wanted, key=lambda key: (str(key[0]), key[1]))[:MAX_SNIPPETS]:
            snippet = self._snippet(target, name)
            if not snippet or len(snippet) > budget:
                continue
            budget -= len(snippet)
            out.append((target.relative_to(self.root).as_posix(), snippet))
        return out

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

    def _snippet(self, target: Path, name: str) -> str:
        parsed = self._parsed(target)
        if parsed is None:
            return ""
        text, symbols = parsed
        if not name:  # a module: its top-level signatures
            return "\n".join(s.signature for s in symbols if s.parent is None and s.signature)
        symbol = find_symbol(symbols, name)
        if symbol is None:
            # A constant or an assignment: its line.
            for raw in text.split("\n"):
                if re.match(rf"{re.escape(name)}\s*(?::[^=]*)?=", raw):
                    return raw.rstrip()
            return ""
        if symbol.line_count <= WHOLE_DEFINITION_LINES:
            return symbol.text(text).rstrip()
        inner = [s for s in symbols if s.parent == symbol.qualname]
        outline = [symbol.signature] + ([f'{symbol.body_indent}"""{symbol.docstring}"""'] if symbol.docstring
                                         else [])
        outline += [s.indent + s.signature.strip() for s in inner] or [symbol.body_indent + "..."]
        return "\n".join(outline)

    def _parsed(self, target: Path) -> tuple[str, list[Symbol]] | None:
        text, mtime, _ = read_text_file(target, MAX_FILE_BYTES)
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


__all__ = ["CrossFileSnippets", "Window", "enclosing_scope", "imported_names", "offset_of", "window_around"]
