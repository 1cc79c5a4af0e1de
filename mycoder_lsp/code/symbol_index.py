"""The symbols of a whole workspace, for resolving what a request names
when no vault is at hand (``route``, ``ask``): the qualified names of every
definition in the files :mod:`mycoder_lsp.code.workspace` walks, in every
language the symbol extractor knows.

Each file's names are kept by its mtime and size, in memory and, when a
cache file is given, on disk, so a second run costs one ``stat`` per file
instead of a parse: routing in a copy of the stdlib took 1.2 s of CPU per
call when every file was parsed again. This module reads files only through
:func:`~mycoder_lsp.code.workspace.read_source`; it must not import the
brains or the vault.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from mycoder_lsp.code.languages import language_for_path
from mycoder_lsp.code.symbols import document_symbols
from mycoder_lsp.code.workspace import iter_source_files, read_source

log = logging.getLogger(__name__)

# What one index covers at most, and the largest file it parses (a generated
# bundle is no place for a request's target).
MAX_FILES = 20_000
MAX_FILE_BYTES = 1_000_000
# The cache's format: another one is ignored (and rewritten).
CACHE_VERSION = 3


@dataclass
class _Entry:
    mtime_ns: int
    size: int
    names: list[str]


@dataclass
class WorkspaceSymbols:
    """The qualified names of the definitions under ``root``. ``names()``
    brings them up to date (only files whose mtime or size changed are read
    again) and writes ``cache_file`` when something changed."""

    root: Path
    cache_file: Path | None = None
    max_files: int = MAX_FILES
    files: dict[str, _Entry] = field(default_factory=dict)
    # Files seen by the last names(): what the index covered.
    last_files: list[str] = field(default_factory=list)
    _loaded: bool = field(default=False, init=False, repr=False)
    # All names, sorted, as of the last change (kept in the cache too: the
    # union of ~70,000 names costs more than the walk).
    _all: list[str] | None = field(default=None, init=False, repr=False)

    def names(self) -> list[str]:
        self.root = Path(self.root).resolve()
        if not self._loaded:
            self._loaded = True
            self.files = self._read_cache()
        fresh: dict[str, _Entry] = {}
        changed = False
        for path in iter_source_files(self.root, self.root):
            if len(fresh) >= self.max_files:
                log.info("%s: symbols of the first %d files only", self.root, self.max_files)
                break
            rel = path.relative_to(self.root).as_posix()
            try:
                st = os.lstat(path)
            except OSError:
                continue
            entry = self.files.get(rel)
            if entry is None or (entry.mtime_ns, entry.size) != (st.st_mtime_ns, st.st_size):
                entry = self._parse(path, st.st_mtime_ns, st.st_size)
                changed = True
            fresh[rel] = entry
        changed = changed or fresh.keys() != self.files.keys()
        self.files = fresh
        self.last_files = list(fresh)
        if changed or self._all is None:
            self._all = sorted({name for entry in fresh.values() for name in entry.names})
        if changed:
            self._write_cache()
        return self._all

    def _parse(self, path: Path, mtime_ns: int, size: int) -> _Entry:
        source = read_source(path, MAX_FILE_BYTES)
        if source.text is None:
            return _Entry(mtime_ns, size, [])
        symbols = document_symbols(source.text, language_for_path(path.name))
        return _Entry(mtime_ns, size, [s.qualname for s in symbols])

    def _read_cache(self) -> dict[str, _Entry]:
        if self.cache_file is None:
            return {}
        try:
            data = json.loads(Path(self.cache_file).read_text(encoding="utf-8"))
            if data.get("version") != CACHE_VERSION or data.get("root") != str(self.root):
                return {}
            files = {rel: _Entry(int(m), int(s), [str(n) for n in names])
                     for rel, (m, s, names) in data["files"].items()}
            self._all = [str(n) for n in data["names"]]
            return files
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}  # no cache, or a broken one: the files are parsed again

    def _write_cache(self) -> None:
        if self.cache_file is None:
            return
        target = Path(self.cache_file)
        data = {"version": CACHE_VERSION, "root": str(self.root), "names": self._all,
                "files": {rel: [e.mtime_ns, e.size, e.names] for rel, e in self.files.items()}}
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            log.debug("symbol cache %s not written: %s", target, exc)  # it only costs time


def workspace_symbol_names(root: Path | str, *, cache_file: Path | str | None = None,
                           max_files: int = MAX_FILES) -> list[str]:
    """Qualified names of the definitions under ``root`` (one call; a caller
    that asks again should keep a :class:`WorkspaceSymbols`)."""
    index = WorkspaceSymbols(Path(root), Path(cache_file) if cache_file is not None else None, max_files)
    return index.names()


def user_cache_file(root: Path) -> Path:
    """Where a workspace without a vault keeps its symbol cache: the user's
    cache directory, never the workspace (routing must not create files there)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = hashlib.blake2b(str(root.resolve()).encode("utf-8", "surrogateescape"), digest_size=10).hexdigest()
    return Path(base) / "mycoder-lsp" / "symbols" / f"{key}.json"


__all__ = ["WorkspaceSymbols", "user_cache_file", "workspace_symbol_names"]
