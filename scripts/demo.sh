#!/usr/bin/env bash
# Builds everything and runs the demo district on the embedded store (./data/yiwang.db).
# Extra arguments go to `yiwang demo` (e.g. --listen 0.0.0.0:8080, --pace 60).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f web/package.json ]; then
  [ -d web/node_modules ] || npm --prefix web install --no-audit --no-fund
  npm --prefix web run build
fi
cargo build --release -p yiwang
exec ./target/release/yiwang demo "$@"
