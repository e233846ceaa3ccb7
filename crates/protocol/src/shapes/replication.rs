//! Replication of secrets to other Regions and accounts.

use serde::{Deserialize, Serialize};

/// Input of `ReplicateSecretToRegions`, which replicates a secret to more Regions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateSecretToRegionsRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// Regions to replicate the secret to, each with an optional KMS key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add_replica_regions: Option<Vec<ReplicaRegion>>,
    /// Overwrite a secret of the same name that already exists in a replica Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_overwrite_replica_secret: Option<bool>,
}

/// Output of `ReplicateSecretToRegions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicateSecretToRegionsResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Replication status for each replica Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<Vec<ReplicationStatus>>,
}

/// Input of `RemoveRegionsFromReplication`, which deletes replicas of a secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveRegionsFromReplicationRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// Regions whose replicas should be deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remove_replica_regions: Option<Vec<String>>,
}

/// Output of `RemoveRegionsFromReplication`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveRegionsFromReplicationResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Replication status for each replica Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<Vec<ReplicationStatus>>,
}

/// Input of `StopReplicationToReplica`, which turns a replica into a standalone secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StopReplicationToReplicaRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
}

/// Output of `StopReplicationToReplica`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StopReplicationToReplicaResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

/// Input of `AssociateCrossAccountReplica`, which links a secret to a replica of it in another account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssociateCrossAccountReplicaRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// ARN of the replica secret in the other account.
    #[serde(
        rename = "CrossAccountReplicaARN",
        skip_serializing_if = "Option::is_none"
    )]
    pub cross_account_replica_arn: Option<String>,
    /// Which accounts the cross-account replica may live in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_restriction: Option<String>,
    /// Role used to replicate across accounts.
    #[serde(rename = "ReplicationRoleARN", skip_serializing_if = "Option::is_none")]
    pub replication_role_arn: Option<String>,
}

/// Output of `AssociateCrossAccountReplica`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssociateCrossAccountReplicaResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// ARN of the replica secret in the other account.
    #[serde(
        rename = "CrossAccountReplicaARN",
        skip_serializing_if = "Option::is_none"
    )]
    pub cross_account_replica_arn: Option<String>,
    /// Replication state of the new association.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<String>,
}

/// Input of `DisassociateCrossAccountReplica`, which unlinks a cross-account replica from its primary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DisassociateCrossAccountReplicaRequest {
    /// Name, full ARN or partial ARN of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_id: Option<String>,
    /// ARN of the replica secret in the other account.
    #[serde(
        rename = "CrossAccountReplicaARN",
        skip_serializing_if = "Option::is_none"
    )]
    pub cross_account_replica_arn: Option<String>,
}

/// Output of `DisassociateCrossAccountReplica`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DisassociateCrossAccountReplicaResponse {
    /// The secret's full ARN.
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// ARN of the replica secret in the other account.
    #[serde(
        rename = "CrossAccountReplicaARN",
        skip_serializing_if = "Option::is_none"
    )]
    pub cross_account_replica_arn: Option<String>,
}

/// A Region to replicate a secret to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicaRegion {
    /// Region to replicate to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// KMS key to encrypt the replica with; absent means the default key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

/// Replication state of one replica Region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationStatus {
    /// The replica's Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// KMS key that encrypts the replica.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Replication state: `InSync`, `Failed`, `InProgress`, `Pending` or `Detached`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Explanation of the replication state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// Day (midnight UTC, epoch seconds) of the replica's last read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<f64>,
}

/// The primary secret, in another account, of a cross-account replica.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CrossAccountPrimary {
    /// ARN of the primary secret in the other account.
    #[serde(rename = "PrimarySecretARN", skip_serializing_if = "Option::is_none")]
    pub primary_secret_arn: Option<String>,
    /// Replication state of this secret relative to its primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<String>,
    /// Explanation of the replication state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
}

/// One cross-account replica of a secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CrossAccountReplicaEntry {
    /// ARN of the replica secret in the other account.
    #[serde(rename = "ReplicaSecretARN", skip_serializing_if = "Option::is_none")]
    pub replica_secret_arn: Option<String>,
    /// Role used to replicate across accounts.
    #[serde(rename = "ReplicationRoleARN", skip_serializing_if = "Option::is_none")]
    pub replication_role_arn: Option<String>,
    /// Replication state of this replica.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_status: Option<String>,
    /// Explanation of the replication state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
}
