//! `GET /metrics`, `/ready` and `/health` against a real server: exact counter values after a
//! known sequence of calls, the bearer token, and that no name, value or key id leaks into the
//! exposition.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::os::unix::fs::PermissionsExt;

use crate::common::iam::xml_text;
use crate::common::{Raw, RawResponse, TestServer};

/// A plain GET on the server, with extra headers.
async fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> RawResponse {
    Raw {
        addr: server.server.addr,
        method: "GET".into(),
        path: path.into(),
        query: None,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: Vec::new(),
        signing: None,
    }
    .send()
    .await
}

/// The value of the sample `series` (`name{labels}` exactly as rendered), or `None` when the
/// exposition has no such line.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().expect("a number"))
    })
}

#[track_caller]
fn assert_sample(text: &str, series: &str, expected: f64) {
    assert_eq!(sample(text, series), Some(expected), "{series} in\n{text}");
}

const SECRET_NAME: &str = "metrics/db-password-7f3a";
const SECRET_VALUE: &str = "hunter2-value-9d1c";
const USER_NAME: &str = "metrics-reader-x1";

#[tokio::test]
async fn counts_requests_auth_failures_store_calls_and_audit_events_exactly() {
    let t = common::start().await;
    let root = t.client();
    let (arn, _) = common::create(&root, SECRET_NAME, SECRET_VALUE).await;
    // A user with no policy: every Secrets Manager call of theirs is denied. (CreateUser and
    // CreateAccessKey: two IAM calls.)
    let user = t.user(USER_NAME, None).await;
    let user_client = t.client_for(&user);

    const N: usize = 5; // successful GetSecretValue
    const DENIED: usize = 2; // GetSecretValue by the user
    const MISSING: usize = 1; // GetSecretValue of a secret that does not exist
    const K: usize = 4; // bad signatures
    const D: usize = 3; // DescribeSecret, all successful
    for _ in 0..N {
        let out = root
            .get_secret_value()
            .secret_id(SECRET_NAME)
            .send()
            .await
            .unwrap();
        assert_eq!(out.secret_string(), Some(SECRET_VALUE));
    }
    for _ in 0..DENIED {
        common::assert_code(
            user_client
                .get_secret_value()
                .secret_id(SECRET_NAME)
                .send()
                .await,
            "AccessDeniedException",
        );
    }
    for _ in 0..MISSING {
        common::assert_code(
            root.get_secret_value()
                .secret_id("metrics/absent")
                .send()
                .await,
            "ResourceNotFoundException",
        );
    }
    let forged = t.client_with("us-east-1", &t.access_key_id, "not-the-secret-key");
    for _ in 0..K {
        common::assert_code(
            forged
                .get_secret_value()
                .secret_id(SECRET_NAME)
                .send()
                .await,
            "InvalidSignatureException",
        );
    }
    let unknown = t.client_with("us-east-1", "AKIAMETRICSUNKNOWN01", "whatever");
    common::assert_code(
        unknown
            .get_secret_value()
            .secret_id(SECRET_NAME)
            .send()
            .await,
        "UnrecognizedClientException",
    );
    for _ in 0..D {
        root.describe_secret()
            .secret_id(SECRET_NAME)
            .send()
            .await
            .unwrap();
    }
    let r = t.sts(&t.root(), &[("Action", "GetCallerIdentity")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let account = xml_text(&r.text(), "Account").unwrap();
    // Every event queued so far is written: the audit counter is exact too.
    assert!(t.server.audit.flush().await);

    let response = get(&t, "/metrics", &[]).await;
    assert_eq!(response.status, 200);
    assert!(response
        .header("content-type")
        .is_some_and(|v| v.starts_with("text/plain; version=0.0.4")));
    let text = response.text();

    let requests = |operation: &str, outcome: &str| {
        format!("coffer_requests_total{{operation=\"{operation}\",outcome=\"{outcome}\"}}")
    };
    let get_secret_value_calls = N + DENIED + MISSING + K + 1;
    assert_sample(&text, &requests("GetSecretValue", "success"), N as f64);
    assert_sample(
        &text,
        &requests("GetSecretValue", "client_error"),
        (DENIED + MISSING + K + 1) as f64,
    );
    assert_sample(&text, &requests("GetSecretValue", "server_error"), 0.0);
    assert_sample(&text, &requests("DescribeSecret", "success"), D as f64);
    assert_sample(&text, &requests("CreateSecret", "success"), 1.0);
    assert_sample(&text, &requests("CreateUser", "success"), 1.0);
    assert_sample(&text, &requests("CreateAccessKey", "success"), 1.0);
    assert_sample(&text, &requests("GetCallerIdentity", "success"), 1.0);
    // Operations never called have no series.
    assert_eq!(sample(&text, &requests("DeleteSecret", "success")), None);

    // The histogram counts every answered call, whatever its outcome.
    assert_sample(
        &text,
        "coffer_request_duration_seconds_count{operation=\"DescribeSecret\"}",
        D as f64,
    );
    assert_sample(
        &text,
        "coffer_request_duration_seconds_bucket{operation=\"DescribeSecret\",le=\"+Inf\"}",
        D as f64,
    );
    assert_sample(
        &text,
        "coffer_request_duration_seconds_count{operation=\"GetSecretValue\"}",
        get_secret_value_calls as f64,
    );
    let sum = sample(
        &text,
        "coffer_request_duration_seconds_sum{operation=\"GetSecretValue\"}",
    )
    .unwrap();
    assert!(sum > 0.0);

    let auth = |reason: &str| format!("coffer_auth_failures_total{{reason=\"{reason}\"}}");
    assert_sample(&text, &auth("InvalidSignatureException"), K as f64);
    assert_sample(&text, &auth("UnrecognizedClientException"), 1.0);
    assert_sample(&text, &auth("ExpiredTokenException"), 0.0);
    assert_sample(&text, &auth("Other"), 0.0);

    // Each successful GetSecretValue reads its sealed value once; nothing failed in the store.
    assert_sample(
        &text,
        "coffer_store_duration_seconds_count{call=\"read_sealed\"}",
        N as f64,
    );
    assert_sample(
        &text,
        "coffer_store_errors_total{call=\"read_sealed\"}",
        0.0,
    );
    assert_sample(
        &text,
        "coffer_store_errors_total{call=\"find_secret\"}",
        0.0,
    );
    assert!(
        sample(
            &text,
            "coffer_store_duration_seconds_count{call=\"find_secret\"}"
        )
        .unwrap()
            >= (N + DENIED + MISSING + D) as f64
    );

    // One audit event per API call, authentication failures included.
    let calls = 1 + 2 + get_secret_value_calls + D + 1;
    assert_sample(&text, "coffer_audit_events_total", calls as f64);
    assert_sample(&text, "coffer_audit_write_failures_total", 0.0);
    assert_sample(
        &text,
        "coffer_job_runs_total{job=\"purge\",outcome=\"failure\"}",
        0.0,
    );

    // Nothing a client sent or was given is in the exposition.
    for secret in [
        SECRET_NAME,
        "metrics/absent",
        SECRET_VALUE,
        arn.as_str(),
        USER_NAME,
        user.akid.as_str(),
        user.secret.as_str(),
        t.access_key_id.as_str(),
        t.secret_access_key.as_str(),
        "AKIAMETRICSUNKNOWN01",
        account.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret:?} leaked into /metrics");
    }
    t.stop().await;
}

#[tokio::test]
async fn a_configured_token_is_required() {
    let t = common::start_with(|c| c.metrics_token = Some("metrics-tok-1".into())).await;
    for headers in [
        &[][..],
        &[("authorization", "Bearer wrong")][..],
        &[("authorization", "metrics-tok-1")][..],
        &[("authorization", "Bearer metrics-tok-1x")][..],
    ] {
        let r = get(&t, "/metrics", headers).await;
        assert_eq!(r.status, 401, "{headers:?}");
        assert!(r.body.is_empty());
    }
    let r = get(&t, "/metrics", &[("authorization", "Bearer metrics-tok-1")]).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("# TYPE coffer_requests_total counter"));
    // The API itself is unaffected by the metrics token.
    t.client().list_secrets().send().await.unwrap();
    t.stop().await;
}

#[tokio::test]
async fn the_token_can_come_from_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.token");
    std::fs::write(&path, "file-tok-2\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let file = path.clone();
    let t = common::start_with(move |c| c.metrics_token_file = Some(file)).await;
    assert_eq!(get(&t, "/metrics", &[]).await.status, 401);
    let r = get(&t, "/metrics", &[("authorization", "Bearer file-tok-2")]).await;
    assert_eq!(r.status, 200);
    t.stop().await;

    // A token file others can read is refused at start.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = coffer_server::Config {
        data_dir: data.path().to_owned(),
        metrics_token_file: Some(path),
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = coffer_server::start_on(&config, listener)
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("chmod 600"), "{error}");
}

#[tokio::test]
async fn ready_and_health() {
    let t = common::start().await;
    let r = get(&t, "/ready", &[]).await;
    assert_eq!((r.status, r.text().as_str()), (200, "ready"));
    let r = get(&t, "/health", &[]).await;
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    // The readiness probe pings the store, and the ping is measured like any store call.
    let text = get(&t, "/metrics", &[]).await.text();
    assert_sample(
        &text,
        "coffer_store_duration_seconds_count{call=\"ping\"}",
        1.0,
    );
    t.stop().await;
}
