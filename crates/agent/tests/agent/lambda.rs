//! Lambda extension mode (issue 19) against a small fake Extensions API (the one stand-in in
//! these tests: it plays the Lambda service): the binary registers for INVOKE and SHUTDOWN
//! under its file name, follows `event/next` with its identifier, serves on its port, holds
//! secrets until the first INVOKE (or AWS's `/start_serving`) with AWS's agent's 503, prefetches
//! nothing under SnapStart, and exits 0 on SHUTDOWN.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, Mutex};

use crate::common::{request, Coffer};

/// What the fake API saw: method, path, the extension headers, the body.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    name: Option<String>,
    id: Option<String>,
    body: String,
}

/// The fake Extensions API: every request is reported on `seen`; each `event/next` answers the
/// next event the test sends on `events` (and waits for one).
struct FakeLambda {
    addr: std::net::SocketAddr,
    seen: mpsc::UnboundedReceiver<Seen>,
    events: mpsc::UnboundedSender<&'static str>,
}

const EXTENSION_ID: &str = "3d1c6a2e-0000-4000-8000-coffer-agent";

async fn fake_lambda() -> FakeLambda {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (seen_tx, seen) = mpsc::unbounded_channel();
    let (events, events_rx) = mpsc::unbounded_channel::<&'static str>();
    let events_rx = Arc::new(Mutex::new(events_rx));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (seen_tx, events_rx) = (seen_tx.clone(), events_rx.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let (seen_tx, events_rx) = (seen_tx.clone(), events_rx.clone());
                    async move {
                        let header = |name: &str| {
                            req.headers()
                                .get(name)
                                .map(|v| v.to_str().unwrap().to_owned())
                        };
                        let (method, path) =
                            (req.method().to_string(), req.uri().path().to_owned());
                        let (name, id) = (
                            header("lambda-extension-name"),
                            header("lambda-extension-identifier"),
                        );
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        seen_tx
                            .send(Seen {
                                method,
                                path: path.clone(),
                                name,
                                id,
                                body: String::from_utf8_lossy(&body).into_owned(),
                            })
                            .unwrap();
                        let response = if path == "/2020-01-01/extension/register" {
                            http::Response::builder()
                                .header("lambda-extension-identifier", EXTENSION_ID)
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(
                                    br#"{"functionName":"f","functionVersion":"$LATEST","handler":"h"}"#,
                                )))
                                .unwrap()
                        } else {
                            let event = events_rx.lock().await.recv().await.unwrap_or("SHUTDOWN");
                            let body = match event {
                                "INVOKE" => {
                                    r#"{"eventType":"INVOKE","deadlineMs":1700000000000,"requestId":"r-1","invokedFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-0-0"}}"#
                                }
                                _ => {
                                    r#"{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":1700000002000}"#
                                }
                            };
                            http::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(body.as_bytes())))
                                .unwrap()
                        };
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    FakeLambda { addr, seen, events }
}

impl FakeLambda {
    async fn next_seen(&mut self) -> Seen {
        tokio::time::timeout(Duration::from_secs(30), self.seen.recv())
            .await
            .expect("the agent called the Extensions API")
            .unwrap()
    }

    /// Waits for the agent's next `event/next` (it has handled the previous event).
    async fn waiting_for_event(&mut self) {
        let seen = self.next_seen().await;
        assert_eq!(
            (seen.method.as_str(), seen.path.as_str()),
            ("GET", "/2020-01-01/extension/event/next")
        );
        assert_eq!(seen.id.as_deref(), Some(EXTENSION_ID));
    }
}

async fn lambda_agent(snap_start: bool) {
    let coffer = Coffer::start().await;
    coffer
        .admin()
        .create_secret()
        .name("lambda/secret")
        .secret_string("in-lambda")
        .send()
        .await
        .unwrap();
    let mut lambda = fake_lambda().await;
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = dir.path().join("agent.toml");
    // log_to_file stays at its default: in Lambda the agent logs to stderr all the same.
    std::fs::write(
        &config,
        format!("http_port = {port}\nprefetch_secret_ids = [\"lambda/secret\"]\n"),
    )
    .unwrap();
    // Lambda's environment. There the session token of the function's role credentials is the
    // SSRF token by default; here the credentials are long-term (coffer would refuse a made-up
    // session token), so the token comes from AWS_TOKEN, first in the same default list.
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"));
    command
        .arg("--config")
        .arg(&config)
        .current_dir(dir.path())
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", lambda.addr.to_string())
        .env("AWS_TOKEN", "lambda-session-token")
        .env("AWS_ACCESS_KEY_ID", &coffer.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &coffer.secret_access_key)
        .env("AWS_ENDPOINT_URL", coffer.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
        .kill_on_drop(true);
    if snap_start {
        command.env("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");
    }
    let mut child = command.spawn().unwrap();
    let token = [("X-Aws-Parameters-Secrets-Token", "lambda-session-token")];
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let get = || {
        request(
            addr,
            "GET",
            "/secretsmanager/get?secretId=lambda/secret",
            &token,
        )
    };

    // Registration: the executable's file name, both events.
    let register = lambda.next_seen().await;
    assert_eq!(
        (register.method.as_str(), register.path.as_str()),
        ("POST", "/2020-01-01/extension/register")
    );
    assert_eq!(register.name.as_deref(), Some("coffer-agent"));
    let events: serde_json::Value = serde_json::from_str(&register.body).unwrap();
    assert_eq!(
        events,
        serde_json::json!({"events": ["INVOKE", "SHUTDOWN"]})
    );
    lambda.waiting_for_event().await;

    // Registered, so listening, before any event; secrets wait for the first INVOKE.
    assert_eq!(request(addr, "GET", "/ping", &[]).await.body, "healthy");
    let r = get().await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            503,
            "Serving not enabled. Hit the /start_serving endpoint to enable serving requests."
        )
    );
    if snap_start {
        lambda.events.send("INVOKE").unwrap();
        lambda.waiting_for_event().await;
    } else {
        // AWS's agent's switch, which its wrapper script calls, works too (without the token).
        let r = request(addr, "GET", "/start_serving", &[]).await;
        assert_eq!((r.status, r.body.as_str()), (200, "serving enabled"));
        lambda.events.send("INVOKE").unwrap();
        lambda.waiting_for_event().await;
    }
    assert_eq!(get().await.secret_string(), "in-lambda");
    let metrics = request(addr, "GET", "/metrics", &token).await.body;
    let hits = metrics
        .lines()
        .find_map(|l| l.strip_prefix("coffer_agent_hits_total "))
        .unwrap();
    // Prefetched at start (a hit), except under SnapStart (a miss: nothing was cached in INIT).
    assert_eq!(hits, if snap_start { "0" } else { "1" }, "{metrics}");

    // A second INVOKE changes nothing; SHUTDOWN ends the process with status 0.
    lambda.events.send("INVOKE").unwrap();
    lambda.waiting_for_event().await;
    lambda.events.send("SHUTDOWN").unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the agent exits on SHUTDOWN")
        .unwrap();
    let stderr = std::fs::read_to_string(dir.path().join("stderr")).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("registered as Lambda extension coffer-agent"),
        "{stderr}"
    );
    assert!(stderr.contains("Lambda SHUTDOWN: stopping"), "{stderr}");
    assert!(
        !dir.path().join("logs").exists(),
        "logs go to stderr in Lambda"
    );
}

#[tokio::test]
async fn lambda_extension_registers_serves_and_stops_on_shutdown() {
    lambda_agent(false).await;
}

#[tokio::test]
async fn lambda_snap_start_serves_nothing_before_the_first_invoke() {
    lambda_agent(true).await;
}

/// A refused registration stops the agent with the API's answer.
#[tokio::test]
async fn lambda_registration_failure_is_fatal() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service_fn(|_req: http::Request<hyper::body::Incoming>| async {
                Ok::<_, Infallible>(
                    http::Response::builder()
                        .status(403)
                        .body(Full::new(Bytes::from_static(
                            br#"{"errorMessage":"Extension.Forbidden","errorType":"Extension.Forbidden"}"#,
                        )))
                        .unwrap(),
                )
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    std::fs::write(
        dir.path().join("agent.toml"),
        format!("http_port = {port}\nvalidate_credentials = false\nlog_level = \"NONE\"\n"),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"))
        .arg("--config")
        .arg(dir.path().join("agent.toml"))
        .current_dir(dir.path())
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .env("AWS_SESSION_TOKEN", "t")
        .env("AWS_REGION", "us-east-1")
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), out)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "coffer-agent: Extensions API register: HTTP 403 Forbidden: {\"errorMessage\":\"Extension.Forbidden\",\"errorType\":\"Extension.Forbidden\"}\n"
    );
}
