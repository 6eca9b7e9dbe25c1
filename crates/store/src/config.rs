//! Editable configuration kept in the database: the taxonomy, named settings (node limits, work
//! schedule) and the calendar's special days.

use chrono::NaiveDate;
use domain::calendar::{DayKind, SpecialDay};
use domain::org::DepartmentType;
use domain::taxonomy::{ClassKind, HandlingLimits, TaxonomyClass};
use domain::time::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::rows::RowExt;
use crate::{Store, StoreError, on_read, on_write};

fn class_from_row(r: &impl RowExt) -> Result<TaxonomyClass, StoreError> {
    let kind = r.text("kind")?;
    let dt = r.text("department_type")?;
    let limits: HandlingLimits = serde_json::from_str(&r.text("limits")?)?;
    Ok(TaxonomyClass {
        standard_ref: r.text("standard_ref")?,
        kind: ClassKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?,
        major_code: r.text("major_code")?,
        major_name: r.text("major_name")?,
        code: r.text("code")?,
        name: r.text("name")?,
        department_type: DepartmentType::parse(&dt)
            .ok_or_else(|| StoreError::Corrupt(format!("department type {dt}")))?,
        filing_conditions: serde_json::from_str(&r.text("filing_conditions")?)?,
        closing_condition: r.text("closing_condition")?,
        limits,
        is_local_extension: r.bool("is_local_extension")?,
    })
}

fn day_kind_str(k: DayKind) -> &'static str {
    match k {
        DayKind::Holiday => "holiday",
        DayKind::MakeupWorkday => "makeup_workday",
    }
}

impl Store {
    /// Number of taxonomy classes stored.
    ///
    /// # Errors
    /// Database failure.
    pub async fn taxonomy_count(&self) -> Result<i64, StoreError> {
        on_read!(self, p => {
            Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM taxonomy_classes").fetch_one(p).await?)
        })
    }

    /// Inserts or replaces classes, all in one transaction.
    ///
    /// # Errors
    /// Database failure.
    pub async fn upsert_classes(
        &self,
        classes: &[TaxonomyClass],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for c in classes {
                sqlx::query(
                    "INSERT INTO taxonomy_classes (standard_ref, kind, code, major_code, major_name, name, department_type,
                        filing_conditions, closing_condition, limits, is_local_extension, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                     ON CONFLICT (standard_ref, kind, code) DO UPDATE SET
                        major_code = excluded.major_code, major_name = excluded.major_name, name = excluded.name,
                        department_type = excluded.department_type, filing_conditions = excluded.filing_conditions,
                        closing_condition = excluded.closing_condition, limits = excluded.limits,
                        is_local_extension = excluded.is_local_extension, updated_at = excluded.updated_at",
                )
                .bind(&c.standard_ref)
                .bind(c.kind.as_str())
                .bind(&c.code)
                .bind(&c.major_code)
                .bind(&c.major_name)
                .bind(&c.name)
                .bind(c.department_type.as_str())
                .bind(serde_json::to_string(&c.filing_conditions)?)
                .bind(&c.closing_condition)
                .bind(serde_json::to_string(&c.limits)?)
                .bind(i64::from(c.is_local_extension))
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every class, ordered by standard, kind and code.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_classes(&self) -> Result<Vec<TaxonomyClass>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM taxonomy_classes ORDER BY standard_ref, kind, code").fetch_all(p).await?;
            rows.iter().map(class_from_row).collect()
        })
    }

    /// One class.
    ///
    /// # Errors
    /// Database failure.
    pub async fn get_class(
        &self,
        standard_ref: &str,
        kind: ClassKind,
        code: &str,
    ) -> Result<Option<TaxonomyClass>, StoreError> {
        // Read on every report naming a class: inline on SQLite (see `inline.rs`).
        if let Some(inline) = &self.inline {
            return inline.with(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT * FROM taxonomy_classes WHERE standard_ref = ?1 AND kind = ?2 AND code = ?3",
                )?;
                let mut rows = stmt.query([standard_ref, kind.as_str(), code])?;
                rows.next()?.map(class_from_row).transpose()
            });
        }
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM taxonomy_classes WHERE standard_ref = $1 AND kind = $2 AND code = $3")
                .bind(standard_ref).bind(kind.as_str()).bind(code).fetch_optional(p).await?;
            row.as_ref().map(class_from_row).transpose()
        })
    }

    /// Reads a named setting, decoded from JSON.
    ///
    /// # Errors
    /// Database failure; a stored value of the wrong shape.
    pub async fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let text: Option<String> = on_read!(self, p => {
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(p).await?
        });
        match text {
            Some(t) => Ok(Some(serde_json::from_str(&t)?)),
            None => Ok(None),
        }
    }

    /// Writes a named setting as JSON.
    ///
    /// # Errors
    /// Database failure.
    pub async fn put_setting<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(value)?;
        on_write!(self, p => {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key).bind(text).bind(now.0).execute(p).await?;
        });
        Ok(())
    }

    /// Every special day (holidays and make-up working days), by date.
    ///
    /// # Errors
    /// Database failure.
    pub async fn special_days(&self) -> Result<Vec<SpecialDay>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT day, kind, name FROM calendar_days ORDER BY day").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let day = r.text("day")?;
                let kind = r.text("kind")?;
                out.push(SpecialDay {
                    date: NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    kind: match kind.as_str() {
                        "holiday" => DayKind::Holiday,
                        "makeup_workday" => DayKind::MakeupWorkday,
                        _ => return Err(StoreError::Corrupt(format!("day kind {kind}"))),
                    },
                    name: r.text("name")?,
                });
            }
            Ok(out)
        })
    }

    /// Replaces the special days of the given years with `days` (one transaction).
    ///
    /// # Errors
    /// A day outside the given years; database failure.
    pub async fn replace_special_days(
        &self,
        years: &[i32],
        days: &[SpecialDay],
    ) -> Result<(), StoreError> {
        use chrono::Datelike;
        if let Some(d) = days.iter().find(|d| !years.contains(&d.date.year())) {
            return Err(StoreError::Invalid(format!(
                "{} is outside the years being replaced",
                d.date
            )));
        }
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for y in years {
                sqlx::query("DELETE FROM calendar_days WHERE day >= $1 AND day <= $2")
                    .bind(format!("{y:04}-01-01")).bind(format!("{y:04}-12-31")).execute(&mut *tx).await?;
            }
            for d in days {
                sqlx::query("INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3)")
                    .bind(d.date.format("%Y-%m-%d").to_string())
                    .bind(day_kind_str(d.kind))
                    .bind(&d.name)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
