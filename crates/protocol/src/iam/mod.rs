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
//! - `MaxSigninSessionDuration` (CreateRole, console sign-in) is not read: coffer has no console.
//! - Pagination markers are opaque here: the server makes them (1–320 characters of
//!   `[\u0020-\u00FF]`, so that a client can send them back) and gets them back in `marker`.
//!   `MaxItems` defaults to [`DEFAULT_MAX_ITEMS`].

pub mod errors;
pub(crate) mod requests;
mod responses;
#[cfg(test)]
mod tests;

pub use crate::query::{QueryError, QueryErrorCode, Tag};
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

/// Every IAM action coffer answers: the closed list the server matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IamAction {
    /// `CreateUser`.
    CreateUser,
    /// `GetUser`.
    GetUser,
    /// `ListUsers`.
    ListUsers,
    /// `DeleteUser`.
    DeleteUser,
    /// `CreateAccessKey`.
    CreateAccessKey,
    /// `ListAccessKeys`.
    ListAccessKeys,
    /// `UpdateAccessKey`.
    UpdateAccessKey,
    /// `DeleteAccessKey`.
    DeleteAccessKey,
    /// `PutUserPolicy`.
    PutUserPolicy,
    /// `GetUserPolicy`.
    GetUserPolicy,
    /// `DeleteUserPolicy`.
    DeleteUserPolicy,
    /// `ListUserPolicies`.
    ListUserPolicies,
    /// `CreateRole`.
    CreateRole,
    /// `GetRole`.
    GetRole,
    /// `DeleteRole`.
    DeleteRole,
    /// `ListRoles`.
    ListRoles,
    /// `PutRolePolicy`.
    PutRolePolicy,
    /// `GetRolePolicy`.
    GetRolePolicy,
    /// `DeleteRolePolicy`.
    DeleteRolePolicy,
    /// `ListRolePolicies`.
    ListRolePolicies,
}

impl IamAction {
    /// Every action, in the order above.
    pub const ALL: [IamAction; 20] = [
        Self::CreateUser,
        Self::GetUser,
        Self::ListUsers,
        Self::DeleteUser,
        Self::CreateAccessKey,
        Self::ListAccessKeys,
        Self::UpdateAccessKey,
        Self::DeleteAccessKey,
        Self::PutUserPolicy,
        Self::GetUserPolicy,
        Self::DeleteUserPolicy,
        Self::ListUserPolicies,
        Self::CreateRole,
        Self::GetRole,
        Self::DeleteRole,
        Self::ListRoles,
        Self::PutRolePolicy,
        Self::GetRolePolicy,
        Self::DeleteRolePolicy,
        Self::ListRolePolicies,
    ];

    /// The action's name, as sent in `Action`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreateUser => "CreateUser",
            Self::GetUser => "GetUser",
            Self::ListUsers => "ListUsers",
            Self::DeleteUser => "DeleteUser",
            Self::CreateAccessKey => "CreateAccessKey",
            Self::ListAccessKeys => "ListAccessKeys",
            Self::UpdateAccessKey => "UpdateAccessKey",
            Self::DeleteAccessKey => "DeleteAccessKey",
            Self::PutUserPolicy => "PutUserPolicy",
            Self::GetUserPolicy => "GetUserPolicy",
            Self::DeleteUserPolicy => "DeleteUserPolicy",
            Self::ListUserPolicies => "ListUserPolicies",
            Self::CreateRole => "CreateRole",
            Self::GetRole => "GetRole",
            Self::DeleteRole => "DeleteRole",
            Self::ListRoles => "ListRoles",
            Self::PutRolePolicy => "PutRolePolicy",
            Self::GetRolePolicy => "GetRolePolicy",
            Self::DeleteRolePolicy => "DeleteRolePolicy",
            Self::ListRolePolicies => "ListRolePolicies",
        }
    }

    /// The action an `Action` value names, if coffer answers it. Names are case-sensitive, as
    /// AWS's are.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.name() == name)
    }

    /// The IAM permission the action needs, `iam:<Action>`, for policy evaluation.
    pub fn permission(self) -> String {
        format!("iam:{}", self.name())
    }
}

/// The body of an IAM `ErrorResponse`: `Type` is `Sender` for client errors and `Receiver` for
/// server errors (5xx).
pub fn error_xml(error: &QueryError, request_id: &str) -> String {
    error_response_xml(IAM_NAMESPACE, error, request_id)
}
