"""Learned patterns, session state, memory quarantine and the context the brains get."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from mycoder_lsp.brains.context import ContextRequest
from mycoder_lsp.errors import UserError
from mycoder_lsp.memory import patterns
from mycoder_lsp.memory.session import HISTORY_LIMIT
from mycoder_lsp.memory.vault import Vault
from tests.unit.memory.conftest import both_backends


@both_backends
def test_patterns_scored_by_intent_and_signature(vault):
    a = vault.record_pattern(signature="def retry_request(self, request, attempts=3):",
                             user_intent="add exponential backoff to the retry loop",
                             old_code="for _ in range(n):\n    pass\n", new_code="for i in range(n):\n    sleep(2 ** i)\n",
                             target="HttpClient.retry_request", path="app/http.py")
    b = vault.record_pattern(signature="def load_settings(path):", user_intent="cache the parsed settings",
                             old_code="", new_code="@lru_cache\ndef load_settings(path): ...", confidence=0.5)
    assert a.id == "P0001" and b.id == "P0002" and a.confidence == 0.9
    assert a.code_delta.startswith("--- before") and "+    sleep(2 ** i)" in a.code_delta
    best = patterns.best(vault.store, "add backoff to retry", "def retry_request(self, request):", k=2)
    assert [p.id for p, _ in best] == ["P0001"]
    # Intent weighs twice the signature; confidence multiplies.
    s_intent = patterns.score(a, "exponential backoff retry", "")
    s_sig = patterns.score(a, "", "retry_request")
    assert s_intent == pytest.approx(2.0 * 0.9) and s_sig == pytest.approx(1.0 * 0.9)
    assert patterns.score(b, "cache settings", "") == pytest.approx(2.0 * 0.5)
    assert [p.id for p in vault.related_patterns("HttpClient.retry_request")] == ["P0001"]
    assert vault.related_patterns("nothing_like_it") == []


@both_backends
def test_patterns_keep_the_last_n(workspace, vault_settings):
    settings = vault_settings
    settings.vault.max_patterns = 3
    v = Vault.open(workspace, settings)
    for i in range(5):
        v.record_pattern(signature=f"def f{i}():", user_intent=f"change {i}", old_code="", new_code=f"x = {i}")
    assert [p.id for p in patterns.all_patterns(v.store)] == ["P0003", "P0004", "P0005"]
    v.close()
    # Survives a restart.
    v = Vault.open(workspace, settings)
    assert [p.user_intent for p in patterns.all_patterns(v.store)] == ["change 2", "change 3", "change 4"]
    v.close()


@both_backends
def test_history_keeps_last_20_and_redacts(vault):
    for i in range(HISTORY_LIMIT + 5):
        asyncio.run(vault.record_exchange("user", f"message {i}"))
    asyncio.run(vault.record_exchange("assistant", "the key is ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"))
    history = vault.session.history()
    assert len(history) == HISTORY_LIMIT
    assert history[0].text == "message 6" and "[REDACTED]" in history[-1].text


@both_backends
def test_features_lock_unlock_and_quarantine(workspace, vault, vault_settings):
    s = vault.session
    a = s.create_feature("Retry with backoff")
    b = s.create_feature("Cache settings")
    assert (a.id, b.id, a.status) == ("A001", "A002", "open")
    with pytest.raises(UserError):
        s.create_feature("   ")
    with pytest.raises(UserError, match="no feature"):
        s.lock("A999")
    s.update_scratchpad("A001", code_to_propose="sleep(2 ** i)", target_symbol="HttpClient.retry_request",
                        user_instruction="add backoff")
    s.update_scratchpad("A002", code_to_propose="@lru_cache", user_instruction="cache it")
    # Nothing locked: no scratchpad reaches a prompt, and chatting locks nothing.
    assert s.prompt_scratchpad() is None
    asyncio.run(vault.record_exchange("user", "hello"))
    assert s.current_feature_id is None
    pieces = asyncio.run(vault.gather(ContextRequest(query="add backoff", intent="modify-target")))
    assert not any("scratchpad" in p.origin for p in pieces)

    s.lock("a001")
    assert s.current_feature_id == "A001"
    pieces = asyncio.run(vault.gather(ContextRequest(query="add backoff", intent="modify-target")))
    pad = [p for p in pieces if p.origin == "feature A001 scratchpad"]
    assert pad and "sleep(2 ** i)" in pad[0].text
    assert not any("@lru_cache" in p.text for p in pieces)  # A002's notes stay quarantined
    # Locking another unlocks the first.
    s.lock("A002")
    assert [f.status for f in s.features()] == ["open", "locked"]
    s.unlock("A002")
    assert s.current_feature_id is None and s.prompt_scratchpad() is None
    vault.close()
    # State survives a restart.
    v = Vault.open(workspace, vault_settings)
    assert [f.id for f in v.session.features()] == ["A001", "A002"]
    assert v.session.feature("A001").code_to_propose == "sleep(2 ** i)"
    v.close()


@both_backends
def test_gather_packs_neighbours_patterns_and_retrieval_within_budget(vault):
    vault.record_pattern(signature="def load_settings(path):", user_intent="merge the defaults first",
                         old_code="", new_code="def load_settings(path):\n    return merge_defaults({})\n")
    request = ContextRequest(query="merge the defaults into the settings", intent="modify-target",
                             path=str(vault.root / "app/config.py"), target="load_settings", budget_tokens=1024)
    pieces = asyncio.run(vault.gather(request))
    origins = [p.origin for p in pieces]
    assert any(o.startswith("neighbour app/config.py:") and "merge_defaults" in o for o in origins)
    assert "learned pattern P0001" in origins
    retrieved = [o for o in origins if o.startswith("retrieved ")]
    assert retrieved and not any("(load_settings)" in o for o in retrieved)  # the target itself is not repeated
    # A neighbour that search also finds goes in once (seen: the same chunk twice in a real prompt).
    by_name = asyncio.run(vault.gather(dataclasses.replace(request, query="merge_defaults defaults")))
    places = [p.origin.split(" ", 1)[1] for p in by_name if p.origin.startswith(("neighbour ", "retrieved "))]
    assert any("(merge_defaults)" in place for place in places)
    assert len(places) == len(set(places)), places
    assert sum(len(p.text) + len(p.origin) for p in pieces) <= 1024 * 4
    small = asyncio.run(vault.gather(ContextRequest(query="merge defaults", intent="general", budget_tokens=60)))
    assert sum(len(p.text) + len(p.origin) for p in small) <= 60 * 4
    assert asyncio.run(vault.gather(ContextRequest(query="x", intent="general", budget_tokens=0))) == []
