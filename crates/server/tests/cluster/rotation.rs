//! Rotation across three nodes on one PostgreSQL, sharing one manual clock: 200 secrets due at
//! the same instant, every node's scheduler ticking at once, each secret rotated exactly once
//! and its function never invoked twice at the same time; and a node that stops mid-run (its
//! lease runs out) taken over by another, whose claim fences the first one's writes out.
//!
//! The function speaks Lambda's Invoke path over HTTP and does what AWS's template does, through
//! the service in-process (the manual clock is days ahead of the wall clock the SDK would sign
//! with).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use bytes::Bytes;
use chrono::{Duration, Utc};
use coffer_core::clock::ManualClock;
use coffer_core::model::SecretValue;
use coffer_core::names::{AccountId, Candidate, Region, Scope};
use coffer_core::rotation::Step;
use coffer_core::service::{
    CreateSecretInput, PutSecretValueInput, RotateSecretInput, Service,
    UpdateSecretVersionStageInput,
};
use coffer_server::rotation::Driven;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use zeroize::Zeroizing;

const FUNCTION: &str = "arn:aws:lambda:us-east-1:111122223333:function:cluster-rotator";

/// The test function: counts invocations per secret and step, and overlaps.
#[derive(Default)]
struct Function {
    service: OnceLock<Arc<Service>>,
    /// A step that never returns while set (the node invoking it is about to die).
    hold: Mutex<Option<String>>,
    /// Told when the held step is entered.
    entered: tokio::sync::Notify,
    in_flight: Mutex<HashMap<String, usize>>,
    overlaps: Mutex<usize>,
    calls: Mutex<HashMap<(String, String), usize>>,
}

impl Function {
    async fn start() -> (Arc<Self>, u16) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let function = Arc::new(Self::default());
        let serving = function.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let function = serving.clone();
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                            let function = function.clone();
                            async move {
                                let body = request.into_body().collect().await.unwrap().to_bytes();
                                let event: Value = serde_json::from_slice(&body).unwrap();
                                let failed = function.handle(&event).await.err();
                                let mut response = hyper::Response::new(Full::new(Bytes::from(
                                    failed.clone().unwrap_or_default(),
                                )));
                                if failed.is_some() {
                                    response.headers_mut().insert(
                                        "X-Amz-Function-Error",
                                        hyper::header::HeaderValue::from_static("Unhandled"),
                                    );
                                }
                                Ok::<_, std::convert::Infallible>(response)
                            }
                        });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (function, port)
    }

    async fn handle(&self, event: &Value) -> Result<(), String> {
        let arn = event["SecretId"].as_str().unwrap().to_owned();
        let step = event["Step"].as_str().unwrap().to_owned();
        {
            let mut in_flight = self.in_flight.lock().unwrap();
            let n = in_flight.entry(arn.clone()).or_default();
            *n += 1;
            if *n > 1 {
                *self.overlaps.lock().unwrap() += 1;
            }
        }
        *self
            .calls
            .lock()
            .unwrap()
            .entry((arn.clone(), step.clone()))
            .or_default() += 1;
        // Give other nodes the chance to overlap, were they to claim the same run.
        tokio::task::yield_now().await;
        if self.hold.lock().unwrap().as_deref() == Some(step.as_str()) {
            self.entered.notify_one();
            std::future::pending::<()>().await;
        }
        let result = self.template(event).await;
        *self.in_flight.lock().unwrap().get_mut(&arn).unwrap() -= 1;
        result
    }

    async fn template(&self, event: &Value) -> Result<(), String> {
        let service = self.service.get().unwrap();
        let arn = event["SecretId"].as_str().unwrap();
        let token = event["ClientRequestToken"].as_str().unwrap();
        let scope = scope_of(arn);
        let record = service
            .describe_secret(&scope, arn)
            .await
            .map_err(|e| e.to_string())?;
        if record
            .version(token)
            .is_some_and(|v| v.has_stage("AWSCURRENT"))
        {
            return Ok(());
        }
        match event["Step"].as_str().unwrap() {
            "createSecret" if record.version(token).is_none() => service
                .put_secret_value(
                    &scope,
                    PutSecretValueInput {
                        secret_id: arn.to_owned(),
                        client_request_token: Some(token.to_owned()),
                        value: Some(SecretValue::String(Zeroizing::new(format!("v-{token}")))),
                        version_stages: Some(vec!["AWSPENDING".into()]),
                        rotation_token: Some(Zeroizing::new(
                            event["RotationToken"].as_str().unwrap().to_owned(),
                        )),
                    },
                )
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            "finishSecret" => service
                .update_secret_version_stage(
                    &scope,
                    &UpdateSecretVersionStageInput {
                        secret_id: arn.to_owned(),
                        version_stage: "AWSCURRENT".into(),
                        move_to_version_id: Some(token.to_owned()),
                        remove_from_version_id: record
                            .version_with_stage("AWSCURRENT")
                            .map(|v| v.version_id.clone()),
                    },
                )
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            _ => Ok(()),
        }
    }
}

fn scope_of(arn: &str) -> Scope {
    let parts: Vec<&str> = arn.split(':').collect();
    Scope {
        account: AccountId::parse(parts[4]).unwrap(),
        region: Region::parse(parts[3]).unwrap(),
    }
}

struct Nodes {
    nodes: Vec<coffer_server::Server>,
    account: AccountId,
    _dirs: Vec<tempfile::TempDir>,
    _scratch: crate::common::pg::Scratch,
}

/// Three nodes on one scratch schema with one root key and one manual clock; no scheduler
/// loop (the test ticks by hand).
async fn nodes(clock: Arc<ManualClock>, port: u16) -> Option<Nodes> {
    let scratch = crate::common::pg::scratch().await?;
    let key = coffer_core::crypto::Keyring::generate_root_key().unwrap();
    let root_key = base64::engine::general_purpose::STANDARD.encode(key.as_ref());
    let mut nodes = Vec::new();
    let mut dirs = Vec::new();
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let config = coffer_server::Config {
            data_dir: dir.path().to_owned(),
            database: Some(scratch.url()),
            root_key: Some(coffer_server::config::RootKeyText::new(root_key.clone())),
            rotation_functions: coffer_server::rotation::functions::FunctionList(
                coffer_server::rotation::functions::parse_list(&format!(
                    "{FUNCTION}=http://127.0.0.1:{port}"
                ))
                .unwrap(),
            ),
            rotation_synchronous: Some(true),
            rotation_interval_secs: 0,
            ..Default::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        nodes.push(
            coffer_server::start_with_clock(&config, listener, clock.clone())
                .await
                .unwrap(),
        );
        dirs.push(dir);
    }
    let account = nodes[0]
        .service
        .store()
        .list_accounts()
        .await
        .unwrap()
        .remove(0);
    Some(Nodes {
        nodes,
        account,
        _dirs: dirs,
        _scratch: scratch,
    })
}

/// Creates `name` with a value and configures a daily rotation without rotating now.
async fn configure(service: &Service, scope: &Scope, name: &str) {
    service
        .create_secret(
            scope,
            CreateSecretInput {
                name: name.to_owned(),
                client_request_token: Some(uuid::Uuid::new_v4().to_string()),
                value: Some(SecretValue::String(Zeroizing::new("v0".into()))),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    service
        .rotate_secret(
            scope,
            &RotateSecretInput {
                secret_id: name.to_owned(),
                client_request_token: Some(uuid::Uuid::new_v4().to_string()),
                rotation_lambda_arn: Some(FUNCTION.into()),
                rotation_rules: Some(coffer_core::rotation::RotationRules {
                    automatically_after_days: Some(1),
                    ..Default::default()
                }),
                rotate_immediately: Some(false),
                ..Default::default()
            },
            &|_| true,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_due_secrets_rotate_once_across_three_nodes() {
    let _exclusive = crate::EXCLUSIVE.lock().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let (function, port) = Function::start().await;
    let Some(cluster) = nodes(clock.clone(), port).await else {
        return;
    };
    let _ = function.service.set(cluster.nodes[0].service.clone());
    let scope = Scope {
        account: cluster.account.clone(),
        region: Region::parse("us-east-1").unwrap(),
    };
    let names: Vec<String> = (0..200).map(|i| format!("fleet/{i:03}")).collect();
    for name in &names {
        // RotateImmediately=false queues a test run (the service alone drives nothing).
        configure(&cluster.nodes[0].service, &scope, name).await;
    }
    // The queued test runs go first (they are due now); they invoke testSecret only.
    let first: Vec<Vec<Driven>> = futures_join(&cluster).await;
    let tested: usize = first
        .iter()
        .flatten()
        .filter(|d| **d == Driven::Succeeded)
        .count();
    assert_eq!(tested, 200);
    function.calls.lock().unwrap().clear();
    // Two days later every window has come, at the same instant for all 200.
    clock.advance(Duration::days(2));
    let started = std::time::Instant::now();
    let outcomes = futures_join(&cluster).await;
    let elapsed = started.elapsed();
    let succeeded: usize = outcomes
        .iter()
        .flatten()
        .filter(|d| **d == Driven::Succeeded)
        .count();
    let per_node: Vec<usize> = outcomes
        .iter()
        .map(|o| o.iter().filter(|d| **d == Driven::Succeeded).count())
        .collect();
    eprintln!("200 rotations across 3 nodes in {elapsed:?}; per node {per_node:?}");
    assert_eq!(succeeded, 200, "{outcomes:?}");
    assert_eq!(*function.overlaps.lock().unwrap(), 0);
    let calls = function.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 200 * 4);
    assert!(calls.values().all(|n| *n == 1), "a step ran twice");
    for name in &names {
        let record = cluster.nodes[1]
            .service
            .describe_secret(&scope, name)
            .await
            .unwrap();
        let current = record.version_with_stage("AWSCURRENT").unwrap();
        assert_eq!(current.stages, ["AWSCURRENT"]);
        assert!(record.version_with_stage("AWSPENDING").is_none());
        assert_eq!(record.versions.len(), 2);
    }
    // Nothing is due any more.
    assert!(futures_join(&cluster).await.iter().all(Vec::is_empty));
    for node in cluster.nodes {
        node.shutdown().await;
    }
}

/// Every node's tick at once.
async fn futures_join(cluster: &Nodes) -> Vec<Vec<Driven>> {
    let (a, b, c) = tokio::join!(
        cluster.nodes[0].rotation.tick(),
        cluster.nodes[1].rotation.tick(),
        cluster.nodes[2].rotation.tick()
    );
    vec![a, b, c]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_gone_mid_run_is_taken_over_after_its_lease_and_fenced_out() {
    let _exclusive = crate::EXCLUSIVE.lock().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let (function, port) = Function::start().await;
    let Some(cluster) = nodes(clock.clone(), port).await else {
        return;
    };
    let _ = function.service.set(cluster.nodes[0].service.clone());
    let scope = Scope {
        account: cluster.account.clone(),
        region: Region::parse("us-east-1").unwrap(),
    };
    configure(&cluster.nodes[0].service, &scope, "app/takeover").await;
    // The test run first.
    assert_eq!(cluster.nodes[0].rotation.tick().await, [Driven::Succeeded]);
    clock.advance(Duration::days(2));
    // A node claims the scheduled run and does createSecret, then dies (nothing more from it).
    let service = &cluster.nodes[0].service;
    let candidate = Candidate {
        name: "app/takeover".into(),
        suffix: Some(
            service
                .describe_secret(&scope, "app/takeover")
                .await
                .unwrap()
                .suffix,
        ),
    };
    let dead = service
        .rotation_claim(&scope, &candidate, "dead-node", Duration::minutes(5))
        .await
        .unwrap()
        .unwrap();
    function
        .handle(&serde_json::json!({
            "Step": "createSecret", "SecretId": dead.secret_arn, "ClientRequestToken": dead.token,
            "RotationToken": dead.rotation_token.as_str()
        }))
        .await
        .unwrap();
    assert!(service
        .rotation_step_done(&dead, Step::CreateSecret, Duration::minutes(5))
        .await
        .unwrap());
    // Within the lease nobody else takes it.
    assert!(cluster.nodes[1]
        .rotation
        .tick()
        .await
        .iter()
        .all(|d| *d == Driven::Nothing));
    // After the lease another node does, resumes at setSecret, and finishes.
    clock.advance(Duration::minutes(6));
    function.calls.lock().unwrap().clear();
    assert_eq!(cluster.nodes[1].rotation.tick().await, [Driven::Succeeded]);
    let steps: Vec<String> = {
        let calls = function.calls.lock().unwrap();
        let mut steps: Vec<String> = calls.keys().map(|(_, s)| s.clone()).collect();
        steps.sort();
        steps
    };
    assert_eq!(steps, ["finishSecret", "setSecret", "testSecret"]);
    let record = service
        .describe_secret(&scope, "app/takeover")
        .await
        .unwrap();
    assert!(record
        .version(&dead.token)
        .is_some_and(|v| v.stages == ["AWSCURRENT"]));
    // The dead node's late writes are refused by the fence.
    assert!(!service
        .rotation_step_done(&dead, Step::SetSecret, Duration::minutes(5))
        .await
        .unwrap());
    assert_eq!(
        service
            .rotation_fail(&dead, "late", &Default::default(), false)
            .await
            .unwrap(),
        coffer_core::service::FailOutcome::Fenced
    );
    for node in cluster.nodes {
        node.shutdown().await;
    }
}

/// A node process killed with SIGKILL in the middle of a run: another node (in-process, its
/// clock moved past the lease, still within SigV4's 15 minutes) resumes the run at the step the
/// dead node had not finished, and completes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_killed_mid_run_is_taken_over_after_its_lease() {
    let _exclusive = crate::EXCLUSIVE.lock().await;
    let Some(scratch) = crate::common::pg::scratch().await else {
        return;
    };
    let (function, port) = Function::start().await;
    let key = coffer_core::crypto::Keyring::generate_root_key().unwrap();
    let root_key = base64::engine::general_purpose::STANDARD.encode(key.as_ref());
    // Node A: the real binary, which the test kills.
    let dir_a = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database"])
        .arg(scratch.url())
        .arg("--data-dir")
        .arg(dir_a.path())
        .env("COFFER_ROOT_KEY", &root_key)
        .env(
            "COFFER_ROTATION_FUNCTIONS",
            format!("{FUNCTION}=http://127.0.0.1:{port}"),
        )
        .env("COFFER_ROTATION_SYNCHRONOUS", "false")
        .env("COFFER_ROTATION_INTERVAL_SECS", "0")
        .env("COFFER_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed on every way out of the test, a failed assertion included.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().unwrap();
    let mut child = Kill(child);
    let url_a = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("coffer listening on ").map(str::to_owned))
        .expect("node A's listening line");
    // Node B: in-process, on a manual clock.
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let dir_b = tempfile::tempdir().unwrap();
    let config = coffer_server::Config {
        data_dir: dir_b.path().to_owned(),
        database: Some(scratch.url()),
        root_key: Some(coffer_server::config::RootKeyText::new(root_key.clone())),
        rotation_functions: coffer_server::rotation::functions::FunctionList(
            coffer_server::rotation::functions::parse_list(&format!(
                "{FUNCTION}=http://127.0.0.1:{port}"
            ))
            .unwrap(),
        ),
        rotation_interval_secs: 0,
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node_b = coffer_server::start_with_clock(&config, listener, clock.clone())
        .await
        .unwrap();
    let _ = function.service.set(node_b.service.clone());
    // Node A made the account and its key at its first start.
    let credentials = std::fs::read_to_string(dir_a.path().join("credentials")).unwrap();
    let field = |name: &str| {
        credentials
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)
                    .map(|v| v.trim_start_matches([' ', '=']).trim().to_owned())
            })
            .unwrap()
    };
    let client_a = crate::load::client(
        url_a.strip_prefix("http://").unwrap().parse().unwrap(),
        &field("aws_access_key_id"),
        &field("aws_secret_access_key"),
    );
    client_a
        .create_secret()
        .name("app/killed")
        .secret_string("v0")
        .send()
        .await
        .unwrap();
    *function.hold.lock().unwrap() = Some("setSecret".into());
    let out = client_a
        .rotate_secret()
        .secret_id("app/killed")
        .rotation_lambda_arn(FUNCTION)
        .send()
        .await
        .unwrap();
    let token = out.version_id().unwrap().to_owned();
    // A is inside setSecret (createSecret is recorded as done): kill -9.
    function.entered.notified().await;
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    *function.hold.lock().unwrap() = None;
    let account = node_b
        .service
        .store()
        .list_accounts()
        .await
        .unwrap()
        .remove(0);
    let scope = Scope {
        account,
        region: Region::parse("us-east-1").unwrap(),
    };
    // Within A's lease nothing happens; after it, B resumes at setSecret and finishes.
    assert!(node_b.rotation.tick().await.is_empty());
    clock.advance(Duration::minutes(6));
    assert_eq!(node_b.rotation.tick().await, [Driven::Succeeded]);
    let calls = function.calls.lock().unwrap().clone();
    let count = |step: &str| {
        calls
            .iter()
            .filter(|((_, s), _)| s == step)
            .map(|(_, n)| *n)
            .sum::<usize>()
    };
    assert_eq!(
        [
            count("createSecret"),
            count("setSecret"),
            count("testSecret"),
            count("finishSecret")
        ],
        [1, 2, 1, 1]
    );
    let record = node_b
        .service
        .describe_secret(&scope, "app/killed")
        .await
        .unwrap();
    assert!(record
        .version(&token)
        .is_some_and(|v| v.stages == ["AWSCURRENT"]));
    node_b.shutdown().await;
}
