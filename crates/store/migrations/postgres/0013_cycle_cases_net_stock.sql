-- 周期案件 (issue 7): every occurrence of a cycle task becomes a case in the loop, sent to the
-- task's inspector for on-site verification. The run remembers its case, and a node that is
-- making the case claims the run first (claimed_at) so two nodes never make two cases. A claim
-- older than two minutes is taken over (the node died between claim and case).
ALTER TABLE cycle_task_runs ADD COLUMN case_id BIGINT;
ALTER TABLE cycle_task_runs ADD COLUMN claimed_at BIGINT;
CREATE INDEX cycle_task_runs_open ON cycle_task_runs(due_at) WHERE case_id IS NULL;
CREATE INDEX cycle_task_runs_case ON cycle_task_runs(case_id) WHERE case_id IS NOT NULL;

-- The SQLite file adds an index for its month-ranking reader here. PostgreSQL reads rankings
-- through the existing indexes, so nothing is added.
