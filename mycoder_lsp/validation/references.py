"""MC504-MC506: references to code that does not exist: imports that resolve
nowhere (MC504; a known PyPI package that is simply not installed is MC505, a
hint), and attributes or names a standard-library module does not have
(MC506).

Real, working code must stay clean: optional imports in ``try/except
ImportError``, ``if TYPE_CHECKING:`` imports, platform- and version-guarded
names, imports inside functions that run after the code arranged for them.
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import re
import sys
from pathlib import Path

from mycoder_lsp.validation import imports
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.source import PythonSource

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_GUARD_WORDS = re.compile(
    r"\b(?:sys\.platform|platform\.\w+|os\.name|_?mswindows|MS_WINDOWS|WINDOWS|win32|nt|posix|darwin|linux|"
    r"cygwin|emscripten|wasi|java|hasattr|getattr|version_info|implementation|TYPE_CHECKING|[Hh][Aa][Vv][Ee]_\w+|"
    r"has_\w+|HAS_\w+|\w*supports?_\w*|_?WIN\w*|is_?win\w*|IS_WIN\w*|is_android|is_apple\w*|requires_\w+)\b"
)


def check_references(src: PythonSource) -> list[Finding]:
    if src.tree is None:
        return []
    return _imports(src) + _stdlib_attributes(src)


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
