"""Retrieval quality of the vault on the stdlib docstring→function task.

    python bench/bench_retrieval.py [--sample N]

Builds the docstring-stripped corpus of :mod:`bench.retrieval_dataset` for
the ``tune`` and the ``test`` split, indexes each with the real vault (offline
default embedder), and prints MRR@10, Recall@1 and Recall@10 at function
granularity (a hit is the right path AND qualified name) for every fusion
mode: lexical only, offline dense only, the mission's 0.7×cosine +
0.3×importance, reciprocal-rank fusion, and the weighted hybrid, plus a few
field-boost, weight and container-prior variants. Variants are chosen on ``tune``; ``test``
is what gets reported.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.retrieval_dataset import load_corpus_and_queries  # noqa: E402
from mycoder_lsp.config import Settings  # noqa: E402
from mycoder_lsp.memory import vault as vault_module  # noqa: E402
from mycoder_lsp.memory.vault import Vault  # noqa: E402


def build(split: str, sample: int, workdir: Path) -> tuple[Vault, list, float]:
    data = load_corpus_and_queries(split=split, sample=sample)
    root = workdir / split
    for rel, text in data.files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    vault = Vault.open(root, Settings(), stray_limit=None)  # a dataset copy has no project marker
    t = time.perf_counter()
    report = asyncio.run(vault.index())
    secs = time.perf_counter() - t
    print(f"[{split}] {len(data.files)} files, {report.chunks} chunks indexed in {secs:.1f} s "
          f"({report.chunks / secs:.0f} chunks/s), {len(data.queries)} queries")
    return vault, data.queries, secs


def evaluate(vault: Vault, queries: list, mode: str) -> tuple[float, float, float]:
    async def run() -> tuple[float, float, float]:
        mrr = r1 = r10 = 0.0
        for q in queries:
            results = await vault.search(q.text, 10, mode=mode)
            for rank, r in enumerate(results, 1):
                if r.path == q.path and r.name == q.qualname:
                    mrr += 1.0 / rank
                    r1 += rank == 1
                    r10 += 1
                    break
        n = max(1, len(queries))
        return mrr / n, r1 / n, r10 / n

    return asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=500, help="queries per split (the corpus is always the whole split)")
    ap.add_argument("--skip-tune", action="store_true")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mycoder-retrieval-"))
    default_fields, default_weights = vault_module.lexical.FIELD_WEIGHTS, vault_module.HYBRID_WEIGHTS
    prior = vault_module.CONTAINER_PRIOR
    # (label, mode, BM25 field weights, hybrid weights, container prior)
    variants: list[tuple[str, str, tuple, tuple, float]] = [
        ("lexical (BM25, name×4)", "lexical", default_fields, default_weights, 0.0),
        ("lexical (BM25, no field boost)", "lexical", (1.0, 1.0, 1.0), default_weights, 0.0),
        ("dense only (offline)", "dense", default_fields, default_weights, 0.0),
        ("mission 0.7×cos + 0.3×importance", "mission", default_fields, default_weights, 0.0),
        ("reciprocal-rank fusion (k=60)", "rrf", default_fields, default_weights, 0.0),
        ("hybrid 0.4 bm25 + 0.6 cos, no prior", "hybrid", default_fields, (0.4, 0.6, 0.0), 0.0),
        ("hybrid 0.3 bm25 + 0.7 cos, no prior", "hybrid", default_fields, (0.3, 0.7, 0.0), 0.0),
        ("hybrid 0.4/0.6 + prior", "hybrid", default_fields, (0.4, 0.6, 0.0), prior),
        ("hybrid 0.3/0.6/0.1 imp + prior", "hybrid", default_fields, (0.3, 0.6, 0.1), prior),
        ("hybrid 0.3/0.7 + prior, name×8", "hybrid", (8.0, 1.0, 1.0), (0.3, 0.7, 0.0), prior),
        ("hybrid 0.3/0.7 + prior, body×0.5", "hybrid", (4.0, 1.0, 0.5), (0.3, 0.7, 0.0), prior),
        ("hybrid 0.3/0.7 + prior (default)", "hybrid", default_fields, default_weights, prior),
    ]
    for split in (("test",) if args.skip_tune else ("tune", "test")):
        vault, queries, _ = build(split, args.sample, workdir)
        print(f"{'variant':<40} {'MRR@10':>7} {'R@1':>6} {'R@10':>6} {'ms/q':>6}")
        for label, mode, fields, weights, container_prior in variants:
            vault.field_weights = fields
            vault_module.HYBRID_WEIGHTS = weights
            vault_module.CONTAINER_PRIOR = container_prior
            t = time.perf_counter()
            mrr, r1, r10 = evaluate(vault, queries, mode)
            ms = (time.perf_counter() - t) * 1000 / max(1, len(queries))
            print(f"{label:<40} {mrr:7.3f} {r1:6.3f} {r10:6.3f} {ms:6.1f}")
        vault.close()


if __name__ == "__main__":
    main()
