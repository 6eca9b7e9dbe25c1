//! Devices and their data: JT/T 808 vehicles (registry, live position, append-only track) and
//! HJ 212 monitors (registry, readings).
//!
//! Device data arrives in large batches from the gateways' group-commit batcher; on SQLite a
//! batch is one job of the writer thread (one transaction, one fsync for many connections'
//! reports), on PostgreSQL one transaction. The gateway acknowledges only after this returns.

use domain::time::Timestamp;
use serde::Serialize;

use crate::rows::{Arg, RowExt};
use crate::{Store, StoreError, on_read, on_write};

/// Kinds of supervised vehicles.
pub const VEHICLE_KINDS: &[&str] = &[
    "muck_truck",
    "sweeper",
    "sanitation",
    "enforcement",
    "garbage_truck",
];

/// A vehicle and its terminal, with the last known position.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Vehicle {
    pub id: i64,
    /// 车牌, e.g. "豫A·D1234".
    pub plate: String,
    /// One of [`VEHICLE_KINDS`].
    pub kind: String,
    pub company: Option<String>,
    /// JT/T 808 terminal phone (leading zeros trimmed).
    pub phone: Option<String>,
    pub terminal_id: Option<String>,
    #[serde(skip)]
    pub auth_code: Option<String>,
    pub registered_at: Option<Timestamp>,
    pub last_seen_at: Option<Timestamp>,
    pub last_fix_at: Option<Timestamp>,
    /// WGS-84 degrees.
    pub last_lat: Option<f64>,
    pub last_lon: Option<f64>,
    pub last_speed_kmh: Option<f64>,
    pub last_heading: Option<i64>,
    pub last_grid_code: Option<String>,
}

/// A vehicle to register.
#[derive(Clone, Debug)]
pub struct NewVehicle {
    pub plate: String,
    pub kind: String,
    pub company: Option<String>,
    pub phone: Option<String>,
}

/// One stored position.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Position {
    pub vehicle_id: i64,
    /// Device time (UTC), or the receive time when the device had none.
    pub fix_at: Timestamp,
    pub received_at: Timestamp,
    /// WGS-84 degrees.
    pub lat: f64,
    pub lon: f64,
    pub speed_kmh: f64,
    /// Degrees clockwise from north.
    pub heading: i64,
    pub altitude_m: i64,
    /// JT/T 808 alarm and status bit sets as sent.
    pub alarm: i64,
    pub status: i64,
    pub mileage_m: Option<i64>,
    /// The unit grid holding the point, when inside the city.
    pub grid_code: Option<String>,
    /// A 盲区补报 backfill (history), not a live position.
    pub backfill: bool,
}

/// An HJ 212 monitor (油烟, 扬尘, 噪声 …).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Monitor {
    /// HJ 212 MN (device id).
    pub mn: String,
    #[serde(skip)]
    pub password: String,
    /// `fume`, `dust`, `noise` or `other`.
    pub kind: String,
    pub name: String,
    /// The restaurant or construction site it watches.
    pub site: Option<String>,
    /// Restaurant size class 小/中/大 (`small`, `medium`, `large`).
    pub size_class: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub grid_code: Option<String>,
    pub last_seen_at: Option<Timestamp>,
}

/// One value of one factor in one HJ 212 upload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reading {
    pub mn: String,
    /// DataTime of the upload (UTC).
    pub data_time: Timestamp,
    pub received_at: Timestamp,
    /// Command number, e.g. "2011" real-time, "2051" minute, "2061" hour.
    pub cn: String,
    /// Factor code, e.g. "a34041" (fume), "a34000", "a24088".
    pub factor: String,
    /// Sub-field: "Rtd", "Avg", "Min", "Max", "RS" …
    pub field: String,
    /// The value exactly as sent (a decimal, not a float).
    pub value: Option<String>,
    /// Data flag (N, F, M, S, D, C, T, B).
    pub flag: Option<String>,
}

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp)
}

fn vehicle_from_row(r: &impl RowExt) -> Result<Vehicle, StoreError> {
    Ok(Vehicle {
        id: r.i64("id")?,
        plate: r.text("plate")?,
        kind: r.text("kind")?,
        company: r.opt_text("company")?,
        phone: r.opt_text("phone")?,
        terminal_id: r.opt_text("terminal_id")?,
        auth_code: r.opt_text("auth_code")?,
        registered_at: ts(r.opt_i64("registered_at")?),
        last_seen_at: ts(r.opt_i64("last_seen_at")?),
        last_fix_at: ts(r.opt_i64("last_fix_at")?),
        last_lat: r.opt_f64("last_lat")?,
        last_lon: r.opt_f64("last_lon")?,
        last_speed_kmh: r.opt_f64("last_speed_kmh")?,
        last_heading: r.opt_i64("last_heading")?,
        last_grid_code: r.opt_text("last_grid_code")?,
    })
}

fn position_from_row(r: &impl RowExt) -> Result<Position, StoreError> {
    Ok(Position {
        vehicle_id: r.i64("vehicle_id")?,
        fix_at: Timestamp(r.i64("fix_at")?),
        received_at: Timestamp(r.i64("received_at")?),
        lat: r.opt_f64("lat")?.unwrap_or(f64::NAN),
        lon: r.opt_f64("lon")?.unwrap_or(f64::NAN),
        speed_kmh: r.opt_f64("speed_kmh")?.unwrap_or(0.0),
        heading: r.i64("heading")?,
        altitude_m: r.i64("altitude_m")?,
        alarm: r.i64("alarm")?,
        status: r.i64("status")?,
        mileage_m: r.opt_i64("mileage_m")?,
        grid_code: r.opt_text("grid_code")?,
        backfill: r.bool("backfill")?,
    })
}

fn monitor_from_row(r: &impl RowExt) -> Result<Monitor, StoreError> {
    Ok(Monitor {
        mn: r.text("mn")?,
        password: r.text("password")?,
        kind: r.text("kind")?,
        name: r.text("name")?,
        site: r.opt_text("site")?,
        size_class: r.opt_text("size_class")?,
        lat: r.opt_f64("lat")?,
        lon: r.opt_f64("lon")?,
        grid_code: r.opt_text("grid_code")?,
        last_seen_at: ts(r.opt_i64("last_seen_at")?),
    })
}

fn reading_from_row(r: &impl RowExt) -> Result<Reading, StoreError> {
    Ok(Reading {
        mn: r.text("mn")?,
        data_time: Timestamp(r.i64("data_time")?),
        received_at: Timestamp(r.i64("received_at")?),
        cn: r.text("cn")?,
        factor: r.text("factor")?,
        field: r.text("field")?,
        value: r.opt_text("value")?,
        flag: r.opt_text("flag")?,
    })
}

const INSERT_POSITION: &str = "INSERT INTO vehicle_positions (vehicle_id, fix_at, received_at, lat, lon, speed_kmh, heading, altitude_m, alarm, status, mileage_m, grid_code, backfill) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

const UPDATE_LAST: &str = "UPDATE vehicles SET last_seen_at = $2, last_fix_at = $3, last_lat = $4, last_lon = $5, last_speed_kmh = $6, last_heading = $7, last_grid_code = $8 \
     WHERE id = $1 AND (last_fix_at IS NULL OR last_fix_at <= $3)";

const INSERT_READING: &str = "INSERT INTO monitor_readings (mn, data_time, received_at, cn, factor, field, value, flag) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

const MONITOR_SEEN: &str = "UPDATE monitors SET last_seen_at = $2 WHERE mn = $1";

fn position_args(p: &Position) -> Vec<Arg> {
    vec![
        p.vehicle_id.into(),
        p.fix_at.0.into(),
        p.received_at.0.into(),
        Arg::F64(Some(p.lat)),
        Arg::F64(Some(p.lon)),
        Arg::F64(Some(p.speed_kmh)),
        p.heading.into(),
        p.altitude_m.into(),
        p.alarm.into(),
        p.status.into(),
        p.mileage_m.into(),
        p.grid_code.clone().into(),
        p.backfill.into(),
    ]
}

fn last_args(p: &Position) -> Vec<Arg> {
    vec![
        p.vehicle_id.into(),
        p.received_at.0.into(),
        p.fix_at.0.into(),
        Arg::F64(Some(p.lat)),
        Arg::F64(Some(p.lon)),
        Arg::F64(Some(p.speed_kmh)),
        p.heading.into(),
        p.grid_code.clone().into(),
    ]
}

fn reading_args(r: &Reading) -> Vec<Arg> {
    vec![
        r.mn.as_str().into(),
        r.data_time.0.into(),
        r.received_at.0.into(),
        r.cn.as_str().into(),
        r.factor.as_str().into(),
        r.field.as_str().into(),
        r.value.clone().into(),
        r.flag.clone().into(),
    ]
}

/// The latest live (not backfilled) position per vehicle in `positions`.
fn latest_per_vehicle(positions: &[Position]) -> Vec<&Position> {
    let mut latest: std::collections::HashMap<i64, &Position> = std::collections::HashMap::new();
    for p in positions.iter().filter(|p| !p.backfill) {
        let e = latest.entry(p.vehicle_id).or_insert(p);
        if p.fix_at >= e.fix_at {
            *e = p;
        }
    }
    latest.into_values().collect()
}

impl Store {
    /// Registers a vehicle (plate unique, terminal phone unique).
    ///
    /// # Errors
    /// An unknown kind; a duplicate plate or phone.
    pub async fn create_vehicle(&self, v: &NewVehicle, now: Timestamp) -> Result<i64, StoreError> {
        if !VEHICLE_KINDS.contains(&v.kind.as_str()) {
            return Err(StoreError::Invalid(format!(
                "unknown vehicle kind {:?}: use one of {}",
                v.kind,
                VEHICLE_KINDS.join(", ")
            )));
        }
        on_write!(self, p => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO vehicles (plate, kind, company, phone, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(&v.plate).bind(&v.kind).bind(&v.company).bind(&v.phone).bind(now.0)
            .fetch_one(p).await?;
            Ok(id)
        })
    }

    /// Every vehicle, by plate.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_vehicles(&self) -> Result<Vec<Vehicle>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM vehicles ORDER BY plate").fetch_all(p).await?;
            rows.iter().map(vehicle_from_row).collect()
        })
    }

    /// The vehicle whose terminal has this phone.
    ///
    /// # Errors
    /// Database failure.
    pub async fn vehicle_by_phone(&self, phone: &str) -> Result<Option<Vehicle>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM vehicles WHERE phone = $1").bind(phone).fetch_optional(p).await?;
            row.as_ref().map(vehicle_from_row).transpose()
        })
    }

    /// One vehicle.
    ///
    /// # Errors
    /// Database failure.
    pub async fn get_vehicle(&self, id: i64) -> Result<Option<Vehicle>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM vehicles WHERE id = $1").bind(id).fetch_optional(p).await?;
            row.as_ref().map(vehicle_from_row).transpose()
        })
    }

    /// Records a terminal's registration (0x0100): its terminal id and the auth code issued.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if no vehicle has this phone.
    pub async fn register_terminal(
        &self,
        phone: &str,
        terminal_id: &str,
        auth_code: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        on_write!(self, p => {
            let id: Option<i64> = sqlx::query_scalar(
                "UPDATE vehicles SET terminal_id = $2, auth_code = $3, registered_at = $4, last_seen_at = $4 WHERE phone = $1 RETURNING id",
            )
            .bind(phone).bind(terminal_id).bind(auth_code).bind(now.0)
            .fetch_optional(p).await?;
            id.ok_or(StoreError::NotFound("vehicle"))
        })
    }

    /// Appends positions and moves each vehicle's last known position forward, all in one
    /// transaction (group-committed with other writers on SQLite).
    ///
    /// # Errors
    /// Database failure: nothing of the batch is stored then.
    pub async fn append_positions(&self, positions: &[Position]) -> Result<(), StoreError> {
        if positions.is_empty() {
            return Ok(());
        }
        let latest = latest_per_vehicle(positions);
        if let Some(batch) = &self.batch {
            let mut statements: Vec<(&'static str, Vec<Arg>)> =
                Vec::with_capacity(positions.len() + latest.len());
            statements.extend(
                positions
                    .iter()
                    .map(|p| (INSERT_POSITION, position_args(p))),
            );
            statements.extend(latest.iter().map(|p| (UPDATE_LAST, last_args(p))));
            batch.submit_statements(statements).await?;
            return Ok(());
        }
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for chunk in positions.chunks(500) {
                let mut sql = String::from(
                    "INSERT INTO vehicle_positions (vehicle_id, fix_at, received_at, lat, lon, speed_kmh, heading, altitude_m, alarm, status, mileage_m, grid_code, backfill) VALUES ",
                );
                let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 13);
                for (i, pos) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(',');
                    }
                    let b = args.len();
                    sql.push('(');
                    for k in 1..=13 {
                        if k > 1 {
                            sql.push(',');
                        }
                        sql.push_str(&format!("${}", b + k));
                    }
                    sql.push(')');
                    args.extend(position_args(pos));
                }
                crate::rows::bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), &args).execute(&mut *tx).await?;
            }
            for pos in &latest {
                crate::rows::bind_args!(sqlx::query(UPDATE_LAST), &last_args(pos)).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A vehicle's track between two instants (inclusive), oldest first, at most `limit` points.
    ///
    /// # Errors
    /// Database failure.
    pub async fn track(
        &self,
        vehicle_id: i64,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<Position>, StoreError> {
        let limit = limit.clamp(1, 100_000) as i64;
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT * FROM vehicle_positions WHERE vehicle_id = $1 AND fix_at >= $2 AND fix_at <= $3 ORDER BY fix_at LIMIT $4",
            )
            .bind(vehicle_id).bind(from.0).bind(to.0).bind(limit)
            .fetch_all(p).await?;
            rows.iter().map(position_from_row).collect()
        })
    }

    /// Deletes track points older than `before` (retention); returns how many.
    ///
    /// # Errors
    /// Database failure.
    pub async fn prune_positions(&self, before: Timestamp) -> Result<u64, StoreError> {
        on_write!(self, p => {
            let n = sqlx::query("DELETE FROM vehicle_positions WHERE fix_at < $1").bind(before.0).execute(p).await?.rows_affected();
            Ok(n)
        })
    }

    /// Registers an HJ 212 monitor (or replaces its settings).
    ///
    /// # Errors
    /// Database failure.
    pub async fn upsert_monitor(&self, m: &Monitor, now: Timestamp) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query(
                "INSERT INTO monitors (mn, password, kind, name, site, size_class, lat, lon, grid_code, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (mn) DO UPDATE SET password = excluded.password, \
                 kind = excluded.kind, name = excluded.name, site = excluded.site, size_class = excluded.size_class, \
                 lat = excluded.lat, lon = excluded.lon, grid_code = excluded.grid_code",
            )
            .bind(&m.mn).bind(&m.password).bind(&m.kind).bind(&m.name).bind(&m.site).bind(&m.size_class)
            .bind(m.lat).bind(m.lon).bind(&m.grid_code).bind(now.0)
            .execute(p).await?;
            Ok(())
        })
    }

    /// One monitor by MN.
    ///
    /// # Errors
    /// Database failure.
    pub async fn monitor(&self, mn: &str) -> Result<Option<Monitor>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM monitors WHERE mn = $1").bind(mn).fetch_optional(p).await?;
            row.as_ref().map(monitor_from_row).transpose()
        })
    }

    /// Every monitor, by MN.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_monitors(&self) -> Result<Vec<Monitor>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM monitors ORDER BY mn").fetch_all(p).await?;
            rows.iter().map(monitor_from_row).collect()
        })
    }

    /// Appends readings and marks their monitors seen, in one transaction.
    ///
    /// # Errors
    /// Database failure: nothing of the batch is stored then.
    pub async fn append_readings(&self, readings: &[Reading]) -> Result<(), StoreError> {
        if readings.is_empty() {
            return Ok(());
        }
        let mut seen: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
        for r in readings {
            let e = seen.entry(r.mn.as_str()).or_insert(r.received_at.0);
            *e = (*e).max(r.received_at.0);
        }
        let mut statements: Vec<(&'static str, Vec<Arg>)> = readings
            .iter()
            .map(|r| (INSERT_READING, reading_args(r)))
            .collect();
        statements.extend(
            seen.iter()
                .map(|(mn, at)| (MONITOR_SEEN, vec![Arg::from(*mn), Arg::from(*at)])),
        );
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

    /// A monitor's readings of one factor between two instants, oldest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn readings(
        &self,
        mn: &str,
        factor: &str,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<Reading>, StoreError> {
        let limit = limit.clamp(1, 100_000) as i64;
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT * FROM monitor_readings WHERE mn = $1 AND factor = $2 AND data_time >= $3 AND data_time <= $4 ORDER BY data_time LIMIT $5",
            )
            .bind(mn).bind(factor).bind(from.0).bind(to.0).bind(limit)
            .fetch_all(p).await?;
            rows.iter().map(reading_from_row).collect()
        })
    }
}
