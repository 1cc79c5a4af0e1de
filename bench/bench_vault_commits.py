"""The shared vault's index per commit, and a reader's overlay: what they cost.

    python bench/bench_vault_commits.py [--files N] [--changed M] [--old DIR]

A git repository of N stdlib files (commit A), then M of them changed (commit B).
Prints, for this code:

- ``index A``: the first index (everything chunked and embedded);
- ``index B``: the index of the next commit, seeded from A's (only the M files read again);
- ``reader``: hybrid search p50/p95 of a reader at B over A's index with the M files in
  its overlay, and with an empty overlay (a reader at A);
- ``prune``: dropping an old commit's index.

With ``--old DIR`` (the previous code, e.g. ``git archive HEAD | tar -x -C DIR``), the
same two index runs with it, in the same run, against a database of their own: before,
one index per repository, updated in place.

A PostgreSQL is started with ``pgserver`` in a temporary directory.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import sysconfig  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_vault_backends import start_postgres  # noqa: E402
from mycoder_lsp.config import Settings  # noqa: E402
from mycoder_lsp.memory.vault import Vault  # noqa: E402

QUERIES = ("parse a header line", "encode a string as json", "read the configuration file", "send an email message",
           "split a path into parts", "decode base64 data", "compare two sequences", "format a date",
           "wait for a child process", "open a socket connection")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args], cwd=root,
                          capture_output=True, text=True, check=True, timeout=120).stdout.strip()


def make_repo(root: Path, files: int) -> list[Path]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    picked = sorted(p for p in lib.rglob("*.py") if "test" not in p.parts and "site-packages" not in p.parts)[:files]
    out = []
    for src in picked:
        dst = root / src.relative_to(lib)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        out.append(dst)
    (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "A")
    return out


def change(paths: list[Path], m: int, tag: str) -> None:
    for i, p in enumerate(paths[:m]):
        p.write_text(p.read_text() + f"\n\ndef bench_added_{tag}_{i}(value):\n    return value\n")


def settings_for(url: str) -> Settings:
    s = Settings()
    s.vault.url = url
    s.vault.repository = "bench"
    s.vault.user = "bench"
    return s


def timed_index(root: Path, url: str) -> tuple[float, dict]:
    started = time.perf_counter()
    v = Vault.open(root, settings_for(url), index_writer=True, stray_limit=None)
    report = asyncio.run(v.index())
    v.close()
    return time.perf_counter() - started, report.to_json()


def old_index(old: Path, root: Path, url: str) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mycoder_lsp", "index", "--root", str(root), "--vault", url, "--json",
                           "--all"], cwd=old, capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "PYTHONPATH": str(old)})
    if done.returncode != 0:
        raise SystemExit(f"old index failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, json.loads(done.stdout.strip().splitlines()[-1])


def latencies(v: Vault, rounds: int = 3) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        for q in QUERIES:
            t = time.perf_counter()
            v.search_sync(q, 10)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def new_database(server_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.replace("/postgres?", f"/{name}?", 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--changed", type=int, default=20)
    ap.add_argument("--old", type=Path, default=None, help="the previous code's tree, for the same runs with it")
    args = ap.parse_args()
    print(f"load average at start: {open('/proc/loadavg').read().split()[:3]}")
    server_url, stop = start_postgres()
    work = Path(tempfile.mkdtemp(prefix="mycoder-bench-commits-"))
    try:
        root = work / "repo"
        paths = make_repo(root, args.files)
        url = new_database(server_url, "commits_new")
        secs, rep = timed_index(root, url)
        print(f"new  index A: {secs:7.2f} s  {rep['files']} files, {rep['chunks']} chunks, changed {rep['changed']}, "
              f"embedded {rep['embedded']}")
        reader_a = Vault.open(root, settings_for(url))
        asyncio.run(reader_a.index())
        p50_0, p95_0 = latencies(reader_a)
        change(paths, args.changed, "b")
        git(root, "commit", "-q", "-am", "B")
        reader_a.close()
        reader_b = Vault.open(root, settings_for(url))
        t = time.perf_counter()
        asyncio.run(reader_b.index())
        overlay_secs = time.perf_counter() - t
        p50_m, p95_m = latencies(reader_b)
        assert reader_b.overlay is not None
        print(f"new  reader at A, empty overlay:      search p50 {p50_0:6.1f} ms  p95 {p95_0:6.1f} ms")
        print(f"new  reader at B, {len(reader_b.overlay.overlaid()):3d} files in overlay "
              f"(built in {overlay_secs:5.2f} s): search p50 {p50_m:6.1f} ms  p95 {p95_m:6.1f} ms")
        reader_b.close()
        secs, rep = timed_index(root, url)
        print(f"new  index B: {secs:7.2f} s  (seeded from A) changed {rep['changed']}, embedded {rep['embedded']}")
        change(paths, args.changed, "c")
        git(root, "commit", "-q", "-am", "C")
        timed_index(root, url)
        change(paths, args.changed, "d")
        git(root, "commit", "-q", "-am", "D")
        secs, rep = timed_index(root, url)  # keep 3: drops A's
        print(f"new  index D: {secs:7.2f} s  pruned {len(rep.get('pruned', []))} index(es)")
        if args.old is not None:
            old_root = work / "old_repo"
            old_paths = make_repo(old_root, args.files)
            old_url = new_database(server_url, "commits_old")
            secs, rep = old_index(args.old, old_root, old_url)
            print(f"old  index A: {secs:7.2f} s  {rep['files']} files, changed {rep['changed']}, "
                  f"embedded {rep['embedded']}  (process start included)")
            change(old_paths, args.changed, "b")
            git(old_root, "commit", "-q", "-am", "B")
            secs, rep = old_index(args.old, old_root, old_url)
            print(f"old  index B: {secs:7.2f} s  (in place) changed {rep['changed']}, embedded {rep['embedded']}  "
                  "(process start included)")
        print(f"load average at end: {open('/proc/loadavg').read().split()[:3]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        stop()


if __name__ == "__main__":
    main()
