//! The demo's AI cameras 智能视频: twelve cameras in the case-loop district and a simulated
//! video-analytics platform that posts their detections to the real webhook
//! (`POST /api/ingest/camera-events`, `X-Api-Key` of an integration account).
//!
//! The mix shows every path of the confidence gate: most detections are sure (≥ 0.85: an alarm
//! and a case filed automatically), a third are doubtful (0.3–0.85: a notice an operator
//! confirms or clears), some are noise (< 0.3: dropped); and a camera often sees the same thing
//! again a minute later (merged into the open alarm).

use std::sync::Arc;
use std::time::Duration;

use domain::area::AreaCode;
use domain::org::{Role, RoleGrant};
use domain::time::Timestamp;
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng};
use serde_json::json;
use store::{Camera, NewUser, Store};
use tokio_util::sync::CancellationToken;

use crate::demo::DemoGrid;

/// The integration account the analytics platform posts as.
const PLATFORM_USER: &str = "camera-platform";
/// The demo platform's API key (demo data only; real deployments issue keys with
/// `POST /api/api-keys`, shown once).
pub const DEMO_CAMERA_KEY: &str = "yiwang-demo-camera-platform-key";

/// What the cameras are pointed at, by the vendor's event types.
const EVENT_TYPES: &[&str] = &[
    "occupy_road_business",
    "out_of_store_business",
    "exposed_garbage",
    "illegal_parking",
    "non_motor_vehicle_parking",
    "garbage_overflow",
    "street_hanging",
    "piled_sundries",
];

const SPOTS: &[&str] = &[
    "路口东北角",
    "农贸市场门口",
    "小学南门",
    "公交站台",
    "商业街中段",
    "地铁口",
];

/// Registers the cameras and the platform's account and key (first start only); returns the
/// camera ids.
///
/// # Errors
/// The store fails.
pub async fn ensure_cameras(
    store: &Store,
    now: Timestamp,
    grids: &[DemoGrid],
) -> anyhow::Result<Vec<String>> {
    if store.user_by_username(PLATFORM_USER).await?.is_none() {
        let id = store
            .create_user(
                &NewUser {
                    username: PLATFORM_USER.into(),
                    display_name: "AI视频分析平台".into(),
                    phone: None,
                    // No password: the platform signs in with its API key only.
                    password_hash: "!disabled".into(),
                    grants: vec![RoleGrant {
                        role: Role::Operator,
                        area: AreaCode::parse("410102").ok(),
                        department_id: None,
                    }],
                },
                now,
            )
            .await?;
        store
            .create_api_key(
                &server::auth::token_hash(DEMO_CAMERA_KEY),
                "demo camera platform",
                id,
                now,
            )
            .await?;
    }
    let mut ids = Vec::new();
    if grids.is_empty() {
        return Ok(ids);
    }
    let existing = store.list_cameras().await?;
    for i in 0..12 {
        let g = &grids[(i * 23 + 5) % grids.len()];
        let camera_id = format!("CAM-410102-{:03}", i + 1);
        if !existing.iter().any(|c| c.camera_id == camera_id) {
            store
                .upsert_camera(
                    &Camera {
                        camera_id: camera_id.clone(),
                        name: format!("{}{}", g.name, SPOTS[i % SPOTS.len()]),
                        lat: g.lat,
                        lon: g.lon,
                        grid_code: Some(g.code.clone()),
                        direction_deg: Some(f64::from((i as u32 * 47) % 360)),
                    },
                    now,
                )
                .await?;
        }
        ids.push(camera_id);
    }
    Ok(ids)
}

/// Posts detections of random cameras until `cancel`: about one every `every`.
pub fn spawn(
    base_url: String,
    cameras: Vec<String>,
    clock: Arc<dyn server::clock::Clock>,
    every: Duration,
    seed: u64,
    cancel: CancellationToken,
) {
    if cameras.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut rng = StdRng::seed_from_u64(seed ^ 0xCA3E);
        let url = format!("{base_url}/api/ingest/camera-events");
        // The last detection, sometimes seen again.
        let mut last: Option<(String, &str)> = None;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            let (camera, event_type) = match &last {
                Some((c, t)) if rng.random_bool(0.3) => (c.clone(), *t),
                _ => (
                    cameras[rng.random_range(0..cameras.len())].clone(),
                    EVENT_TYPES[rng.random_range(0..EVENT_TYPES.len())],
                ),
            };
            let confidence: f64 = match rng.random_range(0..100) {
                0..55 => rng.random_range(0.86..0.98),
                55..85 => rng.random_range(0.40..0.84),
                _ => rng.random_range(0.05..0.29),
            };
            let body = json!({
                "camera_id": camera,
                "event_type": event_type,
                "confidence": (confidence * 100.0).round() / 100.0,
                "at": clock.now().to_rfc3339(),
            });
            match http
                .post(&url)
                .header("X-Api-Key", DEMO_CAMERA_KEY)
                .json(&body)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => {
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    tracing::warn!(%status, body = %text, "simulated camera event refused");
                }
                Err(e) => tracing::debug!(error = %e, "simulated camera could not post"),
            }
            last = Some((camera, event_type));
        }
    });
}
