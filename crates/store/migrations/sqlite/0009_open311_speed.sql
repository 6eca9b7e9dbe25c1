-- Open311 speed (issue 6): the duplicate finder's candidate query, run on every public report
-- (POST /api/cases and POST /open311/v2/requests), filters the cases of one class since an
-- instant by a latitude/longitude box. With the point in the index the box is checked on index
-- entries alone, and only the few cases inside it are read from the table (before: every case
-- of the class in the window, about a thousand table reads per report at a million cases).
-- The new index begins with the old one's columns and replaces it for the class filter of the
-- case lists, so a case write keeps the same number of index entries.
DROP INDEX IF EXISTS cases_class;
CREATE INDEX cases_class_point ON cases(class_code, created_at DESC, id DESC, lat, lon);

-- Only linked duplicates have a master. With every other case NULL in the column, SQLite's
-- statistics make the index look useless (one value shared by a million rows), and the join
-- that finds a case's followers (duplicates linked to it) scanned the whole table on every
-- transition (measured: a million-case store took about 5 Open311 posts a second). The partial
-- index holds only the linked cases, and an equality on the column implies NOT NULL, so the
-- planner uses it.
DROP INDEX IF EXISTS cases_master;
CREATE INDEX cases_master ON cases(master_case_id) WHERE master_case_id IS NOT NULL;
