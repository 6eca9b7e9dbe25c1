//! MQTT sensor intake: manhole covers 井盖, bins 垃圾满溢, waterlogging points 积水 and generic
//! numeric sensors publishing JSON to a broker (Mosquitto); topics and payloads are documented
//! in `docs/mqtt.md`.
//!
//! ```text
//!  sensors ─► broker ─► MqttIntake (rumqttc, persistent session, manual acks)
//!                         parse_message ─► SensorSink::store(batch) ─► PUBACK each QoS 1 message
//!                         malformed → counted + acknowledged, never stored
//!  StoreSensorSink: readings + supervision::sensor rules ─► Signal ─► store::AlarmWrite,
//!                   readings, alarms and the sensors' rule states in one transaction
//!                   (`append_sensor_batch`, the states written over the version read)
//! ```
//!
//! The rules are the canonical ones of [`supervision::sensor`] (manhole cover 01023, bin 06042,
//! waterlogging 10901, numeric thresholds, battery, offline); this module only maps messages
//! to their samples and signals to alarm writes ([`store_sink`]).
//!
//! # Rules the intake keeps
//!
//! - **Ack after durable.** A QoS 1 message is acknowledged (PUBACK) only after the
//!   [`SensorSink::store`] holding it returned `Ok`. A failing store is retried with backoff and
//!   nothing of the batch is acknowledged meanwhile, so the broker keeps every message of it: if
//!   the process dies, they are redelivered to the next session with the same `client_id`.
//! - **At least once.** A message can be stored twice: when the connection drops after the store
//!   but before the PUBACK reached the broker, the broker redelivers it (DUP). Acks for a
//!   connection that is gone are withheld ([`MqttStats::stale_acks`]) because the broker resends
//!   those messages. Consumers deduplicate by `(sensor_id, measured_at_ms)` where it matters.
//! - **Persistent session.** `clean_session = false` with a stable `client_id`: QoS 1 messages
//!   published while the intake is down are queued by the broker (Mosquitto:
//!   `max_queued_messages`, 1000 by default) and delivered at reconnect.
//! - **Reconnect and resubscribe by itself.** Backoff from `reconnect_min` doubling to
//!   `reconnect_max`; the subscription is made again at every ConnAck.
//!
//! # Several nodes
//!
//! Every node runs an intake with **its own client id** (default `yiwang-<hostname>`, see
//! [`node_client_id`]; the binary adds the node's id or listen port) and subscribes with the
//! MQTT 3.1.1-compatible **shared subscription** `$share/{share_group}/{topic_prefix}/#`
//! (Mosquitto ≥ 1.6, EMQX, HiveMQ): the broker hands each message to one member of the group, so
//! the nodes split the stream instead of each storing every message, and two nodes never take
//! each other's connection. Sessions stay persistent and acks still follow the store, per node.
//! With Mosquitto 2.0 a message of the group goes to one connected member; while no member is
//! connected it is queued in a member's session (delivered when that member comes back). A
//! sensor's messages may then be stored by different nodes, so per-sensor order across nodes
//! holds only as far as the broker's round robin and each node's store order (the readings are
//! keyed by their measurement time). The rules still judge each sensor on all its messages:
//! its rule state (hysteresis runs, open alarm, last sample, offline) is kept in the store and
//! updated in the transaction that stores the batch, over the version the batch read, so two
//! nodes taking messages of one sensor at once are serialized ([`store_sink`]). `share_group = None` subscribes to the plain filter (one
//! node only: two would each store everything). At each connection a shared intake also
//! unsubscribes the plain filter, which a session made by an older version may still hold.
//! - **Malformed messages** (bad topic, JSON, field, range, timestamp, id mismatch) are counted
//!   ([`MqttStats::malformed`], metric `yiwang_ingest_bad_frames_total{protocol="mqtt",kind}`),
//!   logged with the reason, and **acknowledged without storing anything of them**: the same
//!   bytes can never succeed, and an unacknowledged message would be redelivered forever. Never
//!   a panic.
//! - **Order.** One batch task stores in arrival order and a failed batch is retried before
//!   anything later, so each sensor's order (the broker keeps per-topic order) is kept.
//!
//! # Batching
//!
//! The batch task takes everything already queued (up to [`MqttConfig::max_batch`]) and stores
//! it with one `store` call (one fsync), then acknowledges all of it. `batch_linger` can hold a
//! batch open for more messages, but the default is zero: a broker sends at most its in-flight
//! window of unacknowledged QoS 1 messages (Mosquitto: 20) before it waits for our acks, so
//! lingering would only stall the stream.

pub mod intake;
pub mod payload;
pub mod sink;
pub mod store_sink;

use std::time::Duration;

pub use intake::{MqttIntake, MqttStats, MqttStatsSnapshot};
pub use payload::{MqttPayloadError, Reading, SensorKind, SensorMessage, parse_message, topic_for};
pub use sink::{FileSensorSink, MemorySensorSink, SensorSink};
pub use store_sink::{
    SensorSinkSnapshot, SensorSinkStats, SensorStore, StoreSensorSink, alarm_write, info_of,
    reading_of, rule_kind, sample_of,
};
/// The canonical sensor rules ([`StoreSensorSink::new`] takes their thresholds).
pub use supervision::alarm::Signal;
pub use supervision::sensor::{SensorConfig, SensorInfo, SensorRuleState, SensorSupervisor};

/// Counter: MQTT reconnections of the intake.
pub const METRIC_RECONNECTS: &str = "yiwang_ingest_mqtt_reconnects_total";

/// Quality of service the intake subscribes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MqttQos {
    /// QoS 0: nothing is acknowledged, a message can be lost.
    AtMostOnce,
    /// QoS 1 (default): acknowledged after the store, redelivered until then.
    #[default]
    AtLeastOnce,
}

impl MqttQos {
    fn to_rumqttc(self) -> rumqttc::QoS {
        match self {
            MqttQos::AtMostOnce => rumqttc::QoS::AtMostOnce,
            MqttQos::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
        }
    }
}

/// Intake settings (`[mqtt]` in the node's configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct MqttConfig {
    /// Broker, `mqtt://host:port` (`tcp://` is accepted; port 1883 when omitted). TLS is not
    /// built in.
    pub url: String,
    /// Client id; keep it stable: the broker keeps the session (queued QoS 1 messages) under it.
    /// Unique per node: two intakes with one id take the connection from each other. Default
    /// [`node_client_id`] of this host.
    pub client_id: String,
    /// Topic prefix without a trailing `/`; the intake subscribes to `{topic_prefix}/#`.
    pub topic_prefix: String,
    /// Shared-subscription group: `Some(g)` subscribes to `$share/g/{topic_prefix}/#` so the
    /// nodes of one group split the messages (default `yiwang`); `None` subscribes to the plain
    /// filter (a single node). No `/`, `+` or `#`.
    pub share_group: Option<String>,
    /// Subscription QoS.
    pub qos: MqttQos,
    /// Most messages per store.
    pub max_batch: usize,
    /// How long a batch waits for more messages after the first (default zero; see the module
    /// docs).
    pub batch_linger: Duration,
    /// MQTT keep-alive.
    pub keep_alive: Duration,
    /// First reconnect delay.
    pub reconnect_min: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// First delay before a failed store is retried.
    pub store_retry_min: Duration,
    /// Longest delay between store retries.
    pub store_retry_max: Duration,
    /// Largest incoming packet, bytes (payloads over 4 KiB are rejected anyway).
    pub max_packet_bytes: usize,
}

impl Default for MqttConfig {
    fn default() -> Self {
        MqttConfig {
            url: "mqtt://127.0.0.1:1883".into(),
            client_id: node_client_id(&host_name()),
            topic_prefix: "yiwang/sensors".into(),
            share_group: Some(DEFAULT_SHARE_GROUP.into()),
            qos: MqttQos::AtLeastOnce,
            max_batch: 1024,
            batch_linger: Duration::ZERO,
            keep_alive: Duration::from_secs(30),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(10),
            store_retry_min: Duration::from_millis(100),
            store_retry_max: Duration::from_secs(5),
            max_packet_bytes: 64 * 1024,
        }
    }
}

/// The default shared-subscription group.
pub const DEFAULT_SHARE_GROUP: &str = "yiwang";

/// This machine's host name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`, else `localhost`).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The client id of node `node` (a host name, with the node's id when a host runs several):
/// `yiwang-<node>`, with every character but ASCII letters, digits, `-` and `_` replaced by `-`
/// and cut to 64 characters. Stable across restarts, so the broker's session survives them.
pub fn node_client_id(node: &str) -> String {
    let clean: String = node
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(57)
        .collect();
    format!("yiwang-{clean}")
}

/// A configuration the intake cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MqttConfigError {
    /// The URL is not `mqtt://host[:port]`.
    #[error("bad mqtt url `{url}`: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// Empty client id.
    #[error("mqtt client_id is empty")]
    ClientId,
    /// Empty prefix, or one with `+`, `#` or a leading/trailing `/`.
    #[error("bad mqtt topic_prefix `{0}` (non-empty, no + or #, no leading or trailing /)")]
    TopicPrefix(String),
    /// An empty share group, or one with `/`, `+` or `#`.
    #[error("bad mqtt share_group `{0}` (non-empty, no /, + or #)")]
    ShareGroup(String),
}

/// Splits `mqtt://host[:port]` (or `tcp://`) into host and port.
///
/// # Errors
///
/// [`MqttConfigError::Url`].
pub fn parse_url(url: &str) -> Result<(String, u16), MqttConfigError> {
    let bad = |reason| MqttConfigError::Url {
        url: url.to_owned(),
        reason,
    };
    let rest = url
        .strip_prefix("mqtt://")
        .or_else(|| url.strip_prefix("tcp://"))
        .ok_or_else(|| bad("scheme must be mqtt:// (TLS is not supported)"))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '@', '?']) {
        return Err(bad("only host and port are allowed"));
    }
    let (host, port) = match rest.rsplit_once(':') {
        // IPv6 literals are bracketed: [::1]:1883.
        Some((h, p)) if !p.contains(']') => (
            h,
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("port must be 1–65535"))?,
        ),
        _ => (rest, 1883),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad("host is empty"));
    }
    Ok((host.to_owned(), port))
}

impl MqttConfig {
    /// The filter the intake subscribes to: `$share/{group}/{prefix}/#`, or `{prefix}/#`
    /// without a share group.
    pub fn subscription(&self) -> String {
        match &self.share_group {
            Some(g) => format!("$share/{g}/{}/#", self.topic_prefix),
            None => format!("{}/#", self.topic_prefix),
        }
    }

    fn mqtt_options(&self) -> Result<rumqttc::MqttOptions, MqttConfigError> {
        if let Some(g) = &self.share_group
            && (g.is_empty() || g.contains(['/', '+', '#']))
        {
            return Err(MqttConfigError::ShareGroup(g.clone()));
        }
        let (host, port) = parse_url(&self.url)?;
        if self.client_id.is_empty() {
            return Err(MqttConfigError::ClientId);
        }
        let p = &self.topic_prefix;
        if p.is_empty() || p.contains(['+', '#']) || p.starts_with('/') || p.ends_with('/') {
            return Err(MqttConfigError::TopicPrefix(p.clone()));
        }
        let mut o = rumqttc::MqttOptions::new(self.client_id.clone(), host, port);
        o.set_clean_session(false)
            .set_manual_acks(true)
            .set_keep_alive(self.keep_alive.max(Duration::from_secs(1)))
            .set_max_packet_size(self.max_packet_bytes, self.max_packet_bytes);
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_and_subscriptions() {
        assert_eq!(node_client_id("web-01"), "yiwang-web-01");
        assert_eq!(
            node_client_id("h.example.cn:8080"),
            "yiwang-h-example-cn-8080"
        );
        assert!(node_client_id(&"x".repeat(200)).len() <= 64);
        assert!(MqttConfig::default().client_id.starts_with("yiwang-"));
        let c = MqttConfig::default();
        assert_eq!(c.subscription(), "$share/yiwang/yiwang/sensors/#");
        let plain = MqttConfig {
            share_group: None,
            ..MqttConfig::default()
        };
        assert_eq!(plain.subscription(), "yiwang/sensors/#");
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("mqtt://127.0.0.1:1883"),
            Ok(("127.0.0.1".into(), 1883))
        );
        assert_eq!(
            parse_url("tcp://broker.local"),
            Ok(("broker.local".into(), 1883))
        );
        assert_eq!(
            parse_url("mqtt://broker:8883/"),
            Ok(("broker".into(), 8883))
        );
        assert_eq!(parse_url("mqtt://[::1]:1884"), Ok(("::1".into(), 1884)));
        for bad in [
            "mqtts://h:8883",
            "h:1883",
            "mqtt://:1883",
            "mqtt://h:0",
            "mqtt://h:99999",
            "mqtt://u:p@h:1883",
            "mqtt://h:1883/x",
        ] {
            assert!(
                matches!(parse_url(bad), Err(MqttConfigError::Url { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn config_checks() {
        let ok = MqttConfig::default();
        assert!(ok.mqtt_options().is_ok());
        for prefix in ["", "a/#", "a/+/b", "/a", "a/"] {
            let c = MqttConfig {
                topic_prefix: prefix.into(),
                ..MqttConfig::default()
            };
            assert_eq!(
                c.mqtt_options().err(),
                Some(MqttConfigError::TopicPrefix(prefix.into()))
            );
        }
        let c = MqttConfig {
            client_id: String::new(),
            ..MqttConfig::default()
        };
        assert_eq!(c.mqtt_options().err(), Some(MqttConfigError::ClientId));
        for group in ["", "a/b", "a+", "#"] {
            let c = MqttConfig {
                share_group: Some(group.into()),
                ..MqttConfig::default()
            };
            assert_eq!(
                c.mqtt_options().err(),
                Some(MqttConfigError::ShareGroup(group.into()))
            );
        }
        let o = ok.mqtt_options().unwrap_or_else(|e| panic!("{e}"));
        assert!(!o.clean_session());
        assert!(o.manual_acks());
    }
}
