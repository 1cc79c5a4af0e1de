"""A file bigger than the model's window, against a real llama-server whose
window is small (``--ctx-size 1024``).

Before the prompt was sized, a request carrying a long file or much
retrieved context went out whole and llama-server refused it with HTTP 400
(``exceed_context_size_error``). Now an explanation of one function in that
file answers, with the retrieved context trimmed to fit, and an explanation
of the whole file is refused before any call, with a message that names the
sizes and what to raise. What any answer must satisfy is asserted, never
its words.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.e2e.lsp_session import lsp_session
from tests.e2e.test_vault import wait_index_end
from tests.realmodel.llama_server import DEADLINE, LlamaServer, brain_options, run_llama_server
from tests.support.brain_lsp import Editor, command, pos

pytestmark = pytest.mark.realmodel

WINDOW = 1024
MODEL = "0.5b"


def _function(index: int) -> str:
    return (f"def scale_{index}(values, factor={index}):\n"
            f'    """Multiply every value by {index} and drop the negative ones."""\n'
            f"    kept = []\n"
            f"    for value in values:\n"
            f"        if value is None or value < 0:\n"
            f"            continue  # negative readings are sensor faults\n"
            f"        scaled = value * factor\n"
            f"        if scaled > 1_000_000:\n"
            f"            scaled = 1_000_000  # the display cannot show more\n"
            f"        kept.append(scaled)\n"
            f"    return sorted(kept)\n")


# 60 functions of about 130 tokens: the file is ten times the window, and
# the vault offers more context around one function than the window holds.
DOC = '"""Scaling helpers."""\n\n\n' + "\n\n".join(_function(i) for i in range(60))


@pytest.fixture
def small_window_server(provisioning: ModuleType, tmp_path: Path) -> Iterator[LlamaServer]:
    try:
        root = provisioning.cache_root()
    except provisioning.ProvisionError as exc:
        pytest.skip(str(exc))
    engine, weights = provisioning.engine_status(root), provisioning.model_status(root, MODEL)
    missing = [f"{s.what}: {s.problem}" for s in (engine, weights) if not s.ready]
    if missing:
        pytest.skip(f"real model {MODEL} not provisioned ({'; '.join(missing)}) — run "
                    f"`{provisioning.PROVISION_COMMAND} --model {MODEL}`")
    threads = int(os.environ.get("MYCODER_LLAMA_THREADS") or 2)
    with run_llama_server(engine.path, weights.path, alias=f"qwen2.5-coder-{MODEL}", log=tmp_path / "llama.log",
                          threads=threads, context=WINDOW) as server:
        yield server


async def test_a_file_bigger_than_the_window_is_explained_in_part_or_refused_clearly(
        tmp_path: Path, small_window_server: LlamaServer) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".git").mkdir()
    (root / "scaling.py").write_text(DOC)
    options = brain_options(small_window_server, reasoning_max_tokens=96)
    async with lsp_session(root, profile="vscode", initialization_options=options) as client:
        await wait_index_end(client)  # the vault has the other functions to offer as context
        editor = Editor(client, (root / "scaling.py").as_uri(), DOC).open()
        line = DOC.splitlines().index("def scale_30(values, factor=30):")

        explained = await command(client, "mycoder.explain", {"uri": editor.uri, "position": pos(line + 2, 6)},
                                  timeout=DEADLINE)
        assert explained["kind"] == "explanation", explained
        assert explained["target"] == "scale_30"
        assert len(explained["text"].split()) >= 5, explained
        assert "cut the prompt" not in explained["text"]

        whole = await command(client, "mycoder.explain", {"uri": editor.uri}, timeout=DEADLINE)
        assert whole["kind"] == "refused", whole
        message = whole["message"]
        assert f"the {WINDOW}-token window" in message and "--ctx-size" in message, message
        assert "HTTP 400" not in message
