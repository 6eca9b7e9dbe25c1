//! 督办 over HTTP and the worker: a red light raises a department's case to its head, a day
//! overdue to the leader, once each and by the `system` account; a leader's 督办 by hand shows
//! as manual; the list counts both; the rules are an admin's to change. SQLite and PostgreSQL.

use server::escalation::escalate_once;
use server::supervise::system_user;

use super::*;

const GRID1: &str = "410102001001001";

/// A citizen's report taken to 待签收 at the sanitation department (sign within 60 working minutes).
async fn dispatched_case(a: &App, text: &str) -> i64 {
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": text, "area_code": GRID1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["case"]["id"].as_i64().expect("id");
    a.verify_file_dispatch(id).await;
    id
}

async fn escalation(a: &App) {
    let system = system_user(&a.state).await.expect("system");
    let late = dispatched_case(a, "垃圾满溢无人清运").await;
    let manual = dispatched_case(a, "道路破损").await;
    a.ok("hw", manual, json!({"action": "accept_task"})).await;
    assert_eq!(
        escalate_once(&a.state, &system).await.expect("pass"),
        0,
        "nothing late yet"
    );

    // Two working hours later the department has not signed for it: red, 部门督办.
    a.clock.advance_minutes(120);
    assert_eq!(escalate_once(&a.state, &system).await.expect("pass"), 1);
    let v = a.case(late).await;
    assert_eq!(v["case"]["supervision_level"], 1, "{v}");
    let events = a.store.case_events(late).await.expect("events");
    let last = events.last().expect("event");
    assert_eq!(last.action, "supervise");
    assert_eq!(last.actor_id, system.caller.user_id);
    assert_eq!(last.note.as_deref(), Some("自动督办（部门督办）：红灯超时"));
    assert_eq!(
        escalate_once(&a.state, &system).await.expect("pass"),
        0,
        "raised once"
    );

    // Two days on: more than 24 hours past the deadline, 领导督办 — for the late case (one
    // step up) and the one being handled (red too by now: two steps).
    a.clock.advance_minutes(48 * 60);
    assert_eq!(escalate_once(&a.state, &system).await.expect("pass"), 3);
    let v = a.case(late).await;
    assert_eq!(v["case"]["supervision_level"], 2, "{v}");

    // A leader presses on by hand.
    a.ok(
        "leader",
        manual,
        json!({"action": "supervise", "note": "请加快处置"}),
    )
    .await;

    // The list: both, newest first, with who raised them and why.
    let (s, v) = a.get("leader", "/api/supervision").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().expect("items");
    let item = |id: i64| {
        items
            .iter()
            .find(|i| i["case"]["id"] == id)
            .unwrap_or_else(|| panic!("case {id} listed: {v}"))
    };
    assert_eq!(item(late)["level"], 2);
    assert_eq!(item(late)["events"], 2);
    assert_eq!(item(late)["last"]["automatic"], true);
    assert!(
        item(late)["last"]["note"]
            .as_str()
            .is_some_and(|n| n.contains("领导督办"))
    );
    assert_eq!(item(manual)["last"]["automatic"], false, "{v}");
    assert_eq!(item(manual)["last"]["actor_name"], "leader");
    assert_eq!(item(manual)["last"]["note"], "请加快处置");
    assert_eq!(item(manual)["events"], 3);
    assert_eq!(item(manual)["level"], 2, "levels above 2 show as 领导督办");
    assert_eq!(v["counts"]["open"], 2, "{v}");
    assert_eq!(v["counts"]["level2"], 2, "{v}");
    assert_eq!(v["counts"]["level1"], 0, "{v}");
    assert_eq!(v["counts"]["closed"], 0, "{v}");
    let (s, _) = a.get("citizen", "/api/supervision").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = a.get("leader", "/api/supervision?status=maybe").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Rules: an admin's to change; checked; switched off, nothing more is raised.
    let (s, v) = a.get("leader", "/api/config/escalation-rules").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["rules"].as_array().map(Vec::len), Some(4), "{v}");
    let mut rules = v["rules"].clone();
    let (s, _) = a
        .call(
            Some("leader"),
            Method::PUT,
            "/api/config/escalation-rules",
            Some(json!({"rules": rules})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    rules[0]["level"] = json!(5);
    let (s, e) = a
        .call(
            Some("admin"),
            Method::PUT,
            "/api/config/escalation-rules",
            Some(json!({"rules": rules})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], "invalid_rules");
    let off: Vec<Value> = v["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["enabled"] = json!(false);
            r
        })
        .collect();
    let (s, _) = a
        .call(
            Some("admin"),
            Method::PUT,
            "/api/config/escalation-rules",
            Some(json!({"rules": off})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let third = dispatched_case(a, "井盖缺失").await;
    a.clock.advance_minutes(72 * 60);
    assert_eq!(escalate_once(&a.state, &system).await.expect("pass"), 0);
    assert_eq!(a.case(third).await["case"]["supervision_level"], 0);
}

#[tokio::test]
async fn red_lights_and_overdue_cases_are_raised_to_supervision_on_every_backend() {
    on_every_backend("escalate", "escalation", escalation).await;
}
