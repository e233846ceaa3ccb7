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
    /// A version with this ClientRequestToken exists with a different value.
    #[error("version {0} exists with another value")]
    VersionExists(String),
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
    /// A storage failure; the cause goes to the log, the client sees `InternalServiceError`.
    #[error("store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Any other internal failure.
    #[error("internal: {0}")]
    Internal(String),
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
