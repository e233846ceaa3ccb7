//! The group-commit writer: one task owns the sinks and the chain. Requests queue their events;
//! the task takes everything queued, seals it into one batch (one chain link per event), hands
//! the batch to the primary sink in one write and one fsync, and only then answers the
//! requests that wait for durability. While a batch is being synced the next one queues up,
//! so under load one fsync covers many requests (as the SQLite writer does for the database).
//!
//! When the primary sink fails, nothing of the batch counts as written: the chain does not
//! advance, every waiting request hears "not written" (and is answered with an internal
//! error), its event is rewritten to say so, and all of the batch's events stay queued and are
//! retried, before anything newer, with the next batch or after [`RETRY_INTERVAL`]. No event
//! is dropped while the process lives.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::chain;
use super::event::Event;
use super::sink::Sink;

/// How long events that could not be written wait before the writer tries again by itself.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(1);
/// The most events one batch takes from the queue.
const MAX_BATCH: usize = 4096;

/// What requests send the writer.
pub(crate) enum Message {
    /// An event; with a reply channel when the request waits until it is durable.
    Event(Box<Event>, Option<oneshot::Sender<bool>>),
    /// Answer once everything queued before is durable (`true`), or could not be (`false`).
    Flush(oneshot::Sender<bool>),
    /// Write what is queued, then stop.
    Close(oneshot::Sender<()>),
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
}

impl Metrics {
    /// The counters in Prometheus' text format.
    pub fn render(&self) -> String {
        let rows = [
            (
                "coffer_audit_events_total",
                "counter",
                "Audit events durably written.",
                &self.events_total,
            ),
            (
                "coffer_audit_write_failures_total",
                "counter",
                "Audit batches the audit file failed to write or sync.",
                &self.write_failures_total,
            ),
            (
                "coffer_audit_refused_requests_total",
                "counter",
                "Responses with secret material refused because their audit event could not be written.",
                &self.refused_requests_total,
            ),
            (
                "coffer_audit_mirror_failures_total",
                "counter",
                "Audit batches a secondary sink (stdout) failed to take.",
                &self.mirror_failures_total,
            ),
            (
                "coffer_audit_pending_events",
                "gauge",
                "Audit events queued and not yet durably written.",
                &self.pending_events,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in rows {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}\n",
                value.load(Ordering::Relaxed)
            ));
        }
        out
    }
}

/// An event not yet durably written, with the request waiting for it, if any.
struct Pending {
    event: Box<Event>,
    reply: Option<oneshot::Sender<bool>>,
}

/// The sinks and the chain: what the blocking part of a batch works on.
struct Sinks {
    primary: Box<dyn Sink>,
    mirrors: Vec<Box<dyn Sink>>,
    previous: String,
}

impl Sinks {
    /// Seals and writes `events`; the chain advances only if the primary sink took them.
    fn write(&mut self, events: &[&Event], metrics: &Metrics) -> std::io::Result<()> {
        let mut previous = self.previous.clone();
        let mut batch = Vec::with_capacity(events.len() * 1024);
        for event in events {
            let value = serde_json::to_value(event).map_err(std::io::Error::other)?;
            let (line, digest) = chain::seal(value, &previous);
            batch.extend_from_slice(&line);
            previous = digest;
        }
        self.primary.append(&batch)?;
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

/// Spawns the writer task on the current runtime.
pub(crate) fn spawn(
    primary: Box<dyn Sink>,
    mirrors: Vec<Box<dyn Sink>>,
    metrics: Arc<Metrics>,
) -> (mpsc::Sender<Message>, tokio::task::JoinHandle<()>) {
    let previous = primary
        .last_digest()
        .unwrap_or_else(|| chain::GENESIS.to_owned());
    let sinks = Arc::new(Mutex::new(Sinks {
        primary,
        mirrors,
        previous,
    }));
    let (tx, rx) = mpsc::channel(16 * 1024);
    let task = tokio::spawn(run(rx, sinks, metrics));
    (tx, task)
}

async fn run(mut rx: mpsc::Receiver<Message>, sinks: Arc<Mutex<Sinks>>, metrics: Arc<Metrics>) {
    let mut pending: Vec<Pending> = Vec::new();
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
            write_batch(&sinks, &metrics, &mut pending, &mut flushes).await;
            break;
        };
        // Everything queued now joins this batch.
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(message) = next.take() {
            match message {
                Message::Event(event, reply) => {
                    pending.push(Pending { event, reply });
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
        metrics
            .pending_events
            .store(pending.len() as u64, Ordering::Relaxed);
        write_batch(&sinks, &metrics, &mut pending, &mut flushes).await;
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

/// Writes everything pending as one batch and answers whoever waits.
async fn write_batch(
    sinks: &Arc<Mutex<Sinks>>,
    metrics: &Arc<Metrics>,
    pending: &mut Vec<Pending>,
    flushes: &mut Vec<oneshot::Sender<bool>>,
) {
    if pending.is_empty() {
        for flush in flushes.drain(..) {
            let _ = flush.send(true);
        }
        return;
    }
    // The events go to the blocking pool and come back with the outcome: the write and the
    // fsync must not stall the runtime's threads.
    let events: Vec<Box<Event>> = pending.iter().map(|p| p.event.clone()).collect();
    let sinks_for_batch = sinks.clone();
    let metrics_for_batch = metrics.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let refs: Vec<&Event> = events.iter().map(|e| e.as_ref()).collect();
        match sinks_for_batch.lock() {
            Ok(mut sinks) => sinks
                .write(&refs, &metrics_for_batch)
                .map_err(|e| (sinks.primary.describe(), e)),
            Err(_) => Err((
                "audit".to_owned(),
                std::io::Error::other("the audit writer panicked"),
            )),
        }
    })
    .await
    .unwrap_or_else(|_| {
        Err((
            "audit".to_owned(),
            std::io::Error::other("the audit writer panicked"),
        ))
    });
    match outcome {
        Ok(()) => {
            metrics
                .events_total
                .fetch_add(pending.len() as u64, Ordering::Relaxed);
            for done in pending.drain(..) {
                if let Some(reply) = done.reply {
                    let _ = reply.send(true);
                }
            }
            for flush in flushes.drain(..) {
                let _ = flush.send(true);
            }
        }
        Err((sink, error)) => {
            metrics.write_failures_total.fetch_add(1, Ordering::Relaxed);
            let mut refused = 0;
            for waiting in pending.iter_mut() {
                if let Some(reply) = waiting.reply.take() {
                    // The request will answer an internal error instead of its secret: its
                    // event, written later, says so.
                    waiting.event.refuse();
                    let _ = reply.send(false);
                    refused += 1;
                }
            }
            metrics
                .refused_requests_total
                .fetch_add(refused, Ordering::Relaxed);
            tracing::error!(sink, error = %error, events = pending.len(), refused, "cannot write the audit trail; requests that return secrets are refused until it can be written");
            for flush in flushes.drain(..) {
                let _ = flush.send(false);
            }
        }
    }
    metrics
        .pending_events
        .store(pending.len() as u64, Ordering::Relaxed);
}
