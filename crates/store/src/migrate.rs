//! Embedded, append-only migrations, applied in order and recorded in `schema_migrations`.

use crate::{Pools, Store, StoreError};

/// (version, name, SQLite text, PostgreSQL text).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "city",
        include_str!("../migrations/sqlite/0002_city.sql"),
        include_str!("../migrations/postgres/0002_city.sql"),
    ),
    (
        3,
        "devices",
        include_str!("../migrations/sqlite/0003_devices.sql"),
        include_str!("../migrations/postgres/0003_devices.sql"),
    ),
    (
        4,
        "supervision",
        include_str!("../migrations/sqlite/0004_supervision.sql"),
        include_str!("../migrations/postgres/0004_supervision.sql"),
    ),
    (
        5,
        "assessment",
        include_str!("../migrations/sqlite/0005_assessment.sql"),
        include_str!("../migrations/postgres/0005_assessment.sql"),
    ),
    (
        6,
        "citizens",
        include_str!("../migrations/sqlite/0006_citizens.sql"),
        include_str!("../migrations/postgres/0006_citizens.sql"),
    ),
    (
        7,
        "notify",
        include_str!("../migrations/sqlite/0007_notify.sql"),
        include_str!("../migrations/postgres/0007_notify.sql"),
    ),
    (
        8,
        "volunteers",
        include_str!("../migrations/sqlite/0008_volunteers.sql"),
        include_str!("../migrations/postgres/0008_volunteers.sql"),
    ),
    (
        9,
        "open311_speed",
        include_str!("../migrations/sqlite/0009_open311_speed.sql"),
        include_str!("../migrations/postgres/0009_open311_speed.sql"),
    ),
    (
        12,
        "cases_closed",
        include_str!("../migrations/sqlite/0012_cases_closed.sql"),
        include_str!("../migrations/postgres/0012_cases_closed.sql"),
    ),
    (
        13,
        "cycle_cases_net_stock",
        include_str!("../migrations/sqlite/0013_cycle_cases_net_stock.sql"),
        include_str!("../migrations/postgres/0013_cycle_cases_net_stock.sql"),
    ),
    (
        14,
        "rate_limits",
        include_str!("../migrations/sqlite/0014_rate_limits.sql"),
        include_str!("../migrations/postgres/0014_rate_limits.sql"),
    ),
    (
        15,
        "sensor_rule_states",
        include_str!("../migrations/sqlite/0015_sensor_rule_states.sql"),
        include_str!("../migrations/postgres/0015_sensor_rule_states.sql"),
    ),
    (
        16,
        "attachment_source_key",
        include_str!("../migrations/sqlite/0016_attachment_source_key.sql"),
        include_str!("../migrations/postgres/0016_attachment_source_key.sql"),
    ),
    (
        17,
        "collection_routes",
        include_str!("../migrations/sqlite/0017_collection_routes.sql"),
        include_str!("../migrations/postgres/0017_collection_routes.sql"),
    ),
    (
        18,
        "case_write_indexes",
        include_str!("../migrations/sqlite/0018_case_write_indexes.sql"),
        include_str!("../migrations/postgres/0018_case_write_indexes.sql"),
    ),
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Splits a migration file into statements (files use `;` only at statement ends).
fn statements(sql: &str) -> impl Iterator<Item = String> + '_ {
    sql.split(';')
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| !s.trim().is_empty())
}

impl Store {
    /// Applies every migration not yet applied, each in its own transaction.
    ///
    /// # Errors
    /// A migration fails (nothing of it is applied).
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        let mut applied = Vec::new();
        crate::on_write!(self, p => {
            sqlx::query(CREATE_TABLE).execute(p).await?;
            for (version, name, sqlite, postgres) in MIGRATIONS {
                let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(p)
                    .await?;
                if done.is_some() {
                    continue;
                }
                let text = match &self.pools { Pools::Sqlite { .. } => *sqlite, Pools::Postgres(_) => *postgres };
                let mut tx = p.begin().await?;
                for stmt in statements(text) {
                    sqlx::query(sqlx::AssertSqlSafe(stmt)).execute(&mut *tx).await.map_err(|e| {
                        StoreError::Invalid(format!("migration {version} {name} failed: {e}"))
                    })?;
                }
                let now_ms = match &self.pools {
                    Pools::Sqlite { .. } => "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
                    Pools::Postgres(_) => "CAST(extract(epoch from clock_timestamp()) * 1000 AS BIGINT)",
                };
                sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, {now_ms})")))
                    .bind(*version)
                    .bind(*name)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                applied.push(*version);
            }
        });
        Ok(applied)
    }
}
