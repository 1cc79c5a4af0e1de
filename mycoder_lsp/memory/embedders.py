"""Turning chunks of code and queries into vectors for the vault's dense search.

Two embedders behind one small interface (:class:`Embedder`):

- :class:`StaticEmbedder`, the offline default: a table of one vector per
  token, distilled ONCE at build time from all-MiniLM-L6-v2 (see
  ``bench/build_static_embedder.py`` and ``memory/data/README.md``). At run time it
  is a pure-Python/numpy tokenizer plus a weighted mean of table rows: no
  server, no download, no PyTorch, thousands of chunks per second.
- :class:`OllamaEmbedder`: ``/api/embed`` on an Ollama server the user runs
  (``nomic-embed-text`` by default), and :class:`OpenAIEmbedder`:
  ``/v1/embeddings`` on an OpenAI-compatible server (``llama-server
  --embeddings``, vLLM, LM Studio); both through the brains' HTTP client,
  which refuses hosts that are neither loopback nor allowed by name.

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
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

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


# -- stored form -------------------------------------------------------------

# A stored vector is int8 (one byte a dimension) followed by its float32 scale
# (little-endian): a quarter of float32's size, and a cosine within ~0.01 of
# the float32 one, which moves no measured ranking (bench/bench_retrieval.py).
VECTOR_FORMAT = "int8-scale-v1"


def encode_vectors(vectors: np.ndarray) -> list[bytes]:
    """One blob per row: each row scaled so its largest component is 127, rounded to int8."""
    rows = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    if not len(rows):
        return []
    scale = np.abs(rows).max(axis=1) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype("<f4")
    q = np.clip(np.rint(rows / scale[:, None]), -127, 127).astype(np.int8)
    return [q[i].tobytes() + scale[i : i + 1].tobytes() for i in range(len(rows))]


def decode_vectors(blobs: Sequence[bytes]) -> np.ndarray:
    """float32 rows (L2-normalised again, as they were before encoding) of blobs of one width."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(len(blobs), -1)
    q = np.ascontiguousarray(raw[:, :-4]).view(np.int8).astype(np.float32)
    scale = np.ascontiguousarray(raw[:, -4:]).view("<f4").astype(np.float32)
    return normalise_rows(q * scale)


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
    """The shipped data: token strings, their vectors and their weights.

    The rows stay as stored (int8 with a scale per row) and become float32
    only when a text uses them: expanding the whole table costs 35 MB for the
    server's whole life, and 100 MB at its peak, for the few thousand rows
    a workspace uses."""

    name: str
    tokens: list[str]
    vectors: np.ndarray  # (n_tokens, dim): float32 with the weights applied, or int8 rows scaled by ``scale``
    meta: dict
    scale: np.ndarray | None = None  # float32 per row, for int8 rows
    weights: np.ndarray | None = None  # float32 per row, not yet applied to ``vectors``

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Float32 vectors of rows ``ids``, weights applied (the same
        arithmetic, in the same order, as expanding the table first)."""
        rows = self.vectors[ids].astype(np.float32)
        if self.scale is not None:
            rows = rows * self.scale[ids, None]
        if self.weights is not None:
            rows = rows * self.weights[ids, None]
        return rows


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
            vectors = data["vectors"]
            # int8 rows are stored with one scale per row; float rows are used as they are.
            scale = data["scale"].astype(np.float32) if "scale" in data else None
            if scale is None:
                vectors = vectors.astype(np.float32)
            weights = data["weights"].astype(np.float32)
    except (OSError, ValueError, KeyError) as exc:
        raise EmbedderError(
            f"The offline embedder's data file {path} is unreadable ({exc}) — reinstall mycoder-lsp."
        ) from None
    if len(tokens) != vectors.shape[0] or weights.shape[0] != vectors.shape[0] or (
            scale is not None and scale.shape[0] != vectors.shape[0]):
        raise EmbedderError(f"The offline embedder's data file {path} is inconsistent — reinstall mycoder-lsp.")
    return StaticTable(name=str(meta["name"]), tokens=tokens, vectors=vectors, meta=meta, scale=scale,
                       weights=weights)


@lru_cache(maxsize=2)
def _shared_table(path: str) -> StaticTable:
    # One copy per process: every StaticEmbedder reads the same few MB.
    return load_static_table(Path(path))


@lru_cache(maxsize=2)
def _shared_table_name_and_dim(path: str) -> tuple[str, int]:
    """The table's name and width from its small ``meta`` member alone: the
    vault compares them at open, long before anything is embedded."""
    if not Path(path).exists():
        load_static_table(Path(path))  # raises the missing-file EmbedderError
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
        return str(meta["name"]), int(meta["dim"])
    except (OSError, ValueError, KeyError):
        table = load_static_table(Path(path))  # raises the unreadable-file EmbedderError, or has no "dim"
        return table.name, int(table.vectors.shape[1])


class StaticEmbedder:
    """Weighted mean of distilled token vectors; fast, small, needs no server."""

    def __init__(self, table: StaticTable | None = None) -> None:
        # The shipped table is read at the first embedding, not here: a server
        # whose vault is up to date may never embed (see _loaded).
        self._table = table
        self._tokenizer: WordPieceTokenizer | None = None
        self._skip: set[int] = set()
        self._load_lock = threading.Lock()
        if table is not None:
            self.name, self.dim = table.name, int(table.vectors.shape[1])
        else:
            self.name, self.dim = _shared_table_name_and_dim(str(STATIC_TABLE))

    @property
    def table(self) -> StaticTable:
        return self._loaded()[0]

    @property
    def tokenizer(self) -> WordPieceTokenizer:
        return self._loaded()[1]

    def _loaded(self) -> tuple[StaticTable, WordPieceTokenizer]:
        with self._load_lock:  # two worker threads embedding at once load it once
            if self._table is None:
                self._table = _shared_table(str(STATIC_TABLE))
            if self._tokenizer is None:
                self._tokenizer = WordPieceTokenizer({t: i for i, t in enumerate(self._table.tokens)})
                unk = self._tokenizer.unk
                self._skip = {unk} if unk >= 0 else set()
            return self._table, self._tokenizer

    def embed_sync(self, texts: Sequence[str]) -> np.ndarray:
        """The same as :meth:`embed`, for code already running in a worker thread."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        table, tokenizer = self._loaded()
        for row, text in enumerate(texts):
            ids = [i for i in tokenizer.ids(text) if i not in self._skip]
            if ids:
                uniq, counts = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
                out[row] = counts.astype(np.float32) @ table.rows(uniq)
        return normalise_rows(out)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        # Tokenizing and numpy work is CPU-bound: keep it off the event loop.
        return await asyncio.to_thread(self.embed_sync, list(texts))


# -- the server embedders ---------------------------------------------------


class ServerEmbedder:
    """Embeddings from a model server, through the brains' HTTP client (one
    egress path: the same endpoint check, no proxies, no redirects). Every
    failure is an :class:`EmbedderError` that names the server and the setting
    to fix; the vault then searches by words until the server answers.

    ``url`` may be a pool (a list of servers of one model, like a brain's): each
    batch runs on the least busy one that answers, and on the next when one
    fails before answering (:class:`~mycoder_lsp.brains.pool.Pools`)."""

    backend = ""
    label = ""
    hint = ""

    def __init__(self, model: str, url: str | Sequence[str], allowed_hosts: Sequence[str] = (), *,
                 api_key: str = "", batch_size: int = OLLAMA_BATCH, timeout: float = OLLAMA_BATCH_TIMEOUT) -> None:
        from mycoder_lsp.brains.wire.http import check_endpoint

        self.urls = [url] if isinstance(url, str) else list(url)
        check_endpoint(self.urls, allowed_hosts, what="embedding endpoint")
        self.model = model
        self.url = self.urls[0]
        # A pool's servers (load, faults), per event loop: their HTTP client and polls belong to
        # the loop that made them, and the CLI and the benches run one loop after another.
        self._pools: tuple[asyncio.AbstractEventLoop, Any, Any] | None = None
        self.allowed_hosts = list(allowed_hosts)
        self.api_key = api_key
        self.batch_size = max(1, batch_size)
        self.timeout = timeout
        self.name = f"{self.backend}:{model}"
        self.dim = 0

    def _failed(self, why: str) -> EmbedderError:
        # The brains' messages name the brain's settings; here the vault's are the ones to fix.
        for brains, vault in (("the brain's url", "vault.embedding_url"),
                              ("the brain's model name", "vault.embedding_model"),
                              ("the embedder's backend", "vault.embedder")):
            why = why.replace(brains, vault)
        return EmbedderError(f"The vault cannot embed with {self.model}: {why.rstrip('.')}. {self.hint}")

    async def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        from mycoder_lsp.brains.backends import embed as embed_remote

        async def on(url: str) -> list[list[float]]:
            return await embed_remote(batch, model=self.model, url=url, backend=self.backend, api_key=self.api_key,
                                      allowed_hosts=self.allowed_hosts, batch_size=self.batch_size,
                                      timeout=self.timeout)

        if len(self.urls) == 1:
            return await on(self.url)
        from mycoder_lsp.brains.backends import Brain
        from mycoder_lsp.brains.pool import Pools
        from mycoder_lsp.config import BrainSettings

        loop = asyncio.get_running_loop()
        if self._pools is None or self._pools[0] is not loop:
            settings = BrainSettings(model=self.model, max_tokens=1, temperature=0.0, url=list(self.urls),
                                     backend="openai" if self.backend == "openai" else "ollama",
                                     timeout=self.timeout, api_key=self.api_key)
            pools = Pools()
            self._pools = (loop, pools, Brain("embedding", settings, max_tokens=1, pools=pools))
        _, pools, brain = self._pools
        return await pools.run(brain, lambda here: on(here.url))

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        from mycoder_lsp.brains.wire.http import BrainError

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows: list[list[float]] = []
        # One call per batch, so the timeout bounds one request, not a whole index run.
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            try:
                rows.extend(await self._embed_batch(batch))
            except BrainError as exc:
                raise self._failed(str(exc)) from None
            except (AttributeError, TypeError, ValueError):
                # JSON of another shape (a list, strings for numbers): not an embeddings answer.
                raise self._failed(f"{self.url} did not answer like {self.label} embeddings server") from None
        dims = {len(r) for r in rows}
        if len(dims) != 1 or 0 in dims:
            raise self._failed(f"{self.url} answered embeddings of different sizes {sorted(dims)}; "
                               "is it an embedding model?")
        dim = dims.pop()
        if self.dim and dim != self.dim:
            raise EmbedderError(f"The embedding model {self.model} changed size ({self.dim} → {dim}); "
                                "re-index the vault (`mycoder-lsp index`).")
        self.dim = dim
        return normalise_rows(np.asarray(rows, dtype=np.float32))


class OllamaEmbedder(ServerEmbedder):
    """``/api/embed`` on a local (or explicitly allowed) Ollama server."""

    backend = "ollama"
    label = "an Ollama"
    hint = "Or set vault.embedder = \"offline\" (no server needed)."


class OpenAIEmbedder(ServerEmbedder):
    """``/v1/embeddings`` on an OpenAI-compatible server: llama.cpp's
    ``llama-server --embeddings``, vLLM, LM Studio."""

    backend = "openai"
    label = "an OpenAI-compatible"
    # Each of the three flags is a failure seen with llama-server: 501 without --embeddings, 400 "pooling
    # type 'none'" for a chat model, 500 "input is too large" for a long chunk at the default 512.
    hint = ("A llama.cpp server embeds only when started with `--embeddings --pooling mean --ubatch-size 2048`. "
            "Or set vault.embedder = \"offline\" (no server needed).")


class UnavailableEmbedder:
    """Stands in for a server embedder whose settings were refused (a host not
    allowed, a bad URL), so the vault still opens and is searched by words.
    It keeps the configured embedder's name: the vectors already stored stay."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.dim = 0
        self.reason = reason

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise EmbedderError(self.reason)


def make_embedder_or_stand_in(settings: Settings) -> tuple[Embedder, str | None]:
    """:func:`make_embedder`, or an :class:`UnavailableEmbedder` and why."""
    try:
        return make_embedder(settings), None
    except UserError as exc:
        vault = settings.vault
        return UnavailableEmbedder(f"{vault.embedder}:{vault.embedding_model}", str(exc)), str(exc)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (``vault.embedder``)."""
    vault = settings.vault
    if vault.embedder in ("ollama", "openai"):
        cls = OllamaEmbedder if vault.embedder == "ollama" else OpenAIEmbedder
        return cls(vault.embedding_model, vault.embedding_url, settings.brains.allowed_hosts,
                   api_key=vault.embedding_api_key)
    if vault.embedder == "offline":
        return StaticEmbedder()
    raise EmbedderError(f"Unknown vault.embedder {vault.embedder!r}: use \"offline\", \"ollama\" or \"openai\".")
