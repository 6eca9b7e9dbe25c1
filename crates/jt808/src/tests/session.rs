//! Session state-machine tests with simulated time: a scripted terminal talks to a
//! [`Session`]; `now` is a base instant plus offsets, never the wall clock.

use std::time::{Duration, Instant};

use crate::error::{FatalError, InvalidFrame};
use crate::header::{Header, Phone, Version};
use crate::message::general_response::ResultCode;
use crate::message::location::{LocalTime, Location, LocationBasic};
use crate::message::multimedia::{MultimediaEvent, MultimediaUpload};
use crate::message::parameters::{DEFAULT_REPORT_INTERVAL, Parameter, SetParameters};
use crate::message::register_response::RegisterResult;
use crate::message::{
    Authenticate, GeneralResponse, LocationBatch, Message, MultimediaUploadResponse, Packet,
    Register, RegisterResponse,
};
use crate::session::{CloseReason, Event, RejectReason, SendError, Session, SessionConfig};

use super::support::{hex, table};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A scripted terminal: builds frames in its edition with its own serial counter.
struct Terminal {
    phone: Phone,
    version: Version,
    serial: u16,
}

impl Terminal {
    fn new(digits: &str, version: Version) -> Terminal {
        Terminal {
            phone: Phone::from_digits(digits).unwrap(),
            version,
            serial: 0,
        }
    }

    fn header(&mut self, id: u16) -> Header {
        let s = self.serial;
        self.serial = self.serial.wrapping_add(1);
        match self.version {
            Version::V2019 => Header::new_2019(id, self.phone, s),
            _ => Header::new_2013(id, self.phone, s),
        }
    }

    fn send(&mut self, m: Message) -> (u16, Vec<u8>) {
        let h = self.header(m.id());
        (h.serial, Packet::new(h, m).encode().unwrap())
    }
}

fn location(second: u8) -> Location {
    Location::new(LocationBasic {
        latitude: 30_572_815,
        longitude: 104_066_801,
        speed: 350,
        time: LocalTime {
            year: 2026,
            month: 3,
            day: 1,
            hour: 8,
            minute: 0,
            second,
        },
        ..LocationBasic::default()
    })
}

fn register(version: Version) -> Register {
    Register {
        version,
        province: 51,
        city: 100,
        manufacturer: "YW".into(),
        model: "ZT-1".into(),
        terminal_id: "T123456".into(),
        plate_color: Register::COLOR_YELLOW,
        plate: "川A12345".into(),
    }
}

fn replies(s: &mut Session) -> Vec<Packet> {
    std::iter::from_fn(|| s.poll_transmit())
        .map(|w| Packet::parse(&w).unwrap())
        .collect()
}

fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn general(p: &Packet) -> GeneralResponse {
    match &p.message {
        Message::PlatformGeneralResponse(r) => *r,
        other => panic!("not a 0x8001: {other:?}"),
    }
}

/// Authenticates `t` on `s` (code "OK"), draining the reply.
fn authenticate(s: &mut Session, t: &mut Terminal, now: Instant) {
    let (_, w) = t.send(Message::Authenticate(Authenticate::new("OK")));
    s.handle_input(&w, now);
    let Some(Event::AuthRequest { token, .. }) = s.poll_event() else {
        panic!()
    };
    s.answer_auth(token, true).unwrap();
    assert_eq!(general(&replies(s)[0]).result, ResultCode::Success);
}

#[test]
fn register_auth_location_with_delayed_ack() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);

    // 0x0100 → RegisterRequest; nothing is sent until the caller answers.
    let (reg_serial, w) = t.send(Message::Register(register(Version::V2013)));
    s.handle_input(&w, t0);
    assert!(s.poll_transmit().is_none());
    let Some(Event::RegisterRequest {
        header,
        register: r,
        token,
    }) = s.poll_event()
    else {
        panic!()
    };
    assert_eq!((header.phone, r.plate.as_str()), (t.phone, "川A12345"));
    s.accept_register(token, "AUTH-7f3a").unwrap();
    let out = replies(&mut s);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].header.phone, t.phone);
    assert_eq!(
        out[0].message,
        Message::RegisterResponse(RegisterResponse {
            reply_serial: reg_serial,
            result: RegisterResult::Success,
            auth_code: "AUTH-7f3a".into(),
        })
    );

    // 0x0102 → AuthRequest → 0x8001 ok.
    let (auth_serial, w) = t.send(Message::Authenticate(Authenticate::new("AUTH-7f3a")));
    s.handle_input(&w, t0 + secs(1));
    let Some(Event::AuthRequest { auth, token, .. }) = s.poll_event() else {
        panic!()
    };
    assert_eq!(auth.code, "AUTH-7f3a");
    s.answer_auth(token, true).unwrap();
    let out = replies(&mut s);
    assert_eq!(
        general(&out[0]),
        GeneralResponse {
            reply_serial: auth_serial,
            reply_id: 0x0102,
            result: ResultCode::Success
        }
    );
    assert_eq!(s.authenticated_phone(), Some(t.phone));

    // 0x0200 → Location event; the reply waits for the caller's ack.
    let (loc_serial, w) = t.send(Message::Location(location(1)));
    s.handle_input(&w, t0 + secs(2));
    assert!(s.poll_transmit().is_none(), "no ack before the commit");
    let Some(Event::Location {
        location: loc,
        ack,
        header,
    }) = s.poll_event()
    else {
        panic!()
    };
    assert_eq!((loc, header.serial), (location(1), loc_serial));
    assert_eq!(s.pending_replies(), 1);
    s.ack(ack, ResultCode::Success).unwrap();
    let out = replies(&mut s);
    assert_eq!(
        general(&out[0]),
        GeneralResponse {
            reply_serial: loc_serial,
            reply_id: 0x0200,
            result: ResultCode::Success
        }
    );
    assert_eq!(s.pending_replies(), 0);
    // Platform serials count 0, 1, 2.
    assert_eq!(out[0].header.serial, 2);
}

#[test]
fn acks_can_be_given_out_of_order_and_after_failure() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    authenticate(&mut s, &mut t, t0);
    let (a, w1) = t.send(Message::Location(location(1)));
    let (b, w2) = t.send(Message::Location(location(2)));
    s.handle_input(&[w1, w2].concat(), t0);
    let Some(Event::Location { ack: ack_a, .. }) = s.poll_event() else {
        panic!()
    };
    let Some(Event::Location { ack: ack_b, .. }) = s.poll_event() else {
        panic!()
    };
    s.ack(ack_b, ResultCode::Failure).unwrap();
    s.ack(ack_a, ResultCode::Success).unwrap();
    let out: Vec<GeneralResponse> = replies(&mut s).iter().map(general).collect();
    assert_eq!(out[0].reply_serial, b);
    assert_eq!(out[0].result, ResultCode::Failure);
    assert_eq!(out[1].reply_serial, a);
}

#[test]
fn location_before_authentication_gets_failure() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    let (serial, w) = t.send(Message::Location(location(1)));
    s.handle_input(&w, t0);
    assert_eq!(
        general(&replies(&mut s)[0]),
        GeneralResponse {
            reply_serial: serial,
            reply_id: 0x0200,
            result: ResultCode::Failure
        }
    );
    assert!(matches!(
        events(&mut s).as_slice(),
        [Event::Rejected {
            reason: RejectReason::NotAuthenticated,
            ..
        }]
    ));
    // With require_auth off, the same report is delivered.
    let cfg = SessionConfig {
        require_auth: false,
        ..SessionConfig::default()
    };
    let mut s = Session::new(cfg, t0);
    s.handle_input(&w, t0);
    assert!(matches!(
        events(&mut s).as_slice(),
        [Event::Location { .. }]
    ));
}

#[test]
fn unknown_id_gets_unsupported_and_connection_stays() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    authenticate(&mut s, &mut t, t0);
    let (serial, w) = t.send(Message::Raw {
        id: 0x5501,
        body: vec![1, 2, 3],
    });
    s.handle_input(&w, t0);
    assert_eq!(
        general(&replies(&mut s)[0]),
        GeneralResponse {
            reply_serial: serial,
            reply_id: 0x5501,
            result: ResultCode::Unsupported
        }
    );
    let ev = events(&mut s);
    assert!(matches!(
        &ev[..],
        [Event::Message {
            message: Message::Raw { id: 0x5501, .. },
            ..
        }]
    ));
    assert!(!s.is_closed());
}

#[test]
fn heartbeat_is_answered_at_once_even_before_auth() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2019);
    let (serial, w) = t.send(Message::Heartbeat);
    s.handle_input(&w, t0);
    let out = replies(&mut s);
    assert_eq!(
        general(&out[0]),
        GeneralResponse {
            reply_serial: serial,
            reply_id: 0x0002,
            result: ResultCode::Success
        }
    );
    assert_eq!(out[0].header.protocol_version, Some(1));
    assert_eq!(out[0].header.phone.bcd().len(), 10);
    assert!(events(&mut s).is_empty());
}

#[test]
fn idle_timeout_via_poll_timeout() {
    let t0 = Instant::now();
    let cfg = SessionConfig {
        idle_timeout: secs(180),
        ..SessionConfig::default()
    };
    let mut s = Session::new(cfg, t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    authenticate(&mut s, &mut t, t0);
    assert_eq!(s.poll_timeout(), Some(t0 + secs(180)));
    let (_, w) = t.send(Message::Heartbeat);
    s.handle_input(&w, t0 + secs(100));
    assert_eq!(replies(&mut s).len(), 1);
    assert_eq!(s.poll_timeout(), Some(t0 + secs(280)));
    s.handle_timeout(t0 + secs(279));
    assert!(!s.is_closed());
    // Garbage does not keep a connection alive.
    s.handle_input(b"\x7e\x01\x02\x7e", t0 + secs(200));
    s.handle_timeout(t0 + secs(280));
    let ev = events(&mut s);
    assert_eq!(
        ev.last(),
        Some(&Event::Close {
            reason: CloseReason::IdleTimeout
        })
    );
    assert_eq!(s.poll_timeout(), None);
    // A closed session ignores input.
    s.handle_input(&t.send(Message::Heartbeat).1, t0 + secs(281));
    assert!(s.poll_transmit().is_none());
}

#[test]
fn auth_timeout_and_auth_failures_close() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    assert_eq!(s.poll_timeout(), Some(t0 + secs(60)));
    s.handle_timeout(t0 + secs(60));
    assert_eq!(
        events(&mut s),
        vec![Event::Close {
            reason: CloseReason::AuthTimeout
        }]
    );

    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    for attempt in 1..=3 {
        let (_, w) = t.send(Message::Authenticate(Authenticate::new("wrong")));
        s.handle_input(&w, t0);
        let Some(Event::AuthRequest { token, .. }) = s.poll_event() else {
            panic!()
        };
        s.answer_auth(token, false).unwrap();
        assert_eq!(
            general(&replies(&mut s)[0]).result,
            ResultCode::Failure,
            "attempt {attempt}"
        );
    }
    assert_eq!(
        events(&mut s),
        vec![Event::Close {
            reason: CloseReason::AuthFailed { attempts: 3 }
        }]
    );
}

#[test]
fn garbage_stream_closes() {
    let t0 = Instant::now();
    // Consecutive bad frames.
    let mut s = Session::new(SessionConfig::default(), t0);
    let bad = hex("7E0801200500123456789002DE001A00022808000102547E");
    for _ in 0..5 {
        s.handle_input(&bad, t0);
    }
    let ev = events(&mut s);
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, Event::BadFrame { .. }))
            .count(),
        5
    );
    assert_eq!(
        ev.last(),
        Some(&Event::Close {
            reason: CloseReason::TooManyBadFrames { count: 5 }
        })
    );
    assert_eq!(s.stats().bad_frames, 5);
    assert!(
        replies(&mut s).is_empty(),
        "no reply to frames whose header is not trustworthy"
    );

    // A good frame in between resets the count.
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    for _ in 0..3 {
        for _ in 0..4 {
            s.handle_input(&bad, t0);
        }
        s.handle_input(&t.send(Message::Heartbeat).1, t0);
    }
    assert!(!s.is_closed());

    // Bytes with no delimiter at all: the stream is lost.
    let mut s = Session::new(SessionConfig::default(), t0);
    s.handle_input(&vec![0x42; 5000], t0);
    assert_eq!(
        events(&mut s),
        vec![Event::Close {
            reason: CloseReason::StreamLost(FatalError::Garbage { len: 5000 })
        }]
    );
}

#[test]
fn malformed_body_gets_message_error() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    authenticate(&mut s, &mut t, t0);
    let (serial, w) = t.send(Message::Raw {
        id: 0x0200,
        body: vec![0; 10],
    });
    s.handle_input(&w, t0);
    assert_eq!(
        general(&replies(&mut s)[0]),
        GeneralResponse {
            reply_serial: serial,
            reply_id: 0x0200,
            result: ResultCode::MessageError
        }
    );
    assert!(matches!(
        events(&mut s).as_slice(),
        [Event::Rejected {
            reason: RejectReason::Malformed(_),
            ..
        }]
    ));
    assert_eq!(s.stats().malformed_bodies, 1);
    assert!(!s.is_closed());
}

#[test]
fn batch_gets_one_ack_and_2019_replies_keep_the_edition() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2019);
    authenticate(&mut s, &mut t, t0);
    let batch = LocationBatch {
        kind: LocationBatch::BACKFILL,
        locations: vec![location(1), location(2)],
    };
    let (serial, w) = t.send(Message::LocationBatch(batch.clone()));
    s.handle_input(&w, t0);
    let Some(Event::LocationBatch { batch: b, ack, .. }) = s.poll_event() else {
        panic!()
    };
    assert_eq!(b, batch);
    assert!(b.is_backfill());
    s.ack(ack, ResultCode::Success).unwrap();
    let out = replies(&mut s);
    assert_eq!(out.len(), 1);
    assert_eq!(general(&out[0]).reply_id, 0x0704);
    assert_eq!(general(&out[0]).reply_serial, serial);
    assert_eq!(out[0].header.protocol_version, Some(1));
    assert_eq!(out[0].header.phone.digits(), "00000000013800138000");
}

#[test]
fn subpackaged_multimedia_upload() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    authenticate(&mut s, &mut t, t0);
    let upload = MultimediaUpload {
        event: MultimediaEvent {
            media_id: 77,
            media_type: 0,
            format: 0,
            event: 1,
            channel: 1,
        },
        location: location(3).basic,
        data: (0..2200u32).map(|i| (i % 251) as u8).collect(),
    };
    let h = t.header(0x0801);
    let frames = Packet::new(h, Message::MultimediaUpload(upload.clone()))
        .encode_split(1000)
        .unwrap();
    assert_eq!(frames.len(), 3);
    for (i, f) in frames.iter().enumerate() {
        s.handle_input(f, t0 + secs(i as u64));
    }
    // Packets 1 and 2 are acked at once; the last waits for the caller.
    let out = replies(&mut s);
    assert_eq!(out.len(), 2);
    assert_eq!(general(&out[0]).reply_serial, h.serial);
    assert_eq!(general(&out[1]).reply_serial, h.serial + 1);
    let Some(Event::Multimedia {
        upload: got,
        ack,
        header,
    }) = s.poll_event()
    else {
        panic!()
    };
    assert_eq!(got, upload);
    assert_eq!(header.serial, h.serial);
    s.ack(ack, ResultCode::Success).unwrap();
    let out = replies(&mut s);
    assert_eq!(
        out[0].message,
        Message::MultimediaUploadResponse(MultimediaUploadResponse {
            media_id: 77,
            retransmit: vec![]
        })
    );
}

#[test]
fn reassembly_timeout_is_reported_via_handle_timeout() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    authenticate(&mut s, &mut t, t0);
    let h = t.header(0x0801);
    let frames = Packet::new(
        h,
        Message::Raw {
            id: 0x0801,
            body: vec![7; 2500],
        },
    )
    .encode_split(1000)
    .unwrap();
    s.handle_input(&frames[0], t0);
    replies(&mut s);
    let deadline = s.poll_timeout().unwrap();
    assert_eq!(deadline, t0 + secs(60));
    s.handle_timeout(deadline);
    let ev = events(&mut s);
    let [Event::ReassemblyDropped { expired }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(expired.missing, vec![2, 3]);
}

#[test]
fn terminal_responses_get_no_reply() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    authenticate(&mut s, &mut t, t0);
    let r = GeneralResponse {
        reply_serial: 1,
        reply_id: 0x8103,
        result: ResultCode::Success,
    };
    s.handle_input(&t.send(Message::TerminalGeneralResponse(r)).1, t0);
    assert!(replies(&mut s).is_empty());
    assert_eq!(
        events(&mut s).pop(),
        Some(Event::Message {
            header: Header::new_2013(0x0001, t.phone, t.serial - 1),
            message: Message::TerminalGeneralResponse(r)
        })
    );
}

#[test]
fn platform_commands_use_the_terminal_edition_and_own_serials() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let cmd = Message::SetParameters(SetParameters::new(vec![Parameter::u32(
        DEFAULT_REPORT_INTERVAL,
        30,
    )]));
    assert_eq!(s.send(&cmd), Err(SendError::NoTerminal));
    let mut t = Terminal::new("13800138000", Version::V2019);
    authenticate(&mut s, &mut t, t0);
    assert_eq!(s.send(&cmd), Ok(1));
    assert_eq!(s.send(&Message::LocationQuery), Ok(2));
    let out = replies(&mut s);
    assert_eq!(out[0].message, cmd);
    assert_eq!(out[0].header.protocol_version, Some(1));
    assert_eq!((out[1].header.id, out[1].header.serial), (0x8201, 2));
    // A body over one frame is subpackaged.
    let big = Message::Raw {
        id: 0x8900,
        body: vec![1; 3000],
    };
    assert_eq!(s.send(&big), Ok(3));
    assert_eq!(std::iter::from_fn(|| s.poll_transmit()).count(), 3);
    assert_eq!(s.send(&Message::LocationQuery), Ok(6));
}

#[test]
fn logout_requires_new_authentication() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    authenticate(&mut s, &mut t, t0);
    s.handle_input(&t.send(Message::Logout).1, t0 + secs(5));
    assert_eq!(general(&replies(&mut s)[0]).result, ResultCode::Success);
    assert!(matches!(events(&mut s).as_slice(), [Event::Logout { .. }]));
    assert_eq!(s.authenticated_phone(), None);
    s.handle_input(&t.send(Message::Location(location(1))).1, t0 + secs(6));
    assert_eq!(general(&replies(&mut s)[0]).result, ResultCode::Failure);
    // The auth timer restarts at the logout.
    assert_eq!(s.poll_timeout(), Some(t0 + secs(65)));
}

#[test]
fn register_2011_sets_the_session_edition_and_can_be_rejected() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    let mut t = Terminal::new("13800138000", Version::V2011);
    let (serial, w) = t.send(Message::Register(register(Version::V2011)));
    s.handle_input(&w, t0);
    let Some(Event::RegisterRequest {
        register: r, token, ..
    }) = s.poll_event()
    else {
        panic!()
    };
    assert_eq!(r.version, Version::V2011);
    assert_eq!(s.version(), Some(Version::V2011));
    s.reject_register(token, RegisterResult::TerminalUnknown)
        .unwrap();
    assert_eq!(
        replies(&mut s)[0].message,
        Message::RegisterResponse(RegisterResponse {
            reply_serial: serial,
            result: RegisterResult::TerminalUnknown,
            auth_code: String::new(),
        })
    );
}

#[test]
fn too_many_unanswered_reports_close_the_session() {
    let t0 = Instant::now();
    let cfg = SessionConfig {
        max_pending_replies: 3,
        ..SessionConfig::default()
    };
    let mut s = Session::new(cfg, t0);
    let mut t = Terminal::new("13800138000", Version::V2013);
    authenticate(&mut s, &mut t, t0);
    for i in 0..4 {
        s.handle_input(&t.send(Message::Location(location(i))).1, t0);
    }
    let ev = events(&mut s);
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, Event::Location { .. }))
            .count(),
        3
    );
    assert_eq!(
        ev.last(),
        Some(&Event::Close {
            reason: CloseReason::TooManyPendingReplies
        })
    );
}

#[test]
fn encrypted_frame_gets_unsupported() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    s.handle_input(&hex("7E0801040500123456789002DE001A000221757E"), t0);
    let out = replies(&mut s);
    assert_eq!(general(&out[0]).result, ResultCode::Unsupported);
    assert!(matches!(
        events(&mut s).as_slice(),
        [Event::Rejected {
            reason: RejectReason::Encrypted,
            ..
        }]
    ));
}

#[test]
fn bad_frame_events_carry_the_error() {
    let t0 = Instant::now();
    let mut s = Session::new(SessionConfig::default(), t0);
    s.handle_input(&hex("7E0801200500123456789002DE001A000228080001517E"), t0);
    assert_eq!(
        events(&mut s),
        vec![Event::BadFrame {
            error: InvalidFrame::BodyLength {
                declared: 5,
                actual: 4
            }
        }]
    );
}

/// Conformance section H: request → reply pairs, compared field by field (id, edition,
/// version byte, phone with its width, body). The harness answers like go-jt808: auth code =
/// the phone without leading zeros; a 0x0102 is accepted only with that code.
#[test]
fn request_reply_pairs() {
    for row in table("replies.txt") {
        let [name, request, expected] = &row[..] else {
            panic!("bad row {row:?}")
        };
        let t0 = Instant::now();
        let mut s = Session::new(SessionConfig::default(), t0);
        let req = Packet::parse(&hex(request)).unwrap();
        let code = req.header.phone.trimmed();
        if matches!(req.header.id, 0x0001 | 0x0200 | 0x0704) {
            // Authenticate first with a frame in the same edition and phone.
            let h = req.header.reply(0x0102, 1);
            let w = Packet::new(h, Message::Authenticate(Authenticate::new(code.clone())))
                .encode()
                .unwrap();
            s.handle_input(&w, t0);
            let Some(Event::AuthRequest { token, .. }) = s.poll_event() else {
                panic!("{name}")
            };
            s.answer_auth(token, true).unwrap();
            while s.poll_transmit().is_some() {}
        }
        s.handle_input(&hex(request), t0);
        while let Some(ev) = s.poll_event() {
            match ev {
                Event::RegisterRequest { token, .. } => s.accept_register(token, &code).unwrap(),
                Event::AuthRequest { auth, token, .. } => {
                    s.answer_auth(token, auth.code == code).unwrap()
                }
                Event::Location { ack, .. } | Event::LocationBatch { ack, .. } => {
                    s.ack(ack, ResultCode::Success).unwrap();
                }
                Event::Message { .. } => {}
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
        let ours: Vec<Packet> = replies(&mut s);
        if expected == "none" {
            assert!(ours.is_empty(), "{name}: {ours:?}");
            continue;
        }
        let want = Packet::parse(&hex(expected)).unwrap();
        assert_eq!(ours.len(), 1, "{name}");
        let got = &ours[0];
        assert_eq!(got.header.id, want.header.id, "{name}: id");
        assert_eq!(
            got.header.protocol_version, want.header.protocol_version,
            "{name}: edition"
        );
        assert_eq!(got.header.phone, want.header.phone, "{name}: phone");
        assert_eq!(got.message, want.message, "{name}: body");
    }
}

#[test]
fn extreme_durations_do_not_overflow() {
    let t0 = Instant::now();
    let cfg = SessionConfig {
        idle_timeout: Duration::MAX,
        auth_timeout: Some(Duration::MAX),
        reassembly: crate::ReassemblyConfig {
            timeout: Duration::MAX,
            ..crate::ReassemblyConfig::default()
        },
        ..SessionConfig::default()
    };
    let mut s = Session::new(cfg, t0);
    assert_eq!(s.poll_timeout(), None, "no representable deadline");
    s.handle_timeout(t0 + secs(1_000_000));
    assert!(!s.is_closed());
}
