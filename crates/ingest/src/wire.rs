//! The binary form of a [`Record`] used by [`FileSink`](crate::FileSink): compact, versioned,
//! and readable back ([`decode`]) so tests and tools can check what was made durable.
//!
//! Layout of one record: a tag byte, then the fields in declaration order. Integers are
//! little-endian fixed width, floats are IEEE-754 bits, strings and byte strings are a `u32`
//! length followed by the bytes, `Option` is a `0`/`1` byte followed by the value, lists are a
//! `u32` count followed by the items. The file around the records is described in
//! [`crate::sink`].

use crate::record::{
    FactorReading, Hj212Notice, Hj212NoticeKind, Hj212Reading, MediaData, Record, TerminalEvent,
    TerminalEventKind, VehicleFix,
};

/// A record that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The bytes ended inside a field.
    #[error("record truncated")]
    Truncated,
    /// An unknown tag or a malformed value.
    #[error("invalid record: {0}")]
    Invalid(&'static str),
}

const FIX: u8 = 1;
const TERMINAL: u8 = 2;
const MEDIA: u8 = 3;
const READING: u8 = 4;
const NOTICE: u8 = 5;

struct W<'a>(&'a mut Vec<u8>);

impl W<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn opt_i64(&mut self, v: Option<i64>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.i64(v);
            }
            None => self.u8(0),
        }
    }
    fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.u64(v);
            }
            None => self.u8(0),
        }
    }
    fn opt_str(&mut self, v: Option<&str>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.str(v);
            }
            None => self.u8(0),
        }
    }
    fn pairs(&mut self, v: &[(String, String)]) {
        self.len(v.len());
        for (a, b) in v {
            self.str(a);
            self.str(b);
        }
    }
    fn fix(&mut self, f: &VehicleFix) {
        self.str(&f.phone);
        self.i64(f.received_at);
        self.opt_i64(f.device_time);
        self.f64(f.latitude);
        self.f64(f.longitude);
        self.f64(f.speed_kmh);
        self.u16(f.heading);
        self.u16(f.altitude_m as u16);
        self.u32(f.alarm);
        self.u32(f.status);
        self.opt_u64(f.mileage_m);
        self.u8(u8::from(f.backfill));
        self.len(f.extra.len());
        for (id, v) in &f.extra {
            self.u8(*id);
            self.bytes(v);
        }
    }
}

/// Appends the binary form of `record` to `out`.
pub fn encode(record: &Record, out: &mut Vec<u8>) {
    let mut w = W(out);
    match record {
        Record::Fix(f) => {
            w.u8(FIX);
            w.fix(f);
        }
        Record::Terminal(e) => {
            w.u8(TERMINAL);
            w.str(&e.phone);
            w.i64(e.at);
            match &e.kind {
                TerminalEventKind::Registered {
                    manufacturer,
                    model,
                    terminal_id,
                    plate,
                    plate_color,
                } => {
                    w.u8(1);
                    w.str(manufacturer);
                    w.str(model);
                    w.str(terminal_id);
                    w.str(plate);
                    w.u8(*plate_color);
                }
                TerminalEventKind::Authenticated {
                    imei,
                    software_version,
                } => {
                    w.u8(2);
                    w.str(imei);
                    w.str(software_version);
                }
                TerminalEventKind::LoggedOut => w.u8(3),
                TerminalEventKind::Offline { reason } => {
                    w.u8(4);
                    w.str(reason);
                }
                TerminalEventKind::MediaEvent {
                    media_id,
                    media_type,
                    format,
                    event,
                    channel,
                } => {
                    w.u8(5);
                    w.u32(*media_id);
                    w.u8(*media_type);
                    w.u8(*format);
                    w.u8(*event);
                    w.u8(*channel);
                }
            }
        }
        Record::Media(m) => {
            w.u8(MEDIA);
            w.str(&m.phone);
            w.i64(m.received_at);
            w.u32(m.media_id);
            w.u8(m.media_type);
            w.u8(m.format);
            w.u8(m.event);
            w.u8(m.channel);
            w.fix(&m.fix);
            w.bytes(&m.data);
        }
        Record::Reading(r) => {
            w.u8(READING);
            w.str(&r.mn);
            w.opt_str(r.qn.as_deref());
            w.opt_str(r.st.as_deref());
            w.u16(r.cn);
            w.opt_i64(r.data_time);
            w.i64(r.received_at);
            w.len(r.factors.len());
            for f in &r.factors {
                w.str(&f.code);
                w.pairs(&f.fields);
            }
            w.pairs(&r.params);
        }
        Record::Notice(n) => {
            w.u8(NOTICE);
            w.str(&n.mn);
            w.i64(n.at);
            match &n.kind {
                Hj212NoticeKind::Online => w.u8(1),
                Hj212NoticeKind::TimeCalibrationRequest => w.u8(2),
                Hj212NoticeKind::Heartbeat => w.u8(3),
                Hj212NoticeKind::Offline { reason } => {
                    w.u8(4);
                    w.str(reason);
                }
            }
        }
    }
}

struct R<'a>(&'a [u8]);

impl R<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(WireError::Truncated)?;
        self.0 = rest;
        Ok(*head)
    }
    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn i64(&mut self) -> Result<i64, WireError> {
        Ok(i64::from_le_bytes(self.take()?))
    }
    fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.take()?))
    }
    fn f64(&mut self) -> Result<f64, WireError> {
        Ok(f64::from_bits(self.u64()?))
    }
    fn bool(&mut self) -> Result<bool, WireError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(WireError::Invalid("bool")),
        }
    }
    fn len(&mut self) -> Result<usize, WireError> {
        let n = usize::try_from(self.u32()?).map_err(|_| WireError::Invalid("length"))?;
        if n > self.0.len() {
            return Err(WireError::Truncated);
        }
        Ok(n)
    }
    fn bytes(&mut self) -> Result<Vec<u8>, WireError> {
        let n = self.len()?;
        let (head, rest) = self.0.split_at_checked(n).ok_or(WireError::Truncated)?;
        self.0 = rest;
        Ok(head.to_vec())
    }
    fn str(&mut self) -> Result<String, WireError> {
        String::from_utf8(self.bytes()?).map_err(|_| WireError::Invalid("utf-8"))
    }
    fn opt_i64(&mut self) -> Result<Option<i64>, WireError> {
        Ok(if self.bool()? {
            Some(self.i64()?)
        } else {
            None
        })
    }
    fn opt_u64(&mut self) -> Result<Option<u64>, WireError> {
        Ok(if self.bool()? {
            Some(self.u64()?)
        } else {
            None
        })
    }
    fn opt_str(&mut self) -> Result<Option<String>, WireError> {
        Ok(if self.bool()? {
            Some(self.str()?)
        } else {
            None
        })
    }
    fn pairs(&mut self) -> Result<Vec<(String, String)>, WireError> {
        let n = self.len()?;
        let mut v = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            v.push((self.str()?, self.str()?));
        }
        Ok(v)
    }
    fn fix(&mut self) -> Result<VehicleFix, WireError> {
        Ok(VehicleFix {
            phone: self.str()?,
            received_at: self.i64()?,
            device_time: self.opt_i64()?,
            latitude: self.f64()?,
            longitude: self.f64()?,
            speed_kmh: self.f64()?,
            heading: self.u16()?,
            altitude_m: self.u16()? as i16,
            alarm: self.u32()?,
            status: self.u32()?,
            mileage_m: self.opt_u64()?,
            backfill: self.bool()?,
            extra: {
                let n = self.len()?;
                let mut v = Vec::with_capacity(n.min(256));
                for _ in 0..n {
                    v.push((self.u8()?, self.bytes()?));
                }
                v
            },
        })
    }
}

/// Reads one record written by [`encode`]; the whole slice must be used.
///
/// # Errors
///
/// [`WireError`] for truncated or malformed bytes.
pub fn decode(bytes: &[u8]) -> Result<Record, WireError> {
    let mut r = R(bytes);
    let record = match r.u8()? {
        FIX => Record::Fix(r.fix()?),
        TERMINAL => {
            let phone = r.str()?;
            let at = r.i64()?;
            let kind = match r.u8()? {
                1 => TerminalEventKind::Registered {
                    manufacturer: r.str()?,
                    model: r.str()?,
                    terminal_id: r.str()?,
                    plate: r.str()?,
                    plate_color: r.u8()?,
                },
                2 => TerminalEventKind::Authenticated {
                    imei: r.str()?,
                    software_version: r.str()?,
                },
                3 => TerminalEventKind::LoggedOut,
                4 => TerminalEventKind::Offline { reason: r.str()? },
                5 => TerminalEventKind::MediaEvent {
                    media_id: r.u32()?,
                    media_type: r.u8()?,
                    format: r.u8()?,
                    event: r.u8()?,
                    channel: r.u8()?,
                },
                _ => return Err(WireError::Invalid("terminal event kind")),
            };
            Record::Terminal(TerminalEvent { phone, at, kind })
        }
        MEDIA => Record::Media(MediaData {
            phone: r.str()?,
            received_at: r.i64()?,
            media_id: r.u32()?,
            media_type: r.u8()?,
            format: r.u8()?,
            event: r.u8()?,
            channel: r.u8()?,
            fix: r.fix()?,
            data: r.bytes()?,
        }),
        READING => {
            let mn = r.str()?;
            let qn = r.opt_str()?;
            let st = r.opt_str()?;
            let cn = r.u16()?;
            let data_time = r.opt_i64()?;
            let received_at = r.i64()?;
            let n = r.len()?;
            let mut factors = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                factors.push(FactorReading {
                    code: r.str()?,
                    fields: r.pairs()?,
                });
            }
            let params = r.pairs()?;
            Record::Reading(Hj212Reading {
                mn,
                qn,
                st,
                cn,
                data_time,
                received_at,
                factors,
                params,
            })
        }
        NOTICE => {
            let mn = r.str()?;
            let at = r.i64()?;
            let kind = match r.u8()? {
                1 => Hj212NoticeKind::Online,
                2 => Hj212NoticeKind::TimeCalibrationRequest,
                3 => Hj212NoticeKind::Heartbeat,
                4 => Hj212NoticeKind::Offline { reason: r.str()? },
                _ => return Err(WireError::Invalid("notice kind")),
            };
            Record::Notice(Hj212Notice { mn, at, kind })
        }
        _ => return Err(WireError::Invalid("record tag")),
    };
    if !r.0.is_empty() {
        return Err(WireError::Invalid("trailing bytes"));
    }
    Ok(record)
}
