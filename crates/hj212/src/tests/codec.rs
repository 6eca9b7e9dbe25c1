//! Unit tests of the frame and message layers: CRC, framer edge cases, header and CP parsing,
//! decimals, date-times, and the builders (Appendix A and C packets rebuilt byte for byte).

use super::{escape, packet};
use crate::command::Flag;
use crate::cp::CpBuf;
use crate::crc::{crc16, crc16_bitwise, crc16_modbus, is_plausible, parse_hex, write_hex};
use crate::encode::{self, PacketBuilder, Request, Target};
use crate::frame::{self, FatalFrame, FrameError, FramerConfig, InvalidFrame, PacketFramer};
use crate::{
    BodyError, Command, DateTime, Decimal, DecimalError, ExeRtn, Packet, QnRtn, TimeError, Version,
};

const APPENDIX_A_DATA: &str = "QN=20160801085857223;ST=32;CN=1062;PW=100000;\
MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";
const APPENDIX_A: &[u8] = b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;\
MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";

// ----- CRC -----

#[test]
fn crc_check_values() {
    assert_eq!(crc16(APPENDIX_A_DATA.as_bytes()), 0x1C80);
    assert_eq!(crc16(b"123456789"), 0x2F80);
    assert_eq!(crc16(b""), 0xFFFF);
    assert_eq!(crc16_bitwise(b"123456789"), 0x2F80);
    assert_eq!(
        crc16_modbus(b"123456789"),
        0x4B37,
        "Modbus is a different algorithm"
    );
}

#[test]
fn crc_fast_path_matches_bitwise_for_every_length_up_to_64() {
    let data: Vec<u8> = (0u8..64)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    for n in 0..=data.len() {
        assert_eq!(crc16(&data[..n]), crc16_bitwise(&data[..n]), "len {n}");
        assert!(n == 0 || is_plausible(crc16(&data[..n])));
    }
}

#[test]
fn crc_hex_field() {
    assert_eq!(parse_hex(b"1C80"), Some(0x1C80));
    assert_eq!(parse_hex(b"cc01"), Some(0xCC01));
    assert_eq!(parse_hex(b"Cc0f"), Some(0xCC0F));
    assert_eq!(parse_hex(b"&&?A"), None);
    assert_eq!(parse_hex(b"123"), None);
    assert_eq!(parse_hex(b"12345"), None);
    let mut out = Vec::new();
    write_hex(0x0a0b, &mut out);
    assert_eq!(out, b"0A0B");
}

// ----- framer -----

fn drain(framer: &mut PacketFramer) -> Vec<Result<Vec<u8>, FrameError>> {
    std::iter::from_fn(|| framer.next_packet())
        .map(|r| r.map(|p| p.into_data()))
        .collect()
}

#[test]
fn frames_appendix_a_and_encodes_it_back() {
    let mut framer = PacketFramer::new(FramerConfig::strict());
    framer.push(APPENDIX_A);
    assert_eq!(
        drain(&mut framer),
        vec![Ok(APPENDIX_A_DATA.as_bytes().to_vec())]
    );
    assert_eq!(framer.buffered(), 0);
    assert_eq!(
        frame::encode(APPENDIX_A_DATA.as_bytes()).unwrap(),
        APPENDIX_A
    );
}

#[test]
fn byte_by_byte_delivery() {
    let mut framer = PacketFramer::new(FramerConfig::strict());
    let mut got = Vec::new();
    for b in APPENDIX_A {
        framer.push(std::slice::from_ref(b));
        got.extend(drain(&mut framer));
    }
    assert_eq!(got, vec![Ok(APPENDIX_A_DATA.as_bytes().to_vec())]);
}

#[test]
fn bad_length_digits_are_skipped() {
    let mut stream = b"##01x1garbage".to_vec();
    stream.extend_from_slice(APPENDIX_A);
    let mut framer = PacketFramer::new(FramerConfig::lenient());
    framer.push(&stream);
    let got = drain(&mut framer);
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0],
        Err(FrameError::Invalid(InvalidFrame::BadLength(*b"01x1")))
    );
    assert!(got[1].is_ok());
}

#[test]
fn a_run_of_hashes_frames_at_the_last_pair() {
    let mut stream = b"####".to_vec();
    stream.extend_from_slice(APPENDIX_A);
    let mut framer = PacketFramer::new(FramerConfig::lenient());
    framer.push(&stream);
    assert_eq!(drain(&mut framer).len(), 1);
    assert_eq!(framer.stats().garbage_bytes, 4);
}

#[test]
fn too_long_is_fatal_and_stops_the_framer() {
    let mut framer = PacketFramer::new(FramerConfig::strict());
    framer.push(b"##2000");
    assert_eq!(
        framer.next_packet(),
        Some(Err(FrameError::Fatal(FatalFrame::TooLong {
            declared: 2000,
            max: 1024
        })))
    );
    assert!(framer.is_failed());
    framer.push(APPENDIX_A);
    assert_eq!(framer.next_packet(), None);
    assert_eq!(framer.buffered(), 0);
}

#[test]
fn garbage_limit_is_fatal_at_exactly_the_limit() {
    let config = FramerConfig {
        max_garbage: 100,
        ..FramerConfig::lenient()
    };
    let mut framer = PacketFramer::new(config);
    framer.push(&[b'x'; 100]);
    assert_eq!(framer.next_packet(), None, "100 bytes are tolerated");
    framer.push(b"\r\n\r\n");
    assert_eq!(framer.next_packet(), None, "CR/LF are not garbage");
    framer.push(b"y");
    assert_eq!(
        framer.next_packet(),
        Some(Err(FrameError::Fatal(FatalFrame::TooMuchGarbage {
            skipped: 101
        })))
    );
}

#[test]
fn a_good_packet_resets_the_garbage_budget() {
    let config = FramerConfig {
        max_garbage: 10,
        ..FramerConfig::lenient()
    };
    let mut framer = PacketFramer::new(config);
    for _ in 0..5 {
        framer.push(b"xxxxxxxxx");
        framer.push(APPENDIX_A);
        assert!(matches!(framer.next_packet(), Some(Ok(_))));
    }
}

#[test]
fn trailing_hash_is_kept_for_the_next_read() {
    let mut framer = PacketFramer::new(FramerConfig::lenient());
    framer.push(b"noise#");
    assert_eq!(framer.next_packet(), None);
    assert_eq!(framer.buffered(), 1);
    framer.push(&APPENDIX_A[1..]);
    assert!(matches!(framer.next_packet(), Some(Ok(_))));
}

#[test]
fn empty_data_segment_frames() {
    let bytes = frame::encode(b"").unwrap();
    assert_eq!(bytes, b"##0000FFFF\r\n");
    let mut framer = PacketFramer::new(FramerConfig::strict());
    framer.push(&bytes);
    assert_eq!(drain(&mut framer), vec![Ok(Vec::new())]);
}

#[test]
fn encode_refuses_more_than_9999_bytes() {
    assert!(frame::encode(&[b'a'; 9999]).is_ok());
    assert_eq!(
        frame::encode(&[b'a'; 10_000]),
        Err(frame::EncodeError::TooLong(10_000))
    );
}

// ----- packet and CP -----

#[test]
fn header_fields_in_any_order_and_extras() {
    let p =
        Packet::parse(b"MN=X1;Flag=7;PNO=0002;CN=2061;USCC=9144;PNUM=0002;QN=1;CP=&&&&").unwrap();
    assert_eq!(p.cn(), Command::HourData);
    assert_eq!(p.mn(), Some("X1"));
    assert_eq!((p.pnum(), p.pno()), (Some(2), Some(2)));
    assert_eq!(p.flag(), Some(Flag(7)));
    assert_eq!(p.st(), None);
    assert_eq!(p.extra_fields().collect::<Vec<_>>(), [("USCC", "9144")]);
    assert!(p.cp().is_empty());
}

#[test]
fn duplicate_header_keys_keep_the_first() {
    let p = Packet::parse(b"CN=2011;MN=A;MN=B;CN=2051;CP=&&&&").unwrap();
    assert_eq!(p.mn(), Some("A"));
    assert_eq!(p.cn(), Command::RealTimeData);
    assert_eq!(
        p.extra_fields().collect::<Vec<_>>(),
        [("MN", "B"), ("CN", "2051")]
    );
}

#[test]
fn fields_after_cp_are_read() {
    let p = Packet::parse(b"CN=2011;CP=&&a-Rtd=1&&;Flag=5;MN=M").unwrap();
    assert!(p.needs_ack());
    assert_eq!(p.mn(), Some("M"));
    assert_eq!(p.cp().len(), 1);
}

#[test]
fn body_errors() {
    let cases: &[(&[u8], BodyError)] = &[
        (b"CN=2011;MN=A", BodyError::MissingCp),
        (b"CN=2011;CP=abc", BodyError::MissingCp),
        (b"CN=2011;CP=&&a=1", BodyError::UnterminatedCp),
        (
            b"CN=2011;CP=&&a=1&&x",
            BodyError::TrailingData { offset: 18 },
        ),
        (b"MN=A;CP=&&&&", BodyError::MissingCn),
        (b"CN=20x1;CP=&&&&", BodyError::BadCn("20x1".into())),
        (b"CN=20111;CP=&&&&", BodyError::BadCn("20111".into())),
        (
            b"CN=2011;Flag=256;CP=&&&&",
            BodyError::BadFlag("256".into()),
        ),
        (b"CN=2011;Flag=-1;CP=&&&&", BodyError::BadFlag("-1".into())),
        (
            b"CN=2011;PNUM=a;CP=&&&&",
            BodyError::BadPacketNumber {
                field: "PNUM",
                value: "a".into(),
            },
        ),
        (
            b"CN=2011;junk;CP=&&&&",
            BodyError::MalformedField { offset: 8 },
        ),
        (
            b"CN=2011;CP=&&a=1;b&&",
            BodyError::MalformedCp {
                offset: 17,
                reason: "pair without '='",
            },
        ),
        (
            b"CN=2011;\xff;CP=&&&&",
            BodyError::NotUtf8 { valid_up_to: 8 },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            &Packet::parse(input).unwrap_err(),
            expected,
            "{}",
            escape(input)
        );
    }
}

#[test]
fn empty_flag_pnum_are_absent() {
    let p = Packet::parse(b"CN=2011;Flag=;PNUM=;CP=&&&&").unwrap();
    assert_eq!((p.flag(), p.pnum()), (None, None));
}

#[test]
fn cp_grammar() {
    let cp =
        CpBuf::parse("DataTime=20240601115000;a-Rtd=1.5,a-Flag=N;;b-Rtd=-2,b-Ori=7;x=1;").unwrap();
    let v = cp.view();
    assert_eq!(v.len(), 6);
    let items: Vec<_> = v.pairs().map(|p| p.item).collect();
    assert_eq!(items, [0, 1, 1, 2, 2, 3]);
    let params: Vec<_> = v.parameters().map(|p| p.key).collect();
    assert_eq!(params, ["DataTime", "x"]);
    let b = v.factor("b").unwrap();
    assert_eq!(b.get("Ori").unwrap().as_str(), "7");
    assert_eq!(b.rtd().unwrap().to_scaled(0), Some(-2));
    assert_eq!(b.flag(), None);
}

#[test]
fn cp_nested_and_text_values() {
    let cp = CpBuf::parse("a=&&x=1;y=2&&;i11001-Info=//a;b,c=d//;z=3").unwrap();
    let v = cp.view();
    let keys: Vec<_> = v.pairs().map(|p| p.key).collect();
    assert_eq!(keys, ["a", "i11001-Info", "z"]);
    let a = v.pairs().next().unwrap();
    assert!(a.is_nested());
    let inner = a.nested().unwrap().unwrap();
    assert_eq!(inner.view().get("y").unwrap().as_str(), "2");
    assert_eq!(v.get("i11001-Info").unwrap().as_str(), "//a;b,c=d//");
    assert_eq!(v.get("z").unwrap().as_str(), "3");
    // A `//` that is not closed before a separator is an ordinary value.
    let cp = CpBuf::parse("u=//x;v=1").unwrap();
    assert_eq!(cp.view().get("u").unwrap().as_str(), "//x");
}

#[test]
fn cp_nested_inside_a_packet() {
    let p = Packet::parse(b"CN=3020;CP=&&PolId=a34041;Info=&&k=v&&&&").unwrap();
    assert_eq!(p.cp().get("Info").unwrap().as_str(), "k=v");
}

#[test]
fn duplicate_cp_keys_are_kept() {
    let cp = CpBuf::parse("a21-Rtd=0.00;a21-Rtd=1.00").unwrap();
    assert_eq!(cp.view().factors().count(), 2);
    assert_eq!(cp.view().get("a21-Rtd").unwrap().as_str(), "0.00");
}

#[test]
fn malformed_key_with_two_dashes_is_kept() {
    let cp = CpBuf::parse("LA-Rtd-Rtd=71.0,LA-Rtd-Flag=N").unwrap();
    let f = cp.view().factor("LA").unwrap();
    assert_eq!(f.get("Rtd-Rtd").unwrap().as_str(), "71.0");
}

// ----- decimal and time -----

#[test]
fn decimals() {
    let d = Decimal::parse("-0.05").unwrap();
    assert_eq!((d.mantissa(), d.scale()), (-5, 2));
    assert_eq!(d.to_string(), "-0.05");
    assert_eq!(Decimal::parse("101.940").unwrap().to_string(), "101.940");
    assert_eq!(
        Decimal::parse("1.0").unwrap(),
        Decimal::parse("1.00").unwrap()
    );
    assert!(Decimal::parse("1.01").unwrap() > Decimal::parse("1.009").unwrap());
    assert_eq!(Decimal::parse("+7").unwrap().to_scaled(2), Some(700));
    assert_eq!(Decimal::parse("1.23").unwrap().to_scaled(1), None);
    assert_eq!(Decimal::parse(".5").unwrap().to_string(), "0.5");
    assert_eq!(Decimal::parse("1.").unwrap().to_string(), "1");
    assert_eq!(Decimal::parse(""), Err(DecimalError::Empty));
    assert_eq!(Decimal::parse("-"), Err(DecimalError::Empty));
    assert_eq!(Decimal::parse("1e5"), Err(DecimalError::InvalidCharacter));
    assert_eq!(Decimal::parse("1.2.3"), Err(DecimalError::InvalidCharacter));
    assert_eq!(
        Decimal::parse("99999999999999999999"),
        Err(DecimalError::Overflow)
    );
    assert_eq!(
        Decimal::parse("-9223372036854775808").unwrap().mantissa(),
        i64::MIN
    );
}

#[test]
fn date_times() {
    let t = DateTime::parse("20160801085857223").unwrap();
    assert_eq!(t.to_qn(), "20160801085857223");
    assert_eq!(t.to_n14(), "20160801085857");
    assert_eq!(DateTime::parse("20240229000000").unwrap().day(), 29);
    assert_eq!(DateTime::parse("20230229000000"), Err(TimeError::Range));
    assert_eq!(DateTime::parse("2016080108585"), Err(TimeError::Format));
    assert_eq!(
        DateTime::parse("202411123203230940"),
        Err(TimeError::Format)
    );
    let end = DateTime::new(2023, 12, 31, 23, 59, 59, 999).unwrap();
    assert_eq!(end.add_millis(1).unwrap().to_qn(), "20240101000000000");
    assert_eq!(
        DateTime::new(1970, 1, 1, 0, 0, 0, 0)
            .unwrap()
            .to_epoch_millis(),
        0
    );
    assert_eq!(
        end.add_millis(-end.to_epoch_millis()).unwrap().to_qn(),
        "19700101000000000"
    );
}

// ----- builders -----

fn target<'a>(qn: &'a str, st: &'a str, pw: &'a str) -> Target<'a> {
    Target {
        qn,
        st,
        pw,
        mn: "010000A8900016F000169DC0",
        flag: encode::request_flag(Version::V2017),
    }
}

#[test]
fn builds_appendix_a() {
    let t = target("20160801085857223", "32", "100000");
    assert_eq!(
        escape(&encode::set_rtd_interval(&t, 30).unwrap()),
        escape(APPENDIX_A)
    );
}

/// HJ 212-2017 Appendix C bodies, rebuilt with the builders; CRCs must match the conformance
/// vectors (`C*` ids).
#[test]
fn builds_appendix_c_packets() {
    const QN: &str = "20160801085857223";
    let t = target(QN, "32", "123456");
    let c1 = Request::SetTimeoutRetry {
        over_time: 5,
        re_count: 3,
    }
    .encode(&t)
    .unwrap();
    assert_eq!(
        escape(&c1),
        "##0107QN=20160801085857223;ST=32;CN=1000;PW=123456;MN=010000A8900016F000169DC0;\
Flag=5;CP=&&OverTime=5;ReCount=3&&CAC1\\r\\n"
    );
    let c10 = Request::StartRealTimeData.encode(&t).unwrap();
    assert!(
        escape(&c10)
            .ends_with("CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&30C0\\r\\n")
    );
    let c11 = Request::StopRealTimeData.encode(&t).unwrap();
    assert!(escape(&c11).ends_with("CP=&&&&3C00\\r\\n"));

    // Device-side answers (C.1) and the platform answers (C.4, C.14) to a device packet.
    let request = packet(&c1);
    let c1_9011 = encode::request_answer(&request, QnRtn::Ready, Version::V2017).unwrap();
    assert_eq!(
        escape(&c1_9011),
        "##0094QN=20160801085857223;ST=91;CN=9011;PW=123456;MN=010000A8900016F000169DC0;\
Flag=4;CP=&&QnRtn=1&&1B00\\r\\n"
    );
    let c1_9012 = encode::execution_result(&request, ExeRtn::Success, Version::V2017).unwrap();
    assert!(escape(&c1_9012).ends_with("CP=&&ExeRtn=1&&6240\\r\\n"));

    let c4 = t
        .builder(Command::TimeCalibrationRequest)
        .param("PolId", "w01018")
        .build()
        .unwrap();
    assert!(escape(&c4).starts_with("##0099") && escape(&c4).ends_with("CAC1\\r\\n"));
    let c4_9013 = encode::notification_answer(&packet(&c4), Version::V2017).unwrap();
    assert!(
        escape(&c4_9013)
            .ends_with("CN=9013;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&2A80\\r\\n")
    );
    let c14_9014 = encode::data_answer(&packet(&c4), Version::V2017).unwrap();
    assert!(escape(&c14_9014).starts_with("##0087") && escape(&c14_9014).ends_with("3240\\r\\n"));

    let c24 = t
        .builder(Command::RestartTime)
        .param("DataTime", "20160801085857")
        .param("RestartTime", "20160801085624")
        .build()
        .unwrap();
    assert!(escape(&c24).starts_with("##0137") && escape(&c24).ends_with("9AC1\\r\\n"));

    let c25 = target(QN, "23", "123456")
        .builder(Command::RealTimeData)
        .param("DataTime", "20160801085857")
        .param("LA-Rtd", "50.1")
        .build()
        .unwrap();
    assert!(escape(&c25).starts_with("##0122") && escape(&c25).ends_with("0880\\r\\n"));

    let c16 = target("20160801085000001", "32", "123456")
        .builder(Command::MinuteData)
        .param("DataTime", "20160801084000")
        .item(&[
            ("w00000-Cou", "10.5"),
            ("w00000-Min", "16.4"),
            ("w00000-Avg", "17.5"),
            ("w00000-Max", "20.1"),
            ("w00000-Flag", "N"),
        ])
        .item(&[
            ("w01001-Min", "7.1"),
            ("w01001-Avg", "7.5"),
            ("w01001-Max", "7.8"),
            ("w01001-Flag", "N"),
        ])
        .item(&[
            ("w01018-Cou", "10.5"),
            ("w01018-Min", "40.1"),
            ("w01018-Avg", "40.1"),
            ("w01018-Max", "40.1"),
            ("w01018-Flag", "N"),
        ])
        .build()
        .unwrap();
    assert!(escape(&c16).starts_with("##0325") && escape(&c16).ends_with("6180\\r\\n"));

    let split = |qn: &str, pno: u16| {
        PacketBuilder::new(Command::HourData)
            .qn(qn)
            .st("32")
            .pw("123456")
            .mn("010000A8900016F000169DC0")
            .flag(Flag::from_parts(Version::V2017, true, true))
            .split(2, pno)
            .param("DataTime", "20160801080000")
    };
    let c50_p2 = split("20160801085857535", 2)
        .item(&[
            ("w01018-Cou", "63.0"),
            ("w01018-Min", "40.1"),
            ("w01018-Avg", "40.1"),
            ("w01018-Max", "40.1"),
            ("w01018-Flag", "N"),
        ])
        .build()
        .unwrap();
    assert!(escape(&c50_p2).starts_with("##0201") && escape(&c50_p2).ends_with("E2C1\\r\\n"));
}

#[test]
fn set_time_request() {
    let t = target("20240601120000000", "31", "123456");
    let time = DateTime::new(2024, 6, 1, 12, 0, 5, 0).unwrap();
    let bytes = encode::set_time(&t, time).unwrap();
    let p = packet(&bytes);
    assert_eq!(p.cn(), Command::SetTime);
    assert_eq!(p.flag(), Some(Flag(5)));
    assert_eq!(p.cp().get("SystemTime").unwrap().as_str(), "20240601120005");
    let p = packet(&encode::set_min_interval(&t, 10).unwrap());
    assert_eq!(p.cn(), Command::SetMinInterval);
    assert_eq!(p.cp().get("MinInterval").unwrap().to_u16(), Some(10));
}

#[test]
fn replies_use_the_platform_version_and_2025_flags() {
    let upload = packet(
        b"##0071QN=20260101000000000;ST=31;CN=9015;PW=123456;MN=FUME0001;Flag=9;CP=&&&&4540\r\n",
    );
    let reply = packet(&encode::data_answer(&upload, Version::V2025).unwrap());
    assert_eq!(reply.flag(), Some(Flag(8)));
    assert_eq!(reply.st(), Some("91"));
    assert_eq!(reply.qn(), upload.qn());
}

#[test]
fn builder_rejects_reserved_characters() {
    assert!(
        PacketBuilder::new(Command::RealTimeData)
            .mn("a;b")
            .build()
            .is_err()
    );
    assert!(
        PacketBuilder::new(Command::RealTimeData)
            .param("a,b", "1")
            .build()
            .is_err()
    );
    assert!(
        PacketBuilder::new(Command::RealTimeData)
            .param("", "1")
            .build()
            .is_err()
    );
    assert!(
        PacketBuilder::new(Command::RealTimeData)
            .param("a", "1&")
            .build()
            .is_err()
    );
    assert!(
        PacketBuilder::new(Command::RealTimeData)
            .param("a", "x=y")
            .build()
            .is_ok()
    );
}

#[test]
fn commands_round_trip_their_codes() {
    for code in 0..=9999u16 {
        assert_eq!(Command::from_code(code).code(), code);
    }
    assert_eq!(Command::from_code(2011), Command::RealTimeData);
    assert_eq!(Command::from_code(9021), Command::Unknown(9021));
    assert_eq!(Command::MinuteData.to_string(), "2051");
}

#[test]
fn truncated_packet_does_not_hold_back_the_next_one() {
    // The first 100 bytes of a 216-byte packet, then a complete packet that fits inside the
    // broken packet's declared extent: delivered at once, without waiting for more bytes.
    let fume = b"##0216QN=20240601120000000;ST=31;CN=2051;PW=123456;MN=FUME0001;Flag=5;CP=&&DataTime=20240601115000;a34041-Avg=1.23,a34041-Min=0.50,a34041-Max=2.80,a34041-Flag=N;a34000-Avg=0.80,a34000-Flag=N;a24088-Avg=4.10,a24088-Flag=N&&B7C1\r\n";
    let mut stream = fume[..100].to_vec();
    stream.extend_from_slice(APPENDIX_A);
    for config in [FramerConfig::lenient(), FramerConfig::strict()] {
        let mut framer = PacketFramer::new(config);
        framer.push(&stream);
        assert_eq!(
            drain(&mut framer),
            vec![
                Err(FrameError::Invalid(InvalidFrame::Truncated {
                    declared: 216,
                    actual: 100
                })),
                Ok(APPENDIX_A_DATA.as_bytes().to_vec()),
            ]
        );
        assert_eq!(framer.buffered(), 0);
        assert_eq!(framer.stats().garbage_bytes, 0);
    }
}

#[test]
fn hash_rich_trickle_stays_cheap_and_consistent() {
    // Many `##` candidates inside a frame that arrives one byte at a time.
    let mut stream = b"##4000".to_vec();
    for i in 0..600 {
        stream.extend_from_slice(format!("##{:04}", i % 10_000).as_bytes());
    }
    stream.extend_from_slice(APPENDIX_A);
    let mut whole = PacketFramer::new(FramerConfig::lenient());
    whole.push(&stream);
    let expected = drain(&mut whole);
    let mut trickle = PacketFramer::new(FramerConfig::lenient());
    let mut got = Vec::new();
    for b in &stream {
        trickle.push(std::slice::from_ref(b));
        got.extend(drain(&mut trickle));
    }
    assert_eq!(got, expected);
}
