//! Rotation against a running coffer (docs/rotation.md, ROTATION-REPLICATION.md §6): RotateSecret
//! and CancelRotateSecret with AWS's checks and messages, the AWSPENDING placeholder, and a
//! rotation function written to AWS's rotation-template contract (DescribeSecret,
//! GetSecretValue, GetRandomPassword, PutSecretValue with AWSPENDING, UpdateSecretVersionStage)
//! behind a small HTTP server that speaks Lambda's Invoke path. coffer is started with
//! `rotation_synchronous`, so RotateSecret answers once its run has ended and no test waits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use aws_sdk_secretsmanager::types::RotationRulesType;
use aws_sdk_secretsmanager::Client;
use bytes::Bytes;
use chrono::{Datelike, Duration, TimeZone, Utc};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::common::*;

const FUNCTION: &str = "arn:aws:lambda:us-east-1:111122223333:function:template-rotator";
const RANDOM: &str = "arn:aws:lambda:us-east-1:111122223333:function:coffer-random";
const UNKNOWN: &str = "arn:aws:lambda:us-east-1:111122223333:function:nobody-configured-this";
const MSG_NO_FUNCTION: &str = "No Lambda rotation function ARN is associated with this secret.";
const MSG_CANNOT_INVOKE: &str = "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.";
const MSG_NOT_COMPLETE: &str =
    "A previous rotation isn't complete. That rotation will be reattempted.";

/// What the test function does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// AWS's rotation template, against coffer.
    Template,
    /// The template, but this step fails with a function error.
    FailAt(&'static str),
    /// Answers success and does nothing.
    Noop,
}

/// One invocation as the function received it.
#[derive(Debug, Clone)]
struct Invocation {
    path: String,
    event: Value,
}

/// The test's rotation function: an HTTP server on 127.0.0.1 speaking the Invoke path.
struct Function {
    port: u16,
    behaviour: Mutex<Behaviour>,
    invocations: Mutex<Vec<Invocation>>,
    /// Facts the function saw while it ran, by name.
    notes: Mutex<HashMap<String, Value>>,
    /// The SDK client it calls coffer with (set once coffer is up).
    client: OnceLock<Client>,
    /// Hold createSecret until `release` is notified (and say so on `entered`).
    hold: std::sync::atomic::AtomicBool,
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl Function {
    async fn start() -> Arc<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let function = Arc::new(Self {
            port: listener.local_addr().unwrap().port(),
            behaviour: Mutex::new(Behaviour::Template),
            invocations: Mutex::new(Vec::new()),
            notes: Mutex::new(HashMap::new()),
            client: OnceLock::new(),
            hold: std::sync::atomic::AtomicBool::new(false),
            entered: tokio::sync::Notify::new(),
            release: tokio::sync::Notify::new(),
        });
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
                                let path = request.uri().path().to_owned();
                                let body = request.into_body().collect().await.unwrap().to_bytes();
                                let event: Value = serde_json::from_slice(&body).unwrap();
                                Ok::<_, std::convert::Infallible>(
                                    function.handle(path, event).await,
                                )
                            }
                        });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        function
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    fn steps(&self) -> Vec<String> {
        self.invocations
            .lock()
            .unwrap()
            .iter()
            .map(|i| i.event["Step"].as_str().unwrap().to_owned())
            .collect()
    }

    fn note(&self, name: &str) -> Value {
        self.notes
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn record(&self, name: &str, value: Value) {
        self.notes.lock().unwrap().insert(name.to_owned(), value);
    }

    async fn handle(&self, path: String, event: Value) -> hyper::Response<Full<Bytes>> {
        if !path.ends_with("/invocations") {
            // Not an invocation: a notice (rotation_notify_url).
            self.record(&path, event);
            return hyper::Response::new(Full::new(Bytes::new()));
        }
        self.invocations.lock().unwrap().push(Invocation {
            path,
            event: event.clone(),
        });
        let step = event["Step"].as_str().unwrap_or_default().to_owned();
        if step == "createSecret" && self.hold.load(std::sync::atomic::Ordering::SeqCst) {
            self.entered.notify_one();
            self.release.notified().await;
        }
        let behaviour = *self.behaviour.lock().unwrap();
        let result = match behaviour {
            Behaviour::Noop => Ok(()),
            Behaviour::FailAt(failing) if failing == step => {
                Err(format!("the test function fails {step}"))
            }
            _ => self.template(&event).await,
        };
        match result {
            Ok(()) => hyper::Response::new(Full::new(Bytes::from_static(b"null"))),
            Err(message) => {
                // As Lambda and its runtime interface emulator report a function error.
                let body = serde_json::json!({"errorType": "ValueError", "errorMessage": message});
                hyper::Response::builder()
                    .status(200)
                    .header("X-Amz-Function-Error", "Unhandled")
                    .body(Full::new(Bytes::from(body.to_string())))
                    .unwrap()
            }
        }
    }

    /// AWS's SecretsManagerRotationTemplate, step for step.
    async fn template(&self, event: &Value) -> Result<(), String> {
        let client = self.client.get().ok_or("no client")?;
        let arn = event["SecretId"].as_str().unwrap();
        let token = event["ClientRequestToken"].as_str().unwrap();
        let step = event["Step"].as_str().unwrap();
        let described = client
            .describe_secret()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        if described.rotation_enabled() == Some(false) {
            return Err(format!("Secret {arn} is not enabled for rotation"));
        }
        let versions = described
            .version_ids_to_stages()
            .cloned()
            .unwrap_or_default();
        let Some(stages) = versions.get(token) else {
            return Err(format!(
                "Secret version {token} has no stage for rotation of secret {arn}."
            ));
        };
        if stages.iter().any(|s| s == "AWSCURRENT") {
            return Ok(());
        }
        if !stages.iter().any(|s| s == "AWSPENDING") {
            return Err(format!(
                "Secret version {token} not set as AWSPENDING for rotation of secret {arn}."
            ));
        }
        match step {
            "createSecret" => {
                self.record(
                    "stages_during_create",
                    serde_json::to_value(stages).unwrap(),
                );
                let pending_read = client
                    .get_secret_value()
                    .secret_id(arn)
                    .version_stage("AWSPENDING")
                    .send()
                    .await;
                if let Err(e) = pending_read {
                    let e = api_err(e);
                    self.record(
                        "pending_read_before",
                        serde_json::json!([e.code, e.message]),
                    );
                }
                let listed = client
                    .list_secret_version_ids()
                    .secret_id(arn)
                    .include_deprecated(true)
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                let ids: Vec<String> = listed
                    .versions()
                    .iter()
                    .filter_map(|v| v.version_id().map(str::to_owned))
                    .collect();
                self.record("listed_during_create", serde_json::to_value(ids).unwrap());
                let current = client
                    .get_secret_value()
                    .secret_id(arn)
                    .version_stage("AWSCURRENT")
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                let by_token = client
                    .get_secret_value()
                    .secret_id(arn)
                    .version_id(token)
                    .version_stage("AWSPENDING")
                    .send()
                    .await;
                if by_token.is_ok() {
                    return Ok(());
                }
                let password = client
                    .get_random_password()
                    .exclude_characters(":/@\"'\\")
                    .password_length(32)
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                let mut value: Value =
                    serde_json::from_str(current.secret_string().unwrap_or("{}"))
                        .unwrap_or_default();
                value["password"] = Value::String(password.random_password().unwrap().to_owned());
                let put = || {
                    client
                        .put_secret_value()
                        .secret_id(arn)
                        .client_request_token(token)
                        .secret_string(value.to_string())
                        .version_stages("AWSPENDING")
                        .rotation_token(event["RotationToken"].as_str().unwrap())
                        .send()
                };
                put().await.map_err(|e| format!("{e:?}"))?;
                // The same value again is a no-op (a step retried after a crash).
                let again = put().await.map_err(|e| format!("{e:?}"))?;
                self.record(
                    "put_again_version",
                    Value::String(again.version_id().unwrap().to_owned()),
                );
                Ok(())
            }
            "setSecret" => Ok(()),
            "testSecret" => {
                let pending = client
                    .get_secret_value()
                    .secret_id(arn)
                    .version_id(token)
                    .version_stage("AWSPENDING")
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                self.record(
                    "tested",
                    serde_json::json!([pending.version_id(), pending.secret_string()]),
                );
                Ok(())
            }
            "finishSecret" => {
                let current = versions
                    .iter()
                    .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
                    .map(|(id, _)| id.clone());
                if current.as_deref() == Some(token) {
                    return Ok(());
                }
                let mut update = client
                    .update_secret_version_stage()
                    .secret_id(arn)
                    .version_stage("AWSCURRENT")
                    .move_to_version_id(token);
                if let Some(current) = current {
                    update = update.remove_from_version_id(current);
                }
                update.send().await.map_err(|e| format!("{e:?}"))?;
                Ok(())
            }
            other => Err(format!("Invalid step parameter {other}")),
        }
    }
}

/// A coffer whose rotation functions are the test function and the built-in `random`, with
/// synchronous rotation (RotateSecret answers when its run has ended).
async fn setup() -> (TestServer, Arc<Function>, Client) {
    setup_with(|_, _| {}).await
}

/// [`setup`], the configuration adjusted after.
async fn setup_with(
    adjust: impl FnOnce(&mut coffer_server::Config, &str),
) -> (TestServer, Arc<Function>, Client) {
    let function = Function::start().await;
    let url = function.url();
    let server = start_with(|c| {
        c.rotation_functions = coffer_server::rotation::functions::FunctionList(
            coffer_server::rotation::functions::parse_list(&format!(
                "{FUNCTION}={url},{RANDOM}=builtin:random"
            ))
            .unwrap(),
        );
        c.rotation_synchronous = Some(true);
        c.rotation_interval_secs = 0;
        adjust(c, &url);
    })
    .await;
    let client = server.client();
    let _ = function.client.set(client.clone());
    (server, function, client)
}

async fn create(client: &Client, name: &str, value: &str) -> String {
    client
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_owned()
}

fn days(n: i64) -> RotationRulesType {
    RotationRulesType::builder()
        .automatically_after_days(n)
        .build()
}

/// VersionIdsToStages, sorted.
async fn stages(client: &Client, name: &str) -> Vec<(String, Vec<String>)> {
    let d = client
        .describe_secret()
        .secret_id(name)
        .send()
        .await
        .unwrap();
    let mut out: Vec<(String, Vec<String>)> = d
        .version_ids_to_stages()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    out.sort();
    out
}

/// The events of the server's audit file with this name, after a flush.
async fn audit_events(s: &TestServer, name: &str) -> Vec<Value> {
    assert!(s.server.audit.flush().await);
    let text = std::fs::read_to_string(s.data_dir().join("audit.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["eventName"] == name)
        .collect()
}

#[tokio::test]
async fn api_rotation_raw_without_token_is_invalid_parameter_even_for_a_missing_secret() {
    let (s, _f, _c) = setup().await;
    let r = s
        .raw_json(
            "RotateSecret",
            &serde_json::json!({"SecretId": "nope", "RotationLambdaARN": FUNCTION}),
        )
        .send()
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "InvalidParameterException");
    assert_eq!(r.json()["Message"], MSG_TOKEN_REQUIRED);
}

#[tokio::test]
async fn api_rotation_refusals_save_nothing() {
    let (_s, f, c) = setup().await;
    create(&c, "app/refused", r#"{"password":"p0"}"#).await;
    let before = c
        .describe_secret()
        .secret_id("app/refused")
        .send()
        .await
        .unwrap();
    // Rules only, on a secret never configured: no function.
    assert_err(
        c.rotate_secret()
            .secret_id("app/refused")
            .rotation_rules(days(7))
            .send()
            .await,
        "InvalidRequestException",
        MSG_NO_FUNCTION,
    );
    // A function the operator did not configure: AWS's AccessDenied, nothing saved.
    assert_err(
        c.rotate_secret()
            .secret_id("app/refused")
            .rotation_lambda_arn(UNKNOWN)
            .rotation_rules(days(7))
            .send()
            .await,
        "AccessDeniedException",
        MSG_CANNOT_INVOKE,
    );
    let after = c
        .describe_secret()
        .secret_id("app/refused")
        .send()
        .await
        .unwrap();
    // Identical but for the request id.
    assert_eq!(
        format!("{after:?}").split("_request_id").next(),
        format!("{before:?}").split("_request_id").next()
    );
    assert_eq!(after.rotation_enabled(), None);
    assert_eq!(after.rotation_lambda_arn(), None);
    assert!(after.rotation_rules().is_none());
    assert!(after.next_rotation_date().is_none());
    // CancelRotateSecret on a secret never configured.
    assert_err(
        c.cancel_rotate_secret()
            .secret_id("app/refused")
            .send()
            .await,
        "InvalidRequestException",
        MSG_NO_FUNCTION,
    );
    // Missing secret: not found.
    assert_err(
        c.rotate_secret()
            .secret_id("app/none")
            .rotation_lambda_arn(FUNCTION)
            .send()
            .await,
        "ResourceNotFoundException",
        MSG_NOT_FOUND,
    );
    assert!(f.steps().is_empty());
    // A RotationToken that is no live run's.
    assert_err(
        c.put_secret_value()
            .secret_id("app/refused")
            .secret_string("x")
            .rotation_token("0123456789abcdef0123456789abcdef0123")
            .send()
            .await,
        "InvalidRequestException",
        "The RotationToken doesn't match a rotation in progress for this secret.",
    );
}

#[tokio::test]
async fn api_rotation_template_function_rotates_end_to_end() {
    let (s, f, c) = setup().await;
    let old = create(&c, "app/db", r#"{"username":"app","password":"p0"}"#).await;
    let token = token();
    let out = c
        .rotate_secret()
        .secret_id("app/db")
        .client_request_token(&token)
        .rotation_lambda_arn(FUNCTION)
        .rotation_rules(days(30))
        .send()
        .await
        .unwrap();
    let arn = out.arn().unwrap().to_owned();
    assert_eq!(out.name(), Some("app/db"));
    assert_eq!(out.version_id(), Some(token.as_str()));
    // Four invocations on Lambda's Invoke path, in order, with AWS's event.
    assert_eq!(
        f.steps(),
        ["createSecret", "setSecret", "testSecret", "finishSecret"]
    );
    for invocation in f.invocations.lock().unwrap().iter() {
        assert_eq!(
            invocation.path,
            "/2015-03-31/functions/template-rotator/invocations"
        );
        assert_eq!(invocation.event["SecretId"], arn.as_str());
        assert_eq!(invocation.event["ClientRequestToken"], token.as_str());
        assert!(invocation.event["RotationToken"].as_str().unwrap().len() >= 36);
        let keys: Vec<&String> = invocation.event.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["ClientRequestToken", "RotationToken", "SecretId", "Step"]
        );
    }
    // What the function saw inside createSecret: the value-less placeholder.
    assert_eq!(
        f.note("stages_during_create"),
        serde_json::json!(["AWSPENDING"])
    );
    assert_eq!(
        f.note("pending_read_before"),
        serde_json::json!([
            "ResourceNotFoundException",
            msg_no_value_for_stage("AWSPENDING")
        ])
    );
    assert_eq!(
        f.note("listed_during_create"),
        serde_json::json!([old.clone()])
    );
    assert_eq!(f.note("put_again_version"), Value::String(token.clone()));
    // After: the new version is current, the old one previous, no AWSPENDING.
    let mut expected = vec![
        (old.clone(), vec!["AWSPREVIOUS".to_owned()]),
        (token.clone(), vec!["AWSCURRENT".to_owned()]),
    ];
    expected.sort();
    assert_eq!(stages(&c, "app/db").await, expected);
    let value: Value = serde_json::from_str(
        c.get_secret_value()
            .secret_id("app/db")
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(value["username"], "app");
    assert_ne!(value["password"], "p0");
    assert_eq!(value["password"].as_str().unwrap().len(), 32);
    let d = c
        .describe_secret()
        .secret_id("app/db")
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), Some(true));
    assert_eq!(d.rotation_lambda_arn(), Some(FUNCTION));
    assert_eq!(d.rotation_rules(), Some(&days(30)));
    let last = d.last_rotated_date().unwrap().secs();
    assert!((Utc::now().timestamp() - last).abs() < 60);
    let today = Utc::now().date_naive();
    let next = today + Duration::days(30);
    let expected_next = Utc
        .with_ymd_and_hms(next.year(), next.month(), next.day(), 23, 59, 59)
        .unwrap();
    assert_eq!(
        d.next_rotation_date().unwrap().secs(),
        expected_next.timestamp()
    );
    // The finished rotation's token cannot start another one.
    assert_err(
        c.rotate_secret()
            .secret_id("app/db")
            .client_request_token(&token)
            .send()
            .await,
        "ResourceExistsException",
        &msg_token_in_use(&token, &arn),
    );
    // ListSecrets carries the same fields.
    let listed = c.list_secrets().send().await.unwrap();
    let entry = &listed.secret_list()[0];
    assert_eq!(entry.rotation_enabled(), Some(true));
    assert_eq!(entry.rotation_lambda_arn(), Some(FUNCTION));
    assert_eq!(entry.next_rotation_date(), d.next_rotation_date());
    // The trail has the run's service events, no value.
    assert_eq!(audit_events(&s, "RotationStarted").await.len(), 1);
    let succeeded = audit_events(&s, "RotationSucceeded").await;
    assert_eq!(succeeded.len(), 1);
    assert_eq!(
        succeeded[0]["requestParameters"]["versionId"],
        token.as_str()
    );
    assert!(!succeeded[0]
        .to_string()
        .contains(value["password"].as_str().unwrap()));
}

#[tokio::test]
async fn api_rotation_failing_step_keeps_pending_and_blocks_the_next_rotation() {
    let (s, f, c) =
        setup_with(|c, url| c.rotation_notify_url = Some(format!("{url}/notify"))).await;
    let old = create(&c, "app/failing", r#"{"password":"p0"}"#).await;
    f.set(Behaviour::FailAt("setSecret"));
    let token = token();
    // RotateSecret answers 200: the failure shows in the secret's state.
    c.rotate_secret()
        .secret_id("app/failing")
        .client_request_token(&token)
        .rotation_lambda_arn(FUNCTION)
        .rotation_rules(days(7))
        .send()
        .await
        .unwrap();
    assert_eq!(f.steps(), ["createSecret", "setSecret"]);
    let mut expected = vec![
        (old.clone(), vec!["AWSCURRENT".to_owned()]),
        (token.clone(), vec!["AWSPENDING".to_owned()]),
    ];
    expected.sort();
    assert_eq!(stages(&c, "app/failing").await, expected);
    let d = c
        .describe_secret()
        .secret_id("app/failing")
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), Some(true));
    assert!(d.last_rotated_date().is_none());
    // Another rotation: refused, and its rules are not saved.
    assert_err(
        c.rotate_secret()
            .secret_id("app/failing")
            .rotation_rules(days(1))
            .send()
            .await,
        "InvalidRequestException",
        MSG_NOT_COMPLETE,
    );
    let d = c
        .describe_secret()
        .secret_id("app/failing")
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_rules(), Some(&days(7)));
    let failed = audit_events(&s, "RotationFailed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0]["errorMessage"],
        "setSecret: ValueError: the test function fails setSecret"
    );
    // The operator's notice of the final failure.
    let arn = c
        .describe_secret()
        .secret_id("app/failing")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    assert_eq!(
        f.note("/notify"),
        serde_json::json!({"Event": "RotationFailed", "SecretARN": arn, "VersionId": token,
                           "Attempt": 1,
                           "Error": "setSecret: ValueError: the test function fails setSecret"})
    );
    // CancelRotateSecret: disabled, config and labels kept, the pending version named.
    let cancelled = c
        .cancel_rotate_secret()
        .secret_id("app/failing")
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.version_id(), Some(token.as_str()));
    let d = c
        .describe_secret()
        .secret_id("app/failing")
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), Some(false));
    assert_eq!(d.rotation_lambda_arn(), Some(FUNCTION));
    assert_eq!(d.rotation_rules(), Some(&days(7)));
    assert!(d.next_rotation_date().is_none());
    assert_eq!(stages(&c, "app/failing").await, expected);
    // The cause fixed, RotateSecret with the pending token reattempts that rotation.
    f.set(Behaviour::Template);
    c.rotate_secret()
        .secret_id("app/failing")
        .client_request_token(&token)
        .send()
        .await
        .unwrap();
    let mut done = vec![
        (old, vec!["AWSPREVIOUS".to_owned()]),
        (token, vec!["AWSCURRENT".to_owned()]),
    ];
    done.sort();
    assert_eq!(stages(&c, "app/failing").await, done);
    let d = c
        .describe_secret()
        .secret_id("app/failing")
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), Some(true));
}

#[tokio::test]
async fn api_rotation_function_that_does_nothing_fails_the_run() {
    let (_s, f, c) = setup().await;
    create(&c, "app/noop", "v0").await;
    f.set(Behaviour::Noop);
    c.rotate_secret()
        .secret_id("app/noop")
        .rotation_lambda_arn(FUNCTION)
        .send()
        .await
        .unwrap();
    assert_eq!(f.steps().len(), 4);
    assert_err(
        c.rotate_secret().secret_id("app/noop").send().await,
        "InvalidRequestException",
        MSG_NOT_COMPLETE,
    );
    // A new value abandons the rotation: AWSPENDING goes, the next rotation works.
    c.put_secret_value()
        .secret_id("app/noop")
        .secret_string("v1")
        .send()
        .await
        .unwrap();
    let s = stages(&c, "app/noop").await;
    assert!(
        s.iter().all(|(_, l)| !l.contains(&"AWSPENDING".to_owned())),
        "{s:?}"
    );
    f.set(Behaviour::Template);
    c.rotate_secret()
        .secret_id("app/noop")
        .send()
        .await
        .unwrap();
    let s = stages(&c, "app/noop").await;
    assert_eq!(s.len(), 2);
}

#[tokio::test]
async fn api_rotation_new_value_abandons_the_pending_rotation() {
    let (s, f, c) = setup().await;
    create(&c, "app/abandon", "v0").await;
    f.set(Behaviour::FailAt("createSecret"));
    let token = token();
    c.rotate_secret()
        .secret_id("app/abandon")
        .client_request_token(&token)
        .rotation_lambda_arn(FUNCTION)
        .send()
        .await
        .unwrap();
    // The value-less placeholder: in VersionIdsToStages, not readable, not listed.
    let listed = stages(&c, "app/abandon").await;
    assert!(listed.contains(&(token.clone(), vec!["AWSPENDING".to_owned()])));
    assert_err(
        c.get_secret_value()
            .secret_id("app/abandon")
            .version_id(&token)
            .send()
            .await,
        "ResourceNotFoundException",
        &msg_no_value_for_version(&token),
    );
    let versions = c
        .list_secret_version_ids()
        .secret_id("app/abandon")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert!(versions
        .versions()
        .iter()
        .all(|v| v.version_id() != Some(token.as_str())));
    c.put_secret_value()
        .secret_id("app/abandon")
        .secret_string("v1")
        .send()
        .await
        .unwrap();
    let after = stages(&c, "app/abandon").await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(!after.iter().any(|(id, _)| *id == token));
    assert_eq!(audit_events(&s, "RotationAbandoned").await.len(), 1);
    f.set(Behaviour::Template);
    c.rotate_secret()
        .secret_id("app/abandon")
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.get_secret_value()
            .secret_id("app/abandon")
            .send()
            .await
            .unwrap()
            .secret_string()
            .map(|v| v.contains("password")),
        Some(true)
    );
}

#[tokio::test]
async fn api_rotation_removing_pending_from_the_placeholder_unblocks() {
    let (_s, f, c) = setup().await;
    create(&c, "app/unstick", "v0").await;
    f.set(Behaviour::FailAt("createSecret"));
    let token = token();
    c.rotate_secret()
        .secret_id("app/unstick")
        .client_request_token(&token)
        .rotation_lambda_arn(FUNCTION)
        .send()
        .await
        .unwrap();
    // AWS's documented way out: remove AWSPENDING from the pending version.
    c.update_secret_version_stage()
        .secret_id("app/unstick")
        .version_stage("AWSPENDING")
        .remove_from_version_id(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stages(&c, "app/unstick").await.len(), 1);
    f.set(Behaviour::Template);
    c.rotate_secret()
        .secret_id("app/unstick")
        .send()
        .await
        .unwrap();
    assert_eq!(stages(&c, "app/unstick").await.len(), 2);
}

#[tokio::test]
async fn api_rotation_rotate_immediately_false_tests_a_copy_of_the_current_value() {
    let (_s, f, c) = setup().await;
    let old = create(&c, "app/test-only", r#"{"password":"p0"}"#).await;
    let token = token();
    c.rotate_secret()
        .secret_id("app/test-only")
        .client_request_token(&token)
        .rotation_lambda_arn(FUNCTION)
        .rotation_rules(days(10))
        .rotate_immediately(false)
        .send()
        .await
        .unwrap();
    assert_eq!(f.steps(), ["testSecret"]);
    assert_eq!(
        f.note("tested"),
        serde_json::json!([token.clone(), r#"{"password":"p0"}"#])
    );
    assert_eq!(
        stages(&c, "app/test-only").await,
        [(old, vec!["AWSCURRENT".to_owned()])]
    );
    let versions = c
        .list_secret_version_ids()
        .secret_id("app/test-only")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);
    let d = c
        .describe_secret()
        .secret_id("app/test-only")
        .send()
        .await
        .unwrap();
    assert_eq!(d.rotation_enabled(), Some(true));
    assert!(d.next_rotation_date().is_some());
    assert!(d.last_rotated_date().is_none());
}

#[tokio::test]
async fn api_rotation_schedules_are_checked_and_echoed() {
    let (_s, _f, c) = setup().await;
    create(&c, "app/sched", "v0").await;
    let rules = |expr: &str, duration: Option<&str>| {
        let mut b = RotationRulesType::builder().schedule_expression(expr);
        if let Some(d) = duration {
            b = b.duration(d);
        }
        b.build()
    };
    c.rotate_secret()
        .secret_id("app/sched")
        .rotation_lambda_arn(RANDOM)
        .rotation_rules(rules("cron(0 16 1,15 * ? *)", Some("2h")))
        .rotate_immediately(false)
        .send()
        .await
        .unwrap();
    let d = c
        .describe_secret()
        .secret_id("app/sched")
        .send()
        .await
        .unwrap();
    let echoed = d.rotation_rules().unwrap();
    assert_eq!(echoed.schedule_expression(), Some("cron(0 16 1,15 * ? *)"));
    assert_eq!(echoed.duration(), Some("2h"));
    assert_eq!(echoed.automatically_after_days(), Some(14));
    // The window ends at 18:00 on the 1st or 15th: NextRotationDate is 17:59:59.
    let next = chrono::DateTime::from_timestamp(d.next_rotation_date().unwrap().secs(), 0).unwrap();
    assert_eq!((next.format("%H:%M:%S").to_string()), "17:59:59");
    assert!(next.day() == 1 || next.day() == 15);
    c.rotate_secret()
        .secret_id("app/sched")
        .rotation_rules(rules("rate(1 day)", Some("2h")))
        .rotate_immediately(false)
        .send()
        .await
        .unwrap();
    for (expr, duration) in [
        ("rate(3 hours)", None),
        ("cron(30 16 * * ? *)", None),
        ("cron(0 16 * * ? 2027)", None),
        ("rate(1 day)", Some("25h")),
        ("rate(6 hours)", Some("7h")),
    ] {
        let message = assert_code(
            c.rotate_secret()
                .secret_id("app/sched")
                .rotation_rules(rules(expr, duration))
                .send()
                .await,
            "InvalidParameterException",
        );
        assert!(!message.is_empty(), "{expr}");
    }
    assert_err(
        c.rotate_secret()
            .secret_id("app/sched")
            .rotation_rules(
                RotationRulesType::builder()
                    .automatically_after_days(2)
                    .schedule_expression("rate(2 days)")
                    .build(),
            )
            .send()
            .await,
        "InvalidParameterException",
        "You cannot specify both rotation frequency and schedule expression together.",
    );
    // Still the last accepted rules.
    let d = c
        .describe_secret()
        .secret_id("app/sched")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.rotation_rules().unwrap().schedule_expression(),
        Some("rate(1 day)")
    );
}

#[tokio::test]
async fn api_rotation_builtin_random_changes_only_the_password() {
    let (_s, _f, c) = setup().await;
    create(
        &c,
        "app/random",
        r#"{"engine":"postgres","username":"u","password":"p0"}"#,
    )
    .await;
    let item = aws_sdk_secretsmanager::types::ExternalSecretRotationMetadataItem::builder()
        .key("team")
        .value("payments")
        .build();
    c.rotate_secret()
        .secret_id("app/random")
        .rotation_lambda_arn(RANDOM)
        .external_secret_rotation_metadata(item.clone())
        .external_secret_rotation_role_arn("arn:aws:iam::111122223333:role/rotation")
        .send()
        .await
        .unwrap();
    // Saved and shown as given.
    let d = c
        .describe_secret()
        .secret_id("app/random")
        .send()
        .await
        .unwrap();
    assert_eq!(d.external_secret_rotation_metadata(), [item]);
    assert_eq!(
        d.external_secret_rotation_role_arn(),
        Some("arn:aws:iam::111122223333:role/rotation")
    );
    let value: Value = serde_json::from_str(
        c.get_secret_value()
            .secret_id("app/random")
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(value["engine"], "postgres");
    assert_eq!(value["username"], "u");
    assert_ne!(value["password"], "p0");
    assert_eq!(value.as_object().unwrap().len(), 3);
    let previous = c
        .get_secret_value()
        .secret_id("app/random")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    assert!(previous.secret_string().unwrap().contains("p0"));
    // A plain value becomes a plain password.
    create(&c, "app/random-plain", "tok").await;
    c.rotate_secret()
        .secret_id("app/random-plain")
        .rotation_lambda_arn(RANDOM)
        .send()
        .await
        .unwrap();
    let plain = c
        .get_secret_value()
        .secret_id("app/random-plain")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.secret_string().unwrap().len(), 32);
}

#[tokio::test]
async fn api_rotation_scheduler_rotates_due_secrets_once() {
    let clock = Arc::new(coffer_core::clock::ManualClock::new(Utc::now()));
    let s = start_clocked(
        |c| {
            c.rotation_functions = coffer_server::rotation::functions::FunctionList(
                coffer_server::rotation::functions::parse_list(&format!("{RANDOM}=builtin:random"))
                    .unwrap(),
            );
            c.rotation_synchronous = Some(true);
            c.rotation_interval_secs = 0;
        },
        clock.clone(),
    )
    .await;
    let c = s.client();
    create(&c, "app/scheduled", "v0").await;
    c.rotate_secret()
        .secret_id("app/scheduled")
        .rotation_lambda_arn(RANDOM)
        .rotation_rules(days(1))
        .rotate_immediately(false)
        .send()
        .await
        .unwrap();
    let scope = coffer_core::names::Scope {
        account: coffer_core::names::AccountId::parse(&s.account).unwrap(),
        region: coffer_core::names::Region::parse("us-east-1").unwrap(),
    };
    // Not due yet.
    assert!(s.server.rotation.tick().await.is_empty());
    // Two days later the window has come: one run, then nothing more to do.
    clock.advance(Duration::days(2));
    let driven = s.server.rotation.tick().await;
    assert_eq!(driven, [coffer_server::rotation::Driven::Succeeded]);
    assert!(s.server.rotation.tick().await.is_empty());
    let record = s
        .server
        .service
        .describe_secret(&scope, "app/scheduled")
        .await
        .unwrap();
    assert_eq!(record.versions.len(), 2);
    let rotation = record.rotation.unwrap();
    assert_eq!(rotation.last_rotated, Some(s.server.service.now()));
    assert!(rotation.next_rotation_date().unwrap() > s.server.service.now());
    // Nothing is lost across a restart: the schedule is in the store.
    let s = s.restart().await;
    let record = s
        .server
        .service
        .describe_secret(&scope, "app/scheduled")
        .await
        .unwrap();
    assert!(record.rotation.unwrap().enabled);
}

/// `coffer admin rotation <args>` against the server's data directory (and database).
fn rotation_cli(s: &TestServer, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"));
    command
        .args(["admin", "rotation"])
        .args(args)
        .arg("--data-dir");
    command.arg(s.data_dir());
    if let Some(database) = s.database() {
        command.args(["--database", database]);
    }
    command.output().unwrap()
}

#[tokio::test]
async fn api_rotation_scheduled_failures_back_off_then_fail_and_show() {
    let clock = Arc::new(coffer_core::clock::ManualClock::new(Utc::now()));
    let f = Function::start().await;
    f.set(Behaviour::FailAt("createSecret"));
    let url = f.url();
    let s = start_clocked(
        |c| {
            c.rotation_functions = coffer_server::rotation::functions::FunctionList(
                coffer_server::rotation::functions::parse_list(&format!("{FUNCTION}={url}"))
                    .unwrap(),
            );
            c.rotation_synchronous = Some(false);
            c.rotation_interval_secs = 0;
            c.rotation_max_attempts = 3;
        },
        clock.clone(),
    )
    .await;
    let c = s.client();
    // No value: RotateImmediately=false then invokes nothing (nothing to test).
    c.create_secret().name("app/backoff").send().await.unwrap();
    c.rotate_secret()
        .secret_id("app/backoff")
        .rotation_lambda_arn(FUNCTION)
        .rotation_rules(days(1))
        .rotate_immediately(false)
        .send()
        .await
        .unwrap();
    assert!(f.steps().is_empty());
    use coffer_server::rotation::Driven;
    clock.advance(Duration::days(2));
    assert_eq!(s.server.rotation.tick().await, [Driven::Retrying]);
    // Waiting for its backoff (30 s ± 20 %): nothing to do now.
    assert!(s.server.rotation.tick().await.is_empty());
    clock.advance(Duration::seconds(37));
    assert_eq!(s.server.rotation.tick().await, [Driven::Retrying]);
    assert!(s.server.rotation.tick().await.is_empty());
    // The second wait is twice as long.
    clock.advance(Duration::seconds(37));
    assert!(s.server.rotation.tick().await.is_empty());
    clock.advance(Duration::seconds(37));
    let last = s.server.rotation.tick().await;
    assert_eq!(
        last,
        [Driven::Failed(
            "createSecret: ValueError: the test function fails createSecret".into()
        )]
    );
    assert_eq!(f.steps(), ["createSecret", "createSecret", "createSecret"]);
    // Every attempt used the same version id.
    let tokens: std::collections::HashSet<String> = f
        .invocations
        .lock()
        .unwrap()
        .iter()
        .map(|i| i.event["ClientRequestToken"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens.len(), 1);
    // Metrics and the admin list show it.
    let mut text = String::new();
    s.server.rotation.render(&mut text).await;
    assert!(
        text.contains("coffer_rotation_failing_secrets 1\n"),
        "{text}"
    );
    assert!(
        text.contains("coffer_rotation_overdue_secrets 1\n"),
        "{text}"
    );
    assert!(
        text.contains("coffer_rotation_runs_total{outcome=\"retrying\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("coffer_rotation_runs_total{outcome=\"failed\"} 1\n"),
        "{text}"
    );
    let out = rotation_cli(&s, &["list", "--failing"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("app/backoff-"));
    assert!(listed.contains("run=failed\tattempt=3"));
    assert!(listed.contains("error=createSecret: ValueError: the test function fails createSecret"));
    // A day later the stuck rotation is reattempted with a fresh round of attempts.
    clock.advance(Duration::hours(24));
    assert_eq!(s.server.rotation.tick().await, [Driven::Retrying]);
    assert_eq!(f.steps().len(), 4);
    // The operator's retry (`coffer admin rotation retry`) queues it now.
    let scope = coffer_core::names::Scope {
        account: coffer_core::names::AccountId::parse(&s.account).unwrap(),
        region: coffer_core::names::Region::parse("us-east-1").unwrap(),
    };
    assert!(s
        .server
        .service
        .rotation_retry(&scope, "app/backoff")
        .await
        .unwrap());
    assert_eq!(s.server.rotation.tick().await, [Driven::Retrying]);
    assert_eq!(f.steps().len(), 5);
}

const PG_SINGLE: &str = "arn:aws:lambda:us-east-1:111122223333:function:pg-single";
const PG_ALTERNATING: &str = "arn:aws:lambda:us-east-1:111122223333:function:pg-alternating";

/// A scratch PostgreSQL cluster with password (scram-sha-256) authentication: the shared test
/// instance trusts every local connection, so it cannot show that an old password stops
/// working. initdb into a temporary directory, pg_ctl on a free port of 127.0.0.1; stopped and
/// removed on drop.
struct ScratchCluster {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
}

/// The superuser's password of the scratch cluster.
const SUPERUSER_PASSWORD: &str = "scratch-superuser-pw";

impl ScratchCluster {
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())?;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), SUPERUSER_PASSWORD).unwrap();
        // initdb refuses to run as root: the cluster belongs to the postgres user then.
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .unwrap()
            .stdout
            == b"0\n";
        let run = |program: &str, args: &[String]| {
            let mut command = if root {
                let mut c = std::process::Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(bin.join(program));
                c
            } else {
                std::process::Command::new(bin.join(program))
            };
            let out = command.args(args).output().unwrap();
            assert!(
                out.status.success(),
                "{program}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        if root {
            let ids = std::process::Command::new("id")
                .args(["-u", "postgres"])
                .output()
                .unwrap();
            let uid: u32 = String::from_utf8(ids.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            for path in [dir.path().to_owned(), dir.path().join("pw")] {
                std::os::unix::fs::chown(&path, Some(uid), None).unwrap();
            }
        }
        let data = dir.path().join("data").display().to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        run(
            "initdb",
            &[
                "-D".into(),
                data.clone(),
                "-U".into(),
                "postgres".into(),
                "--auth=scram-sha-256".into(),
                format!("--pwfile={}", dir.path().join("pw").display()),
            ],
        );
        run(
            "pg_ctl",
            &[
                "-D".into(),
                data,
                "-w".into(),
                "-l".into(),
                dir.path().join("log").display().to_string(),
                "-o".into(),
                format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1",
                    dir.path().display()
                ),
                "start".into(),
            ],
        );
        Some(Self { dir, bin, port })
    }

    fn credentials(&self, user: &str, password: &str) -> Value {
        serde_json::json!({"engine": "postgres", "host": "127.0.0.1", "port": self.port,
                           "username": user, "password": password, "dbname": "postgres"})
    }

    /// Whether `user` logs in with `password`.
    async fn logs_in(&self, user: &str, password: &str) -> bool {
        use sqlx::ConnectOptions;
        sqlx::postgres::PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username(user)
            .password(password)
            .database("postgres")
            .connect()
            .await
            .is_ok()
    }

    async fn superuser(&self, sql: &str) {
        use sqlx::ConnectOptions;
        let mut conn = sqlx::postgres::PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username("postgres")
            .password(SUPERUSER_PASSWORD)
            .database("postgres")
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

impl Drop for ScratchCluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let mut command = std::process::Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"]);
        if !command.output().is_ok_and(|o| o.status.success()) {
            let _ = std::process::Command::new(self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "stop"])
                .output();
        }
    }
}

async fn pg_setup() -> Option<(ScratchCluster, TestServer, Client)> {
    let Some(cluster) = ScratchCluster::start() else {
        assert!(!pg::required(), "no initdb under /usr/lib/postgresql");
        eprintln!("skipped: no initdb under /usr/lib/postgresql");
        return None;
    };
    let s = start_with(|c| {
        c.rotation_functions = coffer_server::rotation::functions::FunctionList(
            coffer_server::rotation::functions::parse_list(&format!(
                "{PG_SINGLE}=builtin:postgres-single-user,{PG_ALTERNATING}=builtin:postgres-alternating"
            ))
            .unwrap(),
        );
        c.rotation_synchronous = Some(true);
        c.rotation_interval_secs = 0;
    })
    .await;
    let c = s.client();
    Some((cluster, s, c))
}

async fn value_of(c: &Client, name: &str, stage: &str) -> Value {
    serde_json::from_str(
        c.get_secret_value()
            .secret_id(name)
            .version_stage(stage)
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn api_rotation_postgres_single_user_changes_the_users_password() {
    let Some((cluster, _s, c)) = pg_setup().await else {
        return;
    };
    cluster
        .superuser("CREATE ROLE app LOGIN PASSWORD 'app-old-pw'")
        .await;
    let old = cluster.credentials("app", "app-old-pw");
    create(&c, "app/pg", &old.to_string()).await;
    c.rotate_secret()
        .secret_id("app/pg")
        .rotation_lambda_arn(PG_SINGLE)
        .send()
        .await
        .unwrap();
    let current = value_of(&c, "app/pg", "AWSCURRENT").await;
    let password = current["password"].as_str().unwrap();
    assert_ne!(password, "app-old-pw");
    assert_eq!(current["username"], "app");
    assert!(cluster.logs_in("app", password).await);
    assert!(!cluster.logs_in("app", "app-old-pw").await);
    assert_eq!(value_of(&c, "app/pg", "AWSPREVIOUS").await, old);
    let d = c
        .describe_secret()
        .secret_id("app/pg")
        .send()
        .await
        .unwrap();
    assert!(d.last_rotated_date().is_some());
    // A second rotation starts from the new password.
    c.rotate_secret().secret_id("app/pg").send().await.unwrap();
    let again = value_of(&c, "app/pg", "AWSCURRENT").await;
    let newer = again["password"].as_str().unwrap();
    assert!(cluster.logs_in("app", newer).await);
    assert!(!cluster.logs_in("app", password).await);
}

#[tokio::test]
async fn api_rotation_postgres_alternating_users_keep_a_working_credential() {
    let Some((cluster, _s, c)) = pg_setup().await else {
        return;
    };
    cluster
        .superuser("CREATE ROLE svc LOGIN PASSWORD 'svc-old-pw'")
        .await;
    let master = c
        .create_secret()
        .name("app/pg-master")
        .secret_string(
            cluster
                .credentials("postgres", SUPERUSER_PASSWORD)
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    let mut first = cluster.credentials("svc", "svc-old-pw");
    first["masterarn"] = Value::String(master.arn().unwrap().to_owned());
    create(&c, "app/pg-alt", &first.to_string()).await;
    c.rotate_secret()
        .secret_id("app/pg-alt")
        .rotation_lambda_arn(PG_ALTERNATING)
        .send()
        .await
        .unwrap();
    let current = value_of(&c, "app/pg-alt", "AWSCURRENT").await;
    assert_eq!(current["username"], "svc_clone");
    let clone_pw = current["password"].as_str().unwrap().to_owned();
    assert!(cluster.logs_in("svc_clone", &clone_pw).await);
    // The previous credential still works: applications holding it are not cut off.
    assert!(cluster.logs_in("svc", "svc-old-pw").await);
    assert_eq!(value_of(&c, "app/pg-alt", "AWSPREVIOUS").await, first);
    // The next rotation goes back to the first user, with a new password.
    c.rotate_secret()
        .secret_id("app/pg-alt")
        .send()
        .await
        .unwrap();
    let next = value_of(&c, "app/pg-alt", "AWSCURRENT").await;
    assert_eq!(next["username"], "svc");
    let svc_pw = next["password"].as_str().unwrap();
    assert!(cluster.logs_in("svc", svc_pw).await);
    assert!(!cluster.logs_in("svc", "svc-old-pw").await);
    assert!(cluster.logs_in("svc_clone", &clone_pw).await);
}

#[tokio::test]
async fn api_rotation_iam_needs_invoke_and_honours_the_rotation_condition_keys() {
    let (s, _f, c) = setup().await;
    create(&c, "app/iam", r#"{"password":"p0"}"#).await;
    let account = s.account.clone();
    let user_arn = format!("arn:aws:iam::{account}:user/rotator");
    // secretsmanager:* but no lambda:InvokeFunction.
    let creds = s
        .user("rotator", Some(&iam::allow(r#""secretsmanager:*""#, "*")))
        .await;
    let user = s.client_for(&creds);
    assert_err(
        user.rotate_secret()
            .secret_id("app/iam")
            .rotation_lambda_arn(RANDOM)
            .send()
            .await,
        "AccessDeniedException",
        &format!(
            "User: {user_arn} is not authorized to perform: lambda:InvokeFunction on resource: \
             {RANDOM} because no identity-based policy allows the lambda:InvokeFunction action"
        ),
    );
    assert!(c
        .describe_secret()
        .secret_id("app/iam")
        .send()
        .await
        .unwrap()
        .rotation_enabled()
        .is_none());
    // Allowed to invoke only the random rotator, and to rotate only with it.
    s.put_user_policy(
        "rotator",
        "p",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[
                {{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}},
                {{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"{RANDOM}"}},
                {{"Effect":"Deny","Action":"secretsmanager:RotateSecret","Resource":"*",
                  "Condition":{{"StringNotEquals":{{"secretsmanager:RotationLambdaARN":"{RANDOM}"}}}}}},
                {{"Effect":"Deny","Action":"secretsmanager:RotateSecret","Resource":"*",
                  "Condition":{{"Bool":{{"secretsmanager:ModifyRotationRules":"true"}}}}}},
                {{"Effect":"Deny","Action":"secretsmanager:PutSecretValue","Resource":"*",
                  "Condition":{{"StringEquals":{{"secretsmanager:resource/AllowRotationLambdaArn":"{RANDOM}"}}}}}}
            ]}}"#
        ),
    )
    .await;
    let secret_arn = c
        .describe_secret()
        .secret_id("app/iam")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let denied = |action: &str| {
        format!(
            "User: {user_arn} is not authorized to perform: secretsmanager:{action} on resource: \
             {secret_arn} with an explicit deny in an identity-based policy"
        )
    };
    assert_err(
        user.rotate_secret()
            .secret_id("app/iam")
            .rotation_lambda_arn(FUNCTION)
            .send()
            .await,
        "AccessDeniedException",
        &denied("RotateSecret"),
    );
    assert_err(
        user.rotate_secret()
            .secret_id("app/iam")
            .rotation_lambda_arn(RANDOM)
            .rotation_rules(days(3))
            .send()
            .await,
        "AccessDeniedException",
        &denied("RotateSecret"),
    );
    user.rotate_secret()
        .secret_id("app/iam")
        .rotation_lambda_arn(RANDOM)
        .send()
        .await
        .unwrap();
    // Once the secret's stored function is the random rotator, the resource key denies writes.
    assert_err(
        user.put_secret_value()
            .secret_id("app/iam")
            .secret_string("manual")
            .send()
            .await,
        "AccessDeniedException",
        &denied("PutSecretValue"),
    );
}

#[tokio::test]
async fn api_rotation_real_mode_answers_before_the_function_runs() {
    let (s, f, c) = setup_with(|c, _| c.rotation_synchronous = Some(false)).await;
    let old = create(&c, "app/async", r#"{"password":"p0"}"#).await;
    f.hold.store(true, std::sync::atomic::Ordering::SeqCst);
    let token = token();
    // RotateSecret answers while the function is still inside createSecret.
    c.rotate_secret()
        .secret_id("app/async")
        .client_request_token(&token)
        .rotation_lambda_arn(FUNCTION)
        .send()
        .await
        .unwrap();
    f.entered.notified().await;
    let mut pending = vec![
        (old.clone(), vec!["AWSCURRENT".to_owned()]),
        (token.clone(), vec!["AWSPENDING".to_owned()]),
    ];
    pending.sort();
    assert_eq!(stages(&c, "app/async").await, pending);
    // Another rotation meanwhile: the one in progress is not complete.
    assert_err(
        c.rotate_secret().secret_id("app/async").send().await,
        "InvalidRequestException",
        MSG_NOT_COMPLETE,
    );
    f.release.notify_one();
    s.server.rotation.wait_idle().await;
    let mut done = vec![
        (old, vec!["AWSPREVIOUS".to_owned()]),
        (token, vec!["AWSCURRENT".to_owned()]),
    ];
    done.sort();
    assert_eq!(stages(&c, "app/async").await, done);
}

#[tokio::test]
async fn api_rotation_a_manual_value_moves_the_next_window_of_day_schedules() {
    let clock = Arc::new(coffer_core::clock::ManualClock::new(Utc::now()));
    let s = start_clocked(
        |c| {
            c.rotation_functions = coffer_server::rotation::functions::FunctionList(
                coffer_server::rotation::functions::parse_list(&format!("{RANDOM}=builtin:random"))
                    .unwrap(),
            );
            c.rotation_interval_secs = 0;
        },
        clock.clone(),
    )
    .await;
    let c = s.client();
    c.create_secret().name("app/manual").send().await.unwrap();
    c.rotate_secret()
        .secret_id("app/manual")
        .rotation_lambda_arn(RANDOM)
        .rotation_rules(days(3))
        .rotate_immediately(false)
        .send()
        .await
        .unwrap();
    let scope = coffer_core::names::Scope {
        account: coffer_core::names::AccountId::parse(&s.account).unwrap(),
        region: coffer_core::names::Region::parse("us-east-1").unwrap(),
    };
    let service = &s.server.service;
    let before = service
        .describe_secret(&scope, "app/manual")
        .await
        .unwrap()
        .rotation
        .unwrap()
        .next_rotation_date()
        .unwrap();
    clock.advance(Duration::days(2));
    service
        .put_secret_value(
            &scope,
            coffer_core::service::PutSecretValueInput {
                secret_id: "app/manual".into(),
                client_request_token: Some(token()),
                value: Some(coffer_core::model::SecretValue::String(
                    zeroize::Zeroizing::new("by hand".into()),
                )),
                version_stages: None,
                rotation_token: None,
            },
        )
        .await
        .unwrap();
    let after = service
        .describe_secret(&scope, "app/manual")
        .await
        .unwrap()
        .rotation
        .unwrap()
        .next_rotation_date()
        .unwrap();
    assert_eq!(after - before, Duration::days(2));
}
