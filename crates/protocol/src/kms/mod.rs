//! The AWS KMS subset coffer serves (awsJson 1.1, `X-Amz-Target: TrentService.<Action>`, signed
//! for the `kms` service): the closed list of actions, one request and one response type per
//! action, member for member as botocore's `kms` model, and their model constraints.
//!
//! Only symmetric `ENCRYPT_DECRYPT` keys exist in coffer; the members that only matter for other
//! key kinds are still parsed (so that a request using them gets KMS's answer, not a
//! `SerializationException`).

mod shapes;
mod validate;

pub use shapes::*;

use crate::actions::actions;

/// The `X-Amz-Target` prefix of KMS's operations.
pub const TARGET_PREFIX: &str = "TrentService.";

actions! {
    /// Every KMS action coffer answers (awsJson 1.1): the closed list the server matches on.
    pub enum KmsAction in "kms" {
        /// `CreateKey`: a new symmetric encryption key.
        CreateKey: write,
        /// `DescribeKey`: a key's metadata.
        DescribeKey: read,
        /// `ListKeys`: the account's keys in the region.
        ListKeys: read,
        /// `CreateAlias`: a new alias for a key.
        CreateAlias: write,
        /// `UpdateAlias`: points an alias at another key.
        UpdateAlias: write,
        /// `DeleteAlias`: removes an alias.
        DeleteAlias: write,
        /// `ListAliases`: the account's aliases in the region.
        ListAliases: read,
        /// `EnableKey`: a disabled key becomes usable again.
        EnableKey: write,
        /// `DisableKey`: a key refuses every cryptographic operation.
        DisableKey: write,
        /// `ScheduleKeyDeletion`: the key is deleted after its pending window.
        ScheduleKeyDeletion: write,
        /// `CancelKeyDeletion`: undoes ScheduleKeyDeletion (the key stays disabled).
        CancelKeyDeletion: write,
        /// `Encrypt`: up to 4 KiB encrypted under a key.
        Encrypt: read,
        /// `Decrypt`: a ciphertext blob back to its plaintext.
        Decrypt: read + secret,
        /// `GenerateDataKey`: a fresh data key, in plaintext and encrypted.
        GenerateDataKey: read + secret,
        /// `GenerateDataKeyWithoutPlaintext`: a fresh data key, encrypted only.
        GenerateDataKeyWithoutPlaintext: read,
        /// `RotateKeyOnDemand`: new key material; the old stays for decryption.
        RotateKeyOnDemand: write,
        /// `TagResource`: adds or replaces tags on a key.
        TagResource: write,
        /// `UntagResource`: removes tags from a key.
        UntagResource: write,
        /// `ListResourceTags`: a key's tags.
        ListResourceTags: read,
        /// `GetKeyPolicy`: a key's policy.
        GetKeyPolicy: read,
        /// `PutKeyPolicy`: replaces a key's policy.
        PutKeyPolicy: write,
    }
}

impl KmsAction {
    /// The action an `X-Amz-Target` value names, if it is a KMS action coffer answers.
    pub fn from_target(x_amz_target: &str) -> Option<KmsAction> {
        Self::from_name(x_amz_target.strip_prefix(TARGET_PREFIX)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve() {
        assert_eq!(
            KmsAction::from_target("TrentService.CreateKey"),
            Some(KmsAction::CreateKey)
        );
        assert_eq!(KmsAction::from_target("secretsmanager.CreateKey"), None);
        assert_eq!(KmsAction::Decrypt.permission(), "kms:Decrypt");
        assert!(KmsAction::Decrypt.returns_secrets());
        assert!(!KmsAction::GenerateDataKeyWithoutPlaintext.returns_secrets());
    }
}
