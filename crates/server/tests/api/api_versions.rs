//! Version-level operations through the official SDK: PutSecretValue and its idempotency,
//! staging labels and UpdateSecretVersionStage, GetSecretValue by version id and stage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::Client;

/// A secret with v1 (AWSPREVIOUS, "one") and v2 (AWSCURRENT, "two").
async fn two_versions(c: &Client, name: &str) -> (String, String) {
    let (_, v1) = create(c, name, "one").await;
    let v2 = put(c, name, "two").await;
    (v1, v2)
}

async fn put_staged(c: &Client, name: &str, value: &str, labels: &[&str]) -> String {
    let vid = token();
    let mut req = c
        .put_secret_value()
        .secret_id(name)
        .secret_string(value)
        .client_request_token(&vid);
    for l in labels {
        req = req.version_stages(*l);
    }
    let out = req.send().await.unwrap();
    let mut got: Vec<&str> = out.version_stages().iter().map(String::as_str).collect();
    got.sort();
    let mut want = labels.to_vec();
    want.sort();
    assert_eq!(got, want);
    vid
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn put_moves_current_and_previous() {
    let s = start().await;
    let c = s.client();
    let (_, v1) = create(&c, "p", "one").await;
    let v2 = token();
    let out = c
        .put_secret_value()
        .secret_id("p")
        .secret_string("two")
        .client_request_token(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (out.name(), out.version_id(), out.version_stages()),
        (Some("p"), Some(v2.as_str()), &["AWSCURRENT".to_owned()][..])
    );
    assert_eq!(
        stages(&c, "p").await,
        stage_map(&[(&v2, &["AWSCURRENT"]), (&v1, &["AWSPREVIOUS"])])
    );
    let v3 = put(&c, "p", "three").await;
    assert_eq!(
        stages(&c, "p").await,
        stage_map(&[(&v3, &["AWSCURRENT"]), (&v2, &["AWSPREVIOUS"])])
    );
    // The unlabelled version is still readable by its id, with no stages.
    let old = c
        .get_secret_value()
        .secret_id("p")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(old.secret_string(), Some("one"));
    assert!(old.version_stages().is_empty());
}

#[tokio::test]
async fn put_first_value_on_empty_secret_and_binary_replaces_string() {
    let s = start().await;
    let c = s.client();
    c.create_secret().name("e").send().await.unwrap();
    let out = c
        .put_secret_value()
        .secret_id("e")
        .secret_string("first")
        .send()
        .await
        .unwrap();
    assert_eq!(out.version_stages(), ["AWSCURRENT"]);
    let vid = out.version_id().unwrap().to_owned();
    assert_eq!(stages(&c, "e").await, stage_map(&[(&vid, &["AWSCURRENT"])]));

    // A first value with custom labels still gets AWSCURRENT.
    c.create_secret().name("e2").send().await.unwrap();
    let v = token();
    let out = c
        .put_secret_value()
        .secret_id("e2")
        .secret_string("x")
        .client_request_token(&v)
        .version_stages("BLUE")
        .send()
        .await
        .unwrap();
    assert_eq!(
        sorted(out.version_stages().to_vec()),
        ["AWSCURRENT", "BLUE"]
    );

    c.put_secret_value()
        .secret_id("e")
        .secret_binary(Blob::new(b"\x00\x01binary\xff".to_vec()))
        .send()
        .await
        .unwrap();
    let got = c.get_secret_value().secret_id("e").send().await.unwrap();
    assert_eq!(
        got.secret_binary().map(|b| b.as_ref().to_vec()),
        Some(b"\x00\x01binary\xff".to_vec())
    );
    assert!(got.secret_string().is_none());
}

#[tokio::test]
async fn put_idempotent_token() {
    let s = start().await;
    let c = s.client();
    let (arn, v1) = create(&c, "i", "one").await;
    let t = token();
    for _ in 0..2 {
        let out = c
            .put_secret_value()
            .secret_id("i")
            .secret_string("two")
            .client_request_token(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(out.version_id(), Some(t.as_str()));
    }
    assert_eq!(
        all_version_ids(&c, "i").await,
        sorted(vec![v1.clone(), t.clone()])
    );
    assert_eq!(
        stages(&c, "i").await,
        stage_map(&[(&t, &["AWSCURRENT"]), (&v1, &["AWSPREVIOUS"])])
    );
    // Same token, different value (string or binary): conflict, nothing changes.
    assert_err(
        c.put_secret_value()
            .secret_id("i")
            .secret_string("different")
            .client_request_token(&t)
            .send()
            .await,
        "ResourceExistsException",
        &msg_token_in_use(&t, &arn),
    );
    assert_err(
        c.put_secret_value()
            .secret_id("i")
            .secret_binary(Blob::new(b"two".to_vec()))
            .client_request_token(&t)
            .send()
            .await,
        "ResourceExistsException",
        &msg_token_in_use(&t, &arn),
    );
    let got = c
        .get_secret_value()
        .secret_id("i")
        .version_id(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("two"));
    assert_eq!(all_version_ids(&c, "i").await, sorted(vec![v1, t]));
}

#[tokio::test]
async fn put_rejections_add_no_version() {
    let s = start().await;
    let c = s.client();
    let (_, v1) = create(&c, "r", "s").await;
    assert_code(
        c.put_secret_value()
            .secret_id("r")
            .secret_string("s2")
            .secret_binary(Blob::new(b"b".to_vec()))
            .send()
            .await,
        "InvalidParameterException",
    );
    assert_code(
        c.put_secret_value()
            .secret_id("r")
            .secret_binary(Blob::new(vec![1u8; 65_537]))
            .send()
            .await,
        "ValidationException",
    );
    assert_err(
        c.put_secret_value().secret_id("r").send().await,
        "InvalidRequestException",
        "You must provide either SecretString or SecretBinary.",
    );
    assert_eq!(all_version_ids(&c, "r").await, vec![v1]);
}

#[tokio::test]
async fn custom_stages_do_not_move_awscurrent() {
    let s = start().await;
    let c = s.client();
    let (_, v1) = create(&c, "c", "live").await;
    let v2 = put_staged(&c, "c", "next", &["AWSPENDING"]).await;
    assert_eq!(
        stages(&c, "c").await,
        stage_map(&[(&v1, &["AWSCURRENT"]), (&v2, &["AWSPENDING"])])
    );
    let cur = c.get_secret_value().secret_id("c").send().await.unwrap();
    assert_eq!(cur.secret_string(), Some("live"));
    let pending = c
        .get_secret_value()
        .secret_id("c")
        .version_stage("AWSPENDING")
        .send()
        .await
        .unwrap();
    assert_eq!(pending.secret_string(), Some("next"));
    // A label moves: one version per label.
    let v3 = put_staged(&c, "c", "later", &["AWSPENDING"]).await;
    assert_eq!(
        stages(&c, "c").await,
        stage_map(&[(&v1, &["AWSCURRENT"]), (&v3, &["AWSPENDING"])])
    );
    // AWSCURRENT among the stages moves AWSPREVIOUS too, and a new AWSCURRENT ends the
    // pending rotation: AWSPENDING leaves v3 (as AWS abandons a rotation).
    let v4 = put_staged(&c, "c", "now", &["AWSCURRENT", "GREEN"]).await;
    assert_eq!(
        stages(&c, "c").await,
        stage_map(&[(&v4, &["AWSCURRENT", "GREEN"]), (&v1, &["AWSPREVIOUS"])])
    );
}

#[tokio::test]
async fn get_by_version_id_and_stage_and_their_errors() {
    let s = start().await;
    let c = s.client();
    let (v1, v2) = two_versions(&c, "g").await;
    let got = c
        .get_secret_value()
        .secret_id("g")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (got.version_id(), got.secret_string(), got.version_stages()),
        (
            Some(v1.as_str()),
            Some("one"),
            &["AWSPREVIOUS".to_owned()][..]
        )
    );
    let got = c
        .get_secret_value()
        .secret_id("g")
        .version_id(&v2)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("two"));
    let got = c
        .get_secret_value()
        .secret_id("g")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (got.version_id(), got.secret_string()),
        (Some(v1.as_str()), Some("one"))
    );

    assert_err(
        c.get_secret_value()
            .secret_id("g")
            .version_id(&v1)
            .version_stage("AWSCURRENT")
            .send()
            .await,
        "InvalidRequestException",
        MSG_STAGE_NOT_ON_VERSION,
    );
    let missing = token();
    assert_err(
        c.get_secret_value()
            .secret_id("g")
            .version_id(&missing)
            .send()
            .await,
        "ResourceNotFoundException",
        &msg_no_value_for_version(&missing),
    );
    assert_err(
        c.get_secret_value()
            .secret_id("g")
            .version_stage("AWSPENDING")
            .send()
            .await,
        "ResourceNotFoundException",
        &msg_no_value_for_stage("AWSPENDING"),
    );
}

#[tokio::test]
async fn update_stage_moves_labels() {
    let s = start().await;
    let c = s.client();
    let (v1, v2) = two_versions(&c, "s").await;
    // Roll back: AWSCURRENT to v1, and AWSPREVIOUS follows to v2.
    let out = c
        .update_secret_version_stage()
        .secret_id("s")
        .version_stage("AWSCURRENT")
        .move_to_version_id(&v1)
        .remove_from_version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(out.name(), Some("s"));
    assert!(out.arn().unwrap().contains(":secret:s-"));
    assert_eq!(
        stages(&c, "s").await,
        stage_map(&[(&v1, &["AWSCURRENT"]), (&v2, &["AWSPREVIOUS"])])
    );
    let got = c.get_secret_value().secret_id("s").send().await.unwrap();
    assert_eq!(got.secret_string(), Some("one"));

    // A custom label added, found by GetSecretValue, moved, then removed.
    c.update_secret_version_stage()
        .secret_id("s")
        .version_stage("GREEN")
        .move_to_version_id(&v1)
        .send()
        .await
        .unwrap();
    let got = c
        .get_secret_value()
        .secret_id("s")
        .version_stage("GREEN")
        .send()
        .await
        .unwrap();
    assert_eq!(got.version_id(), Some(v1.as_str()));
    assert_eq!(
        sorted(got.version_stages().to_vec()),
        ["AWSCURRENT", "GREEN"]
    );
    c.update_secret_version_stage()
        .secret_id("s")
        .version_stage("GREEN")
        .move_to_version_id(&v2)
        .remove_from_version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stages(&c, "s").await,
        stage_map(&[(&v1, &["AWSCURRENT"]), (&v2, &["AWSPREVIOUS", "GREEN"])])
    );
    c.update_secret_version_stage()
        .secret_id("s")
        .version_stage("GREEN")
        .remove_from_version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stages(&c, "s").await,
        stage_map(&[(&v1, &["AWSCURRENT"]), (&v2, &["AWSPREVIOUS"])])
    );
}

#[tokio::test]
async fn removing_the_last_label_deprecates_a_version() {
    let s = start().await;
    let c = s.client();
    let (_, v1) = create(&c, "d", "one").await;
    let v2 = put_staged(&c, "d", "two", &["BLUE"]).await;
    c.update_secret_version_stage()
        .secret_id("d")
        .version_stage("BLUE")
        .remove_from_version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(stages(&c, "d").await, stage_map(&[(&v1, &["AWSCURRENT"])]));
    let listed = c
        .list_secret_version_ids()
        .secret_id("d")
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = listed
        .versions()
        .iter()
        .map(|v| v.version_id().unwrap())
        .collect();
    assert_eq!(ids, vec![v1.as_str()]);
    assert_eq!(all_version_ids(&c, "d").await, sorted(vec![v1, v2]));
}

#[tokio::test]
async fn update_stage_errors_change_nothing() {
    let s = start().await;
    let c = s.client();
    let (v1, v2) = two_versions(&c, "x").await;
    let ip = "InvalidParameterException";
    let unchanged = stage_map(&[(&v2, &["AWSCURRENT"]), (&v1, &["AWSPREVIOUS"])]);

    assert_err(
        c.update_secret_version_stage()
            .secret_id("x")
            .version_stage("AWSCURRENT")
            .move_to_version_id(&v1)
            .send()
            .await,
        ip,
        &format!("The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version {v2}, so you must explicitly reference that version in RemoveFromVersionId."),
    );
    assert_err(
        c.update_secret_version_stage()
            .secret_id("x")
            .version_stage("AWSCURRENT")
            .move_to_version_id(&v1)
            .remove_from_version_id(&v1)
            .send()
            .await,
        ip,
        "When you move staging label AWSCURRENT, if you specify RemoveFromVersionId, it must be set to the version that currently has the staging label AWSCURRENT.",
    );
    assert_err(
        c.update_secret_version_stage()
            .secret_id("x")
            .version_stage("AWSPREVIOUS")
            .remove_from_version_id(&v2)
            .send()
            .await,
        ip,
        &format!("The staging label AWSPREVIOUS is not attached to the version {v2}."),
    );
    assert_err(
        c.update_secret_version_stage()
            .secret_id("x")
            .version_stage("AWSCURRENT")
            .remove_from_version_id(&v2)
            .send()
            .await,
        ip,
        "You can't remove the staging label AWSCURRENT without moving it to another version with MoveToVersionId.",
    );
    assert_err(
        c.update_secret_version_stage()
            .secret_id("x")
            .version_stage("BLUE")
            .send()
            .await,
        ip,
        "You must specify either MoveToVersionId or RemoveFromVersionId.",
    );
    let missing = token();
    assert_err(
        c.update_secret_version_stage()
            .secret_id("x")
            .version_stage("BLUE")
            .move_to_version_id(&missing)
            .send()
            .await,
        "ResourceNotFoundException",
        &msg_no_value_for_version(&missing),
    );
    assert_eq!(stages(&c, "x").await, unchanged);
}

#[tokio::test]
async fn twenty_label_quota() {
    let s = start().await;
    let c = s.client();
    let (v1, v2) = two_versions(&c, "q").await;
    // AWSCURRENT and AWSPREVIOUS plus 18 custom labels make 20.
    for i in 0..18 {
        c.update_secret_version_stage()
            .secret_id("q")
            .version_stage(format!("L{i}"))
            .move_to_version_id(if i % 2 == 0 { &v1 } else { &v2 })
            .send()
            .await
            .unwrap();
    }
    let before = stages(&c, "q").await;
    assert_eq!(before.values().map(Vec::len).sum::<usize>(), 20);
    assert_err(
        c.update_secret_version_stage()
            .secret_id("q")
            .version_stage("L18")
            .move_to_version_id(&v1)
            .send()
            .await,
        "LimitExceededException",
        "You can attach a maximum of 20 staging labels to the versions of a secret.",
    );
    let before_ids = all_version_ids(&c, "q").await;
    assert_code(
        c.put_secret_value()
            .secret_id("q")
            .secret_string("v3")
            .version_stages("NEW")
            .send()
            .await,
        "LimitExceededException",
    );
    assert_eq!(stages(&c, "q").await, before);
    assert_eq!(all_version_ids(&c, "q").await, before_ids);
    // Moving an existing label is not an addition and still works.
    c.update_secret_version_stage()
        .secret_id("q")
        .version_stage("L0")
        .move_to_version_id(&v2)
        .remove_from_version_id(&v1)
        .send()
        .await
        .unwrap();
}
