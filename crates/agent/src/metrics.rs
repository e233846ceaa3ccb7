//! Counters served at `GET /metrics` in the Prometheus text format. Plain atomics: the hit path
//! pays one relaxed increment. No label ever carries a secret id or value.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
struct Upstream {
    calls: AtomicU64,
    errors: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    sum_micros: AtomicU64,
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
        u.calls.fetch_add(1, Ordering::Relaxed);
        if failed {
            u.errors.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = latency.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&u.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        u.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Upstream calls of one operation so far.
    pub fn upstream_calls(&self, operation: Operation) -> u64 {
        self.upstream[operation.index()]
            .calls
            .load(Ordering::Relaxed)
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
        // Writing to a String cannot fail, so the results are ignored.
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP coffer_agent_{name}_total {help}");
            let _ = writeln!(out, "# TYPE coffer_agent_{name}_total counter");
            let _ = writeln!(
                out,
                "coffer_agent_{name}_total {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP coffer_agent_cache_entries Entries in the cache."
        );
        let _ = writeln!(out, "# TYPE coffer_agent_cache_entries gauge");
        let _ = writeln!(out, "coffer_agent_cache_entries {entries}");

        let _ = writeln!(
            out,
            "# HELP coffer_agent_upstream_requests_total Upstream calls."
        );
        let _ = writeln!(out, "# TYPE coffer_agent_upstream_requests_total counter");
        for op in Operation::ALL {
            let _ = writeln!(
                out,
                "coffer_agent_upstream_requests_total{{operation=\"{}\"}} {}",
                op.name(),
                self.upstream_calls(op)
            );
        }
        let _ = writeln!(
            out,
            "# HELP coffer_agent_upstream_errors_total Upstream calls that failed."
        );
        let _ = writeln!(out, "# TYPE coffer_agent_upstream_errors_total counter");
        for op in Operation::ALL {
            let _ = writeln!(
                out,
                "coffer_agent_upstream_errors_total{{operation=\"{}\"}} {}",
                op.name(),
                self.upstream_errors(op)
            );
        }
        let _ = writeln!(
            out,
            "# HELP coffer_agent_upstream_latency_seconds Upstream call latency."
        );
        let _ = writeln!(
            out,
            "# TYPE coffer_agent_upstream_latency_seconds histogram"
        );
        for op in Operation::ALL {
            let u = &self.upstream[op.index()];
            for (bound, bucket) in BUCKETS.iter().zip(&u.buckets) {
                let _ = writeln!(
                    out,
                    "coffer_agent_upstream_latency_seconds_bucket{{operation=\"{}\",le=\"{bound}\"}} {}",
                    op.name(),
                    bucket.load(Ordering::Relaxed)
                );
            }
            let calls = u.calls.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "coffer_agent_upstream_latency_seconds_bucket{{operation=\"{}\",le=\"+Inf\"}} {calls}",
                op.name()
            );
            let _ = writeln!(
                out,
                "coffer_agent_upstream_latency_seconds_sum{{operation=\"{}\"}} {}",
                op.name(),
                u.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "coffer_agent_upstream_latency_seconds_count{{operation=\"{}\"}} {calls}",
                op.name()
            );
        }
        out
    }
}
