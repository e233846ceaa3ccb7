//! KMS request and response types, member for member as botocore's `kms` model (only the
//! members coffer reads or writes; an unknown member is ignored, as AWS ignores it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sensitive::SensitiveBlob;

/// A tag on a key (`Tag` in the model: `TagKey`, `TagValue`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KmsTag {
    /// The tag's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_key: Option<String>,
    /// The tag's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_value: Option<String>,
}

/// Input of `CreateKey`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeyRequest {
    /// The key policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The key's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What the key is for; only `ENCRYPT_DECRYPT` is served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<String>,
    /// The deprecated name of `KeySpec`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<String>,
    /// The key's type; only `SYMMETRIC_DEFAULT` is served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    /// Where the key material comes from; only `AWS_KMS` is served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// A custom key store; none exist in coffer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    /// Skips the policy lockout check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
    /// Tags for the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<KmsTag>>,
    /// Whether the key is a multi-Region key; coffer has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<bool>,
    /// An external key store's key; none exist in coffer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xks_key_id: Option<String>,
}

/// A key's metadata (`KeyMetadata`), as CreateKey and DescribeKey answer it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    /// The account that owns the key.
    #[serde(rename = "AWSAccountId", skip_serializing_if = "Option::is_none")]
    pub aws_account_id: Option<String>,
    /// The key id (a UUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// When the key was created, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<f64>,
    /// Whether the key is enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The description (always present, possibly empty, as KMS answers it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `ENCRYPT_DECRYPT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<String>,
    /// `Enabled`, `Disabled` or `PendingDeletion`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_state: Option<String>,
    /// When a key pending deletion is deleted, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<f64>,
    /// `AWS_KMS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// `CUSTOMER` for a customer managed key, `AWS` for an AWS managed one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_manager: Option<String>,
    /// The deprecated name of `KeySpec`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<String>,
    /// `SYMMETRIC_DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    /// `["SYMMETRIC_DEFAULT"]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<String>>,
    /// `false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<bool>,
    /// The pending window of a key pending deletion, in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<i64>,
}

/// Output of `CreateKey` and `DescribeKey`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadataResponse {
    /// The key's metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_metadata: Option<KeyMetadata>,
}

/// Input of the actions that name one key and nothing else: `DescribeKey`, `EnableKey`,
/// `DisableKey`, `CancelKeyDeletion`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdRequest {
    /// Key id, key ARN, alias name or alias ARN (only DescribeKey takes the alias forms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Grant tokens (DescribeKey); coffer has no grants and ignores them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
}

/// Input of `ListKeys` and `ListAliases`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRequest {
    /// ListAliases only: only the aliases of this key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// At most this many entries (1–1000, default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Where the previous page stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// An entry of `ListKeys`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    /// The key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_arn: Option<String>,
}

/// Output of `ListKeys`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse {
    /// The keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<KeyListEntry>>,
    /// Where the next page starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
}

/// An entry of `ListAliases`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// `alias/…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_name: Option<String>,
    /// The alias ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_arn: Option<String>,
    /// The key id the alias points at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    /// When the alias was created, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<f64>,
    /// When the alias was last pointed at a key, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<f64>,
}

/// Output of `ListAliases`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// The aliases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aliases: Option<Vec<AliasListEntry>>,
    /// Where the next page starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
}

/// Input of `CreateAlias`, `UpdateAlias` and `DeleteAlias` (which has no `TargetKeyId`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasRequest {
    /// `alias/…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_name: Option<String>,
    /// Key id or key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
}

/// An output with no members (CreateAlias, EnableKey, …): `{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmptyResponse {}

/// Input of `ScheduleKeyDeletion`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionRequest {
    /// Key id or key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// 7–30 days, default 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_window_in_days: Option<i64>,
}

/// Output of `ScheduleKeyDeletion`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionResponse {
    /// The key ARN (KMS answers the ARN in this member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// When the key will be deleted, epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<f64>,
    /// `PendingDeletion`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_state: Option<String>,
    /// The pending window, in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_window_in_days: Option<i64>,
}

/// Output of `CancelKeyDeletion`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelKeyDeletionResponse {
    /// The key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// Output of `RotateKeyOnDemand`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateKeyOnDemandResponse {
    /// The key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// Input of `TagResource`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    /// Key id or key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The tags to add or replace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<KmsTag>>,
}

/// Input of `UntagResource`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    /// Key id or key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The keys of the tags to remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_keys: Option<Vec<String>>,
}

/// Output of `ListResourceTags`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListResourceTagsResponse {
    /// The tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<KmsTag>>,
    /// Where the next page starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
}

/// Input of `GetKeyPolicy` and `PutKeyPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyPolicyRequest {
    /// Key id or key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// `default`, the only name a key policy has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// PutKeyPolicy: the new policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// PutKeyPolicy: skips the lockout check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

/// Output of `GetKeyPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetKeyPolicyResponse {
    /// The policy document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// `default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
}

/// Input of `Encrypt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptRequest {
    /// Key id, key ARN, alias name or alias ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// 1–4096 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<SensitiveBlob>,
    /// Pairs bound to the ciphertext; Decrypt must give the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<BTreeMap<String, String>>,
    /// Grant tokens; ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// `SYMMETRIC_DEFAULT` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<String>,
    /// Checks permission only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// Output of `Encrypt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    /// The ciphertext blob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext_blob: Option<SensitiveBlob>,
    /// The key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// `SYMMETRIC_DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<String>,
}

/// Input of `Decrypt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptRequest {
    /// The ciphertext blob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext_blob: Option<SensitiveBlob>,
    /// The pairs the ciphertext was bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<BTreeMap<String, String>>,
    /// Grant tokens; ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// The key that must have encrypted the blob, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// `SYMMETRIC_DEFAULT` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<String>,
    /// Checks permission only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// Output of `Decrypt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse {
    /// The key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The plaintext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<SensitiveBlob>,
    /// `SYMMETRIC_DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<String>,
}

/// Input of `GenerateDataKey` and `GenerateDataKeyWithoutPlaintext`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyRequest {
    /// Key id, key ARN, alias name or alias ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Pairs bound to the ciphertext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<BTreeMap<String, String>>,
    /// 1–1024 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_bytes: Option<i64>,
    /// `AES_256` or `AES_128`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    /// Grant tokens; ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_tokens: Option<Vec<String>>,
    /// Checks permission only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// Output of `GenerateDataKey` (and, without `Plaintext`, `GenerateDataKeyWithoutPlaintext`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyResponse {
    /// The data key encrypted under the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ciphertext_blob: Option<SensitiveBlob>,
    /// The data key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<SensitiveBlob>,
    /// The key ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}
