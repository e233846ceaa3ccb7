//! The agent's configuration: AWS's agent's TOML keys, their defaults, ranges and error messages,
//! plus coffer's extensions (staleness, prefetch, metrics, upstream timeouts).

use std::borrow::Cow;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// AWS's agent's messages for out-of-range settings, word for word, so that a configuration that
/// AWS's agent refuses fails here with the same sentence.
pub mod messages {
    /// An unknown log level.
    pub const LOG_LEVEL: &str = "The log level specified in the configuration file isn't valid. The log level must be DEBUG, INFO, WARN, ERROR, or NONE.";
    /// A port outside 1024..=65535.
    pub const HTTP_PORT: &str = "The HTTP port specified in the configuration file isn't valid. The HTTP port must be in the range 1024 to 65535.";
    /// A TTL outside 0..=3600.
    pub const TTL_SECONDS: &str = "The TTL in seconds specified in the configuration file isn't valid. The TTL in seconds must be in the range 0 to 3600.";
    /// A cache size outside 1..=1000.
    pub const CACHE_SIZE: &str = "The cache size specified in the configuration file isn't valid. The cache size must be in the range 1 to 1000.";
    /// A connection limit outside 1..=1000.
    pub const MAX_CONN: &str = "The maximum number of connections specified in the configuration file isn't valid. The maximum number of connections must be in the range 1 to 1000.";
    /// An empty `ssrf_headers`.
    pub const EMPTY_SSRF_HEADERS: &str =
        "The list of SSRF headers in the configuration file can't be empty.";
    /// An empty `ssrf_env_variables`.
    pub const EMPTY_SSRF_ENV: &str =
        "The list of SSRF environment variables in the configuration file can't be empty.";
    /// A path prefix that does not start with `/`.
    pub const PATH_PREFIX: &str =
        "The path prefix specified in the configuration file must begin with /.";
    /// An `http_address` that is not an IPv4 address.
    pub const HTTP_ADDRESS: &str =
        "The HTTP address specified in the configuration file isn't valid. It must be an IPv4 address.";
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not TOML, an unknown key, or a value of the wrong type.
    #[error("invalid configuration file: {0}")]
    Parse(String),
    /// A value out of its range: the key, and AWS's agent's message (which names the range)
    /// for its keys, ours for ours.
    #[error("{key}: {message}")]
    Invalid {
        /// The setting.
        key: &'static str,
        /// What is wrong and what is allowed.
        message: Cow<'static, str>,
    },
}

impl ConfigError {
    fn invalid(key: &'static str, message: &'static str) -> Self {
        ConfigError::Invalid {
            key,
            message: Cow::Borrowed(message),
        }
    }
}

/// Every setting: key, default, allowed values and meaning, for `coffer-agent --help` (the
/// configuration table of docs/agent.md says the same at length).
pub const SETTINGS: &[(&str, &str, &str)] = &[
    ("log_level", "INFO", "DEBUG, INFO, WARN, ERROR or NONE (any case)"),
    ("log_to_file", "true", "true: logs/coffer_agent.log (rotated at 10 MiB, 5 kept); false: stderr"),
    ("http_address", "127.0.0.1", "IPv4 address to listen on"),
    ("http_port", "2773", "1024 to 65535"),
    ("region", "SDK chain", "upstream region"),
    ("ttl_seconds", "300", "0 to 3600; 0 disables caching"),
    ("cache_size", "1000", "1 to 1000 entries"),
    ("ssrf_headers", "[X-Aws-Parameters-Secrets-Token, X-Vault-Token]", "headers that may carry the token; not empty"),
    ("ssrf_env_variables", "[AWS_TOKEN, AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN]", "where the token comes from; not empty"),
    ("path_prefix", "/v1/", "prefix of path-style requests; starts with /"),
    ("max_conn", "800", "1 to 1000 open connections"),
    ("ignore_transient_errors", "true", "serve cached values through transient upstream failures"),
    ("validate_credentials", "true", "STS GetCallerIdentity at start; exit if refused (not with credentials_file_path)"),
    ("credentials_file_path", "unset", "AWS credentials file (profile AWS_PROFILE or default), re-read on change"),
    ("role_arn", "unset", "extension: IAM role assumed with the base credentials (STS AssumeRole)"),
    ("role_session_name", "coffer-agent", "extension: 2 to 64 characters of [A-Za-z0-9_+=,.@-]; needs role_arn"),
    ("external_id", "unset", "extension: 2 to 1224 characters of [A-Za-z0-9_+=,.@:/-]; needs role_arn"),
    ("max_stale_seconds", "3600", "extension: 0 to 604800 seconds past the TTL a value may be served while the upstream is down"),
    ("prefetch_secret_ids", "[]", "extension: ids fetched at start through BatchGetSecretValue"),
    ("prefetch_filters", "[]", "extension: BatchGetSecretValue filters fetched at start"),
    ("metrics", "true", "extension: serve GET /metrics"),
    ("metrics_open", "false", "extension: serve GET /metrics without the SSRF token"),
    ("upstream_timeout_seconds", "10", "extension: 1 to 600; limit on one upstream call, retries included"),
];

/// The log levels AWS's agent accepts (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Everything, including each upstream call.
    Debug,
    /// Start-up, prefetch and stale serves.
    Info,
    /// Upstream failures.
    Warn,
    /// Only errors.
    Error,
    /// Nothing.
    None,
}

impl LogLevel {
    /// The `tracing` filter directive for this level.
    pub fn filter(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::None => "off",
        }
    }
}

/// One `BatchGetSecretValue` filter for the start-up prefetch (`key` is one of the filter keys
/// AWS documents: `name`, `tag-key`, `tag-value`, `description`, `primary-region`, `all`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefetchFilter {
    /// The filter key.
    pub key: String,
    /// The values to match.
    pub values: Vec<String>,
}

/// The typed configuration. Build it with [`Config::from_toml`] or [`Config::load`]; `Default`
/// is AWS's agent's defaults plus ours.
#[derive(Debug, Clone)]
pub struct Config {
    /// Log verbosity (`log_level`).
    pub log_level: LogLevel,
    /// The address to listen on (`http_address`, default 127.0.0.1).
    pub http_address: Ipv4Addr,
    /// The port to listen on (`http_port`, 1024–65535, default 2773).
    pub http_port: u16,
    /// The upstream region (`region`); `None` lets the SDK's region chain decide.
    pub region: Option<String>,
    /// How long a cached value is served without asking the upstream (`ttl_seconds`, 0–3600,
    /// default 300; 0 disables caching).
    pub ttl: Duration,
    /// The most entries the cache holds (`cache_size`, 1–1000, default 1000).
    pub cache_size: usize,
    /// Request headers that may carry the SSRF token, checked in order.
    pub ssrf_headers: Vec<String>,
    /// Environment variables that may hold the SSRF token; the first one set wins.
    pub ssrf_env_variables: Vec<String>,
    /// The prefix of path-style requests (`path_prefix`, default `/v1/`).
    pub path_prefix: String,
    /// The most open client connections (`max_conn`, 1–1000, default 800).
    pub max_conn: usize,
    /// AWS's `ignore_transient_errors` (default true): serve the cached value when a refresh fails
    /// with a transient error. Ours bounds it by `max_stale`; `false` turns stale serving off.
    pub ignore_transient_errors: bool,
    /// AWS's `validate_credentials`; accepted for compatibility (see docs/agent.md).
    pub validate_credentials: bool,
    /// AWS's `log_to_file`; accepted for compatibility, coffer-agent always logs to stderr.
    pub log_to_file: bool,
    /// Extension: how long past its TTL a value may still be served while the upstream is down
    /// (`max_stale_seconds`, default 3600; 0 disables).
    pub max_stale: Duration,
    /// Extension: secret ids fetched into the cache at start (`prefetch_secret_ids`).
    pub prefetch_secret_ids: Vec<String>,
    /// Extension: `BatchGetSecretValue` filters whose secrets are fetched at start
    /// (`prefetch_filters`).
    pub prefetch_filters: Vec<PrefetchFilter>,
    /// Extension: whether `GET /metrics` answers (`metrics`, default true).
    pub metrics: bool,
    /// Extension: whether `GET /metrics` answers without the SSRF token (`metrics_open`,
    /// default false: the metrics follow the secrets path's token rules).
    pub metrics_open: bool,
    /// Extension: the limit on one upstream call, retries included (`upstream_timeout_seconds`,
    /// default 10).
    pub upstream_timeout: Duration,
    /// AWS's `credentials_file_path`: upstream credentials from this AWS credentials file
    /// (profile `AWS_PROFILE` or `default`) instead of the SDK's chain, re-read on change.
    pub credentials_file_path: Option<PathBuf>,
    /// Extension: a role assumed (STS AssumeRole) with the base credentials (`role_arn`).
    pub role_arn: Option<String>,
    /// Extension: the session name for `role_arn` (`role_session_name`, default `coffer-agent`).
    pub role_session_name: Option<String>,
    /// Extension: the external id for `role_arn` (`external_id`).
    pub external_id: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            log_level: LogLevel::Info,
            http_address: Ipv4Addr::LOCALHOST,
            http_port: 2773,
            region: None,
            ttl: Duration::from_secs(300),
            cache_size: 1000,
            ssrf_headers: vec![
                "X-Aws-Parameters-Secrets-Token".to_owned(),
                "X-Vault-Token".to_owned(),
            ],
            ssrf_env_variables: vec![
                "AWS_TOKEN".to_owned(),
                "AWS_SESSION_TOKEN".to_owned(),
                "AWS_CONTAINER_AUTHORIZATION_TOKEN".to_owned(),
            ],
            path_prefix: "/v1/".to_owned(),
            max_conn: 800,
            ignore_transient_errors: true,
            validate_credentials: true,
            log_to_file: true,
            max_stale: Duration::from_secs(3600),
            prefetch_secret_ids: Vec::new(),
            prefetch_filters: Vec::new(),
            metrics: true,
            metrics_open: false,
            upstream_timeout: Duration::from_secs(10),
            credentials_file_path: None,
            role_arn: None,
            role_session_name: None,
            external_id: None,
        }
    }
}

/// A number written as a TOML integer or as a string (`http_port = "2773"`,
/// `cache_size = '1000'`): AWS's agent accepts both, so its files load here unchanged.
#[derive(Debug, Clone)]
struct Number(String);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Text(String),
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Int(n) => Number(n.to_string()),
            Raw::Text(s) => Number(s.trim().to_owned()),
        })
    }
}

impl Number {
    /// The number when it parses and lies in `range`, else AWS's message for the key.
    fn in_range(
        &self,
        key: &'static str,
        range: std::ops::RangeInclusive<u64>,
        message: &'static str,
    ) -> Result<u64, ConfigError> {
        match self.0.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ConfigError::invalid(key, message)),
        }
    }
}

/// The file as written: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    log_level: Option<String>,
    log_to_file: Option<bool>,
    http_address: Option<String>,
    http_port: Option<Number>,
    region: Option<String>,
    ttl_seconds: Option<Number>,
    cache_size: Option<Number>,
    ssrf_headers: Option<Vec<String>>,
    ssrf_env_variables: Option<Vec<String>>,
    path_prefix: Option<String>,
    max_conn: Option<Number>,
    ignore_transient_errors: Option<bool>,
    validate_credentials: Option<bool>,
    max_stale_seconds: Option<Number>,
    prefetch_secret_ids: Option<Vec<String>>,
    prefetch_filters: Option<Vec<PrefetchFilter>>,
    metrics: Option<bool>,
    metrics_open: Option<bool>,
    upstream_timeout_seconds: Option<Number>,
    credentials_file_path: Option<PathBuf>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    external_id: Option<String>,
}

/// Whether `value` has `min..=max` characters, each alphanumeric, `_` or one of `extra` (the
/// patterns STS gives `RoleSessionName` and `ExternalId`).
fn sts_text(value: &str, min: usize, max: usize, extra: &str) -> bool {
    (min..=max).contains(&value.chars().count())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
}

impl Config {
    /// Reads and validates a TOML file; `None` gives the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            None => Ok(Config::default()),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                Config::from_toml(&text)
            }
        }
    }

    /// Parses and validates TOML text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| ConfigError::Parse(e.message().to_owned()))?;
        let mut config = Config::default();
        if let Some(level) = file.log_level {
            config.log_level = match level.to_ascii_lowercase().as_str() {
                "debug" => LogLevel::Debug,
                "info" => LogLevel::Info,
                "warn" => LogLevel::Warn,
                "error" => LogLevel::Error,
                "none" => LogLevel::None,
                _ => return Err(ConfigError::invalid("log_level", messages::LOG_LEVEL)),
            };
        }
        if let Some(address) = file.http_address {
            config.http_address = address
                .parse()
                .map_err(|_| ConfigError::invalid("http_address", messages::HTTP_ADDRESS))?;
        }
        if let Some(port) = file.http_port {
            // The range check makes the narrowing exact.
            config.http_port =
                port.in_range("http_port", 1024..=65535, messages::HTTP_PORT)? as u16;
        }
        config.region = file.region.or(config.region);
        if let Some(ttl) = file.ttl_seconds {
            config.ttl = Duration::from_secs(ttl.in_range(
                "ttl_seconds",
                0..=3600,
                messages::TTL_SECONDS,
            )?);
        }
        if let Some(size) = file.cache_size {
            config.cache_size =
                size.in_range("cache_size", 1..=1000, messages::CACHE_SIZE)? as usize;
        }
        if let Some(headers) = file.ssrf_headers {
            if headers.is_empty() {
                return Err(ConfigError::invalid(
                    "ssrf_headers",
                    messages::EMPTY_SSRF_HEADERS,
                ));
            }
            config.ssrf_headers = headers;
        }
        if let Some(vars) = file.ssrf_env_variables {
            if vars.is_empty() {
                return Err(ConfigError::invalid(
                    "ssrf_env_variables",
                    messages::EMPTY_SSRF_ENV,
                ));
            }
            config.ssrf_env_variables = vars;
        }
        if let Some(prefix) = file.path_prefix {
            if !prefix.starts_with('/') {
                return Err(ConfigError::invalid("path_prefix", messages::PATH_PREFIX));
            }
            config.path_prefix = prefix;
        }
        if let Some(max) = file.max_conn {
            config.max_conn = max.in_range("max_conn", 1..=1000, messages::MAX_CONN)? as usize;
        }
        config.ignore_transient_errors = file
            .ignore_transient_errors
            .unwrap_or(config.ignore_transient_errors);
        config.validate_credentials = file
            .validate_credentials
            .unwrap_or(config.validate_credentials);
        config.log_to_file = file.log_to_file.unwrap_or(config.log_to_file);
        if let Some(stale) = file.max_stale_seconds {
            config.max_stale = Duration::from_secs(stale.in_range(
                "max_stale_seconds",
                0..=7 * 24 * 3600,
                "max_stale_seconds must be in the range 0 to 604800.",
            )?);
        }
        config.prefetch_secret_ids = file.prefetch_secret_ids.unwrap_or_default();
        config.prefetch_filters = file.prefetch_filters.unwrap_or_default();
        config.metrics = file.metrics.unwrap_or(config.metrics);
        config.metrics_open = file.metrics_open.unwrap_or(config.metrics_open);
        if let Some(timeout) = file.upstream_timeout_seconds {
            config.upstream_timeout = Duration::from_secs(timeout.in_range(
                "upstream_timeout_seconds",
                1..=600,
                "upstream_timeout_seconds must be in the range 1 to 600.",
            )?);
        }
        config.credentials_file_path = file.credentials_file_path;
        if let Some(arn) = &file.role_arn {
            let parts: Vec<&str> = arn.splitn(6, ':').collect();
            if parts.len() != 6
                || parts[0] != "arn"
                || parts[2] != "iam"
                || !parts[5].starts_with("role/")
            {
                return Err(ConfigError::invalid(
                    "role_arn",
                    "must be an IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/NAME.",
                ));
            }
        }
        if let Some(name) = &file.role_session_name {
            if !sts_text(name, 2, 64, "+=,.@-") {
                return Err(ConfigError::invalid(
                    "role_session_name",
                    "must be 2 to 64 characters of letters, digits and _+=,.@-",
                ));
            }
        }
        if let Some(id) = &file.external_id {
            if !sts_text(id, 2, 1224, "+=,.@:/-") {
                return Err(ConfigError::invalid(
                    "external_id",
                    "must be 2 to 1224 characters of letters, digits and _+=,.@:/-",
                ));
            }
        }
        if file.role_arn.is_none() {
            if file.role_session_name.is_some() {
                return Err(ConfigError::invalid("role_session_name", "needs role_arn."));
            }
            if file.external_id.is_some() {
                return Err(ConfigError::invalid("external_id", "needs role_arn."));
            }
        }
        config.role_arn = file.role_arn;
        config.role_session_name = file.role_session_name;
        config.external_id = file.external_id;
        Ok(config)
    }

    /// The longest a value may be served past its TTL while the upstream fails transiently.
    pub fn effective_max_stale(&self) -> Duration {
        if self.ignore_transient_errors {
            self.max_stale
        } else {
            Duration::ZERO
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_match_aws() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.http_port, 2773);
        assert_eq!(c.http_address, Ipv4Addr::LOCALHOST);
        assert_eq!(c.ttl, Duration::from_secs(300));
        assert_eq!(c.cache_size, 1000);
        assert_eq!(c.max_conn, 800);
        assert_eq!(c.path_prefix, "/v1/");
        assert_eq!(
            c.ssrf_headers,
            ["X-Aws-Parameters-Secrets-Token", "X-Vault-Token"]
        );
        assert_eq!(
            c.ssrf_env_variables,
            [
                "AWS_TOKEN",
                "AWS_SESSION_TOKEN",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN"
            ]
        );
        assert_eq!(c.log_level, LogLevel::Info);
    }

    #[test]
    fn aws_agent_file_loads_unchanged() {
        // Numbers as integers, double- and single-quoted strings; log level in capitals.
        let c = Config::from_toml(
            r#"
log_level = "DEBUG"
http_address = "127.0.0.1"
http_port = "65535"
ssrf_headers = ["X-Aws-Parameters-Secrets-Token"]
ssrf_env_variables = ["MY_TOKEN"]
path_prefix = "/other"
ttl_seconds = 300
cache_size = '1000'
max_conn = 10
region = "us-west-2"
ignore_transient_errors = false
validate_credentials = false
log_to_file = false
"#,
        )
        .unwrap();
        assert_eq!(c.log_level, LogLevel::Debug);
        assert_eq!(c.http_port, 65535);
        assert_eq!(c.max_conn, 10);
        assert_eq!(c.region.as_deref(), Some("us-west-2"));
        assert_eq!(c.path_prefix, "/other");
        assert_eq!(c.effective_max_stale(), Duration::ZERO);
    }

    #[test]
    fn extensions_load() {
        let c = Config::from_toml(
            r#"
max_stale_seconds = 60
prefetch_secret_ids = ["a", "b"]
prefetch_filters = [{ key = "tag-key", values = ["team"] }]
metrics = false
metrics_open = true
upstream_timeout_seconds = 2
"#,
        )
        .unwrap();
        assert!(c.metrics_open);
        assert!(!Config::default().metrics_open);
        assert_eq!(c.effective_max_stale(), Duration::from_secs(60));
        assert_eq!(c.prefetch_secret_ids, ["a", "b"]);
        assert_eq!(c.prefetch_filters[0].key, "tag-key");
        assert!(!c.metrics);
        assert_eq!(c.upstream_timeout, Duration::from_secs(2));
    }

    fn invalid(text: &str) -> String {
        Config::from_toml(text).unwrap_err().to_string()
    }

    /// The message of a refused value, which must name its key first.
    fn refused(key: &str, text: &str) -> String {
        let message = invalid(text);
        message
            .strip_prefix(&format!("{key}: "))
            .unwrap_or_else(|| panic!("{message:?} does not start with {key}"))
            .to_owned()
    }

    #[test]
    fn out_of_range_values_get_aws_messages() {
        assert_eq!(
            refused("ttl_seconds", "ttl_seconds = 3601"),
            messages::TTL_SECONDS
        );
        assert_eq!(
            refused("ttl_seconds", "ttl_seconds = -1"),
            messages::TTL_SECONDS
        );
        assert_eq!(
            refused("cache_size", "cache_size = 0"),
            messages::CACHE_SIZE
        );
        assert_eq!(
            refused("cache_size", "cache_size = 1001"),
            messages::CACHE_SIZE
        );
        assert_eq!(
            refused("http_port", "http_port = 1023"),
            messages::HTTP_PORT
        );
        assert_eq!(
            refused("http_port", "http_port = \"x\""),
            messages::HTTP_PORT
        );
        assert_eq!(refused("max_conn", "max_conn = 1001"), messages::MAX_CONN);
        assert_eq!(
            refused("log_level", "log_level = \"loud\""),
            messages::LOG_LEVEL
        );
        assert_eq!(
            refused("ssrf_headers", "ssrf_headers = []"),
            messages::EMPTY_SSRF_HEADERS
        );
        assert_eq!(
            refused("ssrf_env_variables", "ssrf_env_variables = []"),
            messages::EMPTY_SSRF_ENV
        );
        assert_eq!(
            refused("path_prefix", "path_prefix = \"v1\""),
            messages::PATH_PREFIX
        );
        assert_eq!(
            Config::from_toml("ttl_seconds = 0").unwrap().ttl,
            Duration::ZERO
        );
    }

    #[test]
    fn credentials_and_role_settings() {
        let c = Config::from_toml(
            r#"
credentials_file_path = "/etc/coffer-agent/credentials"
role_arn = "arn:aws:iam::123456789012:role/reader"
role_session_name = "web-1"
external_id = "tenant:42"
"#,
        )
        .unwrap();
        assert_eq!(
            c.credentials_file_path.as_deref(),
            Some(Path::new("/etc/coffer-agent/credentials"))
        );
        assert_eq!(
            c.role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/reader")
        );
        assert_eq!(
            refused("role_arn", "role_arn = \"arn:aws:iam::1:user/x\""),
            "must be an IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/NAME."
        );
        assert_eq!(
            refused(
                "role_session_name",
                "role_arn = \"arn:aws:iam::1:role/r\"\nrole_session_name = \"a b\""
            ),
            "must be 2 to 64 characters of letters, digits and _+=,.@-"
        );
        assert_eq!(
            refused("external_id", "external_id = \"xyz\""),
            "needs role_arn."
        );
    }

    #[test]
    fn every_setting_is_listed_for_help_and_known() {
        for (key, _, _) in SETTINGS {
            let e = Config::from_toml(&format!("{key} = []"))
                .err()
                .map(|e| e.to_string());
            // A wrong type, maybe, but never an unknown key.
            assert!(
                !e.as_deref().unwrap_or("").contains("unknown field"),
                "{key}: {e:?}"
            );
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = invalid("ttl_secondz = 5");
        assert!(e.contains("unknown field `ttl_secondz`"), "{e}");
        let e = invalid("prefetch_filters = [{ key = \"name\", values = [], extra = 1 }]");
        assert!(e.contains("unknown field `extra`"), "{e}");
    }
}
