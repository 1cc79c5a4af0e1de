"""The Neovim health check's defaults are the server's.

``:checkhealth mycoder`` probes the brains' servers for the models that
``setup()`` did not set, using defaults of its own (Lua cannot ask the server
before it runs). This holds those defaults to ``mycoder_lsp.config``, the one
place they live, so a changed default model or URL cannot leave the health
check probing for a model the server no longer uses. Needs no editor.
"""

from __future__ import annotations

import re
from pathlib import Path

from mycoder_lsp.config import DEFAULT_OLLAMA_URL, Settings

HEALTH_LUA = Path(__file__).resolve().parents[2] / "editors" / "neovim" / "lua" / "mycoder" / "health.lua"


def _lua_table(source: str, name: str) -> dict[str, str]:
    body = re.search(rf"local {name} = \{{(.*?)\n\}}", source, re.S)
    assert body, f"{name} not found in {HEALTH_LUA}"
    return dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', body.group(1)))


def test_health_default_models_are_the_servers() -> None:
    source = HEALTH_LUA.read_text("utf-8")
    brains = Settings().brains
    expected = {name: getattr(brains, name).model for name in ("organizer", "coding", "reasoning", "completion")}
    assert _lua_table(source, "DEFAULT_MODELS") == expected


def test_health_default_url_is_the_servers() -> None:
    source = HEALTH_LUA.read_text("utf-8")
    url = re.search(r'local DEFAULT_URL = "([^"]*)"', source)
    assert url, f"DEFAULT_URL not found in {HEALTH_LUA}"
    assert url.group(1) == DEFAULT_OLLAMA_URL
    assert all(getattr(Settings().brains, n).url == DEFAULT_OLLAMA_URL for n in ("organizer", "coding", "reasoning"))
