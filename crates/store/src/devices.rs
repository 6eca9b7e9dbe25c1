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

/// Rows per multi-row INSERT on the SQLite writer thread (13 or 8 parameters per row: well
/// under SQLite's 32,766).
const ROWS_PER_INSERT: usize = 64;

const POSITION_COLUMNS: &str = "INSERT INTO vehicle_positions (vehicle_id, fix_at, received_at, lat, lon, speed_kmh, heading, altitude_m, alarm, status, mileage_m, grid_code, backfill) VALUES ";

const READING_COLUMNS: &str = "INSERT INTO monitor_readings (mn, data_time, received_at, cn, factor, field, value, flag) VALUES ";

/// `head` followed by `rows` tuples of `params` plain `?` parameters.
fn multi_row(head: &str, params: usize, rows: usize) -> String {
    let tuple = format!("({})", vec!["?"; params].join(","));
    let mut sql = String::with_capacity(head.len() + rows * (tuple.len() + 1));
    sql.push_str(head);
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&tuple);
    }
    sql
}

fn positions_many() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| multi_row(POSITION_COLUMNS, 13, ROWS_PER_INSERT))
}

fn positions_one() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| multi_row(POSITION_COLUMNS, 13, 1))
}

fn readings_many() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| multi_row(READING_COLUMNS, 8, ROWS_PER_INSERT))
}

fn readings_one() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| multi_row(READING_COLUMNS, 8, 1))
}

/// One gateway batch of device data, written by the SQLite writer thread as one job: its rows
/// are bound straight from the structs into cached multi-row INSERTs (no argument vectors, no
/// statement lookup per row).
#[derive(Debug, Default)]
pub(crate) struct DeviceBatch {
    /// Sorted by (vehicle, fix time), arrival order kept within.
    positions: Vec<Position>,
    readings: Vec<Reading>,
}

fn bind_position(
    stmt: &mut rusqlite::Statement<'_>,
    at: usize,
    p: &Position,
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(at + 1, p.vehicle_id)?;
    stmt.raw_bind_parameter(at + 2, p.fix_at.0)?;
    stmt.raw_bind_parameter(at + 3, p.received_at.0)?;
    stmt.raw_bind_parameter(at + 4, p.lat)?;
    stmt.raw_bind_parameter(at + 5, p.lon)?;
    stmt.raw_bind_parameter(at + 6, p.speed_kmh)?;
    stmt.raw_bind_parameter(at + 7, p.heading)?;
    stmt.raw_bind_parameter(at + 8, p.altitude_m)?;
    stmt.raw_bind_parameter(at + 9, p.alarm)?;
    stmt.raw_bind_parameter(at + 10, p.status)?;
    stmt.raw_bind_parameter(at + 11, p.mileage_m)?;
    stmt.raw_bind_parameter(at + 12, p.grid_code.as_deref())?;
    stmt.raw_bind_parameter(at + 13, i64::from(p.backfill))
}

fn bind_reading(
    stmt: &mut rusqlite::Statement<'_>,
    at: usize,
    r: &Reading,
) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(at + 1, r.mn.as_str())?;
    stmt.raw_bind_parameter(at + 2, r.data_time.0)?;
    stmt.raw_bind_parameter(at + 3, r.received_at.0)?;
    stmt.raw_bind_parameter(at + 4, r.cn.as_str())?;
    stmt.raw_bind_parameter(at + 5, r.factor.as_str())?;
    stmt.raw_bind_parameter(at + 6, r.field.as_str())?;
    stmt.raw_bind_parameter(at + 7, r.value.as_deref())?;
    stmt.raw_bind_parameter(at + 8, r.flag.as_deref())
}

/// Inserts `rows` with `many` (`ROWS_PER_INSERT` rows per statement) and `one` for the rest.
fn insert_rows<T>(
    conn: &rusqlite::Connection,
    rows: &[T],
    (many, one): (&str, &str),
    params: usize,
    bind: impl Fn(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
) -> rusqlite::Result<usize> {
    let mut changed = 0;
    let mut chunks = rows.chunks_exact(ROWS_PER_INSERT);
    if chunks.len() > 0 {
        let mut stmt = conn.prepare_cached(many)?;
        for chunk in &mut chunks {
            for (i, row) in chunk.iter().enumerate() {
                bind(&mut stmt, i * params, row)?;
            }
            changed += stmt.raw_execute()?;
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut stmt = conn.prepare_cached(one)?;
        for row in rest {
            bind(&mut stmt, 0, row)?;
            changed += stmt.raw_execute()?;
        }
    }
    Ok(changed)
}

impl DeviceBatch {
    fn new(mut positions: Vec<Position>, readings: Vec<Reading>) -> DeviceBatch {
        // Index order (vehicle, time): the index inserts walk the tree in order. Stable, so
        // points of one vehicle with the same time keep their arrival order.
        positions.sort_by_key(|p| (p.vehicle_id, p.fix_at.0));
        DeviceBatch {
            positions,
            readings,
        }
    }

    /// Writes the batch on the SQLite writer's connection (inside its transaction); returns the
    /// rows changed.
    pub(crate) fn write_rusqlite(&self, conn: &rusqlite::Connection) -> Result<i64, StoreError> {
        let mut changed = insert_rows(
            conn,
            &self.positions,
            (positions_many(), positions_one()),
            13,
            bind_position,
        )?;
        if !self.positions.is_empty() {
            let sql = crate::batch::numbered(UPDATE_LAST);
            let mut stmt = conn.prepare_cached(&sql)?;
            for p in latest_per_vehicle(&self.positions) {
                stmt.raw_bind_parameter(1, p.vehicle_id)?;
                stmt.raw_bind_parameter(2, p.received_at.0)?;
                stmt.raw_bind_parameter(3, p.fix_at.0)?;
                stmt.raw_bind_parameter(4, p.lat)?;
                stmt.raw_bind_parameter(5, p.lon)?;
                stmt.raw_bind_parameter(6, p.speed_kmh)?;
                stmt.raw_bind_parameter(7, p.heading)?;
                stmt.raw_bind_parameter(8, p.grid_code.as_deref())?;
                changed += stmt.raw_execute()?;
            }
        }
        changed += insert_rows(
            conn,
            &self.readings,
            (readings_many(), readings_one()),
            8,
            bind_reading,
        )?;
        if !self.readings.is_empty() {
            let sql = crate::batch::numbered(MONITOR_SEEN);
            let mut stmt = conn.prepare_cached(&sql)?;
            for (mn, at) in seen_per_monitor(&self.readings) {
                stmt.raw_bind_parameter(1, mn)?;
                stmt.raw_bind_parameter(2, at)?;
                changed += stmt.raw_execute()?;
            }
        }
        Ok(i64::try_from(changed).unwrap_or(i64::MAX))
    }
}

/// The latest receive instant per monitor in `readings`.
fn seen_per_monitor(readings: &[Reading]) -> std::collections::HashMap<&str, i64> {
    let mut seen: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for r in readings {
        let e = seen.entry(r.mn.as_str()).or_insert(r.received_at.0);
        *e = (*e).max(r.received_at.0);
    }
    seen
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

    /// Registers many vehicles in one transaction (fleet imports, load-test provisioning);
    /// all or none. Returns how many were written.
    ///
    /// # Errors
    /// An unknown kind; a duplicate plate or phone (nothing is written then).
    pub async fn create_vehicles(
        &self,
        vehicles: &[NewVehicle],
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        if let Some(v) = vehicles
            .iter()
            .find(|v| !VEHICLE_KINDS.contains(&v.kind.as_str()))
        {
            return Err(StoreError::Invalid(format!(
                "unknown vehicle kind {:?}: use one of {}",
                v.kind,
                VEHICLE_KINDS.join(", ")
            )));
        }
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for v in vehicles {
                sqlx::query("INSERT INTO vehicles (plate, kind, company, phone, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&v.plate).bind(&v.kind).bind(&v.company).bind(&v.phone).bind(now.0)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(vehicles.len())
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

    /// One gateway batch: appends `positions` (moving each vehicle's last known position
    /// forward) and `readings` (marking their monitors seen). On SQLite the batch is one job of
    /// the writer thread, all or none, its rows bound straight into cached multi-row INSERTs; on
    /// PostgreSQL [`Store::append_positions`] then [`Store::append_readings`].
    ///
    /// # Errors
    /// Database failure: on SQLite nothing of the batch is stored then.
    pub async fn append_device_batch(
        &self,
        positions: Vec<Position>,
        readings: Vec<Reading>,
    ) -> Result<(), StoreError> {
        if positions.is_empty() && readings.is_empty() {
            return Ok(());
        }
        if let Some(batch) = &self.batch {
            batch
                .submit_devices(DeviceBatch::new(positions, readings))
                .await?;
            return Ok(());
        }
        self.append_positions(&positions).await?;
        self.append_readings(&readings).await
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

    /// Registers (or replaces) many monitors in one transaction; all or none.
    ///
    /// # Errors
    /// Database failure (nothing is written then).
    pub async fn upsert_monitors(
        &self,
        monitors: &[Monitor],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for m in monitors {
                sqlx::query(
                    "INSERT INTO monitors (mn, password, kind, name, site, size_class, lat, lon, grid_code, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (mn) DO UPDATE SET password = excluded.password, \
                     kind = excluded.kind, name = excluded.name, site = excluded.site, size_class = excluded.size_class, \
                     lat = excluded.lat, lon = excluded.lon, grid_code = excluded.grid_code",
                )
                .bind(&m.mn).bind(&m.password).bind(&m.kind).bind(&m.name).bind(&m.site).bind(&m.size_class)
                .bind(m.lat).bind(m.lon).bind(&m.grid_code).bind(now.0)
                .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
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
        let seen = seen_per_monitor(readings);
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::backends;

    fn fix(vehicle_id: i64, at_s: i64, lat: f64, backfill: bool) -> Position {
        Position {
            vehicle_id,
            fix_at: Timestamp(1_800_000_000_000 + at_s * 1000),
            received_at: Timestamp(1_800_000_000_000 + at_s * 1000 + 500),
            lat,
            lon: 113.6,
            speed_kmh: 30.0,
            heading: 90,
            altitude_m: 100,
            alarm: 0,
            status: 3,
            mileage_m: (at_s % 3 != 0).then_some(at_s * 10),
            grid_code: (at_s % 2 == 0).then(|| "410102002001001".to_owned()),
            backfill,
        }
    }

    fn reading(mn: &str, at_s: i64, factor: &str, value: &str) -> Reading {
        Reading {
            mn: mn.to_owned(),
            data_time: Timestamp(1_800_000_000_000 + at_s * 1000),
            received_at: Timestamp(1_800_000_000_000 + at_s * 1000 + 700),
            cn: "2011".into(),
            factor: factor.to_owned(),
            field: "Rtd".into(),
            value: Some(value.to_owned()),
            flag: (at_s % 2 == 0).then(|| "N".to_owned()),
        }
    }

    /// A gateway batch larger than one multi-row INSERT (and not a multiple of it) reads back
    /// as the rows sent, through the same read APIs as the per-row path.
    #[tokio::test]
    async fn a_device_batch_reads_back_as_sent() {
        for (name, store, _, _dir) in backends("devbatch").await {
            let now = Timestamp(1_800_000_000_000);
            let mut ids = Vec::new();
            for k in 0..3 {
                let v = NewVehicle {
                    plate: format!("豫A·T000{k}"),
                    kind: "sweeper".into(),
                    company: None,
                    phone: Some(format!("1380000000{k}")),
                };
                ids.push(store.create_vehicle(&v, now).await.expect("vehicle"));
            }
            for mn in ["MN-A", "MN-B"] {
                let m = Monitor {
                    mn: mn.into(),
                    password: "123456".into(),
                    kind: "fume".into(),
                    name: mn.into(),
                    site: None,
                    size_class: None,
                    lat: None,
                    lon: None,
                    grid_code: None,
                    last_seen_at: None,
                };
                store.upsert_monitor(&m, now).await.expect("monitor");
            }
            // 3 × 50 fixes, interleaved as connections deliver them, newest last; vehicle 0's
            // newest is a backfill (history: not its last position).
            let mut positions = Vec::new();
            for s in 0..50 {
                for (k, id) in ids.iter().enumerate() {
                    let backfill = k == 0 && s == 49;
                    let at = if backfill { 200 } else { s };
                    positions.push(fix(*id, at, 34.7 + s as f64 * 1e-4, backfill));
                }
            }
            let mut readings = Vec::new();
            for s in 0..70 {
                readings.push(reading("MN-A", s, "a34041", &format!("{s}.10")));
                readings.push(reading("MN-B", s, "a34000", "1.20"));
            }
            store
                .append_device_batch(positions.clone(), readings.clone())
                .await
                .expect("batch");
            for (k, id) in ids.iter().enumerate() {
                let track = store
                    .track(*id, Timestamp(0), Timestamp(i64::MAX), 1000)
                    .await
                    .expect("track");
                let mut want: Vec<Position> = positions
                    .iter()
                    .filter(|p| p.vehicle_id == *id)
                    .cloned()
                    .collect();
                want.sort_by_key(|p| p.fix_at);
                assert_eq!(track, want, "{name}: vehicle {k}");
                let v = store.get_vehicle(*id).await.expect("get").expect("vehicle");
                let live = want.iter().rfind(|p| !p.backfill).expect("live");
                assert_eq!(v.last_fix_at, Some(live.fix_at), "{name}: last fix {k}");
                assert_eq!(v.last_lat, Some(live.lat), "{name}: last lat {k}");
                assert_eq!(v.last_grid_code, live.grid_code, "{name}: last grid {k}");
                assert_eq!(v.last_seen_at, Some(live.received_at), "{name}: seen {k}");
            }
            let a = store
                .readings("MN-A", "a34041", Timestamp(0), Timestamp(i64::MAX), 1000)
                .await
                .expect("readings");
            let want: Vec<Reading> = readings
                .iter()
                .filter(|r| r.mn == "MN-A")
                .cloned()
                .collect();
            assert_eq!(a, want, "{name}: readings");
            let m = store.monitor("MN-B").await.expect("monitor").expect("MN-B");
            assert_eq!(
                m.last_seen_at,
                Some(Timestamp(1_800_000_000_000 + 69_000 + 700)),
                "{name}: monitor seen"
            );
        }
    }
}
