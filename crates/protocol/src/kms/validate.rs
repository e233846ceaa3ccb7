//! The model's constraints on each KMS request, in model member order, with AWS's
//! `ValidationException` wording (the same [`Violations`] the other services use).

use super::shapes::*;
use crate::constraint::{Length, NumberShape, Pattern, StringShape, Violations};
use crate::error::ApiError;
use crate::validate::Validate;

/// `KeyIdType`.
const KEY_ID: StringShape = StringShape::length(Some(1), Some(2048));
/// `DescriptionType`.
const DESCRIPTION: StringShape = StringShape::length(Some(0), Some(8192));
/// `PolicyType` (its pattern, printable Latin-1 and tab/CR/LF, is checked by hand).
const POLICY: StringShape = StringShape::length(Some(1), Some(131072)).with_pattern(Pattern {
    source: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    matches: is_policy_text,
});
/// `KeyUsageType`.
const KEY_USAGE: StringShape = StringShape::one_of(&[
    "SIGN_VERIFY",
    "ENCRYPT_DECRYPT",
    "GENERATE_VERIFY_MAC",
    "KEY_AGREEMENT",
]);
/// `CustomerMasterKeySpec`.
const CUSTOMER_MASTER_KEY_SPEC: StringShape = StringShape::one_of(&[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
]);
/// `KeySpec`.
const KEY_SPEC: StringShape = StringShape::one_of(&[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
]);
/// `OriginType`.
const ORIGIN: StringShape =
    StringShape::one_of(&["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]);
/// `CustomKeyStoreIdType`.
const CUSTOM_KEY_STORE_ID: StringShape = StringShape::length(Some(1), Some(64));
/// `AliasNameType`.
const ALIAS_NAME: StringShape = StringShape::length(Some(1), Some(256)).with_pattern(Pattern {
    source: "^[a-zA-Z0-9:/_-]+$",
    matches: is_alias_name_text,
});
/// `LimitType`.
const LIMIT: NumberShape = NumberShape {
    min: Some(1),
    max: Some(1000),
};
/// `MarkerType`.
const MARKER: StringShape = StringShape::length(Some(1), Some(1024));
/// `PendingWindowInDaysType`.
const PENDING_WINDOW: NumberShape = NumberShape {
    min: Some(1),
    max: Some(365),
};
/// `PlaintextType`.
const PLAINTEXT: Length = Length::new(Some(1), Some(4096));
/// `CiphertextType`.
const CIPHERTEXT: Length = Length::new(Some(1), Some(6144));
/// `EncryptionAlgorithmSpec`.
const ENCRYPTION_ALGORITHM: StringShape = StringShape::one_of(&[
    "SYMMETRIC_DEFAULT",
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "SM2PKE",
]);
/// `NumberOfBytesType`.
const NUMBER_OF_BYTES: NumberShape = NumberShape {
    min: Some(1),
    max: Some(1024),
};
/// `DataKeySpec`.
const DATA_KEY_SPEC: StringShape = StringShape::one_of(&["AES_256", "AES_128"]);
/// `GrantTokenList`.
const GRANT_TOKENS: Length = Length::new(Some(0), Some(10));
/// `GrantTokenType`.
const GRANT_TOKEN: StringShape = StringShape::length(Some(1), Some(8192));

/// `[\u0009\u000A\u000D\u0020-\u00FF]+`.
fn is_policy_text(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}'))
}

/// `^[a-zA-Z0-9:/_-]+$`.
fn is_alias_name_text(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":/_-".contains(&b))
}

impl Validate for CreateKeyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.string("policy", &self.policy, &POLICY);
        v.string("description", &self.description, &DESCRIPTION);
        v.string("keyUsage", &self.key_usage, &KEY_USAGE);
        v.string(
            "customerMasterKeySpec",
            &self.customer_master_key_spec,
            &CUSTOMER_MASTER_KEY_SPEC,
        );
        v.string("keySpec", &self.key_spec, &KEY_SPEC);
        v.string("origin", &self.origin, &ORIGIN);
        v.string(
            "customKeyStoreId",
            &self.custom_key_store_id,
            &CUSTOM_KEY_STORE_ID,
        );
        v.finish()
    }
}

impl Validate for KeyIdRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("keyId", &self.key_id);
        v.string("keyId", &self.key_id, &KEY_ID);
        v.string_list(
            "grantTokens",
            &self.grant_tokens,
            &GRANT_TOKENS,
            &GRANT_TOKEN,
        );
        v.finish()
    }
}

impl Validate for ListRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.string("keyId", &self.key_id, &KEY_ID);
        v.number("limit", self.limit, &LIMIT);
        v.string("marker", &self.marker, &MARKER);
        v.finish()
    }
}

impl Validate for AliasRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("aliasName", &self.alias_name);
        v.string("aliasName", &self.alias_name, &ALIAS_NAME);
        v.string("targetKeyId", &self.target_key_id, &KEY_ID);
        v.finish()
    }
}

impl Validate for ScheduleKeyDeletionRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("keyId", &self.key_id);
        v.string("keyId", &self.key_id, &KEY_ID);
        v.number(
            "pendingWindowInDays",
            self.pending_window_in_days,
            &PENDING_WINDOW,
        );
        v.finish()
    }
}

/// `TagKeyType`.
const TAG_KEY: StringShape = StringShape::length(Some(1), Some(128));
/// `TagValueType`.
const TAG_VALUE: StringShape = StringShape::length(Some(0), Some(256));
/// `PolicyNameType` (pattern `[\w]+`, checked with the lengths).
const POLICY_NAME: StringShape = StringShape::length(Some(1), Some(128)).with_pattern(Pattern {
    source: r"[\w]+",
    matches: is_word_text,
});

/// `[\w]+`: ASCII letters, digits and `_`.
fn is_word_text(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn check_tags(v: &mut Violations, tags: &Option<Vec<KmsTag>>) {
    for (index, tag) in tags.iter().flatten().enumerate() {
        let path = format!("tags.{}.member", index + 1);
        v.required(&format!("{path}.tagKey"), &tag.tag_key);
        v.string(&format!("{path}.tagKey"), &tag.tag_key, &TAG_KEY);
        v.required(&format!("{path}.tagValue"), &tag.tag_value);
        v.string(&format!("{path}.tagValue"), &tag.tag_value, &TAG_VALUE);
    }
}

impl Validate for TagResourceRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("keyId", &self.key_id);
        v.string("keyId", &self.key_id, &KEY_ID);
        v.required("tags", &self.tags);
        check_tags(&mut v, &self.tags);
        v.finish()
    }
}

impl Validate for UntagResourceRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("keyId", &self.key_id);
        v.string("keyId", &self.key_id, &KEY_ID);
        v.required("tagKeys", &self.tag_keys);
        v.string_list(
            "tagKeys",
            &self.tag_keys,
            &Length::new(None, None),
            &TAG_KEY,
        );
        v.finish()
    }
}

impl Validate for KeyPolicyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("keyId", &self.key_id);
        v.string("keyId", &self.key_id, &KEY_ID);
        v.string("policyName", &self.policy_name, &POLICY_NAME);
        v.string("policy", &self.policy, &POLICY);
        v.finish()
    }
}

impl Validate for EncryptRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("keyId", &self.key_id);
        v.string("keyId", &self.key_id, &KEY_ID);
        v.required("plaintext", &self.plaintext);
        v.blob("plaintext", &self.plaintext, &PLAINTEXT);
        v.string_list(
            "grantTokens",
            &self.grant_tokens,
            &GRANT_TOKENS,
            &GRANT_TOKEN,
        );
        v.string(
            "encryptionAlgorithm",
            &self.encryption_algorithm,
            &ENCRYPTION_ALGORITHM,
        );
        v.finish()
    }
}

impl Validate for DecryptRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("ciphertextBlob", &self.ciphertext_blob);
        v.blob("ciphertextBlob", &self.ciphertext_blob, &CIPHERTEXT);
        v.string_list(
            "grantTokens",
            &self.grant_tokens,
            &GRANT_TOKENS,
            &GRANT_TOKEN,
        );
        v.string("keyId", &self.key_id, &KEY_ID);
        v.string(
            "encryptionAlgorithm",
            &self.encryption_algorithm,
            &ENCRYPTION_ALGORITHM,
        );
        v.finish()
    }
}

impl Validate for GenerateDataKeyRequest {
    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.required("keyId", &self.key_id);
        v.string("keyId", &self.key_id, &KEY_ID);
        v.number("numberOfBytes", self.number_of_bytes, &NUMBER_OF_BYTES);
        v.string("keySpec", &self.key_spec, &DATA_KEY_SPEC);
        v.string_list(
            "grantTokens",
            &self.grant_tokens,
            &GRANT_TOKENS,
            &GRANT_TOKEN,
        );
        v.finish()
    }
}
