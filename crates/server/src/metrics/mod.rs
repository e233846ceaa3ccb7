//! Operator metrics, served at `GET /metrics` in the Prometheus text format: requests by
//! operation and outcome with a latency histogram, authentication failures by AWS error code,
//! store calls with their latency and failures ([`store`]), background job runs, and the audit
//! trail's own counters.
//!
//! Everything is a fixed array of relaxed atomics indexed by operation, reason or call: a request
//! pays a few increments, no lock and no allocation. Labels are only names from closed lists
//! (operations, outcomes, error codes, store calls, jobs), never a secret name, ARN, access key
//! id or value, so nothing a client sends can reach the exposition.

pub mod store;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::digest;
use coffer_protocol::exposition::{self, Kind};
use coffer_protocol::iam::IamAction;
use coffer_protocol::kms::KmsAction;
use coffer_protocol::{Action, ErrorCode, Operation, StsAction};
use subtle::ConstantTimeEq;

pub use store::{MeteredStore, StoreCall, StoreMetrics};

/// Upper bounds of every latency histogram's buckets, in seconds. They start at 100 µs because
/// a cached store read takes microseconds and a whole request well under a millisecond.
pub const BUCKETS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The request and store-call histograms, on [`BUCKETS`].
pub type Histogram = exposition::Histogram<Buckets>;

/// The bounds of the server's histograms ([`BUCKETS`]).
#[derive(Debug)]
pub struct Buckets;

impl exposition::Bounds for Buckets {
    const BOUNDS: &'static [f64] = &BUCKETS;
}

/// How many operation labels there are: every Secrets Manager operation, every IAM action,
/// every STS action, every KMS action, the web console's two calls (`ConsoleLogin`,
/// `LookupEvents`), and `Unknown` (no target, an unknown action).
const OPERATIONS: usize = Operation::ALL.len()
    + IamAction::ALL.len()
    + StsAction::ALL.len()
    + KmsAction::ALL.len()
    + 2
    + 1;

/// Which operation a request is counted under: an index into the closed list of operation
/// names, so that counting is an array access and the label is never client text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationLabel(usize);

impl OperationLabel {
    /// A request whose operation is not known (no `X-Amz-Target`, an unknown action).
    pub const UNKNOWN: OperationLabel = OperationLabel(OPERATIONS - 1);
    /// The web console's sign-in (`POST /console/api/signin`).
    pub const CONSOLE_LOGIN: OperationLabel = OperationLabel(OPERATIONS - 3);
    /// The web console's read of the audit trail (`POST /console/api/events`).
    pub const LOOKUP_EVENTS: OperationLabel = OperationLabel(OPERATIONS - 2);

    /// Any action: the Secrets Manager operations first, then the IAM actions, then STS's, then
    /// KMS's, each in its list's declaration order (`ALL`, which a unit test checks).
    pub fn of(action: Action) -> Self {
        let iam = Operation::ALL.len();
        let sts = iam + IamAction::ALL.len();
        let kms = sts + StsAction::ALL.len();
        Self(match action {
            Action::SecretsManager(operation) => operation as usize,
            Action::Iam(action) => iam + action as usize,
            Action::Sts(action) => sts + action as usize,
            Action::Kms(action) => kms + action as usize,
        })
    }

    /// A Secrets Manager operation.
    pub fn secrets_manager(operation: Operation) -> Self {
        Self::of(Action::SecretsManager(operation))
    }

    /// An IAM action.
    pub fn iam(action: IamAction) -> Self {
        Self::of(Action::Iam(action))
    }

    /// An awsQuery action by name: an IAM or STS action, or [`Self::UNKNOWN`].
    pub fn query_action(action: &str) -> Self {
        Action::from_query(action).map_or(Self::UNKNOWN, Self::of)
    }

    /// The label's value.
    pub fn name(self) -> &'static str {
        let secrets_manager = Operation::ALL.len();
        let iam = secrets_manager + IamAction::ALL.len();
        let sts = iam + StsAction::ALL.len();
        let kms = sts + KmsAction::ALL.len();
        match self.0 {
            i if i < secrets_manager => Operation::ALL[i].name(),
            i if i < iam => IamAction::ALL[i - secrets_manager].name(),
            i if i < sts => StsAction::ALL[i - iam].name(),
            i if i < kms => KmsAction::ALL[i - sts].name(),
            i if i == Self::CONSOLE_LOGIN.0 => "ConsoleLogin",
            i if i == Self::LOOKUP_EVENTS.0 => "LookupEvents",
            _ => "Unknown",
        }
    }
}

/// How a request ended, by its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Success,
    /// 4xx (and anything else below 500): the caller's mistake or a denial.
    ClientError,
    /// 5xx.
    ServerError,
}

impl Outcome {
    const ALL: [Outcome; 3] = [Outcome::Success, Outcome::ClientError, Outcome::ServerError];

    /// The outcome of a response with this status.
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=299 => Outcome::Success,
            500.. => Outcome::ServerError,
            _ => Outcome::ClientError,
        }
    }

    /// The label's value.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::ClientError => "client_error",
            Outcome::ServerError => "server_error",
        }
    }
}

/// The authentication failures counted by reason: the AWS error codes authentication answers.
/// Any other code is counted as `Other` (none is expected).
const AUTH_REASONS: [ErrorCode; 7] = [
    ErrorCode::InvalidSignatureException,
    ErrorCode::IncompleteSignatureException,
    ErrorCode::MissingAuthenticationTokenException,
    ErrorCode::UnrecognizedClientException,
    ErrorCode::ExpiredTokenException,
    ErrorCode::AccessDeniedException,
    ErrorCode::InternalServiceError,
];

/// The background jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The purge of secrets at the end of their recovery window.
    Purge,
}

impl Job {
    const ALL: [Job; 1] = [Job::Purge];

    fn name(self) -> &'static str {
        match self {
            Job::Purge => "purge",
        }
    }
}

/// One operation's counters.
#[derive(Debug, Default)]
struct OperationStats {
    outcomes: [AtomicU64; 3],
    latency: Histogram,
}

/// Every counter the server keeps (the audit trail keeps its own, rendered alongside).
#[derive(Debug)]
pub struct Metrics {
    requests: [OperationStats; OPERATIONS],
    auth_failures: [AtomicU64; AUTH_REASONS.len() + 1],
    /// Job runs, `[job][0]` succeeded and `[job][1]` failed.
    jobs: [[AtomicU64; 2]; Job::ALL.len()],
    /// The store's calls, shared with the [`MeteredStore`] that records them.
    pub store: Arc<StoreMetrics>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: std::array::from_fn(|_| OperationStats::default()),
            auth_failures: Default::default(),
            jobs: Default::default(),
            store: Arc::new(StoreMetrics::default()),
        }
    }
}

impl Metrics {
    /// Records one answered request.
    pub fn request(&self, operation: OperationLabel, status: u16, elapsed: Duration) {
        let stats = &self.requests[operation.0];
        stats.latency.observe(elapsed);
        stats.outcomes[Outcome::of_status(status) as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Records an authentication failure with its AWS error code.
    pub fn auth_failure(&self, code: ErrorCode) {
        let index = AUTH_REASONS
            .iter()
            .position(|reason| *reason == code)
            .unwrap_or(AUTH_REASONS.len());
        self.auth_failures[index].fetch_add(1, Ordering::Relaxed);
    }

    /// Records one run of a background job.
    pub fn job_run(&self, job: Job, succeeded: bool) {
        self.jobs[job as usize][usize::from(!succeeded)].fetch_add(1, Ordering::Relaxed);
    }

    /// Requests of one operation with one outcome so far.
    pub fn requests(&self, operation: OperationLabel, outcome: Outcome) -> u64 {
        self.requests[operation.0].outcomes[outcome as usize].load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of these counters, followed by `audit` (the audit
    /// trail's own rendering). Operations and store calls never used yet are left out, which
    /// keeps a scrape short (Prometheus treats an absent series as no data).
    pub fn render(&self, audit: &str) -> String {
        let mut out = String::with_capacity(8192);
        let used = || {
            self.requests
                .iter()
                .enumerate()
                .filter(|(_, stats)| stats.latency.count() > 0)
                .map(|(i, stats)| (OperationLabel(i).name(), stats))
        };
        let requests = "coffer_requests_total";
        exposition::family(
            &mut out,
            requests,
            Kind::Counter,
            "API requests answered, by operation and outcome (HTTP 2xx, 4xx, 5xx).",
        );
        for (operation, stats) in used() {
            for outcome in Outcome::ALL {
                let labels = format!("operation=\"{operation}\",outcome=\"{}\"", outcome.name());
                let count = stats.outcomes[outcome as usize].load(Ordering::Relaxed);
                exposition::sample(&mut out, requests, &labels, count);
            }
        }
        let duration = "coffer_request_duration_seconds";
        exposition::family(
            &mut out,
            duration,
            Kind::Histogram,
            "API request latency, from the request's arrival to its answer (audit included).",
        );
        for (operation, stats) in used() {
            let labels = format!("operation=\"{operation}\"");
            stats.latency.render(&mut out, duration, &labels);
        }
        let auth = "coffer_auth_failures_total";
        exposition::family(
            &mut out,
            auth,
            Kind::Counter,
            "Requests refused by authentication, by AWS error code.",
        );
        for (i, count) in self.auth_failures.iter().enumerate() {
            let reason = AUTH_REASONS.get(i).map_or("Other", |code| code.as_str());
            let labels = format!("reason=\"{reason}\"");
            exposition::sample(&mut out, auth, &labels, count.load(Ordering::Relaxed));
        }
        self.store.render(&mut out);
        let jobs = "coffer_job_runs_total";
        exposition::family(
            &mut out,
            jobs,
            Kind::Counter,
            "Background job runs, by job and outcome.",
        );
        for job in Job::ALL {
            for (outcome, count) in ["success", "failure"].iter().zip(&self.jobs[job as usize]) {
                let labels = format!("job=\"{}\",outcome=\"{outcome}\"", job.name());
                exposition::sample(&mut out, jobs, &labels, count.load(Ordering::Relaxed));
            }
        }
        out.push_str(audit);
        out
    }
}

/// Who may read `/metrics`: anyone, or holders of a bearer token. Only the token's SHA-256 is
/// kept, and a presented token is hashed and compared in constant time, so neither the token
/// nor its length shows in timing.
#[derive(Clone)]
pub struct MetricsAccess {
    token_digest: Option<[u8; 32]>,
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsAccess")
            .field("token", &self.token_digest.map(|_| "<redacted>"))
            .finish()
    }
}

impl MetricsAccess {
    /// `/metrics` open to anyone who can reach the listener.
    pub fn open() -> Self {
        Self { token_digest: None }
    }

    /// `/metrics` for holders of `token` only.
    pub fn with_token(token: &str) -> Self {
        Self {
            token_digest: Some(sha256(token.as_bytes())),
        }
    }

    /// Whether a request with this `Authorization` header value may read the metrics.
    pub fn allows(&self, authorization: Option<&[u8]>) -> bool {
        let Some(expected) = &self.token_digest else {
            return true;
        };
        let Some(given) = authorization.and_then(|value| value.strip_prefix(b"Bearer ")) else {
            return false;
        };
        bool::from(sha256(given).ct_eq(expected))
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, bytes).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_cover_every_operation_once() {
        for (i, operation) in Operation::ALL.iter().enumerate() {
            assert_eq!(*operation as usize, i);
            assert_eq!(
                OperationLabel::secrets_manager(*operation).name(),
                operation.name()
            );
        }
        for action in IamAction::ALL {
            assert_eq!(OperationLabel::iam(action).name(), action.name());
            assert_eq!(
                OperationLabel::query_action(action.name()),
                OperationLabel::iam(action)
            );
        }
        assert_eq!(
            OperationLabel::query_action("AssumeRole").name(),
            "AssumeRole"
        );
        assert_eq!(
            OperationLabel::query_action("GetCallerIdentity").name(),
            "GetCallerIdentity"
        );
        assert_eq!(
            OperationLabel::query_action("NoSuchAction"),
            OperationLabel::UNKNOWN
        );
        assert_eq!(OperationLabel::UNKNOWN.name(), "Unknown");
        assert_eq!(OperationLabel::CONSOLE_LOGIN.name(), "ConsoleLogin");
        assert_eq!(OperationLabel::LOOKUP_EVENTS.name(), "LookupEvents");
    }

    #[test]
    fn render_writes_counters_and_cumulative_buckets() {
        let metrics = Metrics::default();
        let get = OperationLabel::secrets_manager(Operation::GetSecretValue);
        metrics.request(get, 200, Duration::from_micros(80));
        metrics.request(get, 200, Duration::from_millis(3));
        metrics.request(get, 400, Duration::from_secs(10));
        metrics.request(OperationLabel::UNKNOWN, 503, Duration::from_millis(1));
        metrics.auth_failure(ErrorCode::InvalidSignatureException);
        metrics.auth_failure(ErrorCode::ResourceNotFoundException);
        metrics.job_run(Job::Purge, true);
        metrics.job_run(Job::Purge, false);
        metrics.job_run(Job::Purge, false);
        metrics
            .store
            .record(StoreCall::FindSecret, Duration::from_micros(300), true);
        let text = metrics.render("coffer_audit_events_total 7\n");
        let lines: Vec<&str> = text.lines().collect();
        for expected in [
            "# TYPE coffer_requests_total counter",
            r#"coffer_requests_total{operation="GetSecretValue",outcome="success"} 2"#,
            r#"coffer_requests_total{operation="GetSecretValue",outcome="client_error"} 1"#,
            r#"coffer_requests_total{operation="GetSecretValue",outcome="server_error"} 0"#,
            r#"coffer_requests_total{operation="Unknown",outcome="server_error"} 1"#,
            "# TYPE coffer_request_duration_seconds histogram",
            r#"coffer_request_duration_seconds_bucket{operation="GetSecretValue",le="0.0001"} 1"#,
            r#"coffer_request_duration_seconds_bucket{operation="GetSecretValue",le="0.0025"} 1"#,
            r#"coffer_request_duration_seconds_bucket{operation="GetSecretValue",le="0.005"} 2"#,
            r#"coffer_request_duration_seconds_bucket{operation="GetSecretValue",le="5"} 2"#,
            r#"coffer_request_duration_seconds_bucket{operation="GetSecretValue",le="+Inf"} 3"#,
            r#"coffer_request_duration_seconds_sum{operation="GetSecretValue"} 10.00308"#,
            r#"coffer_request_duration_seconds_count{operation="GetSecretValue"} 3"#,
            r#"coffer_auth_failures_total{reason="InvalidSignatureException"} 1"#,
            r#"coffer_auth_failures_total{reason="ExpiredTokenException"} 0"#,
            r#"coffer_auth_failures_total{reason="Other"} 1"#,
            r#"coffer_store_duration_seconds_count{call="find_secret"} 1"#,
            r#"coffer_store_errors_total{call="find_secret"} 1"#,
            r#"coffer_job_runs_total{job="purge",outcome="success"} 1"#,
            r#"coffer_job_runs_total{job="purge",outcome="failure"} 2"#,
            "coffer_audit_events_total 7",
        ] {
            assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
        }
        // Operations and store calls never used have no series.
        assert!(!text.contains("DescribeSecret"));
        assert!(!text.contains("call=\"insert_secret\""));
        // Every sample line is `name{labels} value` or `name value`.
        for line in lines.iter().filter(|l| !l.starts_with('#')) {
            let (_, value) = line.rsplit_once(' ').expect("a value");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn token_is_required_when_set() {
        let open = MetricsAccess::open();
        assert!(open.allows(None));
        let access = MetricsAccess::with_token("s3cret-token");
        assert!(!access.allows(None));
        assert!(!access.allows(Some(b"Bearer wrong")));
        assert!(!access.allows(Some(b"s3cret-token")));
        assert!(!access.allows(Some(b"Bearer s3cret-token ")));
        assert!(access.allows(Some(b"Bearer s3cret-token")));
        assert!(!format!("{access:?}").contains("s3cret"));
    }
}
