//! `GET /api/stats/breakdown` — the wall's source mix, top classes and day closure rate,
//! counted by the server within the caller's visibility. SQLite and PostgreSQL.

use super::*;

const GRID1: &str = "410102001001001";
const GRID2: &str = "410102002001001";

/// A citizen's report in `grid` (no point, so the duplicate finder leaves it alone).
async fn citizen_report(a: &App, who: &str, grid: &str, text: &str) -> i64 {
    let (s, v) = a
        .post(
            who,
            "/api/cases",
            json!({"source": "citizen_app", "description": text, "area_code": grid}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["case"]["id"].as_i64().expect("id")
}

/// An inspector's classified report in `grid`.
async fn inspector_report(a: &App, grid: &str, text: &str) -> i64 {
    let p = a.photo("inspector").await;
    let (s, v) = a
        .post(
            "inspector",
            "/api/cases",
            json!({"source": "inspector", "description": text, "area_code": grid, "class_code": "06010", "attachments": [p]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["case"]["id"].as_i64().expect("id")
}

/// From a fresh citizen report to 待结案 (handled and checked by the sanitation department).
async fn to_pending_close(a: &App, id: i64) {
    a.verify_file_dispatch(id).await;
    a.ok("hw", id, json!({"action": "accept_task"})).await;
    a.feedback_and_check(id, "hw").await;
}

async fn breakdown(a: &App, who: &str, query: &str) -> Value {
    let (s, v) = a.get(who, &format!("/api/stats/breakdown{query}")).await;
    assert_eq!(s, StatusCode::OK, "{who} {query}: {v}");
    v
}

fn count_of(list: &Value, key: &str, value: &str) -> i64 {
    list.as_array()
        .expect("list")
        .iter()
        .find(|x| x[key] == value)
        .map_or(0, |x| x["count"].as_i64().expect("count"))
}

/// The counts add up: every case is in one channel and in one class bucket.
fn consistent(v: &Value) {
    let total = v["total"].as_i64().expect("total");
    let by_source: i64 = v["by_source"]
        .as_array()
        .expect("by_source")
        .iter()
        .map(|x| x["count"].as_i64().expect("n"))
        .sum();
    let by_class: i64 = v["by_class"]
        .as_array()
        .expect("by_class")
        .iter()
        .map(|x| x["count"].as_i64().expect("n"))
        .sum();
    assert_eq!(by_source, total, "{v}");
    assert_eq!(
        by_class
            + v["other_classes"].as_i64().expect("other")
            + v["unclassified"].as_i64().expect("unclassified"),
        total,
        "{v}"
    );
    let c = &v["closure"];
    assert_eq!(
        c["due"].as_i64(),
        Some(c["closed"].as_i64().expect("closed") + c["overdue_open"].as_i64().expect("overdue")),
        "{v}"
    );
    if let Some(r) = c["rate"].as_f64() {
        assert!((0.0..=1.0).contains(&r), "{v}");
    }
}

async fn story(a: &App) {
    // Day 1 (Tuesday 10:00): two cases in 林山寨街道 go through the loop, one is closed the
    // same day, one is handled but left for tomorrow's closing; one is dispatched and left to go
    // red; an inspector's report waits; 建设路街道 has one citizen report.
    let closed_today = citizen_report(a, "citizen", GRID1, "垃圾桶满溢").await;
    let closed_tomorrow = citizen_report(a, "citizen", GRID1, "路面堆放建筑垃圾").await;
    let late = citizen_report(a, "citizen", GRID1, "绿化带内有大量垃圾").await;
    inspector_report(a, GRID1, "人行道有暴露垃圾").await;
    citizen_report(a, "citizen2", GRID2, "井盖缺失").await;
    to_pending_close(a, closed_today).await;
    a.ok("supervisor", closed_today, json!({"action": "close"}))
        .await;
    to_pending_close(a, closed_tomorrow).await;
    a.verify_file_dispatch(late).await;

    let day1 = breakdown(a, "operator", "").await;
    consistent(&day1);
    assert_eq!(day1["from"], "2026-11-24T00:00:00+08:00", "{day1}");
    assert_eq!(day1["total"], 5, "{day1}");
    assert_eq!(count_of(&day1["by_source"], "source", "citizen_app"), 4);
    assert_eq!(count_of(&day1["by_source"], "source", "inspector"), 1);
    assert_eq!(day1["by_source"][0]["label"], "市民随手拍", "{day1}");
    // Three filed as 暴露垃圾 and the inspector's classified report.
    assert_eq!(day1["by_class"][0]["code"], "06010", "{day1}");
    assert_eq!(day1["by_class"][0]["count"], 4, "{day1}");
    assert!(
        !day1["by_class"][0]["name"]
            .as_str()
            .expect("name")
            .is_empty()
    );
    assert_eq!(day1["closure"]["closed"], 1, "{day1}");
    assert_eq!(day1["closure"]["overdue_open"], 0, "{day1}");
    assert_eq!(day1["closure"]["rate"], 1.0, "{day1}");

    // `top` cuts the named classes; the rest is counted, not lost.
    let one = breakdown(a, "operator", "?top=1").await;
    consistent(&one);
    assert_eq!(one["by_class"].as_array().expect("classes").len(), 1);

    // Two working hours on, the dispatched case (not signed for) and the handled one (not closed
    // in time) are red: due and not closed.
    a.clock.advance_minutes(120);
    let v = breakdown(a, "operator", "?from=2026-11-24&to=2026-11-25").await;
    consistent(&v);
    assert_eq!(v["closure"]["overdue_open"], 2, "{v}");
    assert_eq!(v["closure"]["due"], 3, "{v}");
    assert_eq!(v["closure"]["rate"], 1.0 / 3.0, "{v}");

    // Day 2, morning: yesterday's handled case is closed first thing. Nothing was handled today,
    // so the assessment's 结案数 / (处置数 + 超期未处置数) of the day would be 1 / (0 + 1) and
    // above 100 % with a second such closing; here the closing is due by itself: 1 / (1 + 1).
    a.clock.advance_minutes(22 * 60);
    a.ok("supervisor", closed_tomorrow, json!({"action": "close"}))
        .await;
    let day2 = breakdown(a, "operator", "?from=2026-11-25").await;
    consistent(&day2);
    assert_eq!(day2["total"], 0, "no reports yet today: {day2}");
    assert_eq!(day2["closure"]["closed"], 1, "{day2}");
    assert_eq!(day2["closure"]["overdue_open"], 1, "{day2}");
    assert_eq!(day2["closure"]["rate"], 0.5, "{day2}");
    // Day 1 seen from day 2 still counts its own closing only.
    let v = breakdown(a, "operator", "?from=2026-11-24&to=2026-11-25").await;
    assert_eq!(v["closure"]["closed"], 1, "{v}");

    // Scope: a street's staff see their street's counts only, whatever area they ask for.
    let s2 = breakdown(a, "operator_s2", "?from=2026-11-24").await;
    consistent(&s2);
    assert_eq!(s2["total"], 1, "{s2}");
    assert_eq!(count_of(&s2["by_source"], "source", "citizen_app"), 1);
    assert_eq!(s2["unclassified"], 1, "{s2}");
    assert_eq!(s2["closure"]["due"], 0, "{s2}");
    assert_eq!(s2["closure"]["rate"], Value::Null, "nothing due: {s2}");
    let other = breakdown(a, "operator_s2", "?from=2026-11-24&area=410102001").await;
    assert_eq!(other["total"], 0, "{other}");
    assert_eq!(other["closure"]["closed"], 0, "{other}");
    let street1 = breakdown(a, "operator", "?from=2026-11-24&area=410102001").await;
    assert_eq!(street1["total"], 4, "{street1}");
    assert_eq!(street1["closure"]["closed"], 2, "{street1}");
    let grid2 = breakdown(a, "admin", &format!("?from=2026-11-24&area={GRID2}")).await;
    assert_eq!(grid2["total"], 1, "{grid2}");
    // A citizen counts their own reports.
    let mine = breakdown(a, "citizen2", "?from=2026-11-24").await;
    assert_eq!(mine["total"], 1, "{mine}");

    // Bad input: a precise 400 with the error shape; no session: 401.
    for q in [
        "?from=yesterday",
        "?from=2026-11-24&to=2026-13-01",
        "?from=2026-11-25&to=2026-11-24",
        "?top=0",
        "?top=51",
        "?top=many",
        "?area=4101",
        "?colour=red",
    ] {
        let (s, v) = a.get("operator", &format!("/api/stats/breakdown{q}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(v["error"]["code"], "bad_request", "{q}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{q}: {v}"
        );
    }
    let (s, _) = a
        .call(None, Method::GET, "/api/stats/breakdown", None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn breakdown_counts_within_scope_on_every_backend() {
    on_every_backend("breakdown", "breakdown", story).await;
}
