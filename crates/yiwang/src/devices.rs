//! Devices in the node: the JT/T 808 and HJ 212 gateways over the store (durable before the
//! reply), and, for the demo, a simulated fleet and monitors speaking the real protocols over TCP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::time::Timestamp;
use ingest::store_bridge::{Locate, StoreRegistry, StoreSink};
use ingest::supervise::{OnAlarms, Supervisors, persist};
use ingest::{Batcher, BatcherConfig};
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng};
use server::AppState;
use simulator::garbage_route::{self, Behaviour, RoutePoint};
use simulator::hj212_monitor::{Monitor as MonitorAgent, MonitorIdentity, Reading as AgentReading};
use simulator::jt808_terminal::{Fix, Identity, Terminal};
use store::{Monitor, NewVehicle, Store};
use supervision::environment::EnvConfig;
use supervision::garbage::WasteCategory;
use supervision::muck::MuckConfig;
use tokio_util::sync::CancellationToken;

use crate::config::DevicesSection;
use crate::demo::DemoGrid;

/// The gateways' bound addresses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gateways {
    pub jt808: Option<SocketAddr>,
    pub hj212: Option<SocketAddr>,
}

struct NodeClock(Arc<dyn server::clock::Clock>);

impl ingest::Clock for NodeClock {
    fn now_ms(&self) -> i64 {
        self.0.now().0
    }
}

/// Starts the gateways configured in `cfg` on this node's store and city index; they stop when
/// `cancel` fires (pending acks are flushed first).
///
/// # Errors
/// A listen address cannot be parsed or bound; the device directory cannot be read.
pub async fn start(
    state: &AppState,
    cfg: &DevicesSection,
    cancel: CancellationToken,
) -> anyhow::Result<Gateways> {
    let clock = state.clock.clone();
    let registry = StoreRegistry::new(state.store.clone(), {
        let clock = clock.clone();
        Arc::new(move || clock.now())
    });
    registry
        .refresh()
        .await
        .context("loading the device directory")?;
    // New vehicles and monitors registered on any node become known here within half a minute.
    tokio::spawn({
        let registry = registry.clone();
        let cancel = cancel.clone();
        async move {
            let mut every = tokio::time::interval(Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = every.tick() => {
                        if let Err(e) = registry.refresh().await {
                            tracing::warn!(error = %e, "refreshing the device directory failed");
                        }
                    }
                }
            }
        }
    });
    let city = state.city.clone();
    let locate: Locate = Arc::new(move |lon, lat| {
        let index = city.get();
        match index.geocoder.grid_at(lon, lat) {
            Ok(Some(g)) => Some(index.geocoder.grid_code(g).to_owned()),
            _ => None,
        }
    });
    let supervisors = start_supervision(state, cfg, locate.clone(), cancel.clone()).await;
    let sink = StoreSink::new(state.store.clone(), registry.clone(), locate)
        .with_supervision(supervisors.0, Some(supervisors.1));
    // On its own thread: under load the node's runtime holds thousands of ready connection
    // tasks, and a batcher among them waits behind all of them at every await (BENCHMARKS.md,
    // "Device gateways").
    let (batcher, _) = Batcher::spawn_dedicated(sink, BatcherConfig::default())
        .context("starting the device batcher thread")?;
    let ingest_clock: Arc<dyn ingest::Clock> = Arc::new(NodeClock(clock));
    let mut out = Gateways::default();
    if !cfg.jt808_listen.is_empty() {
        let listen: SocketAddr = cfg
            .jt808_listen
            .parse()
            .with_context(|| format!("devices.jt808_listen {:?}", cfg.jt808_listen))?;
        let mut config = ingest::jt808::Config {
            listen,
            ..ingest::jt808::Config::default()
        };
        config.session.idle_timeout = Duration::from_secs(cfg.idle_timeout_secs);
        let gw = ingest::jt808::Gateway::bind(
            config,
            registry.clone(),
            batcher.clone(),
            ingest_clock.clone(),
        )
        .await
        .with_context(|| format!("binding the JT/T 808 gateway on {listen}"))?;
        out.jt808 = Some(gw.local_addr()?);
        let handle = gw.handle();
        tokio::spawn(gw.run());
        let cancel = cancel.clone();
        tokio::spawn(async move {
            cancel.cancelled().await;
            handle.shutdown();
        });
    }
    if !cfg.hj212_listen.is_empty() {
        let listen: SocketAddr = cfg
            .hj212_listen
            .parse()
            .with_context(|| format!("devices.hj212_listen {:?}", cfg.hj212_listen))?;
        let config = ingest::hj212::Config {
            listen,
            ..ingest::hj212::Config::default()
        };
        let gw = ingest::hj212::Gateway::bind(config, registry.clone(), batcher, ingest_clock)
            .await
            .with_context(|| format!("binding the HJ 212 gateway on {listen}"))?;
        out.hj212 = Some(gw.local_addr()?);
        let handle = gw.handle();
        tokio::spawn(gw.run());
        let cancel = cancel.clone();
        tokio::spawn(async move {
            cancel.cancelled().await;
            handle.shutdown();
        });
    }
    if cfg.track_retention_days > 0 {
        let store = state.store.clone();
        let days = i64::from(cfg.track_retention_days);
        let clock = state.clock.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = every.tick() => {
                        let before = clock.now().plus_minutes(-days * 24 * 60);
                        if let Err(e) = store.prune_positions(before).await {
                            tracing::warn!(error = %e, "pruning old track points failed");
                        }
                    }
                }
            }
        });
    }
    Ok(out)
}

/// The node's supervision rules (muck trucks, fume/dust/noise monitors): directories loaded
/// from the database and reloaded every minute, the silence rules ticked every 30 s, and every
/// alarm raised published to the node's live stream.
async fn start_supervision(
    state: &AppState,
    cfg: &DevicesSection,
    locate: Locate,
    cancel: CancellationToken,
) -> (Supervisors, OnAlarms) {
    let supervisors = Supervisors::new(locate, MuckConfig::default(), EnvConfig::default())
        .with_sanitation(
            supervision::garbage::GarbageConfig::default(),
            supervision::sweeping::SweepSpeedConfig {
                sweeping_on: cfg.sweeping_on,
                ..Default::default()
            },
        );
    let on_alarms: OnAlarms = {
        let state = state.clone();
        Arc::new(move |keys: Vec<String>| {
            let state = state.clone();
            tokio::spawn(async move {
                match state.store.open_alarms_by_key(&keys).await {
                    Ok(alarms) => {
                        for a in &alarms {
                            server::supervise::publish_alarm(&state, a);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "reading new alarms failed"),
                }
            });
        })
    };
    let reload = {
        let store = state.store.clone();
        let supervisors = supervisors.clone();
        let on_alarms = on_alarms.clone();
        move || {
            let store = store.clone();
            let supervisors = supervisors.clone();
            let on_alarms = on_alarms.clone();
            async move {
                match supervisors.load(&store).await {
                    Ok((loaded, writes)) => {
                        for r in &loaded.rejected {
                            tracing::warn!(problem = %r, "permit not supervised");
                        }
                        tracing::debug!(?loaded, "supervision directories loaded");
                        persist(&store, &supervisors, Some(&on_alarms), writes).await;
                    }
                    Err(e) => tracing::warn!(error = %e, "loading supervision directories failed"),
                }
            }
        }
    };
    reload().await;
    // The day's garbage visits so far (a restart mid-day keeps them); before the gateways open.
    match supervisors
        .replay_garbage_day(&state.store, state.clock.now())
        .await
    {
        Ok(n) => tracing::debug!(fixes = n, "garbage trucks' day replayed"),
        Err(e) => tracing::warn!(error = %e, "replaying the garbage trucks' day failed"),
    }
    tokio::spawn({
        let store = state.store.clone();
        let clock = state.clock.clone();
        let supervisors = supervisors.clone();
        let on_alarms = on_alarms.clone();
        let mut bus = state.bus.subscribe();
        async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            let mut refresh = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tick.tick() => {
                        let writes = supervisors.tick(clock.now());
                        persist(&store, &supervisors, Some(&on_alarms), writes).await;
                    }
                    _ = refresh.tick() => reload().await,
                    event = bus.recv() => {
                        if matches!(
                            event,
                            Ok(server::bus::BusEvent::PermitsChanged { .. }
                                | server::bus::BusEvent::RoutesChanged { .. })
                        ) {
                            reload().await;
                        }
                    }
                }
            }
        }
    });
    (supervisors, on_alarms)
}

/// One simulated vehicle.
#[derive(Clone, Debug)]
pub struct DemoVehicle {
    pub plate: String,
    pub kind: &'static str,
    pub phone: String,
    /// Speeding now and then (a muck truck in a hurry; a sweeper sweeping too fast).
    pub speeder: bool,
    /// A garbage truck's collection points, in order (empty: it drives the roads at random).
    pub garbage_route: Vec<RoutePoint>,
}

/// One simulated monitor.
#[derive(Clone, Debug)]
pub struct DemoMonitor {
    pub mn: String,
    pub kind: &'static str,
    /// Typical concentration, mg/m³ (fume) or µg/m³ (PM10 for dust).
    pub base: f64,
}

const FLEET: &[(&str, usize)] = &[
    ("muck_truck", 8),
    ("sweeper", 6),
    ("sanitation", 4),
    ("enforcement", 3),
    ("garbage_truck", 5),
];

const RESTAURANTS: &[&str] = &[
    "老蔡记蒸饺",
    "合记烩面",
    "萧记三鲜烩面",
    "葛记焖饼",
    "方中山胡辣汤",
    "阿五黄河大鲤鱼",
    "巴奴火锅中原万达店",
    "建设路烧烤城",
];

/// Registers the demo's vehicles and monitors (first start only); returns what to simulate.
///
/// # Errors
/// The store fails.
pub async fn ensure_demo_devices(
    store: &Store,
    now: Timestamp,
    grids: &[DemoGrid],
) -> anyhow::Result<(Vec<DemoVehicle>, Vec<DemoMonitor>)> {
    let mut vehicles = Vec::new();
    let mut n = 0;
    for (kind, count) in FLEET {
        for i in 0..*count {
            n += 1;
            vehicles.push(DemoVehicle {
                plate: format!("豫A·{}{:04}", &kind[..1].to_uppercase(), 1000 + n),
                kind,
                phone: format!("1380371{n:05}"),
                speeder: (*kind == "muck_truck" && i % 3 == 0) || (*kind == "sweeper" && i == 0),
                garbage_route: Vec::new(),
            });
        }
    }
    if store.list_vehicles().await?.is_empty() {
        for (i, v) in vehicles.iter().enumerate() {
            store
                .create_vehicle(
                    &NewVehicle {
                        plate: v.plate.clone(),
                        kind: v.kind.into(),
                        company: Some(match v.kind {
                            "muck_truck" => "郑州中原建投渣土运输有限公司".into(),
                            "enforcement" => "中原区城市管理综合执法大队".into(),
                            // The waste category a garbage truck carries is read from here.
                            "garbage_truck" => format!(
                                "中原区环卫中心（{}）",
                                ["厨余", "其他垃圾", "可回收"][i % 3]
                            ),
                            _ => "中原区环卫中心".into(),
                        }),
                        phone: Some(v.phone.clone()),
                    },
                    now,
                )
                .await?;
        }
    }
    let mut monitors = Vec::new();
    for (i, name) in RESTAURANTS.iter().enumerate() {
        monitors.push((
            DemoMonitor {
                mn: format!("41010200FUME{:012}", i + 1),
                kind: "fume",
                // Two of them run dirty: above the 2.0 mg/m³ limit of GB 18483.
                base: if i % 4 == 1 {
                    3.2
                } else {
                    0.6 + 0.1 * i as f64
                },
            },
            *name,
        ));
    }
    for i in 0..3 {
        monitors.push((
            DemoMonitor {
                mn: format!("41010200DUST{:012}", i + 1),
                kind: "dust",
                // The third site raises dust: its hourly PM10 mean passes 150 µg/m³.
                base: if i == 2 {
                    200.0
                } else {
                    60.0 + 30.0 * i as f64
                },
            },
            "中原区在建工地",
        ));
    }
    if store.list_monitors().await?.is_empty() {
        for (i, (m, name)) in monitors.iter().enumerate() {
            let g = &grids[(i * 37) % grids.len()];
            store
                .upsert_monitor(
                    &Monitor {
                        mn: m.mn.clone(),
                        password: "123456".into(),
                        kind: m.kind.into(),
                        name: (*name).into(),
                        site: Some(format!("{}附近", g.name)),
                        size_class: (m.kind == "fume")
                            .then(|| ["small", "medium", "large"][i % 3].to_owned()),
                        lat: Some(g.lat),
                        lon: Some(g.lon),
                        grid_code: Some(g.code.clone()),
                        last_seen_at: None,
                    },
                    now,
                )
                .await?;
        }
    }
    plan_garbage_routes(store, now, grids, &mut vehicles).await?;
    Ok((vehicles, monitors.into_iter().map(|(m, _)| m).collect()))
}

/// Gives each registered garbage truck its route over the collection points (seeded first if
/// need be): its category from the registry, the demo's behaviours (mostly correct, the second
/// truck mixing categories 前分后混, the fourth skipping a point; see
/// [`simulator::garbage_route`]), and their collection routes 收运路线 ([`crate::routes_demo`]).
async fn plan_garbage_routes(
    store: &Store,
    now: Timestamp,
    grids: &[DemoGrid],
    vehicles: &mut [DemoVehicle],
) -> anyhow::Result<()> {
    ensure_collection_points(store, grids).await?;
    let points: Vec<RoutePoint> = store
        .list_collection_points()
        .await?
        .into_iter()
        .map(|p| RoutePoint {
            id: p.point_id,
            category: p.category,
            lat: p.lat,
            lon: p.lon,
        })
        .collect();
    let registered = store.list_vehicles().await?;
    let trucks: Vec<(usize, Option<String>)> = vehicles
        .iter()
        .enumerate()
        .filter(|(_, v)| v.kind == "garbage_truck")
        .map(|(i, v)| {
            let category = registered
                .iter()
                .find(|r| r.phone.as_deref() == Some(v.phone.as_str()))
                .and_then(|r| r.company.as_deref())
                .and_then(WasteCategory::from_marker)
                .map(|c| c.as_str().to_owned());
            (i, category)
        })
        .collect();
    let plan: Vec<(Option<String>, Behaviour)> = trucks
        .iter()
        .enumerate()
        .map(|(k, (_, c))| (c.clone(), garbage_route::demo_behaviour(k)))
        .collect();
    for ((i, _), route) in trucks.iter().zip(garbage_route::plan_fleet(&points, &plan)) {
        if let Some(v) = vehicles.get_mut(*i) {
            v.garbage_route = route;
        }
    }
    let with_plan: Vec<(DemoVehicle, Option<String>, Behaviour)> = trucks
        .iter()
        .zip(&plan)
        .filter_map(|((i, c), (_, b))| vehicles.get(*i).map(|v| (v.clone(), c.clone(), *b)))
        .collect();
    crate::routes_demo::ensure_routes(store, now, &points, &with_plan).await?;
    Ok(())
}

/// Seeds 20 collection points 收集点: five sites with a bin of each waste category (first
/// start only).
///
/// # Errors
/// The store fails.
pub async fn ensure_collection_points(store: &Store, grids: &[DemoGrid]) -> anyhow::Result<()> {
    if grids.is_empty() || !store.list_collection_points().await?.is_empty() {
        return Ok(());
    }
    const CATEGORIES: [(&str, &str); 4] = [
        ("kitchen", "厨余垃圾"),
        ("other", "其他垃圾"),
        ("recyclable", "可回收物"),
        ("hazardous", "有害垃圾"),
    ];
    let mut points = Vec::new();
    for i in 0..20 {
        let g = &grids[(i / 4 * 53) % grids.len()];
        let (category, label) = CATEGORIES[i % 4];
        points.push(store::CollectionPoint {
            point_id: format!("CP-{:03}", i + 1),
            name: format!("{}{}收集点", g.name, label),
            category: category.into(),
            // Bins ≈ 44 m apart at one site: a truck standing at one is out of the rules' 30 m
            // reach of the others, so collecting at a bin of another category shows.
            lat: g.lat + 0.000_4 * (i % 4) as f64,
            lon: g.lon,
            grid_code: Some(g.code.clone()),
        });
    }
    store.upsert_collection_points(&points).await?;
    Ok(())
}

/// GMT+8 wall-clock fields of an instant, for JT/T 808 fix times.
pub(crate) fn local_fields(t: Timestamp) -> (u16, u8, u8, u8, u8, u8) {
    use chrono::{Datelike, Timelike};
    let l = t.to_shanghai();
    (
        l.year() as u16,
        l.month() as u8,
        l.day() as u8,
        l.hour() as u8,
        l.minute() as u8,
        l.second() as u8,
    )
}

/// Drives each vehicle along the demo's roads as a real JT/T 808 terminal (mixed 2013/2019):
/// register, authenticate, then a fix every `every` (acknowledged by the gateway only once
/// stored). Reconnects after errors until `cancel`.
pub fn spawn_fleet(
    addr: SocketAddr,
    vehicles: Vec<DemoVehicle>,
    roads: Vec<grid::Road>,
    clock: Arc<dyn server::clock::Clock>,
    every: Duration,
    seed: u64,
    cancel: CancellationToken,
) {
    let roads = Arc::new(roads);
    for (i, v) in vehicles.into_iter().enumerate() {
        let roads = roads.clone();
        let cancel = cancel.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed ^ (i as u64 * 7919));
            let mut auth: Option<String> = None;
            while !cancel.is_cancelled() {
                let version = if i % 2 == 0 {
                    jt808::Version::V2019
                } else {
                    jt808::Version::V2013
                };
                let result = drive(
                    addr, &v, version, &roads, &clock, every, &mut rng, &mut auth, &cancel,
                )
                .await;
                if let Err(e) = result {
                    tracing::debug!(plate = %v.plate, error = %e, "simulated terminal reconnects");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    }
                }
            }
        });
    }
}

#[allow(clippy::too_many_arguments)]
async fn drive(
    addr: SocketAddr,
    v: &DemoVehicle,
    version: jt808::Version,
    roads: &[grid::Road],
    clock: &Arc<dyn server::clock::Clock>,
    every: Duration,
    rng: &mut StdRng,
    auth: &mut Option<String>,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    anyhow::ensure!(!roads.is_empty(), "no roads to drive on");
    let mut identity = Identity::new(&v.phone);
    identity.plate = v.plate.clone();
    identity.auth_code = auth.clone();
    let mut t = Terminal::connect(addr, identity, version).await?;
    if auth.is_none() {
        *auth = Some(t.register().await?);
    }
    t.authenticate(auth.as_deref().unwrap_or_default()).await?;
    let mut mileage_m = 0.0;
    let mut fast_from = tokio::time::Instant::now();
    if !v.garbage_route.is_empty() {
        return collect(&mut t, v, clock, every, &mut mileage_m, cancel).await;
    }
    loop {
        let road = &roads[rng.random_range(0..roads.len())];
        let pts = &road.line.0;
        if pts.len() < 2 {
            continue;
        }
        let forward = rng.random_bool(0.5);
        // The speeding sweeper sweeps at pace for 70 s (so the rules take it as working: it
        // reports no brush signal) and then above the 20 km/h working band, below the 30 km/h
        // of transit, for 100 s of wall-clock time (longer than the rule's minute), at the
        // start and then every few minutes, moving at its true speed meanwhile.
        if v.kind == "sweeper" && v.speeder && fast_from.elapsed() > Duration::from_secs(400) {
            fast_from = tokio::time::Instant::now();
        }
        let order: Vec<_> = if forward {
            pts.clone()
        } else {
            pts.iter().rev().copied().collect()
        };
        for w in order.windows(2) {
            let (a, b) = (w[0], w[1]);
            let dx = (b.lon - a.lon) * 91_000.0;
            let dy = (b.lat - a.lat) * 111_000.0;
            let len = (dx * dx + dy * dy).sqrt();
            let speed = if v.kind != "sweeper" && v.speeder && rng.random_bool(0.2) {
                rng.random_range(70.0..85.0)
            } else if v.kind == "sweeper"
                && v.speeder
                && (Duration::from_secs(70)..Duration::from_secs(170))
                    .contains(&fast_from.elapsed())
            {
                rng.random_range(24.0..28.0)
            } else if v.kind == "sweeper" {
                rng.random_range(5.0..12.0)
            } else {
                rng.random_range(20.0..45.0)
            };
            let fast_sweep = v.kind == "sweeper" && speed > 20.0;
            let step_m = speed / 3.6 * every.as_secs_f64() * if fast_sweep { 1.0 } else { 6.0 };
            let steps = (len / step_m).ceil().max(1.0) as usize;
            let heading = ((dx.atan2(dy).to_degrees() + 360.0) % 360.0) as u16;
            for s in 0..steps {
                if cancel.is_cancelled() {
                    return Ok(());
                }
                let f = s as f64 / steps as f64;
                mileage_m += len / steps as f64;
                let mut fix = Fix::at(a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f);
                fix.speed_kmh = speed;
                fix.heading = heading;
                fix.altitude_m = 100;
                fix.time = local_fields(clock.now());
                fix.mileage_tenths_km = Some((mileage_m / 100.0) as u32);
                t.report(&fix).await?;
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(every) => {}
                }
            }
        }
    }
}

/// Drives a garbage truck round its collection route for ever: at 30 km/h between points
/// (positions advance six times faster than the speed, like the other demo vehicles) and
/// standing at each point about 75 s of wall-clock time, long enough for the rules' one-minute
/// visit.
async fn collect(
    t: &mut Terminal,
    v: &DemoVehicle,
    clock: &Arc<dyn server::clock::Clock>,
    every: Duration,
    mileage_m: &mut f64,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    const SPEED_KMH: f64 = 30.0;
    let step_m = SPEED_KMH / 3.6 * every.as_secs_f64() * 6.0;
    let dwell = (75.0 / every.as_secs_f64()).ceil() as usize + 1;
    let legs = garbage_route::round(&v.garbage_route, SPEED_KMH, step_m, dwell);
    let mut last: Option<(f64, f64)> = None;
    loop {
        for leg in &legs {
            if cancel.is_cancelled() {
                return Ok(());
            }
            if let Some(prev) = last {
                *mileage_m += garbage_route::distance_m(prev, (leg.lat, leg.lon));
            }
            last = Some((leg.lat, leg.lon));
            let mut fix = Fix::at(leg.lat, leg.lon);
            fix.speed_kmh = leg.speed_kmh;
            fix.heading = leg.heading;
            fix.altitude_m = 100;
            fix.time = local_fields(clock.now());
            fix.mileage_tenths_km = Some((*mileage_m / 100.0) as u32);
            t.report(&fix).await?;
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

/// Runs each monitor as a real HJ 212 device: real-time readings every `every`, each asking for
/// the platform's 9014 answer (sent only after the reading is stored).
pub fn spawn_monitors(
    addr: SocketAddr,
    monitors: Vec<DemoMonitor>,
    clock: Arc<dyn server::clock::Clock>,
    every: Duration,
    seed: u64,
    cancel: CancellationToken,
) {
    for (i, m) in monitors.into_iter().enumerate() {
        let cancel = cancel.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed ^ (0x212 + i as u64));
            while !cancel.is_cancelled() {
                if let Err(e) = monitor_loop(addr, &m, &clock, every, &mut rng, &cancel).await {
                    tracing::debug!(mn = %m.mn, error = %e, "simulated monitor reconnects");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    }
                }
            }
        });
    }
}

async fn monitor_loop(
    addr: SocketAddr,
    m: &DemoMonitor,
    clock: &Arc<dyn server::clock::Clock>,
    every: Duration,
    rng: &mut StdRng,
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    let identity = if m.kind == "fume" {
        MonitorIdentity::fume(&m.mn)
    } else {
        MonitorIdentity::dust(&m.mn)
    };
    let mut agent = MonitorAgent::connect(addr, identity).await?;
    loop {
        let now = clock.now();
        agent.set_clock(now.0 + 8 * 3_600_000);
        let value = (m.base * rng.random_range(0.7..1.3)).max(0.0);
        let mut reading = if m.kind == "fume" {
            AgentReading::fume(value)
        } else {
            let pair = |s: &str, v: String| (s.to_owned(), v);
            AgentReading {
                cn: 2011,
                data_time: String::new(),
                factors: vec![
                    (
                        "a34002".into(),
                        vec![pair("Rtd", format!("{value:.1}")), pair("Flag", "N".into())],
                    ),
                    (
                        "a34004".into(),
                        vec![
                            pair("Rtd", format!("{:.1}", value * 0.6)),
                            pair("Flag", "N".into()),
                        ],
                    ),
                    (
                        "LA".into(),
                        vec![
                            pair("Rtd", format!("{:.1}", rng.random_range(55.0..72.0))),
                            pair("Flag", "N".into()),
                        ],
                    ),
                ],
            }
        };
        reading.data_time = now.to_shanghai().format("%Y%m%d%H%M%S").to_string();
        agent.upload(&reading).await?;
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
    }
}
