//! The audit trail: one CloudTrail-shaped event per API call (allowed or denied, successful
//! or failed, authentication failures included) and per background action, written as JSON
//! lines with a keyed hash chain.
//!
//! - [`event`]: the event's shape. [`redact`]: request parameters and response elements
//!   without secret material. [`call`]: the one place the HTTP layer hands a request and its
//!   response over ([`Call`], [`Audit::finish`]).
//! - [`writer`]: the group-commit task; [`sink`]: the file (rotation, fsync) and stdout.
//! - [`chain`]: the keyed hash chain and `verify`; [`search`]: `coffer admin audit search`.
//!
//! **Fail-closed.** By default ([`FailClosed::All`], `coffer serve`), a response that carries
//! secret material (GetSecretValue, BatchGetSecretValue, GetRandomPassword, CreateAccessKey,
//! AssumeRole) and the successful answer of every call that changes state (every Secrets
//! Manager and IAM write, AssumeRole) leave only after their event is durably written; if it
//! cannot be, the client gets the service's internal error instead and the event records
//! that. A write has then already committed: its event keeps its result (see ARCHITECTURE.md).

pub mod call;
pub mod chain;
pub mod event;
pub mod redact;
pub mod search;
pub mod sink;
pub mod writer;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use coffer_core::clock::Clock;
use tokio::sync::oneshot;

pub use call::{AnsweredError, Call};
pub use event::Event;
pub use sink::{FileSink, Sink, StdoutSink};
pub use writer::Metrics;

use writer::{Entry, Message};

/// Where the trail goes and how strictly, as the configuration says.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// The JSON-lines file, if any.
    pub file: Option<PathBuf>,
    /// Rotate the file once it would pass this size (0: never).
    pub max_bytes: u64,
    /// Also write every line to stdout.
    pub stdout: bool,
    /// Which responses wait until their event is durable.
    pub fail_closed: FailClosed,
    /// Delete the oldest rotated files while they hold more than this many bytes (0: keep).
    pub retain_bytes: u64,
    /// Delete rotated files last written more than this many days ago (0: keep).
    pub retain_days: u64,
    /// The most bytes of events kept in memory waiting for the file; events beyond are
    /// dropped (and requests waiting for them refused).
    pub queue_max_bytes: usize,
}

/// The default bound of the events waiting in memory for the audit file: 64 MiB, some
/// 90,000 typical events, minutes of a busy node's calls.
pub const DEFAULT_QUEUE_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Which calls are answered only once their audit event is durable (`audit_fail_closed`).
/// The others are answered at once and their events written behind them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailClosed {
    /// None (dev mode's default).
    #[default]
    Off,
    /// Successful responses that carry secret material only (coffer's behaviour before
    /// writes were covered).
    Secrets,
    /// Those and the successful answer of every call that changes state (the default).
    All,
}

impl FailClosed {
    /// Whether a successful response of a call must wait for its event: `secrets` when it
    /// carries secret material, `read_only` when it changes nothing.
    pub fn withholds(self, secrets: bool, read_only: bool) -> bool {
        match self {
            Self::Off => false,
            Self::Secrets => secrets,
            Self::All => secrets || !read_only,
        }
    }
}

/// `true` and `false` (the key's original boolean form: `true` now means `all`) or one of
/// `"all"`, `"secrets"`, `"off"`.
impl<'de> serde::Deserialize<'de> for FailClosed {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = FailClosed;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(r#"true, false, "all", "secrets" or "off""#)
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<FailClosed, E> {
                Ok(if v { FailClosed::All } else { FailClosed::Off })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FailClosed, E> {
                match v {
                    "all" | "true" => Ok(FailClosed::All),
                    "secrets" => Ok(FailClosed::Secrets),
                    "off" | "false" => Ok(FailClosed::Off),
                    other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The handle requests and jobs record through. Cloning is cheap; a disabled trail (dev mode
/// with no sink configured) records nothing and costs nothing.
#[derive(Clone)]
pub struct Audit {
    inner: Option<Arc<Inner>>,
    clock: Arc<dyn Clock>,
}

struct Inner {
    tx: tokio::sync::mpsc::Sender<Message>,
    fail_closed: FailClosed,
    metrics: Arc<Metrics>,
    /// Hears when the writer thread has stopped.
    stopped: Mutex<Option<oneshot::Receiver<()>>>,
    /// The chain's last durably written digest.
    heads: tokio::sync::watch::Receiver<String>,
}

impl Audit {
    /// A trail that records nothing.
    pub fn disabled(clock: Arc<dyn Clock>) -> Self {
        Self { inner: None, clock }
    }

    /// Opens the sinks `settings` name and starts the writer thread, which links events under
    /// `key` (`Keyring::audit_chain_key`). With neither a file nor stdout the trail is disabled.
    pub fn open(
        settings: &AuditSettings,
        key: chain::ChainKey,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<Self> {
        let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
        if let Some(path) = &settings.file {
            let retention = sink::Retention {
                max_bytes: settings.retain_bytes,
                max_age: std::time::Duration::from_secs(
                    settings.retain_days.saturating_mul(86_400),
                ),
            };
            sinks.push(Box::new(FileSink::open_retained(
                path,
                settings.max_bytes,
                retention,
            )?));
        }
        if settings.stdout {
            sinks.push(Box::new(StdoutSink));
        }
        if sinks.is_empty() {
            return Ok(Self::disabled(clock));
        }
        let primary = sinks.remove(0);
        Self::with_queue(
            primary,
            sinks,
            settings.fail_closed,
            settings.queue_max_bytes,
            key,
            clock,
        )
    }

    /// A trail on sinks of the caller's: `primary` decides durability (and fail-closed
    /// refusals); `mirrors` get every batch after it, best effort. This is how a test puts a
    /// sink that fails on demand in place of the file.
    pub fn with_sinks(
        primary: Box<dyn Sink>,
        mirrors: Vec<Box<dyn Sink>>,
        fail_closed: FailClosed,
        key: chain::ChainKey,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<Self> {
        Self::with_queue(
            primary,
            mirrors,
            fail_closed,
            DEFAULT_QUEUE_MAX_BYTES,
            key,
            clock,
        )
    }

    /// [`Audit::with_sinks`] with the queue's bound (`audit_queue_max_bytes`) given.
    pub fn with_queue(
        primary: Box<dyn Sink>,
        mirrors: Vec<Box<dyn Sink>>,
        fail_closed: FailClosed,
        queue_max_bytes: usize,
        key: chain::ChainKey,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<Self> {
        let metrics = Arc::new(Metrics::default());
        let (tx, stopped, heads) =
            writer::spawn(primary, mirrors, metrics.clone(), queue_max_bytes, key)?;
        Ok(Self {
            inner: Some(Arc::new(Inner {
                tx,
                fail_closed,
                metrics,
                stopped: Mutex::new(Some(stopped)),
                heads,
            })),
            clock,
        })
    }

    /// The chain's digest after each durable batch (`None` for a disabled trail). The
    /// receiver closes when the writer stops.
    pub fn heads(&self) -> Option<tokio::sync::watch::Receiver<String>> {
        self.inner.as_ref().map(|inner| inner.heads.clone())
    }

    /// Whether anything is recorded.
    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Which responses wait for their event to be durable.
    pub fn fail_closed(&self) -> FailClosed {
        self.inner
            .as_ref()
            .map_or(FailClosed::Off, |inner| inner.fail_closed)
    }

    /// The time events are stamped with (the service's clock).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Queues an event; it is written with the next batch, and nobody waits for it.
    pub async fn record(&self, event: Event) {
        if let Some(inner) = &self.inner {
            match Entry::new(event, None) {
                // An error means the writer has stopped (the server is shutting down).
                Ok(entry) => {
                    let _ = inner.tx.send(Message::Event(entry)).await;
                }
                Err(e) => tracing::error!(error = %e, "cannot serialize an audit event"),
            }
        }
    }

    /// Queues an event and waits until it is durably written: `true` once it is, `false` when
    /// the sink failed (the event is then kept, marked refused, and written later).
    pub async fn record_durable(&self, event: Event) -> bool {
        let Some(inner) = &self.inner else {
            return true;
        };
        let (reply, written) = oneshot::channel();
        let entry = match Entry::new(event, Some(reply)) {
            Ok(entry) => entry,
            Err(e) => {
                tracing::error!(error = %e, "cannot serialize an audit event");
                inner
                    .metrics
                    .refused_requests_total
                    .fetch_add(1, Ordering::Relaxed);
                return false;
            }
        };
        if inner.tx.send(Message::Event(entry)).await.is_err() {
            inner
                .metrics
                .refused_requests_total
                .fetch_add(1, Ordering::Relaxed);
            return false;
        }
        written.await.unwrap_or(false)
    }

    /// Waits until every event queued before this call is durably written (`true`), or the
    /// sink failed to write them (`false`).
    pub async fn flush(&self) -> bool {
        let Some(inner) = &self.inner else {
            return true;
        };
        let (reply, done) = oneshot::channel();
        if inner.tx.send(Message::Flush(reply)).await.is_err() {
            return false;
        }
        done.await.unwrap_or(false)
    }

    /// Writes what is queued and stops the writer; later events are dropped.
    pub async fn close(&self) {
        let Some(inner) = &self.inner else {
            return;
        };
        let (reply, done) = oneshot::channel();
        if inner.tx.send(Message::Close(reply)).await.is_ok() {
            let _ = done.await;
        }
        let stopped = inner.stopped.lock().ok().and_then(|mut s| s.take());
        if let Some(stopped) = stopped {
            let _ = stopped.await;
        }
    }

    /// How many events (and flushes) wait in the queue for the writer to take them: the next
    /// batch, when the writer is busy with one.
    pub fn queued(&self) -> usize {
        self.inner
            .as_ref()
            .map_or(0, |inner| inner.tx.max_capacity() - inner.tx.capacity())
    }

    /// The trail's counters (all zero for a disabled trail).
    pub fn metrics(&self) -> Arc<Metrics> {
        self.inner.as_ref().map_or_else(
            || Arc::new(Metrics::default()),
            |inner| inner.metrics.clone(),
        )
    }

    /// Records a rotation's service event (see [`Event::rotation_event`]).
    pub async fn rotation_event(
        &self,
        name: &str,
        arn: &str,
        version_id: &str,
        error: Option<&str>,
    ) {
        if self.enabled() {
            self.record(Event::rotation_event(
                name,
                arn,
                version_id,
                error,
                self.now(),
            ))
            .await;
        }
    }

    /// Records the end of a secret's deletion by the purge job.
    pub async fn secret_purged(&self, arn: &str) {
        if self.enabled() {
            self.record(Event::end_secret_version_delete(arn, self.now()))
                .await;
        }
    }
}

/// The name a node's audit trail is known by in the store (`Store::put_audit_head`):
/// `<host name>:<canonical path of the audit file>`, so that the nodes of one PostgreSQL
/// database keep a head each, and `coffer admin audit verify` on the same host finds it.
pub fn trail_name(file: &std::path::Path) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_owned());
    format!("{host}:{}", path.display())
}

/// Records the chain's head in the store after every durable batch (the latest one when
/// several came while a write was under way), until the writer stops; then the last one.
/// The head may lag the file by the batches of one store write, never lead it.
pub async fn record_heads(audit: Audit, store: Arc<dyn coffer_core::store::Store>, trail: String) {
    let Some(mut heads) = audit.heads() else {
        return;
    };
    let mut recorded = heads.borrow_and_update().clone();
    loop {
        let open = heads.changed().await.is_ok();
        let digest = heads.borrow_and_update().clone();
        if digest != recorded {
            let head = coffer_core::store::AuditHead {
                trail: trail.clone(),
                digest: digest.clone(),
                updated: audit.now(),
            };
            match store.put_audit_head(&head).await {
                Ok(()) => recorded = digest,
                Err(e) => {
                    tracing::error!(error = %e, "cannot record the audit chain's head in the database")
                }
            }
        }
        if !open {
            break;
        }
    }
}
