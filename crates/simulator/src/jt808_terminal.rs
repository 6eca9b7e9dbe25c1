//! A JT/T 808 terminal agent: speaks the real protocol over TCP with the `jt808` codec's
//! encoders — register (0x0100), authenticate (0x0102), report positions (0x0200 / 0x0704),
//! heartbeat, and answer platform commands (0x8103, 0x8300 → 0x0001; 0x8201 → 0x0201).
//!
//! ```text
//! let mut t = Terminal::connect(addr, Identity::new("13912345678"), Version::V2019).await?;
//! t.login().await?;                       // registers when it has no auth code yet
//! let r = t.report(&Fix::at(34.75, 113.62)).await?;   // waits for the 0x8001
//! let serial = t.send_fix(&fix).await?;   // pipelined: no wait …
//! match t.next().await? { Incoming::Reply { serial, result, .. } => …, Incoming::Command(m) => … }
//! ```
//!
//! Platform commands are answered automatically inside [`Terminal::next`] (and every call that
//! waits), then also returned as [`Incoming::Command`] so callers can react (e.g. change the
//! reporting interval after 0x8103).

use std::net::SocketAddr;

use jt808::message::parameters::DEFAULT_REPORT_INTERVAL;
use jt808::{
    AdditionalItem, Alarm, Authenticate, FrameDecoder, GeneralResponse, Header, LocalTime,
    Location, LocationBasic, LocationBatch, LocationQueryResponse, Message, Packet, Phone,
    Register, RegisterResult, ResultCode, Status, Version,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What can go wrong for a terminal.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    /// Socket error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The platform closed the connection.
    #[error("connection closed by the platform")]
    Closed,
    /// A frame or body from the platform did not decode.
    #[error("bad frame from the platform: {0}")]
    Protocol(String),
    /// A message could not be encoded (a field too long).
    #[error(transparent)]
    Encode(#[from] jt808::EncodeError),
    /// Registration refused.
    #[error("registration refused: {0:?}")]
    RegisterRefused(RegisterResult),
    /// Authentication refused (0x8001 with a non-zero result).
    #[error("authentication refused: {0:?}")]
    AuthRefused(ResultCode),
    /// A phone string that is not 1–20 digits.
    #[error("bad phone number")]
    Phone,
}

/// Who the terminal is (the 0x0100 fields) and its auth code once registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Phone digits (up to 12 for 2013, 20 for 2019).
    pub phone: String,
    /// Manufacturer id (5 bytes in 2013, 11 in 2019).
    pub manufacturer: String,
    /// Terminal model.
    pub model: String,
    /// Terminal id (7 bytes in 2013).
    pub terminal_id: String,
    /// Plate colour (2 yellow: trucks).
    pub plate_color: u8,
    /// Plate.
    pub plate: String,
    /// The auth code; `None` until registered.
    pub auth_code: Option<String>,
}

impl Identity {
    /// A muck-truck terminal with this phone and default fields.
    pub fn new(phone: &str) -> Identity {
        let tail: String = phone
            .chars()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Identity {
            phone: phone.to_owned(),
            manufacturer: "YIWNG".into(),
            model: "ZT-808".into(),
            terminal_id: format!("T{tail:0>5}"),
            plate_color: 2,
            plate: format!("豫A{tail:0>5}"),
            auth_code: None,
        }
    }
}

/// A position to report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    /// WGS-84 latitude, degrees (negative = south).
    pub latitude: f64,
    /// WGS-84 longitude, degrees (negative = west).
    pub longitude: f64,
    /// km/h.
    pub speed_kmh: f64,
    /// Degrees from north.
    pub heading: u16,
    /// Metres.
    pub altitude_m: i16,
    /// Alarm bits.
    pub alarm: u32,
    /// Status bits (bit 1 "positioned" is set automatically; bits 2/3 from the signs).
    pub status: u32,
    /// GMT+8 wall-clock fix time `(year, month, day, hour, minute, second)`.
    pub time: (u16, u8, u8, u8, u8, u8),
    /// Odometer, 1/10 km.
    pub mileage_tenths_km: Option<u32>,
}

impl Fix {
    /// A fix at `(latitude, longitude)`, standing still, at 2026-01-01 08:00:00 GMT+8.
    pub fn at(latitude: f64, longitude: f64) -> Fix {
        Fix {
            latitude,
            longitude,
            speed_kmh: 0.0,
            heading: 0,
            altitude_m: 100,
            alarm: 0,
            status: 0,
            time: (2026, 1, 1, 8, 0, 0),
            mileage_tenths_km: None,
        }
    }

    /// The 0x0200 body.
    pub fn to_location(&self) -> Location {
        let mut status = self.status | 0b10;
        if self.latitude < 0.0 {
            status |= 0b100;
        }
        if self.longitude < 0.0 {
            status |= 0b1000;
        }
        let (year, month, day, hour, minute, second) = self.time;
        let basic = LocationBasic {
            alarm: Alarm(self.alarm),
            status: Status(status),
            latitude: (self.latitude.abs() * 1e6).round() as u32,
            longitude: (self.longitude.abs() * 1e6).round() as u32,
            altitude: self.altitude_m,
            speed: (self.speed_kmh * 10.0).round().clamp(0.0, 65535.0) as u16,
            direction: self.heading,
            time: LocalTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
            },
        };
        let mut loc = Location::new(basic);
        if let Some(m) = self.mileage_tenths_km {
            loc.items.push(AdditionalItem::Mileage(m));
        }
        loc
    }
}

/// Something the platform sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// 0x8001 to one of our messages.
    Reply {
        /// Our serial it answers.
        serial: u16,
        /// Our message id it answers.
        id: u16,
        /// The result.
        result: ResultCode,
    },
    /// 0x8100 register response.
    Registered {
        /// Our serial it answers.
        serial: u16,
        /// Result.
        result: RegisterResult,
        /// Auth code (on success).
        auth_code: String,
    },
    /// A platform command, already answered.
    Command(Message),
}

/// One terminal connection. See the module docs.
#[derive(Debug)]
pub struct Terminal {
    pub(crate) stream: TcpStream,
    identity: Identity,
    phone: Phone,
    version: Version,
    serial: u16,
    pub(crate) decoder: FrameDecoder,
    last_fix: Fix,
    report_interval: Option<u32>,
    pub(crate) buf: Vec<u8>,
}

impl Terminal {
    /// Connects (no message sent yet).
    ///
    /// # Errors
    ///
    /// [`TerminalError::Io`], or [`TerminalError::Phone`] for a bad phone string.
    pub async fn connect(
        addr: SocketAddr,
        identity: Identity,
        version: Version,
    ) -> Result<Terminal, TerminalError> {
        let phone = Phone::from_digits(&identity.phone).map_err(|_| TerminalError::Phone)?;
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Terminal {
            stream,
            identity,
            phone,
            version,
            serial: 0,
            decoder: FrameDecoder::new(),
            last_fix: Fix::at(0.0, 0.0),
            report_interval: None,
            buf: Vec::new(),
        })
    }

    /// The identity (with the auth code once registered).
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The reporting interval last set by the platform (0x8103 parameter 0x0029), seconds.
    pub fn report_interval(&self) -> Option<u32> {
        self.report_interval
    }

    fn header(&mut self, id: u16) -> Header {
        let serial = self.serial;
        self.serial = self.serial.wrapping_add(1);
        match self.version {
            Version::V2019 => Header::new_2019(id, self.phone, serial),
            _ => Header::new_2013(id, self.phone, serial),
        }
    }

    /// Appends `message` with the next serial to the send buffer; returns the serial.
    ///
    /// # Errors
    ///
    /// [`TerminalError::Encode`].
    pub fn queue(&mut self, message: Message) -> Result<u16, TerminalError> {
        let header = self.header(message.id());
        let bytes = Packet::new(header, message).encode()?;
        self.buf.extend_from_slice(&bytes);
        Ok(header.serial)
    }

    /// Writes everything queued, in one write.
    ///
    /// # Errors
    ///
    /// [`TerminalError::Io`].
    pub async fn flush(&mut self) -> Result<(), TerminalError> {
        if !self.buf.is_empty() {
            self.stream.write_all(&self.buf).await?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Sends `message` now; returns its serial.
    ///
    /// # Errors
    ///
    /// As [`Terminal::queue`] and [`Terminal::flush`].
    pub async fn send(&mut self, message: Message) -> Result<u16, TerminalError> {
        let serial = self.queue(message)?;
        self.flush().await?;
        Ok(serial)
    }

    /// Sends a 0x0200 without waiting for the reply; returns its serial.
    ///
    /// # Errors
    ///
    /// As [`Terminal::send`].
    pub async fn send_fix(&mut self, fix: &Fix) -> Result<u16, TerminalError> {
        self.last_fix = *fix;
        self.send(Message::Location(fix.to_location())).await
    }

    /// Sends a 0x0704 batch (`backfill`: blind-area type 1) without waiting; returns its
    /// serial.
    ///
    /// # Errors
    ///
    /// As [`Terminal::send`].
    pub async fn send_batch(
        &mut self,
        fixes: &[Fix],
        backfill: bool,
    ) -> Result<u16, TerminalError> {
        if let Some(f) = fixes.last() {
            self.last_fix = *f;
        }
        let batch = LocationBatch {
            kind: u8::from(backfill),
            locations: fixes.iter().map(Fix::to_location).collect(),
        };
        self.send(Message::LocationBatch(batch)).await
    }

    /// Sends a 0x0200 and waits for its 0x8001 (answering commands meanwhile).
    ///
    /// # Errors
    ///
    /// As [`Terminal::send`] and [`Terminal::next`].
    pub async fn report(&mut self, fix: &Fix) -> Result<ResultCode, TerminalError> {
        let serial = self.send_fix(fix).await?;
        self.reply_to(serial).await
    }

    /// Heartbeat (0x0002) and its reply.
    ///
    /// # Errors
    ///
    /// As [`Terminal::report`].
    pub async fn heartbeat(&mut self) -> Result<ResultCode, TerminalError> {
        let serial = self.send(Message::Heartbeat).await?;
        self.reply_to(serial).await
    }

    /// Waits for the 0x8001 answering `serial`.
    ///
    /// # Errors
    ///
    /// As [`Terminal::next`].
    pub async fn reply_to(&mut self, serial: u16) -> Result<ResultCode, TerminalError> {
        loop {
            if let Incoming::Reply {
                serial: s, result, ..
            } = self.next().await?
                && s == serial
            {
                return Ok(result);
            }
        }
    }

    /// Registers (0x0100 → 0x8100); stores and returns the auth code.
    ///
    /// # Errors
    ///
    /// [`TerminalError::RegisterRefused`], or as [`Terminal::next`].
    pub async fn register(&mut self) -> Result<String, TerminalError> {
        let id = &self.identity;
        let register = Register {
            version: self.version,
            province: 41,
            city: 102,
            manufacturer: id.manufacturer.clone(),
            model: id.model.clone(),
            terminal_id: id.terminal_id.clone(),
            plate_color: id.plate_color,
            plate: id.plate.clone(),
        };
        let serial = self.send(Message::Register(register)).await?;
        loop {
            if let Incoming::Registered {
                serial: s,
                result,
                auth_code,
            } = self.next().await?
                && s == serial
            {
                if result != RegisterResult::Success {
                    return Err(TerminalError::RegisterRefused(result));
                }
                self.identity.auth_code = Some(auth_code.clone());
                return Ok(auth_code);
            }
        }
    }

    /// Authenticates (0x0102) with `code`.
    ///
    /// # Errors
    ///
    /// [`TerminalError::AuthRefused`], or as [`Terminal::next`].
    pub async fn authenticate(&mut self, code: &str) -> Result<(), TerminalError> {
        let mut auth = Authenticate::new(code);
        if self.version == Version::V2019 {
            auth.imei = format!("86{:0>13}", self.identity.phone);
            auth.imei.truncate(15);
            auth.software_version = "yiwang-sim-1".into();
        }
        let serial = self.send(Message::Authenticate(auth)).await?;
        match self.reply_to(serial).await? {
            ResultCode::Success => Ok(()),
            other => Err(TerminalError::AuthRefused(other)),
        }
    }

    /// Registers if there is no auth code yet, then authenticates.
    ///
    /// # Errors
    ///
    /// As [`Terminal::register`] and [`Terminal::authenticate`].
    pub async fn login(&mut self) -> Result<(), TerminalError> {
        let code = match self.identity.auth_code.clone() {
            Some(c) => c,
            None => self.register().await?,
        };
        self.authenticate(&code).await
    }

    /// The next message from the platform; commands are answered before being returned.
    ///
    /// # Errors
    ///
    /// [`TerminalError::Closed`], [`TerminalError::Io`], [`TerminalError::Protocol`].
    pub async fn next(&mut self) -> Result<Incoming, TerminalError> {
        loop {
            while let Some(r) = self.decoder.next_frame() {
                let frame = r.map_err(|e| TerminalError::Protocol(e.to_string()))?;
                let packet = Packet::from_frame(&frame)
                    .map_err(|e| TerminalError::Protocol(e.to_string()))?;
                if let Some(incoming) = self.on_packet(packet).await? {
                    return Ok(incoming);
                }
            }
            let mut buf = [0u8; 4096];
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(TerminalError::Closed);
            }
            self.decoder.push(buf.get(..n).unwrap_or_default());
        }
    }

    async fn answer(&mut self, to: &Header, result: ResultCode) -> Result<(), TerminalError> {
        let gr = GeneralResponse {
            reply_serial: to.serial,
            reply_id: to.id,
            result,
        };
        self.send(Message::TerminalGeneralResponse(gr)).await?;
        Ok(())
    }

    async fn on_packet(&mut self, p: Packet) -> Result<Option<Incoming>, TerminalError> {
        let incoming = match p.message {
            Message::PlatformGeneralResponse(gr) => Incoming::Reply {
                serial: gr.reply_serial,
                id: gr.reply_id,
                result: gr.result,
            },
            Message::RegisterResponse(r) => Incoming::Registered {
                serial: r.reply_serial,
                result: r.result,
                auth_code: r.auth_code,
            },
            Message::SetParameters(params) => {
                if let Some(s) = params.get_u32(DEFAULT_REPORT_INTERVAL) {
                    self.report_interval = Some(s);
                }
                self.answer(&p.header, ResultCode::Success).await?;
                Incoming::Command(Message::SetParameters(params))
            }
            Message::LocationQuery => {
                let body = LocationQueryResponse {
                    reply_serial: p.header.serial,
                    location: self.last_fix.to_location(),
                };
                self.send(Message::LocationQueryResponse(body)).await?;
                Incoming::Command(Message::LocationQuery)
            }
            Message::TextMessage(t) => {
                self.answer(&p.header, ResultCode::Success).await?;
                Incoming::Command(Message::TextMessage(t))
            }
            other => {
                // Unknown platform messages: "unsupported", as a real terminal would.
                if jt808::message::id::is_platform(other.id()) {
                    self.answer(&p.header, ResultCode::Unsupported).await?;
                }
                Incoming::Command(other)
            }
        };
        Ok(Some(incoming))
    }

    /// Closes the connection.
    ///
    /// # Errors
    ///
    /// [`TerminalError::Io`].
    pub async fn close(mut self) -> Result<(), TerminalError> {
        self.stream.shutdown().await?;
        Ok(())
    }
}
