//! Secret lifecycle: create, describe, list, update, delete and restore.

use super::common::{Filter, Tag};
use super::replication::{
    CrossAccountPrimary, CrossAccountReplicaEntry, ReplicaRegion, ReplicationStatus,
};
use super::rotation::{ExternalSecretRotationMetadataItem, RotationRules};
use crate::sensitive::{SensitiveBlob, SensitiveString};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Input of `CreateSecret`, which creates a secret, optionally with a first value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretRequest {
    /// Name of the new secret (1 to 512 ASCII letters, digits and `/_+=.@-`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Idempotency token that also becomes the new version's id (32 to 64 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// Free-text description of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// KMS key to encrypt the secret with; absent means `aws/secretsmanager`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Initial binary value; exclusive with `SecretString`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_binary: Option<SensitiveBlob>,
    /// Initial text value; exclusive with `SecretBinary`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<SensitiveString>,
    /// Tags to attach to the new secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Regions to replicate the new secret to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add_replica_regions: Option<Vec<ReplicaRegion>>,
    /// Overwrite a secret of the same name that already exists in a replica Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_overwrite_replica_secret: Option<bool>,
    /// A caller-chosen type label for the secret's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// ARN of a primary secret in another account that this secret replicates.
    #[serde(
        rename = "CrossAccountPrimaryARN",
        skip_serializing_if = "Option::is_none"
    )]
    pub cross_account_primary_arn: Option<String>,
}

/// Output of `CreateSecret`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecretResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the first version, absent when the secret was created without a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Replication status for each replica Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<Vec<ReplicationStatus>>,
}

/// Input of `DeleteSecret`, which schedules a secret for deletion, or deletes it at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecretRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// Days (7 to 30, default 30) before the deletion becomes final.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_window_in_days: Option<i64>,
    /// Delete at once, with no recovery window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_delete_without_recovery: Option<bool>,
}

/// Output of `DeleteSecret`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecretResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the secret will be (or was) deleted for good, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<f64>,
}

/// Input of `DescribeSecret`, which returns a secret's metadata, never its value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecretRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
}

/// Output of `DescribeSecret`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecretResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A caller-chosen type label for the secret's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Free-text description of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// ARN, key id or alias of the KMS key that encrypts the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Whether automatic rotation is turned on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_enabled: Option<bool>,
    /// ARN of the Lambda function that rotates the secret.
    #[serde(rename = "RotationLambdaARN", skip_serializing_if = "Option::is_none")]
    pub rotation_lambda_arn: Option<String>,
    /// When and how often the secret rotates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_rules: Option<RotationRules>,
    /// Key-value settings handed to an external (partner-managed) rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_secret_rotation_metadata: Option<Vec<ExternalSecretRotationMetadataItem>>,
    /// Role that an external rotation assumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_secret_rotation_role_arn: Option<String>,
    /// When the secret was last rotated, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotated_date: Option<f64>,
    /// When the secret was last changed, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_changed_date: Option<f64>,
    /// Day (midnight UTC, epoch seconds) of the last read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<f64>,
    /// When the secret was scheduled for deletion, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<f64>,
    /// When the next rotation is due, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<f64>,
    /// Tags attached to the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Every labelled version id with its staging labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_ids_to_stages: Option<BTreeMap<String, Vec<String>>>,
    /// The AWS service that manages this secret, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owning_service: Option<String>,
    /// When this was created, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<f64>,
    /// Region of the primary secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
    /// Replication status for each replica Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<Vec<ReplicationStatus>>,
    /// The primary secret in another account that this secret replicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_account_primary: Option<CrossAccountPrimary>,
    /// Replicas of this secret in other accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_account_replicas: Option<Vec<CrossAccountReplicaEntry>>,
}

/// Input of `ListSecrets`, which lists secrets, filtered and sorted, without their values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsRequest {
    /// Also list secrets that are scheduled for deletion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_planned_deletion: Option<bool>,
    /// Largest number of secrets to return (1 to 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    /// Opaque token for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Filters that select secrets; all must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<Filter>>,
    /// Sort direction, `asc` or `desc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<String>,
    /// Field to sort by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
}

/// Output of `ListSecrets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsResponse {
    /// The secrets of this page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_list: Option<Vec<SecretListEntry>>,
    /// Opaque token for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Input of `RestoreSecret`, which cancels a scheduled deletion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreSecretRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
}

/// Output of `RestoreSecret`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreSecretResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Input of `UpdateSecret`, which changes a secret's metadata and optionally its value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// Idempotency token that also becomes the new version's id (32 to 64 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New KMS key to encrypt the secret with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// New binary value; exclusive with `SecretString`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_binary: Option<SensitiveBlob>,
    /// New text value; exclusive with `SecretBinary`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<SensitiveString>,
    /// A caller-chosen type label for the secret's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

/// Output of `UpdateSecret`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the new version, absent when only metadata changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// One secret as `ListSecrets` shows it: metadata only, never the value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretListEntry {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A caller-chosen type label for the secret's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Free-text description of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// ARN, key id or alias of the KMS key that encrypts the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Whether automatic rotation is turned on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_enabled: Option<bool>,
    /// ARN of the Lambda function that rotates the secret.
    #[serde(rename = "RotationLambdaARN", skip_serializing_if = "Option::is_none")]
    pub rotation_lambda_arn: Option<String>,
    /// When and how often the secret rotates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_rules: Option<RotationRules>,
    /// Key-value settings handed to an external (partner-managed) rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_secret_rotation_metadata: Option<Vec<ExternalSecretRotationMetadataItem>>,
    /// Role that an external rotation assumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_secret_rotation_role_arn: Option<String>,
    /// When the secret was last rotated, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotated_date: Option<f64>,
    /// When the secret was last changed, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_changed_date: Option<f64>,
    /// Day (midnight UTC, epoch seconds) of the last read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<f64>,
    /// When the secret was scheduled for deletion, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<f64>,
    /// When the next rotation is due, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_rotation_date: Option<f64>,
    /// Tags attached to the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Every labelled version id with its staging labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_versions_to_stages: Option<BTreeMap<String, Vec<String>>>,
    /// The AWS service that manages this secret, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owning_service: Option<String>,
    /// When this was created, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<f64>,
    /// Region of the primary secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
}
