-- Notifications of case changes to reporters (SMS) and integrations (webhooks).

-- Integrations that want case changes: a JSON POST signed with HMAC-SHA256 of the body.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    url        TEXT NOT NULL UNIQUE,
    secret     TEXT NOT NULL,
    -- JSON array of case actions, empty for all.
    actions    TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);

-- The outbox holds each message once: a node that plans the same case event again (after a
-- restart, or a second node) writes nothing new. One-time codes have no event and stay apart.
CREATE UNIQUE INDEX notifications_once ON notifications(event_id, channel, recipient);

-- Delivery by claim: a node takes a pending message (status sending, claimed_by, claimed_at),
-- sends it and records the outcome. A failed attempt waits until next_at to be tried again.
ALTER TABLE notifications ADD COLUMN webhook_id INTEGER REFERENCES webhooks(id);
ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
ALTER TABLE notifications ADD COLUMN claimed_at INTEGER;
ALTER TABLE notifications ADD COLUMN next_at INTEGER;
CREATE INDEX notifications_due ON notifications(status, next_at, id);

-- How far the notifier has read the audit trail: every case event with an id at or below
-- settled_event_id has had its messages written to the outbox.
CREATE TABLE notifier_progress (
    name             TEXT PRIMARY KEY,
    settled_event_id INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
