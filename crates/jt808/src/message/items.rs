//! Additional information items of a location report (位置附加信息项).
//!
//! # Wire format
//!
//! ```text
//! +---------+--------+-------------------+
//! | item id | length | value             |
//! | BYTE    | BYTE   | BYTE[length]      |
//! +---------+--------+-------------------+
//! ```
//!
//! | id | length | value |
//! |---|---|---|
//! | 0x01 | 4 | mileage DWORD, 1/10 km |
//! | 0x02 | 2 | fuel WORD, 1/10 L |
//! | 0x03 | 2 | tachograph speed WORD, 1/10 km/h |
//! | 0x04 | 2 | id of an alarm event needing manual confirmation |
//! | 0x11 | 1 or 5 | overspeed: location type BYTE [+ area / segment id DWORD] |
//! | 0x12 | 6 | in/out area or route: type BYTE, id DWORD, direction BYTE (0 in, 1 out) |
//! | 0x13 | 7 | route-segment time: segment id DWORD, time WORD (s), result BYTE (0 short, 1 long) |
//! | 0x25 | 4 | extended vehicle signal status DWORD |
//! | 0x2A | 2 | IO status WORD (bit 0 deep sleep, bit 1 sleep) |
//! | 0x2B | 4 | analog DWORD: bits 0–15 AD0, bits 16–31 AD1 |
//! | 0x30 | 1 | wireless signal strength |
//! | 0x31 | 1 | number of GNSS satellites |
//!
//! Decision: an item is typed only when its id is in this table **and** its length matches;
//! everything else — custom ids (0xE1–0xFF, 0x50–0x71, …), JT/T 1078 items, vendors reusing
//! a standard id with another length — is kept as [`AdditionalItem::Unknown`] with its raw
//! bytes, so nothing is lost and a re-encode is byte-identical. Item meanings differ per
//! device model; interpreting raw items is configuration, not codec work.

use crate::error::EncodeError;
use crate::wire::{len_u8, put_u16, put_u32};

/// One additional item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AdditionalItem {
    /// 0x01 odometer, 1/10 km (里程).
    Mileage(u32),
    /// 0x02 fuel, 1/10 L (油量).
    Fuel(u16),
    /// 0x03 tachograph speed, 1/10 km/h (行驶记录功能获取的速度).
    RecorderSpeed(u16),
    /// 0x04 id of an alarm event that needs manual confirmation, from 1.
    AlarmEventId(u16),
    /// 0x11 overspeed extra information (超速报警附加信息).
    Overspeed {
        /// 0 none, 1 circle, 2 rectangle, 3 polygon, 4 route segment.
        location_type: u8,
        /// Area or segment id; present when the item is 5 bytes long.
        area_id: Option<u32>,
    },
    /// 0x12 entering / leaving an area or route (进出区域/路线报警附加信息).
    AreaInOut {
        /// 1 circle, 2 rectangle, 3 polygon, 4 route.
        location_type: u8,
        /// Area or route id.
        area_id: u32,
        /// 0 in, 1 out.
        direction: u8,
    },
    /// 0x13 route-segment driving time (路段行驶时间不足/过长报警附加信息).
    RouteTime {
        /// Segment id.
        route_id: u32,
        /// Driving time in seconds.
        duration: u16,
        /// 0 too short, 1 too long.
        result: u8,
    },
    /// 0x25 extended vehicle signal status (扩展车辆信号状态位).
    VehicleSignals(u32),
    /// 0x2A IO status (IO 状态位).
    IoStatus(u16),
    /// 0x2B analog values: bits 0–15 AD0, bits 16–31 AD1 (模拟量).
    Analog(u32),
    /// 0x30 wireless signal strength (无线通信网络信号强度).
    SignalStrength(u8),
    /// 0x31 number of GNSS satellites (GNSS 定位卫星数).
    GnssSatellites(u8),
    /// Any other id, or a known id with an unexpected length: raw bytes.
    Unknown {
        /// Item id.
        id: u8,
        /// Raw value.
        value: Vec<u8>,
    },
}

fn be16(v: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(v.try_into().ok()?))
}

fn be32(v: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(v.try_into().ok()?))
}

impl AdditionalItem {
    /// Item id 0x01.
    pub const MILEAGE: u8 = 0x01;
    /// Item id 0x02.
    pub const FUEL: u8 = 0x02;
    /// Item id 0x03.
    pub const RECORDER_SPEED: u8 = 0x03;
    /// Item id 0x04.
    pub const ALARM_EVENT_ID: u8 = 0x04;
    /// Item id 0x11.
    pub const OVERSPEED: u8 = 0x11;
    /// Item id 0x12.
    pub const AREA_IN_OUT: u8 = 0x12;
    /// Item id 0x13.
    pub const ROUTE_TIME: u8 = 0x13;
    /// Item id 0x25.
    pub const VEHICLE_SIGNALS: u8 = 0x25;
    /// Item id 0x2A.
    pub const IO_STATUS: u8 = 0x2A;
    /// Item id 0x2B.
    pub const ANALOG: u8 = 0x2B;
    /// Item id 0x30.
    pub const SIGNAL_STRENGTH: u8 = 0x30;
    /// Item id 0x31.
    pub const GNSS_SATELLITES: u8 = 0x31;

    /// Decodes one item from its id and value bytes. Never fails.
    pub fn decode(id: u8, value: &[u8]) -> AdditionalItem {
        AdditionalItem::typed(id, value).unwrap_or_else(|| AdditionalItem::Unknown {
            id,
            value: value.to_vec(),
        })
    }

    fn typed(id: u8, v: &[u8]) -> Option<AdditionalItem> {
        Some(match (id, v) {
            (Self::MILEAGE, _) => AdditionalItem::Mileage(be32(v)?),
            (Self::FUEL, _) => AdditionalItem::Fuel(be16(v)?),
            (Self::RECORDER_SPEED, _) => AdditionalItem::RecorderSpeed(be16(v)?),
            (Self::ALARM_EVENT_ID, _) => AdditionalItem::AlarmEventId(be16(v)?),
            (Self::OVERSPEED, [t]) => AdditionalItem::Overspeed {
                location_type: *t,
                area_id: None,
            },
            (Self::OVERSPEED, [t, a, b, c, d]) => AdditionalItem::Overspeed {
                location_type: *t,
                area_id: Some(u32::from_be_bytes([*a, *b, *c, *d])),
            },
            (Self::AREA_IN_OUT, [t, a, b, c, d, dir]) => AdditionalItem::AreaInOut {
                location_type: *t,
                area_id: u32::from_be_bytes([*a, *b, *c, *d]),
                direction: *dir,
            },
            (Self::ROUTE_TIME, [a, b, c, d, e, f, res]) => AdditionalItem::RouteTime {
                route_id: u32::from_be_bytes([*a, *b, *c, *d]),
                duration: u16::from_be_bytes([*e, *f]),
                result: *res,
            },
            (Self::VEHICLE_SIGNALS, _) => AdditionalItem::VehicleSignals(be32(v)?),
            (Self::IO_STATUS, _) => AdditionalItem::IoStatus(be16(v)?),
            (Self::ANALOG, _) => AdditionalItem::Analog(be32(v)?),
            (Self::SIGNAL_STRENGTH, [s]) => AdditionalItem::SignalStrength(*s),
            (Self::GNSS_SATELLITES, [n]) => AdditionalItem::GnssSatellites(*n),
            _ => return None,
        })
    }

    /// The item id.
    pub fn id(&self) -> u8 {
        match self {
            AdditionalItem::Mileage(_) => Self::MILEAGE,
            AdditionalItem::Fuel(_) => Self::FUEL,
            AdditionalItem::RecorderSpeed(_) => Self::RECORDER_SPEED,
            AdditionalItem::AlarmEventId(_) => Self::ALARM_EVENT_ID,
            AdditionalItem::Overspeed { .. } => Self::OVERSPEED,
            AdditionalItem::AreaInOut { .. } => Self::AREA_IN_OUT,
            AdditionalItem::RouteTime { .. } => Self::ROUTE_TIME,
            AdditionalItem::VehicleSignals(_) => Self::VEHICLE_SIGNALS,
            AdditionalItem::IoStatus(_) => Self::IO_STATUS,
            AdditionalItem::Analog(_) => Self::ANALOG,
            AdditionalItem::SignalStrength(_) => Self::SIGNAL_STRENGTH,
            AdditionalItem::GnssSatellites(_) => Self::GNSS_SATELLITES,
            AdditionalItem::Unknown { id, .. } => *id,
        }
    }

    /// AD0 and AD1 of an [`AdditionalItem::Analog`] item.
    pub fn analog_channels(&self) -> Option<(u16, u16)> {
        match self {
            AdditionalItem::Analog(v) => Some((
                u16::try_from(v & 0xFFFF).ok()?,
                u16::try_from(v >> 16).ok()?,
            )),
            _ => None,
        }
    }

    /// Appends id, length and value.
    ///
    /// # Errors
    ///
    /// [`EncodeError::FieldTooLong`] for a raw value over 255 bytes.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.id());
        match self {
            AdditionalItem::Mileage(v)
            | AdditionalItem::VehicleSignals(v)
            | AdditionalItem::Analog(v) => {
                out.push(4);
                put_u32(out, *v);
            }
            AdditionalItem::Fuel(v)
            | AdditionalItem::RecorderSpeed(v)
            | AdditionalItem::AlarmEventId(v)
            | AdditionalItem::IoStatus(v) => {
                out.push(2);
                put_u16(out, *v);
            }
            AdditionalItem::Overspeed {
                location_type,
                area_id,
            } => match area_id {
                Some(a) => {
                    out.extend_from_slice(&[5, *location_type]);
                    put_u32(out, *a);
                }
                None => out.extend_from_slice(&[1, *location_type]),
            },
            AdditionalItem::AreaInOut {
                location_type,
                area_id,
                direction,
            } => {
                out.extend_from_slice(&[6, *location_type]);
                put_u32(out, *area_id);
                out.push(*direction);
            }
            AdditionalItem::RouteTime {
                route_id,
                duration,
                result,
            } => {
                out.push(7);
                put_u32(out, *route_id);
                put_u16(out, *duration);
                out.push(*result);
            }
            AdditionalItem::SignalStrength(v) | AdditionalItem::GnssSatellites(v) => {
                out.extend_from_slice(&[1, *v]);
            }
            AdditionalItem::Unknown { value, .. } => {
                out.push(len_u8(value.len(), "location.item")?);
                out.extend_from_slice(value);
            }
        }
        Ok(())
    }
}
