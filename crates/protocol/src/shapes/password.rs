//! Random password generation.

use crate::sensitive::SensitiveString;
use serde::{Deserialize, Serialize};

/// Input of `GetRandomPassword`, which generates a random password; touches no secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordRequest {
    /// Password length (1 to 4096, default 32).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_length: Option<i64>,
    /// Characters that must not appear in the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_characters: Option<String>,
    /// Leave digits out of the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_numbers: Option<bool>,
    /// Leave punctuation out of the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_punctuation: Option<bool>,
    /// Leave uppercase letters out of the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_uppercase: Option<bool>,
    /// Leave lowercase letters out of the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_lowercase: Option<bool>,
    /// Allow the space character in the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_space: Option<bool>,
    /// Require at least one character of every included character type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_each_included_type: Option<bool>,
}

/// Output of `GetRandomPassword`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordResponse {
    /// The generated password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_password: Option<SensitiveString>,
}
