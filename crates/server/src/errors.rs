//! The one place a domain error becomes what the client sees: an AWS error code and message.
//! Internal failures become a bare `InternalServiceError`; their cause goes to the log, tagged
//! with the request id, and never to the client.

use coffer_core::Error;
use coffer_protocol::{ApiError, ErrorCode};

/// AWS's text for a secret that does not exist.
pub const NOT_FOUND: &str = "Secrets Manager can't find the specified secret.";

/// Maps a domain error to the wire. `request_id` tags the log line of an internal failure.
pub fn to_api_error(error: &Error, request_id: &str) -> ApiError {
    use ErrorCode as C;
    let (code, message) = match error {
        Error::SecretNotFound => (C::ResourceNotFoundException, NOT_FOUND.to_owned()),
        Error::NoValueForStage(stage) => (
            C::ResourceNotFoundException,
            format!("Secrets Manager can't find the specified secret value for staging label: {stage}"),
        ),
        Error::NoValueForVersion(version) => (
            C::ResourceNotFoundException,
            format!("Secrets Manager can't find the specified secret value for VersionId: {version}"),
        ),
        Error::StageNotOnVersion => (
            C::InvalidRequestException,
            "You provided a VersionStage that is not associated to the provided VersionId.".to_owned(),
        ),
        Error::SecretExists(name) => (
            C::ResourceExistsException,
            format!("The operation failed because the secret {name} already exists."),
        ),
        Error::VersionExists(token) => (
            C::ResourceExistsException,
            format!(
                "A version with ClientRequestToken {token} already exists with a different value. \
                 You can't modify an existing version; use a new ClientRequestToken to create a new version."
            ),
        ),
        Error::MarkedForDeletion => (
            C::InvalidRequestException,
            "You can't perform this operation on the secret because it was marked for deletion.".to_owned(),
        ),
        Error::NameScheduledForDeletion => (
            C::InvalidRequestException,
            "You can't create this secret because a secret with this name is already scheduled for deletion."
                .to_owned(),
        ),
        Error::InvalidParameter(message) => (C::InvalidParameterException, message.clone()),
        Error::InvalidRequest(message) => (C::InvalidRequestException, message.clone()),
        Error::Validation(message) => (C::ValidationException, message.clone()),
        Error::LimitExceeded(message) => (C::LimitExceededException, message.clone()),
        Error::InvalidNextToken => (C::InvalidNextTokenException, "The NextToken value is invalid.".to_owned()),
        // KMS reports an unknown key as NotFoundException; Secrets Manager surfaces a key it
        // cannot use for encryption as EncryptionFailure.
        Error::KmsKeyNotFound => (
            C::EncryptionFailure,
            "Secrets Manager can't encrypt the protected secret text using the provided KMS key. \
             Check that the KMS key is available, enabled, and not in an invalid state."
                .to_owned(),
        ),
        Error::DecryptionFailure => (
            C::DecryptionFailure,
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key.".to_owned(),
        ),
        Error::EncryptionFailure => (
            C::EncryptionFailure,
            "Secrets Manager can't encrypt the protected secret text using the provided KMS key.".to_owned(),
        ),
        Error::NotImplemented(operation) => (
            C::InvalidRequestException,
            format!("{operation} is not supported by this version of coffer."),
        ),
        Error::Store(_) | Error::Internal(_) => {
            tracing::error!(request_id, error = %error, cause = ?std::error::Error::source(error), "internal failure");
            (C::InternalServiceError, "An error occurred on the server side.".to_owned())
        }
    };
    ApiError::new(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_design() {
        let cases = [
            (Error::SecretNotFound, "ResourceNotFoundException", 400),
            (Error::MarkedForDeletion, "InvalidRequestException", 400),
            (Error::InvalidNextToken, "InvalidNextTokenException", 400),
            (Error::DecryptionFailure, "DecryptionFailure", 400),
            (Error::Internal("boom".into()), "InternalServiceError", 500),
        ];
        for (error, code, status) in cases {
            let api = to_api_error(&error, "rid");
            assert_eq!((api.code.as_str(), api.code.http_status()), (code, status));
        }
    }

    #[test]
    fn internal_causes_do_not_reach_the_client() {
        let api = to_api_error(&Error::Internal("db path /secret/place".into()), "rid");
        assert_eq!(api.message, "An error occurred on the server side.");
    }
}
