//! Every vector of the project's HJ 212 conformance file, copied to
//! `test_data/conformance/*.hj212`: outcome tallies under the lenient and strict framer,
//! a decode snapshot (`*.expect`), hand-written assertions on the decoded values, and the exact
//! platform replies listed in `test_data/expected_replies.txt`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{check_snapshot, dump_stream, escape, packet, test_data, unescape};
use crate::command::DeviceRole;
use crate::encode;
use crate::{
    Command, CrcVariant, DataFlag, Decimal, FrameError, FramerConfig, InvalidFrame, Packet,
    PacketFramer, RunningStatus, Version,
};

struct Fixture {
    /// File stem, e.g. `01_STD-A1`.
    name: String,
    id: String,
    bytes: Vec<u8>,
}

fn fixtures() -> Vec<Fixture> {
    let dir = test_data("conformance");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("hj212") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("# id: "))
            .unwrap()
            .to_owned();
        let packet = text
            .lines()
            .find_map(|l| l.strip_prefix("packet: "))
            .unwrap();
        out.push(Fixture {
            name: path.file_stem().unwrap().to_str().unwrap().to_owned(),
            id,
            bytes: unescape(packet),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn fixture(id: &str) -> Vec<u8> {
    fixtures()
        .into_iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no fixture {id}"))
        .bytes
}

/// What a framer + parser made of a byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tally {
    ok: usize,
    body_errors: usize,
    invalid: usize,
    fatal: bool,
    waiting: bool,
}

const fn t(ok: usize, body_errors: usize, invalid: usize, fatal: bool, waiting: bool) -> Tally {
    Tally {
        ok,
        body_errors,
        invalid,
        fatal,
        waiting,
    }
}

fn tally(bytes: &[u8], config: FramerConfig) -> (Tally, Vec<Packet>) {
    let mut framer = PacketFramer::new(config);
    framer.push(bytes);
    let mut tally = t(0, 0, 0, false, false);
    let mut packets = Vec::new();
    while let Some(item) = framer.next_packet() {
        match item {
            Ok(raw) => match Packet::from_raw(raw) {
                Ok(p) => {
                    tally.ok += 1;
                    packets.push(p);
                }
                Err(_) => tally.body_errors += 1,
            },
            Err(FrameError::Invalid(_)) => tally.invalid += 1,
            Err(FrameError::Fatal(_)) => tally.fatal = true,
        }
    }
    tally.waiting = framer.buffered() > 0;
    (tally, packets)
}

const ACCEPT: Tally = t(1, 0, 0, false, false);
const CRC_REJECT: Tally = t(0, 0, 1, false, false);
const WAITING: Tally = t(0, 0, 0, false, true);

/// `(id, lenient, strict)`: the verdicts of the conformance file, per framing policy.
const VERDICTS: &[(&str, Tally, Tally)] = &[
    ("STD-A1", ACCEPT, ACCEPT),
    ("OSS-FUME-1", ACCEPT, ACCEPT),
    // No CRLF in the source: lenient accepts, strict waits for the tail.
    ("OSS-DUST-1", ACCEPT, WAITING),
    ("OSS-DUST-2", ACCEPT, WAITING),
    ("OSS-NOISE-1", ACCEPT, WAITING),
    ("OSS-AIR-1", ACCEPT, WAITING),
    ("OSS-AIR-2", ACCEPT, ACCEPT),
    ("OSS-AIR-3", ACCEPT, ACCEPT),
    ("OSS-AIR-4", ACCEPT, ACCEPT),
    ("OSS-WATER-1", ACCEPT, ACCEPT),
    ("OSS-2005-1", ACCEPT, ACCEPT),
    ("OSS-2005-2", ACCEPT, WAITING),
    ("OSS-2005-3", ACCEPT, ACCEPT),
    ("OSS-IFACE-1", ACCEPT, ACCEPT),
    ("OSS-IFACE-2", ACCEPT, ACCEPT),
    ("OSS-IFACE-3", ACCEPT, ACCEPT),
    ("OSS-IFACE-4", ACCEPT, ACCEPT),
    // Frame fine, body not HJ 212.
    ("OSS-LOGIN-1", t(0, 1, 0, false, false), WAITING),
    ("BAD-1", CRC_REJECT, CRC_REJECT),
    ("BAD-2", CRC_REJECT, CRC_REJECT),
    ("BAD-3", CRC_REJECT, CRC_REJECT),
    ("BAD-4", CRC_REJECT, CRC_REJECT),
    ("BAD-5", CRC_REJECT, CRC_REJECT),
    // No CRLF in the source: the strict framer judges a frame only once its tail is here.
    ("BAD-6", CRC_REJECT, WAITING),
    ("MODBUS-1", CRC_REJECT, WAITING),
    ("BAD-7", CRC_REJECT, WAITING),
    // Declared length longer than the packet: nothing is accepted; the framer waits for the
    // declared bytes (see `bad_length_vectors_recover_the_next_packet`).
    ("BAD-LEN-1", WAITING, WAITING),
    ("BAD-TRUNC-1", WAITING, WAITING),
    ("C1-REQ", ACCEPT, ACCEPT),
    ("C1-9011", ACCEPT, ACCEPT),
    ("C1-9012", ACCEPT, ACCEPT),
    ("C4-1013", ACCEPT, ACCEPT),
    ("C4-9013", ACCEPT, ACCEPT),
    ("C14-9014", ACCEPT, ACCEPT),
    ("C10-2011REQ", ACCEPT, ACCEPT),
    ("C11-2012", ACCEPT, ACCEPT),
    ("C16-2051", ACCEPT, ACCEPT),
    ("C24-2081", ACCEPT, ACCEPT),
    ("C25-NOISE-RT", ACCEPT, ACCEPT),
    ("C26-NOISE-MIN", ACCEPT, ACCEPT),
    ("C50-P1", ACCEPT, ACCEPT),
    ("C50-P2", ACCEPT, ACCEPT),
    ("SYN-FUME-MIN", ACCEPT, ACCEPT),
    (
        "SYN-STICKY",
        t(2, 0, 0, false, false),
        t(2, 0, 0, false, false),
    ),
    ("SYN-GARBAGE", ACCEPT, ACCEPT),
    ("SYN-LOWER", ACCEPT, ACCEPT),
    ("SYN-NOCRLF", ACCEPT, WAITING),
    // LF only: lenient accepts; strict waits for a second tail byte (then rejects, see below).
    ("SYN-LFONLY", ACCEPT, WAITING),
    ("SYN-BADCRC", CRC_REJECT, CRC_REJECT),
    ("SYN-UTF8", ACCEPT, ACCEPT),
    // Length in characters: the CRC position falls inside the text → skipped.
    ("SYN-UTF8-CHARLEN", CRC_REJECT, CRC_REJECT),
    // 1294-byte segment: within the lenient 4096 limit, fatal under the strict 1024 limit.
    ("SYN-OVERSIZE", ACCEPT, t(0, 0, 0, true, false)),
    ("SYN-2025-HB", ACCEPT, ACCEPT),
];

#[test]
fn every_fixture_has_a_verdict_and_matches_it() {
    let all = fixtures();
    assert_eq!(all.len(), VERDICTS.len(), "fixture count");
    for f in &all {
        let (_, lenient, strict) = VERDICTS
            .iter()
            .find(|(id, ..)| *id == f.id)
            .unwrap_or_else(|| panic!("no verdict for {}", f.id));
        let (got, _) = tally(&f.bytes, FramerConfig::lenient());
        assert_eq!(got, *lenient, "{} lenient", f.id);
        let (got, _) = tally(&f.bytes, FramerConfig::strict());
        assert_eq!(got, *strict, "{} strict", f.id);
    }
}

/// The platform's answer to a decoded packet under the session's rules (no answer unless
/// Flag.A; 9014 for uploads and heartbeats, 9013 for notifications).
fn expected_reply(p: &Packet) -> Option<Vec<u8>> {
    if !p.needs_ack() {
        return None;
    }
    match p.cn().device_role() {
        DeviceRole::Upload | DeviceRole::Heartbeat => {
            Some(encode::data_answer(p, Version::V2017).unwrap())
        }
        DeviceRole::Notification => Some(encode::notification_answer(p, Version::V2017).unwrap()),
        DeviceRole::Reply | DeviceRole::Unexpected => None,
    }
}

#[test]
fn decode_snapshots() {
    for f in fixtures() {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# {} — decode under the lenient framer (default)",
            f.id
        );
        out.push_str(&dump_stream(&f.bytes, FramerConfig::lenient()));
        let (_, packets) = tally(&f.bytes, FramerConfig::lenient());
        for p in &packets {
            if let Some(reply) = expected_reply(p) {
                let _ = writeln!(out, "reply: {}", escape(&reply));
            }
        }
        let _ = writeln!(out, "# strict framer (1024 bytes, CRLF required)");
        out.push_str(&dump_stream(&f.bytes, FramerConfig::strict()));
        check_snapshot(&format!("conformance/{}.expect", f.name), &out);
    }
}

#[test]
fn expected_replies_are_exact() {
    let text = std::fs::read_to_string(test_data("expected_replies.txt")).unwrap();
    let mut checked = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (id, reply) = line.split_once(' ').unwrap();
        let p = packet(&fixture(id));
        let got = expected_reply(&p).unwrap_or_else(|| panic!("{id}: no reply"));
        assert_eq!(escape(&got), reply, "{id}");
        checked += 1;
    }
    assert_eq!(checked, 7);
}

#[test]
fn no_reply_without_the_ack_bit() {
    for id in [
        "OSS-DUST-1",
        "OSS-DUST-2",
        "OSS-AIR-1",
        "OSS-AIR-2",
        "OSS-WATER-1",
        "OSS-2005-1",
    ] {
        let p = packet(&fixture(id));
        assert!(!p.needs_ack(), "{id}");
        assert_eq!(expected_reply(&p), None, "{id}");
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

#[test]
fn std_a1_set_rtd_interval() {
    let p = packet(&fixture("STD-A1"));
    assert_eq!(p.qn(), Some("20160801085857223"));
    assert_eq!(p.qn_time().unwrap().to_string(), "2016-08-01T08:58:57.223");
    assert_eq!(p.st(), Some("32"));
    assert_eq!(p.cn(), Command::SetRtdInterval);
    assert_eq!(p.pw(), Some("100000"));
    assert_eq!(p.mn(), Some("010000A8900016F000169DC0"));
    let flag = p.flag().unwrap();
    assert_eq!(
        (flag.0, flag.version(), flag.is_split(), flag.needs_ack()),
        (5, Version::V2017, false, true)
    );
    assert_eq!(p.cp().get("RtdInterval").unwrap().to_u16(), Some(30));
}

#[test]
fn fume_realtime_packet() {
    let p = packet(&fixture("OSS-FUME-1"));
    assert_eq!(p.cn(), Command::RealTimeData);
    assert_eq!(p.st(), Some("31"));
    let cp = p.cp();
    assert_eq!(cp.data_time().unwrap().to_n14(), "20180531225849");
    let fume = cp.factor("a34041").unwrap();
    assert_eq!(fume.rtd().unwrap().as_str(), "0.00");
    assert_eq!(fume.rtd().unwrap().decimal().unwrap(), dec("0"));
    assert_eq!(fume.flag(), Some(DataFlag::Normal));
    assert_eq!(
        cp.factor("SB7").unwrap().running_status(),
        Some(RunningStatus::Calibration)
    );
    assert_eq!(
        cp.factor("SB8").unwrap().running_status(),
        Some(RunningStatus::Calibration)
    );
    assert_eq!(cp.factors().count(), 3);
}

#[test]
fn dust_packets() {
    let p = packet(&fixture("OSS-DUST-1"));
    assert_eq!(p.st(), Some("39"));
    assert_eq!(p.flag().map(|f| f.0), Some(4));
    let cp = p.cp();
    let codes: Vec<_> = cp.factors().map(|f| f.code()).collect();
    assert_eq!(
        codes,
        [
            "a34004", "a34002", "a34001", "LA", "a01001", "a01002", "a01006", "a01007", "a01008"
        ]
    );
    assert_eq!(
        cp.factor("LA").unwrap().rtd().unwrap().to_scaled(1),
        Some(0)
    );
    assert_eq!(cp.factor("a01008").unwrap().rtd().unwrap().as_str(), "0");

    // 14-digit QN, no Flag.
    let p = packet(&fixture("OSS-DUST-2"));
    assert_eq!(p.qn(), Some("20180507000558"));
    assert_eq!(p.flag(), None);
    assert!(!p.needs_ack());
    assert_eq!(p.version(), Version::V2005);
    let cp = p.cp();
    let value = |code: &str| cp.factor(code).unwrap().rtd().unwrap().decimal().unwrap();
    assert_eq!(value("a01001"), dec("26.0"));
    assert_eq!(value("a01002"), dec("30.4"));
    assert_eq!(value("a34001"), dec("0"));
    assert_eq!(value("a34002"), dec("24"));
    assert_eq!(value("a34004"), dec("23.0"));
    assert!(cp.factors().all(|f| f.flag() == Some(DataFlag::Normal)));
}

#[test]
fn noise_with_empty_mn_and_comm_fault_flag() {
    let p = packet(&fixture("OSS-NOISE-1"));
    assert_eq!(p.mn(), Some(""));
    let noise = p.cp().factor("a50001").unwrap();
    assert_eq!(noise.rtd().unwrap().as_str(), "0.00");
    assert_eq!(noise.flag(), Some(DataFlag::CommFault));
}

#[test]
fn air_minute_data_and_odd_codes() {
    let p = packet(&fixture("OSS-AIR-1"));
    assert_eq!(p.cn(), Command::MinuteData);
    assert_eq!(p.mn(), Some("JLYP01_AIR01_0001"));
    let co = p.cp().factor("a21005").unwrap();
    assert_eq!(co.avg().unwrap().to_scaled(3), Some(427));
    assert_eq!(p.cp().factors().count(), 11);

    let p = packet(&fixture("OSS-AIR-3"));
    assert!(p.cp().factors().all(|f| f.code().len() == 5));
    let p = packet(&fixture("OSS-AIR-4"));
    assert!(p.cp().factors().all(|f| f.code().len() == 4));
    assert_eq!(
        p.cp().factor("a213").unwrap().rtd().unwrap().to_scaled(2),
        Some(10194)
    );
}

#[test]
fn water_flag_8_is_version_2025() {
    let p = packet(&fixture("OSS-WATER-1"));
    let f = p.flag().unwrap();
    assert_eq!(
        (f.version(), f.needs_ack(), f.is_split()),
        (Version::V2025, false, false)
    );
    let w21003 = p
        .cp()
        .factor("w21003")
        .unwrap()
        .rtd()
        .unwrap()
        .decimal()
        .unwrap();
    assert_eq!((w21003.mantissa(), w21003.scale()), (9_055_002, 8));
}

#[test]
fn hj212_2005_packets_without_qn_and_flag() {
    let p = packet(&fixture("OSS-2005-1"));
    assert_eq!(p.qn(), None);
    assert_eq!(p.flag(), None);
    assert_eq!(p.mn(), Some("LD130133000015"));
    assert_eq!(
        p.cp().data_time().unwrap().to_string(),
        "2016-08-24T00:38:17.000"
    );
    assert_eq!(
        p.cp().factor("B01").unwrap().rtd().unwrap().as_str(),
        "36.91"
    );
    assert_eq!(
        p.cp().factor("011").unwrap().rtd().unwrap().as_str(),
        "231.0"
    );
    let p = packet(&fixture("OSS-2005-3"));
    assert_eq!(
        p.cp().factor("ele01").unwrap().rtd().unwrap().to_u16(),
        Some(1)
    );
}

#[test]
fn interface_packets() {
    let p = packet(&fixture("OSS-IFACE-1"));
    assert_eq!(p.cn(), Command::RequestAnswer);
    assert_eq!(p.st(), Some("22"));
    assert_eq!(p.cp().get("QnRtn").unwrap().to_u16(), Some(1));
    let p = packet(&fixture("OSS-IFACE-2"));
    assert_eq!(p.cn(), Command::RestartTime);
    assert_eq!(
        p.cp()
            .get("RestartTime")
            .unwrap()
            .to_datetime()
            .unwrap()
            .to_n14(),
        "20231007130452"
    );
    let p = packet(&fixture("OSS-IFACE-3"));
    let f = p.cp().factor("w01008").unwrap();
    assert_eq!(f.get("SampleTime").unwrap().as_str(), "20231008123340");
    assert_eq!(f.rtd().unwrap().to_scaled(3), Some(123_456));
}

#[test]
fn login_frame_is_a_body_error_not_a_frame_error() {
    let bytes = fixture("OSS-LOGIN-1");
    let mut framer = PacketFramer::new(FramerConfig::lenient());
    framer.push(&bytes);
    let raw = framer.next_packet().unwrap().unwrap();
    assert_eq!(raw.crc(), 0xB8C1);
    assert_eq!(
        Packet::from_raw(raw).unwrap_err(),
        crate::BodyError::MissingCp
    );
}

#[test]
fn bad_crc_vectors_report_the_computed_crc() {
    for (id, declared, computed) in [
        ("BAD-1", 0x1100, 0x2D00),
        ("BAD-2", 0x4980, 0x3C00),
        ("BAD-3", 0xF9C1, 0x7340),
        ("BAD-4", 0x2800, 0xD801),
        ("BAD-5", 0x4981, 0x4980),
        ("BAD-6", 0x48C0, 0xBC81),
        ("MODBUS-1", 0x32AA, 0x4380),
        ("BAD-7", 0xEA38, 0x6840),
        ("SYN-BADCRC", 0x0000, 0xB7C1),
    ] {
        let mut framer = PacketFramer::new(FramerConfig::lenient());
        framer.push(&fixture(id));
        assert_eq!(
            framer.next_packet(),
            Some(Err(FrameError::Invalid(InvalidFrame::CrcMismatch {
                declared,
                computed
            }))),
            "{id}"
        );
        assert_eq!(framer.next_packet(), None, "{id}");
        assert_eq!(
            framer.stats().garbage_bytes,
            0,
            "{id}: bad frames are not garbage"
        );
    }
}

#[test]
fn modbus_crc_accepted_only_when_configured() {
    let bytes = fixture("MODBUS-1");
    let config = FramerConfig {
        accept_modbus_crc: true,
        ..FramerConfig::lenient()
    };
    let mut framer = PacketFramer::new(config);
    framer.push(&bytes);
    let raw = framer.next_packet().unwrap().unwrap();
    assert_eq!(raw.crc_variant(), CrcVariant::Modbus);
    let p = Packet::from_raw(raw).unwrap();
    assert_eq!(p.cn(), Command::Unknown(2000));
    assert_eq!(p.cp().get("s10003").unwrap().as_str(), "23.2");
    // A genuine HJ 212 CRC is still reported as such.
    let mut framer = PacketFramer::new(config);
    framer.push(&fixture("STD-A1"));
    assert_eq!(
        framer.next_packet().unwrap().unwrap().crc_variant(),
        CrcVariant::Hj212
    );
}

#[test]
fn bad_length_vectors_recover_the_next_packet() {
    let good = fixture("SYN-FUME-MIN");
    for id in ["BAD-LEN-1", "BAD-TRUNC-1", "SYN-UTF8-CHARLEN"] {
        let mut stream = fixture(id);
        stream.extend_from_slice(&good);
        let (got, packets) = tally(&stream, FramerConfig::lenient());
        assert_eq!(got.ok, 1, "{id}: {got:?}");
        assert!(got.invalid >= 1, "{id}: {got:?}");
        assert!(!got.fatal && !got.waiting, "{id}: {got:?}");
        assert_eq!(
            packets[0].as_str().as_bytes(),
            &good[6..good.len() - 6],
            "{id}"
        );
    }
}

#[test]
fn strict_mode_rejects_lf_only_once_more_bytes_arrive() {
    let mut stream = fixture("SYN-LFONLY");
    stream.extend_from_slice(&fixture("SYN-FUME-MIN"));
    let mut framer = PacketFramer::new(FramerConfig::strict());
    framer.push(&stream);
    assert_eq!(
        framer.next_packet(),
        Some(Err(FrameError::Invalid(InvalidFrame::MissingCrlf)))
    );
    assert!(framer.next_packet().unwrap().is_ok());
    assert_eq!(framer.next_packet(), None);
}

#[test]
fn appendix_c_split_packets() {
    let p1 = packet(&fixture("C50-P1"));
    let p2 = packet(&fixture("C50-P2"));
    for (p, no) in [(&p1, 1), (&p2, 2)] {
        assert_eq!(p.cn(), Command::HourData);
        assert_eq!((p.pnum(), p.pno()), (Some(2), Some(no)));
        assert!(p.is_split());
        assert!(p.flag().unwrap().is_split() && p.needs_ack());
    }
    assert_ne!(p1.qn(), p2.qn(), "each sub-packet has its own QN");
}

#[test]
fn noise_minute_statistics() {
    let p = packet(&fixture("C26-NOISE-MIN"));
    let cp = p.cp();
    let data: BTreeMap<_, _> = cp
        .factors()
        .map(|f| (f.code(), f.data().unwrap().as_str()))
        .collect();
    assert_eq!(data.len(), 8);
    assert_eq!(data["Leq"], "50.0");
    assert_eq!(data["LMn"], "42.0");
    let p = packet(&fixture("C25-NOISE-RT"));
    assert_eq!(
        p.cp().factor("LA").unwrap().rtd().unwrap().to_scaled(1),
        Some(501)
    );
}

#[test]
fn synthetic_fume_minute_and_stream_cases() {
    let p = packet(&fixture("SYN-FUME-MIN"));
    let fume = p.cp().factor("a34041").unwrap();
    assert_eq!(fume.avg().unwrap().decimal().unwrap(), dec("1.23"));
    assert_eq!(fume.min().unwrap().decimal().unwrap(), dec("0.5"));
    assert_eq!(fume.max().unwrap().to_scaled(2), Some(280));
    assert_eq!(
        p.cp().factor("a24088").unwrap().avg().unwrap().as_str(),
        "4.10"
    );

    let (_, sticky) = tally(&fixture("SYN-STICKY"), FramerConfig::lenient());
    assert_eq!(sticky[0].cn(), Command::MinuteData);
    assert_eq!(sticky[1].cn(), Command::DataAnswer);

    let mut framer = PacketFramer::new(FramerConfig::lenient());
    framer.push(&fixture("SYN-GARBAGE"));
    assert!(framer.next_packet().unwrap().is_ok());
    assert_eq!(framer.next_packet(), None);
    assert_eq!(framer.stats().garbage_bytes, 3, "x, x and the lone #");

    let p = packet(&fixture("SYN-UTF8"));
    assert_eq!(
        p.cp()
            .factor("i11001")
            .unwrap()
            .get("Info")
            .unwrap()
            .as_str(),
        "//风机启动//"
    );
    assert_eq!(p.cp().get("PolId").unwrap().as_str(), "a34041");

    let p = packet(&fixture("SYN-2025-HB"));
    assert_eq!(p.cn(), Command::Heartbeat);
    assert_eq!(p.version(), Version::V2025);
    assert!(p.needs_ack());
}
