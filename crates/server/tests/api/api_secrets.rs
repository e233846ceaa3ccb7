//! Secret-level operations through the official SDK: CreateSecret, GetSecretValue,
//! DescribeSecret and UpdateSecret; lookup by name, full and partial ARN; regions and KMS keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::Tag;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = tags
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn create_returns_arn_name_and_token_as_version_and_get_reads_it() {
    let s = start().await;
    let c = s.client();
    let version = token();
    let created = c
        .create_secret()
        .name("app/db+x=y.z@w-1")
        .secret_string(r#"{"user":"app","password":"pw"}"#)
        .client_request_token(&version)
        .send()
        .await
        .unwrap();
    assert_eq!(created.name(), Some("app/db+x=y.z@w-1"));
    assert_eq!(created.version_id(), Some(version.as_str()));
    let arn = created.arn().unwrap();
    let prefix = format!(
        "arn:aws:secretsmanager:us-east-1:{}:secret:app/db+x=y.z@w-1-",
        s.account
    );
    assert!(arn.starts_with(&prefix), "{arn}");
    let suffix = &arn[prefix.len()..];
    assert!(
        suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{arn}"
    );

    let got = c
        .get_secret_value()
        .secret_id("app/db+x=y.z@w-1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.secret_string(),
        Some(r#"{"user":"app","password":"pw"}"#)
    );
    assert!(got.secret_binary().is_none());
    assert_eq!(got.name(), Some("app/db+x=y.z@w-1"));
    assert_eq!(got.arn(), Some(arn));
    assert_eq!(got.version_id(), Some(version.as_str()));
    assert_eq!(got.version_stages(), ["AWSCURRENT"]);
    assert!((secs(got.created_date()) - now_secs()).abs() < 60.0);
    s.stop().await;
}

#[tokio::test]
async fn binary_and_unicode_values_round_trip() {
    let s = start().await;
    let c = s.client();
    let blob: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
    c.create_secret()
        .name("bin")
        .secret_binary(Blob::new(blob.clone()))
        .send()
        .await
        .unwrap();
    let got = c.get_secret_value().secret_id("bin").send().await.unwrap();
    assert_eq!(got.secret_binary().map(|b| b.as_ref().to_vec()), Some(blob));
    assert!(got.secret_string().is_none());

    let text = "pässwörd ✓ 密码 🔑 \"quoted\" \\ back\nline";
    create(&c, "uni", text).await;
    let got = c.get_secret_value().secret_id("uni").send().await.unwrap();
    assert_eq!(got.secret_string(), Some(text));

    // A value of exactly 65,536 bytes is accepted.
    let max = "a".repeat(65_536);
    create(&c, "max", &max).await;
    let got = c.get_secret_value().secret_id("max").send().await.unwrap();
    assert_eq!(got.secret_string().map(str::len), Some(65_536));
}

#[tokio::test]
async fn lookup_by_name_full_arn_and_partial_arn() {
    let s = start().await;
    let c = s.client();
    let (arn, _) = create(&c, "lookup/me", "v").await;
    let partial = &arn[..arn.len() - 7];
    for id in ["lookup/me", arn.as_str(), partial] {
        let got = c.get_secret_value().secret_id(id).send().await.unwrap();
        assert_eq!(
            (got.arn(), got.secret_string()),
            (Some(arn.as_str()), Some("v")),
            "{id}"
        );
        let d = c.describe_secret().secret_id(id).send().await.unwrap();
        assert_eq!(
            (d.arn(), d.name()),
            (Some(arn.as_str()), Some("lookup/me")),
            "{id}"
        );
    }
    // A wrong suffix, another region's ARN: not found.
    let wrong_suffix = format!("{partial}-ZZZZZZ");
    let other_region = arn.replace("us-east-1", "eu-west-1");
    for id in [wrong_suffix, other_region] {
        assert_err(
            c.get_secret_value().secret_id(&id).send().await,
            "ResourceNotFoundException",
            MSG_NOT_FOUND,
        );
    }
    // Another account's ARN is a cross-account request: without that account's resource policy
    // granting it, AccessDenied (whether or not such a secret exists), as on AWS.
    let other_account = arn.replace(&s.account, "999999999999");
    assert_err(
        c.get_secret_value().secret_id(&other_account).send().await,
        "AccessDeniedException",
        &format!(
            "User: arn:aws:iam::{}:root is not authorized to perform: secretsmanager:GetSecretValue \
             on resource: {other_account} because no resource-based policy allows the \
             secretsmanager:GetSecretValue action",
            s.account
        ),
    );
}

/// Precedence for a SecretId that is an ARN whose resource ends in `-` and six alphanumerics
/// (crates/core/src/names.rs `SecretRef::candidates`): the exact full-ARN match (name plus
/// suffix) wins; otherwise the whole resource is taken as a name (a partial ARN). A plain name
/// is only ever a name.
#[tokio::test]
async fn name_ending_like_an_arn_suffix() {
    let s = start().await;
    let c = s.client();
    let (short_arn, _) = create(&c, "tricky", "short").await;
    let short_suffix = &short_arn[short_arn.len() - 6..];
    // A second secret whose name is the first one's name plus its real suffix.
    let long_name = format!("tricky-{short_suffix}");
    let (long_arn, _) = create(&c, &long_name, "long").await;

    // By name, each is itself.
    let got = c
        .get_secret_value()
        .secret_id(&long_name)
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("long"));
    // The short secret's full ARN is also the long secret's partial ARN: the full-ARN match
    // (the short secret) wins.
    let got = c
        .get_secret_value()
        .secret_id(&short_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("short"));
    // The long secret's own full ARN finds it.
    let got = c
        .get_secret_value()
        .secret_id(&long_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("long"));

    // Once the short secret is gone, its ARN falls back to the partial-ARN reading.
    c.delete_secret()
        .secret_id("tricky")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let got = c
        .get_secret_value()
        .secret_id(&short_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("long"));
}

#[tokio::test]
async fn create_without_value_creates_no_version() {
    let s = start().await;
    let c = s.client();
    let out = c
        .create_secret()
        .name("empty")
        .description("metadata only")
        .send()
        .await
        .unwrap();
    assert!(out.version_id().is_none());
    assert!(stages(&c, "empty").await.is_empty());
    assert!(all_version_ids(&c, "empty").await.is_empty());
    assert_err(
        c.get_secret_value().secret_id("empty").send().await,
        "ResourceNotFoundException",
        &msg_no_value_for_stage("AWSCURRENT"),
    );
}

#[tokio::test]
async fn create_duplicate_and_idempotent_retry() {
    let s = start().await;
    let c = s.client();
    let version = token();
    let first = c
        .create_secret()
        .name("dup")
        .secret_string("first")
        .client_request_token(&version)
        .send()
        .await
        .unwrap();
    // The same token and value: a retry that answers as the first call did.
    let again = c
        .create_secret()
        .name("dup")
        .secret_string("first")
        .client_request_token(&version)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (again.arn(), again.version_id()),
        (first.arn(), Some(version.as_str()))
    );
    assert_eq!(all_version_ids(&c, "dup").await, vec![version.clone()]);
    // The same token with another value: the token is in use (AWS names the token and the
    // secret's full ARN); another token: the name exists.
    let arn = first.arn().unwrap();
    for (tok, value, message) in [
        (version.clone(), "second", msg_token_in_use(&version, arn)),
        (token(), "first", msg_already_exists("dup")),
    ] {
        assert_err(
            c.create_secret()
                .name("dup")
                .secret_string(value)
                .client_request_token(tok)
                .send()
                .await,
            "ResourceExistsException",
            &message,
        );
    }
    let got = c.get_secret_value().secret_id("dup").send().await.unwrap();
    assert_eq!(got.secret_string(), Some("first"));
    assert_eq!(all_version_ids(&c, "dup").await, vec![version]);
}

#[tokio::test]
async fn create_validation_errors_store_nothing() {
    let s = start().await;
    let c = s.client();
    assert_err(
        c.create_secret()
            .name("bad name#1")
            .secret_string("x")
            .send()
            .await,
        "ValidationException",
        MSG_INVALID_NAME,
    );
    let msg = assert_code(
        c.create_secret()
            .name("big")
            .secret_string("a".repeat(65_537))
            .send()
            .await,
        "ValidationException",
    );
    assert!(
        msg.contains(
            "failed to satisfy constraint: Member must have length less than or equal to 65536"
        ),
        "{msg}"
    );
    assert_absent(&c, "big").await;
    assert_code(
        c.create_secret()
            .name("both")
            .secret_string("s")
            .secret_binary(Blob::new(b"b".to_vec()))
            .send()
            .await,
        "InvalidParameterException",
    );
    assert_absent(&c, "both").await;
    let listed = c.list_secrets().send().await.unwrap();
    assert!(listed.secret_list().is_empty());
}

#[tokio::test]
async fn describe_core_fields_and_omissions() {
    let s = start().await;
    let c = s.client();
    let version = token();
    let created = c
        .create_secret()
        .name("desc")
        .secret_string("x")
        .client_request_token(&version)
        .description("db creds")
        .tags(tag("team", "payments"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let d = c.describe_secret().secret_id("desc").send().await.unwrap();
    assert_eq!(
        (d.name(), d.arn(), d.description()),
        (Some("desc"), created.arn(), Some("db creds"))
    );
    assert_eq!(
        tag_pairs(d.tags()),
        pairs(&[("env", "prod"), ("team", "payments")])
    );
    assert_eq!(
        stages(&c, "desc").await,
        stage_map(&[(&version, &["AWSCURRENT"])])
    );
    assert!((secs(d.created_date()) - now_secs()).abs() < 60.0);
    assert!((secs(d.last_changed_date()) - now_secs()).abs() < 60.0);
    // Fields without a value are omitted.
    assert!(d.kms_key_id().is_none());
    assert!(d.deleted_date().is_none());
    assert!(d.last_accessed_date().is_none());
    assert!(d.rotation_rules().is_none());
    assert!(d.last_rotated_date().is_none());
    assert!(d.next_rotation_date().is_none());

    c.create_secret()
        .name("bare")
        .secret_string("x")
        .send()
        .await
        .unwrap();
    let d = c.describe_secret().secret_id("bare").send().await.unwrap();
    assert!(d.description().is_none());
    assert!(d.tags().is_empty());
}

#[tokio::test]
async fn last_accessed_date_is_midnight_utc_after_a_read() {
    let s = start().await;
    let c = s.client();
    create(&c, "acc", "x").await;
    let before = c.describe_secret().secret_id("acc").send().await.unwrap();
    assert!(before.last_accessed_date().is_none());
    let midnight_before = today_midnight();
    c.get_secret_value().secret_id("acc").send().await.unwrap();
    let midnight_after = today_midnight();
    let d = c.describe_secret().secret_id("acc").send().await.unwrap();
    let accessed = d.last_accessed_date().expect("LastAccessedDate");
    assert_eq!(accessed.subsec_nanos(), 0);
    // The read happened between the two samples; either is its day (a run across midnight).
    assert!(
        accessed.secs() == midnight_before || accessed.secs() == midnight_after,
        "{accessed:?} vs {midnight_before}/{midnight_after}"
    );
    // ListSecretVersionIds shows the version's access day too.
    let versions = c
        .list_secret_version_ids()
        .secret_id("acc")
        .send()
        .await
        .unwrap();
    assert_eq!(
        versions.versions()[0]
            .last_accessed_date()
            .map(|t| t.secs()),
        Some(accessed.secs())
    );
}

#[tokio::test]
async fn update_metadata_only_creates_no_version() {
    let s = start().await;
    let c = s.client();
    let (arn, v1) = create(&c, "upd", "x").await;
    let out = c
        .update_secret()
        .secret_id("upd")
        .description("after")
        .send()
        .await
        .unwrap();
    assert_eq!((out.arn(), out.name()), (Some(arn.as_str()), Some("upd")));
    assert!(out.version_id().is_none());
    let d = c.describe_secret().secret_id("upd").send().await.unwrap();
    assert_eq!(d.description(), Some("after"));
    assert_eq!(all_version_ids(&c, "upd").await, vec![v1.clone()]);
    assert_eq!(
        stages(&c, "upd").await,
        stage_map(&[(&v1, &["AWSCURRENT"])])
    );
}

#[tokio::test]
async fn update_with_value_creates_version() {
    let s = start().await;
    let c = s.client();
    let (arn, v1) = create(&c, "updv", "one").await;
    let v2 = token();
    let out = c
        .update_secret()
        .secret_id("updv")
        .secret_string("two")
        .client_request_token(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(out.version_id(), Some(v2.as_str()));
    assert_eq!(
        stages(&c, "updv").await,
        stage_map(&[(&v2, &["AWSCURRENT"]), (&v1, &["AWSPREVIOUS"])])
    );
    let got = c.get_secret_value().secret_id("updv").send().await.unwrap();
    assert_eq!(got.secret_string(), Some("two"));
    // A retry with the same token and value creates nothing; another value is a conflict.
    let again = c
        .update_secret()
        .secret_id("updv")
        .secret_string("two")
        .client_request_token(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(again.version_id(), Some(v2.as_str()));
    let mut want = vec![v1.clone(), v2.clone()];
    want.sort();
    assert_eq!(all_version_ids(&c, "updv").await, want);
    assert_err(
        c.update_secret()
            .secret_id("updv")
            .secret_string("other")
            .client_request_token(&v2)
            .send()
            .await,
        "ResourceExistsException",
        &msg_token_in_use(&v2, &arn),
    );
    let got = c.get_secret_value().secret_id("updv").send().await.unwrap();
    assert_eq!(got.secret_string(), Some("two"));

    // A first value on an empty secret becomes AWSCURRENT.
    c.create_secret().name("updempty").send().await.unwrap();
    let out = c
        .update_secret()
        .secret_id("updempty")
        .secret_string("first")
        .send()
        .await
        .unwrap();
    let vid = out.version_id().unwrap().to_owned();
    assert_eq!(
        stages(&c, "updempty").await,
        stage_map(&[(&vid, &["AWSCURRENT"])])
    );
}

#[tokio::test]
async fn kms_key_default_alias_accepted_unknown_key_refused() {
    let s = start().await;
    let c = s.client();
    c.create_secret()
        .name("kms")
        .secret_string("x")
        .kms_key_id("alias/aws/secretsmanager")
        .send()
        .await
        .unwrap();
    let d = c.describe_secret().secret_id("kms").send().await.unwrap();
    assert_eq!(d.kms_key_id(), Some("alias/aws/secretsmanager"));
    let got = c.get_secret_value().secret_id("kms").send().await.unwrap();
    assert_eq!(got.secret_string(), Some("x"));

    let unknown = "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state.";
    assert_err(
        c.create_secret()
            .name("kms-bad")
            .secret_string("x")
            .kms_key_id("alias/no-such-key")
            .send()
            .await,
        "EncryptionFailure",
        unknown,
    );
    assert_absent(&c, "kms-bad").await;
    assert_err(
        c.update_secret()
            .secret_id("kms")
            .kms_key_id(
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            )
            .send()
            .await,
        "EncryptionFailure",
        unknown,
    );
    let d = c.describe_secret().secret_id("kms").send().await.unwrap();
    assert_eq!(d.kms_key_id(), Some("alias/aws/secretsmanager"));
}

#[tokio::test]
async fn regions_are_separate_namespaces() {
    let s = start().await;
    let east = s.client();
    let west = s.client_in("eu-west-1");
    let (east_arn, _) = create(&east, "shared", "east").await;
    assert_err(
        west.get_secret_value().secret_id("shared").send().await,
        "ResourceNotFoundException",
        MSG_NOT_FOUND,
    );
    assert_err(
        west.describe_secret().secret_id(&east_arn).send().await,
        "ResourceNotFoundException",
        MSG_NOT_FOUND,
    );
    assert!(west
        .list_secrets()
        .send()
        .await
        .unwrap()
        .secret_list()
        .is_empty());
    let (west_arn, _) = create(&west, "shared", "west").await;
    assert!(
        west_arn.starts_with("arn:aws:secretsmanager:eu-west-1:"),
        "{west_arn}"
    );
    let got = west
        .get_secret_value()
        .secret_id("shared")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("west"));
    let got = east
        .get_secret_value()
        .secret_id("shared")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("east"));
}
