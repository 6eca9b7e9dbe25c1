//! The demo's collection routes 收运路线 (first start only): each garbage truck's route is its
//! share of the collection points of its category, in tour order (the plan of
//! [`simulator::garbage_route::plan_fleet`] with every truck correct), running every day.
//!
//! So that a short demo run shows the route rule at work, the routes finish at the quarter hour
//! at least ten minutes before the first start, and the trucks' rounds of the hour before are
//! stored as their track of the day: every truck collected its route correctly except the
//! skipping truck, which left out the last point of its route. The node replays the day's
//! track at start ([`ingest::supervise::Supervisors::replay_garbage_day`]), so its first tick
//! (within 30 s) judges the routes and raises exactly one `garbage.route_missed:<route>` alarm:
//! the skipped point, naming the route and the truck. (The mixing truck collected correctly in
//! that hour, so its live 前分后混 still shows within the run's first minutes.) A first start
//! in the first 90 minutes of the local day stores no rounds and lets the routes finish at
//! 24:00.

use std::collections::HashMap;

use domain::time::Timestamp;
use simulator::garbage_route::{self, Behaviour, RoutePoint};
use store::{CollectionRoute, Position, Store};

use crate::devices::DemoVehicle;

/// Stops of the stored rounds, minutes apart.
const STOP_EVERY_MIN: i64 = 8;

/// Seeds the routes and the rounds of the hour before `now` (when no route is stored yet).
///
/// # Errors
/// The store fails.
pub async fn ensure_routes(
    store: &Store,
    now: Timestamp,
    points: &[RoutePoint],
    trucks: &[(DemoVehicle, Option<String>, Behaviour)],
) -> anyhow::Result<()> {
    if !store.list_collection_routes().await?.is_empty() || trucks.is_empty() {
        return Ok(());
    }
    let registered: HashMap<String, i64> = store
        .list_vehicles()
        .await?
        .into_iter()
        .filter_map(|v| v.phone.map(|p| (p, v.id)))
        .collect();
    let correct: Vec<(Option<String>, Behaviour)> = trucks
        .iter()
        .map(|(_, c, _)| (c.clone(), Behaviour::Correct))
        .collect();
    let shares = garbage_route::plan_fleet(points, &correct);
    // This morning's rounds: correct, but the skipping truck skips as it does live.
    let history_plan: Vec<(Option<String>, Behaviour)> = trucks
        .iter()
        .map(|(_, c, b)| {
            let b = if *b == Behaviour::Skipping {
                Behaviour::Skipping
            } else {
                Behaviour::Correct
            };
            (c.clone(), b)
        })
        .collect();
    let rounds = garbage_route::plan_fleet(points, &history_plan);

    let local = now.to_shanghai();
    let minute_of_day = i64::from(chrono::Timelike::hour(&local)) * 60
        + i64::from(chrono::Timelike::minute(&local));
    let day_start = Timestamp(
        now.0 - minute_of_day * 60_000 - i64::from(chrono::Timelike::second(&local)) * 1000,
    );
    let (finish_by, with_rounds) = if minute_of_day >= 90 {
        (((minute_of_day - 10) / 15) * 15, true)
    } else {
        (1440, false)
    };
    let finish_at = Timestamp(day_start.0 + finish_by * 60_000);
    let mut positions = Vec::new();
    for (k, ((truck, category, _), share)) in trucks.iter().zip(&shares).enumerate() {
        let (Some(category), Some(&vehicle_id)) = (category, registered.get(&truck.phone)) else {
            continue;
        };
        if share.is_empty() {
            continue;
        }
        let route = CollectionRoute {
            route_id: format!("R-{:02}", k + 1),
            name: format!("中原区{}{}号线", category_zh(category), k + 1),
            vehicle_id,
            category: category.clone(),
            points: share.iter().map(|p| p.id.clone()).collect(),
            days: serde_json::json!({ "kind": "daily" }),
            finish_by,
            any_truck: false,
            created_at: now,
            updated_at: now,
        };
        store.insert_collection_route(&route).await?;
        if with_rounds && let Some(round) = rounds.get(k) {
            // The round ends STOP_EVERY_MIN before the finish time.
            let n = i64::try_from(round.len()).unwrap_or(0);
            let start = Timestamp(finish_at.0 - (n + 1) * STOP_EVERY_MIN * 60_000);
            for (i, p) in round.iter().enumerate() {
                let at =
                    Timestamp(start.0 + i64::try_from(i).unwrap_or(0) * STOP_EVERY_MIN * 60_000);
                positions.extend(stop(vehicle_id, at, p));
            }
        }
    }
    store.append_positions(&positions).await?;
    Ok(())
}

fn category_zh(c: &str) -> &'static str {
    match c {
        "kitchen" => "厨余",
        "other" => "其他垃圾",
        "recyclable" => "可回收物",
        _ => "有害垃圾",
    }
}

/// Driving in, four fixes standing at the point over 90 s, driving off.
fn stop(vehicle_id: i64, at: Timestamp, p: &RoutePoint) -> Vec<Position> {
    let fix = |s: i64, dlat: f64, speed_kmh: f64| Position {
        vehicle_id,
        fix_at: Timestamp(at.0 + s * 1000),
        received_at: Timestamp(at.0 + s * 1000),
        lat: p.lat + dlat,
        lon: p.lon,
        speed_kmh,
        heading: 0,
        altitude_m: 100,
        alarm: 0,
        status: 3,
        mileage_m: None,
        grid_code: None,
        backfill: false,
    };
    vec![
        fix(-60, -0.004, 30.0),
        fix(0, 0.0, 0.0),
        fix(30, 0.0, 0.0),
        fix(60, 0.0, 0.0),
        fix(90, 0.0, 0.0),
        fix(150, 0.004, 30.0),
    ]
}
