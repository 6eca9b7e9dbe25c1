//! Open311 GeoReport v2 load (`yiwang-load open311`): many clients posting service requests
//! (`POST /open311/v2/requests.json`), then timed request lists of a full page
//! (`GET /open311/v2/requests.json`, 1,000 results by default) with the spec's filters
//! (`start_date`/`end_date`, `status`, `service_code`) and the `page_size`/`page` extension.
//!
//! The posts are what a civic app sends ([`open311_citizen::compose`]): a point a few metres
//! from a spot inside a unit grid of the city (spots are sampled in the first district's extent
//! and kept when `POST /api/geocode` puts them in a grid), a real service code, a Chinese
//! description, sometimes a nickname, phone or typed address. The server links a post that
//! repeats an open request at the same spot (its answer's `service_notice` says so); those are
//! counted.
//!
//! The server's Open311 rate limits (per IP, per key: 200/s by default) must be raised for the
//! run: `YIWANG_OPEN311__POST_PER_KEY__PER_MINUTE` etc. (see `docs/open311.md`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use domain::time::Timestamp;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

use crate::open311_citizen::{self, Spot};
use crate::{Client, Latencies};

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// The server, e.g. `http://127.0.0.1:8080`.
    pub base: String,
    /// An API key of a user with the citizen (or operator) role.
    pub api_key: String,
    /// A staff account that may geocode (to find points inside grids).
    pub user: String,
    pub password: String,
    /// Requests to post (0: skip the posting phase).
    pub posts: usize,
    /// Posts in flight.
    pub concurrency: usize,
    /// Lists to time (0: skip the listing phase).
    pub gets: usize,
    /// Lists in flight.
    pub get_concurrency: usize,
    /// `page_size` of each list.
    pub page_size: u32,
    /// Distinct spots the posts are spread over.
    pub spots: usize,
    pub seed: u64,
}

/// What happened.
#[derive(Debug, Default)]
pub struct Report {
    pub spots: usize,
    /// Posts answered 200 with a `service_request_id`.
    pub created: u64,
    /// Of those, linked at once to an earlier request (a duplicate).
    pub linked: u64,
    /// Refusals by HTTP status (0: no answer).
    pub failed: BTreeMap<u16, u64>,
    pub post_wall: Duration,
    pub post_latencies: Latencies,
    /// Lists answered 200.
    pub gets: u64,
    /// Lists that returned fewer than `page_size` requests.
    pub short_gets: u64,
    /// Requests returned over all lists.
    pub listed: u64,
    /// Bytes of all list answers.
    pub listed_bytes: u64,
    pub get_wall: Duration,
    pub get_latencies: Latencies,
}

/// The list queries timed, round-robin: the default window (last 90 days), fixed windows in
/// the past year, by status, by one or two service codes, and a later page. `now` is the
/// generator's clock.
pub fn list_queries(now: Timestamp, page_size: u32) -> Vec<String> {
    const DAY_MS: i64 = 86_400_000;
    let day = |d: i64| {
        Timestamp(now.0 - d * DAY_MS)
            .to_rfc3339()
            .replace('+', "%2B")
    };
    let window = |from: i64, to: i64| format!("start_date={}&end_date={}", day(from), day(to));
    [
        String::new(),
        "status=open".to_owned(),
        "status=closed".to_owned(),
        "service_code=06010,09006".to_owned(),
        format!("{}&status=open", window(200, 170)),
        format!("{}&service_code=01002&status=open", window(300, 240)),
        format!("{}&service_code=06012,01037&status=closed", window(120, 60)),
        format!("{}&service_code=07001", window(90, 1)),
        "status=open&page=3".to_owned(),
    ]
    .into_iter()
    .map(|q| {
        let sep = if q.is_empty() { "" } else { "&" };
        format!("/open311/v2/requests.json?{q}{sep}page_size={page_size}")
    })
    .collect()
}

/// Up to `n` points inside unit grids of the first district `GET /api/city` lists.
///
/// # Errors
/// The server refuses or knows no district.
pub async fn find_spots(c: &Client, n: usize, seed: u64) -> anyhow::Result<Vec<Spot>> {
    let city: Value = c
        .http
        .get(format!("{}/api/city", c.base))
        .bearer_auth(&c.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let bbox: Vec<f64> = city["districts"]
        .as_array()
        .and_then(|d| d.iter().find_map(|x| x["bbox"].as_array()))
        .map(|b| b.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let [west, south, east, north] = bbox[..] else {
        anyhow::bail!("the city has no district with an extent (load a city first)");
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for _ in 0..20 {
        if out.len() >= n {
            break;
        }
        let points: Vec<Value> = (0..(n * 2).clamp(100, 10_000))
            .map(|_| {
                json!({"lat": rng.random_range(south..north), "lon": rng.random_range(west..east)})
            })
            .collect();
        let answer: Value = c
            .http
            .post(format!("{}/api/geocode", c.base))
            .bearer_auth(&c.token)
            .json(&json!({ "points": points }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let results = answer["results"].as_array().cloned().unwrap_or_default();
        for (p, r) in points.iter().zip(results) {
            if r["kind"] != "inside" || out.len() >= n {
                continue;
            }
            let (Some(lat), Some(lon)) = (p["lat"].as_f64(), p["lon"].as_f64()) else {
                continue;
            };
            out.push(Spot {
                lat,
                lon,
                place: r["grid"]["name"].as_str().unwrap_or("网格").to_owned(),
            });
        }
    }
    anyhow::ensure!(
        !out.is_empty(),
        "no point of the district lies in a unit grid"
    );
    Ok(out)
}

/// Posts `cfg.posts` requests with `cfg.concurrency` in flight, then times `cfg.gets` lists.
///
/// # Errors
/// The server is unreachable or refuses the staff account.
pub async fn run(cfg: &Config) -> anyhow::Result<Report> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(cfg.concurrency.max(cfg.get_concurrency))
        .timeout(Duration::from_secs(60))
        .build()?;
    let staff = Client::login(&cfg.base, &http, &cfg.user, &cfg.password).await?;
    let spots = Arc::new(find_spots(&staff, cfg.spots, cfg.seed).await?);
    let mut report = Report {
        spots: spots.len(),
        ..Report::default()
    };
    let base = cfg.base.trim_end_matches('/').to_owned();

    if cfg.posts > 0 {
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..cfg.concurrency.max(1) {
            let (http, spots, next) = (http.clone(), spots.clone(), next.clone());
            let url = format!("{base}/open311/v2/requests.json");
            let key = cfg.api_key.clone();
            let (posts, seed) = (cfg.posts, cfg.seed);
            tasks.push(tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(seed ^ (w as u64).wrapping_mul(0x9E37));
                let mut part = Report::default();
                while next.fetch_add(1, Ordering::Relaxed) < posts {
                    let mut form = open311_citizen::compose(&mut rng, &spots, &[]);
                    form.insert(0, ("api_key".to_owned(), key.clone()));
                    let t = Instant::now();
                    match http.post(&url).form(&form).send().await {
                        Ok(r) if r.status().is_success() => {
                            let v: Value = r.json().await.unwrap_or(Value::Null);
                            part.post_latencies.push(t.elapsed().as_micros());
                            if v[0]["service_request_id"].is_string() {
                                part.created += 1;
                                if v[0]["service_notice"]
                                    .as_str()
                                    .is_some_and(|n| n.contains("合并"))
                                {
                                    part.linked += 1;
                                }
                            } else {
                                *part.failed.entry(200).or_default() += 1;
                            }
                        }
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let n = part.failed.entry(status).or_default();
                            if *n == 0 {
                                let body = r.text().await.unwrap_or_default();
                                eprintln!("open311 post answered {status}: {body}");
                            }
                            *n += 1;
                        }
                        Err(e) => {
                            let n = part.failed.entry(0).or_default();
                            if *n == 0 {
                                eprintln!("open311 post: {e}");
                            }
                            *n += 1;
                        }
                    }
                }
                part
            }));
        }
        for t in tasks {
            let part = t.await?;
            report.created += part.created;
            report.linked += part.linked;
            report.post_latencies.extend(part.post_latencies);
            for (k, v) in part.failed {
                *report.failed.entry(k).or_default() += v;
            }
        }
        report.post_wall = started.elapsed();
    }

    if cfg.gets > 0 {
        #[allow(clippy::disallowed_methods)] // A CLI tool: reading the clock here is the edge.
        let now = Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
        );
        let queries = Arc::new(list_queries(now, cfg.page_size));
        // Warm up once over every query (page cache, prepared statements).
        for q in queries.iter() {
            let r = http.get(format!("{base}{q}")).send().await?;
            anyhow::ensure!(r.status().is_success(), "{q}: {}", r.status());
            let _ = r.bytes().await?;
        }
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..cfg.get_concurrency.max(1) {
            let (http, queries, next, base) =
                (http.clone(), queries.clone(), next.clone(), base.clone());
            let (gets, page_size) = (cfg.gets, cfg.page_size);
            tasks.push(tokio::spawn(async move {
                let mut part = Report::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= gets {
                        break;
                    }
                    let q = &queries[i % queries.len()];
                    let t = Instant::now();
                    let r = http.get(format!("{base}{q}")).send().await?;
                    anyhow::ensure!(r.status().is_success(), "{q}: {}", r.status());
                    let bytes = r.bytes().await?;
                    part.get_latencies.push(t.elapsed().as_micros());
                    let v: Value = serde_json::from_slice(&bytes)?;
                    let n = v.as_array().map_or(0, Vec::len) as u64;
                    part.gets += 1;
                    part.listed += n;
                    part.listed_bytes += bytes.len() as u64;
                    if n < u64::from(page_size) {
                        part.short_gets += 1;
                    }
                }
                Ok::<_, anyhow::Error>(part)
            }));
        }
        for t in tasks {
            let part = t.await??;
            report.gets += part.gets;
            report.short_gets += part.short_gets;
            report.listed += part.listed;
            report.listed_bytes += part.listed_bytes;
            report.get_latencies.extend(part.get_latencies);
        }
        report.get_wall = started.elapsed();
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_use_the_spec_filters_within_90_days_and_the_page_size() {
        let now = Timestamp::parse_rfc3339("2026-11-24T10:00:00+08:00").expect("now");
        let qs = list_queries(now, 1000);
        assert_eq!(qs.len(), 9);
        for q in &qs {
            assert!(q.starts_with("/open311/v2/requests.json?"), "{q}");
            assert!(q.ends_with("page_size=1000"), "{q}");
            assert!(!q.contains('+'), "an escaped offset: {q}");
        }
        assert_eq!(qs[0], "/open311/v2/requests.json?page_size=1000");
        assert_eq!(
            qs[4],
            "/open311/v2/requests.json?start_date=2026-05-08T10:00:00%2B08:00\
             &end_date=2026-06-07T10:00:00%2B08:00&status=open&page_size=1000"
        );
        assert!(qs.iter().any(|q| q.contains("service_code=01002")));
        assert!(qs.iter().any(|q| q.contains("status=closed")));
        assert!(qs.iter().any(|q| q.contains("page=3")));
    }
}
