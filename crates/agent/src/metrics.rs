//! Counters served at `GET /metrics` in the Prometheus text format. Plain atomics: the hit path
//! pays one relaxed increment. No label ever carries a secret id or value.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use coffer_protocol::exposition::{self, Histogram, Kind};

/// The upstream operations the agent calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `GetSecretValue`: a miss, an changed version, or `refreshNow`.
    GetSecretValue,
    /// `DescribeSecret`: revalidation after the TTL.
    DescribeSecret,
    /// `BatchGetSecretValue`: the start-up prefetch.
    BatchGetSecretValue,
}

impl Operation {
    const ALL: [Operation; 3] = [
        Operation::GetSecretValue,
        Operation::DescribeSecret,
        Operation::BatchGetSecretValue,
    ];

    /// The AWS operation name.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetSecretValue => "GetSecretValue",
            Operation::DescribeSecret => "DescribeSecret",
            Operation::BatchGetSecretValue => "BatchGetSecretValue",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Upper bounds of the upstream latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The bounds of the upstream latency histogram ([`BUCKETS`]).
#[derive(Debug)]
struct Buckets;

impl exposition::Bounds for Buckets {
    const BOUNDS: &'static [f64] = &BUCKETS;
}

/// One upstream operation's calls (the histogram's count), failures and latency.
#[derive(Debug, Default)]
struct Upstream {
    errors: AtomicU64,
    latency: Histogram<Buckets>,
}

/// Every counter the agent keeps.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Secret requests answered from the cache without an upstream call.
    pub hits: AtomicU64,
    /// Secret requests with no cached entry.
    pub misses: AtomicU64,
    /// Expired entries checked with `DescribeSecret`.
    pub revalidations: AtomicU64,
    /// Revalidations that found the version unchanged (no `GetSecretValue`).
    pub revalidations_unchanged: AtomicU64,
    /// `refreshNow=true` requests.
    pub refreshes: AtomicU64,
    /// Responses served from an expired entry because the upstream failed.
    pub stale_serves: AtomicU64,
    /// Entries evicted to stay within `cache_size`.
    pub evictions: AtomicU64,
    /// Requests refused with 429.
    pub rejected_connections: AtomicU64,
    upstream: [Upstream; 3],
}

impl Metrics {
    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records one upstream call, its latency and whether it failed.
    pub fn upstream_call(&self, operation: Operation, latency: Duration, failed: bool) {
        let u = &self.upstream[operation.index()];
        if failed {
            u.errors.fetch_add(1, Ordering::Relaxed);
        }
        u.latency.observe(latency);
    }

    /// Upstream calls of one operation so far.
    pub fn upstream_calls(&self, operation: Operation) -> u64 {
        self.upstream[operation.index()].latency.count()
    }

    /// Failed upstream calls of one operation so far.
    pub fn upstream_errors(&self, operation: Operation) -> u64 {
        self.upstream[operation.index()]
            .errors
            .load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition; `entries` is the cache's current size.
    pub fn render(&self, entries: usize) -> String {
        let mut out = String::with_capacity(2048);
        let counters: [(&str, &str, &AtomicU64); 8] = [
            ("hits", "Requests answered from the cache.", &self.hits),
            ("misses", "Requests with no cached entry.", &self.misses),
            (
                "revalidations",
                "Expired entries checked with DescribeSecret.",
                &self.revalidations,
            ),
            (
                "revalidations_unchanged",
                "Revalidations that kept the cached value.",
                &self.revalidations_unchanged,
            ),
            ("refreshes", "refreshNow=true requests.", &self.refreshes),
            (
                "stale_serves",
                "Expired values served while the upstream failed.",
                &self.stale_serves,
            ),
            (
                "evictions",
                "Entries evicted at cache_size.",
                &self.evictions,
            ),
            (
                "rejected_connections",
                "Requests refused with 429 over max_conn.",
                &self.rejected_connections,
            ),
        ];
        for (name, help, value) in counters {
            let name = format!("coffer_agent_{name}_total");
            exposition::single(
                &mut out,
                &name,
                Kind::Counter,
                help,
                value.load(Ordering::Relaxed),
            );
        }
        exposition::single(
            &mut out,
            "coffer_agent_cache_entries",
            Kind::Gauge,
            "Entries in the cache.",
            entries,
        );
        let requests = "coffer_agent_upstream_requests_total";
        exposition::family(&mut out, requests, Kind::Counter, "Upstream calls.");
        for op in Operation::ALL {
            let labels = format!("operation=\"{}\"", op.name());
            exposition::sample(&mut out, requests, &labels, self.upstream_calls(op));
        }
        let errors = "coffer_agent_upstream_errors_total";
        exposition::family(
            &mut out,
            errors,
            Kind::Counter,
            "Upstream calls that failed.",
        );
        for op in Operation::ALL {
            let labels = format!("operation=\"{}\"", op.name());
            exposition::sample(&mut out, errors, &labels, self.upstream_errors(op));
        }
        let latency = "coffer_agent_upstream_latency_seconds";
        exposition::family(&mut out, latency, Kind::Histogram, "Upstream call latency.");
        for op in Operation::ALL {
            let labels = format!("operation=\"{}\"", op.name());
            self.upstream[op.index()]
                .latency
                .render(&mut out, latency, &labels);
        }
        out
    }
}
