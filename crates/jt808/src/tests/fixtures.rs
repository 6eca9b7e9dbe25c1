//! Data-driven conformance tests: every frame of the project's conformance vectors, stored in
//! `test_data/NNN_<id>.txt`, decoded and compared key by key with the expected values.

use crate::error::InvalidFrame;
use crate::frame::{Deviations, Frame, FrameDecoder};
use crate::message::Packet;

use super::support::{dump, fixtures, hex};

fn deviation(name: &str) -> Deviations {
    match name {
        "LITERAL_ESCAPE" => Deviations::LITERAL_ESCAPE,
        "UNESCAPED_CHECKSUM" => Deviations::UNESCAPED_CHECKSUM,
        "UNESCAPED_PAYLOAD" => Deviations::UNESCAPED_PAYLOAD,
        "CHECKSUM_OVER_ESCAPED" => Deviations::CHECKSUM_OVER_ESCAPED,
        "BODY_LENGTH_OVERFLOW" => Deviations::BODY_LENGTH_OVERFLOW,
        other => panic!("unknown deviation {other}"),
    }
}

#[test]
fn all_conformance_frames_decode_as_expected() {
    let fixtures = fixtures();
    assert_eq!(fixtures.len(), 58, "one fixture per conformance frame");
    let mut failures = Vec::new();
    for fx in &fixtures {
        let wire = hex(&fx.hex);
        let expect = fx.get("expect").unwrap_or("ok");
        let result = Frame::parse(&wire);
        // The streaming decoder must agree with the one-shot parse.
        let mut dec = FrameDecoder::new();
        dec.push(&wire);
        let streamed = dec.next_frame().expect("a frame");
        assert_eq!(
            streamed.clone().map_err(|e| e.to_string()),
            result.clone().map_err(|e| e.to_string()),
            "{}",
            fx.name
        );

        match (expect.split_once(' ').unwrap_or((expect, "")), &result) {
            (("invalid", kind), Err(e)) => {
                let got = match e {
                    InvalidFrame::TooShort { .. } => "too_short",
                    InvalidFrame::Checksum { .. } => "checksum",
                    InvalidFrame::BodyLength { .. } => "body_length",
                };
                if got != kind {
                    failures.push(format!("{}: expected invalid {kind}, got {e}", fx.name));
                }
                continue;
            }
            (("invalid", _), Ok(f)) => {
                failures.push(format!("{}: expected rejection, decoded {f:?}", fx.name));
                continue;
            }
            ((_, _), Err(e)) => {
                failures.push(format!("{}: {e}", fx.name));
                continue;
            }
            (("ok", _), Ok(f)) => {
                if !f.deviations.is_empty() {
                    failures.push(format!(
                        "{}: unexpected deviations {:?}",
                        fx.name, f.deviations
                    ));
                }
            }
            (("tolerated", name), Ok(f)) => {
                if f.deviations != deviation(name) {
                    failures.push(format!(
                        "{}: deviations {:?}, want {name}",
                        fx.name, f.deviations
                    ));
                }
            }
            ((other, _), Ok(_)) => panic!("{}: bad expect {other}", fx.name),
        }
        let Ok(frame) = result else { continue };
        let got = dump(&frame);
        for (k, want) in &fx.expect {
            if k == "expect" {
                continue;
            }
            match got.get(k) {
                Some(v) if v == want => {}
                Some(v) => failures.push(format!("{}: {k}: got {v:?}, want {want:?}", fx.name)),
                None => failures.push(format!("{}: {k}: missing in decode", fx.name)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every conformance frame that decodes without deviation re-encodes byte for byte, and every
/// decoded message survives encode → decode. (Message bytes may differ where the codec trims
/// NUL padding, e.g. a plate of 16 NULs.)
#[test]
fn conformance_frames_reencode_identically() {
    for fx in fixtures() {
        let wire = hex(&fx.hex);
        let Ok(frame) = Frame::parse(&wire) else {
            continue;
        };
        if !frame.deviations.is_empty() {
            continue;
        }
        assert_eq!(
            frame.encode().unwrap(),
            wire,
            "{}: frame re-encode",
            fx.name
        );
        if frame.header.package.is_some() {
            continue;
        }
        let Ok(packet) = Packet::from_frame(&frame) else {
            continue;
        };
        let again = Packet::parse(&packet.encode().unwrap()).unwrap();
        assert_eq!(again, packet, "{}: packet re-encode", fx.name);
    }
}

#[test]
fn fixtures_cover_every_message_kind_the_standard_lists() {
    let kinds: std::collections::BTreeSet<String> = fixtures()
        .iter()
        .filter_map(|fx| {
            let frame = Frame::parse(&hex(&fx.hex)).ok()?;
            super::support::dump(&frame).get("message.kind").cloned()
        })
        .collect();
    for k in [
        "Heartbeat",
        "Logout",
        "Register",
        "Authenticate",
        "Location",
        "LocationBatch",
        "LocationQueryResponse",
        "MultimediaEvent",
        "TerminalGeneralResponse",
        "PlatformGeneralResponse",
        "RegisterResponse",
        "TextMessage",
        "Raw",
        "fragment",
    ] {
        assert!(kinds.contains(k), "no fixture decodes to {k}: {kinds:?}");
    }
}
