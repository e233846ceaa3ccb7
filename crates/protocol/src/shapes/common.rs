//! Structures shared by several operations.

use serde::{Deserialize, Serialize};

/// A key-value tag on a secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key (1 to 128 characters, case-sensitive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Tag value (up to 256 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// One filter of `ListSecrets` or `BatchGetSecretValue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    /// What to match: `description`, `name`, `tag-key`, `tag-value`, `primary-region`, `owning-service` or `all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Values to match; a leading `!` negates one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}
