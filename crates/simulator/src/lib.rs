//! Load generation for yiwang's benchmarks (figures in BENCHMARKS.md).
//!
//! - [`lifecycle`]: many concurrent workers drive whole case lifecycles over HTTP against a
//!   running `yiwang demo --pace 0` (report → file → dispatch → accept → feedback → send check →
//!   check → close), closed-loop or at a fixed offered rate, recording each transition's latency.
//! - [`list`]: filtered case-list queries over HTTP, recording latency.
//! - [`seed`]: bulk-loads a store with synthetic cases (for the 1,000,000-case list benchmark).
//! - [`jt808_terminal`], [`hj212_monitor`]: device agents speaking real JT/T 808 and HJ 212
//!   over TCP (register / authenticate / report / answer platform commands), reusable by the
//!   demo simulator.
//! - [`garbage_route`]: routes of simulated garbage trucks over the collection points (mostly
//!   correct, one mixing categories 前分后混, one skipping a point).
//! - [`device_load`]: thousands of those agents against a running gateway, reporting the
//!   acknowledged rate and ack latency.
//! - [`mqtt_sensor`]: a simulated MQTT sensor fleet (manholes, bins, flood points, noise)
//!   publishing the payloads of `docs/mqtt.md`, some misbehaving so that alarms appear.
//! - [`mqtt_load`]: one stream through the broker to a plain subscriber and to the MQTT intake
//!   at once; both rates and their ratio.
//! - [`provision`]: the vehicles and monitors a device load test's terminals claim to be.
//! - [`open311_load`]: Open311 service requests posted by many clients, then timed lists of a
//!   full page (1,000 requests) with the spec's filters.

pub mod device_load;
pub mod garbage_route;
pub mod hj212_monitor;
pub mod jt808_terminal;
pub mod lifecycle;
pub mod list;
pub mod mqtt_load;
pub mod mqtt_sensor;
pub mod open311_citizen;
pub mod open311_load;
pub mod provision;
pub mod seed;

/// Latency samples in microseconds, summarised.
#[derive(Default, Clone, Debug)]
pub struct Latencies(pub Vec<u32>);

impl Latencies {
    pub fn push(&mut self, micros: u128) {
        self.0.push(u32::try_from(micros).unwrap_or(u32::MAX));
    }

    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// The `q`-quantile (0..=1) in milliseconds.
    pub fn quantile_ms(&mut self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_unstable();
        let idx = ((self.0.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
        f64::from(self.0.get(idx).copied().unwrap_or_default()) / 1000.0
    }

    pub fn summary(&mut self) -> String {
        format!(
            "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.quantile_ms(0.5),
            self.quantile_ms(0.9),
            self.quantile_ms(0.99),
            self.quantile_ms(1.0)
        )
    }
}

/// A signed-in API client.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

impl Client {
    /// Signs in.
    ///
    /// # Errors
    /// The server is unreachable or refuses the credentials.
    pub async fn login(
        base: &str,
        http: &reqwest::Client,
        user: &str,
        password: &str,
    ) -> anyhow::Result<Client> {
        let v: serde_json::Value = http
            .post(format!("{base}/api/auth/login"))
            .json(&serde_json::json!({"username": user, "password": password}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = v["token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no token for {user}"))?
            .to_owned();
        Ok(Client {
            base: base.to_owned(),
            http: http.clone(),
            token,
        })
    }
}

/// A valid 1×1 PNG used as the photo on steps that require one.
pub const PHOTO_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0x98, 0x65, 0x6A, 0x0A,
    0x00, 0x02, 0xA4, 0x01, 0x37, 0x32, 0x6A, 0xC0, 0x22, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];
