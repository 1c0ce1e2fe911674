#!/usr/bin/env bash
# End-to-end test (docs/e2e.md): package the VSIX, install it into a code-server with fresh dirs
# bound to 127.0.0.1, drive it with Debian chromium (test/e2e/drive.mjs), stop code-server by PID.
# Needs test/e2e/setup.sh first. Artifacts in test-results/e2e/. Exit code = result.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD; E2E=${E2E_HOME:-$ROOT/.e2e}
OUT=${E2E_OUT:-$ROOT/test-results/e2e}; rm -rf "$OUT"; mkdir -p "$OUT"
RUN=$(mktemp -d "${TMPDIR:-/tmp}/sw-e2e-XXXXXX")   # short: unix socket paths live under it
mkdir -p "$RUN/ud/User" "$RUN/ext" "$RUN/ws" "$RUN/xdg" "$RUN/t"
cp test/e2e/fixtures/* "$RUN/ws/"
node test/e2e/long-file.mjs "$RUN/ws/inventory.ts"   # the Ask case's long file (≥ 2,000 lines)
# User/ holds the window settings; machine-scoped ones (statewise.engine.*) are read from Machine/.
mkdir -p "$RUN/ud/Machine"
cp test/e2e/settings.json "$RUN/ud/User/settings.json"; cp test/e2e/settings.json "$RUN/ud/Machine/settings.json"
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$RUN/config.yaml"

T0=$SECONDS
npm run -s package >"$RUN/package.log" 2>&1 || { tail -20 "$RUN/package.log"; exit 1; }
echo "[e2e] packaged $(du -m statewise-linux-x64.vsix | cut -f1) MB in $((SECONDS - T0)) s"
CS=("$E2E/node/bin/node" "$E2E/cs/node_modules/code-server/out/node/entry.js" --config "$RUN/config.yaml"
    --user-data-dir "$RUN/ud" --extensions-dir "$RUN/ext")
# keep code-server's config, logs, sockets and temp files out of $HOME and /tmp
export XDG_CONFIG_HOME=$RUN/xdg XDG_DATA_HOME=$RUN/xdg
TMPDIR=$RUN/t "${CS[@]}" --install-extension statewise-linux-x64.vsix >"$RUN/install-ext.log" 2>&1 \
  || { cat "$RUN/install-ext.log"; exit 1; }
TMPDIR=$RUN/t "${CS[@]}" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override "$RUN/ws" >"$RUN/cs.log" 2>&1 &
CS_PID=$!
cleanup() { kill "$CS_PID" 2>/dev/null || true; wait "$CS_PID" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 300); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

set +e
CS_URL="http://127.0.0.1:$PORT/?folder=$RUN/ws" WS="$RUN/ws" OUT_DIR="$OUT" CHROMIUM_PROFILE="$RUN/chromium" USER_SETTINGS="$RUN/ud/User/settings.json" \
  node test/e2e/drive.mjs
rc=$?
set -e
cleanup; trap - EXIT
cp "$RUN/cs.log" "$RUN/install-ext.log" "$OUT/" 2>/dev/null || true
cp -r "$RUN/ud/logs" "$OUT/vscode-logs" 2>/dev/null || true   # exthost*/statewise.statewise/Statewise.log: the extension's output
[ "$rc" = 0 ] && [ -z "${E2E_KEEP:-}" ] && rm -rf "$RUN"
echo "[e2e] screenshots and logs in ${OUT#"$ROOT/"}"
cat "$OUT/summary.txt" 2>/dev/null || echo "e2e: 0 passed, 1 failed"   # the driver's result line, last
exit $rc
