"""N users querying one shared PostgreSQL vault while one indexer re-indexes it.

    python bench/bench_vault_concurrency.py [--scale 1.0] [--users 1,5,20] [--changed 0.05]
        [--think-ms 100] [--quiet-s 5] [--url postgresql://...] [--workdir DIR] [--json PATH]

The corpus is this Python's stdlib (``bench.retrieval_dataset.iter_stdlib_files``: no tests)
copied 4 times under distinct roots (``copy0/`` .. ``copy3/``), so every path and chunk is
distinct while the text repeats, as in a monorepo with vendored copies. ``--scale`` keeps
that share of the stdlib's files (every k-th, the same ones in each copy): 0.1 for a
quick check.

1. The team's indexer writes the shared index (PostgreSQL, ``vault.index_shared``): full
   index time, chunks/s, files/s, size. The same corpus into one SQLite vault: what each
   of N developers pays instead (index time x N, disk x N).
2. For each N: N user processes (spawned, each with its own connection, reading only)
   query in a loop (a query, then ``--think-ms`` of nothing); first ``--quiet-s`` with no
   indexer (the baseline), then one indexer re-indexes after ``--changed`` of the files
   were edited (a function appended to each: the file is re-chunked, its unchanged chunks
   keep their vectors by content hash), as after a merge. Query p50/p95 in both windows,
   the re-index's time, files/s and chunks/s; the same edits re-indexed by a SQLite vault
   (x N for N separate vaults).

``--users 0`` stops after the index and the one-user figures (lexical, dense, hybrid on both
backends): the quick check of query speed at a size.

Queries are the first sentences of the corpus's function docstrings (hybrid search,
k 10). Without ``--url`` a PostgreSQL is started with ``pgserver`` under ``--pgdata``
(default: a new directory in the system temporary directory) and deleted at the end.
Prints the figures and, with ``--json``, writes them there.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import ast  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.retrieval_dataset import iter_stdlib_files  # noqa: E402
from mycoder_lsp.config import Settings  # noqa: E402
from mycoder_lsp.memory.vault import Vault  # noqa: E402

COPIES = 4
REPOSITORY = "bench_concurrency"
QUERIES = 200
MODES = ("lexical", "dense", "hybrid")


@dataclass
class Round:
    """One N: the users' queries before and during the re-index, and the re-index."""

    users: int
    quiet_p50_ms: float
    quiet_p95_ms: float
    quiet_queries: int
    during_p50_ms: float
    during_p95_ms: float
    during_queries: int
    queries_per_s: float  # all users together, during the re-index
    reindex_s: float
    edited: int  # files edited before the re-index
    reindex_files: int  # files re-chunked
    reindex_chunks: int  # chunks in those files
    reindex_embedded: int  # chunks that needed a new vector
    reindex_files_per_s: float
    reindex_chunks_per_s: float
    sqlite_reindex_s: float  # the same edits in one SQLite vault
    sqlite_reindex_x_n_s: float
    load: str


@dataclass
class Figures:
    scale: float
    copies: int
    files: int
    chunks: int
    changed_share: float
    think_ms: float
    pg_index_s: float
    pg_chunks_per_s: float
    pg_files_per_s: float
    pg_bytes: int
    sqlite_index_s: float
    sqlite_chunks_per_s: float
    sqlite_bytes: int
    sqlite_query_p50_ms: float
    sqlite_query_p95_ms: float
    # backend -> mode -> [p50, p95] ms: one user, no indexer.
    one_user_ms: dict[str, dict[str, list[float]]]
    load_start: str
    rounds: list[Round] = field(default_factory=list)
    load_end: str = ""


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ")[0] if Path("/proc/loadavg").exists() else "?"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def start_postgres(pgdata: str | None) -> tuple[str, Callable[[], None]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    where = Path(pgdata or tempfile.mkdtemp(prefix="mycoder-bench-pg-"))
    where.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    server = pgserver.get_server(str(where), cleanup_mode="delete")
    print(f"pgserver: PostgreSQL started in {time.perf_counter() - started:.1f} s ({where})", flush=True)
    return server.get_uri(), server.cleanup


def settings_for(url: str | None, user: str, *, writer: bool) -> Settings:
    settings = Settings()
    settings.vault.index_on_start = False
    if url:
        settings.vault.url = url
        settings.vault.user = user
        settings.vault.repository = REPOSITORY
        settings.vault.index_shared = writer
    return settings


# -- the corpus ----------------------------------------------------------------------


def build_corpus(root: Path, scale: float) -> list[str]:
    """The stdlib's files (the kept share) copied COPIES times under ``root``; their paths."""
    files = list(iter_stdlib_files())
    step = max(1, round(1 / scale)) if scale < 1 else 1
    kept = files[::step]
    (root / "pyproject.toml").parent.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench-corpus"\n')  # a project: no stray-file cap
    paths: list[str] = []
    for copy in range(COPIES):
        for rel, path in kept:
            target = root / f"copy{copy}" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            paths.append(f"copy{copy}/{rel}")
    return paths


def queries_of(root: Path, paths: list[str], limit: int = QUERIES) -> list[str]:
    """First sentences of function docstrings, spread over the corpus."""
    found: list[str] = []
    for rel in paths[: max(1, len(paths) // COPIES)]:  # one copy: the others say the same
        try:
            tree = ast.parse((root / rel).read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                sentence = " ".join((doc or "").split(".")[0].split())
                if len(sentence) >= 20:
                    found.append(sentence)
    step = max(1, len(found) // limit)
    return found[::step][:limit] or ["parse the header of a message"]


def edit_share(root: Path, paths: list[str], share: float, round_no: int) -> list[str]:
    """Append a function to ``share`` of the files (a different set each round)."""
    count = max(1, round(len(paths) * share))
    step = max(1, len(paths) // count)
    chosen = paths[round_no % step::step][:count]
    for number, rel in enumerate(chosen):
        # Text of its own in each file: each new chunk needs its own vector, as a real edit's does.
        with (root / rel).open("a", encoding="utf-8") as handle:
            handle.write(f"\n\ndef _bench_edit_{round_no}_{number}(value):\n    \"\"\"Round {round_no}, edit "
                         f"{number} in {rel}: return value plus {number}.\"\"\"\n    return value + {number}\n")
    return chosen


# -- the users -----------------------------------------------------------------------


def _user(url: str, root: str, texts: list[str], offset: int, think_s: float, ready: Any, stop: Any,
          out: Any) -> None:
    vault = Vault.open(Path(root), settings_for(url, f"user{offset}", writer=False), stray_limit=None)
    vault.search_sync(texts[offset % len(texts)], 10)
    ready.put(True)
    samples: list[tuple[float, float]] = []
    i = offset
    while not stop.is_set():
        t = time.perf_counter()
        vault.search_sync(texts[i % len(texts)], 10)
        samples.append((time.time(), (time.perf_counter() - t) * 1000))
        i += 1
        if think_s:
            stop.wait(think_s)
    vault.close()
    out.put(samples)


def query_times(vault: Vault, texts: list[str], mode: str | None = None) -> tuple[float, float]:
    """One user's p50/p95 ms over ``texts`` (no indexer running)."""
    vault.warm()
    times = []
    for text in texts:
        t = time.perf_counter()
        vault.search_sync(text, 10, mode=mode)
        times.append((time.perf_counter() - t) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95)


def timed_index(vault: Vault) -> tuple[float, Any]:
    t = time.perf_counter()
    report = asyncio.run(vault.index())
    return time.perf_counter() - t, report


def run_round(url: str, root: Path, sqlite_root: Path, paths: list[str], texts: list[str], users: int,
              args: argparse.Namespace, round_no: int) -> Round:
    ctx = multiprocessing.get_context("spawn")
    stop, out, ready = ctx.Event(), ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_user, args=(url, str(root), texts, i * 7, args.think_ms / 1000, ready, stop, out))
             for i in range(users)]
    for p in procs:
        p.start()
    try:
        for _ in procs:  # every user is querying before the clock starts
            ready.get(timeout=600)
        quiet_from = time.time()
        time.sleep(args.quiet_s)
        chosen = edit_share(root, paths, args.changed, round_no)
        during_from = time.time()
        indexer = Vault.open(root, settings_for(url, "indexer", writer=True), stray_limit=None, index_writer=True)
        secs, report = timed_index(indexer)
        indexer.close()
        during_to = time.time()
    finally:
        stop.set()
    samples = [s for _ in procs for s in out.get(timeout=600)]
    for p in procs:
        p.join(timeout=60)
    # The same edits in a SQLite vault (its own copy of the corpus), once the
    # users are gone: what each developer's own vault would spend on them.
    edit_share(sqlite_root, paths, args.changed, round_no)
    local = Vault.open(sqlite_root, settings_for(None, "", writer=True), stray_limit=None)
    sqlite_secs, _ = timed_index(local)
    local.close()
    quiet = [ms for ts, ms in samples if quiet_from <= ts < during_from]
    during = [ms for ts, ms in samples if during_from <= ts <= during_to]
    chunks = chunks_in(url, root, chosen)
    window = max(1e-9, during_to - during_from)
    return Round(users=users, quiet_p50_ms=percentile(quiet, 0.5), quiet_p95_ms=percentile(quiet, 0.95),
                 quiet_queries=len(quiet), during_p50_ms=percentile(during, 0.5),
                 during_p95_ms=percentile(during, 0.95), during_queries=len(during),
                 queries_per_s=len(during) / window, reindex_s=secs, edited=len(chosen), reindex_files=report.changed,
                 reindex_chunks=chunks, reindex_embedded=report.embedded,
                 reindex_files_per_s=report.changed / secs if secs else 0.0,
                 reindex_chunks_per_s=chunks / secs if secs and chunks else 0.0,
                 sqlite_reindex_s=sqlite_secs, sqlite_reindex_x_n_s=sqlite_secs * users, load=load())


def chunks_in(url: str, root: Path, paths: list[str]) -> int:
    """The chunks the shared index holds for ``paths`` (what the re-index wrote)."""
    vault = Vault.open(root, settings_for(url, "counter", writer=False), stray_limit=None)
    try:
        return sum(len(vault.chunks_of(rel)) for rel in paths)
    finally:
        vault.close()


# -- the run ---------------------------------------------------------------------------


def run(args: argparse.Namespace) -> Figures:
    stop_pg: Callable[[], None] = lambda: None  # noqa: E731
    url = args.url
    if not url:
        url, stop_pg = start_postgres(args.pgdata)
    workdir = Path(tempfile.mkdtemp(prefix="mycoder-concurrency-", dir=args.workdir))
    try:
        root, sqlite_root = workdir / "shared", workdir / "local"
        paths = build_corpus(root, args.scale)
        build_corpus(sqlite_root, args.scale)
        texts = queries_of(root, paths)
        start_load = load()
        print(f"corpus: {len(paths)} files ({COPIES} copies of {len(paths) // COPIES} stdlib files, scale "
              f"{args.scale}), {len(texts)} queries; load {start_load}", flush=True)

        indexer = Vault.open(root, settings_for(url, "indexer", writer=True), stray_limit=None, index_writer=True)
        pg_secs, pg_report = timed_index(indexer)
        pg_bytes = indexer.stats()["bytes"]
        indexer.close()
        print(f"[postgres] {pg_report.files} files, {pg_report.chunks} chunks indexed in {pg_secs:.1f} s "
              f"({pg_report.chunks / pg_secs:.0f} chunks/s, {pg_report.files / pg_secs:.1f} files/s), "
              f"{pg_bytes / 1e6:.0f} MB", flush=True)

        local = Vault.open(sqlite_root, settings_for(None, "", writer=True), stray_limit=None)
        sq_secs, sq_report = timed_index(local)
        sq_bytes = local.stats()["bytes"]
        print(f"[sqlite]   {sq_report.files} files, {sq_report.chunks} chunks indexed in {sq_secs:.1f} s "
              f"({sq_report.chunks / sq_secs:.0f} chunks/s), {sq_bytes / 1e6:.0f} MB", flush=True)
        # Where one user's query time goes, per backend and mode (no indexer running).
        reader = Vault.open(root, settings_for(url, "reader", writer=False), stray_limit=None)
        modes: dict[str, dict[str, list[float]]] = {"postgres": {}, "sqlite": {}}
        sample = texts[: max(1, len(texts) // 4)]
        print(f"one user, {len(sample)} queries, p50/p95 ms:", flush=True)
        for mode in MODES:
            for name, vault in (("postgres", reader), ("sqlite", local)):
                modes[name][mode] = list(query_times(vault, sample, mode))
            print(f"  {mode:<8} postgres {modes['postgres'][mode][0]:7.1f}/{modes['postgres'][mode][1]:<7.1f} "
                  f"sqlite {modes['sqlite'][mode][0]:7.1f}/{modes['sqlite'][mode][1]:<7.1f}", flush=True)
        times = query_times(local, texts)
        reader.close()
        local.close()

        figures = Figures(scale=args.scale, copies=COPIES, files=pg_report.files, chunks=pg_report.chunks,
                          changed_share=args.changed, think_ms=args.think_ms, pg_index_s=pg_secs,
                          pg_chunks_per_s=pg_report.chunks / pg_secs, pg_files_per_s=pg_report.files / pg_secs,
                          pg_bytes=pg_bytes, sqlite_index_s=sq_secs, sqlite_chunks_per_s=sq_report.chunks / sq_secs,
                          sqlite_bytes=sq_bytes, sqlite_query_p50_ms=times[0], sqlite_query_p95_ms=times[1],
                          one_user_ms=modes, load_start=start_load)
        print(f"\nN users querying (think {args.think_ms:.0f} ms) the shared vault; one indexer re-indexes after "
              f"{args.changed:.0%} of the files changed")
        print(f"{'N':>3} {'quiet p50/p95 ms':>17} {'re-index p50/p95 ms':>20} {'q/s':>6} {'re-index s':>10} "
              f"{'files/s':>8} {'chunks/s':>9} {'embedded':>8} | {'N SQLite: full s':>16} {'re-index s':>10} "
              f"{'disk MB':>8} {'load':>5}")
        for round_no, users in enumerate(args.users, 1):
            r = run_round(url, root, sqlite_root, paths, texts, users, args, round_no)
            figures.rounds.append(r)
            print(f"{users:>3} {r.quiet_p50_ms:8.1f}/{r.quiet_p95_ms:<8.1f} {r.during_p50_ms:10.1f}/"
                  f"{r.during_p95_ms:<9.1f} {r.queries_per_s:6.1f} {r.reindex_s:10.1f} {r.reindex_files_per_s:8.1f} "
                  f"{r.reindex_chunks_per_s:9.0f} {r.reindex_embedded:8d} | {sq_secs * users:16.1f} "
                  f"{r.sqlite_reindex_x_n_s:10.1f} {sq_bytes * users / 1e6:8.0f} {r.load:>5}", flush=True)
        figures.load_end = load()
        print(f"load at the end {figures.load_end}")
        return figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        stop_pg()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of the stdlib's files in each copy (0.1: quick)")
    ap.add_argument("--users", default="1,5,20",
                    help="comma-separated numbers of users, one round each (0: only the one-user figures)")
    ap.add_argument("--changed", type=float, default=0.05, help="share of the files edited before each re-index")
    ap.add_argument("--think-ms", type=float, default=100.0, help="each user's pause between two queries")
    ap.add_argument("--quiet-s", type=float, default=5.0, help="seconds of queries before the re-index starts")
    ap.add_argument("--url", default="", help="a PostgreSQL to use (default: start one with pgserver)")
    ap.add_argument("--pgdata", default=None, help="where pgserver keeps its data (default: a temporary directory)")
    ap.add_argument("--workdir", default=None, help="where the corpus copies go (default: the temporary directory)")
    ap.add_argument("--json", default="", help="write the figures here as JSON")
    args = ap.parse_args(argv)
    args.users = [int(n) for n in args.users.split(",") if n.strip() and int(n) > 0]  # 0: no rounds
    if not 0 < args.scale <= 1:
        ap.error("--scale must be in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> Figures:
    args = parse_args(argv)
    figures = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(figures), indent=2) + "\n")
        print(f"figures written to {args.json}")
    return figures


if __name__ == "__main__":
    main()
