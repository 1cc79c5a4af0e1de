"""Fine-tune the distilled static table for code search (build time only).

Starts from the table ``build_static_embedder.py`` distilled from
all-MiniLM-L6-v2 and trains its token vectors contrastively (InfoNCE with
in-batch negatives) on docstring→function pairs taken from third-party
packages installed on this machine (the sentence-transformers venv: torch,
transformers, sympy, networkx, ...; and the project venv) — NEVER from the
CPython stdlib, which is the benchmark. Any pair whose docstring sentence also
occurs in the stdlib (vendored copies such as setuptools' distutils) is dropped.

The tokenizer is the run-time one, so what is trained is exactly what runs.
Progress is checked on the stdlib ``tune`` split; the ``test`` split is only
ever scored by ``bench_embedders.py``.

    /tmp/st-venv/bin/python bench/build_static_embedder.py      # -> /tmp/mycoder-build/..._distilled.npz
    /tmp/st-venv/bin/python bench/train_static_embedder.py --epochs 8   # -> mycoder_lsp/memory/data/static_minilm.npz

This script must not be imported by the package.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_embedders import evaluate, unit_text  # noqa: E402
from bench.retrieval_dataset import (  # noqa: E402
    MAX_QUERY_CHARS,
    MIN_QUERY_WORDS,
    SKIP_DIRS,
    _file_units,
    _read_source,
    first_sentence,
    iter_stdlib_files,
    load_corpus_and_queries,
)
from mycoder_lsp.memory.embedders import STATIC_TABLE, StaticEmbedder, StaticTable, WordPieceTokenizer  # noqa: E402

TRAIN_ROOTS = [Path("/tmp/st-venv/lib/python3.11/site-packages"), REPO / ".venv/lib/python3.11/site-packages"]
MAX_TOKENS = 256


def stdlib_sentences() -> set[str]:
    seen: set[str] = set()
    for rel, path in iter_stdlib_files():
        source = _read_source(path)
        parsed = _file_units(rel, source) if source else None
        if parsed:
            seen.update(first_sentence(doc).lower() for _q, doc in parsed[2])
    return seen


def training_pairs(roots: list[Path], exclude: set[str]) -> list[tuple[str, str]]:
    from bench.retrieval_dataset import CodeUnit

    pairs: dict[str, tuple[str, str]] = {}
    dupes: set[str] = set()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root)
            if any(p in SKIP_DIRS or p.startswith("test") for p in rel.parts[:-1]) or rel.name.startswith("test"):
                continue
            source = _read_source(path)
            if not source or len(source) > 400_000:
                continue
            parsed = _file_units(rel.as_posix(), source)
            if not parsed:
                continue
            _stripped, units, docs = parsed
            by_name: dict[str, CodeUnit] = {u.qualname: u for u in units}
            for qualname, doc in docs:
                text = first_sentence(doc)
                key = text.lower()
                if len(text.split()) < MIN_QUERY_WORDS or len(text) > MAX_QUERY_CHARS or key in exclude:
                    continue
                if key in pairs:
                    dupes.add(key)
                    continue
                pairs[key] = (text, unit_text(by_name[qualname], "name+code"))
    return [p for k, p in pairs.items() if k not in dupes]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--scale", type=float, default=20.0, help="InfoNCE inverse temperature")
    parser.add_argument("--max-pairs", type=int, default=60000)
    parser.add_argument("--out", type=Path, default=STATIC_TABLE)
    parser.add_argument("--init", type=Path, default=Path("/tmp/mycoder-build/static_minilm_distilled.npz"),
                        help="the distilled table from build_static_embedder.py")
    parser.add_argument("--pairs-cache", type=Path, default=None, help="reuse the extracted pairs (experiments)")
    args = parser.parse_args()

    import torch

    torch.manual_seed(0)
    started = time.perf_counter()
    if args.pairs_cache and args.pairs_cache.exists():
        pairs = [tuple(p) for p in json.loads(args.pairs_cache.read_text())]
    else:
        pairs = training_pairs(TRAIN_ROOTS, stdlib_sentences())
        if args.pairs_cache:
            args.pairs_cache.write_text(json.dumps(pairs))
    pairs.sort(key=lambda p: hashlib.sha1(p[0].encode()).hexdigest())
    pairs = pairs[:args.max_pairs]
    print(f"training pairs: {len(pairs)} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    with np.load(args.init, allow_pickle=False) as data:
        shipped = {k: data[k] for k in data.files}
    meta = json.loads(str(shipped["meta"]))
    tokens = str(shipped["tokens"]).split("\n")
    init = shipped["vectors"].astype(np.float32) * shipped["scale"][:, None] * shipped["weights"][:, None]
    tokenizer = WordPieceTokenizer({t: i for i, t in enumerate(tokens)})

    def ids_of(text: str) -> list[int]:
        return [i for i in tokenizer.ids(text) if i >= 0][:MAX_TOKENS] or [0]

    q_ids = [ids_of(q) for q, _ in pairs]
    c_ids = [ids_of(c) for _, c in pairs]

    tune = load_corpus_and_queries("tune")

    def tune_score(vectors: np.ndarray) -> float:
        emb = StaticEmbedder(StaticTable(name="training", tokens=tokens, vectors=vectors, meta={}))
        uv = emb.embed_sync([unit_text(u, "name+code") for u in tune.units])
        qv = emb.embed_sync([q.text for q in tune.queries])
        return evaluate(uv, qv, tune).mrr10

    print(f"epoch 0: tune MRR@10 {tune_score(init):.3f}", file=sys.stderr)
    table = torch.nn.EmbeddingBag(len(tokens), init.shape[1], mode="sum")
    table.weight.data = torch.from_numpy(init.copy())
    optim = torch.optim.Adam(table.parameters(), lr=args.lr)

    def bag(id_lists: list[list[int]]) -> torch.Tensor:
        flat = torch.tensor([i for ids in id_lists for i in ids])
        offsets = torch.tensor(np.cumsum([0] + [len(ids) for ids in id_lists[:-1]]))
        return torch.nn.functional.normalize(table(flat, offsets), dim=1)

    best = (tune_score(init), init.copy(), 0)
    rng = np.random.default_rng(0)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(pairs))
        total = 0.0
        for start in range(0, len(order) - args.batch + 1, args.batch):
            idx = order[start:start + args.batch]
            q = bag([q_ids[i] for i in idx])
            c = bag([c_ids[i] for i in idx])
            logits = args.scale * q @ c.T
            target = torch.arange(len(idx))
            loss = (torch.nn.functional.cross_entropy(logits, target)
                    + torch.nn.functional.cross_entropy(logits.T, target)) / 2
            optim.zero_grad()
            loss.backward()
            optim.step()
            total += float(loss.detach())
        vectors = table.weight.detach().numpy().copy()
        score = tune_score(vectors)
        print(f"epoch {epoch}: loss {total / max(1, len(order) // args.batch):.3f} tune MRR@10 {score:.3f} "
              f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        if score > best[0]:
            best = (score, vectors, epoch)

    score, vectors, epoch = best
    scale = np.abs(vectors).max(1) / 127.0
    scale[scale == 0] = 1.0
    quant = np.round(vectors / scale[:, None]).astype(np.int8)
    meta.update({
        "name": f"static-minilm-code-d{vectors.shape[1]}-e{epoch}-v1",
        "fine_tuned": (f"InfoNCE (scale {args.scale}, batch {args.batch}, Adam lr {args.lr}) on {len(pairs)} "
                       "docstring->function pairs from third-party packages (torch, transformers, sympy, "
                       "networkx, numpy, ...; never the stdlib); best epoch by stdlib tune-split MRR@10"),
        "tune_mrr10": round(score, 4),
        "weights_folded": True,
    })
    np.savez_compressed(args.out, vectors=quant, scale=scale.astype(np.float32),
                        weights=np.ones(len(tokens), dtype=np.float32), counts=shipped["counts"],
                        tokens=shipped["tokens"], meta=np.array(json.dumps(meta)))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB), epoch {epoch}, tune MRR@10 {score:.3f}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
