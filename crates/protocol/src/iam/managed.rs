//! Managed policies and groups: their requests (parsed with every constraint of the botocore
//! model) and their responses (rendered in model member order). `IamRequest::Managed` and
//! `IamResponse::Managed` carry them, so that the rest of the IAM subset is untouched.

use chrono::{DateTime, Utc};

use super::requests::{DESCRIPTION_1000, MARKER, PATH, PATH_PREFIX, POLICY_DOCUMENT};
use super::responses::{write_truncation, write_user, Page, User};
use super::{IamAction, QueryError};
use crate::constraint::{Pattern, StringShape, Violations};
use crate::query::form::{tags, Params, Tag};
use crate::query::patterns::name_plus;
use crate::query::xml::{encode_policy, Xml};

// ---------------------------------------------------------------------------------------------
// Shapes.

const NAME_PATTERN: Pattern = Pattern {
    source: r"[\w+=,.@-]+",
    matches: name_plus,
};

/// `policyNameType`.
const POLICY_NAME: StringShape = StringShape::length(Some(1), Some(128))
    .with_pattern(NAME_PATTERN)
    .with_pattern_message(
        "The specified value for policyName is invalid. It must contain only alphanumeric \
         characters and/or the following: +=,.@_-",
    );

/// `groupNameType`.
const GROUP_NAME: StringShape = StringShape::length(Some(1), Some(128))
    .with_pattern(NAME_PATTERN)
    .with_pattern_message(
        "The specified value for groupName is invalid. It must contain only alphanumeric \
         characters and/or the following: +=,.@_-",
    );

/// `userNameType` (the attach actions) and `existingUserNameType` (the group actions).
const USER_NAME_64: StringShape = StringShape::length(Some(1), Some(64))
    .with_pattern(NAME_PATTERN)
    .with_pattern_message(
        "The specified value for userName is invalid. It must contain only alphanumeric \
         characters and/or the following: +=,.@_-",
    );
const USER_NAME_128: StringShape = StringShape::length(Some(1), Some(128))
    .with_pattern(NAME_PATTERN)
    .with_pattern_message(
        "The specified value for userName is invalid. It must contain only alphanumeric \
         characters and/or the following: +=,.@_-",
    );

/// `roleNameType`.
const ROLE_NAME: StringShape = StringShape::length(Some(1), Some(64))
    .with_pattern(NAME_PATTERN)
    .with_pattern_message(
        "The specified value for roleName is invalid. It must contain only alphanumeric \
         characters and/or the following: +=,.@_-",
    );

/// `arnType` (lengths only).
const ARN: StringShape = StringShape::length(Some(20), Some(2048));

/// `((/[A-Za-z0-9\.,\+@=_-]+)*)/`: a managed policy's path.
fn is_policy_path(value: &str) -> bool {
    let Some(inner) = value.strip_suffix('/') else {
        return false;
    };
    if inner.is_empty() {
        return true;
    }
    let Some(inner) = inner.strip_prefix('/') else {
        return false;
    };
    inner.split('/').all(|segment| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".,+@=_-".contains(c))
    })
}

/// `policyPathType`.
const POLICY_PATH: StringShape = StringShape::length(Some(1), Some(512)).with_pattern(Pattern {
    source: r"((/[A-Za-z0-9\.,\+@=_-]+)*)/",
    matches: is_policy_path,
});

/// `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`: a policy version id.
fn is_version_id(value: &str) -> bool {
    let Some(rest) = value.strip_prefix('v') else {
        return false;
    };
    let (number, suffix) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    number.starts_with(|c: char| ('1'..='9').contains(&c))
        && number.chars().all(|c| c.is_ascii_digit())
        && suffix.is_none_or(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// `policyVersionIdType`.
const VERSION_ID: StringShape = StringShape::length(None, None).with_pattern(Pattern {
    source: r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
    matches: is_version_id,
});

/// `policyScopeType`.
const SCOPE_VALUES: [&str; 3] = ["All", "AWS", "Local"];

/// `PolicyUsageType`.
const USAGE_VALUES: [&str; 2] = ["PermissionsPolicy", "PermissionsBoundary"];

// ---------------------------------------------------------------------------------------------
// Requests.

/// What a managed policy is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityType {
    /// A user.
    User,
    /// A role.
    Role,
    /// A group.
    Group,
}

/// `Attach*Policy` and `Detach*Policy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityPolicyRequest {
    /// The kind of entity the action names.
    pub entity: EntityType,
    /// `UserName`, `RoleName` or `GroupName`.
    pub name: String,
    /// `PolicyArn`.
    pub policy_arn: String,
}

/// The paging members of the list actions.
pub use super::requests::Paging;

/// A request of a managed-policy or group action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedRequest {
    /// `CreatePolicy`.
    CreatePolicy {
        /// `PolicyName`.
        policy_name: String,
        /// `Path`.
        path: Option<String>,
        /// `PolicyDocument`.
        policy_document: String,
        /// `Description`.
        description: Option<String>,
        /// `Tags`.
        tags: Vec<Tag>,
    },
    /// `GetPolicy`.
    GetPolicy {
        /// `PolicyArn`.
        policy_arn: String,
    },
    /// `ListPolicies`.
    ListPolicies {
        /// `Scope` (`All` when absent).
        scope: Option<String>,
        /// `OnlyAttached`.
        only_attached: bool,
        /// `PathPrefix`.
        path_prefix: Option<String>,
        /// `PolicyUsageFilter`.
        usage: Option<String>,
        /// `Marker`, `MaxItems`.
        paging: Paging,
    },
    /// `DeletePolicy`.
    DeletePolicy {
        /// `PolicyArn`.
        policy_arn: String,
    },
    /// `CreatePolicyVersion`.
    CreatePolicyVersion {
        /// `PolicyArn`.
        policy_arn: String,
        /// `PolicyDocument`.
        policy_document: String,
        /// `SetAsDefault`.
        set_as_default: bool,
    },
    /// `GetPolicyVersion`, `DeletePolicyVersion`, `SetDefaultPolicyVersion`.
    PolicyVersion {
        /// Which of the three.
        action: IamAction,
        /// `PolicyArn`.
        policy_arn: String,
        /// `VersionId`.
        version_id: String,
    },
    /// `ListPolicyVersions`.
    ListPolicyVersions {
        /// `PolicyArn`.
        policy_arn: String,
        /// `Marker`, `MaxItems`.
        paging: Paging,
    },
    /// `Attach{User,Role,Group}Policy`.
    AttachPolicy(EntityPolicyRequest),
    /// `Detach{User,Role,Group}Policy`.
    DetachPolicy(EntityPolicyRequest),
    /// `ListAttached{User,Role,Group}Policies`.
    ListAttachedPolicies {
        /// The kind of entity.
        entity: EntityType,
        /// Its name.
        name: String,
        /// `PathPrefix`.
        path_prefix: Option<String>,
        /// `Marker`, `MaxItems`.
        paging: Paging,
    },
    /// `CreateGroup`.
    CreateGroup {
        /// `GroupName`.
        group_name: String,
        /// `Path`.
        path: Option<String>,
    },
    /// `GetGroup`.
    GetGroup {
        /// `GroupName`.
        group_name: String,
        /// `Marker`, `MaxItems`.
        paging: Paging,
    },
    /// `ListGroups`.
    ListGroups {
        /// `PathPrefix`.
        path_prefix: Option<String>,
        /// `Marker`, `MaxItems`.
        paging: Paging,
    },
    /// `DeleteGroup`.
    DeleteGroup {
        /// `GroupName`.
        group_name: String,
    },
    /// `AddUserToGroup` and `RemoveUserFromGroup`.
    Membership {
        /// Which of the two.
        action: IamAction,
        /// `GroupName`.
        group_name: String,
        /// `UserName`.
        user_name: String,
    },
    /// `ListGroupsForUser`.
    ListGroupsForUser {
        /// `UserName`.
        user_name: String,
        /// `Marker`, `MaxItems`.
        paging: Paging,
    },
    /// `PutGroupPolicy`.
    PutGroupPolicy {
        /// `GroupName`.
        group_name: String,
        /// `PolicyName`.
        policy_name: String,
        /// `PolicyDocument`.
        policy_document: String,
    },
    /// `GetGroupPolicy` and `DeleteGroupPolicy`.
    GroupPolicy {
        /// Which of the two.
        action: IamAction,
        /// `GroupName`.
        group_name: String,
        /// `PolicyName`.
        policy_name: String,
    },
    /// `ListGroupPolicies`.
    ListGroupPolicies {
        /// `GroupName`.
        group_name: String,
        /// `Marker`, `MaxItems`.
        paging: Paging,
    },
}

fn attach_action(entity: EntityType, attach: bool) -> IamAction {
    match (entity, attach) {
        (EntityType::User, true) => IamAction::AttachUserPolicy,
        (EntityType::User, false) => IamAction::DetachUserPolicy,
        (EntityType::Role, true) => IamAction::AttachRolePolicy,
        (EntityType::Role, false) => IamAction::DetachRolePolicy,
        (EntityType::Group, true) => IamAction::AttachGroupPolicy,
        (EntityType::Group, false) => IamAction::DetachGroupPolicy,
    }
}

fn list_attached_action(entity: EntityType) -> IamAction {
    match entity {
        EntityType::User => IamAction::ListAttachedUserPolicies,
        EntityType::Role => IamAction::ListAttachedRolePolicies,
        EntityType::Group => IamAction::ListAttachedGroupPolicies,
    }
}

impl ManagedRequest {
    /// The action of the request.
    pub fn action(&self) -> IamAction {
        match self {
            Self::CreatePolicy { .. } => IamAction::CreatePolicy,
            Self::GetPolicy { .. } => IamAction::GetPolicy,
            Self::ListPolicies { .. } => IamAction::ListPolicies,
            Self::DeletePolicy { .. } => IamAction::DeletePolicy,
            Self::CreatePolicyVersion { .. } => IamAction::CreatePolicyVersion,
            Self::PolicyVersion { action, .. }
            | Self::Membership { action, .. }
            | Self::GroupPolicy { action, .. } => *action,
            Self::ListPolicyVersions { .. } => IamAction::ListPolicyVersions,
            Self::AttachPolicy(r) => attach_action(r.entity, true),
            Self::DetachPolicy(r) => attach_action(r.entity, false),
            Self::ListAttachedPolicies { entity, .. } => list_attached_action(*entity),
            Self::CreateGroup { .. } => IamAction::CreateGroup,
            Self::GetGroup { .. } => IamAction::GetGroup,
            Self::ListGroups { .. } => IamAction::ListGroups,
            Self::DeleteGroup { .. } => IamAction::DeleteGroup,
            Self::ListGroupsForUser { .. } => IamAction::ListGroupsForUser,
            Self::PutGroupPolicy { .. } => IamAction::PutGroupPolicy,
            Self::ListGroupPolicies { .. } => IamAction::ListGroupPolicies,
        }
    }
}

fn paging(p: Params<'_>, v: &mut Violations) -> Paging {
    Paging {
        marker: v.param("marker", p.get("Marker"), &MARKER),
        max_items: v.integer("maxItems", p.get("MaxItems"), 1, 1000),
    }
}

/// A boolean parameter: `true` or `false` (any case), as the SDKs send them.
fn boolean(p: Params<'_>, v: &mut Violations, name: &str, path: &str) -> bool {
    match p.get(name) {
        None => false,
        Some(text) if text.eq_ignore_ascii_case("true") => true,
        Some(text) if text.eq_ignore_ascii_case("false") => false,
        Some(text) => {
            v.push(Some(text), path, "Member must be a boolean");
            false
        }
    }
}

/// The name member of an entity and its shape (the attach actions use `userNameType`).
fn entity_name(entity: EntityType) -> (&'static str, &'static str, &'static StringShape) {
    match entity {
        EntityType::User => ("UserName", "userName", &USER_NAME_64),
        EntityType::Role => ("RoleName", "roleName", &ROLE_NAME),
        EntityType::Group => ("GroupName", "groupName", &GROUP_NAME),
    }
}

fn entity_policy(p: Params<'_>, v: &mut Violations, entity: EntityType) -> EntityPolicyRequest {
    let (member, path, shape) = entity_name(entity);
    EntityPolicyRequest {
        entity,
        name: v.required_param(path, p.get(member), shape),
        policy_arn: v.required_param("policyArn", p.get("PolicyArn"), &ARN),
    }
}

fn list_attached(p: Params<'_>, v: &mut Violations, entity: EntityType) -> ManagedRequest {
    let (member, path, shape) = entity_name(entity);
    ManagedRequest::ListAttachedPolicies {
        entity,
        name: v.required_param(path, p.get(member), shape),
        path_prefix: v.param("pathPrefix", p.get("PathPrefix"), &POLICY_PATH),
        paging: paging(p, v),
    }
}

/// Parses the request of a managed-policy or group action; `None` for any other action.
/// The caller finishes the violations.
pub(crate) fn parse(
    action: IamAction,
    p: Params<'_>,
    v: &mut Violations,
) -> Result<Option<ManagedRequest>, QueryError> {
    use IamAction as A;
    Ok(Some(match action {
        A::CreatePolicy => {
            let policy_name = v.required_param("policyName", p.get("PolicyName"), &POLICY_NAME);
            let path = v.param("path", p.get("Path"), &POLICY_PATH);
            let policy_document =
                v.required_param("policyDocument", p.get("PolicyDocument"), &POLICY_DOCUMENT);
            let description = v.param("description", p.get("Description"), &DESCRIPTION_1000);
            let tags = tags(p, v);
            v.finish_query()?;
            super::requests::check_duplicate_tags(&tags)?;
            ManagedRequest::CreatePolicy {
                policy_name,
                path,
                policy_document,
                description,
                tags,
            }
        }
        A::GetPolicy => ManagedRequest::GetPolicy {
            policy_arn: v.required_param("policyArn", p.get("PolicyArn"), &ARN),
        },
        A::ListPolicies => ManagedRequest::ListPolicies {
            scope: v
                .enumeration("scope", p.get("Scope"), &SCOPE_VALUES)
                .map(str::to_owned),
            only_attached: boolean(p, v, "OnlyAttached", "onlyAttached"),
            path_prefix: v.param("pathPrefix", p.get("PathPrefix"), &POLICY_PATH),
            usage: v
                .enumeration(
                    "policyUsageFilter",
                    p.get("PolicyUsageFilter"),
                    &USAGE_VALUES,
                )
                .map(str::to_owned),
            paging: paging(p, v),
        },
        A::DeletePolicy => ManagedRequest::DeletePolicy {
            policy_arn: v.required_param("policyArn", p.get("PolicyArn"), &ARN),
        },
        A::CreatePolicyVersion => ManagedRequest::CreatePolicyVersion {
            policy_arn: v.required_param("policyArn", p.get("PolicyArn"), &ARN),
            policy_document: v.required_param(
                "policyDocument",
                p.get("PolicyDocument"),
                &POLICY_DOCUMENT,
            ),
            set_as_default: boolean(p, v, "SetAsDefault", "setAsDefault"),
        },
        A::GetPolicyVersion | A::DeletePolicyVersion | A::SetDefaultPolicyVersion => {
            ManagedRequest::PolicyVersion {
                action,
                policy_arn: v.required_param("policyArn", p.get("PolicyArn"), &ARN),
                version_id: v.required_param("versionId", p.get("VersionId"), &VERSION_ID),
            }
        }
        A::ListPolicyVersions => ManagedRequest::ListPolicyVersions {
            policy_arn: v.required_param("policyArn", p.get("PolicyArn"), &ARN),
            paging: paging(p, v),
        },
        A::AttachUserPolicy => ManagedRequest::AttachPolicy(entity_policy(p, v, EntityType::User)),
        A::AttachRolePolicy => ManagedRequest::AttachPolicy(entity_policy(p, v, EntityType::Role)),
        A::AttachGroupPolicy => {
            ManagedRequest::AttachPolicy(entity_policy(p, v, EntityType::Group))
        }
        A::DetachUserPolicy => ManagedRequest::DetachPolicy(entity_policy(p, v, EntityType::User)),
        A::DetachRolePolicy => ManagedRequest::DetachPolicy(entity_policy(p, v, EntityType::Role)),
        A::DetachGroupPolicy => {
            ManagedRequest::DetachPolicy(entity_policy(p, v, EntityType::Group))
        }
        A::ListAttachedUserPolicies => list_attached(p, v, EntityType::User),
        A::ListAttachedRolePolicies => list_attached(p, v, EntityType::Role),
        A::ListAttachedGroupPolicies => list_attached(p, v, EntityType::Group),
        A::CreateGroup => {
            let path = v.param("path", p.get("Path"), &PATH);
            ManagedRequest::CreateGroup {
                path,
                group_name: v.required_param("groupName", p.get("GroupName"), &GROUP_NAME),
            }
        }
        A::GetGroup => ManagedRequest::GetGroup {
            group_name: v.required_param("groupName", p.get("GroupName"), &GROUP_NAME),
            paging: paging(p, v),
        },
        A::ListGroups => ManagedRequest::ListGroups {
            path_prefix: v.param("pathPrefix", p.get("PathPrefix"), &PATH_PREFIX),
            paging: paging(p, v),
        },
        A::DeleteGroup => ManagedRequest::DeleteGroup {
            group_name: v.required_param("groupName", p.get("GroupName"), &GROUP_NAME),
        },
        A::AddUserToGroup | A::RemoveUserFromGroup => ManagedRequest::Membership {
            action,
            group_name: v.required_param("groupName", p.get("GroupName"), &GROUP_NAME),
            user_name: v.required_param("userName", p.get("UserName"), &USER_NAME_128),
        },
        A::ListGroupsForUser => ManagedRequest::ListGroupsForUser {
            user_name: v.required_param("userName", p.get("UserName"), &USER_NAME_128),
            paging: paging(p, v),
        },
        A::PutGroupPolicy => ManagedRequest::PutGroupPolicy {
            group_name: v.required_param("groupName", p.get("GroupName"), &GROUP_NAME),
            policy_name: v.required_param("policyName", p.get("PolicyName"), &POLICY_NAME),
            policy_document: v.required_param(
                "policyDocument",
                p.get("PolicyDocument"),
                &POLICY_DOCUMENT,
            ),
        },
        A::GetGroupPolicy | A::DeleteGroupPolicy => ManagedRequest::GroupPolicy {
            action,
            group_name: v.required_param("groupName", p.get("GroupName"), &GROUP_NAME),
            policy_name: v.required_param("policyName", p.get("PolicyName"), &POLICY_NAME),
        },
        A::ListGroupPolicies => ManagedRequest::ListGroupPolicies {
            group_name: v.required_param("groupName", p.get("GroupName"), &GROUP_NAME),
            paging: paging(p, v),
        },
        _ => return Ok(None),
    }))
}

// ---------------------------------------------------------------------------------------------
// Responses.

/// A managed policy (`Policy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyId`.
    pub policy_id: String,
    /// `Arn`.
    pub arn: String,
    /// `Path`.
    pub path: String,
    /// `DefaultVersionId`.
    pub default_version_id: String,
    /// `AttachmentCount`.
    pub attachment_count: usize,
    /// `Description` (GetPolicy and CreatePolicy; never in ListPolicies).
    pub description: Option<String>,
    /// `CreateDate`.
    pub create_date: DateTime<Utc>,
    /// `UpdateDate`.
    pub update_date: DateTime<Utc>,
    /// `Tags`; left out when empty.
    pub tags: Vec<Tag>,
}

/// A policy version (`PolicyVersion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `Document`: only GetPolicyVersion returns it, as IAM's.
    pub document: Option<String>,
    /// `VersionId`.
    pub version_id: String,
    /// `IsDefaultVersion`.
    pub is_default_version: bool,
    /// `CreateDate`.
    pub create_date: DateTime<Utc>,
}

/// A policy attached to an entity (`AttachedPolicy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyArn`.
    pub policy_arn: String,
}

/// A group (`Group`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// `Path`.
    pub path: String,
    /// `GroupName`.
    pub group_name: String,
    /// `GroupId`.
    pub group_id: String,
    /// `Arn`.
    pub arn: String,
    /// `CreateDate`.
    pub create_date: DateTime<Utc>,
}

/// A response of a managed-policy or group action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedResponse {
    /// An action without output.
    Empty(IamAction),
    /// `CreatePolicy`, `GetPolicy`.
    Policy(IamAction, Policy),
    /// `ListPolicies`.
    ListPolicies(Page<Policy>),
    /// `CreatePolicyVersion`, `GetPolicyVersion`.
    PolicyVersion(IamAction, PolicyVersion),
    /// `ListPolicyVersions`.
    ListPolicyVersions(Page<PolicyVersion>),
    /// `ListAttached*Policies`.
    AttachedPolicies(IamAction, Page<AttachedPolicy>),
    /// `CreateGroup`.
    CreateGroup(Group),
    /// `GetGroup`: the group and a page of its users.
    GetGroup(Group, Page<User>),
    /// `ListGroups`, `ListGroupsForUser`.
    Groups(IamAction, Page<Group>),
    /// `GetGroupPolicy`: group name, policy name, document.
    GetGroupPolicy(String, String, String),
    /// `ListGroupPolicies`.
    ListGroupPolicies(Page<String>),
}

impl ManagedResponse {
    /// The action this responds to.
    pub fn action(&self) -> IamAction {
        match self {
            Self::Empty(action)
            | Self::Policy(action, _)
            | Self::PolicyVersion(action, _)
            | Self::AttachedPolicies(action, _)
            | Self::Groups(action, _) => *action,
            Self::ListPolicies(_) => IamAction::ListPolicies,
            Self::ListPolicyVersions(_) => IamAction::ListPolicyVersions,
            Self::CreateGroup(_) => IamAction::CreateGroup,
            Self::GetGroup(..) => IamAction::GetGroup,
            Self::GetGroupPolicy(..) => IamAction::GetGroupPolicy,
            Self::ListGroupPolicies(_) => IamAction::ListGroupPolicies,
        }
    }

    /// Writes the `<ActionResult>` element (nothing for an action without output).
    pub(crate) fn write(&self, xml: &mut Xml, result: &str) {
        if let Self::Empty(_) = self {
            return;
        }
        xml.open(result);
        match self {
            Self::Empty(_) => {}
            Self::Policy(_, policy) => write_policy(xml, "Policy", policy),
            Self::ListPolicies(page) => {
                xml.open("Policies");
                for policy in &page.items {
                    write_policy(xml, "member", policy);
                }
                xml.close("Policies");
                write_truncation(xml, page.marker.as_deref());
            }
            Self::PolicyVersion(_, version) => write_version(xml, "PolicyVersion", version),
            Self::ListPolicyVersions(page) => {
                xml.open("Versions");
                for version in &page.items {
                    write_version(xml, "member", version);
                }
                xml.close("Versions");
                write_truncation(xml, page.marker.as_deref());
            }
            Self::AttachedPolicies(_, page) => {
                xml.open("AttachedPolicies");
                for policy in &page.items {
                    xml.open("member");
                    xml.leaf("PolicyName", &policy.policy_name);
                    xml.leaf("PolicyArn", &policy.policy_arn);
                    xml.close("member");
                }
                xml.close("AttachedPolicies");
                write_truncation(xml, page.marker.as_deref());
            }
            Self::CreateGroup(group) => write_group(xml, "Group", group),
            Self::GetGroup(group, users) => {
                write_group(xml, "Group", group);
                xml.open("Users");
                for user in &users.items {
                    write_user(xml, "member", user);
                }
                xml.close("Users");
                write_truncation(xml, users.marker.as_deref());
            }
            Self::Groups(_, page) => {
                xml.open("Groups");
                for group in &page.items {
                    write_group(xml, "member", group);
                }
                xml.close("Groups");
                write_truncation(xml, page.marker.as_deref());
            }
            Self::GetGroupPolicy(group, policy, document) => {
                xml.leaf("GroupName", group);
                xml.leaf("PolicyName", policy);
                xml.leaf("PolicyDocument", &encode_policy(document));
            }
            Self::ListGroupPolicies(page) => {
                xml.open("PolicyNames");
                for name in &page.items {
                    xml.leaf("member", name);
                }
                xml.close("PolicyNames");
                write_truncation(xml, page.marker.as_deref());
            }
        }
        xml.close(result);
    }
}

fn write_policy(xml: &mut Xml, element: &str, policy: &Policy) {
    xml.open(element);
    xml.leaf("PolicyName", &policy.policy_name);
    xml.leaf("PolicyId", &policy.policy_id);
    xml.leaf("Arn", &policy.arn);
    xml.leaf("Path", &policy.path);
    xml.leaf("DefaultVersionId", &policy.default_version_id);
    xml.leaf("AttachmentCount", &policy.attachment_count.to_string());
    xml.leaf("PermissionsBoundaryUsageCount", "0");
    xml.leaf("IsAttachable", "true");
    xml.optional_leaf("Description", policy.description.as_deref());
    xml.timestamp("CreateDate", &policy.create_date);
    xml.timestamp("UpdateDate", &policy.update_date);
    xml.tags(&policy.tags);
    xml.close(element);
}

fn write_version(xml: &mut Xml, element: &str, version: &PolicyVersion) {
    xml.open(element);
    if let Some(document) = &version.document {
        xml.leaf("Document", &encode_policy(document));
    }
    xml.leaf("VersionId", &version.version_id);
    xml.leaf(
        "IsDefaultVersion",
        if version.is_default_version {
            "true"
        } else {
            "false"
        },
    );
    xml.timestamp("CreateDate", &version.create_date);
    xml.close(element);
}

fn write_group(xml: &mut Xml, element: &str, group: &Group) {
    xml.open(element);
    xml.leaf("Path", &group.path);
    xml.leaf("GroupName", &group.group_name);
    xml.leaf("GroupId", &group.group_id);
    xml.leaf("Arn", &group.arn);
    xml.timestamp("CreateDate", &group.create_date);
    xml.close(element);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_paths_and_version_ids_follow_the_model() {
        for ok in ["/", "/a/", "/a/b.c/", "/A-9_=,+@./"] {
            assert!(is_policy_path(ok), "{ok}");
        }
        for bad in ["", "a/", "/a", "//", "/a//", "/a b/"] {
            assert!(!is_policy_path(bad), "{bad}");
        }
        for ok in ["v1", "v10", "v2.x-1", "v3."] {
            assert!(is_version_id(ok), "{ok}");
        }
        for bad in ["v0", "1", "v", "v1.x_", "V1"] {
            assert!(!is_version_id(bad), "{bad}");
        }
    }
}
