"""Retrieval quality of the vault on the stdlib docstring→function task.

    python bench/bench_retrieval.py [--sample N] [--with-tests] [--skip-tune]

Builds the docstring-stripped corpus of :mod:`bench.retrieval_dataset` for
the ``tune`` and the ``test`` split, indexes each with the real vault (offline
default embedder), and prints MRR@10, Recall@1 and Recall@10 at function
granularity (a hit is the right path AND qualified name) for every fusion
mode: lexical only, offline dense only, the mission's 0.7×cosine +
0.3×importance, reciprocal-rank fusion, and the weighted hybrid, plus
field-boost, weight and prior variants, each a
:class:`~mycoder_lsp.memory.ranking.RankingParams` given to the vault.
``--with-tests`` indexes the corpus a real vault holds (the stdlib's tests
too) and adds the hand-written queries; their MRR is printed apart
(``hand``), with two references: the default without test evidence, and the
default with every test left out of the results (what perfect handling of
tests could reach). Variants are chosen on ``tune``; ``test`` is what gets
reported. ``--failures N`` prints the top 5 of the default's first N misses
(answer not first) on each split, and what kind of chunk won each miss.
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

from collections import Counter  # noqa: E402
from dataclasses import replace  # noqa: E402

from bench.retrieval_dataset import Split, load_corpus_and_queries  # noqa: E402
from mycoder_lsp.config import Settings  # noqa: E402
from mycoder_lsp.memory.ranking import ANY_PATH, CONTAINER_KINDS, PathFilter, RankingParams, is_test  # noqa: E402
from mycoder_lsp.memory.vault import Vault  # noqa: E402


def build(split: Split, sample: int, workdir: Path, with_tests: bool) -> tuple[Vault, list, set[str]]:
    data = load_corpus_and_queries(split=split, sample=sample, with_tests=with_tests)
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
          f"({report.chunks / secs:.0f} chunks/s), {len(data.queries)} queries ({len(data.hand)} hand-written)")
    return vault, data.queries, data.hand


def evaluate(vault: Vault, queries: list, params: RankingParams, paths: PathFilter = ANY_PATH,
             misses: list | None = None) -> list[tuple[str, int | None]]:
    """(query id, rank of its answer in the top 10 or None) under ``params``;
    (query, top 10) of each query not answered first appended to ``misses``."""
    vault.ranking = params

    async def run() -> list[tuple[str, int | None]]:
        out = []
        for q in queries:
            results = await vault.search(q.text, 10, paths=paths)
            rank = next((i for i, r in enumerate(results, 1) if r.path == q.path and r.name == q.qualname), None)
            out.append((q.id, rank))
            if misses is not None and rank != 1:
                misses.append((q, results))
        return out

    return asyncio.run(run())


def winner_kind(query, results: list) -> str:
    """What kind of chunk ranked first instead of the answer."""
    if not results:
        return "nothing found"
    w = results[0]
    if is_test(w.path, w.name):
        return "a test"
    if w.kind in CONTAINER_KINDS:
        return f"a container ({w.kind})"
    same_name = w.name.rsplit(".", 1)[-1] == query.qualname.rsplit(".", 1)[-1]
    if w.path == query.path:
        return "same name, same file" if same_name else "another function of the same file"
    return "same name, another file" if same_name else "another function elsewhere"


def print_misses(misses: list, hand: set[str], limit: int) -> None:
    print(f"misses of the default ({len(misses)}), by what won: "
          + ", ".join(f"{kind} {n}" for kind, n in Counter(winner_kind(q, r) for q, r in misses).most_common()))
    for q, results in misses[:limit]:
        rank = next((i for i, r in enumerate(results, 1) if r.path == q.path and r.name == q.qualname), None)
        print(f"  {'[hand] ' if q.id in hand else ''}{q.text!r} -> {q.path}::{q.qualname} (rank {rank})")
        for i, r in enumerate(results[:5], 1):
            print(f"     {i}. {r.score:6.3f} {r.kind:<9} {r.path}::{r.name}")


def scores(ranks: list[int | None]) -> tuple[float, float, float]:
    n = max(1, len(ranks))
    return (sum(1.0 / r for r in ranks if r) / n, sum(1 for r in ranks if r == 1) / n, sum(1 for r in ranks if r) / n)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=500, help="queries per split (the corpus is always the whole split)")
    ap.add_argument("--skip-tune", action="store_true")
    ap.add_argument("--with-tests", action="store_true",
                    help="index the stdlib's tests too; add the hand-written queries")
    ap.add_argument("--quick", action="store_true", help="only lexical, dense, the hybrid before and the default")
    ap.add_argument("--sweep", action="store_true", help="also the test-prior variants")
    ap.add_argument("--only-tune", action="store_true")
    ap.add_argument("--failures", type=int, default=0, metavar="N",
                    help="print the top 5 of the default's first N misses on each split")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mycoder-retrieval-"))
    default = RankingParams()
    no_kind_priors = replace(default, test_prior=0.0, stub_prior=0.0, doc_prior=0.0, test_evidence=0.0)
    # (label, parameters)
    variants: list[tuple[str, RankingParams]] = [
        ("lexical (BM25, name×4)", replace(default, mode="lexical")),
        ("dense only (offline)", replace(default, mode="dense")),
        ("hybrid, container prior only (before)", no_kind_priors),
        (f"hybrid, default (test {default.test_prior}, stub {default.stub_prior}, doc {default.doc_prior})",
         default),
    ]
    if args.with_tests:
        variants[3:3] = [("hybrid, default without test evidence", replace(default, test_evidence=0.0))]
    if args.sweep:
        variants[3:3] = [
            (f"hybrid + test prior {p}", replace(no_kind_priors, test_prior=p)) for p in (-0.1, -0.2, -0.3, -0.5, -0.8)
        ] + [("hybrid + stub/doc priors only", replace(default, test_prior=0.0))]
    if not args.quick:
        variants[2:2] = [
            ("lexical (BM25, no field boost)", replace(default, mode="lexical", field_weights=(1.0, 1.0, 1.0))),
            ("mission 0.7×cos + 0.3×importance", replace(default, mode="mission")),
            ("reciprocal-rank fusion (k=60)", replace(default, mode="rrf")),
            ("hybrid 0.4 bm25 + 0.6 cos, no priors", replace(no_kind_priors, weights=(0.4, 0.6, 0.0),
                                                              container_prior=0.0)),
            ("hybrid 0.3/0.7, no priors", replace(no_kind_priors, container_prior=0.0)),
        ]
    splits: tuple[Split, ...] = ("test",) if args.skip_tune else ("tune",) if args.only_tune else ("tune", "test")
    for split in splits:
        vault, queries, hand = build(split, args.sample, workdir, args.with_tests)
        print(f"{'variant':<44} {'MRR@10':>7} {'R@1':>6} {'R@10':>6} {'hand MRR':>8} {'docq MRR':>8} {'ms/q':>6}")
        runs: list[tuple[str, RankingParams, PathFilter]] = [(label, params, ANY_PATH) for label, params in variants]
        if args.with_tests:
            runs.append(("default, tests left out (upper bound)", default, PathFilter(exclude=("test",))))
        misses: list = []
        for label, params, paths in runs:
            t = time.perf_counter()
            ranks = evaluate(vault, queries, params, paths, misses if params is default and not paths else None)
            ms = (time.perf_counter() - t) * 1000 / max(1, len(queries))
            mrr, r1, r10 = scores([r for _, r in ranks])
            hand_mrr = scores([r for qid, r in ranks if qid in hand])[0] if hand else float("nan")
            doc_mrr = scores([r for qid, r in ranks if qid not in hand])[0]
            print(f"{label:<44} {mrr:7.3f} {r1:6.3f} {r10:6.3f} {hand_mrr:8.3f} {doc_mrr:8.3f} {ms:6.1f}", flush=True)
        if args.failures:
            print_misses(misses, hand, args.failures)
        vault.close()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
