//! The domain errors the server raises for IAM actions, with AWS's codes and wording.
//!
//! Each constructor cites where its wording was recorded. Names and ids are echoed as AWS
//! echoes them; none of these messages ever holds a secret.

use super::{QueryError, QueryErrorCode, IAM_VERSION};

/// `NoSuchEntity`: `The user with name {name} cannot be found.` (real responses quoted in
/// many issue threads; moto and LocalStack record the same).
pub fn no_such_user(user_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::NoSuchEntity,
        format!("The user with name {user_name} cannot be found."),
    )
}

/// `NoSuchEntity`: `The role with name {name} cannot be found.` (real GetRole output quoted in
/// aws/amazon-sagemaker-examples#2300, jarpy/lambkin#3).
pub fn no_such_role(role_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::NoSuchEntity,
        format!("The role with name {role_name} cannot be found."),
    )
}

/// `NoSuchEntity`: `The user policy with name {policy} cannot be found.` (moto's wording,
/// the user counterpart of the role message below).
pub fn no_such_user_policy(policy_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::NoSuchEntity,
        format!("The user policy with name {policy_name} cannot be found."),
    )
}

/// `NoSuchEntity`: `The role policy with name {policy} cannot be found.` (real
/// DeleteRolePolicy output quoted in aws/aws-cli#6139).
pub fn no_such_role_policy(policy_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::NoSuchEntity,
        format!("The role policy with name {policy_name} cannot be found."),
    )
}

/// `NoSuchEntity`: `The Access Key with id {id} cannot be found.` (quoted with the final
/// period in a recorded IAM error body and the paws documentation; moto leaves the period
/// out).
pub fn no_such_access_key(access_key_id: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::NoSuchEntity,
        format!("The Access Key with id {access_key_id} cannot be found."),
    )
}

/// `EntityAlreadyExists`: `User with name {name} already exists.` (real CreateUser output
/// quoted in ucopacme/aws-orgs#12).
pub fn user_already_exists(user_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::EntityAlreadyExists,
        format!("User with name {user_name} already exists."),
    )
}

/// `EntityAlreadyExists`: `Role with name {name} already exists.` (moto and LocalStack; the
/// same sentence as for users).
pub fn role_already_exists(role_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::EntityAlreadyExists,
        format!("Role with name {role_name} already exists."),
    )
}

/// `DeleteConflict`: `Cannot delete entity, must delete policies first.` — a user or role
/// that still has inline policies (recorded in several IAM emulators' tests and quoted in
/// issue threads about DeleteRole).
pub fn must_delete_policies_first() -> QueryError {
    QueryError::new(
        QueryErrorCode::DeleteConflict,
        "Cannot delete entity, must delete policies first.",
    )
}

/// `DeleteConflict`: `Cannot delete entity, must delete access keys first.` — a user that
/// still has access keys.
pub fn must_delete_access_keys_first() -> QueryError {
    QueryError::new(
        QueryErrorCode::DeleteConflict,
        "Cannot delete entity, must delete access keys first.",
    )
}

/// `NoSuchEntity`: `Login Profile for User {name} cannot be found.` (real GetLoginProfile
/// output, quoted in many issue threads about users without a console password).
pub fn no_such_login_profile(user_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::NoSuchEntity,
        format!("Login Profile for User {user_name} cannot be found."),
    )
}

/// `EntityAlreadyExists`: `Login Profile for user {name} already exists.` (real
/// CreateLoginProfile output quoted in Terraform provider issues).
pub fn login_profile_exists(user_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::EntityAlreadyExists,
        format!("Login Profile for user {user_name} already exists."),
    )
}

/// `DeleteConflict`: `Cannot delete entity, must delete login profile first.` — a user that
/// still has a console password.
pub fn must_delete_login_profile_first() -> QueryError {
    QueryError::new(
        QueryErrorCode::DeleteConflict,
        "Cannot delete entity, must delete login profile first.",
    )
}

/// `PasswordPolicyViolation` with the policy's sentence.
pub fn password_policy_violation(message: impl Into<String>) -> QueryError {
    QueryError::new(QueryErrorCode::PasswordPolicyViolation, message)
}

/// IAM's quota of access keys per user.
pub const ACCESS_KEYS_PER_USER: usize = 2;

/// `LimitExceeded`: `Cannot exceed quota for AccessKeysPerUser: 2` (no final period; quoted
/// in many runbooks and moto's tests).
pub fn access_key_quota_exceeded() -> QueryError {
    QueryError::new(
        QueryErrorCode::LimitExceeded,
        format!("Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}"),
    )
}

/// IAM's limit on the total size of a user's inline policies, in bytes.
pub const USER_INLINE_POLICY_BYTES: usize = 2048;

/// IAM's limit on the total size of a role's inline policies, in bytes.
pub const ROLE_INLINE_POLICY_BYTES: usize = 10240;

/// `LimitExceeded`: `Maximum policy size of 2048 bytes exceeded for user {name}` (the role
/// form is quoted in aws/aws-cdk#18531 and gchq/sleeper#1459, with status 409).
pub fn user_policy_size_exceeded(user_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::LimitExceeded,
        format!(
            "Maximum policy size of {USER_INLINE_POLICY_BYTES} bytes exceeded for user {user_name}"
        ),
    )
}

/// `LimitExceeded`: `Maximum policy size of 10240 bytes exceeded for role {name}`.
pub fn role_policy_size_exceeded(role_name: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::LimitExceeded,
        format!(
            "Maximum policy size of {ROLE_INLINE_POLICY_BYTES} bytes exceeded for role {role_name}"
        ),
    )
}

/// `MalformedPolicyDocument` with the policy checker's message (IAM's own include
/// `Syntax errors in policy.` and `This policy contains invalid Json`).
pub fn malformed_policy_document(message: impl Into<String>) -> QueryError {
    QueryError::new(QueryErrorCode::MalformedPolicyDocument, message)
}

/// `InvalidInput`: `Duplicate tag keys found. Please note that Tag keys are case insensitive.`
/// (moto's wording).
pub fn duplicate_tag_keys() -> QueryError {
    QueryError::new(
        QueryErrorCode::InvalidInput,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
}

/// `InvalidInput` for a `PermissionsBoundary`, which coffer does not evaluate. This wording is
/// coffer's own: AWS accepts boundaries.
pub fn permissions_boundary_unsupported() -> QueryError {
    QueryError::new(
        QueryErrorCode::InvalidInput,
        "Permissions boundaries are not supported by this server.",
    )
}

/// `AccessDenied` for an action no identity-based policy allows: `User: {principal} is not
/// authorized to perform: {permission} on resource: {resource} because no identity-based
/// policy allows the {permission} action` (AWS's wording since 2021).
pub fn access_denied(principal_arn: &str, permission: &str, resource: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::AccessDenied,
        format!(
            "User: {principal_arn} is not authorized to perform: {permission} on resource: \
             {resource} because no identity-based policy allows the {permission} action"
        ),
    )
}

/// `AccessDenied` for an action a policy denies explicitly: `… on resource: {resource} with an
/// explicit deny in an identity-based policy`.
pub fn access_denied_explicitly(
    principal_arn: &str,
    permission: &str,
    resource: &str,
) -> QueryError {
    QueryError::new(
        QueryErrorCode::AccessDenied,
        format!(
            "User: {principal_arn} is not authorized to perform: {permission} on resource: \
             {resource} with an explicit deny in an identity-based policy"
        ),
    )
}

/// `InvalidAction`: `Could not find operation {action} for version 2010-05-08`, the awsQuery
/// wording for an unknown action (recorded for SES in aws/aws-cli#37; coffer's STS uses the
/// same).
pub fn invalid_action(action: &str) -> QueryError {
    QueryError::new(
        QueryErrorCode::InvalidAction,
        format!("Could not find operation {action} for version {IAM_VERSION}"),
    )
}

/// `ServiceFailure` (500, `Receiver`): an internal failure. The message is fixed; the cause
/// goes to the log with the request id.
pub fn service_failure() -> QueryError {
    QueryError::new(
        QueryErrorCode::ServiceFailure,
        "The request processing has failed because of an unknown error, exception or failure.",
    )
}
