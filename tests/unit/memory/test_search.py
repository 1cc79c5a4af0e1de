"""Indexing and search through the real vault (offline embedder; SQLite on disk, and PostgreSQL where marked)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
import subprocess

import pytest

from mycoder_lsp.config import Settings
from mycoder_lsp.memory.ranking import MODES
from mycoder_lsp.memory.vault import Vault
from tests.unit.memory.conftest import both_backends


def names(results):
    return [r.name for r in results]


@both_backends
def test_index_is_incremental_by_content_hash(workspace, vault):
    stats = vault.stats()
    distinct = len({r[0] for r in vault.store.query("SELECT hash FROM chunks")})
    assert stats["files"] == 4 and stats["vectors"] == distinct > 0
    # Nothing changed: nothing re-read, nothing embedded.
    again = asyncio.run(vault.index())
    assert (again.changed, again.embedded, again.removed) == (0, 0, 0)
    # Touched but identical: re-read, not re-chunked, not embedded.
    os.utime(workspace / "app/config.py", ns=(1, 1))
    again = asyncio.run(vault.index())
    assert (again.changed, again.embedded) == (0, 0)
    # One function changed: only that chunk is embedded again.
    path = workspace / "app/config.py"
    path.write_text(path.read_text().replace("return {}", "return {'a': 1}"))
    again = asyncio.run(vault.index())
    assert again.changed == 1 and again.embedded == 1
    # A file removed from disk leaves the index.
    (workspace / "notes.md").unlink()
    again = asyncio.run(vault.index())
    assert again.removed == 1 and vault.stats()["files"] == 3


@both_backends
@pytest.mark.parametrize("mode", MODES)
def test_every_mode_finds_the_function(vault, mode):
    results = vault.search_sync("send the request again when the connection drops", 5, mode=mode)
    # The mission's formula ranks the enclosing class first (importance); the others the method.
    assert "HttpClient.retry_request" in names(results[:2 if mode == "mission" else 1])
    top = next(r for r in results if r.name == "HttpClient.retry_request")
    assert (top.path, top.kind, top.start_line, top.end_line) == ("app/http.py", "method", 4, 7)


@both_backends
def test_search_other_languages_and_json_shape(vault):
    results = vault.search_sync("compute cart total", 3)
    assert results[0].name == "computeCartTotal" and results[0].path == "web/cart.ts"
    data = results[0].to_json()
    assert set(data) == {"path", "name", "kind", "start_line", "end_line", "score"}
    assert vault.search_sync("", 5) == [] and vault.search_sync("zzzqqq", 0) == []


@both_backends
def test_symbols_exact_and_prefix_first(vault):
    found = vault.symbols("load")
    assert names(found)[0] == "load_settings"
    assert "HttpClient.close" in names(vault.symbols("close"))
    assert all(r.kind not in ("module", "text") for r in vault.symbols(""))
    assert vault.symbols("100%_") == []  # LIKE wildcards are escaped


@both_backends
def test_reindex_and_remove_file(workspace, vault):
    path = workspace / "app/http.py"
    path.write_text(path.read_text() + "\n\ndef brand_new_helper():\n    return 42\n")
    assert asyncio.run(vault.reindex_file(path)) == 4
    assert "brand_new_helper" in names(vault.symbols("brand_new"))
    vault.remove_file(path)
    assert vault.symbols("brand_new") == [] and vault.symbols("retry") == []
    # Removing a directory removes what is under it.
    vault.remove_file(workspace / "app")
    assert vault.symbols("load_settings") == []


def test_skips_vault_git_ignored_binary_large_and_venv(tmp_path):
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src/ok.py").write_text("def kept():\n    pass\n")
    (root / "src/secret.log").write_text("def ignored_by_gitignore():\n    pass\n")
    (root / "build").mkdir()
    (root / "build/gen.py").write_text("def ignored_dir():\n    pass\n")
    (root / ".gitignore").write_text("*.log\nbuild/\n")
    (root / "blob.py").write_bytes(b"def x():\0\1\2")
    (root / "huge.py").write_text("def huge():\n" + "    x = 1\n" * 500)
    (root / "node_modules/pkg").mkdir(parents=True)
    (root / "node_modules/pkg/index.js").write_text("function inNodeModules() {}\n")
    (root / "env").mkdir()
    (root / "env/pyvenv.cfg").write_text("home = /usr\n")
    (root / "env/site.py").write_text("def in_venv():\n    pass\n")
    settings = Settings()
    settings.validation.max_file_size = 2000
    for use_git in (False, True):
        if use_git:
            subprocess.run(["git", "init", "-q", str(root)], check=True)
        v = Vault.open(root, settings)
        asyncio.run(v.index())
        indexed = {r[0] for r in v.store.query("SELECT path FROM files")}
        assert indexed == {"src/ok.py", ".gitignore"}, (use_git, indexed)
        assert v.indexable(root / "src/secret.log") is None
        assert v.indexable(root / ".mycoder/vault.db") is None
        v.close()


def test_private_permissions_and_gitignore(workspace, vault):
    vdir = workspace / ".mycoder"
    assert stat.S_IMODE(vdir.stat().st_mode) == 0o700
    assert (vdir / ".gitignore").read_text().strip().endswith("*")
    for p in vdir.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_secrets_are_redacted_before_storing(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    (root / "creds.py").write_text(
        f'AWS = "{key}"\n\ndef connect():\n    api_key = "Zx9-Qw8_Er7-Ty6.Ui5"\n    return "{token}"\n'
    )
    v = Vault.open(root, Settings())
    asyncio.run(v.index())
    # The stored text, decompressed (a raw byte search of zlib data would find nothing either way).
    stored = "\n".join(v.store.chunk_contents([r[0] for r in v.store.query("SELECT id FROM chunks")]).values())
    assert key not in stored and token not in stored and "Zx9-Qw8_Er7-Ty6.Ui5" not in stored
    assert "[REDACTED]" in stored and "def connect" in stored
    v.close()
    raw = (root / ".mycoder/vault.db").read_bytes()
    assert key.encode() not in raw and token.encode() not in raw


@both_backends
def test_embedder_change_reembeds_everything(workspace, vault, vault_settings):
    class Other:
        name = "test-other-embedder"
        dim = 8

        async def embed(self, texts):
            import numpy as np

            out = np.ones((len(texts), 8), dtype=np.float32)
            return out / np.linalg.norm(out, axis=1, keepdims=True)

    count = vault.stats()["chunks"]
    vault.close()
    v = Vault.open(workspace, vault_settings, embedder=Other())
    assert v.stats()["vectors"] == 0
    report = asyncio.run(v.index())
    assert report.embedded == len({r[0] for r in v.store.query("SELECT hash FROM chunks")}) and count
    v.close()


@both_backends
def test_a_failing_embedder_leaves_lexical_search_working(workspace, vault_settings):
    class Down:
        name = "test-down-embedder"
        dim = 8

        async def embed(self, texts):
            raise ConnectionError("embedding server is not reachable")

    v = Vault.open(workspace, vault_settings, embedder=Down())
    report = asyncio.run(v.index())
    assert report.files == 4 and report.embedded == 0 and "not reachable" in report.embed_error
    assert v.search_sync("send the request again", 1)[0].name == "HttpClient.retry_request"
    v.close()


@both_backends
def test_a_vault_split_by_older_rules_is_rebuilt_without_reembedding(workspace, vault, vault_settings):
    vectors = vault.stats()["vectors"]
    vault.store.set_meta("lexical", "split-v1")
    vault.close()
    v = Vault.open(workspace, vault_settings)
    assert v.stats()["chunks"] == 0 and v.stats()["vectors"] == vectors
    report = asyncio.run(v.index())
    assert report.changed == 4 and report.embedded == 0 and v.stats()["chunks"] > 0
    assert v.search_sync("sends requests again", 1, mode="lexical")[0].name == "HttpClient.retry_request"
    v.close()


@both_backends
def test_a_new_embedding_text_format_reembeds(workspace, vault, vault_settings):
    vault.store.set_meta("embedder", vault.embedder.name)  # as written before the text format was versioned
    vault.close()
    v = Vault.open(workspace, vault_settings)
    assert v.stats()["vectors"] == 0
    report = asyncio.run(v.index())
    assert report.embedded == len({r[0] for r in v.store.query("SELECT hash FROM chunks")}) > 0
    v.close()


@both_backends
def test_containers_rank_below_functions_unless_the_query_describes_one(vault):
    def class_score(query):
        return next(r.score for r in vault.search_sync(query, 5) if r.name == "HttpClient")

    doing, thing = "retry the request to the server", "A client class that talks to the server"
    with_prior = class_score(doing), class_score(thing)
    vault.ranking = dataclasses.replace(vault.ranking, container_prior=0.0)
    without = class_score(doing), class_score(thing)
    assert with_prior[0] == pytest.approx(without[0] - 0.1) and with_prior[1] == pytest.approx(without[1])
    assert vault.search_sync(thing, 1)[0].name == "HttpClient"
    assert vault.search_sync(doing, 1)[0].name == "HttpClient.retry_request"
