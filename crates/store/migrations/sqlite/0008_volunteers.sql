-- Volunteers 志愿者 and honorary road chiefs 名誉路长: the area they serve, whether they are an
-- honorary road chief (set by an admin), when they last changed and when they left (a volunteer
-- who leaves keeps the row, so their earlier reports still count for their project).
ALTER TABLE volunteers ADD COLUMN area_code TEXT;
ALTER TABLE volunteers ADD COLUMN honorary INTEGER NOT NULL DEFAULT 0;
ALTER TABLE volunteers ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE volunteers ADD COLUMN left_at INTEGER;
CREATE INDEX volunteers_area ON volunteers(area_code);
