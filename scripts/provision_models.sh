#!/usr/bin/env bash
# Provision llama.cpp's llama-server and the Qwen2.5-Coder GGUF weights for the
# real-model tests into ${MYCODER_MODEL_CACHE:-~/.cache/mycoder-lsp/models}.
# Usage: bash scripts/provision_models.sh [--check] [--model 0.5b|1.5b] [--no-engine] [--jobs N]
# See scripts/provision_models.py for what it does and its exit codes.
set -euo pipefail
exec python3 -B "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/provision_models.py" "$@"
