//! Topics and JSON payloads of MQTT sensors (the schema is documented in `docs/mqtt.md`).
//!
//! [`parse_message`] is pure: topic + payload bytes in, a [`SensorMessage`] or a precise
//! [`MqttPayloadError`] out; it never panics on any input. [`SensorMessage::to_payload_json`]
//! writes the canonical payload back (the simulator publishes it; tests round-trip it).

use serde_json::{Map, Value};

/// Largest payload accepted, bytes. Sensor payloads are well under 1 KiB.
pub const MAX_PAYLOAD_BYTES: usize = 4096;
/// Longest sensor id, characters.
pub const MAX_SENSOR_ID_LEN: usize = 64;
/// Longest `unit` of a numeric sensor, characters.
pub const MAX_UNIT_LEN: usize = 16;
/// Earliest accepted `ts`: 2000-01-01T00:00:00Z, UTC ms.
pub const MIN_TS_MS: i64 = 946_684_800_000;
/// First rejected `ts`: 2100-01-01T00:00:00Z, UTC ms.
pub const MAX_TS_MS: i64 = 4_102_444_800_000;

/// What a sensor measures: the `{kind}` segment of its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SensorKind {
    /// Manhole cover 井盖: tilt and open state.
    Manhole,
    /// Bin 垃圾桶: fill level (垃圾满溢 when full).
    Bin,
    /// Waterlogging point 易涝点/积水: water depth.
    Waterlog,
    /// Any other sensor reporting one number with its unit.
    Numeric,
}

impl SensorKind {
    /// Every kind, in documentation order.
    pub const ALL: [SensorKind; 4] = [
        SensorKind::Manhole,
        SensorKind::Bin,
        SensorKind::Waterlog,
        SensorKind::Numeric,
    ];

    /// The topic segment (`manhole`, `bin`, `waterlog`, `numeric`).
    pub fn as_str(self) -> &'static str {
        match self {
            SensorKind::Manhole => "manhole",
            SensorKind::Bin => "bin",
            SensorKind::Waterlog => "waterlog",
            SensorKind::Numeric => "numeric",
        }
    }

    /// The kind named by a topic segment.
    pub fn from_segment(segment: &str) -> Option<SensorKind> {
        SensorKind::ALL.into_iter().find(|k| k.as_str() == segment)
    }
}

/// What one message says.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A manhole cover's state.
    Manhole {
        /// Tilt from level, degrees, 0–180.
        tilt_deg: f64,
        /// The cover is open (lifted or displaced).
        open: bool,
    },
    /// A bin's fill level.
    Bin {
        /// Fill level, percent, 0–100.
        fill_pct: f64,
    },
    /// Water depth at a waterlogging point.
    Waterlog {
        /// Depth above the road surface, centimetres, ≥ 0.
        depth_cm: f64,
    },
    /// A generic number.
    Numeric {
        /// The value (finite).
        value: f64,
        /// Its unit as sent (`dB`, `ug/m3`, `C` …), 1–16 characters.
        unit: String,
    },
    /// An online/offline status (the `…/status` topic; the offline one is usually the
    /// sensor's last will).
    Status {
        /// `true` online, `false` offline.
        online: bool,
    },
}

/// A parsed, validated sensor message.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorMessage {
    /// The sensor id (topic segment).
    pub sensor_id: String,
    /// The kind (topic segment).
    pub kind: SensorKind,
    /// What it says.
    pub reading: Reading,
    /// `ts` of the payload, UTC ms; `None` when the sensor sent none.
    pub measured_at_ms: Option<i64>,
    /// When the intake received it, UTC ms.
    pub received_at_ms: i64,
    /// Battery level, percent, 0–100, when sent.
    pub battery_pct: Option<f64>,
    /// WGS-84 `(latitude, longitude)` degrees, when sent (fixed sensors usually omit it: their
    /// position is the component's).
    pub location: Option<(f64, f64)>,
}

impl SensorMessage {
    /// The instant the reading is about: `measured_at_ms`, else `received_at_ms`.
    pub fn at_ms(&self) -> i64 {
        self.measured_at_ms.unwrap_or(self.received_at_ms)
    }

    /// The topic this message is published on under `prefix`.
    pub fn topic(&self, prefix: &str) -> String {
        let channel = match self.reading {
            Reading::Status { .. } => "status",
            _ => "data",
        };
        topic_for(prefix, self.kind, &self.sensor_id, channel)
    }

    /// The canonical JSON payload (the schema of `docs/mqtt.md`; `ts` as epoch ms).
    pub fn to_payload_json(&self) -> String {
        let mut o = Map::new();
        o.insert("sensor_id".into(), Value::from(self.sensor_id.clone()));
        if let Some(ts) = self.measured_at_ms {
            o.insert("ts".into(), Value::from(ts));
        }
        match &self.reading {
            Reading::Manhole { tilt_deg, open } => {
                o.insert("tilt_deg".into(), Value::from(*tilt_deg));
                o.insert("open".into(), Value::from(*open));
            }
            Reading::Bin { fill_pct } => {
                o.insert("fill_pct".into(), Value::from(*fill_pct));
            }
            Reading::Waterlog { depth_cm } => {
                o.insert("depth_cm".into(), Value::from(*depth_cm));
            }
            Reading::Numeric { value, unit } => {
                o.insert("value".into(), Value::from(*value));
                o.insert("unit".into(), Value::from(unit.clone()));
            }
            Reading::Status { online } => {
                o.insert("online".into(), Value::from(*online));
            }
        }
        if let Some(b) = self.battery_pct {
            o.insert("battery_pct".into(), Value::from(b));
        }
        if let Some((lat, lon)) = self.location {
            o.insert("lat".into(), Value::from(lat));
            o.insert("lon".into(), Value::from(lon));
        }
        Value::Object(o).to_string()
    }
}

/// `{prefix}/{kind}/{sensor_id}/{channel}` (`channel` is `data` or `status`).
pub fn topic_for(prefix: &str, kind: SensorKind, sensor_id: &str, channel: &str) -> String {
    format!("{prefix}/{}/{sensor_id}/{channel}", kind.as_str())
}

/// Why a message was rejected. Every variant is permanent: the same bytes can never succeed,
/// so the intake counts the message, acknowledges it and stores nothing of it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MqttPayloadError {
    /// The topic is not `{prefix}/{kind}/{sensor_id}/data|status`.
    #[error("topic `{topic}` is not `{prefix}/{{kind}}/{{sensor_id}}/data` or `…/status`")]
    Topic {
        /// The topic.
        topic: String,
        /// The configured prefix.
        prefix: String,
    },
    /// The `{kind}` segment names no known kind.
    #[error("unknown sensor kind `{kind}` (known: manhole, bin, waterlog, numeric)")]
    UnknownKind {
        /// The segment.
        kind: String,
    },
    /// The `{sensor_id}` segment is empty, too long or has characters outside `A-Z a-z 0-9 _ - .`.
    #[error("bad sensor id `{sensor_id}` (1–64 of A-Z a-z 0-9 _ - .)")]
    BadSensorId {
        /// The segment.
        sensor_id: String,
    },
    /// The payload is larger than [`MAX_PAYLOAD_BYTES`].
    #[error("payload of {len} bytes exceeds {max} bytes")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The payload is not JSON (or not UTF-8).
    #[error("bad JSON: {message}")]
    BadJson {
        /// serde_json's message (with line and column).
        message: String,
    },
    /// The payload is JSON but not an object.
    #[error("payload is not a JSON object")]
    NotAnObject,
    /// A required field is absent (or `null`).
    #[error("missing field `{field}`")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// A number is outside its range (or a string is too long).
    #[error("field `{field}` = {value} is out of range ({range})")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value as sent.
        value: String,
        /// The accepted range.
        range: &'static str,
    },
    /// `ts` is neither RFC 3339 text nor epoch milliseconds in 2000–2099.
    #[error("bad timestamp `{value}`: {reason}")]
    BadTimestamp {
        /// The value as sent.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// The payload's `sensor_id` differs from the topic's.
    #[error("sensor id `{payload}` in the payload differs from `{topic}` in the topic")]
    SensorIdMismatch {
        /// The topic's id.
        topic: String,
        /// The payload's id.
        payload: String,
    },
}

impl MqttPayloadError {
    /// A short stable label for metrics (`kind` label of the malformed counter).
    pub fn label(&self) -> &'static str {
        match self {
            MqttPayloadError::Topic { .. } => "topic",
            MqttPayloadError::UnknownKind { .. } => "unknown_kind",
            MqttPayloadError::BadSensorId { .. } => "sensor_id",
            MqttPayloadError::TooLarge { .. } => "too_large",
            MqttPayloadError::BadJson { .. } => "json",
            MqttPayloadError::NotAnObject => "not_object",
            MqttPayloadError::MissingField { .. } => "missing_field",
            MqttPayloadError::WrongType { .. } => "wrong_type",
            MqttPayloadError::OutOfRange { .. } => "out_of_range",
            MqttPayloadError::BadTimestamp { .. } => "timestamp",
            MqttPayloadError::SensorIdMismatch { .. } => "sensor_id_mismatch",
        }
    }
}

fn valid_sensor_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_SENSOR_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Splits `{prefix}/{kind}/{sensor_id}/{data|status}`; returns kind, id and whether it is the
/// status channel.
///
/// # Errors
///
/// [`MqttPayloadError::Topic`], [`MqttPayloadError::UnknownKind`],
/// [`MqttPayloadError::BadSensorId`].
pub fn parse_topic<'t>(
    prefix: &str,
    topic: &'t str,
) -> Result<(SensorKind, &'t str, bool), MqttPayloadError> {
    let bad = || MqttPayloadError::Topic {
        topic: topic.to_owned(),
        prefix: prefix.to_owned(),
    };
    let rest = topic
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(bad)?;
    let mut parts = rest.split('/');
    let (Some(kind), Some(id), Some(channel), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let status = match channel {
        "data" => false,
        "status" => true,
        _ => return Err(bad()),
    };
    let kind = SensorKind::from_segment(kind).ok_or_else(|| MqttPayloadError::UnknownKind {
        kind: kind.to_owned(),
    })?;
    if !valid_sensor_id(id) {
        return Err(MqttPayloadError::BadSensorId {
            sensor_id: id.to_owned(),
        });
    }
    Ok((kind, id, status))
}

/// Parses and validates one message. `prefix` is the configured topic prefix (e.g.
/// `yiwang/sensors`); `received_at_ms` is stamped on the result.
///
/// Unknown payload fields are ignored (sensors may send more than the schema).
///
/// # Errors
///
/// Every [`MqttPayloadError`]; checks run in this order: topic, size, JSON, object,
/// `sensor_id`, `ts`, the kind's fields, `battery_pct`, `lat`/`lon`.
pub fn parse_message(
    prefix: &str,
    topic: &str,
    payload: &[u8],
    received_at_ms: i64,
) -> Result<SensorMessage, MqttPayloadError> {
    let (kind, sensor_id, status) = parse_topic(prefix, topic)?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(MqttPayloadError::TooLarge {
            len: payload.len(),
            max: MAX_PAYLOAD_BYTES,
        });
    }
    let value: Value = serde_json::from_slice(payload).map_err(|e| MqttPayloadError::BadJson {
        message: e.to_string(),
    })?;
    let Value::Object(o) = value else {
        return Err(MqttPayloadError::NotAnObject);
    };
    if let Some(id) = opt_str(&o, "sensor_id")?
        && id != sensor_id
    {
        return Err(MqttPayloadError::SensorIdMismatch {
            topic: sensor_id.to_owned(),
            payload: id.to_owned(),
        });
    }
    let measured_at_ms = match o.get("ts") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_ts(v)?),
    };
    let reading = if status {
        Reading::Status {
            online: req_bool(&o, "online")?,
        }
    } else {
        match kind {
            SensorKind::Manhole => Reading::Manhole {
                tilt_deg: req_num(&o, "tilt_deg", 0.0, 180.0, "0–180")?,
                open: req_bool(&o, "open")?,
            },
            SensorKind::Bin => Reading::Bin {
                fill_pct: req_num(&o, "fill_pct", 0.0, 100.0, "0–100")?,
            },
            SensorKind::Waterlog => Reading::Waterlog {
                depth_cm: req_num(&o, "depth_cm", 0.0, f64::MAX, "≥ 0")?,
            },
            SensorKind::Numeric => {
                let value = req_num(&o, "value", f64::MIN, f64::MAX, "finite")?;
                let unit =
                    opt_str(&o, "unit")?.ok_or(MqttPayloadError::MissingField { field: "unit" })?;
                if unit.is_empty() || unit.chars().count() > MAX_UNIT_LEN {
                    return Err(MqttPayloadError::OutOfRange {
                        field: "unit",
                        value: unit.to_owned(),
                        range: "1–16 characters",
                    });
                }
                Reading::Numeric {
                    value,
                    unit: unit.to_owned(),
                }
            }
        }
    };
    let battery_pct = opt_num(&o, "battery_pct", 0.0, 100.0, "0–100")?;
    let lat = opt_num(&o, "lat", -90.0, 90.0, "-90–90")?;
    let lon = opt_num(&o, "lon", -180.0, 180.0, "-180–180")?;
    let location = match (lat, lon) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        (None, None) => None,
        (Some(_), None) => return Err(MqttPayloadError::MissingField { field: "lon" }),
        (None, Some(_)) => return Err(MqttPayloadError::MissingField { field: "lat" }),
    };
    Ok(SensorMessage {
        sensor_id: sensor_id.to_owned(),
        kind,
        reading,
        measured_at_ms,
        received_at_ms,
        battery_pct,
        location,
    })
}

fn parse_ts(v: &Value) -> Result<i64, MqttPayloadError> {
    let bad = |reason| MqttPayloadError::BadTimestamp {
        value: v.to_string(),
        reason,
    };
    let ms = match v {
        Value::Number(n) => {
            let ms = n
                .as_i64()
                .ok_or_else(|| bad("epoch milliseconds must be an integer"))?;
            if (0..MIN_TS_MS).contains(&ms) && ms >= MIN_TS_MS / 1000 {
                return Err(bad("looks like epoch seconds; send milliseconds"));
            }
            ms
        }
        Value::String(s) => domain::time::Timestamp::parse_rfc3339(s)
            .ok_or_else(|| bad("not RFC 3339 (e.g. 2026-11-24T08:00:00+08:00)"))?
            .millis(),
        _ => return Err(bad("must be RFC 3339 text or epoch milliseconds")),
    };
    if !(MIN_TS_MS..MAX_TS_MS).contains(&ms) {
        return Err(bad("outside 2000-01-01 – 2099-12-31"));
    }
    Ok(ms)
}

fn present<'a>(o: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    o.get(field).filter(|v| !v.is_null())
}

fn opt_str<'a>(
    o: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, MqttPayloadError> {
    match present(o, field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(MqttPayloadError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

fn req_bool(o: &Map<String, Value>, field: &'static str) -> Result<bool, MqttPayloadError> {
    match present(o, field) {
        None => Err(MqttPayloadError::MissingField { field }),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(MqttPayloadError::WrongType {
            field,
            expected: "true or false",
        }),
    }
}

fn opt_num(
    o: &Map<String, Value>,
    field: &'static str,
    min: f64,
    max: f64,
    range: &'static str,
) -> Result<Option<f64>, MqttPayloadError> {
    let Some(v) = present(o, field) else {
        return Ok(None);
    };
    let n = v.as_f64().ok_or(MqttPayloadError::WrongType {
        field,
        expected: "a number",
    })?;
    if !n.is_finite() || n < min || n > max {
        return Err(MqttPayloadError::OutOfRange {
            field,
            value: v.to_string(),
            range,
        });
    }
    Ok(Some(n))
}

fn req_num(
    o: &Map<String, Value>,
    field: &'static str,
    min: f64,
    max: f64,
    range: &'static str,
) -> Result<f64, MqttPayloadError> {
    opt_num(o, field, min, max, range)?.ok_or(MqttPayloadError::MissingField { field })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "yiwang/sensors";
    /// 2026-11-24T00:00:00Z.
    const TS: i64 = 1_795_478_400_000;

    fn parse(topic: &str, payload: &str) -> Result<SensorMessage, MqttPayloadError> {
        parse_message(P, topic, payload.as_bytes(), 7)
    }

    #[test]
    fn every_kind_parses_with_units() {
        let m = parse(
            "yiwang/sensors/manhole/MH-001/data",
            r#"{"ts":1795478400000,"tilt_deg":12.5,"open":true,"battery_pct":88}"#,
        )
        .unwrap();
        assert_eq!(m.sensor_id, "MH-001");
        assert_eq!(m.kind, SensorKind::Manhole);
        assert_eq!(
            m.reading,
            Reading::Manhole {
                tilt_deg: 12.5,
                open: true
            }
        );
        assert_eq!(m.measured_at_ms, Some(TS));
        assert_eq!(m.received_at_ms, 7);
        assert_eq!(m.battery_pct, Some(88.0));

        let m = parse("yiwang/sensors/bin/B1/data", r#"{"fill_pct":100}"#).unwrap();
        assert_eq!(m.reading, Reading::Bin { fill_pct: 100.0 });
        assert_eq!(m.measured_at_ms, None);
        assert_eq!(m.at_ms(), 7);

        let m = parse(
            "yiwang/sensors/waterlog/W.9/data",
            r#"{"depth_cm":0,"lat":34.75,"lon":113.62}"#,
        )
        .unwrap();
        assert_eq!(m.reading, Reading::Waterlog { depth_cm: 0.0 });
        assert_eq!(m.location, Some((34.75, 113.62)));

        let m = parse(
            "yiwang/sensors/numeric/noise_7/data",
            r#"{"value":-3.25,"unit":"dB","sensor_id":"noise_7","extra":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(
            m.reading,
            Reading::Numeric {
                value: -3.25,
                unit: "dB".into()
            }
        );

        let m = parse("yiwang/sensors/bin/B1/status", r#"{"online":false}"#).unwrap();
        assert_eq!(m.reading, Reading::Status { online: false });
    }

    #[test]
    fn rfc3339_timestamps_with_any_offset() {
        // 08:00 in Shanghai is 00:00 UTC.
        let m = parse(
            "yiwang/sensors/bin/B1/data",
            r#"{"fill_pct":1,"ts":"2026-11-24T08:00:00+08:00"}"#,
        )
        .unwrap();
        assert_eq!(m.measured_at_ms, Some(TS));
        let m = parse(
            "yiwang/sensors/bin/B1/data",
            r#"{"fill_pct":1,"ts":"2026-11-24T00:00:00.250Z"}"#,
        )
        .unwrap();
        assert_eq!(m.measured_at_ms, Some(TS + 250));
    }

    #[test]
    fn topic_errors() {
        for topic in [
            "other/manhole/M1/data",
            "yiwang/sensors/manhole/M1",
            "yiwang/sensors/manhole/M1/data/x",
            "yiwang/sensors/manhole/M1/telemetry",
            "yiwang/sensorsX/manhole/M1/data",
        ] {
            assert!(
                matches!(parse(topic, "{}"), Err(MqttPayloadError::Topic { .. })),
                "{topic}"
            );
        }
        assert_eq!(
            parse("yiwang/sensors/lamp/L1/data", "{}"),
            Err(MqttPayloadError::UnknownKind {
                kind: "lamp".into()
            })
        );
        for id in ["", "a b", "井盖1", &"x".repeat(65)] {
            let topic = format!("yiwang/sensors/bin/{id}/data");
            assert_eq!(
                parse(&topic, r#"{"fill_pct":1}"#),
                Err(MqttPayloadError::BadSensorId {
                    sensor_id: id.to_owned()
                }),
                "{id}"
            );
        }
        assert!(
            parse(
                &format!("yiwang/sensors/bin/{}/data", "x".repeat(64)),
                r#"{"fill_pct":1}"#
            )
            .is_ok()
        );
    }

    #[test]
    fn json_errors() {
        let t = "yiwang/sensors/bin/B1/data";
        assert!(matches!(
            parse(t, r#"{"fill_pct":1"#),
            Err(MqttPayloadError::BadJson { .. })
        ));
        assert!(matches!(
            parse_message(P, t, &[0xff, 0xfe], 0),
            Err(MqttPayloadError::BadJson { .. })
        ));
        assert!(matches!(
            parse(t, ""),
            Err(MqttPayloadError::BadJson { .. })
        ));
        assert_eq!(parse(t, "[1,2]"), Err(MqttPayloadError::NotAnObject));
        assert_eq!(parse(t, "42"), Err(MqttPayloadError::NotAnObject));
        let big = format!(
            r#"{{"fill_pct":1,"pad":"{}"}}"#,
            "x".repeat(MAX_PAYLOAD_BYTES)
        );
        assert!(matches!(
            parse(t, &big),
            Err(MqttPayloadError::TooLarge {
                max: MAX_PAYLOAD_BYTES,
                ..
            })
        ));
    }

    #[test]
    fn missing_and_mistyped_fields() {
        let cases: [(&str, &str, MqttPayloadError); 9] = [
            (
                "manhole",
                r#"{"open":true}"#,
                MqttPayloadError::MissingField { field: "tilt_deg" },
            ),
            (
                "manhole",
                r#"{"tilt_deg":1}"#,
                MqttPayloadError::MissingField { field: "open" },
            ),
            (
                "manhole",
                r#"{"tilt_deg":1,"open":null}"#,
                MqttPayloadError::MissingField { field: "open" },
            ),
            (
                "manhole",
                r#"{"tilt_deg":1,"open":1}"#,
                MqttPayloadError::WrongType {
                    field: "open",
                    expected: "true or false",
                },
            ),
            (
                "bin",
                r#"{"fill_pct":"90"}"#,
                MqttPayloadError::WrongType {
                    field: "fill_pct",
                    expected: "a number",
                },
            ),
            (
                "waterlog",
                r#"{"depth":3}"#,
                MqttPayloadError::MissingField { field: "depth_cm" },
            ),
            (
                "numeric",
                r#"{"value":3}"#,
                MqttPayloadError::MissingField { field: "unit" },
            ),
            (
                "numeric",
                r#"{"value":3,"unit":5}"#,
                MqttPayloadError::WrongType {
                    field: "unit",
                    expected: "a string",
                },
            ),
            (
                "bin",
                r#"{"fill_pct":3,"lat":34.7}"#,
                MqttPayloadError::MissingField { field: "lon" },
            ),
        ];
        for (kind, payload, want) in cases {
            let topic = format!("yiwang/sensors/{kind}/S1/data");
            assert_eq!(parse(&topic, payload), Err(want), "{kind} {payload}");
        }
        assert_eq!(
            parse("yiwang/sensors/bin/S1/status", r#"{"fill_pct":3}"#),
            Err(MqttPayloadError::MissingField { field: "online" })
        );
    }

    #[test]
    fn out_of_range_values() {
        let cases = [
            ("manhole", r#"{"tilt_deg":180.5,"open":false}"#, "tilt_deg"),
            ("manhole", r#"{"tilt_deg":-0.1,"open":false}"#, "tilt_deg"),
            ("bin", r#"{"fill_pct":100.01}"#, "fill_pct"),
            ("bin", r#"{"fill_pct":-1}"#, "fill_pct"),
            ("waterlog", r#"{"depth_cm":-0.5}"#, "depth_cm"),
            ("bin", r#"{"fill_pct":5,"battery_pct":101}"#, "battery_pct"),
            ("bin", r#"{"fill_pct":5,"lat":91,"lon":0}"#, "lat"),
            ("bin", r#"{"fill_pct":5,"lat":0,"lon":-180.1}"#, "lon"),
            ("numeric", r#"{"value":1,"unit":""}"#, "unit"),
            (
                "numeric",
                r#"{"value":1,"unit":"abcdefghijklmnopq"}"#,
                "unit",
            ),
        ];
        for (kind, payload, field) in cases {
            let topic = format!("yiwang/sensors/{kind}/S1/data");
            match parse(&topic, payload) {
                Err(MqttPayloadError::OutOfRange { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{kind} {payload}: {other:?}"),
            }
        }
        // Bounds are inclusive.
        assert!(
            parse(
                "yiwang/sensors/manhole/S1/data",
                r#"{"tilt_deg":180,"open":false}"#
            )
            .is_ok()
        );
        assert!(parse("yiwang/sensors/bin/S1/data", r#"{"fill_pct":0}"#).is_ok());
        // A number too large for f64 is not JSON serde_json accepts.
        assert!(matches!(
            parse(
                "yiwang/sensors/numeric/S1/data",
                r#"{"value":1e400,"unit":"x"}"#
            ),
            Err(MqttPayloadError::BadJson { .. })
        ));
    }

    #[test]
    fn timestamp_errors() {
        let t = "yiwang/sensors/bin/B1/data";
        for ts in [
            r#""yesterday""#,
            r#""2026-11-24 08:00:00""#,
            "1795478400",
            "1795478400000.5",
            "946684799999",
            "4102444800000",
            "-1",
            "true",
        ] {
            let payload = format!(r#"{{"fill_pct":1,"ts":{ts}}}"#);
            assert!(
                matches!(
                    parse(t, &payload),
                    Err(MqttPayloadError::BadTimestamp { .. })
                ),
                "{ts}"
            );
        }
        assert!(parse(t, r#"{"fill_pct":1,"ts":946684800000}"#).is_ok());
    }

    #[test]
    fn sensor_id_mismatch() {
        assert_eq!(
            parse(
                "yiwang/sensors/bin/B1/data",
                r#"{"sensor_id":"B2","fill_pct":1}"#
            ),
            Err(MqttPayloadError::SensorIdMismatch {
                topic: "B1".into(),
                payload: "B2".into()
            })
        );
    }

    #[test]
    fn canonical_payload_round_trips() {
        let m = SensorMessage {
            sensor_id: "MH-1".into(),
            kind: SensorKind::Manhole,
            reading: Reading::Manhole {
                tilt_deg: 33.5,
                open: true,
            },
            measured_at_ms: Some(TS),
            received_at_ms: 7,
            battery_pct: Some(50.0),
            location: Some((34.75, 113.625)),
        };
        assert_eq!(m.topic(P), "yiwang/sensors/manhole/MH-1/data");
        assert_eq!(parse(&m.topic(P), &m.to_payload_json()), Ok(m));
    }

    #[test]
    fn labels_are_distinct() {
        let errs = [
            MqttPayloadError::Topic {
                topic: String::new(),
                prefix: String::new(),
            },
            MqttPayloadError::UnknownKind {
                kind: String::new(),
            },
            MqttPayloadError::BadSensorId {
                sensor_id: String::new(),
            },
            MqttPayloadError::TooLarge { len: 0, max: 0 },
            MqttPayloadError::BadJson {
                message: String::new(),
            },
            MqttPayloadError::NotAnObject,
            MqttPayloadError::MissingField { field: "" },
            MqttPayloadError::WrongType {
                field: "",
                expected: "",
            },
            MqttPayloadError::OutOfRange {
                field: "",
                value: String::new(),
                range: "",
            },
            MqttPayloadError::BadTimestamp {
                value: String::new(),
                reason: "",
            },
            MqttPayloadError::SensorIdMismatch {
                topic: String::new(),
                payload: String::new(),
            },
        ];
        let mut labels: Vec<_> = errs.iter().map(MqttPayloadError::label).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), errs.len());
    }
}
