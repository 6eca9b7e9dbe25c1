//! Normalised device data: what the gateways hand to a [`Sink`](crate::Sink).
//!
//! One [`Record`] per stored item. Protocol details that downstream code needs are kept
//! (alarm and status bit sets, raw additional items, HJ 212 sub-values as decimal strings);
//! framing details are not. Units and conventions:
//!
//! - instants are **UTC milliseconds since the Unix epoch** (`i64`). JT/T 808 and HJ 212 send
//!   GMT+8 wall-clock times; the gateways convert them ([`crate::time`]).
//! - coordinates are WGS-84 degrees, south and west negative.
//! - a terminal is identified by its phone as [`jt808::Phone::trimmed`] (leading zero nibbles
//!   removed, so a 2013 and a 2019 header of the same terminal give the same string); an HJ 212
//!   device by its `MN`.

/// One item for the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A vehicle position (0x0200, an item of 0x0704, or a 0x0201 query answer).
    Fix(VehicleFix),
    /// Something that happened to a JT/T 808 terminal.
    Terminal(TerminalEvent),
    /// A multimedia upload (0x0801), image bytes included.
    Media(MediaData),
    /// An HJ 212 data upload (2011, 2051, 2061, 2031, …).
    Reading(Hj212Reading),
    /// An HJ 212 notification or connection event.
    Notice(Hj212Notice),
}

/// A vehicle position report.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleFix {
    /// Terminal phone ([`jt808::Phone::trimmed`]).
    pub phone: String,
    /// When the gateway received it (UTC ms).
    pub received_at: i64,
    /// The device's fix time converted from GMT+8 (UTC ms); `None` when the device sent an
    /// invalid or all-zero time (no fix yet).
    pub device_time: Option<i64>,
    /// WGS-84 latitude, degrees, south negative.
    pub latitude: f64,
    /// WGS-84 longitude, degrees, west negative.
    pub longitude: f64,
    /// Speed, km/h.
    pub speed_kmh: f64,
    /// Heading, degrees clockwise from north (0–359).
    pub heading: u16,
    /// Altitude, metres.
    pub altitude_m: i16,
    /// Alarm bit set (JT/T 808 §5.7.2), as sent.
    pub alarm: u32,
    /// Status bit set (JT/T 808 §5.7.1), as sent.
    pub status: u32,
    /// Odometer from additional item 0x01, metres.
    pub mileage_m: Option<u64>,
    /// An item of a 0x0704 blind-area backfill (盲区补报): history, not a live position.
    pub backfill: bool,
    /// Every additional item as sent: `(id, value bytes)`; meanings are per device model.
    pub extra: Vec<(u8, Vec<u8>)>,
}

/// What happened to a terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminalEventKind {
    /// 0x0100 accepted by the registry.
    Registered {
        /// Manufacturer id.
        manufacturer: String,
        /// Terminal model.
        model: String,
        /// Terminal id.
        terminal_id: String,
        /// Plate (or VIN when the colour is 0).
        plate: String,
        /// Plate colour (JT/T 415: 1 blue, 2 yellow, …).
        plate_color: u8,
    },
    /// 0x0102 accepted.
    Authenticated {
        /// 2019: IMEI (empty before 2019).
        imei: String,
        /// 2019: software version (empty before 2019).
        software_version: String,
    },
    /// 0x0003 logout.
    LoggedOut,
    /// The connection of an authenticated terminal ended.
    Offline {
        /// Why, in words (idle timeout, closed by peer, …).
        reason: String,
    },
    /// 0x0800 multimedia event information (the data itself follows as [`MediaData`]).
    MediaEvent {
        /// Media id.
        media_id: u32,
        /// 0 image, 1 audio, 2 video.
        media_type: u8,
        /// 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV.
        format: u8,
        /// Event code.
        event: u8,
        /// Channel.
        channel: u8,
    },
}

/// A terminal event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalEvent {
    /// Terminal phone ([`jt808::Phone::trimmed`]).
    pub phone: String,
    /// When (UTC ms, gateway clock).
    pub at: i64,
    /// What.
    pub kind: TerminalEventKind,
}

/// A multimedia upload (0x0801, reassembled).
#[derive(Debug, Clone, PartialEq)]
pub struct MediaData {
    /// Terminal phone.
    pub phone: String,
    /// When it was received (UTC ms).
    pub received_at: i64,
    /// Media id.
    pub media_id: u32,
    /// 0 image, 1 audio, 2 video.
    pub media_type: u8,
    /// 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV.
    pub format: u8,
    /// Event code.
    pub event: u8,
    /// Channel.
    pub channel: u8,
    /// The position block carried with the media (no additional items).
    pub fix: VehicleFix,
    /// The media bytes.
    pub data: Vec<u8>,
}

/// One factor of an HJ 212 reading: `a34041-Rtd=1.23,a34041-Flag=N` → code `a34041`,
/// fields `[("Rtd","1.23"), ("Flag","N")]`. `SB1-RS=1` is code `SB1`, field `("RS","1")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorReading {
    /// Factor code (`a34041`, `LA`, `SB1`, …).
    pub code: String,
    /// `(suffix, value)` as sent: decimal strings are kept as strings (no float artefacts).
    pub fields: Vec<(String, String)>,
}

impl FactorReading {
    /// The first value with this suffix (`"Rtd"`, `"Avg"`, `"Flag"`, `"RS"` …).
    pub fn get(&self, suffix: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(s, _)| s == suffix)
            .map(|(_, v)| v.as_str())
    }

    /// The data flag (`N`, `F`, `M`, `S`, `D`, `C`, `T`, `B`, …).
    pub fn flag(&self) -> Option<char> {
        self.get("Flag").and_then(|f| f.chars().next())
    }
}

/// An HJ 212 data upload (one packet, or a reassembled set of sub-packets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hj212Reading {
    /// Device id.
    pub mn: String,
    /// Request code of the (first) packet.
    pub qn: Option<String>,
    /// System code (31 air pollution source, 39 construction dust, …).
    pub st: Option<String>,
    /// Command code (2011 real-time, 2051 minute, 2061 hour, 2031 day, …).
    pub cn: u16,
    /// `DataTime` converted from GMT+8 (UTC ms).
    pub data_time: Option<i64>,
    /// When the gateway received it (UTC ms).
    pub received_at: i64,
    /// Factors in order.
    pub factors: Vec<FactorReading>,
    /// CP pairs that are not factors (`DataTime`, `RestartTime`, …), as sent.
    pub params: Vec<(String, String)>,
}

impl Hj212Reading {
    /// The factor with this code.
    pub fn factor(&self, code: &str) -> Option<&FactorReading> {
        self.factors.iter().find(|f| f.code == code)
    }
}

/// What an HJ 212 notice is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hj212NoticeKind {
    /// First authenticated packet of the MN on a connection.
    Online,
    /// 1013: the device asked for time calibration (answered with 1012).
    TimeCalibrationRequest,
    /// 9015 heartbeat (HJ 212-2025).
    Heartbeat,
    /// The connection carrying this MN ended.
    Offline {
        /// Why, in words.
        reason: String,
    },
}

/// An HJ 212 notification or connection event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hj212Notice {
    /// Device id.
    pub mn: String,
    /// When (UTC ms, gateway clock).
    pub at: i64,
    /// What.
    pub kind: Hj212NoticeKind,
}
