//! The audit trail through the wire: one event per call of every kind (Secrets Manager, IAM,
//! STS, denied, failed, authentication failures), fail-closed secret reads while the audit file
//! cannot be written, the hash chain across rotation and its verification, search, and the
//! purge job's service event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::common::iam::{allow, Creds};
use crate::common::{api_err, assert_code, create, start_clocked, start_with, TestServer};
use chrono::{TimeZone, Utc};
use coffer_core::clock::{Clock, ManualClock};
use coffer_server::audit::{chain, search, sink, Audit, Event, FailClosed, Sink};
use serde_json::{json, Value};

/// A server whose audit file is `<dir>/audit.jsonl`, rotated at `max_bytes` (0: never).
async fn server(dir: &Path, max_bytes: u64) -> TestServer {
    let file = dir.join("audit.jsonl");
    start_with(move |c| {
        c.audit_file = Some(file);
        c.audit_max_bytes = max_bytes;
    })
    .await
}

/// [`server`] with a fixed root key: two servers on two data directories sharing one audit
/// file (a restart, as these tests stage it) key its chain alike.
async fn server_keyed(dir: &Path) -> TestServer {
    let file = dir.join("audit.jsonl");
    start_with(move |c| {
        c.audit_file = Some(file);
        c.root_key = Some(coffer_server::config::RootKeyText::new(
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into(),
        ));
    })
    .await
}

/// `coffer admin audit verify` on `files` with the server's data directory (root key) and
/// database (chain head), and `extra` flags.
fn verify_cli(s: &TestServer, extra: &[&str], files: &[PathBuf]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"));
    command.args(["admin", "audit", "verify", "--data-dir"]);
    command.arg(s.data_dir());
    if let Some(database) = s.database() {
        command.args(["--database", database]);
    }
    command.args(extra).args(files).output().unwrap()
}

/// Every event of the trail at `<dir>/audit.jsonl`, oldest first, after a flush.
async fn events(s: &TestServer, dir: &Path) -> Vec<Value> {
    assert!(
        s.server.audit.flush().await,
        "the audit trail must be written"
    );
    let mut all = Vec::new();
    for file in sink::trail_files(&dir.join("audit.jsonl")).unwrap() {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            all.push(serde_json::from_str::<Value>(line).unwrap());
        }
    }
    all
}

/// The server's audit chain key, as `coffer admin audit verify` derives it from the root key.
fn chain_key(s: &TestServer) -> chain::ChainKey {
    chain::ChainKey::new(s.server.service.keyring().audit_chain_key().as_ref())
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut at = v;
    for key in path {
        at = at.get(key)?;
    }
    at.as_str().map(str::to_owned)
}

/// (eventSource, eventName, errorCode, userIdentity.type, ARN or, without one, access key id).
type Summary = (String, String, Option<String>, String, Option<String>);

fn summary(e: &Value) -> Summary {
    (
        text(e, &["eventSource"]).unwrap(),
        text(e, &["eventName"]).unwrap(),
        text(e, &["errorCode"]),
        text(e, &["userIdentity", "type"]).unwrap(),
        text(e, &["userIdentity", "arn"]).or_else(|| text(e, &["userIdentity", "accessKeyId"])),
    )
}

const SM: &str = "secretsmanager.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const STS: &str = "sts.amazonaws.com";

fn row(source: &str, name: &str, code: Option<&str>, kind: &str, who: Option<&str>) -> Summary {
    (
        source.into(),
        name.into(),
        code.map(str::to_owned),
        kind.into(),
        who.map(str::to_owned),
    )
}

fn trust(s: &TestServer, user: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:user/{user}"}},"Action":"sts:AssumeRole"}}]}}"#,
        s.account
    )
}

#[tokio::test]
async fn every_call_of_every_kind_gives_exactly_one_event() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), 0).await;
    let root = s.client();
    let acct = s.account.clone();
    let root_arn = format!("arn:aws:iam::{acct}:root");
    let app_arn = format!("arn:aws:iam::{acct}:user/app");
    let role_arn = format!("arn:aws:iam::{acct}:role/reader");
    let session_arn = format!("arn:aws:sts::{acct}:assumed-role/reader/s1");
    let read = allow(
        r#""secretsmanager:GetSecretValue""#,
        "arn:aws:secretsmanager:*:*:secret:s-*",
    );
    let mut expected = Vec::new();

    // Set-up through the wire is recorded too: CreateUser, PutUserPolicy, CreateAccessKey.
    let app = s.user("app", Some(&read)).await;
    for name in ["CreateUser", "PutUserPolicy", "CreateAccessKey"] {
        expected.push(row(IAM, name, None, "Root", Some(&root_arn)));
    }
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "CreateRole"),
                ("RoleName", "reader"),
                ("AssumeRolePolicyDocument", &trust(&s, "app")),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    expected.push(row(IAM, "CreateRole", None, "Root", Some(&root_arn)));
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "PutRolePolicy"),
                ("RoleName", "reader"),
                ("PolicyName", "p"),
                ("PolicyDocument", &read),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    expected.push(row(IAM, "PutRolePolicy", None, "Root", Some(&root_arn)));

    const N: usize = 3;
    for round in 0..N {
        let name = format!("s-{round}");
        let value = format!("value-{round}");
        create(&root, &name, &value).await;
        expected.push(row(SM, "CreateSecret", None, "Root", Some(&root_arn)));
        let out = root
            .get_secret_value()
            .secret_id(&name)
            .send()
            .await
            .unwrap();
        assert_eq!(out.secret_string(), Some(value.as_str()));
        expected.push(row(SM, "GetSecretValue", None, "Root", Some(&root_arn)));
        assert_code(
            root.get_secret_value().secret_id("missing").send().await,
            "ResourceNotFoundException",
        );
        expected.push(row(
            SM,
            "GetSecretValue",
            Some("ResourceNotFoundException"),
            "Root",
            Some(&root_arn),
        ));
        root.describe_secret()
            .secret_id(&name)
            .send()
            .await
            .unwrap();
        expected.push(row(SM, "DescribeSecret", None, "Root", Some(&root_arn)));
        root.put_secret_value()
            .secret_id(&name)
            .secret_string("next")
            .send()
            .await
            .unwrap();
        expected.push(row(SM, "PutSecretValue", None, "Root", Some(&root_arn)));
        root.get_random_password().send().await.unwrap();
        expected.push(row(SM, "GetRandomPassword", None, "Root", Some(&root_arn)));
        root.batch_get_secret_value()
            .secret_id_list(&name)
            .send()
            .await
            .unwrap();
        expected.push(row(
            SM,
            "BatchGetSecretValue",
            None,
            "Root",
            Some(&root_arn),
        ));
        root.list_secrets().send().await.unwrap();
        expected.push(row(SM, "ListSecrets", None, "Root", Some(&root_arn)));

        // A user: allowed, then denied.
        let user = s.client_for(&app);
        user.get_secret_value()
            .secret_id(&name)
            .send()
            .await
            .unwrap();
        expected.push(row(SM, "GetSecretValue", None, "IAMUser", Some(&app_arn)));
        assert_code(
            user.describe_secret().secret_id(&name).send().await,
            "AccessDeniedException",
        );
        expected.push(row(
            SM,
            "DescribeSecret",
            Some("AccessDeniedException"),
            "IAMUser",
            Some(&app_arn),
        ));

        // STS, and a role session.
        let r = s.sts(&app, &[("Action", "GetCallerIdentity")]).await;
        assert_eq!(r.status, 200, "{}", r.text());
        expected.push(row(
            STS,
            "GetCallerIdentity",
            None,
            "IAMUser",
            Some(&app_arn),
        ));
        let session = s.assume(&app, &role_arn, &[]).await;
        expected.push(row(STS, "AssumeRole", None, "IAMUser", Some(&app_arn)));
        s.client_for(&session)
            .get_secret_value()
            .secret_id(&name)
            .send()
            .await
            .unwrap();
        expected.push(row(
            SM,
            "GetSecretValue",
            None,
            "AssumedRole",
            Some(&session_arn),
        ));

        // IAM: denied, and failed.
        let r = s.iam(&app, &[("Action", "ListUsers")]).await;
        assert_eq!(r.status, 403, "{}", r.text());
        expected.push(row(
            IAM,
            "ListUsers",
            Some("AccessDenied"),
            "IAMUser",
            Some(&app_arn),
        ));
        let r = s
            .iam(&s.root(), &[("Action", "GetUser"), ("UserName", "nobody")])
            .await;
        assert_eq!(r.status, 404, "{}", r.text());
        expected.push(row(
            IAM,
            "GetUser",
            Some("NoSuchEntity"),
            "Root",
            Some(&root_arn),
        ));

        // Authentication failures: an unknown key, a wrong secret, no signature at all, and
        // a wrong secret on STS.
        let stranger = s.client_with("us-east-1", "AKIAUNKNOWNKEY000000", "nope");
        let err = api_err(stranger.list_secrets().send().await.unwrap_err());
        assert_eq!(err.code, "UnrecognizedClientException");
        expected.push(row(
            SM,
            "ListSecrets",
            Some("UnrecognizedClientException"),
            "Unknown",
            Some("AKIAUNKNOWNKEY000000"),
        ));
        let forged = s.client_with("us-east-1", &app.akid, "wrong-secret");
        let err = api_err(
            forged
                .get_secret_value()
                .secret_id(&name)
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(err.code, "InvalidSignatureException");
        expected.push(row(
            SM,
            "GetSecretValue",
            Some("InvalidSignatureException"),
            "Unknown",
            Some(&app.akid),
        ));
        let mut unsigned = s.raw_json("DescribeSecret", &json!({"SecretId": name}));
        unsigned.signing = None;
        let r = unsigned.send().await;
        assert_eq!(r.json()["__type"], "MissingAuthenticationTokenException");
        expected.push(row(
            SM,
            "DescribeSecret",
            Some("MissingAuthenticationTokenException"),
            "Unknown",
            None,
        ));
        let bad = Creds {
            akid: app.akid.clone(),
            secret: "wrong-secret".into(),
            token: None,
        };
        let r = s.sts(&bad, &[("Action", "GetCallerIdentity")]).await;
        assert_eq!(r.status, 403, "{}", r.text());
        expected.push(row(
            STS,
            "GetCallerIdentity",
            Some("SignatureDoesNotMatch"),
            "Unknown",
            Some(&app.akid),
        ));

        root.delete_secret()
            .secret_id(&name)
            .force_delete_without_recovery(true)
            .send()
            .await
            .unwrap();
        expected.push(row(SM, "DeleteSecret", None, "Root", Some(&root_arn)));
    }

    let all = events(&s, dir.path()).await;
    let got: Vec<Summary> = all.iter().map(summary).collect();
    assert_eq!(got, expected);
    // Every field every event has, with its fixed values.
    for e in &all {
        assert_eq!(e["eventVersion"], "1.09");
        assert_eq!(e["eventType"], "AwsApiCall");
        assert_eq!(e["managementEvent"], true);
        assert_eq!(e["eventCategory"], "Management");
        assert_eq!(e["awsRegion"], "us-east-1");
        assert_eq!(e["sourceIPAddress"], "127.0.0.1");
        assert_eq!(e["eventID"].as_str().unwrap().len(), 36);
        assert_eq!(e["requestID"].as_str().unwrap().len(), 36);
    }
    // The read-only flag, per kind.
    let read_only: Vec<(String, bool)> = all
        .iter()
        .take(5 + 21)
        .map(|e| {
            (
                text(e, &["eventName"]).unwrap(),
                e["readOnly"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        read_only[5..12],
        [
            ("CreateSecret".to_owned(), false),
            ("GetSecretValue".to_owned(), true),
            ("GetSecretValue".to_owned(), true),
            ("DescribeSecret".to_owned(), true),
            ("PutSecretValue".to_owned(), false),
            ("GetRandomPassword".to_owned(), true),
            ("BatchGetSecretValue".to_owned(), true),
        ]
    );

    // One GetSecretValue in full: AWS's shape, no response elements.
    let get = &all[6];
    let mut shown = get.clone();
    for volatile in [
        "eventID",
        "eventTime",
        "requestID",
        "userAgent",
        "cofferChain",
    ] {
        shown.as_object_mut().unwrap().remove(volatile);
    }
    assert_eq!(
        shown,
        json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "Root", "principalId": acct, "arn": root_arn, "accountId": acct, "accessKeyId": s.access_key_id},
            "eventSource": SM,
            "eventName": "GetSecretValue",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "127.0.0.1",
            "requestParameters": {"secretId": "s-0"},
            "responseElements": null,
            "readOnly": true,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": acct,
            "eventCategory": "Management",
        })
    );
    assert!(text(get, &["userAgent"]).unwrap().contains("aws-sdk-rust"));
    // The failed read says what the client was told.
    assert_eq!(
        (
            text(&all[7], &["errorCode"]),
            text(&all[7], &["errorMessage"])
        ),
        (
            Some("ResourceNotFoundException".to_owned()),
            Some(common::MSG_NOT_FOUND.to_owned())
        )
    );
    // CreateSecret's parameters lack the value; its elements are the response.
    let created = &all[5];
    let params = created["requestParameters"].as_object().unwrap();
    let mut keys: Vec<&str> = params.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["clientRequestToken", "name"]);
    assert_eq!(created["responseElements"]["name"], "s-0");
    assert_eq!(
        created["responseElements"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        ["arn", "name", "versionId"]
    );
    // CreateAccessKey and AssumeRole record their results without the secret halves.
    let key = &all[2]["responseElements"]["accessKey"];
    assert_eq!(key["accessKeyId"], app.akid.as_str());
    assert_eq!(
        key.as_object().unwrap().keys().cloned().collect::<Vec<_>>(),
        ["accessKeyId", "createDate", "status", "userName"]
    );
    let assume = &all[5 + 11];
    assert_eq!(text(assume, &["eventName"]).as_deref(), Some("AssumeRole"));
    assert_eq!(
        assume["requestParameters"],
        json!({"roleArn": role_arn, "roleSessionName": "s1"})
    );
    let credentials = assume["responseElements"]["credentials"]
        .as_object()
        .unwrap();
    assert_eq!(
        credentials.keys().cloned().collect::<Vec<_>>(),
        ["accessKeyId", "expiration"]
    );
    assert_eq!(
        assume["responseElements"]["assumedRoleUser"]["arn"],
        session_arn.as_str()
    );
    // The role session's identity names its role.
    let by_session = &all[5 + 12];
    assert_eq!(by_session["userIdentity"]["type"], "AssumedRole");
    let mut issuer = by_session["userIdentity"]["sessionContext"]["sessionIssuer"].clone();
    let role_id = issuer
        .as_object_mut()
        .unwrap()
        .remove("principalId")
        .unwrap();
    assert!(role_id.as_str().unwrap().starts_with("AROA"), "{role_id}");
    assert_eq!(
        issuer,
        json!({"type": "Role", "arn": role_arn, "accountId": acct, "userName": "reader"})
    );
    // The whole trail is one intact chain.
    let verified = chain::verify(
        &sink::trail_files(&dir.path().join("audit.jsonl")).unwrap(),
        &chain_key(&s),
    )
    .unwrap();
    assert_eq!(verified.events, expected.len());
}

/// Waits until `condition` holds, polling, for at most 30 s (a loaded 2-core machine is
/// slow, never that slow); fails naming `what` otherwise.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Makes the audit file's path impossible to open, keeping the file at `aside`: the path
/// becomes a symbolic link into a directory that does not exist. Called with nothing queued
/// (after a flush), so the writer has no reason to look at the path between the two steps.
fn break_audit_file(file: &Path, aside: &Path) {
    std::fs::rename(file, aside).unwrap();
    let nowhere = file.with_file_name("no-such-directory").join("audit.jsonl");
    std::os::unix::fs::symlink(nowhere, file).unwrap();
}

/// Puts the audit file back in one rename, which replaces the link: the writer, retrying on
/// its own every second, never finds the path missing (and so never starts a new, empty file
/// there that the file put back would then replace, losing what was written into it).
fn restore_audit_file(file: &Path, aside: &Path) {
    std::fs::rename(aside, file).unwrap();
}

/// `InternalServiceError` exactly as the issue states it.
const REFUSED_BODY: &str =
    r#"{"__type":"InternalServiceError","Message":"An error occurred on the server side."}"#;

#[tokio::test]
async fn secret_reads_fail_closed_while_the_audit_file_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), 0).await;
    let root = s.client();
    let file = dir.path().join("audit.jsonl");
    let aside = dir.path().join("audit.jsonl.aside");
    create(&root, "db", "fail-closed-value").await;
    let get = json!({"SecretId": "db"});
    let r = s.raw_json("GetSecretValue", &get).send().await;
    assert_eq!(r.status, 200);
    assert!(s.server.audit.flush().await);

    // The file's name now leads nowhere: it cannot be opened.
    break_audit_file(&file, &aside);
    let refused = s.raw_json("GetSecretValue", &get).send().await;
    assert_eq!(
        (refused.status, refused.text().as_str()),
        (500, REFUSED_BODY)
    );
    let refused_id = refused.header("x-amzn-RequestId").unwrap().to_owned();
    // Calls without secret material go on; their events wait for the file.
    root.describe_secret().secret_id("db").send().await.unwrap();
    let sdk = api_err(
        root.get_secret_value()
            .secret_id("db")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (sdk.status, sdk.code.as_str(), sdk.message.as_str()),
        (
            500,
            "InternalServiceError",
            "An error occurred on the server side."
        )
    );
    // The counters are the writer thread's: wait for them rather than read them at once
    // (issue 23), then check they stop exactly there.
    let metrics = s.server.audit.metrics();
    eventually("two refusals counted", || {
        metrics.refused_requests_total.load(Ordering::Relaxed) >= 2
    })
    .await;
    eventually("three failed batches", || {
        metrics.write_failures_total.load(Ordering::Relaxed) >= 3
    })
    .await;
    assert_eq!(metrics.refused_requests_total.load(Ordering::Relaxed), 2);
    assert!(metrics
        .render()
        .contains("coffer_audit_refused_requests_total 2\n"));
    assert!(!s.server.audit.flush().await);

    // Writable again: reads succeed, and every event, the refused ones included, is there.
    restore_audit_file(&file, &aside);
    let r = s.raw_json("GetSecretValue", &get).send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["SecretString"], "fail-closed-value");
    let all = events(&s, dir.path()).await;
    let got: Vec<(String, Option<String>)> = all
        .iter()
        .map(|e| (text(e, &["eventName"]).unwrap(), text(e, &["errorCode"])))
        .collect();
    let refused_code = Some("InternalServiceError".to_owned());
    assert_eq!(
        got,
        [
            ("CreateSecret".to_owned(), None),
            ("GetSecretValue".to_owned(), None),
            ("GetSecretValue".to_owned(), refused_code.clone()),
            ("DescribeSecret".to_owned(), None),
            ("GetSecretValue".to_owned(), refused_code),
            ("GetSecretValue".to_owned(), None),
        ]
    );
    assert_eq!(text(&all[2], &["requestID"]), Some(refused_id));
    assert_eq!(
        text(&all[2], &["errorMessage"]).as_deref(),
        Some("An error occurred on the server side.")
    );
    assert_eq!(all[2]["responseElements"], Value::Null);
    assert_eq!(metrics.events_total.load(Ordering::Relaxed), 6);
    assert_eq!(chain::verify(&[file], &chain_key(&s)).unwrap().events, 6);
}

#[tokio::test]
async fn reads_without_secrets_do_not_wait_for_the_audit_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), 0).await;
    let root = s.client();
    create(&root, "db", "v").await;
    assert!(s.server.audit.flush().await);
    let file = dir.path().join("audit.jsonl");
    let aside = dir.path().join("audit.jsonl.aside");
    break_audit_file(&file, &aside);
    root.list_secrets().send().await.unwrap();
    root.describe_secret().secret_id("db").send().await.unwrap();
    assert_eq!(
        s.server
            .audit
            .metrics()
            .refused_requests_total
            .load(Ordering::Relaxed),
        0
    );
    restore_audit_file(&file, &aside);
    let all = events(&s, dir.path()).await;
    let names: Vec<String> = all
        .iter()
        .map(|e| text(e, &["eventName"]).unwrap())
        .collect();
    assert_eq!(names, ["CreateSecret", "ListSecrets", "DescribeSecret"]);
}

/// (eventName, errorCode) of every event.
fn names_and_codes(all: &[Value]) -> Vec<(String, Option<String>)> {
    all.iter()
        .map(|e| (text(e, &["eventName"]).unwrap(), text(e, &["errorCode"])))
        .collect()
}

/// Issue 13, hole 4: a write is not acknowledged while its event cannot be written. The write
/// has committed (it cannot be undone): the client hears `InternalServiceError` (IAM:
/// `ServiceFailure`), retries, and the trail shows the change with the error it was answered.
#[tokio::test]
async fn writes_fail_closed_while_the_audit_file_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), 0).await;
    let root = s.client();
    let file = dir.path().join("audit.jsonl");
    let aside = dir.path().join("audit.jsonl.aside");
    create(&root, "db", "before").await;
    assert!(s.server.audit.flush().await);
    break_audit_file(&file, &aside);

    let put = api_err(
        root.put_secret_value()
            .secret_id("db")
            .secret_string("during")
            .client_request_token("11111111-2222-3333-4444-555555555555")
            .send()
            .await
            .unwrap_err(),
    );
    let internal = (
        500,
        "InternalServiceError".to_owned(),
        "An error occurred on the server side.".to_owned(),
    );
    assert_eq!((put.status, put.code, put.message), internal);
    let public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    let policy = api_err(
        root.put_resource_policy()
            .secret_id("db")
            .resource_policy(public)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((policy.status, policy.code, policy.message), internal);
    let user = s
        .iam(&s.root(), &[("Action", "CreateUser"), ("UserName", "late")])
        .await;
    assert_eq!(user.status, 500, "{}", user.text());
    assert_eq!(
        common::iam::xml_text(&user.text(), "Code").as_deref(),
        Some("ServiceFailure")
    );
    let metrics = s.server.audit.metrics();
    eventually("three refusals counted", || {
        metrics.refused_requests_total.load(Ordering::Relaxed) >= 3
    })
    .await;
    assert_eq!(metrics.refused_requests_total.load(Ordering::Relaxed), 3);

    // The audit file recovers: the retry of the write with its ClientRequestToken is
    // answered as AWS answers a repeated token, and every event is there.
    restore_audit_file(&file, &aside);
    let again = root
        .put_secret_value()
        .secret_id("db")
        .secret_string("during")
        .client_request_token("11111111-2222-3333-4444-555555555555")
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.version_id(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    let all = events(&s, dir.path()).await;
    let refused = |code: &str| Some(code.to_owned());
    assert_eq!(
        names_and_codes(&all),
        [
            ("CreateSecret".to_owned(), None),
            ("PutSecretValue".to_owned(), refused("InternalServiceError")),
            (
                "PutResourcePolicy".to_owned(),
                refused("InternalServiceError")
            ),
            ("CreateUser".to_owned(), refused("ServiceFailure")),
            ("PutSecretValue".to_owned(), None),
        ]
    );
    // A refused write committed: its event keeps the result, and names the policy it set.
    assert_eq!(
        all[1]["responseElements"]["versionId"],
        "11111111-2222-3333-4444-555555555555"
    );
    assert_eq!(all[2]["requestParameters"]["resourcePolicy"], public);
    assert_eq!(all[3]["responseElements"]["user"]["userName"], "late");
    assert_eq!(chain::verify(&[file], &chain_key(&s)).unwrap().events, 5);
}

/// `audit_fail_closed = "secrets"` keeps the older behaviour: writes are answered at once and
/// their events written when the file takes them; secret reads still wait.
#[tokio::test]
async fn fail_closed_for_secrets_only_lets_writes_through() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let s = start_with({
        let file = file.clone();
        move |c| {
            c.audit_file = Some(file);
            c.audit_fail_closed = Some(FailClosed::Secrets);
        }
    })
    .await;
    let root = s.client();
    create(&root, "db", "v").await;
    assert!(s.server.audit.flush().await);
    let aside = dir.path().join("audit.jsonl.aside");
    break_audit_file(&file, &aside);
    root.put_secret_value()
        .secret_id("db")
        .secret_string("w")
        .send()
        .await
        .unwrap();
    let read = s
        .raw_json("GetSecretValue", &json!({"SecretId": "db"}))
        .send()
        .await;
    assert_eq!((read.status, read.text().as_str()), (500, REFUSED_BODY));
    restore_audit_file(&file, &aside);
    let all = events(&s, dir.path()).await;
    assert_eq!(
        names_and_codes(&all),
        [
            ("CreateSecret".to_owned(), None),
            ("PutSecretValue".to_owned(), None),
            (
                "GetSecretValue".to_owned(),
                Some("InternalServiceError".to_owned())
            ),
        ]
    );
}

/// A set of audit files: each file's path and lines.
type Set = Vec<(PathBuf, Vec<String>)>;

/// The lines of a set of files, as (file name, lines).
fn read_set(files: &[PathBuf]) -> Set {
    files
        .iter()
        .map(|f| {
            let lines = std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect();
            (f.clone(), lines)
        })
        .collect()
}

/// Writes a (possibly tampered) copy of a set into `dir`; the copies' paths.
fn write_set(dir: &Path, set: &[(PathBuf, Vec<String>)]) -> Vec<PathBuf> {
    set.iter()
        .map(|(f, lines)| {
            let path = dir.join(f.file_name().unwrap());
            let mut text = lines.join("\n");
            text.push('\n');
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

#[tokio::test]
async fn verify_passes_a_rotated_trail_and_names_the_first_broken_link() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), 3000).await;
    let root = s.client();
    for i in 0..6 {
        create(&root, &format!("r-{i}"), "v").await;
        root.get_secret_value()
            .secret_id(format!("r-{i}"))
            .send()
            .await
            .unwrap();
    }
    let all = events(&s, dir.path()).await;
    assert_eq!(all.len(), 12);
    let files = sink::trail_files(&dir.path().join("audit.jsonl")).unwrap();
    assert!(files.len() >= 3, "{files:?}");
    for file in &files {
        assert!(std::fs::metadata(file).unwrap().len() <= 3000);
    }
    let verified = chain::verify(&files, &chain_key(&s)).unwrap();
    assert_eq!(verified.events, 12);
    // The first event of each file links to the last of the one before.
    let set = read_set(&files);
    for pair in set.windows(2) {
        let (_, last, _) = chain::read_link(pair[0].1.last().unwrap()).unwrap();
        let (first_previous, _, _) = chain::read_link(&pair[1].1[0]).unwrap();
        assert_eq!(first_previous, last);
    }
    let (genesis, _, _) = chain::read_link(&set[0].1[0]).unwrap();
    assert_eq!(genesis, chain::GENESIS);

    let second = set[1].0.file_name().unwrap().to_owned();
    let broken = |tamper: &dyn Fn(&mut Set)| {
        let scratch = tempfile::tempdir().unwrap();
        let mut copy = set.clone();
        tamper(&mut copy);
        let paths = write_set(scratch.path(), &copy);
        let b = chain::verify(&paths, &chain_key(&s)).unwrap_err();
        (b.file.file_name().unwrap().to_owned(), b.line, b.reason)
    };
    // An edited line: its own digest breaks.
    let (file, line, reason) = broken(&|set| {
        set[1].1[1] = set[1].1[1]
            .replace("GetSecretValue", "DescribeSecret")
            .replace("CreateSecret", "DeleteSecret");
    });
    assert_eq!((file.clone(), line), (second.clone(), 2));
    assert!(reason.starts_with("digest mismatch"), "{reason}");
    // A deleted line: the next one's link breaks.
    let (file, line, reason) = broken(&|set| {
        set[1].1.remove(0);
    });
    assert_eq!((file, line), (second.clone(), 1));
    assert!(reason.starts_with("broken link"), "{reason}");
    // Two lines swapped: the first of them breaks.
    let (file, line, _) = broken(&|set| {
        set[1].1.swap(0, 1);
    });
    assert_eq!((file, line), (second.clone(), 1));
    // The last line of a file deleted: the next file's first line breaks.
    let (file, line, _) = broken(&|set| {
        set[0].1.pop();
    });
    assert_eq!((file, line), (second.clone(), 1));

    // The CLI says the same, with the file and line, and exits 1; 0 on the intact set.
    let ok = verify_cli(&s, &[], &files);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with(&format!(
        "ok: 12 events in {} files, hash chain intact",
        files.len()
    )));
    let scratch = tempfile::tempdir().unwrap();
    let mut copy = set.clone();
    copy[1].1.swap(0, 1);
    let paths = write_set(scratch.path(), &copy);
    let out = verify_cli(&s, &[], &paths);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "coffer: audit chain broken at {}:1: broken link",
            paths[1].display()
        )),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_chain_goes_on_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let s = server_keyed(dir.path()).await;
    create(&s.client(), "a", "v").await;
    // A graceful stop writes what is queued; the next server on the same file links its first
    // event to the last one there.
    s.stop().await;
    let again = server_keyed(dir.path()).await;
    create(&again.client(), "b", "v").await;
    assert!(again.server.audit.flush().await);
    assert_eq!(
        chain::verify(&[file], &chain_key(&again)).unwrap().events,
        2
    );
}

#[tokio::test]
async fn a_torn_last_line_left_by_a_crash_is_cut_off_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let s = server_keyed(dir.path()).await;
    create(&s.client(), "a", "v").await;
    s.stop().await;
    // What a crash in the middle of a write leaves: part of a line, no newline.
    let mut torn = std::fs::read(&file).unwrap();
    let intact = torn.len();
    torn.extend_from_slice(br#"{"eventName":"GetSecr"#);
    std::fs::write(&file, &torn).unwrap();
    let again = server_keyed(dir.path()).await;
    assert_eq!(std::fs::metadata(&file).unwrap().len() as usize, intact);
    create(&again.client(), "b", "v").await;
    assert!(again.server.audit.flush().await);
    assert_eq!(
        chain::verify(&[file], &chain_key(&again)).unwrap().events,
        2
    );
}

#[tokio::test]
async fn search_by_secret_principal_event_name_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(t0));
    let audit_file = file.clone();
    let s = start_clocked(move |c| c.audit_file = Some(audit_file), clock.clone()).await;
    let root = s.client();
    let (alpha_arn, _) = create(&root, "alpha", "v").await;
    create(&root, "beta", "v").await;
    let reader = s
        .user(
            "reader",
            Some(&allow(r#""secretsmanager:GetSecretValue""#, "*")),
        )
        .await;
    clock.advance(chrono::Duration::hours(1));
    let user = s.client_for(&reader);
    user.get_secret_value()
        .secret_id(&alpha_arn)
        .send()
        .await
        .unwrap();
    root.get_secret_value()
        .secret_id("beta")
        .send()
        .await
        .unwrap();
    clock.advance(chrono::Duration::hours(1));
    user.get_secret_value()
        .secret_id("alpha")
        .send()
        .await
        .unwrap();
    assert!(s.server.audit.flush().await);

    let files = vec![file.clone()];
    let find = |query: search::Query| -> Vec<(String, String)> {
        search::search(&files, &query)
            .unwrap()
            .iter()
            .map(|line| {
                let e: Value = serde_json::from_str(line).unwrap();
                (
                    text(&e, &["eventName"]).unwrap(),
                    text(&e, &["eventTime"]).unwrap(),
                )
            })
            .collect()
    };
    let at = |hours: i64| {
        (t0 + chrono::Duration::hours(hours))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let gsv = |hours| ("GetSecretValue".to_owned(), at(hours));
    // By name: the create (by name) and both reads (one by ARN, one by name).
    let alpha = vec![("CreateSecret".to_owned(), at(0)), gsv(1), gsv(2)];
    assert_eq!(
        find(search::Query {
            secret: Some("alpha".into()),
            ..Default::default()
        }),
        alpha
    );
    assert_eq!(
        find(search::Query {
            secret: Some(alpha_arn.clone()),
            ..Default::default()
        }),
        alpha
    );
    let reader_arn = format!("arn:aws:iam::{}:user/reader", s.account);
    assert_eq!(
        find(search::Query {
            principal: Some(reader_arn.clone()),
            ..Default::default()
        }),
        [gsv(1), gsv(2)]
    );
    assert_eq!(
        find(search::Query {
            principal: Some(reader.akid.clone()),
            ..Default::default()
        }),
        [gsv(1), gsv(2)]
    );
    assert_eq!(
        find(search::Query {
            event_name: Some("GetSecretValue".into()),
            ..Default::default()
        }),
        [gsv(1), gsv(1), gsv(2)]
    );
    let in_hour_one = search::Query {
        since: Some(t0 + chrono::Duration::minutes(30)),
        until: Some(t0 + chrono::Duration::minutes(90)),
        ..Default::default()
    };
    assert_eq!(find(in_hour_one), [gsv(1), gsv(1)]);
    assert_eq!(
        find(search::Query {
            secret: Some("beta".into()),
            event_name: Some("GetSecretValue".into()),
            ..Default::default()
        }),
        [gsv(1)]
    );

    // The CLI, with every filter.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args([
            "admin",
            "audit",
            "search",
            "--secret",
            "alpha",
            "--principal",
            &reader_arn,
        ])
        .args([
            "--event-name",
            "GetSecretValue",
            "--since",
            &at(2),
            "--until",
            &at(3),
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(text(&lines[0], &["eventTime"]), Some(at(2)));
    assert_eq!(
        text(&lines[0], &["requestParameters", "secretId"]).as_deref(),
        Some("alpha")
    );
}

#[tokio::test]
async fn the_purge_writes_an_end_secret_version_delete_service_event() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let audit_file = file.clone();
    let s = start_clocked(move |c| c.audit_file = Some(audit_file), clock.clone()).await;
    let root = s.client();
    let (arn, _) = create(&root, "old", "v").await;
    root.delete_secret()
        .secret_id("old")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    clock.advance(chrono::Duration::days(8));
    let purged = coffer_server::jobs::purge_once(&s.server.service, &s.server.audit).await;
    assert_eq!(purged, std::slice::from_ref(&arn));
    let all = events(&s, dir.path()).await;
    let last = all.last().unwrap();
    let mut shown = last.clone();
    for volatile in ["eventID", "requestID", "eventTime", "cofferChain"] {
        shown.as_object_mut().unwrap().remove(volatile);
    }
    assert_eq!(
        shown,
        json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "AWSService", "accountId": s.account, "invokedBy": SM},
            "eventSource": SM,
            "eventName": "EndSecretVersionDelete",
            "awsRegion": "us-east-1",
            "sourceIPAddress": SM,
            "userAgent": SM,
            "requestParameters": null,
            "responseElements": null,
            "readOnly": false,
            "resources": [{"ARN": arn, "accountId": s.account, "type": "AWS::SecretsManager::Secret"}],
            "eventType": "AwsServiceEvent",
            "managementEvent": true,
            "recipientAccountId": s.account,
            "eventCategory": "Management",
        })
    );
    assert_eq!(
        text(last, &["eventTime"]),
        Some(clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string())
    );
    let names: Vec<String> = all
        .iter()
        .map(|e| text(e, &["eventName"]).unwrap())
        .collect();
    assert_eq!(
        names,
        ["CreateSecret", "DeleteSecret", "EndSecretVersionDelete"]
    );
}

/// A sink that counts the lines of each batch and holds its first batch until released.
struct GateSink {
    batches: Arc<std::sync::Mutex<Vec<usize>>>,
    gate: Option<std::sync::mpsc::Receiver<()>>,
}

impl Sink for GateSink {
    fn describe(&self) -> String {
        "gate".into()
    }

    fn append(&mut self, batch: &[u8]) -> std::io::Result<()> {
        let lines = batch.iter().filter(|&&b| b == b'\n').count();
        self.batches.lock().unwrap().push(lines);
        if let Some(gate) = self.gate.take() {
            let _ = gate.recv();
        }
        Ok(())
    }
}

/// A fail-closed trail on a [`GateSink`]: the trail, the sink's batch sizes, and the sender
/// that releases its first batch.
fn gated_audit() -> (
    Audit,
    Arc<std::sync::Mutex<Vec<usize>>>,
    std::sync::mpsc::Sender<()>,
) {
    let (release, gate) = std::sync::mpsc::channel();
    let batches = Arc::new(std::sync::Mutex::new(Vec::new()));
    let audit = Audit::with_sinks(
        Box::new(GateSink {
            batches: batches.clone(),
            gate: Some(gate),
        }),
        Vec::new(),
        FailClosed::All,
        chain::ChainKey::new(&[7u8; 32]),
        Arc::new(coffer_core::clock::SystemClock),
    )
    .unwrap();
    (audit, batches, release)
}

fn some_event() -> Event {
    Event::api_call(
        "secretsmanager.amazonaws.com",
        "GetSecretValue".into(),
        Utc::now(),
        "us-east-1".into(),
        coffer_server::audit::event::UserIdentity::unknown(None),
        "r".into(),
        true,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_events_queued_during_a_sync_share_the_next_one() {
    let (audit, batches, release) = gated_audit();
    let first = tokio::spawn({
        let audit = audit.clone();
        async move { audit.record_durable(some_event()).await }
    });
    // The writer is inside its first write (held by the gate) once it has counted it.
    while batches.lock().unwrap().is_empty() {
        tokio::task::yield_now().await;
    }
    let rest: Vec<_> = (0..63)
        .map(|_| {
            let audit = audit.clone();
            tokio::spawn(async move { audit.record_durable(some_event()).await })
        })
        .collect();
    while audit.queued() < 63 {
        tokio::task::yield_now().await;
    }
    release.send(()).unwrap();
    assert!(first.await.unwrap());
    for waiting in rest {
        assert!(waiting.await.unwrap());
    }
    // 64 durable events, two writes (and two syncs): the first alone, the 63 queued behind it
    // together.
    assert_eq!(*batches.lock().unwrap(), [1, 63]);
    assert_eq!(audit.metrics().events_total.load(Ordering::Relaxed), 64);
    audit.close().await;
}

/// A response without secret material is released only once its event is written too (so a
/// crash never loses the event of a call its client saw answered): while the sink holds the
/// batch, `finish` does not return; once the batch is written, it returns the route's response
/// unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_waits_until_its_event_is_written() {
    let (audit, batches, release) = gated_audit();
    let call = coffer_server::audit::Call::new("request-1".into());
    let finish = tokio::spawn({
        let audit = audit.clone();
        async move {
            let response = axum::response::Response::new(axum::body::Body::from("{}"));
            audit.finish(call, response).await
        }
    });
    // The writer is inside the write of the call's event, held by the gate.
    while batches.lock().unwrap().is_empty() {
        tokio::task::yield_now().await;
    }
    // Give the response every chance to leave early: it must not.
    for _ in 0..1000 {
        tokio::task::yield_now().await;
    }
    assert!(
        !finish.is_finished(),
        "the response left before its event was written"
    );
    release.send(()).unwrap();
    let response = finish.await.unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], b"{}");
    assert_eq!(*batches.lock().unwrap(), [1]);
    assert_eq!(audit.metrics().events_total.load(Ordering::Relaxed), 1);
    audit.close().await;
}

/// Issue 13, hole 3: what a client that cannot authenticate sends never reaches the trail
/// beyond a capped few texts; an authenticated call's parameters are capped too.
#[tokio::test]
async fn unauthenticated_bodies_are_not_recorded_and_client_texts_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), 0).await;
    let file = dir.path().join("audit.jsonl");
    assert!(s.server.audit.flush().await);
    let before = std::fs::metadata(&file).unwrap().len();
    let filler = "A".repeat(400 * 1024);
    let agent = "agent-".repeat(100);
    let body = serde_json::to_vec(&json!({"Name": "junk", "Description": filler})).unwrap();
    // Ten unsigned 400 KiB requests, and one signed with a wrong secret key.
    for _ in 0..10 {
        let r = s
            .raw("CreateSecret", body.clone())
            .unsigned()
            .header("user-agent", &agent)
            .send()
            .await;
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.json()["__type"], "MissingAuthenticationTokenException");
    }
    let forged = s
        .raw("CreateSecret", body.clone())
        .signing(|signing| signing.secret_access_key = "not-the-key".into())
        .send()
        .await;
    assert_eq!(forged.json()["__type"], "InvalidSignatureException");
    // Authenticated, the same body is refused by validation and recorded, but its oversized
    // parameters are replaced by their size.
    let big = s.raw("CreateSecret", body.clone()).send().await;
    assert_eq!(big.json()["__type"], "ValidationException");

    let all = events(&s, dir.path()).await;
    assert_eq!(all.len(), 12);
    let grown = std::fs::metadata(&file).unwrap().len() - before;
    assert!(grown < 12 * 4096, "the trail grew by {grown} bytes");
    for unsigned in &all[..10] {
        assert_eq!(
            text(unsigned, &["errorCode"]).as_deref(),
            Some("MissingAuthenticationTokenException")
        );
        assert_eq!(unsigned["requestParameters"], Value::Null);
        assert_eq!(
            text(unsigned, &["userAgent"]).unwrap(),
            agent.chars().take(256).collect::<String>()
        );
        assert_eq!(
            text(unsigned, &["eventName"]).as_deref(),
            Some("CreateSecret")
        );
        assert_eq!(
            text(unsigned, &["sourceIPAddress"]).as_deref(),
            Some("127.0.0.1")
        );
    }
    assert_eq!(
        text(&all[10], &["errorCode"]).as_deref(),
        Some("InvalidSignatureException")
    );
    assert_eq!(all[10]["requestParameters"], Value::Null);
    assert_eq!(
        text(&all[10], &["userIdentity", "accessKeyId"]),
        Some(s.access_key_id.clone())
    );
    assert_eq!(
        text(&all[11], &["errorCode"]).as_deref(),
        Some("ValidationException")
    );
    let size = serde_json::to_vec(&json!({"description": filler, "name": "junk"}))
        .unwrap()
        .len();
    assert_eq!(
        all[11]["requestParameters"],
        json!({ "coffer:truncatedBytes": size })
    );
    assert_eq!(chain::verify(&[file], &chain_key(&s)).unwrap().events, 12);
}

/// Rotated files beyond `audit_retain_bytes` are deleted, oldest first; what is kept still
/// verifies (its first event links to a deleted one) and tampering inside it is still found.
/// Files older than `audit_retain_days` go too.
#[tokio::test]
async fn rotated_files_past_retention_are_deleted_and_the_rest_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let s = start_with({
        let file = file.clone();
        move |c| {
            c.audit_file = Some(file);
            c.audit_max_bytes = 3000;
            c.audit_retain_bytes = 7000;
        }
    })
    .await;
    let root = s.client();
    for i in 0..16 {
        create(&root, &format!("k-{i}"), "v").await;
    }
    let kept = events(&s, dir.path()).await;
    assert!(kept.len() < 16, "{} events kept", kept.len());
    let rotated = sink::rotated_files(&file).unwrap();
    assert_ne!(
        rotated[0],
        sink::rotated_name(&file, 1),
        "nothing was deleted"
    );
    let total: u64 = rotated
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert!(total <= 7000, "{total} bytes of rotated files kept");
    // The events kept are the newest: the last 16 - n creations, in order.
    let names: Vec<String> = kept
        .iter()
        .map(|e| text(e, &["requestParameters", "name"]).unwrap())
        .collect();
    let newest: Vec<String> = (16 - kept.len()..16).map(|i| format!("k-{i}")).collect();
    assert_eq!(names, newest);
    let files = sink::trail_files(&file).unwrap();
    assert_eq!(
        chain::verify(&files, &chain_key(&s)).unwrap().events,
        kept.len()
    );
    let set = read_set(&files);
    let (first_previous, _, _) = chain::read_link(&set[0].1[0]).unwrap();
    assert_ne!(first_previous, chain::GENESIS);
    let scratch = tempfile::tempdir().unwrap();
    let mut copy = set.clone();
    let last = copy.len() - 1;
    let replayed = copy[0].1[0].clone();
    copy[last].1.insert(0, replayed);
    let tampered = write_set(scratch.path(), &copy);
    let broken = chain::verify(&tampered, &chain_key(&s)).unwrap_err();
    assert_eq!(
        (broken.file.file_name(), broken.line),
        (tampered[last].file_name(), 1)
    );

    // By age: the oldest rotated file, last written two years ago, goes; the others stay.
    let oldest = rotated[0].clone();
    let two_years = std::time::Duration::from_secs(2 * 365 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&oldest)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - two_years)
        .unwrap();
    let retention = sink::Retention {
        max_bytes: 0,
        max_age: std::time::Duration::from_secs(365 * 86_400),
    };
    assert_eq!(retention.prune(&file).unwrap(), [oldest]);
    assert_eq!(sink::rotated_files(&file).unwrap(), rotated[1..].to_vec());
}

/// A sink that always fails, as a full or read-only disk does.
struct BrokenSink;

impl Sink for BrokenSink {
    fn describe(&self) -> String {
        "broken".into()
    }

    fn append(&mut self, _batch: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::other("no space left on device"))
    }
}

/// Issue 13, hole 3: while the file cannot be written, the events waiting for it take at most
/// `audit_queue_max_bytes`; beyond, events are dropped and counted, and a request waiting for
/// its event is refused.
#[tokio::test]
async fn the_queue_of_unwritten_events_is_bounded() {
    let size = some_event().canonical().unwrap().len();
    let audit = Audit::with_queue(
        Box::new(BrokenSink),
        Vec::new(),
        FailClosed::All,
        3 * size,
        chain::ChainKey::new(&[7u8; 32]),
        Arc::new(coffer_core::clock::SystemClock),
    )
    .unwrap();
    for _ in 0..5 {
        audit.record(some_event()).await;
    }
    assert!(!audit.flush().await);
    let metrics = audit.metrics();
    eventually("two events dropped", || {
        metrics.dropped_events_total.load(Ordering::Relaxed) >= 2
    })
    .await;
    assert_eq!(metrics.pending_events.load(Ordering::Relaxed), 3);
    assert!(!audit.record_durable(some_event()).await);
    assert_eq!(metrics.dropped_events_total.load(Ordering::Relaxed), 3);
    assert_eq!(metrics.refused_requests_total.load(Ordering::Relaxed), 1);
    assert!(metrics
        .render()
        .contains("coffer_audit_dropped_events_total 3\n"));
    audit.close().await;
}

/// The lines of `events` chained from `previous` as a forger without the key would: plain
/// SHA-256 links, written as legacy lines (`alg` absent) or claiming to be keyed.
fn rechain(events: &[Value], mut previous: String, claim_keyed: bool) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            let digest = chain::legacy_link(&previous, &chain::canonical(event));
            let mut link = json!({"digest": digest, "previousDigest": previous});
            if claim_keyed {
                link["alg"] = json!(chain::KEYED_ALG);
            }
            let mut line = event.clone();
            line[chain::CHAIN_MEMBER] = link;
            previous = digest;
            serde_json::to_string(&line).unwrap()
        })
        .collect()
}

/// Issue 13, hole 5: the chain is keyed. Dropping an event and recomputing the links after it
/// with plain SHA-256 (or another key) is found; a trail rewritten as legacy (unkeyed) lines
/// verifies only as legacy, which the CLI refuses unless told `--legacy`; a legacy file that a
/// keyed server continues is accepted, its legacy part counted.
#[tokio::test]
async fn a_chain_recomputed_without_the_key_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path(), 0).await;
    let root = s.client();
    for i in 0..4 {
        create(&root, &format!("h-{i}"), "v").await;
    }
    let all = events(&s, dir.path()).await;
    let file = dir.path().join("audit.jsonl");
    let key = chain_key(&s);
    assert_eq!(
        chain::verify(std::slice::from_ref(&file), &key)
            .unwrap()
            .legacy_events,
        0
    );
    let bare: Vec<Value> = all
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.as_object_mut().unwrap().remove(chain::CHAIN_MEMBER);
            e
        })
        .collect();
    let scratch = tempfile::tempdir().unwrap();
    let forged = scratch.path().join("audit.jsonl");
    let write = |lines: &[String]| {
        std::fs::write(&forged, lines.join("\n") + "\n").unwrap();
    };

    // Event 2 dropped, 3 and 4 relinked with SHA-256 while claiming to be keyed.
    let mut lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .take(1)
        .map(str::to_owned)
        .collect();
    let (_, first_digest, _) = chain::read_link(&lines[0]).unwrap();
    lines.extend(rechain(&bare[2..], first_digest.clone(), true));
    write(&lines);
    let broken = chain::verify(std::slice::from_ref(&forged), &key).unwrap_err();
    assert_eq!(broken.line, 2);
    assert!(
        broken.reason.starts_with("digest mismatch"),
        "{}",
        broken.reason
    );
    // Relinked under another key: the same.
    let other = chain::ChainKey::new(&[9u8; 32]);
    let mut previous = first_digest;
    let mut relinked = lines[..1].to_vec();
    for event in &bare[2..] {
        let mut out = Vec::new();
        previous = chain::seal_into(&mut out, &other, &chain::canonical(event), &previous);
        relinked.push(String::from_utf8(out).unwrap().trim_end().to_owned());
    }
    write(&relinked);
    assert_eq!(
        chain::verify(std::slice::from_ref(&forged), &key)
            .unwrap_err()
            .line,
        2
    );
    // An unkeyed line after keyed ones is a forgery even when its SHA-256 link holds.
    let mut mixed = lines[..1].to_vec();
    mixed.extend(rechain(
        &bare[1..],
        chain::read_link(&lines[0]).unwrap().1,
        false,
    ));
    write(&mixed);
    let broken = chain::verify(std::slice::from_ref(&forged), &key).unwrap_err();
    assert_eq!(broken.line, 2);
    assert!(
        broken.reason.starts_with("unkeyed event after keyed"),
        "{}",
        broken.reason
    );

    // The whole trail rewritten as legacy lines, event 2 dropped: intact only as legacy.
    let mut kept = bare.clone();
    kept.remove(1);
    write(&rechain(&kept, chain::GENESIS.to_owned(), false));
    let verified = chain::verify(std::slice::from_ref(&forged), &key).unwrap();
    assert_eq!((verified.events, verified.legacy_events), (3, 3));
    let verify = |extra: &[&str]| verify_cli(&s, extra, std::slice::from_ref(&forged));
    let refused = verify(&[]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("3 legacy events"), "{stderr}");
    let allowed = verify(&["--legacy"]);
    assert_eq!(
        allowed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    assert!(String::from_utf8_lossy(&allowed.stdout).contains("3 legacy events"));

    // A legacy file (as an older coffer wrote it) continued by this one: one chain.
    let upgrade = tempfile::tempdir().unwrap();
    std::fs::write(
        upgrade.path().join("audit.jsonl"),
        rechain(&bare[..2], chain::GENESIS.to_owned(), false).join("\n") + "\n",
    )
    .unwrap();
    let again = server_keyed(upgrade.path()).await;
    create(&again.client(), "after", "v").await;
    assert!(again.server.audit.flush().await);
    let verified =
        chain::verify(&[upgrade.path().join("audit.jsonl")], &chain_key(&again)).unwrap();
    assert_eq!((verified.events, verified.legacy_events), (3, 2));
}

/// Issue 13, hole 5: the chain's head is recorded in the database after each durable batch, and
/// `verify` finds a trail whose tail was deleted (which leaves an intact, shorter chain).
#[tokio::test]
async fn a_deleted_tail_is_found_through_the_head_in_the_database() {
    let s = start_with(|_| {}).await;
    let file = s.data_dir().join("audit.jsonl");
    let root = s.client();
    for i in 0..3 {
        create(&root, &format!("t-{i}"), "v").await;
    }
    assert!(s.server.audit.flush().await);
    let lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 3);
    let (_, last, _) = chain::read_link(&lines[2]).unwrap();
    let trail = coffer_server::audit::trail_name(&file);
    let store = s.server.service.store().clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let head = store.audit_head(&trail).await.unwrap();
        if head.as_ref().is_some_and(|head| head.digest == last) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the head never reached the last event: {head:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let files = [file.clone()];
    let ok = verify_cli(&s, &[], &files);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("the chain head recorded in the database is among them"),
        "{stdout}"
    );

    // The last event deleted: the two left are an intact chain, but not the recorded one.
    std::fs::write(&file, lines[..2].join("\n") + "\n").unwrap();
    let key = chain_key(&s);
    let verified = chain::verify_with_head(&files, &key, Some(&last)).unwrap();
    assert_eq!((verified.events, verified.head_found), (2, Some(false)));
    let out = verify_cli(&s, &[], &files);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "coffer: audit chain truncated: the database records {last} as the last event written to {trail}"
        )),
        "{stderr}"
    );
}
