"""What the server imports to start, and what it leaves for later.

Spawn → first diagnostics was 1.65× a bare pygls server (660 vs 400 ms of
CPU), mostly imports the first diagnostics never use: numpy and the vault
(opened in a thread after start), the request flow (first needed by a hover
or a command). A fresh interpreter shows what ``create_server`` pulls in.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Never needed before the first diagnostics: each one is imported by the thread
# that opens the vault, or by the warm-up after the first publish (server/app.py).
LATER = ("numpy", "mycoder_lsp.memory.vault", "mycoder_lsp.memory.store", "mycoder_lsp.brains.orchestrator",
         "mycoder_lsp.brains.consequences",
         "mycoder_lsp.brains.router")

PROBE = """
import json, sys
from mycoder_lsp.server.app import create_server
create_server()
print(json.dumps({"loaded": sorted(sys.modules)}))
"""


def _probe() -> dict[str, list[str]]:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_creating_the_server_leaves_the_vault_and_the_request_flow_for_later():
    found = _probe()
    early = [name for name in LATER if name in found["loaded"]]
    assert early == [], f"imported before the first diagnostics: {early}"
    # What the start does need is there: the validation the first diagnostics come from.
    assert "mycoder_lsp.validation.pipeline" in found["loaded"]

