//! Notifications over the real pieces: case changes reach the reporter and the reporters of
//! linked duplicates by SMS, and a webhook receives the actions it asked for, signed, retried
//! after a failure — each message once although two notifiers (two nodes) run over the same
//! store. On SQLite and PostgreSQL.

use std::sync::Mutex;

use axum::http::HeaderMap;
use server::notify::{Notifier, SendFuture, SmsSender, signature};

use super::*;

const GRID1: &str = "410102001001001";
const SECRET: &str = "a-webhook-secret-of-16+";

/// An SMS sender that remembers what it sent.
#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<(String, String)>>,
}

impl SmsSender for Recorder {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            if let Ok(mut s) = self.sent.lock() {
                s.push((to.to_owned(), body.to_owned()));
            }
            Ok(())
        })
    }
}

/// What the webhook endpoint received: (event header, signature header, body).
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// A webhook endpoint on 127.0.0.1 that answers 503 to its first request and 200 after.
async fn endpoint() -> (String, Received) {
    let received: Received = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = received.clone();
    let app = Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let r = r.clone();
            let calls = calls.clone();
            async move {
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                if let Ok(mut r) = r.lock() {
                    r.push((h("x-yiwang-event"), h("x-yiwang-signature"), body));
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), received)
}

fn notifier(a: &App, node: &str, sms: Arc<Recorder>) -> Notifier {
    let mut state = a.state.clone();
    state.sms = sms;
    Notifier::new(state, node)
}

/// Runs both notifiers a few times, moving the clock so retries come due.
async fn run_both(a: &App, n1: &mut Notifier, n2: &mut Notifier) {
    for _ in 0..4 {
        n1.pass().await.expect("pass 1");
        n2.pass().await.expect("pass 2");
        a.clock.advance_minutes(1);
    }
}

async fn notifications(a: &App) {
    let sms = Arc::new(Recorder::default());
    let mut n1 = notifier(a, "node-a", sms.clone());
    let mut n2 = notifier(a, "node-b", sms.clone());

    // A report made before the notifier ever ran is not texted about.
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": "旧的上报", "area_code": GRID1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let old = v["case"]["id"].as_i64().expect("id");
    run_both(a, &mut n1, &mut n2).await;

    // An integration wants filings and closings.
    let (url, received) = endpoint().await;
    let (s, v) = a
        .post(
            "admin",
            "/api/webhooks",
            json!({"name": "12345 平台", "url": url, "actions": ["file", "close"], "secret": SECRET}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["secret"], SECRET);
    let (s, v) = a.get("admin", "/api/webhooks").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["webhooks"][0]["url"], url.as_str());
    assert!(v["webhooks"][0].get("secret").is_none(), "{v}");

    // A citizen reports; another citizen reports the same (linked as a duplicate).
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": "路口有成堆垃圾", "area_code": GRID1,
                   "lat": 34.75, "lon": 113.61}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["case"]["id"].as_i64().expect("id");
    let no = v["case"]["case_no"].as_str().expect("no").to_owned();
    let (s, v) = a
        .post(
            "citizen2",
            "/api/cases",
            json!({"source": "citizen_app", "description": "这里垃圾很多", "area_code": GRID1,
                   "lat": 34.75, "lon": 113.61, "reporter_phone": "13900000002"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let dup = v["case"]["id"].as_i64().expect("id");
    a.ok(
        "operator",
        dup,
        json!({"action": "link_duplicate", "master_case_id": id}),
    )
    .await;
    // A hotline caller on a landline: nothing can be texted to it.
    let (s, v) = a
        .post(
            "operator",
            "/api/cases",
            json!({"source": "hotline_12319", "description": "噪音扰民", "area_code": GRID1,
                   "reporter_phone": "0371-67180000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // Through the loop: filed, dispatched, handled, closed, answered; rated unsatisfied: reopened.
    a.verify_file_dispatch(id).await;
    a.ok("hw", id, json!({"action": "accept_task"})).await;
    a.feedback_and_check(id, "hw").await;
    a.ok("supervisor", id, json!({"action": "close"})).await;
    a.ok(
        "operator",
        id,
        json!({"action": "reply", "note": "垃圾已清运，感谢您的监督。"}),
    )
    .await;
    a.ok(
        "citizen",
        id,
        json!({"action": "rate", "rating": "unsatisfied", "note": "还有残留"}),
    )
    .await;

    run_both(a, &mut n1, &mut n2).await;

    let sent = sms.sent.lock().expect("lock").clone();
    let to = |phone: &str| -> Vec<String> {
        sent.iter()
            .filter(|(p, _)| p == phone)
            .map(|(_, b)| b.clone())
            .collect()
    };
    let reporter = to("13812345678");
    let follower = to("13900000002");
    // Each message once, although two notifiers ran.
    let mut unique = sent.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), sent.len(), "sent twice: {sent:#?}");
    // The reporter: filed, closed (with the department and the answer), the answer, reopened.
    assert_eq!(reporter.len(), 4, "{reporter:#?}");
    assert!(
        reporter[0].contains("已立案") && reporter[0].contains(&no),
        "{}",
        reporter[0]
    );
    assert!(
        reporter[1].contains("已办结") && reporter[1].contains("环卫中心"),
        "{}",
        reporter[1]
    );
    assert!(
        reporter[2].contains("垃圾已清运，感谢您的监督。"),
        "{}",
        reporter[2]
    );
    assert!(
        reporter[3].contains("重新办理") && reporter[3].contains("环卫中心"),
        "{}",
        reporter[3]
    );
    assert!(!sent.iter().any(|(_, b)| b.contains("旧的上报")));
    // The duplicate's reporter: told of the link to the master, then follows the master.
    assert_eq!(follower.len(), 5, "{follower:#?}");
    assert!(
        follower[0].contains("合并办理") && follower[0].contains(&no),
        "{}",
        follower[0]
    );
    assert!(follower[1].contains("已立案"));
    assert!(follower[4].contains("重新办理"));
    assert!(
        !sent.iter().any(|(p, _)| p.starts_with("0371")),
        "landlines are not texted"
    );

    // The webhook: the first try failed (503) and was retried; filings and closings only,
    // each once, signed with the secret.
    let got = received.lock().expect("lock").clone();
    // Deliveries may arrive out of order (the failed one came later): `event.id` orders them.
    let mut events: Vec<&str> = got.iter().map(|(e, _, _)| e.as_str()).collect();
    events.sort_unstable();
    assert_eq!(events, ["close", "file"], "{got:#?}");
    for (event, sig, body) in &got {
        assert_eq!(*sig, signature(SECRET, body.as_bytes()));
        let v: Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["event"]["action"], event.as_str());
        assert_eq!(v["case"]["case_no"], no.as_str());
        assert!(
            v["case"].get("reporter_phone").is_none(),
            "no personal data: {v}"
        );
    }

    // The outbox tells the same story.
    let (s, v) = a
        .get(
            "admin",
            &format!("/api/notifications?case_id={id}&limit=100"),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let list = v["notifications"].as_array().expect("list");
    assert_eq!(list.len(), 4 + 4 + 2, "{v}");
    assert!(list.iter().all(|n| n["status"] == "sent"), "{v}");
    let retried = list
        .iter()
        .filter(|n| n["channel"] == "webhook" && n["attempts"] == 2)
        .count();
    assert_eq!(retried, 1, "the first webhook call was retried once: {v}");
    let (_, v) = a
        .get("admin", &format!("/api/notifications?case_id={old}"))
        .await;
    assert_eq!(v["notifications"], json!([]));

    // A stopped webhook gets nothing more.
    let (s, v) = a.get("admin", "/api/webhooks").await;
    assert_eq!(s, StatusCode::OK);
    let hook = v["webhooks"][0]["id"].as_i64().expect("id");
    let (s, _) = a
        .call(
            Some("admin"),
            Method::DELETE,
            &format!("/api/webhooks/{hook}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    a.ok("hw", id, json!({"action": "accept_task"})).await;
    a.feedback_and_check(id, "hw").await;
    a.ok("supervisor", id, json!({"action": "close"})).await;
    run_both(a, &mut n1, &mut n2).await;
    assert_eq!(
        received.lock().expect("lock").len(),
        2,
        "a second closing, not sent"
    );
    let reporter_after = sms
        .sent
        .lock()
        .expect("lock")
        .iter()
        .filter(|(p, _)| p == "13812345678")
        .count();
    assert_eq!(
        reporter_after, 5,
        "the reporter hears of the second closing"
    );

    // Events nobody wants (a report by an inspector, a comment-free verify …) still move the
    // settled read position to the newest event, so later passes do not read them again.
    let (s, v) = a
        .post(
            "inspector",
            "/api/cases",
            json!({"source": "inspector", "description": "井盖松动", "area_code": GRID1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    run_both(a, &mut n1, &mut n2).await;
    let head = a.state.store.max_event_id().await.expect("head");
    let settled = a
        .state
        .store
        .notifier_progress("case_events", 0, a.state.now())
        .await
        .expect("progress");
    assert_eq!(settled, head, "the unwanted tail is settled, not re-read");
}

#[tokio::test]
async fn case_changes_reach_reporters_and_webhooks_once_on_every_backend() {
    on_every_backend("notify", "notifications", notifications).await;
}

#[tokio::test]
async fn webhooks_are_for_admins_and_checked() {
    let a = app().await;
    let body = json!({"name": "x", "url": "http://127.0.0.1:9/h"});
    let (s, v) = a.post("operator", "/api/webhooks", body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    for (bad, code) in [
        (
            json!({"name": "x", "url": "ftp://example.org/h"}),
            "invalid_url",
        ),
        (
            json!({"name": "x", "url": "https:///no-host"}),
            "invalid_url",
        ),
        (
            json!({"name": "", "url": "http://127.0.0.1:9/h"}),
            "invalid_name",
        ),
        (
            json!({"name": "x", "url": "http://127.0.0.1:9/h", "actions": ["explode"]}),
            "unknown_action",
        ),
        (
            json!({"name": "x", "url": "http://127.0.0.1:9/h", "secret": "short"}),
            "invalid_secret",
        ),
    ] {
        let (s, v) = a.post("admin", "/api/webhooks", bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], code, "{v}");
    }
    let (s, v) = a.post("admin", "/api/webhooks", body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["secret"].as_str().map(str::len),
        Some(48),
        "a generated secret"
    );
    let (s, v) = a.post("admin", "/api/webhooks", body).await;
    assert_eq!(s, StatusCode::CONFLICT, "one webhook per URL: {v}");
    let (s, _) = a
        .call(Some("admin"), Method::DELETE, "/api/webhooks/999999", None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
