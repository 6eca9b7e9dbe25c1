#!/usr/bin/env bash
# The whole test suite: Rust (unit, property, store story on SQLite + PostgreSQL, HTTP
# integration, demo smoke test) and, when the web UI is present, its vitest and real-browser
# end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/services.sh
# The PostgreSQL suites must really run here: their absence is a failure, not a skip.
export YIWANG_REQUIRE_PG="${YIWANG_REQUIRE_PG:-1}"
cargo test --workspace --locked
if [ -f web/package.json ]; then
  ./scripts/web-test.sh
fi
