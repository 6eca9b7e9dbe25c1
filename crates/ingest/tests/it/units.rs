//! Batcher, sinks and record encoding.

use ingest::{
    BatchError, Batcher, BatcherConfig, FactorReading, FileSink, Hj212Notice, Hj212NoticeKind,
    Hj212Reading, MediaData, MemorySink, Record, TerminalEvent, TerminalEventKind, VehicleFix,
};

fn fix(n: i64) -> VehicleFix {
    VehicleFix {
        phone: "13900000001".into(),
        received_at: n,
        device_time: Some(n - 5),
        latitude: -34.5,
        longitude: 113.25,
        speed_kmh: 35.6,
        heading: 359,
        altitude_m: -154,
        alarm: 0x8000_0001,
        status: 3,
        mileage_m: Some(1_234_500),
        backfill: n % 2 == 0,
        extra: vec![(0x01, vec![0, 0, 48, 57]), (0xE1, vec![])],
    }
}

fn samples() -> Vec<Record> {
    vec![
        Record::Fix(fix(1)),
        Record::Terminal(TerminalEvent {
            phone: "1".into(),
            at: 2,
            kind: TerminalEventKind::Registered {
                manufacturer: "M".into(),
                model: "X".into(),
                terminal_id: "T".into(),
                plate: "豫A12345".into(),
                plate_color: 2,
            },
        }),
        Record::Terminal(TerminalEvent {
            phone: "1".into(),
            at: 3,
            kind: TerminalEventKind::Offline {
                reason: "idle".into(),
            },
        }),
        Record::Media(MediaData {
            phone: "1".into(),
            received_at: 4,
            media_id: 9,
            media_type: 0,
            format: 0,
            event: 1,
            channel: 1,
            fix: fix(4),
            data: vec![0xFF, 0xD8, 0xFF],
        }),
        Record::Reading(Hj212Reading {
            mn: "010000A8900016F018010001".into(),
            qn: Some("20180531225849000".into()),
            st: Some("31".into()),
            cn: 2011,
            data_time: Some(1_527_778_129_000),
            received_at: 5,
            factors: vec![FactorReading {
                code: "a34041".into(),
                fields: vec![("Rtd".into(), "0.00".into()), ("Flag".into(), "N".into())],
            }],
            params: vec![("DataTime".into(), "20180531225849".into())],
        }),
        Record::Notice(Hj212Notice {
            mn: "M".into(),
            at: 6,
            kind: Hj212NoticeKind::TimeCalibrationRequest,
        }),
    ]
}

#[test]
fn wire_round_trip() {
    for r in samples() {
        let mut buf = Vec::new();
        ingest::wire::encode(&r, &mut buf);
        assert_eq!(ingest::wire::decode(&buf).unwrap(), r);
        // Truncated input is an error, never a panic.
        for cut in 0..buf.len() {
            assert!(ingest::wire::decode(&buf[..cut]).is_err());
        }
    }
}

#[tokio::test]
async fn file_sink_appends_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.bin");
    let sink = FileSink::open(&path).unwrap();
    let (batcher, _) = Batcher::spawn(sink, BatcherConfig::default());
    batcher.write(samples()).await.unwrap();
    batcher.write(vec![Record::Fix(fix(7))]).await.unwrap();
    let mut expect = samples();
    expect.push(Record::Fix(fix(7)));
    assert_eq!(FileSink::read_all(&path).unwrap(), expect);
    // A torn tail is ignored.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&[200, 0, 0, 0, 1, 2]);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(FileSink::read_all(&path).unwrap().len(), 7);
}

#[tokio::test]
async fn batcher_groups_queued_jobs_into_one_write() {
    let sink = MemorySink::new();
    let (batcher, _) = Batcher::spawn(sink.clone(), BatcherConfig::default());
    sink.pause();
    // While the sink is blocked the jobs queue up and are written together.
    let first = batcher.submit(vec![Record::Fix(fix(0))]).await.unwrap();
    let mut rest = Vec::new();
    for i in 1..=100 {
        rest.push(batcher.submit(vec![Record::Fix(fix(i))]).await.unwrap());
    }
    sink.resume();
    first.wait().await.unwrap();
    for c in rest {
        c.wait().await.unwrap();
    }
    let sizes = sink.batch_sizes();
    assert_eq!(sizes.iter().sum::<usize>(), 101);
    assert!(sizes.len() <= 3, "jobs were not grouped: {sizes:?}");
    // Order is submission order.
    let order: Vec<i64> = sink
        .records()
        .into_iter()
        .map(|r| match r {
            Record::Fix(f) => f.received_at,
            _ => -1,
        })
        .collect();
    assert_eq!(order, (0..=100).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_failing_batch_fails_every_job_in_it() {
    let sink = MemorySink::new();
    let (batcher, _) = Batcher::spawn(sink.clone(), BatcherConfig::default());
    sink.fail_with("constraint");
    let a = batcher.submit(vec![Record::Fix(fix(1))]).await.unwrap();
    let b = batcher.submit(vec![Record::Fix(fix(2))]).await.unwrap();
    assert!(matches!(a.wait().await, Err(BatchError::Sink(_))));
    assert!(matches!(b.wait().await, Err(BatchError::Sink(_))));
    assert!(sink.is_empty());
}
