//! An HJ 212 monitor agent (data logger, 数采仪): speaks HJ 212-2017 over TCP with the `hj212`
//! codec's builders — uploads readings (2011 real-time, 2051 minute, …) with or without
//! asking for a 9014 answer, asks for time calibration (1013 → 9013), and answers platform
//! requests (1012 set time, 1062 …) with 9011 `QnRtn=1` and 9012 `ExeRtn=1`.
//!
//! ```text
//! let mut m = Monitor::connect(addr, MonitorIdentity::fume("010000A8900016F000000001")).await?;
//! let qn = m.upload(&Reading::fume(0.85), true).await?;     // waits for the 9014 echoing qn
//! let qn = m.send_reading(&reading, true).await?;           // pipelined
//! match m.next().await? { Incoming::DataAnswer { qn } => …, Incoming::Request { .. } => … }
//! ```
//!
//! QNs are unique per monitor: a millisecond counter starting at the monitor's clock
//! ([`Monitor::set_clock`], GMT+8 wall time as epoch ms in that zone).

use std::net::SocketAddr;

use hj212::{
    Command, DateTime, ExeRtn, Flag, FramerConfig, Packet, PacketBuilder, PacketFramer, QnRtn,
    Version,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What can go wrong for a monitor.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// Socket error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The platform closed the connection.
    #[error("connection closed by the platform")]
    Closed,
    /// A packet from the platform did not parse.
    #[error("bad packet from the platform: {0}")]
    Protocol(String),
    /// A value could not be encoded.
    #[error(transparent)]
    Encode(#[from] hj212::EncodeError),
}

/// Who the monitor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorIdentity {
    /// Device id (24 hex chars in the standard).
    pub mn: String,
    /// Access password.
    pub pw: String,
    /// System code (31 for fume monitors, 39 for construction dust).
    pub st: String,
}

impl MonitorIdentity {
    /// A restaurant fume monitor (ST=31) with password `123456`.
    pub fn fume(mn: &str) -> MonitorIdentity {
        MonitorIdentity {
            mn: mn.to_owned(),
            pw: "123456".into(),
            st: "31".into(),
        }
    }

    /// A construction dust / noise monitor (ST=39) with password `123456`.
    pub fn dust(mn: &str) -> MonitorIdentity {
        MonitorIdentity {
            st: "39".into(),
            ..MonitorIdentity::fume(mn)
        }
    }
}

/// One upload's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Command: 2011 real-time, 2051 minute, 2061 hour, 2031 day.
    pub cn: u16,
    /// `DataTime` (GMT+8 wall clock, `YYYYMMDDhhmmss`).
    pub data_time: String,
    /// Factors: code and `(suffix, value)` pairs, e.g. `("a34041", [("Rtd","0.85"),("Flag","N")])`.
    pub factors: Vec<(String, Vec<(String, String)>)>,
}

impl Reading {
    /// A fume real-time reading: 油烟 `a34041`, particulates `a34000`, NMHC `a24088`, fan
    /// running `SB1-RS=1`.
    pub fn fume(concentration: f64) -> Reading {
        let pair = |s: &str, v: String| (s.to_owned(), v);
        Reading {
            cn: 2011,
            data_time: "20260101080000".into(),
            factors: vec![
                (
                    "a34041".into(),
                    vec![
                        pair("Rtd", format!("{concentration:.2}")),
                        pair("Flag", "N".into()),
                    ],
                ),
                (
                    "a34000".into(),
                    vec![pair("Rtd", "1.20".into()), pair("Flag", "N".into())],
                ),
                (
                    "a24088".into(),
                    vec![pair("Rtd", "3.10".into()), pair("Flag", "N".into())],
                ),
                ("SB1".into(), vec![pair("RS", "1".into())]),
            ],
        }
    }
}

/// Something the platform sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// 9014 data answer.
    DataAnswer {
        /// The QN it echoes.
        qn: String,
    },
    /// 9013 notification answer.
    NotificationAnswer {
        /// The QN it echoes.
        qn: String,
    },
    /// A platform request (1012 set time, 1062, …), already answered with 9011 + 9012.
    Request {
        /// Its command.
        cn: u16,
        /// Its QN.
        qn: String,
        /// `SystemTime` of a 1012, if any.
        system_time: Option<String>,
    },
}

/// One monitor connection. See the module docs.
#[derive(Debug)]
pub struct Monitor {
    pub(crate) stream: TcpStream,
    identity: MonitorIdentity,
    pub(crate) framer: PacketFramer,
    /// Next QN as ms in the GMT+8 scale.
    qn_ms: i64,
    pub(crate) buf: Vec<u8>,
    /// The last reading's frame: the next one with the same content and a QN of the same length
    /// is this frame with the QN and the CRC rewritten (a load generator's CPU is the gateway's).
    template: Option<Template>,
}

#[derive(Debug)]
struct Template {
    reading: Reading,
    ack: bool,
    qn_len: usize,
    frame: Vec<u8>,
}

/// `##` + the 4-digit length, then the segment opens with `QN=`.
const QN_AT: usize = hj212::frame::PREFIX_LEN + 3;

fn builder(identity: &MonitorIdentity, cn: Command, qn: &str, ack: bool) -> PacketBuilder {
    PacketBuilder::new(cn)
        .qn(qn)
        .st(&identity.st)
        .pw(&identity.pw)
        .mn(&identity.mn)
        .flag(Flag::from_parts(Version::V2017, false, ack))
}

/// Appends the frame of `reading` with `qn` to `buf`: the builder's bytes, taken from the
/// `template` (QN and CRC rewritten) when it holds the same reading.
fn encode_reading(
    identity: &MonitorIdentity,
    template: &mut Option<Template>,
    qn: &str,
    reading: &Reading,
    ack: bool,
    buf: &mut Vec<u8>,
) -> Result<(), MonitorError> {
    if let Some(t) = template.as_ref()
        && t.ack == ack
        && t.qn_len == qn.len()
        && t.reading == *reading
        && let Some(body) = t
            .frame
            .get(..t.frame.len().saturating_sub(hj212::frame::TAIL.len() + 4))
    {
        let start = buf.len();
        buf.extend_from_slice(body);
        if let Some(q) = buf.get_mut(start + QN_AT..start + QN_AT + qn.len()) {
            q.copy_from_slice(qn.as_bytes());
        }
        let segment = buf
            .get(start + hj212::frame::PREFIX_LEN..)
            .unwrap_or_default();
        hj212::crc::write_hex(hj212::crc::crc16(segment), buf);
        buf.extend_from_slice(hj212::frame::TAIL);
        return Ok(());
    }
    let mut b = builder(identity, Command::from_code(reading.cn), qn, ack)
        .param("DataTime", &reading.data_time);
    for (code, fields) in &reading.factors {
        let keys: Vec<(String, &str)> = fields
            .iter()
            .map(|(s, v)| (format!("{code}-{s}"), v.as_str()))
            .collect();
        let pairs: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        b = b.item(&pairs);
    }
    let bytes = b.build()?;
    buf.extend_from_slice(&bytes);
    if bytes.get(hj212::frame::PREFIX_LEN..QN_AT) == Some(b"QN=") {
        *template = Some(Template {
            reading: reading.clone(),
            ack,
            qn_len: qn.len(),
            frame: bytes,
        });
    }
    Ok(())
}

impl Monitor {
    /// Connects (nothing sent yet). QNs start at 2026-01-01 08:00:00.000.
    ///
    /// # Errors
    ///
    /// [`MonitorError::Io`].
    pub async fn connect(
        addr: SocketAddr,
        identity: MonitorIdentity,
    ) -> Result<Monitor, MonitorError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Monitor {
            stream,
            identity,
            framer: PacketFramer::new(FramerConfig::default()),
            qn_ms: 1_767_254_400_000,
            buf: Vec::new(),
            template: None,
        })
    }

    /// Sets the clock QNs count from (GMT+8 wall time as epoch ms in that zone).
    pub fn set_clock(&mut self, local_ms: i64) {
        self.qn_ms = local_ms;
    }

    /// The identity.
    pub fn identity(&self) -> &MonitorIdentity {
        &self.identity
    }

    fn next_qn(&mut self) -> String {
        let qn = DateTime::from_epoch_millis(self.qn_ms)
            .map(|d| d.to_qn())
            .unwrap_or_else(|| "20260101080000000".into());
        self.qn_ms += 1;
        qn
    }

    fn builder(&self, cn: Command, qn: &str, ack: bool) -> PacketBuilder {
        builder(&self.identity, cn, qn, ack)
    }

    /// Appends the packet for `reading` to the send buffer; returns its QN.
    ///
    /// # Errors
    ///
    /// [`MonitorError::Encode`].
    pub fn queue_reading(&mut self, reading: &Reading, ack: bool) -> Result<String, MonitorError> {
        let qn = self.next_qn();
        encode_reading(
            &self.identity,
            &mut self.template,
            &qn,
            reading,
            ack,
            &mut self.buf,
        )?;
        Ok(qn)
    }

    /// Writes everything queued.
    ///
    /// # Errors
    ///
    /// [`MonitorError::Io`].
    pub async fn flush(&mut self) -> Result<(), MonitorError> {
        if !self.buf.is_empty() {
            self.stream.write_all(&self.buf).await?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Sends raw bytes (tests of bad input).
    ///
    /// # Errors
    ///
    /// [`MonitorError::Io`].
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), MonitorError> {
        self.stream.write_all(bytes).await?;
        Ok(())
    }

    /// Sends a reading (`ack`: Flag=5, asks for a 9014) without waiting; returns its QN.
    ///
    /// # Errors
    ///
    /// As [`Monitor::queue_reading`] and [`Monitor::flush`].
    pub async fn send_reading(
        &mut self,
        reading: &Reading,
        ack: bool,
    ) -> Result<String, MonitorError> {
        let qn = self.queue_reading(reading, ack)?;
        self.flush().await?;
        Ok(qn)
    }

    /// Sends a reading asking for an answer and waits for the 9014 echoing its QN.
    ///
    /// # Errors
    ///
    /// As [`Monitor::send_reading`] and [`Monitor::next`].
    pub async fn upload(&mut self, reading: &Reading) -> Result<String, MonitorError> {
        let qn = self.send_reading(reading, true).await?;
        loop {
            if let Incoming::DataAnswer { qn: q } = self.next().await?
                && q == qn
            {
                return Ok(qn);
            }
        }
    }

    /// 1013 time-calibration request (Flag=5); waits for the 9013.
    ///
    /// # Errors
    ///
    /// As [`Monitor::upload`].
    pub async fn request_time_calibration(&mut self) -> Result<String, MonitorError> {
        let qn = self.next_qn();
        let bytes = self
            .builder(Command::TimeCalibrationRequest, &qn, true)
            .build()?;
        self.send_raw(&bytes).await?;
        loop {
            if let Incoming::NotificationAnswer { qn: q } = self.next().await?
                && q == qn
            {
                return Ok(qn);
            }
        }
    }

    /// The next packet from the platform; requests are answered (9011, 9012) first.
    ///
    /// # Errors
    ///
    /// [`MonitorError::Closed`], [`MonitorError::Io`], [`MonitorError::Protocol`].
    pub async fn next(&mut self) -> Result<Incoming, MonitorError> {
        loop {
            while let Some(r) = self.framer.next_packet() {
                let raw = r.map_err(|e| MonitorError::Protocol(format!("{e:?}")))?;
                let packet =
                    Packet::from_raw(raw).map_err(|e| MonitorError::Protocol(e.to_string()))?;
                if let Some(i) = self.on_packet(&packet).await? {
                    return Ok(i);
                }
            }
            let mut buf = [0u8; 2048];
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(MonitorError::Closed);
            }
            self.framer.push(buf.get(..n).unwrap_or_default());
        }
    }

    async fn on_packet(&mut self, p: &Packet) -> Result<Option<Incoming>, MonitorError> {
        let qn = p.qn().unwrap_or_default().to_owned();
        Ok(Some(match p.cn() {
            Command::DataAnswer => Incoming::DataAnswer { qn },
            Command::NotificationAnswer => Incoming::NotificationAnswer { qn },
            cn => {
                let system_time = p.cp().get("SystemTime").map(|v| v.as_str().to_owned());
                if p.needs_ack() {
                    let mut out = hj212::encode::request_answer(p, QnRtn::Ready, Version::V2017)?;
                    out.extend(hj212::encode::execution_result(
                        p,
                        ExeRtn::Success,
                        Version::V2017,
                    )?);
                    self.send_raw(&out).await?;
                }
                Incoming::Request {
                    cn: cn.code(),
                    qn,
                    system_time,
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames taken from the template are the builder's bytes, whatever changes between
    /// readings (QN, its length, the ack flag, the values).
    #[test]
    fn template_frames_equal_built_frames() {
        let id = MonitorIdentity::fume("010000A8900016F000000001");
        let cases = [
            (Reading::fume(0.85), "20260101080000000", true),
            (Reading::fume(0.85), "20260101080000001", true),
            (Reading::fume(0.85), "2026010108000002", true),
            (Reading::fume(0.85), "20260101080000003", false),
            (Reading::fume(0.85), "20260101080000004", false),
            (Reading::fume(1.5), "20260101080000005", false),
            (Reading::fume(1.5), "20260101080000006", true),
        ];
        let mut template = None;
        let mut fast = Vec::new();
        let mut built = Vec::new();
        for (r, qn, ack) in &cases {
            encode_reading(&id, &mut template, qn, r, *ack, &mut fast).unwrap();
            encode_reading(&id, &mut None, qn, r, *ack, &mut built).unwrap();
        }
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&built)
        );
        let mut framer = PacketFramer::new(FramerConfig::default());
        framer.push(&fast);
        let got: Vec<String> = std::iter::from_fn(|| framer.next_packet())
            .map(|p| {
                Packet::from_raw(p.unwrap())
                    .unwrap()
                    .qn()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let want: Vec<&str> = cases.iter().map(|c| c.1).collect();
        assert_eq!(got, want);
    }
}
