"""`mycoder-lsp route`: the CLI contract, run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "tests" / "data" / "router_workspace"


def run_route(args, *, root: Path, stdin: str | None = None, env_home: Path) -> subprocess.CompletedProcess:
    # The symbol cache of a workspace without a vault goes to the user cache directory: the test's.
    env = dict(os.environ, XDG_CONFIG_HOME=str(env_home), XDG_CACHE_HOME=str(env_home / "cache"))
    return subprocess.run(
        [sys.executable, "-m", "mycoder_lsp", "route", "--root", str(root), *args],
        input=stdin, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT,
    )


@pytest.fixture
def workspace(tmp_path):
    """A copy of the router workspace (``point_organizer`` points the
    organizer at the test's server)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    for src in WORKSPACE.glob("*.py"):
        (ws / src.name).write_text(src.read_text())
    return ws


def point_organizer(ws: Path, url: str) -> None:
    """In the user's config (the tests' XDG_CONFIG_HOME is the workspace's
    parent): a repository's own settings may not choose endpoints."""
    (ws.parent / "mycoder").mkdir(exist_ok=True)
    (ws.parent / "mycoder" / "config.toml").write_text(f'[brains.organizer]\nurl = "{url}"\ntimeout = 5.0\n')


def test_single_text_json(workspace, tmp_path):
    proc = run_route(["--json", "--offline", "add type hints to calculate_tax"], root=workspace, env_home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"intent", "target", "via", "confidence", "ms"}
    assert (out["intent"], out["target"], out["via"]) == ("modify-target", "calculate_tax", "rules")


def test_single_text_human(workspace, tmp_path):
    proc = run_route(["--offline", "explain Order.total"], root=workspace, env_home=tmp_path)
    assert proc.returncode == 0
    assert "intent: explain" in proc.stdout and "target: Order.total" in proc.stdout and "via: rules" in proc.stdout


def test_batch_offline_keeps_order_and_reports_bad_lines(workspace, tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "fix the bug in retry"}),
        "this is not json",
        json.dumps({"id": "c", "text": "hmm, the thing from yesterday"}),
        json.dumps({"id": "d", "text": "explain `nonexistent_fn`"}),
        json.dumps({"id": 5, "no_text": 1}),
    ]
    proc = run_route(["--offline"], root=workspace, stdin="\n".join(lines) + "\n", env_home=tmp_path)
    assert proc.returncode == 1  # bad lines were reported
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", None, "c", "d", 5]
    assert (out[0]["intent"], out[0]["target"], out[0]["via"]) == ("fix", "retry", "rules")
    assert "error" in out[1] and "line 2" in out[1]["error"]
    assert out[2]["via"] == "fallback"  # needed the organizer, --offline never calls one
    assert out[3]["target"] is None  # an unknown name is not a target
    assert "error" in out[4]
    for o in (out[0], out[2], out[3]):
        assert set(o) == {"id", "intent", "target", "via", "confidence", "ms"}


def test_batch_asks_the_organizer_only_when_unsure(workspace, tmp_path, fake_ollama):
    point_organizer(workspace, fake_ollama.url)
    fake_ollama.reply('{"intent": "review", "target": "slugify"}')
    lines = [
        json.dumps({"id": 1, "text": "fix the bug in retry"}),
        json.dumps({"id": 2, "text": "slugify, thoughts?"}),
    ]
    proc = run_route([], root=workspace, stdin="\n".join(lines) + "\n", env_home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert out[0]["via"] == "rules"
    assert (out[1]["intent"], out[1]["target"], out[1]["via"]) == ("review", "slugify", "organizer")
    chats = fake_ollama.chats()
    assert len(chats) == 1 and "slugify, thoughts?" in chats[0].last_user


def test_organizer_down_means_fallback_and_the_batch_goes_on(workspace, tmp_path):
    from tests.support.fake_ollama import FakeOllama

    point_organizer(workspace, FakeOllama.down_url())
    lines = [json.dumps({"id": i, "text": "the thing from yesterday, again"}) for i in range(4)]
    proc = run_route([], root=workspace, stdin="\n".join(lines) + "\n", env_home=tmp_path)
    assert proc.returncode == 0
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["via"] for o in out] == ["fallback"] * 4
    assert "organizer" in proc.stderr


def test_offline_with_organizer_configured_sends_nothing(workspace, tmp_path, fake_ollama):
    point_organizer(workspace, fake_ollama.url)
    fake_ollama.reply('{"intent": "review", "target": null}')
    proc = run_route(["--offline", "--json", "the thing from yesterday"], root=workspace, env_home=tmp_path)
    assert json.loads(proc.stdout)["via"] == "fallback"
    assert fake_ollama.requests == []


def test_offline_route_starts_no_event_loop_and_no_client(workspace, tmp_path):
    # The rules alone need neither asyncio nor httpx: a third of the process's
    # start went to importing them (bench/bench_route.py).
    # Nor, where nothing changed, a grammar, OpenSSL's hashes, a TOML parser where no settings file
    # exists, or subprocess outside git; the router's patterns then come compiled from the cache.
    probe = ("import sys; from mycoder_lsp.cli import main; code = main(sys.argv[1:]); "
             "print([m for m in ('asyncio', 'httpx', 'tree_sitter', 'hashlib', 'tomllib', 'subprocess') "
             "if m in sys.modules], sys.modules['mycoder_lsp.brains.router']._RX.added, file=sys.stderr); "
             "raise SystemExit(code)")
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"))
    args = ["route", "--root", str(workspace), "--offline", "--json", "add type hints to calculate_tax"]
    first = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60,
                           env=env, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["target"] == "calculate_tax"
    # The first run parses the files (tree-sitter); the next finds them unchanged in the cache.
    again = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60,
                           env=env, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) | {"ms": 0} == json.loads(first.stdout) | {"ms": 0}
    assert not first.stderr.strip().endswith(" 0")  # the patterns were compiled, and kept
    assert again.stderr.strip().splitlines()[-1] == "[] 0"
