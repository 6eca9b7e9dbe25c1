//! Test helpers: gateways on 127.0.0.1:0 with a `MemorySink`, and raw protocol clients built
//! on the codec crates.

use std::net::SocketAddr;
use std::sync::Arc;

use ingest::jt808::{Config, Gateway, Handle};
use ingest::{Batcher, BatcherConfig, ManualClock, MemoryRegistry, MemorySink};
use jt808::{
    Alarm, FrameDecoder, Header, LocalTime, Location, LocationBasic, Message, Packet, Phone,
    Register, Status, Version,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// 2026-11-24 08:00:00 UTC.
pub const NOW_MS: i64 = 1_795_507_200_000;

pub struct Jt808Env {
    pub addr: SocketAddr,
    pub sink: MemorySink,
    pub registry: MemoryRegistry,
    pub handle: Handle,
}

pub async fn jt808_env(config: Config) -> Jt808Env {
    let sink = MemorySink::new();
    let registry = MemoryRegistry::new();
    let (batcher, _task) = Batcher::spawn(sink.clone(), BatcherConfig::default());
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..config
    };
    let gw = Gateway::bind(
        config,
        registry.clone(),
        batcher,
        Arc::new(ManualClock::new(NOW_MS)),
    )
    .await
    .unwrap();
    let addr = gw.local_addr().unwrap();
    let handle = gw.handle();
    tokio::spawn(gw.run());
    Jt808Env {
        addr,
        sink,
        registry,
        handle,
    }
}

/// A bare JT/T 808 client: encodes with the codec, sends, and reads frames back.
pub struct Client {
    pub stream: TcpStream,
    pub phone: Phone,
    pub version: Version,
    pub serial: u16,
    decoder: FrameDecoder,
}

impl Client {
    pub async fn connect(addr: SocketAddr, phone: &str, version: Version) -> Client {
        Client {
            stream: TcpStream::connect(addr).await.unwrap(),
            phone: Phone::from_digits(phone).unwrap(),
            version,
            serial: 0,
            decoder: FrameDecoder::new(),
        }
    }

    pub fn header(&mut self, id: u16) -> Header {
        let serial = self.serial;
        self.serial = self.serial.wrapping_add(1);
        match self.version {
            Version::V2019 => Header::new_2019(id, self.phone, serial),
            _ => Header::new_2013(id, self.phone, serial),
        }
    }

    /// The wire bytes of `message` with the next serial; returns (serial, bytes).
    pub fn frame(&mut self, message: Message) -> (u16, Vec<u8>) {
        let header = self.header(message.id());
        (
            header.serial,
            Packet::new(header, message).encode().unwrap(),
        )
    }

    pub async fn send(&mut self, message: Message) -> u16 {
        let (serial, bytes) = self.frame(message);
        self.stream.write_all(&bytes).await.unwrap();
        serial
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next frame from the gateway; `None` when the connection closed.
    pub async fn recv(&mut self) -> Option<Packet> {
        loop {
            if let Some(r) = self.decoder.next_frame() {
                let frame = r.expect("gateway sent a bad frame");
                return Some(Packet::from_frame(&frame).expect("gateway sent a bad body"));
            }
            let mut buf = [0u8; 1024];
            let n = self.stream.read(&mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            self.decoder.push(&buf[..n]);
        }
    }

    /// Reads until the 0x8001 answering `serial`; returns its result.
    pub async fn general_reply(&mut self, serial: u16) -> jt808::ResultCode {
        loop {
            let p = self.recv().await.expect("connection closed");
            if let Message::PlatformGeneralResponse(gr) = p.message
                && gr.reply_serial == serial
            {
                return gr.result;
            }
        }
    }

    pub fn register_message(&self) -> Message {
        Message::Register(Register {
            version: self.version,
            province: 41,
            city: 102,
            manufacturer: "YIWNG".into(),
            model: "ZT-1".into(),
            terminal_id: "T000001".into(),
            plate_color: 2,
            plate: "豫A12345".into(),
        })
    }

    /// Registers and authenticates; returns the auth code.
    pub async fn login(&mut self) -> String {
        let serial = self.send(self.register_message()).await;
        let code = loop {
            let p = self.recv().await.expect("closed before 0x8100");
            if let Message::RegisterResponse(r) = p.message {
                assert_eq!(r.reply_serial, serial);
                assert_eq!(r.result, jt808::RegisterResult::Success);
                break r.auth_code;
            }
        };
        let mut auth = jt808::Authenticate::new(code.clone());
        if self.version == Version::V2019 {
            auth.imei = "860000000000001".into();
            auth.software_version = "1.0.0".into();
        }
        let serial = self.send(Message::Authenticate(auth)).await;
        assert_eq!(self.general_reply(serial).await, jt808::ResultCode::Success);
        code
    }
}

/// A location report at 34.75°N 113.62°E, 2026-11-24 16:00:00 GMT+8, with mileage.
pub fn location(n: u32) -> Message {
    let basic = LocationBasic {
        alarm: Alarm(1),
        status: Status(0b10),
        latitude: 34_750_000 + n,
        longitude: 113_620_000,
        altitude: 110,
        speed: 356,
        direction: 90,
        time: LocalTime {
            year: 2026,
            month: 11,
            day: 24,
            hour: 16,
            minute: 0,
            second: 0,
        },
    };
    let mut loc = Location::new(basic);
    loc.items.push(jt808::AdditionalItem::Mileage(12_345));
    Message::Location(loc)
}

pub fn fixes(sink: &MemorySink) -> Vec<ingest::VehicleFix> {
    sink.records()
        .into_iter()
        .filter_map(|r| match r {
            ingest::Record::Fix(f) => Some(f),
            _ => None,
        })
        .collect()
}
