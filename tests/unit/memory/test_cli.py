"""``mycoder-lsp index`` and ``mycoder-lsp search`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mycoder_lsp", *map(str, args)], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def test_index_then_search_single_and_batch(workspace, tmp_path):
    first = cli("index", "--root", workspace, "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["files"] == 4 and summary["chunks"] >= 6 and summary["embedded"] >= 6
    again = json.loads(cli("index", "--root", workspace, "--json").stdout)
    assert again["embedded"] == 0 and again["changed"] == 0
    human = cli("index", "--root", workspace)
    assert human.stdout.startswith("Indexed ") and human.stderr == ""  # no progress bar off a TTY

    one = cli("search", "--root", workspace, "-k", "2", "--json", "send the request again")
    results = json.loads(one.stdout)
    assert len(results) == 2
    assert results[0] == {**results[0], "path": "app/http.py", "name": "HttpClient.retry_request",
                          "kind": "method", "start_line": 4, "end_line": 7}
    assert set(results[0]) == {"path", "name", "kind", "start_line", "end_line", "score"}
    text = cli("search", "--root", workspace, "-k", "1", "compute cart total").stdout
    assert "web/cart.ts:1-3  computeCartTotal (function)" in text

    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "query": "read the settings file"}\n\n{"id": 7, "query": "cart total"}\n')
    out = cli("search", "--root", workspace, "-k", "3", "--queries", batch)
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", 7]
    assert lines[0]["results"][0]["name"] == "load_settings" and len(lines[1]["results"]) == 3


def test_clear_errors(workspace, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    out = cli("search", "--root", workspace, "--queries", bad)
    assert out.returncode == 2 and "bad.jsonl:1: not JSON" in out.stderr
    out = cli("search", "--root", workspace)
    assert out.returncode == 2 and "Give either a QUERY" in out.stderr
    out = cli("index", "--root", tmp_path / "missing")
    assert out.returncode == 2 and "is not a directory" in out.stderr
