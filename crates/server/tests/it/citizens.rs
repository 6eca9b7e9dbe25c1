//! The citizen's side over HTTP: anonymity, the answer 答复, the rating 回访 with its one
//! reopening (回访不满意回退重办) on SQLite and PostgreSQL, and sign-in by SMS code (codes read
//! back from the outbox, wrong and burnt codes, per-phone limits, staff phones refused).

use super::*;

const GRID1: &str = "410102001001001";

/// From handling to closed: feedback with a photo, check, close.
async fn handle_and_close(a: &App, id: i64) {
    a.feedback_and_check(id, "hw").await;
    let v = a.ok("supervisor", id, json!({"action": "close"})).await;
    assert_eq!(v["case"]["state"], "closed");
}

async fn answer_and_rating(a: &App) {
    // An anonymous report: staff do not learn who reported; the reporter does.
    let photo = a.photo("citizen").await;
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": "路口有成堆垃圾", "area_code": GRID1,
                   "lat": 34.75, "lon": 113.61, "attachments": [photo], "anonymous": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["case"]["id"].as_i64().expect("id");
    assert_eq!(v["case"]["anonymous"], true);
    assert_eq!(
        v["case"]["reporter_name"], "citizen",
        "the reporter sees it"
    );
    let (_, staff) = a.get("operator", &format!("/api/cases/{id}")).await;
    assert_eq!(staff["case"]["reporter_name"], Value::Null, "{staff}");
    assert_eq!(staff["case"]["reporter_phone"], Value::Null);
    assert_eq!(staff["case"]["reporter_id"], Value::Null);

    // Through the loop to the department.
    a.verify_file_dispatch(id).await;
    let v = a.case(id).await;
    let transferred = v["case"]["first_dispatched_at"].clone();
    assert!(transferred.is_string(), "转办 time kept: {v}");

    // An answer while it is being handled; the first answer's time stays.
    let v = a
        .ok(
            "operator",
            id,
            json!({"action": "reply", "note": "已转环卫中心处理"}),
        )
        .await;
    let first_reply = v["case"]["replied_at"].clone();
    assert_eq!(v["case"]["reply"], "已转环卫中心处理");
    assert_eq!(
        v["case"]["state"], "dispatched",
        "an answer does not move the case"
    );
    let (s, v) = a
        .act("operator", id, json!({"action": "reply", "note": "  "}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("missing_field"))
    );
    a.ok("hw", id, json!({"action": "accept_task"})).await;

    // Rating before the case is closed: not allowed.
    let (s, _) = a
        .act(
            "citizen",
            id,
            json!({"action": "rate", "rating": "satisfied"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    handle_and_close(a, id).await;
    a.clock.advance_minutes(10);
    let v = a
        .ok(
            "operator",
            id,
            json!({"action": "reply", "note": "垃圾已清运完毕，感谢您的反映"}),
        )
        .await;
    assert_eq!(v["case"]["replied_at"], first_reply);
    assert_eq!(v["case"]["state"], "closed");

    // Only the reporter rates (another citizen does not even see it); 不满意 needs a reason.
    let (s, _) = a
        .act(
            "citizen2",
            id,
            json!({"action": "rate", "rating": "satisfied"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = a
        .act(
            "citizen",
            id,
            json!({"action": "rate", "rating": "unsatisfied"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("missing_field")),
        "{v}"
    );
    let (s, v) = a
        .act("citizen", id, json!({"action": "rate", "rating": "so-so"}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );

    // 不满意: back to the same department, once.
    let v = a
        .ok(
            "citizen",
            id,
            json!({"action": "rate", "rating": "unsatisfied", "note": "还有垃圾没清"}),
        )
        .await;
    assert_eq!(v["case"]["state"], "dispatched", "{v}");
    assert_eq!(v["case"]["department_id"], json!(a.depts["hw"]));
    assert_eq!(v["case"]["reopen_count"], 1);
    assert_eq!(v["case"]["closed_at"], Value::Null);
    assert_eq!(v["case"]["rating"], "unsatisfied");
    a.ok("hw", id, json!({"action": "accept_task"})).await;
    handle_and_close(a, id).await;

    // Unsatisfied again: recorded, but the case stays closed (reopened once only).
    let v = a
        .ok(
            "citizen",
            id,
            json!({"action": "rate", "rating": "unsatisfied", "note": "仍不满意"}),
        )
        .await;
    assert_eq!(v["case"]["state"], "closed");
    assert_eq!(v["case"]["reopen_count"], 1);
    // Rated once per closing.
    let (s, v) = a
        .act(
            "citizen",
            id,
            json!({"action": "rate", "rating": "satisfied"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "{v}"
    );

    // The audit trail holds every answer and rating.
    let d = a.case(id).await;
    let actions: Vec<&str> = d["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| matches!(*a, "reply" | "rate"))
        .collect();
    assert_eq!(actions, ["reply", "reply", "rate", "rate"]);
}

#[tokio::test]
async fn answers_ratings_and_one_reopening_on_every_backend() {
    on_every_backend("answer", "answers and ratings", answer_and_rating).await;
}

async fn public_post(a: &App, path: &str, body: Value) -> (StatusCode, Value) {
    a.call(None, Method::POST, path, Some(body)).await
}

/// The last code sent to `phone`, read from the outbox as the admin.
async fn last_code(a: &App, phone: &str) -> String {
    let (s, v) = a
        .get(
            "admin",
            &format!("/api/notifications?channel=sms&to={phone}&limit=1"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let n = &v["notifications"][0];
    assert_eq!(n["status"], "sent");
    assert_eq!(n["kind"], "otp");
    n["body"]
        .as_str()
        .expect("body")
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect()
}

#[tokio::test]
async fn sign_in_by_sms_code_on_every_backend() {
    on_every_backend("otp", "sign-in by code", sign_in_by_sms_code).await;
}

async fn sign_in_by_sms_code(a: &App) {
    let phone = "13987654321";
    let (s, v) = public_post(a, "/api/auth/otp", json!({"phone": phone})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["expires_in_seconds"], 300);
    let code = last_code(a, phone).await;
    assert_eq!(code.len(), 6);

    // Again within a minute: refused, and no second SMS goes out.
    let (s, v) = public_post(a, "/api/auth/otp", json!({"phone": phone})).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["error"]["code"], "rate_limited");
    let (_, outbox) = a
        .get("admin", &format!("/api/notifications?to={phone}"))
        .await;
    assert_eq!(outbox["notifications"].as_array().map(Vec::len), Some(1));

    // A wrong code, then the right one: a new citizen account with a session.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (s, v) = public_post(
        a,
        "/api/auth/otp/verify",
        json!({"phone": phone, "code": wrong}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_code"))
    );
    let (s, v) = public_post(
        a,
        "/api/auth/otp/verify",
        json!({"phone": phone, "code": code}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = v["token"].as_str().expect("token").to_owned();
    let req = Request::builder()
        .uri("/api/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let (s, me) = a.send(req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["user"]["phone"], phone);
    assert_eq!(me["grants"][0]["role"], "citizen");
    // A used code is gone.
    let (s, _) = public_post(
        a,
        "/api/auth/otp/verify",
        json!({"phone": phone, "code": code}),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Five wrong codes burn it: even the right one fails afterwards.
    let other = "13911112222";
    a.clock.advance_minutes(2);
    public_post(a, "/api/auth/otp", json!({"phone": other})).await;
    let code = last_code(a, other).await;
    let wrong = if code == "999999" { "888888" } else { "999999" };
    for _ in 0..5 {
        let (s, _) = public_post(
            a,
            "/api/auth/otp/verify",
            json!({"phone": other, "code": wrong}),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _) = public_post(
        a,
        "/api/auth/otp/verify",
        json!({"phone": other, "code": code}),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "burnt after five wrong tries");

    // An expired code.
    a.clock.advance_minutes(2);
    public_post(a, "/api/auth/otp", json!({"phone": other})).await;
    let code = last_code(a, other).await;
    a.clock.advance_minutes(6);
    let (s, v) = public_post(
        a,
        "/api/auth/otp/verify",
        json!({"phone": other, "code": code}),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");

    // A staff phone cannot sign in by code.
    let staff = "13812345678";
    public_post(a, "/api/auth/otp", json!({"phone": staff})).await;
    let code = last_code(a, staff).await;
    let (s, _) = public_post(
        a,
        "/api/auth/otp/verify",
        json!({"phone": staff, "code": code}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Bad phones; only admins read the outbox.
    let (s, v) = public_post(a, "/api/auth/otp", json!({"phone": "1234"})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_phone"))
    );
    let (s, _) = a.get("operator", "/api/notifications").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn suggests_the_class_from_a_description() {
    let a = app().await;
    let (s, v) = a
        .get(
            "citizen",
            "/api/taxonomy/suggest?text=%E9%A5%AD%E5%BA%97%E6%B2%B9%E7%83%9F%E5%BE%88%E5%A4%A7&limit=3",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let codes: Vec<&str> = v["suggestions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert!(codes.contains(&"06027"), "饭店油烟很大 → 06027: {v}");
    assert!(codes.len() <= 3);
    let (s, _) = a
        .call(None, Method::GET, "/api/taxonomy/suggest?text=x", None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
