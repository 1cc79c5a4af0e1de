"""Fixtures of the editor tests: every Neovim found.

``nvim`` runs a test once per Neovim: Debian's ``nvim`` (0.7.2) and, when
``editors/neovim/test/setup.sh`` installed it, a 0.11 from PyPI. Outside CI
a missing ``nvim`` skips; in CI (``CI=true``) it fails, so the Neovim tests
can never silently vanish.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Where editors/neovim/test/setup.sh puts the newer Neovim (see there).
NEWER_NVIM_HOME = Path(os.environ.get("MYCODER_NVIM_HOME", Path.home() / ".cache" / "mycoder-lsp" / "nvim-0.11"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _nvims() -> list[pytest.param]:
    newer = NEWER_NVIM_HOME / "bin" / "nvim"
    return [
        pytest.param(("system", shutil.which("nvim")), id="nvim-system"),
        pytest.param(("newer", str(newer) if newer.exists() else None), id="nvim-0.11"),
    ]


@pytest.fixture(params=_nvims())
def nvim(request: pytest.FixtureRequest) -> str:
    kind, path = request.param
    if path is None:
        if kind == "system":
            reason = "nvim is not installed: run editors/neovim/test/setup.sh (apt-get install -y neovim)"
            if _in_ci():
                pytest.fail(f"{reason} — CI must run the Neovim tests", pytrace=False)
        else:
            reason = f"no newer Neovim at {NEWER_NVIM_HOME}: run editors/neovim/test/setup.sh"
        pytest.skip(reason)
    return path
