//! Secret-level operations through the official SDK: CreateSecret, GetSecretValue,
//! DescribeSecret, UpdateSecret, DeleteSecret, RestoreSecret, TagResource, UntagResource, lookup
//! by name and ARN, regions and KMS keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::Tag;
use common::*;

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
    // A wrong suffix, another region's ARN, another account's ARN: not found.
    let wrong_suffix = format!("{partial}-ZZZZZZ");
    let other_region = arn.replace("us-east-1", "eu-west-1");
    let other_account = arn.replace(&s.account, "999999999999");
    for id in [wrong_suffix, other_region, other_account] {
        assert_err(
            c.get_secret_value().secret_id(&id).send().await,
            "ResourceNotFoundException",
            MSG_NOT_FOUND,
        );
    }
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
    // The same token with another value, or another token: the name exists.
    for (tok, value) in [(version.clone(), "second"), (token(), "first")] {
        assert_err(
            c.create_secret()
                .name("dup")
                .secret_string(value)
                .client_request_token(tok)
                .send()
                .await,
            "ResourceExistsException",
            &msg_already_exists("dup"),
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
    let (_, v1) = create(&c, "updv", "one").await;
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
    assert_code(
        c.update_secret()
            .secret_id("updv")
            .secret_string("other")
            .client_request_token(&v2)
            .send()
            .await,
        "ResourceExistsException",
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

#[tokio::test]
async fn not_found_from_every_secret_operation() {
    let s = start().await;
    let c = s.client();
    let id = "missing";
    let vid = token();
    let nf = "ResourceNotFoundException";
    assert_err(
        c.describe_secret().secret_id(id).send().await,
        nf,
        MSG_NOT_FOUND,
    );
    assert_err(
        c.get_secret_value().secret_id(id).send().await,
        nf,
        MSG_NOT_FOUND,
    );
    assert_err(
        c.put_secret_value()
            .secret_id(id)
            .secret_string("x")
            .send()
            .await,
        nf,
        MSG_NOT_FOUND,
    );
    assert_err(
        c.update_secret()
            .secret_id(id)
            .description("d")
            .send()
            .await,
        nf,
        MSG_NOT_FOUND,
    );
    assert_err(
        c.update_secret_version_stage()
            .secret_id(id)
            .version_stage("X")
            .move_to_version_id(&vid)
            .send()
            .await,
        nf,
        MSG_NOT_FOUND,
    );
    assert_err(
        c.list_secret_version_ids().secret_id(id).send().await,
        nf,
        MSG_NOT_FOUND,
    );
    assert_err(
        c.tag_resource()
            .secret_id(id)
            .tags(tag("k", "v"))
            .send()
            .await,
        nf,
        MSG_NOT_FOUND,
    );
    assert_err(
        c.untag_resource().secret_id(id).tag_keys("k").send().await,
        nf,
        MSG_NOT_FOUND,
    );
    assert_err(
        c.delete_secret()
            .secret_id(id)
            .recovery_window_in_days(7)
            .send()
            .await,
        nf,
        MSG_NOT_FOUND,
    );
    assert_err(
        c.restore_secret().secret_id(id).send().await,
        nf,
        MSG_NOT_FOUND,
    );
}

#[tokio::test]
async fn tags_append_overwrite_remove_and_are_case_sensitive() {
    let s = start().await;
    let c = s.client();
    c.create_secret()
        .name("tags")
        .secret_string("x")
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap();
    let tags_of = |c: aws_sdk_secretsmanager::Client| async move {
        let d = c.describe_secret().secret_id("tags").send().await.unwrap();
        tag_pairs(d.tags())
    };
    c.tag_resource()
        .secret_id("tags")
        .tags(tag("b", "2"))
        .tags(tag("c", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(c.clone()).await,
        pairs(&[("a", "1"), ("b", "2"), ("c", "")])
    );
    c.tag_resource()
        .secret_id("tags")
        .tags(tag("a", "new"))
        .tags(tag("A", "upper"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(c.clone()).await,
        pairs(&[("A", "upper"), ("a", "new"), ("b", "2"), ("c", "")])
    );
    c.untag_resource()
        .secret_id("tags")
        .tag_keys("a")
        .tag_keys("c")
        .tag_keys("not-there")
        .tag_keys("B")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(c.clone()).await,
        pairs(&[("A", "upper"), ("b", "2")])
    );
    // Tagging changes no version.
    assert_eq!(all_version_ids(&c, "tags").await.len(), 1);
}

#[tokio::test]
async fn delete_default_window_is_30_days_then_restore() {
    let s = start().await;
    let c = s.client();
    let (arn, _) = create(&c, "del", "back").await;
    let out = c.delete_secret().secret_id("del").send().await.unwrap();
    assert_eq!((out.name(), out.arn()), (Some("del"), Some(arn.as_str())));
    let due = secs(out.deletion_date());
    assert!((due - (now_secs() + 30.0 * 86_400.0)).abs() < 60.0, "{due}");
    let d = c.describe_secret().secret_id("del").send().await.unwrap();
    assert!((secs(d.deleted_date()) - now_secs()).abs() < 60.0);
    assert_eq!((d.name(), d.arn()), (Some("del"), Some(arn.as_str())));

    let restored = c.restore_secret().secret_id("del").send().await.unwrap();
    assert_eq!(
        (restored.name(), restored.arn()),
        (Some("del"), Some(arn.as_str()))
    );
    let d = c.describe_secret().secret_id("del").send().await.unwrap();
    assert!(d.deleted_date().is_none());
    let got = c.get_secret_value().secret_id("del").send().await.unwrap();
    assert_eq!(got.secret_string(), Some("back"));
}

#[tokio::test]
async fn delete_windows_7_and_30_and_out_of_range() {
    let s = start().await;
    let c = s.client();
    for (name, days) in [("d7", 7), ("d30", 30)] {
        create(&c, name, "x").await;
        let out = c
            .delete_secret()
            .secret_id(name)
            .recovery_window_in_days(days)
            .send()
            .await
            .unwrap();
        let want = now_secs() + f64::from(i32::try_from(days).unwrap()) * 86_400.0;
        assert!((secs(out.deletion_date()) - want).abs() < 60.0, "{name}");
    }
    create(&c, "range", "x").await;
    for days in [6, 31, 0, -1] {
        assert_err(
            c.delete_secret()
                .secret_id("range")
                .recovery_window_in_days(days)
                .send()
                .await,
            "InvalidParameterException",
            MSG_RECOVERY_WINDOW,
        );
    }
    assert_err(
        c.delete_secret()
            .secret_id("range")
            .recovery_window_in_days(7)
            .force_delete_without_recovery(true)
            .send()
            .await,
        "InvalidParameterException",
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
    let d = c.describe_secret().secret_id("range").send().await.unwrap();
    assert!(d.deleted_date().is_none());
    let got = c
        .get_secret_value()
        .secret_id("range")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("x"));
}

#[tokio::test]
async fn force_delete_removes_at_once_and_succeeds_on_missing() {
    let s = start().await;
    let c = s.client();
    let (first_arn, _) = create(&c, "force", "x").await;
    let out = c
        .delete_secret()
        .secret_id("force")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (out.name(), out.arn()),
        (Some("force"), Some(first_arn.as_str()))
    );
    assert!((secs(out.deletion_date()) - now_secs()).abs() < 60.0);
    assert_absent(&c, "force").await;
    // The name is free again, under a new ARN.
    let (second_arn, _) = create(&c, "force", "y").await;
    assert_ne!(first_arn, second_arn);

    let out = c
        .delete_secret()
        .secret_id("never-existed")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.name(), Some("never-existed"));
    assert_absent(&c, "never-existed").await;
}

#[tokio::test]
async fn marked_for_deletion_refusals() {
    let s = start().await;
    let c = s.client();
    let (_, v1) = create(&c, "marked", "x").await;
    c.delete_secret()
        .secret_id("marked")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    let ir = "InvalidRequestException";
    let m = MSG_MARKED_FOR_DELETION;
    assert_err(c.get_secret_value().secret_id("marked").send().await, ir, m);
    assert_err(
        c.put_secret_value()
            .secret_id("marked")
            .secret_string("y")
            .send()
            .await,
        ir,
        m,
    );
    assert_err(
        c.update_secret()
            .secret_id("marked")
            .description("d")
            .send()
            .await,
        ir,
        m,
    );
    assert_err(
        c.update_secret_version_stage()
            .secret_id("marked")
            .version_stage("BLUE")
            .move_to_version_id(&v1)
            .send()
            .await,
        ir,
        m,
    );
    assert_err(
        c.tag_resource()
            .secret_id("marked")
            .tags(tag("k", "v"))
            .send()
            .await,
        ir,
        m,
    );
    assert_err(
        c.untag_resource()
            .secret_id("marked")
            .tag_keys("k")
            .send()
            .await,
        ir,
        m,
    );
    assert_err(c.delete_secret().secret_id("marked").send().await, ir, m);
    assert_err(
        c.create_secret()
            .name("marked")
            .secret_string("again")
            .send()
            .await,
        ir,
        MSG_NAME_SCHEDULED_FOR_DELETION,
    );
    // Nothing changed: still one version with its label, still described.
    assert_eq!(
        stages(&c, "marked").await,
        stage_map(&[(&v1, &["AWSCURRENT"])])
    );
    assert_eq!(all_version_ids(&c, "marked").await, vec![v1]);
    let d = c
        .describe_secret()
        .secret_id("marked")
        .send()
        .await
        .unwrap();
    assert!(d.deleted_date().is_some());
    assert!(d.tags().is_empty());
    // A forced delete still works on a secret scheduled for deletion.
    c.delete_secret()
        .secret_id("marked")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    assert_absent(&c, "marked").await;
}

#[tokio::test]
async fn same_arn_from_every_operation() {
    let s = start().await;
    let c = s.client();
    let (arn, _) = create(&c, "same", "x").await;
    let a = Some(arn.as_str());
    let d = c.describe_secret().secret_id("same").send().await.unwrap();
    assert_eq!(d.arn(), a);
    let g = c.get_secret_value().secret_id("same").send().await.unwrap();
    assert_eq!(g.arn(), a);
    let p = c
        .put_secret_value()
        .secret_id("same")
        .secret_string("y")
        .send()
        .await
        .unwrap();
    assert_eq!(p.arn(), a);
    let u = c
        .update_secret()
        .secret_id("same")
        .description("e")
        .send()
        .await
        .unwrap();
    assert_eq!(u.arn(), a);
    let l = c
        .list_secret_version_ids()
        .secret_id("same")
        .send()
        .await
        .unwrap();
    assert_eq!((l.arn(), l.name()), (a, Some("same")));
    let ls = c.list_secrets().send().await.unwrap();
    let arns: Vec<_> = ls.secret_list().iter().map(|e| e.arn()).collect();
    assert_eq!(arns, vec![a]);
}
