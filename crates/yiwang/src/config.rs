//! Layered configuration: defaults < TOML file < `YIWANG_*` environment < command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerSection,
    pub database: DatabaseSection,
    pub log: LogSection,
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

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerSection::default(),
            database: DatabaseSection::default(),
            log: LogSection::default(),
        }
    }
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
        fig = fig.merge(Env::prefixed("YIWANG_").split("__"));
        let cfg: Config = fig.extract()?;
        anyhow::ensure!(
            cfg.server.max_upload_mb > 0,
            "server.max_upload_mb must be positive"
        );
        anyhow::ensure!(
            cfg.server.session_ttl_minutes > 0,
            "server.session_ttl_minutes must be positive"
        );
        Ok(cfg)
    }

    pub fn server_config(&self) -> server::ServerConfig {
        server::ServerConfig {
            attachments_dir: self.server.attachments_dir.clone(),
            max_upload_bytes: self.server.max_upload_mb * 1024 * 1024,
            session_ttl_minutes: self.server.session_ttl_minutes,
            secure_cookies: self.server.secure_cookies,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_and_equals_defaults() {
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/yiwang.example.toml");
        let cfg = Config::load(Some(&example)).expect("example config");
        let def = Config::default();
        assert_eq!(cfg.server.listen, def.server.listen);
        assert_eq!(cfg.database.url, def.database.url);
        assert_eq!(cfg.server.max_upload_mb, def.server.max_upload_mb);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let f = dir.path().join("bad.toml");
        std::fs::write(&f, "[server]\nlisten_on = \"x\"\n").expect("write");
        assert!(Config::load(Some(&f)).is_err());
    }
}
