"""The vault embedding over the OpenAI-compatible API with a real model.

llama.cpp's ``llama-server --embeddings --pooling mean`` serves the
Qwen2.5-Coder 0.5B GGUF (a chat model, hence the mean pooling); the user's
settings say ``vault.embedder = "openai"``. ``mycoder-lsp index`` embeds a tiny
workspace and ``mycoder-lsp search`` finds the function a description asks
for (by vectors alone too, where they are clear). The same CLI against a llama-server started
without ``--embeddings``, or with ``vault.embedder = "ollama"``, fails with
one message and exit status 1.
Asserted: what any working embedding model satisfies on functions this
different, never a score.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.realmodel.conftest import _provisioning
from tests.realmodel.llama_server import THREADS, LlamaServer, run_llama_server

pytestmark = pytest.mark.realmodel

MODEL = "0.5b"
# 2048: a chunk is embedded with up to 4000 characters, more than the default 512-token batch holds.
EMBED_ARGS = ("--embeddings", "--pooling", "mean", "--ubatch-size", "2048", "--batch-size", "2048")

FILES = {
    "geometry.py": '''import math


def circle_area(radius):
    """Area of a circle with the given radius."""
    return math.pi * radius ** 2


def hypotenuse(a, b):
    """Length of the long side of a right triangle."""
    return math.sqrt(a * a + b * b)
''',
    "text.py": '''def reverse_words(sentence):
    """Return the sentence with its words in reverse order."""
    return " ".join(reversed(sentence.split()))


def count_vowels(word):
    """How many vowels the word has."""
    return sum(1 for c in word.lower() if c in "aeiou")
''',
    "store.py": '''import json


def save_json(path, data):
    """Write data to a JSON file."""
    with open(path, "w") as f:
        json.dump(data, f)
''',
}

# A description of each function, in words that are not its name.
QUERIES = {
    "area of a round shape from its radius": "circle_area",
    "put the words of a sentence backwards": "reverse_words",
    "how many vowels are in a word": "count_vowels",
}
# By vectors alone only the descriptions with a clear lead (cosine 0.63 vs 0.54 and 0.54 vs 0.40, measured):
# a chat model's mean-pooled vectors barely tell count_vowels from reverse_words (0.47 vs 0.46), which the
# words settle in hybrid search.
DENSE_QUERIES = {q: QUERIES[q] for q in list(QUERIES)[:2]}


@pytest.fixture(scope="module")
def embedding_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    provision = _provisioning()
    try:
        root = provision.cache_root()
    except provision.ProvisionError as exc:
        pytest.skip(str(exc))
    engine, weights = provision.engine_status(root), provision.model_status(root, MODEL)
    missing = [f"{s.what}: {s.problem}" for s in (engine, weights) if not s.ready]
    if missing:
        pytest.skip(f"real model {MODEL} not provisioned ({'; '.join(missing)}) — run "
                    f"`{provision.PROVISION_COMMAND} --model {MODEL}`")
    log = tmp_path_factory.mktemp("llama-server-embed") / "llama-server.log"
    threads = int(os.environ.get("MYCODER_LLAMA_THREADS") or THREADS)
    with run_llama_server(engine.path, weights.path, alias=f"qwen2.5-coder-{MODEL}", log=log, threads=threads,
                          extra_args=EMBED_ARGS) as server:
        yield server


def _workspace(tmp_path: Path, url: str, model: str, embedder: str = "openai") -> tuple[Path, Path]:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'shapes'\n")
    for rel, text in FILES.items():
        (root / rel).write_text(text)
    home = tmp_path / "xdg"
    (home / "mycoder").mkdir(parents=True)
    (home / "mycoder" / "config.toml").write_text(
        f'[vault]\nembedder = "{embedder}"\nembedding_url = "{url}"\nembedding_model = "{model}"\n')
    return root, home


def _cli(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["XDG_CONFIG_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", *args, "--root", str(root)], capture_output=True,
                          text=True, timeout=300, env=env)


def test_index_embeds_over_v1_embeddings_and_search_finds_the_function(tmp_path, embedding_server) -> None:
    root, home = _workspace(tmp_path, embedding_server.url, embedding_server.model)
    out = _cli(root, home, "index", "--json")
    assert out.returncode == 0 and out.stderr == "", out
    summary = json.loads(out.stdout)
    assert summary["embed_error"] is None and summary["embedded"] >= 5 and summary["chunks"] >= 5

    for mode, queries in (("hybrid", QUERIES), ("dense", DENSE_QUERIES)):  # dense: the vectors alone
        batch = tmp_path / f"{mode}.jsonl"
        batch.write_text("".join(json.dumps({"id": name, "query": q}) + "\n" for q, name in queries.items()))
        found = _cli(root, home, "search", "-k", "1", "--mode", mode, "--queries", str(batch))
        assert found.returncode == 0 and found.stderr == "", found
        answers = {line["id"]: line["results"][0]["name"] for line in map(json.loads, found.stdout.splitlines())}
        assert answers == {name: name for name in queries.values()}, (mode, answers)


def test_a_server_without_embeddings_is_one_message_and_exit_1(tmp_path, llama_server) -> None:
    root, home = _workspace(tmp_path, llama_server.url, llama_server.model)  # started without --embeddings
    out = _cli(root, home, "index")
    assert out.returncode == 1, out
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "does not support embeddings" in out.stderr and "--embeddings" in out.stderr
    assert out.stdout.startswith("Indexed ")


def test_the_ollama_embedder_at_llama_server_says_to_use_openai(tmp_path, llama_server) -> None:
    # llama-server answers 404 for Ollama's /api/embed: not "run `ollama pull`".
    root, home = _workspace(tmp_path, llama_server.url, llama_server.model, embedder="ollama")
    out = _cli(root, home, "index")
    assert out.returncode == 1 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out
    assert "OpenAI-compatible" in out.stderr and "vault.embedder" in out.stderr and "ollama pull" not in out.stderr
