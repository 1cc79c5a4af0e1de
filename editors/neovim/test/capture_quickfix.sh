#!/usr/bin/env bash
# Capture Neovim's quickfix list with MyCoder's diagnostics for the README:
# runs nvim (the plugin from this checkout) in a detached tmux session on a
# small demo workspace, runs :MyCoderQuickfix and writes
#   docs/screenshots/neovim-quickfix.txt   (tmux capture-pane, plain text)
#   docs/screenshots/neovim-quickfix.png   (rendered with ImageMagick, if present)
# Usage: bash editors/neovim/test/capture_quickfix.sh [path/to/nvim]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
nvim="${1:-nvim}"
out="$here/docs/screenshots"
python="${PYTHON:-$here/.venv/bin/python}"
mkdir -p "$out"
work="$(mktemp -d)"
session="mycoder-capture-$$"
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/demo" "$work/home"
touch "$work/demo/pyproject.toml"
cat > "$work/demo/app.py" <<'PY'
import os
import json


def load_settings(path):
    with open(path) as f:
        return json.load(f)


def total(items):
    pass


def run(command):
    return eval(command)


def summary(orders):
    return f"{len(orders)} orders, {sum(o.amount for o in orders)} total, mostly {orders[0].customer_name_long}"
PY
cat > "$work/demo/util.py" <<'PY'
def parse(line:
    return line.split(",")
PY
cat > "$work/init.lua" <<LUA
dofile("$here/editors/neovim/test/minimal_init.lua")
vim.opt.termguicolors = false
vim.opt.number = true
require("mycoder").setup({ cmd = { "$python", "-m", "mycoder_lsp" }, quickfix = { auto = true } })
LUA

HOME="$work/home" tmux new-session -d -s "$session" -x 118 -y 34 -c "$work/demo" \
  "HOME='$work/home' '$nvim' -u '$work/init.lua' -c 'edit util.py' -c 'edit app.py'"
# Wait for both files' diagnostics (the server starts, validates, publishes).
for _ in $(seq 1 60); do
  sleep 0.5
  tmux send-keys -t "$session" Escape ":MyCoderQuickfix" Enter
  sleep 0.3
  if tmux capture-pane -t "$session" -p | grep -q "util.py.*MC101" \
     && tmux capture-pane -t "$session" -p | grep -q "MC502"; then
    break
  fi
done
tmux send-keys -t "$session" Escape ":echo ''" Enter
sleep 0.3
tmux capture-pane -t "$session" -p > "$out/neovim-quickfix.txt"
echo "wrote $out/neovim-quickfix.txt"
tmux capture-pane -t "$session" -p -e > "$work/capture.ansi"
# The PNG: the same capture with its colours, as HTML, shot by headless Chromium.
chromium_bin="$(command -v chromium || command -v chromium-browser || true)"
if [ -n "$chromium_bin" ]; then
  "$python" - "$work/capture.ansi" "$work/capture.html" <<'PY'
import html, re, sys
# xterm's 16 colours, then the 256-colour cube and greys.
base = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
        "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]
cube = [0, 95, 135, 175, 215, 255]
def colour(n):
    if n < 16:
        return base[n]
    if n < 232:
        n -= 16
        return "#%02x%02x%02x" % (cube[n // 36], cube[n // 6 % 6], cube[n % 6])
    g = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (g, g, g)
out, fg, bg, bold, rev = [], None, None, False, False
for part in re.split(r"(\x1b\[[0-9;]*m)", open(sys.argv[1], encoding="utf-8").read()):
    m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
    if not m:
        if part:
            f, b = (bg or "#1e1e1e", fg or "#d4d4d4") if rev else (fg, bg)
            style = (f"color:{f};" if f else "") + (f"background:{b};" if b else "") + ("font-weight:bold;" if bold else "")
            out.append(f'<span style="{style}">{html.escape(part)}</span>')
        continue
    codes = [int(c) if c else 0 for c in m.group(1).split(";")]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0: fg, bg, bold, rev = None, None, False, False
        elif c == 1: bold = True
        elif c == 7: rev = True
        elif c == 22: bold = False
        elif c == 27: rev = False
        elif 30 <= c <= 37: fg = base[c - 30]
        elif 90 <= c <= 97: fg = base[c - 90 + 8]
        elif 40 <= c <= 47: bg = base[c - 40]
        elif 100 <= c <= 107: bg = base[c - 100 + 8]
        elif c == 39: fg = None
        elif c == 49: bg = None
        elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
            if c == 38: fg = colour(codes[i + 2])
            else: bg = colour(codes[i + 2])
            i += 2
        elif c in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
            value = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
            if c == 38: fg = value
            else: bg = value
            i += 4
        i += 1
page = ('<html><body style="margin:0;background:#1e1e1e"><pre style="margin:12px;color:#d4d4d4;'
        'font:14px/1.25 DejaVu Sans Mono, monospace">' + "".join(out) + "</pre></body></html>")
open(sys.argv[2], "w", encoding="utf-8").write(page)
PY
  "$chromium_bin" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/chromium" \
    --window-size=1030,610 --screenshot="$out/neovim-quickfix.png" "file://$work/capture.html" >/dev/null 2>&1 \
    && echo "wrote $out/neovim-quickfix.png"
fi
