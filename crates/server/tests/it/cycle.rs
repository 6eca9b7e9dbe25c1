//! 周期案件 over HTTP and the workers: a cycle task's occurrence becomes one case (source
//! `cycle`) sent to its inspector; a node's fresh claim keeps others off, a stale one is taken
//! over; "nothing found" ends as 不予立案 by the system, a confirmed problem goes on through the
//! loop; bad rules are refused. SQLite and PostgreSQL.

use server::cycle::{NOTHING_FOUND, pass};
use server::supervise::system_user;

use super::*;

const GRID1: &str = "410102001001001";

fn rule(class: &str, place: Value, inspector: i64) -> Value {
    json!({
        "title": "夜市周边巡查", "class_code": class, "place": place,
        "schedule": { "kind": "weekly", "days": ["Tue"] },
        "time": "10:30:00", "non_working": "next_working_day",
        "inspector_id": inspector,
    })
}

async fn cycle_cases(a: &App) {
    let system = system_user(&a.state).await.expect("system");
    let insp = a.ids["inspector"];

    // Rules whose cases could not be made are refused up front.
    for (body, code) in [
        (
            rule("99999", json!({"kind": "grid", "code": GRID1}), insp),
            "unknown_class",
        ),
        (
            rule(
                "06010",
                json!({"kind": "grid", "code": "410102999999999"}),
                insp,
            ),
            "unknown_area",
        ),
        (
            rule(
                "06010",
                json!({"kind": "road", "road_id": "R-nowhere"}),
                insp,
            ),
            "unknown_road",
        ),
        (
            rule(
                "06010",
                json!({"kind": "point", "lat": 39.9, "lon": 116.4}),
                insp,
            ),
            "outside_city",
        ),
        (
            rule(
                "06010",
                json!({"kind": "grid", "code": GRID1}),
                a.ids["operator"],
            ),
            "unknown_inspector",
        ),
    ] {
        let (s, e) = a.post("leader", "/api/cycle-tasks", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], code, "{e}");
    }
    assert!(
        a.store.list_cycle_tasks().await.expect("tasks").is_empty(),
        "nothing half-written"
    );

    // Tuesday 10:00: every Tuesday 10:30 at grid 1.
    let (s, task) = a
        .post(
            "leader",
            "/api/cycle-tasks",
            rule("06010", json!({"kind": "grid", "code": GRID1}), insp),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{task}");
    let task_id = task["id"].as_i64().expect("id");
    server::routes::assessment::tick(&a.state)
        .await
        .expect("tick");
    assert_eq!(
        pass(&a.state, &system).await.expect("pass"),
        (0, 0),
        "not due yet"
    );

    // 10:40: the occurrence is due; one case, sent to the inspector.
    a.clock.advance_minutes(40);
    assert_eq!(
        server::routes::assessment::tick(&a.state)
            .await
            .expect("tick"),
        1
    );
    assert_eq!(pass(&a.state, &system).await.expect("pass"), (1, 0));
    assert_eq!(
        pass(&a.state, &system).await.expect("pass"),
        (0, 0),
        "made once"
    );
    let (s, v) = a.get("inspector", "/api/cycle-tasks/runs").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{v}");
    assert_eq!(runs[0]["task_id"], task_id);
    assert_eq!(runs[0]["case_state"], "verifying", "{v}");
    let first = runs[0]["case_id"].as_i64().expect("case id");
    let (s, v) = a.get("inspector", &format!("/api/cases/{first}")).await;
    assert_eq!(s, StatusCode::OK, "the inspector sees the task: {v}");
    assert_eq!(v["case"]["source"], "cycle");
    assert_eq!(v["case"]["class"]["code"], "06010");
    assert_eq!(v["case"]["grid_code"], GRID1);
    assert_eq!(v["case"]["assignee_id"], insp);
    assert_eq!(v["case"]["state"], "verifying");

    // A week on. Another node has just claimed the occurrence: this one keeps off until the
    // claim is stale, then makes the case.
    a.clock.advance_minutes(7 * 24 * 60);
    assert_eq!(
        server::routes::assessment::tick(&a.state)
            .await
            .expect("tick"),
        1
    );
    let due = a
        .store
        .cycle_runs_awaiting_case(a.state.now(), 10)
        .await
        .expect("due");
    assert_eq!(due.len(), 1);
    assert!(
        a.store
            .claim_cycle_run(due[0].run.task_id, due[0].run.due_at, a.state.now())
            .await
            .expect("claim")
    );
    assert_eq!(
        pass(&a.state, &system).await.expect("pass"),
        (0, 0),
        "claimed elsewhere"
    );
    a.clock.advance_minutes(3);
    assert_eq!(
        pass(&a.state, &system).await.expect("pass"),
        (1, 0),
        "stale claim taken over"
    );
    let (_, v) = a
        .get(
            "leader",
            "/api/cycle-tasks/runs?from=2026-12-01&to=2026-12-01",
        )
        .await;
    let second = v["runs"][0]["case_id"].as_i64().expect("second case");
    assert_ne!(first, second);

    // Nothing found at the first: the system ends it as 不予立案 with the reason.
    a.ok(
        "inspector",
        first,
        json!({"action": "verify", "confirmed": false, "note": "现场无占道经营"}),
    )
    .await;
    // A problem found at the second (with a photo): it goes on to filing.
    let photo = a.photo("inspector").await;
    a.ok(
        "inspector",
        second,
        json!({"action": "verify", "confirmed": true, "note": "有暴露垃圾", "attachments": [photo]}),
    )
    .await;
    assert_eq!(pass(&a.state, &system).await.expect("pass"), (0, 1));
    let v = a.case(first).await;
    assert_eq!(v["case"]["state"], "rejected", "{v}");
    let events = a.store.case_events(first).await.expect("events");
    let last = events.last().expect("event");
    assert_eq!(last.action, "reject");
    assert_eq!(last.actor_id, system.caller.user_id);
    assert_eq!(last.note.as_deref(), Some(NOTHING_FOUND));
    assert_eq!(a.case(second).await["case"]["state"], "pending_filing");
    assert_eq!(pass(&a.state, &system).await.expect("pass"), (0, 0));
}

#[tokio::test]
async fn cycle_tasks_make_cases_for_their_inspectors_on_every_backend() {
    on_every_backend("cycle", "cycle cases", cycle_cases).await;
}
