//! Helpers shared by the API test files: a fresh server per test, an SDK client for it, error
//! extraction, and a hand-signed raw HTTP helper for what the SDK will not send.
//!
//! Each integration test file includes this module and uses only part of it, so unused items
//! are allowed here.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::Client;
use chrono::Utc;

pub mod iam;
pub use coffer_test_support::pg;
mod raw;
#[allow(unused_imports)]
pub use raw::{Raw, RawResponse, Signing};

/// AWS's message for a secret that does not exist.
pub const MSG_NOT_FOUND: &str = "Secrets Manager can't find the specified secret.";
/// AWS's message for an operation on a secret scheduled for deletion.
pub const MSG_MARKED_FOR_DELETION: &str =
    "You can't perform this operation on the secret because it was marked for deletion.";
/// AWS's message for a create over a name scheduled for deletion.
pub const MSG_NAME_SCHEDULED_FOR_DELETION: &str =
    "You can't create this secret because a secret with this name is already scheduled for deletion.";
/// AWS's message for a raw write without a ClientRequestToken.
pub const MSG_TOKEN_REQUIRED: &str =
    "You must provide a ClientRequestToken value. We recommend a UUID-type value.";
/// AWS's message for a VersionId and VersionStage that disagree.
pub const MSG_STAGE_NOT_ON_VERSION: &str =
    "You provided a VersionStage that is not associated to the provided VersionId.";
/// AWS's message for a recovery window out of range.
pub const MSG_RECOVERY_WINDOW: &str =
    "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).";
/// AWS's message for an invalid name.
pub const MSG_INVALID_NAME: &str = "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!";
/// AWS's message for a signature that does not match.
pub const MSG_BAD_SIGNATURE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
/// AWS's message for an unknown access key id.
pub const MSG_UNRECOGNIZED: &str = "The security token included in the request is invalid.";
/// The awsJson 1.1 content type.
pub const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// "Secrets Manager can't find the specified secret value for staging label: <stage>".
pub fn msg_no_value_for_stage(stage: &str) -> String {
    format!("Secrets Manager can't find the specified secret value for staging label: {stage}")
}

/// "Secrets Manager can't find the specified secret value for VersionId: <id>".
pub fn msg_no_value_for_version(id: &str) -> String {
    format!("Secrets Manager can't find the specified secret value for VersionId: {id}")
}

/// "The operation failed because the secret <name> already exists."
pub fn msg_already_exists(name: &str) -> String {
    format!("The operation failed because the secret {name} already exists.")
}

/// AWS's message for a ClientRequestToken that names a version of the secret (full ARN `arn`)
/// whose value differs from the request's.
pub fn msg_token_in_use(token: &str, arn: &str) -> String {
    format!(
        "You can't use ClientRequestToken {token} because that value is already in use for a \
         version of secret {arn}."
    )
}

/// A running server with its data directory and the credentials of its first access key.
pub struct TestServer {
    /// The server.
    pub server: coffer_server::Server,
    /// Kept alive for the server's lifetime.
    _dir: tempfile::TempDir,
    /// The PostgreSQL schema the server keeps its data in, when the suite runs on PostgreSQL;
    /// dropped with the server.
    _scratch: Option<pg::Scratch>,
    /// The `database` setting the server was started with.
    database: Option<String>,
    /// The account id (real mode: the one made at initialisation).
    pub account: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

/// Starts a real-mode server on a fresh data directory.
pub async fn start() -> TestServer {
    start_with(|_| {}).await
}

/// Whether this run of the suite keeps its data in PostgreSQL (`COFFER_TEST_STORE=postgres`,
/// set by `scripts/test` for the suite's second run) rather than in the embedded store.
pub fn on_postgres() -> bool {
    std::env::var("COFFER_TEST_STORE").is_ok_and(|v| v == "postgres")
}

/// Starts a real-mode server, letting the caller adjust the configuration first. With
/// [`on_postgres`], the server keeps its data in a scratch PostgreSQL schema of its own.
pub async fn start_with(adjust: impl FnOnce(&mut coffer_server::Config)) -> TestServer {
    start_clocked(adjust, std::sync::Arc::new(coffer_core::clock::SystemClock)).await
}

/// [`start_with`] with the server's clock given (a `ManualClock` moves time in tests).
pub async fn start_clocked(
    adjust: impl FnOnce(&mut coffer_server::Config),
    clock: std::sync::Arc<dyn coffer_core::clock::Clock>,
) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = coffer_server::Config {
        data_dir: dir.path().to_owned(),
        ..Default::default()
    };
    let scratch = if on_postgres() {
        // Required under COFFER_TEST_STORE=postgres: this never skips.
        let scratch = pg::scratch().await.expect("PostgreSQL");
        config.database = Some(scratch.url());
        Some(scratch)
    } else {
        None
    };
    adjust(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = coffer_server::start_with_clock(&config, listener, clock)
        .await
        .expect("start");
    let (account, access_key_id, secret_access_key) = match &server.initialized {
        Some((account, creds)) => (
            account.as_str().to_owned(),
            creds.access_key_id.clone(),
            creds.secret_access_key.to_string(),
        ),
        None => (
            "123456789012".to_owned(),
            "AKIDEXAMPLE".to_owned(),
            "dev-secret".to_owned(),
        ),
    };
    TestServer {
        server,
        _dir: dir,
        _scratch: scratch,
        database: config.database.clone(),
        account,
        access_key_id,
        secret_access_key,
    }
}

/// Starts a dev-mode server (in memory, any credentials).
pub async fn start_dev() -> TestServer {
    start_with(|c| c.dev = true).await
}

impl TestServer {
    /// The data directory (root key, credentials, SQLite database, audit file by default).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The `database` setting the server was started with (PostgreSQL runs).
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// An SDK client for us-east-1 with this server's credentials and no retries.
    pub fn client(&self) -> Client {
        self.client_in("us-east-1")
    }

    /// An SDK client for `region`.
    pub fn client_in(&self, region: &str) -> Client {
        self.client_with(region, &self.access_key_id, &self.secret_access_key)
    }

    /// An SDK client with explicit credentials.
    pub fn client_with(&self, region: &str, akid: &str, secret: &str) -> Client {
        let creds = aws_credential_types::Credentials::new(akid, secret, None, None, "test");
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(self.endpoint())
            .credentials_provider(creds)
            .retry_config(RetryConfig::disabled())
            .build();
        Client::from_conf(config)
    }

    /// A raw request signed with this server's credentials for us-east-1.
    pub fn raw(&self, operation: &str, body: impl Into<Vec<u8>>) -> Raw {
        Raw {
            addr: self.server.addr,
            method: "POST".into(),
            path: "/".into(),
            query: None,
            headers: vec![
                ("content-type".into(), JSON_CONTENT_TYPE.into()),
                ("x-amz-target".into(), format!("secretsmanager.{operation}")),
            ],
            body: body.into(),
            signing: Some(Signing {
                access_key_id: self.access_key_id.clone(),
                secret_access_key: self.secret_access_key.clone(),
                region: "us-east-1".into(),
                service: "secretsmanager".into(),
                time: Utc::now(),
                session_token: None,
            }),
        }
    }

    /// A raw JSON request for an operation.
    pub fn raw_json(&self, operation: &str, body: &serde_json::Value) -> Raw {
        self.raw(operation, serde_json::to_vec(body).expect("json"))
    }

    /// Stops the server and starts a new one on the same data directory (and a new port),
    /// keeping the first start's credentials.
    pub async fn restart(self) -> TestServer {
        let TestServer {
            server,
            _dir: dir,
            _scratch: scratch,
            database,
            account,
            access_key_id,
            secret_access_key,
        } = self;
        server.shutdown().await;
        let config = coffer_server::Config {
            data_dir: dir.path().to_owned(),
            database: database.clone(),
            ..Default::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let server = coffer_server::start_on(&config, listener)
            .await
            .expect("restart");
        assert!(
            server.initialized.is_none(),
            "a restart must not initialise again"
        );
        TestServer {
            server,
            _dir: dir,
            _scratch: scratch,
            database,
            account,
            access_key_id,
            secret_access_key,
        }
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}

/// An SDK error reduced to what the tests assert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErr {
    /// The HTTP status (0 when there was no response).
    pub status: u16,
    /// The error code.
    pub code: String,
    /// The message.
    pub message: String,
}

/// Reduces an SDK error to its status, code and message.
pub fn api_err<E: ProvideErrorMetadata + std::fmt::Debug>(
    err: SdkError<E, HttpResponse>,
) -> ApiErr {
    let status = err.raw_response().map_or(0, |r| r.status().as_u16());
    let code = err.code().map(str::to_owned);
    let message = err.message().map(str::to_owned);
    let (Some(code), message) = (code, message) else {
        panic!("expected a service error, got {err:?}");
    };
    ApiErr {
        status,
        code,
        message: message.unwrap_or_default(),
    }
}

/// Unwraps an expected error and checks it is HTTP 400 with `code` and `message`.
#[track_caller]
pub fn assert_err<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
    code: &str,
    message: &str,
) {
    let err = api_err(result.expect_err("expected an error"));
    assert_eq!(
        (err.status, err.code.as_str(), err.message.as_str()),
        (400, code, message)
    );
}

/// Unwraps an expected error and checks its status and code, returning the message.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
    code: &str,
) -> String {
    let err = api_err(result.expect_err("expected an error"));
    assert_eq!((err.status, err.code.as_str()), (400, code), "{err:?}");
    err.message
}

/// A fresh UUID string (a valid ClientRequestToken).
pub fn token() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Creates a secret with a string value and a known token; returns (ARN, VersionId).
pub async fn create(client: &Client, name: &str, value: &str) -> (String, String) {
    let version = token();
    let out = client
        .create_secret()
        .name(name)
        .secret_string(value)
        .client_request_token(&version)
        .send()
        .await
        .expect("create_secret");
    assert_eq!(out.version_id(), Some(version.as_str()));
    (out.arn().expect("arn").to_owned(), version)
}

/// Puts a new string value with a known token; returns the VersionId.
pub async fn put(client: &Client, id: &str, value: &str) -> String {
    let version = token();
    client
        .put_secret_value()
        .secret_id(id)
        .secret_string(value)
        .client_request_token(&version)
        .send()
        .await
        .expect("put_secret_value");
    version
}

/// DescribeSecret's VersionIdsToStages, each label list sorted.
pub async fn stages(client: &Client, id: &str) -> BTreeMap<String, Vec<String>> {
    let d = client
        .describe_secret()
        .secret_id(id)
        .send()
        .await
        .expect("describe_secret");
    d.version_ids_to_stages()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let mut v = v.clone();
                    v.sort();
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Builds an expected stages map.
pub fn stage_map(entries: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    entries
        .iter()
        .map(|(k, v)| {
            let mut v: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
            v.sort();
            ((*k).to_owned(), v)
        })
        .collect()
}

/// All version ids (IncludeDeprecated, every page), sorted.
pub async fn all_version_ids(client: &Client, id: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = client
            .list_secret_version_ids()
            .secret_id(id)
            .include_deprecated(true)
            .set_next_token(next.clone())
            .send()
            .await
            .expect("list_secret_version_ids");
        ids.extend(
            out.versions()
                .iter()
                .filter_map(|v| v.version_id().map(str::to_owned)),
        );
        next = out.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    ids.sort();
    ids
}

/// Asserts that no secret answers to `id`.
pub async fn assert_absent(client: &Client, id: &str) {
    assert_err(
        client.describe_secret().secret_id(id).send().await,
        "ResourceNotFoundException",
        MSG_NOT_FOUND,
    );
}

/// The epoch seconds of an SDK timestamp, with fractions.
pub fn secs(t: Option<&aws_sdk_secretsmanager::primitives::DateTime>) -> f64 {
    let t = t.expect("timestamp");
    t.secs() as f64 + f64::from(t.subsec_nanos()) / 1e9
}

/// Seconds since the epoch now.
pub fn now_secs() -> f64 {
    Utc::now().timestamp_millis() as f64 / 1000.0
}

/// Midnight UTC today, in epoch seconds.
pub fn today_midnight() -> i64 {
    let now = Utc::now().timestamp();
    now - now.rem_euclid(86_400)
}
