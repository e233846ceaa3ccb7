//! Stale serving through each kind of upstream outage (issue 19): a refused connection, a
//! connection reset mid-response, a timeout, 500, 503 and throttling, each against the real
//! coffer behind the proxy, with the SDK retrying as the real agent's does and its backoff and
//! timeouts moving the manual clock instead of taking real time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use crate::common::{Failure, Harness};
use coffer_agent::STALE_HEADER;

/// Issue 19's configuration: TTL 1 s, 3 s of staleness allowed after it.
const CONFIG: &str = "ttl_seconds = 1\nmax_stale_seconds = 3";

/// What the client gets once the allowance is over: status and `__type`.
fn error_for(kind: Failure) -> (u16, &'static str) {
    match kind {
        Failure::Refused | Failure::ResetMidResponse => (502, "ConnectionError"),
        Failure::BlackHole => (504, "TimeoutError"),
        Failure::Internal => (500, "InternalServiceError"),
        Failure::Unavailable => (500, "InternalFailure"),
        Failure::Throttled => (400, "ThrottlingException"),
    }
}

/// A value cached at 0 s is asked for at 2.5 s (1.5 s past its TTL, inside the allowance) while
/// the upstream fails as `kind`: the cached value, flagged, however long the SDK spends retrying
/// or waiting; once the allowance is over, the upstream's error.
async fn stale_through(kind: Failure) {
    // A timeout only where it is the failure (the real agent's default of 10 s): with the SDK's
    // sleeps on the manual clock it fires as soon as the call has to wait.
    let timeout = (kind == Failure::BlackHole).then_some(Duration::from_secs(10));
    let h = Harness::start_retrying(CONFIG, timeout).await;
    h.create("db", "cached").await;
    assert_eq!(h.secret("db").await.secret_string(), "cached");
    h.outage(kind).await;

    h.clock.advance(Duration::from_millis(2500));
    let r = h.secret("db").await;
    assert_eq!(r.status, 200, "{kind:?}: {}", r.body);
    assert_eq!(r.secret_string(), "cached");
    assert_eq!(r.headers[STALE_HEADER], "2", "{kind:?}");
    if !matches!(kind, Failure::Refused | Failure::BlackHole) {
        // (A refused connection never reaches the proxy; on the manual clock the timeout fires
        // before the request does.)
        assert!(
            h.proxy.describe_secret_calls() >= 1,
            "{kind:?}: revalidated"
        );
    }

    // Past the allowance, as of the request: the error, as the upstream's failure maps to it.
    h.clock.advance(Duration::from_secs(4));
    let r = h.secret("db").await;
    let (status, code) = error_for(kind);
    assert_eq!(r.status, status, "{kind:?}: {}", r.body);
    assert_eq!(r.json()["__type"], code, "{kind:?}");
}

#[tokio::test]
async fn stale_through_a_refused_connection() {
    stale_through(Failure::Refused).await;
}

#[tokio::test]
async fn stale_through_a_reset_mid_response() {
    stale_through(Failure::ResetMidResponse).await;
}

#[tokio::test]
async fn stale_through_an_upstream_timeout() {
    stale_through(Failure::BlackHole).await;
}

#[tokio::test]
async fn stale_through_500() {
    stale_through(Failure::Internal).await;
}

#[tokio::test]
async fn stale_through_503() {
    stale_through(Failure::Unavailable).await;
}

#[tokio::test]
async fn stale_through_throttling() {
    stale_through(Failure::Throttled).await;
}

/// The allowance is judged when the request arrives: an upstream that takes its time to fail
/// (here 2 s, moved on the manual clock while the proxy holds the request) does not turn a
/// request that arrived inside the allowance into an error.
#[tokio::test]
async fn the_allowance_is_judged_when_the_request_arrives() {
    let h = Arc::new(Harness::start_with(CONFIG).await);
    h.create("db", "cached").await;
    h.secret("db").await;
    h.clock.advance(Duration::from_millis(2500));
    h.proxy.hold();
    let request = {
        let h = h.clone();
        tokio::spawn(async move { h.secret("db").await })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while h.proxy.describe_secret_calls() < 1 {
        assert!(tokio::time::Instant::now() < deadline, "no revalidation");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.clock.advance(Duration::from_secs(2)); // 4.5 s: past the allowance while it waits
    h.proxy.stop().await;
    let r = request.await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.secret_string(), "cached");
    assert_eq!(r.headers[STALE_HEADER], "2");
}
