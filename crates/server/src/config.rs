//! The one typed configuration: defaults, then a TOML file, then `COFFER_*` environment
//! variables, then command-line flags. Unknown keys are an error. Passed explicitly; there is no
//! global.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// The server's configuration. Every key is also a `COFFER_<KEY>` environment variable
/// (upper-case) and a key of the `--config` TOML file.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Run in memory as an emulator: any well-formed credentials, nothing persisted.
    pub dev: bool,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The data directory: the database, the root key file, the credentials file. With
    /// `database` set it holds only the root key file and the credentials file.
    pub data_dir: PathBuf,
    /// A `postgres://` URL: keep the data in PostgreSQL, shared by every node given the same URL
    /// (and the same root key), instead of in the embedded database of the data directory.
    pub database: Option<String>,
    /// Where the keyring's root key lives (default `<data_dir>/root.key`, mode 0600).
    pub root_key_file: Option<PathBuf>,
    /// The root key itself, base64 (32 bytes). Prefer `root_key_file`; this is for platforms
    /// that inject secrets as environment variables (`COFFER_ROOT_KEY`).
    pub root_key: Option<String>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How often the purge job looks for secrets whose recovery window has ended, in seconds.
    pub purge_interval_secs: u64,
    /// The log filter (tracing's `EnvFilter` syntax), e.g. `info` or `coffer_server=debug`.
    pub log: String,
    /// The server's certificate chain, PEM (leaf first). With `tls_key_file`, the listener
    /// serves HTTPS only; both or neither must be set.
    pub tls_cert_file: Option<PathBuf>,
    /// The private key of `tls_cert_file`'s leaf, PEM (PKCS#8, PKCS#1 or SEC1); mode 0600 or
    /// stricter.
    pub tls_key_file: Option<PathBuf>,
    /// How often the two TLS files are checked for a new certificate, in seconds.
    pub tls_reload_interval_secs: u64,
    /// The audit trail's JSON-lines file (default `<data_dir>/audit.jsonl`; in dev mode no
    /// file unless set).
    pub audit_file: Option<PathBuf>,
    /// Rotate the audit file once it would pass this many bytes (0: never).
    pub audit_max_bytes: u64,
    /// Delete the oldest rotated audit files while together they pass this many bytes (0:
    /// never).
    pub audit_retain_bytes: u64,
    /// Delete rotated audit files last written more than this many days ago (0: never).
    pub audit_retain_days: u64,
    /// The most bytes of audit events held in memory while the audit file cannot be written;
    /// events beyond are dropped (counted) and requests waiting for theirs refused.
    pub audit_queue_max_bytes: usize,
    /// Also write every audit event to stdout.
    pub audit_stdout: bool,
    /// Which responses wait until their audit event is durable, answering an internal error
    /// when it cannot be: `all` (secret material and every state change; `true` says the
    /// same), `secrets` (secret material only), `off` (`false`). Default `all`, `off` in dev
    /// mode.
    pub audit_fail_closed: Option<crate::audit::FailClosed>,
    /// A bearer token `GET /metrics` requires (`Authorization: Bearer <token>`). Without it
    /// (and without `metrics_token_file`) `/metrics` is open to anyone reaching the listener.
    pub metrics_token: Option<String>,
    /// A file holding the metrics bearer token (mode 0600 or stricter); the alternative to
    /// `metrics_token` that keeps the token out of the environment.
    pub metrics_token_file: Option<PathBuf>,
    /// How log lines are written to stderr: human-readable `text` or one JSON object per line.
    pub log_format: LogFormat,
}

/// The log lines' format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// tracing's human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (tracing-subscriber's JSON formatter), for log pipelines.
    Json,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("dev", &self.dev)
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            // The URL may carry a password.
            .field("database", &self.database.as_ref().map(|_| "<redacted>"))
            .field("root_key_file", &self.root_key_file)
            .field("root_key", &self.root_key.as_ref().map(|_| "<redacted>"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("purge_interval_secs", &self.purge_interval_secs)
            .field("log", &self.log)
            // Paths only: the key itself is never part of the configuration.
            .field("tls_cert_file", &self.tls_cert_file)
            .field("tls_key_file", &self.tls_key_file)
            .field("tls_reload_interval_secs", &self.tls_reload_interval_secs)
            .field("audit_file", &self.audit_file)
            .field("audit_max_bytes", &self.audit_max_bytes)
            .field("audit_retain_bytes", &self.audit_retain_bytes)
            .field("audit_retain_days", &self.audit_retain_days)
            .field("audit_queue_max_bytes", &self.audit_queue_max_bytes)
            .field("audit_stdout", &self.audit_stdout)
            .field("audit_fail_closed", &self.audit_fail_closed)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("metrics_token_file", &self.metrics_token_file)
            .field("log_format", &self.log_format)
            .finish()
    }
}

/// Every configuration key, as read from `COFFER_<KEY>` environment variables.
const KEYS: [&str; 22] = [
    "dev",
    "listen",
    "data_dir",
    "database",
    "root_key_file",
    "root_key",
    "max_body_bytes",
    "purge_interval_secs",
    "log",
    "tls_cert_file",
    "tls_key_file",
    "tls_reload_interval_secs",
    "audit_file",
    "audit_max_bytes",
    "audit_retain_bytes",
    "audit_retain_days",
    "audit_queue_max_bytes",
    "audit_stdout",
    "audit_fail_closed",
    "metrics_token",
    "metrics_token_file",
    "log_format",
];

/// The audit file's name inside the data directory, by default.
pub const AUDIT_FILE: &str = "audit.jsonl";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7600";

impl Default for Config {
    fn default() -> Self {
        Self {
            dev: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 7600)),
            data_dir: PathBuf::from("coffer-data"),
            database: None,
            root_key_file: None,
            root_key: None,
            // The largest legitimate request (a 64 KiB SecretBinary, base64-encoded, with
            // 50 tags and a description) is under 200 KiB.
            max_body_bytes: 512 * 1024,
            purge_interval_secs: 60,
            log: "info".into(),
            tls_cert_file: None,
            tls_key_file: None,
            tls_reload_interval_secs: 10,
            audit_file: None,
            // 100 MiB: a day of a busy node's events in a handful of files.
            audit_max_bytes: 100 * 1024 * 1024,
            // 10 GiB and a year: a hundred full files, and an annual review's worth, so that
            // the trail cannot fill the disk however busy (or abused) the node is.
            audit_retain_bytes: 10 * 1024 * 1024 * 1024,
            audit_retain_days: 365,
            audit_queue_max_bytes: crate::audit::DEFAULT_QUEUE_MAX_BYTES,
            audit_stdout: false,
            audit_fail_closed: None,
            metrics_token: None,
            metrics_token_file: None,
            log_format: LogFormat::Text,
        }
    }
}

/// Values given as command-line flags; `None` means "not given", so lower layers show through.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    /// `--dev`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<bool>,
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--database`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

impl Config {
    /// Loads the configuration from its layers.
    pub fn load(
        file: Option<&std::path::Path>,
        overrides: &Overrides,
    ) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            // A named file must exist: a typo in --config should not silently run on defaults.
            if !file.exists() {
                return Err(Box::new(figment::Error::from(format!(
                    "config file {} does not exist",
                    file.display()
                ))));
            }
            figment = figment.merge(Toml::file(file));
        }
        figment
            // Only the configuration's own keys are read from the environment: other COFFER_*
            // variables (a wrapper's COFFER_BIN, say) are none of our business. Unknown keys in
            // the file are still an error.
            .merge(Env::prefixed("COFFER_").only(&KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }

    /// The TLS certificate and key files, when HTTPS is configured. Setting only one of the two
    /// is an error rather than a silent fall-back to plain HTTP.
    pub fn tls_files(&self) -> Result<Option<(&std::path::Path, &std::path::Path)>, String> {
        match (&self.tls_cert_file, &self.tls_key_file) {
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            (None, None) => Ok(None),
            (Some(_), None) => Err(
                "tls_cert_file is set but tls_key_file is not; set both (HTTPS) or neither (HTTP)"
                    .into(),
            ),
            (None, Some(_)) => Err(
                "tls_key_file is set but tls_cert_file is not; set both (HTTPS) or neither (HTTP)"
                    .into(),
            ),
        }
    }

    /// Where the audit trail goes: `audit_file`, or `<data_dir>/audit.jsonl` outside dev mode
    /// (dev mode writes nothing to disk unless told to); fail-closed for secrets and writes
    /// unless told otherwise, and not at all by default in dev mode.
    pub fn audit_settings(&self) -> crate::audit::AuditSettings {
        crate::audit::AuditSettings {
            file: self
                .audit_file
                .clone()
                .or_else(|| (!self.dev).then(|| self.data_dir.join(AUDIT_FILE))),
            max_bytes: self.audit_max_bytes,
            retain_bytes: self.audit_retain_bytes,
            retain_days: self.audit_retain_days,
            queue_max_bytes: self.audit_queue_max_bytes,
            stdout: self.audit_stdout,
            fail_closed: self.audit_fail_closed.unwrap_or(if self.dev {
                crate::audit::FailClosed::Off
            } else {
                crate::audit::FailClosed::All
            }),
        }
    }

    /// The root key file's path.
    pub fn root_key_path(&self) -> PathBuf {
        self.root_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("root.key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail dictates the closure type.
    fn layers_apply_in_order_and_unknown_keys_fail() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                "listen = \"127.0.0.1:9000\"\ndata_dir = \"from-file\"\n",
            )?;
            jail.set_env("COFFER_DATA_DIR", "from-env");
            // Not a configuration key: ignored, not an error.
            jail.set_env("COFFER_BIN", "/usr/local/bin/coffer");
            let overrides = Overrides {
                dev: Some(true),
                ..Overrides::default()
            };
            let config =
                Config::load(Some(std::path::Path::new("c.toml")), &overrides).map_err(|e| *e)?;
            assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
            assert_eq!(config.data_dir, PathBuf::from("from-env"));
            assert!(config.dev);

            jail.create_file("bad.toml", "no_such_key = 1\n")?;
            assert!(Config::load(
                Some(std::path::Path::new("bad.toml")),
                &Overrides::default()
            )
            .is_err());
            assert!(Config::load(
                Some(std::path::Path::new("missing.toml")),
                &Overrides::default()
            )
            .is_err());
            Ok(())
        });
    }

    #[test]
    fn debug_never_shows_the_root_key_or_the_database_url() {
        let config = Config {
            root_key: Some("c2VjcmV0LXJvb3Qta2V5".into()),
            database: Some("postgres://coffer:hunter2@db/coffer".into()),
            metrics_token: Some("metrics-t0ken".into()),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("c2VjcmV0"));
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("metrics-t0ken"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail dictates the closure type.
    fn log_format_is_text_or_json() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(
                Config::load(None, &Overrides::default())
                    .map_err(|e| *e)?
                    .log_format,
                LogFormat::Text
            );
            jail.set_env("COFFER_LOG_FORMAT", "json");
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(config.log_format, LogFormat::Json);
            jail.set_env("COFFER_LOG_FORMAT", "yaml");
            assert!(Config::load(None, &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail dictates the closure type.
    fn database_comes_from_file_environment_or_flag() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "database = \"postgres://file/db\"\n")?;
            let file = Some(std::path::Path::new("c.toml"));
            let config = Config::load(file, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(config.database.as_deref(), Some("postgres://file/db"));
            jail.set_env("COFFER_DATABASE", "postgres://env/db");
            let config = Config::load(file, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(config.database.as_deref(), Some("postgres://env/db"));
            let overrides = Overrides {
                database: Some("postgres://flag/db".into()),
                ..Overrides::default()
            };
            let config = Config::load(file, &overrides).map_err(|e| *e)?;
            assert_eq!(config.database.as_deref(), Some("postgres://flag/db"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail dictates the closure type.
    fn tls_keys_come_from_the_environment_and_go_together() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("COFFER_TLS_CERT_FILE", "/etc/coffer/cert.pem");
            jail.set_env("COFFER_TLS_RELOAD_INTERVAL_SECS", "3");
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(config.tls_reload_interval_secs, 3);
            assert!(config
                .tls_files()
                .is_err_and(|e| e.contains("tls_key_file is not")));
            jail.set_env("COFFER_TLS_KEY_FILE", "/etc/coffer/key.pem");
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            let files = config.tls_files().map_err(figment::Error::from)?;
            assert_eq!(
                files,
                Some((
                    std::path::Path::new("/etc/coffer/cert.pem"),
                    std::path::Path::new("/etc/coffer/key.pem")
                ))
            );
            assert_eq!(Config::default().tls_files(), Ok(None));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail dictates the closure type.
    fn audit_fail_closed_is_a_boolean_or_a_category() {
        use crate::audit::FailClosed;
        figment::Jail::expect_with(|jail| {
            let settings = |dev: bool| -> figment::error::Result<FailClosed> {
                let overrides = Overrides {
                    dev: Some(dev),
                    ..Overrides::default()
                };
                Ok(Config::load(None, &overrides)
                    .map_err(|e| *e)?
                    .audit_settings()
                    .fail_closed)
            };
            assert_eq!(settings(false)?, FailClosed::All);
            assert_eq!(settings(true)?, FailClosed::Off);
            for (value, expected) in [
                ("true", FailClosed::All),
                ("all", FailClosed::All),
                ("secrets", FailClosed::Secrets),
                ("false", FailClosed::Off),
                ("off", FailClosed::Off),
            ] {
                jail.set_env("COFFER_AUDIT_FAIL_CLOSED", value);
                assert_eq!(settings(false)?, expected, "{value}");
            }
            jail.create_file("c.toml", "audit_fail_closed = \"secrets\"\n")?;
            jail.clear_env();
            let file = Config::load(Some(std::path::Path::new("c.toml")), &Overrides::default())
                .map_err(|e| *e)?;
            assert_eq!(file.audit_fail_closed, Some(FailClosed::Secrets));
            jail.create_file("bad.toml", "audit_fail_closed = \"writes\"\n")?;
            let bad = Config::load(
                Some(std::path::Path::new("bad.toml")),
                &Overrides::default(),
            )
            .map(|_| ())
            .map_err(|e| e.to_string());
            assert!(bad.is_err_and(|e| e.contains("\"secrets\"")));
            Ok(())
        });
    }
}
