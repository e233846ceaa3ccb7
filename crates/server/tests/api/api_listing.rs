//! ListSecrets through the official SDK: every filter key, negation, several values and several
//! filters, sorting by each key in both orders, pagination, IncludePlannedDeletion and the
//! fields of an entry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, SortByType, SortOrderType, Tag};
use aws_sdk_secretsmanager::Client;

fn filter(key: FilterNameStringType, values: &[&str]) -> Filter {
    let mut b = Filter::builder().key(key);
    for v in values {
        b = b.values(*v);
    }
    b.build()
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

/// Every page of ListSecrets: (names in order, page sizes).
async fn list_all(
    c: &Client,
    filters: &[Filter],
    sort: Option<(SortByType, SortOrderType)>,
    max: Option<i32>,
    planned: bool,
) -> (Vec<String>, Vec<usize>) {
    let mut names = Vec::new();
    let mut sizes = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..100 {
        let mut req = c
            .list_secrets()
            .set_filters(Some(filters.to_vec()))
            .set_max_results(max)
            .set_next_token(next.clone());
        if planned {
            req = req.include_planned_deletion(true);
        }
        if let Some((by, order)) = &sort {
            req = req.sort_by(by.clone()).sort_order(order.clone());
        }
        let out = req.send().await.unwrap();
        sizes.push(out.secret_list().len());
        names.extend(
            out.secret_list()
                .iter()
                .map(|e| e.name().unwrap().to_owned()),
        );
        next = out.next_token().map(str::to_owned);
        if next.is_none() {
            return (names, sizes);
        }
    }
    panic!("ListSecrets never ended");
}

async fn names(c: &Client, filters: &[Filter]) -> Vec<String> {
    let mut n = list_all(c, filters, None, None, false).await.0;
    n.sort();
    n
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

async fn create_with(c: &Client, name: &str, description: Option<&str>, tags: &[(&str, &str)]) {
    let mut req = c
        .create_secret()
        .name(name)
        .secret_string("x")
        .set_description(description.map(str::to_owned));
    for (k, v) in tags {
        req = req.tags(tag(k, v));
    }
    req.send().await.unwrap();
}

#[tokio::test]
async fn filter_name_prefix_case_sensitive_and_negated() {
    let s = start().await;
    let c = s.client();
    for n in ["app/a", "app/b", "app/c", "xapp/decoy", "App/upper"] {
        create(&c, n, "x").await;
    }
    use FilterNameStringType as K;
    assert_eq!(
        names(&c, &[filter(K::Name, &["app/"])]).await,
        strings(&["app/a", "app/b", "app/c"])
    );
    assert_eq!(
        names(&c, &[filter(K::Name, &["APP/"])]).await,
        Vec::<String>::new()
    );
    assert_eq!(
        names(&c, &[filter(K::Name, &["!app/"])]).await,
        strings(&["App/upper", "xapp/decoy"])
    );
    // Several values of one filter are OR-ed.
    assert_eq!(
        names(&c, &[filter(K::Name, &["app/a", "xapp"])]).await,
        strings(&["app/a", "xapp/decoy"])
    );
    // Several filters are AND-ed.
    assert_eq!(
        names(
            &c,
            &[filter(K::Name, &["app/"]), filter(K::Name, &["!app/b"])]
        )
        .await,
        strings(&["app/a", "app/c"])
    );
}

#[tokio::test]
async fn filter_tag_key_and_tag_value() {
    let s = start().await;
    let c = s.client();
    create_with(&c, "t/0", None, &[("proj-env", "alpha1")]).await;
    create_with(&c, "t/1", None, &[("proj-owner", "beta")]).await;
    create_with(&c, "t/2", None, &[("unrelated", "proj")]).await;
    create_with(&c, "t/3", None, &[]).await;
    use FilterNameStringType as K;
    assert_eq!(
        names(&c, &[filter(K::TagKey, &["proj"])]).await,
        strings(&["t/0", "t/1"])
    );
    assert_eq!(
        names(&c, &[filter(K::TagKey, &["PROJ"])]).await,
        Vec::<String>::new()
    );
    assert_eq!(
        names(&c, &[filter(K::TagKey, &["!proj"])]).await,
        strings(&["t/2", "t/3"])
    );
    assert_eq!(
        names(&c, &[filter(K::TagValue, &["proj"])]).await,
        strings(&["t/2"])
    );
    assert_eq!(
        names(&c, &[filter(K::TagValue, &["alpha", "beta"])]).await,
        strings(&["t/0", "t/1"])
    );
    assert_eq!(
        names(
            &c,
            &[filter(K::TagKey, &["proj"]), filter(K::TagValue, &["beta"])]
        )
        .await,
        strings(&["t/1"])
    );
}

#[tokio::test]
async fn filter_description_and_all_by_words_case_insensitive() {
    let s = start().await;
    let c = s.client();
    create_with(&c, "d/0", Some("rotating zebra credentials"), &[]).await;
    create_with(&c, "d/1", Some("ZEBRA service"), &[]).await;
    create_with(&c, "d/2", Some("nothing relevant here"), &[]).await;
    create_with(&c, "d/zebrafish", None, &[]).await;
    create_with(&c, "d/3", None, &[("owner", "team zebra")]).await;
    create_with(&c, "d/4", None, &[("zebraTag", "v")]).await;
    use FilterNameStringType as K;
    assert_eq!(
        names(&c, &[filter(K::Description, &["zebra"])]).await,
        strings(&["d/0", "d/1"])
    );
    // A word prefix matches; a piece of the middle of a word does not.
    assert_eq!(
        names(&c, &[filter(K::Description, &["zeb"])]).await,
        strings(&["d/0", "d/1"])
    );
    assert_eq!(
        names(&c, &[filter(K::Description, &["ebra"])]).await,
        Vec::<String>::new()
    );
    // Every word of the value must be in the same attribute.
    assert_eq!(
        names(&c, &[filter(K::Description, &["rotating credentials"])]).await,
        strings(&["d/0"])
    );
    assert_eq!(
        names(&c, &[filter(K::Description, &["!zebra"])]).await,
        strings(&["d/2", "d/3", "d/4", "d/zebrafish"])
    );
    // `all` searches name, description, tag keys and tag values.
    assert_eq!(
        names(&c, &[filter(K::All, &["ZEBRA"])]).await,
        strings(&["d/0", "d/1", "d/3", "d/4", "d/zebrafish"])
    );
}

#[tokio::test]
async fn filter_primary_region_and_owning_service_on_plain_secrets() {
    let s = start().await;
    let c = s.client();
    create(&c, "plain/a", "x").await;
    create(&c, "plain/b", "x").await;
    use FilterNameStringType as K;
    // No secret is managed by another service.
    assert_eq!(
        names(&c, &[filter(K::OwningService, &["rds"])]).await,
        Vec::<String>::new()
    );
    assert_eq!(
        names(&c, &[filter(K::OwningService, &["!rds"])]).await,
        strings(&["plain/a", "plain/b"])
    );
    // The negation of a primary-region value is the complement of the value.
    let positive = names(&c, &[filter(K::PrimaryRegion, &["us-east-1"])]).await;
    let negative = names(&c, &[filter(K::PrimaryRegion, &["!us-east-1"])]).await;
    let mut union = [positive.clone(), negative.clone()].concat();
    union.sort();
    assert_eq!(union, strings(&["plain/a", "plain/b"]));
    assert!(positive.iter().all(|n| !negative.contains(n)));
}

#[tokio::test]
async fn bad_filter_values_are_refused() {
    let s = start().await;
    let c = s.client();
    let msg = assert_code(
        c.list_secrets()
            .filters(filter(FilterNameStringType::Name, &["bad#value"]))
            .send()
            .await,
        "ValidationException",
    );
    assert!(msg.contains("filters"), "{msg}");
    // An unknown filter key (not in the SDK's enum) needs a raw request.
    let r = s
        .raw_json(
            "ListSecrets",
            &serde_json::json!({"Filters": [{"Key": "colour", "Values": ["red"]}]}),
        )
        .send()
        .await;
    r.assert_error("ValidationException", None);
    assert!(r.json()["Message"].as_str().unwrap().contains("colour"));
    assert_err(
        c.list_secrets().next_token("garbage").send().await,
        "InvalidNextTokenException",
        "The NextToken value is invalid.",
    );
    assert_code(
        c.list_secrets().max_results(0).send().await,
        "ValidationException",
    );
    assert_code(
        c.list_secrets().max_results(101).send().await,
        "ValidationException",
    );
}

#[tokio::test]
async fn sort_by_name_both_orders() {
    let s = start().await;
    let c = s.client();
    for n in ["s/b", "s/c", "s/a"] {
        create(&c, n, "x").await;
    }
    let f = [filter(FilterNameStringType::Name, &["s/"])];
    let asc = list_all(
        &c,
        &f,
        Some((SortByType::Name, SortOrderType::Asc)),
        None,
        false,
    )
    .await;
    let desc = list_all(
        &c,
        &f,
        Some((SortByType::Name, SortOrderType::Desc)),
        None,
        false,
    )
    .await;
    assert_eq!(asc.0, strings(&["s/a", "s/b", "s/c"]));
    assert_eq!(desc.0, strings(&["s/c", "s/b", "s/a"]));
}

/// Each (key, order): the listing is ordered by the key the entries themselves report, desc is
/// asc reversed (ties broken the same way), and pages of 2 concatenate to the single page.
#[tokio::test]
async fn sort_by_each_date_key_both_orders_and_paginate() {
    let s = start().await;
    let c = s.client();
    let names: Vec<String> = (0..7).map(|i| format!("sd/{i}")).collect();
    for n in &names {
        create(&c, n, "x").await;
    }
    // Give some secrets an access date and a later change.
    for n in &names[..3] {
        c.get_secret_value().secret_id(n).send().await.unwrap();
    }
    c.update_secret()
        .secret_id(&names[1])
        .description("changed")
        .send()
        .await
        .unwrap();

    let listed = c.list_secrets().send().await.unwrap();
    let key_of = |by: &SortByType, name: &str| -> Option<f64> {
        let e = listed
            .secret_list()
            .iter()
            .find(|e| e.name() == Some(name))
            .unwrap();
        match by {
            SortByType::CreatedDate => e.created_date().map(|d| secs(Some(d))),
            SortByType::LastAccessedDate => e.last_accessed_date().map(|d| secs(Some(d))),
            SortByType::LastChangedDate => e.last_changed_date().map(|d| secs(Some(d))),
            _ => unreachable!(),
        }
    };
    for by in [
        SortByType::CreatedDate,
        SortByType::LastAccessedDate,
        SortByType::LastChangedDate,
        SortByType::Name,
    ] {
        let asc = list_all(&c, &[], Some((by.clone(), SortOrderType::Asc)), None, false).await;
        let desc = list_all(
            &c,
            &[],
            Some((by.clone(), SortOrderType::Desc)),
            None,
            false,
        )
        .await;
        let mut reversed = desc.0.clone();
        reversed.reverse();
        assert_eq!(asc.0, reversed, "{by:?}");
        let mut all = asc.0.clone();
        all.sort();
        assert_eq!(all, names, "{by:?}");
        if by != SortByType::Name {
            // Absent dates sort first ascending; otherwise non-decreasing.
            let keys: Vec<Option<f64>> = asc.0.iter().map(|n| key_of(&by, n)).collect();
            assert!(
                keys.windows(2).all(|w| match (w[0], w[1]) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(a), Some(b)) => a <= b,
                }),
                "{by:?}: {keys:?}"
            );
        }
        for (order, full) in [(SortOrderType::Asc, &asc.0), (SortOrderType::Desc, &desc.0)] {
            let paged = list_all(&c, &[], Some((by.clone(), order.clone())), Some(2), false).await;
            assert_eq!(&paged.0, full, "{by:?} {order:?} paged");
            assert_eq!(paged.1, vec![2, 2, 2, 1], "{by:?} {order:?} page sizes");
        }
    }
    // The read secrets sort after the unread ones by last-accessed-date ascending.
    let asc = list_all(
        &c,
        &[],
        Some((SortByType::LastAccessedDate, SortOrderType::Asc)),
        None,
        false,
    )
    .await;
    let mut tail = asc.0[4..].to_vec();
    tail.sort();
    assert_eq!(tail, names[..3].to_vec());
}

#[tokio::test]
async fn default_order_and_unfiltered_pagination_cover_each_once() {
    let s = start().await;
    let c = s.client();
    let mut names: Vec<String> = (0..5).map(|i| format!("p/{i}")).collect();
    for n in &names {
        create(&c, n, "x").await;
    }
    let (listed, sizes) = list_all(&c, &[], None, Some(3), false).await;
    assert_eq!(sizes, vec![3, 2]);
    // Without SortBy and SortOrder: creation order, oldest first, as AWS lists.
    assert_eq!(listed, names);
    let mut sorted = listed.clone();
    sorted.sort();
    names.sort();
    assert_eq!(sorted, names);
    let (filtered, sizes) = list_all(
        &c,
        &[filter(FilterNameStringType::Name, &["p/"])],
        None,
        Some(1),
        false,
    )
    .await;
    assert_eq!(sizes, vec![1, 1, 1, 1, 1]);
    assert_eq!(filtered, listed);
    // The default order is AWS's: by creation date, oldest first.
    let asc = list_all(
        &c,
        &[],
        Some((SortByType::CreatedDate, SortOrderType::Asc)),
        None,
        false,
    )
    .await;
    assert_eq!(listed, asc.0);
}

#[tokio::test]
async fn include_planned_deletion() {
    let s = start().await;
    let c = s.client();
    create(&c, "pd/kept", "x").await;
    create(&c, "pd/gone", "x").await;
    c.delete_secret()
        .secret_id("pd/gone")
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&c, &[]).await, strings(&["pd/kept"]));
    let out = c
        .list_secrets()
        .include_planned_deletion(true)
        .sort_by(SortByType::Name)
        .sort_order(SortOrderType::Asc)
        .send()
        .await
        .unwrap();
    let got: Vec<_> = out
        .secret_list()
        .iter()
        .map(|e| (e.name().unwrap(), e.deleted_date().is_some()))
        .collect();
    assert_eq!(got, vec![("pd/gone", true), ("pd/kept", false)]);
    // Force-deleted secrets are not listed at all.
    c.delete_secret()
        .secret_id("pd/gone")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let (all, _) = list_all(&c, &[], None, None, true).await;
    assert_eq!(all, strings(&["pd/kept"]));
}

#[tokio::test]
async fn entry_fields() {
    let s = start().await;
    let c = s.client();
    let v1 = token();
    let created = c
        .create_secret()
        .name("entry")
        .secret_string("one")
        .client_request_token(&v1)
        .description("listed")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap();
    let v2 = put(&c, "entry", "two").await;
    c.create_secret()
        .name("entry-novalue")
        .send()
        .await
        .unwrap();
    let out = c
        .list_secrets()
        .sort_by(SortByType::Name)
        .sort_order(SortOrderType::Asc)
        .send()
        .await
        .unwrap();
    let e = &out.secret_list()[0];
    assert_eq!(
        (e.arn(), e.name(), e.description()),
        (created.arn(), Some("entry"), Some("listed"))
    );
    assert_eq!(e.tags().len(), 1);
    assert_eq!(
        (e.tags()[0].key(), e.tags()[0].value()),
        (Some("k"), Some("v"))
    );
    let map = e.secret_versions_to_stages().unwrap();
    assert_eq!(map.len(), 2);
    assert_eq!(map[&v2], vec!["AWSCURRENT".to_owned()]);
    assert_eq!(map[&v1], vec!["AWSPREVIOUS".to_owned()]);
    assert!(e.kms_key_id().is_none());
    assert!(e.deleted_date().is_none());
    assert!(e.last_accessed_date().is_none());
    assert!((secs(e.created_date()) - now_secs()).abs() < 60.0);
    assert!((secs(e.last_changed_date()) - now_secs()).abs() < 60.0);
    let empty = &out.secret_list()[1];
    assert_eq!(empty.name(), Some("entry-novalue"));
    assert!(empty.secret_versions_to_stages().is_none());
    assert!(empty.description().is_none());
    assert!(empty.tags().is_empty());
}
