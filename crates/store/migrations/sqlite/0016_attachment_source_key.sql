-- Photos recorded for a case filed from an alarm (a camera's snapshots, a vehicle's drawn
-- track) are recorded once per alarm and source, however often the filing is tried: the copy
-- carries a key (alarm:<id>:snapshot:<attachment id>, alarm:<id>:track) unique per uploader,
-- and a retry after a failed filing takes the copy already made. Uploads have no key (NULL,
-- never equal to another).
ALTER TABLE attachments ADD COLUMN source_key TEXT;
CREATE UNIQUE INDEX attachments_source_key ON attachments(uploader_id, source_key);
