"""Index the CPython standard library with the vault's offline default and print figures.

    python bench/bench_index.py [--copy DIR] [--queries N]

What it measures (see ``## Vault`` in bench/RESULTS.md):
- a full index from scratch: files, chunks, seconds, chunks/s, vault size
  (MB, times the source it indexes, and per table where SQLite has ``dbstat``),
  peak memory (ru_maxrss of this process);
- a restart with nothing changed: open + index seconds, chunks embedded (must be 0);
- re-index on save of a ~2,000-line file: ms per save (median of 5 edits);
- query latency p50/p95 over docstring-style queries (hybrid, the default).

The stdlib is copied (without site-packages, tests and caches) to a scratch
directory first so that the vault never lands inside the Python install.
"""

from __future__ import annotations

import os

# A matrix-vector product gains nothing from BLAS threads, and on a shared
# machine they make latency worse; set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import resource
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mycoder_lsp.config import Settings  # noqa: E402
from mycoder_lsp.memory.vault import Vault  # noqa: E402

SKIP = shutil.ignore_patterns("site-packages", "__pycache__", "test", "tests", "idle_test", "*.pyc")


def cpu_seconds() -> float:
    """CPU time of this process, all threads: the work itself, whatever the machine's load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def table_sizes(vault: Vault) -> list[tuple[str, int]]:
    """(table or index, bytes) of the vault's database, largest first; empty
    where SQLite was built without the ``dbstat`` table."""
    try:
        rows = vault.store.query("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
    except Exception:  # noqa: BLE001 - a figure less, not a failed bench
        return []
    return [(str(name), int(size)) for name, size in rows if size >= 100_000]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copy", type=Path, default=Path(tempfile.gettempdir()) / "mycoder-bench-stdlib")
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    src = Path(sysconfig.get_paths()["stdlib"])
    root = args.copy
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(src, root, ignore=SKIP, symlinks=True)
    settings = Settings()

    t0, c0 = time.perf_counter(), cpu_seconds()
    vault = Vault.open(root, settings, stray_limit=None)  # the stdlib copy has no project marker
    report = asyncio.run(vault.index())
    full, full_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    stats = vault.stats()
    source = sum(size for _, size, _ in vault.store.files().values())
    parts = table_sizes(vault)
    db = vault.store.dir / "vault.db" if vault.store.dir else None
    vault.close()
    closed = db.stat().st_size if db else 0  # the write-ahead log is gone once the vault is closed
    print(f"stdlib copy: {root} ({report.files} files indexed)")
    print(f"full index: {report.chunks} chunks in {full:.1f} s = {report.chunks / full:.0f} chunks/s; "
          f"({full_cpu:.1f} s CPU); embedded {report.embedded}")
    print(f"vault size: {stats['bytes'] / 1e6:.1f} MB open (with its write-ahead log) = {stats['bytes'] / source:.2f}x "
          f"the {source / 1e6:.1f} MB of source indexed, {closed / 1e6:.1f} MB = {closed / source:.2f}x closed; "
          f"peak RSS {peak_mb():.0f} MB")
    if parts:
        print("  by table: " + ", ".join(f"{name} {size / 1e6:.1f}" for name, size in parts) + " (MB)")

    t0 = time.perf_counter()
    vault = Vault.open(root, settings, stray_limit=None)  # the stdlib copy has no project marker
    again = asyncio.run(vault.index())
    restart = time.perf_counter() - t0
    print(f"restart, nothing changed: {restart:.2f} s (open {restart - again.seconds:.2f} s + scan "
          f"{again.seconds:.2f} s), embedded {again.embedded}, changed {again.changed}")

    # A ~2,000-line file, edited and saved five times.
    big = min((p for p in root.rglob("*.py")), key=lambda p: abs(p.read_text(errors="replace").count("\n") - 2000))
    text = big.read_text()
    lines = text.count("\n")
    times, cpu = [], []

    async def saves() -> None:
        for i in range(7):
            big.write_text(text + f"\n\ndef bench_added_{i}(x):\n    return x + {i}\n")
            t, c = time.perf_counter(), cpu_seconds()
            await vault.reindex_file(big)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((cpu_seconds() - c) * 1000)

    asyncio.run(saves())
    print(f"re-index on save of {big.relative_to(root)} ({lines} lines): median {statistics.median(times):.0f} ms "
          f"wall (min {min(times):.0f}, max {max(times):.0f}), median {statistics.median(cpu):.0f} ms CPU")

    from bench.retrieval_dataset import load_corpus_and_queries

    queries = [q.text for q in load_corpus_and_queries(split="all", sample=args.queries).queries]

    async def run_queries() -> list[float]:
        await vault.search("warm up", 10)
        out = []
        for q in queries:
            t = time.perf_counter()
            await vault.search(q, 10)
            out.append((time.perf_counter() - t) * 1000)
        return out

    c0 = cpu_seconds()
    lat = sorted(asyncio.run(run_queries()))
    cpu_per_query = (cpu_seconds() - c0) * 1000 / (len(queries) + 1)
    p50 = lat[len(lat) // 2]
    p95 = lat[int(len(lat) * 0.95)]
    print(f"query latency ({len(lat)} queries, k=10, {vault.ranking.mode}): p50 {p50:.1f} ms, p95 {p95:.1f} ms wall; "
          f"{cpu_per_query:.1f} ms CPU per query on average")
    print(f"peak RSS {peak_mb():.0f} MB; load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    vault.close()


if __name__ == "__main__":
    main()
