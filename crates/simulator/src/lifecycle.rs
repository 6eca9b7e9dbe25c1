//! Whole case lifecycles over HTTP: report → file → dispatch → accept → feedback → send check →
//! check → close, by the demo district's accounts, from many concurrent workers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::{Client, Latencies, PHOTO_PNG};

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub base: String,
    pub password: String,
    pub workers: usize,
    pub duration: Duration,
    /// Offered load in transitions per second; `None` = as fast as the workers go.
    pub rate: Option<f64>,
    /// The grid cases are reported in (must be in `inspector`'s area).
    pub grid: String,
    pub inspector: String,
}

/// What happened.
#[derive(Default, Debug)]
pub struct Report {
    pub transitions: u64,
    pub lifecycles: u64,
    pub uploads: u64,
    pub elapsed: Duration,
    pub errors: BTreeMap<u16, u64>,
    pub latencies: Latencies,
}

struct Actors {
    inspector: Client,
    inspector_id: i64,
    operator: Client,
    supervisor: Client,
    dispatcher: Client,
    handler: Client,
    department_id: i64,
}

async fn get(c: &Client, path: &str) -> anyhow::Result<Value> {
    Ok(c.http
        .get(format!("{}{path}", c.base))
        .bearer_auth(&c.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

async fn actors(cfg: &Config) -> anyhow::Result<Actors> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(cfg.workers * 2)
        .build()?;
    let login = async |u: &str| Client::login(&cfg.base, &http, u, &cfg.password).await;
    let supervisor = login("supervisor").await?;
    let depts = get(&supervisor, "/api/departments").await?;
    let department_id = depts
        .as_array()
        .and_then(|a| a.iter().find(|d| d["dept_type"] == "sanitation"))
        .and_then(|d| d["id"].as_i64())
        .ok_or_else(|| anyhow::anyhow!("no sanitation department: run against `yiwang demo`"))?;
    let inspector = login(&cfg.inspector).await?;
    let me = get(&inspector, "/api/me").await?;
    let inspector_id = me["user"]["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("inspector id"))?;
    Ok(Actors {
        inspector,
        inspector_id,
        operator: login("operator").await?,
        dispatcher: login("dispatcher").await?,
        handler: login(&format!("dept{department_id}")).await?,
        supervisor,
        department_id,
    })
}

struct Worker {
    actors: Arc<Actors>,
    permits: Option<Arc<Semaphore>>,
    report: Report,
    grid: String,
}

impl Worker {
    /// One timed request that counts as a transition; returns the JSON body if 2xx.
    async fn step(&mut self, c: &Client, path: &str, body: Value) -> Option<Value> {
        if let Some(p) = &self.permits {
            p.acquire().await.ok()?.forget();
        }
        let started = Instant::now();
        let resp = c
            .http
            .post(format!("{}{path}", c.base))
            .bearer_auth(&c.token)
            .json(&body)
            .send()
            .await;
        let (status, v) = match resp {
            Ok(r) => {
                let s = r.status().as_u16();
                (s, r.json::<Value>().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        };
        self.report.latencies.push(started.elapsed().as_micros());
        if (200..300).contains(&status) {
            self.report.transitions += 1;
            Some(v)
        } else {
            *self.report.errors.entry(status).or_default() += 1;
            None
        }
    }

    async fn photo(&mut self, c: &Client) -> Option<i64> {
        let part = reqwest::multipart::Part::bytes(PHOTO_PNG.to_vec()).file_name("p.png");
        let form = reqwest::multipart::Form::new().part("file", part);
        let r = c
            .http
            .post(format!("{}/api/attachments", c.base))
            .bearer_auth(&c.token)
            .multipart(form)
            .send()
            .await
            .ok()?;
        let v: Value = r.json().await.ok()?;
        self.report.uploads += 1;
        v["id"].as_i64()
    }

    async fn lifecycle(&mut self) -> Option<()> {
        let a = self.actors.clone();
        let v = self
            .step(&a.inspector, "/api/cases", json!({"source": "inspector", "description": "压测：路口暴露垃圾", "area_code": self.grid, "class_code": "06010"}))
            .await?;
        let id = v["case"]["id"].as_i64()?;
        let path = format!("/api/cases/{id}/actions");
        self.step(&a.supervisor, &path, json!({"action": "file"}))
            .await?;
        self.step(
            &a.dispatcher,
            &path,
            json!({"action": "dispatch", "department_id": a.department_id}),
        )
        .await?;
        self.step(&a.handler, &path, json!({"action": "accept_task"}))
            .await?;
        let p = self.photo(&a.handler).await?;
        self.step(
            &a.handler,
            &path,
            json!({"action": "feedback", "note": "已清运", "attachments": [p]}),
        )
        .await?;
        self.step(
            &a.operator,
            &path,
            json!({"action": "send_check", "inspector_id": a.inspector_id}),
        )
        .await?;
        let p = self.photo(&a.inspector).await?;
        self.step(
            &a.inspector,
            &path,
            json!({"action": "check", "passed": true, "attachments": [p]}),
        )
        .await?;
        self.step(&a.supervisor, &path, json!({"action": "close"}))
            .await?;
        self.report.lifecycles += 1;
        Some(())
    }
}

/// Runs the load and returns the merged report.
///
/// # Errors
/// The demo accounts cannot sign in.
pub async fn run(cfg: Config) -> anyhow::Result<Report> {
    let actors = Arc::new(actors(&cfg).await?);
    let stop = Arc::new(AtomicBool::new(false));
    let permits = cfg.rate.map(|_| Arc::new(Semaphore::new(0)));
    if let (Some(rate), Some(p)) = (cfg.rate, permits.clone()) {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(1));
            let mut owed = 0.0_f64;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                owed += rate / 1000.0;
                let whole = owed.floor();
                owed -= whole;
                // Do not bank unused permits beyond one second's worth.
                if p.available_permits() < rate as usize {
                    p.add_permits(whole as usize);
                }
            }
            p.close();
        });
    }
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..cfg.workers.max(1) {
        let mut w = Worker {
            actors: actors.clone(),
            permits: permits.clone(),
            report: Report::default(),
            grid: cfg.grid.clone(),
        };
        let stop = stop.clone();
        handles.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if w.lifecycle().await.is_none() {
                    tokio::task::yield_now().await;
                }
            }
            w.report
        }));
    }
    tokio::time::sleep(cfg.duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Report::default();
    for h in handles {
        let r = h.await?;
        total.transitions += r.transitions;
        total.lifecycles += r.lifecycles;
        total.uploads += r.uploads;
        for (k, v) in r.errors {
            *total.errors.entry(k).or_default() += v;
        }
        total.latencies.extend(r.latencies);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}
