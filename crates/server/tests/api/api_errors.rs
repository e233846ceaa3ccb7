//! Error paths and the wire format: raw hand-signed requests for what the SDK will not send
//! (bad JSON, wrong types, unknown targets, missing tokens), the operations coffer does not
//! implement, GetRandomPassword, and the response shape (headers, numeric timestamps, base64).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use aws_sdk_secretsmanager::primitives::Blob;
use base64::Engine as _;
use serde_json::json;

const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

#[tokio::test]
async fn malformed_json_is_a_serialization_exception() {
    let s = start().await;
    for body in [&b"{\"SecretId\": "[..], b"not json", b"{"] {
        let r = s.raw("GetSecretValue", body.to_vec()).send().await;
        r.assert_error(
            "SerializationException",
            Some("The request body is not valid JSON."),
        );
    }
    let r = s.raw("ListSecrets", b"[1, 2]".to_vec()).send().await;
    r.assert_error(
        "SerializationException",
        Some("The request body must be a JSON object."),
    );
}

#[tokio::test]
async fn wrongly_typed_member_never_echoes_the_value() {
    let s = start().await;
    let r = s
        .raw_json("GetSecretValue", &json!({"SecretId": 918273645}))
        .send()
        .await;
    r.assert_error("SerializationException", None);
    assert!(!r.text().contains("918273645"), "{}", r.text());
    let r = s
        .raw_json(
            "CreateSecret",
            &json!({"Name": "n", "SecretString": ["s3cr3t-value"], "ClientRequestToken": token()}),
        )
        .send()
        .await;
    r.assert_error("SerializationException", None);
    assert!(!r.text().contains("s3cr3t-value"), "{}", r.text());
    let c = s.client();
    assert_absent(&c, "n").await;
}

#[tokio::test]
async fn unknown_target_is_unknown_operation() {
    let s = start().await;
    let r = s.raw_json("NoSuchOperation", &json!({})).send().await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "UnknownOperationException");
    r.assert_json_headers();
    let r = s
        .raw_json("ListSecrets", &json!({}))
        .header("x-amz-target", "otherservice.ListSecrets")
        .send()
        .await;
    assert_eq!(
        (r.status, r.json()["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let r = s
        .raw_json("ListSecrets", &json!({}))
        .without_header("x-amz-target")
        .send()
        .await;
    assert_eq!(
        (r.status, r.json()["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
}

#[tokio::test]
async fn raw_writes_without_client_request_token() {
    let s = start().await;
    let c = s.client();
    let (_, v1) = create(&c, "nt", "x").await;
    let r = s
        .raw_json(
            "PutSecretValue",
            &json!({"SecretId": "nt", "SecretString": "y"}),
        )
        .send()
        .await;
    r.assert_error("InvalidRequestException", Some(MSG_TOKEN_REQUIRED));
    let r = s
        .raw_json(
            "UpdateSecret",
            &json!({"SecretId": "nt", "SecretString": "y"}),
        )
        .send()
        .await;
    r.assert_error("InvalidRequestException", Some(MSG_TOKEN_REQUIRED));
    assert_eq!(all_version_ids(&c, "nt").await, vec![v1]);
    let r = s
        .raw_json("CreateSecret", &json!({"Name": "nt2", "SecretString": "y"}))
        .send()
        .await;
    r.assert_error("InvalidRequestException", Some(MSG_TOKEN_REQUIRED));
    assert_absent(&c, "nt2").await;
    // Without a value, no token is needed.
    let r = s
        .raw_json("CreateSecret", &json!({"Name": "nt3"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json().get("VersionId").is_none());
}

#[tokio::test]
async fn raw_error_shapes() {
    let s = start().await;
    let c = s.client();
    create(&c, "exists", "x").await;
    let r = s
        .raw_json("GetSecretValue", &json!({"SecretId": "missing"}))
        .send()
        .await;
    r.assert_error("ResourceNotFoundException", Some(MSG_NOT_FOUND));
    let r = s
        .raw_json(
            "CreateSecret",
            &json!({"Name": "exists", "SecretString": "y", "ClientRequestToken": token()}),
        )
        .send()
        .await;
    r.assert_error(
        "ResourceExistsException",
        Some(&msg_already_exists("exists")),
    );
    // Nothing but `__type` and `Message` in an error body.
    let keys: Vec<_> = r.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, vec!["Message".to_owned(), "__type".to_owned()]);
}

#[tokio::test]
async fn success_shape_numeric_timestamps_and_base64() {
    let s = start().await;
    let c = s.client();
    create(&c, "shape", "x").await;
    let r = s
        .raw_json("DescribeSecret", &json!({"SecretId": "shape"}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    r.assert_json_headers();
    let body = r.json();
    for field in ["CreatedDate", "LastChangedDate"] {
        assert!(body[field].is_number(), "{field}: {body}");
        let t = body[field].as_f64().unwrap();
        assert!((t - now_secs()).abs() < 60.0, "{field}: {t}");
    }

    let blob = b"\x00\xffraw\x10".to_vec();
    c.create_secret()
        .name("b64")
        .secret_binary(Blob::new(blob.clone()))
        .send()
        .await
        .unwrap();
    let r = s
        .raw_json("GetSecretValue", &json!({"SecretId": "b64"}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let body = r.json();
    let encoded = body["SecretBinary"].as_str().expect("base64 string");
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
        blob
    );
    assert!(body.get("SecretString").is_none());
    assert!(body["CreatedDate"].is_number());

    // A binary value sent raw as base64 is stored as its bytes.
    let r = s
        .raw_json(
            "CreateSecret",
            &json!({"Name": "b64in", "SecretBinary": "AAEC/w==", "ClientRequestToken": token()}),
        )
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let got = c
        .get_secret_value()
        .secret_id("b64in")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_binary().unwrap().as_ref(), &[0u8, 1, 2, 255][..]);
}

#[tokio::test]
async fn request_id_is_unique_per_response() {
    let s = start().await;
    let a = s.raw_json("ListSecrets", &json!({})).send().await;
    let b = s.raw_json("ListSecrets", &json!({})).send().await;
    a.assert_json_headers();
    b.assert_json_headers();
    assert_ne!(a.header("x-amzn-requestid"), b.header("x-amzn-requestid"));
}

const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "ReplicateSecretToRegions",
        r#"{"SecretId": "a", "AddReplicaRegions": [{"Region": "eu-west-1"}]}"#,
    ),
    (
        "RemoveRegionsFromReplication",
        r#"{"SecretId": "a", "RemoveReplicaRegions": ["eu-west-1"]}"#,
    ),
    ("StopReplicationToReplica", r#"{"SecretId": "a"}"#),
    (
        "AssociateCrossAccountReplica",
        r#"{"SecretId": "a", "CrossAccountReplicaARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf"}"#,
    ),
    (
        "DisassociateCrossAccountReplica",
        r#"{"SecretId": "a", "CrossAccountReplicaARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf"}"#,
    ),
];

#[tokio::test]
async fn unimplemented_operations_answer_a_typed_400_raw() {
    let s = start().await;
    for (op, body) in UNSUPPORTED {
        let r = s.raw(op, body.as_bytes().to_vec()).send().await;
        assert_eq!(r.status, 400, "{op}: {}", r.text());
        r.assert_error(
            "InvalidRequestException",
            Some(&format!("{op} is not supported by this version of coffer.")),
        );
    }
}

#[tokio::test]
async fn unimplemented_operations_through_the_sdk() {
    let s = start().await;
    let c = s.client();
    let msg = |op: &str| format!("{op} is not supported by this version of coffer.");
    let ir = "InvalidRequestException";
    assert_err(
        c.replicate_secret_to_regions()
            .secret_id("a")
            .add_replica_regions(
                aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                    .region("eu-west-1")
                    .build(),
            )
            .send()
            .await,
        ir,
        &msg("ReplicateSecretToRegions"),
    );
    assert_err(
        c.remove_regions_from_replication()
            .secret_id("a")
            .remove_replica_regions("eu-west-1")
            .send()
            .await,
        ir,
        &msg("RemoveRegionsFromReplication"),
    );
    assert_err(
        c.stop_replication_to_replica().secret_id("a").send().await,
        ir,
        &msg("StopReplicationToReplica"),
    );
    // Features of implemented operations that are not built yet answer the same way.
    assert_err(
        c.create_secret()
            .name("r")
            .secret_string("x")
            .add_replica_regions(
                aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                    .region("eu-west-1")
                    .build(),
            )
            .send()
            .await,
        ir,
        &msg("Replication (AddReplicaRegions)"),
    );
    assert_absent(&c, "r").await;
}

fn classes(pw: &str) -> [bool; 4] {
    [
        pw.chars().any(|c| c.is_ascii_uppercase()),
        pw.chars().any(|c| c.is_ascii_lowercase()),
        pw.chars().any(|c| c.is_ascii_digit()),
        pw.chars().any(|c| PUNCTUATION.contains(c)),
    ]
}

#[tokio::test]
async fn random_password_defaults_and_options() {
    let s = start().await;
    let c = s.client();
    let get = |c: aws_sdk_secretsmanager::Client,
               f: fn(
        aws_sdk_secretsmanager::operation::get_random_password::builders::GetRandomPasswordFluentBuilder,
    ) -> aws_sdk_secretsmanager::operation::get_random_password::builders::GetRandomPasswordFluentBuilder| async move {
        f(c.get_random_password())
            .send()
            .await
            .unwrap()
            .random_password()
            .unwrap()
            .to_owned()
    };
    for _ in 0..10 {
        let pw = get(c.clone(), |b| b).await;
        assert_eq!(pw.len(), 32);
        assert!(
            pw.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || PUNCTUATION.contains(ch)),
            "{pw}"
        );
        assert_eq!(classes(&pw), [true; 4], "{pw}");
    }
    for _ in 0..20 {
        let pw = get(c.clone(), |b| b.password_length(4)).await;
        assert_eq!((pw.len(), classes(&pw)), (4, [true; 4]), "{pw}");
    }
    assert_eq!(
        get(c.clone(), |b| b.password_length(4096)).await.len(),
        4096
    );
    assert_eq!(
        get(c.clone(), |b| b
            .password_length(1)
            .require_each_included_type(false))
        .await
        .len(),
        1
    );
    for _ in 0..5 {
        let pw = get(c.clone(), |b| b.password_length(64).exclude_numbers(true)).await;
        assert_eq!(classes(&pw), [true, true, false, true], "{pw}");
        let pw = get(c.clone(), |b| {
            b.password_length(64).exclude_punctuation(true)
        })
        .await;
        assert_eq!(classes(&pw), [true, true, true, false], "{pw}");
        let pw = get(c.clone(), |b| b.password_length(64).exclude_uppercase(true)).await;
        assert_eq!(classes(&pw), [false, true, true, true], "{pw}");
        let pw = get(c.clone(), |b| b.password_length(64).exclude_lowercase(true)).await;
        assert_eq!(classes(&pw), [true, false, true, true], "{pw}");
        let excluded = "abcdefghijABCDEFGHIJ012345!#%&()*";
        let pw = get(c.clone(), |b| {
            b.password_length(64)
                .exclude_characters("abcdefghijABCDEFGHIJ012345!#%&()*")
        })
        .await;
        assert!(!pw.chars().any(|ch| excluded.contains(ch)), "{pw}");
        assert_eq!(classes(&pw), [true; 4], "{pw}");
    }
    let without: String = get(c.clone(), |b| b.password_length(4096)).await;
    assert!(!without.contains(' '));
    let with: String = get(c.clone(), |b| b.password_length(4096).include_space(true)).await;
    assert!(with.contains(' '));
}

#[tokio::test]
async fn random_password_errors() {
    let s = start().await;
    let c = s.client();
    assert_err(
        c.get_random_password().password_length(0).send().await,
        "ValidationException",
        "1 validation error detected: Value '0' at 'passwordLength' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    assert_err(
        c.get_random_password().password_length(4097).send().await,
        "ValidationException",
        "1 validation error detected: Value '4097' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to 4096",
    );
    assert_err(
        c.get_random_password().password_length(3).send().await,
        "InvalidParameterException",
        "Password length is too short based on the required types.",
    );
    assert_err(
        c.get_random_password()
            .exclude_characters("0123456789")
            .send()
            .await,
        "InvalidParameterException",
        "All characters of the desired type have been excluded",
    );
    assert_err(
        c.get_random_password()
            .exclude_numbers(true)
            .exclude_punctuation(true)
            .exclude_uppercase(true)
            .exclude_lowercase(true)
            .send()
            .await,
        "InvalidParameterException",
        "All characters have been excluded from selection.",
    );
}

#[tokio::test]
async fn every_timestamp_is_a_json_number() {
    let s = start().await;
    let c = s.client();
    create(&c, "ts", "x").await;
    c.get_secret_value().secret_id("ts").send().await.unwrap();
    let listed = s.raw_json("ListSecrets", &json!({})).send().await.json();
    let entry = &listed["SecretList"][0];
    for field in ["CreatedDate", "LastChangedDate", "LastAccessedDate"] {
        assert!(entry[field].is_number(), "ListSecrets {field}: {entry}");
    }
    let versions = s
        .raw_json("ListSecretVersionIds", &json!({"SecretId": "ts"}))
        .send()
        .await
        .json();
    let v = &versions["Versions"][0];
    for field in ["CreatedDate", "LastAccessedDate"] {
        assert!(v[field].is_number(), "ListSecretVersionIds {field}: {v}");
    }
    let deleted = s
        .raw_json(
            "DeleteSecret",
            &json!({"SecretId": "ts", "RecoveryWindowInDays": 7}),
        )
        .send()
        .await;
    deleted.assert_json_headers();
    assert!(
        deleted.json()["DeletionDate"].is_number(),
        "{}",
        deleted.text()
    );
    let described = s
        .raw_json("DescribeSecret", &json!({"SecretId": "ts"}))
        .send()
        .await
        .json();
    assert!(described["DeletedDate"].is_number(), "{described}");
}
