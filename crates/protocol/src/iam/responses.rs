//! One response type per IAM action, rendered to XML as IAM lays it out: the
//! `<ActionResponse>` root in IAM's namespace, the model's `<ActionResult>` wrapper (absent for
//! actions without output), members in model order, lists as `<member>` elements, and
//! `ResponseMetadata` last.

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use super::{AccessKeyStatus, IamAction, IAM_NAMESPACE};
use crate::query::form::Tag;
use crate::query::xml::{encode_policy, Xml};
use crate::sensitive::SensitiveString;

/// An IAM user, as the server passes it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `Path`, e.g. `/`.
    pub path: String,
    /// `UserName`.
    pub user_name: String,
    /// `UserId`, `AIDA…`.
    pub user_id: String,
    /// `Arn`, `arn:aws:iam::<account>:user<path><name>`.
    pub arn: String,
    /// `CreateDate`.
    pub create_date: DateTime<Utc>,
    /// `Tags`; left out of the XML when empty (IAM's ListUsers never shows them).
    pub tags: Vec<Tag>,
}

/// When a role was last used, as GetRole shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleLastUsed {
    /// `LastUsedDate`.
    pub last_used_date: Option<DateTime<Utc>>,
    /// `Region`.
    pub region: Option<String>,
}

/// An IAM role, as the server passes it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `Path`.
    pub path: String,
    /// `RoleName`.
    pub role_name: String,
    /// `RoleId`, `AROA…`.
    pub role_id: String,
    /// `Arn`.
    pub arn: String,
    /// `CreateDate`.
    pub create_date: DateTime<Utc>,
    /// `AssumeRolePolicyDocument`, the trust policy as stored (JSON); URL-encoded on the wire,
    /// as IAM sends it.
    pub assume_role_policy_document: String,
    /// `Description`.
    pub description: Option<String>,
    /// `MaxSessionDuration`, seconds.
    pub max_session_duration: Option<i32>,
    /// `Tags`; left out when empty.
    pub tags: Vec<Tag>,
    /// `RoleLastUsed`: GetRole shows it (empty for a role never used), ListRoles does not.
    pub role_last_used: Option<RoleLastUsed>,
}

/// A new access key with its secret half, CreateAccessKey's only answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `UserName`.
    pub user_name: String,
    /// `AccessKeyId`, `AKIA…`.
    pub access_key_id: String,
    /// `Status`.
    pub status: AccessKeyStatus,
    /// `SecretAccessKey`, written only into a zeroizing buffer.
    pub secret_access_key: SensitiveString,
    /// `CreateDate`.
    pub create_date: DateTime<Utc>,
}

/// An access key without its secret, as ListAccessKeys shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyMetadata {
    /// `UserName`.
    pub user_name: String,
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `Status`.
    pub status: AccessKeyStatus,
    /// `CreateDate`.
    pub create_date: DateTime<Utc>,
}

/// An inline policy, as GetUserPolicy and GetRolePolicy return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicy {
    /// `UserName` or `RoleName`: the entity the policy is embedded in.
    pub entity_name: String,
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyDocument`, as stored (JSON); URL-encoded on the wire, as IAM sends it.
    pub policy_document: String,
}

/// A login profile, as CreateLoginProfile and GetLoginProfile return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfile {
    /// `UserName`.
    pub user_name: String,
    /// `CreateDate`.
    pub create_date: DateTime<Utc>,
    /// `PasswordResetRequired`.
    pub password_reset_required: bool,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of the page.
    pub items: Vec<T>,
    /// The marker of the next page; `Some` makes `IsTruncated` true.
    pub marker: Option<String>,
}

/// A response to an IAM action: one variant per [`IamAction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamResponse {
    /// `CreateUser`.
    CreateUser(User),
    /// `GetUser`.
    GetUser(User),
    /// `ListUsers`.
    ListUsers(Page<User>),
    /// `DeleteUser` (no result).
    DeleteUser,
    /// `CreateAccessKey`.
    CreateAccessKey(AccessKey),
    /// `ListAccessKeys`.
    ListAccessKeys(Page<AccessKeyMetadata>),
    /// `UpdateAccessKey` (no result).
    UpdateAccessKey,
    /// `DeleteAccessKey` (no result).
    DeleteAccessKey,
    /// `PutUserPolicy` (no result).
    PutUserPolicy,
    /// `GetUserPolicy`.
    GetUserPolicy(InlinePolicy),
    /// `DeleteUserPolicy` (no result).
    DeleteUserPolicy,
    /// `ListUserPolicies`: policy names.
    ListUserPolicies(Page<String>),
    /// `CreateRole`.
    CreateRole(Role),
    /// `GetRole`.
    GetRole(Role),
    /// `DeleteRole` (no result).
    DeleteRole,
    /// `ListRoles`.
    ListRoles(Page<Role>),
    /// `PutRolePolicy` (no result).
    PutRolePolicy,
    /// `GetRolePolicy`.
    GetRolePolicy(InlinePolicy),
    /// `DeleteRolePolicy` (no result).
    DeleteRolePolicy,
    /// `ListRolePolicies`: policy names.
    ListRolePolicies(Page<String>),
    /// `CreateLoginProfile`.
    CreateLoginProfile(LoginProfile),
    /// `UpdateLoginProfile` (no result).
    UpdateLoginProfile,
    /// `DeleteLoginProfile` (no result).
    DeleteLoginProfile,
    /// `GetLoginProfile`.
    GetLoginProfile(LoginProfile),
    /// A managed-policy or group action (`iam/managed.rs`).
    Managed(super::managed::ManagedResponse),
}

impl IamResponse {
    /// The action this responds to.
    pub fn action(&self) -> IamAction {
        match self {
            Self::CreateUser(_) => IamAction::CreateUser,
            Self::GetUser(_) => IamAction::GetUser,
            Self::ListUsers(_) => IamAction::ListUsers,
            Self::DeleteUser => IamAction::DeleteUser,
            Self::CreateAccessKey(_) => IamAction::CreateAccessKey,
            Self::ListAccessKeys(_) => IamAction::ListAccessKeys,
            Self::UpdateAccessKey => IamAction::UpdateAccessKey,
            Self::DeleteAccessKey => IamAction::DeleteAccessKey,
            Self::PutUserPolicy => IamAction::PutUserPolicy,
            Self::GetUserPolicy(_) => IamAction::GetUserPolicy,
            Self::DeleteUserPolicy => IamAction::DeleteUserPolicy,
            Self::ListUserPolicies(_) => IamAction::ListUserPolicies,
            Self::CreateRole(_) => IamAction::CreateRole,
            Self::GetRole(_) => IamAction::GetRole,
            Self::DeleteRole => IamAction::DeleteRole,
            Self::ListRoles(_) => IamAction::ListRoles,
            Self::PutRolePolicy => IamAction::PutRolePolicy,
            Self::GetRolePolicy(_) => IamAction::GetRolePolicy,
            Self::DeleteRolePolicy => IamAction::DeleteRolePolicy,
            Self::ListRolePolicies(_) => IamAction::ListRolePolicies,
            Self::CreateLoginProfile(_) => IamAction::CreateLoginProfile,
            Self::UpdateLoginProfile => IamAction::UpdateLoginProfile,
            Self::DeleteLoginProfile => IamAction::DeleteLoginProfile,
            Self::GetLoginProfile(_) => IamAction::GetLoginProfile,
            Self::Managed(response) => response.action(),
        }
    }

    /// The response body. It is returned in a zeroizing buffer because CreateAccessKey's holds
    /// a secret key; the others are as safe to copy out as any response.
    pub fn to_xml(&self, request_id: &str) -> Zeroizing<String> {
        let name = self.action().name();
        let mut xml = match self {
            // Room for the whole body up front, so that the buffer holding the secret key
            // never reallocates (a reallocation frees the old copy without zeroing it).
            Self::CreateAccessKey(key) => Xml::with_capacity(
                2048 + 6
                    * (key.user_name.len()
                        + key.access_key_id.len()
                        + key.secret_access_key.len()
                        + request_id.len()),
            ),
            _ => Xml::new(),
        };
        xml.open_namespaced(&format!("{name}Response"), IAM_NAMESPACE);
        let result = format!("{name}Result");
        match self {
            Self::Managed(response) => response.write(&mut xml, &result),
            Self::DeleteUser
            | Self::UpdateAccessKey
            | Self::DeleteAccessKey
            | Self::PutUserPolicy
            | Self::DeleteUserPolicy
            | Self::DeleteRole
            | Self::PutRolePolicy
            | Self::DeleteRolePolicy
            | Self::UpdateLoginProfile
            | Self::DeleteLoginProfile => {}
            Self::CreateLoginProfile(profile) | Self::GetLoginProfile(profile) => {
                xml.open(&result);
                xml.open("LoginProfile");
                xml.leaf("UserName", &profile.user_name);
                xml.timestamp("CreateDate", &profile.create_date);
                xml.leaf(
                    "PasswordResetRequired",
                    if profile.password_reset_required {
                        "true"
                    } else {
                        "false"
                    },
                );
                xml.close("LoginProfile");
                xml.close(&result);
            }
            Self::CreateUser(user) | Self::GetUser(user) => {
                xml.open(&result);
                write_user(&mut xml, "User", user);
                xml.close(&result);
            }
            Self::ListUsers(page) => {
                xml.open(&result);
                xml.open("Users");
                for user in &page.items {
                    write_user(&mut xml, "member", user);
                }
                xml.close("Users");
                write_truncation(&mut xml, page.marker.as_deref());
                xml.close(&result);
            }
            Self::CreateAccessKey(key) => {
                xml.open(&result);
                xml.open("AccessKey");
                xml.leaf("UserName", &key.user_name);
                xml.leaf("AccessKeyId", &key.access_key_id);
                xml.leaf("Status", key.status.as_str());
                xml.leaf("SecretAccessKey", key.secret_access_key.expose());
                xml.timestamp("CreateDate", &key.create_date);
                xml.close("AccessKey");
                xml.close(&result);
            }
            Self::ListAccessKeys(page) => {
                xml.open(&result);
                xml.open("AccessKeyMetadata");
                for key in &page.items {
                    xml.open("member");
                    xml.leaf("UserName", &key.user_name);
                    xml.leaf("AccessKeyId", &key.access_key_id);
                    xml.leaf("Status", key.status.as_str());
                    xml.timestamp("CreateDate", &key.create_date);
                    xml.close("member");
                }
                xml.close("AccessKeyMetadata");
                write_truncation(&mut xml, page.marker.as_deref());
                xml.close(&result);
            }
            Self::GetUserPolicy(policy) => {
                xml.open(&result);
                xml.leaf("UserName", &policy.entity_name);
                write_policy(&mut xml, policy);
                xml.close(&result);
            }
            Self::GetRolePolicy(policy) => {
                xml.open(&result);
                xml.leaf("RoleName", &policy.entity_name);
                write_policy(&mut xml, policy);
                xml.close(&result);
            }
            Self::ListUserPolicies(page) | Self::ListRolePolicies(page) => {
                xml.open(&result);
                xml.open("PolicyNames");
                for policy_name in &page.items {
                    xml.leaf("member", policy_name);
                }
                xml.close("PolicyNames");
                write_truncation(&mut xml, page.marker.as_deref());
                xml.close(&result);
            }
            Self::CreateRole(role) | Self::GetRole(role) => {
                xml.open(&result);
                write_role(&mut xml, "Role", role);
                xml.close(&result);
            }
            Self::ListRoles(page) => {
                xml.open(&result);
                xml.open("Roles");
                for role in &page.items {
                    write_role(&mut xml, "member", role);
                }
                xml.close("Roles");
                write_truncation(&mut xml, page.marker.as_deref());
                xml.close(&result);
            }
        }
        xml.response_metadata(request_id);
        xml.close(&format!("{name}Response"));
        xml.finish()
    }
}

pub(super) fn write_user(xml: &mut Xml, element: &str, user: &User) {
    xml.open(element);
    xml.leaf("Path", &user.path);
    xml.leaf("UserName", &user.user_name);
    xml.leaf("UserId", &user.user_id);
    xml.leaf("Arn", &user.arn);
    xml.timestamp("CreateDate", &user.create_date);
    xml.tags(&user.tags);
    xml.close(element);
}

fn write_role(xml: &mut Xml, element: &str, role: &Role) {
    xml.open(element);
    xml.leaf("Path", &role.path);
    xml.leaf("RoleName", &role.role_name);
    xml.leaf("RoleId", &role.role_id);
    xml.leaf("Arn", &role.arn);
    xml.timestamp("CreateDate", &role.create_date);
    xml.leaf(
        "AssumeRolePolicyDocument",
        &encode_policy(&role.assume_role_policy_document),
    );
    xml.optional_leaf("Description", role.description.as_deref());
    if let Some(seconds) = role.max_session_duration {
        xml.leaf("MaxSessionDuration", &seconds.to_string());
    }
    xml.tags(&role.tags);
    if let Some(last_used) = &role.role_last_used {
        xml.open("RoleLastUsed");
        if let Some(date) = &last_used.last_used_date {
            xml.timestamp("LastUsedDate", date);
        }
        xml.optional_leaf("Region", last_used.region.as_deref());
        xml.close("RoleLastUsed");
    }
    xml.close(element);
}

fn write_policy(xml: &mut Xml, policy: &InlinePolicy) {
    xml.leaf("PolicyName", &policy.policy_name);
    xml.leaf("PolicyDocument", &encode_policy(&policy.policy_document));
}

/// `IsTruncated` always, `Marker` only when there is a next page, as IAM answers.
pub(super) fn write_truncation(xml: &mut Xml, marker: Option<&str>) {
    xml.leaf(
        "IsTruncated",
        if marker.is_some() { "true" } else { "false" },
    );
    xml.optional_leaf("Marker", marker);
}
