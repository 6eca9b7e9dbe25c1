-- Devices (JT/T 808 vehicles, HJ 212 monitors), their data, and alarms raised from it.
-- Keep in step with ../postgres/0003_devices.sql.

CREATE TABLE vehicles (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    plate             TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL,
    company           TEXT,
    phone             TEXT UNIQUE,
    terminal_id       TEXT,
    auth_code         TEXT,
    registered_at     INTEGER,
    last_seen_at      INTEGER,
    last_fix_at       INTEGER,
    last_lat          REAL,
    last_lon          REAL,
    last_speed_kmh    REAL,
    last_heading      INTEGER,
    last_grid_code    TEXT,
    created_at        INTEGER NOT NULL
);

-- Append-only track (no foreign key: the hot path checks the vehicle through the registry).
CREATE TABLE vehicle_positions (
    vehicle_id  INTEGER NOT NULL,
    fix_at      INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    speed_kmh   REAL NOT NULL,
    heading     INTEGER NOT NULL,
    altitude_m  INTEGER NOT NULL,
    alarm       INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    mileage_m   INTEGER,
    grid_code   TEXT,
    backfill    INTEGER NOT NULL
);
CREATE INDEX vehicle_positions_track ON vehicle_positions(vehicle_id, fix_at);

CREATE TABLE monitors (
    mn           TEXT PRIMARY KEY,
    password     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    site         TEXT,
    size_class   TEXT,
    lat          REAL,
    lon          REAL,
    grid_code    TEXT,
    last_seen_at INTEGER,
    created_at   INTEGER NOT NULL
);

CREATE TABLE monitor_readings (
    mn          TEXT NOT NULL,
    data_time   INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    cn          TEXT NOT NULL,
    factor      TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT,
    flag        TEXT
);
CREATE INDEX monitor_readings_series ON monitor_readings(mn, factor, data_time);

CREATE TABLE alarms (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source_kind TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    rule        TEXT NOT NULL,
    state       TEXT NOT NULL,
    level       TEXT NOT NULL,
    message     TEXT NOT NULL,
    lat         REAL,
    lon         REAL,
    grid_code   TEXT,
    case_id     INTEGER REFERENCES cases(id),
    detail      TEXT NOT NULL,
    raised_at   INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    cleared_at  INTEGER,
    open_key    TEXT UNIQUE
);
CREATE INDEX alarms_state ON alarms(state, raised_at);
