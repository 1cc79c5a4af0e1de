"""The workspace symbol index: its two-file cache and the sorted lookup the router bisects."""

from __future__ import annotations

import json
import random
from pathlib import Path

from mycoder_lsp.brains.router import SymbolIndex
from mycoder_lsp.code.symbol_index import WorkspaceSymbols, _pack_order, short_order


def reference_resolve(names: list[str], name: str) -> str | None:
    """What SymbolIndex.resolve answers, written as plainly as possible (a set and a dict)."""
    qual = set(names)
    short: dict[str, set[str]] = {}
    for q in names:
        short.setdefault(q.rsplit(".", 1)[-1], set()).add(q)

    def resolve(name: str) -> str | None:
        if not name:
            return None
        name = name.strip().strip("`").rstrip("()").replace("::", ".")
        if name in qual:
            return name
        if "." in name:
            last = name.rsplit(".", 1)[-1]
            cands = [q for q in short.get(last, ()) if q.endswith("." + name)]
            if len(cands) == 1:
                return cands[0]
            if name.split(".", 1)[0] in ("self", "this", "cls"):
                quals = short.get(last, set())
                return next(iter(quals)) if len(quals) == 1 else None
            owner = name.rsplit(".", 1)[0]
            return resolve(owner) if "." in name else None
        quals = short.get(name, set())
        return next(iter(quals)) if len(quals) == 1 else None

    return resolve(name)


def test_bisected_lookup_answers_as_a_set_and_a_dict_would():
    rng = random.Random(7)
    parts = ["get", "Get", "load", "Loader", "run", "a", "b", "Shop", "total", "x_y", "main", "Client", "send"]
    names = sorted({".".join(rng.choice(parts) for _ in range(rng.randint(1, 3))) for _ in range(400)})
    index = SymbolIndex.of(names)
    asks = [*names, *parts, "self.total", "this.run", "cls.load", "Shop.total.extra", "nothing.here", "", "`get`",
            "get()", "Shop::total", *(".".join(rng.choice(parts) for _ in range(rng.randint(1, 4))) for _ in range(300))]
    for ask in asks:
        assert index.resolve(ask) == reference_resolve(names, ask), ask


def test_short_order_sorts_positions_by_last_part():
    quals = ["A.run", "B.get", "run", "Z.a"]
    assert [quals[i] for i in short_order(quals)] == ["Z.a", "B.get", "A.run", "run"]


def test_a_lost_names_file_costs_a_parse_not_a_name(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("class A:\n    def m(self): pass\n")
    cache = tmp_path / "cache" / "symbols.json"
    assert WorkspaceSymbols(root, cache).names() == ["A", "A.m"]
    names_file = cache.with_name("symbols.names.json")
    assert json.loads(names_file.read_text())["files"] == {"a.py": "A\nA.m"}
    # The stamps say a.py is unchanged, but a new file makes the union be gathered
    # again: with the names file gone (or of another write), a.py is parsed again.
    names_file.unlink()
    (root / "b.py").write_text("def b(): pass\n")
    assert WorkspaceSymbols(root, cache).names() == ["A", "A.m", "b"]
    data = json.loads(names_file.read_text())
    data["generation"] = "another write"
    names_file.write_text(json.dumps(data))
    (root / "c.py").write_text("def c(): pass\n")
    assert WorkspaceSymbols(root, cache).names() == ["A", "A.m", "b", "c"]


def indexed_once(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace of one file, indexed once: (its root, the symbol cache)."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def a(): pass\n")
    cache = tmp_path / "cache" / "symbols.json"
    WorkspaceSymbols(root, cache).names()
    return root, cache


def test_an_unchanged_workspace_reads_only_the_stamps_and_the_union(tmp_path: Path):
    root, cache = indexed_once(tmp_path)
    # A names file that would say otherwise is never read when nothing changed.
    names_file = cache.with_name("symbols.names.json")
    names_file.write_text("{not json")
    index = WorkspaceSymbols(root, cache)
    assert index.names() == ["a"]
    assert all(entry.packed is None for entry in index.files.values())


def test_a_cache_with_a_bad_order_is_not_used(tmp_path: Path):
    root, cache = indexed_once(tmp_path)
    good = json.loads(cache.read_text())
    # A position out of range, a partial integer, not base64, and the JSON list of cache version 4.
    for order in (_pack_order([5]), "AAAA", "AAAA!", ["x"], [0], None):
        cache.write_text(json.dumps({**good, "order": order}))
        index = WorkspaceSymbols(root, cache)
        names, got = index.lookup()
        assert names == ["a"] and list(got) == [0]
        assert SymbolIndex.from_sorted(names, got).resolve("a") == "a"
