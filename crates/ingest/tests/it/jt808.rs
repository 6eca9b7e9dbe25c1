//! JT/T 808 gateway sessions over TCP: login, acks after durability, failures, bad input,
//! chunking, commands.

use ingest::jt808::Config;
use ingest::{Record, TerminalEventKind};
use jt808::{Message, ResultCode, Version};
use tokio::io::AsyncWriteExt;

use crate::support::{Client, NOW_MS, fixes, jt808_env, location};

async fn login_and_report(version: Version, phone: &str) {
    let env = jt808_env(Config::default()).await;
    env.registry
        .provision_terminal(phone.trim_start_matches('0'));
    let mut c = Client::connect(env.addr, phone, version).await;
    c.login().await;
    let serial = c.send(location(1)).await;
    let reply = loop {
        let p = c.recv().await.unwrap();
        if matches!(p.message, Message::PlatformGeneralResponse(_)) {
            break p;
        }
    };
    // The reply is in the terminal's own edition, to its own phone.
    assert_eq!(reply.header.version(), version);
    assert_eq!(reply.header.phone, c.phone);
    let Message::PlatformGeneralResponse(gr) = reply.message else {
        unreachable!()
    };
    assert_eq!(
        (gr.reply_serial, gr.reply_id, gr.result),
        (serial, 0x0200, ResultCode::Success)
    );

    let f = fixes(&env.sink);
    assert_eq!(f.len(), 1);
    let f = &f[0];
    assert_eq!(f.phone, phone.trim_start_matches('0'));
    assert!((f.latitude - 34.750_001).abs() < 1e-9);
    assert!((f.longitude - 113.62).abs() < 1e-9);
    assert!((f.speed_kmh - 35.6).abs() < 1e-9);
    assert_eq!(
        (f.heading, f.altitude_m, f.alarm, f.status),
        (90, 110, 1, 2)
    );
    assert_eq!(f.mileage_m, Some(1_234_500));
    // 16:00 GMT+8 = 08:00 UTC.
    assert_eq!(f.device_time, Some(1_795_507_200_000));
    assert_eq!(f.received_at, NOW_MS);
    assert_eq!(f.extra, vec![(0x01, vec![0, 0, 0x30, 0x39])]);
    // Registration and authentication were recorded before their replies.
    let kinds: Vec<_> = env
        .sink
        .records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Terminal(e) => Some(e.kind),
            _ => None,
        })
        .collect();
    assert!(matches!(kinds[0], TerminalEventKind::Registered { .. }));
    assert!(matches!(kinds[1], TerminalEventKind::Authenticated { .. }));
    assert!(env.handle.is_online(phone.trim_start_matches('0')));
}

#[tokio::test]
async fn register_authenticate_report_2013() {
    login_and_report(Version::V2013, "013912345678").await;
}

#[tokio::test]
async fn register_authenticate_report_2019() {
    login_and_report(Version::V2019, "00000000013912345678").await;
}

#[tokio::test]
async fn position_before_auth_is_refused_and_not_stored() {
    let env = jt808_env(Config::default()).await;
    let mut c = Client::connect(env.addr, "13900000001", Version::V2013).await;
    let serial = c.send(location(1)).await;
    assert_eq!(c.general_reply(serial).await, ResultCode::Failure);
    // A heartbeat is answered, so the connection is alive and the fix was processed.
    let hb = c.send(Message::Heartbeat).await;
    assert_eq!(c.general_reply(hb).await, ResultCode::Success);
    assert!(fixes(&env.sink).is_empty());
}

#[tokio::test]
async fn ack_only_after_the_sink_is_durable() {
    let env = jt808_env(Config::default()).await;
    env.registry.provision_terminal("13900000002");
    let mut c = Client::connect(env.addr, "13900000002", Version::V2013).await;
    c.login().await;
    env.sink.pause();
    let fix = c.send(location(1)).await;
    let hb = c.send(Message::Heartbeat).await;
    // The heartbeat's reply comes first: the fix is still waiting for the sink.
    let p = c.recv().await.unwrap();
    let Message::PlatformGeneralResponse(gr) = p.message else {
        panic!("unexpected {p:?}")
    };
    assert_eq!((gr.reply_serial, gr.reply_id), (hb, 0x0002));
    assert!(fixes(&env.sink).is_empty());
    env.sink.resume();
    let p = c.recv().await.unwrap();
    let Message::PlatformGeneralResponse(gr) = p.message else {
        panic!("unexpected {p:?}")
    };
    assert_eq!(
        (gr.reply_serial, gr.reply_id, gr.result),
        (fix, 0x0200, ResultCode::Success)
    );
    assert_eq!(fixes(&env.sink).len(), 1);
}

#[tokio::test]
async fn failing_sink_gets_failure_not_success() {
    let env = jt808_env(Config::default()).await;
    env.registry.provision_terminal("13900000003");
    let mut c = Client::connect(env.addr, "13900000003", Version::V2019).await;
    c.login().await;
    env.sink.fail_with("disk full");
    let fix = c.send(location(1)).await;
    assert_eq!(c.general_reply(fix).await, ResultCode::Failure);
    env.sink.heal();
    let fix = c.send(location(2)).await;
    assert_eq!(c.general_reply(fix).await, ResultCode::Success);
    assert_eq!(fixes(&env.sink).len(), 1);
}

#[tokio::test]
async fn bad_checksum_frame_is_skipped_and_connection_stays() {
    let env = jt808_env(Config::default()).await;
    let mut c = Client::connect(env.addr, "13900000004", Version::V2013).await;
    let (_, mut bad) = c.frame(Message::Heartbeat);
    let n = bad.len();
    bad[n - 2] ^= 0x55; // the checksum byte
    c.send_raw(&bad).await;
    let hb = c.send(Message::Heartbeat).await;
    assert_eq!(c.general_reply(hb).await, ResultCode::Success);
}

#[tokio::test]
async fn a_stream_of_bad_frames_drops_the_connection() {
    let env = jt808_env(Config::default()).await;
    let mut c = Client::connect(env.addr, "13900000005", Version::V2013).await;
    for _ in 0..5 {
        let (_, mut bad) = c.frame(Message::Heartbeat);
        let n = bad.len();
        bad[n - 2] ^= 0x55;
        c.send_raw(&bad).await;
    }
    assert!(c.recv().await.is_none(), "connection should be closed");
}

#[tokio::test]
async fn bytes_without_delimiter_drop_the_connection() {
    let env = jt808_env(Config::default()).await;
    let mut c = Client::connect(env.addr, "13900000006", Version::V2013).await;
    // Garbage beyond the 4 KiB frame limit, never a 0x7E.
    let _ = c.stream.write_all(&[0x41; 10_000]).await;
    assert!(c.recv().await.is_none(), "connection should be closed");
}

#[tokio::test]
async fn a_frame_split_across_many_writes_and_many_frames_in_one_write() {
    let env = jt808_env(Config::default()).await;
    env.registry.provision_terminal("13900000007");
    let mut c = Client::connect(env.addr, "13900000007", Version::V2013).await;
    c.login().await;
    // One frame, one byte per write.
    let (s1, bytes) = c.frame(location(1));
    for b in bytes {
        c.stream.write_all(&[b]).await.unwrap();
        c.stream.flush().await.unwrap();
    }
    assert_eq!(c.general_reply(s1).await, ResultCode::Success);
    // Fifty frames in one write, acked in order.
    let mut all = Vec::new();
    let mut serials = Vec::new();
    for i in 0..50 {
        let (s, b) = c.frame(location(100 + i));
        serials.push(s);
        all.extend_from_slice(&b);
    }
    c.send_raw(&all).await;
    for s in serials {
        let p = c.recv().await.unwrap();
        let Message::PlatformGeneralResponse(gr) = p.message else {
            panic!("unexpected {p:?}")
        };
        assert_eq!((gr.reply_serial, gr.result), (s, ResultCode::Success));
    }
    let f = fixes(&env.sink);
    assert_eq!(f.len(), 51);
    // Per-connection order is kept in the store.
    let lats: Vec<_> = f.iter().skip(1).map(|f| f.latitude).collect();
    assert!(lats.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn unknown_message_id_gets_unsupported() {
    let env = jt808_env(Config::default()).await;
    env.registry.provision_terminal("13900000008");
    let mut c = Client::connect(env.addr, "13900000008", Version::V2013).await;
    c.login().await;
    let serial = c
        .send(Message::Raw {
            id: 0x5501,
            body: vec![1, 2, 3],
        })
        .await;
    assert_eq!(c.general_reply(serial).await, ResultCode::Unsupported);
}

#[tokio::test]
async fn commands_round_trip_to_the_terminal() {
    let env = jt808_env(Config::default()).await;
    env.registry.provision_terminal("13900000009");
    let mut c = Client::connect(env.addr, "13900000009", Version::V2019).await;
    c.login().await;

    let handle = env.handle.clone();
    let set = tokio::spawn(async move { handle.set_report_interval("13900000009", 15).await });
    let p = c.recv().await.unwrap();
    let Message::SetParameters(params) = &p.message else {
        panic!("expected 0x8103, got {p:?}")
    };
    assert_eq!(params.default_report_interval(), Some(15));
    let answer = Message::TerminalGeneralResponse(jt808::GeneralResponse {
        reply_serial: p.header.serial,
        reply_id: 0x8103,
        result: ResultCode::Success,
    });
    c.send(answer).await;
    assert_eq!(set.await.unwrap(), Ok(ResultCode::Success));

    let handle = env.handle.clone();
    let query = tokio::spawn(async move { handle.query_position("13900000009").await });
    let p = c.recv().await.unwrap();
    assert_eq!(p.message, Message::LocationQuery);
    let Message::Location(loc) = location(7) else {
        unreachable!()
    };
    let answer = Message::LocationQueryResponse(jt808::LocationQueryResponse {
        reply_serial: p.header.serial,
        location: loc,
    });
    c.send(answer).await;
    let fix = query.await.unwrap().unwrap();
    assert!((fix.latitude - 34.750_007).abs() < 1e-9);

    let handle = env.handle.clone();
    let text = tokio::spawn(async move { handle.send_text("13900000009", 0x08, "请减速").await });
    let p = c.recv().await.unwrap();
    let Message::TextMessage(t) = &p.message else {
        panic!("expected 0x8300, got {p:?}")
    };
    assert_eq!(t.text, "请减速");
    let answer = Message::TerminalGeneralResponse(jt808::GeneralResponse {
        reply_serial: p.header.serial,
        reply_id: 0x8300,
        result: ResultCode::Success,
    });
    c.send(answer).await;
    assert_eq!(text.await.unwrap(), Ok(ResultCode::Success));

    assert!(matches!(
        env.handle.set_report_interval("13999999999", 15).await,
        Err(ingest::jt808::CommandError::NotOnline(_))
    ));
}

#[tokio::test]
async fn wrong_auth_code_is_refused() {
    let env = jt808_env(Config::default()).await;
    env.registry
        .provision_registered_terminal("13900000010", "right");
    let mut c = Client::connect(env.addr, "13900000010", Version::V2013).await;
    let serial = c
        .send(Message::Authenticate(jt808::Authenticate::new("wrong")))
        .await;
    assert_eq!(c.general_reply(serial).await, ResultCode::Failure);
    let serial = c
        .send(Message::Authenticate(jt808::Authenticate::new("right")))
        .await;
    assert_eq!(c.general_reply(serial).await, ResultCode::Success);
    assert!(env.handle.is_online("13900000010"));
}

#[tokio::test]
async fn batch_upload_is_one_ack_for_all_fixes() {
    let env = jt808_env(Config::default()).await;
    env.registry.provision_terminal("13900000011");
    let mut c = Client::connect(env.addr, "13900000011", Version::V2013).await;
    c.login().await;
    let locations = (0..10)
        .map(|i| match location(i) {
            Message::Location(l) => l,
            _ => unreachable!(),
        })
        .collect();
    let serial = c
        .send(Message::LocationBatch(jt808::LocationBatch {
            kind: 1,
            locations,
        }))
        .await;
    assert_eq!(c.general_reply(serial).await, ResultCode::Success);
    let f = fixes(&env.sink);
    assert_eq!(f.len(), 10);
    assert!(f.iter().all(|f| f.backfill));
}

#[tokio::test]
async fn disconnect_records_offline() {
    let env = jt808_env(Config::default()).await;
    env.registry.provision_terminal("13900000012");
    let mut c = Client::connect(env.addr, "13900000012", Version::V2013).await;
    c.login().await;
    drop(c);
    // Wait (without a wall-clock limit) until the gateway has noticed.
    while env.handle.open_connections() > 0 {
        tokio::task::yield_now().await;
    }
    loop {
        let offline = env.sink.records().into_iter().any(|r| {
            matches!(r, Record::Terminal(e) if matches!(e.kind, TerminalEventKind::Offline { .. }))
        });
        if offline {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(!env.handle.is_online("13900000012"));
}
