"""Build mycoder_lsp/data/stdlib_names.txt: which standard-library modules,
module attributes and class members exist in which Python 3 versions.

The source is typeshed's ``stdlib`` directory: its ``VERSIONS`` file (module
lifetimes) and the ``if sys.version_info >= (3, N):`` blocks of the stubs
(names added or removed). By default it reads the typeshed copy bundled in
a pinned mypy wheel, downloaded with ``pip download mypy==PIN --no-deps``
into a cache directory outside the checkout, so the output is reproducible:

    .venv/bin/python scripts/build_stdlib_names.py              # mypy==1.19.1
    .venv/bin/python scripts/build_stdlib_names.py --typeshed ~/src/typeshed

Output format (one record a line, ``#`` comments; versions are 3.x minors):

    V <newest minor>
    M <module> <range>
    N <module> <name>[@<ranges>] ...
    C <module>.<Class> <base,base|-> <member>[@<ranges>] ...

``<ranges>`` is ``lo-hi`` pieces joined by ``,`` (``12-`` = 3.12 and later,
``-10`` = up to 3.10); a name without one exists whenever its module does.
A base written ``?`` could not be resolved: the class's member list is then
incomplete and must not be used to say a member is missing.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MYPY_PIN = "1.19.1"
OUTPUT = Path(__file__).resolve().parent.parent / "mycoder_lsp" / "data" / "stdlib_names.txt"
CACHE = Path.home() / ".cache" / "mycoder-lsp" / "typeshed"


def typeshed_from_mypy(pin: str) -> Path:
    """Download mypy==pin (no dependencies) and unpack its typeshed stdlib."""
    target = CACHE / f"mypy-{pin}"
    stdlib = target / "mypy" / "typeshed" / "stdlib"
    if (stdlib / "VERSIONS").is_file():
        return stdlib
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", f"mypy=={pin}", "--no-deps", "-d", str(target)],
                   check=True)
    (wheel,) = target.glob(f"mypy-{pin}-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.startswith("mypy/typeshed/stdlib/"):
                zf.extract(name, target)
    return stdlib


# ---------------------------------------------------------------- version sets


@dataclass
class Universe:
    newest: int

    @property
    def all(self) -> frozenset[int]:
        return frozenset(range(0, self.newest + 1))


def _compare(op: ast.cmpop, minor: int, bound: int) -> bool:
    if isinstance(op, ast.GtE):
        return minor >= bound
    if isinstance(op, ast.Gt):
        return minor > bound
    if isinstance(op, ast.Lt):
        return minor < bound
    if isinstance(op, ast.LtE):
        return minor <= bound
    if isinstance(op, ast.Eq):
        return minor == bound
    if isinstance(op, ast.NotEq):
        return minor != bound
    raise ValueError(op)


def _is_version_info(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "version_info"


def condition(test: ast.expr, universe: Universe) -> tuple[frozenset[int], frozenset[int]]:
    """(minors where ``test`` may be true, minors where it may be false);
    platform tests may be either everywhere."""
    every = universe.all
    if isinstance(test, ast.BoolOp):
        parts = [condition(v, universe) for v in test.values]
        if isinstance(test.op, ast.And):
            true = frozenset.intersection(*[p[0] for p in parts])
            false = frozenset.union(*[p[1] for p in parts])
        else:
            true = frozenset.union(*[p[0] for p in parts])
            false = frozenset.intersection(*[p[1] for p in parts])
        return true, false
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        true, false = condition(test.operand, universe)
        return false, true
    if (isinstance(test, ast.Compare) and len(test.ops) == 1 and _is_version_info(test.left)
            and isinstance(test.comparators[0], ast.Tuple)):
        values = [e.value for e in test.comparators[0].elts if isinstance(e, ast.Constant)]
        if len(values) >= 2 and values[0] == 3:
            op, bound = test.ops[0], values[1]
            true = frozenset(m for m in every if _compare(op, m, bound))
            return true, every - true
    return every, every


def ranges(minors: frozenset[int], universe: Universe) -> str:
    """``12-``, ``-10``, ``9-12``; pieces joined by ``,``."""
    pieces: list[str] = []
    for minor in sorted(minors):
        if pieces and minor - 1 in minors:
            continue
        last = minor
        while last + 1 in minors:
            last += 1
        lo = "" if minor == 0 else str(minor)
        hi = "" if last == universe.newest else str(last)
        pieces.append(f"{lo}-{hi}")
    return ",".join(pieces)


# ---------------------------------------------------------------- stubs


@dataclass
class ClassInfo:
    bases: list[str]
    members: dict[str, frozenset[int]] = field(default_factory=dict)


@dataclass
class ModuleInfo:
    names: dict[str, frozenset[int]] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    imported: dict[str, str] = field(default_factory=dict)  # local name -> "module.Name" or "module"


def _add(table: dict[str, frozenset[int]], name: str, minors: frozenset[int]) -> None:
    table[name] = table.get(name, frozenset()) | minors


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.TypeAlias) if hasattr(ast, "TypeAlias") else False:  # 3.12+
        return [node.name.id]  # type: ignore[attr-defined]
    return []


def _walk(body: list[ast.stmt], minors: frozenset[int], universe: Universe):  # type: ignore[no-untyped-def]
    """(statement, minors it exists in), through version and platform ifs."""
    for node in body:
        if isinstance(node, ast.If):
            true, false = condition(node.test, universe)
            yield from _walk(node.body, minors & true, universe)
            yield from _walk(node.orelse, minors & false, universe)
        elif isinstance(node, ast.Try):
            yield from _walk(node.body, minors, universe)
        else:
            yield node, minors


def _resolve_base(expr: ast.expr, module: str, info: ModuleInfo) -> str:
    if isinstance(expr, ast.Subscript):
        expr = expr.value
    if isinstance(expr, ast.Name):
        if expr.id in ("object", "Generic", "Protocol"):
            return ""
        if expr.id in info.classes:
            return f"{module}.{expr.id}"
        if expr.id in info.imported:
            return info.imported[expr.id]
        if expr.id in info.names:
            return f"{module}.{expr.id}"
        return f"builtins.{expr.id}"  # builtins are not imported in stubs
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in info.imported:
        return f"{info.imported[expr.value.id]}.{expr.attr}"
    return "?"


def read_module(path: Path, module: str, minors: frozenset[int], universe: Universe) -> ModuleInfo:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    info = ModuleInfo()
    is_package = path.name == "__init__.pyi"
    package = module if is_package else module.rpartition(".")[0]
    pending: list[tuple[ast.ClassDef, frozenset[int]]] = []
    for node, when in _walk(tree.body, minors, universe):
        if not when:
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            source = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                source = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                if alias.name == "*":
                    _add(info.names, f"*{source}", when)
                    continue
                bound = alias.asname or alias.name.split(".")[0]
                _add(info.names, bound, when)
                if isinstance(node, ast.ImportFrom):
                    info.imported[bound] = f"{source}.{alias.name}"
                else:
                    info.imported[bound] = alias.name if alias.asname else alias.name.split(".")[0]
            continue
        for name in _bound_names(node):
            _add(info.names, name, when)
        if isinstance(node, ast.ClassDef):
            pending.append((node, when))
    for node, when in pending:
        cls = info.classes.setdefault(node.name, ClassInfo([]))
        cls.bases = [b for b in (_resolve_base(e, module, info) for e in node.bases) if b]
        for member, member_when in _walk(node.body, when, universe):
            for name in _bound_names(member):
                _add(cls.members, name, member_when)
    return info


def read_versions(stdlib: Path, universe: Universe) -> dict[str, frozenset[int]]:
    result = {}
    for line in (stdlib / "VERSIONS").read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, span = line.partition(":")
        lo, _, hi = span.strip().partition("-")
        first = int(lo.split(".")[1])
        last = int(hi.split(".")[1]) if hi else universe.newest
        result[name.strip()] = frozenset(range(first, last + 1))
    return result


def newest_minor(stdlib: Path) -> int:
    text = (stdlib / "VERSIONS").read_text("utf-8")
    found = [int(v) for v in __import__("re").findall(r"\b3\.(\d+)\b", text)]
    return max(found)


def module_lifetime(module: str, versions: dict[str, frozenset[int]]) -> frozenset[int]:
    """A submodule not listed lives as long as its parent."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in versions:
            return versions[key]
    return frozenset()


def build(stdlib: Path, source_label: str) -> str:
    universe = Universe(newest_minor(stdlib))
    versions = read_versions(stdlib, universe)
    lines = [
        "# Standard-library names by Python version, for mycoder-lsp's MC504/MC506 checks.",
        f"# Generated by scripts/build_stdlib_names.py from {source_label}; do not edit by hand.",
        "# Format: see the script's docstring. Versions are Python 3 minors.",
        f"V {universe.newest}",
    ]
    modules: dict[str, tuple[Path, frozenset[int]]] = {}
    for path in sorted(stdlib.rglob("*.pyi")):
        rel = path.relative_to(stdlib).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        if not parts or any(not p.isidentifier() for p in parts):
            continue
        module = ".".join(parts)
        lifetime = module_lifetime(module, versions)
        if lifetime:
            modules[module] = (path, lifetime)
    for module, (_, lifetime) in sorted(modules.items()):
        lines.append(f"M {module} {ranges(lifetime, universe)}")
    for module, (path, lifetime) in sorted(modules.items()):
        info = read_module(path, module, lifetime, universe)

        def entry(name: str, when: frozenset[int], scope: frozenset[int]) -> str:
            return name if when >= scope else f"{name}@{ranges(when, universe)}"

        lines.append(" ".join(["N", module, *(entry(n, w, lifetime) for n, w in sorted(info.names.items()))]))
        for cls_name, cls in sorted(info.classes.items()):
            scope = info.names.get(cls_name, lifetime)
            members = [entry(n, w, scope) for n, w in sorted(cls.members.items())]
            lines.append(" ".join(["C", f"{module}.{cls_name}", ",".join(cls.bases) or "-", *members]))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--typeshed", type=Path, help="a typeshed checkout (its stdlib/ is read)")
    parser.add_argument("--mypy", default=MYPY_PIN, help=f"mypy version whose bundled typeshed is read ({MYPY_PIN})")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if args.typeshed:
        stdlib = args.typeshed / "stdlib" if (args.typeshed / "stdlib").is_dir() else args.typeshed
        label = f"typeshed at {args.typeshed}"
    else:
        stdlib = typeshed_from_mypy(args.mypy)
        label = f"the typeshed stdlib bundled in the mypy=={args.mypy} wheel (PyPI)"
    args.output.write_text(build(stdlib, label), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
