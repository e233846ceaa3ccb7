//! The domain error: what went wrong, in the terms of the domain. The server maps each variant to
//! an AWS error code, HTTP status and message in exactly one place.

/// A domain error. Messages carried here are safe to show a client: they never contain secret
/// values.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No secret matches the SecretId (or it is not visible to the caller).
    #[error("secret not found")]
    SecretNotFound,
    /// The secret has no version with this staging label.
    #[error("no value for staging label {0}")]
    NoValueForStage(String),
    /// The secret has no version with this id.
    #[error("no value for version id {0}")]
    NoValueForVersion(String),
    /// A VersionId and a VersionStage were both given and the version does not carry the label.
    #[error("version stage not on version")]
    StageNotOnVersion,
    /// A secret with this name already exists.
    #[error("secret {0} already exists")]
    SecretExists(String),
    /// A version with this ClientRequestToken (`.0`) exists with a different value, in the
    /// secret whose full ARN is `.1`.
    #[error("version {0} exists with another value")]
    VersionExists(String, String),
    /// The secret is scheduled for deletion and refuses the operation.
    #[error("secret marked for deletion")]
    MarkedForDeletion,
    /// A secret with this name is scheduled for deletion.
    #[error("name scheduled for deletion")]
    NameScheduledForDeletion,
    /// A parameter is invalid in a way the model cannot express (`InvalidParameterException`).
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// The request is not valid for the current state (`InvalidRequestException`).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A model-level constraint was violated (`ValidationException`).
    #[error("validation: {0}")]
    Validation(String),
    /// A quota would be exceeded (`LimitExceededException`).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// A NextToken could not be understood (`InvalidNextTokenException`).
    #[error("invalid next token")]
    InvalidNextToken,
    /// A KmsKeyId names no key of the keyring.
    #[error("kms key not found")]
    KmsKeyNotFound,
    /// A ciphertext could not be opened: wrong key or tampered data (`DecryptionFailure`).
    #[error("decryption failure")]
    DecryptionFailure,
    /// A value could not be sealed (`EncryptionFailure`).
    #[error("encryption failure")]
    EncryptionFailure,
    /// The operation is part of the API but coffer does not implement it yet.
    #[error("operation {0} not implemented")]
    NotImplemented(&'static str),
    /// The caller's policies do not allow the request; the message is AWS's AccessDenied text.
    #[error("access denied")]
    AccessDenied(String),
    /// A policy document is not valid JSON or not valid policy grammar.
    #[error("malformed policy: {0}")]
    MalformedPolicy(String),
    /// PutResourcePolicy with BlockPublicPolicy, for a policy that grants broad access.
    #[error("public policy blocked")]
    PublicPolicy,
    /// No IAM user or role of that name (IAM's NoSuchEntity).
    #[error("no such {0:?} {1}")]
    PrincipalNotFound(crate::principal::PrincipalKind, String),
    /// An IAM user or role of that name exists (IAM's EntityAlreadyExists).
    #[error("{0:?} {1} exists")]
    PrincipalExists(crate::principal::PrincipalKind, String),
    /// The user or role has no inline policy of that name (IAM's NoSuchEntity).
    #[error("no inline policy {1}")]
    InlinePolicyNotFound(crate::principal::PrincipalKind, String),
    /// No access key with that id belongs to the user (IAM's NoSuchEntity).
    #[error("no access key {0}")]
    AccessKeyNotFound(String),
    /// DeleteUser/DeleteRole while inline policies remain (IAM's DeleteConflict).
    #[error("must delete policies first")]
    MustDeletePolicies,
    /// DeleteUser while access keys remain (IAM's DeleteConflict).
    #[error("must delete access keys first")]
    MustDeleteAccessKeys,
    /// A user's or role's inline policies would exceed IAM's aggregate size (IAM's
    /// LimitExceeded).
    #[error("inline policy size exceeded for {1}")]
    PolicySizeExceeded(crate::principal::PrincipalKind, String),
    /// A user already has the most access keys IAM allows (IAM's LimitExceeded).
    #[error("access key quota")]
    AccessKeyQuota,
    /// A user without a console password (IAM's login profile).
    #[error("no login profile for {0}")]
    LoginProfileNotFound(String),
    /// CreateLoginProfile for a user that has one.
    #[error("login profile exists for {0}")]
    LoginProfileExists(String),
    /// DeleteUser while the user still has a console password.
    #[error("must delete login profile first")]
    MustDeleteLoginProfile,
    /// A password the account's password policy refuses (IAM's `PasswordPolicyViolation`).
    #[error("password policy violation")]
    PasswordPolicyViolation(String),
    /// A console sign-in that failed (unknown user, no password, wrong password): one answer
    /// for all, so that a sign-in attempt does not tell which.
    #[error("sign-in failed")]
    SignInFailed,
    /// A managed policy or group error (IAM's codes; the server words them).
    #[error(transparent)]
    Managed(#[from] crate::managed::ManagedError),
    /// A temporary credential's session token has expired.
    #[error("expired token")]
    ExpiredToken,
    /// A session token is not one this keyring issued, or its role is gone.
    #[error("invalid token")]
    InvalidToken,
    /// A KMS error (`TrentService.*`): its kind and KMS's message, which names only key and
    /// alias ids and ARNs.
    #[error("kms {0:?}: {1}")]
    Kms(KmsErrorKind, String),
    /// A storage failure; the cause goes to the log, the client sees `InternalServiceError`.
    #[error("store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Any other internal failure.
    #[error("internal: {0}")]
    Internal(String),
}

/// The kinds of failure KMS reports, one per error code coffer's KMS answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KmsErrorKind {
    /// `NotFoundException`.
    NotFound,
    /// `AlreadyExistsException`.
    AlreadyExists,
    /// `DisabledException`.
    Disabled,
    /// `KMSInvalidStateException`.
    InvalidState,
    /// `InvalidCiphertextException`.
    InvalidCiphertext,
    /// `IncorrectKeyException`.
    IncorrectKey,
    /// `InvalidAliasNameException`.
    InvalidAliasName,
    /// `InvalidMarkerException`.
    InvalidMarker,
    /// `NotAuthorizedException`.
    NotAuthorized,
    /// `UnsupportedOperationException`.
    Unsupported,
    /// `ValidationException`, for the rules KMS checks beyond the model's constraints.
    Validation,
    /// `MalformedPolicyDocumentException`.
    MalformedPolicy,
    /// `InvalidKeyUsageException`.
    InvalidKeyUsage,
    /// `DryRunOperationException`: the request would have succeeded.
    DryRun,
    /// `ConflictException`.
    Conflict,
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
