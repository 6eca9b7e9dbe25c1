-- Citizens and every intake channel: the answer to the citizen 答复, the rating 回访 (with one
-- reopening), anonymity, the forwarding platform's ticket 转办, one-time sign-in codes, the
-- notification outbox and volunteers 志愿者/名誉路长.
ALTER TABLE cases ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN external_ref TEXT;
ALTER TABLE cases ADD COLUMN first_dispatched_at INTEGER;
ALTER TABLE cases ADD COLUMN reply TEXT;
ALTER TABLE cases ADD COLUMN replied_at INTEGER;
ALTER TABLE cases ADD COLUMN rating TEXT;
ALTER TABLE cases ADD COLUMN rated_at INTEGER;
ALTER TABLE cases ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_external_ref ON cases(external_ref);

-- One live code per phone, a new request replaces it. Only the SHA-256 of the code is kept.
CREATE TABLE otp_codes (
    phone      TEXT PRIMARY KEY,
    code_hash  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);

-- Every message to a citizen or an integration: SMS (sent through the configured sender) and
-- webhooks. Written before it is sent, status pending → sent | failed.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    case_id    INTEGER REFERENCES cases(id),
    event_id   INTEGER,
    status     TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    error      TEXT,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER
);
CREATE INDEX notifications_recipient ON notifications(recipient, created_at);
CREATE INDEX notifications_pending ON notifications(status, id);
CREATE INDEX notifications_case ON notifications(case_id, id);

-- 志愿者 / 名誉路长: a user with the volunteer role and what they volunteer for.
CREATE TABLE volunteers (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id),
    project      TEXT NOT NULL,
    organisation TEXT,
    road_id      TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX volunteers_project ON volunteers(project);
