//! The errors of the awsQuery protocol: the codes IAM and STS answer, with their statuses, and
//! the `ErrorResponse` body both write.

use std::fmt;

use super::xml::Xml;

/// The error codes coffer answers in the awsQuery protocol, each with the HTTP status the
/// botocore models give it (`error.code` / `error.httpStatusCode` of the exception shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryErrorCode {
    /// A model constraint was violated (400). Both IAM and STS use this code.
    ValidationError,
    /// IAM: the named user, role, policy or access key does not exist (404).
    NoSuchEntity,
    /// IAM: a user or role of that name exists already (409).
    EntityAlreadyExists,
    /// IAM: the entity still has subordinate entities (policies, access keys) (409).
    DeleteConflict,
    /// IAM: a quota would be exceeded (409).
    LimitExceeded,
    /// IAM and STS: a policy document is not valid policy grammar (400).
    MalformedPolicyDocument,
    /// IAM: a value is invalid for reasons beyond the model's constraints (400).
    InvalidInput,
    /// The caller is not allowed to perform the action (403).
    AccessDenied,
    /// The `Action` names no operation of the service (400).
    InvalidAction,
    /// STS: the session policy and tags do not fit in a session token (400).
    PackedPolicyTooLarge,
    /// IAM: a password the account's password policy refuses (400).
    PasswordPolicyViolation,
    /// IAM: an internal failure (500); the cause goes to the log, never to the client.
    ServiceFailure,
    /// STS: an internal failure (500), STS's name for it.
    InternalFailure,
}

impl QueryErrorCode {
    /// The code as it appears in `<Code>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationError => "ValidationError",
            Self::NoSuchEntity => "NoSuchEntity",
            Self::EntityAlreadyExists => "EntityAlreadyExists",
            Self::DeleteConflict => "DeleteConflict",
            Self::LimitExceeded => "LimitExceeded",
            Self::MalformedPolicyDocument => "MalformedPolicyDocument",
            Self::InvalidInput => "InvalidInput",
            Self::AccessDenied => "AccessDenied",
            Self::InvalidAction => "InvalidAction",
            Self::PackedPolicyTooLarge => "PackedPolicyTooLarge",
            Self::PasswordPolicyViolation => "PasswordPolicyViolation",
            Self::ServiceFailure => "ServiceFailure",
            Self::InternalFailure => "InternalFailure",
        }
    }

    /// The HTTP status of a response carrying this code.
    pub fn status(self) -> u16 {
        match self {
            Self::ValidationError
            | Self::MalformedPolicyDocument
            | Self::InvalidInput
            | Self::InvalidAction
            | Self::PackedPolicyTooLarge
            | Self::PasswordPolicyViolation => 400,
            Self::AccessDenied => 403,
            Self::NoSuchEntity => 404,
            Self::EntityAlreadyExists | Self::DeleteConflict | Self::LimitExceeded => 409,
            Self::ServiceFailure | Self::InternalFailure => 500,
        }
    }

    /// `Sender` for client errors, `Receiver` for server errors: the `<Type>` of the error.
    pub fn fault(self) -> &'static str {
        if self.status() >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

impl fmt::Display for QueryErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An awsQuery error: a code (which fixes the status) and AWS's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct QueryError {
    /// The `<Code>`.
    pub code: QueryErrorCode,
    /// The `<Message>`, in AWS's wording. Never holds a secret.
    pub message: String,
}

impl QueryError {
    /// An error with the given code and message.
    pub fn new(code: QueryErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

/// The body of an awsQuery `ErrorResponse` in the given namespace, the shape IAM and STS both
/// answer with: `Type`, `Code` and `Message` inside `Error`, then `RequestId`.
pub(crate) fn error_response_xml(namespace: &str, error: &QueryError, request_id: &str) -> String {
    let mut xml = Xml::new();
    xml.open_namespaced("ErrorResponse", namespace);
    xml.open("Error");
    xml.leaf("Type", error.code.fault());
    xml.leaf("Code", error.code.as_str());
    xml.leaf("Message", &error.message);
    xml.close("Error");
    xml.leaf("RequestId", request_id);
    xml.close("ErrorResponse");
    // Error bodies carry no secret, so they leave the zeroizing buffer as a plain string.
    xml.finish_plain()
}
