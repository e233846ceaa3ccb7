//! Background jobs. For now one: the purge of secrets whose recovery window has ended.
//!
//! Every node runs every job; there is no leader to elect or to lose. On PostgreSQL the store
//! makes each run exclusive per item (`FOR UPDATE SKIP LOCKED`): nodes purging at the same
//! moment split the due secrets, each purged and logged by exactly one node, and when a node
//! dies the others go on at their next tick.

use std::sync::Arc;
use std::time::Duration;

use coffer_core::service::Service;

use crate::audit::Audit;
use crate::metrics::{Job, Metrics};

/// Runs the purge every `interval` until the task is dropped, counting each run's outcome in
/// `coffer_job_runs_total`.
pub async fn purge_loop(
    service: Arc<Service>,
    interval: Duration,
    audit: Audit,
    metrics: Arc<Metrics>,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let succeeded = try_purge_once(&service, &audit).await.is_ok();
        metrics.job_run(Job::Purge, succeeded);
    }
}

/// One purge run (what each tick of [`purge_loop`] does; tests call it with a manual clock):
/// each purged secret gets its `EndSecretVersionDelete` service event in the audit trail.
/// Returns the purged secrets' ARNs.
pub async fn purge_once(service: &Service, audit: &Audit) -> Vec<String> {
    try_purge_once(service, audit).await.unwrap_or_default()
}

/// [`purge_once`], telling a failed run (logged here) from one that found nothing to purge.
pub async fn try_purge_once(
    service: &Service,
    audit: &Audit,
) -> Result<Vec<String>, coffer_core::Error> {
    match service.purge_due().await {
        Ok(purged) => {
            if !purged.is_empty() {
                tracing::info!(count = purged.len(), secrets = ?purged, "purged secrets at the end of their recovery window");
            }
            for arn in &purged {
                audit.secret_purged(arn).await;
            }
            Ok(purged)
        }
        Err(e) => {
            tracing::error!(error = %e, "purge failed; will retry");
            Err(e)
        }
    }
}
