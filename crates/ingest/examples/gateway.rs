//! A gateway runner for load tests: both gateways with a [`FileSink`] (fsync per batch) and an
//! auto-provisioning [`MemoryRegistry`], printing open connections, stored records and RSS
//! every few seconds.
//!
//! ```text
//! cargo run --release -p ingest --example gateway -- \
//!     [--jt808 0.0.0.0:5015] [--hj212 0.0.0.0:5016] [--file /tmp/yiwang-records.bin] [--every 5]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ingest::{
    Batcher, BatcherConfig, FileSink, MemoryRegistry, Record, Sink, SinkError, SystemClock,
};

/// Counts what the file sink stored.
struct Counting {
    inner: FileSink,
    records: Arc<AtomicU64>,
    batches: Arc<AtomicU64>,
}

impl Sink for Counting {
    async fn write(&self, batch: &[Record]) -> Result<(), SinkError> {
        self.inner.write(batch).await?;
        self.records
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,ingest=info".into()),
        )
        .init();
    let args: Vec<String> = std::env::args().collect();
    let jt_addr = arg(&args, "--jt808", "0.0.0.0:5015").parse()?;
    let hj_addr = arg(&args, "--hj212", "0.0.0.0:5016").parse()?;
    let path = arg(&args, "--file", "/tmp/yiwang-records.bin");
    let every: u64 = arg(&args, "--every", "5").parse()?;

    let _ = std::fs::remove_file(&path);
    let records = Arc::new(AtomicU64::new(0));
    let batches = Arc::new(AtomicU64::new(0));
    let sink = Counting {
        inner: FileSink::open(&path)?,
        records: Arc::clone(&records),
        batches: Arc::clone(&batches),
    };
    let (batcher, _thread) = Batcher::spawn_dedicated(sink, BatcherConfig::default())?;
    let registry = MemoryRegistry::auto_provision();
    let clock = Arc::new(SystemClock);

    let jt = ingest::jt808::Gateway::bind(
        ingest::jt808::Config {
            listen: jt_addr,
            ..Default::default()
        },
        registry.clone(),
        batcher.clone(),
        clock.clone(),
    )
    .await?;
    let hj = ingest::hj212::Gateway::bind(
        ingest::hj212::Config {
            listen: hj_addr,
            ..Default::default()
        },
        registry,
        batcher,
        clock,
    )
    .await?;
    let (jt_handle, hj_handle) = (jt.handle(), hj.handle());
    println!(
        "gateway: jt808 on {}, hj212 on {}, file {path}, rss {} KiB",
        jt.local_addr()?,
        hj.local_addr()?,
        rss_kib()
    );
    tokio::spawn(jt.run());
    tokio::spawn(hj.run());
    let mut last = (0u64, 0u64);
    let mut tick = tokio::time::interval(Duration::from_secs(every.max(1)));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        let (r, b) = (
            records.load(Ordering::Relaxed),
            batches.load(Ordering::Relaxed),
        );
        let dr = r - last.0;
        let db = b - last.1;
        last = (r, b);
        println!(
            "gateway: jt808 open {} online {} | hj212 open {} | stored {r} (+{:.0}/s, {:.1} records/batch) | rss {} KiB",
            jt_handle.open_connections(),
            jt_handle.online_count(),
            hj_handle.open_connections(),
            dr as f64 / every.max(1) as f64,
            if db == 0 { 0.0 } else { dr as f64 / db as f64 },
            rss_kib()
        );
    }
    jt_handle.shutdown();
    hj_handle.shutdown();
    Ok(())
}
