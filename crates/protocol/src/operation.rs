//! The closed list of Secrets Manager operations, parsed once from `X-Amz-Target`.

/// The `X-Amz-Target` prefix of every Secrets Manager operation: the model's `targetPrefix`
/// followed by the dot that separates it from the operation name.
const TARGET_PREFIX: &str = "secretsmanager.";

use crate::actions::actions;

actions! {
    /// One operation of the Secrets Manager API (service model `secretsmanager/2017-10-17`).
    ///
    /// The server parses the `X-Amz-Target` header into this enum once and then dispatches with a
    /// plain `match`, so adding an operation is a compile error everywhere it must be handled.
    /// Each line gives the operation's facts (see [`crate::actions`]).
    pub enum Operation in "secretsmanager" {
        /// `AssociateCrossAccountReplica`: links a secret to a replica of it in another account.
        AssociateCrossAccountReplica: write,
        /// `BatchGetSecretValue`: reads the values of up to 20 secrets in one call.
        BatchGetSecretValue: read + secret,
        /// `CancelRotateSecret`: turns off automatic rotation and cancels a rotation in progress.
        CancelRotateSecret: write,
        /// `CreateSecret`: creates a secret, optionally with a first value.
        CreateSecret: write,
        /// `DeleteResourcePolicy`: removes a resource policy from a secret.
        DeleteResourcePolicy: write,
        /// `DeleteSecret`: schedules a secret for deletion, or deletes it at once.
        DeleteSecret: write,
        /// `DescribeSecret`: returns a secret's metadata, never its value.
        DescribeSecret: read,
        /// `DisassociateCrossAccountReplica`: unlinks a cross-account replica from its primary.
        DisassociateCrossAccountReplica: write,
        /// `GetRandomPassword`: generates a random password; touches no secret.
        GetRandomPassword: read + secret,
        /// `GetResourcePolicy`: returns the resource policy attached to a secret.
        GetResourcePolicy: read,
        /// `GetSecretValue`: reads one version of a secret's value.
        GetSecretValue: read + secret,
        /// `ListResourcePolicies`: lists the resource policies attached to a secret.
        ListResourcePolicies: read,
        /// `ListSecretVersionIds`: lists the versions of a secret.
        ListSecretVersionIds: read,
        /// `ListSecrets`: lists secrets, filtered and sorted, without their values.
        ListSecrets: read,
        /// `PutResourcePolicy`: attaches a resource policy to a secret.
        PutResourcePolicy: write,
        /// `PutSecretValue`: stores a new version of a secret's value.
        PutSecretValue: write,
        /// `RemoveRegionsFromReplication`: deletes replicas of a secret.
        RemoveRegionsFromReplication: write,
        /// `ReplicateSecretToRegions`: replicates a secret to more Regions.
        ReplicateSecretToRegions: write,
        /// `RestoreSecret`: cancels a scheduled deletion.
        RestoreSecret: write,
        /// `RotateSecret`: configures rotation and optionally rotates the secret now.
        RotateSecret: write,
        /// `StopReplicationToReplica`: turns a replica into a standalone secret.
        StopReplicationToReplica: write,
        /// `TagResource`: adds or overwrites tags on a secret.
        TagResource: write,
        /// `UntagResource`: removes tags from a secret.
        UntagResource: write,
        /// `UpdateSecret`: changes a secret's metadata and optionally its value.
        UpdateSecret: write,
        /// `UpdateSecretVersionStage`: moves a staging label between versions.
        UpdateSecretVersionStage: write,
        /// `ValidateResourcePolicy`: checks a resource policy without attaching it.
        ValidateResourcePolicy: read,
    }
}

impl Operation {
    /// Parses an `X-Amz-Target` header value. Only the exact form `secretsmanager.<Name>` is
    /// accepted: the prefix and the name are case-sensitive, as AWS treats them, and anything
    /// else (another service's prefix, surrounding spaces, an unknown name) gives `None`, which
    /// the server answers with `UnknownOperationException`.
    pub fn from_target(x_amz_target: &str) -> Option<Operation> {
        let name = x_amz_target.strip_prefix(TARGET_PREFIX)?;
        Self::from_name(name)
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
    fn reads_are_the_gets_lists_describes_and_validations() {
        // The rule the audit trail once applied to names, now checked against the facts.
        for operation in Operation::ALL {
            let name = operation.name();
            let by_name = ["Get", "List", "Describe", "BatchGet", "Validate"]
                .iter()
                .any(|prefix| name.starts_with(prefix));
            assert_eq!(operation.read_only(), by_name, "{name}");
        }
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
