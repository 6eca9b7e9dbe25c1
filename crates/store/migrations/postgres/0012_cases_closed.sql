-- The command centre's day closure rate (issue 8) counts the cases closed (结案) in a period of
-- an area. Only closed cases have a closing instant, so the index is partial: open cases (most
-- of the writes) add no entry, and a day's closings are one short index range.
CREATE INDEX cases_closed ON cases(closed_at) WHERE closed_at IS NOT NULL;
