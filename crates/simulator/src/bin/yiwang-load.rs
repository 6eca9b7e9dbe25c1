//! `yiwang-load` — the load generator behind BENCHMARKS.md.
//!
//! ```text
//! yiwang-load lifecycle --url http://127.0.0.1:8080 --workers 32 --seconds 30 [--rate 5000]
//! yiwang-load list      --url http://127.0.0.1:8080 --requests 5000 --concurrency 4
//! yiwang-load seed      --database sqlite://bench.db --cases 1000000
//! yiwang-load jt808     --addr 127.0.0.1:5015 --connections 20000 --rate 100000 --duration 20
//! yiwang-load hj212     --addr 127.0.0.1:5016 --connections 5000 --rate 50000 --duration 20
//! yiwang-load mqtt      --broker 127.0.0.1:1883 --messages 100000 --publishers 4 [--file /tmp/s.jsonl]
//!                       [--sensors 10000 --store sqlite:///tmp/mqtt-load.db [--no-memory]]
//! yiwang-load open311   --url http://127.0.0.1:8080 --api-key KEY --posts 30000 --concurrency 64
//!                       --gets 1000 [--get-concurrency 1 --page-size 1000]
//! ```
//! `lifecycle` and `list` run against `yiwang demo --pace 0` (they use the demo accounts);
//! `open311` against `yiwang serve` on a store the demo has set up once (accounts, city, the demo
//! Open311 key) with the Open311 rate limits raised (see `docs/open311.md`);
//! `jt808` and `hj212` against a gateway (`cargo run --release -p ingest --example gateway`);
//! `mqtt` against a broker (Mosquitto), running the intake in-process.

use std::time::Duration;

use clap::{Parser, Subcommand};
use domain::area::AreaLevel;
use domain::time::Timestamp;
use simulator::device_load::{self, LoadConfig, LoadReport};
use simulator::{Client, lifecycle, list, mqtt_load, open311_load, provision, seed};
use store::{ConnectOptions, Store};

#[derive(Parser)]
#[command(name = "yiwang-load", about = "Load generator for yiwang benchmarks")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Drive whole case lifecycles over HTTP and report transitions/s and latency.
    Lifecycle {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value = "yiwang2026")]
        password: String,
        #[arg(long, default_value_t = 32)]
        workers: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Offered load in transitions/s (default: as fast as possible).
        #[arg(long)]
        rate: Option<f64>,
        #[arg(long, default_value = "410102002001001")]
        grid: String,
        #[arg(long, default_value = "inspector1")]
        inspector: String,
    },
    /// Time filtered case-list queries over HTTP.
    List {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value = "yiwang2026")]
        password: String,
        #[arg(long, default_value = "leader")]
        user: String,
        #[arg(long, default_value_t = 2000)]
        requests: usize,
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
    },
    /// Bulk-load synthetic cases into a store that already holds the demo district.
    Seed {
        #[arg(long)]
        database: String,
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Register the vehicles and monitors the `jt808` / `hj212` generators claim to be, so a
    /// `yiwang serve` on this database accepts them (mixed fleet; fume monitors).
    Provision {
        #[arg(long)]
        database: String,
        /// Vehicles (terminal phones `--first-phone` and up).
        #[arg(long, default_value_t = 20_000)]
        vehicles: usize,
        /// The `jt808` generator's `--first-id`.
        #[arg(long, default_value_t = 13_900_000_000)]
        first_phone: u64,
        /// Monitors (MN `--first-mn` and up, as 24 hex digits).
        #[arg(long, default_value_t = 5_000)]
        monitors: usize,
        /// The `hj212` generator's `--first-id`.
        #[arg(long, default_value_t = 13_900_000_000)]
        first_mn: u64,
        #[arg(long, default_value = "123456")]
        password: String,
    },
    /// JT/T 808 terminals: register, authenticate, report positions; acked rate and latency.
    Jt808 {
        #[command(flatten)]
        load: DeviceArgs,
        /// Use the 2019 edition (default 2013).
        #[arg(long)]
        v2019: bool,
    },
    /// HJ 212 monitors: upload real-time readings asking for 9014; acked rate and latency.
    Hj212 {
        #[command(flatten)]
        load: DeviceArgs,
    },
    /// Open311: post service requests from many clients, then time full-page request lists.
    Open311 {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// API key of a citizen (the demo's by default).
        #[arg(long, default_value = "yw_demo_open311_citizen1")]
        api_key: String,
        /// Staff account used to find points inside unit grids.
        #[arg(long, default_value = "operator")]
        user: String,
        #[arg(long, default_value = "yiwang2026")]
        password: String,
        /// Requests to post (0: only time the lists).
        #[arg(long, default_value_t = 30_000)]
        posts: usize,
        /// Posts in flight.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Request lists to time (0: only post).
        #[arg(long, default_value_t = 1000)]
        gets: usize,
        /// Lists in flight.
        #[arg(long, default_value_t = 1)]
        get_concurrency: usize,
        /// `page_size` of each list (the server allows up to 1,000).
        #[arg(long, default_value_t = 1000)]
        page_size: u32,
        /// Distinct spots the posts are spread over (each post lies within 15 m of one).
        #[arg(long, default_value_t = 2000)]
        spots: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// MQTT sensors: one stream to a plain subscriber and to the intake at once; both rates.
    Mqtt {
        /// Broker, host:port.
        #[arg(long, default_value = "127.0.0.1:1883")]
        broker: String,
        /// Messages in the stream.
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
        /// Publishing clients.
        #[arg(long, default_value_t = 4)]
        publishers: usize,
        /// Offered messages/s over all publishers (0: as fast as the broker acknowledges).
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        /// The intake's max batch.
        #[arg(long, default_value_t = 1024)]
        max_batch: usize,
        /// Also run a phase with a file sink (fsync per batch) writing here.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// Distinct sensors in the stream (a quarter each: covers, bins, flood points, noise).
        #[arg(long, default_value_t = 1000)]
        sensors: usize,
        /// Also run a phase with the node's store sink (readings, rules and alarms in the
        /// database) on this database URL; the sensors are registered there first.
        #[arg(long)]
        store: Option<String>,
        /// Skip the memory-sink phase.
        #[arg(long)]
        no_memory: bool,
    },
}

#[derive(clap::Args)]
struct DeviceArgs {
    #[arg(long, default_value = "127.0.0.1:5015")]
    addr: std::net::SocketAddr,
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Offered reports/s over all connections; 0 holds the connections idle.
    #[arg(long, default_value_t = 10_000.0)]
    rate: f64,
    /// Measured window, seconds.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Reports written back to back per write.
    #[arg(long, default_value_t = 1)]
    burst: usize,
    #[arg(long, default_value_t = 256)]
    max_outstanding: usize,
    #[arg(long, default_value_t = 256)]
    connect_concurrency: usize,
    /// First phone number / MN.
    #[arg(long, default_value_t = 13_900_000_000)]
    first_id: u64,
    /// Start measuring this many seconds after launch (when set up by then), so that several
    /// generator processes launched together measure the same window.
    #[arg(long)]
    start_after: Option<u64>,
}

impl DeviceArgs {
    fn config(&self) -> LoadConfig {
        LoadConfig {
            addr: self.addr,
            connections: self.connections,
            rate: self.rate,
            duration: Duration::from_secs(self.duration),
            burst: self.burst,
            max_outstanding: self.max_outstanding,
            connect_concurrency: self.connect_concurrency,
            first_id: self.first_id,
            version: jt808::Version::V2013,
            start_after: self.start_after.map(Duration::from_secs),
            wall_clock_ms: wall_clock_ms(),
        }
    }
}

/// The wall clock now (UTC ms): a CLI tool reads the clock at its edge.
#[allow(clippy::disallowed_methods)]
fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0)
}

fn print_device_report(what: &str, args: &DeviceArgs, r: &mut LoadReport) {
    println!(
        "{what}: connections={} (failed {}) setup={:.1}s offered={:.0}/s burst={} window={:.1}s",
        r.connected,
        r.failed_connections,
        r.setup.as_secs_f64(),
        args.rate,
        args.burst,
        r.elapsed.as_secs_f64()
    );
    println!(
        "{what}: sent={} acked={} ({:.0}/s acknowledged and durable) acked_after_window={} (total {}) nacked={} skipped_ticks={} lost_connections={}",
        r.sent,
        r.acked,
        r.ack_rate(),
        r.acked_late,
        r.acked + r.acked_late,
        r.nacked,
        r.skipped,
        r.lost
    );
    println!("{what}: ack latency {}", r.latencies.summary());
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Lifecycle {
            url,
            password,
            workers,
            seconds,
            rate,
            grid,
            inspector,
        } => {
            let cfg = lifecycle::Config {
                base: url,
                password,
                workers,
                duration: Duration::from_secs(seconds),
                rate,
                grid,
                inspector,
            };
            let mut r = lifecycle::run(cfg).await?;
            let secs = r.elapsed.as_secs_f64();
            println!(
                "lifecycle: workers={workers} offered={} transitions={} ({:.0}/s) lifecycles={} uploads={} errors={:?}",
                rate.map(|r| format!("{r:.0}/s"))
                    .unwrap_or_else(|| "max".into()),
                r.transitions,
                r.transitions as f64 / secs,
                r.lifecycles,
                r.uploads,
                r.errors
            );
            println!("latency per transition: {}", r.latencies.summary());
        }
        Cmd::List {
            url,
            password,
            user,
            requests,
            concurrency,
        } => {
            let http = reqwest::Client::new();
            let c = Client::login(&url, &http, &user, &password).await?;
            // Warm up once over every query.
            list::run(&c, list::QUERIES.len(), 1).await?;
            let (mut lat, wall) = list::run(&c, requests, concurrency).await?;
            println!(
                "list: {} queries in {:.2} s ({:.0}/s), {}",
                lat.0.len(),
                wall.as_secs_f64(),
                lat.0.len() as f64 / wall.as_secs_f64(),
                lat.summary()
            );
        }
        Cmd::Seed {
            database,
            cases,
            batch,
            seed: s,
        } => {
            let store = Store::open(&ConnectOptions::new(database)).await?;
            let grids: Vec<_> = store
                .list_areas_at(AreaLevel::Grid)
                .await?
                .into_iter()
                .map(|a| a.code)
                .collect();
            let reporter = store.user_by_username("inspector1").await?.ok_or_else(|| {
                anyhow::anyhow!(
                    "no demo accounts: run `yiwang demo --exit-after 1` on this database first"
                )
            })?;
            let depts: Vec<i64> = store
                .list_departments()
                .await?
                .iter()
                .map(|d| d.id)
                .collect();
            #[allow(clippy::disallowed_methods)] // A CLI tool: reading the clock here is the edge.
            let now = Timestamp(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0),
            );
            let started = std::time::Instant::now();
            let plan = seed::Plan {
                grids: &grids,
                reporter_id: reporter.id,
                department_ids: &depts,
                count: cases,
                batch,
                seed: s,
                now,
            };
            let n = seed::seed(&store, &plan).await?;
            store.analyze().await?;
            println!(
                "seeded {n} cases in {:.1} s (planner statistics refreshed)",
                started.elapsed().as_secs_f64()
            );
            store.close().await;
        }
        Cmd::Provision {
            database,
            vehicles,
            first_phone,
            monitors,
            first_mn,
            password,
        } => {
            let store = Store::open(&ConnectOptions::new(database)).await?;
            let now = Timestamp(wall_clock_ms());
            let plan = provision::Plan {
                vehicles,
                first_phone,
                monitors,
                first_mn,
                password,
            };
            let started = std::time::Instant::now();
            let done = provision::provision(&store, &plan, now).await?;
            println!(
                "provisioned {} new vehicles {:?} and {} monitors in {:.1} s",
                done.vehicles,
                done.kinds,
                done.monitors,
                started.elapsed().as_secs_f64()
            );
            store.close().await;
        }
        Cmd::Jt808 { load, v2019 } => {
            let mut cfg = load.config();
            if v2019 {
                cfg.version = jt808::Version::V2019;
            }
            let mut r = device_load::run_jt808(cfg).await;
            print_device_report("jt808", &load, &mut r);
        }
        Cmd::Hj212 { load } => {
            let mut r = device_load::run_hj212(load.config()).await;
            print_device_report("hj212", &load, &mut r);
        }
        Cmd::Open311 {
            url,
            api_key,
            user,
            password,
            posts,
            concurrency,
            gets,
            get_concurrency,
            page_size,
            spots,
            seed,
        } => {
            let cfg = open311_load::Config {
                base: url,
                api_key,
                user,
                password,
                posts,
                concurrency,
                gets,
                get_concurrency,
                page_size,
                spots,
                seed,
            };
            let mut r = open311_load::run(&cfg).await?;
            if posts > 0 {
                let secs = r.post_wall.as_secs_f64().max(1e-9);
                println!(
                    "open311 post: {} created ({} linked to an earlier request) in {secs:.2} s = {:.0}/s; concurrency {concurrency}, {} spots; refused {:?}",
                    r.created,
                    r.linked,
                    r.created as f64 / secs,
                    r.spots,
                    r.failed
                );
                println!("open311 post latency: {}", r.post_latencies.summary());
            }
            if gets > 0 {
                let secs = r.get_wall.as_secs_f64().max(1e-9);
                println!(
                    "open311 list: {} lists in {secs:.2} s = {:.1}/s; {:.0} requests and {:.0} kB per list on average; {} lists shorter than page_size {page_size}; concurrency {get_concurrency}",
                    r.gets,
                    r.gets as f64 / secs,
                    r.listed as f64 / r.gets.max(1) as f64,
                    r.listed_bytes as f64 / r.gets.max(1) as f64 / 1000.0,
                    r.short_gets
                );
                println!("open311 list latency: {}", r.get_latencies.summary());
            }
        }
        Cmd::Mqtt {
            broker,
            messages,
            publishers,
            rate,
            max_batch,
            file,
            sensors,
            store,
            no_memory,
        } => {
            let (host, port) = broker
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
                .ok_or_else(|| anyhow::anyhow!("--broker must be host:port"))?;
            let cfg = mqtt_load::MqttLoadConfig {
                host,
                port,
                messages,
                publishers,
                rate,
                max_batch,
                file,
                sensors,
                store,
                memory: !no_memory,
                ..mqtt_load::MqttLoadConfig::default()
            };
            for mut r in mqtt_load::run(&cfg).await? {
                println!(
                    "mqtt[{}]: published={} by {publishers} publishers in {:.2} s ({:.0}/s offered{})",
                    r.sink,
                    r.published,
                    r.publish_seconds,
                    r.published as f64 / r.publish_seconds.max(1e-9),
                    if rate > 0.0 {
                        format!(", paced at {rate:.0}/s")
                    } else {
                        String::new()
                    },
                );
                println!(
                    "mqtt[{}]: broker -> plain subscriber: {} msgs in {:.2} s = {:.0}/s",
                    r.sink,
                    r.broker.messages,
                    r.broker.seconds,
                    r.broker.rate()
                );
                println!(
                    "mqtt[{}]: broker -> yiwang intake (stored, acked after store): {} msgs in {:.2} s = {:.0}/s in {} batches (malformed {}, store failures {}, reconnects {})",
                    r.sink,
                    r.yiwang.messages,
                    r.yiwang.seconds,
                    r.yiwang.rate(),
                    r.batches,
                    r.stats.malformed,
                    r.stats.store_failures,
                    r.stats.reconnects
                );
                println!(
                    "mqtt[{}]: {} sensors; publish -> stored latency {}",
                    r.sink,
                    r.sensors,
                    r.latency.summary()
                );
                if let Some(s) = r.sink_stats {
                    println!(
                        "mqtt[{}]: store sink: {} readings, {} alarms raised, {} cleared, {} unknown-sensor messages, {} failed writes",
                        r.sink, s.readings, s.raised, s.cleared, s.unknown, s.write_failures
                    );
                }
                println!(
                    "mqtt[{}]: ratio yiwang/broker = {:.3} ({})",
                    r.sink,
                    r.ratio(),
                    if r.ratio() >= 0.9 {
                        "keeps up"
                    } else {
                        "FALLS BEHIND"
                    }
                );
            }
        }
    }
    Ok(())
}
