-- Supervision: the alarm lifecycle, muck-truck permits, MQTT sensors, AI cameras, garbage
-- collection points and transfer stations.
-- Keep in step with ../postgres/0004_supervision.sql.

-- The lifecycle raised → acknowledged → linked (case) → cleared, and the class a case is filed in.
ALTER TABLE alarms ADD COLUMN class_code TEXT;
ALTER TABLE alarms ADD COLUMN acknowledged_by INTEGER;
ALTER TABLE alarms ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE alarms ADD COLUMN cleared_by INTEGER;
ALTER TABLE alarms ADD COLUMN note TEXT;
-- How many times the rule re-raised while the alarm was open (deduplicated repeats).
ALTER TABLE alarms ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
CREATE INDEX alarms_source ON alarms(source_kind, source_id, raised_at);
CREATE INDEX alarms_case ON alarms(case_id);

-- Every step of every alarm (who, when, why).
CREATE TABLE alarm_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_id  INTEGER NOT NULL REFERENCES alarms(id),
    action    TEXT NOT NULL,
    actor_id  INTEGER,
    note      TEXT,
    at        INTEGER NOT NULL
);
CREATE INDEX alarm_events_alarm ON alarm_events(alarm_id, id);

-- 渣土处置核准: the permit body (sites, corridor, windows, vehicles) is JSON.
CREATE TABLE permits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    number      TEXT NOT NULL UNIQUE,
    company     TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT NOT NULL,
    body        TEXT NOT NULL,
    revoked_at  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- MQTT sensors (manhole covers, bins, waterlogging points, generic numeric sensors).
CREATE TABLE sensors (
    sensor_id    TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    lat          REAL,
    lon          REAL,
    grid_code    TEXT,
    config       TEXT NOT NULL,
    last_seen_at INTEGER,
    created_at   INTEGER NOT NULL
);

CREATE TABLE sensor_readings (
    sensor_id   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX sensor_readings_series ON sensor_readings(sensor_id, at);

-- AI cameras and the events their analytics post.
CREATE TABLE cameras (
    camera_id     TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    lat           REAL NOT NULL,
    lon           REAL NOT NULL,
    grid_code     TEXT,
    direction_deg REAL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE camera_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id     TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    confidence    REAL NOT NULL,
    at            INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    attachment_id INTEGER,
    alarm_id      INTEGER,
    decision      TEXT NOT NULL
);
CREATE INDEX camera_events_camera ON camera_events(camera_id, at);

-- Garbage collection points (by waste category) and transfer stations 垃圾中转站.
CREATE TABLE collection_points (
    point_id  TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    category  TEXT NOT NULL,
    lat       REAL NOT NULL,
    lon       REAL NOT NULL,
    grid_code TEXT
);

CREATE TABLE transfer_stations (
    station_id  TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    radius_m    REAL NOT NULL,
    capacity_t  REAL,
    grid_code   TEXT
);

-- Daily tonnage in and out (日产日清: what came in leaves the same day).
CREATE TABLE station_tonnage (
    station_id  TEXT NOT NULL,
    day         TEXT NOT NULL,
    in_t        REAL NOT NULL,
    out_t       REAL NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (station_id, day)
);
