//! `role_arn`, `role_session_name`, `external_id` (issue 19): the agent assumes the role on
//! coffer's STS with its base credentials, reads exactly what the role may read, and renews the
//! session before it expires. coffer's clock and the SDK's time source move together under the
//! test's control, so the hour of a session passes without waiting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_async::time::TimeSource;
use chrono::Utc;
use coffer_agent::{check_credentials, clients_with, Config, ManualClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{start_agent, Coffer, TOKEN};

/// The SDK's time: real time at the start, then moved by the test.
#[derive(Debug, Clone)]
struct TestTime(Arc<Mutex<SystemTime>>);

impl TimeSource for TestTime {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// An IAM call (awsQuery, form-encoded, SigV4 for `iam`) with `akid`/`secret`; status and body.
async fn iam(coffer: &Coffer, akid: &str, secret: &str, params: &[(&str, &str)]) -> (u16, String) {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;

    let mut all = params.to_vec();
    all.push(("Version", "2010-05-08"));
    let body = serde_urlencoded::to_string(&all).unwrap();
    let url = format!("{}/", coffer.endpoint());
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let identity = aws_credential_types::Credentials::new(akid, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("iam")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let host = coffer.server.addr.to_string();
    let signable = SignableRequest::new(
        "POST",
        &url,
        [("content-type", content_type), ("host", host.as_str())].into_iter(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut request = http::Request::builder()
        .method("POST")
        .uri(&url)
        .header("content-type", content_type)
        .header("host", &host)
        .body(())
        .unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let mut text = format!(
        "POST / HTTP/1.1\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in request.headers() {
        text.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    text.push_str("\r\n");
    text.push_str(&body);
    let mut stream = tokio::net::TcpStream::connect(coffer.server.addr)
        .await
        .unwrap();
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let status = raw.split(' ').nth(1).unwrap().parse().unwrap();
    let body = raw.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

/// The text of the first `<tag>` element.
fn xml_text(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml.find(&open).unwrap() + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    xml[start..end].to_owned()
}

#[tokio::test]
async fn role_arn_reads_as_the_role_and_renews_its_session() {
    let coffer_clock = Arc::new(coffer_core::clock::ManualClock::new(Utc::now()));
    let coffer = Coffer::start_with_clock(coffer_clock.clone()).await;
    let admin = coffer.admin();
    let mut arns = Vec::new();
    for (name, value) in [
        ("role/allowed", "for-the-role"),
        ("role/denied", "not-for-it"),
    ] {
        let out = admin
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .unwrap();
        arns.push(out.arn.unwrap());
    }
    let root = (
        coffer.access_key_id.as_str(),
        coffer.secret_access_key.as_str(),
    );
    let root_iam = |params: Vec<(&'static str, String)>| {
        let coffer = &coffer;
        async move {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = iam(coffer, root.0, root.1, &params).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    // A user with no policy of its own: its key can only assume the role.
    root_iam(vec![
        ("Action", "CreateUser".into()),
        ("UserName", "agent".into()),
    ])
    .await;
    let key = root_iam(vec![
        ("Action", "CreateAccessKey".into()),
        ("UserName", "agent".into()),
    ])
    .await;
    let (akid, secret) = (
        xml_text(&key, "AccessKeyId"),
        xml_text(&key, "SecretAccessKey"),
    );
    let user_arn = xml_text(
        &root_iam(vec![
            ("Action", "GetUser".into()),
            ("UserName", "agent".into()),
        ])
        .await,
        "Arn",
    );
    let account = user_arn.split(':').nth(4).unwrap().to_owned();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{user_arn}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"tenant-7"}}}}}}]}}"#
    );
    root_iam(vec![
        ("Action", "CreateRole".into()),
        ("RoleName", "reader".into()),
        ("AssumeRolePolicyDocument", trust),
    ])
    .await;
    root_iam(vec![
        ("Action", "PutRolePolicy".into()),
        ("RoleName", "reader".into()),
        ("PolicyName", "read-one".into()),
        (
            "PolicyDocument",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:*:*:secret:role/allowed-*"}]}"#.into(),
        ),
    ])
    .await;
    let role_arn = format!("arn:aws:iam::{account}:role/reader");

    let time = TestTime(Arc::new(Mutex::new(SystemTime::now())));
    let base = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(coffer.endpoint())
        .credentials_provider(SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new(&akid, &secret, None, None, "base"),
        ))
        .time_source(time.clone())
        .sleep_impl(aws_smithy_async::rt::sleep::SharedAsyncSleep::new(
            TokioSleep::new(),
        ))
        .build();
    let config_for = |external_id: &str| {
        Config::from_toml(&format!(
            "ttl_seconds = 0\nrole_arn = \"{role_arn}\"\nrole_session_name = \"web-1\"\nexternal_id = \"{external_id}\"\n"
        ))
        .unwrap()
    };

    // The trust policy wants the external id: without the right one, the start-up check says so.
    let wrong = clients_with(&config_for("tenant-8"), base.clone(), None).await;
    let e = check_credentials(&wrong.sts).await.unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )),
        "{e}"
    );

    let config = config_for("tenant-7");
    let clients = clients_with(&config, base, None).await;
    assert_eq!(
        check_credentials(&clients.sts).await,
        Ok(format!("arn:aws:sts::{account}:assumed-role/reader/web-1"))
    );
    let agent = start_agent(
        &config,
        clients.secrets_manager,
        Arc::new(ManualClock::new()),
    )
    .await;
    let get = |id: &str| {
        let path = format!("/secretsmanager/get?secretId={id}");
        let addr = agent.addr;
        async move {
            crate::common::request(
                addr,
                "GET",
                &path,
                &[("X-Aws-Parameters-Secrets-Token", TOKEN)],
            )
            .await
        }
    };

    // What the role may read, and nothing else (the base user may read nothing at all).
    assert_eq!(get("role/allowed").await.secret_string(), "for-the-role");
    let r = get("role/denied").await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["__type"], "AccessDeniedException");
    assert_eq!(
        r.json()["message"],
        format!(
            "User: arn:aws:sts::{account}:assumed-role/reader/web-1 is not authorized to perform: \
             secretsmanager:GetSecretValue on resource: {} because no identity-based policy \
             allows the secretsmanager:GetSecretValue action",
            arns[1]
        )
    );

    // The session lasts an hour. 10 s before its end the SDK renews it; 10 s after its end the
    // agent still reads, with the new session (the old one is refused from then on).
    let advance = |by: Duration| {
        *time.0.lock().unwrap() += by;
        coffer_clock.advance(chrono::Duration::from_std(by).unwrap());
    };
    advance(Duration::from_secs(3590));
    assert_eq!(get("role/allowed").await.secret_string(), "for-the-role");
    advance(Duration::from_secs(20));
    assert_eq!(get("role/allowed").await.secret_string(), "for-the-role");
    agent.shutdown().await;
}
