//! The demo's muck trucks 渣土车: one transport permit 渣土处置核准 from a construction site to a
//! disposal site along a district road, and trucks that run it as real JT/T 808 terminals —
//! most of them by the book, some not, so every muck rule shows in the demo within minutes:
//!
//! | truck (muck index) | behaviour | rule it trips |
//! |---|---|---|
//! | 0, 3, 6 | on route, now and then 70–85 km/h | `muck.speeding` |
//! | 1 | halfway, a 400 m detour for ≈ 3 min | `muck.off_route` |
//! | 2 | stops loaded off the corridor for 6 min, then tips the load | `muck.dumping`, `muck.unload` |
//! | 4, 5 | by the book | none |
//! | 7 | named on no permit, drives loaded | `muck.no_permit` |
//!
//! Trucks drive loaded (JT/T 808 status bits 8–9 = 11) from the construction site to the
//! disposal site, tip there, and return empty.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Days;
use domain::time::Timestamp;
use grid::{MultiPolygon, Point, Polygon, Polyline};
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng};
use simulator::jt808_terminal::{Fix, Identity, Terminal};
use store::Store;
use supervision::muck::{Permit, PermitVehicle};
use tokio_util::sync::CancellationToken;

use crate::devices::DemoVehicle;

/// JT/T 808 status bits 8–9 = 11: fully loaded 满载.
const LOADED: u32 = 0b11 << 8;
/// Metres per degree of latitude.
const M_PER_DEG_LAT: f64 = 111_000.0;
/// The demo permit's number.
const PERMIT_NUMBER: &str = "郑渣核(2026)第0417号";

/// The permitted trip: sites and route.
#[derive(Clone, Debug)]
pub struct Trip {
    pub route: Vec<Point>,
}

fn m_per_deg_lon(lat: f64) -> f64 {
    M_PER_DEG_LAT * lat.to_radians().cos()
}

/// A square of `half_m` metres around `c`, closed.
fn square(c: Point, half_m: f64) -> MultiPolygon {
    let dlat = half_m / M_PER_DEG_LAT;
    let dlon = half_m / m_per_deg_lon(c.lat);
    let ring = vec![
        Point::new(c.lon - dlon, c.lat - dlat),
        Point::new(c.lon + dlon, c.lat - dlat),
        Point::new(c.lon + dlon, c.lat + dlat),
        Point::new(c.lon - dlon, c.lat + dlat),
        Point::new(c.lon - dlon, c.lat - dlat),
    ];
    MultiPolygon(vec![Polygon {
        exterior: ring,
        holes: Vec::new(),
    }])
}

/// The longest of `roads` is the permitted route.
pub fn trip(roads: &[grid::Road]) -> Option<Trip> {
    let road = roads
        .iter()
        .filter(|r| r.line.0.len() >= 2)
        .max_by(|a, b| a.line.length_m().total_cmp(&b.line.length_m()))?;
    Some(Trip {
        route: road.line.0.clone(),
    })
}

/// Files the demo permit for every muck truck but the last (first start only).
///
/// # Errors
/// The store fails.
pub async fn ensure_permit(
    store: &Store,
    now: Timestamp,
    trip: &Trip,
    trucks: &[&DemoVehicle],
) -> anyhow::Result<()> {
    if !store.list_permits(None).await?.is_empty() {
        return Ok(());
    }
    let today = now.to_shanghai().date();
    let (first, last) = (trip.route[0], trip.route[trip.route.len() - 1]);
    let permitted = trucks.len().saturating_sub(1);
    let permit = Permit {
        id: "demo".into(),
        number: PERMIT_NUMBER.into(),
        company: "郑州中原建投渣土运输有限公司".into(),
        vehicles: trucks[..permitted]
            .iter()
            .map(|v| PermitVehicle {
                phone: v.phone.clone(),
                plate: Some(v.plate.clone()),
            })
            .collect(),
        construction_site: square(first, 150.0),
        disposal_site: square(last, 150.0),
        route: Polyline(trip.route.clone()),
        corridor_width_m: 60.0,
        windows: Vec::new(),
        valid_from: today - Days::days(30),
        valid_to: today + Days::days(90),
    };
    permit
        .validate()
        .map_err(|e| anyhow::anyhow!("demo permit invalid: {e}"))?;
    store
        .create_permit(
            &permit.number,
            &permit.company,
            &permit.valid_from.to_string(),
            &permit.valid_to.to_string(),
            &serde_json::to_value(&permit)?,
            now,
        )
        .await?;
    Ok(())
}

/// What one truck does on its trips.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Habit {
    ByTheBook,
    Speeder,
    Detour,
    Dumper,
    NoPermit,
}

fn habit(k: usize, n: usize) -> Habit {
    match k {
        _ if k + 1 == n && n > 1 => Habit::NoPermit,
        1 => Habit::Detour,
        2 => Habit::Dumper,
        _ if k.is_multiple_of(3) => Habit::Speeder,
        _ => Habit::ByTheBook,
    }
}

/// Starts every muck truck as a JT/T 808 terminal on `trip` until `cancel`.
pub fn spawn(
    addr: SocketAddr,
    trucks: Vec<DemoVehicle>,
    trip: Trip,
    clock: Arc<dyn server::clock::Clock>,
    every: Duration,
    seed: u64,
    cancel: CancellationToken,
) {
    let n = trucks.len();
    let trip = Arc::new(trip);
    for (k, v) in trucks.into_iter().enumerate() {
        let (trip, clock, cancel) = (trip.clone(), clock.clone(), cancel.clone());
        let habit = habit(k, n);
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed ^ (0x3c4 + k as u64));
            let mut auth = None;
            // Trucks set off a little apart.
            tokio::time::sleep(every * (k as u32 * 3)).await;
            while !cancel.is_cancelled() {
                let run = Run {
                    v: &v,
                    habit,
                    trip: &trip,
                    clock: &clock,
                    every,
                    cancel: &cancel,
                };
                if let Err(e) = run.go(addr, &mut rng, &mut auth, k).await {
                    tracing::debug!(plate = %v.plate, error = %e, "simulated muck truck reconnects");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    }
                }
            }
        });
    }
}

struct Run<'a> {
    v: &'a DemoVehicle,
    habit: Habit,
    trip: &'a Trip,
    clock: &'a Arc<dyn server::clock::Clock>,
    every: Duration,
    cancel: &'a CancellationToken,
}

impl Run<'_> {
    async fn go(
        &self,
        addr: SocketAddr,
        rng: &mut StdRng,
        auth: &mut Option<String>,
        k: usize,
    ) -> anyhow::Result<()> {
        let mut identity = Identity::new(&self.v.phone);
        identity.plate = self.v.plate.clone();
        identity.auth_code = auth.clone();
        let version = if k.is_multiple_of(2) {
            jt808::Version::V2019
        } else {
            jt808::Version::V2013
        };
        let mut t = Terminal::connect(addr, identity, version).await?;
        if auth.is_none() {
            *auth = Some(t.register().await?);
        }
        t.authenticate(auth.as_deref().unwrap_or_default()).await?;
        loop {
            // Loaded out, empty back.
            let out: Vec<Point> = self.trip.route.clone();
            let back: Vec<Point> = out.iter().rev().copied().collect();
            if !self.leg(&mut t, rng, &out, LOADED, true).await? {
                return Ok(());
            }
            // Tipping at the disposal site.
            if !self.stand(&mut t, out[out.len() - 1], LOADED, 3).await? {
                return Ok(());
            }
            if !self.leg(&mut t, rng, &back, 0, false).await? {
                return Ok(());
            }
            // Loading at the construction site.
            if !self.stand(&mut t, out[0], 0, 3).await? {
                return Ok(());
            }
        }
    }

    /// Sends one fix; `false` once cancelled.
    async fn send(
        &self,
        t: &mut Terminal,
        p: Point,
        speed_kmh: f64,
        heading: u16,
        status: u32,
    ) -> anyhow::Result<bool> {
        if self.cancel.is_cancelled() {
            return Ok(false);
        }
        let mut fix = Fix::at(p.lat, p.lon);
        fix.speed_kmh = speed_kmh;
        fix.heading = heading;
        fix.altitude_m = 110;
        fix.status = status;
        fix.time = crate::devices::local_fields(self.clock.now());
        t.report(&fix).await?;
        tokio::select! {
            _ = self.cancel.cancelled() => Ok(false),
            _ = tokio::time::sleep(self.every) => Ok(true),
        }
    }

    /// Standing at `p` for `fixes` reports.
    async fn stand(
        &self,
        t: &mut Terminal,
        p: Point,
        status: u32,
        fixes: usize,
    ) -> anyhow::Result<bool> {
        for _ in 0..fixes {
            if !self.send(t, p, 0.0, 0, status).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Drives `line`; the habits that break rules do it on the loaded leg.
    async fn leg(
        &self,
        t: &mut Terminal,
        rng: &mut StdRng,
        line: &[Point],
        status: u32,
        loaded: bool,
    ) -> anyhow::Result<bool> {
        let total: f64 = line.windows(2).map(|w| metres(w[0], w[1])).sum();
        let mut done = 0.0;
        let mut misbehaved = false;
        // Fixes left in a speeding burst (a minute above the limit).
        let mut burst = 0usize;
        for w in line.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = metres(a, b);
            let heading = heading(a, b);
            let mut at = 0.0;
            while at < len {
                let p = lerp(a, b, at / len);
                if loaded && !misbehaved && done + at >= total * 0.4 {
                    misbehaved = true;
                    let ok = match self.habit {
                        Habit::Detour => self.detour(t, p, heading).await?,
                        Habit::Dumper => self.dump(t, p, heading).await?,
                        Habit::Speeder => {
                            burst = (60.0 / self.every.as_secs_f64()).ceil() as usize + 2;
                            true
                        }
                        _ => true,
                    };
                    if !ok {
                        return Ok(false);
                    }
                }
                let speed = if burst > 0 {
                    burst -= 1;
                    rng.random_range(72.0..85.0)
                } else {
                    rng.random_range(25.0..45.0)
                };
                if !self.send(t, p, speed, heading, status).await? {
                    return Ok(false);
                }
                // Muck trucks run in real time: the rules' durations hold as configured.
                at += speed / 3.6 * self.every.as_secs_f64();
            }
            done += len;
        }
        Ok(true)
    }

    /// Leaves the corridor sideways by 400 m, drives along it out there for ≈ 3 minutes, and
    /// comes back.
    async fn detour(
        &self,
        t: &mut Terminal,
        from: Point,
        heading_deg: u16,
    ) -> anyhow::Result<bool> {
        let side = f64::from((heading_deg + 90) % 360).to_radians();
        let off = offset(from, side, 400.0);
        let fixes = (180.0 / self.every.as_secs_f64()).ceil() as usize + 3;
        let along = f64::from(heading_deg).to_radians();
        for i in 0..fixes {
            let p = offset(off, along, 30.0 * i as f64);
            if !self.send(t, p, 30.0, heading_deg, LOADED).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Pulls off 300 m, stands loaded for 6 minutes, tips the load there, and returns.
    async fn dump(&self, t: &mut Terminal, from: Point, heading_deg: u16) -> anyhow::Result<bool> {
        let side = f64::from((heading_deg + 270) % 360).to_radians();
        let spot = offset(from, side, 300.0);
        if !self
            .send(t, lerp(from, spot, 0.5), 20.0, heading_deg, LOADED)
            .await?
        {
            return Ok(false);
        }
        let fixes = (360.0 / self.every.as_secs_f64()).ceil() as usize + 2;
        if !self.stand(t, spot, LOADED, fixes).await? {
            return Ok(false);
        }
        self.stand(t, spot, 0, 3).await
    }
}

fn metres(a: Point, b: Point) -> f64 {
    let dx = (b.lon - a.lon) * m_per_deg_lon(a.lat);
    let dy = (b.lat - a.lat) * M_PER_DEG_LAT;
    (dx * dx + dy * dy).sqrt()
}

fn heading(a: Point, b: Point) -> u16 {
    let dx = (b.lon - a.lon) * m_per_deg_lon(a.lat);
    let dy = (b.lat - a.lat) * M_PER_DEG_LAT;
    ((dx.atan2(dy).to_degrees() + 360.0) % 360.0) as u16
}

fn lerp(a: Point, b: Point, f: f64) -> Point {
    Point::new(a.lon + (b.lon - a.lon) * f, a.lat + (b.lat - a.lat) * f)
}

/// `p` moved `m` metres towards bearing `bearing` (radians from north, clockwise).
fn offset(p: Point, bearing: f64, m: f64) -> Point {
    Point::new(
        p.lon + m * bearing.sin() / m_per_deg_lon(p.lat),
        p.lat + m * bearing.cos() / M_PER_DEG_LAT,
    )
}
