//! Secret lifecycle through the official SDK: tags, DeleteSecret (recovery windows, force),
//! RestoreSecret, what a secret scheduled for deletion refuses, not-found answers from every
//! operation, and the ARN every operation returns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
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
