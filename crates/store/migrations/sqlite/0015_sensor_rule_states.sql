-- MQTT sensor rules across nodes (issue 5): the nodes split one sensor's messages between
-- them (shared subscription), so a sensor's rule state (hysteresis runs, the alarm it holds,
-- the last sample's instant, offline) is kept here, read before a batch and written in the
-- same transaction as the batch's readings and alarms. version is the optimistic check: an
-- update names the version it read and a changed row fails the CHECK below (the batch rolls
-- back whole and is computed again from the new state), a first insert fails on the key.
CREATE TABLE sensor_rule_states (
    sensor_id  TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    version    BIGINT NOT NULL CHECK (version >= 0),
    updated_at BIGINT NOT NULL
);
