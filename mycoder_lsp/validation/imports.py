"""Where does an import come from? The standard library, the workspace's own
interpreter, the workspace's files, or at least a known PyPI distribution.

Also answers which top-level names a standard-library module has, for the
check of attributes like ``os.path.joinpath``: this Python's own modules
(introspected safely), and for every Python 3 version the data file that
``scripts/build_stdlib_names.py`` generates from typeshed
(:func:`stdlib_versions`: modules, module names and class members by
version), so a project that supports 3.10 can be told that
``typing.override`` arrived in 3.12.

It must never import third-party code or a module whose import has side
effects (``antigravity``, ``this``): installed packages are found by reading
site-packages directory listings and ``*.dist-info`` metadata, stdlib module
names by importing only :data:`SAFE_STDLIB` modules, or by parsing the
module's source with ``ast``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import sys
import sysconfig
import threading
import time
import types
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mycoder_lsp.code.parsing import parse_python

STDLIB_DIR = Path(sysconfig.get_paths()["stdlib"]).resolve()

def _interpreter_modules() -> frozenset[str]:
    """Top-level modules shipped with this interpreter beyond
    ``sys.stdlib_module_names``: the test package, CPython's test extension
    modules in lib-dynload (``_testcapi``), ..."""
    names: set[str] = set()
    for directory in (STDLIB_DIR, STDLIB_DIR / "lib-dynload"):
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            stem = entry.split(".", 1)[0]
            if stem and (stem + ".py" == entry or entry.endswith(".so") or "." not in entry) \
                    and stem.isidentifier() and stem != "site-packages":
                names.add(stem)
    return frozenset(names)


STDLIB_NAMES = frozenset(sys.stdlib_module_names) | {"__future__", "__main__", "_typeshed"}
# Importable from the interpreter itself, but not all "the standard library".
INTERPRETER_NAMES = STDLIB_NAMES | _interpreter_modules()

# Modules whose attributes differ between platforms or builds: a name this
# Python lacks may exist elsewhere, so a missing one is a warning, not an error.
PLATFORM_DEPENDENT = frozenset("""
sys os posix nt select socket signal codecs subprocess asyncio ctypes time errno mmap ssl locale shutil
multiprocessing resource fcntl termios tty pty curses readline winreg msvcrt platform sysconfig stat
tempfile faulthandler tracemalloc gc zipimport _thread threading io pathlib selectors grp pwd spwd crypt
syslog _socket _ssl _winapi _overlapped winsound
""".split())
# Attributes of sys that exist only in some situations (interactive mode,
# debug builds, after an exception was printed, other platforms).
OPTIONAL_ATTRIBUTES = {
    "sys": frozenset("""last_type last_value last_traceback last_exc ps1 ps2 tracebacklimit gettotalrefcount
    getobjects _emscripten_info getandroidapilevel getwindowsversion winver dllhandle
    _enablelegacywindowsfsencoding setdlopenflags getdlopenflags abiflags _base_executable pycache_prefix
    _git _framework exitfunc""".split()),
}
# Namespaces any code may extend at run time: nothing can be said.
OPEN_MODULES = frozenset({"builtins", "__main__", "__builtin__"})

# Standard-library modules whose import runs nothing but definitions; only
# these may be imported to list their attributes.
SAFE_STDLIB = frozenset("""
abc argparse array ast asyncio base64 binascii bisect builtins bz2 calendar cmath codecs codeop collections
collections.abc colorsys compileall concurrent concurrent.futures configparser contextlib contextvars copy
copyreg cProfile csv ctypes dataclasses datetime decimal difflib dis email email.message email.utils enum
errno faulthandler filecmp fileinput fnmatch fractions ftplib functools gc getopt getpass gettext glob
graphlib gzip hashlib heapq hmac html html.parser http http.client http.cookies http.server imaplib
importlib importlib.abc importlib.machinery importlib.metadata importlib.resources importlib.util inspect
io ipaddress itertools json keyword linecache locale logging logging.config logging.handlers lzma mailbox
marshal math mimetypes mmap multiprocessing netrc numbers opcode operator os os.path pathlib pickle
pickletools pkgutil platform plistlib poplib posixpath ntpath pprint profile pstats py_compile queue quopri
random re reprlib sched secrets select selectors shelve shlex shutil signal smtplib socket socketserver
sqlite3 ssl stat statistics string stringprep struct subprocess symtable sys sysconfig tabnanny tarfile
tempfile textwrap threading time timeit token tokenize tomllib trace traceback tracemalloc types typing
unicodedata unittest unittest.mock urllib urllib.error urllib.parse urllib.request urllib.response uuid
warnings wave weakref xml xml.dom xml.dom.minidom xml.etree xml.etree.ElementTree xml.sax zipapp zipfile
zipimport zlib zoneinfo
""".split())

PYPI_NAMES_FILE = Path(__file__).resolve().parent.parent / "data" / "pypi_import_names.txt"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Environment:
    """The interpreter a workspace runs with, as far as imports go."""

    label: str  # shown to the user: the venv or interpreter path
    site_dirs: tuple[Path, ...]
    top_level: frozenset[str]


# ---------------------------------------------------------------- environment

_env_cache: dict[str, tuple[float, tuple[float, ...], Environment]] = {}
_env_lock = threading.Lock()
# Re-stat site-packages at most this often to notice new installs.
_RECHECK_SECONDS = 5.0


def environment_for(root: Path | None) -> Environment:
    key = str(root or "")
    now = time.monotonic()
    with _env_lock:
        cached = _env_cache.get(key)
        if cached and now - cached[0] < _RECHECK_SECONDS:
            return cached[2]
        label, site_dirs = _find_site_dirs(root)
        stamps = tuple(_mtime(d) for d in site_dirs)
        if cached and cached[1] == stamps and cached[2].site_dirs == site_dirs:
            _env_cache[key] = (now, stamps, cached[2])
            return cached[2]
        env = Environment(label, site_dirs, frozenset(_scan_site_dirs(site_dirs)))
        _env_cache[key] = (now, stamps, env)
        return env


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _find_site_dirs(root: Path | None) -> tuple[str, tuple[Path, ...]]:
    """``<root>/.venv``, ``<root>/venv``, ``$VIRTUAL_ENV``, else this interpreter."""
    candidates: list[Path] = []
    if root is not None:
        candidates += [root / ".venv", root / "venv"]
    if os.environ.get("VIRTUAL_ENV"):
        candidates.append(Path(os.environ["VIRTUAL_ENV"]))
    for venv in candidates:
        if (venv / "pyvenv.cfg").is_file():
            dirs = sorted(venv.glob("lib/python3*/site-packages")) + sorted(venv.glob("lib64/python3*/site-packages"))
            dirs += [d for d in (venv / "Lib" / "site-packages",) if d.is_dir()]
            if dirs:
                return str(venv), tuple(dirs)
    here = tuple(Path(p) for p in sys.path if p and os.path.isdir(p) and Path(p).resolve() != STDLIB_DIR)
    return sys.executable, here


def _scan_site_dirs(site_dirs: tuple[Path, ...]) -> set[str]:
    names: set[str] = set()
    for site in site_dirs:
        names |= _names_in_dir(site, with_metadata=True)
    return names


def _names_in_dir(directory: Path, *, with_metadata: bool = False) -> set[str]:
    names: set[str] = set()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return names
    for entry in entries:
        name = entry.name
        if name.endswith((".dist-info", ".egg-info")):
            if with_metadata:
                names |= _names_from_metadata(Path(entry.path))
            continue
        if name.endswith(".pth") and with_metadata:
            names |= _names_from_pth(Path(entry.path))
            continue
        if name.startswith("__editable__") and name.endswith("_finder.py") and with_metadata:
            names |= _names_from_editable_finder(Path(entry.path))
            continue
        stem = name.split(".", 1)[0]
        if not _IDENT.fullmatch(stem) or stem == "__pycache__":
            continue
        if entry.is_dir() or name.endswith((".py", ".pyi", ".so", ".pyd", ".pyc")):
            names.add(stem)
    return names


def _names_from_metadata(dist: Path) -> set[str]:
    names: set[str] = set()
    try:
        top = (dist / "top_level.txt").read_text("utf-8", "replace")
        names.update(line.strip().split("/")[0] for line in top.splitlines() if line.strip())
        return names
    except OSError:
        pass
    try:
        with (dist / "RECORD").open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                first = line.split(",", 1)[0].split("/", 1)
                head = first[0]
                if len(first) > 1 and _IDENT.fullmatch(head):
                    names.add(head)
                elif head.endswith(".py") and _IDENT.fullmatch(head[:-3]):
                    names.add(head[:-3])
    except OSError:
        pass
    return names


def _names_from_pth(pth: Path) -> set[str]:
    """A ``.pth`` line that is a directory adds it to ``sys.path`` (editable
    installs, ``setup.py develop``); ``import`` lines are not run."""
    names: set[str] = set()
    try:
        lines = pth.read_text("utf-8", "replace").splitlines()
    except OSError:
        return names
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", "import ", "import\t")):
            continue
        path = Path(line) if os.path.isabs(line) else pth.parent / line
        if path.is_dir():
            names |= _names_in_dir(path)
    return names


def _names_from_editable_finder(finder: Path) -> set[str]:
    try:
        text = finder.read_text("utf-8", "replace")
    except OSError:
        return set()
    match = re.search(r"MAPPING\s*(?::[^=]*)?=\s*(\{[^}]*\})", text)
    if not match:
        return set()
    return set(re.findall(r"['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\s*:", match.group(1)))


@lru_cache(maxsize=32)
def installed_distributions(env: Environment) -> dict[str, frozenset[str]]:
    """Normalised distribution name -> the top-level names it installed, from
    the ``*.dist-info`` / ``*.egg-info`` metadata of ``env``."""
    table: dict[str, frozenset[str]] = {}
    for site in env.site_dirs:
        try:
            entries = os.listdir(site)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info")):
                dist = re.sub(r"[-_.]+", "-", entry.rsplit(".", 1)[0].split("-", 1)[0]).lower()
                table[dist] = table.get(dist, frozenset()) | frozenset(_names_from_metadata(site / entry))
    return table


# ---------------------------------------------------------------- PyPI names


@lru_cache(maxsize=1)
def pypi_import_names() -> dict[str, str]:
    """Import name -> distribution name, from the list shipped as package data."""
    names: dict[str, str] = {}
    try:
        text = PYPI_NAMES_FILE.read_text("utf-8")
    except OSError:
        return names
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if parts:
            names[parts[0]] = parts[1] if len(parts) > 1 else parts[0]
    return names


# ---------------------------------------------------------------- workspace


def workspace_module_path(name: str, file_dir: Path | None, root: Path | None) -> Path | None:
    """The file or package of the workspace that ``import name`` would find:
    next to the file, in one of its parents up to the root, or in ``src/``."""
    dirs: list[Path] = []
    if file_dir is not None:
        dirs.append(file_dir)
        if root is not None:
            parent = file_dir
            while parent != root and root in parent.parents:
                parent = parent.parent
                dirs.append(parent)
    if root is not None:
        dirs += [root, root / "src", root / "lib"]
    for directory in dirs:
        found = module_in_dir(directory, name)
        if found is not None:
            return found
    return None


def module_in_dir(directory: Path, name: str) -> Path | None:
    entry = _module_entries(str(directory)).get(name)
    return directory / entry if entry is not None else None


@lru_cache(maxsize=4096)
def _module_entries_cached(directory: str, stamp: float) -> dict[str, str]:
    """Importable name -> directory entry (``pkg``, ``mod.py``, ``ext.cpython-311-x86_64-linux-gnu.so``)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return {}
    entries: dict[str, str] = {}
    for entry in names:
        stem, dot, suffix = entry.partition(".")
        if not dot or suffix in ("py", "pyi") or entry.endswith((".so", ".pyd")):
            entries.setdefault(stem, entry)
    return entries


def _module_entries(directory: str) -> dict[str, str]:
    return _module_entries_cached(directory, _mtime(Path(directory)))


def _listing(directory: str) -> frozenset[str]:
    return frozenset(_module_entries(directory).values())


# ---------------------------------------------------------------- stdlib attributes


@dataclass(frozen=True)
class ModuleNames:
    """The attributes a stdlib module has; ``modules`` maps the ones that are
    modules themselves (``os.path`` -> ``posixpath``) to their real name."""

    names: frozenset[str]
    modules: dict[str, str]


_module_names_cache: dict[str, ModuleNames | None] = {}
_module_names_lock = threading.Lock()


def stdlib_module_names(module: str) -> ModuleNames | None:
    """What ``module`` defines, or None when that cannot be known safely."""
    with _module_names_lock:
        if module in _module_names_cache:
            return _module_names_cache[module]
    result = _compute_module_names(module)
    with _module_names_lock:
        _module_names_cache[module] = result
    return result


def _compute_module_names(module: str) -> ModuleNames | None:
    if module.split(".")[0] not in STDLIB_NAMES or module in OPEN_MODULES:
        return None
    if module in ("posixpath", "ntpath", "os.path"):
        # os.path is one or the other depending on the platform; both are
        # pure Python and safe to import anywhere.
        import ntpath
        import posixpath

        return ModuleNames(frozenset(dir(posixpath)) | frozenset(dir(ntpath)), {})
    loaded = sys.modules.get(module)
    if loaded is None and module in SAFE_STDLIB:
        try:
            loaded = importlib.import_module(module)
        except Exception:
            loaded = None
    if loaded is not None:
        if _has_dynamic_attributes(loaded):
            return None
        names = set(dir(loaded))
        modules = {}
        for name in names:
            value = getattr(loaded, name, None)
            if isinstance(value, types.ModuleType):
                modules[name] = value.__name__
        return _with_submodules(module, names, modules)
    return _names_from_source(module)


def _with_submodules(module: str, names: set[str], modules: dict[str, str]) -> ModuleNames:
    for sub in submodules(module):
        names.add(sub)
        modules.setdefault(sub, f"{module}.{sub}")
    return ModuleNames(frozenset(names), modules)


def _has_dynamic_attributes(module: types.ModuleType) -> bool:
    return "__getattr__" in vars(module)


def has_dynamic_class_attributes(cls: type) -> bool:
    """A class (or its metaclass) that computes attributes on access may have any."""
    for klass in cls.__mro__:
        own = vars(klass)
        # C types list a slot wrapper for their (generic) attribute access: not dynamic.
        if "__getattr__" in own or not isinstance(own.get("__getattribute__", object.__getattribute__),
                                                  types.WrapperDescriptorType):
            return True
    return any(klass not in (type, object) and "__getattr__" in vars(klass) for klass in inspect.getmro(type(cls)))


def submodules(module: str) -> set[str]:
    """Submodules of a stdlib package, from the file system."""
    package = STDLIB_DIR.joinpath(*module.split("."))
    if not package.is_dir():
        return set()
    found = set()
    for entry in _listing(str(package)):
        stem = entry.split(".", 1)[0]
        if _IDENT.fullmatch(stem) and (entry.endswith(".py") or (package / entry / "__init__.py").exists()):
            found.add(stem)
    return found


def has_python_source(module: str) -> bool:
    """False for C extension modules, whose names depend on how and where
    this Python was built."""
    return module in ("os.path", "posixpath", "ntpath") or _source_of(module) is not None


def _source_of(module: str) -> Path | None:
    parts = module.split(".")
    base = STDLIB_DIR.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _names_from_source(module: str) -> ModuleNames | None:
    """Every name the module binds at top level in any branch (platform
    branches included), read with ``ast``; unknown when the module fills its
    namespace dynamically."""
    source = _source_of(module)
    if source is None:
        return None  # a C extension that is not loaded: cannot tell safely
    try:
        tree = parse_python(source.read_bytes(), filename=str(source))
    except (SyntaxError, ValueError, OSError, RecursionError):
        return None
    names: set[str] = {"__name__", "__doc__", "__file__", "__spec__", "__loader__", "__package__",
                       "__path__", "__builtins__", "__dict__", "__cached__", "__all__"}
    modules: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return None
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__" and node in tree.body:
            return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("globals", "vars"):
            return None  # globals().update(...) and friends
        if isinstance(node, ast.Global):
            names.update(node.names)
    for node in _top_level_statements(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                names.add(bound)
                if isinstance(node, ast.Import) and alias.name.split(".")[0] in STDLIB_NAMES:
                    modules[bound] = alias.name if alias.asname else alias.name.split(".")[0]
        else:
            for target in _targets(node):
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
    return _with_submodules(module, names, modules)


def _top_level_statements(body: list[ast.stmt]):  # type: ignore[no-untyped-def]
    """Statements executed at module level, through if/try/with/for blocks."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from _top_level_statements(inner)
        for handler in getattr(node, "handlers", []) or []:
            yield from _top_level_statements(handler.body)
        if isinstance(node, ast.Match):
            for case in node.cases:
                yield from _top_level_statements(case.body)


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return [node.target]
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    if isinstance(node, ast.Try):
        return [ast.Name(id=h.name) for h in node.handlers if h.name]
    if isinstance(node, ast.Expr):
        return [n.target for n in ast.walk(node) if isinstance(n, ast.NamedExpr)]
    return []


# ---------------------------------------------------------------- names by Python version (typeshed)

STDLIB_VERSIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "stdlib_names.txt"
RUNNING_MINOR = sys.version_info[1]


@dataclass(frozen=True)
class ClassMembers:
    """A stdlib class as typeshed declares it: its members (with the Python
    minors each exists in) and its bases; ``complete`` is False when a base
    could not be resolved, so a name absent here may still exist."""

    members: dict[str, frozenset[int]]
    complete: bool


class StdlibVersions:
    """Which stdlib modules, module attributes and class members exist in
    which Python 3 minor versions, read from the data file that
    ``scripts/build_stdlib_names.py`` generates from typeshed. Records are
    parsed on first use; an unknown module answers None."""

    def __init__(self, text: str) -> None:
        self.newest = RUNNING_MINOR
        self._modules: dict[str, frozenset[int]] = {}
        self._name_lines: dict[str, str] = {}
        self._class_lines: dict[str, str] = {}
        self._names: dict[str, dict[str, frozenset[int]]] = {}
        self._classes: dict[str, ClassMembers | None] = {}
        # Re-entrant: star imports and base classes recurse; another thread waits for a whole table.
        self._lock = threading.RLock()
        for line in text.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "V":
                self.newest = max(self.newest, int(rest))
        for line in text.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "M":
                module, _, span = rest.partition(" ")
                self._modules[module] = self._parse_ranges(span)
            elif kind == "N":
                self._name_lines[rest.partition(" ")[0]] = rest
            elif kind == "C":
                self._class_lines[rest.partition(" ")[0]] = rest

    @property
    def every(self) -> frozenset[int]:
        return frozenset(range(0, self.newest + 1))

    def _parse_ranges(self, text: str) -> frozenset[int]:
        minors: set[int] = set()
        for piece in text.split(","):
            lo, _, hi = piece.partition("-")
            minors.update(range(int(lo) if lo else 0, (int(hi) if hi else self.newest) + 1))
        return frozenset(minors)

    def _entries(self, words: list[str], scope: frozenset[int]) -> dict[str, frozenset[int]]:
        table: dict[str, frozenset[int]] = {}
        for word in words:
            name, at, span = word.partition("@")
            table[name] = self._parse_ranges(span) & scope if at else scope
        return table

    def module(self, module: str) -> frozenset[int] | None:
        """The minors ``module`` is in the standard library, None if typeshed does not know it."""
        return self._modules.get(module)

    def names(self, module: str) -> dict[str, frozenset[int]] | None:
        with self._lock:
            return self._names_locked(module)

    def _names_locked(self, module: str) -> dict[str, frozenset[int]] | None:
        if module in self._names:
            return self._names[module]
        line = self._name_lines.get(module)
        if line is None:
            return None
        scope = self._modules.get(module, self.every)
        table: dict[str, frozenset[int]] = {}
        self._names[module] = table  # a star-import cycle finds it half-filled, not recursing forever
        for name, minors in self._entries(line.split()[1:], scope).items():
            if name.startswith("*"):
                for star_name, star_minors in (self._names_locked(name[1:]) or {}).items():
                    if not star_name.startswith("_"):
                        table[star_name] = table.get(star_name, frozenset()) | (star_minors & minors)
            else:
                table[name] = table.get(name, frozenset()) | minors
        for sub, minors in self._modules.items():
            parent, _, child = sub.rpartition(".")
            if parent == module:
                table[child] = table.get(child, frozenset()) | minors
        return table

    def name(self, module: str, name: str) -> frozenset[int] | None:
        """The minors ``module.name`` exists in (empty: never); None if the module is unknown."""
        table = self.names(module)
        if table is None:
            return None
        return table.get(name, frozenset())

    def class_members(self, qualname: str, _depth: int = 0) -> ClassMembers | None:
        """Members of ``module.Class`` including inherited ones."""
        with self._lock:
            return self._class_members_locked(qualname, _depth)

    def _class_members_locked(self, qualname: str, _depth: int) -> ClassMembers | None:
        if qualname in self._classes:
            return self._classes[qualname]
        line = self._class_lines.get(qualname)
        if line is None or _depth > 20:
            return None
        words = line.split()
        module, _, cls = qualname.rpartition(".")
        scope = (self._names_locked(module) or {}).get(cls) or self.every
        members = self._entries(words[2:], scope)
        complete = True
        for base in words[1].split(","):
            if base == "-":
                continue
            if base == "?" or base.endswith(".object"):
                complete = complete and base != "?"
                continue
            inherited = self._class_members_locked(base, _depth + 1)
            if inherited is None:
                complete = False
                continue
            complete = complete and inherited.complete
            for name, minors in inherited.members.items():
                members[name] = members.get(name, frozenset()) | minors
        result = ClassMembers(members, complete)
        self._classes[qualname] = result
        return result


@lru_cache(maxsize=1)
def stdlib_versions() -> StdlibVersions:
    try:
        text = STDLIB_VERSIONS_FILE.read_text("utf-8")
    except OSError:
        text = ""
    return StdlibVersions(text)
