//! Likely duplicates over HTTP on SQLite and PostgreSQL: which cases a report lists (same class,
//! within the radius and the window, open, in the caller's scope), the rules and their
//! validation, and linking a duplicate so that its reporter follows the master.

use super::*;

const GRID1: &str = "410102001001001";
const LAT: f64 = 34.75;
const LON: f64 = 113.61;
/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_195.0;

/// A citizen report `north_m` metres north of the reference point; returns the case id.
async fn citizen_report(a: &App, who: &str, class: &str, north_m: f64, text: &str) -> i64 {
    let body = json!({
        "source": "citizen_app",
        "description": text,
        "area_code": GRID1,
        "lat": LAT + north_m / M_PER_DEG,
        "lon": LON,
        "class_code": class,
    });
    let (s, v) = a.post(who, "/api/cases", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["case"]["id"].as_i64().expect("id")
}

async fn candidates(a: &App, who: &str, id: i64) -> (Vec<i64>, Value) {
    let (s, v) = a.get(who, &format!("/api/cases/{id}/duplicates")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ids = v["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|c| c["case"]["id"].as_i64())
        .collect();
    (ids, v)
}

async fn put_rules(a: &App, who: &str, body: Value) -> (StatusCode, Value) {
    a.call(Some(who), Method::PUT, "/api/duplicate-rules", Some(body))
        .await
}

/// Rules without automatic linking, so that every report stays open for the listing checks.
fn manual_rules() -> Value {
    json!({"default": {"radius_m": 50.0, "window_minutes": 4320, "auto_link_score": null}})
}

async fn listing(a: &App) {
    let (s, v) = put_rules(a, "admin", manual_rules()).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let first = citizen_report(a, "citizen", "06010", 0.0, "百花路口有成堆垃圾").await;
    let far = citizen_report(a, "citizen", "06010", 500.0, "百花路口有成堆垃圾").await;
    let other = citizen_report(a, "citizen", "06012", 5.0, "百花路口路面不洁").await;
    a.clock.advance_minutes(30);
    let second = citizen_report(a, "citizen2", "06010", 10.0, "百花路口垃圾成堆").await;

    // The second lists the first (and nothing 500 m away or of another class).
    let (ids, v) = candidates(a, "operator", second).await;
    assert_eq!(ids, vec![first], "{v}");
    let c = &v["candidates"][0];
    let d = c["distance_m"].as_f64().expect("distance");
    assert!((d - 10.0).abs() < 0.5, "{d}");
    let score = c["score"].as_f64().expect("score");
    assert!(score > 0.5 && score <= 1.0, "{score}");
    assert!(c["case"]["case_no"].is_string());
    assert_eq!(v["reason"], Value::Null);
    assert_eq!(v["rule"]["radius_m"], json!(50.0));
    // And the first lists the second (the window reaches both ways).
    assert_eq!(candidates(a, "supervisor", first).await.0, vec![second]);
    assert!(candidates(a, "operator", far).await.0.is_empty());
    assert!(candidates(a, "operator", other).await.0.is_empty());

    // Out of scope: 404; citizens may not look at all.
    let (s, _) = a
        .get("operator_s2", &format!("/api/cases/{second}/duplicates"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = a
        .get("citizen2", &format!("/api/cases/{second}/duplicates"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Older than the window: not listed.
    a.clock.advance_minutes(4320 + 1);
    let late = citizen_report(a, "citizen", "06010", 3.0, "百花路口有成堆垃圾").await;
    assert!(
        candidates(a, "operator", late).await.0.is_empty(),
        "first is too old"
    );
    // A wider window for the class brings it back (per-class override).
    let (s, v) = put_rules(
        a,
        "admin",
        json!({"default": {"radius_m": 50.0, "window_minutes": 4320, "auto_link_score": null},
               "per_class": {"06010": {"radius_m": 1000.0, "window_minutes": 10000}}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (ids, v) = candidates(a, "operator", late).await;
    assert_eq!(ids.len(), 3, "{v}");
    assert_eq!(ids[0], first, "the nearest, most similar first: {v}");
    assert!(ids.contains(&far) && ids.contains(&second));
    assert_eq!(v["rule"]["radius_m"], json!(1000.0));

    // A case without a class lists nothing and says why.
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": "路口有垃圾", "area_code": GRID1,
                   "lat": LAT, "lon": LON}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let unclassed = v["case"]["id"].as_i64().expect("id");
    let (ids, v) = candidates(a, "operator", unclassed).await;
    assert!(ids.is_empty());
    assert_eq!(v["reason"], "no_class");

    // Linking by hand: the duplicate leaves the lists and its reporter follows the master.
    a.ok(
        "operator",
        second,
        json!({"action": "link_duplicate", "master_case_id": first}),
    )
    .await;
    let (ids, _) = candidates(a, "operator", late).await;
    assert!(!ids.contains(&second));
    let (ids, v) = candidates(a, "operator", second).await;
    assert!(ids.is_empty());
    assert_eq!(v["reason"], "terminal");
    let (s, _) = a.get("citizen2", &format!("/api/cases/{first}")).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the duplicate's reporter follows the master"
    );
}

#[tokio::test]
async fn duplicates_are_listed_by_class_radius_window_and_scope_on_every_backend() {
    for pg in [false, true] {
        let Some((store, schema)) = open_store(pg, "dups").await else {
            continue;
        };
        let a = app_on(store, schema).await;
        listing(&a).await;
        if let Some(s) = &a.schema {
            a.store.drop_schema(s).await.expect("drop");
        }
    }
}

#[tokio::test]
async fn duplicate_rules_are_validated_and_admin_only() {
    let a = app().await;
    let (s, v) = a.get("dispatcher", "/api/duplicate-rules").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"default": {"radius_m": 50.0, "window_minutes": 4320, "auto_link_score": 0.9},
               "per_class": {}})
    );
    let (s, _) = a.get("citizen", "/api/duplicate-rules").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = put_rules(&a, "operator", manual_rules()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let rule = |r: f64, w: i64, sc: Value| json!({"default": {"radius_m": r, "window_minutes": w, "auto_link_score": sc}});
    for (body, code) in [
        (rule(0.5, 60, json!(0.9)), "invalid"),
        (rule(5001.0, 60, json!(0.9)), "invalid"),
        (rule(50.0, 0, json!(0.9)), "invalid"),
        (rule(50.0, 43_201, json!(0.9)), "invalid"),
        (rule(50.0, 60, json!(1.5)), "invalid"),
        (rule(50.0, 60, json!(-0.1)), "invalid"),
        (
            json!({"default": {"radius_m": 50.0, "window_minutes": 60},
                   "per_class": {"06010": {"radius_m": 0.0, "window_minutes": 60}}}),
            "invalid",
        ),
        (
            json!({"default": {"radius_m": 50.0, "window_minutes": 60},
                   "per_class": {"99999": {"radius_m": 10.0, "window_minutes": 60}}}),
            "unknown_class",
        ),
    ] {
        let (s, v) = put_rules(&a, "admin", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {v}");
        assert_eq!(v["error"]["code"], code, "{body} -> {v}");
        assert!(v["error"]["message"].is_string());
    }
    // Unknown fields are refused too.
    let (s, v) = put_rules(
        &a,
        "admin",
        json!({"default": {"radius_m": 50.0, "window_minutes": 60, "colour": "red"}}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Nothing was saved by the refusals; the edges are accepted.
    let (_, v) = a.get("admin", "/api/duplicate-rules").await;
    assert_eq!(v["default"]["radius_m"], json!(50.0));
    assert_eq!(v["default"]["window_minutes"], json!(4320));
    let good = json!({"default": {"radius_m": 1.0, "window_minutes": 43_200, "auto_link_score": 0.0},
                      "per_class": {"06010": {"radius_m": 5000.0, "window_minutes": 1, "auto_link_score": 1.0}}});
    let (s, v) = put_rules(&a, "admin", good.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, good);
    let (_, v) = a.get("operator", "/api/duplicate-rules").await;
    assert_eq!(v, good);
}

/// Needs `routes/cases.rs` `report` to call `duplicates::auto_link` after the case is stored.
#[tokio::test]
async fn a_fresh_report_is_linked_automatically_above_the_threshold() {
    for pg in [false, true] {
        let Some((store, schema)) = open_store(pg, "autodup").await else {
            continue;
        };
        let a = app_on(store, schema).await;
        let first = citizen_report(&a, "citizen", "06010", 0.0, "百花路口有成堆垃圾").await;
        a.clock.advance_minutes(10);
        // Unrelated words at the same place: offered, not linked.
        let unrelated = citizen_report(&a, "citizen", "06010", 5.0, "井盖丢失有危险").await;
        assert_eq!(a.case(unrelated).await["case"]["state"], "reported");
        // The same problem 10 m away: linked to the first by the system account.
        let second = citizen_report(&a, "citizen2", "06010", 10.0, "百花路口有成堆垃圾！").await;
        let d = a.case(second).await;
        assert_eq!(d["case"]["state"], "merged", "{d}");
        assert_eq!(d["case"]["master_case_id"], json!(first));
        let last = &d["events"][1];
        assert_eq!(last["action"], "link_duplicate");
        // The second reporter follows the master.
        let (s, _) = a.get("citizen2", &format!("/api/cases/{first}")).await;
        assert_eq!(s, StatusCode::OK);
        // An inspector's report is never linked automatically.
        let (s, v) = a
            .post(
                "inspector",
                "/api/cases",
                json!({"source": "inspector", "description": "百花路口有成堆垃圾", "area_code": GRID1,
                       "lat": LAT, "lon": LON, "class_code": "06010"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["case"]["state"], "pending_filing");
        if let Some(s) = &a.schema {
            a.store.drop_schema(s).await.expect("drop");
        }
    }
}
