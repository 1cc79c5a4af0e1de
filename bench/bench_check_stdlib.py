"""``mycoder-lsp check`` over the whole CPython standard library of this
machine: files per second, and error-severity findings per 10,000 lines,
each of them listed (every one must be a true defect).

Runs the real CLI in a subprocess, as a user would (``site-packages`` is
skipped by the walker: installed third-party code is not the stdlib).

    python bench/bench_check_stdlib.py [STDLIB_DIR]
"""

from __future__ import annotations

import collections
import json
import os
import resource
import subprocess
import sys
import sysconfig
import time
from pathlib import Path


def main() -> None:
    stdlib = Path(sys.argv[1] if len(sys.argv) > 1 else sysconfig.get_paths()["stdlib"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mycoder_lsp", "check", "--json", "--root", str(stdlib), str(stdlib)],
        capture_output=True, text=True, cwd=stdlib,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    files = json.loads(proc.stdout)["files"]
    skipped = [line for line in proc.stderr.splitlines() if ": skipped: " in line]
    lines = 0
    for entry in files:
        try:
            lines += (stdlib / entry["path"]).read_bytes().count(b"\n")
        except OSError:
            pass
    by_severity: collections.Counter[str] = collections.Counter()
    by_code: collections.Counter[str] = collections.Counter()
    errors = []
    for entry in files:
        for finding in entry["findings"]:
            by_severity[finding["severity"]] += 1
            if finding["severity"] == "error":
                by_code[finding["code"]] += 1
                errors.append(f"{entry['path']}:{finding['line']}:{finding['column']}: "
                              f"{finding['code']} {finding['message']}")
    unsafe = sum(1 for entry in files if not entry["safe_to_persist"])
    print(f"stdlib: {stdlib}")
    print(f"files checked: {len(files)} ({len(skipped)} skipped), lines: {lines:,}")
    print(f"wall time: {elapsed:.1f} s  ->  {len(files) / elapsed:.1f} files/s, {lines / elapsed:,.0f} lines/s")
    print(f"CPU time (all processes of the run): {cpu:.1f} s -> {len(files) / cpu:.1f} files per CPU-second; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"exit status: {proc.returncode}")
    print("findings by severity: " + ", ".join(f"{k} {v}" for k, v in sorted(by_severity.items())))
    print(f"error-severity findings: {len(errors)} = {len(errors) / lines * 10_000:.2f} per 10,000 lines")
    print("errors by code: " + ", ".join(f"{k} {v}" for k, v in sorted(by_code.items())))
    print(f"files below the safe_to_persist threshold: {unsafe}")
    for line in skipped:
        print("  " + line)
    print("every error-severity finding:")
    for line in errors:
        print("  " + line)


if __name__ == "__main__":
    main()
