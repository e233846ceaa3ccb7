//! The one typed configuration: defaults, then a TOML file, then `COFFER_*` environment
//! variables, then command-line flags. Unknown keys are an error. Passed explicitly; there is no
//! global.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

/// The server's configuration. Every key is also a `COFFER_<KEY>` environment variable
/// (upper-case) and a key of the `--config` TOML file.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Run in memory as an emulator: any well-formed credentials, nothing persisted.
    pub dev: bool,
    /// In dev mode, authenticate and authorize the keys coffer issued (IAM users' access keys,
    /// AssumeRole's sessions) exactly as in real mode; any other key still acts as the account
    /// root. Refused without `dev` (real mode always enforces).
    pub enforce_iam: bool,
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
    /// that inject secrets as environment variables (`COFFER_ROOT_KEY`, which [`Config::load`]
    /// takes out of the environment).
    pub root_key: Option<RootKeyText>,
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
    /// Start even though `listen` is not a loopback address and no TLS is configured, so that
    /// secret values cross the network in clear. Off by default: such a start is refused
    /// (dev mode only warns).
    pub allow_plaintext_non_loopback: bool,
    /// How long the server waits for a request's headers, in seconds, counted from when it
    /// starts waiting: a new connection, or the end of the previous response on a keep-alive
    /// connection (so this is also the idle timeout of keep-alive connections).
    pub header_read_timeout_secs: u64,
    /// How long a request's body may take to arrive, in seconds, counted from the end of its
    /// headers.
    pub body_read_timeout_secs: u64,
    /// The most connections open at once; a connection beyond it is closed on accept.
    pub max_connections: usize,
    /// The most connections open at once from one client IP address.
    pub max_connections_per_ip: usize,
    /// The most API requests being served at once; one beyond it is answered
    /// `ThrottlingException`.
    pub max_requests_in_flight: usize,
    /// The most API requests being served at once for one client IP address.
    pub max_requests_in_flight_per_ip: usize,
    /// The rotation functions coffer may invoke: TOML `[[rotation_functions]]` tables (`arn`,
    /// `url`, `timeout_secs`) or `COFFER_ROTATION_FUNCTIONS="<arn>=<url>[,…]"`; a url of
    /// `builtin:<name>` selects a built-in rotator (docs/rotation.md).
    pub rotation_functions: crate::rotation::functions::FunctionList,
    /// How often the rotation scheduler looks for due rotations, in seconds.
    pub rotation_interval_secs: u64,
    /// How long a node's claim on a rotation run lasts without renewal, in seconds.
    pub rotation_lease_secs: u64,
    /// Attempts of a rotation run before it fails (and waits a day to be reattempted).
    pub rotation_max_attempts: u32,
    /// RotateSecret runs the rotation to its end before answering, and a failed step ends the
    /// run at once (default: on in dev mode, off otherwise).
    pub rotation_synchronous: Option<bool>,
    /// Where a notice of each rotation's final failure is POSTed as JSON (`http://host:port/path`).
    pub rotation_notify_url: Option<String>,
    /// Serve the web console under `/console/` (static files embedded in the binary, and its
    /// sign-in and audit-events endpoints). On by default; `--no-console` or `console = false`
    /// turns it off, and `/console/` then answers as any unknown path does.
    pub console: bool,
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
            .field("enforce_iam", &self.enforce_iam)
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
            .field(
                "allow_plaintext_non_loopback",
                &self.allow_plaintext_non_loopback,
            )
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field("body_read_timeout_secs", &self.body_read_timeout_secs)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_ip", &self.max_connections_per_ip)
            .field("max_requests_in_flight", &self.max_requests_in_flight)
            .field(
                "max_requests_in_flight_per_ip",
                &self.max_requests_in_flight_per_ip,
            )
            .field("rotation_functions", &self.rotation_functions)
            .field("rotation_interval_secs", &self.rotation_interval_secs)
            .field("rotation_lease_secs", &self.rotation_lease_secs)
            .field("rotation_max_attempts", &self.rotation_max_attempts)
            .field("rotation_synchronous", &self.rotation_synchronous)
            .field("rotation_notify_url", &self.rotation_notify_url)
            .field("console", &self.console)
            .finish()
    }
}

/// The root key as configured (`root_key`): base64 text, wiped from memory when dropped, shown
/// as `<redacted>` and never serialized.
#[derive(Clone)]
pub struct RootKeyText(Zeroizing<String>);

impl RootKeyText {
    /// Wraps the text (tests and embedders that hold the key themselves).
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The base64 text, for decoding into the key.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RootKeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for RootKeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

impl Serialize for RootKeyText {
    /// Always an error: the configuration is serialized only as figment's layer of defaults,
    /// where the key is absent, and the key must never reach any other output.
    fn serialize<S: Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "the root key is never serialized",
        ))
    }
}

/// The environment variable of `root_key`, read by [`Config::load`] itself rather than through
/// figment: it is taken out of the environment and kept in a zeroizing buffer only.
pub const ROOT_KEY_VARIABLE: &str = "COFFER_ROOT_KEY";

/// Reads `COFFER_ROOT_KEY` and removes it from the process environment, so that child processes
/// and later readers of the environment do not see it. What this cannot do: the initial
/// environment block the kernel gave the process (`/proc/<pid>/environ`, readable by the same
/// user and by root) keeps its bytes until the process exits.
///
/// `remove_var` is sound only while no other thread reads the environment: `main` loads the
/// configuration before the runtime starts its threads.
fn take_root_key_from_environment() -> Option<RootKeyText> {
    use std::os::unix::ffi::OsStringExt as _;
    let value = std::env::var_os(ROOT_KEY_VARIABLE)?;
    std::env::remove_var(ROOT_KEY_VARIABLE);
    let text = match String::from_utf8(value.into_vec()) {
        Ok(text) => text,
        Err(not_utf8) => {
            not_utf8.into_bytes().zeroize();
            // Not base64 either: decoding refuses it with the usual message.
            "\u{fffd}".to_owned()
        }
    };
    Some(RootKeyText::new(text))
}

/// Every configuration key read from `COFFER_<KEY>` environment variables through figment
/// (`root_key` is read apart, by [`take_root_key_from_environment`]).
const KEYS: [&str; 36] = [
    "dev",
    "enforce_iam",
    "listen",
    "data_dir",
    "database",
    "root_key_file",
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
    "allow_plaintext_non_loopback",
    "header_read_timeout_secs",
    "body_read_timeout_secs",
    "max_connections",
    "max_connections_per_ip",
    "max_requests_in_flight",
    "max_requests_in_flight_per_ip",
    "rotation_functions",
    "rotation_interval_secs",
    "rotation_lease_secs",
    "rotation_max_attempts",
    "rotation_synchronous",
    "rotation_notify_url",
    "console",
];

/// The audit file's name inside the data directory, by default.
pub const AUDIT_FILE: &str = "audit.jsonl";

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7600";

impl Default for Config {
    fn default() -> Self {
        Self {
            dev: false,
            enforce_iam: false,
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
            allow_plaintext_non_loopback: false,
            // Well under a minute: a client that trickles its headers or its body, or keeps
            // a connection idle, holds a socket and a task for at most this long.
            header_read_timeout_secs: 20,
            body_read_timeout_secs: 20,
            // Below the usual 1,024 open files with room for the database, the audit file
            // and handshakes in flight.
            max_connections: 900,
            // One client (or one proxy in front of many: raise these then) gets a share,
            // not the whole server.
            max_connections_per_ip: 256,
            max_requests_in_flight: 512,
            max_requests_in_flight_per_ip: 128,
            rotation_functions: crate::rotation::functions::FunctionList::default(),
            rotation_interval_secs: 5,
            rotation_lease_secs: 300,
            rotation_max_attempts: 5,
            rotation_synchronous: None,
            rotation_notify_url: None,
            console: true,
        }
    }
}

/// Values given as command-line flags; `None` means "not given", so lower layers show through.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    /// `--dev`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<bool>,
    /// `--enforce-iam`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce_iam: Option<bool>,
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--database`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// `--allow-plaintext-non-loopback`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_plaintext_non_loopback: Option<bool>,
    /// `--no-console` (as `Some(false)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console: Option<bool>,
}

impl Config {
    /// Loads the configuration from its layers. `COFFER_ROOT_KEY` is taken out of the process
    /// environment on the way (see [`take_root_key_from_environment`]): call this before any
    /// other thread is started.
    pub fn load(
        file: Option<&std::path::Path>,
        overrides: &Overrides,
    ) -> Result<Self, Box<figment::Error>> {
        // First, so that the variable leaves the environment even when the rest fails.
        let root_key = take_root_key_from_environment();
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
        let mut config: Config = figment
            // Only the configuration's own keys are read from the environment: other COFFER_*
            // variables (a wrapper's COFFER_BIN, say) are none of our business. Unknown keys in
            // the file are still an error.
            .merge(Env::prefixed("COFFER_").only(&KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)?;
        // The environment layer's place: over the file (there is no flag for the key).
        if root_key.is_some() {
            config.root_key = root_key;
        }
        if config.enforce_iam && !config.dev {
            return Err(Box::new(figment::Error::from(
                "enforce_iam is a dev-mode switch (--dev --enforce-iam): real mode always \
                 enforces IAM"
                    .to_owned(),
            )));
        }
        Ok(config)
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

    /// The connection and request caps; each must be at least 1.
    pub fn caps(&self) -> Result<crate::connections::Caps, String> {
        let caps = crate::connections::Caps {
            connections: self.max_connections,
            connections_per_ip: self.max_connections_per_ip,
            requests: self.max_requests_in_flight,
            requests_per_ip: self.max_requests_in_flight_per_ip,
        };
        for (key, value) in [
            ("max_connections", caps.connections),
            ("max_connections_per_ip", caps.connections_per_ip),
            ("max_requests_in_flight", caps.requests),
            ("max_requests_in_flight_per_ip", caps.requests_per_ip),
        ] {
            if value == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        Ok(caps)
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
            root_key: Some(RootKeyText::new("c2VjcmV0LXJvb3Qta2V5".into())),
            database: Some("postgres://coffer:hunter2@db/coffer".into()),
            metrics_token: Some("metrics-t0ken".into()),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("c2VjcmV0"));
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("metrics-t0ken"));
    }

    /// `COFFER_ROOT_KEY` is read into the configuration (over the file's `root_key`) and is no
    /// longer in the process environment afterwards; the configuration never shows it.
    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail dictates the closure type.
    fn root_key_leaves_the_environment_once_read() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "root_key = \"ZnJvbS1maWxl\"\n")?;
            let file = Some(std::path::Path::new("c.toml"));
            let config = Config::load(file, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(
                config.root_key.as_ref().map(RootKeyText::expose),
                Some("ZnJvbS1maWxl")
            );
            jail.set_env(ROOT_KEY_VARIABLE, "c2VjcmV0LXJvb3Qta2V5");
            let config = Config::load(file, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(std::env::var_os(ROOT_KEY_VARIABLE), None);
            assert_eq!(
                config.root_key.as_ref().map(RootKeyText::expose),
                Some("c2VjcmV0LXJvb3Qta2V5")
            );
            let shown = format!("{config:?}");
            assert!(!shown.contains("c2VjcmV0"), "{shown}");
            assert!(shown.contains("root_key: Some(\"<redacted>\")"), "{shown}");
            // Serializing never writes it either.
            assert!(serde_json::to_string(&config).is_err());
            Ok(())
        });
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
    fn rotation_functions_come_from_file_tables_or_the_environment() {
        use crate::rotation::functions::FunctionConfig;
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                "[[rotation_functions]]\n\
                 arn = \"arn:aws:lambda:us-east-1:111122223333:function:a\"\n\
                 url = \"http://127.0.0.1:9000\"\n\
                 timeout_secs = 30\n\
                 [[rotation_functions]]\n\
                 arn = \"arn:aws:lambda:us-east-1:111122223333:function:b\"\n\
                 url = \"builtin:random\"\n",
            )?;
            let file = Some(std::path::Path::new("c.toml"));
            let config = Config::load(file, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(
                config.rotation_functions.0,
                [
                    FunctionConfig {
                        arn: "arn:aws:lambda:us-east-1:111122223333:function:a".into(),
                        url: "http://127.0.0.1:9000".into(),
                        timeout_secs: Some(30),
                    },
                    FunctionConfig {
                        arn: "arn:aws:lambda:us-east-1:111122223333:function:b".into(),
                        url: "builtin:random".into(),
                        timeout_secs: None,
                    },
                ]
            );
            // The environment's list replaces the file's.
            jail.set_env(
                "COFFER_ROTATION_FUNCTIONS",
                "arn:aws:lambda:us-east-1:111122223333:function:c=http://127.0.0.1:9001/base",
            );
            let config = Config::load(file, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(
                config.rotation_functions.0,
                [FunctionConfig {
                    arn: "arn:aws:lambda:us-east-1:111122223333:function:c".into(),
                    url: "http://127.0.0.1:9001/base".into(),
                    timeout_secs: None,
                }]
            );
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
    fn connection_settings_come_from_the_environment_and_caps_must_be_positive() {
        figment::Jail::expect_with(|jail| {
            let defaults = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(defaults.header_read_timeout_secs, 20);
            assert_eq!(defaults.body_read_timeout_secs, 20);
            assert!(!defaults.allow_plaintext_non_loopback);
            assert!(defaults.caps().is_ok());
            jail.set_env("COFFER_MAX_CONNECTIONS_PER_IP", "7");
            jail.set_env("COFFER_ALLOW_PLAINTEXT_NON_LOOPBACK", "true");
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(config.max_connections_per_ip, 7);
            assert!(config.allow_plaintext_non_loopback);
            jail.set_env("COFFER_MAX_REQUESTS_IN_FLIGHT", "0");
            let config = Config::load(None, &Overrides::default()).map_err(|e| *e)?;
            assert_eq!(
                config.caps().map(|_| ()),
                Err("max_requests_in_flight must be at least 1".to_owned())
            );
            Ok(())
        });
    }
}
