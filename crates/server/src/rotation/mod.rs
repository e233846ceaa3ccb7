//! Rotation in the server: the functions the operator configured ([`functions`]), the
//! invokers ([`lambda_http`], [`builtin`]), the driver that runs a claimed run's steps, and the
//! scheduler every node runs (docs/rotation.md).
//!
//! The driver never holds a store transaction while a function runs: it claims the run (one
//! short transaction that bumps the run's fence and sets a lease), invokes a step, records it
//! (fenced), and so on. A node that dies mid-run leaves a lease that runs out; the next node
//! to claim it resumes at the recorded step with a higher fence, and whatever the dead node
//! would still write is refused by the fence.

pub mod builtin;
pub mod builtin_postgres;
pub mod functions;
pub mod lambda_http;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use coffer_core::names::{Candidate, Scope};
use coffer_core::rotation::{RunMode, Step};
use coffer_core::service::{
    Claim, FailOutcome, FinishOutcome, RetryPolicy, RotationObserver, Service,
};

use crate::audit::Audit;
use functions::{Function, Functions, Target};

/// How rotation runs in this server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Run RotateSecret's rotation to its end before answering, and end a run at its first
    /// failed step (dev mode's default).
    pub synchronous: bool,
    /// How long a claim lasts without renewal (renewed after every step).
    pub lease: chrono::Duration,
    /// Retries and reattempts.
    pub retry: RetryPolicy,
    /// Most runs one scheduler tick drives at once on this node.
    pub concurrency: usize,
    /// Where a notice of each final failure is POSTed (`http://host:port/path`), if anywhere.
    pub notify_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            synchronous: false,
            lease: chrono::Duration::minutes(5),
            retry: RetryPolicy::default(),
            concurrency: 8,
            notify_url: None,
        }
    }
}

/// Runs by outcome, for `coffer_rotation_runs_total{outcome}`.
#[derive(Debug, Default)]
pub struct RotationCounters {
    /// Runs that succeeded.
    pub succeeded: AtomicU64,
    /// Attempts that failed and will be retried.
    pub retrying: AtomicU64,
    /// Runs whose attempts were spent.
    pub failed: AtomicU64,
    /// Runs a write abandoned.
    pub abandoned: AtomicU64,
    /// Claims refused by the fence (another node took the run over).
    pub fenced: AtomicU64,
}

/// The rotation engine of one node.
pub struct Rotation {
    service: Arc<Service>,
    functions: Functions,
    settings: Settings,
    /// This node's name in leases.
    node: String,
    audit: Audit,
    /// Runs by outcome.
    pub counters: Arc<RotationCounters>,
    /// Runs driven in the background now (RotateSecret's, outside synchronous mode).
    background: tokio::sync::watch::Sender<usize>,
}

/// How a run's drive ended on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Driven {
    /// The run succeeded.
    Succeeded,
    /// A step failed; the run waits for a retry.
    Retrying,
    /// The run failed for good (until reattempted).
    Failed(String),
    /// Another node claimed it, or the run ended meanwhile.
    Fenced,
    /// There was nothing to claim.
    Nothing,
}

/// Writes `RotationAbandoned` when a write ends a pending rotation.
struct AbandonObserver {
    audit: Audit,
    counters: Arc<RotationCounters>,
}

impl RotationObserver for AbandonObserver {
    fn abandoned(&self, secret_arn: &str, token: &str) {
        self.counters.abandoned.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            secret = secret_arn,
            version = token,
            "rotation abandoned by a new value"
        );
        let audit = self.audit.clone();
        let (arn, token) = (secret_arn.to_owned(), token.to_owned());
        tokio::spawn(async move {
            audit
                .rotation_event("RotationAbandoned", &arn, &token, None)
                .await;
        });
    }
}

impl Rotation {
    /// The engine, registered with the service as the observer of abandoned rotations.
    pub fn new(
        service: Arc<Service>,
        functions: Functions,
        settings: Settings,
        audit: Audit,
    ) -> Arc<Self> {
        let counters = Arc::new(RotationCounters::default());
        service.set_rotation_observer(Arc::new(AbandonObserver {
            audit: audit.clone(),
            counters: counters.clone(),
        }));
        // A claim must outlast the longest step: the lease is renewed only between steps.
        let longest = functions.longest_timeout();
        let mut settings = settings;
        let floor = chrono::Duration::from_std(longest * 2).unwrap_or(settings.lease);
        settings.lease = settings.lease.max(floor);
        Arc::new(Self {
            service,
            functions,
            settings,
            node: uuid::Uuid::new_v4().to_string(),
            audit,
            counters,
            background: tokio::sync::watch::channel(0).0,
        })
    }

    /// Whether coffer can invoke the function an ARN names (the operator configured it).
    pub fn invocable(&self, arn: &str) -> bool {
        self.functions.get(arn).is_some()
    }

    /// Whether RotateSecret waits for its run.
    pub fn synchronous(&self) -> bool {
        self.settings.synchronous
    }

    /// After a RotateSecret that queued a run: drives it now, to its end in synchronous mode,
    /// else in the background.
    pub async fn start(self: &Arc<Self>, scope: Scope, candidate: Candidate) {
        if self.settings.synchronous {
            self.claim_and_drive(&scope, &candidate).await;
        } else {
            let this = self.clone();
            self.background.send_modify(|n| *n += 1);
            tokio::spawn(async move {
                this.claim_and_drive(&scope, &candidate).await;
                this.background.send_modify(|n| *n -= 1);
            });
        }
    }

    /// Waits until no run RotateSecret started is being driven in the background (tests, and
    /// a shutdown that wants them finished).
    pub async fn wait_idle(&self) {
        let mut watch = self.background.subscribe();
        let _ = watch.wait_for(|n| *n == 0).await;
    }

    /// Claims the secret's run if it is due, and drives it.
    pub async fn claim_and_drive(&self, scope: &Scope, candidate: &Candidate) -> Driven {
        let claim = match self
            .service
            .rotation_claim(scope, candidate, &self.node, self.settings.lease)
            .await
        {
            Ok(Some(claim)) => claim,
            Ok(None) => return Driven::Nothing,
            Err(e) => {
                tracing::error!(error = %e, "rotation claim failed");
                return Driven::Nothing;
            }
        };
        self.drive(claim).await
    }

    /// One scheduler tick: every secret whose rotation is due is claimed and driven, at most
    /// `concurrency` at once. Returns how each went.
    pub async fn tick(&self) -> Vec<Driven> {
        let due = match self
            .service
            .store()
            .rotation_due(self.service.now(), 1000)
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "rotation scheduler cannot read due secrets");
                return Vec::new();
            }
        };
        let mut outcomes = Vec::with_capacity(due.len());
        for chunk in due.chunks(self.settings.concurrency.max(1)) {
            let runs = chunk
                .iter()
                .map(|(scope, candidate)| self.claim_and_drive(scope, candidate));
            outcomes.extend(join_all(runs).await);
        }
        outcomes
    }

    /// Drives a claimed run from its next step to its end, or to its first failure.
    async fn drive(&self, claim: Claim) -> Driven {
        let Some(function) = self.functions.get(&claim.lambda_arn).cloned() else {
            // The configuration lost the function since RotateSecret: a failure like any.
            return self
                .failed(
                    &claim,
                    "Secrets Manager cannot invoke the specified Lambda function.",
                )
                .await;
        };
        self.audit
            .rotation_event("RotationStarted", &claim.secret_arn, &claim.token, None)
            .await;
        if claim.mode == RunMode::Test {
            match self.service.rotation_prepare_test(&claim).await {
                Ok(true) => {}
                Ok(false) => return self.fenced(),
                Err(e) => return self.failed(&claim, &format!("{e}")).await,
            }
        }
        let steps: Vec<Step> = match claim.mode {
            RunMode::Rotate => Step::ALL
                .into_iter()
                .filter(|s| *s >= claim.next_step)
                .collect(),
            RunMode::Test => vec![Step::TestSecret],
        };
        for step in steps {
            if let Err(error) = self.invoke(&function, &claim, step).await {
                tracing::warn!(secret = %claim.secret_arn, step = step.as_str(), %error, "rotation step failed");
                return self
                    .failed(&claim, &format!("{}: {error}", step.as_str()))
                    .await;
            }
            if step != Step::FinishSecret && claim.mode == RunMode::Rotate {
                match self
                    .service
                    .rotation_step_done(&claim, step, self.settings.lease)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => return self.fenced(),
                    Err(e) => return self.failed(&claim, &format!("{e}")).await,
                }
            }
        }
        match self.service.rotation_finish(&claim).await {
            Ok(FinishOutcome::Succeeded) => {
                self.counters.succeeded.fetch_add(1, Ordering::Relaxed);
                self.audit
                    .rotation_event("RotationSucceeded", &claim.secret_arn, &claim.token, None)
                    .await;
                Driven::Succeeded
            }
            Ok(FinishOutcome::NotCurrent(message)) => self.failed(&claim, &message).await,
            Ok(FinishOutcome::Fenced) => self.fenced(),
            Err(e) => self.failed(&claim, &format!("{e}")).await,
        }
    }

    fn fenced(&self) -> Driven {
        self.counters.fenced.fetch_add(1, Ordering::Relaxed);
        Driven::Fenced
    }

    /// Records a failed attempt: a retry later, or (synchronous mode, attempts spent) failure.
    async fn failed(&self, claim: &Claim, error: &str) -> Driven {
        match self
            .service
            .rotation_fail(
                claim,
                error,
                &self.settings.retry,
                self.settings.synchronous,
            )
            .await
        {
            Ok(FailOutcome::Retrying(_)) => {
                self.counters.retrying.fetch_add(1, Ordering::Relaxed);
                Driven::Retrying
            }
            Ok(FailOutcome::Failed) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                self.audit
                    .rotation_event(
                        "RotationFailed",
                        &claim.secret_arn,
                        &claim.token,
                        Some(error),
                    )
                    .await;
                self.notify(claim, error).await;
                Driven::Failed(error.to_owned())
            }
            Ok(FailOutcome::Fenced) => self.fenced(),
            Err(e) => {
                tracing::error!(error = %e, "cannot record a rotation failure");
                Driven::Failed(error.to_owned())
            }
        }
    }

    /// POSTs the final-failure notice to `notify_url`, if configured: the secret's ARN, the
    /// version, the attempt and the error (never a value). A notice that cannot be delivered is
    /// logged; the run's state and the audit trail hold the failure regardless.
    async fn notify(&self, claim: &Claim, error: &str) {
        let Some(url) = &self.settings.notify_url else {
            return;
        };
        let Some((authority, path)) =
            url.strip_prefix("http://")
                .map(|rest| match rest.find('/') {
                    Some(i) => (&rest[..i], &rest[i..]),
                    None => (rest, "/"),
                })
        else {
            return;
        };
        let notice = Notice {
            event: "RotationFailed",
            secret_arn: &claim.secret_arn,
            version_id: &claim.token,
            attempt: claim.attempt,
            error,
        };
        let Ok(body) = serde_json::to_vec(&notice) else {
            return;
        };
        let sent = tokio::time::timeout(
            Duration::from_secs(10),
            lambda_http::post(authority, path, body),
        )
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            tracing::warn!(secret = %claim.secret_arn, "the rotation failure notice could not be delivered");
        }
    }

    /// Invokes one step.
    async fn invoke(&self, function: &Function, claim: &Claim, step: Step) -> Result<(), String> {
        match &function.target {
            Target::LambdaHttp { authority, path } => {
                let event = lambda_http::Event {
                    step: step.as_str(),
                    secret_id: &claim.secret_arn,
                    client_request_token: &claim.token,
                    rotation_token: claim.rotation_token.as_str(),
                };
                lambda_http::invoke(authority, path, &event, function.timeout).await
            }
            Target::Builtin(builtin) => {
                match tokio::time::timeout(
                    function.timeout,
                    builtin::run(&self.service, *builtin, claim, step),
                )
                .await
                {
                    Ok(result) => result,
                    Err(_) => Err("the built-in rotator did not finish in time".to_owned()),
                }
            }
        }
    }
}

/// The final-failure notice POSTed to `rotation_notify_url`.
#[derive(serde::Serialize)]
struct Notice<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "SecretARN")]
    secret_arn: &'a str,
    #[serde(rename = "VersionId")]
    version_id: &'a str,
    #[serde(rename = "Attempt")]
    attempt: u32,
    #[serde(rename = "Error")]
    error: &'a str,
}

/// One secret's rotation as operators see it (`coffer admin rotation list`, the gauges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEntry {
    /// The secret's ARN.
    pub arn: String,
    /// RotationEnabled.
    pub enabled: bool,
    /// The run's state (`queued`, `running`, `retry_wait`, `failed`), if a run exists.
    pub run_state: Option<&'static str>,
    /// The run's attempts so far.
    pub attempt: u32,
    /// NextRotationDate.
    pub next_rotation: Option<chrono::DateTime<chrono::Utc>>,
    /// LastRotatedDate.
    pub last_rotated: Option<chrono::DateTime<chrono::Utc>>,
    /// The last failure the run recorded.
    pub last_error: Option<String>,
    /// Enabled, and its NextRotationDate has passed.
    pub overdue: bool,
    /// Its run waits for a retry or has failed.
    pub failing: bool,
}

/// Every secret whose rotation was ever configured, as of `now`.
pub async fn report(
    store: &dyn coffer_core::store::Store,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<ReportEntry>, coffer_core::Error> {
    use coffer_core::rotation::RunState;
    let mut out = Vec::new();
    for record in store.rotating_secrets().await? {
        let Some(rotation) = &record.rotation else {
            continue;
        };
        let run = rotation.run.as_ref();
        let next_rotation = rotation.next_rotation_date();
        out.push(ReportEntry {
            arn: record.arn(),
            enabled: rotation.enabled,
            run_state: run.map(|r| r.state.as_str()),
            attempt: run.map_or(0, |r| r.attempt),
            next_rotation,
            last_rotated: rotation.last_rotated,
            last_error: run.and_then(|r| r.last_error.clone()),
            overdue: rotation.enabled && next_rotation.is_some_and(|n| n < now),
            failing: run.is_some_and(|r| matches!(r.state, RunState::RetryWait | RunState::Failed)),
        });
    }
    Ok(out)
}

impl Rotation {
    /// Writes the rotation metrics: runs by outcome, and the overdue and failing secrets now
    /// (read from the store at each scrape: one query over the secrets with rotation).
    pub async fn render(&self, out: &mut String) {
        use coffer_protocol::exposition::{self, Kind};
        let runs = "coffer_rotation_runs_total";
        exposition::family(
            out,
            runs,
            Kind::Counter,
            "Rotation runs driven by this node, by outcome.",
        );
        let c = &self.counters;
        for (outcome, counter) in [
            ("succeeded", &c.succeeded),
            ("retrying", &c.retrying),
            ("failed", &c.failed),
            ("abandoned", &c.abandoned),
            ("fenced", &c.fenced),
        ] {
            exposition::sample(
                out,
                runs,
                &format!("outcome=\"{outcome}\""),
                counter.load(Ordering::Relaxed),
            );
        }
        if let Ok(entries) = report(self.service.store().as_ref(), self.service.now()).await {
            for (name, help, count) in [
                (
                    "coffer_rotation_overdue_secrets",
                    "Secrets with rotation enabled whose NextRotationDate has passed.",
                    entries.iter().filter(|e| e.overdue).count(),
                ),
                (
                    "coffer_rotation_failing_secrets",
                    "Secrets whose rotation run waits for a retry or has failed.",
                    entries.iter().filter(|e| e.failing).count(),
                ),
            ] {
                exposition::family(out, name, Kind::Gauge, help);
                exposition::sample(out, name, "", count as u64);
            }
        }
    }
}

/// Runs futures concurrently and collects their outputs in order (tokio has no `join_all`).
async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let futures: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut pending: Vec<_> = futures.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(out) => {
                outputs[*i] = Some(out);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// The scheduler: a tick every `interval` until the task is dropped.
pub async fn rotation_loop(rotation: Arc<Rotation>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        rotation.tick().await;
    }
}
