//! The one place a domain error becomes what the client sees: an AWS error code and message.
//! Internal failures become a bare `InternalServiceError`; their cause goes to the log, tagged
//! with the request id, and never to the client.

use coffer_core::Error;
use coffer_protocol::query::{QueryError, QueryErrorCode};
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
        Error::VersionExists(token, arn) => (
            C::ResourceExistsException,
            format!(
                "You can't use ClientRequestToken {token} because that value is already in use \
                 for a version of secret {arn}."
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
        Error::AccessDenied(message) => (C::AccessDeniedException, message.clone()),
        Error::Kms(kind, message) => (kms_code(*kind), message.clone()),
        Error::MalformedPolicy(message) => (C::MalformedPolicyDocumentException, message.clone()),
        Error::PublicPolicy => (C::PublicPolicyException, coffer_core::policy::PUBLIC_ACCESS_MESSAGE.to_owned()),
        Error::ExpiredToken => (C::ExpiredTokenException, "The security token included in the request is expired".to_owned()),
        Error::InvalidToken => (C::UnrecognizedClientException, "The security token included in the request is invalid.".to_owned()),
        // The console's sign-in endpoint (awsJson-shaped errors): one answer whatever failed.
        Error::SignInFailed => (C::AccessDeniedException, coffer_core::service::SIGN_IN_FAILED.to_owned()),
        // IAM's errors never arise from a Secrets Manager operation; should one, it is a bug.
        Error::PrincipalNotFound(..)
        | Error::PrincipalExists(..)
        | Error::InlinePolicyNotFound(..)
        | Error::AccessKeyNotFound(_)
        | Error::MustDeletePolicies
        | Error::MustDeleteAccessKeys
        | Error::AccessKeyQuota
        | Error::PolicySizeExceeded(..)
        | Error::LoginProfileNotFound(_)
        | Error::LoginProfileExists(_)
        | Error::MustDeleteLoginProfile
        | Error::PasswordPolicyViolation(_)
        | Error::Managed(_)
        | Error::Store(_)
        | Error::Internal(_) => {
            tracing::error!(request_id, error = %error, cause = ?std::error::Error::source(error), "internal failure");
            (C::InternalServiceError, "An error occurred on the server side.".to_owned())
        }
    };
    ApiError::new(code, message)
}

/// The code of a KMS error kind.
fn kms_code(kind: coffer_core::error::KmsErrorKind) -> ErrorCode {
    use coffer_core::error::KmsErrorKind as K;
    match kind {
        K::NotFound => ErrorCode::NotFoundException,
        K::AlreadyExists => ErrorCode::AlreadyExistsException,
        K::Disabled => ErrorCode::DisabledException,
        K::InvalidState => ErrorCode::KMSInvalidStateException,
        K::InvalidCiphertext => ErrorCode::InvalidCiphertextException,
        K::IncorrectKey => ErrorCode::IncorrectKeyException,
        K::InvalidAliasName => ErrorCode::InvalidAliasNameException,
        K::InvalidMarker => ErrorCode::InvalidMarkerException,
        K::NotAuthorized => ErrorCode::NotAuthorizedException,
        K::Unsupported => ErrorCode::UnsupportedOperationException,
        K::Validation => ErrorCode::ValidationException,
        K::MalformedPolicy => ErrorCode::MalformedPolicyDocumentException,
        K::InvalidKeyUsage => ErrorCode::InvalidKeyUsageException,
        K::DryRun => ErrorCode::DryRunOperationException,
        K::Conflict => ErrorCode::ConflictException,
    }
}

/// Maps a domain error from a KMS action: as [`to_api_error`], except that an internal failure
/// is KMS's `KMSInternalException`.
pub fn to_kms_error(error: &Error, request_id: &str) -> ApiError {
    let mapped = to_api_error(error, request_id);
    if mapped.code == ErrorCode::InternalServiceError {
        ApiError::new(ErrorCode::KMSInternalException, "")
    } else {
        mapped
    }
}

/// Maps a domain error from an IAM or STS action to the awsQuery wire: IAM's codes,
/// statuses and messages.
pub fn to_query_error(error: &Error, request_id: &str) -> QueryError {
    use coffer_core::model::PrincipalKind::{Role, User};
    use coffer_protocol::iam::errors as e;
    match error {
        Error::PrincipalNotFound(User, name) => e::no_such_user(name),
        Error::PrincipalNotFound(Role, name) => e::no_such_role(name),
        Error::PrincipalExists(User, name) => e::user_already_exists(name),
        Error::PrincipalExists(Role, name) => e::role_already_exists(name),
        Error::InlinePolicyNotFound(User, name) => e::no_such_user_policy(name),
        Error::InlinePolicyNotFound(Role, name) => e::no_such_role_policy(name),
        Error::AccessKeyNotFound(id) => e::no_such_access_key(id),
        Error::MustDeletePolicies => e::must_delete_policies_first(),
        Error::MustDeleteAccessKeys => e::must_delete_access_keys_first(),
        Error::AccessKeyQuota => e::access_key_quota_exceeded(),
        Error::PolicySizeExceeded(User, name) => e::user_policy_size_exceeded(name),
        Error::PolicySizeExceeded(Role, name) => e::role_policy_size_exceeded(name),
        Error::MalformedPolicy(message) => e::malformed_policy_document(message.clone()),
        Error::LoginProfileNotFound(name) => e::no_such_login_profile(name),
        Error::LoginProfileExists(name) => e::login_profile_exists(name),
        Error::MustDeleteLoginProfile => e::must_delete_login_profile_first(),
        Error::PasswordPolicyViolation(message) => e::password_policy_violation(message.clone()),
        Error::Managed(error) => managed_error(error),
        Error::AccessDenied(message) => {
            QueryError::new(QueryErrorCode::AccessDenied, message.clone())
        }
        Error::Validation(message)
        | Error::InvalidParameter(message)
        | Error::InvalidRequest(message) => {
            QueryError::new(QueryErrorCode::ValidationError, message.clone())
        }
        Error::LimitExceeded(message) => {
            QueryError::new(QueryErrorCode::LimitExceeded, message.clone())
        }
        _ => {
            tracing::error!(request_id, error = %error, cause = ?std::error::Error::source(error), "internal failure");
            e::service_failure()
        }
    }
}

/// IAM's code and wording for a managed-policy or group error.
fn managed_error(error: &coffer_core::managed::ManagedError) -> QueryError {
    use coffer_core::managed::{ManagedError as M, MANAGED_POLICY_CHARS, MAX_POLICY_VERSIONS};
    use QueryErrorCode as C;
    let (code, message) = match error {
        M::PolicyNotFound(arn) => (C::NoSuchEntity, format!("Policy {arn} was not found.")),
        M::PolicyNotAttachable(arn) => (
            C::NoSuchEntity,
            format!("Policy {arn} does not exist or is not attachable."),
        ),
        M::VersionNotFound(arn, version) => (
            C::NoSuchEntity,
            format!("Policy {arn} version {version} does not exist or is not attachable."),
        ),
        M::PolicyExists(name) => (
            C::EntityAlreadyExists,
            format!("A policy called {name} already exists. Duplicate names are not allowed."),
        ),
        M::VersionLimit => (
            C::LimitExceeded,
            format!(
                "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you \
                 create a new version, you must delete an existing version."
            ),
        ),
        M::DeleteDefaultVersion => (
            C::DeleteConflict,
            "Cannot delete the default version of a policy.".to_owned(),
        ),
        M::PolicyAttached => (
            C::DeleteConflict,
            "Cannot delete a policy attached to entities.".to_owned(),
        ),
        M::PolicyHasVersions => (
            C::DeleteConflict,
            "This policy has more than one version. Before you delete a policy, you must delete \
             the policy's versions. The default version is deleted with the policy."
                .to_owned(),
        ),
        // coffer's own wording: AWS's managed policies are AWS's to change.
        M::AwsManaged(arn) => (
            C::AccessDenied,
            format!("Policy {arn} is an AWS managed policy and cannot be changed or deleted."),
        ),
        M::InvalidArn(arn) => (C::InvalidInput, format!("ARN {arn} is not valid.")),
        M::GroupNotFound(name) => (
            C::NoSuchEntity,
            format!("The group with name {name} cannot be found."),
        ),
        M::GroupExists(name) => (
            C::EntityAlreadyExists,
            format!("Group with name {name} already exists."),
        ),
        M::GroupPolicyNotFound(name) => (
            C::NoSuchEntity,
            format!("The group policy with name {name} cannot be found."),
        ),
        M::MustRemoveUsers => (
            C::DeleteConflict,
            "Cannot delete entity, must remove users from group first.".to_owned(),
        ),
        M::MustDetachPolicies => (
            C::DeleteConflict,
            "Cannot delete entity, must detach all policies first.".to_owned(),
        ),
        M::GroupPolicySize(name) => (
            C::LimitExceeded,
            format!("Maximum policy size of 5120 bytes exceeded for group {name}"),
        ),
        M::PolicySize => (
            C::LimitExceeded,
            format!("Cannot exceed quota for PolicySize: {MANAGED_POLICY_CHARS}"),
        ),
    };
    QueryError::new(code, message)
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
