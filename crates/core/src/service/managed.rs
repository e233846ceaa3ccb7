//! Managed policies: customer managed policies with versions, the AWS managed policies every
//! account has, and their attachment to users, roles and groups. Every call is authorized as
//! `iam:<Action>` on the policy's ARN (the attach actions on the user's, role's or group's).

use chrono::{DateTime, Utc};

use super::access::Authority;
use super::iam::{check_policy, page, IamPage};
use super::identity::iam_id;
use super::Service;
use crate::error::{Error, Result};
use crate::managed::{
    aws_managed_policy, AwsManagedPolicy, IamLink, IamObject, IamObjectKind, LinkFilter, LinkKind,
    LinkOutcome, ManagedError, ManagedPolicyRecord, PolicyVersionRecord, AWS_MANAGED_POLICIES,
    MANAGED_POLICY_CHARS, MAX_POLICY_VERSIONS,
};
use crate::model::PrincipalKind;
use crate::names::AccountId;
use crate::policy::PolicyKind;

/// The most managed policies attached to one user, role or group (IAM's default quota).
pub const ATTACHED_POLICIES_PER_ENTITY: usize = 10;

/// CreatePolicy's input.
#[derive(Debug, Clone, Default)]
pub struct CreatePolicyInput {
    /// The policy's name.
    pub policy_name: String,
    /// Its path (`/` when absent).
    pub path: Option<String>,
    /// The document of its first version.
    pub policy_document: String,
    /// Its description.
    pub description: Option<String>,
    /// Its tags.
    pub tags: Vec<(String, String)>,
}

/// A managed policy as IAM describes it (`Policy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// `PolicyName`.
    pub name: String,
    /// `PolicyId`.
    pub id: String,
    /// `Arn`.
    pub arn: String,
    /// `Path`.
    pub path: String,
    /// `DefaultVersionId`.
    pub default_version: String,
    /// `AttachmentCount`.
    pub attachment_count: usize,
    /// `Description`.
    pub description: Option<String>,
    /// `CreateDate`.
    pub created: DateTime<Utc>,
    /// `UpdateDate`.
    pub updated: DateTime<Utc>,
    /// `Tags`.
    pub tags: Vec<(String, String)>,
}

/// A version of a managed policy as IAM describes it (`PolicyVersion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionInfo {
    /// `Document`, as stored.
    pub document: String,
    /// `VersionId`.
    pub version_id: String,
    /// `IsDefaultVersion`.
    pub is_default: bool,
    /// `CreateDate`.
    pub created: DateTime<Utc>,
}

/// A policy attached to an entity (`AttachedPolicy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicyInfo {
    /// `PolicyName`.
    pub name: String,
    /// `PolicyArn`.
    pub arn: String,
}

/// ListPolicies' `Scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolicyScope {
    /// Both kinds (the default).
    #[default]
    All,
    /// Only AWS managed policies.
    Aws,
    /// Only the account's customer managed policies.
    Local,
}

/// ListPolicies' input.
#[derive(Debug, Clone, Default)]
pub struct ListPoliciesInput {
    /// Which policies.
    pub scope: PolicyScope,
    /// Only those attached to at least one entity.
    pub only_attached: bool,
    /// Only those whose path starts with this.
    pub path_prefix: Option<String>,
}

/// A policy an ARN names.
#[derive(Debug, Clone)]
pub(super) enum Resolved {
    /// A customer managed policy of the caller's account.
    Customer(Box<ManagedPolicyRecord>),
    /// An AWS managed policy.
    Aws(&'static AwsManagedPolicy),
}

impl Resolved {
    /// The link target that names it.
    fn target(&self) -> (LinkKind, String) {
        match self {
            Self::Customer(p) => (LinkKind::Policy, p.name.to_lowercase()),
            Self::Aws(p) => (LinkKind::AwsPolicy, p.name.to_lowercase()),
        }
    }
}

/// What a policy ARN says: the account (`aws` for AWS managed policies), the path and the name.
fn split_policy_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("policy/")?;
    let slash = path_and_name.rfind('/').map_or(0, |i| i + 1);
    let (path, name) = path_and_name.split_at(slash);
    if name.is_empty() {
        return None;
    }
    // The path keeps its leading slash (stripped with `policy`).
    let path_start = resource.len() - path_and_name.len() - 1;
    Some((
        account,
        &resource[path_start..path_start + 1 + path.len()],
        name,
    ))
}

/// The link end a user, role or group is.
fn entity_end(kind: EntityKind) -> LinkKind {
    match kind {
        EntityKind::User => LinkKind::User,
        EntityKind::Role => LinkKind::Role,
        EntityKind::Group => LinkKind::Group,
    }
}

/// What a policy can be attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// An IAM user.
    User,
    /// An IAM role.
    Role,
    /// A group.
    Group,
}

impl EntityKind {
    fn action(self, verb: &str) -> String {
        let noun = match self {
            Self::User => "User",
            Self::Role => "Role",
            Self::Group => "Group",
        };
        match verb {
            "ListAttached" => format!("iam:ListAttached{noun}Policies"),
            _ => format!("iam:{verb}{noun}Policy"),
        }
    }
}

/// The character count IAM limits, whitespace not counted.
fn policy_chars(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Checks a managed policy document: the policy language, then IAM's size quota.
fn check_managed_document(document: &str) -> Result<()> {
    check_policy(document, PolicyKind::Identity)?;
    if policy_chars(document) > MANAGED_POLICY_CHARS {
        return Err(ManagedError::PolicySize.into());
    }
    Ok(())
}

fn info_customer(policy: &ManagedPolicyRecord, attachment_count: usize) -> PolicyInfo {
    PolicyInfo {
        name: policy.name.clone(),
        id: policy.id.clone(),
        arn: policy.arn(),
        path: policy.path.clone(),
        default_version: policy.default_version.clone(),
        attachment_count,
        description: policy.description.clone(),
        created: policy.created,
        updated: policy.updated,
        tags: policy.tags.clone(),
    }
}

fn info_aws(policy: &AwsManagedPolicy, attachment_count: usize) -> PolicyInfo {
    PolicyInfo {
        name: policy.name.to_owned(),
        id: policy.id.to_owned(),
        arn: policy.arn(),
        path: policy.path.to_owned(),
        default_version: policy.version.to_owned(),
        attachment_count,
        description: Some(policy.description.to_owned()),
        created: policy.date(),
        updated: policy.date(),
        tags: Vec::new(),
    }
}

impl Service {
    /// The policy an ARN names, authorizing `action` on the ARN first; `not_found` when there
    /// is none (a policy of another account is never found: IAM attaches only the account's
    /// own and AWS's).
    pub(super) async fn resolve_policy(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        arn: &str,
        not_found: impl FnOnce() -> ManagedError,
    ) -> Result<Resolved> {
        split_policy_arn(arn).ok_or_else(|| ManagedError::InvalidArn(arn.to_owned()))?;
        self.iam_authorize(who, action, arn)?;
        let found = self.find_policy(who, arn).await?;
        found.ok_or_else(|| not_found().into())
    }

    /// A customer managed policy by ARN, for the actions that change it: AWS's are refused.
    async fn customer_policy(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        arn: &str,
    ) -> Result<ManagedPolicyRecord> {
        match self
            .resolve_policy(who, action, arn, || {
                ManagedError::PolicyNotFound(arn.to_owned())
            })
            .await?
        {
            Resolved::Customer(policy) => Ok(*policy),
            Resolved::Aws(_) => Err(ManagedError::AwsManaged(arn.to_owned()).into()),
        }
    }

    /// How many entities each policy of the account is attached to, by link target.
    async fn attachment_counts(
        &self,
        account: &AccountId,
    ) -> Result<std::collections::HashMap<(LinkKind, String), usize>> {
        let mut counts = std::collections::HashMap::new();
        for link in self.store.list_iam_links(account, LinkFilter::All).await? {
            if matches!(link.target_kind, LinkKind::Policy | LinkKind::AwsPolicy) {
                *counts.entry((link.target_kind, link.target)).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    async fn attachment_count(&self, account: &AccountId, resolved: &Resolved) -> Result<usize> {
        let (kind, name) = resolved.target();
        Ok(self
            .store
            .list_iam_links(account, LinkFilter::To(kind, &name))
            .await?
            .len())
    }

    /// CreatePolicy.
    pub async fn create_policy(
        &self,
        who: &(impl Authority + ?Sized),
        input: CreatePolicyInput,
    ) -> Result<PolicyInfo> {
        let account = who.scope().account.clone();
        let now = self.now();
        let record = ManagedPolicyRecord {
            account: account.clone(),
            name: input.policy_name,
            path: input.path.unwrap_or_else(|| "/".to_owned()),
            id: iam_id("ANPA")?,
            description: input.description.filter(|d| !d.is_empty()),
            created: now,
            updated: now,
            default_version: "v1".to_owned(),
            next_version: 2,
            versions: vec![PolicyVersionRecord {
                version_id: "v1".to_owned(),
                document: input.policy_document,
                created: now,
            }],
            tags: input.tags,
        };
        self.iam_authorize(who, "iam:CreatePolicy", &record.arn())?;
        check_managed_document(&record.versions[0].document)?;
        self.store.ensure_account(&account, now).await?;
        let name = record.name.clone();
        let object = IamObject::Policy(record);
        if !self.store.insert_iam_object(&object).await? {
            return Err(ManagedError::PolicyExists(name).into());
        }
        let IamObject::Policy(record) = object else {
            unreachable!("built as a policy above")
        };
        Ok(info_customer(&record, 0))
    }

    /// GetPolicy.
    pub async fn get_policy(
        &self,
        who: &(impl Authority + ?Sized),
        arn: &str,
    ) -> Result<PolicyInfo> {
        let resolved = self
            .resolve_policy(who, "iam:GetPolicy", arn, || {
                ManagedError::PolicyNotFound(arn.to_owned())
            })
            .await?;
        let count = self
            .attachment_count(&who.scope().account, &resolved)
            .await?;
        Ok(match &resolved {
            Resolved::Customer(p) => info_customer(p, count),
            Resolved::Aws(p) => info_aws(p, count),
        })
    }

    /// ListPolicies: AWS's and the account's, by name; the marker is the last ARN.
    pub async fn list_policies(
        &self,
        who: &(impl Authority + ?Sized),
        input: &ListPoliciesInput,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<IamPage<PolicyInfo>> {
        let account = who.scope().account.clone();
        self.iam_authorize(
            who,
            "iam:ListPolicies",
            &format!("arn:aws:iam::{account}:policy/*"),
        )?;
        let counts = self.attachment_counts(&account).await?;
        let count = |kind: LinkKind, name: &str| {
            counts
                .get(&(kind, name.to_lowercase()))
                .copied()
                .unwrap_or(0)
        };
        let mut all = Vec::new();
        if input.scope != PolicyScope::Local {
            for policy in AWS_MANAGED_POLICIES {
                all.push(info_aws(policy, count(LinkKind::AwsPolicy, policy.name)));
            }
        }
        if input.scope != PolicyScope::Aws {
            for object in self
                .store
                .list_iam_objects(&account, IamObjectKind::Policy)
                .await?
            {
                if let IamObject::Policy(p) = object {
                    let n = count(LinkKind::Policy, &p.name);
                    all.push(info_customer(&p, n));
                }
            }
        }
        let prefix = input.path_prefix.as_deref().unwrap_or("/");
        let mut all: Vec<PolicyInfo> = all
            .into_iter()
            .filter(|p| p.path.starts_with(prefix))
            .filter(|p| !input.only_attached || p.attachment_count > 0)
            .map(|mut p| {
                // ListPolicies shows neither descriptions nor tags, as IAM's.
                p.description = None;
                p.tags = Vec::new();
                p
            })
            .collect();
        all.sort_by_key(|p| (p.name.to_lowercase(), p.arn.clone()));
        Ok(page(
            all,
            |p| format!("{}\u{1}{}", p.name.to_lowercase(), p.arn),
            marker,
            max_items,
        ))
    }

    /// DeletePolicy: refused while attached, or while versions besides the default remain.
    pub async fn delete_policy(&self, who: &(impl Authority + ?Sized), arn: &str) -> Result<()> {
        let policy = self.customer_policy(who, "iam:DeletePolicy", arn).await?;
        let deleted = self
            .store
            .delete_iam_object(
                &policy.account,
                IamObjectKind::Policy,
                &policy.name,
                Box::new(|object, links| {
                    if !links.is_empty() {
                        return Err(ManagedError::PolicyAttached.into());
                    }
                    match object {
                        IamObject::Policy(p) if p.versions.len() > 1 => {
                            Err(ManagedError::PolicyHasVersions.into())
                        }
                        _ => Ok(()),
                    }
                }),
            )
            .await?;
        if deleted {
            Ok(())
        } else {
            Err(ManagedError::PolicyNotFound(arn.to_owned()).into())
        }
    }

    /// CreatePolicyVersion: at most five versions; `set_as_default` makes it the one in force.
    pub async fn create_policy_version(
        &self,
        who: &(impl Authority + ?Sized),
        arn: &str,
        document: String,
        set_as_default: bool,
    ) -> Result<PolicyVersionInfo> {
        let policy = self
            .customer_policy(who, "iam:CreatePolicyVersion", arn)
            .await?;
        check_managed_document(&document)?;
        let now = self.now();
        let updated = self
            .store
            .update_iam_object(
                &policy.account,
                IamObjectKind::Policy,
                &policy.name,
                Box::new(move |object| {
                    let IamObject::Policy(p) = object else {
                        return Err(Error::Internal("not a policy".into()));
                    };
                    if p.versions.len() >= MAX_POLICY_VERSIONS {
                        return Err(ManagedError::VersionLimit.into());
                    }
                    let version_id = format!("v{}", p.next_version);
                    p.next_version += 1;
                    p.versions.push(PolicyVersionRecord {
                        version_id: version_id.clone(),
                        document: document.clone(),
                        created: now,
                    });
                    if set_as_default {
                        p.default_version = version_id;
                        p.updated = now;
                    }
                    Ok(())
                }),
            )
            .await?
            .ok_or_else(|| ManagedError::PolicyNotFound(arn.to_owned()))?;
        let IamObject::Policy(p) = updated else {
            return Err(Error::Internal("not a policy".into()));
        };
        let version = p
            .versions
            .last()
            .ok_or_else(|| Error::Internal("no version".into()))?;
        Ok(PolicyVersionInfo {
            document: version.document.clone(),
            version_id: version.version_id.clone(),
            is_default: version.version_id == p.default_version,
            created: version.created,
        })
    }

    /// The versions of a policy (AWS's have one).
    fn versions_of(resolved: &Resolved) -> Vec<PolicyVersionInfo> {
        match resolved {
            Resolved::Customer(p) => p
                .versions
                .iter()
                .map(|v| PolicyVersionInfo {
                    document: v.document.clone(),
                    version_id: v.version_id.clone(),
                    is_default: v.version_id == p.default_version,
                    created: v.created,
                })
                .collect(),
            Resolved::Aws(p) => vec![PolicyVersionInfo {
                document: p.document.to_owned(),
                version_id: p.version.to_owned(),
                is_default: true,
                created: p.date(),
            }],
        }
    }

    /// GetPolicyVersion.
    pub async fn get_policy_version(
        &self,
        who: &(impl Authority + ?Sized),
        arn: &str,
        version_id: &str,
    ) -> Result<PolicyVersionInfo> {
        let resolved = self
            .resolve_policy(who, "iam:GetPolicyVersion", arn, || {
                ManagedError::VersionNotFound(arn.to_owned(), version_id.to_owned())
            })
            .await?;
        Self::versions_of(&resolved)
            .into_iter()
            .find(|v| v.version_id == version_id)
            .ok_or_else(|| {
                ManagedError::VersionNotFound(arn.to_owned(), version_id.to_owned()).into()
            })
    }

    /// ListPolicyVersions: newest first, as IAM lists them.
    pub async fn list_policy_versions(
        &self,
        who: &(impl Authority + ?Sized),
        arn: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<IamPage<PolicyVersionInfo>> {
        let resolved = self
            .resolve_policy(who, "iam:ListPolicyVersions", arn, || {
                ManagedError::PolicyNotFound(arn.to_owned())
            })
            .await?;
        let mut versions = Self::versions_of(&resolved);
        // Newest first; the marker is a descending key (a version number never reaches 10^9).
        versions.reverse();
        let key = |v: &PolicyVersionInfo| {
            let n: u64 = v.version_id.trim_start_matches('v').parse().unwrap_or(0);
            format!("{:010}", 999_999_999u64.saturating_sub(n))
        };
        Ok(page(versions, key, marker, max_items))
    }

    /// DeletePolicyVersion: never the default version.
    pub async fn delete_policy_version(
        &self,
        who: &(impl Authority + ?Sized),
        arn: &str,
        version_id: &str,
    ) -> Result<()> {
        let policy = self
            .customer_policy(who, "iam:DeletePolicyVersion", arn)
            .await?;
        let (arn_owned, version) = (arn.to_owned(), version_id.to_owned());
        self.store
            .update_iam_object(
                &policy.account,
                IamObjectKind::Policy,
                &policy.name,
                Box::new(move |object| {
                    let IamObject::Policy(p) = object else {
                        return Err(Error::Internal("not a policy".into()));
                    };
                    if !p.versions.iter().any(|v| v.version_id == version) {
                        return Err(ManagedError::VersionNotFound(
                            arn_owned.clone(),
                            version.clone(),
                        )
                        .into());
                    }
                    if p.default_version == version {
                        return Err(ManagedError::DeleteDefaultVersion.into());
                    }
                    p.versions.retain(|v| v.version_id != version);
                    Ok(())
                }),
            )
            .await?
            .ok_or_else(|| ManagedError::PolicyNotFound(arn.to_owned()))?;
        Ok(())
    }

    /// SetDefaultPolicyVersion: the version takes effect for every entity the policy is
    /// attached to.
    pub async fn set_default_policy_version(
        &self,
        who: &(impl Authority + ?Sized),
        arn: &str,
        version_id: &str,
    ) -> Result<()> {
        let policy = self
            .customer_policy(who, "iam:SetDefaultPolicyVersion", arn)
            .await?;
        let now = self.now();
        let (arn_owned, version) = (arn.to_owned(), version_id.to_owned());
        self.store
            .update_iam_object(
                &policy.account,
                IamObjectKind::Policy,
                &policy.name,
                Box::new(move |object| {
                    let IamObject::Policy(p) = object else {
                        return Err(Error::Internal("not a policy".into()));
                    };
                    if !p.versions.iter().any(|v| v.version_id == version) {
                        return Err(ManagedError::VersionNotFound(
                            arn_owned.clone(),
                            version.clone(),
                        )
                        .into());
                    }
                    if p.default_version != version {
                        p.default_version = version.clone();
                        p.updated = now;
                    }
                    Ok(())
                }),
            )
            .await?
            .ok_or_else(|| ManagedError::PolicyNotFound(arn.to_owned()))?;
        Ok(())
    }

    /// The ARN a user, role or group has (or would have), and an error for its absence.
    async fn entity(
        &self,
        who: &(impl Authority + ?Sized),
        kind: EntityKind,
        name: &str,
        action: &str,
    ) -> Result<String> {
        match kind {
            EntityKind::User | EntityKind::Role => {
                let principal = match kind {
                    EntityKind::User => PrincipalKind::User,
                    _ => PrincipalKind::Role,
                };
                Ok(self.iam_find(who, action, principal, name).await?.arn())
            }
            EntityKind::Group => Ok(self.group_find(who, action, name).await?.arn()),
        }
    }

    /// The entity an attach or detach names, authorized as IAM does: the action on the
    /// user's, role's or group's ARN (the ARN it would have, when it does not exist, so that
    /// names cannot be probed), with `iam:PolicyARN` in the request context.
    async fn attach_target(
        &self,
        who: &(impl Authority + ?Sized),
        kind: EntityKind,
        name: &str,
        action: &str,
        policy_arn: &str,
    ) -> Result<()> {
        let account = &who.scope().account;
        let found = match kind {
            EntityKind::User | EntityKind::Role => {
                let principal = match kind {
                    EntityKind::User => PrincipalKind::User,
                    _ => PrincipalKind::Role,
                };
                self.store
                    .find_principal(account, principal, name)
                    .await?
                    .map(|p| p.arn())
            }
            EntityKind::Group => match self
                .store
                .find_iam_object(account, IamObjectKind::Group, name)
                .await?
            {
                Some(IamObject::Group(g)) => Some(g.arn()),
                _ => None,
            },
        };
        let noun = match kind {
            EntityKind::User => "user",
            EntityKind::Role => "role",
            EntityKind::Group => "group",
        };
        let arn = found
            .clone()
            .unwrap_or_else(|| format!("arn:aws:iam::{account}:{noun}/{name}"));
        self.authorize(
            who,
            action,
            super::access::Target::Arn {
                arn: &arn,
                account: account.as_str(),
            },
            |keys| keys.insert("iam:PolicyARN", policy_arn),
        )?;
        match (found, kind) {
            (Some(_), _) => Ok(()),
            (None, EntityKind::User) => {
                Err(Error::PrincipalNotFound(PrincipalKind::User, name.into()))
            }
            (None, EntityKind::Role) => {
                Err(Error::PrincipalNotFound(PrincipalKind::Role, name.into()))
            }
            (None, EntityKind::Group) => Err(ManagedError::GroupNotFound(name.into()).into()),
        }
    }

    /// The policy an attach or detach names, found without an authorization of its own (IAM
    /// authorizes those actions on the entity, with `iam:PolicyARN`).
    async fn find_policy(
        &self,
        who: &(impl Authority + ?Sized),
        arn: &str,
    ) -> Result<Option<Resolved>> {
        let (account, path, name) =
            split_policy_arn(arn).ok_or_else(|| ManagedError::InvalidArn(arn.to_owned()))?;
        Ok(if account == "aws" {
            aws_managed_policy(name)
                .filter(|p| p.path == path && p.name == name)
                .map(Resolved::Aws)
        } else if account == who.scope().account.as_str() {
            match self
                .store
                .find_iam_object(&who.scope().account, IamObjectKind::Policy, name)
                .await?
            {
                Some(IamObject::Policy(p)) if p.path == path => {
                    Some(Resolved::Customer(Box::new(p)))
                }
                _ => None,
            }
        } else {
            None
        })
    }

    /// AttachUserPolicy, AttachRolePolicy, AttachGroupPolicy. Attaching a policy already
    /// attached changes nothing and succeeds, as on AWS.
    pub async fn attach_policy(
        &self,
        who: &(impl Authority + ?Sized),
        kind: EntityKind,
        name: &str,
        arn: &str,
    ) -> Result<()> {
        let action = kind.action("Attach");
        self.attach_target(who, kind, name, &action, arn).await?;
        let resolved = self
            .find_policy(who, arn)
            .await?
            .ok_or_else(|| ManagedError::PolicyNotAttachable(arn.to_owned()))?;
        let account = &who.scope().account;
        let (target_kind, target) = resolved.target();
        let attached = self
            .store
            .list_iam_links(account, LinkFilter::From(entity_end(kind), name))
            .await?;
        let policies = attached
            .iter()
            .filter(|l| matches!(l.target_kind, LinkKind::Policy | LinkKind::AwsPolicy));
        let already = policies
            .clone()
            .any(|l| l.target_kind == target_kind && l.target == target);
        if !already && policies.count() >= ATTACHED_POLICIES_PER_ENTITY {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for PoliciesPer{}: {ATTACHED_POLICIES_PER_ENTITY}",
                match kind {
                    EntityKind::User => "User",
                    EntityKind::Role => "Role",
                    EntityKind::Group => "Group",
                }
            )));
        }
        let link = IamLink::new(entity_end(kind), name, target_kind, &target, self.now());
        match self.store.link_iam(account, &link).await? {
            LinkOutcome::Linked | LinkOutcome::AlreadyLinked => Ok(()),
            LinkOutcome::SourceMissing => Err(match kind {
                EntityKind::User => Error::PrincipalNotFound(PrincipalKind::User, name.into()),
                EntityKind::Role => Error::PrincipalNotFound(PrincipalKind::Role, name.into()),
                EntityKind::Group => ManagedError::GroupNotFound(name.into()).into(),
            }),
            LinkOutcome::TargetMissing => {
                Err(ManagedError::PolicyNotAttachable(arn.to_owned()).into())
            }
        }
    }

    /// DetachUserPolicy, DetachRolePolicy, DetachGroupPolicy.
    pub async fn detach_policy(
        &self,
        who: &(impl Authority + ?Sized),
        kind: EntityKind,
        name: &str,
        arn: &str,
    ) -> Result<()> {
        let action = kind.action("Detach");
        self.attach_target(who, kind, name, &action, arn).await?;
        let resolved = self
            .find_policy(who, arn)
            .await?
            .ok_or_else(|| ManagedError::PolicyNotFound(arn.to_owned()))?;
        let (target_kind, target) = resolved.target();
        let link = IamLink::new(entity_end(kind), name, target_kind, &target, self.now());
        if self.store.unlink_iam(&who.scope().account, &link).await? {
            Ok(())
        } else {
            Err(ManagedError::PolicyNotFound(arn.to_owned()).into())
        }
    }

    /// The managed policies attached to an entity, unauthorized: for authorization itself
    /// and the listings below. A customer policy deleted under a link is skipped.
    pub(super) async fn attached_policies(
        &self,
        account: &AccountId,
        end: LinkKind,
        name: &str,
    ) -> Result<Vec<Resolved>> {
        let mut out = Vec::new();
        for link in self
            .store
            .list_iam_links(account, LinkFilter::From(end, name))
            .await?
        {
            match link.target_kind {
                LinkKind::AwsPolicy => {
                    if let Some(p) = aws_managed_policy(&link.target) {
                        out.push(Resolved::Aws(p));
                    }
                }
                LinkKind::Policy => {
                    if let Some(IamObject::Policy(p)) = self
                        .store
                        .find_iam_object(account, IamObjectKind::Policy, &link.target)
                        .await?
                    {
                        out.push(Resolved::Customer(Box::new(p)));
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// ListAttachedUserPolicies, ListAttachedRolePolicies, ListAttachedGroupPolicies: by
    /// policy name.
    pub async fn list_attached_policies(
        &self,
        who: &(impl Authority + ?Sized),
        kind: EntityKind,
        name: &str,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<IamPage<AttachedPolicyInfo>> {
        let action = kind.action("ListAttached");
        self.entity(who, kind, name, &action).await?;
        let prefix = path_prefix.unwrap_or("/");
        let mut all: Vec<AttachedPolicyInfo> = self
            .attached_policies(&who.scope().account, entity_end(kind), name)
            .await?
            .into_iter()
            .filter_map(|resolved| {
                let (path, info) = match resolved {
                    Resolved::Customer(p) => (
                        p.path.clone(),
                        AttachedPolicyInfo {
                            arn: p.arn(),
                            name: p.name.clone(),
                        },
                    ),
                    Resolved::Aws(p) => (
                        p.path.to_owned(),
                        AttachedPolicyInfo {
                            name: p.name.to_owned(),
                            arn: p.arn(),
                        },
                    ),
                };
                path.starts_with(prefix).then_some(info)
            })
            .collect();
        all.sort_by_key(|p| (p.name.to_lowercase(), p.arn.clone()));
        Ok(page(
            all,
            |p| format!("{}\u{1}{}", p.name.to_lowercase(), p.arn),
            marker,
            max_items,
        ))
    }

    /// The documents of the default versions of the policies attached to an entity.
    pub(super) async fn attached_documents(
        &self,
        account: &AccountId,
        end: LinkKind,
        name: &str,
    ) -> Result<Vec<String>> {
        Ok(self
            .attached_policies(account, end, name)
            .await?
            .into_iter()
            .filter_map(|resolved| match resolved {
                Resolved::Customer(p) => p.default_document().map(str::to_owned),
                Resolved::Aws(p) => Some(p.document.to_owned()),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::split_policy_arn;

    #[test]
    fn policy_arns_split_into_account_path_and_name() {
        assert_eq!(
            split_policy_arn("arn:aws:iam::123456789012:policy/P"),
            Some(("123456789012", "/", "P"))
        );
        assert_eq!(
            split_policy_arn("arn:aws:iam::aws:policy/a/b/SecretsManagerReadWrite"),
            Some(("aws", "/a/b/", "SecretsManagerReadWrite"))
        );
        assert_eq!(split_policy_arn("arn:aws:iam::123456789012:policy/"), None);
        assert_eq!(split_policy_arn("arn:aws:iam::123456789012:user/P"), None);
        assert_eq!(split_policy_arn("policy/P"), None);
    }
}
