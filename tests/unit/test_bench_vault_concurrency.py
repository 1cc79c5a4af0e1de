"""The concurrency benchmark (bench/bench_vault_concurrency.py) end to end at a tiny
scale, against the session's real PostgreSQL: every figure is measured, and the JSON
says what the printout says."""

from __future__ import annotations

import json

from bench import bench_vault_concurrency as bench


def test_the_bench_runs_end_to_end_at_a_tiny_scale(pg_vault_url, tmp_path, capsys):
    out = tmp_path / "figures.json"
    figures = bench.main(["--scale", "0.005", "--users", "1,2", "--quiet-s", "0.5", "--think-ms", "20",
                          "--changed", "0.1", "--url", pg_vault_url, "--workdir", str(tmp_path),
                          "--json", str(out)])
    printed = capsys.readouterr().out
    assert "[postgres]" in printed and "[sqlite]" in printed and "N users querying" in printed

    # 4 copies of the kept stdlib files (and the project marker).
    assert figures.copies == 4 and figures.files > 4
    assert figures.chunks > 0 and figures.pg_index_s > 0 and figures.sqlite_index_s > 0
    assert figures.pg_bytes > 0 and figures.sqlite_bytes > 0
    assert [r.users for r in figures.rounds] == [1, 2]
    for r in figures.rounds:
        assert r.quiet_queries > 0 and r.quiet_p50_ms > 0 and r.quiet_p95_ms >= r.quiet_p50_ms
        # Each round edits its own share of the files: only those are re-chunked.
        assert r.edited >= 1 and r.reindex_files == r.edited and r.reindex_chunks >= r.reindex_files
        assert r.reindex_embedded >= 1  # the appended function is new text
        assert r.sqlite_reindex_x_n_s == r.sqlite_reindex_s * r.users

    saved = json.loads(out.read_text())
    assert saved["chunks"] == figures.chunks and [r["users"] for r in saved["rounds"]] == [1, 2]
    # Nothing of the run is left behind in the work directory.
    assert [p.name for p in tmp_path.iterdir()] == ["figures.json"]
