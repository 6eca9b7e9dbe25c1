//! The MQTT intake against the real Mosquitto at 127.0.0.1:1883.
//!
//! Each test uses its own topic prefix and client ids (the broker keeps persistent sessions
//! across runs) and removes its sessions at the end. Without a broker the tests print
//! `SKIPPED: …` and pass, unless `YIWANG_REQUIRE_MQTT=1`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ingest::ManualClock;
use ingest::mqtt::{
    MemorySensorSink, MqttConfig, MqttIntake, MqttStats, Reading, SensorKind, SensorSink,
};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const BROKER: &str = "127.0.0.1:1883";
/// 2026-11-24 08:00:00 UTC.
const NOW_MS: i64 = 1_795_507_200_000;

async fn broker_up() -> bool {
    let up = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(BROKER),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    if !up {
        assert!(
            std::env::var("YIWANG_REQUIRE_MQTT").as_deref() != Ok("1"),
            "mosquitto not reachable at {BROKER} and YIWANG_REQUIRE_MQTT=1"
        );
        println!("SKIPPED: mosquitto not reachable at {BROKER}");
    }
    up
}

/// A name no earlier run used.
fn unique(what: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    #[allow(clippy::disallowed_methods)] // Only to make names unique across runs.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{what}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn config(prefix: &str, client_id: &str) -> MqttConfig {
    MqttConfig {
        url: format!("mqtt://{BROKER}"),
        client_id: client_id.to_owned(),
        topic_prefix: prefix.to_owned(),
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_millis(500),
        store_retry_min: Duration::from_millis(20),
        store_retry_max: Duration::from_millis(200),
        ..MqttConfig::default()
    }
}

struct Running {
    stats: Arc<MqttStats>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

/// Starts an intake and waits until its subscription is acknowledged.
async fn start<S: SensorSink>(config: MqttConfig, sink: S) -> Running {
    let intake = MqttIntake::new(config, sink, Arc::new(ManualClock::new(NOW_MS))).unwrap();
    let stats = intake.stats();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(intake.run(async move {
        let _ = stopped.await;
    }));
    let s = Arc::clone(&stats);
    wait_until("the intake's subscription", || s.snapshot().subscribed >= 1).await;
    Running { stats, stop, task }
}

/// Polls `cond` every 10 ms; panics after 20 s (a hang guard, not a performance check).
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A plain QoS 1 publisher; `publish` returns once the broker acknowledged the message.
struct Publisher {
    client: AsyncClient,
    acks: tokio::sync::mpsc::UnboundedReceiver<()>,
    task: JoinHandle<()>,
}

impl Publisher {
    async fn connect() -> Publisher {
        let mut o = MqttOptions::new(unique("pub"), "127.0.0.1", 1883);
        o.set_clean_session(true);
        let (client, mut eventloop) = AsyncClient::new(o, 100);
        let (tx, acks) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        if tx.send(()).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        Publisher { client, acks, task }
    }

    async fn publish(&mut self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(20), self.acks.recv())
            .await
            .expect("broker PUBACK")
            .expect("publisher event loop alive");
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects once with a clean session under `client_id`, discarding its persistent session.
async fn forget_session(client_id: &str) {
    let mut o = MqttOptions::new(client_id, "127.0.0.1", 1883);
    o.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(o, 10);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_disconnect();
                }
                Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
}

fn ids(sink: &MemorySensorSink) -> Vec<String> {
    sink.messages().into_iter().map(|m| m.sensor_id).collect()
}

#[tokio::test]
async fn every_kind_arrives_parsed_in_order() {
    if !broker_up().await {
        return;
    }
    let prefix = unique("yiwang-test/kinds");
    let client_id = unique("intake");
    let sink = MemorySensorSink::new();
    let run = start(config(&prefix, &client_id), sink.clone()).await;
    let mut publisher = Publisher::connect().await;
    let messages = [
        (
            "manhole/MH-1/data",
            r#"{"ts":1795507200000,"tilt_deg":20.5,"open":true}"#,
        ),
        (
            "bin/BIN-1/data",
            r#"{"ts":"2026-11-24T16:00:00+08:00","fill_pct":93}"#,
        ),
        (
            "waterlog/WL-1/data",
            r#"{"depth_cm":18.5,"battery_pct":40,"lat":34.75,"lon":113.62}"#,
        ),
        (
            "numeric/NOISE-1/data",
            r#"{"value":71.5,"unit":"dB","sensor_id":"NOISE-1"}"#,
        ),
        ("bin/BIN-1/status", r#"{"online":false}"#),
        ("bin/BIN-2/data", r#"{"fill_pct":0}"#),
    ];
    for (topic, payload) in messages {
        publisher
            .publish(&format!("{prefix}/{topic}"), payload)
            .await;
    }
    wait_until("6 stored", || sink.len() == 6).await;
    let got = sink.messages();
    assert_eq!(
        ids(&sink),
        ["MH-1", "BIN-1", "WL-1", "NOISE-1", "BIN-1", "BIN-2"]
    );
    assert_eq!(
        got[0].reading,
        Reading::Manhole {
            tilt_deg: 20.5,
            open: true
        }
    );
    assert_eq!(got[0].kind, SensorKind::Manhole);
    assert_eq!(got[0].measured_at_ms, Some(NOW_MS));
    assert_eq!(got[1].reading, Reading::Bin { fill_pct: 93.0 });
    // 16:00 in Shanghai is 08:00 UTC.
    assert_eq!(got[1].measured_at_ms, Some(NOW_MS));
    assert_eq!(got[2].reading, Reading::Waterlog { depth_cm: 18.5 });
    assert_eq!(got[2].battery_pct, Some(40.0));
    assert_eq!(got[2].location, Some((34.75, 113.62)));
    // No `ts`: the intake's clock is used.
    assert_eq!(got[2].measured_at_ms, None);
    assert_eq!(got[2].received_at_ms, NOW_MS);
    assert_eq!(
        got[3].reading,
        Reading::Numeric {
            value: 71.5,
            unit: "dB".into()
        }
    );
    assert_eq!(got[4].reading, Reading::Status { online: false });
    assert_eq!(got[5].reading, Reading::Bin { fill_pct: 0.0 });
    let s = run.stats.snapshot();
    assert_eq!((s.received, s.stored, s.malformed), (6, 6, 0));
    wait_until("6 acks", || run.stats.snapshot().acked == 6).await;
    run.stop().await;
    forget_session(&client_id).await;
}

#[tokio::test]
async fn malformed_messages_are_counted_acked_and_not_stored() {
    if !broker_up().await {
        return;
    }
    let prefix = unique("yiwang-test/malformed");
    let client_id = unique("intake");
    let sink = MemorySensorSink::new();
    let run = start(config(&prefix, &client_id), sink.clone()).await;
    let mut publisher = Publisher::connect().await;
    let messages = [
        ("bin/GOOD-1/data", r#"{"fill_pct":10}"#),
        ("bin/BAD-1/data", r#"{"fill_pct":10"#),
        ("lamp/BAD-2/data", r#"{"value":1}"#),
        ("bin/BAD-3/data", r#"{"fill_pct":101}"#),
        ("bin/BAD-4/data", r#"{"fill_pct":1,"ts":"yesterday"}"#),
        ("bin/BAD-5/data", r#"{"fill_pct":1,"sensor_id":"OTHER"}"#),
        ("bin/GOOD-2/data", r#"{"fill_pct":20}"#),
    ];
    for (topic, payload) in messages {
        publisher
            .publish(&format!("{prefix}/{topic}"), payload)
            .await;
    }
    wait_until("7 handled", || {
        let s = run.stats.snapshot();
        s.stored + s.malformed == 7
    })
    .await;
    assert_eq!(ids(&sink), ["GOOD-1", "GOOD-2"]);
    let s = run.stats.snapshot();
    assert_eq!((s.received, s.stored, s.malformed), (7, 2, 5));
    // Malformed messages are acknowledged too: they can never succeed.
    wait_until("7 acks", || run.stats.snapshot().acked == 7).await;
    run.stop().await;

    // Nothing is redelivered to the next session: every message was acknowledged.
    let sink2 = MemorySensorSink::new();
    let run2 = start(config(&prefix, &client_id), sink2.clone()).await;
    publisher
        .publish(&format!("{prefix}/bin/MARK/data"), r#"{"fill_pct":1}"#)
        .await;
    wait_until("the marker", || !sink2.is_empty()).await;
    assert_eq!(ids(&sink2), ["MARK"]);
    assert_eq!(run2.stats.snapshot().malformed, 0);
    run2.stop().await;
    forget_session(&client_id).await;
}

#[tokio::test]
async fn a_failed_store_is_not_acked_and_the_broker_redelivers() {
    if !broker_up().await {
        return;
    }
    let prefix = unique("yiwang-test/failing");
    let client_id = unique("intake");
    let sink = MemorySensorSink::new();
    sink.fail_with("database down");
    let run = start(config(&prefix, &client_id), sink.clone()).await;
    let mut publisher = Publisher::connect().await;
    publisher
        .publish(
            &format!("{prefix}/waterlog/WL-9/data"),
            r#"{"depth_cm":30}"#,
        )
        .await;
    wait_until("two failed attempts", || sink.attempts() >= 2).await;
    let s = run.stats.snapshot();
    assert!(s.store_failures >= 2, "{s:?}");
    assert_eq!((s.stored, s.acked), (0, 0));
    assert!(sink.is_empty());
    // yiwang stops while the database is still down: nothing was acknowledged …
    run.stop().await;

    // … so the broker hands the message to the next session of the same client id.
    let sink2 = MemorySensorSink::new();
    let run2 = start(config(&prefix, &client_id), sink2.clone()).await;
    wait_until("the redelivered message", || !sink2.is_empty()).await;
    assert_eq!(ids(&sink2), ["WL-9"]);
    assert_eq!(
        sink2.messages()[0].reading,
        Reading::Waterlog { depth_cm: 30.0 }
    );
    wait_until("its ack", || run2.stats.snapshot().acked == 1).await;
    run2.stop().await;
    forget_session(&client_id).await;
}

#[tokio::test]
async fn a_store_failing_once_is_retried_then_acked_once_stored() {
    if !broker_up().await {
        return;
    }
    let prefix = unique("yiwang-test/retry");
    let client_id = unique("intake");
    let sink = MemorySensorSink::new();
    sink.fail_next(1);
    let run = start(config(&prefix, &client_id), sink.clone()).await;
    let mut publisher = Publisher::connect().await;
    publisher
        .publish(&format!("{prefix}/bin/B-1/data"), r#"{"fill_pct":95}"#)
        .await;
    publisher
        .publish(&format!("{prefix}/bin/B-2/data"), r#"{"fill_pct":5}"#)
        .await;
    wait_until("both stored", || sink.len() == 2).await;
    // Order is kept across the retry.
    assert_eq!(ids(&sink), ["B-1", "B-2"]);
    let s = run.stats.snapshot();
    assert_eq!(s.store_failures, 1);
    wait_until("2 acks", || run.stats.snapshot().acked == 2).await;
    run.stop().await;

    // Acknowledged once stored: the next session gets only what is new.
    let sink2 = MemorySensorSink::new();
    let run2 = start(config(&prefix, &client_id), sink2.clone()).await;
    publisher
        .publish(&format!("{prefix}/bin/MARK/data"), r#"{"fill_pct":1}"#)
        .await;
    wait_until("the marker", || !sink2.is_empty()).await;
    assert_eq!(ids(&sink2), ["MARK"]);
    run2.stop().await;
    forget_session(&client_id).await;
}

#[tokio::test]
async fn messages_published_while_down_are_delivered_at_reconnect() {
    if !broker_up().await {
        return;
    }
    let prefix = unique("yiwang-test/offline");
    let client_id = unique("intake");
    let run = start(config(&prefix, &client_id), MemorySensorSink::new()).await;
    run.stop().await;

    let mut publisher = Publisher::connect().await;
    for (i, fill) in [40, 60, 80].into_iter().enumerate() {
        publisher
            .publish(
                &format!("{prefix}/bin/Q-{i}/data"),
                &format!(r#"{{"fill_pct":{fill}}}"#),
            )
            .await;
    }
    let sink = MemorySensorSink::new();
    let run = start(config(&prefix, &client_id), sink.clone()).await;
    wait_until("3 queued messages", || sink.len() == 3).await;
    assert_eq!(ids(&sink), ["Q-0", "Q-1", "Q-2"]);
    run.stop().await;
    forget_session(&client_id).await;
}

#[tokio::test]
async fn reconnects_and_resubscribes_after_a_client_id_takeover() {
    if !broker_up().await {
        return;
    }
    let prefix = unique("yiwang-test/takeover");
    let client_id = unique("intake");
    let sink = MemorySensorSink::new();
    let run = start(config(&prefix, &client_id), sink.clone()).await;
    let mut publisher = Publisher::connect().await;
    publisher
        .publish(
            &format!("{prefix}/manhole/M-1/data"),
            r#"{"tilt_deg":1,"open":false}"#,
        )
        .await;
    wait_until("the first message", || sink.len() == 1).await;

    // Another client takes the id with a clean session: the broker drops our connection and
    // discards the session with its subscription. The intruder then goes away.
    {
        let mut o = MqttOptions::new(client_id.clone(), "127.0.0.1", 1883);
        o.set_clean_session(true);
        let (_client, mut eventloop) = AsyncClient::new(o, 10);
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Ok(Event::Incoming(Packet::ConnAck(_))) = eventloop.poll().await {
                    break;
                }
            }
        })
        .await
        .expect("takeover connected");
    }
    let stats = Arc::clone(&run.stats);
    wait_until("a reconnect with a new subscription", || {
        let s = stats.snapshot();
        s.reconnects >= 1 && s.subscribed >= 2 && s.connected
    })
    .await;

    publisher
        .publish(
            &format!("{prefix}/manhole/M-2/data"),
            r#"{"tilt_deg":40,"open":true}"#,
        )
        .await;
    wait_until("the message after the reconnect", || sink.len() == 2).await;
    assert_eq!(ids(&sink), ["M-1", "M-2"]);
    run.stop().await;
    forget_session(&client_id).await;
}
