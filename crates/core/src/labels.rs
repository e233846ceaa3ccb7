//! The staging-label state machine. Every function keeps these invariants (checked by
//! [`check_invariants`], which the property tests run after every step):
//! - a label is attached to at most one version;
//! - a secret with at least one version has exactly one AWSCURRENT;
//! - AWSPREVIOUS is never on the AWSCURRENT version;
//! - at most [`MAX_LABELS`] distinct labels are attached across the secret's versions.

use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};
use crate::model::{SecretRecord, VersionMeta};
use crate::names::{AWSCURRENT, AWSPENDING, AWSPREVIOUS};

/// AWS's quota of staging labels attached across all versions of a secret.
pub const MAX_LABELS: usize = 20;
/// Versions beyond this count, without labels, are removed…
pub const MAX_VERSIONS: usize = 100;
/// …but never before they are this old (AWS: it "does not remove versions created less than
/// 24 hours ago", so a version exactly this old may go).
pub const VERSION_GRACE_HOURS: i64 = 24;

/// Detaches `stage` from whichever version carries it; returns that version's id.
fn detach(record: &mut SecretRecord, stage: &str) -> Option<String> {
    let mut from = None;
    for version in &mut record.versions {
        if let Some(pos) = version.stages.iter().position(|s| s == stage) {
            version.stages.remove(pos);
            from = Some(version.version_id.clone());
        }
    }
    from
}

/// Attaches `stage` to `version_id` (which must exist), detaching it from elsewhere. Moving
/// AWSCURRENT hands AWSPREVIOUS to the version that had AWSCURRENT.
fn attach(record: &mut SecretRecord, stage: &str, version_id: &str) {
    if record
        .version(version_id)
        .is_some_and(|v| v.has_stage(stage))
    {
        return;
    }
    let previous_holder = detach(record, stage);
    if stage == AWSCURRENT {
        if let Some(old) = previous_holder.as_deref().filter(|old| *old != version_id) {
            detach(record, AWSPREVIOUS);
            push_stage(record, old, AWSPREVIOUS);
        }
        // The live version is never also the previous one.
        if record
            .version(version_id)
            .is_some_and(|v| v.has_stage(AWSPREVIOUS))
        {
            if let Some(v) = record
                .versions
                .iter_mut()
                .find(|v| v.version_id == version_id)
            {
                v.stages.retain(|s| s != AWSPREVIOUS);
            }
        }
    }
    push_stage(record, version_id, stage);
}

fn push_stage(record: &mut SecretRecord, version_id: &str, stage: &str) {
    if let Some(v) = record
        .versions
        .iter_mut()
        .find(|v| v.version_id == version_id)
    {
        if !v.has_stage(stage) {
            v.stages.push(stage.to_owned());
        }
    }
}

/// The number of distinct labels attached across the secret.
fn label_count(record: &SecretRecord) -> usize {
    record.versions.iter().map(|v| v.stages.len()).sum()
}

/// Adds a new version and attaches its labels, as CreateSecret, PutSecretValue and UpdateSecret
/// do; a new version that takes AWSCURRENT (and not AWSPENDING) removes AWSPENDING from the
/// others, as AWS does when a write abandons a rotation in progress. `stages` of `None` means the default, AWSCURRENT. The first version of a secret always
/// gets AWSCURRENT as well (AWS: "If this operation creates the first version for the secret then
/// Secrets Manager automatically attaches the staging label AWSCURRENT").
pub fn add_version(
    record: &mut SecretRecord,
    version_id: &str,
    created: DateTime<Utc>,
    kms_key_id: Option<String>,
    stages: Option<&[String]>,
) -> Result<()> {
    let default = [AWSCURRENT.to_owned()];
    let mut wanted: Vec<String> = stages.unwrap_or(&default).to_vec();
    if record.version_with_stage(AWSCURRENT).is_none() && !wanted.iter().any(|s| s == AWSCURRENT) {
        wanted.push(AWSCURRENT.to_owned());
    }
    wanted.dedup();
    // AWSCURRENT goes last: its hand-off (the old current version gets AWSPREVIOUS, and the new
    // one loses it) must be what stands, whatever order the caller listed the labels in.
    wanted.sort_by_key(|stage| stage == AWSCURRENT);

    let mut next = record.clone();
    next.versions.push(VersionMeta {
        version_id: version_id.to_owned(),
        created,
        stages: Vec::new(),
        kms_key_id,
        last_accessed: None,
    });
    // A new AWSCURRENT ends a pending rotation (AWS "abandons" it): AWSPENDING leaves every
    // version, unless the new version is itself asked to be the pending one.
    if wanted.iter().any(|s| s == AWSCURRENT) && !wanted.iter().any(|s| s == AWSPENDING) {
        for version in &mut next.versions {
            version.stages.retain(|s| s != AWSPENDING);
        }
        // The value-less placeholder of a rotation carries AWSPENDING too.
        if let Some(rotation) = next.rotation.as_mut() {
            rotation.placeholder = None;
        }
    }
    for stage in &wanted {
        attach(&mut next, stage, version_id);
    }
    if label_count(&next) > MAX_LABELS {
        return Err(Error::LimitExceeded(format!(
            "You can attach a maximum of {MAX_LABELS} staging labels to the versions of a secret."
        )));
    }
    *record = next;
    Ok(())
}

/// UpdateSecretVersionStage: moves `stage` to `move_to`, and/or removes it from `remove_from`.
pub fn update_stage(
    record: &mut SecretRecord,
    stage: &str,
    move_to: Option<&str>,
    remove_from: Option<&str>,
) -> Result<()> {
    for id in [move_to, remove_from].into_iter().flatten() {
        if record.version(id).is_none() {
            return Err(Error::NoValueForVersion(id.to_owned()));
        }
    }
    let holder = record
        .version_with_stage(stage)
        .map(|v| v.version_id.clone());
    let mut next = record.clone();
    match (move_to, remove_from) {
        (None, None) => {
            return Err(Error::InvalidParameter(
                "You must specify either MoveToVersionId or RemoveFromVersionId.".into(),
            ))
        }
        (None, Some(from)) => {
            if holder.as_deref() != Some(from) {
                return Err(Error::InvalidParameter(format!(
                    "The staging label {stage} is not attached to the version {from}."
                )));
            }
            if stage == AWSCURRENT {
                // Removing AWSCURRENT without moving it would leave a secret with a value but no
                // current version; AWS's rotation flow always moves it instead.
                return Err(Error::InvalidParameter(
                    "You can't remove the staging label AWSCURRENT without moving it to another version with MoveToVersionId."
                        .into(),
                ));
            }
            detach(&mut next, stage);
        }
        (Some(to), from) => {
            if stage == AWSPREVIOUS && record.version(to).is_some_and(|v| v.has_stage(AWSCURRENT)) {
                return Err(Error::InvalidParameter(format!(
                    "The staging label AWSPREVIOUS can't be attached to version {to}, which has the staging label AWSCURRENT."
                )));
            }
            match (holder.as_deref(), from) {
                // Attached elsewhere and the caller did not say where: AWS refuses.
                (Some(h), None) if h != to => {
                    return Err(Error::InvalidParameter(format!(
                        "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {h}, so you must explicitly reference that version in RemoveFromVersionId."
                    )))
                }
                (h, Some(from)) if h != Some(from) => {
                    return Err(Error::InvalidParameter(format!(
                        "When you move staging label {stage}, if you specify RemoveFromVersionId, it must be set to the version that currently has the staging label {stage}."
                    )))
                }
                _ => {}
            }
            attach(&mut next, stage, to);
        }
    }
    if label_count(&next) > MAX_LABELS {
        return Err(Error::LimitExceeded(format!(
            "You can attach a maximum of {MAX_LABELS} staging labels to the versions of a secret."
        )));
    }
    *record = next;
    Ok(())
}

/// Removes versions without labels beyond [`MAX_VERSIONS`], oldest first, sparing any younger
/// than [`VERSION_GRACE_HOURS`]. Returns the ids removed.
pub fn prune(record: &mut SecretRecord, now: DateTime<Utc>) -> Vec<String> {
    let mut removed = Vec::new();
    let grace = now - Duration::hours(VERSION_GRACE_HOURS);
    let mut excess = record.versions.len().saturating_sub(MAX_VERSIONS);
    if excess == 0 {
        return removed;
    }
    let mut candidates: Vec<(DateTime<Utc>, String)> = record
        .versions
        .iter()
        .filter(|v| v.stages.is_empty() && v.created <= grace)
        .map(|v| (v.created, v.version_id.clone()))
        .collect();
    candidates.sort();
    for (_, id) in candidates {
        if excess == 0 {
            break;
        }
        record.versions.retain(|v| v.version_id != id);
        removed.push(id);
        excess -= 1;
    }
    removed
}

/// Checks the label invariants; returns a description of the first one broken.
pub fn check_invariants(record: &SecretRecord) -> std::result::Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for version in &record.versions {
        for stage in &version.stages {
            if !seen.insert(stage.as_str()) {
                return Err(format!("label {stage} on two versions"));
            }
        }
    }
    let current: Vec<&VersionMeta> = record
        .versions
        .iter()
        .filter(|v| v.has_stage(AWSCURRENT))
        .collect();
    if !record.versions.is_empty() && current.len() != 1 {
        return Err(format!("{} versions carry AWSCURRENT", current.len()));
    }
    if current.first().is_some_and(|v| v.has_stage(AWSPREVIOUS)) {
        return Err("AWSPREVIOUS on the AWSCURRENT version".into());
    }
    if seen.len() > MAX_LABELS {
        return Err(format!("{} labels attached", seen.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{AccountId, Region, Scope};

    fn empty() -> SecretRecord {
        let now = Utc::now();
        SecretRecord {
            id: "id".into(),
            scope: Scope {
                account: AccountId::parse("123456789012").expect("valid"),
                region: Region::parse("us-east-1").expect("valid"),
            },
            name: "n".into(),
            suffix: "AbC123".into(),
            description: None,
            kms_key_id: None,
            created: now,
            last_changed: now,
            last_accessed: None,
            deleted: None,
            deletion_due: None,
            tags: Vec::new(),
            tagged: false,
            resource_policy: None,
            versions: Vec::new(),
            rotation: None,
        }
    }

    fn stages(record: &SecretRecord) -> Vec<(String, Vec<String>)> {
        record
            .versions
            .iter()
            .map(|v| {
                let mut s = v.stages.clone();
                s.sort();
                (v.version_id.clone(), s)
            })
            .collect()
    }

    fn labels(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_puts_move_current_and_previous() {
        let mut r = empty();
        let now = Utc::now();
        add_version(&mut r, "v1", now, None, None).expect("v1");
        add_version(&mut r, "v2", now, None, None).expect("v2");
        add_version(&mut r, "v3", now, None, None).expect("v3");
        assert_eq!(
            stages(&r),
            vec![
                ("v1".into(), vec![]),
                ("v2".into(), labels(&["AWSPREVIOUS"])),
                ("v3".into(), labels(&["AWSCURRENT"]))
            ]
        );
        check_invariants(&r).expect("invariants");
    }

    #[test]
    fn first_version_gets_current_even_with_custom_stages() {
        let mut r = empty();
        add_version(&mut r, "v1", Utc::now(), None, Some(&labels(&["BLUE"]))).expect("v1");
        assert_eq!(
            stages(&r),
            vec![("v1".into(), labels(&["AWSCURRENT", "BLUE"]))]
        );
    }

    #[test]
    fn custom_stage_does_not_move_current() {
        let mut r = empty();
        add_version(&mut r, "v1", Utc::now(), None, None).expect("v1");
        add_version(
            &mut r,
            "v2",
            Utc::now(),
            None,
            Some(&labels(&["AWSPENDING"])),
        )
        .expect("v2");
        assert_eq!(
            stages(&r),
            vec![
                ("v1".into(), labels(&["AWSCURRENT"])),
                ("v2".into(), labels(&["AWSPENDING"]))
            ]
        );
    }

    #[test]
    fn moving_current_back_rolls_previous_forward() {
        let mut r = empty();
        add_version(&mut r, "v1", Utc::now(), None, None).expect("v1");
        add_version(&mut r, "v2", Utc::now(), None, None).expect("v2");
        update_stage(&mut r, AWSCURRENT, Some("v1"), Some("v2")).expect("move");
        assert_eq!(
            stages(&r),
            vec![
                ("v1".into(), labels(&["AWSCURRENT"])),
                ("v2".into(), labels(&["AWSPREVIOUS"]))
            ]
        );
    }

    #[test]
    fn moving_a_held_label_needs_remove_from() {
        let mut r = empty();
        add_version(&mut r, "v1", Utc::now(), None, None).expect("v1");
        add_version(&mut r, "v2", Utc::now(), None, None).expect("v2");
        let before = r.clone();
        let err = update_stage(&mut r, AWSCURRENT, Some("v1"), None).expect_err("must fail");
        assert!(
            matches!(&err, Error::InvalidParameter(m) if m.starts_with("The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version v2")),
            "{err:?}"
        );
        let err = update_stage(&mut r, AWSCURRENT, Some("v1"), Some("v1")).expect_err("wrong from");
        assert!(matches!(err, Error::InvalidParameter(_)));
        assert_eq!(r, before);
    }

    #[test]
    fn remove_checks_the_holder_and_spares_current() {
        let mut r = empty();
        add_version(&mut r, "v1", Utc::now(), None, None).expect("v1");
        add_version(&mut r, "v2", Utc::now(), None, Some(&labels(&["BLUE"]))).expect("v2");
        assert!(matches!(
            update_stage(&mut r, "BLUE", None, Some("v1")),
            Err(Error::InvalidParameter(_))
        ));
        assert!(matches!(
            update_stage(&mut r, AWSCURRENT, None, Some("v1")),
            Err(Error::InvalidParameter(_))
        ));
        update_stage(&mut r, "BLUE", None, Some("v2")).expect("remove");
        assert_eq!(
            stages(&r),
            vec![
                ("v1".into(), labels(&["AWSCURRENT"])),
                ("v2".into(), vec![])
            ]
        );
        assert!(
            matches!(update_stage(&mut r, "X", Some("nope"), None), Err(Error::NoValueForVersion(v)) if v == "nope")
        );
    }

    #[test]
    fn label_quota() {
        let mut r = empty();
        let many: Vec<String> = (0..19).map(|i| format!("L{i}")).collect();
        add_version(&mut r, "v1", Utc::now(), None, Some(&many)).expect("20 labels");
        assert!(matches!(
            add_version(
                &mut r,
                "v2",
                Utc::now(),
                None,
                Some(&labels(&["ONE-TOO-MANY"]))
            ),
            Err(Error::LimitExceeded(_))
        ));
        assert_eq!(r.versions.len(), 1);
    }

    #[test]
    fn prune_spares_labelled_and_young_versions() {
        let mut r = empty();
        let now = Utc::now();
        let old = now - Duration::hours(48);
        for i in 0..105 {
            add_version(&mut r, &format!("v{i:03}"), old, None, None).expect("add");
        }
        // Five young versions on top: 110 in all, 100 of them old and unlabelled.
        for i in 105..110 {
            add_version(&mut r, &format!("v{i:03}"), now, None, None).expect("add");
        }
        let removed = prune(&mut r, now);
        assert_eq!(removed.len(), 10);
        assert_eq!(removed[0], "v000");
        assert_eq!(r.versions.len(), 100);
        // When only young versions are unlabelled, nothing is removed.
        let mut young = empty();
        for i in 0..102 {
            add_version(&mut young, &format!("y{i:03}"), now, None, None).expect("add");
        }
        assert!(prune(&mut young, now).is_empty());
        assert_eq!(young.versions.len(), 102);
    }
}
