//! The negative authentication matrix: one CreateSecret, signed wrongly in every way a client
//! or an attacker can get it wrong, through raw signed requests. Each is answered with AWS's
//! code, status and message, and none of them creates the secret. The same request signed
//! right, by the same user, succeeds (so the "nothing changed" checks can fail).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use crate::common::iam::{allow, Creds};
use crate::common::*;
use chrono::{Duration, Utc};
use coffer_core::clock::ManualClock;
use serde_json::json;

/// What a case expects: status, code, and the message (exact, or a prefix when it embeds times).
struct Expect {
    code: &'static str,
    message: String,
    prefix_only: bool,
}

fn exact(code: &'static str, message: &str) -> Expect {
    Expect {
        code,
        message: message.to_owned(),
        prefix_only: false,
    }
}

fn prefix(code: &'static str, message: &str) -> Expect {
    Expect {
        code,
        message: message.to_owned(),
        prefix_only: true,
    }
}

/// A response on its way.
type Sending = std::pin::Pin<Box<dyn std::future::Future<Output = RawResponse>>>;
/// How a case makes its request.
type Make = Box<dyn Fn(Raw) -> Raw>;
/// How a case sends it.
type Send = Box<dyn FnOnce(Raw) -> Sending>;

fn with_creds(raw: Raw, creds: &Creds) -> Raw {
    raw.signing(|g| {
        g.access_key_id = creds.akid.clone();
        g.secret_access_key = creds.secret.clone();
        g.session_token = creds.token.clone();
    })
}

#[tokio::test]
async fn every_bad_signature_is_refused_with_aws_codes_and_changes_nothing() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let s = start_clocked(|_| {}, clock.clone()).await;
    let root = s.client();
    let writer_policy = allow(r#"["secretsmanager:*","sts:AssumeRole"]"#, "*");
    let writer = s.user("writer", Some(&writer_policy)).await;
    let inactive = s.user("inactive", Some(&writer_policy)).await;
    let deleted = s.user("deleted", Some(&writer_policy)).await;
    for (user, params) in [
        (
            &inactive,
            vec![
                ("Action", "UpdateAccessKey"),
                ("UserName", "inactive"),
                ("AccessKeyId", inactive.akid.as_str()),
                ("Status", "Inactive"),
            ],
        ),
        (
            &deleted,
            vec![
                ("Action", "DeleteAccessKey"),
                ("UserName", "deleted"),
                ("AccessKeyId", deleted.akid.as_str()),
            ],
        ),
    ] {
        let _ = user;
        let r = s.iam(&s.root(), &params).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:user/writer"}},"Action":"sts:AssumeRole"}}]}}"#,
        s.account
    );
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "CreateRole"),
                ("RoleName", "w"),
                ("AssumeRolePolicyDocument", &trust),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s
        .iam(
            &s.root(),
            &[
                ("Action", "PutRolePolicy"),
                ("RoleName", "w"),
                ("PolicyName", "p"),
                ("PolicyDocument", &writer_policy),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let role_arn = format!("arn:aws:iam::{}:role/w", s.account);
    let expiring = s
        .assume(&writer, &role_arn, &[("DurationSeconds", "900")])
        .await;
    let live_session = s
        .assume(&writer, &role_arn, &[("DurationSeconds", "3600")])
        .await;
    let forged_session = Creds {
        token: Some(format!("{}A", &live_session.token.clone().unwrap()[..100])),
        ..live_session.clone()
    };
    let wrong_secret = Creds {
        secret: "x".repeat(40),
        ..writer.clone()
    };
    let unknown = Creds {
        akid: "AKIAUNKNOWNUNKNOWN00".into(),
        ..writer.clone()
    };

    let body = |name: &str| json!({"Name": name, "SecretString": "must-not-be-stored", "ClientRequestToken": token()});
    let bad_signature = exact("InvalidSignatureException", MSG_BAD_SIGNATURE);
    let unrecognized = || exact("UnrecognizedClientException", MSG_UNRECOGNIZED);
    let old = Utc::now() - Duration::minutes(16);
    let ahead = Utc::now() + Duration::minutes(16);

    // Each case: a name, how the request is made and sent, what it must get.
    let plain: fn(Raw) -> Sending = |raw| Box::pin(raw.send());
    let cases: Vec<(&str, Make, Send, Expect)> = vec![
        ("unsigned", Box::new(|r: Raw| r.unsigned()), Box::new(plain), exact("MissingAuthenticationTokenException", "Request is missing Authentication Token")),
        ("wrong-secret", Box::new(move |r| with_creds(r, &wrong_secret)), Box::new(plain), bad_signature),
        ("unknown-key", Box::new(move |r| with_creds(r, &unknown)), Box::new(plain), unrecognized()),
        ("inactive-key", Box::new({ let c = inactive.clone(); move |r| with_creds(r, &c) }), Box::new(plain), unrecognized()),
        ("deleted-key", Box::new({ let c = deleted.clone(); move |r| with_creds(r, &c) }), Box::new(plain), unrecognized()),
        ("16-min-old", Box::new({ let c = writer.clone(); move |r| with_creds(r, &c).signing(|g| g.time = old) }), Box::new(plain),
            prefix("InvalidSignatureException", &format!("Signature expired: {} is now earlier than ", old.format("%Y%m%dT%H%M%SZ")))),
        ("16-min-ahead", Box::new({ let c = writer.clone(); move |r| with_creds(r, &c).signing(|g| g.time = ahead) }), Box::new(plain),
            prefix("InvalidSignatureException", &format!("Signature not yet current: {} is still later than ", ahead.format("%Y%m%dT%H%M%SZ")))),
        ("tampered-body", Box::new({ let c = writer.clone(); move |r| with_creds(r, &c) }),
            Box::new(|raw: Raw| {
                let mut other = raw.body.clone();
                let at = other.len() - 3;
                other[at] ^= 1;
                Box::pin(raw.send_with_body(other))
            }),
            exact("InvalidSignatureException", MSG_BAD_SIGNATURE)),
        ("tampered-signed-header", Box::new({ let c = writer.clone(); move |r| with_creds(r, &c) }),
            Box::new(|raw: Raw| {
                let sig = raw.signature_headers();
                Box::pin(raw.header("content-type", "application/x-amz-json-1.0").send_with(sig))
            }),
            exact("InvalidSignatureException", MSG_BAD_SIGNATURE)),
        ("unsigned-amz-header-added", Box::new({ let c = writer.clone(); move |r| with_creds(r, &c) }),
            Box::new(|raw: Raw| {
                let mut sig = raw.signature_headers();
                sig.push(("x-amz-meta-injected".into(), "1".into()));
                Box::pin(raw.send_with(sig))
            }),
            exact("IncompleteSignatureException", "There were headers present in the request which were not signed: x-amz-meta-injected")),
        ("invalid-region", Box::new({ let c = writer.clone(); move |r| with_creds(r, &c).signing(|g| g.region = "US_EAST_1".into()) }), Box::new(plain),
            exact("InvalidSignatureException", "Credential should be scoped to a valid region, not 'US_EAST_1'. ")),
        ("wrong-service", Box::new({ let c = writer.clone(); move |r| with_creds(r, &c).signing(|g| g.service = "sts".into()) }), Box::new(plain),
            exact("InvalidSignatureException", "Credential should be scoped to correct service: 'secretsmanager'. ")),
        ("unserved-service", Box::new({ let c = writer.clone(); move |r| with_creds(r, &c).signing(|g| g.service = "ssm".into()) }), Box::new(plain),
            exact("UnknownOperationException", "coffer does not serve the ssm API: this endpoint answers Secrets Manager, STS, IAM and KMS only.")),
        ("malformed-authorization", Box::new(|r: Raw| r.unsigned().header("authorization", "AWS4-HMAC-SHA256 Credential")), Box::new(plain),
            exact("IncompleteSignatureException", "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential'.")),
        ("forged-session-token", Box::new(move |r| with_creds(r, &forged_session)), Box::new(plain), unrecognized()),
        ("session-token-of-another-key", Box::new({ let c = Creds { token: expiring.token.clone(), ..live_session.clone() }; move |r| with_creds(r, &c) }), Box::new(plain), unrecognized()),
        ("expired-session-token", Box::new({ let c = expiring.clone(); move |r| with_creds(r, &c) }), Box::new(plain),
            exact("ExpiredTokenException", "The security token included in the request is expired")),
    ];
    // Time moves past the short session's end (and not the other's).
    clock.advance(Duration::seconds(901));

    for (name, make, send, expect) in cases {
        let secret = format!("matrix-{name}");
        let raw = make(s.raw_json("CreateSecret", &body(&secret)));
        let r = send(raw).await;
        assert_eq!(r.status, 400, "{name}: {}", r.text());
        r.assert_json_headers();
        let got = r.json();
        assert_eq!(got["__type"], expect.code, "{name}: {got}");
        let message = got["Message"].as_str().unwrap_or_default();
        if expect.prefix_only {
            assert!(message.starts_with(&expect.message), "{name}: {message}");
        } else {
            assert_eq!(message, expect.message, "{name}");
        }
        assert_absent(&root, &secret).await;
    }

    // The same request, signed right by the same principals, works: the cases could fail.
    for (name, creds) in [("writer", &writer), ("session", &live_session)] {
        let secret = format!("matrix-ok-{name}");
        let r = with_creds(s.raw_json("CreateSecret", &body(&secret)), creds)
            .send()
            .await;
        assert_eq!(r.status, 200, "{name}: {}", r.text());
    }
    let listed = root.list_secrets().send().await.unwrap();
    let mut names: Vec<_> = listed
        .secret_list()
        .iter()
        .map(|e| e.name().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["matrix-ok-session", "matrix-ok-writer"]);
}
