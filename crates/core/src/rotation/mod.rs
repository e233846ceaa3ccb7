//! Rotation state: a secret's rotation configuration, the value-less AWSPENDING placeholder
//! version RotateSecret creates, and the one live run of the rotation state machine
//! (docs/rotation.md). All of it is part of the [`SecretRecord`], so every change to it is
//! written in the same transaction as the labels it concerns, under the secret's row lock; a
//! secret has at most one run because its row has one place for it.
//!
//! The operations that change this state are in `service/rotation.rs`; the functions that run
//! the steps live in the server.

pub mod schedule;

use chrono::{DateTime, Utc};

use crate::model::SecretRecord;
use crate::names::AWSPENDING;

pub use schedule::{Schedule, Window};

/// RotationRules as the caller gave them (DescribeSecret echoes them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationRules {
    /// AutomaticallyAfterDays.
    pub automatically_after_days: Option<i64>,
    /// Duration, `Nh`.
    pub duration: Option<String>,
    /// ScheduleExpression, `rate(...)` or `cron(...)`.
    pub schedule_expression: Option<String>,
}

impl RotationRules {
    /// The schedule these rules describe (they were checked when saved).
    pub fn schedule(&self) -> crate::error::Result<Schedule> {
        Schedule::parse(
            self.automatically_after_days,
            self.schedule_expression.as_deref(),
            self.duration.as_deref(),
        )
    }
}

/// The AWSPENDING placeholder: a version with no value whose id is the rotation's token. It
/// shows in VersionIdsToStages, not in ListSecretVersionIds, and PutSecretValue with that
/// token fills it (it then becomes an ordinary version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The version id: the rotation's ClientRequestToken.
    pub version_id: String,
    /// When RotateSecret (or the scheduler) created it.
    pub created: DateTime<Utc>,
}

/// A step of the rotation protocol, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// Put the new value under AWSPENDING.
    CreateSecret,
    /// Apply it to the target (database, service).
    SetSecret,
    /// Check the new value works.
    TestSecret,
    /// Move AWSCURRENT to the new version.
    FinishSecret,
}

impl Step {
    /// The four steps in order.
    pub const ALL: [Step; 4] = [
        Self::CreateSecret,
        Self::SetSecret,
        Self::TestSecret,
        Self::FinishSecret,
    ];

    /// The `Step` of the event, as every AWS template compares it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateSecret => "createSecret",
            Self::SetSecret => "setSecret",
            Self::TestSecret => "testSecret",
            Self::FinishSecret => "finishSecret",
        }
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The step after this one, if any.
    pub fn next(self) -> Option<Self> {
        match self {
            Self::CreateSecret => Some(Self::SetSecret),
            Self::SetSecret => Some(Self::TestSecret),
            Self::TestSecret => Some(Self::FinishSecret),
            Self::FinishSecret => None,
        }
    }
}

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// The four steps.
    Rotate,
    /// RotateImmediately=false: testSecret on a temporary copy of the current value.
    Test,
}

impl RunMode {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rotate => "rotate",
            Self::Test => "test",
        }
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "rotate" => Some(Self::Rotate),
            "test" => Some(Self::Test),
            _ => None,
        }
    }
}

/// Where a run stands. Runs that ended (succeeded, cancelled, abandoned) are gone from the
/// record; their outcome is in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Waiting to be claimed.
    Queued,
    /// A node drives it, until `lease_until`.
    Running,
    /// A step failed; the whole run starts again at `next_attempt`.
    RetryWait,
    /// The retries are spent: AWSPENDING stays; reattempted at `next_attempt`.
    Failed,
}

impl RunState {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::RetryWait => "retry_wait",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "queued" => Some(Self::Queued),
            "running" => Some(Self::Running),
            "retry_wait" => Some(Self::RetryWait),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A secret's one rotation run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationRun {
    /// The version the run creates (ClientRequestToken of the events).
    pub token: String,
    /// Rotate or test.
    pub mode: RunMode,
    /// Where it stands.
    pub state: RunState,
    /// The next step to invoke.
    pub next_step: Step,
    /// Attempts started so far (the first is 1).
    pub attempt: u32,
    /// Bumped at every claim: a node's writes about the run carry the fence it claimed with,
    /// and are refused once another node has claimed it since.
    pub fence: u64,
    /// The node driving it, while running.
    pub owner: Option<String>,
    /// Until when the owner may drive it without renewing.
    pub lease_until: Option<DateTime<Utc>>,
    /// When a retry or reattempt may start.
    pub next_attempt: Option<DateTime<Utc>>,
    /// SHA-256 (hex) of the RotationToken sent to the function by the current claim.
    pub rotation_token_sha256: Option<String>,
    /// The last failure, as the function reported it (errorType: errorMessage), never a value.
    pub last_error: Option<String>,
    /// When the run was created.
    pub created: DateTime<Utc>,
}

/// A secret's rotation: configuration, schedule and pending work. `None` on the record when
/// rotation was never configured.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RotationState {
    /// RotationEnabled: true after RotateSecret, false after CancelRotateSecret.
    pub enabled: bool,
    /// RotationLambdaARN.
    pub lambda_arn: Option<String>,
    /// RotationRules, as given.
    pub rules: Option<RotationRules>,
    /// LastRotatedDate: the last successful rotation.
    pub last_rotated: Option<DateTime<Utc>>,
    /// ExternalSecretRotationMetadata, as given (saved and shown; coffer's rotators do not
    /// read it).
    pub external_metadata: Vec<(String, String)>,
    /// ExternalSecretRotationRoleArn, as given (saved and shown).
    pub external_role_arn: Option<String>,
    /// The next window, while enabled.
    pub window: Option<Window>,
    /// Where in the window the scheduler starts the secret's rotation, in seconds after its
    /// start: a stable spread (from the secret's id) within the window's first hour, so that
    /// many secrets on one schedule do not all start at one instant.
    pub jitter_secs: u32,
    /// The value-less AWSPENDING version, until filled or abandoned.
    pub placeholder: Option<Placeholder>,
    /// The live or failed run, if any.
    pub run: Option<RotationRun>,
}

impl RotationState {
    /// NextRotationDate: the last second of the next window, while enabled.
    pub fn next_rotation_date(&self) -> Option<DateTime<Utc>> {
        if !self.enabled {
            return None;
        }
        self.window.map(|w| w.end - chrono::Duration::seconds(1))
    }

    /// When the scheduler should next look at the secret (the store indexes it): a queued run
    /// now, a running one when its lease ends, a waiting or failed one at its next attempt,
    /// otherwise the start of the next window while enabled.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        if let Some(run) = &self.run {
            return match run.state {
                RunState::Queued => Some(run.next_attempt.unwrap_or(run.created)),
                RunState::Running => run.lease_until,
                RunState::RetryWait => run.next_attempt,
                RunState::Failed => run.next_attempt.filter(|_| self.enabled),
            };
        }
        if !self.enabled {
            return None;
        }
        self.window_due()
    }

    /// When the scheduler starts a rotation in the next window: its start plus the jitter.
    pub fn window_due(&self) -> Option<DateTime<Utc>> {
        self.window
            .map(|w| w.start + chrono::Duration::seconds(i64::from(self.jitter_secs)))
    }

    /// Sets the next window, and the secret's place in it (see `jitter_secs`).
    pub fn set_window(&mut self, window: Option<Window>, secret_id: &str) {
        self.window = window;
        self.jitter_secs = window.map_or(0, |w| jitter(secret_id, w));
    }
}

/// A stable offset for `secret_id` within the first hour of `window` (or the whole window, when
/// shorter): FNV-1a of the id, so every node computes the same.
fn jitter(secret_id: &str, window: Window) -> u32 {
    let span = (window.end - window.start).num_seconds().clamp(1, 3600);
    let hash = secret_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    u32::try_from(hash % u64::try_from(span).unwrap_or(1)).unwrap_or(0)
}

/// The version id a rotation is pending on: the placeholder's, or a version carrying
/// AWSPENDING that is not AWSCURRENT. A rotation is "in progress" when there is one.
pub fn pending_version(record: &SecretRecord) -> Option<String> {
    if let Some(p) = record
        .rotation
        .as_ref()
        .and_then(|r| r.placeholder.as_ref())
    {
        return Some(p.version_id.clone());
    }
    record
        .versions
        .iter()
        .find(|v| v.has_stage(AWSPENDING) && !v.has_stage(crate::names::AWSCURRENT))
        .map(|v| v.version_id.clone())
}

/// Brings the rotation state in line with the labels after a write that may have moved them
/// (PutSecretValue, UpdateSecret, UpdateSecretVersionStage): a filled placeholder becomes its
/// version; a placeholder whose AWSPENDING moved elsewhere goes; a run whose token no longer
/// carries AWSPENDING is abandoned. Returns the abandoned run's token.
pub fn reconcile(record: &mut SecretRecord) -> Option<String> {
    let pending_elsewhere = |record: &SecretRecord, token: &str| {
        record
            .versions
            .iter()
            .any(|v| v.version_id != token && v.has_stage(AWSPENDING))
    };
    let filled_or_moved = record
        .rotation
        .as_ref()
        .and_then(|r| r.placeholder.as_ref())
        .is_some_and(|p| {
            record.version(&p.version_id).is_some() || pending_elsewhere(record, &p.version_id)
        });
    let rotation = record.rotation.as_ref()?;
    let run_token = rotation.run.as_ref().map(|r| r.token.clone());
    if filled_or_moved {
        if let Some(r) = record.rotation.as_mut() {
            r.placeholder = None;
        }
    }
    let token = run_token?;
    let alive = record
        .rotation
        .as_ref()
        .and_then(|r| r.placeholder.as_ref())
        .is_some_and(|p| p.version_id == token)
        || record
            .version(&token)
            .is_some_and(|v| v.has_stage(AWSPENDING));
    if alive {
        return None;
    }
    if let Some(r) = record.rotation.as_mut() {
        r.run = None;
    }
    Some(token)
}

/// A value written by hand (PutSecretValue or UpdateSecret making a new AWSCURRENT) counts as a
/// rotation for day and rate schedules: the next window is computed from `now`.
pub fn value_changed(record: &mut SecretRecord, version_id: &str, now: DateTime<Utc>) {
    let became_current = record
        .version(version_id)
        .is_some_and(|v| v.has_stage(crate::names::AWSCURRENT));
    if !became_current {
        return;
    }
    let id = record.id.clone();
    let Some(rotation) = record.rotation.as_mut().filter(|r| r.enabled) else {
        return;
    };
    if let Some(schedule) = rotation
        .rules
        .as_ref()
        .and_then(|r| r.schedule().ok())
        .filter(Schedule::counts_manual_changes)
    {
        rotation.set_window(schedule.next_window(now), &id);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn jitter_is_stable_spread_and_inside_the_windows_first_hour() {
        let start = Utc.with_ymd_and_hms(2026, 3, 5, 0, 0, 0).unwrap();
        let day = Window {
            start,
            end: start + chrono::Duration::days(1),
        };
        let short = Window {
            start,
            end: start + chrono::Duration::minutes(10),
        };
        let ids: Vec<String> = (0..200).map(|i| format!("secret-{i}")).collect();
        let offsets: std::collections::HashSet<u32> =
            ids.iter().map(|id| jitter(id, day)).collect();
        assert!(offsets.iter().all(|o| *o < 3600));
        assert!(offsets.len() > 150, "spread: {}", offsets.len());
        assert_eq!(jitter("secret-1", day), jitter("secret-1", day));
        assert!(ids.iter().all(|id| jitter(id, short) < 600));
        let mut state = RotationState {
            enabled: true,
            ..RotationState::default()
        };
        state.set_window(Some(day), "secret-7");
        assert_eq!(
            state.due(),
            Some(start + chrono::Duration::seconds(i64::from(jitter("secret-7", day))))
        );
    }
}
