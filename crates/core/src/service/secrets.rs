//! Secret-level operations: create, update, describe, delete, restore, tags.

use chrono::{DateTime, Duration, Utc};

use super::access::{Authority, Target};
use super::{token_required, Service};
use crate::error::{Error, Result};
use crate::labels;
use crate::model::{NewVersion, SecretRecord, SecretValue};
use crate::names::{generate_arn_suffix, SecretId, SecretName};
use crate::policy::ConditionKeys;

/// A new secret's internal id (never shown to callers): a UUIDv7 of its creation time and 74
/// random bits. Ids of secrets created one after another sort together, so a new secret's rows
/// land at the end of the indexes keyed by id (the secret, its versions, labels and tags)
/// instead of at random places: with random ids, a store of a million secrets wrote about
/// 46 KB per CreateSecret (docs/performance.md, "1,000,000 secrets").
fn secret_id(created: DateTime<Utc>) -> String {
    let millis = u64::try_from(created.timestamp_millis()).unwrap_or(0);
    let nanos = u32::try_from((millis % 1000) * 1_000_000).unwrap_or(0);
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        millis / 1000,
        nanos,
    ))
    .to_string()
}

/// CreateSecret's input, parsed.
#[derive(Debug, Default)]
pub struct CreateSecretInput {
    /// The name.
    pub name: String,
    /// The ClientRequestToken, which becomes the first version's id.
    pub client_request_token: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The KmsKeyId as given.
    pub kms_key_id: Option<String>,
    /// The first value, if any.
    pub value: Option<SecretValue>,
    /// Tags, in order.
    pub tags: Vec<(String, String)>,
}

/// What CreateSecret, UpdateSecret and friends answer: the secret's ARN and name, and the id of
/// the version the call created, if it created one.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretRefOutput {
    /// The ARN.
    pub arn: String,
    /// The name.
    pub name: String,
    /// The version created, if any.
    pub version_id: Option<String>,
}

impl SecretRefOutput {
    pub(super) fn of(record: &SecretRecord, version_id: Option<String>) -> Self {
        Self {
            arn: record.arn(),
            name: record.name.clone(),
            version_id,
        }
    }
}

/// UpdateSecret's input, parsed.
#[derive(Debug, Default)]
pub struct UpdateSecretInput {
    /// The SecretId.
    pub secret_id: String,
    /// The ClientRequestToken for a new value.
    pub client_request_token: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// A new KmsKeyId.
    pub kms_key_id: Option<String>,
    /// A new value.
    pub value: Option<SecretValue>,
}

/// DeleteSecret's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteSecretOutput {
    /// The ARN.
    pub arn: String,
    /// The name.
    pub name: String,
    /// When the secret is (or was) deleted for good.
    pub deletion_date: chrono::DateTime<chrono::Utc>,
}

/// The most tags a secret may carry (AWS quota).
pub const MAX_TAGS: usize = 50;

/// Merges `tags` into `existing`: a new key is appended, an existing key (case-sensitive) gets the
/// new value in place.
fn merge_tags(existing: &mut Vec<(String, String)>, tags: &[(String, String)]) -> Result<()> {
    for (key, value) in tags {
        match existing.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.clone(),
            None => existing.push((key.clone(), value.clone())),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(Error::InvalidParameter(format!(
            "Number of tags exceeds the limit of {MAX_TAGS} tags per secret."
        )));
    }
    Ok(())
}

impl Service {
    /// CreateSecret.
    pub async fn create_secret(
        &self,
        who: &(impl Authority + ?Sized),
        input: CreateSecretInput,
    ) -> Result<SecretRefOutput> {
        let scope = who.scope();
        let name = SecretName::parse(&input.name)?;
        let version_id = match (&input.value, &input.client_request_token) {
            (Some(_), None) => return Err(token_required()),
            (Some(_), Some(token)) => Some(token.clone()),
            // Without a value the token creates nothing (SDKs send one regardless).
            (None, _) => None,
        };
        let now = self.now();
        let mut tags = Vec::new();
        merge_tags(&mut tags, &input.tags)?;
        let mut record = SecretRecord {
            id: secret_id(now),
            scope: scope.clone(),
            name: name.as_str().to_owned(),
            suffix: generate_arn_suffix()?,
            description: input.description.clone(),
            kms_key_id: input.kms_key_id.clone(),
            created: now,
            last_changed: now,
            last_accessed: None,
            deleted: None,
            deletion_due: None,
            tagged: !tags.is_empty(),
            tags,
            resource_policy: None,
            versions: Vec::new(),
            rotation: None,
        };
        // The new secret's own ARN is the resource, with the request's values as keys; adding
        // tags also takes secretsmanager:TagResource, as on AWS.
        let arn = record.arn();
        let target = Target::Arn {
            arn: &arn,
            account: scope.account.as_str(),
        };
        let request_keys = |keys: &mut ConditionKeys| {
            keys.insert("secretsmanager:Name", input.name.clone());
            if let Some(description) = &input.description {
                keys.insert("secretsmanager:Description", description.clone());
            }
            if let Some(kms_key_id) = &input.kms_key_id {
                keys.insert("secretsmanager:KmsKeyId", kms_key_id.clone());
            }
            request_tag_keys(keys, &input.tags);
        };
        self.authorize(who, "secretsmanager:CreateSecret", target, request_keys)?;
        if !input.tags.is_empty() {
            self.authorize(who, "secretsmanager:TagResource", target, request_keys)?;
        }
        // The key is checked even when no value is sealed now: AWS refuses a KmsKeyId it
        // cannot use at CreateSecret.
        let seal_key = self
            .secret_seal_key(who, scope, input.kms_key_id.as_deref())
            .await?;
        let first = match (&input.value, &version_id) {
            (Some(value), Some(version_id)) => {
                labels::add_version(&mut record, version_id, now, input.kms_key_id.clone(), None)?;
                Some(NewVersion {
                    version_id: version_id.clone(),
                    sealed: self.seal_value(&record, version_id, &seal_key, value)?,
                })
            }
            _ => None,
        };
        match self.store.insert_secret(&record, first.as_ref()).await {
            Ok(()) => Ok(SecretRefOutput::of(&record, version_id)),
            Err(Error::SecretExists(existing_name)) => {
                // A retry of a CreateSecret that succeeded (same token, same value) answers
                // as the first call did; anything else is a conflict. Comparing the values
                // needs GetSecretValue, or CreateSecret would confirm guesses of the value.
                if let (Some(value), Some(token)) = (&input.value, &input.client_request_token) {
                    let existing = self.find(scope, &SecretId::parse(name.as_str())).await?;
                    if existing.version(token).is_some() {
                        self.authorize_value_comparison(who, &existing, token)?;
                        if self.open_value(who, &existing, token).await?.ct_eq(value) {
                            return Ok(SecretRefOutput::of(&existing, Some(token.clone())));
                        }
                        // The token names a version of the secret: AWS reports the token, not
                        // the name.
                        return Err(Error::VersionExists(token.clone(), existing.arn()));
                    }
                }
                Err(Error::SecretExists(existing_name))
            }
            Err(other) => Err(other),
        }
    }

    /// DescribeSecret: the record itself; secrets scheduled for deletion are described too.
    pub async fn describe_secret(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
    ) -> Result<SecretRecord> {
        self.find_authorized(
            who,
            "secretsmanager:DescribeSecret",
            &SecretId::parse(secret_id),
            &|_| {},
        )
        .await
    }

    /// UpdateSecret: metadata changes and, with a value, a new AWSCURRENT version.
    pub async fn update_secret(
        &self,
        who: &(impl Authority + ?Sized),
        input: UpdateSecretInput,
    ) -> Result<SecretRefOutput> {
        let scope = who.scope();
        if input.value.is_some() && input.client_request_token.is_none() {
            return Err(token_required());
        }
        // The key a new value is sealed with: the one this call names, or else the secret's
        // own, which is known only once the secret is found (read here, before the
        // transaction; checked against the locked record inside it).
        let named_key = match &input.kms_key_id {
            Some(given) => Some(self.secret_seal_key(who, scope, Some(given)).await?),
            None => None,
        };
        let current_key = match (&input.kms_key_id, &input.value) {
            (None, Some(_)) => self.existing_seal_key(who, &input.secret_id).await?,
            _ => None,
        };
        let now = self.now();
        let mut existing_version = false;
        let mut abandoned = None;
        let request_keys = |keys: &mut ConditionKeys| {
            if let Some(description) = &input.description {
                keys.insert("secretsmanager:Description", description.clone());
            }
            if let Some(kms_key_id) = &input.kms_key_id {
                keys.insert("secretsmanager:KmsKeyId", kms_key_id.clone());
            }
        };
        let record = self
            .update_authorized(
                who,
                "secretsmanager:UpdateSecret",
                &SecretId::parse(&input.secret_id),
                &request_keys,
                &mut |record, new_versions| {
                    abandoned = None;
                    if record.is_deleted() {
                        return Err(Error::MarkedForDeletion);
                    }
                    existing_version = false;
                    // A retry naming an existing version compares values (below, after the
                    // commit), which needs GetSecretValue; checked here, on the locked record
                    // and before anything changes, so that a refused retry writes nothing.
                    if let (Some(_), Some(token)) = (&input.value, &input.client_request_token) {
                        if record.version(token).is_some() {
                            self.authorize_value_comparison(who, record, token)?;
                            // A retry (or a conflict, found after the commit) changes nothing:
                            // not the description or key either, so that a token in use with
                            // another value leaves the secret as it was.
                            existing_version = true;
                            return Ok(());
                        }
                    }
                    if let Some(description) = &input.description {
                        record.description = Some(description.clone());
                    }
                    if input.kms_key_id.is_some() {
                        record.kms_key_id = input.kms_key_id.clone();
                    }
                    if let (Some(value), Some(token)) = (&input.value, &input.client_request_token)
                    {
                        // Without KmsKeyId in this call, the secret's key seals the new value.
                        let version_key = input
                            .kms_key_id
                            .clone()
                            .or_else(|| record.kms_key_id.clone());
                        let seal_key = match &named_key {
                            Some(named) => named,
                            None => Self::pick_seal_key(&current_key, record)?,
                        };
                        labels::add_version(record, token, now, version_key, None)?;
                        new_versions.push(NewVersion {
                            version_id: token.clone(),
                            sealed: self.seal_value(record, token, seal_key, value)?,
                        });
                        abandoned = crate::rotation::reconcile(record);
                        crate::rotation::value_changed(record, token, now);
                        labels::prune(record, now);
                    }
                    record.last_changed = now;
                    Ok(())
                },
            )
            .await?;
        self.report_abandoned(&record, abandoned.as_deref());
        let version_id = match (&input.value, &input.client_request_token) {
            (Some(value), Some(token)) => {
                // The caller may read the value: authorized inside the transaction.
                if existing_version && !self.open_value(who, &record, token).await?.ct_eq(value) {
                    return Err(Error::VersionExists(token.clone(), record.arn()));
                }
                Some(token.clone())
            }
            _ => None,
        };
        Ok(SecretRefOutput::of(&record, version_id))
    }

    /// DeleteSecret: schedules deletion after the recovery window, or removes at once.
    pub async fn delete_secret(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
        recovery_window_days: Option<i64>,
        force: bool,
    ) -> Result<DeleteSecretOutput> {
        const ACTION: &str = "secretsmanager:DeleteSecret";
        let scope = who.scope();
        let secret_id = SecretId::parse(secret_id);
        let (target_scope, candidates) = secret_id.resolve(scope);
        let now = self.now();
        let request_keys = |keys: &mut ConditionKeys| {
            if let Some(days) = recovery_window_days {
                keys.insert("secretsmanager:RecoveryWindowInDays", days.to_string());
            }
            if force {
                keys.insert("secretsmanager:ForceDeleteWithoutRecovery", "true");
            }
        };
        if force {
            // The removal is not a read-modify-write, so the check reads the secret first; a
            // policy change racing a forced delete is as eventually consistent as on AWS.
            let existing = if candidates.is_empty() {
                None
            } else {
                self.store.find_secret(&target_scope, &candidates).await?
            };
            match &existing {
                Some(record) => {
                    self.authorize(who, ACTION, Target::Secret(record), request_keys)?
                }
                None => {
                    if let Error::AccessDenied(message) =
                        self.denied_or(who, ACTION, &secret_id, Error::SecretNotFound)
                    {
                        return Err(Error::AccessDenied(message));
                    }
                }
            }
            // Force-deleting a secret that does not exist succeeds (AWS-BEHAVIOUR.md).
            let removed = if existing.is_none() {
                None
            } else {
                self.store.remove_secret(&target_scope, &candidates).await?
            };
            return Ok(match removed {
                Some(record) => DeleteSecretOutput {
                    arn: record.arn(),
                    name: record.name,
                    deletion_date: now,
                },
                None => DeleteSecretOutput {
                    arn: format!(
                        "arn:aws:secretsmanager:{}:{}:secret:{}",
                        scope.region,
                        scope.account,
                        secret_id.as_str()
                    ),
                    name: secret_id.as_str().to_owned(),
                    deletion_date: now,
                },
            });
        }
        let days = recovery_window_days.unwrap_or(30);
        let due = now + Duration::days(days);
        let record = self
            .update_authorized(who, ACTION, &secret_id, &request_keys, &mut |record, _| {
                if record.is_deleted() {
                    return Err(Error::MarkedForDeletion);
                }
                record.deleted = Some(now);
                record.deletion_due = Some(due);
                // A rotation in progress stops (its labels stay, as CancelRotateSecret leaves
                // them); RestoreSecret keeps the configuration, and the scheduler takes the
                // pending rotation up again at its next window.
                if let Some(rotation) = record.rotation.as_mut() {
                    rotation.run = None;
                }
                Ok(())
            })
            .await?;
        Ok(DeleteSecretOutput {
            arn: record.arn(),
            name: record.name,
            deletion_date: due,
        })
    }

    /// RestoreSecret: cancels a scheduled deletion. Restoring a secret that is not scheduled for
    /// deletion succeeds and changes nothing.
    pub async fn restore_secret(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
    ) -> Result<SecretRefOutput> {
        let record = self
            .update_authorized(
                who,
                "secretsmanager:RestoreSecret",
                &SecretId::parse(secret_id),
                &|_| {},
                &mut |record, _| {
                    record.deleted = None;
                    record.deletion_due = None;
                    Ok(())
                },
            )
            .await?;
        Ok(SecretRefOutput::of(&record, None))
    }

    /// TagResource: adds tags or overwrites their values.
    pub async fn tag_resource(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
        tags: &[(String, String)],
    ) -> Result<()> {
        let request_keys = |keys: &mut ConditionKeys| request_tag_keys(keys, tags);
        self.update_authorized(
            who,
            "secretsmanager:TagResource",
            &SecretId::parse(secret_id),
            &request_keys,
            &mut |record, _| {
                if record.is_deleted() {
                    return Err(Error::MarkedForDeletion);
                }
                merge_tags(&mut record.tags, tags)?;
                record.tagged |= !record.tags.is_empty();
                Ok(())
            },
        )
        .await?;
        Ok(())
    }

    /// UntagResource: removes the named keys (case-sensitive); unknown keys are ignored.
    pub async fn untag_resource(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
        keys: &[String],
    ) -> Result<()> {
        let request_keys =
            |k: &mut ConditionKeys| k.insert_all("aws:TagKeys", keys.iter().cloned());
        self.update_authorized(
            who,
            "secretsmanager:UntagResource",
            &SecretId::parse(secret_id),
            &request_keys,
            &mut |record, _| {
                if record.is_deleted() {
                    return Err(Error::MarkedForDeletion);
                }
                record.tags.retain(|(k, _)| !keys.contains(k));
                Ok(())
            },
        )
        .await?;
        Ok(())
    }
}

/// `aws:RequestTag/<key>` for each tag of a request, and `aws:TagKeys`.
fn request_tag_keys(keys: &mut ConditionKeys, tags: &[(String, String)]) {
    for (key, value) in tags {
        keys.insert(&format!("aws:RequestTag/{key}"), value.clone());
    }
    if !tags.is_empty() {
        keys.insert_all("aws:TagKeys", tags.iter().map(|(k, _)| k.clone()));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// Ids of later secrets sort after those of earlier ones; two in the same millisecond
    /// differ.
    #[test]
    fn secret_ids_sort_by_creation_and_never_repeat() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 3, 14, 0, 0).unwrap();
        let ids: Vec<String> = (0..1000)
            .map(|i| secret_id(t0 + Duration::milliseconds(i)))
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let same: std::collections::HashSet<String> = (0..1000).map(|_| secret_id(t0)).collect();
        assert_eq!(same.len(), 1000);
        assert_eq!(uuid::Uuid::parse_str(&ids[0]).unwrap().get_version_num(), 7);
    }
}
