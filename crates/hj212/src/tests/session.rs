//! Session state-machine tests with simulated time (quinn-proto style): a fake device feeds
//! packets, the test plays the gateway (acks, wall clock) and advances `now` by hand.

use std::time::{Duration, Instant};

use super::{escape, packet};
use crate::encode::{self, Request};
use crate::reassembly::DropReason;
use crate::session::{IgnoreReason, InputError};
use crate::{
    AckToken, Auth, CloseReason, Command, DateTime, Event, ExeRtn, Flag, FramerConfig, InitPlan,
    InvalidFrame, PacketBuilder, QnRtn, RejectReason, RequestError, RequestOutcome, Session,
    SessionConfig, SubPackets, Upload, Version,
};

const FUME: &[u8] = b"##0158QN=20180531225849000;ST=31;CN=2011;PW=123456;MN=010000A8900016F018010001;Flag=5;CP=&&DataTime=20180531225849;a34041-Rtd=0.00,a34041-Flag=N;SB7-RS=2;SB8-RS=2&&9181\r\n";
const FUME_9014: &str = "##0087QN=20180531225849000;ST=91;CN=9014;PW=123456;MN=010000A8900016F018010001;Flag=4;CP=&&&&0F00\\r\\n";
const FUME_MN: &str = "010000A8900016F018010001";
const STD_MN: &str = "010000A8900016F000169DC0";
const C50_P1: &[u8] = b"##0260QN=20160801085857534;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20160801080000;w00000-Cou=63.0,w00000-Min=16.4,w00000-Avg=17.5,w00000-Max=20.1,w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,w01001-Flag=N&&D941\r\n";
const C50_P2: &[u8] = b"##0201QN=20160801085857535;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=7;PNUM=2;PNO=2;CP=&&DataTime=20160801080000;w01018-Cou=63.0,w01018-Min=40.1,w01018-Avg=40.1,w01018-Max=40.1,w01018-Flag=N&&E2C1\r\n";
const C4_1013: &[u8] = b"##0099QN=20160801085857223;ST=32;CN=1013;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&PolId=w01018&&CAC1\r\n";

fn directory(mn: &str, pw: &str) -> Auth {
    match (mn, pw) {
        (FUME_MN | STD_MN | "FUME0001", "123456") => Auth::Accept,
        (FUME_MN | STD_MN | "FUME0001", _) => Auth::WrongPassword,
        _ => Auth::UnknownDevice,
    }
}

type Dir = fn(&str, &str) -> Auth;

struct Harness {
    s: Session<Dir>,
    t0: Instant,
    now: Instant,
}

impl Harness {
    fn new(config: SessionConfig) -> Self {
        let t0 = Instant::now();
        Self {
            s: Session::new(config, directory as Dir, t0),
            t0,
            now: t0,
        }
    }

    fn default() -> Self {
        Self::new(SessionConfig {
            init: InitPlan::none(),
            ..SessionConfig::default()
        })
    }

    fn input(&mut self, bytes: &[u8]) {
        self.s.handle_input(bytes, self.now);
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.s.handle_timeout(self.now);
    }

    /// Advances straight to the next timer.
    fn fire_timer(&mut self) {
        let at = self.s.poll_timeout().expect("a timer is armed");
        assert!(at >= self.now);
        self.now = at;
        self.s.handle_timeout(at);
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.s.poll_event()).collect()
    }

    fn sent(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.s.poll_transmit())
            .map(|b| escape(&b))
            .collect()
    }

    fn sent_packets(&mut self) -> Vec<crate::Packet> {
        std::iter::from_fn(|| self.s.poll_transmit())
            .map(|b| packet(&b))
            .collect()
    }

    fn uploads(events: &[Event]) -> Vec<&Upload> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Data(u) => Some(u),
                _ => None,
            })
            .collect()
    }
}

fn wall() -> DateTime {
    DateTime::new(2024, 6, 1, 12, 0, 0, 0).unwrap()
}

fn token(u: &Upload) -> AckToken {
    u.ack_token().expect("Flag=5 upload carries a token")
}

#[test]
fn upload_ack_is_held_until_the_caller_acks() {
    let mut h = Harness::default();
    h.input(FUME);
    let events = h.events();
    assert_eq!(
        events[0],
        Event::Online {
            mn: FUME_MN.into(),
            version: Version::V2017
        }
    );
    let uploads = Harness::uploads(&events);
    assert_eq!(uploads.len(), 1);
    let upload = uploads[0];
    assert_eq!(upload.command(), Command::RealTimeData);
    assert_eq!(upload.mn(), FUME_MN);
    assert_eq!(upload.factors().count(), 3);
    assert_eq!(h.sent(), Vec::<String>::new(), "nothing before the commit");
    let t = token(upload);
    assert!(h.s.ack(t));
    assert_eq!(h.sent(), [FUME_9014]);
    assert!(!h.s.ack(t), "a token works once");
    assert_eq!(h.s.pending_acks(), 0);
    assert_eq!(h.s.stats().uploads, 1);
}

#[test]
fn no_reply_without_the_ack_bit() {
    let mut h = Harness::default();
    let p = packet(FUME);
    let flag4 = frame_with_flag(&p, 4);
    h.input(&flag4);
    let events = h.events();
    let uploads = Harness::uploads(&events);
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].ack_token(), None);
    assert!(h.sent().is_empty());
}

fn frame_with_flag(p: &crate::Packet, flag: u8) -> Vec<u8> {
    let text = p.as_str().replace("Flag=5", &format!("Flag={flag}"));
    crate::frame::encode(text.as_bytes()).unwrap()
}

#[test]
fn unknown_device_and_wrong_password_are_rejected_without_data_or_reply() {
    let mut h = Harness::default();
    // Re-frame with a fresh CRC so only the password differs.
    let wrong_pw = crate::frame::encode(
        packet_text(FUME)
            .replace("PW=123456", "PW=654321")
            .as_bytes(),
    )
    .unwrap();
    h.input(&wrong_pw);
    let unknown =
        crate::frame::encode(packet_text(FUME).replace(FUME_MN, "NOPE").as_bytes()).unwrap();
    h.input(&unknown);
    let no_mn = crate::frame::encode(b"QN=1;ST=31;CN=2011;PW=123456;Flag=5;CP=&&&&").unwrap();
    h.input(&no_mn);
    assert_eq!(
        h.events(),
        [
            Event::Rejected {
                mn: Some(FUME_MN.into()),
                reason: RejectReason::WrongPassword
            },
            Event::Rejected {
                mn: Some("NOPE".into()),
                reason: RejectReason::UnknownDevice
            },
            Event::Rejected {
                mn: None,
                reason: RejectReason::MissingMn
            },
        ]
    );
    assert!(h.sent().is_empty());
    assert_eq!(h.s.stats().rejected, 3);
    assert_eq!(h.s.device(), None);
    assert_eq!(
        h.s.send_request(Request::GetTime { pol_id: None }, wall(), h.now),
        Err(RequestError::NotOnline)
    );
}

fn packet_text(frame: &[u8]) -> String {
    packet(frame).into_string()
}

#[test]
fn crc_failure_gets_no_reply_and_is_counted() {
    let mut h = Harness::default();
    let mut bad = FUME.to_vec();
    let n = bad.len();
    bad[n - 3] = b'0'; // CRC 9181 -> 9180
    h.input(&bad);
    assert_eq!(
        h.events(),
        [Event::Invalid(InputError::Frame(
            InvalidFrame::CrcMismatch {
                declared: 0x9180,
                computed: 0x9181
            }
        ))]
    );
    assert!(h.sent().is_empty());
    let stats = h.s.stats();
    assert_eq!(
        (stats.crc_errors, stats.frame_errors, stats.packets),
        (1, 1, 0)
    );
    // The stream continues.
    h.input(FUME);
    assert_eq!(Harness::uploads(&h.events()).len(), 1);
}

#[test]
fn body_errors_are_counted_and_get_no_reply() {
    let mut h = Harness::default();
    h.input(b"##0091QN=20180904160638000;ST=39;CN=2011;PW=123456;USCC=91440101MA59F70720;IMEI=867732039951777&&B8C1");
    assert!(matches!(
        h.events()[..],
        [Event::Invalid(InputError::Body(_))]
    ));
    assert!(h.sent().is_empty());
    assert_eq!(h.s.stats().body_errors, 1);
}

#[test]
fn time_calibration_notification_is_answered_at_once() {
    let mut h = Harness::default();
    h.input(C4_1013);
    let events = h.events();
    assert!(events.contains(&Event::TimeCalibrationRequested { mn: STD_MN.into() }));
    assert_eq!(
        h.sent(),
        [
            "##0087QN=20160801085857223;ST=91;CN=9013;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&2A80\\r\\n"
        ]
    );
    // The gateway answers with a set-time request.
    let id =
        h.s.send_request(
            Request::SetTime {
                time: wall(),
                pol_id: None,
            },
            wall(),
            h.now,
        )
        .unwrap();
    let sent = h.sent_packets();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].cn(), Command::SetTime);
    assert_eq!(
        sent[0].cp().get("SystemTime").unwrap().as_str(),
        "20240601120000"
    );
    assert_eq!(sent[0].qn(), Some("20240601120000000"));
    assert_eq!(sent[0].st(), Some("32"), "requests carry the device's ST");
    assert_eq!(sent[0].flag(), Some(Flag(5)));
    let _ = id;
}

/// Device-side answers (what a data logger sends back).
fn answer(request: &crate::Packet, cn: Command, key: &str, value: &str) -> Vec<u8> {
    PacketBuilder::new(cn)
        .qn(request.qn().unwrap())
        .st("91")
        .pw(request.pw().unwrap())
        .mn(request.mn().unwrap())
        .flag(Flag(4))
        .param(key, value)
        .build()
        .unwrap()
}

#[test]
fn first_connection_initialisation_runs_the_plan_in_order() {
    let mut h = Harness::new(SessionConfig {
        init: InitPlan {
            set_time: true,
            timeout_retry: None,
            rtd_interval: Some(30),
            min_interval: Some(10),
            realtime_upload: None,
            status_upload: None,
        },
        ..SessionConfig::default()
    });
    assert_eq!(h.s.initialise(wall(), h.now), Err(RequestError::NotOnline));
    h.input(FUME);
    let events = h.events();
    assert!(matches!(events[0], Event::Online { .. }));
    let ids = h.s.initialise(wall(), h.now).unwrap();
    assert_eq!(ids.len(), 3);
    assert_eq!(h.s.initialise(wall(), h.now).unwrap(), [], "only once");

    // One request at a time: only the 1012 is on the wire.
    let sent = h.sent_packets();
    assert_eq!(sent.len(), 1);
    let set_time = &sent[0];
    assert_eq!(set_time.cn(), Command::SetTime);
    assert_eq!(set_time.mn(), Some(FUME_MN));

    h.now += Duration::from_millis(300);
    h.input(&answer(set_time, Command::RequestAnswer, "QnRtn", "1"));
    h.input(&answer(set_time, Command::ExecutionResult, "ExeRtn", "1"));
    assert_eq!(
        h.events(),
        [Event::RequestFinished {
            id: ids[0],
            command: Command::SetTime,
            qn: "20240601120000000".into(),
            outcome: RequestOutcome::Executed(ExeRtn::Success),
        }]
    );
    // Next: 1062 with a later, unique QN.
    let sent = h.sent_packets();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].cn(), Command::SetRtdInterval);
    assert_eq!(sent[0].qn(), Some("20240601120000001"));
    assert_eq!(sent[0].cp().get("RtdInterval").unwrap().as_str(), "30");
    h.input(&answer(&sent[0], Command::RequestAnswer, "QnRtn", "2"));
    assert!(matches!(
        h.events()[..],
        [Event::RequestFinished {
            outcome: RequestOutcome::Refused(QnRtn::Rejected),
            ..
        }]
    ));
    let sent = h.sent_packets();
    assert_eq!(sent[0].cn(), Command::SetMinInterval);
    assert_eq!(sent[0].cp().get("MinInterval").unwrap().as_str(), "10");
}

#[test]
fn queued_set_time_is_advanced_by_its_wait() {
    let mut h = Harness::default();
    h.input(FUME);
    h.events();
    h.s.send_request(Request::GetRtdInterval, wall(), h.now)
        .unwrap();
    h.s.send_request(
        Request::SetTime {
            time: wall(),
            pol_id: None,
        },
        wall(),
        h.now,
    )
    .unwrap();
    let first = h.sent_packets().remove(0);
    h.now += Duration::from_millis(2500);
    h.input(&answer(&first, Command::RequestAnswer, "QnRtn", "1"));
    // The device uploads the interval with the request's QN: that answers the request.
    let upload = PacketBuilder::new(Command::GetRtdInterval)
        .qn(first.qn().unwrap())
        .st("31")
        .pw("123456")
        .mn(FUME_MN)
        .flag(Flag(4))
        .param("RtdInterval", "60")
        .build()
        .unwrap();
    h.input(&upload);
    let events = h.events();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::RequestFinished {
            outcome: RequestOutcome::Answered,
            command: Command::GetRtdInterval,
            ..
        }
    )));
    let data = Harness::uploads(&events);
    assert_eq!(
        data[0].first().cp().get("RtdInterval").unwrap().as_str(),
        "60"
    );
    let set_time = h.sent_packets().remove(0);
    assert_eq!(
        set_time.cp().get("SystemTime").unwrap().as_str(),
        "20240601120002"
    );
    // A late 9012 for the finished request is ignored.
    h.input(&answer(&first, Command::ExecutionResult, "ExeRtn", "1"));
    assert!(matches!(
        h.events()[..],
        [Event::Ignored {
            reason: IgnoreReason::UnmatchedReply,
            ..
        }]
    ));
}

#[test]
fn unanswered_request_is_retried_then_times_out() {
    let mut h = Harness::default();
    h.input(FUME);
    h.events();
    let id =
        h.s.send_request(Request::GetTime { pol_id: None }, wall(), h.now)
            .unwrap();
    let first = h.sent();
    assert_eq!(first.len(), 1);
    assert_eq!(h.s.poll_timeout(), Some(h.now + Duration::from_secs(10)));
    for retry in 1..=3 {
        h.fire_timer();
        assert_eq!(h.sent(), first, "retry {retry} resends the same bytes");
        assert!(h.events().is_empty());
    }
    h.fire_timer();
    assert!(h.sent().is_empty());
    assert_eq!(h.now - h.t0, Duration::from_secs(40));
    assert_eq!(
        h.events(),
        [Event::RequestFinished {
            id,
            command: Command::GetTime,
            qn: "20240601120000000".into(),
            outcome: RequestOutcome::TimedOut,
        }]
    );
    assert_eq!(h.s.stats().transmitted, 4);
}

#[test]
fn missing_execution_result_times_out() {
    let mut h = Harness::default();
    h.input(FUME);
    h.events();
    h.s.send_request(Request::SetRtdInterval(60), wall(), h.now)
        .unwrap();
    let req = h.sent_packets().remove(0);
    h.input(&answer(&req, Command::RequestAnswer, "QnRtn", "1"));
    assert!(h.events().is_empty());
    assert_eq!(h.s.poll_timeout(), Some(h.now + Duration::from_secs(60)));
    h.fire_timer();
    assert!(matches!(
        h.events()[..],
        [Event::RequestFinished {
            outcome: RequestOutcome::TimedOut,
            ..
        }]
    ));
}

#[test]
fn stop_notification_completes_on_9013() {
    let mut h = Harness::default();
    h.input(FUME);
    h.events();
    h.s.send_request(Request::StopRealTimeData, wall(), h.now)
        .unwrap();
    let req = h.sent_packets().remove(0);
    assert_eq!(req.cn(), Command::StopRealTimeData);
    let ack = PacketBuilder::new(Command::NotificationAnswer)
        .qn(req.qn().unwrap())
        .st("91")
        .pw("123456")
        .mn(FUME_MN)
        .flag(Flag(4))
        .build()
        .unwrap();
    h.input(&ack);
    assert!(matches!(
        h.events()[..],
        [Event::RequestFinished {
            outcome: RequestOutcome::Acknowledged,
            ..
        }]
    ));
}

#[test]
fn idle_timeout_closes_the_session() {
    let mut h = Harness::default();
    assert_eq!(h.s.poll_timeout(), Some(h.t0 + Duration::from_secs(600)));
    h.advance(Duration::from_secs(300));
    h.input(FUME);
    h.events();
    assert_eq!(h.s.poll_timeout(), Some(h.t0 + Duration::from_secs(900)));
    h.advance(Duration::from_secs(599));
    assert!(h.events().is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(h.events(), [Event::Closed(CloseReason::IdleTimeout)]);
    assert!(h.s.is_closed());
    assert_eq!(h.s.poll_timeout(), None);
    h.input(FUME);
    assert!(h.events().is_empty(), "input after close is ignored");
}

#[test]
fn garbage_flood_is_fatal() {
    let mut h = Harness::default();
    h.input(&[b'x'; 5000]);
    assert!(matches!(
        h.events()[..],
        [Event::Closed(CloseReason::Fatal(
            crate::FatalFrame::TooMuchGarbage { .. }
        ))]
    ));
    assert!(h.s.is_closed());
}

#[test]
fn split_upload_is_reassembled_and_acked_as_a_whole() {
    let mut h = Harness::default();
    h.input(C50_P1);
    let events = h.events();
    assert!(Harness::uploads(&events).is_empty());
    assert!(h.s.poll_timeout().unwrap() <= h.now + Duration::from_secs(60));
    h.now += Duration::from_secs(1);
    h.input(C50_P2);
    let events = h.events();
    let uploads = Harness::uploads(&events);
    assert_eq!(uploads.len(), 1);
    let u = uploads[0];
    assert_eq!(u.len(), 2);
    assert_eq!(u.command(), Command::HourData);
    let codes: Vec<_> = u.factors().map(|f| f.code()).collect();
    assert_eq!(codes, ["w00000", "w01001", "w01018"]);
    assert_eq!(u.data_time().unwrap().to_n14(), "20160801080000");
    assert!(h.sent().is_empty());
    assert!(h.s.ack(token(u)));
    assert_eq!(
        h.sent(),
        [
            "##0087QN=20160801085857534;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&5B40\\r\\n",
            "##0087QN=20160801085857535;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&4A40\\r\\n",
        ]
    );
}

#[test]
fn incomplete_split_upload_expires_unacknowledged() {
    let mut h = Harness::default();
    h.input(C50_P2);
    h.events();
    h.advance(Duration::from_secs(59));
    assert!(h.events().is_empty());
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.events(),
        [Event::SubPacketsDropped {
            mn: STD_MN.into(),
            command: Command::HourData,
            received: 1,
            total: 2,
            reason: DropReason::Expired,
        }]
    );
    assert!(h.sent().is_empty());
    assert_eq!(h.s.stats().subpacket_sets_dropped, 1);
}

#[test]
fn pass_through_delivers_each_part() {
    let mut h = Harness::new(SessionConfig {
        subpackets: SubPackets::PassThrough,
        init: InitPlan::none(),
        ..SessionConfig::default()
    });
    h.input(C50_P1);
    h.input(C50_P2);
    let events = h.events();
    let uploads = Harness::uploads(&events);
    assert_eq!(uploads.len(), 2);
    assert!(h.s.ack(token(uploads[1])));
    let sent = h.sent_packets();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].qn(), Some("20160801085857535"));
}

#[test]
fn retransmissions_are_not_delivered_twice() {
    let mut h = Harness::default();
    h.input(FUME);
    let events = h.events();
    let t = token(Harness::uploads(&events)[0]);
    // The device retries before the commit: swallowed.
    h.input(FUME);
    assert!(matches!(
        h.events()[..],
        [Event::Ignored {
            reason: IgnoreReason::Duplicate,
            ..
        }]
    ));
    assert!(h.s.ack(t));
    assert_eq!(h.sent(), [FUME_9014]);
    // The 9014 got lost and the device retries again: answered at once, no new data event.
    h.input(FUME);
    assert!(h.events().is_empty());
    assert_eq!(h.sent(), [FUME_9014]);
    assert_eq!(h.s.stats().duplicates, 2);
}

#[test]
fn abandoned_upload_is_never_acknowledged() {
    let mut h = Harness::default();
    h.input(FUME);
    let events = h.events();
    let t = token(Harness::uploads(&events)[0]);
    assert!(h.s.abandon(t));
    assert!(!h.s.ack(t));
    assert!(h.sent().is_empty());
    // The device retransmits: it is new data again.
    h.input(FUME);
    assert_eq!(Harness::uploads(&h.events()).len(), 1);
}

#[test]
fn pending_acks_are_bounded() {
    let mut h = Harness::new(SessionConfig {
        max_pending_acks: 2,
        init: InitPlan::none(),
        ..SessionConfig::default()
    });
    let mut tokens = Vec::new();
    for i in 0..3 {
        let text = packet_text(FUME).replace("225849000", &format!("22584900{i}"));
        h.input(&crate::frame::encode(text.as_bytes()).unwrap());
        let events = h.events();
        tokens.push(token(Harness::uploads(&events)[0]));
    }
    assert_eq!(h.s.pending_acks(), 2);
    assert!(!h.s.ack(tokens[0]), "the oldest was dropped");
    assert!(h.s.ack(tokens[2]));
    assert_eq!(h.s.stats().acks_dropped, 1);
}

#[test]
fn heartbeat_and_mirrored_version() {
    let hb =
        b"##0071QN=20260101000000000;ST=31;CN=9015;PW=123456;MN=FUME0001;Flag=9;CP=&&&&4540\r\n";
    let mut h = Harness::default();
    h.input(hb);
    assert!(h.events().contains(&Event::Heartbeat {
        mn: "FUME0001".into()
    }));
    assert_eq!(
        h.sent_packets()[0].flag(),
        Some(Flag(4)),
        "platform version 2017"
    );

    let mut h = Harness::new(SessionConfig {
        mirror_device_version: true,
        init: InitPlan::none(),
        ..SessionConfig::default()
    });
    h.input(hb);
    let reply = h.sent_packets().remove(0);
    assert_eq!(reply.flag(), Some(Flag(8)), "mirrors 2025");
    assert_eq!(reply.cn(), Command::DataAnswer);
}

#[test]
fn unexpected_commands_are_ignored() {
    let mut h = Harness::default();
    // A device sending the platform's 1062 request.
    let bytes = encode::set_rtd_interval(
        &encode::Target {
            qn: "20160801085857223",
            st: "32",
            pw: "123456",
            mn: STD_MN,
            flag: Flag(5),
        },
        30,
    )
    .unwrap();
    h.input(&bytes);
    let events = h.events();
    assert!(matches!(
        events.last(),
        Some(Event::Ignored {
            reason: IgnoreReason::UnexpectedCommand,
            ..
        })
    ));
    assert!(h.sent().is_empty());
}

#[test]
fn chunked_input_gives_the_same_events() {
    let mut stream = Vec::new();
    stream.extend_from_slice(FUME);
    stream.extend_from_slice(b"xx\r\n#");
    stream.extend_from_slice(C50_P1);
    stream.extend_from_slice(C50_P2);
    stream.extend_from_slice(C4_1013);
    let mut whole = Harness::default();
    whole.input(&stream);
    let expected = whole.events();
    for size in [1, 2, 7, 64] {
        let mut h = Harness::default();
        for c in stream.chunks(size) {
            h.input(c);
        }
        assert_eq!(h.events(), expected, "chunk size {size}");
    }
    assert_eq!(Harness::uploads(&expected).len(), 2);
}

#[test]
fn modbus_devices_can_be_served_when_configured() {
    let modbus = b"##0295QN=20190312154807595;ST=22;CN=2000;PW=555555;MN=ZYJCY20190122002;Flag=5;CP=&&DataTime=20190312154807;Operation=1;s10001=0;s10002=0;s10003=23.2;s10004=24.2;s10005=45.7;s10006=24.6;s10007=50.3;s10008=12.0;s10009=0;s10010=0;s10011=0;s10012=0;s10013=1;s10014=1;s10015=1;s10016=1;s10017=0;s10018=0;&&32aa";
    let config = SessionConfig {
        framer: FramerConfig {
            accept_modbus_crc: true,
            ..FramerConfig::lenient()
        },
        init: InitPlan::none(),
        ..SessionConfig::default()
    };
    let t0 = Instant::now();
    let mut s = Session::new(
        config,
        |_: &str, pw: &str| {
            if pw == "555555" {
                Auth::Accept
            } else {
                Auth::WrongPassword
            }
        },
        t0,
    );
    s.handle_input(modbus, t0);
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    let upload = events.iter().find_map(|e| match e {
        Event::Data(u) => Some(u),
        _ => None,
    });
    assert_eq!(upload.unwrap().command(), Command::Unknown(2000));
}
