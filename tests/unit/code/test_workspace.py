"""The one walk of a workspace (code/workspace.py), the one way a file is
read, and the symbol index built on them (code/symbol_index.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mycoder_lsp.code.symbol_index import WorkspaceSymbols, user_cache_file, workspace_symbol_names
from mycoder_lsp.code.workspace import (
    content_hash,
    is_workspace_file,
    iter_source_files,
    iter_workspace_files,
    read_source,
)
from mycoder_lsp.workspace_session import Workspace

HAS_GIT = shutil.which("git") is not None

# Every path of the test workspace; KEPT are those the walk must list.
TREE = [
    "app.py", "web/main.ts", "web/util.js", "README.md", "pkg/__init__.py", "pkg/core.py",
    "pkg/generated/out.py", "pkg/generated/keep.py", "pkg/local.py",
    "build/lib/app.py", "dist/app-1.0.py", "target/debug/x.rs", "app.egg-info/top.py",
    "env/lib/python3.11/site-packages/dep.py", "tools/.venv/lib/v.py", "venv/x.py",
    "vendor/site-packages/dep2.py", "node_modules/m/index.js", "pkg/__pycache__/core.cpython-311.py",
    ".hidden/secret_tool.py", ".mycoder/v.py", ".github/workflows/ci.py",
    ".env", "keys/id_rsa", "keys/server.pem",
    "src/build/__init__.py", "src/build/builder.py",  # a package named build (pypa/build): its own code
    "conda/conda-meta/history.py", "conda/lib/c.py",
]
KEPT_SOURCE = ["app.py", "pkg/__init__.py", "pkg/core.py", "pkg/generated/keep.py", "src/build/__init__.py",
               "src/build/builder.py", "web/main.ts", "web/util.js"]


def make_tree(root: Path) -> Path:
    for rel in TREE:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("def f():\n    return 1\n" if rel.endswith(".py") else "x\n")
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / ".gitignore").write_text("pkg/local.py\n")
    # A nested .gitignore: its patterns are relative to its own directory.
    (root / "pkg" / "generated").mkdir(exist_ok=True)
    (root / "pkg" / ".gitignore").write_text("generated/*\n!generated/keep.py\n")
    return root


def rels(root: Path, paths) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in paths)


def git_init(root: Path, *tracked: str) -> None:
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_SYSTEM=os.devnull)
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", *tracked], check=True, env=env)


def test_walk_skips_environments_build_output_dot_dirs_and_ignored_files(tmp_path: Path):
    root = make_tree(tmp_path / "ws")
    assert rels(root, iter_source_files(root, root)) == KEPT_SOURCE
    everything = rels(root, iter_workspace_files(root, root))
    assert [p for p in everything if not p.endswith((".py", ".ts", ".js"))] == [".gitignore", "README.md",
                                                                                 "pkg/.gitignore"]


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_git_listing_and_walk_agree(tmp_path: Path):
    walked = make_tree(tmp_path / "plain")
    listed = make_tree(tmp_path / "repo")
    git_init(listed, "app.py", "pkg")  # some tracked, some untracked: both are the workspace's
    assert rels(listed, iter_source_files(listed, listed)) == rels(walked, iter_source_files(walked, walked))
    assert rels(listed, iter_workspace_files(listed, listed)) == rels(walked, iter_workspace_files(walked, walked))
    # The order is the walk's too: a directory's files before its subdirectories.
    assert [p.relative_to(listed).as_posix() for p in iter_source_files(listed, listed)] == [
        p.relative_to(walked).as_posix() for p in iter_source_files(walked, walked)]


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_a_directory_its_repository_ignores_is_still_walked_when_named(tmp_path: Path):
    # pyenv's own repository ignores /versions: a Python's stdlib under it is nobody's
    # build output, and `check` on it listed no file at all.
    repo = tmp_path / "pyenv"
    (repo / "versions" / "lib" / "json").mkdir(parents=True)
    (repo / ".gitignore").write_text("/versions\n*.pyc\n")
    (repo / "tool.py").write_text("x = 1\n")
    (repo / "versions" / "lib" / "json" / "decoder.py").write_text("y = 2\n")
    (repo / "versions" / "lib" / "json" / "decoder.pyc").write_bytes(b"\0")
    git_init(repo, "tool.py", ".gitignore")
    assert rels(repo, iter_source_files(repo, repo)) == ["tool.py"]
    named = repo / "versions" / "lib"
    # The ignore files' rules still hold below it (*.pyc), and nothing outside it is listed.
    assert rels(named, iter_workspace_files(named, named)) == ["json/decoder.py"]


def test_a_broken_repository_falls_back_to_the_walk(tmp_path: Path):
    root = make_tree(tmp_path / "ws")
    (root / ".git").write_text("gitdir: /nonexistent\n")  # git fails here
    assert rels(root, iter_source_files(root, root)) == KEPT_SOURCE


@pytest.mark.parametrize("git", [False, True])
def test_links_are_never_followed(tmp_path: Path, git: bool):
    if git and not HAS_GIT:
        pytest.skip("git is not installed")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "stolen.py").write_text("def stolen(): pass\n")
    root = tmp_path / "ws"
    root.mkdir()
    (root / "own.py").write_text("def own(): pass\n")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    (root / "linked.py").symlink_to(outside / "stolen.py")
    if git:
        git_init(root, ".")
    assert rels(root, iter_workspace_files(root, root)) == ["own.py"]
    assert not is_workspace_file(root / "linked.py", root)
    assert not is_workspace_file(root / "linked_dir" / "stolen.py", root)


def test_one_file_is_judged_as_the_walk_judges_it(tmp_path: Path):
    root = make_tree(tmp_path / "ws")
    listed = {p for p in iter_workspace_files(root, root)}
    for rel in TREE + [".gitignore", "pkg/.gitignore"]:
        assert is_workspace_file(root / rel, root) == ((root / rel) in listed), rel
    assert not is_workspace_file(tmp_path / "elsewhere.py", root)


def test_excluded_directories(tmp_path: Path):
    root = make_tree(tmp_path / "ws")
    assert "pkg/core.py" not in rels(root, iter_source_files(root, root, exclude=[root / "pkg"]))


def test_read_source_says_why_a_file_was_skipped(tmp_path: Path):
    text = tmp_path / "ok.py"
    text.write_text("x = 'é'\n", encoding="utf-8")
    got = read_source(text, 1000)
    assert (got.text, got.skipped, got.size) == ("x = 'é'\n", None, len("x = 'é'\n".encode()))
    assert got.mtime_ns == text.stat().st_mtime_ns
    (tmp_path / "bin.py").write_bytes(b"x = 1\0\0")
    assert read_source(tmp_path / "bin.py", 1000).skipped == "binary"
    (tmp_path / "big.py").write_text("x" * 2000)
    big = read_source(tmp_path / "big.py", 1000)
    assert big.text is None and big.skipped is not None and big.skipped.startswith("too large") and big.size == 2000
    (tmp_path / "latin.py").write_bytes("x = 'é'\n".encode("latin-1"))
    assert read_source(tmp_path / "latin.py", 1000).skipped == "not UTF-8"
    (tmp_path / "link.py").symlink_to(text)
    assert read_source(tmp_path / "link.py", 1000).skipped == "not a regular file (a symbolic link)"
    os.mkfifo(tmp_path / "fifo.py")
    assert read_source(tmp_path / "fifo.py", 1000).skipped == "not a regular file"  # and it did not block
    missing = read_source(tmp_path / "missing.py", 1000)
    assert missing.text is None and missing.skipped is not None and missing.skipped.startswith("unreadable")


def test_content_hash_is_of_the_text():
    assert content_hash("a\n") == content_hash("a\n") != content_hash("a\r\n")
    assert len(content_hash("")) == 32


# -- the symbol index ---------------------------------------------------------------


def test_symbol_index_covers_the_walked_files_in_every_language(tmp_path: Path):
    root = make_tree(tmp_path / "ws")
    (root / "web" / "main.ts").write_text("export class Shop { total(): number { return 1; } }\n")
    (root / "lib.go").write_text("package lib\n\nfunc Parse() int { return 1 }\n")
    index = WorkspaceSymbols(root)
    names = index.names()
    assert {"Shop", "Shop.total", "Parse", "f"} <= set(names)
    assert sorted(index.last_files) == sorted(KEPT_SOURCE + ["lib.go"])


def test_symbol_index_cache_is_trusted_by_mtime_and_size(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("class A:\n    def m(self): pass\n")
    cache = tmp_path / "cache" / "symbols.json"
    assert workspace_symbol_names(root, cache_file=cache) == ["A", "A.m"]
    # An entry whose stamp matches is not parsed again: what the cache says is what is returned
    # (a new file makes the index gather the names of every entry again).
    names_file = cache.with_name("symbols.names.json")
    data = json.loads(names_file.read_text())
    data["files"]["a.py"] = "FromCache"
    names_file.write_text(json.dumps(data))
    (root / "b.py").write_text("def b(): pass\n")
    assert workspace_symbol_names(root, cache_file=cache) == ["FromCache", "b"]
    # A changed file (its size changed) is parsed again; a deleted one leaves the cache.
    (root / "a.py").write_text("def renamed(): pass\n")
    assert workspace_symbol_names(root, cache_file=cache) == ["b", "renamed"]
    (root / "b.py").unlink()
    assert workspace_symbol_names(root, cache_file=cache) == ["renamed"]
    assert list(json.loads(cache.read_text())["files"]) == ["a.py"]
    # A broken cache costs a parse, never an error.
    cache.write_text("{not json")
    assert workspace_symbol_names(root, cache_file=cache) == ["renamed"]


def test_workspace_keeps_its_symbol_cache_out_of_a_workspace_without_vault(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def a(): pass\n")
    with Workspace.open(root) as workspace:
        assert workspace.symbols.names() == ["a"]
        assert workspace.open_vault("existing") is None and workspace.vault_note
    assert sorted(p.name for p in root.iterdir()) == ["a.py"]  # nothing created in the workspace
    assert user_cache_file(root).is_file()


def test_a_planted_vault_link_is_not_written_through(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    precious = tmp_path / "precious"
    precious.mkdir()
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("def a(): pass\n")
    (root / ".mycoder").symlink_to(precious, target_is_directory=True)
    with Workspace.open(root) as workspace:
        assert workspace.symbols.names() == ["a"]
    assert list(precious.iterdir()) == []
    assert user_cache_file(root).is_file()
