//! The IAM subset coffer answers on its own endpoint, in the awsQuery protocol: a form-encoded
//! POST naming an `Action`, answered in XML.
//!
//! The server reads the form with [`crate::query::parse_form`], finds the service with
//! [`crate::query::query_service`], verifies the signature for that service, and only then calls
//! [`parse_request`], which checks every constraint of the botocore model (`iam/2010-05-08`)
//! with AWS's wording. The handler answers with an [`IamResponse`], rendered by
//! [`IamResponse::to_xml`], or a [`QueryError`] (built by the constructors in [`errors`]),
//! rendered by [`error_xml`].
//!
//! Decisions:
//! - `PermissionsBoundary` (CreateUser, CreateRole) is refused with `InvalidInput`: coffer does
//!   not evaluate boundaries, and accepting one silently would grant more than its author meant.
//! - `MaxSigninSessionDuration` (CreateRole) is not read: coffer's console signs in IAM users
//!   with a password (login profiles), not roles.
//! - Pagination markers are opaque here: the server makes them (1–320 characters of
//!   `[\u0020-\u00FF]`, so that a client can send them back) and gets them back in `marker`.
//!   `MaxItems` defaults to [`DEFAULT_MAX_ITEMS`].

pub mod errors;
mod managed;
pub(crate) mod requests;
mod responses;
#[cfg(test)]
mod tests;

pub use crate::query::Tag;
use crate::query::{QueryError, QueryErrorCode};
pub use managed::*;
pub use requests::*;
pub use responses::*;

use crate::query::error::error_response_xml;

/// The IAM API version every request names and every response's namespace carries.
pub const IAM_VERSION: &str = "2010-05-08";

/// The XML namespace of IAM responses.
pub const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The page size of a list when the request sets no `MaxItems` (IAM's documented default).
pub const DEFAULT_MAX_ITEMS: i32 = 100;

/// The path of a user or role created without one.
pub const DEFAULT_PATH: &str = "/";

/// The `MaxSessionDuration` of a role created without one, in seconds.
pub const DEFAULT_MAX_SESSION_DURATION: i32 = 3600;

crate::actions::actions! {
    /// Every IAM action coffer answers: the closed list the server matches on. Each line gives
    /// the action's facts (see [`crate::actions`]).
    pub enum IamAction in "iam" {
        /// `CreateUser`.
        CreateUser: write,
        /// `GetUser`.
        GetUser: read,
        /// `ListUsers`.
        ListUsers: read,
        /// `DeleteUser`.
        DeleteUser: write,
        /// `CreateAccessKey`.
        CreateAccessKey: write + secret,
        /// `ListAccessKeys`.
        ListAccessKeys: read,
        /// `UpdateAccessKey`.
        UpdateAccessKey: write,
        /// `DeleteAccessKey`.
        DeleteAccessKey: write,
        /// `PutUserPolicy`.
        PutUserPolicy: write,
        /// `GetUserPolicy`.
        GetUserPolicy: read,
        /// `DeleteUserPolicy`.
        DeleteUserPolicy: write,
        /// `ListUserPolicies`.
        ListUserPolicies: read,
        /// `CreateRole`.
        CreateRole: write,
        /// `GetRole`.
        GetRole: read,
        /// `DeleteRole`.
        DeleteRole: write,
        /// `ListRoles`.
        ListRoles: read,
        /// `PutRolePolicy`.
        PutRolePolicy: write,
        /// `GetRolePolicy`.
        GetRolePolicy: read,
        /// `DeleteRolePolicy`.
        DeleteRolePolicy: write,
        /// `ListRolePolicies`.
        ListRolePolicies: read,
        /// `CreateLoginProfile`: a console password for a user.
        CreateLoginProfile: write,
        /// `UpdateLoginProfile`.
        UpdateLoginProfile: write,
        /// `DeleteLoginProfile`.
        DeleteLoginProfile: write,
        /// `GetLoginProfile`.
        GetLoginProfile: read,
        /// `CreatePolicy`.
        CreatePolicy: write,
        /// `GetPolicy`.
        GetPolicy: read,
        /// `ListPolicies`.
        ListPolicies: read,
        /// `DeletePolicy`.
        DeletePolicy: write,
        /// `CreatePolicyVersion`.
        CreatePolicyVersion: write,
        /// `GetPolicyVersion`.
        GetPolicyVersion: read,
        /// `ListPolicyVersions`.
        ListPolicyVersions: read,
        /// `DeletePolicyVersion`.
        DeletePolicyVersion: write,
        /// `SetDefaultPolicyVersion`.
        SetDefaultPolicyVersion: write,
        /// `AttachUserPolicy`.
        AttachUserPolicy: write,
        /// `DetachUserPolicy`.
        DetachUserPolicy: write,
        /// `ListAttachedUserPolicies`.
        ListAttachedUserPolicies: read,
        /// `AttachRolePolicy`.
        AttachRolePolicy: write,
        /// `DetachRolePolicy`.
        DetachRolePolicy: write,
        /// `ListAttachedRolePolicies`.
        ListAttachedRolePolicies: read,
        /// `CreateGroup`.
        CreateGroup: write,
        /// `GetGroup`.
        GetGroup: read,
        /// `ListGroups`.
        ListGroups: read,
        /// `DeleteGroup`.
        DeleteGroup: write,
        /// `AddUserToGroup`.
        AddUserToGroup: write,
        /// `RemoveUserFromGroup`.
        RemoveUserFromGroup: write,
        /// `ListGroupsForUser`.
        ListGroupsForUser: read,
        /// `PutGroupPolicy`.
        PutGroupPolicy: write,
        /// `GetGroupPolicy`.
        GetGroupPolicy: read,
        /// `DeleteGroupPolicy`.
        DeleteGroupPolicy: write,
        /// `ListGroupPolicies`.
        ListGroupPolicies: read,
        /// `AttachGroupPolicy`.
        AttachGroupPolicy: write,
        /// `DetachGroupPolicy`.
        DetachGroupPolicy: write,
        /// `ListAttachedGroupPolicies`.
        ListAttachedGroupPolicies: read,
    }
}

/// The body of an IAM `ErrorResponse`: `Type` is `Sender` for client errors and `Receiver` for
/// server errors (5xx).
pub fn error_xml(error: &QueryError, request_id: &str) -> String {
    error_response_xml(IAM_NAMESPACE, error, request_id)
}
