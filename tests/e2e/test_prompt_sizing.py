"""Prompts sized to the model's real window, end to end: the real server
process, a real LSP client, a vault full of context, and the scripted server
reporting a small window on Ollama's ``/api/show``."""

from __future__ import annotations

import re
from pathlib import Path

from mycoder_lsp.brains.backends import estimate_tokens
from mycoder_lsp.brains.prompts import prompt_budget
from tests.e2e.lsp_session import lsp_session
from tests.e2e.test_vault import wait_index_end
from tests.support.brain_lsp import REASONING, Editor, brains_options, command, pos
from tests.support.fake_ollama import FakeOllama

# Not a multiple of 2048, which a num_ctx sized per request always was.
WINDOW = 3000
REASONING_MAX_TOKENS = 512  # the default


def _function(name: str, lines: int) -> str:
    body = "".join(f"    total = total + {name}_step_{i}(values, total)  # step {i} of the pipeline\n"
                   for i in range(lines))
    return f"def {name}(values):\n    total = 0\n{body}    return total\n"


# One large module: a function that fits with room to spare, one far too
# large for the window, and enough neighbours for the vault to offer.
BIG = "".join(_function(name, n) + "\n\n" for name, n in
              [("summarise", 40), ("small_total", 2), ("huge_report", 200), ("tail_total", 3)])
HELPERS = {f"pkg/helpers_{k}.py": "".join(_function(f"helper_{k}_{i}", 12) + "\n\n" for i in range(3))
           for k in range(6)}


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for rel, text in {"big.py": BIG, **HELPERS}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _line_of(name: str) -> int:
    return BIG.splitlines().index(f"def {name}(values):")


def _origins(prompt: str) -> list[str]:
    return re.findall(r"^\(source: (.*)\)$", prompt, flags=re.M)


async def _explain_summarise(root: Path, fake: FakeOllama, **reasoning: object) -> list[str]:
    """Explain ``summarise`` in a fresh session; the retrieved pieces its prompt held."""
    options = brains_options(fake.url, brains={"reasoning": reasoning} if reasoning else {})
    async with lsp_session(root, profile="neovim", initialization_options=options) as client:
        await wait_index_end(client)
        editor = Editor(client, (root / "big.py").as_uri(), BIG).open()
        before = len(fake.chats())
        result = await command(client, "mycoder.explain", {"uri": editor.uri, "position": pos(_line_of("summarise"))},
                               timeout=60)
        assert result["kind"] == "explanation", result
        (request,) = fake.chats()[before:]
        return _origins(request.last_user)


async def test_a_small_window_gets_a_prompt_that_fits_context_trimmed_and_one_num_ctx(tmp_path, fake_ollama):
    root = _workspace(tmp_path)
    fake_ollama.set_script({"context_length": WINDOW, "rules": [
        {"contains": "tail_total", "reply": "Adds three steps.", "prompt_tokens": WINDOW},
        {"reply": "It adds up the steps of the pipeline."}]})
    async with lsp_session(root, profile="neovim", initialization_options=brains_options(fake_ollama.url)) as client:
        await wait_index_end(client)
        editor = Editor(client, (root / "big.py").as_uri(), BIG).open()

        async def explain(name: str) -> dict:
            return await command(client, "mycoder.explain", {"uri": editor.uri, "position": pos(_line_of(name))},
                                 timeout=60)

        assert (await explain("summarise"))["kind"] == "explanation"
        assert (await explain("small_total"))["kind"] == "explanation"
        large, small = fake_ollama.chats()
        budget = prompt_budget(WINDOW, REASONING_MAX_TOKENS)
        for sent in (large, small):
            assert sent.model == REASONING
            assert sent.body["options"]["num_ctx"] == WINDOW  # the same on every call: Ollama never reloads
            assert estimate_tokens(sent.body["messages"]) <= budget
        assert _function("summarise", 40).rstrip() in large.last_user  # the code itself is never trimmed
        assert len(large.last_user) != len(small.last_user)
        assert _origins(large.last_user), "some context still goes along"

        # Code that cannot fit even alone: refused, saying the sizes and what to raise; no model call.
        refused = await command(client, "mycoder.review", {"uri": editor.uri, "symbol": "huge_report"}, timeout=60)
        assert refused["kind"] == "refused", refused
        assert re.search(rf"about \d+ tokens, but the {WINDOW}-token window of {re.escape(REASONING)} leaves "
                         rf"{budget} for it after {REASONING_MAX_TOKENS} for the answer", refused["message"])
        assert "brains.reasoning.num_ctx" in refused["message"]
        assert len(fake_ollama.chats()) == 2
        assert any("huge_report" in m.message and "num_ctx" in m.message for m in client.messages)

        # A server that counts the whole window as prompt cut it: the user is told.
        told = await explain("tail_total")
        assert told["kind"] == "explanation"
        assert "the model server cut the prompt" in told["text"] and "brains.reasoning.num_ctx" in told["text"]
        assert [r.body["options"]["num_ctx"] for r in fake_ollama.chats()] == [WINDOW] * 3
        assert len([r for r in fake_ollama.requests if r.path == "/api/show"]) == 1

    # The same request with room to spare carries more context: the small window's
    # prompt lost its lowest-ranked pieces, and kept the best in their order.
    trimmed = _origins(large.last_user)
    roomy = await _explain_summarise(root, fake_ollama, num_ctx=32768)
    whole = [o for o in trimmed if not o.endswith(", cut short")]
    assert len(whole) < len(roomy)
    assert [o.removesuffix(", cut short") for o in trimmed] == roomy[:len(trimmed)]
