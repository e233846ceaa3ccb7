//! A secret's rotation state as stored: one JSON document in `secrets.rotation` (the domain
//! types carry no serde; this mirror is the stored form, and only the store reads it).

use chrono::{DateTime, Utc};
use coffer_core::error::Result;
use coffer_core::rotation::{
    Placeholder, RotationRules, RotationRun, RotationState, RunMode, RunState, Step, Window,
};
use serde::{Deserialize, Serialize};

use super::{corrupt, from_millis, millis};

#[derive(Serialize, Deserialize)]
struct Stored {
    enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lambda_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rules: Option<StoredRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_rotated_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    external_metadata: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    external_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window: Option<(i64, i64)>,
    #[serde(default)]
    jitter_secs: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    placeholder: Option<(String, i64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    run: Option<StoredRun>,
}

#[derive(Serialize, Deserialize)]
struct StoredRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expression: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredRun {
    token: String,
    mode: String,
    state: String,
    next_step: String,
    attempt: u32,
    fence: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_until_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_attempt_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotation_token_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    created_ms: i64,
}

fn opt_ms(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(millis)
}

/// The stored text of a rotation state (`None` for a secret never configured).
pub(crate) fn encode(state: Option<&RotationState>) -> Option<String> {
    let state = state?;
    let stored = Stored {
        enabled: state.enabled,
        lambda_arn: state.lambda_arn.clone(),
        rules: state.rules.as_ref().map(|r| StoredRules {
            days: r.automatically_after_days,
            duration: r.duration.clone(),
            expression: r.schedule_expression.clone(),
        }),
        last_rotated_ms: opt_ms(state.last_rotated),
        external_metadata: state.external_metadata.clone(),
        external_role_arn: state.external_role_arn.clone(),
        window: state.window.map(|w| (millis(w.start), millis(w.end))),
        jitter_secs: state.jitter_secs,
        placeholder: state
            .placeholder
            .as_ref()
            .map(|p| (p.version_id.clone(), millis(p.created))),
        run: state.run.as_ref().map(|r| StoredRun {
            token: r.token.clone(),
            mode: r.mode.as_str().to_owned(),
            state: r.state.as_str().to_owned(),
            next_step: r.next_step.as_str().to_owned(),
            attempt: r.attempt,
            fence: r.fence,
            owner: r.owner.clone(),
            lease_until_ms: opt_ms(r.lease_until),
            next_attempt_ms: opt_ms(r.next_attempt),
            rotation_token_sha256: r.rotation_token_sha256.clone(),
            last_error: r.last_error.clone(),
            created_ms: millis(r.created),
        }),
    };
    serde_json::to_string(&stored).ok()
}

/// When the scheduler should next look at the secret (`secrets.rotation_due_ms`).
pub(crate) fn due_ms(state: Option<&RotationState>) -> Option<i64> {
    state.and_then(RotationState::due).map(millis)
}

/// A rotation state back from its stored text.
pub(crate) fn decode(text: Option<&str>) -> Result<Option<RotationState>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let bad = || corrupt("rotation state");
    let stored: Stored = serde_json::from_str(text).map_err(|_| bad())?;
    let run = match stored.run {
        None => None,
        Some(r) => Some(RotationRun {
            token: r.token,
            mode: RunMode::parse(&r.mode).ok_or_else(bad)?,
            state: RunState::parse(&r.state).ok_or_else(bad)?,
            next_step: Step::parse(&r.next_step).ok_or_else(bad)?,
            attempt: r.attempt,
            fence: r.fence,
            owner: r.owner,
            lease_until: r.lease_until_ms.map(from_millis),
            next_attempt: r.next_attempt_ms.map(from_millis),
            rotation_token_sha256: r.rotation_token_sha256,
            last_error: r.last_error,
            created: from_millis(r.created_ms),
        }),
    };
    Ok(Some(RotationState {
        enabled: stored.enabled,
        lambda_arn: stored.lambda_arn,
        rules: stored.rules.map(|r| RotationRules {
            automatically_after_days: r.days,
            duration: r.duration,
            schedule_expression: r.expression,
        }),
        last_rotated: stored.last_rotated_ms.map(from_millis),
        external_metadata: stored.external_metadata,
        external_role_arn: stored.external_role_arn,
        window: stored.window.map(|(s, e)| Window {
            start: from_millis(s),
            end: from_millis(e),
        }),
        jitter_secs: stored.jitter_secs,
        placeholder: stored.placeholder.map(|(version_id, created)| Placeholder {
            version_id,
            created: from_millis(created),
        }),
        run,
    }))
}
