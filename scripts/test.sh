#!/usr/bin/env bash
# Install everything the tests need — the package into ./.venv, and the real
# editors the editor tests drive (Debian's Neovim plus Neovim 0.11 from PyPI;
# code-server, Node 24 and Chromium for VS Code) — then run the whole suite.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
bash editors/neovim/test/setup.sh
bash editors/vscode/test/setup.sh
.venv/bin/python -m pytest "$@"
