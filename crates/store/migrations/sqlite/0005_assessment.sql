-- Automatic assessment 考核自动化: additive per-day counters kept in the transaction of every case
-- transition, the per-case state the incremental path carries between events, the facts each
-- event was counted with (so a recomputation sees what the incremental path saw), the weekly
-- flag history, cycle tasks and the practical-matters list.
-- Keep in step with ../postgres/0005_assessment.sql.

-- One additive counter of one scope on one Asia/Shanghai day (`day` = days since 1970-01-01).
-- scope_kind: city | district | street | community | grid | department | road_chief |
-- inspector | operator | shift_supervisor | dispatcher. scope_id: area code or user/department id
-- ('' for the city). Clustered by (kind, day) so a period ranking reads one contiguous range.
CREATE TABLE assessment_counters (
    scope_kind TEXT NOT NULL,
    day        INTEGER NOT NULL,
    scope_id   TEXT NOT NULL,
    counter    TEXT NOT NULL,
    value      INTEGER NOT NULL,
    PRIMARY KEY (scope_kind, day, scope_id, counter)
) WITHOUT ROWID;
-- Series of one scope. Led by the id: led by the kind, SQLite would skip-scan it for a period
-- ranking (a lookup per row) instead of reading the primary key's day range.
CREATE INDEX assessment_counters_scope ON assessment_counters(scope_id, scope_kind, day);
-- The overdue stock is a prefix sum of two counters over all days up to the period's end.
CREATE INDEX assessment_counters_stock ON assessment_counters(scope_kind, counter, day, scope_id, value)
    WHERE counter IN ('handling_due', 'handling_left_late');

-- The same counters summed per calendar month (`month` = year * 12 + month - 1), kept in the same
-- transaction: a month-aligned query reads 1/30 of the rows.
CREATE TABLE assessment_counters_monthly (
    scope_kind TEXT NOT NULL,
    month      INTEGER NOT NULL,
    scope_id   TEXT NOT NULL,
    counter    TEXT NOT NULL,
    value      INTEGER NOT NULL,
    PRIMARY KEY (scope_kind, month, scope_id, counter)
) WITHOUT ROWID;
CREATE INDEX assessment_counters_monthly_stock ON assessment_counters_monthly(scope_kind, counter, month, scope_id, value)
    WHERE counter IN ('handling_due', 'handling_left_late');

-- assessment::CaseTrack (JSON) of each case.
CREATE TABLE assessment_tracks (
    case_id    INTEGER PRIMARY KEY REFERENCES cases(id),
    track      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The facts an event was counted with: deadlines before/after and assessment::CaseFacts (JSON).
CREATE TABLE assessment_event_facts (
    event_id INTEGER PRIMARY KEY REFERENCES case_events(id),
    case_id  INTEGER NOT NULL,
    facts    TEXT NOT NULL
);

-- 周讲评: flags given per reviewed week (assessment::flags::FlagRecord as JSON).
CREATE TABLE assessment_flags (
    week_start TEXT NOT NULL,
    scope_key  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    record     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (week_start, scope_key)
);

-- 周期案件: recurring inspections (assessment::cycle::CycleRule as JSON) and the tasks made.
CREATE TABLE cycle_tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    rule         TEXT NOT NULL,
    inspector_id INTEGER NOT NULL REFERENCES users(id),
    active       INTEGER NOT NULL DEFAULT 1,
    checked_to   INTEGER NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL
);
CREATE TABLE cycle_task_runs (
    task_id      INTEGER NOT NULL REFERENCES cycle_tasks(id),
    due_at       INTEGER NOT NULL,
    inspector_id INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (task_id, due_at)
);
CREATE INDEX cycle_task_runs_inspector ON cycle_task_runs(inspector_id, due_at);

-- 我为群众办实事: categories, items (plan, measures, owner, milestones) and progress updates.
CREATE TABLE matter_categories (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE matter_items (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    category_id         INTEGER NOT NULL REFERENCES matter_categories(id),
    title               TEXT NOT NULL,
    plan                TEXT NOT NULL,
    measures            TEXT NOT NULL,
    owner_department_id INTEGER NOT NULL REFERENCES departments(id),
    milestones          TEXT NOT NULL,
    status              TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX matter_items_category ON matter_items(category_id, id);
CREATE TABLE matter_progress (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id    INTEGER NOT NULL REFERENCES matter_items(id),
    on_date    TEXT NOT NULL,
    percent    INTEGER NOT NULL,
    note       TEXT NOT NULL,
    actor_id   INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX matter_progress_item ON matter_progress(item_id, id);
