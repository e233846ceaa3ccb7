//! AWS's agent's surface against a real coffer: endpoints, SSRF rules, status codes, error
//! bodies, the connection limit, and the binary with its configuration file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::{self, black_hole, read_one, request, send, Coffer, Harness, TOKEN};
use aws_sdk_secretsmanager::primitives::Blob;

#[tokio::test]
async fn ping_needs_no_token_and_only_get() {
    let h = Harness::start().await;
    let r = request(h.agent.addr, "GET", "/ping", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (200, "healthy"));
    let r = request(h.agent.addr, "POST", "/ping", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (405, "Not allowed"));
}

#[tokio::test]
async fn ssrf_token_rules() {
    let h = Harness::start().await;
    h.create("app/db", "pw").await;
    let url = "/secretsmanager/get?secretId=app/db";
    let addr = h.agent.addr;

    let r = request(addr, "GET", url, &[]).await;
    assert_eq!((r.status, r.body.as_str()), (403, "Bad Token"));
    let r = request(
        addr,
        "GET",
        url,
        &[("X-Aws-Parameters-Secrets-Token", "wrong")],
    )
    .await;
    assert_eq!(r.status, 403);
    // A prefix of the token is not the token.
    let r = request(
        addr,
        "GET",
        url,
        &[("X-Aws-Parameters-Secrets-Token", &TOKEN[..4])],
    )
    .await;
    assert_eq!(r.status, 403);
    // The token in an unlisted header does not count.
    let r = request(addr, "GET", url, &[("X-Other-Token", TOKEN)]).await;
    assert_eq!(r.status, 403);
    // Both default headers work.
    let r = request(addr, "GET", url, &[("X-Vault-Token", TOKEN)]).await;
    assert_eq!(r.secret_string(), "pw");
    let r = request(
        addr,
        "GET",
        url,
        &[("x-aws-parameters-secrets-token", TOKEN)],
    )
    .await;
    assert_eq!(r.secret_string(), "pw");
    // Any X-Forwarded-For is refused, token or not.
    let r = request(
        addr,
        "GET",
        url,
        &[
            ("X-Aws-Parameters-Secrets-Token", TOKEN),
            ("X-Forwarded-For", "127.0.0.1"),
        ],
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (400, "Forwarded"));
    // The token is checked before the method, as AWS's agent does.
    let r = request(addr, "POST", url, &[]).await;
    assert_eq!(r.status, 403);
    let r = request(
        addr,
        "POST",
        url,
        &[("X-Aws-Parameters-Secrets-Token", TOKEN)],
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (405, "Not allowed"));
    let r = request(addr, "DELETE", url, &[("X-Vault-Token", TOKEN)]).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn query_and_path_styles_return_get_secret_value_json() {
    let h = Harness::start().await;
    let v1 = h.create("team/db", "first").await;
    let v2 = h.put("team/db", "second").await;

    let r = h.secret("team/db").await;
    // AWS's agent's headers: no Content-Type.
    let mut names: Vec<&str> = r.headers.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["connection", "content-length", "date"]);
    let body = r.json();
    assert_eq!(body["Name"], "team/db");
    assert!(body["ARN"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:secretsmanager:us-east-1:"));
    assert_eq!(body["VersionId"], v2.as_str());
    assert_eq!(body["SecretString"], "second");
    assert_eq!(body["VersionStages"], serde_json::json!(["AWSCURRENT"]));
    // AWS's agent writes CreatedDate as a string of epoch seconds.
    let created: f64 = body["CreatedDate"].as_str().unwrap().parse().unwrap();
    assert!(created > 1.6e9);
    assert!(body.get("SecretBinary").is_none());

    let r = h
        .get(&format!(
            "/secretsmanager/get?secretId=team/db&versionId={v1}"
        ))
        .await;
    assert_eq!(r.secret_string(), "first");
    let r = h
        .get("/secretsmanager/get?secretId=team%2Fdb&versionStage=AWSPREVIOUS")
        .await;
    assert_eq!(r.secret_string(), "first");
    // By ARN too.
    let arn = body["ARN"].as_str().unwrap().to_owned();
    assert_eq!(h.secret(&arn).await.secret_string(), "second");

    // Path style: the id is the rest of the path, slashes included.
    assert_eq!(h.get("/v1/team/db").await.secret_string(), "second");
    let r = h.get("/v1/team/db?versionStage=AWSPREVIOUS").await;
    assert_eq!(r.secret_string(), "first");
    let r = h
        .get(&format!("/v1/team/db?versionId={v1}&refreshNow=false"))
        .await;
    assert_eq!(r.secret_string(), "first");
}

#[tokio::test]
async fn binary_secrets_come_back_base64() {
    let h = Harness::start().await;
    h.admin
        .create_secret()
        .name("bin")
        .secret_binary(Blob::new(vec![0u8, 1, 2, 255]))
        .send()
        .await
        .unwrap();
    let body = h.secret("bin").await.json();
    assert_eq!(body["SecretBinary"], "AAEC/w==");
    assert!(body.get("SecretString").is_none());
}

#[tokio::test]
async fn malformed_requests_are_refused() {
    let h = Harness::start().await;
    let r = h.get("/secretsmanager/get?secretId=a&abc=1").await;
    assert_eq!((r.status, r.body.as_str()), (400, "unknown parameter: abc"));
    let r = h.get("/v1/a?secretId=b").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "unknown parameter: secretId")
    );
    let r = h.get("/secretsmanager/get").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "missing parameter secretId")
    );
    let r = h
        .get("/secretsmanager/get?secretId=a&refreshNow=maybe")
        .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "invalid refreshNow value")
    );
    let r = h.get("/v1/").await;
    assert_eq!((r.status, r.body.as_str()), (400, "missing secret ID"));
    let r = h.get("/elsewhere").await;
    assert_eq!((r.status, r.body.as_str()), (404, "Not found"));
    // Nothing reached the upstream.
    assert_eq!(h.proxy.get_secret_value_calls(), 0);
}

#[tokio::test]
async fn custom_prefix_and_headers() {
    let h =
        Harness::start_with("path_prefix = \"/secrets/\"\nssrf_headers = [\"X-My-Token\"]").await;
    h.create("p", "v").await;
    let addr = h.agent.addr;
    let r = request(addr, "GET", "/secrets/p", &[("X-My-Token", TOKEN)]).await;
    assert_eq!(r.secret_string(), "v");
    let r = request(
        addr,
        "GET",
        "/secrets/p",
        &[("X-Aws-Parameters-Secrets-Token", TOKEN)],
    )
    .await;
    assert_eq!(r.status, 403);
    let r = request(addr, "GET", "/v1/p", &[("X-My-Token", TOKEN)]).await;
    assert_eq!(r.status, 404);
}

/// What AWS's agent (2.0.0 source) sends, byte for byte: its hand-formatted error body (with a
/// space after the comma), no Content-Type, the path-style id taken from the path without
/// percent-decoding (so `/v1/agent%2Fdb` asks for the secret `agent%2Fdb`, which is not
/// `agent/db`), and `/start_serving` outside Lambda mode a plain 404 without a token check.
#[tokio::test]
async fn bytes_as_aws_agent_sends_them() {
    let h = Harness::start().await;
    h.create("agent/db", "v").await;
    let r = h.secret("no-such-secret").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"__type":"ResourceNotFoundException", "message":"Secrets Manager can't find the specified secret."}"#
    );
    let mut names: Vec<&str> = r.headers.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["connection", "content-length", "date"]);

    assert_eq!(h.get("/v1/agent/db").await.secret_string(), "v");
    let r = h.get("/v1/agent%2Fdb").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"__type":"ValidationException", "message":"Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"}"#
        )
    );
    // Dot segments are resolved first, as the URL parser does.
    assert_eq!(h.get("/v1/x/../agent/db").await.secret_string(), "v");

    let r = request(h.agent.addr, "GET", "/start_serving", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (404, "Not found"));
}

#[tokio::test]
async fn upstream_errors_keep_code_message_and_status() {
    let h = Harness::start().await;
    let r = h.secret("no-such-secret").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        serde_json::json!({
            "__type": "ResourceNotFoundException",
            "message": "Secrets Manager can't find the specified secret."
        })
    );
    h.create("s", "v").await;
    let r = h
        .get("/secretsmanager/get?secretId=s&versionStage=NOPE")
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "ResourceNotFoundException");
    let r = h
        .get("/secretsmanager/get?secretId=s&versionId=short")
        .await;
    assert_eq!(r.status, 400);
    assert!(r.json()["__type"].as_str().unwrap().ends_with("Exception"));
}

#[tokio::test]
async fn upstream_refused_is_a_connection_error() {
    let h = Harness::start().await;
    h.proxy.stop().await;
    let r = h.secret("anything").await;
    assert_eq!(r.status, 502);
    assert_eq!(
        r.json(),
        serde_json::json!({"__type": "ConnectionError", "message": "Read Error"})
    );
    assert_eq!(
        h.agent
            .metrics()
            .upstream_errors(coffer_agent::Operation::GetSecretValue),
        1
    );
}

#[tokio::test]
async fn upstream_timeout_is_a_timeout_error() {
    let coffer = Coffer::start().await;
    let (addr, hole) = black_hole().await;
    let clock = std::sync::Arc::new(coffer_agent::ManualClock::new());
    let agent = common::start_agent(
        &coffer_agent::Config::default(),
        coffer.client_for(&format!("http://{addr}")),
        clock,
    )
    .await;
    let r = request(
        agent.addr,
        "GET",
        "/secretsmanager/get?secretId=x",
        &[("X-Aws-Parameters-Secrets-Token", TOKEN)],
    )
    .await;
    assert_eq!(r.status, 504);
    assert_eq!(
        r.json(),
        serde_json::json!({"__type": "TimeoutError", "message": "Timeout"})
    );
    hole.abort();
}

#[tokio::test]
async fn connections_over_max_conn_get_429() {
    let h = Harness::start_with("max_conn = 2").await;
    h.create("s", "v").await;
    let headers = [("X-Aws-Parameters-Secrets-Token", TOKEN)];
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut c = tokio::net::TcpStream::connect(h.agent.addr).await.unwrap();
        send(
            &mut c,
            "GET",
            "/secretsmanager/get?secretId=s",
            &headers,
            false,
        )
        .await;
        assert_eq!(read_one(&mut c).await.status, 200);
        open.push(c);
    }
    let r = request(
        h.agent.addr,
        "GET",
        "/secretsmanager/get?secretId=s",
        &headers,
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (429, "Connection limit exceeded")
    );
    // Health checks have two connections of slack, as in AWS's agent.
    let r = request(h.agent.addr, "GET", "/ping", &[]).await;
    assert_eq!(r.status, 200);
    // Kept-alive connections within the limit still work.
    send(
        &mut open[0],
        "GET",
        "/secretsmanager/get?secretId=s",
        &headers,
        false,
    )
    .await;
    assert_eq!(read_one(&mut open[0]).await.status, 200);
    // Closing one frees its slot.
    drop(open.pop());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let r = request(
            h.agent.addr,
            "GET",
            "/secretsmanager/get?secretId=s",
            &headers,
        )
        .await;
        if r.status == 200 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "slot never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        h.agent
            .metrics()
            .rejected_connections
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
}

#[tokio::test]
async fn metrics_endpoint() {
    let h = Harness::start().await;
    h.create("m", "v").await;
    h.secret("m").await;
    h.secret("m").await;
    let r = request(
        h.agent.addr,
        "GET",
        "/metrics",
        &[("X-Aws-Parameters-Secrets-Token", TOKEN)],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("coffer_agent_hits_total 1\n"), "{}", r.body);
    assert!(r.body.contains("coffer_agent_misses_total 1\n"));
    assert!(r
        .body
        .contains("coffer_agent_upstream_requests_total{operation=\"GetSecretValue\"} 1\n"));
    assert!(r.body.contains("coffer_agent_cache_entries 1\n"));
    assert!(r
        .body
        .contains("coffer_agent_upstream_latency_seconds_count{operation=\"GetSecretValue\"} 1\n"));
    // Never a value.
    assert!(!r.body.contains("\"v\""));
    let off = Harness::start_with("metrics = false").await;
    let r = request(
        off.agent.addr,
        "GET",
        "/metrics",
        &[("X-Vault-Token", TOKEN)],
    )
    .await;
    assert_eq!(r.status, 404);
}

/// `/metrics` follows the SSRF token rules of the secrets path unless `metrics_open = true`:
/// traffic volumes are the agent's business, not that of anything that can reach its port.
#[tokio::test]
async fn metrics_require_the_token_unless_configured_open() {
    let h = Harness::start().await;
    let addr = h.agent.addr;
    let r = request(addr, "GET", "/metrics", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (403, "Bad Token"));
    let r = request(
        addr,
        "GET",
        "/metrics",
        &[("X-Aws-Parameters-Secrets-Token", "wrong")],
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (403, "Bad Token"));
    let r = request(
        addr,
        "GET",
        "/metrics",
        &[
            ("X-Aws-Parameters-Secrets-Token", TOKEN),
            ("X-Forwarded-For", "10.0.0.1"),
        ],
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (400, "Forwarded"));
    let r = request(addr, "POST", "/metrics", &[("X-Vault-Token", TOKEN)]).await;
    assert_eq!((r.status, r.body.as_str()), (405, "Not allowed"));
    let r = request(addr, "GET", "/metrics", &[("X-Vault-Token", TOKEN)]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("coffer_agent_cache_entries 0\n"),
        "{}",
        r.body
    );

    let open = Harness::start_with("metrics_open = true").await;
    let r = request(open.agent.addr, "GET", "/metrics", &[]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("coffer_agent_cache_entries 0\n"),
        "{}",
        r.body
    );
    // Open means the metrics only: the secrets path still wants the token.
    let r = request(
        open.agent.addr,
        "GET",
        "/secretsmanager/get?secretId=m",
        &[],
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (403, "Bad Token"));
}

/// The binary: `--config FILE`, the token from the environment (a `file://` reference),
/// credentials and `AWS_ENDPOINT_URL` from the environment through the SDK's standard chain.
#[tokio::test]
async fn binary_with_config_file_and_environment() {
    let coffer = Coffer::start().await;
    coffer
        .admin()
        .create_secret()
        .name("bin/secret")
        .secret_string("from-binary")
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A free port: bound, read, released (the agent's range excludes port 0).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        format!("http_port = \"{port}\"\nttl_seconds = 60\nlog_level = \"NONE\"\nregion = \"us-east-1\"\n"),
    )
    .unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "file-token\n").unwrap();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"))
        .arg("--config")
        .arg(&config)
        // The log file (log_to_file) goes under the working directory: the test's, not the crate's.
        .current_dir(dir.path())
        .env_clear()
        .env("AWS_TOKEN", format!("file://{}", token_file.display()))
        .env("AWS_ACCESS_KEY_ID", &coffer.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &coffer.secret_access_key)
        .env("AWS_ENDPOINT_URL", coffer.endpoint())
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "agent did not start"
        );
        assert!(child.try_wait().unwrap().is_none(), "agent exited");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = request(
        addr,
        "GET",
        "/secretsmanager/get?secretId=bin/secret",
        &[("X-Aws-Parameters-Secrets-Token", "file-token")],
    )
    .await;
    assert_eq!(r.secret_string(), "from-binary");
    let r = request(
        addr,
        "GET",
        "/v1/bin/secret",
        &[("X-Aws-Parameters-Secrets-Token", "file-token-x")],
    )
    .await;
    assert_eq!(r.status, 403);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn binary_refuses_bad_configuration_and_missing_token() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(&config, "ttl_seconds = 5000\n").unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"))
        .arg("--config")
        .arg(&config)
        // The log file (log_to_file) goes under the working directory: the test's, not the crate's.
        .current_dir(dir.path())
        .env_clear()
        .env("AWS_TOKEN", "t")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("The TTL in seconds must be in the range 0 to 3600."),
        "{stderr}"
    );

    std::fs::write(&config, "colour = \"blue\"\n").unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"))
        .arg("--config")
        .arg(&config)
        // The log file (log_to_file) goes under the working directory: the test's, not the crate's.
        .current_dir(dir.path())
        .env_clear()
        .env("AWS_TOKEN", "t")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `colour`"));

    std::fs::write(&config, "http_port = 2999\n").unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"))
        .arg("--config")
        .arg(&config)
        // The log file (log_to_file) goes under the working directory: the test's, not the crate's.
        .current_dir(dir.path())
        .env_clear()
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no SSRF token"));
}
