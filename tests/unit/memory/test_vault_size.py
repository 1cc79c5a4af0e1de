"""The compact vault (schema 2): int8 vectors, a contentless lexical index, one
compressed text per file, and the conversion of a version-1 vault."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import numpy as np

from mycoder_lsp.config import Settings
from mycoder_lsp.memory import lexical
from mycoder_lsp.memory.embedders import decode_vectors, encode_vectors
from mycoder_lsp.memory.store import DB_NAME, MIGRATIONS, SCHEMA_VERSION, pack_texts, unpack_texts
from mycoder_lsp.memory.vault import Vault


def test_vectors_are_stored_as_int8_with_a_scale_and_decode_to_unit_rows() -> None:
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(50, 256)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    rows[3] = 0.0  # an empty text's vector matches nothing, stored or not
    blobs = encode_vectors(rows)
    assert {len(b) for b in blobs} == {256 + 4}
    back = decode_vectors(blobs)
    assert back.dtype == np.float32 and back.shape == rows.shape
    cos = np.sum(back * rows, axis=1)
    assert float(np.delete(cos, 3).min()) > 0.999
    assert not back[3].any()


def test_a_files_chunk_texts_are_kept_once_in_one_blob() -> None:
    texts = ["class A:\n    def f(self):\n        pass\n", "    def f(self):\n        pass\n", "x = 1\n",
             "    def f(self):\n        pass\n"]
    body, spans = pack_texts(texts)
    whole = unpack_texts(body)
    assert [whole[a : a + n] for a, n in spans] == texts
    assert spans[1] == spans[3]  # the same text twice is stored once
    assert len(whole) == sum(len(t) for t in texts[:3])


def test_an_edited_file_leaves_no_stale_postings(vault: Vault, workspace: Path) -> None:
    # The lexical index keeps no copy of its columns: an old chunk's rows are
    # deleted by giving its columns again, recomputed from its stored text.
    weights = lexical.FIELD_WEIGHTS
    assert vault.store.lexical_search(["merge"], 10, weights)
    config = workspace / "app/config.py"
    config.write_text('"""Settings."""\n\n\ndef load_settings(path):\n    return read_toml(path)\n\n\n'
                      "def read_toml(path):\n    return {}\n")
    asyncio.run(vault.reindex_file(config))
    assert vault.store.lexical_search(["merge"], 10, weights) == []
    assert vault.store.term_document_counts(["merge", "toml"]) == {"toml": 2}
    hits = vault.store.lexical_search(["toml"], 10, weights)
    texts = vault.store.chunk_contents([cid for cid, _ in hits])
    assert sorted(texts.values()) == sorted(t for _, _, _, _, _, _, t in vault.store.chunks_of("app/config.py")
                                            if "toml" in t)
    assert any(t.startswith("def read_toml") for t in texts.values())
    # Removing it leaves nothing of it either.
    config.unlink()
    asyncio.run(vault.index())
    assert vault.store.lexical_search(["toml"], 10, weights) == []
    assert vault.store.query("SELECT COUNT(*) FROM texts WHERE path = 'app/config.py'") == [(0,)]


def test_a_changed_tokenizer_empties_the_contentless_index(vault: Vault) -> None:
    vault.store.reset_if_changed("lexical", "another-tokenizer", "index")
    assert vault.store.counts()["chunks"] == 0
    assert vault.store.lexical_search(["settings"], 10, lexical.FIELD_WEIGHTS) == []
    assert vault.store.term_document_counts(["settings"]) == {}
    assert vault.store.query("SELECT COUNT(*) FROM texts") == [(0,)]


def test_a_version_1_vault_is_converted_without_embedding_again(workspace: Path) -> None:
    vault = Vault.open(workspace, Settings())
    asyncio.run(vault.index())
    meta = vault.store.query("SELECT key, value FROM meta")
    hashes, blobs = zip(*vault.store.query("SELECT hash, vec FROM vectors"), strict=True)
    vectors = decode_vectors(list(blobs))
    vault.close()
    # What version 1 wrote: its schema, float32 vectors, the same meta, a learned pattern.
    db = workspace / ".mycoder" / DB_NAME
    for suffix in ("", "-wal", "-shm"):
        db.with_name(DB_NAME + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied REAL NOT NULL)")
    version, name, sql = MIGRATIONS[0]
    assert version == 1 and isinstance(sql, str)
    conn.executescript(sql)
    conn.execute("INSERT INTO migrations VALUES (1, ?, 0)", (name,))
    conn.executemany("INSERT INTO meta VALUES (?, ?)", meta)
    conn.executemany("INSERT INTO vectors VALUES (?, ?)",
                     [(h, vectors[i].astype(np.float32).tobytes()) for i, h in enumerate(hashes)])
    conn.execute("INSERT INTO patterns VALUES ('p1', 1, 0, 'sig', 'intent', 'delta', 0.5, '', '')")
    conn.commit()
    conn.close()

    vault = Vault.open(workspace, Settings())
    try:
        assert vault.store.query("SELECT MAX(version) FROM migrations") == [(SCHEMA_VERSION,)]
        assert {len(b) for (b,) in vault.store.query("SELECT vec FROM vectors")} == {vectors.shape[1] + 4}
        assert [p.id for p in vault.store.pattern_rows()] == ["p1"]
        report = asyncio.run(vault.index())
        assert report.files == 4 and report.embedded == 0
        assert vault.search_sync("read the settings file", 3)[0].name == "load_settings"
    finally:
        vault.close()


def test_an_index_run_leaves_no_write_ahead_log_behind(workspace: Path) -> None:
    vault = Vault.open(workspace, Settings())
    try:
        asyncio.run(vault.index())
        wal = workspace / ".mycoder" / (DB_NAME + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        assert vault.search_sync("read the settings file", 3)[0].name == "load_settings"
    finally:
        vault.close()


def test_every_chunk_gets_a_vector_when_many_files_share_chunks(tmp_path: Path) -> None:
    # Batches of chunks to embed are taken in file order (few texts to
    # decompress each); chunks repeated across files must not make a batch
    # look short, which ends the embedding early.
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    for i in range(64):
        text = "".join(f"def helper_{i}_{j}(y):\n    return y + {i * 100 + j}\n\n\n" for j in range(20))
        for copy in ("a", "b"):  # a file and its copy: each chunk twice, side by side in file order
            (root / f"m{i:03d}_{copy}.py").write_text(text)
    vault = Vault.open(root, Settings())
    try:
        asyncio.run(vault.index())
        assert vault.store.missing_vectors(10) == []
        assert vault.stats()["vectors"] == len({h for (h,) in vault.store.query("SELECT hash FROM chunks")})
    finally:
        vault.close()
