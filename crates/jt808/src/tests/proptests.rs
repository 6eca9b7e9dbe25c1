//! Property tests: round-trips, escaping, "any bytes never panic", chunking invariance.

use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;

use crate::error::FrameError;
use crate::frame::{Frame, FrameDecoder, MAX_FRAME_LEN, escape, unescape};
use crate::header::Version;
use crate::message::{Message, Packet, id};
use crate::session::{Event, Session, SessionConfig};

use super::strategies;

/// Splits `bytes` at the given cut points (taken modulo the length).
fn chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::new();
    let mut last = 0;
    for p in points {
        out.push(bytes[last..p].to_vec());
        last = p;
    }
    out.push(bytes[last..].to_vec());
    out
}

fn drain(dec: &mut FrameDecoder) -> Vec<Result<Frame, FrameError>> {
    std::iter::from_fn(|| dec.next_frame()).collect()
}

/// Feeds chunks to a session, then answers every event; returns the events (reduced to
/// comparable strings) and all frames sent. Answers come after all input so that their
/// order does not depend on the chunking.
fn run_session(chunks: &[Vec<u8>]) -> (Vec<String>, Vec<Vec<u8>>) {
    let t0 = Instant::now();
    let cfg = SessionConfig {
        require_auth: false,
        ..SessionConfig::default()
    };
    let mut s = Session::new(cfg, t0);
    let mut events = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        s.handle_input(c, t0 + Duration::from_millis(i as u64));
        events.extend(std::iter::from_fn(|| s.poll_event()));
    }
    let mut names = Vec::new();
    for e in events {
        match e {
            Event::Location { ack, .. }
            | Event::LocationBatch { ack, .. }
            | Event::Multimedia { ack, .. } => {
                s.ack(ack, crate::ResultCode::Success).unwrap();
                names.push("report".to_owned());
            }
            Event::RegisterRequest { token, .. } => {
                s.accept_register(token, "code").unwrap();
                names.push("register".to_owned());
            }
            Event::AuthRequest { token, .. } => {
                s.answer_auth(token, true).unwrap();
                names.push("auth".to_owned());
            }
            other => names.push(format!("{other:?}")),
        }
    }
    (names, std::iter::from_fn(|| s.poll_transmit()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// decode(encode(m)) == m for every message type, in the edition it was generated for.
    #[test]
    fn message_roundtrip_2013(m in strategies::message(Version::V2013)) {
        let body = m.to_body(Version::V2013).unwrap();
        prop_assert_eq!(Message::decode(m.id(), Version::V2013, &body).unwrap(), m);
    }

    #[test]
    fn message_roundtrip_2019(m in strategies::message(Version::V2019)) {
        let body = m.to_body(Version::V2019).unwrap();
        prop_assert_eq!(Message::decode(m.id(), Version::V2019, &body).unwrap(), m);
    }

    /// Whole packets through the wire: header, escaping, checksum, body.
    #[test]
    fn packet_roundtrip(p in strategies::packet()) {
        let wire = p.encode().unwrap();
        prop_assert_eq!(wire.first(), Some(&0x7E));
        prop_assert_eq!(wire.last(), Some(&0x7E));
        prop_assert!(!wire[1..wire.len() - 1].contains(&0x7E));
        let frame = Frame::parse(&wire).unwrap();
        prop_assert!(frame.deviations.is_empty());
        prop_assert_eq!(Packet::from_frame(&frame).unwrap(), p);
    }

    #[test]
    fn unescape_inverts_escape(b in vec(any::<u8>(), 0..600)) {
        let e = escape(&b);
        prop_assert!(!e.contains(&0x7E));
        prop_assert_eq!(unescape(&e), b);
    }

    /// Arbitrary bytes: no panic anywhere, and at most MAX_FRAME_LEN buffered after draining.
    #[test]
    fn arbitrary_bytes_never_panic(input in vec(vec(any::<u8>(), 0..700), 0..12)) {
        let mut dec = FrameDecoder::new();
        for chunk in &input {
            dec.push(chunk);
            while let Some(r) = dec.next_frame() {
                if let Ok(f) = r {
                    let _ = Packet::from_frame(&f);
                }
            }
            prop_assert!(dec.buffered_len() <= MAX_FRAME_LEN);
        }
        let _ = run_session(&input);
    }

    /// Biased toward delimiters and escapes, which exercise the splitter's corner cases.
    #[test]
    fn delimiter_heavy_bytes_never_panic(
        input in vec(prop_oneof![Just(0x7Eu8), Just(0x7D), Just(0x01), Just(0x02), any::<u8>()], 0..3000),
    ) {
        let mut dec = FrameDecoder::new();
        dec.push(&input);
        while let Some(r) = dec.next_frame() {
            if let Ok(f) = r {
                let _ = Packet::from_frame(&f);
            }
        }
        prop_assert!(dec.buffered_len() <= MAX_FRAME_LEN);
        let _ = run_session(&[input]);
    }

    /// Any body bytes under any modelled id decode or fail cleanly.
    #[test]
    fn arbitrary_bodies_never_panic(msg_id in prop_oneof![
        Just(id::TERMINAL_GENERAL_RESPONSE), Just(id::REGISTER), Just(id::AUTHENTICATE),
        Just(id::LOCATION), Just(id::LOCATION_QUERY_RESPONSE), Just(id::LOCATION_BATCH),
        Just(id::MULTIMEDIA_EVENT), Just(id::MULTIMEDIA_UPLOAD), Just(id::REGISTER_RESPONSE),
        Just(id::SET_PARAMETERS), Just(id::TEXT_MESSAGE), Just(id::MULTIMEDIA_UPLOAD_RESPONSE),
    ], v in strategies::version(), body in vec(any::<u8>(), 0..400)) {
        let _ = Message::decode(msg_id, v, &body);
    }

    /// A stream of packets with junk between them, split at arbitrary points, yields the same
    /// results as the stream fed whole; the packets come out intact.
    #[test]
    fn chunking_invariance(
        packets in vec(strategies::packet(), 1..6),
        junk in vec(vec(any::<u8>().prop_filter("no delimiter", |b| *b != 0x7E), 0..8), 6),
        cuts in vec(any::<usize>(), 0..20),
    ) {
        let mut stream = Vec::new();
        for (p, j) in packets.iter().zip(&junk) {
            stream.extend(j);
            stream.extend(p.encode().unwrap());
        }
        let mut whole = FrameDecoder::new();
        whole.push(&stream);
        let expected = drain(&mut whole);

        let mut split = FrameDecoder::new();
        let mut got = Vec::new();
        for c in chunks(&stream, &cuts) {
            split.push(&c);
            got.extend(drain(&mut split));
        }
        prop_assert_eq!(&got, &expected);

        let decoded: Vec<Packet> = expected
            .into_iter()
            .filter_map(Result::ok)
            .map(|f| Packet::from_frame(&f).unwrap())
            .collect();
        prop_assert_eq!(decoded, packets);
    }

    /// The session's events and replies do not depend on how input was chunked either.
    #[test]
    fn session_chunking_invariance(
        packets in vec(strategies::packet(), 1..5),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let mut stream = Vec::new();
        for p in &packets {
            stream.extend(p.encode().unwrap());
        }
        let whole = run_session(std::slice::from_ref(&stream));
        let split = run_session(&chunks(&stream, &cuts));
        prop_assert_eq!(whole, split);
    }
}
