-- Rate limits shared by every node on this store (issue 6): the one-time sign-in codes are
-- limited per phone and per client IP here, not in node memory, so N nodes do not allow N
-- times the limit. One row per limited name (what and whom), changed only by a single atomic upsert.
-- A token bucket is kept as its theoretical arrival time (GCRA, value = instant in ms), a
-- counter of a fixed window as its count (the window is part of the name). A row past
-- expires_at means the same as no row and is deleted by the cleaning pass.
CREATE TABLE rate_limits (
    name       TEXT PRIMARY KEY,
    value      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX rate_limits_expires ON rate_limits(expires_at);
