//! The Prometheus text exposition format (version 0.0.4), the one writer behind every
//! `/metrics` page: the server's requests, store calls, connections and audit trail, and the
//! agent's cache.
//!
//! Written by hand rather than with `prometheus-client`: every family coffer exposes is a
//! fixed set of relaxed atomics indexed by closed enums, so the hot path pays one increment and
//! the page is a loop over arrays; a registry of boxed metric families would add an allocation
//! and a lock per family to the same result. No label ever carries a secret id or value, so
//! label values need no escaping beyond what the callers' fixed names already satisfy.

use std::fmt::{Display, Write as _};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The kind of a metric family, as its `# TYPE` line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that only goes up.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Cumulative buckets with a sum and a count.
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Writes a family's `# HELP` and `# TYPE` lines.
pub fn family(out: &mut String, name: &str, kind: Kind, help: &str) {
    // Writing to a String cannot fail, so the results are ignored here and below.
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {}", kind.name());
}

/// Writes one sample line; `labels` is the inside of the braces (`operation="GetSecretValue"`),
/// or empty for a family without labels.
pub fn sample(out: &mut String, name: &str, labels: &str, value: impl Display) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {value}");
    } else {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

/// A family of one unlabelled sample: its header and its value.
pub fn single(out: &mut String, name: &str, kind: Kind, help: &str, value: impl Display) {
    family(out, name, kind, help);
    sample(out, name, "", value);
}

/// The upper bounds, in seconds, of a histogram's buckets.
pub trait Bounds {
    /// The bounds, in increasing order (the `+Inf` bucket is implied).
    const BOUNDS: &'static [f64];
}

/// A latency histogram. Each observation increments exactly one bucket (the first whose bound
/// holds it, or the overflow); the cumulative counts Prometheus wants are summed when
/// rendering, so the hot path pays one increment instead of one per bucket.
pub struct Histogram<B: Bounds> {
    /// One count per bound, then the overflow.
    buckets: Box<[AtomicU64]>,
    sum_micros: AtomicU64,
    bounds: PhantomData<B>,
}

impl<B: Bounds> Default for Histogram<B> {
    fn default() -> Self {
        Self {
            buckets: (0..=B::BOUNDS.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            bounds: PhantomData,
        }
    }
}

impl<B: Bounds> std::fmt::Debug for Histogram<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count())
            .finish_non_exhaustive()
    }
}

impl<B: Bounds> Histogram<B> {
    /// Records one observation.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let index = B::BOUNDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(B::BOUNDS.len());
        self.buckets[index].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// How many observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of one series; `labels` is the series'
    /// own label pairs (`operation="GetSecretValue"`).
    pub fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, bucket) in B::BOUNDS.iter().zip(self.buckets.iter()) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.buckets[B::BOUNDS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;
    impl Bounds for Two {
        const BOUNDS: &'static [f64] = &[0.001, 0.01];
    }

    #[test]
    fn families_and_samples_follow_the_text_format() {
        let mut out = String::new();
        single(&mut out, "x_total", Kind::Counter, "Some x.", 3);
        family(&mut out, "y", Kind::Gauge, "Some y.");
        sample(&mut out, "y", "cap=\"all\"", 7);
        assert_eq!(
            out,
            "# HELP x_total Some x.\n# TYPE x_total counter\nx_total 3\n\
             # HELP y Some y.\n# TYPE y gauge\ny{cap=\"all\"} 7\n"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_with_overflow_sum_and_count() {
        let h = Histogram::<Two>::default();
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_secs(1));
        assert_eq!(h.count(), 4);
        let mut out = String::new();
        h.render(&mut out, "d", "op=\"A\"");
        assert_eq!(
            out,
            "d_bucket{op=\"A\",le=\"0.001\"} 1\nd_bucket{op=\"A\",le=\"0.01\"} 3\n\
             d_bucket{op=\"A\",le=\"+Inf\"} 4\nd_sum{op=\"A\"} 1.0105\nd_count{op=\"A\"} 4\n"
        );
    }
}
