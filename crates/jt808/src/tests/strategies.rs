//! proptest strategies for every message type, per edition.
//!
//! Generated values stay inside what the codec represents losslessly: text without NUL (it
//! is trimmed as padding) within the field width, item and parameter values that decode to
//! the same variant, 2013 register colours below `0x20` (see the edition rule).

use proptest::collection::vec;
use proptest::prelude::*;

use crate::header::{Header, Phone, Version};
use crate::message::general_response::{GeneralResponse, ResultCode};
use crate::message::items::AdditionalItem;
use crate::message::location::{Alarm, LocalTime, Location, LocationBasic, Status};
use crate::message::multimedia::{MultimediaEvent, MultimediaUpload, MultimediaUploadResponse};
use crate::message::parameters::{ParamKind, ParamValue, Parameter, SetParameters, param_kind};
use crate::message::register_response::{RegisterResponse, RegisterResult};
use crate::message::text::TextMessage;
use crate::message::{
    Authenticate, LocationBatch, LocationQueryResponse, Message, Packet, Register,
};

/// Text of at most `max_chars` characters, ASCII and a few hanzi (2 GBK bytes each).
pub(crate) fn text(max_chars: usize) -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = "abcXYZ0189 -:.#粤苏京沪川测渣土车请减速密闭"
        .chars()
        .collect();
    vec(proptest::sample::select(alphabet), 0..=max_chars).prop_map(|v| v.into_iter().collect())
}

fn ascii(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9.]{{0,{max}}}")).unwrap()
}

pub(crate) fn phone(version: Version) -> impl Strategy<Value = Phone> {
    let width = if version == Version::V2019 { 10 } else { 6 };
    vec(any::<u8>(), width).prop_map(|b| Phone::from_bcd(&b).unwrap())
}

pub(crate) fn header(version: Version) -> impl Strategy<Value = Header> {
    (any::<u16>(), phone(version), any::<u16>(), any::<u8>()).prop_map(move |(id, p, serial, v)| {
        let mut h = if version == Version::V2019 {
            Header::new_2019(id, p, serial)
        } else {
            Header::new_2013(id, p, serial)
        };
        if version == Version::V2019 {
            h.protocol_version = Some(v);
        }
        h
    })
}

fn time() -> impl Strategy<Value = LocalTime> {
    (
        2000u16..=2099,
        0u8..=99,
        0u8..=99,
        0u8..=99,
        0u8..=99,
        0u8..=99,
    )
        .prop_map(|(year, month, day, hour, minute, second)| LocalTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
}

pub(crate) fn basic() -> impl Strategy<Value = LocationBasic> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<i16>(),
        any::<u16>(),
        any::<u16>(),
        time(),
    )
        .prop_map(
            |(alarm, status, latitude, longitude, altitude, speed, direction, time)| {
                LocationBasic {
                    alarm: Alarm(alarm),
                    status: Status(status),
                    latitude,
                    longitude,
                    altitude,
                    speed,
                    direction,
                    time,
                }
            },
        )
}

fn item() -> impl Strategy<Value = AdditionalItem> {
    // Ids with no typed meaning, so a raw item stays raw.
    let raw_id = prop_oneof![0x05u8..=0x10, 0x14u8..=0x24, 0x32u8..=0xFF];
    prop_oneof![
        any::<u32>().prop_map(AdditionalItem::Mileage),
        any::<u16>().prop_map(AdditionalItem::Fuel),
        any::<u16>().prop_map(AdditionalItem::RecorderSpeed),
        any::<u16>().prop_map(AdditionalItem::AlarmEventId),
        (any::<u8>(), proptest::option::of(any::<u32>())).prop_map(|(location_type, area_id)| {
            AdditionalItem::Overspeed {
                location_type,
                area_id,
            }
        }),
        (any::<u8>(), any::<u32>(), any::<u8>()).prop_map(|(location_type, area_id, direction)| {
            AdditionalItem::AreaInOut {
                location_type,
                area_id,
                direction,
            }
        }),
        (any::<u32>(), any::<u16>(), any::<u8>()).prop_map(|(route_id, duration, result)| {
            AdditionalItem::RouteTime {
                route_id,
                duration,
                result,
            }
        }),
        any::<u32>().prop_map(AdditionalItem::VehicleSignals),
        any::<u16>().prop_map(AdditionalItem::IoStatus),
        any::<u32>().prop_map(AdditionalItem::Analog),
        any::<u8>().prop_map(AdditionalItem::SignalStrength),
        any::<u8>().prop_map(AdditionalItem::GnssSatellites),
        (raw_id, vec(any::<u8>(), 0..24))
            .prop_map(|(id, value)| AdditionalItem::Unknown { id, value }),
        // A known id with a length that does not fit its type stays raw too.
        vec(any::<u8>(), 5..8).prop_map(|value| AdditionalItem::Unknown { id: 0x01, value }),
    ]
}

/// Bytes after the items that cannot parse as another item.
fn trailing() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => Just(Vec::new()),
        1 => any::<u8>().prop_map(|b| vec![b]),
        1 => (any::<u8>(), 3u8..=20, 0usize..3).prop_map(|(id, len, have)| {
            let mut v = vec![id, len];
            v.extend(std::iter::repeat_n(0xEE, have));
            v
        }),
    ]
}

pub(crate) fn location() -> impl Strategy<Value = Location> {
    (basic(), vec(item(), 0..6), trailing()).prop_map(|(basic, items, trailing)| Location {
        basic,
        items,
        trailing,
    })
}

fn register(version: Version) -> impl Strategy<Value = Register> {
    let versions = if version == Version::V2019 {
        vec![Version::V2019]
    } else {
        vec![Version::V2011, Version::V2013]
    };
    (
        proptest::sample::select(versions),
        any::<u16>(),
        any::<u16>(),
        0u8..0x20,
        text(12),
    )
        .prop_flat_map(|(v, province, city, plate_color, plate)| {
            let (m, t, i) = Register::field_widths(v);
            (ascii(m), text(t / 2), ascii(i)).prop_map(move |(manufacturer, model, terminal_id)| {
                Register {
                    version: v,
                    province,
                    city,
                    manufacturer,
                    model,
                    terminal_id,
                    plate_color,
                    plate: plate.clone(),
                }
            })
        })
}

fn authenticate(version: Version) -> BoxedStrategy<Authenticate> {
    if version == Version::V2019 {
        (text(40), ascii(15), ascii(20))
            .prop_map(|(code, imei, software_version)| Authenticate {
                code,
                imei,
                software_version,
            })
            .boxed()
    } else {
        text(40).prop_map(Authenticate::new).boxed()
    }
}

fn general() -> impl Strategy<Value = GeneralResponse> {
    (any::<u16>(), any::<u16>(), any::<u8>()).prop_map(|(reply_serial, reply_id, r)| {
        GeneralResponse {
            reply_serial,
            reply_id,
            result: ResultCode::from(r),
        }
    })
}

fn register_response() -> impl Strategy<Value = RegisterResponse> {
    (any::<u16>(), any::<u8>(), text(20)).prop_map(|(reply_serial, r, code)| {
        let result = RegisterResult::from(r);
        let auth_code = if result == RegisterResult::Success {
            code
        } else {
            String::new()
        };
        RegisterResponse {
            reply_serial,
            result,
            auth_code,
        }
    })
}

fn mm_event() -> impl Strategy<Value = MultimediaEvent> {
    (
        any::<u32>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
    )
        .prop_map(
            |(media_id, media_type, format, event, channel)| MultimediaEvent {
                media_id,
                media_type,
                format,
                event,
                channel,
            },
        )
}

fn parameter() -> impl Strategy<Value = Parameter> {
    let known = proptest::sample::select(vec![
        0x0001u32, 0x0013, 0x0018, 0x0027, 0x0029, 0x0031, 0x0055, 0x0083, 0x0084, 0x0090,
    ]);
    prop_oneof![
        (known, any::<u32>(), text(20)).prop_map(|(id, n, t)| {
            let value = match param_kind(id) {
                Some(ParamKind::U8) => ParamValue::U8(n as u8),
                Some(ParamKind::U16) => ParamValue::U16(n as u16),
                Some(ParamKind::U32) => ParamValue::U32(n),
                Some(ParamKind::Text) => ParamValue::Text(t),
                None => ParamValue::Raw(vec![]),
            };
            Parameter { id, value }
        }),
        (0xF000u32..0xF100, vec(any::<u8>(), 0..16)).prop_map(|(id, b)| Parameter {
            id,
            value: ParamValue::Raw(b)
        }),
    ]
}

fn text_message(version: Version) -> impl Strategy<Value = TextMessage> {
    (any::<u8>(), any::<u8>(), text(60)).prop_map(move |(flags, t, text)| TextMessage {
        flags,
        text_type: (version == Version::V2019).then_some(t),
        text,
    })
}

/// Ids the codec does not model, for `Message::Raw`.
fn raw_id() -> impl Strategy<Value = u16> {
    any::<u16>().prop_filter("modelled id", |id| {
        let modelled = [
            0x0001u16, 0x0002, 0x0003, 0x0100, 0x0102, 0x0200, 0x0201, 0x0704, 0x0800, 0x0801,
            0x8001, 0x8100, 0x8103, 0x8201, 0x8300, 0x8800,
        ];
        !modelled.contains(id)
    })
}

/// Any message, encodable in one frame for a peer of `version`.
pub(crate) fn message(version: Version) -> impl Strategy<Value = Message> {
    prop_oneof![
        general().prop_map(Message::TerminalGeneralResponse),
        Just(Message::Heartbeat),
        Just(Message::Logout),
        register(version).prop_map(Message::Register),
        authenticate(version).prop_map(Message::Authenticate),
        location().prop_map(Message::Location),
        (any::<u16>(), location()).prop_map(|(reply_serial, location)| {
            Message::LocationQueryResponse(LocationQueryResponse {
                reply_serial,
                location,
            })
        }),
        (any::<u8>(), vec(location(), 0..4)).prop_map(|(kind, locations)| Message::LocationBatch(
            LocationBatch { kind, locations }
        )),
        mm_event().prop_map(Message::MultimediaEvent),
        (mm_event(), basic(), vec(any::<u8>(), 0..300)).prop_map(|(event, location, data)| {
            Message::MultimediaUpload(MultimediaUpload {
                event,
                location,
                data,
            })
        }),
        general().prop_map(Message::PlatformGeneralResponse),
        register_response().prop_map(Message::RegisterResponse),
        vec(parameter(), 0..8).prop_map(|params| Message::SetParameters(SetParameters { params })),
        Just(Message::LocationQuery),
        text_message(version).prop_map(Message::TextMessage),
        (any::<u32>(), vec(any::<u16>(), 0..10)).prop_map(|(media_id, retransmit)| {
            Message::MultimediaUploadResponse(MultimediaUploadResponse {
                media_id,
                retransmit,
            })
        }),
        (raw_id(), vec(any::<u8>(), 0..200)).prop_map(|(id, body)| Message::Raw { id, body }),
    ]
}

pub(crate) fn version() -> impl Strategy<Value = Version> {
    prop_oneof![Just(Version::V2013), Just(Version::V2019)]
}

/// A packet (header + message) in either edition.
pub(crate) fn packet() -> impl Strategy<Value = Packet> {
    version().prop_flat_map(|v| {
        (header(v), message(v)).prop_map(|(mut h, m)| {
            h.id = m.id();
            Packet::new(h, m)
        })
    })
}
