//! Property tests: CRC fast path = reference, build → parse round trips, any bytes never panic,
//! chunking invariance, bounded buffering and resync after garbage.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::command::Flag;
use crate::cp::CpBuf;
use crate::crc::{crc16, crc16_bitwise};
use crate::frame::{FrameError, FramerConfig, MAX_PACKET_LEN, PacketFramer, RawPacket};
use crate::{
    Auth, Command, DateTime, Decimal, Packet, PacketBuilder, Session, SessionConfig, Version,
};

#[derive(Debug, Clone)]
struct Spec {
    qn: Option<String>,
    st: Option<String>,
    cn: u16,
    pw: Option<String>,
    mn: Option<String>,
    flag: Option<u8>,
    split: Option<(u16, u16)>,
    items: Vec<Vec<(String, String)>>,
}

fn key() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9]{0,6}(-[A-Za-z]{1,8})?"
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{1,8}(\\.[0-9]{1,6})?",
        "[A-Za-z0-9 ._:/=-]{0,12}".prop_filter("unclosed //", |v| !v.starts_with("//")),
        "//[A-Za-z0-9 :]{0,8}//",
        "[0-9]{14}",
        "风机[一-龥]{0,3}",
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_=#-]{0,24}"
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::option::of("[0-9]{14,18}"),
        proptest::option::of("[0-9A-Z]{2}"),
        0u16..=9999,
        proptest::option::of(header_value()),
        proptest::option::of(header_value()),
        proptest::option::of(any::<u8>()),
        proptest::option::of((1u16..=9999, 1u16..=9999)),
        proptest::collection::vec(proptest::collection::vec((key(), value()), 1..4), 0..6),
    )
        .prop_map(|(qn, st, cn, pw, mn, flag, split, items)| Spec {
            qn,
            st,
            cn,
            pw,
            mn,
            flag,
            split,
            items,
        })
}

fn build(spec: &Spec) -> Vec<u8> {
    let mut b = PacketBuilder::new(Command::from_code(spec.cn));
    if let Some(v) = &spec.qn {
        b = b.qn(v);
    }
    if let Some(v) = &spec.st {
        b = b.st(v);
    }
    if let Some(v) = &spec.pw {
        b = b.pw(v);
    }
    if let Some(v) = &spec.mn {
        b = b.mn(v);
    }
    if let Some(v) = spec.flag {
        b = b.flag(Flag(v));
    }
    if let Some((n, o)) = spec.split {
        b = b.split(n, o);
    }
    for item in &spec.items {
        let pairs: Vec<(&str, &str)> = item.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b = b.item(&pairs);
    }
    b.build().unwrap()
}

/// Everything a framer emits for `chunks`, with packets as their data segment.
fn run_framer(config: FramerConfig, chunks: &[&[u8]]) -> (Vec<Result<Vec<u8>, FrameError>>, usize) {
    let mut framer = PacketFramer::new(config);
    let mut out = Vec::new();
    let mut max_buffered = 0;
    for c in chunks {
        framer.push(c);
        while let Some(item) = framer.next_packet() {
            out.push(item.map(RawPacket::into_data));
        }
        max_buffered = max_buffered.max(framer.buffered());
    }
    (out, max_buffered)
}

fn split_at_points<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut last = 0;
    for c in cuts {
        chunks.push(&bytes[last..c]);
        last = c;
    }
    chunks.push(&bytes[last..]);
    chunks
}

/// A stream piece: a valid packet, a packet with a broken CRC, a truncated packet, garbage or a
/// line break.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => spec().prop_map(|s| build(&s)),
        1 => spec().prop_map(|s| {
            let mut b = build(&s);
            let n = b.len();
            b[n - 3] ^= 0x01;
            b
        }),
        1 => (spec(), any::<prop::sample::Index>()).prop_map(|(s, i)| {
            let b = build(&s);
            let cut = i.index(b.len());
            b[..cut].to_vec()
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
        1 => proptest::collection::vec(prop_oneof![Just(b'#'), Just(b'0'), Just(b'\r'), Just(b'\n'), Just(b'9')], 0..12),
    ]
}

fn configs() -> impl Strategy<Value = FramerConfig> {
    (any::<bool>(), any::<bool>(), 0usize..3).prop_map(|(crlf, modbus, g)| FramerConfig {
        max_data_len: if crlf { 1024 } else { 4096 },
        require_crlf: crlf,
        accept_modbus_crc: modbus,
        max_garbage: [64, 512, 4096][g],
    })
}

/// 256 cases by default; `PROPTEST_CASES=n` runs more.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn crc_fast_path_equals_reference(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assert_eq!(crc16(&data), crc16_bitwise(&data));
    }

    #[test]
    fn build_then_parse_round_trips(s in spec()) {
        let bytes = build(&s);
        let p = Packet::decode(&bytes).unwrap();
        prop_assert_eq!(p.qn(), s.qn.as_deref());
        prop_assert_eq!(p.st(), s.st.as_deref());
        prop_assert_eq!(p.cn().code(), s.cn);
        prop_assert_eq!(p.pw(), s.pw.as_deref());
        prop_assert_eq!(p.mn(), s.mn.as_deref());
        prop_assert_eq!(p.flag(), s.flag.map(Flag));
        prop_assert_eq!(p.pnum(), s.split.map(|x| x.0));
        prop_assert_eq!(p.pno(), s.split.map(|x| x.1));
        let expected: Vec<(usize, &str, &str)> = s
            .items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| item.iter().map(move |(k, v)| (i, k.as_str(), v.as_str())))
            .collect();
        let got: Vec<(usize, &str, &str)> =
            p.cp().pairs().map(|x| (x.item, x.key, x.value.as_str())).collect();
        prop_assert_eq!(got, expected);
        // Re-framing the parsed packet gives the same bytes.
        prop_assert_eq!(p.to_frame().unwrap(), bytes);
    }

    /// The 9013 / 9014 written straight into one buffer are the builder's bytes.
    #[test]
    fn fast_empty_replies_equal_the_builder(s in spec(), v in 0u8..64) {
        let p = Packet::decode(&build(&s)).unwrap();
        let version = Version::from_bits(v);
        prop_assert_eq!(
            crate::encode::data_answer(&p, version),
            crate::encode::reply_to(&p, Command::DataAnswer, version).build()
        );
        prop_assert_eq!(
            crate::encode::notification_answer(&p, version),
            crate::encode::reply_to(&p, Command::NotificationAnswer, version).build()
        );
    }

    #[test]
    fn decimal_display_round_trips(m in any::<i64>(), scale in 0u8..=18) {
        let d = Decimal::new(m, scale).unwrap();
        let back = Decimal::parse(&d.to_string()).unwrap();
        prop_assert_eq!((back.mantissa(), back.scale()), (m, scale));
    }

    #[test]
    fn datetime_epoch_round_trips(ms in -62_135_596_800_000i64..253_402_300_799_999) {
        let t = DateTime::from_epoch_millis(ms).unwrap();
        prop_assert_eq!(t.to_epoch_millis(), ms);
        prop_assert_eq!(DateTime::parse(&t.to_qn()).unwrap(), t);
    }

    #[test]
    fn any_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        points in proptest::collection::vec(any::<usize>(), 0..8),
        config in configs(),
    ) {
        let chunks = split_at_points(&bytes, &points);
        let (_, max_buffered) = run_framer(config, &chunks);
        prop_assert!(max_buffered <= MAX_PACKET_LEN);
        let _ = Packet::parse(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = CpBuf::parse(&text);
        let _ = Decimal::parse(&text);
        let _ = DateTime::parse(&text);
        let t0 = Instant::now();
        let mut session = Session::new(SessionConfig::default(), |_: &str, _: &str| Auth::Accept, t0);
        for (i, c) in chunks.iter().enumerate() {
            session.handle_input(c, t0 + Duration::from_millis(i as u64));
            while session.poll_event().is_some() {}
            while session.poll_transmit().is_some() {}
        }
        session.handle_timeout(t0 + Duration::from_secs(3600));
    }

    #[test]
    fn packet_parser_never_panics_on_packet_like_text(
        s in "(QN|ST|CN|PW|MN|Flag|PNUM|PNO|CP|x)=[0-9A-Za-z&;,=/-]{0,12}(;(QN|CN|Flag|PNO|CP)=[0-9&;,=/a-z-]{0,16}){0,6}",
    ) {
        let _ = Packet::parse(s.as_bytes());
    }

    #[test]
    fn chunking_does_not_change_the_output(
        pieces in proptest::collection::vec(piece(), 0..8),
        points in proptest::collection::vec(any::<usize>(), 0..12),
        config in configs(),
    ) {
        let stream: Vec<u8> = pieces.concat();
        let (whole, _) = run_framer(config, &[&stream]);
        let chunks = split_at_points(&stream, &points);
        let (chunked, max_buffered) = run_framer(config, &chunks);
        prop_assert_eq!(&whole, &chunked);
        let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
        let (bytewise, _) = run_framer(config, &bytewise);
        prop_assert_eq!(&whole, &bytewise);
        prop_assert!(max_buffered <= MAX_PACKET_LEN);
    }

    #[test]
    fn resyncs_after_garbage_without_hash(
        garbage in proptest::collection::vec(any::<u8>().prop_filter("no #", |b| *b != b'#'), 0..300),
        s in spec(),
    ) {
        let packet = build(&s);
        let mut stream = garbage.clone();
        stream.extend_from_slice(&packet);
        let (out, _) = run_framer(FramerConfig::lenient(), &[&stream]);
        prop_assert_eq!(out.len(), 1);
        prop_assert_eq!(out[0].as_ref().unwrap().as_slice(), &packet[6..packet.len() - 6]);
    }

    #[test]
    fn valid_packets_survive_any_interleaved_noise(
        before in piece(),
        specs in proptest::collection::vec(spec(), 1..5),
    ) {
        // Every valid packet after a broken piece and a line break is recovered, unless the
        // broken piece declared a length that swallows it (then the framer skips and rescans).
        let packets: Vec<Vec<u8>> = specs.iter().map(build).collect();
        let mut stream = before;
        stream.extend_from_slice(b"\r\n");
        for p in &packets {
            stream.extend_from_slice(p);
        }
        let (out, _) = run_framer(FramerConfig::lenient(), &[&stream]);
        // A noise piece that declares an over-long length loses the stream by design.
        prop_assume!(!out.iter().any(|r| matches!(r, Err(FrameError::Fatal(_)))));
        let got: Vec<&Vec<u8>> = out.iter().filter_map(|r| r.as_ref().ok()).collect();
        let last = packets.last().unwrap();
        prop_assert!(got.iter().any(|g| g.as_slice() == &last[6..last.len() - 6]));
    }
}

/// Regression (found by `cargo fuzz run hj212_packet`): a complete frame whose CRC matches
/// but which holds a complete, valid frame inside its extent was accepted when it arrived in
/// one piece, and reported as truncated (with the inner frame delivered) when it arrived in
/// small pieces. Both now give the second reading.
#[test]
fn valid_frame_holding_an_embedded_frame_is_chunking_invariant() {
    let inner = crate::frame::encode(b"").unwrap();
    let mut data = b"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=A;".to_vec();
    data.extend_from_slice(&inner);
    data.extend_from_slice(b"qqqq");
    let outer = crate::frame::encode(&data).unwrap();
    let config = FramerConfig::default();
    let (whole, _) = run_framer(config, &[&outer]);
    let bytes: Vec<&[u8]> = outer.chunks(1).collect();
    let (chunked, _) = run_framer(config, &bytes);
    assert_eq!(whole, chunked);
    assert!(
        matches!(whole.first(), Some(Err(FrameError::Invalid(_)))),
        "{whole:?}"
    );
    assert_eq!(whole.get(1), Some(&Ok(Vec::new())), "{whole:?}");
}

/// Regressions (inputs found by `cargo fuzz run hj212_packet`, first byte = chunk size − 1):
/// whole and chunked framing must agree. The second one needed embedded-frame candidates to
/// be decided in stream order: a later candidate must not win while an earlier one that may
/// still complete inside the broken frame's extent is waiting for bytes.
#[test]
fn fuzz_inputs_frame_the_same_whole_and_chunked() {
    for input in [
        &include_bytes!("../../test_data/fuzz/valid-frame-with-embedded-frame.bin")[..],
        &include_bytes!("../../test_data/fuzz/embedded-candidate-order.bin")[..],
    ] {
        let (first, data) = input.split_first().unwrap();
        let config = FramerConfig::default();
        let (whole, _) = run_framer(config, &[data]);
        for size in [usize::from(first % 64) + 1, 1, 7] {
            let chunks: Vec<&[u8]> = data.chunks(size).collect();
            let (chunked, _) = run_framer(config, &chunks);
            assert_eq!(whole, chunked, "chunk size {size}");
        }
    }
}

/// A header value holding `&&` (it parses: only `CP=` opens the data area) cannot be echoed;
/// the fast reply path refuses it with the builder's error.
#[test]
fn fast_reply_refuses_what_the_builder_refuses() {
    let seg = b"QN=20240601120000001;ST=31;CN=2011;PW=1&&2;MN=A&&B;Flag=5;CP=&&a01-Rtd=1&&";
    let p = Packet::parse(seg).unwrap();
    for version in [
        Version::V2005,
        Version::V2017,
        Version::V2025,
        Version::Other(63),
    ] {
        let fast = crate::encode::data_answer(&p, version);
        assert!(fast.is_err());
        assert_eq!(
            fast,
            crate::encode::reply_to(&p, Command::DataAnswer, version).build()
        );
    }
    let bare = Packet::parse(b"CN=9015;CP=&&&&").unwrap();
    assert_eq!(
        crate::encode::data_answer(&bare, Version::V2017).unwrap(),
        crate::encode::reply_to(&bare, Command::DataAnswer, Version::V2017)
            .build()
            .unwrap()
    );
}
