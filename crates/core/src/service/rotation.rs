//! Rotation: RotateSecret and CancelRotateSecret as AWS answers them, and the fenced writes of
//! the run state machine that the server's driver makes between the steps it invokes
//! (docs/rotation.md). No store transaction is open while a function runs: each write here is
//! one short [`Store::update_secret`](crate::store::Store::update_secret).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use zeroize::Zeroizing;

use super::access::Authority;
use super::{SecretRefOutput, Service};
use crate::error::{Error, Result};
use crate::labels;
use crate::model::{NewVersion, SecretRecord};
use crate::names::{Candidate, Scope, SecretId, AWSCURRENT, AWSPENDING};
use crate::policy::ConditionKeys;
use crate::rotation::{
    pending_version, Placeholder, RotationRules, RotationRun, RunMode, RunState, Step,
};

/// AWS's answer when no function is given and none is stored.
pub const NO_FUNCTION: &str = "No Lambda rotation function ARN is associated with this secret.";
/// AWS's answer when the function cannot be invoked.
pub const CANNOT_INVOKE: &str = "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.";
/// AWS's answer while a rotation is pending.
pub const PREVIOUS_NOT_COMPLETE: &str =
    "A previous rotation isn't complete. That rotation will be reattempted.";
/// coffer's answer to a PutSecretValue whose RotationToken is not the live run's (AWS's text
/// is not published).
pub const ROTATION_TOKEN_MISMATCH: &str =
    "The RotationToken doesn't match a rotation in progress for this secret.";

/// Told about rotations that a write ended (the server records `RotationAbandoned`).
pub trait RotationObserver: Send + Sync + 'static {
    /// A new value or a label move ended the pending rotation of version `token`.
    fn abandoned(&self, secret_arn: &str, token: &str);
}

/// RotateSecret's input.
#[derive(Debug, Default, Clone)]
pub struct RotateSecretInput {
    /// The SecretId.
    pub secret_id: String,
    /// The ClientRequestToken: the new version's id.
    pub client_request_token: Option<String>,
    /// RotationLambdaARN.
    pub rotation_lambda_arn: Option<String>,
    /// RotationRules.
    pub rotation_rules: Option<RotationRules>,
    /// RotateImmediately (default true).
    pub rotate_immediately: Option<bool>,
    /// ExternalSecretRotationMetadata (replaces the stored list when given).
    pub external_metadata: Option<Vec<(String, String)>>,
    /// ExternalSecretRotationRoleArn (replaces the stored one when given).
    pub external_role_arn: Option<String>,
}

/// A run claimed by a node: what it needs to drive the steps, and the fence its writes carry.
/// `Debug` leaves the RotationToken out.
#[derive(Clone)]
pub struct Claim {
    /// The secret's scope.
    pub scope: Scope,
    /// Names the secret exactly (name and suffix).
    pub candidate: Candidate,
    /// The secret's full ARN (the event's SecretId).
    pub secret_arn: String,
    /// The function.
    pub lambda_arn: String,
    /// The version the run creates (the event's ClientRequestToken).
    pub token: String,
    /// Rotate or test.
    pub mode: RunMode,
    /// The first step to invoke.
    pub next_step: Step,
    /// The attempt this claim makes (1 for the first).
    pub attempt: u32,
    /// The fence of this claim.
    pub fence: u64,
    /// The event's RotationToken (only its hash is stored).
    pub rotation_token: Arc<Zeroizing<String>>,
}

impl std::fmt::Debug for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claim")
            .field("secret_arn", &self.secret_arn)
            .field("lambda_arn", &self.lambda_arn)
            .field("token", &self.token)
            .field("mode", &self.mode)
            .field("next_step", &self.next_step)
            .field("attempt", &self.attempt)
            .field("fence", &self.fence)
            .field("rotation_token", &"<redacted>")
            .finish()
    }
}

/// How a run ended or goes on after a failed step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// It waits for a retry until the given time.
    Retrying(DateTime<Utc>),
    /// Its attempts are spent; AWSPENDING stays.
    Failed,
    /// Another node claimed the run since, or the run ended: nothing was written.
    Fenced,
}

/// How a run's last write went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishOutcome {
    /// AWSCURRENT is on the new version (or the test ran): the run is over.
    Succeeded,
    /// finishSecret returned but AWSCURRENT is not on the run's version.
    NotCurrent(String),
    /// Another node claimed the run since, or the run ended: nothing was written.
    Fenced,
}

/// When retries wait, and how many attempts a run makes before it fails.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts before the run is failed (1 = no retry).
    pub max_attempts: u32,
    /// The first wait; doubled at each attempt.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// How long after a final failure the stuck rotation is reattempted.
    pub reattempt_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base: Duration::seconds(30),
            cap: Duration::minutes(15),
            reattempt_after: Duration::hours(24),
        }
    }
}

/// SHA-256 of a RotationToken, as stored.
fn token_digest(token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh RotationToken: 64 hexadecimal characters from the system generator.
fn fresh_rotation_token() -> Result<Zeroizing<String>> {
    use aws_lc_rs::rand::SecureRandom;
    let mut bytes = Zeroizing::new([0u8; 32]);
    aws_lc_rs::rand::SystemRandom::new()
        .fill(bytes.as_mut())
        .map_err(|_| Error::Internal("no randomness".into()))?;
    Ok(Zeroizing::new(
        bytes.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

/// A random fraction in [-1, 1], for retry jitter.
fn jitter_unit() -> f64 {
    use aws_lc_rs::rand::SecureRandom;
    let mut byte = [0u8; 2];
    let _ = aws_lc_rs::rand::SystemRandom::new().fill(&mut byte);
    f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX) * 2.0 - 1.0
}

/// The wait before attempt `attempt + 1`: base · 2^(attempt−1), ±20 %, at most the cap.
pub fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let raw = policy.base.num_milliseconds() as f64 * f64::from(1u32 << exponent);
    let capped = raw.min(policy.cap.num_milliseconds() as f64);
    Duration::milliseconds((capped * (1.0 + 0.2 * jitter_unit())) as i64)
}

impl Service {
    /// Sets who is told about abandoned rotations (once; later calls are ignored).
    pub fn set_rotation_observer(&self, observer: Arc<dyn RotationObserver>) {
        let _ = self.rotation_observer.set(observer);
    }

    /// Tells the observer, if any, that a write abandoned a rotation.
    pub(super) fn report_abandoned(&self, record: &SecretRecord, token: Option<&str>) {
        if let (Some(token), Some(observer)) = (token, self.rotation_observer.get()) {
            observer.abandoned(&record.arn(), token);
        }
    }

    /// RotateSecret. `invocable` tells whether a function ARN is one coffer can invoke (the
    /// operator's configuration maps it). Returns the secret and the rotation's version id;
    /// the run it queues (if any) is driven by the server.
    pub async fn rotate_secret(
        &self,
        who: &(impl Authority + ?Sized),
        input: &RotateSecretInput,
        invocable: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<SecretRefOutput> {
        let Some(token) = input.client_request_token.clone() else {
            return Err(Error::InvalidParameter(
                "You must provide a ClientRequestToken value. We recommend a UUID-type value."
                    .into(),
            ));
        };
        let schedule = match &input.rotation_rules {
            Some(rules) => Some(rules.schedule()?),
            None => None,
        };
        let immediately = input.rotate_immediately.unwrap_or(true);
        let now = self.now();
        let request_keys = |keys: &mut ConditionKeys| {
            if let Some(arn) = &input.rotation_lambda_arn {
                keys.insert("secretsmanager:RotationLambdaARN", arn.clone());
            }
            keys.insert(
                "secretsmanager:ModifyRotationRules",
                if input.rotation_rules.is_some() {
                    "true"
                } else {
                    "false"
                },
            );
            keys.insert(
                "secretsmanager:RotateImmediately",
                if immediately { "true" } else { "false" },
            );
            if let Some(role) = &input.external_role_arn {
                keys.insert("secretsmanager:ExternalSecretRotationRoleArn", role.clone());
            }
        };
        let record = self
            .update_authorized(
                who,
                "secretsmanager:RotateSecret",
                &SecretId::parse(&input.secret_id),
                &request_keys,
                &mut |record, _| {
                    if record.is_deleted() {
                        return Err(Error::MarkedForDeletion);
                    }
                    let stored = record.rotation.clone().unwrap_or_default();
                    let arn = input
                        .rotation_lambda_arn
                        .clone()
                        .filter(|a| !a.is_empty())
                        .or_else(|| stored.lambda_arn.clone())
                        .ok_or_else(|| Error::InvalidRequest(NO_FUNCTION.into()))?;
                    let pending = pending_version(record);
                    if pending.as_deref().is_some_and(|p| p != token) {
                        return Err(Error::InvalidRequest(PREVIOUS_NOT_COMPLETE.into()));
                    }
                    // A token that names a version already (a finished rotation's, a value's)
                    // cannot become the new version's id (coffer decides: AWS's answer to a
                    // reused token is not published; this is its answer on the other writes).
                    if pending.is_none() && record.version(&token).is_some() {
                        return Err(Error::VersionExists(token.clone(), record.arn()));
                    }
                    if !invocable(&arn) {
                        return Err(Error::AccessDenied(CANNOT_INVOKE.into()));
                    }
                    self.authorize_invoke(who, &arn)?;
                    let mut next = stored.clone();
                    if pending.is_some() {
                        // The same token again: the client's retry of this rotation. It is
                        // re-enabled and, when no run is live, reattempted with that token.
                        next.enabled = true;
                        let live = next
                            .run
                            .as_ref()
                            .is_some_and(|r| r.state != RunState::Failed);
                        if !live {
                            next.run = Some(new_run(&token, RunMode::Rotate, now));
                        }
                        record.rotation = Some(next);
                        return Ok(());
                    }
                    next.enabled = true;
                    next.lambda_arn = Some(arn);
                    if let Some(rules) = &input.rotation_rules {
                        next.rules = Some(rules.clone());
                    }
                    if let Some(metadata) = &input.external_metadata {
                        next.external_metadata = metadata.clone();
                    }
                    if input.external_role_arn.is_some() {
                        next.external_role_arn = input.external_role_arn.clone();
                    }
                    let schedule = match (&schedule, &next.rules) {
                        (Some(s), _) => Some(s.clone()),
                        (None, Some(rules)) => rules.schedule().ok(),
                        (None, None) => None,
                    };
                    next.set_window(schedule.and_then(|s| s.next_window(now)), &record.id);
                    if immediately {
                        next.placeholder = Some(Placeholder {
                            version_id: token.clone(),
                            created: now,
                        });
                        next.run = Some(new_run(&token, RunMode::Rotate, now));
                    } else if record.version_with_stage(AWSCURRENT).is_some()
                        && record.version(&token).is_none()
                    {
                        // testSecret on a copy of the current value under the token.
                        next.run = Some(new_run(&token, RunMode::Test, now));
                    }
                    record.rotation = Some(next);
                    record.last_changed = now;
                    Ok(())
                },
            )
            .await?;
        Ok(SecretRefOutput::of(&record, Some(token)))
    }

    /// The caller needs `lambda:InvokeFunction` on the function, as on AWS. The functions are
    /// the operator's (not resources of an account), so only the caller's identity policies
    /// decide, as for a resource of its own account; the root user may always.
    fn authorize_invoke(&self, who: &(impl Authority + ?Sized), function: &str) -> Result<()> {
        self.authorize(
            who,
            "lambda:InvokeFunction",
            super::access::Target::Arn {
                arn: function,
                account: who.scope().account.as_str(),
            },
            |_| {},
        )
    }

    /// CancelRotateSecret: RotationEnabled false, no further runs; the function ARN, the rules
    /// and the labels stay. Answers the pending version's id when a rotation was pending.
    pub async fn cancel_rotate_secret(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
    ) -> Result<SecretRefOutput> {
        let now = self.now();
        let mut pending = None;
        let record = self
            .update_authorized(
                who,
                "secretsmanager:CancelRotateSecret",
                &SecretId::parse(secret_id),
                &|_| {},
                &mut |record, _| {
                    if record.is_deleted() {
                        return Err(Error::MarkedForDeletion);
                    }
                    pending = pending_version(record);
                    let Some(rotation) =
                        record.rotation.as_mut().filter(|r| r.lambda_arn.is_some())
                    else {
                        return Err(Error::InvalidRequest(NO_FUNCTION.into()));
                    };
                    rotation.enabled = false;
                    rotation.run = None;
                    record.last_changed = now;
                    Ok(())
                },
            )
            .await?;
        Ok(SecretRefOutput::of(&record, pending))
    }

    /// Claims the secret's rotation for node `owner` if one is due: a queued run, a retry
    /// whose wait is over, a run whose owner's lease ran out (resumed at its next step), a
    /// failed run's reattempt, or a new scheduled run when the window has come. Returns the
    /// claim, or `None` when there is nothing to do (or another node holds it).
    pub async fn rotation_claim(
        &self,
        scope: &Scope,
        candidate: &Candidate,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<Claim>> {
        let now = self.now();
        let mut claim = None;
        let rotation_token = Arc::new(fresh_rotation_token()?);
        let result = self
            .store
            .update_secret(scope, std::slice::from_ref(candidate), &mut |record, _| {
                claim = None;
                if record.is_deleted() {
                    return Ok(());
                }
                let pending = pending_version(record);
                let has_current = record.version_with_stage(AWSCURRENT).is_some();
                let Some(rotation) = record.rotation.as_mut() else {
                    return Ok(());
                };
                let Some(lambda_arn) = rotation.lambda_arn.clone() else {
                    return Ok(());
                };
                let resume = match &rotation.run {
                    Some(run) => {
                        let ready = match run.state {
                            RunState::Queued => true,
                            RunState::Running => run.lease_until.is_none_or(|l| l <= now),
                            RunState::RetryWait => run.next_attempt.is_none_or(|t| t <= now),
                            RunState::Failed => {
                                rotation.enabled && run.next_attempt.is_some_and(|t| t <= now)
                            }
                        };
                        if !ready {
                            return Ok(());
                        }
                        run.state == RunState::Running
                    }
                    None => {
                        let due = rotation.enabled
                            && rotation.window_due().is_some_and(|start| start <= now);
                        if !due {
                            return Ok(());
                        }
                        // A pending rotation left without a run (cancelled, then enabled
                        // again) is taken up with its own token.
                        let token = match pending {
                            Some(token) => token,
                            None => {
                                let token = uuid::Uuid::new_v4().to_string();
                                rotation.placeholder = Some(Placeholder {
                                    version_id: token.clone(),
                                    created: now,
                                });
                                token
                            }
                        };
                        rotation.run = Some(new_run(&token, RunMode::Rotate, now));
                        false
                    }
                };
                let Some(run) = rotation.run.as_mut() else {
                    return Ok(());
                };
                if run.mode == RunMode::Test && !has_current && !resume {
                    rotation.run = None;
                    return Ok(());
                }
                if !resume {
                    if run.state == RunState::Failed {
                        run.attempt = 0;
                    }
                    run.attempt += 1;
                    run.next_step = match run.mode {
                        RunMode::Rotate => Step::CreateSecret,
                        RunMode::Test => Step::TestSecret,
                    };
                }
                run.fence += 1;
                run.state = RunState::Running;
                run.owner = Some(owner.to_owned());
                run.lease_until = Some(now + lease);
                run.next_attempt = None;
                run.rotation_token_sha256 = Some(token_digest(&rotation_token));
                claim = Some(Claim {
                    scope: record.scope.clone(),
                    candidate: Candidate {
                        name: record.name.clone(),
                        suffix: Some(record.suffix.clone()),
                    },
                    secret_arn: crate::names::secret_arn(
                        &record.scope,
                        &record.name,
                        &record.suffix,
                    ),
                    lambda_arn,
                    token: run.token.clone(),
                    mode: run.mode,
                    next_step: run.next_step,
                    attempt: run.attempt,
                    fence: run.fence,
                    rotation_token: rotation_token.clone(),
                });
                Ok(())
            })
            .await;
        match result {
            Ok(_) => Ok(claim),
            Err(Error::SecretNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A fenced change to the claimed run: `change` runs only while the run is still this
    /// claim's. Returns whether it ran.
    async fn fenced(
        &self,
        claim: &Claim,
        change: &mut (dyn FnMut(&mut SecretRecord, &mut Vec<NewVersion>) -> Result<()> + Send),
    ) -> Result<bool> {
        let mut applied = false;
        let result = self
            .store
            .update_secret(
                &claim.scope,
                std::slice::from_ref(&claim.candidate),
                &mut |record, new_versions| {
                    applied = false;
                    let ours = record
                        .rotation
                        .as_ref()
                        .and_then(|r| r.run.as_ref())
                        .is_some_and(|r| r.fence == claim.fence && r.token == claim.token);
                    if !ours {
                        return Ok(());
                    }
                    change(record, new_versions)?;
                    applied = true;
                    Ok(())
                },
            )
            .await;
        match result {
            Ok(_) => Ok(applied),
            Err(Error::SecretNotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Records that `step` succeeded and renews the lease; `false` when the claim is stale.
    pub async fn rotation_step_done(
        &self,
        claim: &Claim,
        step: Step,
        lease: Duration,
    ) -> Result<bool> {
        let now = self.now();
        self.fenced(claim, &mut |record, _| {
            if let Some(run) = record.rotation.as_mut().and_then(|r| r.run.as_mut()) {
                if let Some(next) = step.next() {
                    run.next_step = next;
                }
                run.lease_until = Some(now + lease);
            }
            Ok(())
        })
        .await
    }

    /// A test run's first write: a copy of the current value under the run's token, labelled
    /// AWSPENDING, for testSecret to read. `false` when the claim is stale.
    pub async fn rotation_prepare_test(&self, claim: &Claim) -> Result<bool> {
        let record = self
            .store
            .find_secret(&claim.scope, std::slice::from_ref(&claim.candidate))
            .await?
            .ok_or(Error::SecretNotFound)?;
        if record.version(&claim.token).is_some() {
            return Ok(true);
        }
        let current = record
            .version_with_stage(AWSCURRENT)
            .ok_or_else(|| Error::NoValueForStage(AWSCURRENT.to_owned()))?
            .version_id
            .clone();
        // The rotation engine acts for the service itself (the scope as a trusted authority).
        let value = self.open_value(&claim.scope, &record, &current).await?;
        let pre = Some((
            record.kms_key_id.clone(),
            self.secret_seal_key(&claim.scope, &record.scope, record.kms_key_id.as_deref())
                .await,
        ));
        let now = self.now();
        let pending = [AWSPENDING.to_owned()];
        self.fenced(claim, &mut |record, new_versions| {
            if record.version(&claim.token).is_some() {
                return Ok(());
            }
            let seal_key = Self::pick_seal_key(&pre, record)?;
            let kms_key_id = record.kms_key_id.clone();
            labels::add_version(record, &claim.token, now, kms_key_id, Some(&pending))?;
            new_versions.push(NewVersion {
                version_id: claim.token.clone(),
                sealed: self.seal_value(record, &claim.token, seal_key, &value)?,
            });
            Ok(())
        })
        .await
    }

    /// Ends a run whose last step returned: for a rotation, AWSCURRENT must be on the run's
    /// version, which then loses AWSPENDING (LastRotatedDate and the next window follow); for
    /// a test, the temporary version goes.
    pub async fn rotation_finish(&self, claim: &Claim) -> Result<FinishOutcome> {
        let now = self.now();
        let mut outcome = FinishOutcome::Fenced;
        self.fenced(claim, &mut |record, _| {
            outcome = FinishOutcome::Succeeded;
            match claim.mode {
                RunMode::Rotate => {
                    if !record
                        .version(&claim.token)
                        .is_some_and(|v| v.has_stage(AWSCURRENT))
                    {
                        outcome = FinishOutcome::NotCurrent(format!(
                            "finishSecret returned but AWSCURRENT is not on version {}",
                            claim.token
                        ));
                        return Ok(());
                    }
                    for version in &mut record.versions {
                        version.stages.retain(|s| s != AWSPENDING);
                    }
                    let id = record.id.clone();
                    if let Some(rotation) = record.rotation.as_mut() {
                        rotation.placeholder = None;
                        rotation.run = None;
                        rotation.last_rotated = Some(now);
                        let window = rotation
                            .rules
                            .as_ref()
                            .and_then(|r| r.schedule().ok())
                            .and_then(|s| s.next_window(now));
                        rotation.set_window(window, &id);
                    }
                    labels::prune(record, now);
                    record.last_changed = now;
                }
                RunMode::Test => {
                    record.versions.retain(|v| v.version_id != claim.token);
                    if let Some(rotation) = record.rotation.as_mut() {
                        rotation.run = None;
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(outcome)
    }

    /// Records a failed attempt: the run waits for a retry (the whole run again, same token)
    /// or, when its attempts are spent or `give_up`, fails with AWSPENDING kept, to be
    /// reattempted later. A test run that fails ends, its temporary version removed.
    pub async fn rotation_fail(
        &self,
        claim: &Claim,
        error: &str,
        policy: &RetryPolicy,
        give_up: bool,
    ) -> Result<FailOutcome> {
        let now = self.now();
        let mut outcome = FailOutcome::Fenced;
        // At most 1024 characters of what the function said: never a value (the function's
        // error text is its own; coffer sends it no value).
        let error: String = error.chars().take(1024).collect();
        self.fenced(claim, &mut |record, _| {
            let Some(rotation) = record.rotation.as_mut() else {
                return Ok(());
            };
            let Some(run) = rotation.run.as_mut() else {
                return Ok(());
            };
            run.last_error = Some(error.clone());
            run.owner = None;
            run.lease_until = None;
            if run.mode == RunMode::Test {
                rotation.run = None;
                record.versions.retain(|v| v.version_id != claim.token);
                outcome = FailOutcome::Failed;
                return Ok(());
            }
            if give_up || run.attempt >= policy.max_attempts {
                run.state = RunState::Failed;
                run.next_attempt = Some(now + policy.reattempt_after);
                outcome = FailOutcome::Failed;
            } else {
                let at = now + backoff(policy, run.attempt);
                run.state = RunState::RetryWait;
                run.next_attempt = Some(at);
                outcome = FailOutcome::Retrying(at);
            }
            run.next_step = Step::CreateSecret;
            Ok(())
        })
        .await?;
        Ok(outcome)
    }

    /// Operator retry (`coffer admin rotation retry`): a failed or waiting run is queued now;
    /// with no run, a rotation is queued as if its window had come. Returns whether anything
    /// changed.
    pub async fn rotation_retry(&self, scope: &Scope, secret_id: &str) -> Result<bool> {
        let now = self.now();
        let mut changed = false;
        self.update_authorized(
            scope,
            "secretsmanager:RotateSecret",
            &SecretId::parse(secret_id),
            &|_| {},
            &mut |record, _| {
                changed = false;
                let Some(rotation) = record.rotation.as_mut() else {
                    return Err(Error::InvalidRequest(NO_FUNCTION.into()));
                };
                rotation.enabled = true;
                match rotation.run.as_mut() {
                    Some(run) if matches!(run.state, RunState::Failed | RunState::RetryWait) => {
                        run.state = RunState::Queued;
                        run.attempt = 0;
                        run.next_attempt = Some(now);
                        changed = true;
                    }
                    Some(_) => {}
                    None => {
                        let start = now;
                        let end = rotation.window.map(|w| w.end.max(now)).unwrap_or(now);
                        rotation.window = Some(crate::rotation::Window {
                            start,
                            end: end.max(start + Duration::hours(1)),
                        });
                        // The operator asked for now: no spread.
                        rotation.jitter_secs = 0;
                        changed = true;
                    }
                }
                Ok(())
            },
        )
        .await?;
        Ok(changed)
    }

    /// Checks a PutSecretValue's RotationToken against the secret's live run.
    pub(super) fn check_rotation_token(record: &SecretRecord, rotation_token: &str) -> Result<()> {
        let digest = token_digest(rotation_token);
        let matches = record
            .rotation
            .as_ref()
            .and_then(|r| r.run.as_ref())
            .and_then(|r| r.rotation_token_sha256.as_deref())
            .is_some_and(|stored| {
                use subtle::ConstantTimeEq;
                bool::from(stored.as_bytes().ct_eq(digest.as_bytes()))
            });
        if matches {
            Ok(())
        } else {
            Err(Error::InvalidRequest(ROTATION_TOKEN_MISMATCH.into()))
        }
    }
}

/// A new queued run.
fn new_run(token: &str, mode: RunMode, now: DateTime<Utc>) -> RotationRun {
    RotationRun {
        token: token.to_owned(),
        mode,
        state: RunState::Queued,
        next_step: match mode {
            RunMode::Rotate => Step::CreateSecret,
            RunMode::Test => Step::TestSecret,
        },
        attempt: 0,
        fence: 0,
        owner: None,
        lease_until: None,
        next_attempt: Some(now),
        rotation_token_sha256: None,
        last_error: None,
        created: now,
    }
}
