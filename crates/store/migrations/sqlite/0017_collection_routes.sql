-- Collection routes 收运路线 (issue 4): each garbage truck's planned round over the
-- collection points. points is the JSON array of point ids in route order, days the JSON
-- schedule ({"kind":"daily"}, {"kind":"working_days"}, {"kind":"weekdays","days":[1,3,5]}),
-- finish_by the minute of the local day by which the round must be done (1 to 1440).
-- any_truck 1: a visit by any truck of the category counts, not only by the route's truck.
CREATE TABLE collection_routes (
    route_id   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    vehicle_id BIGINT NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
    category   TEXT NOT NULL,
    points     TEXT NOT NULL,
    days       TEXT NOT NULL,
    finish_by  BIGINT NOT NULL CHECK (finish_by BETWEEN 1 AND 1440),
    any_truck  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX collection_routes_vehicle ON collection_routes (vehicle_id);
