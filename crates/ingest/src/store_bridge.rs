//! The gateways' seams implemented over the database: [`StoreSink`] makes device batches
//! durable through `store`, [`StoreRegistry`] answers device identity from the vehicle and
//! monitor registries.
//!
//! Each fix is geocoded to its unit grid on the way in (the `locate` function the node passes
//! in, so this crate does not know how the city is loaded). Identity is answered from memory:
//! both registries keep a map refreshed from the database (`refresh`, called at start and
//! periodically by the node), so a JT/T 808 authentication or an HJ 212 password check never
//! waits for the database on the hot path.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use domain::time::Timestamp;
use store::{Position, Reading, Store};

use crate::record::{Hj212Reading, Record, TerminalEventKind, VehicleFix};
use crate::registry::{
    AuthRequest, Hj212Check, RegisterOutcome, RegisterRequest, Registry, RegistryError,
};
use crate::sink::{Sink, SinkError};
use crate::supervise::{OnAlarms, Supervisors, persist};

/// Finds the unit grid (15-digit code) holding a WGS-84 point (lon, lat), if any.
pub type Locate = Arc<dyn Fn(f64, f64) -> Option<String> + Send + Sync>;

#[derive(Default)]
struct Directory {
    /// Terminal phone → (vehicle id, auth code issued at registration).
    vehicles: HashMap<String, (i64, Option<String>)>,
    /// MN → password.
    monitors: HashMap<String, String>,
}

/// Device identity from the database, answered from memory.
#[derive(Clone)]
pub struct StoreRegistry {
    store: Store,
    directory: Arc<RwLock<Directory>>,
    now: Arc<dyn Fn() -> Timestamp + Send + Sync>,
}

impl StoreRegistry {
    /// A registry over `store`; call [`StoreRegistry::refresh`] before serving devices.
    pub fn new(store: Store, now: Arc<dyn Fn() -> Timestamp + Send + Sync>) -> StoreRegistry {
        StoreRegistry {
            store,
            directory: Arc::new(RwLock::new(Directory::default())),
            now,
        }
    }

    /// Reloads vehicles and monitors from the database.
    ///
    /// # Errors
    /// The database cannot be read (the previous directory stays in use).
    pub async fn refresh(&self) -> Result<(), store::StoreError> {
        let vehicles = self.store.list_vehicles().await?;
        let monitors = self.store.list_monitors().await?;
        let mut d = Directory::default();
        for v in vehicles {
            if let Some(phone) = v.phone {
                d.vehicles.insert(phone, (v.id, v.auth_code));
            }
        }
        for m in monitors {
            d.monitors.insert(m.mn, m.password);
        }
        match self.directory.write() {
            Ok(mut g) => *g = d,
            Err(p) => *p.into_inner() = d,
        }
        Ok(())
    }

    /// The vehicle id of a terminal phone.
    pub fn vehicle_id(&self, phone: &str) -> Option<i64> {
        self.directory
            .read()
            .ok()
            .and_then(|d| d.vehicles.get(phone).map(|v| v.0))
    }

    /// `f` over the directory's vehicles (one lock for a whole batch).
    fn with_vehicles<T>(&self, f: impl FnOnce(&HashMap<String, (i64, Option<String>)>) -> T) -> T {
        match self.directory.read() {
            Ok(d) => f(&d.vehicles),
            Err(p) => f(&p.into_inner().vehicles),
        }
    }

    fn set_code(&self, phone: &str, id: i64, code: &str) {
        if let Ok(mut d) = self.directory.write() {
            d.vehicles
                .insert(phone.to_owned(), (id, Some(code.to_owned())));
        }
    }
}

fn new_auth_code() -> String {
    use rand::RngExt as _;
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[rng.random_range(0..32)]))
        .collect()
}

impl Registry for StoreRegistry {
    async fn register(&self, request: RegisterRequest) -> Result<RegisterOutcome, RegistryError> {
        let known = self
            .store
            .vehicle_by_phone(&request.phone)
            .await
            .map_err(|e| RegistryError(e.to_string()))?;
        let Some(vehicle) = known else {
            // 0x8100 result 4: no such terminal in the database.
            return Ok(RegisterOutcome::Refused(
                jt808::RegisterResult::TerminalUnknown,
            ));
        };
        let code = new_auth_code();
        self.store
            .register_terminal(&request.phone, &request.terminal_id, &code, (self.now)())
            .await
            .map_err(|e| RegistryError(e.to_string()))?;
        self.set_code(&request.phone, vehicle.id, &code);
        Ok(RegisterOutcome::Accepted { auth_code: code })
    }

    async fn authenticate(&self, request: AuthRequest) -> Result<bool, RegistryError> {
        let cached = self
            .directory
            .read()
            .ok()
            .and_then(|d| d.vehicles.get(&request.phone).cloned());
        let code = match cached {
            Some((_, code)) => code,
            None => self
                .store
                .vehicle_by_phone(&request.phone)
                .await
                .map_err(|e| RegistryError(e.to_string()))?
                .and_then(|v| v.auth_code),
        };
        Ok(code.is_some_and(|c| c == request.auth_code))
    }

    fn check_hj212(&self, mn: &str, pw: &str) -> Hj212Check {
        let Ok(d) = self.directory.read() else {
            return Hj212Check::UnknownMn;
        };
        match d.monitors.get(mn) {
            None => Hj212Check::UnknownMn,
            Some(p) if p == pw => Hj212Check::Ok,
            Some(_) => Hj212Check::WrongPassword,
        }
    }
}

/// Makes device batches durable in the database.
#[derive(Clone)]
pub struct StoreSink {
    store: Store,
    registry: StoreRegistry,
    locate: Locate,
    /// The rule engines each batch runs through, when this node supervises devices.
    supervision: Option<(Supervisors, Option<OnAlarms>)>,
}

impl StoreSink {
    /// A sink writing through `store`, attributing fixes with `registry`, geocoding with
    /// `locate`.
    pub fn new(store: Store, registry: StoreRegistry, locate: Locate) -> StoreSink {
        StoreSink {
            store,
            registry,
            locate,
            supervision: None,
        }
    }

    /// Runs every batch through `supervisors` and writes their alarms beside it; `on_alarms`
    /// hears the keys of alarms raised once they are durable.
    pub fn with_supervision(
        mut self,
        supervisors: Supervisors,
        on_alarms: Option<OnAlarms>,
    ) -> StoreSink {
        self.supervision = Some((supervisors, on_alarms));
        self
    }

    fn position(&self, vehicle_id: i64, f: &VehicleFix) -> Position {
        Position {
            vehicle_id,
            fix_at: Timestamp(f.device_time.unwrap_or(f.received_at)),
            received_at: Timestamp(f.received_at),
            lat: f.latitude,
            lon: f.longitude,
            speed_kmh: f.speed_kmh,
            heading: i64::from(f.heading),
            altitude_m: i64::from(f.altitude_m),
            alarm: i64::from(f.alarm),
            status: i64::from(f.status),
            mileage_m: f.mileage_m.and_then(|m| i64::try_from(m).ok()),
            grid_code: (self.locate)(f.longitude, f.latitude),
            backfill: f.backfill,
        }
    }
}

fn readings(r: &Hj212Reading, out: &mut Vec<Reading>) {
    let data_time = Timestamp(r.data_time.unwrap_or(r.received_at));
    let cn = r.cn.to_string();
    for f in &r.factors {
        let flag = f.get("Flag").map(str::to_owned);
        for (field, value) in f.fields.iter().filter(|(s, _)| s != "Flag") {
            out.push(Reading {
                mn: r.mn.clone(),
                data_time,
                received_at: Timestamp(r.received_at),
                cn: cn.clone(),
                factor: f.code.clone(),
                field: field.clone(),
                value: Some(value.clone()),
                flag: flag.clone(),
            });
        }
    }
}

impl Sink for StoreSink {
    async fn write(&self, batch: &[Record]) -> Result<(), SinkError> {
        let mut positions = Vec::with_capacity(batch.len());
        let mut values = Vec::new();
        self.registry.with_vehicles(|vehicles| {
            let id = |phone: &str| vehicles.get(phone).map(|v| v.0);
            for record in batch {
                match record {
                    Record::Fix(f) => match id(&f.phone) {
                        Some(id) => positions.push(self.position(id, f)),
                        None => {
                            tracing::warn!(phone = %f.phone, "fix from a terminal without a vehicle: not stored");
                            metrics::counter!("yiwang_ingest_unattributed_fixes_total").increment(1);
                        }
                    },
                    Record::Media(m) => {
                        if let Some(id) = id(&m.phone) {
                            positions.push(self.position(id, &m.fix));
                        }
                    }
                    Record::Reading(r) => readings(r, &mut values),
                    Record::Terminal(t) => {
                        if let TerminalEventKind::Offline { reason } = &t.kind {
                            tracing::debug!(phone = %t.phone, %reason, "terminal offline");
                        }
                    }
                    Record::Notice(_) => {}
                }
            }
        });
        let alarms = match &self.supervision {
            Some((sup, _)) => sup.observe(batch),
            None => Vec::new(),
        };
        let stored = self.store.append_device_batch(positions, values).await;
        if let Some((sup, on)) = &self.supervision {
            if stored.is_ok() {
                persist(&self.store, sup, on.as_ref(), alarms).await;
            } else {
                // The device resends the batch and the rules see it again; keep what they said.
                sup.retry_later(alarms);
            }
        }
        stored.map_err(|e| SinkError::Unavailable(e.to_string()))
    }
}
