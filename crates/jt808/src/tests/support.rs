//! Test helpers: hex conversion, fixture file loading and a flat key → value dump of a decoded
//! frame that fixtures are compared against.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::frame::Frame;
use crate::message::location::{Alarm, LoadState, Location, Status};
use crate::message::{Message, Packet};

/// Hex string (any case, whitespace ignored) → bytes. Panics on bad input: test data only.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(clean.len().is_multiple_of(2), "odd hex length: {s}");
    (0..clean.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Bytes → lowercase hex.
pub(crate) fn to_hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        write!(s, "{x:02x}").unwrap();
    }
    s
}

/// One `test_data/NNN_*.txt` fixture.
#[derive(Debug)]
pub(crate) struct Fixture {
    pub name: String,
    pub hex: String,
    pub expect: Vec<(String, String)>,
}

impl Fixture {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.expect
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn test_data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data")
}

/// All conformance fixtures, sorted by file name.
pub(crate) fn fixtures() -> Vec<Fixture> {
    let mut files: Vec<_> = std::fs::read_dir(test_data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.ends_with(".txt") && name.chars().next().is_some_and(|c| c.is_ascii_digit())
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let mut hex = String::new();
            let mut expect = Vec::new();
            for line in text.lines() {
                if line.starts_with('#') || line.trim().is_empty() {
                    continue;
                }
                let (k, v) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("bad line {line}"));
                let v = v.strip_prefix(' ').unwrap_or(v).to_owned();
                if k == "hex" {
                    hex = v;
                } else {
                    expect.push((k.to_owned(), v));
                }
            }
            Fixture {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                hex,
                expect,
            }
        })
        .collect()
}

/// Lines of a `|`-separated table file, comments skipped.
pub(crate) fn table(file: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(test_data_dir().join(file))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('|').map(|c| c.trim().to_owned()).collect())
        .collect()
}

pub(crate) fn status_flags(s: Status) -> String {
    let mut out = Vec::new();
    let names = [
        (0, "acc"),
        (1, "located"),
        (2, "south"),
        (3, "west"),
        (4, "out_of_service"),
        (5, "coords_encrypted"),
    ];
    for (bit, name) in names {
        if s.bit(bit) {
            out.push(name.to_owned());
        }
    }
    for bit in [6, 7] {
        if s.bit(bit) {
            out.push(format!("bit{bit}"));
        }
    }
    if s.load() != LoadState::Empty {
        out.push(format!("load={:?}", s.load()));
    }
    for (bit, name) in [(10, "oil_cut"), (11, "circuit_cut"), (12, "locked")] {
        if s.bit(bit) {
            out.push(name.to_owned());
        }
    }
    for door in 1..=5 {
        if s.door_open(door) {
            out.push(format!("door{door}"));
        }
    }
    let names = [
        (18, "gps"),
        (19, "beidou"),
        (20, "glonass"),
        (21, "galileo"),
        (22, "running"),
    ];
    for (bit, name) in names {
        if s.bit(bit) {
            out.push(name.to_owned());
        }
    }
    for bit in 23..32 {
        if s.bit(bit) {
            out.push(format!("bit{bit}"));
        }
    }
    out.join(" ")
}

pub(crate) fn alarm_flags(a: Alarm) -> String {
    let checks: [(bool, &str); 29] = [
        (a.emergency(), "emergency"),
        (a.overspeed(), "overspeed"),
        (a.fatigue(), "fatigue"),
        (a.danger(), "danger"),
        (a.gnss_fault(), "gnss_fault"),
        (a.gnss_antenna_cut(), "antenna_cut"),
        (a.gnss_antenna_short(), "antenna_short"),
        (a.power_low(), "power_low"),
        (a.power_off(), "power_off"),
        (a.display_fault(), "display_fault"),
        (a.tts_fault(), "tts_fault"),
        (a.camera_fault(), "camera_fault"),
        (a.ic_card_fault(), "ic_card_fault"),
        (a.overspeed_warning(), "overspeed_warning"),
        (a.fatigue_warning(), "fatigue_warning"),
        (a.driving_timeout(), "driving_timeout"),
        (a.parking_timeout(), "parking_timeout"),
        (a.area(), "area"),
        (a.route(), "route"),
        (a.route_time(), "route_time"),
        (a.route_deviation(), "route_deviation"),
        (a.vss_fault(), "vss_fault"),
        (a.fuel_abnormal(), "fuel_abnormal"),
        (a.stolen(), "stolen"),
        (a.illegal_ignition(), "illegal_ignition"),
        (a.illegal_displacement(), "illegal_displacement"),
        (a.collision(), "collision"),
        (a.rollover(), "rollover"),
        (a.illegal_door_open(), "illegal_door"),
    ];
    let mut out: Vec<String> = checks
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| (*n).to_owned())
        .collect();
    if a.vendor_bits() != 0 {
        // Keep table order: the vendor bits sit between bit 14 and bit 18.
        let pos = checks[..15].iter().filter(|(on, _)| *on).count();
        out.insert(pos, format!("vendor={}", a.vendor_bits()));
    }
    out.join(" ")
}

fn dump_location(prefix: &str, loc: &Location, map: &mut BTreeMap<String, String>) {
    let b = &loc.basic;
    let mut put = |k: &str, v: String| {
        map.insert(format!("{prefix}{k}"), v);
    };
    put("alarm", format!("{:#010x}", b.alarm.0));
    put("status", format!("{:#010x}", b.status.0));
    put("lat", format!("{:.6}", b.latitude_deg()));
    put("lon", format!("{:.6}", b.longitude_deg()));
    put("alt", b.altitude.to_string());
    put("speed", b.speed.to_string());
    put("speed_kmh", format!("{:.1}", b.speed_kmh()));
    put("dir", b.direction.to_string());
    put("time", b.time.to_string());
    put("alarm_flags", alarm_flags(b.alarm));
    put("status_flags", status_flags(b.status));
    let items: Vec<String> = loc
        .items
        .iter()
        .map(|i| {
            let mut enc = Vec::new();
            i.encode(&mut enc).unwrap();
            format!("{:02x}={}", i.id(), to_hex(&enc[2..]))
        })
        .collect();
    put("items", items.join(" "));
    put("trailing", to_hex(&loc.trailing));
    if let Some(m) = loc.mileage() {
        put("mileage", m.to_string());
    }
    if let Some(s) = loc.satellites() {
        put("satellites", s.to_string());
    }
    for item in loc.items.iter().rev() {
        put(&format!("item.{:02x}", item.id()), format!("{item:?}"));
        if let Some((ad0, ad1)) = item.analog_channels() {
            put("analog", format!("ad0={ad0} ad1={ad1}"));
        }
    }
}

/// Flat dump of a frame and its decoded message.
pub(crate) fn dump(frame: &Frame) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let h = &frame.header;
    let mut put = |k: &str, v: String| {
        map.insert(k.to_owned(), v);
    };
    put("header.id", format!("{:#06x}", h.id));
    put(
        "header.version",
        match h.protocol_version {
            Some(v) => format!("2019/{v}"),
            None => "2013".to_owned(),
        },
    );
    put("header.phone", h.phone.digits());
    put("header.serial", h.serial.to_string());
    put("header.encryption", h.encryption.to_string());
    put(
        "header.package",
        h.package
            .map_or("-".to_owned(), |p| format!("{}/{}", p.index, p.total)),
    );
    put("body.len", frame.body.len().to_string());
    put("body", to_hex(&frame.body));

    if h.package.is_some_and(|p| p.total > 1) {
        map.insert("message.kind".into(), "fragment".into());
        return map;
    }
    let packet = match Packet::from_frame(frame) {
        Ok(p) => p,
        Err(e) => {
            map.insert("message.kind".into(), format!("error: {e}"));
            return map;
        }
    };
    let kind = format!("{:?}", packet.message);
    let kind = kind
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_owned();
    map.insert("message.kind".into(), kind);
    match &packet.message {
        Message::Location(loc) => dump_location("location.", loc, &mut map),
        Message::LocationQueryResponse(q) => {
            map.insert("query.reply_serial".into(), q.reply_serial.to_string());
            dump_location("location.", &q.location, &mut map);
        }
        Message::LocationBatch(b) => {
            map.insert("batch.count".into(), b.locations.len().to_string());
            map.insert("batch.type".into(), b.kind.to_string());
            for (i, loc) in b.locations.iter().enumerate() {
                dump_location(&format!("batch.{i}."), loc, &mut map);
            }
        }
        Message::Register(r) => {
            let v = match r.version {
                crate::Version::V2011 => "2011",
                crate::Version::V2013 => "2013",
                crate::Version::V2019 => "2019",
            };
            for (k, val) in [
                ("version", v.to_owned()),
                ("province", r.province.to_string()),
                ("city", r.city.to_string()),
                ("manufacturer", r.manufacturer.clone()),
                ("model", r.model.clone()),
                ("terminal_id", r.terminal_id.clone()),
                ("plate_color", r.plate_color.to_string()),
                ("plate", r.plate.clone()),
            ] {
                map.insert(format!("register.{k}"), val);
            }
        }
        Message::Authenticate(a) => {
            map.insert("auth.code".into(), a.code.clone());
            map.insert("auth.imei".into(), a.imei.clone());
            map.insert("auth.software_version".into(), a.software_version.clone());
        }
        Message::TerminalGeneralResponse(r) | Message::PlatformGeneralResponse(r) => {
            map.insert("response.reply_serial".into(), r.reply_serial.to_string());
            map.insert("response.reply_id".into(), format!("{:#06x}", r.reply_id));
            map.insert("response.result".into(), u8::from(r.result).to_string());
        }
        Message::RegisterResponse(r) => {
            map.insert(
                "register_response.reply_serial".into(),
                r.reply_serial.to_string(),
            );
            map.insert(
                "register_response.result".into(),
                u8::from(r.result).to_string(),
            );
            map.insert("register_response.auth_code".into(), r.auth_code.clone());
        }
        Message::MultimediaEvent(m) => {
            map.insert("multimedia.media_id".into(), m.media_id.to_string());
            map.insert("multimedia.type".into(), m.media_type.to_string());
            map.insert("multimedia.format".into(), m.format.to_string());
            map.insert("multimedia.event".into(), m.event.to_string());
            map.insert("multimedia.channel".into(), m.channel.to_string());
        }
        Message::TextMessage(t) => {
            map.insert("text.flags".into(), t.flags.to_string());
            map.insert(
                "text.type".into(),
                t.text_type.map_or("-".into(), |v| v.to_string()),
            );
            map.insert("text.text".into(), t.text.clone());
        }
        _ => {}
    }
    map
}
