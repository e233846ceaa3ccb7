//! The cache: an exact LRU on (secretId, versionId, versionStage), TTL revalidation through
//! `DescribeSecret`, stale serving while the upstream fails, and single flight for misses.
//!
//! Lookups take one short mutex (hash lookup, list splice, a reference-count increment), so the
//! hit path never waits on the upstream. Misses and expired entries go through a per-key
//! `OnceCell`: every concurrent request for the key awaits the same upstream call.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::OnceCell;

use crate::clock::Clock;
use crate::key::Key;
use crate::metrics::Metrics;
use crate::upstream::{Fetched, Upstream, UpstreamError};

/// A cached value. Dropping the last clone of `body` zeroes it.
#[derive(Clone)]
struct Entry {
    body: Bytes,
    arn: String,
    version_id: String,
    /// When the upstream last confirmed this value (clock time).
    validated_at: Duration,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("arn", &self.arn)
            .field("version_id", &self.version_id)
            .field("validated_at", &self.validated_at)
            .finish_non_exhaustive()
    }
}

/// The answer to one request.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The `GetSecretValue` JSON.
    pub body: Bytes,
    /// `Some(age)` when served past its TTL because the upstream failed; `age` is the time since
    /// the upstream last confirmed the value.
    pub stale_for: Option<Duration>,
}

const NIL: usize = usize::MAX;

struct Node {
    key: Key,
    entry: Entry,
    prev: usize,
    next: usize,
}

/// An exact LRU: a hash map into a slab of nodes threaded on a doubly linked list, most recent
/// at `head`.
struct Lru {
    map: HashMap<Key, usize>,
    nodes: Vec<Option<Node>>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    capacity: usize,
}

impl Lru {
    fn new(capacity: usize) -> Self {
        Lru {
            map: HashMap::with_capacity(capacity),
            nodes: Vec::with_capacity(capacity),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity: capacity.max(1),
        }
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn node(&mut self, index: usize) -> Option<&mut Node> {
        self.nodes.get_mut(index).and_then(Option::as_mut)
    }

    fn unlink(&mut self, index: usize) {
        let (prev, next) = match self.node(index) {
            Some(n) => (n.prev, n.next),
            None => return,
        };
        match self.node(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.node(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }

    fn push_front(&mut self, index: usize) {
        let old_head = self.head;
        if let Some(n) = self.node(index) {
            n.prev = NIL;
            n.next = old_head;
        }
        if let Some(h) = self.node(old_head) {
            h.prev = index;
        }
        self.head = index;
        if self.tail == NIL {
            self.tail = index;
        }
    }

    /// The entry, marked most recently used.
    fn get(&mut self, key: &Key) -> Option<&Entry> {
        let index = *self.map.get(key)?;
        if self.head != index {
            self.unlink(index);
            self.push_front(index);
        }
        self.node(index).map(|n| &n.entry)
    }

    /// The entry, recency untouched.
    fn peek(&self, key: &Key) -> Option<&Entry> {
        let index = *self.map.get(key)?;
        self.nodes.get(index)?.as_ref().map(|n| &n.entry)
    }

    fn peek_mut(&mut self, key: &Key) -> Option<&mut Entry> {
        let index = *self.map.get(key)?;
        self.node(index).map(|n| &mut n.entry)
    }

    /// Inserts or replaces; returns how many entries were evicted (0 or 1).
    fn insert(&mut self, key: Key, entry: Entry) -> usize {
        if let Some(&index) = self.map.get(&key) {
            if let Some(n) = self.node(index) {
                // The old entry drops here; its body is zeroed once no response holds it.
                n.entry = entry;
            }
            self.unlink(index);
            self.push_front(index);
            return 0;
        }
        let mut evicted = 0;
        if self.map.len() >= self.capacity {
            let victim = self.tail;
            self.unlink(victim);
            if let Some(node) = self.nodes.get_mut(victim).and_then(Option::take) {
                self.map.remove(&node.key);
                self.free.push(victim);
                evicted = 1;
            }
        }
        let node = Node {
            key: key.clone(),
            entry,
            prev: NIL,
            next: NIL,
        };
        let index = match self.free.pop() {
            Some(i) => {
                self.nodes[i] = Some(node);
                i
            }
            None => {
                self.nodes.push(Some(node));
                self.nodes.len() - 1
            }
        };
        self.map.insert(key, index);
        self.push_front(index);
        evicted
    }
}

type Flight = Arc<OnceCell<Result<Answer, UpstreamError>>>;

/// The cache and its policy.
pub struct Cache {
    lru: Mutex<Lru>,
    in_flight: Mutex<HashMap<Key, Flight>>,
    upstream: Upstream,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    max_stale: Duration,
    metrics: Arc<Metrics>,
}

/// Locks a mutex, recovering from poisoning: the guarded maps stay consistent between
/// statements, so a panic elsewhere leaves nothing half-done.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Cache {
    /// A cache of `capacity` entries.
    pub fn new(
        upstream: Upstream,
        clock: Arc<dyn Clock>,
        capacity: usize,
        ttl: Duration,
        max_stale: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        Cache {
            lru: Mutex::new(Lru::new(capacity)),
            in_flight: Mutex::new(HashMap::new()),
            upstream,
            clock,
            ttl,
            max_stale,
            metrics,
        }
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        lock(&self.lru).len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn fresh(&self, entry: &Entry, now: Duration) -> bool {
        now.saturating_sub(entry.validated_at) < self.ttl
    }

    /// Stores a fetched value (the prefetch at start), confirmed now.
    pub fn insert(&self, key: Key, fetched: Fetched) {
        self.store(key, fetched, self.clock.now());
    }

    /// Stores a value the upstream confirmed at `validated_at`.
    fn store(&self, key: Key, fetched: Fetched, validated_at: Duration) {
        if self.ttl.is_zero() {
            return;
        }
        let entry = Entry {
            body: fetched.body,
            arn: fetched.arn,
            version_id: fetched.version_id,
            validated_at,
        };
        let evicted = lock(&self.lru).insert(key, entry);
        for _ in 0..evicted {
            Metrics::inc(&self.metrics.evictions);
        }
    }

    /// The answer for `key`: from the cache while fresh; `refresh_now` always asks upstream.
    pub async fn get(&self, key: Key, refresh_now: bool) -> Result<Answer, UpstreamError> {
        if refresh_now {
            // AWS's agent: bypass the cache; on failure answer the error, keep the cache as is.
            Metrics::inc(&self.metrics.refreshes);
            let asked_at = self.clock.now();
            let fetched = self.upstream.get_secret_value(&key).await?;
            let body = fetched.body.clone();
            self.store(key, fetched, asked_at);
            return Ok(Answer {
                body,
                stale_for: None,
            });
        }
        {
            let now = self.clock.now();
            let mut lru = lock(&self.lru);
            match lru.get(&key) {
                Some(entry) if self.fresh(entry, now) => {
                    Metrics::inc(&self.metrics.hits);
                    return Ok(Answer {
                        body: entry.body.clone(),
                        stale_for: None,
                    });
                }
                Some(_) => {}
                None => Metrics::inc(&self.metrics.misses),
            }
        }
        let answer = self.single_flight(key).await?;
        if answer.stale_for.is_some() {
            Metrics::inc(&self.metrics.stale_serves);
        }
        Ok(answer)
    }

    /// Runs `load` once for any number of concurrent callers with the same key.
    async fn single_flight(&self, key: Key) -> Result<Answer, UpstreamError> {
        let flight = lock(&self.in_flight)
            .entry(key.clone())
            .or_default()
            .clone();
        // If the caller that runs `load` is cancelled (its client went away), `OnceCell` lets
        // the next waiter run it instead.
        let result = flight.get_or_init(|| self.load(&key)).await.clone();
        let mut in_flight = lock(&self.in_flight);
        if in_flight
            .get(&key)
            .is_some_and(|current| Arc::ptr_eq(current, &flight))
        {
            in_flight.remove(&key);
        }
        result
    }

    /// One upstream round for `key`: revalidate an expired entry, else fetch.
    ///
    /// The clock is read once, before any upstream call, and every decision of the round is
    /// made at that time: whether the entry may be served stale (so the time the SDK spends
    /// retrying, backing off or timing out never turns a request that arrived inside the
    /// allowance into an error), and when the upstream confirmed the value.
    async fn load(&self, key: &Key) -> Result<Answer, UpstreamError> {
        let now = self.clock.now();
        let existing = lock(&self.lru).peek(key).cloned();
        if let Some(entry) = &existing {
            // A flight that finished just before this one started already refreshed it.
            if self.fresh(entry, now) {
                return Ok(Answer {
                    body: entry.body.clone(),
                    stale_for: None,
                });
            }
            Metrics::inc(&self.metrics.revalidations);
            match self.upstream.versions(&entry.arn).await {
                Ok(versions) if is_current(key, entry, &versions) => {
                    Metrics::inc(&self.metrics.revalidations_unchanged);
                    if let Some(cached) = lock(&self.lru).peek_mut(key) {
                        if cached.version_id == entry.version_id {
                            // Never backwards (a refreshNow may have confirmed it meanwhile).
                            cached.validated_at = cached.validated_at.max(now);
                        }
                    }
                    return Ok(Answer {
                        body: entry.body.clone(),
                        stale_for: None,
                    });
                }
                Ok(_) => {}
                Err(error) => return self.stale_or(error, entry, now),
            }
        }
        match self.upstream.get_secret_value(key).await {
            Ok(fetched) => {
                let body = fetched.body.clone();
                self.store(key.clone(), fetched, now);
                Ok(Answer {
                    body,
                    stale_for: None,
                })
            }
            Err(error) => match &existing {
                Some(entry) => self.stale_or(error, entry, now),
                None => Err(error),
            },
        }
    }

    /// The expired entry when the failure is transient and the entry was within `max_stale` of
    /// its expiry at `asked_at` (when the request's upstream round began); the error otherwise.
    /// Revalidation and re-fetch failures both come here.
    fn stale_or(
        &self,
        error: UpstreamError,
        entry: &Entry,
        asked_at: Duration,
    ) -> Result<Answer, UpstreamError> {
        let age = asked_at.saturating_sub(entry.validated_at);
        if error.transient && age < self.ttl + self.max_stale {
            tracing::info!(
                arn = %entry.arn,
                age_seconds = age.as_secs(),
                "upstream unavailable: serving the cached value past its TTL"
            );
            Ok(Answer {
                body: entry.body.clone(),
                stale_for: Some(age),
            })
        } else {
            Err(error)
        }
    }
}

/// Whether the cached value still answers `key`, by `DescribeSecret`'s `VersionIdsToStages`:
/// a request by version id alone needs that version to exist; otherwise the cached (or named)
/// version must still carry the named stage (AWSCURRENT by default).
fn is_current(key: &Key, entry: &Entry, versions: &HashMap<String, Vec<String>>) -> bool {
    if let (Some(version_id), None) = (&key.version_id, &key.version_stage) {
        return versions.contains_key(version_id);
    }
    let version_id = key.version_id.as_deref().unwrap_or(&entry.version_id);
    let stage = key.version_stage.as_deref().unwrap_or("AWSCURRENT");
    versions
        .get(version_id)
        .is_some_and(|stages| stages.iter().any(|s| s == stage))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(id: &str) -> Key {
        Key {
            secret_id: id.to_owned(),
            version_id: None,
            version_stage: None,
        }
    }

    fn entry(version: &str) -> Entry {
        Entry {
            body: Bytes::from_static(b"{}"),
            arn: "arn".to_owned(),
            version_id: version.to_owned(),
            validated_at: Duration::ZERO,
        }
    }

    #[test]
    fn lru_evicts_least_recently_used() {
        let mut lru = Lru::new(2);
        assert_eq!(lru.insert(key("a"), entry("1")), 0);
        assert_eq!(lru.insert(key("b"), entry("1")), 0);
        assert!(lru.get(&key("a")).is_some()); // b is now the least recent
        assert_eq!(lru.insert(key("c"), entry("1")), 1);
        assert!(lru.peek(&key("b")).is_none());
        assert!(lru.peek(&key("a")).is_some());
        assert!(lru.peek(&key("c")).is_some());
        assert_eq!(lru.len(), 2);
        // Replacing keeps the size and makes the key most recent.
        assert_eq!(lru.insert(key("a"), entry("2")), 0);
        assert_eq!(lru.insert(key("d"), entry("1")), 1);
        assert!(lru.peek(&key("c")).is_none());
        assert_eq!(lru.peek(&key("a")).unwrap().version_id, "2");
    }

    #[test]
    fn lru_of_one_and_slot_reuse() {
        let mut lru = Lru::new(1);
        for i in 0..10 {
            lru.insert(key(&i.to_string()), entry("1"));
            assert_eq!(lru.len(), 1);
        }
        assert!(lru.peek(&key("9")).is_some());
        assert_eq!(lru.nodes.len(), 1);
    }

    #[test]
    fn currency_rules_follow_aws() {
        let versions: HashMap<String, Vec<String>> = [
            ("v1".to_owned(), vec!["AWSPREVIOUS".to_owned()]),
            ("v2".to_owned(), vec!["AWSCURRENT".to_owned()]),
        ]
        .into();
        assert!(is_current(&key("s"), &entry("v2"), &versions));
        assert!(!is_current(&key("s"), &entry("v1"), &versions));
        let by_version = Key {
            version_id: Some("v1".to_owned()),
            ..key("s")
        };
        assert!(is_current(&by_version, &entry("v1"), &versions));
        let by_stage = Key {
            version_stage: Some("AWSPREVIOUS".to_owned()),
            ..key("s")
        };
        assert!(is_current(&by_stage, &entry("v1"), &versions));
        assert!(!is_current(&by_stage, &entry("v2"), &versions));
    }
}
