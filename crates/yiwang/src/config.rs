//! Layered configuration: defaults < TOML file < `YIWANG_*` environment < command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerSection,
    pub database: DatabaseSection,
    pub log: LogSection,
    pub devices: DevicesSection,
    pub mqtt: MqttSection,
    /// Rate limits of the Open311 API, per node. Environment:
    /// `YIWANG_OPEN311__POST_PER_KEY__PER_MINUTE`, …
    pub open311: server::routes::open311::Limits,
    pub notify: NotifySection,
}

/// Webhook deliveries (`server::notify`). Environment: `YIWANG_NOTIFY__EXTRA_CA_FILE`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySection {
    /// A PEM bundle of CA certificates trusted for `https://` webhooks besides the built-in
    /// Mozilla roots (a bureau's internal CA). Empty: the Mozilla roots only.
    pub extra_ca_file: String,
}

/// MQTT sensors (manhole covers, bins, waterlogging points …) through a broker; see
/// `docs/mqtt.md`. Environment: `YIWANG_MQTT__ENABLED`, `YIWANG_MQTT__URL`, …
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqttSection {
    /// Run the sensor intake (`yiwang serve`). The demo uses the broker whenever it is reachable.
    pub enabled: bool,
    /// Broker, `mqtt://host:port` (`tcp://` accepted; port 1883 when omitted; no TLS).
    pub url: String,
    /// Client id; keep it stable and unique per node: the broker keeps the persistent session
    /// (the QoS 1 messages published while the node is down) under it. Empty (the default):
    /// `yiwang-<hostname>-<node_id>`, or `yiwang-<hostname>-<listen port>` without a node id.
    pub client_id: String,
    /// This node's name among the nodes of one host, for the default client id.
    pub node_id: String,
    /// Subscribed as `{topic_prefix}/#`; no `+`, `#`, leading or trailing `/`.
    pub topic_prefix: String,
    /// Shared-subscription group: the nodes subscribe to `$share/<group>/{topic_prefix}/#` and
    /// the broker splits the messages among them (Mosquitto ≥ 1.6). Empty: the plain filter,
    /// for a single node only (several would each store every message).
    pub share_group: String,
    /// Subscription QoS: 1 (acknowledged after the store) or 0 (may lose messages).
    pub qos: u8,
}

impl Default for MqttSection {
    fn default() -> Self {
        MqttSection {
            enabled: false,
            url: "mqtt://127.0.0.1:1883".into(),
            client_id: String::new(),
            node_id: String::new(),
            topic_prefix: "yiwang/sensors".into(),
            share_group: ingest::mqtt::DEFAULT_SHARE_GROUP.into(),
            qos: 1,
        }
    }
}

impl MqttSection {
    /// The section with its client id filled in for a node serving on `listen` (see
    /// [`MqttSection::client_id`]).
    pub fn resolved(&self, listen: &str) -> MqttSection {
        let mut out = self.clone();
        if out.client_id.trim().is_empty() {
            let port = listen.rsplit_once(':').map_or(listen, |(_, p)| p);
            let node = if self.node_id.trim().is_empty() {
                port
            } else {
                self.node_id.trim()
            };
            out.client_id =
                ingest::mqtt::node_client_id(&format!("{}-{node}", ingest::mqtt::host_name()));
        }
        out
    }
}

/// Device gateways (JT/T 808 vehicles, HJ 212 monitors).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DevicesSection {
    /// JT/T 808 TCP listen address; empty = no vehicle gateway.
    pub jt808_listen: String,
    /// HJ 212 TCP listen address; empty = no monitor gateway.
    pub hj212_listen: String,
    /// Seconds without data after which a device connection is closed.
    pub idle_timeout_secs: u64,
    /// Days of vehicle track kept (older points are pruned hourly); 0 = keep forever.
    pub track_retention_days: u32,
    /// How the rules know a sweeper is sweeping (作业状态): `{ kind = "inferred" }` (default:
    /// from the track), `{ kind = "status_bit", bit = 22 }` (0x0200 status bit),
    /// `{ kind = "io_status_bit", bit = 2 }` (item 0x2A), `{ kind = "item_bit", id = 225,
    /// bit = 0 }` (a vendor item), `{ kind = "always" }` (every fix).
    pub sweeping_on: supervision::sweeping::SweepingOn,
}

impl Default for DevicesSection {
    fn default() -> Self {
        DevicesSection {
            jt808_listen: "127.0.0.1:7808".into(),
            hj212_listen: "127.0.0.1:7212".into(),
            idle_timeout_secs: 300,
            track_retention_days: 180,
            sweeping_on: supervision::sweeping::SweepingOn::default(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    pub listen: String,
    pub attachments_dir: PathBuf,
    pub max_upload_mb: usize,
    pub session_ttl_minutes: i64,
    pub secure_cookies: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSection {
    pub url: String,
    pub max_connections: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    pub filter: String,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: "127.0.0.1:8080".into(),
            attachments_dir: PathBuf::from("data/attachments"),
            max_upload_mb: 10,
            session_ttl_minutes: 720,
            secure_cookies: false,
        }
    }
}

impl Default for DatabaseSection {
    fn default() -> Self {
        DatabaseSection {
            url: "sqlite://data/yiwang.db".into(),
            max_connections: 8,
        }
    }
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            filter: "info".into(),
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (if given; it must exist), then `YIWANG_*` variables.
    ///
    /// # Errors
    /// A missing or malformed file, an unknown key, a value of the wrong type.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            anyhow::ensure!(f.exists(), "config file {} does not exist", f.display());
            fig = fig.merge(Toml::file(f));
        }
        // Only `YIWANG_<SECTION>__<KEY>` variables are configuration; other `YIWANG_*` names
        // (YIWANG_CONFIG, test and tool variables) are left alone.
        fig = fig.merge(
            Env::prefixed("YIWANG_")
                .filter(|k| k.as_str().contains("__"))
                .split("__"),
        );
        let cfg: Config = fig.extract()?;
        anyhow::ensure!(
            cfg.server.max_upload_mb > 0,
            "server.max_upload_mb must be positive"
        );
        anyhow::ensure!(
            cfg.server.session_ttl_minutes > 0,
            "server.session_ttl_minutes must be positive"
        );
        anyhow::ensure!(cfg.mqtt.qos <= 1, "mqtt.qos must be 0 or 1");
        Ok(cfg)
    }

    /// The server's settings, with the extra webhook CA read and checked.
    ///
    /// # Errors
    /// `notify.extra_ca_file` cannot be read or holds no usable certificate.
    pub fn server_config(&self) -> anyhow::Result<server::ServerConfig> {
        let ca = self.notify.extra_ca_file.trim();
        let webhook_roots = if ca.is_empty() {
            Vec::new()
        } else {
            server::notify::load_extra_ca(Path::new(ca))?
        };
        Ok(server::ServerConfig {
            attachments_dir: self.server.attachments_dir.clone(),
            max_upload_bytes: self.server.max_upload_mb * 1024 * 1024,
            session_ttl_minutes: self.server.session_ttl_minutes,
            secure_cookies: self.server.secure_cookies,
            open311_limits: self.open311,
            webhook_roots,
            ..server::ServerConfig::default()
        })
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error.
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_and_equals_defaults() {
        // Every test that reads the environment runs inside a Jail: they then run one at a time.
        figment::Jail::expect_with(|_| {
            let example =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/yiwang.example.toml");
            let cfg = Config::load(Some(&example)).map_err(|e| e.to_string())?;
            let def = Config::default();
            assert_eq!(cfg.server.listen, def.server.listen);
            assert_eq!(cfg.database.url, def.database.url);
            assert_eq!(cfg.server.max_upload_mb, def.server.max_upload_mb);
            assert_eq!(cfg.devices.jt808_listen, def.devices.jt808_listen);
            assert_eq!(cfg.devices.hj212_listen, def.devices.hj212_listen);
            assert_eq!(
                cfg.devices.track_retention_days,
                def.devices.track_retention_days
            );
            assert_eq!(cfg.mqtt, def.mqtt);
            assert_eq!(cfg.open311, def.open311);
            assert_eq!(cfg.notify, def.notify);
            Ok(())
        });
    }

    #[test]
    fn environment_overrides_file_and_other_variables_are_ignored() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("y.toml", "[server]\nlisten = \"127.0.0.1:1\"\n")?;
            jail.set_env("YIWANG_SERVER__LISTEN", "127.0.0.1:2");
            jail.set_env("YIWANG_REQUIRE_PG", "1");
            jail.set_env("YIWANG_BIN", "/x");
            let cfg = Config::load(Some(Path::new("y.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(cfg.server.listen, "127.0.0.1:2");
            Ok(())
        });
    }

    #[test]
    fn mqtt_section_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("YIWANG_MQTT__ENABLED", "true");
            jail.set_env("YIWANG_MQTT__URL", "mqtt://broker.local:1884");
            jail.set_env("YIWANG_MQTT__CLIENT_ID", "yiwang-node-2");
            jail.set_env("YIWANG_MQTT__QOS", "0");
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            assert!(cfg.mqtt.enabled);
            assert_eq!(cfg.mqtt.url, "mqtt://broker.local:1884");
            assert_eq!(cfg.mqtt.client_id, "yiwang-node-2");
            assert_eq!(cfg.mqtt.topic_prefix, "yiwang/sensors");
            assert_eq!(cfg.mqtt.qos, 0);
            assert_eq!(cfg.mqtt.resolved("0.0.0.0:8080").client_id, "yiwang-node-2");
            assert_eq!(cfg.mqtt.share_group, "yiwang");
            jail.set_env("YIWANG_MQTT__QOS", "2");
            assert!(Config::load(None).is_err(), "QoS 2 is not supported");
            Ok(())
        });
    }

    #[test]
    fn the_default_mqtt_client_id_is_the_host_and_the_node() {
        let host = ingest::mqtt::host_name();
        let m = MqttSection::default();
        assert_eq!(
            m.resolved("127.0.0.1:8080").client_id,
            ingest::mqtt::node_client_id(&format!("{host}-8080"))
        );
        let named = MqttSection {
            node_id: "b".into(),
            ..MqttSection::default()
        };
        assert_eq!(
            named.resolved("127.0.0.1:8080").client_id,
            ingest::mqtt::node_client_id(&format!("{host}-b"))
        );
        assert_ne!(
            m.resolved("127.0.0.1:8080").client_id,
            m.resolved("127.0.0.1:8081").client_id
        );
    }

    #[test]
    fn a_bad_extra_ca_file_stops_the_node() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("YIWANG_NOTIFY__EXTRA_CA_FILE", "missing.pem");
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(cfg.notify.extra_ca_file, "missing.pem");
            let e = cfg.server_config().expect_err("missing file");
            assert!(e.to_string().contains("missing.pem"), "{e}");
            jail.create_file("empty.pem", "not a certificate\n")?;
            jail.set_env("YIWANG_NOTIFY__EXTRA_CA_FILE", "empty.pem");
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            assert!(cfg.server_config().is_err(), "no certificate in the file");
            jail.set_env("YIWANG_NOTIFY__EXTRA_CA_FILE", "");
            let cfg = Config::load(None).map_err(|e| e.to_string())?;
            assert!(
                cfg.server_config()
                    .is_ok_and(|c| c.webhook_roots.is_empty())
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "[server]\nlisten_on = \"x\"\n")?;
            assert!(Config::load(Some(Path::new("bad.toml"))).is_err());
            jail.set_env("YIWANG_SERVER__LISTEN_ON", "x");
            assert!(
                Config::load(None).is_err(),
                "unknown keys from the environment are refused too"
            );
            Ok(())
        });
    }
}
