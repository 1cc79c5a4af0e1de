"""The dependencies a project declares, as the import names they provide.

An import of a declared package is not a hallucination even when the package
is not installed here, and an import that is neither installed nor declared
is what a generated edit must not add unchecked (slopsquatting). Read from
the files a project really has: ``pyproject.toml`` (``[project]``
dependencies and optional dependencies, ``[dependency-groups]``,
``[build-system] requires``, ``[tool.poetry]``, ``[tool.pdm]``,
``[tool.uv]``, ``[tool.hatch.envs]``), ``requirements*.txt`` / ``*.in``
(with ``-r`` includes), ``setup.cfg``, ``uv.lock``, ``poetry.lock``,
``pdm.lock`` and ``Pipfile``.

A distribution name becomes import names through the installed metadata of
the project's environment (``top_level.txt`` / ``RECORD``), a small table
of famous mismatches and the known PyPI list, else the normalised name. It
never imports or runs anything from the project.
"""

from __future__ import annotations

import configparser
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mycoder_lsp.validation import imports
from mycoder_lsp.validation.project import read_config_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# Distributions whose import name is nothing like their name.
FAMOUS_MISMATCHES: dict[str, tuple[str, ...]] = {
    "pyyaml": ("yaml",),
    "beautifulsoup4": ("bs4",),
    "pillow": ("PIL",),
    "scikit-learn": ("sklearn",),
    "scikit-image": ("skimage",),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "opencv-contrib-python": ("cv2",),
    "python-dateutil": ("dateutil",),
    "pyjwt": ("jwt",),
    "python-dotenv": ("dotenv",),
    "protobuf": ("google",),
    "pycryptodome": ("Crypto",),
    "pycryptodomex": ("Cryptodome",),
    "pyopenssl": ("OpenSSL",),
    "pyserial": ("serial",),
    "gitpython": ("git",),
    "pygithub": ("github",),
    "attrs": ("attr", "attrs"),
    "setuptools": ("setuptools", "pkg_resources", "_distutils_hack"),
    "pywin32": ("win32api", "win32con", "win32com", "pythoncom", "pywintypes", "win32gui"),
    "msgpack-python": ("msgpack",),
    "typing-extensions": ("typing_extensions",),
    "python-magic": ("magic",),
    "pymupdf": ("fitz", "pymupdf"),
    "faiss-cpu": ("faiss",),
    "faiss-gpu": ("faiss",),
    "tensorflow-cpu": ("tensorflow",),
    "discord-py": ("discord",),
    "python-docx": ("docx",),
    "python-pptx": ("pptx",),
    "pyzmq": ("zmq",),
    "pymysql": ("pymysql",),
    "mysqlclient": ("MySQLdb",),
    "psycopg2-binary": ("psycopg2",),
    "psycopg-binary": ("psycopg",),
    "pytest-asyncio": ("pytest_asyncio",),
    "ruamel-yaml": ("ruamel",),
    "importlib-metadata": ("importlib_metadata",),
    "google-api-python-client": ("googleapiclient",),
}
# Distribution names that start a namespace package: ``google-cloud-storage`` is ``google.cloud.storage``.
NAMESPACE_PREFIXES = frozenset({"google", "azure", "zope", "backports", "jaraco", "sphinxcontrib", "oslo", "ruamel"})

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Declarations:
    """What a project declares: the files read (relative names, for messages),
    the normalised distribution names and the import names they provide."""

    files: tuple[str, ...]
    distributions: frozenset[str]
    import_names: frozenset[str]


EMPTY = Declarations((), frozenset(), frozenset())


def normalise(name: str) -> str:
    """PEP 503: ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_import_names(root: Path | None) -> frozenset[str]:
    """Import names of the project's declared dependencies (cached by mtimes)."""
    return declarations(root).import_names


_cache: dict[str, tuple[float, tuple[tuple[str, float], ...], Declarations]] = {}
_lock = threading.Lock()


def declarations(root: Path | None) -> Declarations:
    if root is None or not root.is_dir():
        return EMPTY
    key = str(root)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
        if cached and now - cached[0] < _RECHECK_SECONDS:
            return cached[2]
    files = _declaration_files(root)
    env = imports.environment_for(root)
    stamps = tuple((str(p), _mtime(p)) for p in files) + tuple((str(d), _mtime(d)) for d in env.site_dirs)
    if cached and cached[1] == stamps:
        with _lock:
            _cache[key] = (now, stamps, cached[2])
        return cached[2]
    distributions: set[str] = set()
    read: list[str] = []
    for path in files:
        found = _read_file(path, set())
        if found is not None:
            distributions |= found
            read.append(path.name if path.parent == root else str(path.relative_to(root)))
    distributions.discard("python")
    names = _import_names(distributions, env)
    result = Declarations(tuple(read), frozenset(distributions), frozenset(names))
    with _lock:
        _cache[key] = (now, stamps, result)
    return result


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _declaration_files(root: Path) -> list[Path]:
    fixed = ["pyproject.toml", "setup.cfg", "uv.lock", "poetry.lock", "pdm.lock", "Pipfile"]
    files = [root / name for name in fixed if (root / name).is_file()]
    for directory in (root, root / "requirements"):
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        for entry in entries:
            is_requirements = entry.startswith("requirements") or directory.name == "requirements"
            if is_requirements and entry.endswith((".txt", ".in")) and (directory / entry).is_file():
                files.append(directory / entry)
    return files


CONFIG_FILE_LIMIT = 1_000_000
LOCK_FILE_LIMIT = 16_000_000


def _read_file(path: Path, seen: set[Path]) -> set[str] | None:
    """Normalised distribution names declared in ``path``; None if unreadable."""
    # A repository's file: regular, bounded (lock files of big projects run to megabytes).
    text = read_config_file(path, LOCK_FILE_LIMIT if path.suffix == ".lock" else CONFIG_FILE_LIMIT)
    if text is None:
        return None
    name = path.name
    try:
        if name in ("pyproject.toml", "uv.lock", "poetry.lock", "pdm.lock", "Pipfile"):
            data = tomllib.loads(text)
            if name == "pyproject.toml":
                return _from_pyproject(data)
            if name == "Pipfile":
                return {normalise(n) for section in ("packages", "dev-packages")
                        for n in _table(data.get(section))}
            return {normalise(p["name"]) for p in data.get("package", []) if isinstance(p, dict) and "name" in p}
        if name == "setup.cfg":
            return _from_setup_cfg(text)
    except (tomllib.TOMLDecodeError, configparser.Error, TypeError, KeyError, ValueError):
        return None
    return _from_requirements(path, text, seen)


def _table(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _requirement_names(values: object) -> set[str]:
    """Names from a list of PEP 508 strings (tables such as
    ``{include-group = "test"}`` name no distribution)."""
    names = set()
    for value in values if isinstance(values, list) else []:
        if isinstance(value, str):
            match = _NAME.match(value)
            if match:
                names.add(normalise(match.group(1)))
    return names


def _from_pyproject(data: dict[str, object]) -> set[str]:
    project = _table(data.get("project"))
    names = _requirement_names(project.get("dependencies"))
    for group in _table(project.get("optional-dependencies")).values():
        names |= _requirement_names(group)
    for group in _table(data.get("dependency-groups")).values():
        names |= _requirement_names(group)
    names |= _requirement_names(_table(data.get("build-system")).get("requires"))
    if isinstance(project.get("name"), str):
        names.add(normalise(project["name"]))  # type: ignore[arg-type]
    tool = _table(data.get("tool"))
    poetry = _table(tool.get("poetry"))
    for section in ("dependencies", "dev-dependencies"):
        names |= {normalise(n) for n in _table(poetry.get(section))}
    for group in _table(poetry.get("group")).values():
        names |= {normalise(n) for n in _table(_table(group).get("dependencies"))}
    for group in _table(_table(tool.get("pdm")).get("dev-dependencies")).values():
        names |= _requirement_names(group)
    names |= _requirement_names(_table(tool.get("uv")).get("dev-dependencies"))
    for env in _table(_table(tool.get("hatch")).get("envs")).values():
        for key in ("dependencies", "extra-dependencies"):
            names |= _requirement_names(_table(env).get(key))
    return names


def _from_setup_cfg(text: str) -> set[str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    values: list[str] = []
    if parser.has_section("options"):
        for key in ("install_requires", "setup_requires", "tests_require"):
            values.append(parser.get("options", key, fallback=""))
    if parser.has_section("options.extras_require"):
        values += [v for _, v in parser.items("options.extras_require")]
    lines = [line.strip() for value in values for line in value.splitlines()]
    return _requirement_names([line for line in lines if line and not line.startswith("#")])


def _from_requirements(path: Path, text: str, seen: set[Path]) -> set[str]:
    """pip's format: one requirement a line, ``-r``/``-c`` includes, ``#egg=``."""
    seen.add(path.resolve())
    names: set[str] = set()
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = re.match(r"(?:-r|-c|--requirement|--constraint)\s*=?\s*(\S+)", line)
        if include:
            target = (path.parent / include.group(1)).resolve()
            if target not in seen and target.is_file():
                names |= _read_file(target, seen) or set()
            continue
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
        if egg:
            names.add(normalise(egg.group(1)))
            continue
        if line.startswith("-") or "://" in line.split("@", 1)[0]:
            continue  # options (--index-url, -e path) and bare URLs name no distribution
        match = _NAME.match(line)
        if match:
            names.add(normalise(match.group(1)))
    return names


# ---------------------------------------------------------------- distribution -> import names


def _import_names(distributions: set[str], env: imports.Environment) -> set[str]:
    installed = imports.installed_distributions(env)
    known = _known_by_distribution()
    names: set[str] = set()
    for dist in distributions:
        if dist in installed:
            names |= installed[dist]
        names |= set(FAMOUS_MISMATCHES.get(dist, ()))
        names |= known.get(dist, set())
        names |= guessed_import_names(dist)
    return names


def guessed_import_names(dist: str) -> set[str]:
    """What a distribution is usually imported as when nothing better is known."""
    names = {dist.replace("-", "_")}
    for prefix in ("python-", "py-"):
        if dist.startswith(prefix):
            names.add(dist[len(prefix):].replace("-", "_"))
    if dist.endswith("-python"):
        names.add(dist[: -len("-python")].replace("-", "_"))
    head = dist.split("-", 1)[0]
    if head in NAMESPACE_PREFIXES:
        names.add(head)
    return names


@lru_cache(maxsize=1)
def _known_by_distribution() -> dict[str, set[str]]:
    """The known PyPI list read the other way: distribution -> import names."""
    table: dict[str, set[str]] = {}
    for name, dist in imports.pypi_import_names().items():
        table.setdefault(normalise(dist), set()).add(name)
    return table
