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

import array
import base64
import binascii
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mycoder_lsp.code.languages import language_for_path
from mycoder_lsp.code.workspace import is_source_name, read_source, workspace_paths
from mycoder_lsp.config import user_cache_dir

log = logging.getLogger(__name__)

# What one index covers at most, and the largest file it parses (a generated
# bundle is no place for a request's target).
MAX_FILES = 20_000
MAX_FILE_BYTES = 1_000_000
# The cache's format: another one is ignored (and rewritten).
CACHE_VERSION = 5


def short_order(quals: list[str]) -> list[int]:
    """The positions of ``quals`` sorted by (last part, name): the index by
    last part that :class:`~mycoder_lsp.brains.router.SymbolIndex` bisects."""
    return sorted(range(len(quals)), key=lambda i: (quals[i].rsplit(".", 1)[-1], quals[i]))


@dataclass
class _Entry:
    mtime_ns: int
    size: int
    # The file's qualified names joined by newlines; None until needed (a run that
    # finds nothing changed never reads them: see _read_packed).
    packed: str | None


@dataclass
class WorkspaceSymbols:
    """The qualified names of the definitions under ``root``. ``names()``
    brings them up to date (only files whose mtime or size changed are read
    again) and writes ``cache_file`` when something changed.

    The cache is two files: ``cache_file`` with each file's stamp (mtime,
    size), the sorted union of the names and its :func:`short_order`, read at
    every run; and beside it each file's own names, read only when a file
    changed and the union must be gathered again. Reading the names three
    times over cost 33 ms of a 150 ms ``route`` in the stdlib; now 12."""

    root: Path
    cache_file: Path | None = None
    max_files: int = MAX_FILES
    files: dict[str, _Entry] = field(default_factory=dict)
    # Files seen by the last names(): what the index covered.
    last_files: list[str] = field(default_factory=list)
    _loaded: bool = field(default=False, init=False, repr=False)
    # All names, sorted, and their short_order, as of the last change.
    _all: list[str] | None = field(default=None, init=False, repr=False)
    _order: Sequence[int] | None = field(default=None, init=False, repr=False)
    _generation: str = field(default="", init=False, repr=False)

    def names(self) -> list[str]:
        """Every qualified name, sorted."""
        return self.lookup()[0]

    def lookup(self) -> tuple[list[str], Sequence[int]]:
        """``(names, short_order(names))``, brought up to date."""
        self.root = Path(self.root).resolve()
        if not self._loaded:
            self._loaded = True
            self.files = self._read_cache()
        fresh: dict[str, _Entry] = {}
        changed = False
        prefix = len(os.path.join(str(self.root), ""))  # "/" as a root stays "/"
        for path in workspace_paths(self.root, self.root, keep=is_source_name):
            if len(fresh) >= self.max_files:
                log.info("%s: symbols of the first %d files only", self.root, self.max_files)
                break
            rel = path[prefix:]  # the walk yields paths under the resolved root
            try:
                st = os.lstat(path)
            except OSError:
                continue
            entry = self.files.get(rel)
            if entry is None or (entry.mtime_ns, entry.size) != (st.st_mtime_ns, st.st_size):
                entry = self._parse(Path(path), st.st_mtime_ns, st.st_size)
                changed = True
            fresh[rel] = entry
        changed = changed or fresh.keys() != self.files.keys()
        self.files = fresh
        self.last_files = list(fresh)
        if changed or self._all is None or self._order is None:
            self._fill_packed()
            self._all = sorted({name for entry in fresh.values() if entry.packed
                                for name in entry.packed.split("\n")})
            self._order = short_order(self._all)
        if changed:
            self._write_cache()
        return self._all, self._order

    def _parse(self, path: Path, mtime_ns: int, size: int) -> _Entry:
        # Imported when a file must be read: a run that finds nothing changed never loads a grammar.
        from mycoder_lsp.code.symbols import document_symbols

        source = read_source(path, MAX_FILE_BYTES)
        if source.text is None:
            return _Entry(mtime_ns, size, "")
        symbols = document_symbols(source.text, language_for_path(path.name))
        return _Entry(mtime_ns, size, "\n".join(s.qualname for s in symbols if s.qualname))

    def _fill_packed(self) -> None:
        """Every entry's own names: from the names file, else parsed again."""
        missing = [rel for rel, entry in self.files.items() if entry.packed is None]
        if not missing:
            return
        packed = self._read_packed()
        for rel in missing:
            entry = self.files[rel]
            if rel in packed:
                entry.packed = packed[rel]
            else:
                entry.packed = self._parse(self.root / rel, entry.mtime_ns, entry.size).packed

    # -- the cache files ------------------------------------------------------------

    def _names_file(self) -> Path:
        assert self.cache_file is not None
        target = Path(self.cache_file)
        return target.with_name(target.stem + ".names" + target.suffix)

    def _read_cache(self) -> dict[str, _Entry]:
        if self.cache_file is None:
            return {}
        try:
            data = json.loads(Path(self.cache_file).read_text(encoding="utf-8"))
            if data.get("version") != CACHE_VERSION or data.get("root") != str(self.root):
                return {}
            files = {rel: _Entry(int(m), int(s), None) for rel, (m, s) in data["files"].items()}
            names = data["names"].split("\n") if data["names"] else []
            order = _unpack_order(data["order"])
            # Positions into names, or the cache is not used (a bad one must not break a lookup).
            if len(order) != len(names) or (order and max(order) >= len(names)):
                return {}
            self._all, self._order, self._generation = names, order, str(data["generation"])
            return files
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}  # no cache, or a broken one: the files are parsed again

    def _read_packed(self) -> dict[str, str]:
        """rel -> names of the names file written with this cache (else nothing)."""
        if self.cache_file is None or not self._generation:
            return {}
        try:
            data = json.loads(self._names_file().read_text(encoding="utf-8"))
            if data.get("generation") != self._generation:
                return {}  # of another write: the files it misses are parsed again
            return {str(rel): str(packed) for rel, packed in data["files"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}

    def _write_cache(self) -> None:
        if self.cache_file is None:
            return
        target = Path(self.cache_file)
        self._generation = os.urandom(8).hex()
        # The names file first: a cache read later always finds the names it was written with.
        packed = {"generation": self._generation, "files": {rel: e.packed for rel, e in self.files.items()}}
        data = {"version": CACHE_VERSION, "root": str(self.root), "generation": self._generation,
                "names": "\n".join(self._all or ()), "order": _pack_order(self._order or ()),
                "files": {rel: [e.mtime_ns, e.size] for rel, e in self.files.items()}}
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            for path, content in ((self._names_file(), packed), (target, data)):
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(content), encoding="utf-8")
                os.replace(tmp, path)
        except OSError as exc:
            log.debug("symbol cache %s not written: %s", target, exc)  # it only costs time


def _pack_order(order: Sequence[int]) -> str:
    """The order as base64 of unsigned 32-bit little-endian integers: a JSON
    list of 70,000 numbers took 6 ms to read at every ``route``, this 1 ms."""
    packed = array.array("I", order)
    if sys.byteorder != "little":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _unpack_order(text: str) -> array.array[int]:
    """What :func:`_pack_order` wrote; ValueError or TypeError for anything else."""
    order = array.array("I", base64.b64decode(text.encode("ascii"), validate=True))
    if sys.byteorder != "little":
        order.byteswap()
    return order


def workspace_symbol_names(root: Path | str, *, cache_file: Path | str | None = None,
                           max_files: int = MAX_FILES) -> list[str]:
    """Qualified names of the definitions under ``root`` (one call; a caller
    that asks again should keep a :class:`WorkspaceSymbols`)."""
    index = WorkspaceSymbols(Path(root), Path(cache_file) if cache_file is not None else None, max_files)
    return index.names()


def user_cache_file(root: Path) -> Path:
    """Where a workspace without a vault keeps its symbol cache: the user's
    cache directory, never the workspace (routing must not create files there)."""
    # A CRC, not a digest: hashlib's OpenSSL start-up was 3 ms of every ``route``, and two
    # roots that share a file only take turns with it (the file names its root).
    path = str(root.resolve())
    name = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(path))[:40] or "root"
    key = binascii.crc32(path.encode("utf-8", "surrogateescape"))
    return user_cache_dir() / "symbols" / f"{name}-{key:08x}.json"


__all__ = ["WorkspaceSymbols", "short_order", "user_cache_file", "workspace_symbol_names"]
