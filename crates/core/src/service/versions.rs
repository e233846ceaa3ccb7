//! Version-level operations: read a value, write a value, move a label.

use chrono::{DateTime, Utc};

use super::access::Authority;
use super::{day_of, token_required, Service};
use crate::error::{Error, Result};
use crate::labels;
use crate::model::{NewVersion, SecretRecord, SecretValue};
use crate::names::{SecretId, AWSCURRENT, AWSPENDING};
use crate::policy::ConditionKeys;

/// GetSecretValue's input.
#[derive(Debug, Default, Clone)]
pub struct GetSecretValueInput {
    /// The SecretId.
    pub secret_id: String,
    /// A version id to read.
    pub version_id: Option<String>,
    /// A staging label to read (default AWSCURRENT when no version id is given).
    pub version_stage: Option<String>,
}

/// A secret value with the facts GetSecretValue returns beside it.
#[derive(Debug)]
pub struct SecretValueOutput {
    /// The ARN.
    pub arn: String,
    /// The name.
    pub name: String,
    /// The version id.
    pub version_id: String,
    /// The value.
    pub value: SecretValue,
    /// The version's staging labels.
    pub version_stages: Vec<String>,
    /// When the version was created.
    pub created: DateTime<Utc>,
}

/// PutSecretValue's input.
#[derive(Debug, Default)]
pub struct PutSecretValueInput {
    /// The SecretId.
    pub secret_id: String,
    /// The ClientRequestToken, the new version's id.
    pub client_request_token: Option<String>,
    /// The value.
    pub value: Option<SecretValue>,
    /// The labels to attach (default AWSCURRENT).
    pub version_stages: Option<Vec<String>>,
    /// The RotationToken of the rotation this value belongs to, if the caller gave one.
    pub rotation_token: Option<zeroize::Zeroizing<String>>,
}

/// UpdateSecretVersionStage's input.
#[derive(Debug, Default, Clone)]
pub struct UpdateSecretVersionStageInput {
    /// The SecretId.
    pub secret_id: String,
    /// The label to move.
    pub version_stage: String,
    /// Where to move it.
    pub move_to_version_id: Option<String>,
    /// Where to take it from.
    pub remove_from_version_id: Option<String>,
}

impl Service {
    /// Picks the version GetSecretValue names, with AWS's errors.
    fn select_version<'r>(
        record: &'r SecretRecord,
        version_id: Option<&str>,
        version_stage: Option<&str>,
    ) -> Result<&'r crate::model::VersionMeta> {
        match (version_id, version_stage) {
            (Some(id), stage) => {
                let version = record
                    .version(id)
                    .ok_or_else(|| Error::NoValueForVersion(id.to_owned()))?;
                if stage.is_some_and(|s| !version.has_stage(s)) {
                    return Err(Error::StageNotOnVersion);
                }
                Ok(version)
            }
            (None, stage) => {
                let stage = stage.unwrap_or(AWSCURRENT);
                record
                    .version_with_stage(stage)
                    .ok_or_else(|| Error::NoValueForStage(stage.to_owned()))
            }
        }
    }

    /// GetSecretValue.
    pub async fn get_secret_value(
        &self,
        who: &(impl Authority + ?Sized),
        input: &GetSecretValueInput,
    ) -> Result<SecretValueOutput> {
        let request_keys = |keys: &mut ConditionKeys| {
            if let Some(id) = &input.version_id {
                keys.insert("secretsmanager:VersionId", id.clone());
            }
            if let Some(stage) = &input.version_stage {
                keys.insert("secretsmanager:VersionStage", stage.clone());
            }
        };
        let record = self
            .find_authorized(
                who,
                "secretsmanager:GetSecretValue",
                &SecretId::parse(&input.secret_id),
                &request_keys,
            )
            .await?;
        self.read_value(
            who,
            &record,
            input.version_id.as_deref(),
            input.version_stage.as_deref(),
        )
        .await
    }

    /// Reads one version of a found secret, and records the access.
    pub(super) async fn read_value(
        &self,
        who: &(impl Authority + ?Sized),
        record: &SecretRecord,
        version_id: Option<&str>,
        version_stage: Option<&str>,
    ) -> Result<SecretValueOutput> {
        if record.is_deleted() {
            return Err(Error::MarkedForDeletion);
        }
        let version = Self::select_version(record, version_id, version_stage)?;
        let value = self.open_value(who, record, &version.version_id).await?;
        // LastAccessedDate has day granularity, so this writes at most once a day per version.
        let today = day_of(self.now());
        if record.last_accessed != Some(today) || version.last_accessed != Some(today) {
            self.store
                .record_access(&record.id, &version.version_id, today)
                .await?;
        }
        Ok(SecretValueOutput {
            arn: record.arn(),
            name: record.name.clone(),
            version_id: version.version_id.clone(),
            value,
            version_stages: version.stages.clone(),
            created: version.created,
        })
    }

    /// PutSecretValue. Returns the ARN, name, version id and the version's labels.
    pub async fn put_secret_value(
        &self,
        who: &(impl Authority + ?Sized),
        input: PutSecretValueInput,
    ) -> Result<(super::SecretRefOutput, Vec<String>)> {
        let Some(value) = &input.value else {
            return Err(Error::InvalidRequest(
                "You must provide either SecretString or SecretBinary.".into(),
            ));
        };
        let Some(token) = &input.client_request_token else {
            return Err(token_required());
        };
        let now = self.now();
        let mut existing_version = false;
        // The secret's key, resolved before the lock (see `existing_seal_key`).
        let current_key = self.existing_seal_key(who, &input.secret_id).await?;
        let mut abandoned = None;
        let record = self
            .update_authorized(
                who,
                "secretsmanager:PutSecretValue",
                &SecretId::parse(&input.secret_id),
                &|_| {},
                &mut |record, new_versions| {
                    abandoned = None;
                    if record.is_deleted() {
                        return Err(Error::MarkedForDeletion);
                    }
                    if let Some(rotation_token) = &input.rotation_token {
                        Self::check_rotation_token(record, rotation_token)?;
                    }
                    existing_version = record.version(token).is_some();
                    if existing_version {
                        return Ok(());
                    }
                    let seal_key = Self::pick_seal_key(&current_key, record)?;
                    let kms_key_id = record.kms_key_id.clone();
                    labels::add_version(
                        record,
                        token,
                        now,
                        kms_key_id,
                        input.version_stages.as_deref(),
                    )?;
                    new_versions.push(NewVersion {
                        version_id: token.clone(),
                        sealed: self.seal_value(record, token, seal_key, value)?,
                    });
                    abandoned = crate::rotation::reconcile(record);
                    crate::rotation::value_changed(record, token, now);
                    labels::prune(record, now);
                    record.last_changed = now;
                    Ok(())
                },
            )
            .await?;
        self.report_abandoned(&record, abandoned.as_deref());
        if existing_version {
            // The retry compares values: only for a caller that may read them.
            self.authorize_value_comparison(who, &record, token)?;
            if !self.open_value(who, &record, token).await?.ct_eq(value) {
                return Err(Error::VersionExists(token.clone(), record.arn()));
            }
        }
        let stages = record
            .version(token)
            .map(|v| v.stages.clone())
            .unwrap_or_default();
        Ok((
            super::SecretRefOutput {
                arn: record.arn(),
                name: record.name.clone(),
                version_id: Some(token.clone()),
            },
            stages,
        ))
    }

    /// UpdateSecretVersionStage.
    pub async fn update_secret_version_stage(
        &self,
        who: &(impl Authority + ?Sized),
        input: &UpdateSecretVersionStageInput,
    ) -> Result<super::SecretRefOutput> {
        let now = self.now();
        let request_keys = |keys: &mut ConditionKeys| {
            keys.insert("secretsmanager:VersionStage", input.version_stage.clone());
        };
        let mut abandoned = None;
        let record = self
            .update_authorized(
                who,
                "secretsmanager:UpdateSecretVersionStage",
                &SecretId::parse(&input.secret_id),
                &request_keys,
                &mut |record, _| {
                    abandoned = None;
                    if record.is_deleted() {
                        return Err(Error::MarkedForDeletion);
                    }
                    let mut remove_from = input.remove_from_version_id.as_deref();
                    let placeholder = record
                        .rotation
                        .as_ref()
                        .and_then(|r| r.placeholder.as_ref())
                        .map(|p| p.version_id.clone());
                    if let Some(held) = placeholder.filter(|_| input.version_stage == AWSPENDING) {
                        // The value-less placeholder carries AWSPENDING: removing it from there
                        // (AWS's documented way out of a stuck rotation) drops the placeholder.
                        if remove_from == Some(held.as_str()) {
                            if let Some(r) = record.rotation.as_mut() {
                                r.placeholder = None;
                            }
                            remove_from = None;
                            if input.move_to_version_id.is_none() {
                                abandoned = crate::rotation::reconcile(record);
                                record.last_changed = now;
                                return Ok(());
                            }
                        } else if input.move_to_version_id.as_deref().is_some_and(|to| to != held) {
                            return Err(Error::InvalidParameter(format!(
                                "The parameter RemoveFromVersionId can't be empty. Staging label AWSPENDING is currently attached to version {held}, so you must explicitly reference that version in RemoveFromVersionId."
                            )));
                        }
                    }
                    labels::update_stage(
                        record,
                        &input.version_stage,
                        input.move_to_version_id.as_deref(),
                        remove_from,
                    )?;
                    abandoned = crate::rotation::reconcile(record);
                    labels::prune(record, now);
                    record.last_changed = now;
                    Ok(())
                },
            )
            .await?;
        self.report_abandoned(&record, abandoned.as_deref());
        Ok(super::SecretRefOutput {
            arn: record.arn(),
            name: record.name.clone(),
            version_id: None,
        })
    }
}
