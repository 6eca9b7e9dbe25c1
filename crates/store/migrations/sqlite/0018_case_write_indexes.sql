-- Cheaper case writes (issues 2 and 6). Every new case wrote an entry into cases_external_ref,
-- an index no query reads (external references are shown, never searched), so it goes.
-- The writer reads the inspector of a case's unit grid on every case write (the assessment's
-- grid inspector), which scanned all of user_roles. The index below makes it one seek.
DROP INDEX IF EXISTS cases_external_ref;
CREATE INDEX user_roles_area ON user_roles(area_code, role, user_id);
