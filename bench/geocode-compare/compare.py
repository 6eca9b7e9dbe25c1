#!/usr/bin/env python3
"""Point -> unit grid: yiwang's grid::Geocoder vs PostGIS ST_Contains (GiST) vs Shapely 2 STRtree.

Run by hand through run.sh (not in CI). Reads the files written by
`cargo run --release -p grid --example geocode_export -- DIR N`:
grids.tsv (idx, code, wkt), points.tsv (id, lon, lat), ours.tsv (id, idx), ours.json.

All three answer the same question for the same points, one core each:
  - ours:    best of 5 passes of Geocoder::grid_at over all points (in-process Rust).
  - PostGIS: one server-side spatial join, points LEFT JOIN grids ON ST_Contains(grid, point),
             GiST index on the grids, parallel workers off; loading time excluded.
  - Shapely: STRtree.query(points, predicate="within") over all points at once (vectorised
             GEOS); tree build time excluded.
Every point's answer must agree (grid index or none), else the script exits 1.
"""

import csv
import io
import json
import os
import sys
import time

import numpy as np
import psycopg2
import shapely
from shapely import STRtree

DIR = sys.argv[1] if len(sys.argv) > 1 else "/tmp/geocode-compare"
DSN = os.environ.get("BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=root dbname=test")
SCHEMA = "bench_geo"


def read_tsv(name):
    with open(os.path.join(DIR, name), newline="") as f:
        r = csv.reader(f, delimiter="\t")
        next(r)
        return list(r)


def main():
    ours_meta = json.load(open(os.path.join(DIR, "ours.json")))
    grids = read_tsv("grids.tsv")
    points = read_tsv("points.tsv")
    ours = np.array([int(r[1]) for r in read_tsv("ours.tsv")], dtype=np.int64)
    n = len(points)
    lon = np.array([float(p[1]) for p in points])
    lat = np.array([float(p[2]) for p in points])
    print(f"{len(grids)} grids, {n} points ({int((ours >= 0).sum())} inside a grid)")

    # ---- Shapely 2 STRtree -------------------------------------------------------------
    t = time.perf_counter()
    geoms = shapely.from_wkt([g[2] for g in grids])
    tree = STRtree(geoms)
    pts = shapely.points(lon, lat)
    shapely_build = time.perf_counter() - t
    t = time.perf_counter()
    pairs = tree.query(pts, predicate="within")
    shapely_s = time.perf_counter() - t
    shp = np.full(n, -1, dtype=np.int64)
    multi_shp = 0
    for pi, gi in zip(pairs[0], pairs[1]):
        if shp[pi] >= 0:
            multi_shp += 1
        shp[pi] = gi

    # ---- PostGIS ST_Contains with a GiST index -----------------------------------------
    conn = psycopg2.connect(DSN)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    cur.execute(f"CREATE SCHEMA {SCHEMA}")
    created_ext = False
    cur.execute("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'postgis'")
    row = cur.fetchone()
    if row is None:
        cur.execute(f"CREATE EXTENSION postgis SCHEMA {SCHEMA}")
        created_ext = True
        ext_schema = SCHEMA
    else:
        ext_schema = row[0]
    cur.execute(f"SET search_path = {SCHEMA}, {ext_schema}, public")
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("SET work_mem = '256MB'")
    try:
        t = time.perf_counter()
        cur.execute(f"CREATE TABLE {SCHEMA}.bench_geo_grids (idx int PRIMARY KEY, geom geometry(MultiPolygon, 4326))")
        buf = io.StringIO()
        for g in grids:
            buf.write(f"{g[0]}\tSRID=4326;{g[2]}\n")
        buf.seek(0)
        cur.copy_expert(f"COPY {SCHEMA}.bench_geo_grids (idx, geom) FROM STDIN", buf)
        cur.execute(f"CREATE INDEX bench_geo_grids_gist ON {SCHEMA}.bench_geo_grids USING gist (geom)")
        cur.execute(f"CREATE TABLE {SCHEMA}.bench_geo_points (id int PRIMARY KEY, geom geometry(Point, 4326))")
        buf = io.StringIO()
        for p in points:
            buf.write(f"{p[0]}\tSRID=4326;POINT({p[1]} {p[2]})\n")
        buf.seek(0)
        cur.copy_expert(f"COPY {SCHEMA}.bench_geo_points (id, geom) FROM STDIN", buf)
        cur.execute(f"ANALYZE {SCHEMA}.bench_geo_grids")
        cur.execute(f"ANALYZE {SCHEMA}.bench_geo_points")
        pg_load = time.perf_counter() - t
        t = time.perf_counter()
        cur.execute(
            f"CREATE TABLE {SCHEMA}.bench_geo_result AS "
            f"SELECT p.id, g.idx FROM {SCHEMA}.bench_geo_points p "
            f"LEFT JOIN {SCHEMA}.bench_geo_grids g ON ST_Contains(g.geom, p.geom)"
        )
        pg_s = time.perf_counter() - t
        cur.execute(f"SELECT id, idx FROM {SCHEMA}.bench_geo_result")
        pg = np.full(n, -1, dtype=np.int64)
        multi_pg = 0
        seen = np.zeros(n, dtype=bool)
        for pid, gidx in cur.fetchall():
            if seen[pid]:
                multi_pg += 1
            seen[pid] = True
            if gidx is not None:
                pg[pid] = gidx
    finally:
        # Our tables and (when we created it) the extension all live in schema bench_geo.
        cur.execute("RESET search_path")
        cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        if created_ext:
            cur.execute("DROP EXTENSION IF EXISTS postgis")
        conn.close()

    # ---- Compare -----------------------------------------------------------------------
    ours_s = ours_meta["lookup_s"]
    rate = lambda s: n / s
    diff_pg = int((ours != pg).sum())
    diff_shp = int((ours != shp).sum())
    print(f"ours     : {rate(ours_s):>12,.0f} points/s  (lookup {ours_s:.3f} s; index build {ours_meta['build_s']:.3f} s)")
    print(f"PostGIS  : {rate(pg_s):>12,.0f} points/s  (join {pg_s:.3f} s; load + GiST {pg_load:.1f} s)")
    print(f"Shapely 2: {rate(shapely_s):>12,.0f} points/s  (query {shapely_s:.3f} s; parse + STRtree {shapely_build:.1f} s)")
    print(f"ratio ours/PostGIS = {pg_s / ours_s:.1f}x (goal >= 20x), ours/Shapely = {shapely_s / ours_s:.1f}x (goal >= 5x)")
    print(f"answers differing from ours: PostGIS {diff_pg}, Shapely {diff_shp}; "
          f"points in several grids: PostGIS {multi_pg}, Shapely {multi_shp}")
    if diff_pg or diff_shp or multi_pg or multi_shp:
        bad = np.nonzero((ours != pg) | (ours != shp))[0][:10]
        for i in bad:
            print(f"  point {i} ({lon[i]!r}, {lat[i]!r}): ours {ours[i]}, PostGIS {pg[i]}, Shapely {shp[i]}")
        sys.exit(1)
    print("all three agree on every point")


if __name__ == "__main__":
    main()
