//! JT/T 808 messages → [`Record`](crate::Record)s.

use jt808::{Location, LocationBasic, MultimediaUpload, Phone, Register};

use crate::record::{MediaData, TerminalEventKind, VehicleFix};
use crate::registry::RegisterRequest;
use crate::time::jt808_time;

/// The basic block as a fix (no additional items).
pub fn basic_fix(phone: &Phone, received_at: i64, b: &LocationBasic) -> VehicleFix {
    VehicleFix {
        phone: phone.trimmed(),
        received_at,
        device_time: jt808_time(&b.time),
        latitude: b.latitude_deg(),
        longitude: b.longitude_deg(),
        speed_kmh: b.speed_kmh(),
        heading: b.direction,
        altitude_m: b.altitude,
        alarm: b.alarm.0,
        status: b.status.0,
        mileage_m: None,
        backfill: false,
        extra: Vec::new(),
    }
}

/// A 0x0200 body (or a 0x0704 item) as a fix, additional items kept raw.
pub fn fix(phone: &Phone, received_at: i64, location: &Location, backfill: bool) -> VehicleFix {
    let mut f = basic_fix(phone, received_at, &location.basic);
    f.mileage_m = location
        .mileage()
        .map(|tenths_km| u64::from(tenths_km) * 100);
    f.backfill = backfill;
    f.extra = location
        .items
        .iter()
        .map(|item| {
            let mut raw = Vec::new();
            // id, length, value: keep only the value.
            let value = match item.encode(&mut raw) {
                Ok(()) => raw.get(2..).map(<[u8]>::to_vec).unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            (item.id(), value)
        })
        .collect();
    f
}

/// A reassembled 0x0801 as a media record.
pub fn media(phone: &Phone, received_at: i64, upload: MultimediaUpload) -> MediaData {
    MediaData {
        phone: phone.trimmed(),
        received_at,
        media_id: upload.event.media_id,
        media_type: upload.event.media_type,
        format: upload.event.format,
        event: upload.event.event,
        channel: upload.event.channel,
        fix: basic_fix(phone, received_at, &upload.location),
        data: upload.data,
    }
}

/// A 0x0100 body as a registry request.
pub fn register_request(phone: &Phone, r: &Register) -> RegisterRequest {
    RegisterRequest {
        phone: phone.trimmed(),
        manufacturer: r.manufacturer.clone(),
        model: r.model.clone(),
        terminal_id: jt808::message::register::trim_id_padding(&r.terminal_id).to_owned(),
        plate: r.plate.clone(),
        plate_color: r.plate_color,
    }
}

/// The event recorded for an accepted registration.
pub fn registered(req: &RegisterRequest) -> TerminalEventKind {
    TerminalEventKind::Registered {
        manufacturer: req.manufacturer.clone(),
        model: req.model.clone(),
        terminal_id: req.terminal_id.clone(),
        plate: req.plate.clone(),
        plate_color: req.plate_color,
    }
}
