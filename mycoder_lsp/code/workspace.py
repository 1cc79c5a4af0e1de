"""Which files a workspace holds, and how one of them is read: the one walk
that ``check``, the vault's index and the symbol index behind ``route`` share,
so the three see the same files.

What is never a workspace file: the insides of VCS directories and of every
dot-directory (``.git``, ``.hidden/``, ``.mycoder``, ``.tox``...), virtualenvs
(by name, or any directory with a ``pyvenv.cfg`` or ``conda-meta``),
``node_modules``, installed packages (``site-packages``, ``dist-packages``),
build output (``build/``, ``dist/``, ``target/``, ``__pycache__``,
``*.egg-info``), what a ``.gitignore`` (nested ones too) says, and files that
hold secrets (``.env``, private keys) even when ``.gitignore`` forgets them.
A workspace is untrusted input: no symbolic link is followed (a link to
``/etc`` or ``~`` would bring files from outside).

In a git repository the file list comes from ``git ls-files`` (tracked and
untracked-but-not-ignored files: git's own reading of every ignore file),
run without a shell, with a timeout and a bound on its output; the rules
above still apply to what it lists. Elsewhere (or when git fails) the walk
reads the ``.gitignore`` files itself; the matcher covers what real projects
use: globs with ``*``, ``?``, ``[...]`` and ``**``, negation with ``!``,
directory-only patterns (trailing ``/``) and anchored patterns.

:func:`read_source` is the one way a workspace file is read when no editor
holds it, and :func:`content_hash` the one hash of its text. This module
lists and reads files; it must not parse or validate them.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mycoder_lsp.code.languages import LANGUAGES

# Directory names that never hold the project's own files, at any depth.
SKIPPED_DIRS = frozenset({"venv", "node_modules", "__pycache__", "site-packages", "dist-packages",
                          "__pypackages__"})
# Build output by its usual names. Skipped unless it is a Python package (an
# ``__init__.py``): pypa/build keeps its source in ``src/build/``.
BUILD_DIRS = frozenset({"build", "dist", "target"})
BUILD_SUFFIXES = (".egg-info",)
# A virtualenv (venv, virtualenv, uv) or a conda environment, whatever its name.
ENVIRONMENT_MARKERS = ("pyvenv.cfg", "conda-meta")
# Secrets by their usual names: .env files and private keys.
SECRET_FILES = (".env", ".env.*", "*.env", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*")
# What makes a directory a project: without one, a directory is a stray file's
# surroundings (a home directory, Downloads) and is not indexed whole. A
# .mycoder directory counts only with the project's settings in it: the vault
# creates .mycoder itself, and must not turn a stray directory into a project.
PROJECT_MARKERS = (".git", "pyproject.toml", "package.json", "go.mod", "Cargo.toml", "setup.py",
                   ".mycoder/config.toml")
# git ls-files: how long it may take and how much it may print (a path list of
# a huge monorepo past this is cut: the walk still stops at its own limit).
GIT_TIMEOUT = 30.0
GIT_OUTPUT_LIMIT = 64 * 1024 * 1024
# A repository's own config must not run a program for us (core.fsmonitor is a command).
GIT_SAFE = ("-c", "core.fsmonitor=false")
# Bytes looked at for a NUL to call a file binary.
BINARY_SNIFF = 8192


_SECRET_NAME = re.compile("|".join(fnmatch.translate(glob) for glob in SECRET_FILES))


def is_secret_file(name: str) -> bool:
    """True for a file name that usually holds secrets (``.env``, ``id_rsa``, ``*.pem``)."""
    return _SECRET_NAME.match(name) is not None


def has_project_marker(directory: Path) -> bool:
    return any(os.path.lexists(directory / marker) for marker in PROJECT_MARKERS)


def is_virtualenv(directory: Path | str) -> bool:
    return any(os.path.lexists(os.path.join(directory, marker)) for marker in ENVIRONMENT_MARKERS)


def skipped_dir(directory: Path) -> bool:
    """True for a directory whose files are never the project's own (by the
    skip list above; ``.gitignore`` is the walk's business)."""
    return _skipped_dir(str(directory), directory.name)


def _skipped_dir(path: str, name: str) -> bool:
    if name.startswith(".") or name in SKIPPED_DIRS or name.endswith(BUILD_SUFFIXES):
        return True
    if name in BUILD_DIRS and not os.path.isfile(os.path.join(path, "__init__.py")):
        return True
    return is_virtualenv(path)


# ------------------------------------------------------------------ .gitignore


@dataclass(frozen=True)
class IgnoreRule:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool
    # Unanchored patterns match the name at any depth; anchored ones match
    # the path relative to the directory of their .gitignore.
    anchored: bool


def parse_gitignore(text: str) -> list[IgnoreRule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        # Trailing spaces are ignored unless escaped with a backslash.
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        elif line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        rules.append(IgnoreRule(re.compile(_translate(line) + r"\Z"), negated, dir_only, anchored))
    return rules


def _translate(pattern: str) -> str:
    """gitignore glob -> regex over a '/'-separated relative path."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append(r"(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append(r"/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(r".*")
            i += 2
        elif ch == "*":
            out.append(r"[^/]*")
            i += 1
        elif ch == "?":
            out.append(r"[^/]")
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(re.escape(ch))
                i += 1
                continue
            body = pattern[i + 1:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        elif ch == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(ch))
            i += 1
    return "".join(out)


@dataclass
class IgnoreFile:
    base: Path
    rules: list[IgnoreRule]
    # ``base`` as the walk spells a path below it, separator included.
    prefix: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.prefix = os.path.join(str(self.base), "")


class GitIgnore:
    """The stack of .gitignore files that apply to one directory."""

    def __init__(self, files: list[IgnoreFile] | None = None) -> None:
        self.files = files or []

    def child(self, directory: Path) -> GitIgnore:
        rules = _read_rules(directory / ".gitignore")
        return GitIgnore([*self.files, IgnoreFile(directory, rules)]) if rules else self

    def ignored(self, path: Path, is_dir: bool) -> bool:
        return self.ignored_path(str(path), path.name, is_dir)

    def ignored_path(self, path: str, name: str, is_dir: bool) -> bool:
        """``ignored`` for a path as the walk spells it and its last part."""
        verdict = False
        for file in self.files:
            if not path.startswith(file.prefix):
                continue
            rel = path[len(file.prefix):]
            if os.sep != "/":
                rel = rel.replace(os.sep, "/")
            for rule in file.rules:
                if rule.dir_only and not is_dir:
                    continue
                if rule.negated != verdict:
                    continue  # cannot change the verdict; skip the regex
                target = rel if rule.anchored else name
                if rule.regex.match(target):
                    verdict = not rule.negated
        return verdict


def _read_rules(path: Path) -> list[IgnoreRule]:
    source = read_source(path, 1_000_000)
    return parse_gitignore(source.text) if source.text is not None else []


def ignore_for(directory: Path, root: Path | None) -> GitIgnore:
    """The .gitignore files of ``directory`` and its parents, up to the root
    or the top of the git repository, outermost first."""
    directory = directory.resolve()
    chain = [directory]
    stop = root.resolve() if root is not None else None
    current = directory
    while not (current / ".git").exists() and current != stop and current.parent != current:
        if stop is not None and stop not in current.parents:
            break
        current = current.parent
        chain.append(current)
    ignore = GitIgnore()
    for folder in reversed(chain):
        ignore = ignore.child(folder)
    return ignore


# ------------------------------------------------------------------ the walk


def is_source_name(name: str) -> bool:
    """A file of a language this package knows, by its name (``language_for_path``
    without the call, asked once per file of the walk)."""
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in LANGUAGES


def iter_source_files(directory: Path, root: Path | None = None, *, exclude: Iterable[Path] = ()) -> Iterator[Path]:
    """Files of known languages under ``directory`` (what ``check`` validates
    and ``route`` takes symbols from), in walk order, ignores honoured."""
    return map(Path, workspace_paths(directory, root, exclude=exclude, keep=is_source_name))


def iter_workspace_files(directory: Path, root: Path | None = None, *, exclude: Iterable[Path] = (),
                         use_git: bool = True) -> Iterator[Path]:
    """Every file of the workspace under ``directory`` (absolute paths):
    each directory's files sorted by name, then its subdirectories, so a
    caller that stops early has the shallow files. ``exclude``: directories
    left out besides the rules (a vault kept under another name)."""
    return map(Path, workspace_paths(directory, root, exclude=exclude, use_git=use_git))


def workspace_paths(directory: Path, root: Path | None = None, *, exclude: Iterable[Path] = (),
                    use_git: bool = True, keep: Callable[[str], bool] | None = None) -> Iterator[str]:
    """:func:`iter_workspace_files` as strings, for a caller that wants no
    ``Path`` per file (the symbol index stats 1,790 files of the stdlib at
    every ``route``). ``keep``: a test of a file's name, made before anything
    else is done for the file."""
    start = Path(directory).resolve()
    excluded = frozenset(str(Path(p).resolve()) for p in exclude)
    listed = _git_files(start) if use_git else None
    if listed is not None:
        yield from _from_git(str(start), listed, excluded, keep)
    else:
        # In a repository git could not list (or that ignores ``start`` as a whole), every
        # ignore file up to its top applies below ``start``, as git would apply them.
        yield from _walk(str(start), ignore_for(start, None if use_git and _uses_git(start) else root), excluded,
                         keep)


def _walk(directory: str, ignore: GitIgnore, excluded: frozenset[str],
          keep: Callable[[str], bool] | None) -> Iterator[str]:
    try:
        with os.scandir(directory) as found:
            entries = sorted(found, key=lambda e: e.name)
    except OSError:
        return
    dirs = []
    for entry in entries:
        name = entry.name
        try:
            # A link, to a file or a directory, may lead out of the workspace: never followed.
            if entry.is_symlink():
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            path = entry.path
            if path in excluded or _skipped_dir(path, name) or ignore.ignored_path(path, name, True):
                continue
            dirs.append(path)
        elif is_file and (keep is None or keep(name)) and not is_secret_file(name):
            path = entry.path
            if not (ignore.files and ignore.ignored_path(path, name, False)):
                yield path
    for sub in dirs:
        yield from _walk(sub, ignore.child(Path(sub)), excluded, keep)


def _git_files(directory: Path) -> list[str] | None:
    """What git lists under ``directory`` (relative paths), or None when it
    is not in a work tree git can read (then the walk reads .gitignore).

    Also None for a directory its repository ignores as a whole (a Python
    under ``~/.pyenv/versions``, which pyenv's own repository ignores): git
    lists nothing there, but a directory the user opens or names is theirs
    to check, as ruff checks it; the walk then applies the ignore files'
    rules below it."""
    if not _uses_git(directory):
        return None
    found = _git(directory, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
    if found is None:
        return None
    returncode, out = found
    if returncode != 0:
        return None
    if len(out) > GIT_OUTPUT_LIMIT:
        out = out[:GIT_OUTPUT_LIMIT].rsplit(b"\0", 1)[0]
    # git prints each path once per stage of a conflicted file: one is enough.
    listed = list(dict.fromkeys(p for p in out.decode("utf-8", "surrogateescape").split("\0") if p))
    if not listed:
        ignored = _git(directory, "check-ignore", "-q", ".")
        if ignored is not None and ignored[0] == 0:
            return None
    return listed


def _git(directory: Path, *args: str) -> tuple[int, bytes] | None:
    """(exit status, stdout) of one git command in ``directory``, without a shell,
    within GIT_TIMEOUT; None when git cannot be run or takes too long."""
    import subprocess  # here: a walk outside git (a `route` in an unpacked tree) never needs it

    try:
        proc = subprocess.Popen(
            ["git", "-C", str(directory), *GIT_SAFE, *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"})
    except OSError:
        return None
    try:
        out, _ = proc.communicate(timeout=GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    return proc.returncode, out


def _uses_git(directory: Path) -> bool:
    """In a git work tree, with git installed."""
    in_tree = any(os.path.lexists(folder / ".git") for folder in (directory, *directory.parents))
    return in_tree and shutil.which("git") is not None


def _walk_order(rel: str) -> tuple[tuple[int, str], ...]:
    """The walk's order for a relative path: a directory's files before its subdirectories."""
    parts = rel.split("/")
    return (*((1, p) for p in parts[:-1]), (0, parts[-1]))


def _from_git(start: str, listed: list[str], excluded: frozenset[str],
              keep: Callable[[str], bool] | None) -> Iterator[str]:
    dir_verdict: dict[str, bool] = {"": False}

    def native(rel: str) -> str:
        return os.path.join(start, rel if os.sep == "/" else rel.replace("/", os.sep))

    def skipped(rel_dir: str) -> bool:
        hit = dir_verdict.get(rel_dir)
        if hit is None:
            parent, _, name = rel_dir.rpartition("/")
            path = native(rel_dir)
            hit = skipped(parent) or path in excluded or _skipped_dir(path, name) or os.path.islink(path)
            dir_verdict[rel_dir] = hit
        return hit

    for rel in sorted(listed, key=_walk_order):
        rel_dir, _, name = rel.rpartition("/")
        if (keep is not None and not keep(name)) or is_secret_file(name) or skipped(rel_dir):
            continue
        path = native(rel)
        try:
            # Tracked but deleted, or a link (git records links as such): not a file to read.
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
        except OSError:
            continue
        yield path


def is_workspace_file(path: Path, root: Path, *, exclude: Iterable[Path] = ()) -> bool:
    """Would the walk of ``root`` list ``path``? For one file the editor saved
    (the vault follows single files with it): the same rules, checked along
    the path instead of walking the tree."""
    root = root.resolve()
    try:
        rel = path.absolute().relative_to(root)
    except ValueError:
        return False
    if not rel.parts or is_secret_file(rel.name):
        return False
    excluded = frozenset(Path(p).resolve() for p in exclude)
    ignore = ignore_for(root, root)
    current = root
    for part in rel.parts[:-1]:
        current = current / part
        if current.is_symlink() or current in excluded or skipped_dir(current) or ignore.ignored(current, True):
            return False
        ignore = ignore.child(current)
    target = root / rel
    is_dir = target.is_dir()
    if target.is_symlink() or (is_dir and skipped_dir(target)) or ignore.ignored(target, is_dir):
        return False
    return not (_uses_git(root) and _git_ignored(root, rel.as_posix()))


def _git_ignored(root: Path, rel: str) -> bool:
    import subprocess

    try:
        return subprocess.run(["git", "-C", str(root), *GIT_SAFE, "check-ignore", "-q", "--", rel],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class SourceFile:
    """What reading one workspace file gave: its text, or why there is none."""

    text: str | None
    mtime_ns: int = 0
    size: int = 0
    # None when there is text; else "binary", "too large", "not UTF-8",
    # "not a regular file" (a link, a FIFO, a directory) or "unreadable: <why>".
    skipped: str | None = None


def read_source(path: Path | str, limit: int) -> SourceFile:
    """Read a workspace file as UTF-8 text, at most ``limit`` bytes. Never
    through a link (it may point out of the workspace), never blocking on
    a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            return SourceFile(None, skipped="not a regular file (a symbolic link)")
        return SourceFile(None, skipped=f"unreadable: {exc.strerror or exc}")
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return SourceFile(None, st.st_mtime_ns, st.st_size, "not a regular file")
        if st.st_size > limit:
            return SourceFile(None, st.st_mtime_ns, st.st_size,
                              f"too large ({st.st_size:,} bytes, the limit is {limit:,})")
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            return SourceFile(None, st.st_mtime_ns, st.st_size, f"unreadable: {exc.strerror or exc}")
    if len(data) > limit:  # grew while we read it
        return SourceFile(None, st.st_mtime_ns, len(data), f"too large (over the limit of {limit:,} bytes)")
    if b"\0" in data[:BINARY_SNIFF]:
        return SourceFile(None, st.st_mtime_ns, st.st_size, "binary")
    try:
        return SourceFile(data.decode("utf-8"), st.st_mtime_ns, st.st_size)
    except UnicodeDecodeError:
        return SourceFile(None, st.st_mtime_ns, st.st_size, "not UTF-8")


def content_hash(text: str) -> str:
    """The hash of a file's text that says whether it changed (the vault's
    files table, the symbol index)."""
    import hashlib  # here: hashlib's OpenSSL start-up is 3 ms a walk does not need

    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


__all__ = [
    "GitIgnore",
    "IgnoreFile",
    "PROJECT_MARKERS",
    "SourceFile",
    "content_hash",
    "has_project_marker",
    "ignore_for",
    "is_secret_file",
    "is_workspace_file",
    "iter_source_files",
    "iter_workspace_files",
    "parse_gitignore",
    "read_source",
    "skipped_dir",
]
