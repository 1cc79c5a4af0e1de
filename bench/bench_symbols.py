"""What the one symbol extractor costs: symbols and chunks per file.

    python bench/bench_symbols.py [--files LIST] [--tree DIR ...]

Reads every file named in ``LIST`` (one path a line; default: the Python
standard library plus tests/data/code_corpus), then times, in a fresh
process per source tree, ``document_symbols`` of each file and ``chunk_file``
of each file (the vault's indexing cost; the symbol cache is cleared first,
so chunking pays for its symbols). ``--tree`` measures another checkout of
this package the same way (e.g. ``git archive HEAD | tar -x -C /tmp/old``),
so old and new code are compared in one run on the same machine load.
Prints measured figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".py": "python", ".js": "javascript", ".ts": "typescript", ".tsx": "tsx", ".go": "go", ".rs": "rust"}

_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
try:
    from mycoder_lsp.code import symbols as extractor
except ImportError:  # a checkout from before mycoder_lsp/code/symbols.py
    from mycoder_lsp import symbols as extractor
from mycoder_lsp.memory.chunking import chunk_file
files = json.load(open(sys.argv[2]))
texts = []
for path, language in files:
    try:
        texts.append((path, language, open(path, encoding="utf-8").read()))
    except (OSError, UnicodeDecodeError):
        pass
def clear():
    cached = getattr(extractor, "_outline_cached", None)
    if cached is not None:
        cached.cache_clear()
for path, language, text in texts[:20]:  # warm the grammars and queries
    extractor.document_symbols(text, language)
clear()
t = time.process_time(); n = 0
for path, language, text in texts:
    n += len(extractor.document_symbols(text, language))
sym_s = time.process_time() - t
clear()
t = time.process_time(); c = 0
for path, language, text in texts:
    c += len(chunk_file(path, text, language))
chunk_s = time.process_time() - t
print(json.dumps({"files": len(texts), "symbols": n, "chunks": c, "symbols_s": sym_s, "chunks_s": chunk_s,
                  "lines": sum(t.count("\n") for _, _, t in texts)}))
"""


def default_files() -> list[tuple[str, str]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = [p for p in sorted(stdlib.rglob("*.py")) if "site-packages" not in p.parts and "test" not in p.parts]
    paths += sorted((ROOT / "tests" / "data" / "code_corpus").iterdir())
    return [(str(p), SUFFIXES[p.suffix]) for p in paths if p.suffix in SUFFIXES]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=Path, help="file listing the paths to read, one a line")
    ap.add_argument("--tree", action="append", default=[], help="another checkout to measure the same way")
    args = ap.parse_args()
    if args.files:
        names = [line.strip() for line in args.files.read_text().splitlines() if line.strip()]
        files = [(n, SUFFIXES[Path(n).suffix]) for n in names if Path(n).suffix in SUFFIXES]
    else:
        files = default_files()
    listing = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_symbols_{os.getpid()}.json"
    listing.write_text(json.dumps(files))
    try:
        print(f"load average {os.getloadavg()[0]:.2f}; {len(files)} files")
        print(f"{'tree':<40} {'files':>6} {'lines':>8} {'symbols':>8} {'sym s':>6} {'chunks':>7} {'chunk s':>7}")
        for tree in [str(ROOT), *args.tree]:
            out = subprocess.run([sys.executable, "-c", _CHILD, tree, str(listing)], capture_output=True, text=True,
                                 check=False, cwd=tree)
            if out.returncode != 0:
                print(f"{tree:<40} failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{tree[-40:]:<40} {r['files']:>6} {r['lines']:>8} {r['symbols']:>8} {r['symbols_s']:>6.2f} "
                  f"{r['chunks']:>7} {r['chunks_s']:>7.2f}")
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        listing.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
