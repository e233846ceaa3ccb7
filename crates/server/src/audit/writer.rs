//! The group-commit writer: one thread owns the sinks and the chain. Requests serialize their
//! events (on their own tasks, in parallel) and queue the bytes; the thread takes everything
//! queued, links it into one batch (one chain link per event), hands the batch to the primary
//! sink in one write and one fsync, and only then answers the requests that wait for
//! durability. While a batch is being synced the next one queues up, so under load one fsync
//! covers many requests (as the SQLite writer does for the database).
//!
//! The thread runs a single-task runtime of its own: the blocking write and fsync happen right
//! there, with no hand-off to a blocking pool and back per batch, and never on the threads that
//! serve requests.
//!
//! When the primary sink fails, nothing of the batch counts as written: the chain does not
//! advance, every waiting request hears "not written" (and is answered with an internal
//! error), its event is rewritten to say so, and all of the batch's events stay queued and are
//! retried, before anything newer, with the next batch or after [`RETRY_INTERVAL`]. Events are
//! dropped only when those waiting already take `audit_queue_max_bytes` (counted in
//! `coffer_audit_dropped_events_total`; a request waiting for a dropped event is refused).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use coffer_protocol::exposition::{self, Kind};
use tokio::sync::{mpsc, oneshot, watch};

use super::chain;
use super::event::Event;
use super::sink::Sink;

/// How long events that could not be written wait before the writer tries again by itself.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(1);
/// The most events one batch takes from the queue.
const MAX_BATCH: usize = 4096;

/// What requests send the writer.
pub(crate) enum Message {
    /// An event.
    Event(Entry),
    /// Answer once everything queued before is durable (`true`), or could not be (`false`).
    Flush(oneshot::Sender<bool>),
    /// Write what is queued, then stop.
    Close(oneshot::Sender<()>),
}

/// An event on its way to the sinks: its canonical bytes, and, when a request waits until it
/// is durable, the event itself (rewritten if the request is refused) and the reply channel.
pub(crate) struct Entry {
    canonical: Vec<u8>,
    waiting: Option<(Box<Event>, oneshot::Sender<bool>)>,
}

impl Entry {
    /// Serializes `event` (on the caller's task), keeping it when somebody waits for it.
    pub(crate) fn new(
        event: Event,
        reply: Option<oneshot::Sender<bool>>,
    ) -> serde_json::Result<Self> {
        let canonical = event.canonical()?;
        Ok(Self {
            canonical,
            waiting: reply.map(|reply| (Box::new(event), reply)),
        })
    }

    /// Answers the waiting request, if any: its event was written (`true`) or not.
    fn answer(&mut self, written: bool) {
        let Some((mut event, reply)) = self.waiting.take() else {
            return;
        };
        if !written {
            // The request will answer an internal error instead of its answer: its event,
            // written later, says so.
            event.refuse();
            match event.canonical() {
                Ok(canonical) => self.canonical = canonical,
                Err(e) => {
                    tracing::error!(error = %e, "cannot serialize a refused audit event; it is written as first recorded")
                }
            }
        }
        let _ = reply.send(written);
    }
}

/// The audit trail's counters, named as Prometheus metrics would be.
#[derive(Debug, Default)]
pub struct Metrics {
    /// `coffer_audit_events_total`: events durably written to the primary sink.
    pub events_total: AtomicU64,
    /// `coffer_audit_write_failures_total`: batches the primary sink failed to write or sync.
    pub write_failures_total: AtomicU64,
    /// `coffer_audit_refused_requests_total`: responses carrying secret material withheld
    /// (answered with an internal error) because their event could not be written.
    pub refused_requests_total: AtomicU64,
    /// `coffer_audit_mirror_failures_total`: batches a secondary sink (stdout next to a file)
    /// failed to take; those never refuse a request.
    pub mirror_failures_total: AtomicU64,
    /// `coffer_audit_pending_events`: events queued but not yet durably written.
    pub pending_events: AtomicU64,
    /// `coffer_audit_dropped_events_total`: events dropped because the events waiting for
    /// the audit file already filled its queue (`audit_queue_max_bytes`).
    pub dropped_events_total: AtomicU64,
}

impl Metrics {
    /// The counters in Prometheus' text format.
    pub fn render(&self) -> String {
        let rows = [
            (
                "coffer_audit_events_total",
                Kind::Counter,
                "Audit events durably written.",
                &self.events_total,
            ),
            (
                "coffer_audit_write_failures_total",
                Kind::Counter,
                "Audit batches the audit file failed to write or sync.",
                &self.write_failures_total,
            ),
            (
                "coffer_audit_refused_requests_total",
                Kind::Counter,
                "Responses with secret material refused because their audit event could not be written.",
                &self.refused_requests_total,
            ),
            (
                "coffer_audit_mirror_failures_total",
                Kind::Counter,
                "Audit batches a secondary sink (stdout) failed to take.",
                &self.mirror_failures_total,
            ),
            (
                "coffer_audit_pending_events",
                Kind::Gauge,
                "Audit events queued and not yet durably written.",
                &self.pending_events,
            ),
            (
                "coffer_audit_dropped_events_total",
                Kind::Counter,
                "Audit events dropped because the queue of events waiting for the audit file was full.",
                &self.dropped_events_total,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in rows {
            exposition::single(&mut out, name, kind, help, value.load(Ordering::Relaxed));
        }
        out
    }
}

/// The sinks and the chain, owned by the writer thread.
struct Sinks {
    primary: Box<dyn Sink>,
    mirrors: Vec<Box<dyn Sink>>,
    key: chain::ChainKey,
    previous: String,
    /// Hears the chain's digest after every durable batch (the head recorded in the store).
    head: watch::Sender<String>,
}

impl Sinks {
    /// Links and writes `events`; the chain advances only if the primary sink took them.
    fn write(&mut self, events: &[Entry], metrics: &Metrics) -> std::io::Result<()> {
        let mut previous = self.previous.clone();
        let size: usize = events.iter().map(|e| e.canonical.len() + 160).sum();
        let mut batch = Vec::with_capacity(size);
        for event in events {
            previous = chain::seal_into(&mut batch, &self.key, &event.canonical, &previous);
        }
        self.primary.append(&batch)?;
        self.head.send_replace(previous.clone());
        self.previous = previous;
        for mirror in &mut self.mirrors {
            if let Err(e) = mirror.append(&batch) {
                metrics
                    .mirror_failures_total
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(sink = mirror.describe(), error = %e, "an audit sink failed; the audit file has the events");
            }
        }
        Ok(())
    }
}

/// Starts the writer thread. The first receiver hears when it has stopped; the second sees the
/// chain's last durably written digest (and closes when the thread stops).
pub(crate) fn spawn(
    primary: Box<dyn Sink>,
    mirrors: Vec<Box<dyn Sink>>,
    metrics: Arc<Metrics>,
    queue_max_bytes: usize,
    key: chain::ChainKey,
) -> std::io::Result<(
    mpsc::Sender<Message>,
    oneshot::Receiver<()>,
    watch::Receiver<String>,
)> {
    let previous = primary
        .last_digest()
        .unwrap_or_else(|| chain::GENESIS.to_owned());
    let (head, heads) = watch::channel(previous.clone());
    let sinks = Sinks {
        primary,
        mirrors,
        key,
        previous,
        head,
    };
    let (tx, rx) = mpsc::channel(16 * 1024);
    let (stopped, on_stop) = oneshot::channel();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    std::thread::Builder::new()
        .name("coffer-audit".into())
        .spawn(move || {
            runtime.block_on(run(rx, sinks, metrics, queue_max_bytes));
            let _ = stopped.send(());
        })?;
    Ok((tx, on_stop, heads))
}

async fn run(
    mut rx: mpsc::Receiver<Message>,
    mut sinks: Sinks,
    metrics: Arc<Metrics>,
    queue_max_bytes: usize,
) {
    let mut pending: Vec<Entry> = Vec::new();
    // The bytes of the events in `pending`: while the primary sink fails they accumulate, and
    // this bounds the memory they take.
    let mut pending_bytes = 0;
    let mut flushes: Vec<oneshot::Sender<bool>> = Vec::new();
    let mut closing: Option<oneshot::Sender<()>> = None;
    loop {
        // Wait for work; with events left over from a failed batch, not longer than the retry
        // interval.
        let first = if pending.is_empty() {
            rx.recv().await
        } else {
            match tokio::time::timeout(RETRY_INTERVAL, rx.recv()).await {
                Ok(message) => message,
                // Nobody waits on this flush: it only makes the loop retry.
                Err(_elapsed) => Some(Message::Flush(oneshot::channel().0)),
            }
        };
        let Some(first) = first else {
            // Every handle is gone: write what is left, once, and stop.
            write_batch(&mut sinks, &metrics, &mut pending, &mut flushes);
            break;
        };
        // Everything queued now joins this batch.
        let mut next = Some(first);
        let mut taken = 0;
        let mut dropped = 0;
        while let Some(message) = next.take() {
            match message {
                Message::Event(mut entry) => {
                    if pending_bytes + entry.canonical.len() > queue_max_bytes {
                        drop_event(&mut entry, &metrics);
                        dropped += 1;
                    } else {
                        pending_bytes += entry.canonical.len();
                        pending.push(entry);
                    }
                    taken += 1;
                }
                Message::Flush(reply) => flushes.push(reply),
                Message::Close(reply) => {
                    closing = Some(reply);
                    break;
                }
            }
            if taken < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if dropped > 0 {
            // One line per batch, not per event: a flood must not flood the log as well.
            tracing::error!(dropped, "the queue of audit events waiting for the audit file is full: events are dropped (coffer_audit_dropped_events_total)");
        }
        metrics
            .pending_events
            .store(pending.len() as u64, Ordering::Relaxed);
        write_batch(&mut sinks, &metrics, &mut pending, &mut flushes);
        pending_bytes = pending.iter().map(|entry| entry.canonical.len()).sum();
        if let Some(reply) = closing.take() {
            if !pending.is_empty() {
                tracing::error!(
                    events = pending.len(),
                    "stopping with audit events that could not be written"
                );
            }
            let _ = reply.send(());
            break;
        }
    }
}

/// Drops an event that does not fit in the queue: a request waiting for it is refused (its
/// response withheld), as when a write fails; the event itself is lost and counted (the caller
/// logs once per batch).
fn drop_event(entry: &mut Entry, metrics: &Metrics) {
    metrics.dropped_events_total.fetch_add(1, Ordering::Relaxed);
    if entry.waiting.is_some() {
        metrics
            .refused_requests_total
            .fetch_add(1, Ordering::Relaxed);
    }
    entry.answer(false);
}

/// Writes everything pending as one batch (on this, the writer's own thread) and answers
/// whoever waits.
fn write_batch(
    sinks: &mut Sinks,
    metrics: &Metrics,
    pending: &mut Vec<Entry>,
    flushes: &mut Vec<oneshot::Sender<bool>>,
) {
    if pending.is_empty() {
        for flush in flushes.drain(..) {
            let _ = flush.send(true);
        }
        return;
    }
    match sinks.write(pending, metrics) {
        Ok(()) => {
            metrics
                .events_total
                .fetch_add(pending.len() as u64, Ordering::Relaxed);
            for mut done in pending.drain(..) {
                done.answer(true);
            }
            for flush in flushes.drain(..) {
                let _ = flush.send(true);
            }
        }
        Err(error) => {
            metrics.write_failures_total.fetch_add(1, Ordering::Relaxed);
            // Counted before anybody hears: a client that received its refusal finds it in
            // the metrics (issue 23: a test read the counter between the two).
            let refused = pending
                .iter()
                .filter(|entry| entry.waiting.is_some())
                .count() as u64;
            metrics
                .refused_requests_total
                .fetch_add(refused, Ordering::Relaxed);
            for waiting in pending.iter_mut() {
                waiting.answer(false);
            }
            let sink = sinks.primary.describe();
            tracing::error!(sink, error = %error, events = pending.len(), refused, "cannot write the audit trail; fail-closed requests (secrets, and by default writes) are refused until it can be written");
            for flush in flushes.drain(..) {
                let _ = flush.send(false);
            }
        }
    }
    metrics
        .pending_events
        .store(pending.len() as u64, Ordering::Relaxed);
}
