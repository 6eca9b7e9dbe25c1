//! 0x0200 location report (位置信息汇报): the 28-byte basic block, status and alarm bit
//! fields, BCD time, and the additional-item list.
//!
//! # Wire format
//!
//! ```text
//! offset  field        type     unit
//!  0      alarm flags  DWORD    bit field, see Alarm
//!  4      status       DWORD    bit field, see Status
//!  8      latitude     DWORD    degrees × 10⁶, unsigned; south when status bit 2
//! 12      longitude    DWORD    degrees × 10⁶, unsigned; west when status bit 3
//! 16      altitude     WORD     metres (read as signed, see below)
//! 18      speed        WORD     1/10 km/h
//! 20      direction    WORD     0–359°, 0 = north, clockwise
//! 22      time         BCD[6]   YYMMDDhhmmss, GMT+8
//! 28      items        id BYTE, length BYTE, value BYTE[length] … (see items.rs)
//! ```
//!
//! Decisions: the altitude WORD is read as two's complement (`i16`) so that places below sea
//! level (Turpan basin, −154 m) come out right; no land point reaches 32,768 m. The time is
//! exposed as plain GMT+8 wall-clock fields ([`LocalTime`]); no conversion, no calendar check
//! at decode time (devices without a fix send `000000000000`).

use std::fmt;

use crate::error::{DecodeError, EncodeError};
use crate::message::items::AdditionalItem;
use crate::wire::{Reader, bcd_to_u8, put_u16, put_u32, u8_to_bcd};

/// A BCD `YYMMDDhhmmss` time: wall-clock fields in GMT+8, as the terminal sent them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct LocalTime {
    /// Full year, 2000–2099.
    pub year: u16,
    /// Month, 1–12 when valid.
    pub month: u8,
    /// Day, 1–31 when valid.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
}

impl LocalTime {
    /// Encoded length.
    pub const LEN: usize = 6;

    /// Decodes `YYMMDDhhmmss`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Bcd`] when a nibble is above 9.
    pub fn from_bcd(bcd: [u8; 6], field: &'static str) -> Result<LocalTime, DecodeError> {
        let mut d = [0u8; 6];
        for (slot, byte) in d.iter_mut().zip(bcd) {
            *slot = bcd_to_u8(byte).ok_or(DecodeError::Bcd { field, byte })?;
        }
        let [yy, month, day, hour, minute, second] = d;
        Ok(LocalTime {
            year: 2000 + u16::from(yy),
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// Encodes `YYMMDDhhmmss`.
    ///
    /// # Errors
    ///
    /// [`EncodeError::OutOfRange`] for a year outside 2000–2099 or a field above 99.
    pub fn to_bcd(&self) -> Result<[u8; 6], EncodeError> {
        let out_of_range = EncodeError::OutOfRange { field: "time" };
        let yy = self
            .year
            .checked_sub(2000)
            .filter(|y| *y < 100)
            .ok_or(out_of_range.clone())?;
        let yy = u8::try_from(yy).map_err(|_| out_of_range.clone())?;
        let fields = [
            yy,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
        ];
        if fields.iter().any(|&f| f > 99) {
            return Err(out_of_range);
        }
        Ok(fields.map(u8_to_bcd))
    }

    /// `true` when the fields form a plausible date and time (month 1–12, day 1–31,
    /// hour < 24, minute < 60, second < 60). Day-of-month limits are not checked.
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Load state from status bits 8–9 (载货/载客状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadState {
    /// `00` empty (空车).
    Empty,
    /// `01` half load (半载).
    Half,
    /// `10` reserved.
    Reserved,
    /// `11` full load (满载).
    Full,
}

/// Status bit field (状态位), JT/T 808-2013 table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Status(pub u32);

impl Status {
    /// The bit `n` (0–31).
    pub fn bit(self, n: u32) -> bool {
        n < 32 && self.0 & (1 << n) != 0
    }
    /// Bit 0: ACC on.
    pub fn acc_on(self) -> bool {
        self.bit(0)
    }
    /// Bit 1: position fixed (定位).
    pub fn located(self) -> bool {
        self.bit(1)
    }
    /// Bit 2: south latitude.
    pub fn south(self) -> bool {
        self.bit(2)
    }
    /// Bit 3: west longitude.
    pub fn west(self) -> bool {
        self.bit(3)
    }
    /// Bit 4: out of service (停运).
    pub fn out_of_service(self) -> bool {
        self.bit(4)
    }
    /// Bit 5: coordinates encrypted by a plug-in.
    pub fn coordinates_encrypted(self) -> bool {
        self.bit(5)
    }
    /// Bits 8–9: load state (empty / half / full); for muck trucks, loaded or not.
    pub fn load(self) -> LoadState {
        match (self.0 >> 8) & 0b11 {
            0 => LoadState::Empty,
            1 => LoadState::Half,
            2 => LoadState::Reserved,
            _ => LoadState::Full,
        }
    }
    /// Bit 10: oil circuit cut (油路断开).
    pub fn oil_cut(self) -> bool {
        self.bit(10)
    }
    /// Bit 11: electric circuit cut (电路断开).
    pub fn circuit_cut(self) -> bool {
        self.bit(11)
    }
    /// Bit 12: doors locked.
    pub fn doors_locked(self) -> bool {
        self.bit(12)
    }
    /// Door `n` open, `n` = 1 (front), 2 (middle), 3 (back), 4 (driver), 5 (custom):
    /// bits 13–17. `false` for other `n`.
    pub fn door_open(self, n: u32) -> bool {
        (1..=5).contains(&n) && self.bit(12 + n)
    }
    /// Bit 18: GPS used.
    pub fn gps(self) -> bool {
        self.bit(18)
    }
    /// Bit 19: BeiDou used.
    pub fn beidou(self) -> bool {
        self.bit(19)
    }
    /// Bit 20: GLONASS used.
    pub fn glonass(self) -> bool {
        self.bit(20)
    }
    /// Bit 21: Galileo used.
    pub fn galileo(self) -> bool {
        self.bit(21)
    }
    /// Bit 22 (2019): vehicle running (车辆状态).
    pub fn running(self) -> bool {
        self.bit(22)
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Status({:#010x})", self.0)
    }
}

/// Alarm bit field (报警标志), JT/T 808-2013/2019 table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Alarm(pub u32);

impl Alarm {
    /// Bits the standard clears only when the platform acknowledges ("收到应答后清零"):
    /// 0 emergency, 20 area, 21 route, 22 route time, 28 illegal displacement,
    /// 31 illegal door opening. The platform acks them with 0x8001 (or 0x8203).
    pub const CLEARED_ON_ACK: u32 =
        (1 << 0) | (1 << 20) | (1 << 21) | (1 << 22) | (1 << 28) | (1 << 31);

    /// The bit `n` (0–31).
    pub fn bit(self, n: u32) -> bool {
        n < 32 && self.0 & (1 << n) != 0
    }
    /// `true` when no alarm bit is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Bit 0: emergency alarm, SOS switch (紧急报警).
    pub fn emergency(self) -> bool {
        self.bit(0)
    }
    /// Bit 1: overspeed (超速报警).
    pub fn overspeed(self) -> bool {
        self.bit(1)
    }
    /// Bit 2: fatigue driving (疲劳驾驶).
    pub fn fatigue(self) -> bool {
        self.bit(2)
    }
    /// Bit 3: danger warning (危险预警).
    pub fn danger(self) -> bool {
        self.bit(3)
    }
    /// Bit 4: GNSS module fault.
    pub fn gnss_fault(self) -> bool {
        self.bit(4)
    }
    /// Bit 5: GNSS antenna cut.
    pub fn gnss_antenna_cut(self) -> bool {
        self.bit(5)
    }
    /// Bit 6: GNSS antenna short circuit.
    pub fn gnss_antenna_short(self) -> bool {
        self.bit(6)
    }
    /// Bit 7: main power under-voltage.
    pub fn power_low(self) -> bool {
        self.bit(7)
    }
    /// Bit 8: main power off (tamper indicator).
    pub fn power_off(self) -> bool {
        self.bit(8)
    }
    /// Bit 9: display fault.
    pub fn display_fault(self) -> bool {
        self.bit(9)
    }
    /// Bit 10: TTS module fault.
    pub fn tts_fault(self) -> bool {
        self.bit(10)
    }
    /// Bit 11: camera fault.
    pub fn camera_fault(self) -> bool {
        self.bit(11)
    }
    /// Bit 12: transport-permit IC card module fault.
    pub fn ic_card_fault(self) -> bool {
        self.bit(12)
    }
    /// Bit 13: overspeed pre-warning.
    pub fn overspeed_warning(self) -> bool {
        self.bit(13)
    }
    /// Bit 14: fatigue pre-warning.
    pub fn fatigue_warning(self) -> bool {
        self.bit(14)
    }
    /// Bits 15–17: reserved in 2013, vendor- and edition-dependent in practice.
    pub fn vendor_bits(self) -> u8 {
        u8::try_from((self.0 >> 15) & 0b111).unwrap_or(0)
    }
    /// Bit 18: daily driving time exceeded.
    pub fn driving_timeout(self) -> bool {
        self.bit(18)
    }
    /// Bit 19: parking timeout.
    pub fn parking_timeout(self) -> bool {
        self.bit(19)
    }
    /// Bit 20: entering / leaving an area (进出区域).
    pub fn area(self) -> bool {
        self.bit(20)
    }
    /// Bit 21: entering / leaving a route (进出路线).
    pub fn route(self) -> bool {
        self.bit(21)
    }
    /// Bit 22: route-segment driving time too short / long.
    pub fn route_time(self) -> bool {
        self.bit(22)
    }
    /// Bit 23: route deviation (路线偏离).
    pub fn route_deviation(self) -> bool {
        self.bit(23)
    }
    /// Bit 24: VSS fault.
    pub fn vss_fault(self) -> bool {
        self.bit(24)
    }
    /// Bit 25: abnormal fuel level.
    pub fn fuel_abnormal(self) -> bool {
        self.bit(25)
    }
    /// Bit 26: vehicle stolen.
    pub fn stolen(self) -> bool {
        self.bit(26)
    }
    /// Bit 27: illegal ignition.
    pub fn illegal_ignition(self) -> bool {
        self.bit(27)
    }
    /// Bit 28: illegal displacement.
    pub fn illegal_displacement(self) -> bool {
        self.bit(28)
    }
    /// Bit 29: collision warning.
    pub fn collision(self) -> bool {
        self.bit(29)
    }
    /// Bit 30: rollover warning.
    pub fn rollover(self) -> bool {
        self.bit(30)
    }
    /// Bit 31: illegal door opening.
    pub fn illegal_door_open(self) -> bool {
        self.bit(31)
    }
    /// The set bits that the platform must acknowledge to clear.
    pub fn needs_ack(self) -> Alarm {
        Alarm(self.0 & Alarm::CLEARED_ON_ACK)
    }
}

impl fmt::Debug for Alarm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Alarm({:#010x})", self.0)
    }
}

/// The 28-byte basic location block (位置基本信息).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LocationBasic {
    /// Alarm flags.
    pub alarm: Alarm,
    /// Status flags.
    pub status: Status,
    /// Latitude, degrees × 10⁶, unsigned (sign in `status.south()`).
    pub latitude: u32,
    /// Longitude, degrees × 10⁶, unsigned (sign in `status.west()`).
    pub longitude: u32,
    /// Altitude in metres (the WORD read as two's complement).
    pub altitude: i16,
    /// Speed in 1/10 km/h.
    pub speed: u16,
    /// Direction, 0–359°, 0 = north.
    pub direction: u16,
    /// Time of the fix, GMT+8 wall clock.
    pub time: LocalTime,
}

impl LocationBasic {
    /// Encoded length.
    pub const LEN: usize = 28;

    /// Signed latitude in degrees × 10⁶ (negative in the south).
    pub fn latitude_e6(&self) -> i64 {
        let v = i64::from(self.latitude);
        if self.status.south() { -v } else { v }
    }
    /// Signed longitude in degrees × 10⁶ (negative in the west).
    pub fn longitude_e6(&self) -> i64 {
        let v = i64::from(self.longitude);
        if self.status.west() { -v } else { v }
    }
    /// Signed latitude in degrees. Raw values are not "fixed": a longitude-like number in the
    /// latitude field comes out as it is.
    pub fn latitude_deg(&self) -> f64 {
        self.latitude_e6() as f64 / 1e6
    }
    /// Signed longitude in degrees.
    pub fn longitude_deg(&self) -> f64 {
        self.longitude_e6() as f64 / 1e6
    }
    /// Speed in km/h.
    pub fn speed_kmh(&self) -> f64 {
        f64::from(self.speed) / 10.0
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<LocationBasic, DecodeError> {
        Ok(LocationBasic {
            alarm: Alarm(r.u32("location.alarm")?),
            status: Status(r.u32("location.status")?),
            latitude: r.u32("location.latitude")?,
            longitude: r.u32("location.longitude")?,
            altitude: i16::from_be_bytes(r.array("location.altitude")?),
            speed: r.u16("location.speed")?,
            direction: r.u16("location.direction")?,
            time: LocalTime::from_bcd(r.array("location.time")?, "location.time")?,
        })
    }

    /// Decodes the first 28 bytes of `body`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] below 28 bytes, [`DecodeError::Bcd`] for a bad time.
    pub fn decode(body: &[u8]) -> Result<LocationBasic, DecodeError> {
        LocationBasic::read(&mut Reader::new(body))
    }

    /// Appends the 28 bytes.
    ///
    /// # Errors
    ///
    /// [`EncodeError::OutOfRange`] for a time outside 2000–2099.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let time = self.time.to_bcd()?;
        put_u32(out, self.alarm.0);
        put_u32(out, self.status.0);
        put_u32(out, self.latitude);
        put_u32(out, self.longitude);
        out.extend_from_slice(&self.altitude.to_be_bytes());
        put_u16(out, self.speed);
        put_u16(out, self.direction);
        out.extend_from_slice(&time);
        Ok(())
    }
}

/// Body of 0x0200: the basic block and its additional items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The 28-byte basic block.
    pub basic: LocationBasic,
    /// Additional items (位置附加信息项) in wire order, unknown ones kept raw.
    pub items: Vec<AdditionalItem>,
    /// Bytes after the last complete item that do not form an item (a length byte pointing
    /// past the end, a lone padding byte). Kept so nothing is lost; usually empty.
    pub trailing: Vec<u8>,
}

impl Location {
    /// A location without items.
    pub fn new(basic: LocationBasic) -> Location {
        Location {
            basic,
            items: Vec::new(),
            trailing: Vec::new(),
        }
    }

    /// Decodes a 0x0200 body (also the body inside 0x0201 and each 0x0704 item).
    ///
    /// Items are split by their length byte; a malformed tail does not fail the message
    /// (the fix in the basic block is still good) but lands in [`Location::trailing`].
    ///
    /// # Errors
    ///
    /// [`DecodeError`] when the basic block is truncated or its time is not BCD.
    pub fn decode(body: &[u8]) -> Result<Location, DecodeError> {
        let mut r = Reader::new(body);
        let basic = LocationBasic::read(&mut r)?;
        let mut rest = r.rest();
        let mut items = Vec::new();
        while let [id, len, tail @ ..] = rest {
            let Some((value, next)) = tail.split_at_checked(usize::from(*len)) else {
                break;
            };
            items.push(AdditionalItem::decode(*id, value));
            rest = next;
        }
        Ok(Location {
            basic,
            items,
            trailing: rest.to_vec(),
        })
    }

    /// Appends the body.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] for an out-of-range time or an item value over 255 bytes.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.basic.encode(out)?;
        for item in &self.items {
            item.encode(out)?;
        }
        out.extend_from_slice(&self.trailing);
        Ok(())
    }

    /// The first item with id `id`.
    pub fn item(&self, id: u8) -> Option<&AdditionalItem> {
        self.items.iter().find(|i| i.id() == id)
    }

    /// Odometer from item 0x01, in 1/10 km.
    pub fn mileage(&self) -> Option<u32> {
        self.items.iter().find_map(|i| match i {
            AdditionalItem::Mileage(v) => Some(*v),
            _ => None,
        })
    }

    /// Number of GNSS satellites from item 0x31.
    pub fn satellites(&self) -> Option<u8> {
        self.items.iter().find_map(|i| match i {
            AdditionalItem::GnssSatellites(v) => Some(*v),
            _ => None,
        })
    }
}
