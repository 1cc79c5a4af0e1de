"""Time from opening a file in the real Neovim to its diagnostics in the quickfix list.

Runs ``editors/neovim/test/test_diagnostics.lua`` (headless, the plugin from
this checkout, the real server) ``--runs`` times for each Neovim found (the
system ``nvim`` and the 0.11 that ``editors/neovim/test/setup.sh`` installs)
and prints the medians over all runs: cold (the file that starts its root's
server) and warm (further files of a root whose server runs).

Usage: python bench/bench_neovim.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "editors" / "neovim"
NEWER = Path(os.environ.get("MYCODER_NVIM_HOME", Path.home() / ".cache" / "mycoder-lsp" / "nvim-0.11")) / "bin" / "nvim"


def one_run(nvim: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=f"{tmp}/.config", XDG_STATE_HOME=f"{tmp}/.state",
                   XDG_DATA_HOME=f"{tmp}/.data", TMPDIR=tmp,
                   MYCODER_TEST_SERVER_CMD=json.dumps([sys.executable, "-m", "mycoder_lsp"]))
        env.pop("PYTHONPATH", None)
        proc = subprocess.run([nvim, "--headless", "-u", str(PLUGIN / "test" / "minimal_init.lua"),
                               "-c", f"luafile {PLUGIN / 'test' / 'test_diagnostics.lua'}"],
                              env=env, cwd=tmp, capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        raise SystemExit(f"{nvim} failed:\n{proc.stdout}\n{proc.stderr}")
    return dict(line.split(" ", 2)[1:] for line in proc.stdout.splitlines() if line.startswith("FIGURE "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    nvims = [n for n in (shutil.which("nvim"), str(NEWER) if NEWER.exists() else None) if n]
    for nvim in nvims:
        cold: list[float] = []
        warm: list[float] = []
        version = "?"
        for _ in range(args.runs):
            figures = one_run(nvim)
            version = figures["nvim_version"]
            cold += [float(v) for v in figures["open_to_quickfix_cold_ms_all"].split(",")]
            warm += [float(v) for v in figures["open_to_quickfix_warm_ms_all"].split(",")]
        print(f"Neovim {version}: open -> diagnostics in the quickfix list, "
              f"cold median {statistics.median(cold):.0f} ms "
              f"(n={len(cold)}, min {min(cold):.0f}, max {max(cold):.0f}), "
              f"warm median {statistics.median(warm):.0f} ms (n={len(warm)}, min {min(warm):.0f}, max {max(warm):.0f})")


if __name__ == "__main__":
    main()
