//! Supervision data: alarms and their lifecycle, muck-truck permits, MQTT sensors and their
//! readings, AI cameras and their events, garbage collection points, transfer stations and
//! their daily tonnage.
//!
//! Alarms are written from the device pipelines as [`AlarmWrite`]s in the same group commit as
//! the data that raised them. One alarm per `open_key` is open at a time: a repeated raise
//! refreshes it (`repeats` + 1), a clear closes it and frees the key. Lifecycle steps taken by
//! people (acknowledge, link a case, clear) are conditional updates on the state read before, so
//! two nodes acting on one alarm at once cannot both succeed.

use domain::time::Timestamp;
use serde::Serialize;

use crate::rows::{Arg, RowExt};
use crate::{Store, StoreError, on_read, on_write};

/// A rule raised (or re-raised) an alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmRaise {
    /// `kind|source_id|rule`, the deduplication key.
    pub open_key: String,
    pub source_kind: String,
    pub source_id: String,
    pub rule: String,
    /// `notice`, `warning` or `severe`.
    pub level: String,
    pub message: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub grid_code: Option<String>,
    /// Taxonomy class a case should be filed in.
    pub class_code: Option<String>,
    /// Evidence, JSON text.
    pub detail: String,
    /// When the breach began.
    pub at: Timestamp,
}

/// A rule cleared its alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmClear {
    pub open_key: String,
    pub at: Timestamp,
}

/// What a device pipeline writes about alarms.
#[derive(Clone, Debug, PartialEq)]
pub enum AlarmWrite {
    /// Boxed: a raise carries its message and evidence, a clear only its key.
    Raise(Box<AlarmRaise>),
    Clear(AlarmClear),
}

impl AlarmWrite {
    /// The stored form of a rule engine's signal, in unit grid `grid_code` (the caller knows
    /// where the source is: located from the position, or the registered device's grid).
    pub fn from_signal(
        signal: supervision::alarm::Signal,
        grid_code: Option<String>,
    ) -> AlarmWrite {
        use supervision::alarm::Signal;
        match signal {
            Signal::Raise(r) => AlarmWrite::Raise(Box::new(AlarmRaise {
                open_key: r.key.open_key(),
                source_kind: r.key.source_kind.as_str().to_owned(),
                source_id: r.key.source_id,
                rule: r.key.rule,
                level: r.level.as_str().to_owned(),
                message: r.message,
                lat: r.position.map(|p| p.lat),
                lon: r.position.map(|p| p.lon),
                grid_code,
                class_code: r.class_code,
                detail: r.detail.to_string(),
                at: r.at,
            })),
            Signal::Clear(c) => AlarmWrite::Clear(AlarmClear {
                open_key: c.key.open_key(),
                at: c.at,
            }),
        }
    }
}

/// One requested alarm step for [`Store::step_alarm`].
#[derive(Clone, Copy, Debug)]
pub struct AlarmStepInput<'a> {
    /// The state the caller saw; the step applies only if the alarm is still in it.
    pub from: &'a str,
    /// `acknowledged`, `linked` or `cleared`.
    pub to: &'a str,
    /// Recorded as acknowledger or clearer.
    pub actor_id: Option<i64>,
    /// Set for `linked`.
    pub case_id: Option<i64>,
    pub note: Option<&'a str>,
    pub at: Timestamp,
}

/// A stored alarm.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alarm {
    pub id: i64,
    pub source_kind: String,
    pub source_id: String,
    pub rule: String,
    /// `raised`, `acknowledged`, `linked` or `cleared`.
    pub state: String,
    pub level: String,
    pub message: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub grid_code: Option<String>,
    pub class_code: Option<String>,
    pub case_id: Option<i64>,
    pub detail: serde_json::Value,
    pub raised_at: Timestamp,
    pub updated_at: Timestamp,
    pub cleared_at: Option<Timestamp>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<Timestamp>,
    pub cleared_by: Option<i64>,
    pub note: Option<String>,
    /// Re-raises while open (deduplicated).
    pub repeats: i64,
}

/// One step of an alarm's life.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlarmEvent {
    pub id: i64,
    pub alarm_id: i64,
    /// `raised`, `acknowledged`, `linked`, `cleared`.
    pub action: String,
    /// `None` when a rule did it.
    pub actor_id: Option<i64>,
    pub note: Option<String>,
    pub at: Timestamp,
}

/// Which alarms to list.
#[derive(Clone, Debug, Default)]
pub struct AlarmFilter {
    /// Only these states (empty = every state).
    pub states: Vec<String>,
    pub source_kind: Option<String>,
    pub source_id: Option<String>,
    /// Exact rule id, or a family prefix ending in `.` (e.g. `muck.`).
    pub rule: Option<String>,
    /// Only alarms whose grid code starts with this area code.
    pub area_code: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of alarms, newest first.
#[derive(Clone, Debug, Serialize)]
pub struct AlarmPage {
    pub items: Vec<Alarm>,
    pub total: i64,
}

/// Open alarms counted by source kind and level.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlarmCount {
    pub source_kind: String,
    pub level: String,
    pub count: i64,
}

/// A muck-truck transport permit 渣土处置核准; `body` is the JSON the supervision rules read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PermitRecord {
    pub id: i64,
    pub number: String,
    pub company: String,
    /// First valid day, `YYYY-MM-DD` (Asia/Shanghai).
    pub valid_from: String,
    /// Last valid day, inclusive.
    pub valid_to: String,
    pub body: serde_json::Value,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An MQTT sensor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sensor {
    pub sensor_id: String,
    /// `manhole`, `bin`, `waterlog` or `numeric`.
    pub kind: String,
    pub name: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub grid_code: Option<String>,
    /// Per-sensor thresholds (JSON), `{}` for the defaults.
    pub config: serde_json::Value,
    pub last_seen_at: Option<Timestamp>,
}

/// A sensor's stored rule state (`supervision::sensor::SensorRuleState` as JSON) and its
/// version, for the optimistic check of [`Store::append_sensor_batch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SensorRuleRow {
    pub sensor_id: String,
    pub state: String,
    pub version: i64,
}

/// A rule state to store with a batch: `read_version` is the version it was computed from
/// (0 when none was stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SensorRuleWrite {
    pub sensor_id: String,
    pub state: String,
    pub read_version: i64,
}

/// The statement that stores `w` only over the version it was computed from: a first state is
/// an INSERT (a row stored meanwhile fails the key), a later one an UPDATE whose version turns
/// -1 — refused by the table's CHECK — when the row is no longer at `read_version`. Either
/// failure rolls the whole batch back.
fn rule_state_statement(w: &SensorRuleWrite, now: Timestamp) -> (&'static str, Vec<Arg>) {
    if w.read_version <= 0 {
        (
            "INSERT INTO sensor_rule_states (sensor_id, state, version, updated_at) VALUES ($1, $2, 1, $3)",
            vec![
                w.sensor_id.as_str().into(),
                w.state.as_str().into(),
                now.0.into(),
            ],
        )
    } else {
        (
            "UPDATE sensor_rule_states SET state = $2, updated_at = $4, \
             version = CASE WHEN version = $3 THEN version + 1 ELSE -1 END WHERE sensor_id = $1",
            vec![
                w.sensor_id.as_str().into(),
                w.state.as_str().into(),
                w.read_version.into(),
                now.0.into(),
            ],
        )
    }
}

/// One stored sensor message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SensorReading {
    pub sensor_id: String,
    pub at: Timestamp,
    pub received_at: Timestamp,
    /// The measured values (JSON object, units in the names).
    pub data: serde_json::Value,
}

/// An AI camera.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Camera {
    pub camera_id: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub grid_code: Option<String>,
    /// Viewing direction, degrees clockwise from north.
    pub direction_deg: Option<f64>,
}

/// One event posted by a camera's analytics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CameraEvent {
    pub id: i64,
    pub camera_id: String,
    pub event_type: String,
    pub confidence: f64,
    pub at: Timestamp,
    pub received_at: Timestamp,
    /// The stored snapshot.
    pub attachment_id: Option<i64>,
    pub alarm_id: Option<i64>,
    /// What the merger decided: `new`, `merged`, `dropped`, `unknown_type`.
    pub decision: String,
}

/// A garbage collection point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CollectionPoint {
    pub point_id: String,
    pub name: String,
    /// `kitchen`, `recyclable`, `hazardous` or `other`.
    pub category: String,
    pub lat: f64,
    pub lon: f64,
    pub grid_code: Option<String>,
}

/// A garbage transfer station 垃圾中转站.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TransferStation {
    pub station_id: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// A truck within this distance is at the station.
    pub radius_m: f64,
    pub capacity_t: Option<f64>,
    pub grid_code: Option<String>,
}

/// A station's tonnage on one day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tonnage {
    pub station_id: String,
    /// `YYYY-MM-DD`, Asia/Shanghai.
    pub day: String,
    pub in_t: f64,
    pub out_t: f64,
    pub updated_at: Timestamp,
}

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp)
}

fn json(text: &str, col: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
}

fn alarm_from_row(r: &impl RowExt) -> Result<Alarm, StoreError> {
    Ok(Alarm {
        id: r.i64("id")?,
        source_kind: r.text("source_kind")?,
        source_id: r.text("source_id")?,
        rule: r.text("rule")?,
        state: r.text("state")?,
        level: r.text("level")?,
        message: r.text("message")?,
        lat: r.opt_f64("lat")?,
        lon: r.opt_f64("lon")?,
        grid_code: r.opt_text("grid_code")?,
        class_code: r.opt_text("class_code")?,
        case_id: r.opt_i64("case_id")?,
        detail: json(&r.text("detail")?, "detail")?,
        raised_at: Timestamp(r.i64("raised_at")?),
        updated_at: Timestamp(r.i64("updated_at")?),
        cleared_at: ts(r.opt_i64("cleared_at")?),
        acknowledged_by: r.opt_i64("acknowledged_by")?,
        acknowledged_at: ts(r.opt_i64("acknowledged_at")?),
        cleared_by: r.opt_i64("cleared_by")?,
        note: r.opt_text("note")?,
        repeats: r.i64("repeats")?,
    })
}

fn alarm_event_from_row(r: &impl RowExt) -> Result<AlarmEvent, StoreError> {
    Ok(AlarmEvent {
        id: r.i64("id")?,
        alarm_id: r.i64("alarm_id")?,
        action: r.text("action")?,
        actor_id: r.opt_i64("actor_id")?,
        note: r.opt_text("note")?,
        at: Timestamp(r.i64("at")?),
    })
}

fn permit_from_row(r: &impl RowExt) -> Result<PermitRecord, StoreError> {
    Ok(PermitRecord {
        id: r.i64("id")?,
        number: r.text("number")?,
        company: r.text("company")?,
        valid_from: r.text("valid_from")?,
        valid_to: r.text("valid_to")?,
        body: json(&r.text("body")?, "body")?,
        revoked_at: ts(r.opt_i64("revoked_at")?),
        created_at: Timestamp(r.i64("created_at")?),
        updated_at: Timestamp(r.i64("updated_at")?),
    })
}

fn sensor_from_row(r: &impl RowExt) -> Result<Sensor, StoreError> {
    Ok(Sensor {
        sensor_id: r.text("sensor_id")?,
        kind: r.text("kind")?,
        name: r.text("name")?,
        lat: r.opt_f64("lat")?,
        lon: r.opt_f64("lon")?,
        grid_code: r.opt_text("grid_code")?,
        config: json(&r.text("config")?, "config")?,
        last_seen_at: ts(r.opt_i64("last_seen_at")?),
    })
}

fn sensor_reading_from_row(r: &impl RowExt) -> Result<SensorReading, StoreError> {
    Ok(SensorReading {
        sensor_id: r.text("sensor_id")?,
        at: Timestamp(r.i64("at")?),
        received_at: Timestamp(r.i64("received_at")?),
        data: json(&r.text("data")?, "data")?,
    })
}

fn required_f64(r: &impl RowExt, col: &str) -> Result<f64, StoreError> {
    r.opt_f64(col)?
        .ok_or_else(|| StoreError::Corrupt(format!("column {col} is null")))
}

fn camera_from_row(r: &impl RowExt) -> Result<Camera, StoreError> {
    Ok(Camera {
        camera_id: r.text("camera_id")?,
        name: r.text("name")?,
        lat: required_f64(r, "lat")?,
        lon: required_f64(r, "lon")?,
        grid_code: r.opt_text("grid_code")?,
        direction_deg: r.opt_f64("direction_deg")?,
    })
}

fn camera_event_from_row(r: &impl RowExt) -> Result<CameraEvent, StoreError> {
    Ok(CameraEvent {
        id: r.i64("id")?,
        camera_id: r.text("camera_id")?,
        event_type: r.text("event_type")?,
        confidence: required_f64(r, "confidence")?,
        at: Timestamp(r.i64("at")?),
        received_at: Timestamp(r.i64("received_at")?),
        attachment_id: r.opt_i64("attachment_id")?,
        alarm_id: r.opt_i64("alarm_id")?,
        decision: r.text("decision")?,
    })
}

fn point_from_row(r: &impl RowExt) -> Result<CollectionPoint, StoreError> {
    Ok(CollectionPoint {
        point_id: r.text("point_id")?,
        name: r.text("name")?,
        category: r.text("category")?,
        lat: required_f64(r, "lat")?,
        lon: required_f64(r, "lon")?,
        grid_code: r.opt_text("grid_code")?,
    })
}

fn station_from_row(r: &impl RowExt) -> Result<TransferStation, StoreError> {
    Ok(TransferStation {
        station_id: r.text("station_id")?,
        name: r.text("name")?,
        lat: required_f64(r, "lat")?,
        lon: required_f64(r, "lon")?,
        radius_m: required_f64(r, "radius_m")?,
        capacity_t: r.opt_f64("capacity_t")?,
        grid_code: r.opt_text("grid_code")?,
    })
}

fn tonnage_from_row(r: &impl RowExt) -> Result<Tonnage, StoreError> {
    Ok(Tonnage {
        station_id: r.text("station_id")?,
        day: r.text("day")?,
        in_t: required_f64(r, "in_t")?,
        out_t: required_f64(r, "out_t")?,
        updated_at: Timestamp(r.i64("updated_at")?),
    })
}

/// Opens an alarm or, when its key is already open, refreshes it and counts the repeat.
const UPSERT_ALARM: &str = "INSERT INTO alarms (source_kind, source_id, rule, state, level, message, lat, lon, grid_code, class_code, detail, raised_at, updated_at, open_key) \
     VALUES ($1, $2, $3, 'raised', $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) \
     ON CONFLICT (open_key) DO UPDATE SET level = excluded.level, message = excluded.message, lat = excluded.lat, lon = excluded.lon, \
     grid_code = excluded.grid_code, detail = excluded.detail, updated_at = excluded.updated_at, repeats = alarms.repeats + 1";

/// Logs the raise of a new alarm (a refresh leaves `repeats` above 0 and logs nothing).
const LOG_RAISE: &str = "INSERT INTO alarm_events (alarm_id, action, at) SELECT id, 'raised', $2 FROM alarms WHERE open_key = $1 AND repeats = 0";

/// Logs a clear by its rule; runs before [`CLEAR_ALARM`] frees the key.
const LOG_RULE_CLEAR: &str = "INSERT INTO alarm_events (alarm_id, action, note, at) SELECT id, 'cleared', 'rule satisfied', $2 FROM alarms WHERE open_key = $1";

const CLEAR_ALARM: &str = "UPDATE alarms SET state = 'cleared', cleared_at = $2, updated_at = $2, open_key = NULL WHERE open_key = $1";

fn raise_args(r: &AlarmRaise) -> Vec<Arg> {
    vec![
        r.source_kind.as_str().into(),
        r.source_id.as_str().into(),
        r.rule.as_str().into(),
        r.level.as_str().into(),
        r.message.as_str().into(),
        r.lat.into(),
        r.lon.into(),
        r.grid_code.clone().into(),
        r.class_code.clone().into(),
        r.detail.as_str().into(),
        r.at.0.into(),
        r.open_key.as_str().into(),
    ]
}

/// A lifecycle step the alarm's state did not allow, or an alarm that does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlarmStep {
    /// The step was taken.
    Done,
    /// No such alarm.
    NotFound,
    /// The alarm was not in the expected state any more (someone else acted first).
    Conflict,
}

impl Store {
    async fn run_statements(
        &self,
        statements: Vec<(&'static str, Vec<Arg>)>,
    ) -> Result<(), StoreError> {
        if statements.is_empty() {
            return Ok(());
        }
        if let Some(batch) = &self.batch {
            batch.submit_statements(statements).await?;
            return Ok(());
        }
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for (sql, args) in &statements {
                crate::rows::bind_args!(sqlx::query(*sql), args).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Applies the alarm signals of a device batch, in order, in one transaction.
    ///
    /// # Errors
    /// Database failure: none of them is applied then.
    pub async fn write_alarms(&self, writes: &[AlarmWrite]) -> Result<(), StoreError> {
        let mut statements: Vec<(&'static str, Vec<Arg>)> = Vec::with_capacity(writes.len() * 2);
        for w in writes {
            match w {
                AlarmWrite::Raise(r) => {
                    statements.push((UPSERT_ALARM, raise_args(r)));
                    statements.push((LOG_RAISE, vec![r.open_key.as_str().into(), r.at.0.into()]));
                }
                AlarmWrite::Clear(c) => {
                    let args = vec![Arg::from(c.open_key.as_str()), c.at.0.into()];
                    statements.push((LOG_RULE_CLEAR, args.clone()));
                    statements.push((CLEAR_ALARM, args));
                }
            }
        }
        self.run_statements(statements).await
    }

    /// One alarm.
    ///
    /// # Errors
    /// Database failure.
    pub async fn alarm(&self, id: i64) -> Result<Option<Alarm>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM alarms WHERE id = $1").bind(id).fetch_optional(p).await?;
            row.as_ref().map(alarm_from_row).transpose()
        })
    }

    /// The open alarms holding these keys (those that exist).
    ///
    /// # Errors
    /// Database failure.
    pub async fn open_alarms_by_key(&self, keys: &[String]) -> Result<Vec<Alarm>, StoreError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(200) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT * FROM alarms WHERE open_key IN ({}) ORDER BY id",
                placeholders.join(",")
            );
            on_read!(self, p => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for k in chunk {
                    q = q.bind(k);
                }
                for row in q.fetch_all(p).await? {
                    out.push(alarm_from_row(&row)?);
                }
            });
        }
        Ok(out)
    }

    /// Alarms matching `filter`, newest first, with the total count.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_alarms(&self, filter: &AlarmFilter) -> Result<AlarmPage, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<Arg> = Vec::new();
        if !filter.states.is_empty() {
            let mut ph = Vec::new();
            for s in &filter.states {
                args.push(s.as_str().into());
                ph.push(format!("${}", args.len()));
            }
            clauses.push(format!("state IN ({})", ph.join(",")));
        }
        if let Some(k) = &filter.source_kind {
            args.push(k.as_str().into());
            clauses.push(format!("source_kind = ${}", args.len()));
        }
        if let Some(s) = &filter.source_id {
            args.push(s.as_str().into());
            clauses.push(format!("source_id = ${}", args.len()));
        }
        if let Some(rule) = &filter.rule {
            if let Some(family) = rule.strip_suffix('.') {
                args.push(format!("{family}.%").into());
                clauses.push(format!("rule LIKE ${}", args.len()));
            } else {
                args.push(rule.as_str().into());
                clauses.push(format!("rule = ${}", args.len()));
            }
        }
        if let Some(a) = &filter.area_code {
            args.push(format!("{a}%").into());
            clauses.push(format!("grid_code LIKE ${}", args.len()));
        }
        let wh = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let count_sql = format!("SELECT COUNT(*) AS n FROM alarms{wh}");
        let mut page_args = args.clone();
        page_args.push(filter.limit.clamp(1, 1000).into());
        page_args.push(filter.offset.max(0).into());
        let list_sql = format!(
            "SELECT * FROM alarms{wh} ORDER BY updated_at DESC, id DESC LIMIT ${} OFFSET ${}",
            page_args.len() - 1,
            page_args.len()
        );
        on_read!(self, p => {
            let total_row = crate::rows::bind_args!(sqlx::query(sqlx::AssertSqlSafe(count_sql)), &args).fetch_one(p).await?;
            let total = total_row.i64("n")?;
            let rows = crate::rows::bind_args!(sqlx::query(sqlx::AssertSqlSafe(list_sql)), &page_args).fetch_all(p).await?;
            let items = rows.iter().map(alarm_from_row).collect::<Result<Vec<_>, _>>()?;
            Ok(AlarmPage { items, total })
        })
    }

    /// Open alarms counted by source kind and level (for the command centre).
    ///
    /// # Errors
    /// Database failure.
    pub async fn open_alarm_counts(&self) -> Result<Vec<AlarmCount>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT source_kind, level, COUNT(*) AS n FROM alarms WHERE open_key IS NOT NULL GROUP BY source_kind, level ORDER BY source_kind, level",
            )
            .fetch_all(p).await?;
            rows.iter()
                .map(|r| Ok(AlarmCount { source_kind: r.text("source_kind")?, level: r.text("level")?, count: r.i64("n")? }))
                .collect()
        })
    }

    /// Open alarms that should file a case and have none yet (a class, not a mere notice),
    /// oldest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn alarms_awaiting_case(&self, limit: i64) -> Result<Vec<Alarm>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT * FROM alarms WHERE state IN ('raised', 'acknowledged') AND case_id IS NULL AND class_code IS NOT NULL \
                 AND level <> 'notice' ORDER BY id LIMIT $1",
            )
            .bind(limit.clamp(1, 1000))
            .fetch_all(p).await?;
            rows.iter().map(alarm_from_row).collect()
        })
    }

    /// The steps of one alarm, oldest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn alarm_events(&self, alarm_id: i64) -> Result<Vec<AlarmEvent>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM alarm_events WHERE alarm_id = $1 ORDER BY id").bind(alarm_id).fetch_all(p).await?;
            rows.iter().map(alarm_event_from_row).collect()
        })
    }

    /// Moves an alarm from `from` to `to` and logs the step, only if it is still in `from`.
    ///
    /// `case_id` is set for `linked`; `actor_id` is recorded as acknowledger or clearer. A clear
    /// frees the open key so that the rule can raise a new alarm.
    ///
    /// # Errors
    /// Database failure.
    pub async fn step_alarm(
        &self,
        id: i64,
        step: AlarmStepInput<'_>,
    ) -> Result<AlarmStep, StoreError> {
        let AlarmStepInput {
            from,
            to,
            actor_id,
            case_id,
            note,
            at,
        } = step;
        let set = match to {
            "acknowledged" => {
                "state = 'acknowledged', acknowledged_by = $3, acknowledged_at = $4, updated_at = $4"
            }
            "linked" => "state = 'linked', case_id = $5, updated_at = $4",
            "cleared" => {
                "state = 'cleared', cleared_by = $3, cleared_at = $4, updated_at = $4, open_key = NULL, note = $6"
            }
            other => return Err(StoreError::Invalid(format!("unknown alarm state {other}"))),
        };
        let sql = format!("UPDATE alarms SET {set} WHERE id = $1 AND state = $2");
        on_write!(self, p => {
            // Write first: on SQLite a deferred transaction that reads before it writes fails
            // with SQLITE_BUSY_SNAPSHOT when another connection committed meanwhile; starting
            // with the UPDATE takes the write lock (waiting the busy timeout) up front.
            let mut tx = p.begin().await?;
            let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id).bind(from).bind(actor_id).bind(at.0).bind(case_id).bind(note)
                .execute(&mut *tx).await?
                .rows_affected();
            if done == 0 {
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM alarms WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
                return Ok(if exists.is_none() { AlarmStep::NotFound } else { AlarmStep::Conflict });
            }
            sqlx::query("INSERT INTO alarm_events (alarm_id, action, actor_id, note, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id).bind(to).bind(actor_id).bind(note).bind(at.0)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(AlarmStep::Done)
        })
    }

    /// Stores a new permit; the number must be unique.
    ///
    /// # Errors
    /// A duplicate number ([`StoreError::Duplicate`]); database failure.
    pub async fn create_permit(
        &self,
        number: &str,
        company: &str,
        valid_from: &str,
        valid_to: &str,
        body: &serde_json::Value,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let body = body.to_string();
        on_write!(self, p => {
            let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM permits WHERE number = $1").bind(number).fetch_optional(p).await?;
            if taken.is_some() {
                return Err(StoreError::Duplicate(format!("permit {number}")));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO permits (number, company, valid_from, valid_to, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(number).bind(company).bind(valid_from).bind(valid_to).bind(&body).bind(now.0)
            .fetch_one(p).await?;
            Ok(id)
        })
    }

    /// Replaces a permit's content (same number).
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; database failure.
    pub async fn update_permit(
        &self,
        id: i64,
        company: &str,
        valid_from: &str,
        valid_to: &str,
        body: &serde_json::Value,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let body = body.to_string();
        on_write!(self, p => {
            let n = sqlx::query("UPDATE permits SET company = $2, valid_from = $3, valid_to = $4, body = $5, updated_at = $6 WHERE id = $1")
                .bind(id).bind(company).bind(valid_from).bind(valid_to).bind(&body).bind(now.0)
                .execute(p).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("permit"));
            }
            Ok(())
        })
    }

    /// Revokes a permit from now on (kept for history).
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; database failure.
    pub async fn revoke_permit(&self, id: i64, now: Timestamp) -> Result<(), StoreError> {
        on_write!(self, p => {
            let n = sqlx::query("UPDATE permits SET revoked_at = $2, updated_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id).bind(now.0).execute(p).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("active permit"));
            }
            Ok(())
        })
    }

    /// One permit.
    ///
    /// # Errors
    /// Database failure.
    pub async fn permit(&self, id: i64) -> Result<Option<PermitRecord>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM permits WHERE id = $1").bind(id).fetch_optional(p).await?;
            row.as_ref().map(permit_from_row).transpose()
        })
    }

    /// Permits, newest first; with `valid_on` (`YYYY-MM-DD`) only those not revoked and valid
    /// that day.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_permits(
        &self,
        valid_on: Option<&str>,
    ) -> Result<Vec<PermitRecord>, StoreError> {
        on_read!(self, p => {
            let rows = match valid_on {
                Some(day) => sqlx::query(
                    "SELECT * FROM permits WHERE revoked_at IS NULL AND valid_from <= $1 AND valid_to >= $1 ORDER BY id DESC",
                ).bind(day).fetch_all(p).await?,
                None => sqlx::query("SELECT * FROM permits ORDER BY id DESC").fetch_all(p).await?,
            };
            rows.iter().map(permit_from_row).collect()
        })
    }

    /// Registers a sensor or replaces its settings.
    ///
    /// # Errors
    /// Database failure.
    pub async fn upsert_sensor(&self, s: &Sensor, now: Timestamp) -> Result<(), StoreError> {
        let config = s.config.to_string();
        on_write!(self, p => {
            sqlx::query(
                "INSERT INTO sensors (sensor_id, kind, name, lat, lon, grid_code, config, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (sensor_id) DO UPDATE SET kind = excluded.kind, name = excluded.name, lat = excluded.lat, lon = excluded.lon, \
                 grid_code = excluded.grid_code, config = excluded.config",
            )
            .bind(&s.sensor_id).bind(&s.kind).bind(&s.name).bind(s.lat).bind(s.lon).bind(&s.grid_code).bind(&config).bind(now.0)
            .execute(p).await?;
            Ok(())
        })
    }

    /// Every sensor, by id.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_sensors(&self) -> Result<Vec<Sensor>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM sensors ORDER BY sensor_id").fetch_all(p).await?;
            rows.iter().map(sensor_from_row).collect()
        })
    }

    /// One sensor.
    ///
    /// # Errors
    /// Database failure.
    pub async fn sensor(&self, sensor_id: &str) -> Result<Option<Sensor>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM sensors WHERE sensor_id = $1").bind(sensor_id).fetch_optional(p).await?;
            row.as_ref().map(sensor_from_row).transpose()
        })
    }

    /// Appends sensor messages and marks their sensors seen, in one transaction (with the
    /// alarms of the same batch when the caller passes them).
    ///
    /// # Errors
    /// Database failure: nothing of the batch is stored then.
    pub async fn append_sensor_readings(
        &self,
        readings: &[SensorReading],
        alarms: &[AlarmWrite],
    ) -> Result<(), StoreError> {
        self.append_sensor_batch(readings, alarms, &[], Timestamp(0))
            .await
    }

    /// [`Store::append_sensor_readings`] with the sensors' rule states, all in one transaction.
    /// Each state is written only if it is still the version the caller read (0: none was
    /// stored): a state changed meanwhile (another node took a message of the same sensor)
    /// fails the whole batch, nothing of it is stored, and the caller computes it again from
    /// the state now stored ([`Store::sensor_rule_states`]).
    ///
    /// # Errors
    /// Database failure, or a state changed since it was read: nothing of the batch is stored.
    pub async fn append_sensor_batch(
        &self,
        readings: &[SensorReading],
        alarms: &[AlarmWrite],
        states: &[SensorRuleWrite],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        const INSERT: &str = "INSERT INTO sensor_readings (sensor_id, at, received_at, data) VALUES ($1, $2, $3, $4)";
        const SEEN: &str = "UPDATE sensors SET last_seen_at = $2 WHERE sensor_id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)";
        let mut statements: Vec<(&'static str, Vec<Arg>)> = Vec::with_capacity(readings.len() * 2);
        for r in readings {
            statements.push((
                INSERT,
                vec![
                    r.sensor_id.as_str().into(),
                    r.at.0.into(),
                    r.received_at.0.into(),
                    r.data.to_string().into(),
                ],
            ));
            statements.push((
                SEEN,
                vec![r.sensor_id.as_str().into(), r.received_at.0.into()],
            ));
        }
        for w in alarms {
            match w {
                AlarmWrite::Raise(r) => {
                    statements.push((UPSERT_ALARM, raise_args(r)));
                    statements.push((LOG_RAISE, vec![r.open_key.as_str().into(), r.at.0.into()]));
                }
                AlarmWrite::Clear(c) => {
                    let args = vec![Arg::from(c.open_key.as_str()), c.at.0.into()];
                    statements.push((LOG_RULE_CLEAR, args.clone()));
                    statements.push((CLEAR_ALARM, args));
                }
            }
        }
        for w in states {
            statements.push(rule_state_statement(w, now));
        }
        self.run_statements(statements).await
    }

    /// The stored rule states of these sensors (all sensors when `ids` is `None`).
    ///
    /// # Errors
    /// Database failure.
    pub async fn sensor_rule_states(
        &self,
        ids: Option<&[String]>,
    ) -> Result<Vec<SensorRuleRow>, StoreError> {
        let decode = |sensor_id: String, state: String, version: i64| SensorRuleRow {
            sensor_id,
            state,
            version,
        };
        let Some(ids) = ids else {
            return on_read!(self, p => {
                let rows = sqlx::query("SELECT sensor_id, state, version FROM sensor_rule_states ORDER BY sensor_id")
                    .fetch_all(p).await?;
                rows.iter()
                    .map(|r| Ok(decode(r.text("sensor_id")?, r.text("state")?, r.i64("version")?)))
                    .collect()
            });
        };
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT sensor_id, state, version FROM sensor_rule_states WHERE sensor_id IN ({})",
                marks.join(", ")
            );
            let rows: Vec<SensorRuleRow> = on_read!(self, p => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for id in chunk {
                    q = q.bind(id.as_str());
                }
                let rows = q.fetch_all(p).await?;
                rows.iter()
                    .map(|r| Ok::<_, StoreError>(decode(r.text("sensor_id")?, r.text("state")?, r.i64("version")?)))
                    .collect::<Result<_, _>>()?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// Stores first rule states of sensors that have none (states already stored are kept);
    /// returns how many were stored.
    ///
    /// # Errors
    /// Database failure.
    pub async fn seed_sensor_rule_states(
        &self,
        states: &[(String, String)],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        for (id, state) in states {
            n += on_write!(self, p => {
                sqlx::query(
                    "INSERT INTO sensor_rule_states (sensor_id, state, version, updated_at) VALUES ($1, $2, 1, $3)
                     ON CONFLICT (sensor_id) DO NOTHING",
                )
                .bind(id).bind(state).bind(now.0)
                .execute(p).await?.rows_affected()
            });
        }
        Ok(n)
    }

    /// A sensor's messages between two instants, oldest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn sensor_readings(
        &self,
        sensor_id: &str,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<SensorReading>, StoreError> {
        let limit = limit.clamp(1, 100_000) as i64;
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM sensor_readings WHERE sensor_id = $1 AND at >= $2 AND at <= $3 ORDER BY at LIMIT $4")
                .bind(sensor_id).bind(from.0).bind(to.0).bind(limit)
                .fetch_all(p).await?;
            rows.iter().map(sensor_reading_from_row).collect()
        })
    }

    /// Registers a camera or replaces its settings.
    ///
    /// # Errors
    /// Database failure.
    pub async fn upsert_camera(&self, c: &Camera, now: Timestamp) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query(
                "INSERT INTO cameras (camera_id, name, lat, lon, grid_code, direction_deg, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (camera_id) DO UPDATE SET name = excluded.name, lat = excluded.lat, lon = excluded.lon, \
                 grid_code = excluded.grid_code, direction_deg = excluded.direction_deg",
            )
            .bind(&c.camera_id).bind(&c.name).bind(c.lat).bind(c.lon).bind(&c.grid_code).bind(c.direction_deg).bind(now.0)
            .execute(p).await?;
            Ok(())
        })
    }

    /// Every camera, by id.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_cameras(&self) -> Result<Vec<Camera>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM cameras ORDER BY camera_id").fetch_all(p).await?;
            rows.iter().map(camera_from_row).collect()
        })
    }

    /// One camera.
    ///
    /// # Errors
    /// Database failure.
    pub async fn camera(&self, camera_id: &str) -> Result<Option<Camera>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM cameras WHERE camera_id = $1").bind(camera_id).fetch_optional(p).await?;
            row.as_ref().map(camera_from_row).transpose()
        })
    }

    /// Stores a camera event together with the alarm signals it caused, in one transaction;
    /// the event is linked to the open alarm of `alarm_key` when given. Returns the event id.
    ///
    /// # Errors
    /// Database failure: nothing is stored then.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_camera_event(
        &self,
        camera_id: &str,
        event_type: &str,
        confidence: f64,
        at: Timestamp,
        received_at: Timestamp,
        attachment_id: Option<i64>,
        decision: &str,
        alarms: &[AlarmWrite],
        alarm_key: Option<&str>,
    ) -> Result<i64, StoreError> {
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for w in alarms {
                match w {
                    AlarmWrite::Raise(r) => {
                        crate::rows::bind_args!(sqlx::query(UPSERT_ALARM), &raise_args(r)).execute(&mut *tx).await?;
                        sqlx::query(LOG_RAISE).bind(&r.open_key).bind(r.at.0).execute(&mut *tx).await?;
                    }
                    AlarmWrite::Clear(c) => {
                        sqlx::query(LOG_RULE_CLEAR).bind(&c.open_key).bind(c.at.0).execute(&mut *tx).await?;
                        sqlx::query(CLEAR_ALARM).bind(&c.open_key).bind(c.at.0).execute(&mut *tx).await?;
                    }
                }
            }
            let alarm_id: Option<i64> = match alarm_key {
                Some(k) => sqlx::query_scalar("SELECT id FROM alarms WHERE open_key = $1").bind(k).fetch_optional(&mut *tx).await?,
                None => None,
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO camera_events (camera_id, event_type, confidence, at, received_at, attachment_id, alarm_id, decision) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(camera_id).bind(event_type).bind(confidence).bind(at.0).bind(received_at.0).bind(attachment_id).bind(alarm_id).bind(decision)
            .fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    /// A camera's latest events, newest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn camera_events(
        &self,
        camera_id: &str,
        limit: i64,
    ) -> Result<Vec<CameraEvent>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM camera_events WHERE camera_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
                .bind(camera_id).bind(limit.clamp(1, 1000))
                .fetch_all(p).await?;
            rows.iter().map(camera_event_from_row).collect()
        })
    }

    /// The snapshot attachments of the events of `camera_id` linked to alarm `alarm_id`, oldest
    /// event first (at most 1000).
    ///
    /// # Errors
    /// Database failure.
    pub async fn camera_alarm_snapshots(
        &self,
        camera_id: &str,
        alarm_id: i64,
    ) -> Result<Vec<i64>, StoreError> {
        on_read!(self, p => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT attachment_id FROM camera_events WHERE camera_id = $1 AND alarm_id = $2 \
                 AND attachment_id IS NOT NULL ORDER BY at, id LIMIT 1000",
            )
            .bind(camera_id).bind(alarm_id)
            .fetch_all(p).await?;
            Ok(ids)
        })
    }

    /// Adds or replaces collection points.
    ///
    /// # Errors
    /// Database failure: none is stored then.
    pub async fn upsert_collection_points(
        &self,
        points: &[CollectionPoint],
    ) -> Result<(), StoreError> {
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for c in points {
                sqlx::query(
                    "INSERT INTO collection_points (point_id, name, category, lat, lon, grid_code) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (point_id) DO UPDATE SET name = excluded.name, category = excluded.category, lat = excluded.lat, \
                     lon = excluded.lon, grid_code = excluded.grid_code",
                )
                .bind(&c.point_id).bind(&c.name).bind(&c.category).bind(c.lat).bind(c.lon).bind(&c.grid_code)
                .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Every collection point, by id.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_collection_points(&self) -> Result<Vec<CollectionPoint>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM collection_points ORDER BY point_id").fetch_all(p).await?;
            rows.iter().map(point_from_row).collect()
        })
    }

    /// Adds or replaces a transfer station.
    ///
    /// # Errors
    /// Database failure.
    pub async fn upsert_station(&self, s: &TransferStation) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query(
                "INSERT INTO transfer_stations (station_id, name, lat, lon, radius_m, capacity_t, grid_code) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (station_id) DO UPDATE SET name = excluded.name, lat = excluded.lat, lon = excluded.lon, \
                 radius_m = excluded.radius_m, capacity_t = excluded.capacity_t, grid_code = excluded.grid_code",
            )
            .bind(&s.station_id).bind(&s.name).bind(s.lat).bind(s.lon).bind(s.radius_m).bind(s.capacity_t).bind(&s.grid_code)
            .execute(p).await?;
            Ok(())
        })
    }

    /// Every transfer station, by id.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_stations(&self) -> Result<Vec<TransferStation>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM transfer_stations ORDER BY station_id").fetch_all(p).await?;
            rows.iter().map(station_from_row).collect()
        })
    }

    /// Sets a station's tonnage of one day (replacing what was there).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown station; database failure.
    pub async fn put_tonnage(&self, t: &Tonnage) -> Result<(), StoreError> {
        on_write!(self, p => {
            let known: Option<String> = sqlx::query_scalar("SELECT station_id FROM transfer_stations WHERE station_id = $1")
                .bind(&t.station_id).fetch_optional(p).await?;
            if known.is_none() {
                return Err(StoreError::NotFound("transfer station"));
            }
            sqlx::query(
                "INSERT INTO station_tonnage (station_id, day, in_t, out_t, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (station_id, day) DO UPDATE SET in_t = excluded.in_t, out_t = excluded.out_t, updated_at = excluded.updated_at",
            )
            .bind(&t.station_id).bind(&t.day).bind(t.in_t).bind(t.out_t).bind(t.updated_at.0)
            .execute(p).await?;
            Ok(())
        })
    }

    /// Tonnage between two days (inclusive, `YYYY-MM-DD`), by station then day.
    ///
    /// # Errors
    /// Database failure.
    pub async fn tonnage(&self, from_day: &str, to_day: &str) -> Result<Vec<Tonnage>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM station_tonnage WHERE day >= $1 AND day <= $2 ORDER BY station_id, day")
                .bind(from_day).bind(to_day).fetch_all(p).await?;
            rows.iter().map(tonnage_from_row).collect()
        })
    }
}
