//! The wire-level error vocabulary: every `__type` coffer can answer, with its HTTP status.

use std::fmt;

/// An AWS error code as it appears in the `__type` member of an awsJson error body.
///
/// The list is closed on purpose: the server maps every domain error onto one of these in a
/// single exhaustive `match`, so a new failure mode cannot silently reach the client as a
/// string nobody agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // Modelled Secrets Manager errors.
    /// Secrets Manager can't decrypt the protected secret text using the provided KMS key.
    DecryptionFailure,
    /// Secrets Manager can't encrypt the protected secret text using the provided KMS key.
    EncryptionFailure,
    /// An error occurred on the server side.
    InternalServiceError,
    /// The NextToken value is invalid.
    InvalidNextTokenException,
    /// The parameter name or value is invalid.
    InvalidParameterException,
    /// A parameter value is not valid for the current state of the resource.
    InvalidRequestException,
    /// The request failed because it would exceed one of the Secrets Manager quotas.
    LimitExceededException,
    /// The resource policy has syntax errors.
    MalformedPolicyDocumentException,
    /// The request failed because you did not complete all the prerequisite steps.
    PreconditionNotMetException,
    /// The BlockPublicPolicy parameter is set to true, and the resource policy grants public access.
    PublicPolicyException,
    /// A resource with the ID you requested already exists.
    ResourceExistsException,
    /// Secrets Manager can't find the resource that you asked for.
    ResourceNotFoundException,
    // KMS's modelled errors (`TrentService.*`).
    /// KMS: the key or alias named does not exist.
    NotFoundException,
    /// KMS: an alias of this name already exists.
    AlreadyExistsException,
    /// KMS: the key is disabled.
    DisabledException,
    /// KMS: the key's state does not allow the operation.
    KMSInvalidStateException,
    /// KMS: the ciphertext blob is not one the key (or the context) can open.
    InvalidCiphertextException,
    /// KMS: the blob was encrypted under another key than the one named.
    IncorrectKeyException,
    /// KMS: the alias name is not one that may be created.
    InvalidAliasNameException,
    /// KMS: an ARN in the request is not valid.
    InvalidArnException,
    /// KMS: the request asks for something coffer's KMS does not offer.
    UnsupportedOperationException,
    /// KMS: the key cannot be used for this operation.
    InvalidKeyUsageException,
    /// KMS: the Marker is not one a previous page returned.
    InvalidMarkerException,
    /// KMS: the alias is reserved for AWS (`alias/aws/…`).
    NotAuthorizedException,
    /// KMS: an internal failure.
    KMSInternalException,
    /// KMS: a `DryRun` request that would have succeeded.
    DryRunOperationException,
    /// KMS: a concurrent change got there first.
    ConflictException,
    // Common awsJson errors that every AWS JSON service answers.
    /// A constraint from the service model was violated.
    ValidationException,
    /// The request body could not be parsed.
    SerializationException,
    /// The `X-Amz-Target` names no operation of this service.
    UnknownOperationException,
    /// The request carried no authentication information.
    MissingAuthenticationTokenException,
    /// The signature is incomplete or malformed.
    IncompleteSignatureException,
    /// The signature does not match, or the request is outside the allowed clock skew.
    InvalidSignatureException,
    /// The access key id is not known.
    UnrecognizedClientException,
    /// The principal is not allowed to perform the action.
    AccessDeniedException,
    /// The session token has expired.
    ExpiredTokenException,
    /// The request is too large.
    RequestEntityTooLargeException,
    /// The server is serving as many requests as it allows (for the caller's address or in
    /// all); AWS's front end answers this with `Rate exceeded`.
    ThrottlingException,
    /// The request's body did not arrive within the server's deadline. The code is the one
    /// the AWS SDKs retry as a transient error.
    RequestTimeoutException,
}

impl ErrorCode {
    /// The code as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DecryptionFailure => "DecryptionFailure",
            Self::EncryptionFailure => "EncryptionFailure",
            Self::InternalServiceError => "InternalServiceError",
            Self::InvalidNextTokenException => "InvalidNextTokenException",
            Self::InvalidParameterException => "InvalidParameterException",
            Self::InvalidRequestException => "InvalidRequestException",
            Self::LimitExceededException => "LimitExceededException",
            Self::MalformedPolicyDocumentException => "MalformedPolicyDocumentException",
            Self::PreconditionNotMetException => "PreconditionNotMetException",
            Self::PublicPolicyException => "PublicPolicyException",
            Self::ResourceExistsException => "ResourceExistsException",
            Self::ResourceNotFoundException => "ResourceNotFoundException",
            Self::NotFoundException => "NotFoundException",
            Self::AlreadyExistsException => "AlreadyExistsException",
            Self::DisabledException => "DisabledException",
            Self::KMSInvalidStateException => "KMSInvalidStateException",
            Self::InvalidCiphertextException => "InvalidCiphertextException",
            Self::IncorrectKeyException => "IncorrectKeyException",
            Self::InvalidAliasNameException => "InvalidAliasNameException",
            Self::InvalidArnException => "InvalidArnException",
            Self::UnsupportedOperationException => "UnsupportedOperationException",
            Self::InvalidKeyUsageException => "InvalidKeyUsageException",
            Self::InvalidMarkerException => "InvalidMarkerException",
            Self::NotAuthorizedException => "NotAuthorizedException",
            Self::KMSInternalException => "KMSInternalException",
            Self::DryRunOperationException => "DryRunOperationException",
            Self::ConflictException => "ConflictException",
            Self::ValidationException => "ValidationException",
            Self::SerializationException => "SerializationException",
            Self::UnknownOperationException => "UnknownOperationException",
            Self::MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
            Self::IncompleteSignatureException => "IncompleteSignatureException",
            Self::InvalidSignatureException => "InvalidSignatureException",
            Self::UnrecognizedClientException => "UnrecognizedClientException",
            Self::AccessDeniedException => "AccessDeniedException",
            Self::ExpiredTokenException => "ExpiredTokenException",
            Self::RequestEntityTooLargeException => "RequestEntityTooLargeException",
            Self::ThrottlingException => "ThrottlingException",
            Self::RequestTimeoutException => "RequestTimeoutException",
        }
    }

    /// The HTTP status AWS answers with for this code: 500 for `InternalServiceError`, 408 for
    /// a body that did not arrive in time, 400 for every other client error (DESIGN.md,
    /// Protocol), a body over the limit and throttling included.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InternalServiceError | Self::KMSInternalException => 500,
            Self::RequestTimeoutException => 408,
            Self::RequestEntityTooLargeException
            | Self::DecryptionFailure
            | Self::EncryptionFailure
            | Self::InvalidNextTokenException
            | Self::InvalidParameterException
            | Self::InvalidRequestException
            | Self::LimitExceededException
            | Self::MalformedPolicyDocumentException
            | Self::PreconditionNotMetException
            | Self::PublicPolicyException
            | Self::ResourceExistsException
            | Self::ResourceNotFoundException
            | Self::NotFoundException
            | Self::AlreadyExistsException
            | Self::DisabledException
            | Self::KMSInvalidStateException
            | Self::InvalidCiphertextException
            | Self::IncorrectKeyException
            | Self::InvalidAliasNameException
            | Self::InvalidArnException
            | Self::UnsupportedOperationException
            | Self::InvalidKeyUsageException
            | Self::InvalidMarkerException
            | Self::NotAuthorizedException
            | Self::DryRunOperationException
            | Self::ConflictException
            | Self::ValidationException
            | Self::SerializationException
            | Self::UnknownOperationException
            | Self::MissingAuthenticationTokenException
            | Self::IncompleteSignatureException
            | Self::InvalidSignatureException
            | Self::UnrecognizedClientException
            | Self::AccessDeniedException
            | Self::ExpiredTokenException
            | Self::ThrottlingException => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as it goes on the wire: a code and a human-readable message.
///
/// The message must never contain secret material; constructors in this crate never copy a
/// request value into it unless the model marks that member as non-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// The `__type`.
    pub code: ErrorCode,
    /// The `Message`.
    pub message: String,
}

impl ApiError {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The body of the error response: `{"__type": …, "Message": …}`, with proper JSON escaping.
    pub fn to_json(&self) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct Body<'a> {
            #[serde(rename = "__type")]
            code: &'a str,
            #[serde(rename = "Message")]
            message: &'a str,
        }
        // Serializing two strings cannot fail.
        serde_json::to_vec(&Body {
            code: self.code.as_str(),
            message: &self.message,
        })
        .unwrap_or_default()
    }
}
