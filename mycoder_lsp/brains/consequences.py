"""What an edit of one file means for the other files of the workspace.

An edit that renames, removes or changes the signature of a symbol other
files import breaks them unless they change too. :func:`symbol_changes`
tells those changes from the document before and after the edit;
:func:`consequences_of` finds the other files' uses of the changed symbols
(``from mod import name``, ``import mod`` + ``mod.name``, relative imports,
aliases, ``Class.method``), turns a rename into edits of those files (the
import line and each use, identifier tokens found by tree-sitter, never
inside strings or comments), and reports what no mechanical edit can fix (a
removed symbol still imported, a call that no longer fits the signature) as
findings: MC601 and MC602. :func:`check_callers` runs the same checks after
an edit was applied, for the diagnostics of the callers.

Python only for now. Pure and CPU-bound (tree-sitter parses): callers run it
in a thread. Files are read only through
:func:`mycoder_lsp.code.workspace.read_source` from the workspace walk
(no links, no ignored or secret files, nothing outside the root), and a scan
stops at ``max_files`` files or ``max_bytes`` bytes read. Positions are
0-based lines and code-point columns. This module must not import pygls.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from mycoder_lsp.code.parsing import char_column, parse_python, parser_for, source_bytes, tree_sitter_language
from mycoder_lsp.code.workspace import iter_source_files, read_source
from mycoder_lsp.text import split_lines
from mycoder_lsp.validation.findings import Finding, Severity

SOURCE = "mycoder-cross-file"
# A scan of the workspace reads at most this much (a monorepo must not stall an edit).
MAX_FILES = 5000
MAX_BYTES = 64 * 1024 * 1024
# Uses listed by name in a warning; the rest are counted.
LISTED_USES = 10

ChangeKind = Literal["renamed", "removed", "signature"]


# ------------------------------------------------------------------ signatures


@dataclass(frozen=True)
class Params:
    """A Python signature, as much of it as binding a call needs."""

    positional: tuple[str, ...]  # positional-only and positional-or-keyword, in order
    posonly: int
    required: int  # the first ``required`` positional ones have no default
    kwonly: tuple[str, ...]
    required_kwonly: frozenset[str]
    varargs: bool
    varkw: bool

    def why_not(self, positional: int, keywords: Sequence[str]) -> str | None:
        """Why a call with ``positional`` arguments and these keywords does
        not fit (None when it does)."""
        if positional > len(self.positional) and not self.varargs:
            return f"it takes {_count(len(self.positional), 'positional argument')}, this call passes {positional}"
        filled = set(self.positional[:positional])
        for name in keywords:
            if name in self.positional[self.posonly:] or name in self.kwonly:
                if name in filled:
                    return f"this call passes {name!r} twice"
                filled.add(name)
            elif not self.varkw:
                return f"it has no parameter {name!r}"
        missing = [p for p in self.positional[:self.required] if p not in filled]
        missing += [k for k in self.kwonly if k in self.required_kwonly and k not in filled]
        if missing:
            return f"this call does not pass {', '.join(repr(m) for m in missing)}"
        return None


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef, *, bound: bool) -> Params:
    args = node.args
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    posonly = len(args.posonlyargs)
    required = len(positional) - len(args.defaults)
    if bound and positional:
        # self / cls: passed by the call's receiver, not by its arguments.
        positional = positional[1:]
        posonly = max(posonly - 1, 0)
        required = max(required - 1, 0)
    kwonly = tuple(a.arg for a in args.kwonlyargs)
    required_kw = frozenset(a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None)
    return Params(tuple(positional), posonly, required, kwonly, required_kw, args.vararg is not None,
                  args.kwarg is not None)


@dataclass(frozen=True)
class _Def:
    qualname: str
    kind: str  # function | class | method
    params: Params | None  # None: calls cannot be checked (a class without __init__, a property)
    shape: str  # the definition without its name, to pair a rename


@dataclass
class _Module:
    """What a Python module defines at its top level and in its classes."""

    defs: dict[str, _Def] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)  # every top-level name (defs, assignments, imports)
    # ``from x import *`` or a module ``__getattr__``: any name may exist.
    open_ended: bool = False


# One modify reads the same two texts up to seven times (own renames, the
# validation of the new document, its consequences): parsed and dumped once.
# Callers only read the result.
@lru_cache(maxsize=8)
def _module(text: str) -> _Module | None:
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    out = _Module()
    for node in _top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.defs[node.name] = _Def(node.name, "function", _params(node, bound=False), _shape(node))
            out.bound.add(node.name)
            if node.name == "__getattr__":
                out.open_ended = True
        elif isinstance(node, ast.ClassDef):
            out.bound.add(node.name)
            init: Params | None = None
            plain = not node.decorator_list  # a dataclass or the like makes its own __init__
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    decorators = {_decorator_name(d) for d in item.decorator_list}
                    # Called through the class (``Class.method(obj, x)``) a method gets
                    # ``self`` from the call; a classmethod gets ``cls`` bound.
                    params = None if decorators & {"property", "setter", "cached_property"} else _params(
                        item, bound="classmethod" in decorators)
                    qual = f"{node.name}.{item.name}"
                    out.defs[qual] = _Def(qual, "method", params, _shape(item))
                    if item.name == "__init__" and plain:
                        init = _params(item, bound=True)
            out.defs[node.name] = _Def(node.name, "class", init, _shape(node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    out.open_ended = True
                else:
                    out.bound.add(alias.asname or alias.name.split(".")[0])
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    out.bound.add(sub.id)
    return out


def _top_level(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Top-level statements, also those under ``if``/``try`` (optional imports, TYPE_CHECKING)."""
    for node in body:
        if isinstance(node, (ast.If, ast.Try)):
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)
            yield from _top_level(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                yield from _top_level(handler.body)
        else:
            yield node


def _decorator_name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _shape(node: ast.AST) -> str:
    """The definition with its own name blanked: equal shapes are one body under two names."""
    dumped = ast.dump(node)
    name = getattr(node, "name", "")
    return dumped.replace(repr(name), "''") if name else dumped


# ------------------------------------------------------------------ changes


@dataclass(frozen=True)
class SymbolChange:
    """One symbol whose users may break: renamed (``new_qualname`` says to
    what), removed, or with a new signature (``params``; also set for a
    rename that changed the parameters)."""

    kind: ChangeKind
    qualname: str
    new_qualname: str | None = None
    params: Params | None = None
    params_changed: bool = False

    @property
    def name(self) -> str:
        return self.qualname.rpartition(".")[2]

    @property
    def new_name(self) -> str | None:
        return self.new_qualname.rpartition(".")[2] if self.new_qualname else None

    def describe(self) -> str:
        if self.kind == "renamed":
            return f"{self.qualname} was renamed to {self.new_qualname}"
        if self.kind == "removed":
            return f"{self.qualname} was removed"
        return f"the signature of {self.qualname} changed"


def symbol_changes(before: str, after: str, language: str | None) -> list[SymbolChange]:
    """The top-level and class-level symbols of ``before`` that ``after``
    renamed, removed or gave another signature. Empty when either text does
    not parse, or for a language this module does not read yet."""
    if language != "python":
        return []
    old, new = _module(before), _module(after)
    if old is None or new is None:
        return []
    gone = [d for q, d in old.defs.items() if q not in new.defs and not _still_bound(q, new)]
    added = [d for q, d in new.defs.items() if q not in old.defs and not _still_bound(q, old)]
    changes: list[SymbolChange] = []
    paired: set[str] = set()
    for dead in gone:
        parent = dead.qualname.rpartition(".")[0]
        candidates = [d for d in added if d.kind == dead.kind and d.qualname.rpartition(".")[0] == parent
                      and d.qualname not in paired]
        same = [d for d in candidates if d.shape == dead.shape]
        born = same[0] if same else (candidates[0] if len(candidates) == 1 and len(
            [g for g in gone if g.kind == dead.kind and g.qualname.rpartition(".")[0] == parent]) == 1 else None)
        if born is None:
            changes.append(SymbolChange("removed", dead.qualname))
            continue
        paired.add(born.qualname)
        changes.append(SymbolChange("renamed", dead.qualname, born.qualname, born.params,
                                    params_changed=born.params != dead.params))
    for qual, was in old.defs.items():
        now = new.defs.get(qual)
        if now is not None and now.params != was.params and now.params is not None:
            changes.append(SymbolChange("signature", qual, params=now.params, params_changed=True))
    return changes


def _still_bound(qualname: str, module: _Module) -> bool:
    """A top-level name kept by other means (``fetch_user = get_user``) is not gone."""
    return "." not in qualname and (qualname in module.bound or module.open_ended)


# ------------------------------------------------------------------ uses


@dataclass(frozen=True)
class Call:
    positional: int
    keywords: tuple[str, ...]
    splat: bool  # *args or **kwargs: the call cannot be checked


@dataclass(frozen=True)
class Use:
    """One place a file names a symbol of the changed module. The range is
    the identifier; ``own_name`` says it is the symbol's own name (an alias
    use is not: renaming the import is enough)."""

    path: str
    line: int
    column: int
    end_column: int
    qualname: str
    role: Literal["import", "reference", "call"]
    own_name: bool
    call: Call | None = None


def _parse(src: _Source) -> Any:
    """The tree of ``src`` (called once the grammar is known to be there)."""
    parser = parser_for("python")
    assert parser is not None
    return parser.parse(src.data)


class _Source:
    def __init__(self, text: str) -> None:
        self.text = text
        self.data = source_bytes(text)
        self.lines = split_lines(text)

    def of(self, node: Any) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def col(self, row: int, byte_col: int) -> int:
        return char_column(self.lines[row] if row < len(self.lines) else "", byte_col)


class ModuleResolver:
    """Does an import in ``importer`` name the module at ``target``?"""

    def __init__(self, target: Path, root: Path) -> None:
        self.target = target
        self.root = root
        self._bases: dict[Path, list[Path]] = {}

    def bases(self, importer: Path) -> list[Path]:
        """Where absolute imports start: the root, ``src/``, and the first
        directory above the importer that is not a package (where a script
        or a test run puts itself on ``sys.path``)."""
        found = self._bases.get(importer.parent)
        if found is None:
            base = importer.parent
            while (base / "__init__.py").exists() and base != self.root and self.root in base.parents:
                base = base.parent
            found = self._bases[importer.parent] = [self.root, self.root / "src", base]
        return found

    def names(self, module: str, level: int, importer: Path) -> bool:
        """True when ``module`` (``level`` dots before it) is the target."""
        return self.target in self._files(module, level, importer)

    def _files(self, module: str, level: int, importer: Path) -> set[Path]:
        parts = [p for p in module.split(".") if p]
        if not parts and not level:
            return set()
        if level:
            start = importer.parent
            for _ in range(level - 1):
                start = start.parent
            starts = [start]
        else:
            starts = self.bases(importer)
        out: set[Path] = set()
        for start in starts:
            here = start.joinpath(*parts) if parts else start
            out.add(here.with_name(here.name + ".py") if parts else here / "__init__.py")
            out.add(here / "__init__.py")
        return out


def find_uses(text: str, path: Path, resolver: ModuleResolver, names: set[str] | None = None) -> list[Use]:
    """Every use in ``text`` (the file at ``path``) of a top-level symbol of
    the resolver's module (only those in ``names``, when given), and of its
    classes' members through ``Class.member``."""
    # No grammar: no cross-file uses, never a crash.
    language = tree_sitter_language("python")
    if language is None:
        return []
    src = _Source(text)
    tree = _parse(src)
    local: dict[str, str] = {}  # a local name -> the symbol it is bound to
    modules: set[str] = set()  # local (dotted) names bound to the module itself
    uses: list[Use] = []

    def use(node: Any, qualname: str, role: Literal["import", "reference", "call"], own: bool,
            call: Call | None = None) -> None:
        row = node.start_point[0]
        uses.append(Use(str(path), row, src.col(row, node.start_point[1]), src.col(row, node.end_point[1]),
                        qualname, role, own, call))

    def wanted(name: str) -> bool:
        return names is None or name in names

    for node in _captures(_imports_query(language), tree.root_node):
        if node.type == "import_from_statement":
            module_node = node.child_by_field_name("module_name")
            if module_node is None:
                continue
            level, module = _module_name(module_node, src)
            for item in node.children_by_field_name("name"):
                name_node = item.child_by_field_name("name") if item.type == "aliased_import" else item
                alias = item.child_by_field_name("alias") if item.type == "aliased_import" else None
                if name_node is None:
                    continue
                name = src.of(name_node)
                bound = src.of(alias) if alias is not None else name
                if resolver.names(module, level, path):
                    if wanted(name):
                        local[bound] = name
                        use(name_node, name, "import", True)
                elif resolver.names(f"{module}.{name}" if module else name, level, path):
                    modules.add(bound)
        else:
            for item in node.children_by_field_name("name"):
                name_node = item.child_by_field_name("name") if item.type == "aliased_import" else item
                alias = item.child_by_field_name("alias") if item.type == "aliased_import" else None
                if name_node is not None and resolver.names(src.of(name_node), 0, path):
                    modules.add(src.of(alias) if alias is not None else src.of(name_node))
    if not local and not modules:
        return uses
    members = {q.rpartition(".")[2] for q in names} if names is not None else None
    # Only the identifiers that can matter, found by the grammar's own query
    # engine: walking every node in Python costs more than parsing.
    query = _names_query(language, frozenset(local), frozenset(members) if members is not None else None)
    for node in _captures(query, tree.root_node):
        if node.type == "identifier":
            if src.of(node) in local and _is_reference(node):
                bound = src.of(node)
                qualname = local[bound]
                role, call = _role(node)
                use(node, qualname, role, bound == qualname, call)
            continue
        obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        if obj is None or attr is None:
            continue
        written = "".join(src.of(obj).split())
        if written in modules and wanted(src.of(attr)):
            role, call = _role(node)
            use(attr, src.of(attr), role, True, call)
        elif obj.type == "identifier" and written in local and _is_reference(obj):
            qualname = f"{local[written]}.{src.of(attr)}"
            if wanted(qualname):
                role, call = _role(node)
                use(attr, qualname, role, True, call)
    uses.sort(key=lambda u: (u.line, u.column))
    return uses


_QUERIES: dict[Any, Any] = {}
_QUERY_LOCK = threading.Lock()


def _query(language: Any, text: str) -> Any:
    with _QUERY_LOCK:
        query = _QUERIES.get(text)
        if query is None:
            import tree_sitter

            if len(_QUERIES) > 256:
                _QUERIES.clear()
            query = _QUERIES[text] = tree_sitter.Query(language, text)
        return query


def _imports_query(language: Any) -> Any:
    return _query(language, "[(import_from_statement) (import_statement)] @import")


def _names_query(language: Any, local: frozenset[str], members: frozenset[str] | None) -> Any:
    """Identifiers bound to the module's symbols, and attributes (``mod.x``,
    ``Class.x``) whose member is wanted (``members``; None: any)."""
    parts = []
    if _quoted(local):
        parts.append(f"((identifier) @name (#any-of? @name {_quoted(local)}))")
    if members is None:
        parts.append("(attribute) @attribute")
    elif _quoted(members):
        parts.append(f"((attribute attribute: (identifier) @member (#any-of? @member {_quoted(members)})) @attribute)")
    return _query(language, "\n".join(parts)) if parts else None


def _quoted(names: frozenset[str]) -> str:
    # Identifiers only ever: nothing to escape, but never let a name end the query string.
    return " ".join(f'"{n}"' for n in sorted(names) if n.isidentifier())


def _captures(query: Any, root: Any) -> list[Any]:
    """The nodes a query captured, in source order (no ``@member`` helpers)."""
    if query is None:
        return []
    import tree_sitter

    found = tree_sitter.QueryCursor(query).captures(root)
    nodes = [n for name, group in found.items() if name != "member" for n in group]
    return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


def _module_name(node: Any, src: _Source) -> tuple[int, str]:
    if node.type == "relative_import":
        level = 0
        module = ""
        for child in node.children:
            if child.type == "import_prefix":
                level = src.of(child).count(".")
            elif child.type == "dotted_name":
                module = src.of(child)
        return level, module
    return 0, src.of(node)


_NOT_REFERENCES = {"import_from_statement", "import_statement", "aliased_import", "dotted_name"}


def _is_reference(node: Any) -> bool:
    parent = node.parent
    if parent is None or parent.type in _NOT_REFERENCES:
        return False
    if parent.type == "attribute" and parent.child_by_field_name("attribute") == node:
        return False  # obj.fetch_user is another object's member
    if parent.type == "keyword_argument" and parent.child_by_field_name("name") == node:
        return False
    if parent.type in ("function_definition", "class_definition") and parent.child_by_field_name("name") == node:
        return False
    return True


def _role(expression: Any) -> tuple[Literal["reference", "call"], Call | None]:
    """A call of ``expression`` with its arguments' shape, or a plain reference."""
    parent = expression.parent
    if parent is None or parent.type != "call" or parent.child_by_field_name("function") != expression:
        return "reference", None
    args = parent.child_by_field_name("arguments")
    if args is None or args.type == "generator_expression":
        return "call", Call(1 if args is not None else 0, (), False)
    positional = 0
    keywords: list[str] = []
    splat = False
    for child in args.named_children:
        if child.type == "comment":
            continue
        if child.type == "keyword_argument":
            key = child.child_by_field_name("name")
            keywords.append(key.text.decode("utf-8", "replace") if key is not None else "")
        elif child.type in ("list_splat", "dictionary_splat"):
            splat = True
        else:
            positional += 1
    return "call", Call(positional, tuple(keywords), splat)


def own_renames(before: str, after: str, language: str | None,
                replaced: Sequence[tuple[int, int]]) -> list[tuple[int, int, int, str, str]]:
    """The edited file's own uses of a top-level symbol the edit renamed,
    outside the lines it replaced (``replaced``: first and last line,
    inclusive): ``(line, column, end_column, old_name, new_name)`` in
    ``before``. The edit brings the renamed definition; these make the rest
    of the file call it by its new name."""
    renamed = {c.qualname: c.new_qualname for c in symbol_changes(before, after, language)
               if c.kind == "renamed" and "." not in c.qualname and c.new_qualname}
    language_ = tree_sitter_language("python") if renamed else None
    if language_ is None:
        return []
    src = _Source(before)
    tree = _parse(src)
    out: list[tuple[int, int, int, str, str]] = []
    for node in _captures(_names_query(language_, frozenset(renamed), frozenset()), tree.root_node):
        row = node.start_point[0]
        if not _is_reference(node) or any(first <= row <= last for first, last in replaced):
            continue
        old = src.of(node)
        out.append((row, src.col(row, node.start_point[1]), src.col(row, node.end_point[1]), old, renamed[old]))
    return out


# ------------------------------------------------------------------ the result


@dataclass
class RelatedEdit:
    """Edits of another file that go with the main edit: ``edits`` are
    ``(start_line, start_col, end_line, end_col, new_text)`` relative to
    ``old_text`` (what the scan read: an open document's buffer or the file
    on disk), in code points; ``new_text`` is the file afterwards."""

    path: str
    edits: list[tuple[int, int, int, int, str]]
    old_text: str
    new_text: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "new_text": self.new_text, "edits": [
            {"range": {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}},
             "new_text": text} for sl, sc, el, ec, text in self.edits]}


@dataclass
class Consequences:
    changes: list[SymbolChange] = field(default_factory=list)
    related: list[RelatedEdit] = field(default_factory=list)
    # What stays broken once the related edits are in, per file: the warning before applying.
    broken: dict[str, list[Finding]] = field(default_factory=dict)
    # Every file that uses a changed symbol: validated after the edit is applied.
    users: list[str] = field(default_factory=list)
    files_scanned: int = 0
    bytes_scanned: int = 0
    complete: bool = True  # False: the scan stopped at a limit

    def warnings(self, root: Path | None) -> list[str]:
        """One line per changed symbol whose uses this edit leaves broken:
        ``fetch_user was removed but is still used in 3 places: a.py:3, …``."""
        out: list[str] = []
        for change in self.changes:
            names = {change.qualname, change.new_qualname}
            places = [(path, f) for path, found in self.broken.items() for f in found
                      if f.message.split(" ")[0] in names]
            if not places:
                continue
            listed = ", ".join(f"{_shown(path, root)}:{f.line + 1}" for path, f in places[:LISTED_USES])
            more = f" and {len(places) - LISTED_USES} more" if len(places) > LISTED_USES else ""
            n = len(places)
            if change.kind == "removed":
                how = f"it is still used in {_count(n, 'place')}"
            else:
                how = f"{_count(n, 'call')} no longer {'fits' if n == 1 else 'fit'} it"
            out.append(f"{change.describe()}, but {how}: {listed}{more}")
        if out and not self.complete:
            out.append(f"the search for uses stopped after {self.files_scanned:,} files; there may be more")
        return out


def _shown(path: str, root: Path | None) -> str:
    if root is not None:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            pass
    return path


def consequences_of(before: str, after: str, *, path: str, language: str | None, root: Path | None,
                    open_texts: Mapping[str, str] | None = None, max_file_size: int = 1024 * 1024,
                    max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES) -> Consequences:
    """What the edit ``before`` -> ``after`` of the file at ``path`` means for
    the other files under ``root``: renames carried into them, and what stays
    broken. ``open_texts`` (path -> text) are the editor's buffers, read in
    place of the files on disk."""
    changes = symbol_changes(before, after, language)
    if not changes or root is None or not path:
        return Consequences(changes)
    root = Path(root).resolve()
    target = Path(path).resolve()
    if root not in target.parents:
        return Consequences(changes)
    names = {c.qualname for c in changes}
    tops = {q.partition(".")[0] for q in names}  # Class.method is found through Class
    resolver = ModuleResolver(target, root)
    new_module = _module(after)
    # A plain rename is carried into every use: only other changes leave some broken.
    may_break = any(c.kind != "renamed" or c.params_changed for c in changes)
    result = Consequences(changes)
    buffers = {str(Path(p).resolve()): t for p, t in (open_texts or {}).items()}
    if new_module is not None and may_break:
        own = own_broken(after, target, new_module, changes)
        if own:
            result.broken[str(target)] = own
    for file, text in _files(root, target, buffers, max_file_size, max_files, max_bytes, result):
        if not any(top in text for top in tops):
            continue  # the cheap test that keeps a large workspace fast
        uses = find_uses(text, file, resolver, names | tops)
        uses = [u for u in uses if u.qualname in names]
        if not uses:
            continue
        result.users.append(str(file))
        edits = _rename_edits(uses, changes)
        new_text = _apply(text, edits) if edits else text
        if edits:
            result.related.append(RelatedEdit(str(file), edits, text, new_text))
        if new_module is not None and may_break:
            # Unchanged text: the uses just found are its uses (no second parse).
            broken = check_callers(new_text, file, resolver, new_module, changes, None if edits else uses)
            if broken:
                result.broken[str(file)] = broken
    return result


def _files(root: Path, target: Path, buffers: Mapping[str, str], max_file_size: int, max_files: int,
           max_bytes: int, result: Consequences) -> Iterable[tuple[Path, str]]:
    for file in iter_source_files(root, root):
        if file.suffix not in (".py", ".pyi") or file == target:
            continue
        if result.files_scanned >= max_files or result.bytes_scanned >= max_bytes:
            result.complete = False
            return
        result.files_scanned += 1
        text = buffers.get(str(file))
        if text is None:
            source = read_source(file, max_file_size)
            text = source.text
            result.bytes_scanned += source.size
        else:
            result.bytes_scanned += len(text)
        if text is not None:
            yield file, text


def _rename_edits(uses: list[Use], changes: list[SymbolChange]) -> list[tuple[int, int, int, int, str]]:
    renamed = {c.qualname: c.new_name for c in changes if c.kind == "renamed" and c.new_name}
    return [(u.line, u.column, u.line, u.end_column, renamed[u.qualname]) for u in uses
            if u.own_name and u.qualname in renamed]


def _apply(text: str, edits: list[tuple[int, int, int, int, str]]) -> str:
    """Single-line replacements (identifiers) applied from the last."""
    lines = split_lines(text, keepends=True)
    for line, col, _, end, new in sorted(edits, reverse=True):
        lines[line] = lines[line][:col] + new + lines[line][end:]
    return "".join(lines)


def check_callers(text: str, path: Path, resolver: ModuleResolver, module: _Module,
                  changes: Sequence[SymbolChange], uses: Sequence[Use] | None = None) -> list[Finding]:
    """The uses in ``text`` of the changed symbols that the changed module
    (``module``, after the edit) no longer has (MC601), and the calls that
    no longer fit their signature (MC602). ``uses``: already found in ``text``."""
    wanted = {c.qualname for c in changes} | {c.new_qualname for c in changes if c.new_qualname}
    if uses is None:
        uses = find_uses(text, path, resolver, wanted | {q.partition(".")[0] for q in wanted})
    findings: list[Finding] = []
    for use in uses:
        if use.qualname not in wanted:
            continue
        now = module.defs.get(use.qualname)
        if now is None and not _still_bound(use.qualname, module):
            findings.append(Finding("MC601", f"{use.qualname} is no longer defined in {resolver.target.name}: "
                                    "update this use or restore it there.", Severity.ERROR, use.line, use.column,
                                    use.line, use.end_column, source=SOURCE))
        elif now is not None and use.call is not None and not use.call.splat and now.params is not None:
            why = now.params.why_not(use.call.positional, use.call.keywords)
            if why:
                findings.append(Finding("MC602", f"{use.qualname} no longer fits this call: {why}.",
                                        Severity.ERROR, use.line, use.column, use.line, use.end_column,
                                        source=SOURCE))
    return findings


def own_uses(text: str, path: Path, names: set[str]) -> list[Use]:
    """The uses of its own top-level ``names`` in the module ``text`` itself."""
    language = tree_sitter_language("python")
    tops = frozenset(n for n in names if "." not in n)
    if language is None or not tops:
        return []
    src = _Source(text)
    tree = _parse(src)
    uses: list[Use] = []
    for node in _captures(_names_query(language, tops, frozenset()), tree.root_node):
        if _is_reference(node):
            row = node.start_point[0]
            role, call = _role(node)
            uses.append(Use(str(path), row, src.col(row, node.start_point[1]), src.col(row, node.end_point[1]),
                            src.of(node), role, True, call))
    return uses


def own_broken(text: str, path: Path, module: _Module, changes: Sequence[SymbolChange]) -> list[Finding]:
    """The calls in the edited module itself that no longer fit (MC602)."""
    names = {c.new_qualname or c.qualname for c in changes if c.kind != "removed"}
    found = check_callers(text, path, ModuleResolver(path, path.parent), module, changes, own_uses(text, path, names))
    # A name the module lost is the linter's undefined name there, not ours.
    return [f for f in found if f.code != "MC601"]


def caller_findings(target_path: str, target_text: str, changes: Sequence[SymbolChange], files: Sequence[str],
                    root: Path, texts: Mapping[str, str]) -> dict[str, list[Finding]]:
    """After an edit was applied: the MC601/MC602 findings of each of
    ``files`` (``texts`` holds their text now) against ``target_text``, and
    those of the edited file itself (under ``target_path``)."""
    module = _module(target_text)
    if module is None:
        return {}
    target = Path(target_path).resolve()
    resolver = ModuleResolver(target, Path(root).resolve())
    found = {f: check_callers(texts[f], Path(f), resolver, module, changes) for f in files if f in texts}
    found[target_path] = own_broken(target_text, target, module, changes)
    return found


__all__ = ["Call", "Consequences", "ModuleResolver", "Params", "RelatedEdit", "SOURCE", "SymbolChange", "Use",
           "caller_findings", "check_callers", "consequences_of", "find_uses", "own_broken", "own_renames",
           "own_uses", "symbol_changes"]
