"""Turning chunks of code and queries into vectors for the vault's dense search.

Two embedders behind one small interface (:class:`Embedder`):

- :class:`StaticEmbedder`, the offline default: a table of one vector per
  token, distilled ONCE at build time from all-MiniLM-L6-v2 (see
  ``bench/build_static_embedder.py`` and ``memory/data/README.md``). At run time it
  is a pure-Python/numpy tokenizer plus a weighted mean of table rows: no
  server, no download, no PyTorch, thousands of chunks per second.
- :class:`OllamaEmbedder`: ``/api/embed`` on an Ollama server the user runs
  (``nomic-embed-text`` by default), through the brains' HTTP client, which
  refuses hosts that are neither loopback nor allowed by name.

Rows are float32 and L2-normalised, so a dot product is the cosine. ``name``
changes whenever the vectors would change (model, table version): the vault
stores it and re-embeds everything when it differs.

This module must not import pygls, must not store anything, and must not
download anything: the offline table ships with the package.
"""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from mycoder_lsp.config import Settings
from mycoder_lsp.errors import UserError

DATA_DIR = Path(__file__).resolve().parent / "data"
STATIC_TABLE = DATA_DIR / "static_minilm.npz"
# Ollama processes a batch as one request; 32 short chunks keep each request
# well inside its timeout even on a CPU-only machine.
OLLAMA_BATCH = 32
OLLAMA_BATCH_TIMEOUT = 120.0


class EmbedderError(UserError):
    """The embedder cannot work; the message says what the user can do."""


@runtime_checkable
class Embedder(Protocol):
    """What the vault needs from an embedder."""

    name: str  # stored in the vault; a different name means re-embed everything
    dim: int  # 0 for a server embedder until its first answer tells the size

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), dim) with L2-normalised rows."""
        ...


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # An empty text has no tokens and stays the zero vector: it matches nothing.
    return vectors / np.where(norms > 0, norms, 1.0)


# -- the tokenizer ----------------------------------------------------------

# A word is a run of letters/digits; everything else is punctuation or space.
_WORD = re.compile(r"[^\W_]+|[^\w\s]|_", re.UNICODE)
# Code identifiers: "parseHTTPResponse2" -> parse, HTTP, Response, 2.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+", re.UNICODE)


def split_identifier(word: str) -> list[str]:
    parts = _CAMEL.findall(word)
    return parts or [word]


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def code_words(text: str, *, keep_punctuation: bool = False) -> list[str]:
    """Lower-case words of ``text`` with identifiers split on case and underscores."""
    words: list[str] = []
    for match in _WORD.findall(text):
        if match[0].isalnum():
            words.extend(part.lower() for part in split_identifier(_strip_accents(match)))
        elif keep_punctuation:
            words.append(match)
    return words


class WordPieceTokenizer:
    """BERT's greedy longest-match WordPiece over an uncased vocabulary, with a
    per-word cache (code repeats its words, so the cache answers most lookups).

    ``words`` are whole words added to the vocabulary (vocabulary extension):
    a word found there is one token, never split into pieces.
    """

    def __init__(self, vocab: dict[str, int], *, max_chars: int = 100) -> None:
        self.vocab = vocab
        self.unk = vocab.get("[UNK]", -1)
        self.max_chars = max_chars
        self._cache: dict[str, tuple[int, ...]] = {}

    def word_ids(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids = self._wordpiece(word)
        if len(self._cache) < 500_000:
            self._cache[word] = ids
        return ids

    def _wordpiece(self, word: str) -> tuple[int, ...]:
        whole = self.vocab.get(word)
        if whole is not None:
            return (whole,)
        if len(word) > self.max_chars:
            return (self.unk,) if self.unk >= 0 else ()
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = -1
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.vocab.get(piece, -1)
                if found >= 0:
                    break
                end -= 1
            if found < 0:
                return (self.unk,) if self.unk >= 0 else ()
            ids.append(found)
            start = end
        return tuple(ids)

    def ids(self, text: str) -> list[int]:
        out: list[int] = []
        for word in code_words(text):
            out.extend(self.word_ids(word))
        return out


# -- the offline embedder ---------------------------------------------------


@dataclass(frozen=True)
class StaticTable:
    """The shipped data: token strings, their vectors and their weights."""

    name: str
    tokens: list[str]
    vectors: np.ndarray  # float32 (n_tokens, dim), weights already applied
    meta: dict


def load_static_table(path: Path = STATIC_TABLE) -> StaticTable:
    if not path.exists():
        raise EmbedderError(
            f"The offline embedder's data file {path} is missing — reinstall mycoder-lsp "
            "(`pip install -e .`), or set vault.embedder = \"ollama\"."
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            tokens = str(data["tokens"]).split("\n")
            vectors = data["vectors"].astype(np.float32)
            scale = data["scale"].astype(np.float32) if "scale" in data else None
            weights = data["weights"].astype(np.float32)
    except (OSError, ValueError, KeyError) as exc:
        raise EmbedderError(
            f"The offline embedder's data file {path} is unreadable ({exc}) — reinstall mycoder-lsp."
        ) from None
    if scale is not None:  # int8 rows stored with one scale per row
        vectors = vectors * scale[:, None]
    if len(tokens) != vectors.shape[0] or weights.shape[0] != vectors.shape[0]:
        raise EmbedderError(f"The offline embedder's data file {path} is inconsistent — reinstall mycoder-lsp.")
    return StaticTable(name=str(meta["name"]), tokens=tokens, vectors=vectors * weights[:, None], meta=meta)


@lru_cache(maxsize=2)
def _shared_table(path: str) -> StaticTable:
    # One copy per process: every StaticEmbedder reads the same few MB.
    return load_static_table(Path(path))


class StaticEmbedder:
    """Weighted mean of distilled token vectors; fast, small, needs no server."""

    def __init__(self, table: StaticTable | None = None) -> None:
        self.table = table or _shared_table(str(STATIC_TABLE))
        self.name = self.table.name
        self.dim = int(self.table.vectors.shape[1])
        self.tokenizer = WordPieceTokenizer({t: i for i, t in enumerate(self.table.tokens)})
        unk = self.tokenizer.unk
        self._skip = {unk} if unk >= 0 else set()

    def embed_sync(self, texts: Sequence[str]) -> np.ndarray:
        """The same as :meth:`embed`, for code already running in a worker thread."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        vectors = self.table.vectors
        for row, text in enumerate(texts):
            ids = [i for i in self.tokenizer.ids(text) if i not in self._skip]
            if ids:
                uniq, counts = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
                out[row] = counts.astype(np.float32) @ vectors[uniq]
        return normalise_rows(out)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        # Tokenizing and numpy work is CPU-bound: keep it off the event loop.
        return await asyncio.to_thread(self.embed_sync, list(texts))


# -- the Ollama embedder ----------------------------------------------------


class OllamaEmbedder:
    """``/api/embed`` on a local (or explicitly allowed) Ollama server."""

    def __init__(self, model: str, url: str, allowed_hosts: Sequence[str] = (), *,
                 batch_size: int = OLLAMA_BATCH, timeout: float = OLLAMA_BATCH_TIMEOUT) -> None:
        from mycoder_lsp.brains.backends import check_endpoint

        check_endpoint(url, allowed_hosts, what="embedding endpoint")
        self.model = model
        self.url = url
        self.allowed_hosts = list(allowed_hosts)
        self.batch_size = max(1, batch_size)
        self.timeout = timeout
        self.name = f"ollama:{model}"
        self.dim = 0

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        from mycoder_lsp.brains.backends import embed as embed_remote

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows: list[list[float]] = []
        # One call per batch, so the timeout bounds one request, not a whole index run.
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            rows.extend(await embed_remote(batch, model=self.model, url=self.url, backend="ollama",
                                           allowed_hosts=self.allowed_hosts, batch_size=self.batch_size,
                                           timeout=self.timeout))
        dims = {len(r) for r in rows}
        if len(dims) != 1 or 0 in dims:
            raise EmbedderError(f"Ollama at {self.url} answered embeddings of different sizes {sorted(dims)} "
                                f"for {self.model}; is it an embedding model? Try `ollama pull nomic-embed-text`.")
        dim = dims.pop()
        if self.dim and dim != self.dim:
            raise EmbedderError(f"The embedding model {self.model} changed size ({self.dim} → {dim}); "
                                "re-index the vault (`mycoder-lsp index`).")
        self.dim = dim
        return normalise_rows(np.asarray(rows, dtype=np.float32))


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (``vault.embedder``)."""
    vault = settings.vault
    if vault.embedder == "ollama":
        return OllamaEmbedder(vault.embedding_model, vault.embedding_url, settings.brains.allowed_hosts)
    if vault.embedder == "offline":
        return StaticEmbedder()
    raise EmbedderError(f"Unknown vault.embedder {vault.embedder!r}: use \"offline\" or \"ollama\".")
