-- City model (GB/T 30428.1 unit grids, GB/T 47678.5 components): outlines of areas and grids,
-- roads with their road chiefs 路长, management components 部件, and each case's nearest road.
-- Geometry is GeoJSON `coordinates` text in WGS-84 degrees ([lon, lat] positions).
-- Keep in step with ../sqlite/0002_city.sql.

ALTER TABLE areas ADD COLUMN geometry TEXT;
CREATE INDEX areas_level ON areas(level, code);

CREATE TABLE roads (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    class      TEXT NOT NULL,
    chief_id   BIGINT REFERENCES users(id),
    length_m   DOUBLE PRECISION NOT NULL,
    geometry   TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX roads_chief ON roads(chief_id);

CREATE TABLE components (
    id                         TEXT PRIMARY KEY,
    class_code                 TEXT NOT NULL,
    status                     TEXT NOT NULL,
    owner_department_type      TEXT NOT NULL,
    maintainer_department_type TEXT NOT NULL,
    lon                        DOUBLE PRECISION NOT NULL,
    lat                        DOUBLE PRECISION NOT NULL,
    grid_code                  TEXT NOT NULL REFERENCES areas(code),
    updated_at                 BIGINT NOT NULL
);
CREATE INDEX components_grid ON components(grid_code);

ALTER TABLE cases ADD COLUMN road_id TEXT;
