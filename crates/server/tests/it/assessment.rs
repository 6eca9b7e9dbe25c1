//! Automatic assessment over HTTP, on a small hand-worked scenario: two streets, one case each.
//!
//! - 林山寨街道 (410102001): a citizen report, verified, filed, dispatched to 环卫中心, handled,
//!   checked and closed, all at once (on time).
//! - 建设路街道 (410102002): the same up to 市政所 accepting it; it is still in handling at the
//!   end of the month, past its deadline.
//!
//! By hand, for November 2026 (area weights 10/20/30/10 of the reference):
//!
//! | street | handled | overdue | 应结案 | closed | 结案率 | 监督举报率 | 立案/网格 | composite |
//! |---|---|---|---|---|---|---|---|---|
//! | 410102001 | 1 | 0 | 1 | 1 | 1/1 | 1/1 → 0 pts | 1 → 90 pts | (0·10 + 90·20 + 100·30 + 100·10) / 70 = 82.857 (B) |
//! | 410102002 | 0 | 1 | 1 | 0 | 0/1 | 1/1 → 0 pts | 1 → 90 pts | (0·10 + 90·20 + 0·30 + 0·10) / 70 = 25.714 (E) |

use serde_json::{Value, json};

use super::{App, StatusCode, app};

/// Reports as a citizen in `grid` and drives the case up to the department accepting it.
async fn up_to_handling(a: &App, grid: &str, inspector: &str, dept: &str) -> i64 {
    let id = a.report("citizen", "citizen_app", grid).await;
    a.ok(
        "operator",
        id,
        json!({"action": "send_verify", "inspector_id": a.ids[inspector]}),
    )
    .await;
    let p = a.photo(inspector).await;
    a.ok(
        inspector,
        id,
        json!({"action": "verify", "confirmed": true, "attachments": [p]}),
    )
    .await;
    a.ok(
        "supervisor",
        id,
        json!({"action": "file", "class_code": "06010", "urgency": "high"}),
    )
    .await;
    a.ok(
        "dispatcher",
        id,
        json!({"action": "dispatch", "department_id": a.depts[dept]}),
    )
    .await;
    a.ok(dept, id, json!({"action": "accept_task"})).await;
    id
}

fn row<'a>(rows: &'a Value, id: &str) -> &'a Value {
    rows["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["scope"]["id"] == id)
        .unwrap_or_else(|| panic!("no row {id}: {rows}"))
}

#[tokio::test]
async fn indicators_ranks_flags_and_reports_of_a_hand_worked_month() {
    let a = app().await;
    let done = up_to_handling(&a, "410102001001001", "inspector", "hw").await;
    let p = a.photo("hw").await;
    a.ok(
        "hw",
        done,
        json!({"action": "feedback", "note": "已清运", "attachments": [p]}),
    )
    .await;
    a.ok(
        "operator",
        done,
        json!({"action": "send_check", "inspector_id": a.ids["inspector"]}),
    )
    .await;
    let p = a.photo("inspector").await;
    a.ok(
        "inspector",
        done,
        json!({"action": "check", "passed": true, "attachments": [p]}),
    )
    .await;
    a.ok("supervisor", done, json!({"action": "close"})).await;
    up_to_handling(&a, "410102002001001", "inspector_s2", "sz").await;

    let (s, v) = a
        .get(
            "leader",
            "/api/assessment/indicators?scope_kind=street&period=2026-11",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["period"],
        json!({"from": "2026-11-01", "to": "2026-11-30"})
    );
    let ids: Vec<&str> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["scope"]["id"].as_str())
        .collect();
    assert_eq!(ids, ["410102001", "410102002"], "best first");
    let first = row(&v, "410102001");
    let second = row(&v, "410102002");
    assert_eq!(first["scope"]["name"], "林山寨街道");
    assert_eq!(first["rank"], 1);
    assert_eq!(second["rank"], 2);
    let i1 = &first["indicators"];
    let i2 = &second["indicators"];
    assert_eq!(
        (
            i1["reported"].clone(),
            i1["filed"].clone(),
            i1["handled"].clone(),
            i1["closed"].clone(),
            i1["overdue_open"].clone()
        ),
        (json!(1), json!(1), json!(1), json!(1), json!(0))
    );
    assert_eq!(i1["closure_rate"], json!({"num": 1, "den": 1, "rate": 1.0}));
    assert_eq!(
        i1["on_time_closure_rate"],
        json!({"num": 1, "den": 1, "rate": 1.0})
    );
    assert_eq!(
        i1["public_report_rate"],
        json!({"num": 1, "den": 1, "rate": 1.0})
    );
    assert_eq!(i1["rework_rate"], json!({"num": 0, "den": 1, "rate": 0.0}));
    assert_eq!(
        (
            i2["handled"].clone(),
            i2["closed"].clone(),
            i2["overdue_open"].clone(),
            i2["due_to_close"].clone()
        ),
        (json!(0), json!(0), json!(1), json!(1))
    );
    assert_eq!(i2["closure_rate"], json!({"num": 0, "den": 1, "rate": 0.0}));
    let score = |r: &Value| r["score"].as_f64().expect("score");
    assert!((score(first) - 5800.0 / 70.0).abs() < 1e-9, "{first}");
    assert!((score(second) - 1800.0 / 70.0).abs() < 1e-9, "{second}");
    assert_eq!(first["grade"], "B");
    assert_eq!(second["grade"], "E");

    // Departments: 环卫中心 closed its case; 市政所 has one overdue.
    let (_, d) = a
        .get(
            "leader",
            "/api/assessment/indicators?scope_kind=department&period=2026-11",
        )
        .await;
    let hw = row(&d, &a.depts["hw"].to_string());
    assert_eq!(hw["indicators"]["closed"], 1);
    assert_eq!(hw["indicators"]["dispatched"], 1);
    assert_eq!(
        row(&d, &a.depts["sz"].to_string())["indicators"]["overdue_open"],
        1
    );

    // An inspector of 林山寨街道 sees only that street.
    let (_, mine) = a
        .get(
            "inspector",
            "/api/assessment/indicators?scope_kind=street&period=2026-11",
        )
        .await;
    assert_eq!(mine["rows"].as_array().map(Vec::len), Some(1), "{mine}");

    // The daily series counts the two reports on the 24th.
    let (s, series) = a
        .get(
            "leader",
            "/api/assessment/series?scope_kind=city&counter=reported&from=2026-11-23&to=2026-11-25",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{series}");
    let values: Vec<i64> = series["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter_map(|p| p["value"].as_i64())
        .collect();
    assert_eq!(values, [0, 2, 0]);

    // The weekly review: one red flag, one black flag among the streets.
    let (s, f) = a
        .get(
            "leader",
            "/api/assessment/flags?week=2026-W48&red=1&black=1",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let streets = f["streets"].as_array().expect("streets");
    assert_eq!(streets.len(), 2, "{f}");
    assert_eq!(
        (
            streets[0]["kind"].clone(),
            streets[0]["scope"]["id"].clone()
        ),
        (json!("red"), json!("410102001"))
    );
    assert_eq!(
        (
            streets[1]["kind"].clone(),
            streets[1]["scope"]["id"].clone()
        ),
        (json!("black"), json!("410102002"))
    );
    let (_, h) = a.get("leader", "/api/assessment/flags/history").await;
    assert_eq!(h["flags"].as_array().map(Vec::len), Some(2), "{h}");

    // Bad periods are refused precisely.
    let (s, e) = a
        .get("leader", "/api/assessment/indicators?period=2026-13")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "invalid_period");
    let (s, e) = a
        .get("leader", "/api/assessment/indicators?scope_kind=planet")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "invalid_query");
    let (s, _) = a.get("citizen", "/api/assessment/indicators").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The counters kept on each transition equal a recomputation from the trail.
    let cal = a.store.assessment_calendar();
    assert_eq!(
        a.store
            .assessment_aggregates()
            .await
            .expect("agg")
            .buckets(),
        a.store
            .assessment_recompute(&cal)
            .await
            .expect("recompute")
            .buckets()
    );
}
