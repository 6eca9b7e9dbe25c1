//! Builders: platform replies (9011 / 9012 / 9013 / 9014) and platform requests (1012, 1062,
//! 1064, …), framed with the correct length and CRC.
//!
//! Field order is the standard's (Figure 4): `QN;ST;CN;PW;MN;Flag;PNUM;PNO;CP=&&…&&`; absent
//! fields are left out. Values are checked so that the result always parses back to the same
//! fields: header values may not contain `;` or `&&`, CP keys may not contain `; , = &`, CP values
//! may not contain `; , &` and a CP value opening with `//` must close with `//`.
//!
//! Replies follow HJ 212-2017 Appendix C (Tables C.1, C.4, C.14):
//!
//! ```text
//! upload    QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=…;Flag=5;CP=&&…&&
//! 9014      QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=…;Flag=4;CP=&&&&
//! ```
//!
//! The reply echoes QN, PW and MN, uses `ST=91` (system interaction) and a Flag with the
//! platform's version bits and A = 0 (`Flag=4` for 2017).

use crate::command::{Command, ExeRtn, Flag, QnRtn, Version};
use crate::frame::{self, EncodeError};
use crate::packet::Packet;
use crate::time::DateTime;

/// `ST` used in interaction packets (9011–9014).
pub const ST_INTERACTION: &str = "91";

/// Builds one packet. Errors are collected and reported by [`PacketBuilder::build`].
#[derive(Debug, Clone)]
pub struct PacketBuilder {
    text: String,
    cn: Command,
    header_done: bool,
    cp_items: usize,
    error: Option<EncodeError>,
    fields: Fields,
}

#[derive(Debug, Clone, Default)]
struct Fields {
    qn: Option<String>,
    st: Option<String>,
    pw: Option<String>,
    mn: Option<String>,
    flag: Option<Flag>,
    pnum: Option<u16>,
    pno: Option<u16>,
}

fn check_header(field: &'static str, value: &str) -> Result<(), EncodeError> {
    if value.contains(';') || value.contains("&&") {
        return Err(EncodeError::ReservedCharacter {
            field,
            value: value.to_owned(),
        });
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), EncodeError> {
    if key.is_empty() || key.contains([';', ',', '=', '&']) {
        return Err(EncodeError::BadKey(key.to_owned()));
    }
    Ok(())
}

fn check_value(value: &str) -> Result<(), EncodeError> {
    // A value opening with `//` is read as `//…//` log text up to the next closing `//`; an
    // unclosed one could swallow the following pairs.
    let unclosed_text = value.starts_with("//") && (value.len() < 4 || !value.ends_with("//"));
    if value.contains([';', ',', '&']) || unclosed_text {
        return Err(EncodeError::ReservedCharacter {
            field: "CP",
            value: value.to_owned(),
        });
    }
    Ok(())
}

impl PacketBuilder {
    /// A packet with command `cn` and no other field yet.
    #[must_use]
    pub fn new(cn: Command) -> Self {
        Self {
            text: String::with_capacity(128),
            cn,
            header_done: false,
            cp_items: 0,
            error: None,
            fields: Fields::default(),
        }
    }

    fn set(mut self, field: &'static str, value: &str) -> Self {
        if let Err(e) = check_header(field, value) {
            self.error.get_or_insert(e);
            return self;
        }
        let slot = match field {
            "QN" => &mut self.fields.qn,
            "ST" => &mut self.fields.st,
            "PW" => &mut self.fields.pw,
            _ => &mut self.fields.mn,
        };
        *slot = Some(value.to_owned());
        self
    }

    /// `QN`.
    #[must_use]
    pub fn qn(self, qn: &str) -> Self {
        self.set("QN", qn)
    }
    /// `ST`.
    #[must_use]
    pub fn st(self, st: &str) -> Self {
        self.set("ST", st)
    }
    /// `PW`.
    #[must_use]
    pub fn pw(self, pw: &str) -> Self {
        self.set("PW", pw)
    }
    /// `MN`.
    #[must_use]
    pub fn mn(self, mn: &str) -> Self {
        self.set("MN", mn)
    }
    /// `Flag`.
    #[must_use]
    pub fn flag(mut self, flag: Flag) -> Self {
        self.fields.flag = Some(flag);
        self
    }
    /// `PNUM` and `PNO` (written unpadded, as Appendix C does).
    #[must_use]
    pub fn split(mut self, pnum: u16, pno: u16) -> Self {
        self.fields.pnum = Some(pnum);
        self.fields.pno = Some(pno);
        self
    }

    fn open_cp(&mut self) {
        if self.header_done {
            return;
        }
        self.header_done = true;
        let f = std::mem::take(&mut self.fields);
        let mut push = |k: &str, v: &str| {
            self.text.push_str(k);
            self.text.push('=');
            self.text.push_str(v);
            self.text.push(';');
        };
        if let Some(v) = &f.qn {
            push("QN", v);
        }
        if let Some(v) = &f.st {
            push("ST", v);
        }
        push("CN", &format!("{:04}", self.cn.code()));
        if let Some(v) = &f.pw {
            push("PW", v);
        }
        if let Some(v) = &f.mn {
            push("MN", v);
        }
        if let Some(v) = f.flag {
            push("Flag", &v.0.to_string());
        }
        if let Some(v) = f.pnum {
            push("PNUM", &v.to_string());
        }
        if let Some(v) = f.pno {
            push("PNO", &v.to_string());
        }
        self.text.push_str("CP=&&");
    }

    /// Appends one CP item: `key=value` pairs joined by `,` (one factor's values).
    ///
    /// Header setters called after the first CP item have no effect.
    #[must_use]
    pub fn item(mut self, pairs: &[(&str, &str)]) -> Self {
        if pairs.is_empty() {
            return self;
        }
        for (k, v) in pairs {
            if let Err(e) = check_key(k).and_then(|()| check_value(v)) {
                self.error.get_or_insert(e);
                return self;
            }
        }
        self.open_cp();
        if self.cp_items > 0 {
            self.text.push(';');
        }
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            self.text.push_str(k);
            self.text.push('=');
            self.text.push_str(v);
        }
        self.cp_items += 1;
        self
    }

    /// Appends one `key=value` CP item.
    #[must_use]
    pub fn param(self, key: &str, value: &str) -> Self {
        self.item(&[(key, value)])
    }

    /// The data segment text (`QN=…;…;CP=&&…&&`), without framing.
    ///
    /// # Errors
    ///
    /// The first invalid value given to the builder.
    pub fn build_segment(mut self) -> Result<String, EncodeError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.open_cp();
        self.text.push_str("&&");
        if self.text.len() > frame::MAX_DATA_LEN {
            return Err(EncodeError::TooLong(self.text.len()));
        }
        Ok(self.text)
    }

    /// The complete frame (`##` + length + segment + CRC + `\r\n`).
    ///
    /// # Errors
    ///
    /// The first invalid value, or [`EncodeError::TooLong`].
    pub fn build(self) -> Result<Vec<u8>, EncodeError> {
        let segment = self.build_segment()?;
        frame::encode(segment.as_bytes())
    }
}

/// The Flag the platform puts in its replies: its version bits, A = 0.
#[must_use]
pub fn reply_flag(version: Version) -> Flag {
    Flag::from_parts(version, false, false)
}

/// The Flag the platform puts in its requests: its version bits, A = 1.
#[must_use]
pub fn request_flag(version: Version) -> Flag {
    Flag::from_parts(version, false, true)
}

pub(crate) fn reply_to(to: &Packet, cn: Command, version: Version) -> PacketBuilder {
    let mut b = PacketBuilder::new(cn);
    if let Some(qn) = to.qn() {
        b = b.qn(qn);
    }
    b = b.st(ST_INTERACTION);
    if let Some(pw) = to.pw() {
        b = b.pw(pw);
    }
    if let Some(mn) = to.mn() {
        b = b.mn(mn);
    }
    b.flag(reply_flag(version))
}

/// 9014 data answer to an upload: `QN` / `PW` / `MN` echoed, `ST=91`, `CP=&&&&`.
///
/// # Errors
///
/// Only if the echoed fields are invalid (impossible for a parsed packet).
pub fn data_answer(to: &Packet, version: Version) -> Result<Vec<u8>, EncodeError> {
    empty_reply(to, Command::DataAnswer, version)
}

fn push_decimal(out: &mut Vec<u8>, n: u16, min_digits: usize) {
    let mut digits = [0u8; 5];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 && digits.len() - i >= min_digits {
            break;
        }
        if i == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
}

/// A reply with an empty CP (9013, 9014), framed straight into one buffer: the bytes
/// `reply_to(to, cn, version).build()` gives, without its intermediate strings (this runs once
/// per acknowledged upload).
fn empty_reply(to: &Packet, cn: Command, version: Version) -> Result<Vec<u8>, EncodeError> {
    let (qn, pw, mn) = (to.qn(), to.pw(), to.mn());
    for (field, value) in [("QN", qn), ("PW", pw), ("MN", mn)] {
        if let Some(v) = value {
            check_header(field, v)?;
        }
    }
    let fields = [qn, pw, mn]
        .iter()
        .flatten()
        .map(|v| v.len() + 4)
        .sum::<usize>();
    let mut out = Vec::with_capacity(frame::OVERHEAD + fields + 40);
    out.extend_from_slice(frame::HEADER);
    out.extend_from_slice(b"0000");
    let start = out.len();
    let mut push = |k: &[u8], v: &[u8]| {
        out.extend_from_slice(k);
        out.extend_from_slice(v);
        out.push(b';');
    };
    if let Some(v) = qn {
        push(b"QN=", v.as_bytes());
    }
    push(b"ST=", ST_INTERACTION.as_bytes());
    out.extend_from_slice(b"CN=");
    push_decimal(&mut out, cn.code(), 4);
    out.push(b';');
    let mut push = |k: &[u8], v: &[u8]| {
        out.extend_from_slice(k);
        out.extend_from_slice(v);
        out.push(b';');
    };
    if let Some(v) = pw {
        push(b"PW=", v.as_bytes());
    }
    if let Some(v) = mn {
        push(b"MN=", v.as_bytes());
    }
    out.extend_from_slice(b"Flag=");
    push_decimal(&mut out, u16::from(reply_flag(version).0), 1);
    out.extend_from_slice(b";CP=&&&&");
    let len = out.len() - start;
    if len > frame::MAX_DATA_LEN {
        return Err(EncodeError::TooLong(len));
    }
    // `len <= 9999`, so four digits.
    for (i, div) in [1000, 100, 10, 1].into_iter().enumerate() {
        if let Some(d) = out.get_mut(frame::HEADER.len() + i) {
            *d = b'0' + ((len / div) % 10) as u8;
        }
    }
    let crc = crate::crc::crc16(out.get(start..).unwrap_or_default());
    crate::crc::write_hex(crc, &mut out);
    out.extend_from_slice(frame::TAIL);
    Ok(out)
}

/// 9013 notification answer (to a 1013 time-calibration request, …).
///
/// # Errors
///
/// As [`data_answer`].
pub fn notification_answer(to: &Packet, version: Version) -> Result<Vec<u8>, EncodeError> {
    empty_reply(to, Command::NotificationAnswer, version)
}

/// 9011 request answer, `CP=&&QnRtn=n&&`.
///
/// # Errors
///
/// As [`data_answer`].
pub fn request_answer(to: &Packet, rtn: QnRtn, version: Version) -> Result<Vec<u8>, EncodeError> {
    reply_to(to, Command::RequestAnswer, version)
        .param("QnRtn", &rtn.code().to_string())
        .build()
}

/// 9012 execution result, `CP=&&ExeRtn=n&&`.
///
/// # Errors
///
/// As [`data_answer`].
pub fn execution_result(
    to: &Packet,
    rtn: ExeRtn,
    version: Version,
) -> Result<Vec<u8>, EncodeError> {
    reply_to(to, Command::ExecutionResult, version)
        .param("ExeRtn", &rtn.code().to_string())
        .build()
}

/// Who a platform request is addressed to: the device's ST, PW and MN (echoed from its
/// packets), and the request's QN and Flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    /// The request id, `YYYYMMDDhhmmsszzz` (see [`DateTime::to_qn`]).
    pub qn: &'a str,
    /// The device's system code (e.g. `31`, `39`).
    pub st: &'a str,
    /// The device's access password.
    pub pw: &'a str,
    /// The device id.
    pub mn: &'a str,
    /// The request flag, normally [`request_flag`] (`Flag=5` for 2017).
    pub flag: Flag,
}

impl Target<'_> {
    /// A builder with this target's header fields.
    #[must_use]
    pub fn builder(&self, cn: Command) -> PacketBuilder {
        PacketBuilder::new(cn)
            .qn(self.qn)
            .st(self.st)
            .pw(self.pw)
            .mn(self.mn)
            .flag(self.flag)
    }
}

/// A platform-to-device request (or notification) the session can send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// 1000: `OverTime` seconds and `ReCount` retries.
    SetTimeoutRetry {
        /// Answer timeout in seconds (1–99).
        over_time: u16,
        /// Retries (1–99).
        re_count: u16,
    },
    /// 1011: get the field time (optionally of instrument `PolId`).
    GetTime {
        /// `PolId` of the instrument, or the data logger when `None`.
        pol_id: Option<String>,
    },
    /// 1012: set the field time to `time` (optionally of instrument `PolId`).
    SetTime {
        /// The time to set (China local time).
        time: DateTime,
        /// `PolId` of the instrument, or the data logger when `None`.
        pol_id: Option<String>,
    },
    /// 1061: get the real-time data interval.
    GetRtdInterval,
    /// 1062: set the real-time data interval (`RtdInterval`, 30–3600 s).
    SetRtdInterval(u16),
    /// 1063: get the minute-data interval.
    GetMinInterval,
    /// 1064: set the minute-data interval (`MinInterval`, minutes: 1, 2, 3, 4, 5, 6, 10, 12,
    /// 15, 20, 30).
    SetMinInterval(u16),
    /// 2011: start real-time data upload.
    StartRealTimeData,
    /// 2012: stop real-time data upload (notification, answered by 9013).
    StopRealTimeData,
    /// 2021: start equipment-status upload.
    StartEquipmentStatus,
    /// 2022: stop equipment-status upload (notification, answered by 9013).
    StopEquipmentStatus,
    /// 2031 / 2041 / 2051 / 2061: get history between `begin` and `end`.
    GetHistory {
        /// Which data: day, running time, minute or hour.
        cn: Command,
        /// `BeginTime`.
        begin: DateTime,
        /// `EndTime`.
        end: DateTime,
    },
    /// Any other command with raw CP items.
    Custom {
        /// The command.
        cn: Command,
        /// CP items, one `(key, value)` pair each.
        cp: Vec<(String, String)>,
    },
}

impl Request {
    /// The request's command code.
    #[must_use]
    pub fn command(&self) -> Command {
        match self {
            Self::SetTimeoutRetry { .. } => Command::SetTimeoutRetry,
            Self::GetTime { .. } => Command::GetTime,
            Self::SetTime { .. } => Command::SetTime,
            Self::GetRtdInterval => Command::GetRtdInterval,
            Self::SetRtdInterval(_) => Command::SetRtdInterval,
            Self::GetMinInterval => Command::GetMinInterval,
            Self::SetMinInterval(_) => Command::SetMinInterval,
            Self::StartRealTimeData => Command::RealTimeData,
            Self::StopRealTimeData => Command::StopRealTimeData,
            Self::StartEquipmentStatus => Command::EquipmentStatus,
            Self::StopEquipmentStatus => Command::StopEquipmentStatus,
            Self::GetHistory { cn, .. } | Self::Custom { cn, .. } => *cn,
        }
    }

    /// Encodes the request for `target`.
    ///
    /// # Errors
    ///
    /// An invalid `PolId` or custom CP value, or an over-long packet.
    pub fn encode(&self, target: &Target<'_>) -> Result<Vec<u8>, EncodeError> {
        let b = target.builder(self.command());
        let b = match self {
            Self::SetTimeoutRetry {
                over_time,
                re_count,
            } => b
                .param("OverTime", &over_time.to_string())
                .param("ReCount", &re_count.to_string()),
            Self::GetTime { pol_id } => match pol_id {
                Some(p) => b.param("PolId", p),
                None => b,
            },
            Self::SetTime { time, pol_id } => {
                let b = match pol_id {
                    Some(p) => b.param("PolId", p),
                    None => b,
                };
                b.param("SystemTime", &time.to_n14())
            }
            Self::SetRtdInterval(s) => b.param("RtdInterval", &s.to_string()),
            Self::SetMinInterval(m) => b.param("MinInterval", &m.to_string()),
            Self::GetHistory { begin, end, .. } => b
                .param("BeginTime", &begin.to_n14())
                .param("EndTime", &end.to_n14()),
            Self::Custom { cp, .. } => cp.iter().fold(b, |b, (k, v)| b.param(k, v)),
            Self::GetRtdInterval
            | Self::GetMinInterval
            | Self::StartRealTimeData
            | Self::StopRealTimeData
            | Self::StartEquipmentStatus
            | Self::StopEquipmentStatus => b,
        };
        b.build()
    }
}

/// 1012 set-time request: `CP=&&SystemTime=YYYYMMDDhhmmss&&`.
///
/// # Errors
///
/// As [`Request::encode`].
pub fn set_time(target: &Target<'_>, time: DateTime) -> Result<Vec<u8>, EncodeError> {
    Request::SetTime { time, pol_id: None }.encode(target)
}

/// 1062 set real-time data interval: `CP=&&RtdInterval=n&&` (seconds).
///
/// # Errors
///
/// As [`Request::encode`].
pub fn set_rtd_interval(target: &Target<'_>, seconds: u16) -> Result<Vec<u8>, EncodeError> {
    Request::SetRtdInterval(seconds).encode(target)
}

/// 1064 set minute-data interval: `CP=&&MinInterval=n&&` (minutes).
///
/// # Errors
///
/// As [`Request::encode`].
pub fn set_min_interval(target: &Target<'_>, minutes: u16) -> Result<Vec<u8>, EncodeError> {
    Request::SetMinInterval(minutes).encode(target)
}
