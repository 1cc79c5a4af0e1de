"""The PostgreSQL fixture's policy: a missing engine fails in CI, skips (with the reason) elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]


def run_without_pgserver(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    hide = tmp_path / "hide"
    hide.mkdir(exist_ok=True)
    # A module that fails to import stands for a machine without the wheel.
    (hide / "pgserver.py").write_text("raise ImportError('no pgserver here', name='pgserver')\n")
    test = tmp_path / "test_needs_pg.py"
    test.write_text("from tests.support.postgres import pg_vault_url, postgres_server_url  # noqa: F401\n\n\n"
                    "def test_it(pg_vault_url):\n    pass\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "MYCODER_POSTGRES")}
    env["PYTHONPATH"] = os.pathsep.join([str(hide), str(CHECKOUT)])
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(test),
                           "--rootdir", str(tmp_path)], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)


def test_a_missing_engine_fails_in_ci_and_skips_with_the_reason_elsewhere(tmp_path):
    in_ci = run_without_pgserver(tmp_path, "true")
    assert in_ci.returncode == 1, in_ci.stdout
    assert "required in CI" in in_ci.stdout and "pgserver is not installed" in in_ci.stdout
    local = run_without_pgserver(tmp_path, None)
    assert local.returncode == 0, local.stdout
    assert "1 skipped" in local.stdout and "pip install pgserver" in local.stdout
