//! Message-layer unit tests: exact encodings against conformance bodies and typed accessors.

use crate::frame::Frame;
use crate::header::Version;
use crate::message::location::{Alarm, LoadState, LocalTime, Status};
use crate::message::multimedia::{MultimediaEvent, MultimediaUpload};
use crate::message::parameters::{
    self, DEFAULT_REPORT_INTERVAL, ParamValue, Parameter, SLEEP_REPORT_INTERVAL, SetParameters,
};
use crate::message::register_response::{RegisterResponse, RegisterResult};
use crate::message::text::TextMessage;
use crate::message::{Message, Packet};

use super::support::{fixtures, hex, to_hex};

#[test]
fn register_fixtures_reencode_byte_for_byte() {
    for fx in fixtures()
        .iter()
        .filter(|f| f.get("header.id") == Some("0x0100"))
    {
        let wire = hex(&fx.hex);
        let p = Packet::parse(&wire).unwrap();
        if fx.name.contains("TR-0100-2019") {
            continue; // plate of 16 NULs is trimmed on decode
        }
        assert_eq!(to_hex(&p.encode().unwrap()), to_hex(&wire), "{}", fx.name);
    }
}

#[test]
fn register_response_bodies() {
    let ok = RegisterResponse {
        reply_serial: 100,
        result: RegisterResult::Success,
        auth_code: "123456".into(),
    };
    assert_eq!(
        to_hex(
            &Message::RegisterResponse(ok.clone())
                .to_body(Version::V2013)
                .unwrap()
        ),
        "006400313233343536"
    );
    let fail = RegisterResponse {
        reply_serial: 100,
        result: RegisterResult::TerminalUnknown,
        auth_code: String::new(),
    };
    assert_eq!(
        to_hex(
            &Message::RegisterResponse(fail)
                .to_body(Version::V2013)
                .unwrap()
        ),
        "006404"
    );
    // SC-8100-ok as a whole frame.
    let f = Frame::parse(&hex("7E81000009012345678900000A006400313233343536687E")).unwrap();
    assert_eq!(
        Packet::from_frame(&f).unwrap().message,
        Message::RegisterResponse(ok)
    );
}

#[test]
fn text_message_bodies() {
    let t13 = TextMessage {
        flags: 5,
        text_type: None,
        text: "smallchi 518".into(),
    };
    assert_eq!(
        to_hex(&Message::TextMessage(t13).to_body(Version::V2013).unwrap()),
        "05736d616c6c63686920353138"
    );
    let t19 = TextMessage {
        flags: 5,
        text_type: Some(1),
        text: "smallchi 518".into(),
    };
    assert_eq!(
        to_hex(&Message::TextMessage(t19).to_body(Version::V2019).unwrap()),
        "0501736d616c6c63686920353138"
    );
    let zh = TextMessage {
        flags: TextMessage::FLAG_DISPLAY | TextMessage::FLAG_TTS,
        text_type: None,
        text: "渣土车请密闭运输".into(),
    };
    let body = Message::TextMessage(zh.clone())
        .to_body(Version::V2013)
        .unwrap();
    assert_eq!(body.len(), 1 + 16, "GBK: two bytes per hanzi");
    assert_eq!(
        Message::decode(0x8300, Version::V2013, &body).unwrap(),
        Message::TextMessage(zh)
    );
    let long = TextMessage {
        flags: 0,
        text_type: None,
        text: "x".repeat(1025),
    };
    assert!(Message::TextMessage(long).to_body(Version::V2013).is_err());
}

#[test]
fn set_parameters_body() {
    let p = SetParameters::new(vec![
        Parameter::u32(DEFAULT_REPORT_INTERVAL, 30),
        Parameter::u32(SLEEP_REPORT_INTERVAL, 300),
        Parameter::text(parameters::MAIN_SERVER_ADDRESS, "gw.example.cn:5015"),
        Parameter {
            id: 0x0031,
            value: ParamValue::U16(500),
        },
        Parameter {
            id: 0xF001,
            value: ParamValue::Raw(vec![1, 2, 3]),
        },
    ]);
    let body = Message::SetParameters(p.clone())
        .to_body(Version::V2013)
        .unwrap();
    assert_eq!(to_hex(&body[..10]), "0500000029040000001e");
    let back = SetParameters::decode(&body).unwrap();
    assert_eq!(back, p);
    assert_eq!(back.default_report_interval(), Some(30));
    assert_eq!(back.sleep_report_interval(), Some(300));
    // A known id with the wrong length stays raw.
    let odd = SetParameters::decode(&hex("01 00000029 02 001e")).unwrap();
    assert_eq!(odd.params[0].value, ParamValue::Raw(vec![0, 0x1e]));
    assert_eq!(odd.default_report_interval(), None);
}

#[test]
fn server_time_body_bcd() {
    // SC body-only 0x8004 vector: 191126155850 → 2019-11-26 15:58:50.
    let t = LocalTime::from_bcd(hex("191126155850").try_into().unwrap(), "t").unwrap();
    assert_eq!(t.to_string(), "2019-11-26 15:58:50");
    assert!(t.is_valid());
    assert_eq!(to_hex(&t.to_bcd().unwrap()), "191126155850");
    assert!(LocalTime { year: 1999, ..t }.to_bcd().is_err());
}

#[test]
fn status_and_alarm_accessors() {
    assert_eq!(Status(0).load(), LoadState::Empty);
    assert_eq!(Status(1 << 8).load(), LoadState::Half);
    assert_eq!(Status(2 << 8).load(), LoadState::Reserved);
    assert_eq!(Status(3 << 8).load(), LoadState::Full);
    let s = Status((1 << 0) | (1 << 1) | (1 << 10) | (1 << 13) | (1 << 17) | (1 << 19));
    assert!(s.acc_on() && s.located() && s.oil_cut() && s.beidou());
    assert!(
        s.door_open(1) && s.door_open(5) && !s.door_open(2) && !s.door_open(0) && !s.door_open(6)
    );
    assert!(!s.bit(32));
    let a = Alarm((1 << 0) | (1 << 1) | (1 << 20) | (1 << 31));
    assert!(a.emergency() && a.overspeed() && a.area() && a.illegal_door_open());
    assert_eq!(a.needs_ack(), Alarm((1 << 0) | (1 << 20) | (1 << 31)));
}

#[test]
fn multimedia_upload_roundtrip_with_jpeg_bytes() {
    let f = Frame::parse(&hex("7e0200002e094027587492000a000000010000000a03083db7001329f3000000140000130412164952010400000012360a0002341502cb0c20085c107e")).unwrap();
    let Message::Location(loc) = Packet::from_frame(&f).unwrap().message else {
        panic!()
    };
    let up = MultimediaUpload {
        event: MultimediaEvent {
            media_id: 42,
            media_type: 0,
            format: 0,
            event: 1,
            channel: 1,
        },
        location: loc.basic,
        data: hex("ffd8ffe000104a464946 ffd9"),
    };
    let body = Message::MultimediaUpload(up.clone())
        .to_body(Version::V2013)
        .unwrap();
    assert_eq!(body.len(), 8 + 28 + 12);
    assert_eq!(
        Message::decode(0x0801, Version::V2013, &body).unwrap(),
        Message::MultimediaUpload(up)
    );
    assert!(Message::decode(0x0801, Version::V2013, &body[..30]).is_err());
}

#[test]
fn message_ids() {
    let cases: [(Message, u16); 5] = [
        (Message::Heartbeat, 0x0002),
        (Message::Logout, 0x0003),
        (Message::LocationQuery, 0x8201),
        (
            Message::Raw {
                id: 0x0900,
                body: vec![],
            },
            0x0900,
        ),
        (Message::SetParameters(SetParameters::default()), 0x8103),
    ];
    for (m, id) in cases {
        assert_eq!(m.id(), id);
        assert_eq!(
            Message::decode(id, Version::V2013, &m.to_body(Version::V2013).unwrap()).unwrap(),
            m
        );
    }
}
