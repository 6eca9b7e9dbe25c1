//! One test per tolerance decision of `TOLERANCE.md` (T1–T20), in that order.

use crate::error::{DecodeError, FatalError, FrameError, InvalidFrame};
use crate::frame::{Deviations, Frame, FrameConfig, FrameDecoder, MAX_FRAME_LEN, checksum, escape};
use crate::header::{Header, Phone, Version};
use crate::message::items::AdditionalItem;
use crate::message::location::{LocalTime, Location, LocationBasic};
use crate::message::multimedia::MultimediaUploadResponse;
use crate::message::register::{Register, trim_id_padding};
use crate::message::{Authenticate, GeneralResponse, LocationBatch, Message, Packet};

use super::support::hex;

/// Wire bytes for an unescaped header + body, with the correct checksum unless `ck` is given.
fn wire(raw: &[u8], ck: Option<u8>) -> Vec<u8> {
    let mut data = raw.to_vec();
    data.push(ck.unwrap_or_else(|| checksum(raw)));
    let mut out = vec![0x7E];
    out.extend(escape(&data));
    out.push(0x7E);
    out
}

fn phone() -> Phone {
    Phone::from_digits("13912345678").unwrap()
}

fn sample_basic() -> LocationBasic {
    LocationBasic {
        latitude: 22_543_096,
        longitude: 114_057_865,
        speed: 300,
        time: LocalTime {
            year: 2024,
            month: 5,
            day: 6,
            hour: 7,
            minute: 8,
            second: 9,
        },
        ..LocationBasic::default()
    }
}

#[test]
fn t01_junk_before_and_between_frames_is_skipped() {
    let good = hex("7e000200000123456789017fff0a7e");
    let mut stream = b"GET / HTTP/1.1\r\n".to_vec();
    stream.extend(&good);
    stream.extend(b"\x00\x00junk");
    stream.extend(&good);
    let mut dec = FrameDecoder::new();
    dec.push(&stream);
    let mut ok = 0;
    let mut invalid = 0;
    while let Some(r) = dec.next_frame() {
        match r {
            Ok(_) => ok += 1,
            Err(FrameError::Invalid(_)) => invalid += 1,
            Err(FrameError::Fatal(e)) => panic!("{e}"),
        }
    }
    // The junk between two frames sits between two delimiters: one invalid frame, skipped.
    assert_eq!((ok, invalid), (2, 1));
    let mut dec = FrameDecoder::new();
    dec.push(&vec![b'x'; MAX_FRAME_LEN + 10]);
    assert!(matches!(
        dec.next_frame(),
        Some(Err(FrameError::Fatal(FatalError::Garbage { .. })))
    ));
}

#[test]
fn t02_bad_checksum_rejected_unless_checking_is_off() {
    let w = hex("7E0801200500123456789002DE001A00022808000102547E");
    assert_eq!(
        Frame::parse(&w),
        Err(InvalidFrame::Checksum {
            carried: 0x54,
            computed: 0x53
        })
    );
    let lax = FrameConfig {
        verify_checksum: false,
        ..FrameConfig::default()
    };
    let f = Frame::decode_with(&w[1..w.len() - 1], &lax).unwrap();
    assert_eq!(f.deviations, Deviations::CHECKSUM_IGNORED);
    // Length is still checked with checksums off (TR-bad-len-ck: both wrong).
    let w = hex(
        "7E02000032013511221122000700000000000C000301578CC006CA3A5C00470000000014072317201501040000000030011631010BD07E",
    );
    assert!(matches!(
        Frame::decode_with(&w[1..w.len() - 1], &lax),
        Err(InvalidFrame::BodyLength {
            declared: 50,
            actual: 40
        })
    ));
}

#[test]
fn t03_body_length_short_rejected_wrapped_accepted() {
    // GO-neg-body-length: declares 5, carries 4.
    let w = hex("7E0801200500123456789002DE001A000228080001517E");
    assert_eq!(
        Frame::parse(&w),
        Err(InvalidFrame::BodyLength {
            declared: 5,
            actual: 4
        })
    );
    // Declares fewer bytes than present, not by a multiple of 1024: rejected.
    let mut raw = Vec::new();
    Header::new_2013(0x0900, phone(), 1)
        .encode(3, &mut raw)
        .unwrap();
    raw.extend([1, 2, 3, 4]);
    assert_eq!(
        Frame::parse(&wire(&raw, None)),
        Err(InvalidFrame::BodyLength {
            declared: 3,
            actual: 4
        })
    );
    // A 1030-byte body sent unsplit: the 10-bit field says 6.
    let mut raw = Vec::new();
    Header::new_2013(0x0900, phone(), 1)
        .encode(6, &mut raw)
        .unwrap();
    raw.extend(std::iter::repeat_n(0xAB, 1030));
    let f = Frame::parse(&wire(&raw, None)).unwrap();
    assert_eq!(f.body.len(), 1030);
    assert_eq!(f.deviations, Deviations::BODY_LENGTH_OVERFLOW);
}

#[test]
fn t04_invalid_escape_passes_through_when_checksum_agrees() {
    let w = hex(
        "7E0200008201215233475100030000000000000003015A7F6106CF8CEC003D0000000021071311481901040000005630011931011AE10200755D3D0601CC0024990A7dA0032301CC002499099B2941FC01CC002499099B29430B01CC0024990A7dA0290601CC0024990A7dA015FD01CC0026220994506BFFFE157C010400000001F10C000000000000000000000000997E",
    );
    let f = Frame::parse(&w).unwrap();
    assert_eq!(f.deviations, Deviations::LITERAL_ESCAPE);
    assert_eq!(f.body.len(), 130);
    // When the checksum disagrees with the literal reading, the frame is rejected.
    let mut bad = w.clone();
    let n = bad.len();
    bad[n - 2] ^= 0x01;
    assert!(matches!(
        Frame::parse(&bad),
        Err(InvalidFrame::Checksum { .. })
    ));
}

#[test]
fn t05_raw_7d_checksum_before_closing_delimiter() {
    let f = Frame::parse(&hex("7e0002000000000000067900007d7e")).unwrap();
    assert_eq!(f.deviations, Deviations::UNESCAPED_CHECKSUM);
    assert_eq!(Packet::from_frame(&f).unwrap().message, Message::Heartbeat);
}

#[test]
fn t06_device_that_never_escapes_7d() {
    let w = hex(
        "7E020000344EB6FB4AD6280001000000000000000301587D0106CBFF6600000000000026010112000001040000007B30011831010AE80A2003070105019F030190657E",
    );
    let f = Frame::parse(&w).unwrap();
    assert_eq!(f.deviations, Deviations::UNESCAPED_PAYLOAD);
    let Message::Location(loc) = Packet::from_frame(&f).unwrap().message else {
        panic!()
    };
    assert_eq!(loc.basic.latitude, 22_576_385);
    // The raw reading is only taken when both checksum and length verify: corrupt one byte
    // and the frame is rejected instead of being guessed at.
    let mut bad = w.clone();
    bad[20] ^= 0x10;
    assert!(Frame::parse(&bad).is_err());
}

#[test]
fn t07_checksum_computed_over_escaped_bytes() {
    // A heartbeat whose serial is 0x007E: escaped on the wire; the device XORs the wire bytes.
    let mut raw = Vec::new();
    Header::new_2013(0x0002, phone(), 0x007E)
        .encode(0, &mut raw)
        .unwrap();
    let escaped = escape(&raw);
    assert_ne!(checksum(&escaped), checksum(&raw));
    let f = Frame::parse(&wire(&raw, Some(checksum(&escaped)))).unwrap();
    assert_eq!(f.deviations, Deviations::CHECKSUM_OVER_ESCAPED);
    assert_eq!(f.header.serial, 0x007E);
    // A frame without escapable bytes has one checksum only; nothing to tolerate.
    let mut raw = Vec::new();
    Header::new_2013(0x0002, phone(), 5)
        .encode(0, &mut raw)
        .unwrap();
    assert!(Frame::parse(&wire(&raw, Some(checksum(&raw) ^ 1))).is_err());
}

#[test]
fn t08_phone_with_hex_nibbles_is_opaque() {
    let f = Frame::parse(&hex("7E020000344EB6FB4AD6280001000000000000000301587D0106CBFF6600000000000026010112000001040000007B30011831010AE80A2003070105019F030190657E")).unwrap();
    assert_eq!(f.header.phone.digits(), "4eb6fb4ad628");
    assert!(!f.header.phone.is_numeric());
    // Replies carry the same nibbles back.
    let mut out = Vec::new();
    f.header.reply(0x8001, 0).encode(5, &mut out).unwrap();
    assert_eq!(&out[4..10], &hex("4EB6FB4AD628")[..]);
}

#[test]
fn t09_register_2011_with_long_vin_is_not_misread_as_2013() {
    let r = Register {
        version: Version::V2011,
        province: 44,
        city: 300,
        manufacturer: "ABCDE".into(),
        model: "M1".into(),
        terminal_id: "T000001".into(),
        plate_color: Register::COLOR_NONE,
        plate: "LFV2A21K5A3000001".into(), // a VIN: 25 + 17 = 42 bytes > 36
    };
    let mut body = Vec::new();
    r.encode(&mut body).unwrap();
    assert_eq!(body.len(), 42);
    let d = Register::decode(&body, Version::V2013).unwrap();
    assert_eq!(d, r, "length alone (> 36) would have said 2013");
    // A genuine 2013 body of the same length stays 2013.
    let r13 = Register {
        version: Version::V2013,
        model: "M1".into(),
        plate: "粤A1234".into(),
        plate_color: 2,
        ..r.clone()
    };
    let mut body = Vec::new();
    r13.encode(&mut body).unwrap();
    assert_eq!(Register::decode(&body, Version::V2013).unwrap(), r13);
    // Too short for even the 2011 fixed part.
    assert!(matches!(
        Register::decode(&body[..20], Version::V2013),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn t10_text_padding_and_invalid_gbk() {
    // NUL padding on both sides is trimmed, '0' padding is kept but can be stripped.
    let mut body = vec![0, 1, 0, 2];
    body.extend([0u8; 11]); // manufacturer: all NUL
    body.extend(format!("{:0>30}", "MD300").as_bytes()); // model, '0'-padded in front
    let mut tid = vec![0u8; 4]; // terminal id: NUL, then '0' padding
    tid.extend(format!("{:0>26}", "CHI123").as_bytes());
    body.extend(&tid);
    body.push(1);
    body.extend([0xD4, 0xC1, b'A', 0xFF, 0x00, 0x00]); // plate with an invalid GBK byte + NUL tail
    let r = Register::decode(&body, Version::V2019).unwrap();
    assert_eq!(r.manufacturer, "");
    assert_eq!(r.model, format!("{:0>30}", "MD300"));
    assert_eq!(trim_id_padding(&r.model), "MD300");
    assert_eq!(trim_id_padding(&r.terminal_id), "CHI123");
    assert!(r.plate.starts_with("粤A"), "{}", r.plate);
    assert!(
        r.plate.contains('\u{FFFD}'),
        "invalid GBK becomes U+FFFD, not an error"
    );
}

#[test]
fn t11_bcd_time_non_decimal_is_a_body_error_zero_time_is_accepted() {
    let mut body = Vec::new();
    sample_basic().encode(&mut body).unwrap();
    body[22..28].copy_from_slice(&[0, 0, 0, 0, 0, 0]);
    let loc = Location::decode(&body).unwrap();
    assert_eq!(loc.basic.time.to_string(), "2000-00-00 00:00:00");
    assert!(!loc.basic.time.is_valid());
    body[23] = 0x1A;
    assert_eq!(
        Location::decode(&body),
        Err(DecodeError::Bcd {
            field: "location.time",
            byte: 0x1A
        })
    );
}

#[test]
fn t12_items_unknown_wrong_length_and_truncated_tail() {
    let mut body = Vec::new();
    sample_basic().encode(&mut body).unwrap();
    body.extend([0x01, 0x02, 0xAA, 0xBB]); // mileage with 2 bytes instead of 4
    body.extend([0xE6, 0x03, 1, 2, 3]); // vendor item
    body.extend([0x30, 0x01, 0x1F]); // signal strength
    body.extend([0x31, 0x05, 0x01]); // length points past the end
    let loc = Location::decode(&body).unwrap();
    assert_eq!(
        loc.items,
        vec![
            AdditionalItem::Unknown {
                id: 0x01,
                value: vec![0xAA, 0xBB]
            },
            AdditionalItem::Unknown {
                id: 0xE6,
                value: vec![1, 2, 3]
            },
            AdditionalItem::SignalStrength(0x1F),
        ]
    );
    assert_eq!(loc.trailing, vec![0x31, 0x05, 0x01]);
    let mut again = Vec::new();
    loc.encode(&mut again).unwrap();
    assert_eq!(again, body, "lossless");
}

#[test]
fn t13_trailing_bytes_after_fixed_bodies_are_ignored() {
    let r = GeneralResponse::decode(&hex("007b01c80399")).unwrap();
    assert_eq!((r.reply_serial, r.reply_id), (123, 0x01C8));
    assert_eq!(
        Message::decode(0x0002, Version::V2013, &[0, 0]).unwrap(),
        Message::Heartbeat
    );
    assert!(crate::MultimediaEvent::decode(&hex("0000007b00000701ffff")).is_ok());
}

#[test]
fn t14_unknown_ids_and_encrypted_bodies_are_raw() {
    for id in [0x5501u16, 0x2070, 0x0210, 0x6006, 0x1007, 0x0900] {
        let m = Message::decode(id, Version::V2013, &[1, 2, 3]).unwrap();
        assert_eq!(
            m,
            Message::Raw {
                id,
                body: vec![1, 2, 3]
            }
        );
    }
    let f = Frame::parse(&hex("7E0801040500123456789002DE001A000221757E")).unwrap();
    assert_eq!(f.header.encryption, 1);
    let p = Packet::from_frame(&f).unwrap();
    assert_eq!(
        p.message,
        Message::Raw {
            id: 0x0801,
            body: hex("001a000221")
        }
    );
}

#[test]
fn t15_altitude_is_signed() {
    let basic = LocationBasic {
        altitude: -154,
        ..sample_basic()
    };
    let mut body = Vec::new();
    basic.encode(&mut body).unwrap();
    assert_eq!(&body[16..18], &[0xFF, 0x66]);
    assert_eq!(LocationBasic::decode(&body).unwrap().altitude, -154);
}

#[test]
fn t16_short_2019_auth_body() {
    let a = Authenticate::decode(&hex("05343536313231323334"), Version::V2019).unwrap();
    assert_eq!(
        (
            a.code.as_str(),
            a.imei.as_str(),
            a.software_version.as_str()
        ),
        ("45612", "1234", "")
    );
    let a = Authenticate::decode(&hex("053435363132"), Version::V2019).unwrap();
    assert_eq!(a.code, "45612");
    assert!(Authenticate::decode(&hex("09343536"), Version::V2019).is_err());
    // The SC body-only 2019 vector.
    let a = Authenticate::decode(
        &hex("05343536313231323334353637383930616263646576322E302E300000000000000000000000000000"),
        Version::V2019,
    )
    .unwrap();
    assert_eq!(
        (
            a.code.as_str(),
            a.imei.as_str(),
            a.software_version.as_str()
        ),
        ("45612", "1234567890abcde", "v2.0.0")
    );
}

#[test]
fn t17_batch_with_missing_items_is_a_message_error() {
    let loc = Location::new(sample_basic());
    let batch = LocationBatch {
        kind: 1,
        locations: vec![loc.clone(), loc],
    };
    let mut body = Vec::new();
    batch.encode(&mut body).unwrap();
    body[1] = 3; // claims three items
    assert!(matches!(
        LocationBatch::decode(&body),
        Err(DecodeError::Truncated { .. })
    ));
    body[1] = 1; // claims one: the rest is ignored
    assert_eq!(LocationBatch::decode(&body).unwrap().locations.len(), 1);
}

// T18 (subpackage tolerance) is covered in `tests::reassembly`.

#[test]
fn t19_frames_sharing_one_delimiter() {
    // …7E frame 7E frame 7E… with a single delimiter between the frames.
    let a = hex("7e000200000123456789017fff0a7e");
    let b = hex("7E00020000012345678900000A817E");
    let mut stream = a.clone();
    stream.extend(&b[1..]);
    let mut dec = FrameDecoder::new();
    dec.push(&stream);
    assert_eq!(dec.next_frame().unwrap().unwrap().header.serial, 0x7FFF);
    assert_eq!(dec.next_frame().unwrap().unwrap().header.serial, 10);
    assert_eq!(dec.next_frame(), None);
}

#[test]
fn t20_multimedia_response_without_missing_packets() {
    let r = MultimediaUploadResponse {
        media_id: 7,
        retransmit: vec![],
    };
    let mut out = Vec::new();
    r.encode(&mut out).unwrap();
    assert_eq!(out, hex("00000007"));
    assert_eq!(MultimediaUploadResponse::decode(&out).unwrap(), r);
    let r = MultimediaUploadResponse {
        media_id: 7,
        retransmit: vec![2, 5],
    };
    let mut out = Vec::new();
    r.encode(&mut out).unwrap();
    assert_eq!(out, hex("0000000702 0002 0005"));
}
