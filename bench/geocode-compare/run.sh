#!/usr/bin/env bash
# Point -> grid throughput: grid::Geocoder vs PostGIS ST_Contains (GiST) vs Shapely 2 STRtree.
# Run by hand, not in CI:  bench/geocode-compare/run.sh [N_POINTS] [demo|city]
# Needs: PostgreSQL at 127.0.0.1:5432 (trust, user root, database test; override with
# BENCH_PG_DSN) with the PostGIS 3 package installed (Debian postgresql-15-postgis-3; the
# extension is created in schema bench_geo and dropped again), python3 (a venv with shapely,
# numpy and psycopg2-binary is created under /tmp/venv-geo if missing).
set -euo pipefail
N=${1:-1000000}
SCALE=${2:-city}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/geocode-compare}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/target-grid}
VENV=${VENV:-/tmp/venv-geo}

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q shapely numpy psycopg2-binary
fi
if ! psql "${BENCH_PG_DSN:-host=127.0.0.1 port=5432 user=root dbname=test}" -Atc \
    "select 1 from pg_available_extensions where name='postgis'" | grep -q 1; then
  echo "PostGIS is not installed: apt-get install -y postgresql-15-postgis-3" >&2
  exit 2
fi

(cd "$ROOT" && cargo run --release -q -p grid --example geocode_export -- "$OUT" "$N" "$SCALE")
"$VENV/bin/python" "$ROOT/bench/geocode-compare/compare.py" "$OUT"
