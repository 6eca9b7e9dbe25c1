//! Criterion benches: HJ 212 CRC, framing + parsing (packets/s), a mixed stream, and the
//! session hot path (frame + parse + auth + event + held 9014 + ack).
//!
//! Target: ≥ 1,000,000 parsed packets per second per core.
//! Run: `cargo bench -p hj212 --bench parse -- --quick`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hj212::{Auth, Event, FramerConfig, InitPlan, Packet, PacketFramer, Session, SessionConfig};

/// A fume-monitor minute upload (216-byte data segment).
const FUME_MIN: &[u8] = b"##0216QN=20240601120000000;ST=31;CN=2051;PW=123456;MN=FUME0001;Flag=5;CP=&&DataTime=20240601115000;a34041-Avg=1.23,a34041-Min=0.50,a34041-Max=2.80,a34041-Flag=N;a34000-Avg=0.80,a34000-Flag=N;a24088-Avg=4.10,a24088-Flag=N&&B7C1\r\n";
/// A construction-dust real-time upload (239 bytes, no CRLF).
const DUST_RT: &[u8] = b"##0239QN=20180821142509000;ST=39;CN=2011;PW=123456;MN=690000D5800028F889221AC0;Flag=4;CP=&&DataTime=20180821142509;a34004-Rtd=0.0;a34002-Rtd=0.0;a34001-Rtd=0.0;LA-Rtd=0.0;a01001-Rtd=0.0;a01002-Rtd=0.0;a01006-Rtd=0.0;a01007-Rtd=0.0;a01008-Rtd=0&&E541";
/// A 2017 fume real-time upload (158 bytes).
const FUME_RT: &[u8] = b"##0158QN=20180531225849000;ST=31;CN=2011;PW=123456;MN=010000A8900016F018010001;Flag=5;CP=&&DataTime=20180531225849;a34041-Rtd=0.00,a34041-Flag=N;SB7-RS=2;SB8-RS=2&&9181\r\n";

fn segment(frame: &[u8]) -> &[u8] {
    &frame[6..frame.len() - 6]
}

fn bench_crc(c: &mut Criterion) {
    let data = segment(FUME_MIN);
    let mut g = c.benchmark_group("crc16");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("slicing_by_8_216B", |b| {
        b.iter(|| hj212::crc::crc16(black_box(data)))
    });
    g.bench_function("bitwise_216B", |b| {
        b.iter(|| hj212::crc::crc16_bitwise(black_box(data)))
    });
    g.finish();
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    g.bench_function("frame+crc+parse/fume_minute_216B", |b| {
        let mut framer = PacketFramer::new(FramerConfig::default());
        b.iter(|| {
            framer.push(black_box(FUME_MIN));
            let raw = framer.next_packet().and_then(Result::ok);
            let p = raw.map(Packet::from_raw);
            black_box(p)
        });
    });
    g.bench_function("frame+crc+parse+factors/fume_minute_216B", |b| {
        let mut framer = PacketFramer::new(FramerConfig::default());
        b.iter(|| {
            framer.push(black_box(FUME_MIN));
            let mut sum = 0i64;
            if let Some(Ok(raw)) = framer.next_packet()
                && let Ok(p) = Packet::from_raw(raw)
            {
                for f in p.cp().factors() {
                    sum += f.avg().and_then(|v| v.to_scaled(3)).unwrap_or(0);
                }
            }
            black_box(sum)
        });
    });
    g.bench_function("parse_only/dust_rt_239B", |b| {
        let data = segment(DUST_RT);
        b.iter(|| black_box(Packet::parse(black_box(data))));
    });
    g.finish();

    // A read holding 100 packets of three kinds, as a busy gateway socket would deliver.
    let mut stream = Vec::new();
    for i in 0..100 {
        stream.extend_from_slice(match i % 3 {
            0 => FUME_MIN,
            1 => DUST_RT,
            _ => FUME_RT,
        });
    }
    let mut g = c.benchmark_group("stream");
    g.throughput(Throughput::Elements(100));
    g.bench_function("100_mixed_packets_one_read", |b| {
        let mut framer = PacketFramer::new(FramerConfig::default());
        b.iter(|| {
            framer.push(black_box(&stream));
            let mut n = 0;
            while let Some(Ok(raw)) = framer.next_packet() {
                if Packet::from_raw(raw).is_ok() {
                    n += 1;
                }
            }
            assert_eq!(n, 100);
            black_box(n)
        });
    });
    g.bench_function("100_mixed_packets_64B_reads", |b| {
        let mut framer = PacketFramer::new(FramerConfig::default());
        b.iter(|| {
            let mut n = 0;
            for chunk in stream.chunks(64) {
                framer.push(black_box(chunk));
                while let Some(Ok(raw)) = framer.next_packet() {
                    if Packet::from_raw(raw).is_ok() {
                        n += 1;
                    }
                }
            }
            assert_eq!(n, 100);
            black_box(n)
        });
    });
    g.finish();
}

fn bench_session(c: &mut Criterion) {
    let mut g = c.benchmark_group("session");
    g.throughput(Throughput::Elements(1));
    g.bench_function("upload+event+ack+9014/fume_minute", |b| {
        let t0 = Instant::now();
        let config = SessionConfig {
            init: InitPlan::none(),
            idle_timeout: Duration::from_secs(1 << 30),
            ..SessionConfig::default()
        };
        let mut s = Session::new(config, |_: &str, _: &str| Auth::Accept, t0);
        // Distinct QNs so that the retransmission filter does not short-circuit.
        let frames: Vec<Vec<u8>> = (0..1000)
            .map(|i| {
                let text = String::from_utf8_lossy(segment(FUME_MIN))
                    .replace("120000000", &format!("120{i:06}"));
                hj212::frame::encode(text.as_bytes()).unwrap_or_default()
            })
            .collect();
        let mut i = 0;
        b.iter(|| {
            s.handle_input(&frames[i % frames.len()], t0);
            i += 1;
            while let Some(ev) = s.poll_event() {
                if let Event::Data(u) = ev
                    && let Some(t) = u.ack_token()
                {
                    s.ack(t);
                }
            }
            black_box(s.poll_transmit())
        });
    });
    g.finish();
}

criterion_group!(benches, bench_crc, bench_parse, bench_session);
criterion_main!(benches);
