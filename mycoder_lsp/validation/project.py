"""The project a checked file belongs to, and what that project says about itself.

A file's project is the nearest directory upward from the file that holds a
project marker (``pyproject.toml``, ``setup.cfg``, ``setup.py``, ``tox.ini``,
``.flake8``, ``ruff.toml``, ``.mycoder/config.toml``, ``.git``), never above the
workspace root (for a file inside it). From it we read the ecosystem's own
settings the validators should respect: the line length (ruff, black,
flake8), the lowest Python the project supports (``[tool.mycoder.validation]
python_version``, else ``requires-python``, else poetry's ``python``; the
setting from any other layer is applied by the pipeline), and the codes the
project's ruff or flake8 ignores per file (``per-file-ignores``). A
project-wide ``ignore`` is read for style codes only (``E``/``W``: line
length, whitespace, indentation): a project that turns off all of pyflakes
(``ignore = ["F"]``) would hide real NameErrors too. ruff's
``[lint.pycodestyle] max-line-length`` is the project's hard limit.

Results are cached per directory and re-read when a config file's mtime or
size changes. Files are read as config.py reads a repository's: regular files
of bounded size only. This module reads files only; it must not run any check.
"""

from __future__ import annotations

import configparser
import os
import re
import stat
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from mycoder_lsp.config import PROJECT_FILE_LIMIT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# .mycoder counts with its settings file only: the vault creates the directory
# itself wherever it indexes (as in code.workspace.PROJECT_MARKERS).
MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "tox.ini", ".flake8", "ruff.toml", ".ruff.toml",
           ".mycoder/config.toml", ".git")
# The files whose content (not only existence) we read: their mtimes key the cache.
_CONFIG_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", "tox.ini", ".flake8")
# ruff's and black's default when a project uses the tool without a number.
TOOL_DEFAULT_LINE_LENGTH = 88


@dataclass(frozen=True)
class Project:
    root: Path | None
    line_length: int | None = None
    line_length_source: str | None = None
    python: tuple[int, int] | None = None
    # ruff's / flake8's per-file-ignores: (glob relative to root, codes as written there)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # style codes (pycodestyle's E/W) the project's ruff or flake8 ignores everywhere
    style_ignores: tuple[str, ...] = ()
    # ruff's [lint.pycodestyle] max-line-length: where the project's own E501 starts
    hard_line_length: int | None = None


_NO_PROJECT = Project(None)
_lock = threading.Lock()
# root -> (mtimes of its config files, Project)
_cache: dict[Path, tuple[tuple[int, ...], Project]] = {}
# (file's directory, workspace root) -> (root found, directories looked in, their mtimes)
_roots: dict[tuple[Path, Path | None], tuple[Path | None, tuple[Path, ...], tuple[int, ...]]] = {}


def find_root(path: str | Path | None, workspace_root: Path | None) -> Path | None:
    """Nearest directory at or above ``path`` (a file or a directory) holding a
    project marker, not above ``workspace_root`` (for a file inside it);
    ``workspace_root`` itself when none is found below it; ``None`` for a file
    outside any marked project and no workspace given."""
    if path is None or str(path) in ("", "-"):
        return workspace_root.resolve() if workspace_root is not None else None
    try:
        start = Path(path).resolve()
    except (OSError, RuntimeError):
        return workspace_root
    directory = start if start.is_dir() else start.parent
    upper = workspace_root.resolve() if workspace_root is not None else None
    if upper is not None and directory != upper and upper not in directory.parents:
        upper = None  # a file outside the workspace belongs to a project of its own
    key = (directory, upper)
    with _lock:
        cached = _roots.get(key)
    if cached is not None and _dir_stamps(cached[1]) == cached[2]:
        return cached[0]
    found: Path | None = None
    walked: list[Path] = []
    for candidate in (directory, *directory.parents):
        walked.append(candidate)
        try:
            if any((candidate / marker).exists() for marker in MARKERS):
                found = candidate
                break
        except OSError:
            break
        if candidate == upper:
            break
    if found is None:
        found = upper
    with _lock:
        # A marker created later changes its directory's mtime: the stamps say when to look again.
        _roots[key] = (found, tuple(walked), _dir_stamps(walked))
    return found


def _dir_stamps(directories: tuple[Path, ...] | list[Path]) -> tuple[int, ...]:
    stamps: list[int] = []
    for directory in directories:
        try:
            stamps.append(directory.stat().st_mtime_ns)
        except OSError:
            stamps.append(-1)
    return tuple(stamps)


def project_for(path: str | Path | None, workspace_root: Path | None) -> Project:
    """The project of ``path`` (see the module docstring); cached, thread-safe,
    re-read when one of the root's config files changes."""
    root = find_root(path, workspace_root)
    if root is None:
        return _NO_PROJECT
    stamp = _mtimes(root)
    with _lock:
        cached = _cache.get(root)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    project = read_project(root)
    with _lock:
        _cache[root] = (stamp, project)
    return project


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _roots.clear()


def _mtimes(root: Path) -> tuple[int, ...]:
    stamp: list[int] = []
    for name in _CONFIG_FILES:
        try:
            st = (root / name).stat()
            stamp += [st.st_mtime_ns, st.st_size]
        except OSError:
            stamp += [-1, -1]
    return tuple(stamp)


def read_project(root: Path) -> Project:
    """Read ``root``'s config files (no cache)."""
    pyproject = _toml(root / "pyproject.toml")
    length, source = _line_length(root, pyproject)
    ruff = _ruff_config(root, pyproject)
    return Project(root=root, line_length=length, line_length_source=source, python=_python(pyproject),
                   per_file_ignores=_per_file_ignores(root, ruff), style_ignores=_style_ignores(root, ruff),
                   hard_line_length=_positive_int(_table(_table(ruff, "lint"), "pycodestyle").get("max-line-length"))
                   or _positive_int(_table(ruff, "pycodestyle").get("max-line-length")))


def read_config_file(path: Path, limit: int = PROJECT_FILE_LIMIT) -> str | None:
    """A repository's config file, read as config.py reads one: a regular
    file (a planted FIFO must not block, a link to /dev/zero must not fill
    memory) of at most ``limit`` bytes; ``None`` when it is not."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            data = handle.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:
        return None
    return data.decode("utf-8", "replace")


def _toml(path: Path) -> dict:
    text = read_config_file(path)
    if text is None:
        return {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _ini(path: Path) -> configparser.ConfigParser | None:
    text = read_config_file(path)
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and 0 < value < 10_000 else None


def _line_length(root: Path, pyproject: dict) -> tuple[int | None, str | None]:
    """The project's line length and where it comes from. An explicit number
    wins over a tool's default; ruff's own files win over pyproject's
    ``[tool.ruff]`` as ruff itself reads them first."""
    tools: dict = pyproject["tool"] if isinstance(pyproject.get("tool"), dict) else {}
    uses_tool: str | None = None
    for name in ("ruff.toml", ".ruff.toml"):
        if (root / name).exists():
            config = _toml(root / name)
            length = _positive_int(config.get("line-length"))
            if length is not None:
                return length, name
            uses_tool = uses_tool or name
    for tool in ("ruff", "black"):
        section = tools.get(tool)
        if isinstance(section, dict):
            length = _positive_int(section.get("line-length"))
            if length is not None:
                return length, f"pyproject.toml [tool.{tool}]"
            uses_tool = uses_tool or f"pyproject.toml [tool.{tool}]"
    flake8 = _flake8_section(root)
    if flake8 is not None:
        name, section = flake8
        length = _positive_int(_ini_value(section, "max-line-length"))
        if length is not None:
            return length, f"{name} [flake8]"
    if uses_tool is not None:
        return TOOL_DEFAULT_LINE_LENGTH, f"{uses_tool} (default)"
    return None, None


def _ruff_config(root: Path, pyproject: dict) -> dict:
    """ruff's one configuration: ruff.toml, .ruff.toml, else ``[tool.ruff]``."""
    for name in ("ruff.toml", ".ruff.toml"):
        if (root / name).exists():
            return _toml(root / name)
    tools: dict = pyproject["tool"] if isinstance(pyproject.get("tool"), dict) else {}
    return tools["ruff"] if isinstance(tools.get("ruff"), dict) else {}


def _style_ignores(root: Path, ruff: dict) -> tuple[str, ...]:
    """The pycodestyle codes (``E``/``W``, e.g. E501) ruff's ``[lint.]ignore``
    / ``extend-ignore`` or flake8's ``ignore`` / ``extend-ignore`` turn off."""
    codes: list[str] = []
    for table in (ruff, _table(ruff, "lint")):
        for key in ("ignore", "extend-ignore"):
            listed = table.get(key)
            if isinstance(listed, list):
                codes += [c for c in listed if isinstance(c, str)]
    flake8 = _flake8_section(root)
    if flake8 is not None:
        for key in ("ignore", "extend-ignore"):
            codes += re.findall(r"[A-Z]+[0-9]*", _ini_value(flake8[1], key) or "")
    return tuple(c for c in codes if re.fullmatch(r"[EW][0-9]*", c))


def _per_file_ignores(root: Path, config: dict) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """ruff's ``[lint.]per-file-ignores`` and ``extend-per-file-ignores`` (from
    ``config``, ruff's one configuration), then flake8's ``per-file-ignores``
    (``glob: CODE,CODE`` entries)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for table in (config, _table(config, "lint")):
        for key in ("per-file-ignores", "extend-per-file-ignores"):
            entries = table.get(key)
            if not isinstance(entries, dict):
                continue
            for glob, codes in entries.items():
                if isinstance(glob, str) and isinstance(codes, list):
                    found.append((glob, tuple(c for c in codes if isinstance(c, str))))
    flake8 = _flake8_section(root)
    if flake8 is not None:
        found += _flake8_pairs(_ini_value(flake8[1], "per-file-ignores") or "")
    return tuple(found)


def _flake8_section(root: Path) -> tuple[str, configparser.SectionProxy] | None:
    """flake8's one ``[flake8]`` section: the first of .flake8, setup.cfg,
    tox.ini that has one, with the file's name."""
    for name in (".flake8", "setup.cfg", "tox.ini"):
        if (root / name).exists():
            parser = _ini(root / name)
            if parser is not None and parser.has_section("flake8"):
                return name, parser["flake8"]
    return None


def _ini_value(section: configparser.SectionProxy, key: str) -> str | None:
    """``key`` as written with dashes or underscores (flake8 takes both)."""
    return section.get(key, fallback=None) or section.get(key.replace("-", "_"), fallback=None)


def _flake8_pairs(value: str) -> list[tuple[str, tuple[str, ...]]]:
    """flake8's ``per-file-ignores``: ``glob:CODES`` entries separated by
    whitespace or commas, the codes themselves comma-separated."""
    pairs: list[tuple[str, tuple[str, ...]]] = []
    for match in re.finditer(r"([^\s,:][^\s:]*)\s*:\s*([A-Z]+[0-9]*(?:\s*,\s*[A-Z]+[0-9]*)*)", value):
        pairs.append((match.group(1), tuple(c.strip() for c in match.group(2).split(","))))
    return pairs


_CLAUSE = re.compile(r"^\s*(~=|===|==|>=|>|\^|~)?\s*v?(\d+)(?:\s*\.\s*(\d+|\*))?")


def parse_requires_python(spec: str) -> tuple[int, int] | None:
    """Lowest Python ``spec`` allows: ``">=3.9"``, ``"~=3.9"``, ``">=3.8,<4"``,
    ``"^3.10"`` (poetry), ``"3.11"`` (a bare version). ``">3.8"`` gives
    (3, 8): it still allows 3.8.1. ``None`` when no lower bound is stated."""
    if not isinstance(spec, str):
        return None
    alternatives: list[tuple[int, int]] = []
    for alternative in re.split(r"\|\|?", spec):  # poetry's "^3.8 || ^3.10": either will do
        lows: list[tuple[int, int]] = []
        for clause in alternative.split(","):  # all of them must hold: the highest lower bound
            match = _CLAUSE.match(clause)
            if match is None:
                continue  # an upper bound (<4) or an exclusion (!=3.8.*)
            major, minor = int(match.group(2)), match.group(3)
            lows.append((major, 0 if minor in (None, "*") else int(minor)))
        if lows:
            alternatives.append(max(lows))
    return min(alternatives) if alternatives else None


def parse_python_version(value: object) -> tuple[int, int] | None:
    """A version setting: ``"3.9"``, ``">=3.9"`` or ruff's ``"py39"``."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.lower().startswith("py") and value[2:].isdigit() and len(value) > 3:
        value = f"{value[2]}.{value[3:]}"
    return parse_requires_python(value)


def _table(data: object, key: str) -> dict:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _python(pyproject: dict) -> tuple[int, int] | None:
    """``[tool.mycoder.validation] python_version`` (``[tool.mycoder]
    python-version`` too), else ``[project] requires-python``, else poetry's
    ``python`` dependency."""
    mycoder = _table(_table(pyproject, "tool"), "mycoder")
    for section in (_table(mycoder, "validation"), mycoder):
        for key in ("python_version", "python-version", "pythonVersion"):
            parsed = parse_python_version(section.get(key))
            if parsed is not None:
                return parsed
    parsed = parse_requires_python(_table(pyproject, "project").get("requires-python"))  # type: ignore[arg-type]
    if parsed is not None:
        return parsed
    poetry = _table(_table(pyproject, "tool"), "poetry")
    return parse_requires_python(_table(poetry, "dependencies").get("python"))  # type: ignore[arg-type]
