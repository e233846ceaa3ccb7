//! One request type per IAM action, parsed from the form parameters with every constraint of
//! the botocore model checked.

use super::errors;
use super::{IamAction, QueryError};
use crate::constraint::{Pattern, StringShape, Violations};
use crate::query::form::{tags, Params, Tag};
use crate::query::patterns::{
    is_description, is_marker, is_path, is_path_prefix, name_plus, policy_text, word_plus,
};
use crate::sensitive::SensitiveString;

// ---------------------------------------------------------------------------------------------
// The model's string shapes, with IAM's own pattern messages where IAM has one.

/// IAM's sentence for a name that breaks `[\w+=,.@-]+`, quoted from real responses for
/// `userName`, `roleName` and `policyName` (a Terraform import, a Karpenter change, a
/// cfn-lint report).
macro_rules! name_message {
    ($member:literal) => {
        concat!(
            "The specified value for ",
            $member,
            " is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"
        )
    };
}

const NAME_PATTERN: Pattern = Pattern {
    source: r"[\w+=,.@-]+",
    matches: name_plus,
};

/// `userNameType`: a user name being created.
pub(crate) const USER_NAME: StringShape = StringShape::length(Some(1), Some(64))
    .with_pattern(NAME_PATTERN)
    .with_pattern_message(name_message!("userName"));

/// `existingUserNameType`: a user name being looked up (longer, for legacy names).
const EXISTING_USER_NAME: StringShape = StringShape::length(Some(1), Some(128))
    .with_pattern(NAME_PATTERN)
    .with_pattern_message(name_message!("userName"));

/// `roleNameType`.
const ROLE_NAME: StringShape = StringShape::length(Some(1), Some(64))
    .with_pattern(NAME_PATTERN)
    .with_pattern_message(name_message!("roleName"));

/// `policyNameType`.
const POLICY_NAME: StringShape = StringShape::length(Some(1), Some(128))
    .with_pattern(NAME_PATTERN)
    .with_pattern_message(name_message!("policyName"));

/// `pathType`: `/`, or `/…/` with printable ASCII between.
pub(crate) const PATH: StringShape = StringShape::length(Some(1), Some(512))
    .with_pattern(Pattern {
        source: r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
        matches: is_path,
    })
    // IAM's sentence, quoted in serverless#3802 and cfn-lint#722 (its double period included
    // in neither, so not here).
    .with_pattern_message(
        "The specified value for path is invalid. It must begin and end with / and contain only \
         alphanumeric characters and/or / characters.",
    );

/// `pathPrefixType`.
pub(crate) const PATH_PREFIX: StringShape = StringShape::length(Some(1), Some(512))
    .with_pattern(Pattern {
        source: r"\u002F[\u0021-\u007F]*",
        matches: is_path_prefix,
    })
    // Quoted in ansible-collections/amazon.aws#2065.
    .with_pattern_message(
        "The specified value for pathPrefix is invalid. It must begin with the / character and \
         contain only alphanumeric characters and/or / characters.",
    );

/// `markerType`.
pub(crate) const MARKER: StringShape =
    StringShape::length(Some(1), Some(320)).with_pattern(Pattern {
        source: r"[\u0020-\u00FF]+",
        matches: is_marker,
    });

/// `policyDocumentType`.
pub(crate) const POLICY_DOCUMENT: StringShape = StringShape::length(Some(1), Some(131_072))
    .with_pattern(Pattern {
        source: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
        matches: policy_text,
    });

/// `roleDescriptionType`.
pub(crate) const DESCRIPTION: StringShape =
    StringShape::length(None, Some(1000)).with_pattern(Pattern {
        source: r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*",
        matches: is_description,
    });

/// `passwordType`: sensitive, so a violation never shows the value.
const PASSWORD: StringShape = StringShape::length(Some(1), Some(128)).with_pattern(Pattern {
    source: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    matches: policy_text,
});
/// `policyDescriptionType`: up to 1,000 characters, no pattern.
pub(crate) const DESCRIPTION_1000: StringShape = StringShape::length(None, Some(1000));

/// `accessKeyIdType`.
pub(crate) const ACCESS_KEY_ID: StringShape = StringShape::length(Some(16), Some(128))
    .with_pattern(Pattern {
        source: r"[\w]+",
        matches: word_plus,
    });

/// `arnType` as IAM declares it (lengths only).
const ARN: StringShape = StringShape::length(Some(20), Some(2048));

/// `statusType`, in the model's order.
const STATUS_VALUES: [&str; 3] = ["Active", "Inactive", "Expired"];

// ---------------------------------------------------------------------------------------------
// Request types.

/// The status of an access key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKeyStatus {
    /// The key signs requests.
    Active,
    /// The key is refused.
    Inactive,
    /// In the model's enum (for keys IAM expired itself); UpdateAccessKey accepts it as the
    /// model does, and the server decides what it means.
    Expired,
}

impl AccessKeyStatus {
    /// The status as IAM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
            Self::Expired => "Expired",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "Active" => Some(Self::Active),
            "Inactive" => Some(Self::Inactive),
            "Expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// The paging parameters every IAM list action takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    /// The `Marker` a previous page returned.
    pub marker: Option<String>,
    /// `MaxItems`, 1–1000; `None` means [`super::DEFAULT_MAX_ITEMS`].
    pub max_items: Option<i32>,
}

impl Paging {
    /// The page size to use.
    pub fn page_size(&self) -> i32 {
        self.max_items.unwrap_or(super::DEFAULT_MAX_ITEMS)
    }
}

/// `CreateUser`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateUserRequest {
    /// `Path`; `None` means [`super::DEFAULT_PATH`].
    pub path: Option<String>,
    /// `UserName`.
    pub user_name: String,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// `GetUser`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUserRequest {
    /// `UserName`; `None` means the caller.
    pub user_name: Option<String>,
}

/// `ListUsers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUsersRequest {
    /// `PathPrefix`; `None` means `/` (every user).
    pub path_prefix: Option<String>,
    /// `Marker`, `MaxItems`.
    pub paging: Paging,
}

/// `DeleteUser`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteUserRequest {
    /// `UserName`.
    pub user_name: String,
}

/// `CreateAccessKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAccessKeyRequest {
    /// `UserName`; `None` means the caller.
    pub user_name: Option<String>,
}

/// `ListAccessKeys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAccessKeysRequest {
    /// `UserName`; `None` means the caller.
    pub user_name: Option<String>,
    /// `Marker`, `MaxItems`.
    pub paging: Paging,
}

/// `UpdateAccessKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateAccessKeyRequest {
    /// `UserName`; `None` means the caller.
    pub user_name: Option<String>,
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `Status`.
    pub status: AccessKeyStatus,
}

/// `DeleteAccessKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAccessKeyRequest {
    /// `UserName`; `None` means the caller.
    pub user_name: Option<String>,
    /// `AccessKeyId`.
    pub access_key_id: String,
}

/// `PutUserPolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutUserPolicyRequest {
    /// `UserName`.
    pub user_name: String,
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyDocument`, as sent (JSON; the policy language's own checks are the server's).
    pub policy_document: String,
}

/// `GetUserPolicy` and `DeleteUserPolicy`: a user's inline policy by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPolicyRequest {
    /// `UserName`.
    pub user_name: String,
    /// `PolicyName`.
    pub policy_name: String,
}

/// `ListUserPolicies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUserPoliciesRequest {
    /// `UserName`.
    pub user_name: String,
    /// `Marker`, `MaxItems`.
    pub paging: Paging,
}

/// `CreateRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRoleRequest {
    /// `Path`; `None` means [`super::DEFAULT_PATH`].
    pub path: Option<String>,
    /// `RoleName`.
    pub role_name: String,
    /// `AssumeRolePolicyDocument`, the trust policy, as sent.
    pub assume_role_policy_document: String,
    /// `Description`.
    pub description: Option<String>,
    /// `MaxSessionDuration`, 3600–43200 seconds; `None` means
    /// [`super::DEFAULT_MAX_SESSION_DURATION`].
    pub max_session_duration: Option<i32>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// `GetRole` and `DeleteRole`: a role by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRequest {
    /// `RoleName`.
    pub role_name: String,
}

/// `ListRoles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRolesRequest {
    /// `PathPrefix`; `None` means `/` (every role).
    pub path_prefix: Option<String>,
    /// `Marker`, `MaxItems`.
    pub paging: Paging,
}

/// `PutRolePolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutRolePolicyRequest {
    /// `RoleName`.
    pub role_name: String,
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyDocument`, as sent.
    pub policy_document: String,
}

/// `GetRolePolicy` and `DeleteRolePolicy`: a role's inline policy by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePolicyRequest {
    /// `RoleName`.
    pub role_name: String,
    /// `PolicyName`.
    pub policy_name: String,
}

/// `ListRolePolicies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRolePoliciesRequest {
    /// `RoleName`.
    pub role_name: String,
    /// `Marker`, `MaxItems`.
    pub paging: Paging,
}

/// `CreateLoginProfile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateLoginProfileRequest {
    /// `UserName`; `None` means the caller.
    pub user_name: Option<String>,
    /// `Password` (required unless the caller is an AssumeRoot session, which coffer has not).
    pub password: SensitiveString,
    /// `PasswordResetRequired`, false when absent.
    pub password_reset_required: bool,
}

/// `UpdateLoginProfile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateLoginProfileRequest {
    /// `UserName`.
    pub user_name: String,
    /// `Password`, when it changes.
    pub password: Option<SensitiveString>,
    /// `PasswordResetRequired`, when it changes.
    pub password_reset_required: Option<bool>,
}

/// `DeleteLoginProfile` and `GetLoginProfile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginProfileRequest {
    /// `UserName`; `None` means the caller.
    pub user_name: Option<String>,
}

/// A parsed IAM request: one variant per [`IamAction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamRequest {
    /// `CreateUser`.
    CreateUser(CreateUserRequest),
    /// `GetUser`.
    GetUser(GetUserRequest),
    /// `ListUsers`.
    ListUsers(ListUsersRequest),
    /// `DeleteUser`.
    DeleteUser(DeleteUserRequest),
    /// `CreateAccessKey`.
    CreateAccessKey(CreateAccessKeyRequest),
    /// `ListAccessKeys`.
    ListAccessKeys(ListAccessKeysRequest),
    /// `UpdateAccessKey`.
    UpdateAccessKey(UpdateAccessKeyRequest),
    /// `DeleteAccessKey`.
    DeleteAccessKey(DeleteAccessKeyRequest),
    /// `PutUserPolicy`.
    PutUserPolicy(PutUserPolicyRequest),
    /// `GetUserPolicy`.
    GetUserPolicy(UserPolicyRequest),
    /// `DeleteUserPolicy`.
    DeleteUserPolicy(UserPolicyRequest),
    /// `ListUserPolicies`.
    ListUserPolicies(ListUserPoliciesRequest),
    /// `CreateRole`.
    CreateRole(CreateRoleRequest),
    /// `GetRole`.
    GetRole(RoleRequest),
    /// `DeleteRole`.
    DeleteRole(RoleRequest),
    /// `ListRoles`.
    ListRoles(ListRolesRequest),
    /// `PutRolePolicy`.
    PutRolePolicy(PutRolePolicyRequest),
    /// `GetRolePolicy`.
    GetRolePolicy(RolePolicyRequest),
    /// `DeleteRolePolicy`.
    DeleteRolePolicy(RolePolicyRequest),
    /// `ListRolePolicies`.
    ListRolePolicies(ListRolePoliciesRequest),
    /// `CreateLoginProfile`.
    CreateLoginProfile(CreateLoginProfileRequest),
    /// `UpdateLoginProfile`.
    UpdateLoginProfile(UpdateLoginProfileRequest),
    /// `DeleteLoginProfile`.
    DeleteLoginProfile(LoginProfileRequest),
    /// `GetLoginProfile`.
    GetLoginProfile(LoginProfileRequest),
    /// A managed-policy or group action (`iam/managed.rs`).
    Managed(super::managed::ManagedRequest),
}

impl IamRequest {
    /// The action of the request.
    pub fn action(&self) -> IamAction {
        match self {
            Self::CreateUser(_) => IamAction::CreateUser,
            Self::GetUser(_) => IamAction::GetUser,
            Self::ListUsers(_) => IamAction::ListUsers,
            Self::DeleteUser(_) => IamAction::DeleteUser,
            Self::CreateAccessKey(_) => IamAction::CreateAccessKey,
            Self::ListAccessKeys(_) => IamAction::ListAccessKeys,
            Self::UpdateAccessKey(_) => IamAction::UpdateAccessKey,
            Self::DeleteAccessKey(_) => IamAction::DeleteAccessKey,
            Self::PutUserPolicy(_) => IamAction::PutUserPolicy,
            Self::GetUserPolicy(_) => IamAction::GetUserPolicy,
            Self::DeleteUserPolicy(_) => IamAction::DeleteUserPolicy,
            Self::ListUserPolicies(_) => IamAction::ListUserPolicies,
            Self::CreateRole(_) => IamAction::CreateRole,
            Self::GetRole(_) => IamAction::GetRole,
            Self::DeleteRole(_) => IamAction::DeleteRole,
            Self::ListRoles(_) => IamAction::ListRoles,
            Self::PutRolePolicy(_) => IamAction::PutRolePolicy,
            Self::GetRolePolicy(_) => IamAction::GetRolePolicy,
            Self::DeleteRolePolicy(_) => IamAction::DeleteRolePolicy,
            Self::ListRolePolicies(_) => IamAction::ListRolePolicies,
            Self::CreateLoginProfile(_) => IamAction::CreateLoginProfile,
            Self::UpdateLoginProfile(_) => IamAction::UpdateLoginProfile,
            Self::DeleteLoginProfile(_) => IamAction::DeleteLoginProfile,
            Self::GetLoginProfile(_) => IamAction::GetLoginProfile,
            Self::Managed(request) => request.action(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing.

/// Parses the parameters of an IAM request (the decoded form pairs, `Action` and `Version`
/// among them, which are not read here) into the action's request type.
///
/// Every model constraint is checked, in model member order, and all violations are reported
/// together in one `ValidationError` with AWS's wording; IAM's own sentence for an invalid name
/// or path comes only when nothing else was wrong. Unknown parameters are ignored.
pub fn parse_request(
    action: IamAction,
    pairs: &[(String, String)],
) -> Result<IamRequest, QueryError> {
    let p = Params::new(pairs);
    let mut v = Violations::default();
    let request = match action {
        IamAction::CreateUser => {
            let path = v.param("path", p.get("Path"), &PATH);
            let user_name = v.required_param("userName", p.get("UserName"), &USER_NAME);
            let boundary = v.param("permissionsBoundary", p.get("PermissionsBoundary"), &ARN);
            let tags = tags(p, &mut v);
            v.finish_query()?;
            refuse_boundary(boundary.as_deref())?;
            check_duplicate_tags(&tags)?;
            IamRequest::CreateUser(CreateUserRequest {
                path,
                user_name,
                tags,
            })
        }
        IamAction::GetUser => IamRequest::GetUser(GetUserRequest {
            user_name: v.param("userName", p.get("UserName"), &EXISTING_USER_NAME),
        }),
        IamAction::ListUsers => IamRequest::ListUsers(ListUsersRequest {
            path_prefix: v.param("pathPrefix", p.get("PathPrefix"), &PATH_PREFIX),
            paging: paging(p, &mut v),
        }),
        IamAction::DeleteUser => IamRequest::DeleteUser(DeleteUserRequest {
            user_name: v.required_param("userName", p.get("UserName"), &EXISTING_USER_NAME),
        }),
        IamAction::CreateAccessKey => IamRequest::CreateAccessKey(CreateAccessKeyRequest {
            user_name: v.param("userName", p.get("UserName"), &EXISTING_USER_NAME),
        }),
        IamAction::ListAccessKeys => IamRequest::ListAccessKeys(ListAccessKeysRequest {
            user_name: v.param("userName", p.get("UserName"), &EXISTING_USER_NAME),
            paging: paging(p, &mut v),
        }),
        IamAction::UpdateAccessKey => {
            let user_name = v.param("userName", p.get("UserName"), &EXISTING_USER_NAME);
            let access_key_id =
                v.required_param("accessKeyId", p.get("AccessKeyId"), &ACCESS_KEY_ID);
            if p.get("Status").is_none() {
                v.null("status");
            }
            let status = v
                .enumeration("status", p.get("Status"), &STATUS_VALUES)
                .and_then(AccessKeyStatus::parse);
            v.finish_query()?;
            IamRequest::UpdateAccessKey(UpdateAccessKeyRequest {
                user_name,
                access_key_id,
                // `finish` has failed unless the status was sent and is one of the three.
                status: status.unwrap_or(AccessKeyStatus::Inactive),
            })
        }
        IamAction::DeleteAccessKey => IamRequest::DeleteAccessKey(DeleteAccessKeyRequest {
            user_name: v.param("userName", p.get("UserName"), &EXISTING_USER_NAME),
            access_key_id: v.required_param("accessKeyId", p.get("AccessKeyId"), &ACCESS_KEY_ID),
        }),
        IamAction::PutUserPolicy => IamRequest::PutUserPolicy(PutUserPolicyRequest {
            user_name: v.required_param("userName", p.get("UserName"), &EXISTING_USER_NAME),
            policy_name: v.required_param("policyName", p.get("PolicyName"), &POLICY_NAME),
            policy_document: v.required_param(
                "policyDocument",
                p.get("PolicyDocument"),
                &POLICY_DOCUMENT,
            ),
        }),
        IamAction::GetUserPolicy => IamRequest::GetUserPolicy(user_policy(p, &mut v)),
        IamAction::DeleteUserPolicy => IamRequest::DeleteUserPolicy(user_policy(p, &mut v)),
        IamAction::ListUserPolicies => IamRequest::ListUserPolicies(ListUserPoliciesRequest {
            user_name: v.required_param("userName", p.get("UserName"), &EXISTING_USER_NAME),
            paging: paging(p, &mut v),
        }),
        IamAction::CreateRole => {
            let path = v.param("path", p.get("Path"), &PATH);
            let role_name = v.required_param("roleName", p.get("RoleName"), &ROLE_NAME);
            let assume_role_policy_document = v.required_param(
                "assumeRolePolicyDocument",
                p.get("AssumeRolePolicyDocument"),
                &POLICY_DOCUMENT,
            );
            let description = v.param("description", p.get("Description"), &DESCRIPTION);
            let max_session_duration = v.integer(
                "maxSessionDuration",
                p.get("MaxSessionDuration"),
                3600,
                43200,
            );
            let boundary = v.param("permissionsBoundary", p.get("PermissionsBoundary"), &ARN);
            let tags = tags(p, &mut v);
            v.finish_query()?;
            refuse_boundary(boundary.as_deref())?;
            check_duplicate_tags(&tags)?;
            IamRequest::CreateRole(CreateRoleRequest {
                path,
                role_name,
                assume_role_policy_document,
                description,
                max_session_duration,
                tags,
            })
        }
        IamAction::GetRole => IamRequest::GetRole(role(p, &mut v)),
        IamAction::DeleteRole => IamRequest::DeleteRole(role(p, &mut v)),
        IamAction::ListRoles => IamRequest::ListRoles(ListRolesRequest {
            path_prefix: v.param("pathPrefix", p.get("PathPrefix"), &PATH_PREFIX),
            paging: paging(p, &mut v),
        }),
        IamAction::PutRolePolicy => IamRequest::PutRolePolicy(PutRolePolicyRequest {
            role_name: v.required_param("roleName", p.get("RoleName"), &ROLE_NAME),
            policy_name: v.required_param("policyName", p.get("PolicyName"), &POLICY_NAME),
            policy_document: v.required_param(
                "policyDocument",
                p.get("PolicyDocument"),
                &POLICY_DOCUMENT,
            ),
        }),
        IamAction::GetRolePolicy => IamRequest::GetRolePolicy(role_policy(p, &mut v)),
        IamAction::DeleteRolePolicy => IamRequest::DeleteRolePolicy(role_policy(p, &mut v)),
        IamAction::ListRolePolicies => IamRequest::ListRolePolicies(ListRolePoliciesRequest {
            role_name: v.required_param("roleName", p.get("RoleName"), &ROLE_NAME),
            paging: paging(p, &mut v),
        }),
        IamAction::CreateLoginProfile => {
            let user_name = v.param("userName", p.get("UserName"), &USER_NAME);
            let password = sensitive(&mut v, "password", p.get("Password"));
            let reset = boolean(
                &mut v,
                "passwordResetRequired",
                p.get("PasswordResetRequired"),
            );
            // The model leaves Password optional for AssumeRoot sessions only; coffer has none,
            // so it is required, with the model's wording for a missing member.
            if password.is_none() {
                v.null("password");
            }
            v.finish_query()?;
            IamRequest::CreateLoginProfile(CreateLoginProfileRequest {
                user_name,
                password: password.unwrap_or_else(|| SensitiveString::new(String::new())),
                password_reset_required: reset.unwrap_or(false),
            })
        }
        IamAction::UpdateLoginProfile => {
            IamRequest::UpdateLoginProfile(UpdateLoginProfileRequest {
                user_name: v.required_param("userName", p.get("UserName"), &USER_NAME),
                password: sensitive(&mut v, "password", p.get("Password")),
                password_reset_required: boolean(
                    &mut v,
                    "passwordResetRequired",
                    p.get("PasswordResetRequired"),
                ),
            })
        }
        IamAction::DeleteLoginProfile => IamRequest::DeleteLoginProfile(LoginProfileRequest {
            user_name: v.param("userName", p.get("UserName"), &USER_NAME),
        }),
        IamAction::GetLoginProfile => IamRequest::GetLoginProfile(LoginProfileRequest {
            user_name: v.param("userName", p.get("UserName"), &USER_NAME),
        }),
        // Every other action is a managed-policy or group action.
        _ => match super::managed::parse(action, p, &mut v)? {
            Some(request) => IamRequest::Managed(request),
            None => return Err(errors::invalid_action(action.name())),
        },
    };
    // The arms with checks after validation have finished already (a second `finish` finds
    // nothing); the others finish here.
    v.finish_query()?;
    Ok(request)
}

/// A sensitive string parameter (`passwordType`): checked like any other, its value never
/// shown in a violation's message.
fn sensitive(v: &mut Violations, path: &str, value: Option<&str>) -> Option<SensitiveString> {
    let value = value?;
    v.check_string(path, value, value.chars().count(), false, &PASSWORD);
    Some(SensitiveString::new(value.to_owned()))
}

/// A boolean parameter: `true` or `false`, as the SDKs send it (any case).
fn boolean(v: &mut Violations, path: &str, value: Option<&str>) -> Option<bool> {
    let value = value?;
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        v.push(Some(value), path, "Member must be a boolean");
        None
    }
}

fn paging(p: Params<'_>, v: &mut Violations) -> Paging {
    Paging {
        marker: v.param("marker", p.get("Marker"), &MARKER),
        max_items: v.integer("maxItems", p.get("MaxItems"), 1, 1000),
    }
}

fn user_policy(p: Params<'_>, v: &mut Violations) -> UserPolicyRequest {
    UserPolicyRequest {
        user_name: v.required_param("userName", p.get("UserName"), &EXISTING_USER_NAME),
        policy_name: v.required_param("policyName", p.get("PolicyName"), &POLICY_NAME),
    }
}

fn role(p: Params<'_>, v: &mut Violations) -> RoleRequest {
    RoleRequest {
        role_name: v.required_param("roleName", p.get("RoleName"), &ROLE_NAME),
    }
}

fn role_policy(p: Params<'_>, v: &mut Violations) -> RolePolicyRequest {
    RolePolicyRequest {
        role_name: v.required_param("roleName", p.get("RoleName"), &ROLE_NAME),
        policy_name: v.required_param("policyName", p.get("PolicyName"), &POLICY_NAME),
    }
}

/// coffer does not evaluate permissions boundaries, so a request that sets one is refused
/// rather than stored and ignored: ignoring it would grant more than its author meant.
fn refuse_boundary(boundary: Option<&str>) -> Result<(), QueryError> {
    match boundary {
        Some(_) => Err(errors::permissions_boundary_unsupported()),
        None => Ok(()),
    }
}

/// IAM refuses two tags whose keys differ only in case.
pub(super) fn check_duplicate_tags(tags: &[Tag]) -> Result<(), QueryError> {
    for (i, tag) in tags.iter().enumerate() {
        let key = tag.key.to_lowercase();
        if tags[..i]
            .iter()
            .any(|other| other.key.to_lowercase() == key)
        {
            return Err(errors::duplicate_tag_keys());
        }
    }
    Ok(())
}
