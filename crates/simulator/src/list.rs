//! Case-list queries over HTTP with a realistic mix of filters, timed one by one.

use std::time::{Duration, Instant};

use crate::{Client, Latencies};

/// The filter mix a workbench and the command centre send.
pub const QUERIES: &[&str] = &[
    "/api/cases?limit=50",
    "/api/cases?state=pending_dispatch&limit=50",
    "/api/cases?state=handling&light=red&limit=50",
    "/api/cases?area=410102002&limit=50",
    "/api/cases?area=410102002001001&state=closed&limit=50",
    "/api/cases?class=06010&from=2026-01-01&to=2026-07-01&limit=50",
    "/api/cases?source=citizen_app&state=reported,verifying&limit=50",
    "/api/cases?light=yellow&limit=50",
    "/api/cases?department=1&state=dispatched,handling&limit=50",
    "/api/cases?q=井盖&limit=50",
];

/// Runs `requests` list queries (round-robin over [`QUERIES`]) with `concurrency` in flight;
/// returns the latencies and the wall time.
///
/// # Errors
/// A query fails.
pub async fn run(
    c: &Client,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<(Latencies, Duration)> {
    let started = Instant::now();
    let mut handles = Vec::new();
    let per = requests / concurrency.max(1);
    for w in 0..concurrency.max(1) {
        let c = c.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Latencies::default();
            for i in 0..per {
                let q = QUERIES[(w + i) % QUERIES.len()];
                let t = Instant::now();
                let r = c
                    .http
                    .get(format!("{}{q}", c.base))
                    .bearer_auth(&c.token)
                    .send()
                    .await?;
                anyhow::ensure!(r.status().is_success(), "{q}: {}", r.status());
                let _ = r.bytes().await?;
                lat.push(t.elapsed().as_micros());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all = Latencies::default();
    for h in handles {
        all.extend(h.await??);
    }
    Ok((all, started.elapsed()))
}
