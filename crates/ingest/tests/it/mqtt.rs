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

// ---------------------------------------------------------------------------------------------
// The intake over the real store: StoreSensorSink with the canonical sensor rules. SQLite (a
// temporary file) always; PostgreSQL too when reachable (`YIWANG_TEST_PG_URL`, default
// postgres://root@127.0.0.1:5432/test; `YIWANG_REQUIRE_PG=1` makes its absence a failure).

use domain::time::Timestamp;
use ingest::mqtt::{SensorConfig, SensorStore, StoreSensorSink};
use ingest::store_bridge::Locate;
use store::{AlarmFilter, AlarmPage, AlarmWrite, ConnectOptions, Store, StoreError};

const COVER_KEY: &str = "sensor|MH-1|sensor.cover";
const GRID: &str = "410102001001001";

/// A stand-in city: one grid east of 113.6°E.
fn locate() -> Locate {
    Arc::new(|lon, _lat| (lon > 113.6).then(|| GRID.to_owned()))
}

struct Backend {
    name: &'static str,
    store: Store,
    schema: Option<String>,
    _dir: tempfile::TempDir,
}

impl Backend {
    async fn finish(self) {
        if let Some(s) = &self.schema {
            self.store.drop_schema(s).await.expect("drop schema");
        }
        self.store.close().await;
    }
}

/// A fresh SQLite file, and a fresh PostgreSQL schema when the server is reachable.
async fn backends(tag: &str) -> Vec<Backend> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sensors.db");
    let sqlite = Store::open(&ConnectOptions::new(path.display().to_string()))
        .await
        .expect("sqlite");
    let mut out = vec![Backend {
        name: "sqlite",
        store: sqlite,
        schema: None,
        _dir: dir,
    }];
    let url = std::env::var("YIWANG_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
    let schema = format!("it_mqtt_{tag}_{}", std::process::id());
    let mut opts = ConnectOptions::new(url.clone());
    opts.pg_schema = Some(schema.clone());
    opts.max_connections = 4;
    match Store::open(&opts).await {
        Ok(pg) => out.push(Backend {
            name: "postgres",
            store: pg,
            schema: Some(schema),
            _dir: tempfile::tempdir().expect("tempdir"),
        }),
        Err(e) => {
            assert!(
                std::env::var("YIWANG_REQUIRE_PG").is_err(),
                "PostgreSQL required (YIWANG_REQUIRE_PG) but not reachable at {url}: {e}"
            );
            println!("SKIPPED (PostgreSQL part): not reachable at {url} ({e}); SQLite only");
        }
    }
    out
}

/// Registers a manhole cover MH-1 (in the grid), a bin BIN-1 and a noise sensor N-1 that goes
/// offline after a minute of silence.
async fn register_sensors(store: &Store) {
    let now = Timestamp(NOW_MS);
    let sensors = [
        ("MH-1", "manhole", "建设路 雨水井盖", serde_json::json!({})),
        ("BIN-1", "bin", "桐柏路 垃圾箱", serde_json::json!({})),
        (
            "N-1",
            "numeric",
            "工地 噪声",
            serde_json::json!({"quantity":"噪声","unit":"dB","high":70,"high_clear":65,
                               "offline_after_ms":60000}),
        ),
    ];
    for (id, kind, name, config) in sensors {
        store
            .upsert_sensor(
                &store::Sensor {
                    sensor_id: id.into(),
                    kind: kind.into(),
                    name: name.into(),
                    lat: Some(34.75),
                    lon: Some(113.62),
                    grid_code: None,
                    config,
                    last_seen_at: None,
                },
                now,
            )
            .await
            .expect("sensor");
    }
}

async fn store_sink<D: SensorStore>(db: D, clock: ManualClock) -> StoreSensorSink<D> {
    let sink = StoreSensorSink::new(db, locate(), Arc::new(clock), SensorConfig::default());
    sink.refresh().await.expect("registry");
    sink
}

async fn open_cover_alarms(store: &Store) -> Vec<store::Alarm> {
    store
        .open_alarms_by_key(&[COVER_KEY.to_owned()])
        .await
        .expect("alarms")
}

async fn readings_of(store: &Store, id: &str) -> Vec<store::SensorReading> {
    store
        .sensor_readings(id, Timestamp(0), Timestamp(NOW_MS * 2), 100)
        .await
        .expect("readings")
}

fn cover(prefix: &str, id: &str) -> String {
    format!("{prefix}/manhole/{id}/data")
}

fn cover_payload(minute: i64, open: bool) -> String {
    let tilt = if open { 40 } else { 1 };
    format!(
        r#"{{"ts":{},"tilt_deg":{tilt},"open":{open}}}"#,
        NOW_MS + minute * 60_000
    )
}

#[tokio::test]
async fn store_backed_cover_open_raises_an_alarm_and_closing_clears_it() {
    if !broker_up().await {
        return;
    }
    for b in backends("cover").await {
        let store = b.store.clone();
        register_sensors(&store).await;
        let told = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = StoreSensorSink::new(
            store.clone(),
            locate(),
            Arc::new(ManualClock::new(NOW_MS)),
            SensorConfig::default(),
        )
        .with_on_alarms({
            let told = Arc::clone(&told);
            Arc::new(move |keys| told.lock().unwrap().extend(keys))
        });
        sink.refresh().await.expect("registry");
        let prefix = unique("yiwang-test/store-cover");
        let client_id = unique("intake");
        let run = start(config(&prefix, &client_id), sink.clone()).await;
        let mut publisher = Publisher::connect().await;

        publisher
            .publish(&cover(&prefix, "MH-1"), &cover_payload(0, true))
            .await;
        // A sensor nobody registered: acknowledged, counted, not stored.
        publisher
            .publish(&cover(&prefix, "GHOST"), &cover_payload(0, true))
            .await;
        wait_until("the raise", || sink.stats().snapshot().raised == 1).await;
        let open = open_cover_alarms(&store).await;
        assert_eq!(open.len(), 1, "{}: {open:?}", b.name);
        let a = &open[0];
        assert_eq!(a.state, "raised");
        assert_eq!(a.level, "severe");
        assert_eq!(a.class_code.as_deref(), Some("01023"));
        assert_eq!(a.grid_code.as_deref(), Some(GRID));
        assert_eq!((a.lat, a.lon), (Some(34.75), Some(113.62)));
        assert!(a.message.contains("井盖被打开"), "{}", a.message);
        assert_eq!(a.raised_at, Timestamp(NOW_MS));
        // The node is told (to publish it live) once the raise is durable.
        assert_eq!(*told.lock().unwrap(), [COVER_KEY]);

        publisher
            .publish(&cover(&prefix, "MH-1"), &cover_payload(1, false))
            .await;
        wait_until("the clear", || sink.stats().snapshot().cleared == 1).await;
        assert!(open_cover_alarms(&store).await.is_empty(), "{}", b.name);
        let all = store
            .list_alarms(&AlarmFilter {
                source_id: Some("MH-1".into()),
                limit: 10,
                ..AlarmFilter::default()
            })
            .await
            .expect("alarms");
        assert_eq!(all.items.len(), 1);
        assert_eq!(all.items[0].state, "cleared");
        assert_eq!(all.items[0].cleared_at, Some(Timestamp(NOW_MS + 60_000)));

        let readings = readings_of(&store, "MH-1").await;
        assert_eq!(readings.len(), 2, "{}", b.name);
        assert_eq!(readings[0].data["open"], serde_json::json!(true));
        assert_eq!(readings[0].data["tilt_deg"], serde_json::json!(40.0));
        assert!(readings_of(&store, "GHOST").await.is_empty());
        assert_eq!(sink.stats().snapshot().unknown, 1);
        wait_until("3 acks", || run.stats.snapshot().acked == 3).await;
        run.stop().await;
        forget_session(&client_id).await;
        b.finish().await;
    }
}

#[tokio::test]
async fn store_backed_malformed_json_is_acked_counted_and_stores_nothing() {
    if !broker_up().await {
        return;
    }
    for b in backends("malformed").await {
        let store = b.store.clone();
        register_sensors(&store).await;
        let sink = store_sink(store.clone(), ManualClock::new(NOW_MS)).await;
        let prefix = unique("yiwang-test/store-malformed");
        let client_id = unique("intake");
        let run = start(config(&prefix, &client_id), sink.clone()).await;
        let mut publisher = Publisher::connect().await;
        let bin = format!("{prefix}/bin/BIN-1/data");
        publisher.publish(&bin, r#"{"fill_pct": 99"#).await;
        publisher.publish(&bin, r#"{"fill_pct":10}"#).await;
        wait_until("the good one stored", || {
            sink.stats().snapshot().readings == 1
        })
        .await;
        let s = run.stats.snapshot();
        assert_eq!((s.received, s.malformed), (2, 1), "{}", b.name);
        // Only the good reading is stored; the malformed 99 % raised nothing.
        let readings = readings_of(&store, "BIN-1").await;
        assert_eq!(readings.len(), 1);
        assert_eq!(readings[0].data["fill_pct"], serde_json::json!(10.0));
        assert_eq!(sink.stats().snapshot().raised, 0);
        wait_until("both acked", || run.stats.snapshot().acked == 2).await;
        run.stop().await;

        // Acknowledged: the next session of the same client id gets nothing of them again.
        let sink2 = store_sink(store.clone(), ManualClock::new(NOW_MS)).await;
        let run2 = start(config(&prefix, &client_id), sink2.clone()).await;
        publisher.publish(&bin, r#"{"fill_pct":11}"#).await;
        wait_until("the marker", || sink2.stats().snapshot().readings == 1).await;
        assert_eq!(run2.stats.snapshot().malformed, 0);
        assert_eq!(readings_of(&store, "BIN-1").await.len(), 2);
        run2.stop().await;
        forget_session(&client_id).await;
        b.finish().await;
    }
}

#[tokio::test]
async fn store_backed_messages_published_while_down_are_stored_after_restart() {
    if !broker_up().await {
        return;
    }
    for b in backends("restart").await {
        let store = b.store.clone();
        register_sensors(&store).await;
        let prefix = unique("yiwang-test/store-restart");
        let client_id = unique("intake");
        let sink = store_sink(store.clone(), ManualClock::new(NOW_MS)).await;
        start(config(&prefix, &client_id), sink).await.stop().await;

        // Down: the cover is lifted; the broker queues the message for the session.
        let mut publisher = Publisher::connect().await;
        publisher
            .publish(&cover(&prefix, "MH-1"), &cover_payload(0, true))
            .await;
        let sink = store_sink(store.clone(), ManualClock::new(NOW_MS)).await;
        let run = start(config(&prefix, &client_id), sink.clone()).await;
        wait_until("the queued raise", || sink.stats().snapshot().raised == 1).await;
        assert_eq!(open_cover_alarms(&store).await.len(), 1, "{}", b.name);
        wait_until("its ack", || run.stats.snapshot().acked == 1).await;
        run.stop().await;

        // A restart with fresh rule state: primed from the open alarm, the close clears it.
        let sink = store_sink(store.clone(), ManualClock::new(NOW_MS)).await;
        let run = start(config(&prefix, &client_id), sink.clone()).await;
        publisher
            .publish(&cover(&prefix, "MH-1"), &cover_payload(5, false))
            .await;
        wait_until("the clear", || sink.stats().snapshot().cleared == 1).await;
        assert!(open_cover_alarms(&store).await.is_empty(), "{}", b.name);
        assert_eq!(sink.stats().snapshot().raised, 0, "no second raise");
        run.stop().await;
        forget_session(&client_id).await;
        b.finish().await;
    }
}

/// The real store, whose batch writes fail while `failing` is set.
#[derive(Clone)]
struct Flaky {
    store: Store,
    failing: Arc<std::sync::atomic::AtomicBool>,
    attempts: Arc<AtomicU64>,
}

impl SensorStore for Flaky {
    async fn list_sensors(&self) -> Result<Vec<store::Sensor>, StoreError> {
        self.store.list_sensors().await
    }

    async fn list_alarms(&self, filter: &AlarmFilter) -> Result<AlarmPage, StoreError> {
        self.store.list_alarms(filter).await
    }

    async fn sensor_rule_states(
        &self,
        ids: Option<&[String]>,
    ) -> Result<Vec<store::SensorRuleRow>, StoreError> {
        self.store.sensor_rule_states(ids).await
    }

    async fn append_sensor_batch(
        &self,
        readings: &[store::SensorReading],
        alarms: &[AlarmWrite],
        states: &[store::SensorRuleWrite],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        if self.failing.load(Ordering::Relaxed) {
            return Err(StoreError::Invalid("database down (test)".into()));
        }
        self.store
            .append_sensor_batch(readings, alarms, states, now)
            .await
    }

    async fn seed_sensor_rule_states(
        &self,
        states: &[(String, String)],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        self.store.seed_sensor_rule_states(states, now).await
    }
}

#[tokio::test]
async fn store_backed_a_failing_store_withholds_the_ack_and_keeps_the_alarm() {
    if !broker_up().await {
        return;
    }
    for b in backends("failing").await {
        let store = b.store.clone();
        register_sensors(&store).await;
        let prefix = unique("yiwang-test/store-failing");
        let client_id = unique("intake");
        let flaky = Flaky {
            store: store.clone(),
            failing: Arc::new(true.into()),
            attempts: Arc::new(AtomicU64::new(0)),
        };
        let sink = store_sink(flaky.clone(), ManualClock::new(NOW_MS)).await;
        let run = start(config(&prefix, &client_id), sink.clone()).await;
        let mut publisher = Publisher::connect().await;
        publisher
            .publish(&cover(&prefix, "MH-1"), &cover_payload(0, true))
            .await;
        wait_until("two failed writes", || {
            flaky.attempts.load(Ordering::Relaxed) >= 2
        })
        .await;
        let s = run.stats.snapshot();
        assert_eq!(s.acked, 0, "{}: nothing acknowledged while failing", b.name);
        assert!(s.store_failures >= 2);
        // Nothing of the batch is stored, its rule state not advanced either …
        assert!(open_cover_alarms(&store).await.is_empty());
        assert!(
            store
                .sensor_rule_states(None)
                .await
                .expect("states")
                .is_empty()
        );
        assert!(readings_of(&store, "MH-1").await.is_empty());

        // … the batch is computed again from the stored state when the database is back, its
        // raise stored with it, once; then the ack goes out.
        flaky.failing.store(false, Ordering::Relaxed);
        wait_until("the raise", || sink.stats().snapshot().raised == 1).await;
        wait_until("the ack", || run.stats.snapshot().acked == 1).await;
        let open = open_cover_alarms(&store).await;
        assert_eq!(open.len(), 1, "{}", b.name);
        assert_eq!(open[0].repeats, 0);
        assert_eq!(readings_of(&store, "MH-1").await.len(), 1);

        // Failing again, then stopped: the unacknowledged close goes to the next session.
        flaky.failing.store(true, Ordering::Relaxed);
        let before = flaky.attempts.load(Ordering::Relaxed);
        publisher
            .publish(&cover(&prefix, "MH-1"), &cover_payload(1, false))
            .await;
        wait_until("a failed write", || {
            flaky.attempts.load(Ordering::Relaxed) > before
        })
        .await;
        run.stop().await;
        let sink = store_sink(store.clone(), ManualClock::new(NOW_MS)).await;
        let run = start(config(&prefix, &client_id), sink.clone()).await;
        wait_until("the redelivered clear", || {
            sink.stats().snapshot().cleared == 1
        })
        .await;
        assert!(open_cover_alarms(&store).await.is_empty(), "{}", b.name);
        assert_eq!(readings_of(&store, "MH-1").await.len(), 2);
        run.stop().await;
        forget_session(&client_id).await;
        b.finish().await;
    }
}

/// No broker needed: the sink alone over the real store.
#[tokio::test]
async fn store_sink_offline_tick_raises_and_the_next_message_clears() {
    use ingest::mqtt::{Reading as R, SensorMessage, SensorSink as _};
    for b in backends("offline").await {
        let store = b.store.clone();
        register_sensors(&store).await;
        let clock = ManualClock::new(NOW_MS);
        let sink = store_sink(store.clone(), clock.clone()).await;
        let noise = |minute: i64, value: f64| SensorMessage {
            sensor_id: "N-1".into(),
            kind: SensorKind::Numeric,
            reading: R::Numeric {
                value,
                unit: "dB".into(),
            },
            measured_at_ms: Some(NOW_MS + minute * 60_000),
            received_at_ms: NOW_MS + minute * 60_000,
            battery_pct: None,
            location: None,
        };
        sink.store(&[noise(0, 60.0)]).await.expect("store");
        assert_eq!(sink.tick().await.expect("tick"), 0, "not silent yet");
        clock.set(NOW_MS + 2 * 60_000);
        assert_eq!(sink.tick().await.expect("tick"), 1, "{}", b.name);
        let key = "sensor|N-1|sensor.offline".to_owned();
        let open = store
            .open_alarms_by_key(std::slice::from_ref(&key))
            .await
            .expect("alarms");
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].level, "notice");
        assert_eq!(open[0].raised_at, Timestamp(NOW_MS + 60_000));
        assert_eq!(sink.tick().await.expect("tick"), 0, "raised once");
        // Back, and loud: the offline alarm clears, the noise alarm rises, in one write.
        sink.store(&[noise(3, 75.0)]).await.expect("store");
        assert!(
            store
                .open_alarms_by_key(std::slice::from_ref(&key))
                .await
                .expect("alarms")
                .is_empty()
        );
        let high = store
            .open_alarms_by_key(&["sensor|N-1|sensor.high".to_owned()])
            .await
            .expect("alarms");
        assert_eq!(high.len(), 1, "{}", b.name);
        assert_eq!(high[0].grid_code.as_deref(), Some(GRID));
        assert!(high[0].message.contains("超过上限"), "{}", high[0].message);
        b.finish().await;
    }
}

/// Two nodes (two intakes, each with its own client id, in one share group) over one store:
/// both connected at once, the broker splits the stream between them, and every message is
/// stored exactly once.
#[tokio::test]
async fn two_nodes_in_one_share_group_split_the_stream_and_store_each_message_once() {
    if !broker_up().await {
        return;
    }
    const N: i64 = 60;
    for b in backends("shared").await {
        let store = b.store.clone();
        register_sensors(&store).await;
        let prefix = unique("yiwang-test/shared");
        let ids = [unique("node-a"), unique("node-b")];
        let mut runs = Vec::new();
        let mut sinks = Vec::new();
        for id in &ids {
            let sink = store_sink(store.clone(), ManualClock::new(NOW_MS)).await;
            let cfg = config(&prefix, id);
            assert_eq!(cfg.subscription(), format!("$share/yiwang/{prefix}/#"));
            runs.push(start(cfg, sink.clone()).await);
            sinks.push(sink);
        }
        // Both connected at once: distinct client ids do not take each other's connection.
        for r in &runs {
            let s = r.stats.snapshot();
            assert!(s.connected && s.reconnects == 0, "{}: {s:?}", b.name);
        }
        let mut publisher = Publisher::connect().await;
        let topic = format!("{prefix}/numeric/N-1/data");
        for i in 0..N {
            publisher
                .publish(
                    &topic,
                    &format!(
                        r#"{{"ts":{},"value":{},"unit":"dB"}}"#,
                        NOW_MS + i * 1000,
                        50 + i % 10
                    ),
                )
                .await;
        }
        let stats: Vec<Arc<MqttStats>> = runs.iter().map(|r| Arc::clone(&r.stats)).collect();
        wait_until("every message acknowledged", || {
            stats.iter().map(|s| s.snapshot().acked).sum::<u64>() >= N as u64
        })
        .await;
        let snaps: Vec<_> = stats.iter().map(|s| s.snapshot()).collect();
        for s in &snaps {
            assert!(
                s.received > 0,
                "{}: both nodes get a share: {snaps:?}",
                b.name
            );
            assert_eq!(
                (s.malformed, s.stale_acks, s.reconnects),
                (0, 0, 0),
                "{snaps:?}"
            );
        }
        assert_eq!(
            snaps.iter().map(|s| s.received).sum::<u64>(),
            N as u64,
            "{}: each message delivered to one node: {snaps:?}",
            b.name
        );
        let readings = readings_of(&store, "N-1").await;
        let mut at: Vec<i64> = readings.iter().map(|r| r.at.0).collect();
        at.sort_unstable();
        at.dedup();
        assert_eq!(
            (readings.len(), at.len()),
            (N as usize, N as usize),
            "{}: each message stored exactly once",
            b.name
        );
        let per_node: Vec<u64> = sinks
            .iter()
            .map(|s| s.stats().snapshot().readings)
            .collect();
        assert_eq!(per_node.iter().sum::<u64>(), N as u64, "{per_node:?}");
        assert!(per_node.iter().all(|n| *n > 0), "{per_node:?}");
        for r in runs {
            r.stop().await;
        }
        for id in &ids {
            forget_session(id).await;
        }
        b.finish().await;
    }
}

/// Every alarm of BIN-1's fill rule, open or cleared, oldest first.
async fn bin_alarms(store: &Store) -> Vec<store::Alarm> {
    let mut items = store
        .list_alarms(&AlarmFilter {
            source_kind: Some("sensor".into()),
            source_id: Some("BIN-1".into()),
            rule: Some("sensor.bin_full".into()),
            limit: 100,
            ..AlarmFilter::default()
        })
        .await
        .expect("alarms")
        .items;
    items.sort_by_key(|a| a.id);
    items
}

/// Two nodes (two intakes in one share group) whose rules need three consecutive full readings
/// to raise and three below the clear band to clear. The broker deals one bin's messages to
/// both nodes in turn, so each node sees only every other reading: the rule state kept in the
/// store makes them count together — exactly one alarm, raised at the third full reading
/// (from its first), cleared once at the third low one. Then a burst with no pause between
/// messages (the two nodes race on the same sensor): still one raise and one clear.
#[tokio::test]
async fn two_nodes_judge_one_sensor_together_through_the_stored_rule_state() {
    if !broker_up().await {
        return;
    }
    let mut rules = SensorConfig::default();
    rules.bin_fill_pct.hysteresis.raise_samples = 3;
    rules.bin_fill_pct.hysteresis.clear_samples = 3;
    for b in backends("rules_intg").await {
        let store = b.store.clone();
        register_sensors(&store).await;
        let prefix = unique("yiwang-test/rules");
        let ids = [unique("rules-a"), unique("rules-b")];
        let mut runs = Vec::new();
        let mut sinks = Vec::new();
        for id in &ids {
            let sink = StoreSensorSink::new(
                store.clone(),
                locate(),
                Arc::new(ManualClock::new(NOW_MS)),
                rules.clone(),
            );
            sink.refresh().await.expect("registry");
            runs.push(start(config(&prefix, id), sink.clone()).await);
            sinks.push(sink);
        }
        let stats: Vec<Arc<MqttStats>> = runs.iter().map(|r| Arc::clone(&r.stats)).collect();
        let acked = || stats.iter().map(|s| s.snapshot().acked).sum::<u64>();
        let mut publisher = Publisher::connect().await;
        let topic = format!("{prefix}/bin/BIN-1/data");
        let fill = |second: i64, pct: u32| {
            format!(r#"{{"ts":{},"fill_pct":{pct}}}"#, NOW_MS + second * 1000)
        };

        // One message at a time (each stored before the next is sent): 2 low, 5 full, 5 low.
        let series: Vec<u32> = [50, 50, 95, 95, 95, 95, 95, 40, 40, 40, 40, 40].to_vec();
        let mut sent = 0_u64;
        for (i, pct) in series.iter().enumerate() {
            let i = i as i64;
            publisher.publish(&topic, &fill(i, *pct)).await;
            sent += 1;
            wait_until("the message stored and acknowledged", || acked() >= sent).await;
            let alarms = bin_alarms(&store).await;
            let open = alarms.iter().filter(|a| a.state != "cleared").count();
            match i {
                // Before the third full reading: nothing.
                0..=3 => assert!(
                    alarms.is_empty(),
                    "{} after message {i}: {alarms:?}",
                    b.name
                ),
                // Raised at the third full one (i = 4), dated from the first (i = 2); open
                // through the next full ones and the first two low ones.
                4..=8 => {
                    assert_eq!((alarms.len(), open), (1, 1), "{} after {i}", b.name);
                    assert_eq!(alarms[0].raised_at, Timestamp(NOW_MS + 2000));
                    assert_eq!(alarms[0].repeats, 0, "raised once");
                }
                // Cleared at the third low one (i = 9), once.
                _ => {
                    assert_eq!((alarms.len(), open), (1, 0), "{} after {i}", b.name);
                    assert_eq!(alarms[0].cleared_at, Some(Timestamp(NOW_MS + 7000)));
                }
            }
        }
        let snaps: Vec<_> = stats.iter().map(|s| s.snapshot()).collect();
        assert!(
            snaps.iter().all(|s| s.received > 0),
            "{}: both nodes took messages of the one sensor: {snaps:?}",
            b.name
        );
        let raised: u64 = sinks.iter().map(|s| s.stats().snapshot().raised).sum();
        let cleared: u64 = sinks.iter().map(|s| s.stats().snapshot().cleared).sum();
        assert_eq!((raised, cleared), (1, 1), "{}", b.name);
        let events = store
            .alarm_events(bin_alarms(&store).await[0].id)
            .await
            .expect("events");
        assert_eq!(events.len(), 2, "{}: raised, cleared: {events:?}", b.name);

        // A burst: 8 full then 8 low without waiting; the nodes take them at the same time.
        for (i, pct) in [95; 8].into_iter().chain([40; 8]).enumerate() {
            publisher.publish(&topic, &fill(100 + i as i64, pct)).await;
            sent += 1;
        }
        wait_until("the burst stored", || acked() >= sent).await;
        let alarms = bin_alarms(&store).await;
        assert_eq!(alarms.len(), 2, "{}: one more alarm: {alarms:?}", b.name);
        assert_eq!(alarms[1].repeats, 0, "{}", b.name);
        assert_eq!(alarms[1].state, "cleared", "{}", b.name);
        let raised: u64 = sinks.iter().map(|s| s.stats().snapshot().raised).sum();
        let cleared: u64 = sinks.iter().map(|s| s.stats().snapshot().cleared).sum();
        assert_eq!((raised, cleared), (2, 2), "{}", b.name);
        assert_eq!(readings_of(&store, "BIN-1").await.len(), 12 + 16);
        let conflicts: u64 = sinks.iter().map(|s| s.stats().snapshot().conflicts).sum();
        println!("{}: rule-state conflicts in the burst: {conflicts}", b.name);

        for r in runs {
            r.stop().await;
        }
        for id in &ids {
            forget_session(id).await;
        }
        b.finish().await;
    }
}

/// The offline tick on two nodes over one store: judged on the stored states, raised once.
#[tokio::test]
async fn two_nodes_ticking_raise_one_offline_alarm() {
    use ingest::mqtt::SensorSink as _;
    for b in backends("offline_intg").await {
        let store = b.store.clone();
        register_sensors(&store).await;
        let clock = ManualClock::new(NOW_MS);
        let a = store_sink(store.clone(), clock.clone()).await;
        let c = store_sink(store.clone(), clock.clone()).await;
        let noise = |minute: i64| ingest::mqtt::SensorMessage {
            sensor_id: "N-1".into(),
            kind: SensorKind::Numeric,
            reading: Reading::Numeric {
                value: 60.0,
                unit: "dB".into(),
            },
            measured_at_ms: Some(NOW_MS + minute * 60_000),
            received_at_ms: NOW_MS + minute * 60_000,
            battery_pct: None,
            location: None,
        };
        // The sensor's only message went to node a; node c judges it silent all the same.
        a.store(&[noise(0)]).await.expect("store");
        clock.set(NOW_MS + 2 * 60_000);
        let (x, y) = tokio::join!(a.tick(), c.tick());
        let n = x.expect("tick a") + y.expect("tick c");
        assert_eq!(n, 1, "{}: raised once", b.name);
        assert_eq!(c.tick().await.expect("tick"), 0);
        let open = store
            .open_alarms_by_key(&["sensor|N-1|sensor.offline".to_owned()])
            .await
            .expect("alarms");
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].repeats, 0, "{}", b.name);
        // Back on node c: the offline alarm clears there.
        c.store(&[noise(3)]).await.expect("store");
        assert!(
            store
                .open_alarms_by_key(&["sensor|N-1|sensor.offline".to_owned()])
                .await
                .expect("alarms")
                .is_empty(),
            "{}",
            b.name
        );
        b.finish().await;
    }
}
