//! yiwang's HTTP/SSE API (axum).
//!
//! - [`router`] builds the whole API over an [`AppState`]; tests drive it with `oneshot`.
//! - Auth ([`auth`]): session cookie or bearer token from `/api/auth/login`, or an API key.
//!   Every handler takes an [`auth::AuthUser`]; role and area checks happen in `domain::policy`
//!   (the one place), applied by the handlers through [`routes`].
//! - Errors ([`error`]): one mapping to `{"error":{"code","message"}}` with the right status.
//! - Live updates ([`sse`]): `/api/events` streams case changes within the caller's scope, fed
//!   by the [`bus::EventBus`] seam (in-process now; NATS JetStream for several nodes).
//! - [`bootstrap`] seeds the taxonomy, calendar and settings on first start.
//!
//! **Architecture invariant:** only this crate knows HTTP and JSON; DTOs live in [`dto`].

pub mod auth;
pub mod bootstrap;
pub mod bus;
pub mod city;
pub mod clock;
pub mod cycle;
pub mod dto;
pub mod error;
pub mod escalation;
mod extract;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod ratelimit;
pub mod routes;
pub mod rules;
pub mod sse;
pub mod supervise;
pub mod track_image;
pub mod web;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use store::Store;

pub use error::{ApiError, ApiResult};

/// Largest JSON body accepted, in bytes.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// Server settings (from the `[server]` section of the config file).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where uploaded photos are written.
    pub attachments_dir: PathBuf,
    /// Largest upload, in bytes.
    pub max_upload_bytes: usize,
    /// How long a login session lasts, in minutes.
    pub session_ttl_minutes: i64,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Cases filed from alarms are dispatched at once to the department of the class's type
    /// serving the place (otherwise they wait in the dispatcher's queue).
    pub auto_dispatch_alarms: bool,
    /// Rate limits of the Open311 API, per node (the `[open311]` section).
    pub open311_limits: routes::open311::Limits,
    /// CA certificates trusted for HTTPS webhooks besides the Mozilla roots (`[notify]
    /// extra_ca_file`, read by [`notify::load_extra_ca`]).
    pub webhook_roots: Vec<reqwest::Certificate>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            attachments_dir: PathBuf::from("data/attachments"),
            max_upload_bytes: 10 * 1024 * 1024,
            session_ttl_minutes: 12 * 60,
            secure_cookies: false,
            auto_dispatch_alarms: true,
            open311_limits: routes::open311::Limits::default(),
            webhook_roots: Vec::new(),
        }
    }
}

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn clock::Clock>,
    pub bus: Arc<dyn bus::EventBus>,
    pub rules: rules::RulesCache,
    pub sessions: auth::SessionCache,
    pub config: Arc<ServerConfig>,
    /// The geocoder and map layers built from the stored city model.
    pub city: city::CityCache,
    /// Where SMS go (one-time codes, answers to citizens); [`notify::LogSms`] by default.
    pub sms: Arc<dyn notify::SmsSender>,
}

/// Starts every background worker a node runs beside its HTTP server, until `shutdown`: alarm →
/// case, transfer-station checks, the assessment worker (cycle occurrences), cycle cases, the
/// notifier and the escalation rules. Each is safe to run on every node of a cluster.
pub fn spawn_workers(state: &AppState, shutdown: &tokio_util::sync::CancellationToken) {
    supervise::spawn_alarm_cases(state.clone(), shutdown.clone());
    routes::sanitation::spawn_station_checks(state.clone(), shutdown.clone());
    routes::assessment::spawn_worker(state.clone(), shutdown.clone());
    cycle::spawn_cycle_cases(state.clone(), shutdown.clone());
    notify::spawn_notifier(state.clone(), shutdown.clone());
    escalation::spawn_escalation(state.clone(), shutdown.clone());
}

impl AppState {
    /// A state with the system clock and the in-process bus.
    pub fn new(store: Store, config: ServerConfig) -> AppState {
        AppState::with_parts(
            store,
            config,
            Arc::new(clock::SystemClock),
            Arc::new(bus::LocalBus::new(4096)),
        )
    }

    pub fn with_parts(
        store: Store,
        config: ServerConfig,
        clock: Arc<dyn clock::Clock>,
        bus: Arc<dyn bus::EventBus>,
    ) -> AppState {
        AppState {
            rules: rules::RulesCache::new(store.clone()),
            sessions: auth::SessionCache::default(),
            store,
            clock,
            bus,
            config: Arc::new(config),
            city: city::CityCache::default(),
            sms: Arc::new(notify::LogSms),
        }
    }

    pub fn now(&self) -> domain::time::Timestamp {
        self.clock.now()
    }
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::router(&state.config))
        .merge(sse::router())
        .merge(metrics::router())
        .merge(openapi::router())
        .fallback(web::serve)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}
