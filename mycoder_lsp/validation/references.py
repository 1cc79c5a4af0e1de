"""MC504-MC506: references to code that does not exist: imports that resolve
nowhere or a submodule a real package lacks (MC504; a known PyPI package
that is simply not installed is MC505, a hint), and attributes or names a
standard-library module or class does not have (MC506), judged for the
Python versions the project supports.

Real, working code must stay clean: optional imports in ``try/except
ImportError`` (and the fallback in the handler), ``if TYPE_CHECKING:``
imports, code behind version and platform guards that do not hold here,
declared dependencies that are not installed, imports inside functions that
run after the code arranged for them.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
from pathlib import Path

from mycoder_lsp.validation import dependencies, imports
from mycoder_lsp.validation.findings import Finding, Severity
from mycoder_lsp.validation.guards import RUNNING, Guards, constant, dotted, inside, lazy_import_lines
from mycoder_lsp.validation.source import PythonSource

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def check_references(src: PythonSource) -> list[Finding]:
    if src.tree is None:
        return []
    context = src.guards
    return _imports(src, context) + _stdlib_attributes(src, context)


def _file_dir(src: PythonSource) -> Path | None:
    if not src.path:
        return None
    parent = Path(src.path).resolve().parent
    return parent if parent.is_dir() else None


# ---------------------------------------------------------------- version messages


def _gap(missing: frozenset[int], present: frozenset[int]) -> tuple[str, str]:
    """("before Python 3.12", advice) for a name added later; ("from Python 3.13 on", ...) for a removed one."""
    if present and max(missing) < min(present):
        first = min(present)
        return f"before Python 3.{first}", f"guard it with `if sys.version_info >= (3, {first}):`"
    if present and min(missing) > max(present):
        gone = max(present) + 1
        return (f"from Python 3.{gone} on (removed)",
                f"use its replacement, or guard it with `if sys.version_info < (3, {gone}):`")
    shown = ", ".join(f"3.{m}" for m in sorted(missing))
    return f"in Python {shown}", "guard it with a `sys.version_info` check"


def _supports(context: Guards) -> str:
    if context.project_known:
        return f"this project supports 3.{context.lowest}+"
    return f"checked for Python 3.{RUNNING} (the project sets no requires-python)"


def _version_verdict(minors: frozenset[int], runtime_has: bool | None,
                     present: frozenset[int] | None) -> tuple[frozenset[int], frozenset[int]] | None:
    """(missing minors, minors it exists in) when a name exists only in some of
    the ``minors`` the line runs in; None when it is fine or unknown.
    ``runtime_has``: this Python's answer (None: cannot tell);
    ``present``: typeshed's (None: typeshed does not know the module)."""
    if present is None or not present:
        return None  # typeshed cannot say; the runtime check decides
    missing = minors - present
    if RUNNING in minors and runtime_has is not False:
        missing -= {RUNNING}  # this Python has it, or computes it (a module __getattr__)
    if not missing:
        return None
    return missing, present


def _version_severity(context: Guards, missing: frozenset[int], minors: frozenset[int]) -> Severity:
    """An error only when the project declares its Pythons and the name is in none of them."""
    return Severity.ERROR if context.project_known and missing == minors else Severity.WARNING


# ---------------------------------------------------------------- imports


def _imports(src: PythonSource, context: Guards) -> list[Finding]:
    nodes = src.of_type(ast.Import, ast.ImportFrom)
    if not nodes:
        return []
    root = src.workspace_root.resolve() if src.workspace_root else None
    file_dir = _file_dir(src)
    project_root = context.project_root or root
    env = imports.environment_for(project_root)
    pypi = imports.pypi_import_names()
    declared: dependencies.Declarations | None = None
    data = imports.stdlib_versions()
    findings: list[Finding] = []
    seen: set[str] = set()
    # A file that extends sys.path imports what it put there.
    extends_path = "sys.path" in src.text
    lazy: tuple[list[int], list[int]] | None = None
    generated = src.original is not None
    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset)):  # type: ignore[attr-defined]
        if isinstance(node, ast.ImportFrom) and node.level:
            finding = _relative_import(src, node, file_dir)
            if finding:
                if context.import_guarded(node.lineno) or not context.runs_in(node.lineno):
                    continue
                lazy = lazy or lazy_import_lines(src)
                if inside(lazy, node.lineno):
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
            if not top or module in seen:
                continue
            if top in imports.INTERPRETER_NAMES or data.module(top) is not None:
                seen.add(module)
                finding = _stdlib_module_version(src, context, node, module, env)
                if finding:
                    findings.append(finding)
                continue
            if top in seen:
                continue
            if top in env.top_level:
                seen.add(module)
                if "." in module and not context.import_guarded(node.lineno) and context.judged_here(node.lineno):
                    finding = _missing_submodule(src, node, module, env)
                    if finding:
                        lazy = lazy or lazy_import_lines(src)
                        if extends_path or inside(lazy, node.lineno):
                            finding = dataclasses.replace(finding, severity=Severity.WARNING)
                        findings.append(finding)
                continue
            if imports.workspace_module_path(top, file_dir, root) is not None:
                seen.add(top)
                continue
            if context.import_guarded(node.lineno) or not context.judged_here(node.lineno):  # type: ignore[attr-defined]
                continue  # optional here; an unguarded import of it later is still checked
            seen.add(top)
            declared = declared or _declarations(context, root)
            new_here = generated and not _imported_in(src.original or "", top)
            if top in declared.import_names:
                if new_here and "." in module:
                    findings.append(_import_finding(
                        src, node, top, "MC504", Severity.HINT,
                        f"Cannot verify '{module}': '{top}' is declared but not installed in {env.label}; "
                        "install the project's dependencies to check it."))
                continue  # declared: a real dependency this environment lacks
            lazy = lazy or lazy_import_lines(src)
            quiet = extends_path or inside(lazy, node.lineno)
            if new_here:
                findings.append(_slopsquatting_finding(src, node, top, pypi, env, declared, quiet))
            elif top in pypi:
                dist = pypi[top]
                findings.append(_import_finding(
                    src, node, top, "MC505", Severity.HINT,
                    f"Import '{top}' comes from the PyPI package '{dist}', which is not installed in "
                    f"{env.label}: pip install {dist}"))
            else:
                findings.append(_import_finding(
                    src, node, top, "MC504", Severity.WARNING,
                    f"Import '{top}' resolves nowhere here: not installed in {env.label}, "
                    f"{_not_declared(declared)}, not in the workspace, not a known PyPI package. "
                    "Check the name, or declare the dependency."))
    return findings


def _declarations(context: Guards, root: Path | None) -> dependencies.Declarations:
    """The project's declarations, and the workspace root's when it differs (a monorepo's requirements)."""
    found = dependencies.declarations(context.project_root or root)
    if root is not None and context.project_root is not None and root != context.project_root:
        other = dependencies.declarations(root)
        found = dependencies.Declarations(found.files + other.files, found.distributions | other.distributions,
                                          found.import_names | other.import_names)
    return found


def _not_declared(declared: dependencies.Declarations) -> str:
    if declared.files:
        return "not declared in " + ", ".join(declared.files)
    return "not declared (no pyproject.toml, requirements*.txt or lock file found)"


def _imported_in(text: str, top: str) -> bool:
    return re.search(rf"^\s*(?:from|import)\s+{re.escape(top)}\b", text, re.MULTILINE) is not None


def _slopsquatting_finding(src: PythonSource, node: ast.AST, top: str, pypi: dict[str, str],
                           env: imports.Environment, declared: dependencies.Declarations, quiet: bool) -> Finding:
    """A generated edit imports a package nobody installed or declared: LLMs
    invent package names, and attackers register them."""
    where = f"not installed in {env.label} and {_not_declared(declared)}"
    if top in pypi:
        return _import_finding(
            src, node, top, "MC505", Severity.WARNING,
            f"Import '{top}' (PyPI '{pypi[top]}') is {where}: check that this package is real and the one "
            "you mean before adding it to the project's dependencies.")
    return _import_finding(
        src, node, top, "MC504", Severity.WARNING if quiet else Severity.ERROR,
        f"Import '{top}' is {where}, and is not a known PyPI package: check that this package is real "
        "before adding it (invented package names get registered by attackers).")


def _stdlib_module_version(src: PythonSource, context: Guards, node: ast.AST, module: str,
                           env: imports.Environment) -> Finding | None:
    """``import tomllib`` in a project that supports 3.10; ``import imp`` in one that supports 3.12."""
    data = imports.stdlib_versions()
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        present = data.module(".".join(parts[:i]))
        if present is not None:
            break
    else:
        return None
    known_module = ".".join(parts[:i])
    runtime_has = parts[0] in imports.INTERPRETER_NAMES
    if _version_verdict(context.target, runtime_has, present) is None:
        return None  # fine for every supported Python: no need to find the guards
    line = node.lineno  # type: ignore[attr-defined]
    minors = context.runs_in(line)
    if not minors or src.is_stub or context.import_guarded(line):
        return None
    verdict = _version_verdict(minors, runtime_has, present)
    if verdict is None:
        return None
    if parts[0] in env.top_level and parts[0] not in imports.STDLIB_NAMES:
        return None  # a backport of the same name is installed
    if parts[0] == "distutils" and "setuptools" in env.top_level:
        return None  # setuptools provides distutils where the standard library dropped it
    missing, present = verdict
    if present and max(missing) < min(present):
        what = f"'{known_module}' is in the standard library only from Python 3.{min(present)}"
        advice = (f"guard it with `if sys.version_info >= (3, {min(present)}):` or use a backport "
                  "in an `except ImportError:` fallback")
    else:
        what = f"'{known_module}' is not in the standard library {_gap(missing, present)[0]}"
        advice = _gap(missing, present)[1]
    return _import_finding(src, node, parts[0], "MC504", _version_severity(context, missing, minors),
                           f"{what}; {_supports(context)}: {advice}.")


def _missing_submodule(src: PythonSource, node: ast.AST, module: str, env: imports.Environment) -> Finding | None:
    """``import requests.invented``: judged from the installed package's files;
    nothing is said where a package could provide it in a way files do not
    show (namespace packages, single-module or compiled packages, names or
    ``__getattr__`` in ``__init__``)."""
    parts = module.split(".")
    directory = next((site / parts[0] for site in env.site_dirs if (site / parts[0]).is_dir()), None)
    if directory is None:
        return None
    for depth, part in enumerate(parts[1:], start=1):
        init = next((directory / n for n in ("__init__.py", "__init__.pyi") if (directory / n).is_file()), None)
        if init is None:
            return None  # a namespace package: other directories may add to it
        if imports.module_in_dir(directory, part) is not None:
            if (directory / part).is_dir():
                directory = directory / part
                continue
            return None  # a module or extension: anything below it is not judged
        try:
            text = init.read_text("utf-8", "replace")
        except OSError:
            return None
        if re.search(rf"\b{re.escape(part)}\b|__getattr__|sys\.modules|__path__", text):
            return None
        parent = ".".join(parts[:depth])
        return _import_finding(
            src, node, parts[0], "MC504", Severity.ERROR,
            f"'{parent}' (installed in {env.label}) has no submodule '{part}': fix the name; "
            f"the package's files are in {directory}.")
    return None


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


def _stdlib_attributes(src: PythonSource, context: Guards) -> list[Finding]:
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
            if top == "distutils" and "setuptools" in imports.environment_for(context.project_root or root).top_level:
                shadow_cache[top] = True  # setuptools >= 60 replaces the standard library's distutils
        return shadow_cache[top]

    aliases: dict[str, str] = {}
    imported_classes: dict[str, tuple[str, str]] = {}  # bound name -> (module, class)
    rebound: set[str] = set()
    import_binds: dict[str, int] = {}
    candidates: list[tuple[ast.ImportFrom, str]] = []
    for node in import_nodes:
        for alias in node.names:  # type: ignore[attr-defined]
            bound = alias.asname or alias.name.split(".")[0]
            import_binds[bound] = import_binds.get(bound, 0) + 1
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
                bound = alias.asname or alias.name
                rebound.add(bound)
                if alias.name != "*":
                    candidates.append((node, alias.name))  # type: ignore[arg-type]
                    imported_classes[bound] = (node.module, alias.name)  # type: ignore[assignment]
        else:
            for alias in node.names:  # type: ignore[attr-defined]
                rebound.add(alias.asname or alias.name)
    findings: list[Finding] = []
    data = imports.stdlib_versions()
    for node, name in candidates:
        module = node.module or ""
        if shadowed(module.split(".")[0]):
            continue
        known = imports.stdlib_module_names(module)
        runtime_has = None if known is None else (
            name in known.names or name in imports.OPTIONAL_ATTRIBUTES.get(module, ()))
        if runtime_has is None and data.module(module) is None:
            continue
        if src.is_stub and runtime_has is False and data.name(module, name):
            runtime_has = None  # a stub may use what only typeshed declares (typing.type_check_only)
        finding = _judge_name(src, context, node, module, name, runtime_has, data.name(module, name), None)
        if finding:
            findings.append(finding)
    # Names bound more than once (or as parameters, loop targets, ...) are not what the import bound.
    stores: dict[str, int] = {}
    for node in src.of_type(ast.Name):
        if not isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
            stores[node.id] = stores.get(node.id, 0) + 1  # type: ignore[attr-defined]
            if node.id in aliases:  # type: ignore[attr-defined]
                rebound.add(node.id)  # type: ignore[attr-defined]
    for node in src.of_type(*_FUNCTIONS, ast.ClassDef):
        rebound.add(node.name)  # type: ignore[attr-defined]
        stores[node.name] = stores.get(node.name, 0) + 2  # type: ignore[attr-defined]
    for node in src.of_type(ast.arg):
        rebound.add(node.arg)  # type: ignore[attr-defined]
        stores[node.arg] = stores.get(node.arg, 0) + 2  # type: ignore[attr-defined]
    for node in src.of_type(ast.Global, ast.Nonlocal):
        for name in node.names:  # type: ignore[attr-defined]
            stores[name] = stores.get(name, 0) + 2
    live = {k: v for k, v in aliases.items() if k not in rebound}
    classes = {k: v for k, v in imported_classes.items() if import_binds.get(k) == 1 and not stores.get(k)}
    if not live and not classes:
        return findings
    attributes = src.of_type(ast.Attribute)
    # ``sys.my_flag = 1`` anywhere in the file creates the attribute; ``Path.read_json = ...`` monkeypatches it.
    stored = {(n.value.id, n.attr) for n in attributes  # type: ignore[attr-defined]
              if not isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name)}  # type: ignore[attr-defined]
    patched = {n.attr for n in attributes if not isinstance(n.ctx, ast.Load)}  # type: ignore[attr-defined]
    patched |= {constant(n.args[1]) for n in src.of_type(ast.Call)  # type: ignore[attr-defined]
                if dotted(n.func) == "setattr" and len(n.args) >= 2}  # type: ignore[attr-defined]
    instances = _instances(src, live, classes, stores, import_binds)
    lazy_annotations: list[set[int]] = []  # computed on the first error
    for node in attributes:
        if not isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
            continue  # ``sys.ps1 = ...`` creates the attribute
        finding = _class_attribute(src, context, node, live, classes, instances, patched)  # type: ignore[arg-type]
        if finding is not None:
            findings.append(_in_annotation(src, node, finding, lazy_annotations))
            continue
        parts: list[str] = []
        base: ast.AST = node
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in live:
            continue
        parts.reverse()
        if parts[-1].startswith("__") and parts[-1].endswith("__") or (base.id, parts[0]) in stored:
            continue  # module dunders (__dict__, __file__, ...) always exist
        module_name = _module_of_chain(live[base.id], parts)
        if module_name is None:
            continue
        known = imports.stdlib_module_names(module_name)
        attr = parts[-1]
        runtime_has = None if known is None else (
            attr in known.names or attr in imports.OPTIONAL_ATTRIBUTES.get(module_name, ()))
        written = ".".join([base.id, *parts[:-1]])
        if runtime_has is False and data.name(module_name, attr):
            if src.is_stub:
                runtime_has = None  # a stub may use what only typeshed declares (typing.type_check_only)
            else:
                if not lazy_annotations:
                    lazy_annotations.append(_lazy_annotation_nodes(src))
                if id(node) in lazy_annotations[0]:
                    continue  # ``zlib._Compress`` in an annotation that only type checkers read
        finding = _judge_name(src, context, node, module_name, attr, runtime_has, data.name(module_name, attr),
                              written)
        if finding:
            findings.append(_in_annotation(src, node, finding, lazy_annotations))
    return findings


def _lazy_annotation_nodes(src: PythonSource) -> set[int]:
    """ids of the nodes inside annotations that never run: all of them under
    ``from __future__ import annotations`` and in stubs."""
    lazy = src.is_stub or any(
        isinstance(n, ast.ImportFrom) and n.module == "__future__" and any(a.name == "annotations" for a in n.names)
        for n in src.of_type(ast.ImportFrom))
    if not lazy:
        return set()
    roots: list[ast.AST] = []
    for node in src.of_type(ast.arg):
        if node.annotation is not None:  # type: ignore[attr-defined]
            roots.append(node.annotation)  # type: ignore[attr-defined]
    for node in src.of_type(*_FUNCTIONS):
        if node.returns is not None:  # type: ignore[attr-defined]
            roots.append(node.returns)  # type: ignore[attr-defined]
    for node in src.of_type(ast.AnnAssign):
        roots.append(node.annotation)  # type: ignore[attr-defined]
    return {id(sub) for root in roots for sub in ast.walk(root)}


def _in_annotation(src: PythonSource, node: ast.AST, finding: Finding, lazy: list[set[int]]) -> Finding:
    """A wrong name in an annotation that is never evaluated cannot raise: a
    warning (type checkers will still reject it)."""
    if finding.severity != Severity.ERROR:
        return finding
    if not lazy:
        lazy.append(_lazy_annotation_nodes(src))
    if id(node) not in lazy[0]:
        return finding
    message = finding.message.replace(", it would raise AttributeError.", ".")
    message += " It is in an annotation that is never evaluated, so only type checkers see it."
    return dataclasses.replace(finding, severity=Severity.WARNING, message=message)


def _module_of_chain(module: str, parts: list[str]) -> str | None:
    """Follow ``module.a.b`` while each step is a module: the module whose
    attribute the last part is, or None when a step is not a module. Each
    Attribute node of a chain checks only its own last part."""
    for part in parts[:-1]:
        known = imports.stdlib_module_names(module)
        if known is None or part not in known.modules:
            return None
        module = known.modules[part]
    return module


def _judge_name(src: PythonSource, context: Guards, node: ast.AST, module: str, name: str,
                runtime_has: bool | None, present: frozenset[int] | None, written: str | None) -> Finding | None:
    """MC506 for ``from module import name`` (``written`` None) or ``written.name``."""
    if runtime_has is not False and _version_verdict(context.target, runtime_has, present) is None:
        return None  # fine for every supported Python: no need to find the guards
    line = node.lineno if written is None else (node.end_lineno or node.lineno)  # type: ignore[attr-defined]
    minors = context.runs_in(line)
    if not minors:
        return None
    if runtime_has is False and RUNNING in minors and (present is None or not present or RUNNING in present):
        # Missing here, and typeshed does not place it in another version: today's verdict.
        if context.attribute_guarded(line):
            return None
        severity, where = _attribute_severity(module, name)
        if present and RUNNING in present:
            severity = Severity.WARNING
            where = f" on this platform ({sys.platform}); guard it if it is platform-specific"
        return _missing_finding(src, node, module, name, written, severity, where)
    if runtime_has is False and present is not None and not present and RUNNING not in minors:
        if context.attribute_guarded(line):
            return None
        return _missing_finding(src, node, module, name, written, *_attribute_severity(module, name))
    if src.is_stub:
        return None  # type checkers read stubs for the version they check, guards or not
    verdict = _version_verdict(minors, runtime_has, present)
    if verdict is None or context.attribute_guarded(line):
        return None
    missing, present = verdict
    gap, advice = _gap(missing, present)
    if module == "typing" and max(missing) < min(present):
        advice += " or import it from typing_extensions"
    shown = f"Module '{written}' has no attribute '{name}'" if written == module else (
        f"Module '{written}' ('{module}') has no attribute '{name}'" if written else f"'{module}' has no '{name}'")
    message = f"{shown} {gap}; {_supports(context)}: {advice}."
    return _place(src, node, name, written, "MC506", message, _version_severity(context, missing, minors))


def _attribute_severity(module: str, name: str) -> tuple[Severity, str]:
    """An error only when the name is missing everywhere: platform-dependent
    modules and private names vary between builds and versions."""
    if module.split(".")[0] in imports.PLATFORM_DEPENDENT or not imports.has_python_source(module):
        return Severity.WARNING, f" on this platform ({sys.platform}); guard it if it is platform-specific"
    if name.startswith("_"):
        return Severity.WARNING, " in this Python version (private names change between versions)"
    return Severity.ERROR, ""


def _missing_finding(src: PythonSource, node: ast.AST, module: str, name: str, written: str | None,
                     severity: Severity, where: str) -> Finding:
    if written is None:
        message = f"'{module}' has no '{name}'{where}: fix the name, or import it from where it really lives."
    else:
        shown = f"'{written}'" if written == module else f"'{written}' ('{module}')"
        message = f"Module {shown} has no attribute '{name}'{where}: fix the name, it would raise AttributeError."
    return _place(src, node, name, written, "MC506", message, severity)


def _place(src: PythonSource, node: ast.AST, name: str, written: str | None, code: str, message: str,
           severity: Severity) -> Finding:
    """On the imported name of a ``from`` import, or on the attribute's name."""
    if written is None:
        index = node.lineno - 1  # type: ignore[attr-defined]
        line = src.line(index)
        found = re.compile(r"\b" + re.escape(name) + r"\b").search(
            line, src.column(node.lineno, node.col_offset) + 5)  # type: ignore[attr-defined]
        if found and node.lineno == node.end_lineno:  # type: ignore[attr-defined]
            return Finding(code, message, severity, index, found.start(), index, found.end())
        return src.finding(code, message, severity, node)
    end_line = node.end_lineno or node.lineno  # type: ignore[attr-defined]
    end = src.column(end_line, node.end_col_offset or 0)  # type: ignore[attr-defined]
    start = end - len(name)
    return Finding(code, message, severity, end_line - 1, max(start, 0), end_line - 1, end)


# ---------------------------------------------------------------- names on stdlib classes


def _class_of(expr: ast.expr, live: dict[str, str], classes: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """(module, class) when ``expr`` names a stdlib class: ``datetime.datetime``, ``Path`` (from pathlib)."""
    if isinstance(expr, ast.Name):
        return classes.get(expr.id)
    if isinstance(expr, ast.Attribute):
        parts: list[str] = []
        base: ast.expr = expr
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name) and base.id in live:
            parts.reverse()
            module = _module_of_chain(live[base.id], parts)
            if module is not None:
                return module, parts[-1]
    return None


def _instances(src: PythonSource, live: dict[str, str], classes: dict[str, tuple[str, str]],
               stores: dict[str, int], import_binds: dict[str, int]) -> dict[str, tuple[str, str]]:
    """Names bound exactly once in the file, to a call of a stdlib class: ``p = Path("x")``."""
    found: dict[str, tuple[str, str]] = {}
    for node in src.of_type(ast.Assign):
        targets = node.targets  # type: ignore[attr-defined]
        value = node.value  # type: ignore[attr-defined]
        if len(targets) == 1 and isinstance(targets[0], ast.Name) and stores.get(targets[0].id) == 1 and \
                not import_binds.get(targets[0].id) and isinstance(value, ast.Call):
            cls = _class_of(value.func, live, classes)
            if cls is not None:
                found[targets[0].id] = cls
    return found


def _runtime_class(module: str, name: str) -> type | None:
    """The class object, only from modules that are safe to import."""
    loaded = sys.modules.get(module)
    if loaded is None and module in imports.SAFE_STDLIB:
        try:
            loaded = __import__("importlib").import_module(module)
        except Exception:
            return None
    value = getattr(loaded, name, None) if loaded is not None else None
    return value if isinstance(value, type) else None


def _class_attribute(src: PythonSource, context: Guards, node: ast.Attribute, live: dict[str, str],
                     classes: dict[str, tuple[str, str]], instances: dict[str, tuple[str, str]],
                     patched: set[object]) -> Finding | None:
    """``datetime.datetime.from_string``, ``Path.read_json``, ``Path(p).read_json()``,
    ``p.read_json()`` for a name bound once to ``Path(...)``."""
    attr = node.attr
    if attr in patched or attr.startswith("_"):
        return None  # typeshed leaves private members out
    value = node.value
    instance = False
    target = _class_of(value, live, classes)
    if target is None and isinstance(value, ast.Call):
        target, instance = _class_of(value.func, live, classes), True
    elif target is None and isinstance(value, ast.Name) and value.id in instances:
        target, instance = instances[value.id], True
    if target is None:
        return None
    module, name = target
    cls = _runtime_class(module, name)
    if cls is None or imports.has_dynamic_class_attributes(cls):
        return None
    declared = imports.stdlib_versions().class_members(f"{module}.{name}")
    if instance and (declared is None or not declared.complete or "__dict__" in dir(cls)):
        # Instance attributes set in __init__ are only known from a complete declaration, and
        # an instance with a __dict__ may be given any attribute anywhere.
        return None
    runtime_has = hasattr(cls, attr)
    present = None if declared is None else declared.members.get(attr, frozenset())
    if runtime_has and not context.project_known:
        return None  # exists in the Python that is judged
    line = node.end_lineno or node.lineno
    minors = context.runs_in(line)
    if not minors or context.attribute_guarded(line):
        return None
    shown = f"'{name}' objects have no attribute '{attr}' ({module}.{name})" if instance else \
        f"'{module}.{name}' has no attribute '{attr}'"
    if not runtime_has and not present:
        # Missing here and never declared: invented, unless typeshed's view of the class is partial
        # or this Python is not one the line runs in.
        if (declared is not None and not declared.complete) or (declared is None and RUNNING not in minors):
            return None
        return _place(src, node, attr, shown, "MC506",
                      f"{shown}: fix the name, it would raise AttributeError.", Severity.ERROR)
    verdict = None if src.is_stub else _version_verdict(minors, runtime_has, present)
    if verdict is None:
        return None
    missing, present = verdict
    gap, advice = _gap(missing, present)
    return _place(src, node, attr, shown, "MC506", f"{shown} {gap}; {_supports(context)}: {advice}.",
                  _version_severity(context, missing, minors))
