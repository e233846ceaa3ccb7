//! The upstream: coffer or AWS through the official SDK. Turns SDK outputs into the response
//! bodies AWS's agent sends, and SDK errors into the statuses and bodies it sends.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::primitives::{Blob, DateTime};
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};
use aws_sdk_secretsmanager::Client;
use base64::Engine as _;
use bytes::Bytes;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::config::{Config, PrefetchFilter};
use crate::key::Key;
use crate::metrics::{Metrics, Operation};
use std::sync::Arc;

/// Response bytes that hold a secret: zeroed when the last reference (the cache's entry or a
/// response still being written) is dropped.
struct ZeroOnDrop(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for ZeroOnDrop {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A `GetSecretValue` result, ready to serve.
#[derive(Clone)]
pub struct Fetched {
    /// The JSON body, as AWS's agent writes it; zeroed on its last drop.
    pub body: Bytes,
    /// The secret's ARN (revalidation asks `DescribeSecret` by ARN).
    pub arn: String,
    /// The secret's name.
    pub name: String,
    /// The version the body holds.
    pub version_id: String,
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("arn", &self.arn)
            .field("version_id", &self.version_id)
            .field("body", &"<redacted>")
            .finish()
    }
}

/// An upstream failure as the client sees it: status and body, plus whether it is transient
/// (a 5xx or throttling answer, a timeout, a connection failure), which allows a stale serve.
#[derive(Debug, Clone)]
pub struct UpstreamError {
    /// HTTP status for the client.
    pub status: u16,
    /// The `__type`.
    pub code: String,
    /// The message; empty for `InternalFailure`.
    pub message: String,
    /// Whether a cached value may stand in.
    pub transient: bool,
}

impl UpstreamError {
    fn internal(transient: bool) -> Self {
        UpstreamError {
            status: 500,
            code: "InternalFailure".to_owned(),
            message: String::new(),
            transient,
        }
    }

    /// The response body, byte for byte as AWS's agent writes it
    /// (`{"__type":"CODE", "message":"MESSAGE"}`, with its space after the comma, or
    /// `{"__type":"InternalFailure"}` when there is no message), except that the code and the
    /// message are JSON-escaped: AWS's agent formats them in raw, which breaks the JSON when a
    /// message holds a quote or a backslash.
    pub fn body(&self) -> Bytes {
        if self.message.is_empty() || self.code == "InternalFailure" {
            return Bytes::from_static(b"{\"__type\":\"InternalFailure\"}");
        }
        let quoted = |text: &str| serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned());
        Bytes::from(format!(
            "{{\"__type\":{}, \"message\":{}}}",
            quoted(&self.code),
            quoted(&self.message)
        ))
    }

    /// Maps an SDK error the way AWS's agent does: service errors keep their code, message and
    /// status; timeouts are 504 `TimeoutError`; connection failures 502 `ConnectionError`;
    /// anything else 500 `InternalFailure`.
    fn from_sdk<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Self {
        match err {
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let meta = service.err();
                match (meta.code(), meta.message()) {
                    (Some(code), Some(message)) => UpstreamError {
                        status,
                        code: code.to_owned(),
                        message: message.to_owned(),
                        transient: transient_answer(status, Some(code)),
                    },
                    (code, _) => UpstreamError::internal(transient_answer(status, code)),
                }
            }
            SdkError::TimeoutError(_) => Self::simple(504, "TimeoutError", "Timeout"),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => {
                Self::simple(504, "TimeoutError", "Timeout")
            }
            SdkError::DispatchFailure(failure) if failure.is_io() => {
                Self::simple(502, "ConnectionError", "Read Error")
            }
            SdkError::ResponseError(_) => Self::simple(502, "ConnectionError", "Response Error"),
            SdkError::DispatchFailure(_) => UpstreamError::internal(true),
            _ => UpstreamError::internal(false),
        }
    }

    fn simple(status: u16, code: &str, message: &str) -> Self {
        UpstreamError {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
            transient: true,
        }
    }
}

/// Error codes of transient answers, whatever their status: throttling (AWS and coffer answer
/// `ThrottlingException` with HTTP 400) and a request timeout (coffer's 408
/// `RequestTimeoutException`). The SDK's retry lists (`aws_runtime::retries::classifiers`) less
/// the codes that are no outage here: `LimitExceededException` is Secrets Manager's quota error,
/// and the DynamoDB and EC2 codes never come from this API.
const TRANSIENT_CODES: [&str; 10] = [
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// Whether an upstream answer is transient: a 5xx, a 429, or a transient code.
fn transient_answer(status: u16, code: Option<&str>) -> bool {
    status >= 500 || status == 429 || code.is_some_and(|c| TRANSIENT_CODES.contains(&c))
}

/// The body AWS's agent sends on success: `GetSecretValue`'s members, `CreatedDate` as a string
/// of epoch seconds with fraction.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SecretBody<'a> {
    #[serde(rename = "ARN")]
    arn: Option<&'a str>,
    name: Option<&'a str>,
    version_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_string: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_binary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_stages: Option<&'a [String]>,
    created_date: Option<String>,
}

/// The parts of a secret value, whichever SDK output they came from.
struct Parts {
    arn: Option<String>,
    name: Option<String>,
    version_id: Option<String>,
    secret_string: Option<Zeroizing<String>>,
    secret_binary: Option<Blob>,
    version_stages: Option<Vec<String>>,
    created_date: Option<DateTime>,
}

impl Parts {
    /// Serializes into a buffer sized up front, so that no reallocation leaves an unzeroed copy
    /// of the secret behind.
    fn into_fetched(self) -> Result<Fetched, UpstreamError> {
        let binary = self.secret_binary.map(|blob| {
            let bytes = Zeroizing::new(blob.into_inner());
            Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*bytes))
        });
        let secret_len = self.secret_string.as_ref().map_or(0, |s| s.len())
            + binary.as_ref().map_or(0, |s| s.len());
        // JSON escaping at most doubles ordinary text (control characters are rare in secrets;
        // should they overflow this, the rest is still correct, only not guaranteed zeroed).
        let mut buffer = Zeroizing::new(Vec::with_capacity(secret_len * 2 + 1024));
        let body = SecretBody {
            arn: self.arn.as_deref(),
            name: self.name.as_deref(),
            version_id: self.version_id.as_deref(),
            secret_string: self.secret_string.as_deref().map(|s| s.as_str()),
            secret_binary: binary.as_deref().map(|s| s.as_str()),
            version_stages: self.version_stages.as_deref(),
            created_date: self.created_date.map(|d| d.as_secs_f64().to_string()),
        };
        serde_json::to_writer(&mut *buffer, &body).map_err(|_| UpstreamError::internal(false))?;
        let arn = self.arn.ok_or_else(|| UpstreamError::internal(false))?;
        Ok(Fetched {
            body: Bytes::from_owner(ZeroOnDrop(buffer)),
            name: self.name.unwrap_or_default(),
            arn,
            version_id: self.version_id.unwrap_or_default(),
        })
    }
}

/// The SDK client with call accounting.
#[derive(Clone)]
pub struct Upstream {
    client: Client,
    metrics: Arc<Metrics>,
}

impl Upstream {
    /// Wraps a client; every call is counted in `metrics`.
    pub fn new(client: Client, metrics: Arc<Metrics>) -> Self {
        Upstream { client, metrics }
    }

    fn record<T>(&self, operation: Operation, started: Instant, result: &Result<T, UpstreamError>) {
        self.metrics
            .upstream_call(operation, started.elapsed(), result.is_err());
        if let Err(e) = result {
            tracing::warn!(
                operation = operation.name(),
                status = e.status,
                code = %e.code,
                "upstream call failed"
            );
        }
    }

    /// `GetSecretValue` for one cache key.
    pub async fn get_secret_value(&self, key: &Key) -> Result<Fetched, UpstreamError> {
        let started = Instant::now();
        let result = self
            .client
            .get_secret_value()
            .secret_id(&key.secret_id)
            .set_version_id(key.version_id.clone())
            .set_version_stage(key.version_stage.clone())
            .send()
            .await
            .map_err(|e| UpstreamError::from_sdk(&e))
            .and_then(|mut out| {
                Parts {
                    arn: out.arn.take(),
                    name: out.name.take(),
                    version_id: out.version_id.take(),
                    secret_string: out.secret_string.take().map(Zeroizing::new),
                    secret_binary: out.secret_binary.take(),
                    version_stages: out.version_stages.take(),
                    created_date: out.created_date.take(),
                }
                .into_fetched()
            });
        self.record(Operation::GetSecretValue, started, &result);
        result
    }

    /// `DescribeSecret`'s `VersionIdsToStages` (empty when the secret has no versions).
    pub async fn versions(&self, arn: &str) -> Result<HashMap<String, Vec<String>>, UpstreamError> {
        let started = Instant::now();
        let result = self
            .client
            .describe_secret()
            .secret_id(arn)
            .send()
            .await
            .map(|mut out| out.version_ids_to_stages.take().unwrap_or_default())
            .map_err(|e| UpstreamError::from_sdk(&e));
        self.record(Operation::DescribeSecret, started, &result);
        result
    }

    /// The current values of `ids` (in pages of 20, the API's limit) and of the secrets matching
    /// `filters`, through `BatchGetSecretValue`. Per-secret errors are logged and skipped.
    pub async fn batch_get(
        &self,
        ids: &[String],
        filters: &[PrefetchFilter],
    ) -> Result<Vec<(String, Fetched)>, UpstreamError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(20) {
            let mut token = None;
            loop {
                let (page, next) = self.batch_page(Some(chunk.to_vec()), None, token).await?;
                // By id: cache under the id the configuration names (what applications ask for).
                for fetched in page {
                    let id = chunk
                        .iter()
                        .find(|id| **id == fetched.name || **id == fetched.arn)
                        .cloned()
                        .unwrap_or_else(|| fetched.name.clone());
                    found.push((id, fetched));
                }
                match next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
        if !filters.is_empty() {
            let sdk_filters: Vec<Filter> = filters
                .iter()
                .map(|f| {
                    Filter::builder()
                        .key(FilterNameStringType::from(f.key.as_str()))
                        .set_values(Some(f.values.clone()))
                        .build()
                })
                .collect();
            let mut token = None;
            loop {
                let (page, next) = self
                    .batch_page(None, Some(sdk_filters.clone()), token)
                    .await?;
                // By filter: cache under the name.
                found.extend(page.into_iter().map(|f| (f.name.clone(), f)));
                match next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
        Ok(found)
    }

    async fn batch_page(
        &self,
        ids: Option<Vec<String>>,
        filters: Option<Vec<Filter>>,
        token: Option<String>,
    ) -> Result<(Vec<Fetched>, Option<String>), UpstreamError> {
        let started = Instant::now();
        let result = self
            .client
            .batch_get_secret_value()
            .set_secret_id_list(ids)
            .set_filters(filters)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| UpstreamError::from_sdk(&e));
        self.record(Operation::BatchGetSecretValue, started, &result);
        let mut out = result?;
        for error in out.errors.take().unwrap_or_default() {
            tracing::warn!(
                secret_id = error.secret_id().unwrap_or_default(),
                code = error.error_code().unwrap_or_default(),
                "prefetch: secret skipped"
            );
        }
        let mut page = Vec::new();
        for mut entry in out.secret_values.take().unwrap_or_default() {
            page.push(
                Parts {
                    arn: entry.arn.take(),
                    name: entry.name.take(),
                    version_id: entry.version_id.take(),
                    secret_string: entry.secret_string.take().map(Zeroizing::new),
                    secret_binary: entry.secret_binary.take(),
                    version_stages: entry.version_stages.take(),
                    created_date: entry.created_date.take(),
                }
                .into_fetched()?,
            );
        }
        Ok((page, out.next_token.take()))
    }
}

/// The upstream clients: Secrets Manager for the cache, STS for the start-up credential check.
#[derive(Clone, Debug)]
pub struct Clients {
    /// Secrets Manager (coffer or AWS).
    pub secrets_manager: Client,
    /// STS on the upstream (`AWS_ENDPOINT_URL_STS`, else the Secrets Manager endpoint).
    pub sts: aws_sdk_sts::Client,
}

/// The STS endpoint: `AWS_ENDPOINT_URL_STS`, else the Secrets Manager endpoint
/// (`AWS_ENDPOINT_URL_SECRETS_MANAGER`; coffer answers STS on the same port), else `None`: the
/// SDK's own resolution (`AWS_ENDPOINT_URL`, else AWS).
fn sts_endpoint() -> Option<String> {
    ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SECRETS_MANAGER"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}

/// An SDK client built the standard way: region, credentials (environment, shared profile,
/// container and instance credentials) and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SECRETS_MANAGER`
/// from the environment, with `region` and the upstream timeout from the configuration.
pub async fn client_from_environment(config: &Config) -> Client {
    clients_from_environment(config).await.secrets_manager
}

/// The clients, built as [`client_from_environment`] says, with the configuration's credential
/// settings: `credentials_file_path` replaces the SDK's credential chain by the file (read
/// again before each call when it changed: no identity cache), `role_arn` assumes that role
/// on the upstream's STS with the base credentials, its session refreshed by the SDK's
/// identity cache before it expires.
pub async fn clients_from_environment(config: &Config) -> Clients {
    use aws_config::identity::IdentityCache;
    use aws_config::timeout::TimeoutConfig;
    use aws_config::{AppName, BehaviorVersion, Region};

    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_timeout(config.upstream_timeout)
            .build(),
    );
    if let Ok(name) = AppName::new("coffer-agent") {
        loader = loader.app_name(name);
    }
    if let Some(region) = &config.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(path) = &config.credentials_file_path {
        let profile = std::env::var("AWS_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "default".to_owned());
        loader = loader
            .credentials_provider(crate::credentials::FileCredentials::new(path, profile))
            .identity_cache(IdentityCache::no_cache());
    }
    clients_with(config, loader.load().await, sts_endpoint()).await
}

/// The clients for `base` (region, endpoint, base credentials and their identity cache already
/// set): with `role_arn`, the Secrets Manager client signs with the role's session, assumed on
/// the STS at `sts_endpoint` (else `base`'s) with `base`'s credentials and renewed by the SDK's
/// lazy identity cache shortly before it expires (measured on `base`'s time source).
pub async fn clients_with(
    config: &Config,
    base: aws_config::SdkConfig,
    sts_endpoint: Option<String>,
) -> Clients {
    use aws_config::identity::IdentityCache;
    use aws_config::sts::AssumeRoleProvider;
    use aws_credential_types::provider::SharedCredentialsProvider;

    let sts_config = match &sts_endpoint {
        Some(endpoint) => base.to_builder().endpoint_url(endpoint).build(),
        None => base.clone(),
    };
    let shared = match &config.role_arn {
        None => base,
        Some(role_arn) => {
            let mut role = AssumeRoleProvider::builder(role_arn.clone())
                .session_name(
                    config
                        .role_session_name
                        .clone()
                        .unwrap_or_else(|| "coffer-agent".to_owned()),
                )
                .configure(&sts_config);
            if let Some(id) = &config.external_id {
                role = role.external_id(id.clone());
            }
            let provider = role.build().await;
            base.to_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .identity_cache(IdentityCache::lazy().build())
                .build()
        }
    };
    let mut sts = aws_sdk_sts::config::Builder::from(&shared);
    if let Some(endpoint) = sts_endpoint {
        sts = sts.endpoint_url(endpoint);
    }
    Clients {
        secrets_manager: Client::new(&shared),
        sts: aws_sdk_sts::Client::from_conf(sts.build()),
    }
}

/// Why the start-up credential check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialCheckError {
    /// The upstream answered and refused the credentials (code, status, message).
    Refused(String),
    /// The upstream could not be asked (unreachable, timed out, 5xx, throttled): AWS's agent
    /// starts anyway when `ignore_transient_errors` is on.
    Transient(String),
}

impl std::fmt::Display for CredentialCheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialCheckError::Refused(m) | CredentialCheckError::Transient(m) => f.write_str(m),
        }
    }
}

/// `validate_credentials`: one STS `GetCallerIdentity`; the caller's ARN, or why the credentials
/// were refused (code, status and message) or could not be checked.
pub async fn check_credentials(sts: &aws_sdk_sts::Client) -> Result<String, CredentialCheckError> {
    match sts.get_caller_identity().send().await {
        Ok(out) => Ok(out.arn.unwrap_or_default()),
        Err(SdkError::ServiceError(service)) => {
            let meta = service.err();
            let status = service.raw().status().as_u16();
            let text = format!(
                "{} (HTTP {status}): {}",
                meta.code().unwrap_or("unknown error"),
                meta.message().unwrap_or("")
            );
            if transient_answer(status, meta.code()) {
                Err(CredentialCheckError::Transient(text))
            } else {
                Err(CredentialCheckError::Refused(text))
            }
        }
        Err(e) => {
            let transient = match &e {
                SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
                SdkError::DispatchFailure(failure) => failure.is_io() || failure.is_timeout(),
                _ => false,
            };
            let text = aws_sdk_sts::error::DisplayErrorContext(&e).to_string();
            if transient {
                Err(CredentialCheckError::Transient(text))
            } else {
                Err(CredentialCheckError::Refused(text))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::transient_answer;

    #[test]
    fn outages_are_transient_and_refusals_are_not() {
        for (status, code) in [
            (500, None),
            (503, Some("ServiceUnavailable")),
            (429, None),
            (400, Some("ThrottlingException")),
            (408, Some("RequestTimeoutException")),
        ] {
            assert!(transient_answer(status, code), "{status} {code:?}");
        }
        for (status, code) in [
            (400, Some("ResourceNotFoundException")),
            (400, Some("AccessDeniedException")),
            (400, Some("LimitExceededException")),
            (400, None),
            (404, None),
        ] {
            assert!(!transient_answer(status, code), "{status} {code:?}");
        }
    }
}
