//! The device agents against the real gateways (`ingest`) on 127.0.0.1: a JT/T 808 terminal
//! logs in, reports, answers platform commands; an HJ 212 monitor uploads, asks for time
//! calibration and answers the 1012 request; a tiny load run acknowledges everything.

use std::sync::Arc;
use std::time::Duration;

use ingest::{Batcher, BatcherConfig, ManualClock, MemoryRegistry, MemorySink, Record};
use jt808::{ResultCode, Version};
use simulator::device_load::{self, LoadConfig};
use simulator::hj212_monitor::{Incoming as HjIncoming, Monitor, MonitorIdentity, Reading};
use simulator::jt808_terminal::{Fix, Identity, Incoming, Terminal};

async fn gateways() -> (
    std::net::SocketAddr,
    std::net::SocketAddr,
    ingest::jt808::Handle,
    MemorySink,
) {
    let sink = MemorySink::new();
    let registry = MemoryRegistry::auto_provision();
    let (batcher, _) = Batcher::spawn(sink.clone(), BatcherConfig::default());
    let clock = Arc::new(ManualClock::new(1_795_507_200_000));
    let jt = ingest::jt808::Gateway::bind(
        ingest::jt808::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        },
        registry.clone(),
        batcher.clone(),
        clock.clone(),
    )
    .await
    .unwrap();
    let hj = ingest::hj212::Gateway::bind(
        ingest::hj212::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        },
        registry,
        batcher,
        clock,
    )
    .await
    .unwrap();
    let (ja, ha, handle) = (
        jt.local_addr().unwrap(),
        hj.local_addr().unwrap(),
        jt.handle(),
    );
    tokio::spawn(jt.run());
    tokio::spawn(hj.run());
    (ja, ha, handle, sink)
}

#[tokio::test]
async fn terminal_logs_in_reports_and_answers_commands() {
    let (addr, _, handle, sink) = gateways().await;
    for version in [Version::V2013, Version::V2019] {
        let phone = if version == Version::V2013 {
            "13911110001"
        } else {
            "13911110002"
        };
        let mut t = Terminal::connect(addr, Identity::new(phone), version)
            .await
            .unwrap();
        t.login().await.unwrap();
        assert_eq!(
            t.report(&Fix::at(34.75, 113.62)).await.unwrap(),
            ResultCode::Success
        );
        assert_eq!(t.heartbeat().await.unwrap(), ResultCode::Success);

        let h = handle.clone();
        let p = phone.to_owned();
        let cmd = tokio::spawn(async move { h.set_report_interval(&p, 10).await });
        loop {
            if let Incoming::Command(_) = t.next().await.unwrap() {
                break;
            }
        }
        assert_eq!(cmd.await.unwrap(), Ok(ResultCode::Success));
        assert_eq!(t.report_interval(), Some(10));

        let h = handle.clone();
        let p = phone.to_owned();
        let q = tokio::spawn(async move { h.query_position(&p).await });
        loop {
            if let Incoming::Command(_) = t.next().await.unwrap() {
                break;
            }
        }
        let fix = q.await.unwrap().unwrap();
        assert!((fix.latitude - 34.75).abs() < 1e-6);
    }
    assert!(sink.records().iter().any(|r| matches!(r, Record::Fix(_))));
}

#[tokio::test]
async fn monitor_uploads_and_handles_time_calibration() {
    let (_, addr, _, sink) = gateways().await;
    let mut m = Monitor::connect(addr, MonitorIdentity::fume("010000A8900016F000000001"))
        .await
        .unwrap();
    let qn = m.upload(&Reading::fume(0.85)).await.unwrap();
    m.request_time_calibration().await.unwrap();
    // The gateway initialises the device with a 1012 set-time request, which the agent answers.
    let mut saw_set_time = false;
    for _ in 0..3 {
        m.send_reading(&Reading::fume(0.9), true).await.unwrap();
        loop {
            match m.next().await.unwrap() {
                HjIncoming::Request {
                    cn: 1012,
                    system_time,
                    ..
                } => {
                    assert!(system_time.is_some());
                    saw_set_time = true;
                }
                HjIncoming::DataAnswer { .. } => break,
                _ => {}
            }
        }
        if saw_set_time {
            break;
        }
    }
    assert!(saw_set_time);
    let stored = sink.records();
    assert!(
        stored
            .iter()
            .any(|r| matches!(r, Record::Reading(r) if r.qn.as_deref() == Some(qn.as_str())))
    );
}

#[tokio::test]
async fn small_load_runs_are_fully_acknowledged() {
    let (jt, hj, _, _) = gateways().await;
    let cfg = LoadConfig {
        addr: jt,
        connections: 20,
        rate: 400.0,
        duration: Duration::from_secs(1),
        connect_concurrency: 8,
        ..LoadConfig::default()
    };
    let r = device_load::run_jt808(cfg.clone()).await;
    assert_eq!((r.connected, r.failed_connections, r.nacked), (20, 0, 0));
    assert!(r.acked > 0);
    let r = device_load::run_hj212(LoadConfig { addr: hj, ..cfg }).await;
    assert_eq!((r.connected, r.failed_connections), (20, 0));
    assert!(r.acked > 0);
}
