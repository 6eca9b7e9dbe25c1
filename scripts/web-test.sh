#!/usr/bin/env bash
# Web UI tests: install, type-check/build, vitest, and the Chromium end-to-end walk of the loop.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "installing Debian chromium for the browser tests"; apt-get install -y -q chromium >/dev/null; }
npm --prefix web ci --no-audit --no-fund
npm --prefix web run build
npm --prefix web test
cargo build -p yiwang --locked
YIWANG_BIN="$PWD/target/debug/yiwang" npm --prefix web run e2e
