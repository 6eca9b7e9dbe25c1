#!/usr/bin/env bash
# Startup time on an empty store: from exec of `yiwang serve` to the first successful
# /api/health, over N runs, each on a fresh SQLite file (migrations + first-start seeding included).
set -euo pipefail
BIN=${YIWANG_BIN:-target/release/yiwang}
RUNS=${RUNS:-10}
PORT=${PORT:-18555}
for i in $(seq 1 "$RUNS"); do
  dir=$(mktemp -d)
  start=$(date +%s%N)
  "$BIN" serve --listen 127.0.0.1:$PORT --database "sqlite://$dir/y.db" >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1; do sleep 0.005; done
  end=$(date +%s%N)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  echo "run $i: $(( (end - start) / 1000000 )) ms"
done
