"""Which files a directory holds for validation: known languages only,
``.gitignore`` respected (nested files too), and never the insides of
``.git``, virtualenvs, ``node_modules``, ``__pycache__`` or ``.mycoder``.

The rules every walk of a workspace shares (``check`` here, the vault's
index in :mod:`mycoder_lsp.memory.vault`) live here too: a workspace is
untrusted input, so no walk follows a symbolic link (a link to ``/etc`` or
``~`` would bring files from outside), and files that hold secrets
(``.env``, private keys) are skipped even when ``.gitignore`` forgets them.
:func:`has_project_marker` says whether a directory is a project at all.

The ``.gitignore`` matcher covers what real projects use: globs with ``*``,
``?``, ``[...]`` and ``**``, negation with ``!``, directory-only patterns
(trailing ``/``) and anchored patterns (a ``/`` at the start or middle).
This module only lists paths; it must not read or validate file contents.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# languages, not validation.pipeline: the vault imports this module without the validators.
from mycoder_lsp.languages import language_for_path

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".mycoder",
                          ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
                          # installed third-party code is never the project's own
                          "site-packages", "dist-packages"})
# Secrets by their usual names: .env files and private keys.
SECRET_FILES = (".env", ".env.*", "*.env", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*")
# What makes a directory a project: without one, a directory is a stray file's
# surroundings (a home directory, Downloads) and is not indexed whole. A
# .mycoder directory counts only with the project's settings in it: the vault
# creates .mycoder itself, and must not turn a stray directory into a project.
PROJECT_MARKERS = (".git", "pyproject.toml", "package.json", "go.mod", "Cargo.toml", "setup.py",
                   ".mycoder/config.toml")


def is_secret_file(name: str) -> bool:
    """True for a file name that usually holds secrets (``.env``, ``id_rsa``, ``*.pem``)."""
    return any(fnmatch.fnmatchcase(name, glob) for glob in SECRET_FILES)


def has_project_marker(directory: Path) -> bool:
    return any(os.path.lexists(directory / marker) for marker in PROJECT_MARKERS)


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


class GitIgnore:
    """The stack of .gitignore files that apply to one directory."""

    def __init__(self, files: list[IgnoreFile] | None = None) -> None:
        self.files = files or []

    def child(self, directory: Path) -> GitIgnore:
        rules = _read_rules(directory / ".gitignore")
        return GitIgnore([*self.files, IgnoreFile(directory, rules)]) if rules else self

    def ignored(self, path: Path, is_dir: bool) -> bool:
        verdict = False
        for file in self.files:
            try:
                rel = path.relative_to(file.base).as_posix()
            except ValueError:
                continue
            name = path.name
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
    try:
        return parse_gitignore(path.read_text("utf-8", "replace"))
    except OSError:
        return []


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


def is_virtualenv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file()


def iter_source_files(directory: Path, root: Path | None = None) -> Iterator[Path]:
    """Files of known languages under ``directory``, sorted, ignores honoured."""
    start = directory.resolve()
    yield from _walk(start, ignore_for(start, root))


def _walk(directory: Path, ignore: GitIgnore) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    dirs = []
    for entry in entries:
        path = Path(entry.path)
        try:
            # A link, to a file or a directory, may lead out of the workspace: never followed.
            if entry.is_symlink():
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            if entry.name in SKIPPED_DIRS or ignore.ignored(path, True) or is_virtualenv(path):
                continue
            dirs.append(path)
        elif (language_for_path(entry.name) is not None and not is_secret_file(entry.name)
              and not ignore.ignored(path, False)):
            yield path
    for sub in dirs:
        yield from _walk(sub, ignore.child(sub))


def read_text_file(path: Path | str, max_size: int) -> tuple[str | None, int, int]:
    """(text or None when binary/too large/unreadable/not a regular file, mtime_ns, size).

    The one way a workspace file is read when no editor holds it: the vault
    and the server both use it."""
    try:
        # Not through a link (it may point out of the workspace), and never blocking on a FIFO.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None, 0, 0
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_size:
            return None, st.st_mtime_ns, st.st_size
        try:
            data = fh.read()
        except OSError:
            return None, st.st_mtime_ns, st.st_size
    if b"\0" in data[:8192]:
        return None, st.st_mtime_ns, st.st_size
    try:
        return data.decode("utf-8"), st.st_mtime_ns, st.st_size
    except UnicodeDecodeError:
        return None, st.st_mtime_ns, st.st_size
