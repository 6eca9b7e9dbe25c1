//! HJ 212 gateway sessions over TCP: replies only when the Flag asks and only after the data is
//! durable, CRC failures, authentication, initialisation, over-length packets.

use std::net::SocketAddr;
use std::sync::Arc;

use hj212::{Command, Flag, FramerConfig, Packet, PacketBuilder, PacketFramer, Version};
use ingest::hj212::{Config, Gateway, Handle};
use ingest::{Batcher, BatcherConfig, ManualClock, MemoryRegistry, MemorySink, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::NOW_MS;

const MN: &str = "010000A8900016F018010001";

struct Env {
    addr: SocketAddr,
    sink: MemorySink,
    handle: Handle,
}

async fn env(config: Config) -> Env {
    let sink = MemorySink::new();
    let registry = MemoryRegistry::new();
    registry.provision_monitor(MN, "123456");
    let (batcher, _) = Batcher::spawn(sink.clone(), BatcherConfig::default());
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..config
    };
    let gw = Gateway::bind(
        config,
        registry,
        batcher,
        Arc::new(ManualClock::new(NOW_MS)),
    )
    .await
    .unwrap();
    let addr = gw.local_addr().unwrap();
    let handle = gw.handle();
    tokio::spawn(gw.run());
    Env { addr, sink, handle }
}

struct Device {
    stream: TcpStream,
    framer: PacketFramer,
}

impl Device {
    async fn connect(addr: SocketAddr) -> Device {
        Device {
            stream: TcpStream::connect(addr).await.unwrap(),
            framer: PacketFramer::new(FramerConfig::default()),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next packet from the gateway; `None` once it closed the connection.
    async fn recv(&mut self) -> Option<Packet> {
        loop {
            if let Some(r) = self.framer.next_packet() {
                return Some(Packet::from_raw(r.unwrap()).unwrap());
            }
            let mut buf = [0u8; 2048];
            let n = self.stream.read(&mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            self.framer.push(&buf[..n]);
        }
    }

    /// The next packet that is not a platform request (1012 time calibration …).
    async fn recv_reply(&mut self) -> Option<Packet> {
        loop {
            let p = self.recv().await?;
            if matches!(
                p.cn(),
                Command::DataAnswer | Command::NotificationAnswer | Command::RequestAnswer
            ) {
                return Some(p);
            }
        }
    }
}

fn upload(qn: &str, pw: &str, ack: bool) -> Vec<u8> {
    PacketBuilder::new(Command::RealTimeData)
        .qn(qn)
        .st("31")
        .pw(pw)
        .mn(MN)
        .flag(Flag::from_parts(Version::V2017, false, ack))
        .param("DataTime", "20260101080000")
        .item(&[("a34041-Rtd", "0.85"), ("a34041-Flag", "N")])
        .item(&[("SB1-RS", "1")])
        .build()
        .unwrap()
}

fn time_request(qn: &str) -> Vec<u8> {
    PacketBuilder::new(Command::TimeCalibrationRequest)
        .qn(qn)
        .st("31")
        .pw("123456")
        .mn(MN)
        .flag(Flag::from_parts(Version::V2017, false, true))
        .build()
        .unwrap()
}

fn readings(sink: &MemorySink) -> Vec<ingest::Hj212Reading> {
    sink.records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Reading(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn replies_only_when_the_flag_asks_and_echoes_qn_pw_mn() {
    let env = env(Config::default()).await;
    let mut d = Device::connect(env.addr).await;
    d.send(&upload("20260101080000001", "123456", false)).await;
    d.send(&upload("20260101080000002", "123456", true)).await;
    let r = d.recv_reply().await.unwrap();
    // The first reply answers the second packet: the first (Flag=4) got none.
    assert_eq!(r.cn(), Command::DataAnswer);
    assert_eq!(r.qn(), Some("20260101080000002"));
    assert_eq!(
        (r.pw(), r.mn(), r.st()),
        (Some("123456"), Some(MN), Some("91"))
    );
    assert_eq!(r.flag(), Some(Flag(4)));
    let stored = readings(&env.sink);
    assert_eq!(stored.len(), 2);
    let f = stored[1].factor("a34041").unwrap();
    assert_eq!((f.get("Rtd"), f.flag()), (Some("0.85"), Some('N')));
    assert_eq!(stored[1].factor("SB1").unwrap().get("RS"), Some("1"));
    // 2026-01-01 08:00:00 GMT+8 = 00:00 UTC.
    assert_eq!(stored[1].data_time, Some(1_767_225_600_000));
    assert_eq!(stored[1].cn, 2011);
}

#[tokio::test]
async fn first_connection_is_initialised_with_time_calibration() {
    let env = env(Config::default()).await;
    let mut d = Device::connect(env.addr).await;
    d.send(&upload("20260101080000001", "123456", false)).await;
    let p = d.recv().await.unwrap();
    assert_eq!(p.cn(), Command::SetTime);
    // The gateway clock (NOW_MS, UTC) in GMT+8.
    assert_eq!(
        p.cp().get("SystemTime").map(|v| v.as_str().to_owned()),
        Some("20261124160000".to_owned())
    );
    assert!(p.needs_ack());
}

#[tokio::test]
async fn data_is_stored_before_the_9014() {
    let env = env(Config::default()).await;
    let mut d = Device::connect(env.addr).await;
    env.sink.pause();
    d.send(&upload("20260101080000001", "123456", true)).await;
    d.send(&time_request("20260101080000002")).await;
    // The notification is answered at once; the data answer waits for the sink.
    let r = d.recv_reply().await.unwrap();
    assert_eq!(r.cn(), Command::NotificationAnswer);
    assert_eq!(r.qn(), Some("20260101080000002"));
    assert!(readings(&env.sink).is_empty());
    env.sink.resume();
    let r = d.recv_reply().await.unwrap();
    assert_eq!(
        (r.cn(), r.qn()),
        (Command::DataAnswer, Some("20260101080000001"))
    );
    assert_eq!(readings(&env.sink).len(), 1);
    assert_eq!(env.handle.stats().acked, 1);
}

#[tokio::test]
async fn failing_sink_sends_no_9014() {
    let env = env(Config::default()).await;
    let mut d = Device::connect(env.addr).await;
    env.sink.fail_with("disk full");
    d.send(&upload("20260101080000001", "123456", true)).await;
    while env.sink.write_attempts() == 0 {
        tokio::task::yield_now().await;
    }
    env.sink.heal();
    d.send(&upload("20260101080000002", "123456", true)).await;
    let r = d.recv_reply().await.unwrap();
    // Only the second upload, which was stored, is answered.
    assert_eq!(r.qn(), Some("20260101080000002"));
    assert_eq!(readings(&env.sink).len(), 1);
}

#[tokio::test]
async fn crc_failure_gets_no_reply_and_is_counted() {
    let env = env(Config::default()).await;
    let mut d = Device::connect(env.addr).await;
    let mut bad = upload("20260101080000001", "123456", true);
    let n = bad.len();
    // Change one CRC hex digit.
    bad[n - 3] = if bad[n - 3] == b'0' { b'1' } else { b'0' };
    d.send(&bad).await;
    d.send(&upload("20260101080000002", "123456", true)).await;
    let r = d.recv_reply().await.unwrap();
    assert_eq!(r.qn(), Some("20260101080000002"));
    assert_eq!(readings(&env.sink).len(), 1);
    assert_eq!(env.handle.stats().crc_errors, 1);
}

#[tokio::test]
async fn wrong_password_is_rejected_and_nothing_stored() {
    let env = env(Config::default()).await;
    let mut d = Device::connect(env.addr).await;
    for i in 0..3 {
        d.send(&upload(&format!("2026010108000000{i}"), "654321", true))
            .await;
    }
    // No reply; after three rejections the gateway closes the connection.
    assert!(d.recv().await.is_none());
    assert!(env.sink.is_empty());
    assert_eq!(env.handle.stats().rejected, 3);
}

#[tokio::test]
async fn over_length_packets_are_counted_and_skipped() {
    let env = env(Config {
        max_data_len: 120,
        ..Config::default()
    })
    .await;
    let mut d = Device::connect(env.addr).await;
    let long = PacketBuilder::new(Command::RealTimeData)
        .qn("20260101080000001")
        .st("31")
        .pw("123456")
        .mn(MN)
        .flag(Flag(5))
        .param("DataTime", "20260101080000")
        .item(&[("a34041-Rtd", "0.85"), ("a34041-Flag", "N")])
        .item(&[("a34000-Rtd", "1.20"), ("a34000-Flag", "N")])
        .build()
        .unwrap();
    d.send(&long).await;
    let short = PacketBuilder::new(Command::RealTimeData)
        .qn("20260101080000002")
        .pw("123456")
        .mn(MN)
        .flag(Flag(5))
        .build()
        .unwrap();
    d.send(&short).await;
    let r = d.recv_reply().await.unwrap();
    assert_eq!(r.qn(), Some("20260101080000002"));
    assert_eq!(readings(&env.sink).len(), 1);
    assert_eq!(env.handle.stats().over_length, 1);
}
