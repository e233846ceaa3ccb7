//! Listing versions and reading many secrets through the official SDK: ListSecretVersionIds
//! (IncludeDeprecated, KmsKeyIds, pagination) and BatchGetSecretValue (by ids with per-secret
//! errors, by filters with pagination, parameter errors).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn list_version_ids_deprecated_kms_and_pagination() {
    let s = start().await;
    let c = s.client();
    let (arn, v1) = create(&c, "l", "one").await;
    let v2 = put(&c, "l", "two").await;
    let v3 = put(&c, "l", "three").await;
    let out = c
        .list_secret_version_ids()
        .secret_id("l")
        .send()
        .await
        .unwrap();
    assert_eq!((out.arn(), out.name()), (Some(arn.as_str()), Some("l")));
    assert!(out.next_token().is_none());
    let got: Vec<(String, Vec<String>)> = out
        .versions()
        .iter()
        .map(|v| {
            (
                v.version_id().unwrap().to_owned(),
                v.version_stages().to_vec(),
            )
        })
        .collect();
    assert_eq!(got.len(), 2);
    assert!(got.contains(&(v3.clone(), vec!["AWSCURRENT".to_owned()])));
    assert!(got.contains(&(v2.clone(), vec!["AWSPREVIOUS".to_owned()])));
    for v in out.versions() {
        assert_eq!(v.kms_key_ids(), ["DefaultEncryptionKey"]);
        assert!((secs(v.created_date()) - now_secs()).abs() < 60.0);
    }
    let all = c
        .list_secret_version_ids()
        .secret_id("l")
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    let deprecated: Vec<_> = all
        .versions()
        .iter()
        .filter(|v| v.version_stages().is_empty())
        .map(|v| v.version_id().unwrap())
        .collect();
    assert_eq!(deprecated, vec![v1.as_str()]);
    assert_eq!(all.versions().len(), 3);

    // MaxResults=1 walks every version exactly once.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..10 {
        let page = c
            .list_secret_version_ids()
            .secret_id("l")
            .include_deprecated(true)
            .max_results(1)
            .set_next_token(next.clone())
            .send()
            .await
            .unwrap();
        assert!(page.versions().len() <= 1);
        seen.extend(
            page.versions()
                .iter()
                .map(|v| v.version_id().unwrap().to_owned()),
        );
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(sorted(seen), sorted(vec![v1, v2, v3]));

    assert_err(
        c.list_secret_version_ids()
            .secret_id("l")
            .next_token("not-a-token")
            .send()
            .await,
        "InvalidNextTokenException",
        "The NextToken value is invalid.",
    );
}

#[tokio::test]
async fn batch_get_by_id_list_with_errors() {
    let s = start().await;
    let c = s.client();
    let (arn_a, va) = create(&c, "b/a", "value-a").await;
    let (_, vb) = create(&c, "b/b", "value-b").await;
    c.create_secret().name("b/novalue").send().await.unwrap();
    create(&c, "b/deleted", "x").await;
    c.delete_secret()
        .secret_id("b/deleted")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    let out = c
        .batch_get_secret_value()
        .secret_id_list(&arn_a)
        .secret_id_list("b/b")
        .secret_id_list("b/missing")
        .secret_id_list("b/novalue")
        .secret_id_list("b/deleted")
        .send()
        .await
        .unwrap();
    let values: Vec<_> = out
        .secret_values()
        .iter()
        .map(|v| {
            (
                v.name().unwrap(),
                v.secret_string().unwrap(),
                v.version_id().unwrap(),
                v.version_stages().to_vec(),
            )
        })
        .collect();
    assert_eq!(
        values,
        vec![
            ("b/a", "value-a", va.as_str(), vec!["AWSCURRENT".to_owned()]),
            ("b/b", "value-b", vb.as_str(), vec!["AWSCURRENT".to_owned()]),
        ]
    );
    assert_eq!(out.secret_values()[0].arn(), Some(arn_a.as_str()));
    let errors: Vec<_> = out
        .errors()
        .iter()
        .map(|e| {
            (
                e.secret_id().unwrap(),
                e.error_code().unwrap(),
                e.message().unwrap(),
            )
        })
        .collect();
    let no_value = msg_no_value_for_stage("AWSCURRENT");
    assert_eq!(
        errors,
        vec![
            ("b/missing", "ResourceNotFoundException", MSG_NOT_FOUND),
            ("b/novalue", "ResourceNotFoundException", no_value.as_str()),
            (
                "b/deleted",
                "InvalidRequestException",
                MSG_MARKED_FOR_DELETION
            ),
        ]
    );
}

#[tokio::test]
async fn batch_get_by_filters_paginates_each_once() {
    let s = start().await;
    let c = s.client();
    let names: Vec<String> = (0..5).map(|i| format!("bf/{i}")).collect();
    for n in &names {
        create(&c, n, &format!("v-{n}")).await;
    }
    create(&c, "other", "x").await;
    let filter = Filter::builder()
        .key(FilterNameStringType::Name)
        .values("bf/")
        .build();
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..10 {
        let page = c
            .batch_get_secret_value()
            .filters(filter.clone())
            .max_results(2)
            .set_next_token(next.clone())
            .send()
            .await
            .unwrap();
        assert!(page.secret_values().len() <= 2);
        for v in page.secret_values() {
            assert_eq!(
                v.secret_string(),
                Some(format!("v-{}", v.name().unwrap()).as_str())
            );
            seen.push(v.name().unwrap().to_owned());
        }
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(sorted(seen), names);
}

#[tokio::test]
async fn batch_get_parameter_errors() {
    let s = start().await;
    let c = s.client();
    create(&c, "bp", "x").await;
    let filter = Filter::builder()
        .key(FilterNameStringType::Name)
        .values("bp")
        .build();
    let both = "Either 'SecretIdList' or 'Filters' must be provided, but not both.";
    assert_err(
        c.batch_get_secret_value()
            .secret_id_list("bp")
            .filters(filter)
            .send()
            .await,
        "InvalidParameterException",
        both,
    );
    assert_err(
        c.batch_get_secret_value().send().await,
        "InvalidParameterException",
        both,
    );
    assert_err(
        c.batch_get_secret_value()
            .secret_id_list("bp")
            .max_results(5)
            .send()
            .await,
        "InvalidParameterException",
        "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
    );
}
