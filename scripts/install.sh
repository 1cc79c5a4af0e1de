#!/usr/bin/env bash
# Install mycoder-lsp into ./.venv and run its main job (check this checkout).
# Usage: bash scripts/install.sh [PATH...]   (default: the current directory)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python3 -m venv "$here/.venv"
"$here/.venv/bin/python" -m pip install --quiet --upgrade pip
"$here/.venv/bin/python" -m pip install --quiet -e "$here"
echo "installed: $here/.venv/bin/mycoder-lsp ($("$here/.venv/bin/mycoder-lsp" --version))"
"$here/.venv/bin/mycoder-lsp" check "${@:-.}" || true
