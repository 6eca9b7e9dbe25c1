//! Criterion benches for the hot path: 0x0200 location frames decoded (one-shot and through
//! the streaming splitter), encoded, and driven through a session with delayed acks.
//!
//! Run: `cargo bench -p jt808 --bench decode` (`-- --quick` for a short run). Target:
//! ≥ 2,000,000 0x0200 frames/s per core for decode.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jt808::message::general_response::{GeneralResponse, ResultCode};
use jt808::{Event, Frame, FrameDecoder, Header, Message, Packet, Session, SessionConfig};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// SC-0200-basic: 28-byte basic block + mileage + fuel (38-byte body).
const SMALL: &str = "7E0200002611223344556622B8000000010000000200BA7F0E07E4F11C0028003C000018071510101001040000006402020037577E";
/// TR-0200-speed45: a real device, 158-byte body with 14 items (JT/T 1078 and vendor ones).
const REAL: &str = "7e0200009e017721028890061b00000000004c000301d9f2d4073ca28d002b01c2000024011017260501040000023c3001193101162504000000001404000000011504000000041604000000001702000018030000002b0400000000e10400735443e20400001211e30a4e61747572654c696e6be635244f42442d52542c2c35352e3030302c3130332e37382c2c302e302c342c2c2c2c302e3030302c2c31323336302e32382c2c2c0d0aa27e";

fn decode(c: &mut Criterion) {
    let small = hex(SMALL);
    let real = hex(REAL);
    let mut g = c.benchmark_group("decode_0x0200");
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_frame_38b", |b| {
        b.iter(|| {
            let f = Frame::parse(black_box(&small)).expect("frame");
            black_box(Packet::from_frame(&f).expect("packet"))
        })
    });
    g.bench_function("one_frame_158b_real_device", |b| {
        b.iter(|| {
            let f = Frame::parse(black_box(&real)).expect("frame");
            black_box(Packet::from_frame(&f).expect("packet"))
        })
    });
    g.finish();

    // 1,000 frames back to back through the streaming splitter, fed in 4 KiB reads.
    const N: u64 = 1000;
    let mut stream = Vec::new();
    for i in 0..N {
        stream.extend_from_slice(if i % 4 == 0 { &real } else { &small });
    }
    let mut g = c.benchmark_group("decode_stream");
    g.throughput(Throughput::Elements(N));
    g.bench_function("1000_frames_mixed", |b| {
        b.iter(|| {
            let mut dec = FrameDecoder::new();
            let mut n = 0u64;
            for chunk in stream.chunks(4096) {
                dec.push(chunk);
                while let Some(r) = dec.next_frame() {
                    let f = r.expect("frame");
                    black_box(Packet::from_frame(&f).expect("packet"));
                    n += 1;
                }
            }
            assert_eq!(n, N);
        })
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let loc = Packet::parse(&hex(SMALL)).expect("packet");
    let real = Packet::parse(&hex(REAL)).expect("packet");
    let reply = Packet::new(
        loc.header.reply(0x8001, 7),
        Message::PlatformGeneralResponse(GeneralResponse {
            reply_serial: loc.header.serial,
            reply_id: 0x0200,
            result: ResultCode::Success,
        }),
    );
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(1));
    g.bench_function("0x0200_38b", |b| {
        b.iter(|| black_box(loc.encode().expect("encode")))
    });
    g.bench_function("0x0200_158b_real_device", |b| {
        b.iter(|| black_box(real.encode().expect("encode")))
    });
    g.bench_function("0x8001_reply", |b| {
        b.iter(|| black_box(reply.encode().expect("encode")))
    });
    g.finish();
}

fn session(c: &mut Criterion) {
    const N: u64 = 1000;
    let small = Packet::parse(&hex(SMALL)).expect("packet");
    let mut stream = Vec::new();
    for i in 0..N {
        let mut p = small.clone();
        p.header = Header {
            serial: i as u16,
            ..p.header
        };
        stream.extend(p.encode().expect("encode"));
    }
    let mut g = c.benchmark_group("session");
    g.throughput(Throughput::Elements(N));
    g.bench_function("1000_locations_with_ack", |b| {
        let t0 = Instant::now();
        b.iter(|| {
            let cfg = SessionConfig {
                require_auth: false,
                ..SessionConfig::default()
            };
            let mut s = Session::new(cfg, t0);
            let mut acked = 0u64;
            for chunk in stream.chunks(4096) {
                s.handle_input(chunk, t0);
                while let Some(e) = s.poll_event() {
                    if let Event::Location { ack, .. } = e {
                        s.ack(ack, ResultCode::Success).expect("ack");
                        acked += 1;
                    }
                }
                while let Some(out) = s.poll_transmit() {
                    black_box(out);
                }
            }
            assert_eq!(acked, N);
        })
    });
    g.finish();
}

criterion_group!(benches, decode, encode, session);
criterion_main!(benches);
