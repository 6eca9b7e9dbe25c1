//! Attachments recorded once per source: the photos the system files with a case made from an
//! alarm (a camera's snapshots, a vehicle's drawn track) carry a key (`source_key`, unique per
//! uploader), so that a filing tried again after a failure takes the records it made before
//! instead of adding new ones.

use domain::time::Timestamp;

use crate::rows::RowExt;
use crate::{NewAttachment, Store, StoreError, on_write};

impl Store {
    /// Records `a` under `source_key` once: the id of the record already made under that key by
    /// the same uploader while it is not linked to a case; a new record (without the key) when
    /// that one is already a case's photo (the same source filed again: a second case gets its
    /// own record, as a photo belongs to one case); otherwise a new keyed record. Two callers at
    /// once get the same record.
    ///
    /// # Errors
    /// The store fails.
    pub async fn insert_attachment_once(
        &self,
        a: &NewAttachment,
        source_key: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        for _ in 0..2 {
            match self.keyed_attachment(a.uploader_id, source_key).await? {
                Some((id, None)) => return Ok(id),
                Some((_, Some(_))) => return self.insert_attachment(a, now).await,
                None => {}
            }
            let inserted: Option<i64> = on_write!(self, p => {
                sqlx::query_scalar(
                    "INSERT INTO attachments (uploader_id, content_type, size_bytes, sha256, path, original_name, created_at, source_key)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (uploader_id, source_key) DO NOTHING RETURNING id",
                )
                .bind(a.uploader_id).bind(&a.content_type).bind(a.size_bytes).bind(&a.sha256)
                .bind(&a.path).bind(&a.original_name).bind(now.0).bind(source_key)
                .fetch_optional(p).await?
            });
            if let Some(id) = inserted {
                return Ok(id);
            }
            // Someone recorded it meanwhile: read theirs.
        }
        Err(StoreError::Corrupt(format!(
            "attachment {source_key} neither stored nor found"
        )))
    }

    /// The record an uploader made under `source_key`: (id, the case it is linked to).
    ///
    /// # Errors
    /// The store fails.
    pub async fn keyed_attachment(
        &self,
        uploader_id: i64,
        source_key: &str,
    ) -> Result<Option<(i64, Option<i64>)>, StoreError> {
        on_write!(self, p => {
            let row = sqlx::query("SELECT id, case_id FROM attachments WHERE uploader_id = $1 AND source_key = $2")
                .bind(uploader_id).bind(source_key).fetch_optional(p).await?;
            row.map(|r| Ok((r.i64("id")?, r.opt_i64("case_id")?))).transpose()
        })
    }

    /// How many attachment records an uploader has (all, linked or not).
    ///
    /// # Errors
    /// The store fails.
    pub async fn count_attachments_of(&self, uploader_id: i64) -> Result<i64, StoreError> {
        on_write!(self, p => {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE uploader_id = $1")
                .bind(uploader_id).fetch_one(p).await?;
            Ok(n)
        })
    }
}
