//! The cache against a real coffer, upstream calls counted by the proxy between them: TTL,
//! revalidation, refreshNow, stale serving, single flight, LRU eviction, prefetch. Time moves by
//! a manual clock, never by sleeping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::common::Harness;
use coffer_agent::{Operation, STALE_HEADER};

#[tokio::test]
async fn ttl_expiry_around_put_secret_value() {
    let h = Harness::start_with("ttl_seconds = 60").await;
    h.create("rotating", "v1").await;
    assert_eq!(h.secret("rotating").await.secret_string(), "v1");
    assert_eq!(h.proxy.get_secret_value_calls(), 1);

    h.put("rotating", "v2").await;
    // Within the TTL the cached value is served without asking.
    h.clock.advance(Duration::from_secs(59));
    assert_eq!(h.secret("rotating").await.secret_string(), "v1");
    assert_eq!(h.proxy.get_secret_value_calls(), 1);
    assert_eq!(h.proxy.describe_secret_calls(), 0);

    // Past it: DescribeSecret sees a new AWSCURRENT, so the value is fetched again.
    h.clock.advance(Duration::from_secs(1));
    assert_eq!(h.secret("rotating").await.secret_string(), "v2");
    assert_eq!(h.proxy.describe_secret_calls(), 1);
    assert_eq!(h.proxy.get_secret_value_calls(), 2);
    // And cached again.
    assert_eq!(h.secret("rotating").await.secret_string(), "v2");
    assert_eq!(h.proxy.get_secret_value_calls(), 2);
}

#[tokio::test]
async fn revalidation_without_refetch() {
    let h = Harness::start_with("ttl_seconds = 10").await;
    h.create("steady", "same").await;
    let first = h.secret("steady").await.body;
    for round in 1..=3 {
        h.clock.advance(Duration::from_secs(10));
        assert_eq!(h.secret("steady").await.body, first);
        assert_eq!(h.proxy.describe_secret_calls(), round);
        assert_eq!(
            h.proxy.get_secret_value_calls(),
            1,
            "no re-fetch when unchanged"
        );
    }
    let m = h.agent.metrics();
    assert_eq!(m.revalidations.load(Ordering::Relaxed), 3);
    assert_eq!(m.revalidations_unchanged.load(Ordering::Relaxed), 3);
    assert_eq!(m.upstream_calls(Operation::GetSecretValue), 1);
    assert_eq!(m.upstream_calls(Operation::DescribeSecret), 3);
    // Revalidation restarted the TTL: no upstream call within it.
    h.clock.advance(Duration::from_secs(9));
    h.secret("steady").await;
    assert_eq!(h.proxy.describe_secret_calls(), 3);
}

#[tokio::test]
async fn revalidation_by_version_id_and_stage() {
    let h = Harness::start_with("ttl_seconds = 10").await;
    let v1 = h.create("s", "one").await;
    let by_id = format!("/secretsmanager/get?secretId=s&versionId={v1}");
    let by_stage = "/secretsmanager/get?secretId=s&versionStage=AWSCURRENT";
    assert_eq!(h.get(&by_id).await.secret_string(), "one");
    assert_eq!(h.get(by_stage).await.secret_string(), "one");
    assert_eq!(h.proxy.get_secret_value_calls(), 2);
    h.put("s", "two").await;
    h.clock.advance(Duration::from_secs(10));
    // The version still exists: kept. The stage moved: re-fetched.
    assert_eq!(h.get(&by_id).await.secret_string(), "one");
    assert_eq!(h.proxy.get_secret_value_calls(), 2);
    assert_eq!(h.get(by_stage).await.secret_string(), "two");
    assert_eq!(h.proxy.get_secret_value_calls(), 3);
}

#[tokio::test]
async fn refresh_now_bypasses_the_cache() {
    let h = Harness::start().await;
    h.create("r", "old").await;
    assert_eq!(h.secret("r").await.secret_string(), "old");
    h.put("r", "new").await;
    assert_eq!(h.secret("r").await.secret_string(), "old");
    let r = h
        .get("/secretsmanager/get?secretId=r&refreshNow=true")
        .await;
    assert_eq!(r.secret_string(), "new");
    assert_eq!(h.proxy.get_secret_value_calls(), 2);
    // The refresh updated the cache.
    assert_eq!(h.secret("r").await.secret_string(), "new");
    assert_eq!(h.proxy.get_secret_value_calls(), 2);
    // Path style too.
    assert_eq!(h.get("/v1/r?refreshNow=1").await.secret_string(), "new");
    assert_eq!(h.proxy.get_secret_value_calls(), 3);
    assert_eq!(h.agent.metrics().refreshes.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn stale_values_within_the_limit_then_errors() {
    let h = Harness::start_with("ttl_seconds = 60\nmax_stale_seconds = 120").await;
    h.create("db", "cached").await;
    let fresh = h.secret("db").await;
    assert!(!fresh.headers.contains_key(STALE_HEADER));
    h.proxy.stop().await;

    // Fresh entries need no upstream at all.
    h.clock.advance(Duration::from_secs(30));
    assert_eq!(h.secret("db").await.secret_string(), "cached");

    // Expired, upstream refused: served stale, and the response says so.
    h.clock.advance(Duration::from_secs(40)); // 70 s since validated
    let r = h.secret("db").await;
    assert_eq!(r.secret_string(), "cached");
    assert_eq!(r.headers[STALE_HEADER], "70");
    h.clock.advance(Duration::from_secs(109)); // 179 s: TTL 60 + 119
    let r = h.secret("db").await;
    assert_eq!(r.secret_string(), "cached");
    assert_eq!(r.headers[STALE_HEADER], "179");
    assert_eq!(h.agent.metrics().stale_serves.load(Ordering::Relaxed), 2);

    // Past TTL + max_stale: the upstream's error.
    h.clock.advance(Duration::from_secs(1)); // 180 s
    let r = h.secret("db").await;
    assert_eq!(r.status, 502);
    assert_eq!(r.json()["__type"], "ConnectionError");
    // refreshNow never serves stale.
    let r = h
        .get("/secretsmanager/get?secretId=db&refreshNow=true")
        .await;
    assert_eq!(r.status, 502);
}

#[tokio::test]
async fn no_stale_serving_when_transient_errors_are_not_ignored() {
    let h = Harness::start_with("ttl_seconds = 60\nignore_transient_errors = false").await;
    h.create("db", "cached").await;
    h.secret("db").await;
    h.proxy.stop().await;
    h.clock.advance(Duration::from_secs(61));
    assert_eq!(h.secret("db").await.status, 502);
}

#[tokio::test]
async fn client_errors_are_not_hidden_by_stale_values() {
    let h = Harness::start_with("ttl_seconds = 60").await;
    h.create("gone", "v").await;
    h.secret("gone").await;
    h.admin
        .delete_secret()
        .secret_id("gone")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    h.clock.advance(Duration::from_secs(61));
    let r = h.secret("gone").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["__type"], "ResourceNotFoundException");
}

#[tokio::test]
async fn single_flight_for_concurrent_misses() {
    let h = Arc::new(Harness::start().await);
    h.create("hot", "value").await;
    // Hold the upstream so that all 100 requests are waiting at once.
    h.proxy.hold();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move { h.secret("hot").await }));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while h.agent.metrics().misses.load(Ordering::SeqCst) < 100 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "requests did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.proxy.release();
    for task in tasks {
        assert_eq!(task.await.unwrap().secret_string(), "value");
    }
    assert_eq!(h.proxy.get_secret_value_calls(), 1);
    assert_eq!(
        h.agent.metrics().upstream_calls(Operation::GetSecretValue),
        1
    );
}

#[tokio::test]
async fn single_flight_for_concurrent_revalidations() {
    let h = Arc::new(Harness::start_with("ttl_seconds = 5").await);
    h.create("hot", "value").await;
    h.secret("hot").await;
    h.clock.advance(Duration::from_secs(5));
    h.proxy.hold();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let h = h.clone();
            tokio::spawn(async move { h.secret("hot").await })
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while h.proxy.describe_secret_calls() < 1 {
        assert!(tokio::time::Instant::now() < deadline, "no revalidation");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.proxy.release();
    for task in tasks {
        assert_eq!(task.await.unwrap().secret_string(), "value");
    }
    assert_eq!(h.proxy.describe_secret_calls(), 1);
    assert_eq!(h.proxy.get_secret_value_calls(), 1);
}

#[tokio::test]
async fn lru_eviction_at_cache_size() {
    let h = Harness::start_with("cache_size = 2").await;
    for name in ["a", "b", "c"] {
        h.create(name, name).await;
    }
    h.secret("a").await;
    h.secret("b").await;
    h.secret("a").await; // b is now the least recently used
    assert_eq!(h.proxy.get_secret_value_calls(), 2);
    h.secret("c").await; // evicts b
    assert_eq!(h.proxy.get_secret_value_calls(), 3);
    assert_eq!(h.agent.cache_len(), 2);
    assert_eq!(h.agent.metrics().evictions.load(Ordering::Relaxed), 1);

    h.secret("a").await; // still cached
    h.secret("c").await; // still cached
    assert_eq!(h.proxy.get_secret_value_calls(), 3);
    assert_eq!(h.secret("b").await.secret_string(), "b"); // evicted: fetched again
    assert_eq!(h.proxy.get_secret_value_calls(), 4);
    assert_eq!(h.agent.cache_len(), 2);
}

#[tokio::test]
async fn keys_are_secret_version_and_stage() {
    let h = Harness::start().await;
    h.create("k", "v").await;
    h.secret("k").await;
    h.get("/secretsmanager/get?secretId=k&versionStage=AWSCURRENT")
        .await;
    h.get("/v1/k").await; // same key as the first, whichever style
    assert_eq!(h.proxy.get_secret_value_calls(), 2);
}

#[tokio::test]
async fn ttl_zero_disables_caching() {
    let h = Harness::start_with("ttl_seconds = 0").await;
    h.create("z", "v").await;
    h.secret("z").await;
    h.secret("z").await;
    assert_eq!(h.proxy.get_secret_value_calls(), 2);
    assert_eq!(h.agent.cache_len(), 0);
}

#[tokio::test]
async fn prefetch_by_ids_and_tag_filter() {
    let toml = r#"
prefetch_secret_ids = ["by-id/one", "by-id/two"]
prefetch_filters = [{ key = "tag-key", values = ["prefetch"] }]
"#;
    let h = Harness::start_with_setup(toml, |admin| async move {
        for name in ["by-id/one", "by-id/two", "other"] {
            admin
                .create_secret()
                .name(name)
                .secret_string(format!("value of {name}"))
                .send()
                .await
                .unwrap();
        }
        admin
            .create_secret()
            .name("tagged")
            .secret_string("value of tagged")
            .tags(
                aws_sdk_secretsmanager::types::Tag::builder()
                    .key("prefetch")
                    .value("yes")
                    .build(),
            )
            .send()
            .await
            .unwrap();
    })
    .await;
    assert!(h.proxy.batch_get_calls() >= 2);
    assert_eq!(h.agent.cache_len(), 3);
    assert_eq!(
        h.secret("by-id/one").await.secret_string(),
        "value of by-id/one"
    );
    assert_eq!(
        h.secret("by-id/two").await.secret_string(),
        "value of by-id/two"
    );
    assert_eq!(h.secret("tagged").await.secret_string(), "value of tagged");
    assert_eq!(
        h.proxy.get_secret_value_calls(),
        0,
        "all served from the prefetch"
    );
    assert_eq!(h.secret("other").await.secret_string(), "value of other");
    assert_eq!(h.proxy.get_secret_value_calls(), 1);
}
