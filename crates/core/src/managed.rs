//! IAM's managed policies and groups, as the store keeps them, and the links between IAM
//! entities (a policy attached to a user, role or group; a user in a group).
//!
//! Managed policies and groups are both "IAM objects": named per account (names unique
//! ignoring case, as IAM's), read and changed whole. A policy carries its versions (at most
//! five) and a group its inline policies, so that a version switch or an inline policy change
//! is one locked read-modify-write of one object ([`crate::store::Store::update_iam_object`]).
//! Links are rows of their own, so that "who is this attached to" and "what does this principal
//! have" are both one indexed query, and a delete can refuse while links remain in the same
//! transaction.
//!
//! The AWS managed policies coffer knows ([`AWS_MANAGED_POLICIES`]) are not stored: they are
//! the same in every account, and only their attachments are stored.

use chrono::{DateTime, Utc};

use crate::names::AccountId;

/// The most versions a managed policy may have, as on AWS.
pub const MAX_POLICY_VERSIONS: usize = 5;

/// IAM's limit on a managed policy document: 6,144 characters, whitespace not counted.
pub const MANAGED_POLICY_CHARS: usize = 6144;

/// What kind of IAM object a row of the object table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IamObjectKind {
    /// A customer managed policy.
    Policy,
    /// A group.
    Group,
}

impl IamObjectKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Policy => "policy",
            Self::Group => "group",
        }
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "policy" => Some(Self::Policy),
            "group" => Some(Self::Group),
            _ => None,
        }
    }
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionRecord {
    /// `v1`, `v2`, …: numbers are never reused within a policy.
    pub version_id: String,
    /// The policy document, as sent.
    pub document: String,
    /// When the version was created.
    pub created: DateTime<Utc>,
}

/// A customer managed policy with its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicyRecord {
    /// The account.
    pub account: AccountId,
    /// The name, as created.
    pub name: String,
    /// The path, `/` by default.
    pub path: String,
    /// IAM's unique id, `ANPA…`.
    pub id: String,
    /// The description given at creation (IAM cannot change it later).
    pub description: Option<String>,
    /// When the policy was created.
    pub created: DateTime<Utc>,
    /// When its default version last changed.
    pub updated: DateTime<Utc>,
    /// The version in force.
    pub default_version: String,
    /// The number the next version gets.
    pub next_version: u32,
    /// Its versions, oldest first.
    pub versions: Vec<PolicyVersionRecord>,
    /// Its tags, in the order given.
    pub tags: Vec<(String, String)>,
}

impl ManagedPolicyRecord {
    /// `arn:aws:iam::<account>:policy<path><name>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account, self.path, self.name
        )
    }

    /// The document of the default version.
    pub fn default_document(&self) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version)
            .map(|v| v.document.as_str())
    }
}

/// An IAM group with its inline policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The account.
    pub account: AccountId,
    /// The name, as created.
    pub name: String,
    /// The path, `/` by default.
    pub path: String,
    /// IAM's unique id, `AGPA…`.
    pub id: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Its inline policies, as (name, document), ordered by name.
    pub inline_policies: Vec<(String, String)>,
}

impl GroupRecord {
    /// `arn:aws:iam::<account>:group<path><name>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            self.account, self.path, self.name
        )
    }
}

/// A managed policy or a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IamObject {
    /// A customer managed policy.
    Policy(ManagedPolicyRecord),
    /// A group.
    Group(GroupRecord),
}

impl IamObject {
    /// Its account.
    pub fn account(&self) -> &AccountId {
        match self {
            Self::Policy(p) => &p.account,
            Self::Group(g) => &g.account,
        }
    }

    /// Its kind.
    pub fn kind(&self) -> IamObjectKind {
        match self {
            Self::Policy(_) => IamObjectKind::Policy,
            Self::Group(_) => IamObjectKind::Group,
        }
    }

    /// Its name, as created.
    pub fn name(&self) -> &str {
        match self {
            Self::Policy(p) => &p.name,
            Self::Group(g) => &g.name,
        }
    }
}

/// What a link starts from or points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// An IAM user (a source: policies attached to it, groups it is in).
    User,
    /// An IAM role (a source: policies attached to it).
    Role,
    /// A group (a source of attachments; the target of memberships).
    Group,
    /// A customer managed policy of the account (a target).
    Policy,
    /// An AWS managed policy (a target; not stored, see [`AWS_MANAGED_POLICIES`]).
    AwsPolicy,
}

impl LinkKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Role => "role",
            Self::Group => "group",
            Self::Policy => "policy",
            Self::AwsPolicy => "aws-policy",
        }
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Self::User),
            "role" => Some(Self::Role),
            "group" => Some(Self::Group),
            "policy" => Some(Self::Policy),
            "aws-policy" => Some(Self::AwsPolicy),
            _ => None,
        }
    }
}

impl From<crate::principal::PrincipalKind> for LinkKind {
    fn from(kind: crate::principal::PrincipalKind) -> Self {
        match kind {
            crate::principal::PrincipalKind::User => Self::User,
            crate::principal::PrincipalKind::Role => Self::Role,
        }
    }
}

/// One link: a policy attached to a user, role or group, or a user's membership of a group.
/// Ends are named by their lower-cased names (IAM's names are unique ignoring case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamLink {
    /// What the link starts from.
    pub source_kind: LinkKind,
    /// Its lower-cased name.
    pub source: String,
    /// What it points to.
    pub target_kind: LinkKind,
    /// Its lower-cased name.
    pub target: String,
    /// When it was made (listings show links in this order).
    pub created: DateTime<Utc>,
}

impl IamLink {
    /// A link between two named ends, made at `created`.
    pub fn new(
        source_kind: LinkKind,
        source: &str,
        target_kind: LinkKind,
        target: &str,
        created: DateTime<Utc>,
    ) -> Self {
        Self {
            source_kind,
            source: source.to_lowercase(),
            target_kind,
            target: target.to_lowercase(),
            created,
        }
    }
}

/// Which links a listing reads.
#[derive(Debug, Clone, Copy)]
pub enum LinkFilter<'a> {
    /// Every link of the account.
    All,
    /// The links starting from this end (its kind and name, any case).
    From(LinkKind, &'a str),
    /// The links pointing to this end.
    To(LinkKind, &'a str),
}

/// What [`crate::store::Store::link_iam`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOutcome {
    /// The link was made.
    Linked,
    /// It existed already (nothing changed).
    AlreadyLinked,
    /// The source does not exist.
    SourceMissing,
    /// The target does not exist.
    TargetMissing,
}

/// The change [`crate::store::Store::update_iam_object`] applies to a locked object. It may
/// refuse (its error is returned and nothing is written); it may run more than once when the
/// engine retries, so it has no side effects.
pub type IamMutation = Box<dyn FnMut(&mut IamObject) -> crate::error::Result<()> + Send>;

/// The check [`crate::store::Store::delete_iam_object`] runs on the locked object and every
/// link that touches it, inside the transaction: an error refuses the delete.
pub type IamDeleteCheck =
    Box<dyn Fn(&IamObject, &[IamLink]) -> crate::error::Result<()> + Send + Sync>;

/// An AWS managed policy coffer knows: present in every account, attachable, not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsManagedPolicy {
    /// The name.
    pub name: &'static str,
    /// The id AWS gives it.
    pub id: &'static str,
    /// The path (`/`).
    pub path: &'static str,
    /// The default version's id.
    pub version: &'static str,
    /// AWS's description.
    pub description: &'static str,
    /// The default version's document.
    pub document: &'static str,
}

impl AwsManagedPolicy {
    /// `arn:aws:iam::aws:policy<path><name>`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }

    /// When the policy was created and last updated, as coffer reports it (a fixed date).
    pub fn date(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(1_543_536_000, 0).unwrap_or(DateTime::UNIX_EPOCH)
    }
}

/// The AWS managed policies every account has. `SecretsManagerReadWrite` has AWS's name and
/// its Secrets Manager statement (`secretsmanager:*`); the statements for the other services
/// AWS's version names are left out, as coffer serves none of them, and its id is coffer's. `SecretsManagerReadOnly` is coffer's
/// read-only counterpart: AWS has no managed policy that grants exactly Secrets Manager's
/// read actions, so coffer names one (documented in docs/compatibility.md).
pub const AWS_MANAGED_POLICIES: &[AwsManagedPolicy] = &[
    AwsManagedPolicy {
        name: "SecretsManagerReadWrite",
        id: "ANPACOFFERREADWRITE01",
        path: "/",
        version: "v1",
        description: "Provides read/write access to AWS Secrets Manager.",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"BaseSecretsManagerPermissions","Effect":"Allow","Action":["secretsmanager:*"],"Resource":"*"}]}"#,
    },
    AwsManagedPolicy {
        name: "SecretsManagerReadOnly",
        id: "ANPACOFFERREADONLY001",
        path: "/",
        version: "v1",
        description: "Provides read-only access to AWS Secrets Manager (coffer's own; not an \
                      AWS policy).",
        document: r#"{"Version":"2012-10-17","Statement":[{"Sid":"SecretsManagerReadOnly","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:BatchGetSecretValue","secretsmanager:DescribeSecret","secretsmanager:ListSecrets","secretsmanager:ListSecretVersionIds","secretsmanager:GetResourcePolicy","secretsmanager:GetRandomPassword"],"Resource":"*"}]}"#,
    },
];

/// The AWS managed policy with this name (any case), if coffer knows it.
pub fn aws_managed_policy(name: &str) -> Option<&'static AwsManagedPolicy> {
    AWS_MANAGED_POLICIES
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The errors of managed policies and groups (IAM's NoSuchEntity, EntityAlreadyExists,
/// DeleteConflict, LimitExceeded), in domain terms; the server words them as IAM does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManagedError {
    /// No managed policy has this ARN (GetPolicy, DeletePolicy, the version actions; a
    /// policy that is not attached on Detach*).
    #[error("policy {0} not found")]
    PolicyNotFound(String),
    /// Attach*: no attachable policy has this ARN.
    #[error("policy {0} not attachable")]
    PolicyNotAttachable(String),
    /// The policy has no such version.
    #[error("policy {0} version {1} not found")]
    VersionNotFound(String, String),
    /// A policy of this name exists.
    #[error("policy {0} exists")]
    PolicyExists(String),
    /// The policy has five versions already.
    #[error("policy version limit")]
    VersionLimit,
    /// DeletePolicyVersion of the default version.
    #[error("cannot delete default version")]
    DeleteDefaultVersion,
    /// DeletePolicy of a policy still attached.
    #[error("policy attached")]
    PolicyAttached,
    /// DeletePolicy of a policy that still has versions besides its default.
    #[error("policy has versions")]
    PolicyHasVersions,
    /// An AWS managed policy cannot be changed or deleted.
    #[error("AWS managed policy {0}")]
    AwsManaged(String),
    /// A PolicyArn that is not a policy ARN (IAM's InvalidInput).
    #[error("invalid ARN {0}")]
    InvalidArn(String),
    /// No group of this name.
    #[error("group {0} not found")]
    GroupNotFound(String),
    /// A group of this name exists.
    #[error("group {0} exists")]
    GroupExists(String),
    /// The group has no inline policy of this name.
    #[error("group policy {0} not found")]
    GroupPolicyNotFound(String),
    /// DeleteGroup while users are in it; DeleteUser while the user is in a group.
    #[error("must remove users from group")]
    MustRemoveUsers,
    /// Delete* while managed policies are attached.
    #[error("must detach policies")]
    MustDetachPolicies,
    /// A group's inline policies would exceed IAM's 5,120 characters.
    #[error("group policy size exceeded for {0}")]
    GroupPolicySize(String),
    /// A managed policy document over 6,144 characters.
    #[error("managed policy size exceeded")]
    PolicySize,
}
