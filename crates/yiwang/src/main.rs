//! The `yiwang` binary: serve the platform, run the living demo district, migrate the database,
//! manage users. The only place that reads config files, environment variables and signals,
//! and the only place `anyhow` appears.

mod camera_demo;
mod config;
mod demo;
mod devices;
mod history;
mod matters_demo;
mod mqtt;
mod muck_demo;
mod report;
mod routes_demo;
mod sim;
mod webhook_demo;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use domain::area::AreaCode;
use domain::org::{Role, RoleGrant};
use server::AppState;
use store::{ConnectOptions, NewUser, Store};
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// yiwang (一网统管) — smart urban management: every problem in the city, from every channel,
/// through one closed loop (核实 → 立案 → 派遣 → 处置 → 核查 → 结案) against working-time deadlines.
#[derive(Parser)]
#[command(name = "yiwang", version, about, long_about = None)]
struct Cli {
    /// TOML config file (see config/yiwang.example.toml). Env vars YIWANG_<SECTION>__<KEY> override it.
    #[arg(long, short, global = true, env = "YIWANG_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (HTTP API, live event stream, web UI) on the configured database.
    Serve(ServeArgs),
    /// Run a whole simulated district: server, demo accounts and simulated people working cases.
    Demo(DemoArgs),
    /// Create or upgrade the database schema and seed the taxonomy, calendar and settings.
    Migrate(DbArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Import a city-model layer (areas and grids, roads, components) from GeoJSON or CSV:
    /// validated feature by feature, stored all or nothing.
    Import(ImportArgs),
    /// Export a city-model layer as GeoJSON (components also as CSV).
    Export(ExportArgs),
    /// Write the weekly or monthly assessment report 考核报表 (xlsx or CSV).
    Report(report::ReportArgs),
    /// Assessment maintenance (recompute the counters from the audit trail).
    #[command(subcommand)]
    Assessment(report::AssessmentCommand),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum LayerArg {
    Areas,
    Roads,
    Components,
}

impl LayerArg {
    fn layer(self) -> server::city::Layer {
        match self {
            LayerArg::Areas => server::city::Layer::Areas,
            LayerArg::Roads => server::city::Layer::Roads,
            LayerArg::Components => server::city::Layer::Components,
        }
    }
}

#[derive(Args)]
struct ImportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Which layer the file holds.
    #[arg(long)]
    layer: LayerArg,
    /// The file: GeoJSON FeatureCollection, or CSV for components (by extension .csv).
    file: PathBuf,
    /// Positions in the file are GCJ-02 (Chinese basemaps); convert them to WGS-84.
    #[arg(long)]
    gcj02: bool,
}

#[derive(Args)]
struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    #[arg(long)]
    layer: LayerArg,
    /// Only areas or components under this area code.
    #[arg(long)]
    parent: Option<String>,
    /// Write to this file (default: standard output). `.csv` writes components as CSV.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Write GCJ-02 positions instead of WGS-84.
    #[arg(long)]
    gcj02: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ScaleArg {
    /// Three districts at 1/16 of their size, about 5,000 grids (starts in seconds).
    Demo,
    /// Full size: ≥ 100,000 grids and ≥ 1,000,000 components.
    City,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Database URL: sqlite://path or postgres://user@host/db (overrides the config file).
    #[arg(long)]
    database: Option<String>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on, e.g. 127.0.0.1:8080 (overrides the config file).
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Args, Clone)]
struct DemoArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// Simulated activity: how many simulated rounds per minute (0 = no simulation).
    #[arg(long, default_value_t = 20)]
    pace: u32,
    /// Seed for the simulation's random choices.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Stop after this many seconds (for smoke tests); runs until Ctrl-C by default.
    #[arg(long)]
    exit_after: Option<u64>,
    /// Size of the generated city (first start only).
    #[arg(long, value_enum, default_value = "demo")]
    scale: ScaleArg,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. Roles: citizen, inspector, volunteer, operator, shift_supervisor, dispatcher,
    /// department_handler, road_chief, leader, admin. Scope a role with ROLE:AREA_CODE and a
    /// department handler with department_handler@DEPARTMENT_ID.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: Option<String>,
        /// Password (at least 8 characters).
        #[arg(long, env = "YIWANG_NEW_PASSWORD")]
        password: String,
        /// One or more grants, e.g. --role admin --role operator:410102.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// List users and their roles.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set a user's password.
    Passwd {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long, env = "YIWANG_NEW_PASSWORD")]
        password: String,
    },
}

fn parse_grant(s: &str) -> anyhow::Result<RoleGrant> {
    let (role_part, department) = match s.split_once('@') {
        Some((r, d)) => (
            r,
            Some(
                d.parse::<i64>()
                    .with_context(|| format!("bad department id in {s:?}"))?,
            ),
        ),
        None => (s, None),
    };
    let (role, area) = match role_part.split_once(':') {
        Some((r, a)) => (
            r,
            Some(AreaCode::parse(a).map_err(|e| anyhow::anyhow!("{e}"))?),
        ),
        None => (role_part, None),
    };
    let role = Role::parse(role).with_context(|| format!("unknown role {role:?}"))?;
    anyhow::ensure!(
        role != Role::DepartmentHandler || department.is_some(),
        "department_handler needs @DEPARTMENT_ID"
    );
    Ok(RoleGrant {
        role,
        area,
        department_id: department,
    })
}

async fn open_store(cfg: &Config, db: &DbArgs) -> anyhow::Result<Store> {
    let url = db
        .database
        .clone()
        .unwrap_or_else(|| cfg.database.url.clone());
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections = cfg.database.max_connections;
    let store = Store::open(&opts)
        .await
        .with_context(|| format!("opening database {url}"))?;
    let clock = server::clock::SystemClock;
    use server::clock::Clock;
    server::bootstrap::seed_defaults(&store, clock.now())
        .await
        .context("seeding defaults")?;
    Ok(store)
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

/// Serves until `cancel` fires; returns the bound address through `bound`.
async fn serve(
    state: AppState,
    listen: &str,
    cancel: CancellationToken,
    bound: tokio::sync::oneshot::Sender<SocketAddr>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    let _ = bound.send(addr);
    let app = server::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { cancel.cancelled().await })
    .await?;
    Ok(())
}

fn shutdown_on_signal(cancel: CancellationToken) {
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
        cancel.cancel();
    });
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cfg = Config::load(cli.config.as_deref())?;
    init_tracing(&cfg.log.filter);
    match cli.command {
        Command::Migrate(db) => {
            let store = open_store(&cfg, &db).await?;
            println!("database ready ({:?})", store.backend());
            store.close().await;
        }
        Command::Serve(args) => {
            let store = open_store(&cfg, &args.db).await?;
            let state = AppState::new(store.clone(), cfg.server_config()?);
            start_city(&state).await?;
            let cancel = CancellationToken::new();
            shutdown_on_signal(cancel.clone());
            let gateways = devices::start(&state, &cfg.devices, cancel.clone()).await?;
            print_gateways(&gateways);
            server::spawn_workers(&state, &cancel);
            if cfg.mqtt.enabled {
                let publish = mqtt::publish_alarms(&state);
                let listen = args.listen.as_deref().unwrap_or(&cfg.server.listen);
                mqtt::start_mqtt(
                    &cfg.mqtt.resolved(listen),
                    store.clone(),
                    mqtt::locate_for(&state),
                    state_clock(),
                    Some(publish),
                )
                .await?
                .stop_on(cancel.clone());
            }
            let listen = args.listen.unwrap_or_else(|| cfg.server.listen.clone());
            let (tx, rx) = tokio::sync::oneshot::channel();
            let server = tokio::spawn({
                let cancel = cancel.clone();
                async move { serve(state, &listen, cancel, tx).await }
            });
            if let Ok(addr) = rx.await {
                println!("yiwang serving on http://{addr}");
            }
            server.await??;
            store.close().await;
        }
        Command::Demo(args) => run_demo(cfg, args).await?,
        Command::User(cmd) => user_command(&cfg, cmd).await?,
        Command::Import(args) => import_command(&cfg, args).await?,
        Command::Export(args) => export_command(&cfg, args).await?,
        Command::Report(args) => report::run_report(&cfg, args).await?,
        Command::Assessment(cmd) => report::run_assessment(&cfg, cmd).await?,
    }
    Ok(())
}

fn state_clock() -> Arc<dyn server::clock::Clock> {
    Arc::new(server::clock::SystemClock)
}

fn print_gateways(g: &devices::Gateways) {
    if let Some(a) = g.jt808 {
        println!("  JT/T 808  tcp://{a}  (vehicle terminals)");
    }
    if let Some(a) = g.hj212 {
        println!("  HJ 212    tcp://{a}  (environmental monitors)");
    }
}

/// Loads the city model into the node and follows changes made by other nodes.
async fn start_city(state: &AppState) -> anyhow::Result<()> {
    state
        .city
        .reload(&state.store, true)
        .await
        .context("loading the city model")?;
    let mut rx = state.bus.subscribe();
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(server::bus::BusEvent::CityChanged { .. }) => {
                    if let Err(e) = state.city.reload(&state.store, false).await {
                        tracing::error!(error = %e, "reloading the city model failed");
                    }
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    Ok(())
}

async fn import_command(cfg: &Config, args: ImportArgs) -> anyhow::Result<()> {
    let store = open_store(cfg, &args.db).await?;
    let state = AppState::new(store.clone(), cfg.server_config()?);
    state.city.reload(&store, true).await?;
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let csv = args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(format!("importing {}", args.file.display()));
    let started = std::time::Instant::now();
    let progress = |n: usize| {
        if bar.length() == Some(0) {
            bar.set_length(n as u64);
        }
        bar.set_position(n as u64);
    };
    let opts = server::city::ImportOptions {
        csv,
        from_gcj02: args.gcj02,
    };
    let result =
        server::city::import_layer(&state, args.layer.layer(), &bytes, opts, &progress).await;
    bar.finish_and_clear();
    match result {
        Ok(o) => {
            println!(
                "imported {} {:?} in {:.1} s (city model version {})",
                o.imported,
                o.layer,
                started.elapsed().as_secs_f64(),
                o.version
            );
        }
        Err(server::city::ImportError::Invalid(report)) => {
            eprintln!(
                "nothing imported: {} of {} features fail validation",
                report.issues.len(),
                report.features
            );
            for i in report.issues.iter().take(200) {
                let at = i
                    .index
                    .map(|x| format!("feature {x}"))
                    .unwrap_or_else(|| "layer".into());
                eprintln!("  {at} {}: {:?} — {}", i.code, i.kind, i.message);
            }
            if report.issues.len() > 200 {
                eprintln!("  … and {} more", report.issues.len() - 200);
            }
            store.close().await;
            std::process::exit(1);
        }
        Err(e) => {
            store.close().await;
            return Err(anyhow::anyhow!("nothing imported: {e}"));
        }
    }
    store.close().await;
    Ok(())
}

async fn export_command(cfg: &Config, args: ExportArgs) -> anyhow::Result<()> {
    let store = open_store(cfg, &args.db).await?;
    let csv = args
        .out
        .as_ref()
        .and_then(|p| p.extension())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let text = match args.layer {
        LayerArg::Areas => {
            let areas = store
                .areas_with_geometry(args.parent.as_deref(), None)
                .await?;
            grid::geojson::write_areas(&areas, args.gcj02)
        }
        LayerArg::Roads => grid::geojson::write_roads(&store.list_roads().await?, args.gcj02),
        LayerArg::Components => {
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .list_components(&store::ComponentFilter {
                        area_prefix: args.parent.clone(),
                        class_code: None,
                        after_id: after.clone(),
                        limit: 100_000,
                    })
                    .await?;
                let Some(last) = page.last() else { break };
                after = Some(last.id.clone());
                all.extend(page);
            }
            if csv {
                grid::geojson::write_components_csv(&all, args.gcj02)
            } else {
                grid::geojson::write_components(&all, args.gcj02)
            }
        }
    };
    match &args.out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().write_all(text.as_bytes())?;
        }
    }
    store.close().await;
    Ok(())
}

async fn run_demo(cfg: Config, args: DemoArgs) -> anyhow::Result<()> {
    let store = open_store(&cfg, &args.serve.db).await?;
    let now = {
        use server::clock::Clock;
        server::clock::SystemClock.now()
    };
    let scale = match args.scale {
        ScaleArg::Demo => grid::Scale::Demo,
        ScaleArg::City => grid::Scale::City,
    };
    let district = demo::ensure_district(&store, now, args.seed, scale).await?;
    demo::ensure_open311_key(&store, now).await?;
    let cameras = camera_demo::ensure_cameras(&store, now, &district.grids).await?;
    matters_demo::ensure(&store, now, &district.grids).await?;
    let replayed = history::backfill(
        &store,
        &district,
        now,
        args.seed,
        &cfg.server.attachments_dir,
    )
    .await
    .context("demo history")?;
    if replayed > 0 {
        println!("  replayed {replayed} cases of the past two weeks through the workflow");
    }
    let (vehicles, monitors) = devices::ensure_demo_devices(&store, now, &district.grids).await?;
    devices::ensure_collection_points(&store, &district.grids).await?;
    let district_roads: Vec<grid::Road> = store
        .list_roads()
        .await?
        .into_iter()
        .filter(|r| r.id.contains("410102"))
        .collect();
    if let Some(trip) = muck_demo::trip(&district_roads) {
        let trucks: Vec<&devices::DemoVehicle> =
            vehicles.iter().filter(|v| v.kind == "muck_truck").collect();
        muck_demo::ensure_permit(&store, now, &trip, &trucks).await?;
    }
    let state = AppState::new(store.clone(), cfg.server_config()?);
    start_city(&state).await?;
    let cancel = CancellationToken::new();
    shutdown_on_signal(cancel.clone());
    // A second demo on the same machine (or a busy default port) falls back to free ports.
    let mut device_cfg = cfg.devices.clone();
    for listen in [&mut device_cfg.jt808_listen, &mut device_cfg.hj212_listen] {
        if !listen.is_empty() && std::net::TcpListener::bind(listen.as_str()).is_err() {
            println!("  {listen} is busy; the demo uses a free port instead");
            *listen = "127.0.0.1:0".into();
        }
    }
    let gateways = devices::start(&state, &device_cfg, cancel.clone()).await?;
    server::spawn_workers(&state, &cancel);
    let mqtt_state = state.clone();
    let listen = args
        .serve
        .listen
        .clone()
        .unwrap_or_else(|| cfg.server.listen.clone());
    let mqtt_section = cfg.mqtt.resolved(&listen);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn({
        let cancel = cancel.clone();
        async move { serve(state, &listen, cancel, tx).await }
    });
    let addr = rx.await.context("server failed to start")?;
    demo::print_banner(addr, &district);
    println!(
        "  Open311: http://{addr}/open311/v2/discovery.json — api_key {} (citizen1)",
        demo::DEMO_OPEN311_KEY
    );
    print_gateways(&gateways);
    let (hook_addr, hook_received) = webhook_demo::start(&store, now, cancel.clone()).await?;
    println!(
        "  Webhook   a simulated 12345 platform at http://{hook_addr}/12345/hook receives filings, answers and closings (signed)"
    );
    if let Some(secs) = args.exit_after {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
            cancel.cancel();
        });
    }
    if args.pace > 0 {
        // Devices report every few seconds: a fix per vehicle, a reading per monitor.
        let every =
            std::time::Duration::from_millis((60_000 / u64::from(args.pace)).clamp(1_000, 10_000));
        let roads = district_roads;
        if let Some(addr) = gateways.jt808 {
            let (trucks, others): (Vec<_>, Vec<_>) =
                vehicles.into_iter().partition(|v| v.kind == "muck_truck");
            match muck_demo::trip(&roads) {
                Some(trip) => muck_demo::spawn(
                    addr,
                    trucks,
                    trip,
                    state_clock(),
                    every,
                    args.seed,
                    cancel.clone(),
                ),
                None => println!("  no road for the muck trucks' permit; they stay parked"),
            }
            devices::spawn_fleet(
                addr,
                others,
                roads.clone(),
                state_clock(),
                every,
                args.seed,
                cancel.clone(),
            );
        }
        if let Some(addr) = gateways.hj212 {
            devices::spawn_monitors(
                addr,
                monitors,
                state_clock(),
                every,
                args.seed,
                cancel.clone(),
            );
        }
        // The video-analytics platform posts its detections: about two a minute at the default
        // pace.
        camera_demo::spawn(
            format!("http://{addr}"),
            cameras,
            state_clock(),
            std::time::Duration::from_millis((600_000 / u64::from(args.pace)).max(2_000)),
            args.seed,
            cancel.clone(),
        );
        // Citizens' apps report through Open311 too: every 180/pace s (9 s at the default pace).
        let citizens = simulator::open311_citizen::CitizenConfig {
            base: format!("http://{addr}"),
            api_key: demo::DEMO_OPEN311_KEY.to_owned(),
            spots: district
                .grids
                .iter()
                .map(|g| simulator::open311_citizen::Spot {
                    lat: g.lat,
                    lon: g.lon,
                    place: g.name.clone(),
                })
                .collect(),
            service_codes: Vec::new(),
            every: std::time::Duration::from_millis((180_000 / u64::from(args.pace)).max(1_000)),
            seed: args.seed,
        };
        tokio::spawn({
            let cancel = cancel.clone();
            async move {
                let r = simulator::open311_citizen::run(&citizens, cancel.cancelled()).await;
                tracing::info!(?r, "open311 citizens stopped");
            }
        });
        // Sensors report a third as often as vehicles: each reading is a simulated minute of
        // the sensors' scenario, and faster would flood the queues with sensor cases.
        if let Some(h) = mqtt::start_demo(
            &mqtt_section,
            &mqtt_state,
            &district.grids,
            every * 3,
            args.seed,
            cancel.clone(),
        )
        .await?
        {
            h.stop_on(cancel.clone());
        }
        let sim = sim::Simulation::new(
            format!("http://{addr}"),
            Arc::new(district),
            args.seed,
            args.pace,
        );
        let cancel2 = cancel.clone();
        tokio::spawn(async move { sim.run(cancel2).await });
    }
    server.await??;
    let outbox = store
        .list_notifications(&store::NotificationFilter {
            channel: Some("sms".into()),
            limit: 500,
            ..Default::default()
        })
        .await
        .map(|l| l.iter().filter(|n| n.kind != "otp").count())
        .unwrap_or(0);
    println!(
        "  notifications: {outbox} SMS to citizens in the outbox (latest 500), {} webhook deliveries to the 12345 platform ({} bad signatures)",
        hook_received
            .valid
            .load(std::sync::atomic::Ordering::Relaxed),
        hook_received
            .bad_signature
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    store.close().await;
    Ok(())
}

async fn user_command(cfg: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    use server::clock::Clock;
    let now = server::clock::SystemClock.now();
    match cmd {
        UserCommand::Add {
            db,
            username,
            name,
            phone,
            password,
            roles,
        } => {
            anyhow::ensure!(
                password.chars().count() >= 8,
                "password must have at least 8 characters"
            );
            let grants = roles
                .iter()
                .map(|r| parse_grant(r))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let store = open_store(cfg, &db).await?;
            let hash =
                server::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let id = store
                .create_user(
                    &NewUser {
                        username: username.clone(),
                        display_name: name,
                        phone,
                        password_hash: hash,
                        grants,
                    },
                    now,
                )
                .await
                .with_context(|| format!("adding user {username}"))?;
            println!("added user {username} (id {id})");
        }
        UserCommand::List { db } => {
            let store = open_store(cfg, &db).await?;
            for u in store.list_users().await? {
                let grants: Vec<String> = u
                    .grants
                    .iter()
                    .map(|g| {
                        let mut s = g.role.as_str().to_owned();
                        if let Some(a) = &g.area {
                            s.push(':');
                            s.push_str(a.as_str());
                        }
                        if let Some(d) = g.department_id {
                            s.push_str(&format!("@{d}"));
                        }
                        s
                    })
                    .collect();
                println!(
                    "{:>5}  {:<20} {:<12} {}",
                    u.user.id,
                    u.user.username,
                    u.user.display_name,
                    grants.join(" ")
                );
            }
        }
        UserCommand::Passwd {
            db,
            username,
            password,
        } => {
            anyhow::ensure!(
                password.chars().count() >= 8,
                "password must have at least 8 characters"
            );
            let store = open_store(cfg, &db).await?;
            let hash =
                server::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            store
                .set_password_hash(&username, &hash)
                .await
                .with_context(|| format!("user {username}"))?;
            println!("password of {username} changed");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_parse() {
        let g = parse_grant("operator:410102").expect("grant");
        assert_eq!(g.role, Role::Operator);
        assert_eq!(g.area.as_ref().map(|a| a.as_str()), Some("410102"));
        let g = parse_grant("department_handler@3").expect("grant");
        assert_eq!(g.department_id, Some(3));
        assert!(parse_grant("department_handler").is_err());
        assert!(parse_grant("wizard").is_err());
        assert!(parse_grant("operator:4101").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
