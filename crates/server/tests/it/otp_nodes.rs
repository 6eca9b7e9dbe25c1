//! The sign-in code limits across nodes: two routers (two nodes, each with its own in-memory
//! state) on one store share the per-IP and per-phone limits, because those live in the store's
//! `rate_limits` — the IP gets its 10 codes once, not once per node; racing requests for one
//! phone on both nodes send one code. On SQLite and PostgreSQL.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;

use super::*;

/// A second node over the same store and clock: its own router, caches and limiters.
fn second_node(a: &App) -> Router {
    let state = AppState::with_parts(
        a.store.clone(),
        (*a.state.config).clone(),
        a.clock.clone(),
        Arc::new(server::bus::LocalBus::new(16)),
    );
    server::router(state)
}

/// `POST /api/auth/otp` for `phone` on `node`, as a client at `ip` (the connection info a
/// server started with `into_make_service_with_connect_info` gives each request).
async fn ask(node: &Router, ip: [u8; 4], phone: &str) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/otp")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "phone": phone }).to_string()))
        .expect("request");
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
    let resp = node.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        assert!(
            resp.headers().contains_key(header::RETRY_AFTER),
            "a 429 says when to retry"
        );
    }
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn codes_sent(a: &App, phone: &str) -> usize {
    let (s, v) = a
        .get(
            "admin",
            &format!("/api/notifications?channel=sms&to={phone}&limit=100"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["notifications"].as_array().map_or(0, Vec::len)
}

fn limited(s: StatusCode, v: &Value) -> bool {
    s == StatusCode::TOO_MANY_REQUESTS && v["error"]["code"] == "rate_limited"
}

async fn shared_otp_limits(a: &App) {
    let nodes = [a.router.clone(), second_node(a)];
    const IP: [u8; 4] = [198, 51, 100, 7];

    // Per IP: 10 codes at once from one address, alternating between the nodes; the 11th is
    // refused whichever node it reaches (with per-node limits each node allowed 10).
    for i in 0..10_u32 {
        let phone = format!("1370000{i:04}");
        let (s, v) = ask(&nodes[(i % 2) as usize], IP, &phone).await;
        assert_eq!(s, StatusCode::ACCEPTED, "request {i}: {v}");
    }
    for node in &nodes {
        let (s, v) = ask(node, IP, "13700009999").await;
        assert!(limited(s, &v), "{s} {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("IP address")),
            "{v}"
        );
    }
    assert_eq!(codes_sent(a, "13700009999").await, 0);
    // Another address has its own allowance.
    let (s, v) = ask(&nodes[1], [198, 51, 100, 8], "13700009999").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    // One more every 12 s, once across both nodes.
    a.clock.set(Timestamp(a.state.now().0 + 12_000));
    let (s, v) = ask(&nodes[1], IP, "13700008888").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let (s, v) = ask(&nodes[0], IP, "13700007777").await;
    assert!(limited(s, &v), "{s} {v}");

    // Per phone: one code a minute, whichever node is asked.
    let phone = "13600000001";
    a.clock.advance_minutes(5);
    let (s, v) = ask(&nodes[0], [203, 0, 113, 1], phone).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let (s, v) = ask(&nodes[1], [203, 0, 113, 2], phone).await;
    assert!(limited(s, &v), "{s} {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("less than 60 s")),
        "{v}"
    );
    a.clock.advance_minutes(1);
    let (s, v) = ask(&nodes[1], [203, 0, 113, 2], phone).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(codes_sent(a, phone).await, 2);

    // Racing: 16 requests for one phone at the same instant, from 16 addresses, spread over
    // both nodes: one code goes out.
    let racer = "13600000002";
    let tasks: Vec<_> = (0..16_u8)
        .map(|i| {
            let node = nodes[usize::from(i % 2)].clone();
            tokio::spawn(async move { ask(&node, [192, 0, 2, 10 + i], racer).await })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        let (s, v) = t.await.expect("join");
        if s == StatusCode::ACCEPTED {
            accepted += 1;
        } else {
            assert!(limited(s, &v), "{s} {v}");
        }
    }
    assert_eq!(accepted, 1);
    assert_eq!(codes_sent(a, racer).await, 1);

    // Per phone and day: 10 codes on one Shanghai calendar day, spread over both nodes and the
    // day; the 11th is refused until the next day.
    let daily = "13600000003";
    for i in 0..10_u8 {
        a.clock.advance_minutes(2);
        let (s, v) = ask(&nodes[usize::from(i % 2)], [203, 0, 113, 10 + i], daily).await;
        assert_eq!(s, StatusCode::ACCEPTED, "code {i}: {v}");
    }
    a.clock.advance_minutes(2);
    let (s, v) = ask(&nodes[0], [203, 0, 113, 30], daily).await;
    assert!(limited(s, &v), "{s} {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("a day")),
        "{v}"
    );
    assert_eq!(codes_sent(a, daily).await, 10);
    // t0 is 10:00 in Shanghai; about 11:00 now. The next day starts at 00:00 (UTC+8).
    let next_day = Timestamp::parse_rfc3339("2026-11-25T00:00:01+08:00").expect("time");
    a.clock.set(next_day);
    let (s, v) = ask(&nodes[1], [203, 0, 113, 31], daily).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");

    // The rows that limit nothing any more are cleaned (by the next request, at most every
    // 10 minutes per node); the day's counter stays until its day ends.
    let day = (next_day.0 + 8 * 3_600_000).div_euclid(86_400_000);
    let today = format!("otp:phone-day:{daily}:{day}");
    let yesterday = format!("otp:phone-day:{daily}:{}", day - 1);
    let ip_row = format!("otp:ip:{}", std::net::Ipv4Addr::from(IP));
    assert_eq!(a.store.rate_value(&today).await.expect("value"), Some(1));
    a.clock.advance_minutes(30);
    let (s, v) = ask(&nodes[0], [203, 0, 113, 32], "13600000004").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(a.store.rate_value(&yesterday).await.expect("value"), None);
    assert_eq!(a.store.rate_value(&ip_row).await.expect("value"), None);
    assert_eq!(a.store.rate_value(&today).await.expect("value"), Some(1));
}

#[tokio::test]
async fn otp_limits_are_shared_by_the_nodes_on_every_backend() {
    on_every_backend(
        "otp_nodes_intg",
        "shared sign-in code limits",
        shared_otp_limits,
    )
    .await;
}
