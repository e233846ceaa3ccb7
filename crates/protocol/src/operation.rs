//! The closed list of Secrets Manager operations, parsed once from `X-Amz-Target`.

/// The `X-Amz-Target` prefix of every Secrets Manager operation: the model's `targetPrefix`
/// followed by the dot that separates it from the operation name.
const TARGET_PREFIX: &str = "secretsmanager.";

/// One operation of the Secrets Manager API (service model `secretsmanager/2017-10-17`).
///
/// The server parses the `X-Amz-Target` header into this enum once and then dispatches with a
/// plain `match`, so adding an operation is a compile error everywhere it must be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `AssociateCrossAccountReplica`: links a secret to a replica of it in another account.
    AssociateCrossAccountReplica,
    /// `BatchGetSecretValue`: reads the values of up to 20 secrets in one call.
    BatchGetSecretValue,
    /// `CancelRotateSecret`: turns off automatic rotation and cancels a rotation in progress.
    CancelRotateSecret,
    /// `CreateSecret`: creates a secret, optionally with a first value.
    CreateSecret,
    /// `DeleteResourcePolicy`: removes a resource policy from a secret.
    DeleteResourcePolicy,
    /// `DeleteSecret`: schedules a secret for deletion, or deletes it at once.
    DeleteSecret,
    /// `DescribeSecret`: returns a secret's metadata, never its value.
    DescribeSecret,
    /// `DisassociateCrossAccountReplica`: unlinks a cross-account replica from its primary.
    DisassociateCrossAccountReplica,
    /// `GetRandomPassword`: generates a random password; touches no secret.
    GetRandomPassword,
    /// `GetResourcePolicy`: returns the resource policy attached to a secret.
    GetResourcePolicy,
    /// `GetSecretValue`: reads one version of a secret's value.
    GetSecretValue,
    /// `ListResourcePolicies`: lists the resource policies attached to a secret.
    ListResourcePolicies,
    /// `ListSecretVersionIds`: lists the versions of a secret.
    ListSecretVersionIds,
    /// `ListSecrets`: lists secrets, filtered and sorted, without their values.
    ListSecrets,
    /// `PutResourcePolicy`: attaches a resource policy to a secret.
    PutResourcePolicy,
    /// `PutSecretValue`: stores a new version of a secret's value.
    PutSecretValue,
    /// `RemoveRegionsFromReplication`: deletes replicas of a secret.
    RemoveRegionsFromReplication,
    /// `ReplicateSecretToRegions`: replicates a secret to more Regions.
    ReplicateSecretToRegions,
    /// `RestoreSecret`: cancels a scheduled deletion.
    RestoreSecret,
    /// `RotateSecret`: configures rotation and optionally rotates the secret now.
    RotateSecret,
    /// `StopReplicationToReplica`: turns a replica into a standalone secret.
    StopReplicationToReplica,
    /// `TagResource`: adds or overwrites tags on a secret.
    TagResource,
    /// `UntagResource`: removes tags from a secret.
    UntagResource,
    /// `UpdateSecret`: changes a secret's metadata and optionally its value.
    UpdateSecret,
    /// `UpdateSecretVersionStage`: moves a staging label between versions.
    UpdateSecretVersionStage,
    /// `ValidateResourcePolicy`: checks a resource policy without attaching it.
    ValidateResourcePolicy,
}

impl Operation {
    /// Every operation, in alphabetical order of name.
    pub const ALL: [Operation; 26] = [
        Operation::AssociateCrossAccountReplica,
        Operation::BatchGetSecretValue,
        Operation::CancelRotateSecret,
        Operation::CreateSecret,
        Operation::DeleteResourcePolicy,
        Operation::DeleteSecret,
        Operation::DescribeSecret,
        Operation::DisassociateCrossAccountReplica,
        Operation::GetRandomPassword,
        Operation::GetResourcePolicy,
        Operation::GetSecretValue,
        Operation::ListResourcePolicies,
        Operation::ListSecretVersionIds,
        Operation::ListSecrets,
        Operation::PutResourcePolicy,
        Operation::PutSecretValue,
        Operation::RemoveRegionsFromReplication,
        Operation::ReplicateSecretToRegions,
        Operation::RestoreSecret,
        Operation::RotateSecret,
        Operation::StopReplicationToReplica,
        Operation::TagResource,
        Operation::UntagResource,
        Operation::UpdateSecret,
        Operation::UpdateSecretVersionStage,
        Operation::ValidateResourcePolicy,
    ];

    /// The operation name as AWS spells it, e.g. `"GetSecretValue"`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::AssociateCrossAccountReplica => "AssociateCrossAccountReplica",
            Operation::BatchGetSecretValue => "BatchGetSecretValue",
            Operation::CancelRotateSecret => "CancelRotateSecret",
            Operation::CreateSecret => "CreateSecret",
            Operation::DeleteResourcePolicy => "DeleteResourcePolicy",
            Operation::DeleteSecret => "DeleteSecret",
            Operation::DescribeSecret => "DescribeSecret",
            Operation::DisassociateCrossAccountReplica => "DisassociateCrossAccountReplica",
            Operation::GetRandomPassword => "GetRandomPassword",
            Operation::GetResourcePolicy => "GetResourcePolicy",
            Operation::GetSecretValue => "GetSecretValue",
            Operation::ListResourcePolicies => "ListResourcePolicies",
            Operation::ListSecretVersionIds => "ListSecretVersionIds",
            Operation::ListSecrets => "ListSecrets",
            Operation::PutResourcePolicy => "PutResourcePolicy",
            Operation::PutSecretValue => "PutSecretValue",
            Operation::RemoveRegionsFromReplication => "RemoveRegionsFromReplication",
            Operation::ReplicateSecretToRegions => "ReplicateSecretToRegions",
            Operation::RestoreSecret => "RestoreSecret",
            Operation::RotateSecret => "RotateSecret",
            Operation::StopReplicationToReplica => "StopReplicationToReplica",
            Operation::TagResource => "TagResource",
            Operation::UntagResource => "UntagResource",
            Operation::UpdateSecret => "UpdateSecret",
            Operation::UpdateSecretVersionStage => "UpdateSecretVersionStage",
            Operation::ValidateResourcePolicy => "ValidateResourcePolicy",
        }
    }

    /// Parses an `X-Amz-Target` header value. Only the exact form `secretsmanager.<Name>` is
    /// accepted: the prefix and the name are case-sensitive, as AWS treats them, and anything
    /// else (another service's prefix, surrounding spaces, an unknown name) gives `None`, which
    /// the server answers with `UnknownOperationException`.
    pub fn from_target(x_amz_target: &str) -> Option<Operation> {
        let name = x_amz_target.strip_prefix(TARGET_PREFIX)?;
        Self::from_name(name)
    }

    /// Looks an operation up by its bare name (`"GetSecretValue"`).
    pub fn from_name(name: &str) -> Option<Operation> {
        // Twenty-six entries: a linear scan is as fast as a map and needs no static table.
        Self::ALL
            .into_iter()
            .find(|operation| operation.name() == name)
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn all_lists_each_operation_once() {
        let unique: HashSet<Operation> = Operation::ALL.into_iter().collect();
        assert_eq!(unique.len(), 26);
        let names: HashSet<&str> = Operation::ALL.into_iter().map(Operation::name).collect();
        assert_eq!(names.len(), 26);
    }

    #[test]
    fn all_is_sorted_by_name() {
        let names: Vec<&str> = Operation::ALL.into_iter().map(Operation::name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    #[test]
    fn every_operation_round_trips_through_its_target() {
        for operation in Operation::ALL {
            let target = format!("secretsmanager.{}", operation.name());
            assert_eq!(Operation::from_target(&target), Some(operation));
            assert_eq!(operation.to_string(), operation.name());
        }
    }

    #[test]
    fn known_targets_parse() {
        assert_eq!(
            Operation::from_target("secretsmanager.GetSecretValue"),
            Some(Operation::GetSecretValue)
        );
        assert_eq!(
            Operation::from_target("secretsmanager.BatchGetSecretValue"),
            Some(Operation::BatchGetSecretValue)
        );
        assert_eq!(Operation::GetSecretValue.name(), "GetSecretValue");
    }

    #[test]
    fn anything_but_the_exact_form_is_rejected() {
        for target in [
            "",
            "secretsmanager.",
            "GetSecretValue",
            "secretsmanager.getSecretValue",
            "SecretsManager.GetSecretValue",
            "secretsmanager.GetSecretValue ",
            " secretsmanager.GetSecretValue",
            "secretsmanager..GetSecretValue",
            "secretsmanager.GetSecretValueX",
            "kms.GetSecretValue",
            "AWSSecretsManager.GetSecretValue",
            "secretsmanager.UnknownOperation",
        ] {
            assert_eq!(Operation::from_target(target), None, "{target:?}");
        }
    }
}
