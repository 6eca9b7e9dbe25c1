-- City model (GB/T 30428.1 unit grids, GB/T 47678.5 components): outlines of areas and grids,
-- roads with their road chiefs 路长, management components 部件, and each case's nearest road.
-- Geometry is GeoJSON `coordinates` text in WGS-84 degrees ([lon, lat] positions).
-- Keep in step with ../postgres/0002_city.sql.

ALTER TABLE areas ADD COLUMN geometry TEXT;
CREATE INDEX areas_level ON areas(level, code);

CREATE TABLE roads (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    class      TEXT NOT NULL,
    chief_id   INTEGER REFERENCES users(id),
    length_m   REAL NOT NULL,
    geometry   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX roads_chief ON roads(chief_id);

CREATE TABLE components (
    id                         TEXT PRIMARY KEY,
    class_code                 TEXT NOT NULL,
    status                     TEXT NOT NULL,
    owner_department_type      TEXT NOT NULL,
    maintainer_department_type TEXT NOT NULL,
    lon                        REAL NOT NULL,
    lat                        REAL NOT NULL,
    grid_code                  TEXT NOT NULL REFERENCES areas(code),
    updated_at                 INTEGER NOT NULL
);
CREATE INDEX components_grid ON components(grid_code);

ALTER TABLE cases ADD COLUMN road_id TEXT;
