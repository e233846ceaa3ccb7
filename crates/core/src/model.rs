//! The records the core works on and the store keeps: a secret with its versions' metadata,
//! and sealed (encrypted) values.

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::names::{secret_arn, Scope};

// Declared below the error type (which names it) and re-exported here, beside the records.
pub use crate::principal::PrincipalKind;

/// A secret and everything about it except its versions' values.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretRecord {
    /// Internal, immutable id (a UUID). Bound into every version's ciphertext.
    pub id: String,
    /// The account and region the secret lives in.
    pub scope: Scope,
    /// The friendly name.
    pub name: String,
    /// The six random characters of the ARN.
    pub suffix: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The KmsKeyId as the user gave it; `None` for the default key.
    pub kms_key_id: Option<String>,
    /// When the secret was created.
    pub created: DateTime<Utc>,
    /// When the secret's metadata or versions last changed.
    pub last_changed: DateTime<Utc>,
    /// Midnight UTC of the day the secret was last read, if ever.
    pub last_accessed: Option<DateTime<Utc>>,
    /// When DeleteSecret was called, while the secret is scheduled for deletion.
    pub deleted: Option<DateTime<Utc>>,
    /// When the secret will be purged, while it is scheduled for deletion.
    pub deletion_due: Option<DateTime<Utc>>,
    /// Tags in the order they were first set; keys are unique and case-sensitive.
    pub tags: Vec<(String, String)>,
    /// Whether the secret has ever had a tag: AWS answers `"Tags": []` once the last one is
    /// removed, where a secret never tagged has no `Tags` at all.
    pub tagged: bool,
    /// The resource policy (PutResourcePolicy), as the user wrote it.
    pub resource_policy: Option<String>,
    /// The versions, oldest first.
    pub versions: Vec<VersionMeta>,
    /// Rotation: configuration, the AWSPENDING placeholder and the live run; `None` when
    /// rotation was never configured.
    pub rotation: Option<crate::rotation::RotationState>,
}

impl SecretRecord {
    /// The secret's full ARN.
    pub fn arn(&self) -> String {
        secret_arn(&self.scope, &self.name, &self.suffix)
    }

    /// The version with this id.
    pub fn version(&self, version_id: &str) -> Option<&VersionMeta> {
        self.versions.iter().find(|v| v.version_id == version_id)
    }

    /// The version that carries this staging label.
    pub fn version_with_stage(&self, stage: &str) -> Option<&VersionMeta> {
        self.versions.iter().find(|v| v.has_stage(stage))
    }

    /// Whether the secret is scheduled for deletion.
    pub fn is_deleted(&self) -> bool {
        self.deleted.is_some()
    }
}

/// One version of a secret, without its value.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionMeta {
    /// The version id (the ClientRequestToken that created it).
    pub version_id: String,
    /// When the version was created.
    pub created: DateTime<Utc>,
    /// The staging labels attached to it, in the order they were attached.
    pub stages: Vec<String>,
    /// The KmsKeyId the value was sealed under, as the user named it; `None` for the default.
    pub kms_key_id: Option<String>,
    /// Midnight UTC of the day the version was last read, if ever.
    pub last_accessed: Option<DateTime<Utc>>,
}

impl VersionMeta {
    /// Whether the version carries `stage`.
    pub fn has_stage(&self, stage: &str) -> bool {
        self.stages.iter().any(|s| s == stage)
    }
}

/// Whether a value was given as SecretString or SecretBinary. Not secret; bound into the AAD so a
/// ciphertext cannot be replayed as the other kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// SecretString.
    String,
    /// SecretBinary.
    Binary,
}

impl ValueKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Binary => "binary",
        }
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "string" => Some(Self::String),
            "binary" => Some(Self::Binary),
            _ => None,
        }
    }
}

/// A plaintext secret value. Zeroed on drop; `Debug` never shows it.
#[derive(Clone)]
pub enum SecretValue {
    /// A SecretString.
    String(Zeroizing<String>),
    /// A SecretBinary.
    Binary(Zeroizing<Vec<u8>>),
}

impl SecretValue {
    /// Which kind of value this is.
    pub fn kind(&self) -> ValueKind {
        match self {
            Self::String(_) => ValueKind::String,
            Self::Binary(_) => ValueKind::Binary,
        }
    }

    /// The bytes that get encrypted.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::String(s) => s.as_bytes(),
            Self::Binary(b) => b.as_slice(),
        }
    }

    /// Constant-time equality of kind and content.
    pub fn ct_eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.kind() == other.kind() && bool::from(self.as_bytes().ct_eq(other.as_bytes()))
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretValue::{:?}(<redacted>)", self.kind())
    }
}

/// An encrypted value as stored: the data key wrapped by a keyring key, and the value sealed by
/// the data key. Nothing here is secret without the keyring's root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedValue {
    /// The keyring key that wrapped the data key.
    pub key_id: String,
    /// Nonce, ciphertext and tag of the wrapped data key.
    pub wrapped_key: Vec<u8>,
    /// Nonce, ciphertext and tag of the value.
    pub ciphertext: Vec<u8>,
    /// String or binary.
    pub kind: ValueKind,
}

/// A version to be written together with its sealed value.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// The version id; its metadata is in the record's `versions`.
    pub version_id: String,
    /// The sealed value.
    pub sealed: SealedValue,
}

/// An access key as stored: the secret half sealed under the keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    /// The access key id (`AKIA…`).
    pub access_key_id: String,
    /// The account the key's principal belongs to.
    pub account: crate::names::AccountId,
    /// The principal's ARN: the account's root user or one of its IAM users.
    pub principal_arn: String,
    /// The IAM user owning the key; `None` for the account's root user.
    pub user_name: Option<String>,
    /// The sealed secret access key.
    pub sealed_secret: SealedValue,
    /// When the key was created.
    pub created: DateTime<Utc>,
    /// Whether the key may be used.
    pub active: bool,
}

/// An IAM user or role of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalRecord {
    /// The account.
    pub account: crate::names::AccountId,
    /// User or role.
    pub kind: PrincipalKind,
    /// The name, as created (IAM compares names case-insensitively).
    pub name: String,
    /// The path, `/` by default.
    pub path: String,
    /// IAM's unique id (`AIDA…` for users, `AROA…` for roles).
    pub id: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Tags, in the order given (`aws:PrincipalTag/*`).
    pub tags: Vec<(String, String)>,
    /// A role's trust policy (who may assume it); `None` for users.
    pub trust_policy: Option<String>,
    /// A role's description.
    pub description: Option<String>,
    /// A role's longest session, in seconds (3600 by default).
    pub max_session_secs: Option<u32>,
}

impl PrincipalRecord {
    /// The principal's IAM ARN: `arn:aws:iam::<account>:<kind><path><name>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:{}{}{}",
            self.account,
            self.kind.as_str(),
            self.path,
            self.name
        )
    }
}

/// What [`crate::store::Store::delete_principal`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// The principal is gone.
    Deleted,
    /// No such principal.
    NotFound,
    /// It still has inline policies; nothing was deleted.
    HasPolicies,
    /// It (a user) still has access keys; nothing was deleted.
    HasAccessKeys,
    /// Managed policies are still attached to it; nothing was deleted.
    HasAttachedPolicies,
    /// It (a user) is still in a group; nothing was deleted.
    InGroups,
}

/// An IAM user's console password (IAM's login profile), as stored: never the password, only
/// its Argon2id hash.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginProfileRecord {
    /// The account.
    pub account: crate::names::AccountId,
    /// The user's name, as the user record spells it.
    pub user_name: String,
    /// The user's unique id (`AIDA…`): a profile belongs to that user only, not to a later
    /// user of the same name.
    pub user_id: String,
    /// The Argon2id hash in PHC string form.
    pub password_hash: String,
    /// Whether the user must set a new password at the next sign-in.
    pub password_reset_required: bool,
    /// When the password was first created (an update keeps it, as IAM's CreateDate).
    pub created: DateTime<Utc>,
}

impl std::fmt::Debug for LoginProfileRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginProfileRecord")
            .field("account", &self.account)
            .field("user_name", &self.user_name)
            .field("user_id", &self.user_id)
            .field("password_hash", &"<redacted>")
            .field("password_reset_required", &self.password_reset_required)
            .field("created", &self.created)
            .finish()
    }
}
