//! Group commit: one task owns the writer connection and runs every write, many per
//! transaction.
//!
//! A write is a job; the task starts a transaction (`BEGIN IMMEDIATE`), runs each queued job
//! inside its own `SAVEPOINT` (so a failing job rolls back alone), and commits when the queue is
//! empty or the batch is full. Each job's caller learns its result only after that `COMMIT`
//! returned: with `synchronous=FULL` the WAL is fsynced then, so nothing is acknowledged before
//! it is durable, and one fsync covers every write of the batch. While a batch commits, the next
//! writers queue up and form the next batch: the busier the server, the larger the batches.
//!
//! A job that fails is rolled back alone, but its caller also hears back only after the batch
//! committed: its failure may rest on what an earlier job of the batch wrote.
//!
//! Jobs own what they need (they are `'static`) and borrow the connection only while they run,
//! so a caller that goes away (a client that hangs up) cannot leave a transaction open: the
//! task always finishes the job it started.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use coffer_core::error::{Error, Result};
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot};

/// The largest number of jobs in one transaction: bounds the latency a batch adds.
const MAX_BATCH: usize = 256;

/// A boxed future that owns its data.
pub(super) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The work of a job: it gets the writer connection (inside an open transaction) and hands it
/// back with its result.
type Work = Box<
    dyn FnOnce(PoolConnection<Sqlite>) -> BoxFuture<(PoolConnection<Sqlite>, Result<()>)> + Send,
>;

struct Job {
    work: Work,
    done: oneshot::Sender<Result<()>>,
}

/// What the writer calls whenever something it ran is undone (a job rolled back to its
/// savepoint, a batch rolled back or not committed) and before every job that is not an
/// update: the store then forgets the records it remembers as written (`super::Remembered`).
pub(super) type Forget = Arc<dyn Fn() + Send + Sync>;

/// The handle writers submit jobs through.
#[derive(Clone)]
pub(super) struct Writer {
    queue: mpsc::UnboundedSender<Job>,
    forget: Forget,
}

/// Why a commit failed, for every job of the batch.
#[derive(Debug, thiserror::Error)]
#[error("commit failed: {0}")]
struct CommitFailed(String);

fn writer_stopped() -> Error {
    Error::Internal("the store's writer task has stopped".into())
}

impl Writer {
    /// Starts the writer task over `pool` (a pool of one connection).
    pub(super) fn start(pool: SqlitePool, forget: Forget) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, jobs, forget.clone()));
        Self { queue, forget }
    }

    /// Queues `work` now and returns a receiver for its durable result (after the commit).
    /// `work` must hand the connection back; its output travels through a channel it owns.
    /// Unlike [`Writer::write`], this does not forget the remembered records: `work` must keep
    /// them true itself (only `update_secret` submits this way).
    pub(super) fn submit<F, Fut>(&self, work: F) -> Result<oneshot::Receiver<Result<()>>>
    where
        F: FnOnce(PoolConnection<Sqlite>) -> Fut + Send + 'static,
        Fut: Future<Output = (PoolConnection<Sqlite>, Result<()>)> + Send + 'static,
    {
        let (done, receiver) = oneshot::channel();
        let job = Job {
            work: Box::new(move |conn| Box::pin(work(conn))),
            done,
        };
        self.queue.send(job).map_err(|_| writer_stopped())?;
        Ok(receiver)
    }

    /// Runs `work` in the next batch and returns its output once it is durable. The records
    /// the store remembers as written are forgotten first: `work` may change any of them.
    pub(super) async fn write<T, F, Fut>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(PoolConnection<Sqlite>) -> Fut + Send + 'static,
        Fut: Future<Output = (PoolConnection<Sqlite>, Result<T>)> + Send + 'static,
    {
        let (output, receive) = oneshot::channel();
        let forget = self.forget.clone();
        let done = self.submit(move |conn| async move {
            forget();
            let (conn, result) = work(conn).await;
            let result = result.map(|value| {
                let _ = output.send(value);
            });
            (conn, result)
        })?;
        done.await.map_err(|_| writer_stopped())??;
        receive.await.map_err(|_| writer_stopped())
    }
}

async fn execute(
    conn: &mut PoolConnection<Sqlite>,
    sql: &'static str,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(sql).execute(&mut **conn).await.map(|_| ())
}

/// The writer task: batches until every handle is dropped.
async fn run(pool: SqlitePool, mut jobs: mpsc::UnboundedReceiver<Job>, forget: Forget) {
    while let Some(first) = jobs.recv().await {
        let mut conn = match pool.acquire().await {
            Ok(conn) => conn,
            Err(e) => {
                let _ = first.done.send(Err(Error::Store(Box::new(e))));
                continue;
            }
        };
        if let Err(e) = execute(&mut conn, "BEGIN IMMEDIATE").await {
            let _ = first.done.send(Err(Error::Store(Box::new(e))));
            continue;
        }
        let mut members: Vec<oneshot::Sender<Result<()>>> = Vec::new();
        // A job that failed may have failed because of what an earlier job of this batch wrote
        // (a name just taken, say). Its caller may act on that answer at once, reading through
        // another connection, so it too hears back only once the batch is committed.
        let mut failed: Vec<(oneshot::Sender<Result<()>>, Error)> = Vec::new();
        let mut next = Some(first);
        let mut broken = None;
        while let Some(job) = next.take() {
            if let Err(e) = execute(&mut conn, "SAVEPOINT job").await {
                let _ = job.done.send(Err(Error::Store(Box::new(e))));
                broken = Some("savepoint failed".to_owned());
                break;
            }
            let (returned, result) = (job.work)(conn).await;
            conn = returned;
            match result {
                Ok(()) => match execute(&mut conn, "RELEASE job").await {
                    Ok(()) => members.push(job.done),
                    Err(e) => {
                        let _ = job.done.send(Err(Error::Store(Box::new(e))));
                        broken = Some("release failed".to_owned());
                        break;
                    }
                },
                Err(error) => {
                    // Undo this job only; the batch goes on.
                    forget();
                    let undone = async {
                        execute(&mut conn, "ROLLBACK TO job").await?;
                        execute(&mut conn, "RELEASE job").await
                    }
                    .await;
                    failed.push((job.done, error));
                    if undone.is_err() {
                        broken = Some("rollback to savepoint failed".to_owned());
                        break;
                    }
                }
            }
            if members.len() < MAX_BATCH {
                next = jobs.try_recv().ok();
            }
        }
        let outcome = match broken {
            Some(why) => {
                let _ = execute(&mut conn, "ROLLBACK").await;
                Err(why)
            }
            None => execute(&mut conn, "COMMIT")
                .await
                .map_err(|e| e.to_string()),
        };
        if outcome.is_err() {
            // Nothing of the batch was written.
            forget();
            // Whatever state the connection is in, do not hand it to the next batch.
            conn.close_on_drop();
        }
        drop(conn);
        let commit_failed = |why: &String| Error::Store(Box::new(CommitFailed(why.clone())));
        for member in members {
            let _ = member.send(outcome.as_ref().map(|_| ()).map_err(commit_failed));
        }
        for (member, error) in failed {
            // If the batch did not commit, the state the job saw never existed.
            let _ = member.send(match &outcome {
                Ok(()) => Err(error),
                Err(why) => Err(commit_failed(why)),
            });
        }
    }
}
