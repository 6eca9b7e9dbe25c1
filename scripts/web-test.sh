#!/usr/bin/env bash
# Web UI tests: install (`npm install` from the lock file: `npm ci` trips over npm 11 dropping
# other platforms' optional packages from the lock on this machine), type-check/build, vitest, and the Chromium end-to-end walk of the loop.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  echo "installing Debian chromium (and CJK fonts) for the browser tests"
  apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium fonts-noto-cjk >/dev/null; }
fi
npm --prefix web install --no-audit --no-fund
npm --prefix web run build
npm --prefix web test
cargo build -p yiwang --locked
YIWANG_BIN="$PWD/target/debug/yiwang" npm --prefix web run e2e
