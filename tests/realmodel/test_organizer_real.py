"""The organizer with a real model: ``mycoder-lsp route`` against Qwen2.5-Coder-0.5B.

The CLI reads the organizer from the user's config (llama.cpp's server, the
OpenAI-compatible backend), through a recording proxy that shows what reached
the model. Requests the rules are sure of must never reach it; the ones they
doubt get one constrained choice each (one token, the five labels scored from
its log-probabilities). The ambiguous requests are held-out ones whose
intent no competent reader would dispute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mycoder_lsp.brains.router import ORGANIZER_LABELS, IntentRouter, SymbolIndex
from mycoder_lsp.code.symbol_index import workspace_symbol_names
from tests.realmodel.llama_server import DEADLINE, LlamaServer
from tests.realmodel.recording_proxy import RecordingProxy

pytestmark = pytest.mark.realmodel

CHECKOUT = Path(__file__).resolve().parents[2]
WORKSPACE = CHECKOUT / "tests" / "data" / "router_workspace"

SURE = [
    ("fix the bug in retry", "fix"),
    ("explain Order.total", "explain"),
    ("add type hints to calculate_tax", "modify-target"),
    ("reveiw build_url", "review"),
    ("write a test for slugify", "general"),
]
# Held-out requests (tests/data/router_labelled.jsonl) the rules doubt, and
# what they plainly ask for.
AMBIGUOUS = [
    ("explane how retry works", "explain"),  # f008: the rules' no-cue guess is modify-target
    ("Settings.merge should deep-merge nested dicts", "modify-target"),  # h276
]


def test_only_requests_the_rules_doubt_reach_the_model(tmp_path: Path, llama_server: LlamaServer) -> None:
    names = SymbolIndex.of(workspace_symbol_names(WORKSPACE))
    router = IntentRouter()
    assert all(router.guess(text, names).via == "rules" for text, _ in SURE)
    assert all(router.guess(text, names).via == "fallback" for text, _ in AMBIGUOUS), "pick requests the rules doubt"

    home = tmp_path / "home"
    (home / "mycoder").mkdir(parents=True)
    lines = [json.dumps({"id": i, "text": text}) for i, (text, _) in enumerate(SURE + AMBIGUOUS)]
    with RecordingProxy(llama_server.url) as proxy:
        (home / "mycoder" / "config.toml").write_text(
            f'[brains.organizer]\nurl = "{proxy.url}"\nbackend = "openai"\nmodel = "{llama_server.model}"\n'
            f"timeout = {DEADLINE}\n", encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "mycoder_lsp", "route", "--root", str(WORKSPACE)],
            input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=DEADLINE * (len(AMBIGUOUS) + 1),
            env=dict(os.environ, XDG_CONFIG_HOME=str(home)), cwd=CHECKOUT,
        )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == list(range(len(lines)))

    for (text, intent), decision in zip(SURE, out):
        assert (decision["via"], decision["intent"]) == ("rules", intent), (text, decision)
    # Exactly the doubted requests reached the model, one short call each.
    asked = proxy.posts()
    assert len(asked) == len(AMBIGUOUS), [a.body["messages"][-1] for a in asked]
    for (text, intent), call, decision in zip(AMBIGUOUS, asked, out[len(SURE):]):
        assert call.status == 200 and call.body["messages"][-1]["content"].endswith(text)
        assert call.body["max_tokens"] == 1 and call.body["logprobs"] is True
        answer = json.loads(call.answer)
        alternatives = answer["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        assert any(a["token"].strip().lower() in ORGANIZER_LABELS for a in alternatives), alternatives
        assert (decision["via"], decision["intent"]) == ("organizer", intent), (text, decision)
