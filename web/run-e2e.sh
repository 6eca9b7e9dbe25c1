#!/usr/bin/env bash
# Runs the browser end-to-end test (web/e2e) against a fresh `yiwang demo --pace 0`.
#   YIWANG_BIN      the yiwang binary (default: target/debug/yiwang, relative to the repo root)
#   YIWANG_E2E_URL  use an already running server instead of starting one
#   CHROMIUM        the browser (default: /usr/bin/chromium; Debian package `chromium`)
set -euo pipefail
web="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$web/.." && pwd)"

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "run-e2e: $CHROMIUM not found; install it with: apt-get install -y chromium fonts-noto-cjk" >&2
  exit 1
fi

if [ -z "${YIWANG_E2E_URL:-}" ]; then
  bin="${YIWANG_BIN:-target/debug/yiwang}"
  case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
  if [ ! -x "$bin" ]; then
    echo "run-e2e: no yiwang binary at $bin; build it first (cargo build -p yiwang) or set YIWANG_BIN" >&2
    exit 1
  fi
  export YIWANG_BIN="$bin"
  # A debug binary serves web/dist from disk; a release binary embeds what was built before it.
  if [ ! -f "$web/dist/index.html" ]; then
    echo "run-e2e: building the UI first" >&2
    npm --prefix "$web" run build
  fi
fi

cd "$web"
exec node --test --test-concurrency=1 --test-reporter=spec e2e/flow.test.mjs e2e/screens.test.mjs e2e/citizen.test.mjs e2e/intake.test.mjs
