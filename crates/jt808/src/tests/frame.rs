//! Frame-layer tests: escaping, checksum, the stream splitter (conformance section I) and
//! header vectors (section J).

use crate::error::{FatalError, FrameError, InvalidFrame};
use crate::frame::{
    Deviations, Frame, FrameConfig, FrameDecoder, MAX_FRAME_LEN, checksum, escape, unescape,
};
use crate::header::{Header, Package, Phone, Version};
use crate::message::{Message, Packet};

use super::support::{hex, table, to_hex};

#[test]
fn standard_escaping_example() {
    // JT/T 808 §4.4: 30 7E 08 7D 55 is sent as 7E 30 7D 02 08 7D 01 55 7E.
    assert_eq!(escape(&hex("307e087d55")), hex("307d02087d0155"));
    assert_eq!(unescape(&hex("307d02087d0155")), hex("307e087d55"));
}

#[test]
fn checksum_example() {
    // go-jt808 protocol/utils/utils_test.go.
    assert_eq!(checksum(&hex("000100050123456789017fff007b01c803")), 0xBD);
}

#[test]
fn stream_vectors() {
    for row in table("streams.txt") {
        let [name, input, frames, pending] = &row[..] else {
            panic!("bad row {row:?}")
        };
        let mut dec = FrameDecoder::new();
        dec.push(&hex(input));
        let mut got = Vec::new();
        while let Some(r) = dec.next_frame() {
            got.push(match r {
                Ok(f) => format!("ok:{}", to_hex(&f.encode().unwrap())),
                Err(FrameError::Invalid(InvalidFrame::TooShort { len })) => format!("short:{len}"),
                Err(e) => format!("error:{e}"),
            });
        }
        let want: Vec<String> = frames
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            dec.buffered_len(),
            pending.parse::<usize>().unwrap(),
            "{name} pending"
        );
    }
}

#[test]
fn fr4_second_frame_is_the_documented_register() {
    let wire = hex(
        "7e0100002d0144199999990001000b0065373034343358485830303030320000000000000000000000006964303030303301d4c1413138383838927e",
    );
    let p = Packet::parse(&wire).unwrap();
    assert_eq!(p.header.phone.digits(), "014419999999");
    assert_eq!(p.header.serial, 1);
    let Message::Register(r) = p.message else {
        panic!("{p:?}")
    };
    assert_eq!((r.province, r.city), (11, 101));
    assert_eq!(r.manufacturer, "70443");
    assert_eq!(r.model, "XHX00002");
    assert_eq!(r.terminal_id, "id00003");
    assert_eq!(r.plate_color, 1);
    assert_eq!(r.plate, "粤A18888");
}

#[test]
fn fr5_empty_8001_is_a_frame_but_not_a_message() {
    let f = Frame::parse(&hex("7e800100000144199999990002467e")).unwrap();
    assert!(f.body.is_empty());
    assert!(Packet::from_frame(&f).is_err());
}

#[test]
fn header_vectors_section_j() {
    let (h, props, len) = Header::decode(&hex("010200050138123456780087")).unwrap();
    assert_eq!(
        (h.id, props.body_len(), h.serial, len),
        (0x0102, 5, 135, 12)
    );
    assert_eq!(h.phone.trimmed(), "13812345678");
    assert_eq!(h.package, None);
    assert_eq!(h.version(), Version::V2013);

    let (h, props, len) =
        Header::decode(&hex("010264FF0200000000013812345678008700000000")).unwrap();
    assert_eq!(props.0, 0x64FF);
    assert!(props.version_flag() && props.subpackaged());
    assert_eq!((props.body_len(), props.encryption()), (255, 1));
    assert_eq!(h.protocol_version, Some(2));
    assert_eq!(h.phone.trimmed(), "13812345678");
    assert_eq!(h.serial, 135);
    assert_eq!(h.package, Some(Package { total: 0, index: 0 }));
    assert_eq!(len, 21);

    for (attr, len, rsa, sub, ver) in [
        (9471u16, 255, 1, true, false),
        (25855, 255, 1, true, true),
        (17663, 255, 1, false, true),
    ] {
        let p = crate::header::BodyProps(attr);
        assert_eq!(
            (
                p.body_len(),
                p.encryption(),
                p.subpackaged(),
                p.version_flag()
            ),
            (len, rsa, sub, ver)
        );
    }
}

#[test]
fn header_reencodes_and_reply_keeps_edition() {
    let raw = hex("010264FF0200000000013812345678008700000000");
    let (h, props, _) = Header::decode(&raw).unwrap();
    let mut out = Vec::new();
    h.encode(props.body_len(), &mut out).unwrap();
    assert_eq!(out, raw);
    let r = h.reply(0x8001, 7);
    assert_eq!(
        (
            r.protocol_version,
            r.phone,
            r.serial,
            r.package,
            r.encryption
        ),
        (Some(2), h.phone, 7, None, 0)
    );
}

#[test]
fn phone_rendering() {
    let p = Phone::from_digits("13812345678").unwrap();
    assert_eq!(p.digits(), "013812345678");
    assert_eq!(p.with_width(10).digits(), "00000000013812345678");
    assert_eq!(p.with_width(10).with_width(6), p);
    assert_eq!(p.with_width(10).trimmed(), p.trimmed());
    let hexy = Phone::from_bcd(&hex("4EB6FB4AD628")).unwrap();
    assert_eq!(hexy.to_string(), "4eb6fb4ad628");
    assert!(!hexy.is_numeric());
    assert_eq!(Phone::from_digits("4EB6FB4AD628").unwrap(), hexy);
    assert!(Phone::from_digits("").is_err());
    assert!(Phone::from_digits("12x").is_err());
    assert!(Phone::from_digits("123456789012345678901").is_err());
    assert_eq!(
        Phone::from_digits("17299841738")
            .unwrap()
            .with_width(10)
            .bcd()
            .len(),
        10
    );
    assert_eq!(
        Phone::from_digits("00000000017299841738")
            .unwrap()
            .bcd()
            .len(),
        10
    );
}

#[test]
fn garbage_without_delimiter_is_fatal_once() {
    let mut dec = FrameDecoder::new();
    dec.push(&vec![0x55; MAX_FRAME_LEN + 1]);
    assert_eq!(
        dec.next_frame(),
        Some(Err(FrameError::Fatal(FatalError::Garbage {
            len: MAX_FRAME_LEN + 1
        })))
    );
    assert_eq!(dec.next_frame(), None);
    dec.push(&[0x55; 100]);
    assert_eq!(
        dec.next_frame(),
        None,
        "reported once, then skipped quietly"
    );
    assert_eq!(dec.buffered_len(), 0);
    // Recovery at the next delimiter.
    dec.push(&hex("7e000200000123456789017fff0a7e"));
    assert!(matches!(dec.next_frame(), Some(Ok(_))));
}

#[test]
fn overlong_frame_is_fatal_then_resyncs() {
    let cfg = FrameConfig {
        max_frame_len: 64,
        ..FrameConfig::default()
    };
    let mut dec = FrameDecoder::with_config(cfg);
    dec.push(&[0x7E]);
    dec.push(&[0x11; 100]);
    assert_eq!(
        dec.next_frame(),
        Some(Err(FrameError::Fatal(FatalError::TooLong { max: 64 })))
    );
    assert!(dec.buffered_len() <= 64);
    dec.push(&[0x11; 10]);
    dec.push(&hex("7e7e000200000123456789017fff0a7e"));
    assert!(matches!(dec.next_frame(), Some(Ok(_))));
    assert_eq!(dec.next_frame(), None);
}

#[test]
fn bad_checksum_is_invalid_not_fatal_and_stream_continues() {
    let mut dec = FrameDecoder::new();
    dec.push(&hex("7E0801200500123456789002DE001A00022808000102547E"));
    dec.push(&hex("7e000200000123456789017fff0a7e"));
    let first = dec.next_frame().unwrap();
    assert!(matches!(
        first,
        Err(FrameError::Invalid(InvalidFrame::Checksum {
            carried: 0x54,
            computed: 0x53
        }))
    ));
    assert!(!first.unwrap_err().is_fatal());
    assert!(matches!(dec.next_frame(), Some(Ok(_))));
}

#[test]
fn encode_rejects_overlong_body_and_split_encodes_subpackages() {
    let h = Header::new_2013(0x0900, Phone::from_digits("13800000000").unwrap(), 10);
    assert!(Frame::new(h, vec![0; 1024]).encode().is_err());
    let p = Packet::new(
        h,
        Message::Raw {
            id: 0x0900,
            body: (0..=255u8).cycle().take(2500).collect(),
        },
    );
    let frames = p.encode_split(1000).unwrap();
    assert_eq!(frames.len(), 3);
    let mut body = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let fr = Frame::parse(f).unwrap();
        assert_eq!(fr.header.serial, 10 + i as u16);
        assert_eq!(
            fr.header.package,
            Some(Package {
                total: 3,
                index: i as u16 + 1
            })
        );
        body.extend_from_slice(&fr.body);
    }
    assert_eq!(body.len(), 2500);
    assert_eq!(
        Deviations::NONE,
        Frame::parse(&frames[0]).unwrap().deviations
    );
}
