//! Authentication and the request envelope: SigV4 failures with AWS's codes and messages, the
//! presigned query form, the body limit, dev mode, and STS GetCallerIdentity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::{Duration, Utc};
use serde_json::json;

#[tokio::test]
async fn missing_authorization() {
    let s = start().await;
    let r = s
        .raw_json("ListSecrets", &json!({}))
        .unsigned()
        .send()
        .await;
    r.assert_error(
        "MissingAuthenticationTokenException",
        Some("Request is missing Authentication Token"),
    );
}

#[tokio::test]
async fn wrong_secret_key_and_unknown_access_key() {
    let s = start().await;
    let r = s
        .raw_json("ListSecrets", &json!({}))
        .signing(|g| g.secret_access_key = "wrong-secret".into())
        .send()
        .await;
    r.assert_error("InvalidSignatureException", Some(MSG_BAD_SIGNATURE));

    let r = s
        .raw_json("ListSecrets", &json!({}))
        .signing(|g| g.access_key_id = "AKIANOSUCHKEY0000000".into())
        .send()
        .await;
    r.assert_error("UnrecognizedClientException", Some(MSG_UNRECOGNIZED));

    // The SDK reports the same.
    let c = s.client_with("us-east-1", &s.access_key_id, "wrong-secret");
    assert_err(
        c.list_secrets().send().await,
        "InvalidSignatureException",
        MSG_BAD_SIGNATURE,
    );
    let c = s.client_with("us-east-1", "AKIANOSUCHKEY0000000", "x");
    assert_err(
        c.list_secrets().send().await,
        "UnrecognizedClientException",
        MSG_UNRECOGNIZED,
    );
    // A session token cannot be valid (there are no temporary credentials).
    let creds = aws_credential_types::Credentials::new(
        &s.access_key_id,
        &s.secret_access_key,
        Some("session-token".into()),
        None,
        "test",
    );
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
        .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
        .endpoint_url(s.endpoint())
        .credentials_provider(creds)
        .retry_config(aws_sdk_secretsmanager::config::retry::RetryConfig::disabled())
        .build();
    let c = aws_sdk_secretsmanager::Client::from_conf(config);
    assert_err(
        c.list_secrets().send().await,
        "UnrecognizedClientException",
        MSG_UNRECOGNIZED,
    );
}

#[tokio::test]
async fn stale_and_future_dates() {
    let s = start().await;
    let old = Utc::now() - Duration::minutes(16);
    let r = s
        .raw_json("ListSecrets", &json!({}))
        .signing(|g| g.time = old)
        .send()
        .await;
    r.assert_error("InvalidSignatureException", None);
    let msg = r.json()["Message"].as_str().unwrap().to_owned();
    let prefix = format!(
        "Signature expired: {} is now earlier than ",
        old.format("%Y%m%dT%H%M%SZ")
    );
    assert!(msg.starts_with(&prefix), "{msg}");
    assert!(msg.ends_with(" - 15 min.)"), "{msg}");

    let future = Utc::now() + Duration::minutes(16);
    let r = s
        .raw_json("ListSecrets", &json!({}))
        .signing(|g| g.time = future)
        .send()
        .await;
    r.assert_error("InvalidSignatureException", None);
    let msg = r.json()["Message"].as_str().unwrap().to_owned();
    assert!(msg.starts_with("Signature not yet current: "), "{msg}");

    // Within the 15-minute window either way, the request is accepted.
    for skew in [-14, 14] {
        let r = s
            .raw_json("ListSecrets", &json!({}))
            .signing(|g| g.time = Utc::now() + Duration::minutes(skew))
            .send()
            .await;
        assert_eq!(r.status, 200, "{skew}: {}", r.text());
    }
}

#[tokio::test]
async fn tampered_body_and_headers_fail_and_store_nothing() {
    let s = start().await;
    let c = s.client();
    let signed_body = json!({"Name": "tamper", "SecretString": "a", "ClientRequestToken": token()});
    let other_body = json!({"Name": "tamper", "SecretString": "b", "ClientRequestToken": token()});
    let r = s
        .raw_json("CreateSecret", &signed_body)
        .send_with_body(serde_json::to_vec(&other_body).unwrap())
        .await;
    r.assert_error("InvalidSignatureException", Some(MSG_BAD_SIGNATURE));
    assert_absent(&c, "tamper").await;

    // A signed header changed after signing: the target.
    let raw = s.raw_json("DescribeSecret", &json!({"SecretId": "tamper"}));
    let sig = raw.signature_headers();
    let r = raw
        .header("x-amz-target", "secretsmanager.ListSecrets")
        .send_with(sig)
        .await;
    r.assert_error("InvalidSignatureException", Some(MSG_BAD_SIGNATURE));

    // Signed for another service coffer serves (STS), on the Secrets Manager API.
    let r = s
        .raw_json("ListSecrets", &json!({}))
        .signing(|g| g.service = "sts".into())
        .send()
        .await;
    r.assert_error(
        "InvalidSignatureException",
        Some("Credential should be scoped to correct service: 'secretsmanager'. "),
    );
    // Signed for KMS, which coffer serves on the same endpoint, but not this operation.
    let r = s
        .raw_json("ListSecrets", &json!({}))
        .signing(|g| g.service = "kms".into())
        .send()
        .await;
    r.assert_error(
        "InvalidSignatureException",
        Some("Credential should be scoped to correct service: 'secretsmanager'. "),
    );
    // Signed for a service coffer does not serve at all: said plainly, naming it.
    for service in ["ssm", "s3"] {
        let r = s
            .raw_json("ListSecrets", &json!({}))
            .signing(|g| g.service = service.into())
            .send()
            .await;
        assert_eq!(r.status, 400);
        r.assert_error(
            "UnknownOperationException",
            Some(&format!(
                "coffer does not serve the {service} API: this endpoint answers Secrets Manager, \
                 STS, IAM and KMS only."
            )),
        );
    }
}

#[tokio::test]
async fn presigned_query_form() {
    let s = start().await;
    let c = s.client();
    create(&c, "pre", "presigned-value").await;
    let r = s
        .raw_json("GetSecretValue", &json!({"SecretId": "pre"}))
        .presigned(300)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.assert_json_headers();
    assert_eq!(r.json()["SecretString"], "presigned-value");

    // Signed two minutes ago for sixty seconds: expired.
    let r = s
        .raw_json("GetSecretValue", &json!({"SecretId": "pre"}))
        .signing(|g| g.time = Utc::now() - Duration::minutes(2))
        .presigned(60)
        .send()
        .await;
    r.assert_error("InvalidSignatureException", Some("Request has expired"));

    // The presigned signature covers the body.
    let r = s
        .raw_json("GetSecretValue", &json!({"SecretId": "pre"}))
        .presigned(300)
        .send_with_body(serde_json::to_vec(&json!({"SecretId": "other"})).unwrap())
        .await;
    r.assert_error("InvalidSignatureException", Some(MSG_BAD_SIGNATURE));
}

#[tokio::test]
async fn body_over_the_limit_is_refused_and_stores_nothing() {
    let s = start_with(|c| c.max_body_bytes = 1024).await;
    let c = s.client();
    let r = s
        .raw_json(
            "CreateSecret",
            &json!({"Name": "big", "SecretString": "a".repeat(2000), "ClientRequestToken": token()}),
        )
        .send()
        .await;
    r.assert_error(
        "RequestEntityTooLargeException",
        Some("Request body exceeds the maximum size of 1024 bytes."),
    );
    assert_absent(&c, "big").await;

    create(&c, "small", "x").await;
    let ids = all_version_ids(&c, "small").await;
    let err = c
        .put_secret_value()
        .secret_id("small")
        .secret_string("b".repeat(2000))
        .send()
        .await;
    assert_err(
        err,
        "RequestEntityTooLargeException",
        "Request body exceeds the maximum size of 1024 bytes.",
    );
    assert_eq!(all_version_ids(&c, "small").await, ids);
    // Just under the limit still works.
    let r = s
        .raw_json(
            "PutSecretValue",
            &json!({"SecretId": "small", "SecretString": "c".repeat(800), "ClientRequestToken": token()}),
        )
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn sts_get_caller_identity() {
    let s = start().await;
    let sts = |raw: Raw| {
        raw.without_header("x-amz-target")
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .signing(|g| g.service = "sts".into())
    };
    let body = b"Action=GetCallerIdentity&Version=2011-06-15".to_vec();
    let r = sts(s.raw("x", body.clone())).send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    let xml = r.text();
    assert!(
        xml.contains(&format!("<Arn>arn:aws:iam::{}:root</Arn>", s.account)),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("<Account>{}</Account>", s.account)),
        "{xml}"
    );
    assert!(xml.contains(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    let rid = r.header("x-amzn-requestid").unwrap().to_owned();
    assert!(
        xml.contains(&format!("<RequestId>{rid}</RequestId>")),
        "{xml}"
    );

    // A bad signature gets STS's XML error shape, with STS's code and status.
    let r = sts(s.raw("x", body.clone()))
        .signing(|g| g.secret_access_key = "wrong".into())
        .send()
        .await;
    assert_eq!(r.status, 403);
    let xml = r.text();
    assert!(xml.contains("<Code>SignatureDoesNotMatch</Code>"), "{xml}");
    assert!(xml.contains("<ErrorResponse"), "{xml}");

    // An action STS has but coffer does not is refused, not crashed on.
    let r = sts(s.raw(
        "x",
        b"Action=GetFederationToken&Version=2011-06-15".to_vec(),
    ))
    .send()
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("<Code>InvalidAction</Code>"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn dev_mode_accepts_any_credentials_and_maps_accounts() {
    let s = start_dev().await;
    assert!(s.server.initialized.is_none());
    let numeric = s.client_with("us-east-1", "111122223333", "anything");
    let named = s.client_with("us-east-1", "AKIDEXAMPLE", "whatever");
    let (arn, _) = create(&numeric, "dev", "n").await;
    assert!(
        arn.starts_with("arn:aws:secretsmanager:us-east-1:111122223333:secret:dev-"),
        "{arn}"
    );
    let (arn, _) = create(&named, "dev", "d").await;
    assert!(
        arn.starts_with("arn:aws:secretsmanager:us-east-1:123456789012:secret:dev-"),
        "{arn}"
    );
    // Another secret key for the same access key id is the same caller.
    let same = s.client_with("us-east-1", "111122223333", "other-secret");
    let got = same
        .get_secret_value()
        .secret_id("dev")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("n"));

    // Dev mode still requires a signature.
    let r = s
        .raw_json("ListSecrets", &json!({}))
        .unsigned()
        .send()
        .await;
    r.assert_error("MissingAuthenticationTokenException", None);

    // STS answers with the dev account.
    let r = s
        .raw("x", b"Action=GetCallerIdentity&Version=2011-06-15".to_vec())
        .without_header("x-amz-target")
        .header("content-type", "application/x-www-form-urlencoded")
        .signing(|g| {
            g.service = "sts".into();
            g.access_key_id = "111122223333".into();
        })
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r
        .text()
        .contains("<Arn>arn:aws:iam::111122223333:root</Arn>"));
    assert!(r.text().contains("<Account>111122223333</Account>"));
}

#[tokio::test]
async fn dev_mode_reset_wipes_all_state() {
    let s = start_dev().await;
    let c = s.client_with("us-east-1", "111122223333", "x");
    let west = s.client_with("eu-west-1", "AKID", "x");
    create(&c, "keep", "x").await;
    create(&west, "west", "x").await;
    let mut reset = s
        .raw("x", Vec::new())
        .without_header("x-amz-target")
        .unsigned();
    reset.path = "/_coffer/reset".into();
    let r = reset.send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(c
        .list_secrets()
        .send()
        .await
        .unwrap()
        .secret_list()
        .is_empty());
    assert!(west
        .list_secrets()
        .send()
        .await
        .unwrap()
        .secret_list()
        .is_empty());
    assert_absent(&c, "keep").await;
    // The name is free again.
    create(&c, "keep", "y").await;
}

#[tokio::test]
async fn reset_is_not_available_in_real_mode() {
    let s = start().await;
    let c = s.client();
    create(&c, "stays", "x").await;
    let mut reset = s.raw("x", Vec::new()).without_header("x-amz-target");
    reset.path = "/_coffer/reset".into();
    let r = reset.clone().send().await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = reset.unsigned().send().await;
    assert_eq!(r.status, 400, "{}", r.text());
    let got = c
        .get_secret_value()
        .secret_id("stays")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("x"));
}

/// The presigned form stays on for the API, limited as AWS limits it: a lifetime of at most a
/// week (`X-Amz-Expires` up to 604800), a date no more than 15 minutes ahead of the server's
/// clock, and no use after date + lifetime.
#[tokio::test]
async fn presigned_query_form_is_limited_as_aws_limits_it() {
    let s = start().await;
    let c = s.client();
    create(&c, "pre-limits", "v").await;
    let get = || s.raw_json("GetSecretValue", &json!({"SecretId": "pre-limits"}));

    let r = get().presigned(604_800).send().await;
    assert_eq!(r.status, 200, "{}", r.text());

    let r = get().presigned(604_801).send().await;
    r.assert_error(
        "IncompleteSignatureException",
        Some("X-Amz-Expires must be less than a week (in seconds) that is 604800"),
    );
    let r = get().presigned(0).send().await;
    r.assert_error(
        "IncompleteSignatureException",
        Some("X-Amz-Expires must be greater than 0"),
    );

    // Dated 20 minutes ahead: outside the 15-minute skew, however long its lifetime.
    let r = get()
        .signing(|g| g.time = Utc::now() + Duration::minutes(20))
        .presigned(3600)
        .send()
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "InvalidSignatureException");
    let message = r.json()["Message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("Signature not yet current: "),
        "{message}"
    );

    // Dated 10 minutes ahead: within the skew.
    let r = get()
        .signing(|g| g.time = Utc::now() + Duration::minutes(10))
        .presigned(60)
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    // A week-long URL signed eight days ago has expired.
    let r = get()
        .signing(|g| g.time = Utc::now() - Duration::days(8))
        .presigned(604_800)
        .send()
        .await;
    r.assert_error("InvalidSignatureException", Some("Request has expired"));
}
