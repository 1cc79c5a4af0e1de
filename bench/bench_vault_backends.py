"""The vault on SQLite and on PostgreSQL + pgvector: retrieval parity, index and query cost.

    python bench/bench_vault_backends.py [--sample N] [--url postgresql://...]

The docstring->function task of ``bench/bench_retrieval.py`` (the ``test`` split of the
stdlib, docstrings stripped), indexed once into each backend with the offline embedder.
Prints, per backend: index time and size; MRR@10, R@1, R@10 and query p50/p95 for the
lexical, dense and hybrid modes; then the PostgreSQL variants the store chose between:

- dense: exact scan (shipped) vs an HNSW index (m 16, ef_construction 64, ef_search 100)
  vs IVFFlat (lists 100, probes 10), built on the same vectors;
- lexical: BM25 in SQL over the postings table (shipped) vs PostgreSQL full-text search
  (``tsvector`` over the same pre-split tokens, ``simple`` configuration, name/path/body
  weighted A/C/D, ``ts_rank``). ``pg_trgm`` is not in the bundled engine.

N users querying one shared vault while an indexer re-indexes it, against N separate
SQLite vaults: ``bench/bench_vault_concurrency.py``.

Without ``--url`` a PostgreSQL is started with ``pgserver`` in a temporary directory.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.retrieval_dataset import load_corpus_and_queries  # noqa: E402
from mycoder_lsp.config import Settings  # noqa: E402
from mycoder_lsp.memory import lexical  # noqa: E402
from mycoder_lsp.memory.vault import Vault  # noqa: E402

MODES = ("lexical", "dense", "hybrid")


def start_postgres() -> tuple[str, Callable[[], None]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    started = time.perf_counter()
    server = pgserver.get_server(tempfile.mkdtemp(prefix="mycoder-bench-pg-"), cleanup_mode="delete")
    print(f"pgserver: PostgreSQL started in {time.perf_counter() - started:.1f} s")
    return server.get_uri(), server.cleanup


def settings_for(url: str | None, user: str = "bench", *, writer: bool = True) -> Settings:
    settings = Settings()
    if url:
        settings.vault.url = url
        settings.vault.user = user
        settings.vault.index_shared = writer
    return settings


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def evaluate(vault: Vault, queries: list, mode: str) -> tuple[float, float, float, float, float]:
    """MRR@10, R@1, R@10, p50 ms, p95 ms."""
    mrr = r1 = r10 = 0.0
    times: list[float] = []
    for q in queries:
        t = time.perf_counter()
        results = vault.search_sync(q.text, 10, mode=mode)
        times.append((time.perf_counter() - t) * 1000)
        for rank, r in enumerate(results, 1):
            if r.path == q.path and r.name == q.qualname:
                mrr += 1.0 / rank
                r1 += rank == 1
                r10 += 1
                break
    n = max(1, len(queries))
    return mrr / n, r1 / n, r10 / n, percentile(times, 0.5), percentile(times, 0.95)


def row(label: str, figures: tuple[float, ...]) -> None:
    mrr, r1, r10, p50, p95 = figures
    print(f"{label:<44} {mrr:7.3f} {r1:6.3f} {r10:6.3f} {p50:7.1f} {p95:7.1f}")


def header() -> None:
    print(f"{'':<44} {'MRR@10':>7} {'R@1':>6} {'R@10':>6} {'p50 ms':>7} {'p95 ms':>7}")


def pg_exec(vault: Vault, *statements: str) -> None:
    with vault.store.transaction() as conn:  # type: ignore[attr-defined]
        for sql in statements:
            conn.execute(sql)


def dense_variants(vault: Vault, queries: list, dim: int) -> None:
    """HNSW and IVFFlat on the same vectors: the column gets its dimension (an index needs it)."""
    pg_exec(vault, f"ALTER TABLE vectors ALTER COLUMN vec TYPE public.vector({dim})")
    for label, create, knob in (
        ("pg dense, HNSW (m 16, ef_search 100)",
         "CREATE INDEX bench_ann ON vectors USING hnsw (vec public.vector_ip_ops) WITH (m = 16, ef_construction = 64)",
         "SET hnsw.ef_search = 100"),
        ("pg dense, IVFFlat (lists 100, probes 10)",
         "CREATE INDEX bench_ann ON vectors USING ivfflat (vec public.vector_ip_ops) WITH (lists = 100)",
         "SET ivfflat.probes = 10"),
    ):
        t = time.perf_counter()
        pg_exec(vault, create)
        built = time.perf_counter() - t
        vault.store.conn.execute(knob)  # type: ignore[attr-defined]
        row(f"{label} [built {built:.1f} s]", evaluate(vault, queries, "dense"))
        row(label.replace("dense", "hybrid"), evaluate(vault, queries, "hybrid"))
        pg_exec(vault, "DROP INDEX bench_ann")
    pg_exec(vault, "ALTER TABLE vectors ALTER COLUMN vec TYPE public.vector")


def fts_variant(vault: Vault, queries: list) -> None:
    """PostgreSQL full-text search over the same pre-split tokens, ranked by ts_rank."""
    store: Any = vault.store
    t = time.perf_counter()
    pg_exec(vault, "ALTER TABLE chunks ADD COLUMN IF NOT EXISTS bench_tsv tsvector")
    rows = store._rows("SELECT id, path, name, content FROM chunks")
    with store.transaction() as conn, conn.cursor() as cur:
        cur.executemany(
            "UPDATE chunks SET bench_tsv = setweight(to_tsvector('simple', %s), 'A') || "
            "setweight(to_tsvector('simple', %s), 'C') || setweight(to_tsvector('simple', %s), 'D') WHERE id = %s",
            [(*lexical.document(name, path, content)[:1], lexical.document(name, path, content)[1],
              lexical.document(name, path, content)[2], cid) for cid, path, name, content in rows])
    pg_exec(vault, "CREATE INDEX bench_tsv_gin ON chunks USING gin (bench_tsv)")
    print(f"(tsvector column + GIN index built in {time.perf_counter() - t:.1f} s)")
    shipped = store.lexical_search

    def ts_rank_search(terms, limit, weights):
        if not terms:
            return []
        query = " | ".join("'" + t.replace("'", "''") + "'" for t in terms)
        return [(int(c), float(s)) for c, s in store._rows(
            "SELECT id, ts_rank('{0.25, 0.25, 0.25, 1.0}', bench_tsv, q) AS s FROM chunks,"
            " to_tsquery('simple', %s) q WHERE bench_tsv @@ q ORDER BY s DESC, id LIMIT %s", (query, limit))]

    store.lexical_search = ts_rank_search
    try:
        row("pg lexical, full-text search (ts_rank)", evaluate(vault, queries, "lexical"))
        row("pg hybrid, full-text search (ts_rank)", evaluate(vault, queries, "hybrid"))
    finally:
        store.lexical_search = shipped
        pg_exec(vault, "DROP INDEX bench_tsv_gin", "ALTER TABLE chunks DROP COLUMN bench_tsv")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=300, help="queries (the corpus is the whole test split)")
    ap.add_argument("--url", default="", help="a PostgreSQL to use (default: start one with pgserver)")
    ap.add_argument("--skip-variants", action="store_true")
    args = ap.parse_args()
    stop_pg: Callable[[], None] = lambda: None  # noqa: E731
    url = args.url
    if not url:
        url, stop_pg = start_postgres()
    workdir = Path(tempfile.mkdtemp(prefix="mycoder-backends-"))
    try:
        data = load_corpus_and_queries(split="test", sample=args.sample)
        root = workdir / "test"
        for rel, text in data.files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        print(f"corpus: {len(data.files)} files, {len(data.queries)} queries; load {os.getloadavg()[0]:.1f}")
        figures: dict[str, Any] = {}
        vaults: dict[str, Vault] = {}
        for name, backend_url in (("sqlite", None), ("postgres", url)):
            vault = Vault.open(root, settings_for(backend_url), stray_limit=None)
            t, cpu = time.perf_counter(), time.process_time()
            report = asyncio.run(vault.index())
            secs = time.perf_counter() - t
            size = vault.stats()["bytes"]
            figures[name] = (secs, size)
            print(f"[{name}] {report.chunks} chunks indexed in {secs:.1f} s ({report.chunks / secs:.0f} chunks/s, "
                  f"{time.process_time() - cpu:.1f} s CPU in this process), {size / 1e6:.0f} MB")
            vaults[name] = vault
        header()
        results: dict[tuple[str, str], tuple] = {}
        for mode in MODES:
            for name, vault in vaults.items():
                vault.warm()
                results[(name, mode)] = evaluate(vault, data.queries, mode)
                row(f"{name} {mode}", results[(name, mode)])
        for mode in MODES:
            delta = results[("postgres", mode)][0] - results[("sqlite", mode)][0]
            print(f"MRR@10 postgres - sqlite, {mode}: {delta:+.4f}")
        if not args.skip_variants:
            pg = vaults["postgres"]
            dim = pg.embedder.dim
            dense_variants(pg, data.queries, dim)
            fts_variant(pg, data.queries)
        for vault in vaults.values():
            vault.close()
        print(f"load at the end {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        stop_pg()


if __name__ == "__main__":
    main()
