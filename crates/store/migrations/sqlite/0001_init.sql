-- yiwang schema, SQLite flavour. Instants are INTEGER milliseconds since the Unix epoch (UTC).
-- JSON values are TEXT. Keep in step with ../postgres/0001_init.sql.

CREATE TABLE areas (
    code        TEXT PRIMARY KEY,
    level       TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_code TEXT REFERENCES areas(code),
    created_at  INTEGER NOT NULL
);
CREATE INDEX areas_parent ON areas(parent_code);

CREATE TABLE departments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    dept_type  TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE department_areas (
    department_id INTEGER NOT NULL REFERENCES departments(id),
    area_code     TEXT NOT NULL REFERENCES areas(code),
    PRIMARY KEY (department_id, area_code)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    phone         TEXT,
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE user_roles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    role          TEXT NOT NULL,
    area_code     TEXT REFERENCES areas(code),
    department_id INTEGER REFERENCES departments(id)
);
CREATE INDEX user_roles_user ON user_roles(user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    key_hash   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE taxonomy_classes (
    standard_ref       TEXT NOT NULL,
    kind               TEXT NOT NULL,
    code               TEXT NOT NULL,
    major_code         TEXT NOT NULL,
    major_name         TEXT NOT NULL,
    name               TEXT NOT NULL,
    department_type    TEXT NOT NULL,
    filing_conditions  TEXT NOT NULL,
    closing_condition  TEXT NOT NULL,
    limits             TEXT NOT NULL,
    is_local_extension INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (standard_ref, kind, code)
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE calendar_days (
    day  TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE cases (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    case_no              TEXT NOT NULL UNIQUE,
    version              INTEGER NOT NULL,
    state                TEXT NOT NULL,
    source               TEXT NOT NULL,
    description          TEXT NOT NULL,
    address              TEXT,
    lat                  REAL,
    lon                  REAL,
    district_code        TEXT,
    street_code          TEXT,
    community_code       TEXT,
    grid_code            TEXT,
    class_standard_ref   TEXT,
    class_kind           TEXT,
    class_code           TEXT,
    class_name           TEXT,
    class_limits         TEXT,
    urgency              TEXT NOT NULL,
    department_id        INTEGER REFERENCES departments(id),
    assignee_id          INTEGER REFERENCES users(id),
    reporter_id          INTEGER REFERENCES users(id),
    reporter_name        TEXT,
    reporter_phone       TEXT,
    master_case_id       INTEGER REFERENCES cases(id),
    pending              TEXT,
    pending_kind         TEXT,
    supervision_level    INTEGER NOT NULL,
    rework_count         INTEGER NOT NULL,
    dispatch_count       INTEGER NOT NULL,
    self_handled         INTEGER NOT NULL,
    verified             INTEGER,
    check_passed         INTEGER,
    node_limit_min       INTEGER,
    node_used_before_min INTEGER,
    node_running_since   INTEGER,
    node_deadline_at     INTEGER,
    node_yellow_at       INTEGER,
    paused_light         TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    closed_at            INTEGER
);
CREATE INDEX cases_created ON cases(created_at DESC, id DESC);
CREATE INDEX cases_state ON cases(state, created_at DESC, id DESC);
CREATE INDEX cases_district ON cases(district_code, created_at DESC, id DESC);
CREATE INDEX cases_street ON cases(street_code, created_at DESC, id DESC);
CREATE INDEX cases_community ON cases(community_code, created_at DESC, id DESC);
CREATE INDEX cases_grid ON cases(grid_code, created_at DESC, id DESC);
CREATE INDEX cases_department ON cases(department_id, created_at DESC, id DESC);
CREATE INDEX cases_class ON cases(class_code, created_at DESC, id DESC);
CREATE INDEX cases_source ON cases(source, created_at DESC, id DESC);
CREATE INDEX cases_deadline ON cases(node_deadline_at);
CREATE INDEX cases_reporter ON cases(reporter_id, created_at DESC);
CREATE INDEX cases_assignee ON cases(assignee_id, created_at DESC);
CREATE INDEX cases_master ON cases(master_case_id);

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    action      TEXT NOT NULL,
    actor_id    INTEGER NOT NULL REFERENCES users(id),
    actor_role  TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    note        TEXT,
    attachments TEXT NOT NULL,
    data        TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id, id);
CREATE INDEX case_events_at ON case_events(at);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    uploader_id  INTEGER NOT NULL REFERENCES users(id),
    case_id      INTEGER REFERENCES cases(id),
    content_type TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    path         TEXT NOT NULL,
    original_name TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);
