//! Secret values and their versions: read, batch read, write, list versions, move labels.

use super::common::Filter;
use crate::sensitive::{SensitiveBlob, SensitiveString};
use serde::{Deserialize, Serialize};

/// Input of `GetSecretValue`, which reads one version of a secret's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretValueRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// Version to read; defaults to the version labelled `AWSCURRENT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Staging label of the version to read; defaults to `AWSCURRENT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_stage: Option<String>,
}

/// Output of `GetSecretValue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSecretValueResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the secret version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The binary secret value (base64 on the wire).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_binary: Option<SensitiveBlob>,
    /// The text secret value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<SensitiveString>,
    /// Staging labels attached to the version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_stages: Option<Vec<String>>,
    /// When this was created, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<f64>,
}

/// Input of `BatchGetSecretValue`, which reads the values of up to 20 secrets in one call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueRequest {
    /// Secrets to read, by name or ARN (1 to 20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id_list: Option<Vec<String>>,
    /// Filters that select the secrets; exclusive with `SecretIdList`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<Vec<Filter>>,
    /// Largest number of secrets to return (1 to 20); only with `Filters`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    /// Opaque token for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Output of `BatchGetSecretValue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueResponse {
    /// The values that could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_values: Option<Vec<SecretValueEntry>>,
    /// Opaque token for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Secrets that could not be read, each with its error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ApiErrorType>>,
}

/// Input of `PutSecretValue`, which stores a new version of a secret's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// Idempotency token that also becomes the new version's id (32 to 64 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// New binary value; exclusive with `SecretString`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_binary: Option<SensitiveBlob>,
    /// New text value; exclusive with `SecretBinary`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<SensitiveString>,
    /// Labels for the new version; absent means `AWSCURRENT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_stages: Option<Vec<String>>,
    /// Token identifying the rotation run that writes this value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_token: Option<SensitiveString>,
}

/// Output of `PutSecretValue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the new version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Labels the new version carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_stages: Option<Vec<String>>,
}

/// Input of `ListSecretVersionIds`, which lists the versions of a secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// Largest number of versions to return (1 to 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    /// Opaque token for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Also list versions that carry no staging label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_deprecated: Option<bool>,
}

/// Output of `ListSecretVersionIds`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsResponse {
    /// The versions of this page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<SecretVersionsListEntry>>,
    /// Opaque token for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Input of `UpdateSecretVersionStage`, which moves a staging label between versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretVersionStageRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// The staging label to move.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_stage: Option<String>,
    /// Version that carries the label now and should lose it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_from_version_id: Option<String>,
    /// Version that should carry the label afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_to_version_id: Option<String>,
}

/// Output of `UpdateSecretVersionStage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateSecretVersionStageResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One secret value returned by `BatchGetSecretValue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretValueEntry {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The secret's friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Id of the secret version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The binary secret value (base64 on the wire).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_binary: Option<SensitiveBlob>,
    /// The text secret value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<SensitiveString>,
    /// Staging labels attached to the version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_stages: Option<Vec<String>>,
    /// When this was created, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<f64>,
}

/// One secret that `BatchGetSecretValue` could not read, with the reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiErrorType {
    /// The secret id as the caller gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// The error code for this secret, as it would appear in `__type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Human-readable explanation of the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One version as `ListSecretVersionIds` shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretVersionsListEntry {
    /// Id of the secret version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Staging labels attached to the version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_stages: Option<Vec<String>>,
    /// Day (midnight UTC, epoch seconds) this version was last read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<f64>,
    /// When this version was created, in epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<f64>,
    /// The KMS keys that encrypt this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_ids: Option<Vec<String>>,
}
