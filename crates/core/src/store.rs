//! The storage contract. Engines (SQLite, PostgreSQL) live in the `coffer-store` crate and
//! implement [`Store`]; the core never sees SQL.
//!
//! Every write is one transaction. Writes that depend on a secret's current state go through
//! [`Store::update_secret`]: the engine locks the secret, loads it, lets the core change the
//! record in memory, and writes the difference back before committing, so a label move, a new
//! version or a delete is atomic however many nodes race for it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::kms::{KmsAlias, KmsKeyRecord};
use crate::managed::{
    IamDeleteCheck, IamLink, IamMutation, IamObject, IamObjectKind, LinkFilter, LinkOutcome,
};
use crate::model::{
    AccessKeyRecord, DeleteOutcome, LoginProfileRecord, NewVersion, PrincipalKind, PrincipalRecord,
    SealedValue, SecretRecord,
};
use crate::names::{AccountId, Candidate, Scope};

/// The mutation the core applies inside [`Store::update_secret`]: it may change the record and
/// push versions to insert (whose metadata it has also added to the record). It may be called
/// more than once if the engine retries the transaction, so it must not have side effects.
pub type Mutation<'a> =
    dyn FnMut(&mut SecretRecord, &mut Vec<NewVersion>) -> Result<()> + Send + 'a;

/// Where an audit trail's chain stood when its writer last recorded it: the digest of its last
/// durably written event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    /// The trail: which node's audit file (`<host>:<canonical path>`).
    pub trail: String,
    /// The chain digest of the trail's last durably written event (64 hex characters).
    pub digest: String,
    /// When the head was recorded.
    pub updated: DateTime<Utc>,
}

/// The attribute a listing is sorted by (ListSecrets' SortBy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListOrder {
    /// CreatedDate (ListSecrets' default).
    #[default]
    Created,
    /// LastChangedDate.
    LastChanged,
    /// LastAccessedDate, which a secret never read has not: those sort before any date.
    LastAccessed,
    /// Name, byte by byte.
    Name,
}

impl ListOrder {
    /// A record's value of this attribute.
    pub fn value_of(self, record: &SecretRecord) -> SortValue {
        match self {
            Self::Created => SortValue::date(Some(record.created)),
            Self::LastChanged => SortValue::date(Some(record.last_changed)),
            Self::LastAccessed => SortValue::date(record.last_accessed),
            Self::Name => SortValue::Text(record.name.clone()),
        }
    }
}

/// A sort value: milliseconds since the epoch (an absent date sorts before any date) or text
/// (compared byte by byte).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortValue {
    /// A date, or none.
    Millis(Option<i64>),
    /// A name.
    Text(String),
}

impl SortValue {
    /// A date's sort value, to the millisecond.
    pub fn date(date: Option<DateTime<Utc>>) -> Self {
        Self::Millis(date.map(|d| d.timestamp_millis()))
    }
}

/// One page of a listing, as [`Store::list_secret_page`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct PageQuery<'a> {
    /// Include secrets scheduled for deletion.
    pub include_deleted: bool,
    /// The sort attribute; ties are broken by the secret's id.
    pub order: ListOrder,
    /// Largest first.
    pub descending: bool,
    /// Start strictly after this (sort value, id) in the order above.
    pub after: Option<(&'a SortValue, &'a str)>,
    /// When given, only secrets whose name starts with one of these. An optimisation the
    /// engine may use to pick an index: the caller still applies its filters to what it gets.
    pub name_prefixes: Option<&'a [String]>,
    /// At most this many secrets.
    pub limit: usize,
}

/// A storage engine.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Inserts a new secret with its first version, if any. Fails with
    /// [`crate::Error::SecretExists`] when a live secret has the name and with
    /// [`crate::Error::NameScheduledForDeletion`] when one scheduled for deletion has it.
    async fn insert_secret(&self, record: &SecretRecord, first: Option<&NewVersion>) -> Result<()>;

    /// Finds the first secret matching one of `candidates`, in order, within `scope`.
    async fn find_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Result<Option<SecretRecord>>;

    /// Locks the first secret matching one of `candidates`, applies `mutation` and writes the
    /// changed record (metadata, tags, labels, new versions, versions it dropped) in the same
    /// transaction; returns the record as written. When the mutation fails, nothing is written
    /// and its error is returned. Fails with [`crate::Error::SecretNotFound`] when nothing
    /// matches.
    async fn update_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
        mutation: &mut Mutation<'_>,
    ) -> Result<SecretRecord>;

    /// Removes a secret and all its versions at once (ForceDeleteWithoutRecovery). Returns the
    /// removed record, or `None` when nothing matched.
    async fn remove_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Result<Option<SecretRecord>>;

    /// The sealed value of one version.
    async fn read_sealed(&self, secret_id: &str, version_id: &str) -> Result<Option<SealedValue>>;

    /// Every secret in `scope`, with versions and tags; those scheduled for deletion only when
    /// `include_deleted`. All at once: for tests and tools on small stores; ListSecrets reads
    /// [`Store::list_secret_page`].
    async fn list_secrets(&self, scope: &Scope, include_deleted: bool)
        -> Result<Vec<SecretRecord>>;

    /// At most `query.limit` secrets of `scope`, with versions and tags, in the query's total
    /// order (sort value, then id), strictly after its cursor. The engine reads only what the
    /// page needs, through an index, so a listing costs the same at a thousand secrets as at a
    /// million.
    async fn list_secret_page(
        &self,
        scope: &Scope,
        query: &PageQuery<'_>,
    ) -> Result<Vec<SecretRecord>>;

    /// Records that a secret (and one of its versions) was read on the day starting at `day`.
    async fn record_access(
        &self,
        secret_id: &str,
        version_id: &str,
        day: DateTime<Utc>,
    ) -> Result<()>;

    /// Removes every secret whose recovery window ended at or before `now`; returns their ARNs.
    async fn purge_due(&self, now: DateTime<Utc>) -> Result<Vec<String>>;

    /// Secrets (not scheduled for deletion) whose rotation the scheduler should look at by
    /// `now` (see [`crate::rotation::RotationState::due`]), earliest first, at most `limit`:
    /// each as its scope and the candidate that names it exactly (name and ARN suffix).
    async fn rotation_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(Scope, Candidate)>>;

    /// Every secret whose rotation was ever configured, in every account and region, without
    /// versions or tags (for `coffer admin rotation list`).
    async fn rotating_secrets(&self) -> Result<Vec<SecretRecord>>;

    /// Ensures the account exists.
    async fn ensure_account(&self, account: &AccountId, created: DateTime<Utc>) -> Result<()>;

    /// All accounts, oldest first.
    async fn list_accounts(&self) -> Result<Vec<AccountId>>;

    /// Stores a new access key.
    async fn insert_access_key(&self, key: &AccessKeyRecord) -> Result<()>;

    /// Looks up an access key by id.
    async fn find_access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>>;

    /// All access keys of an account.
    async fn list_access_keys(&self, account: &AccountId) -> Result<Vec<AccessKeyRecord>>;

    /// Sets whether an access key may be used; `false` when there is no such key.
    async fn set_access_key_active(&self, access_key_id: &str, active: bool) -> Result<bool>;

    /// Removes an access key; `false` when there is no such key.
    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool>;

    /// Stores a new IAM user or role; `false` (and nothing written) when the account already has
    /// one of that kind whose name equals this one ignoring case.
    async fn insert_principal(&self, principal: &PrincipalRecord) -> Result<bool>;

    /// The user or role of that kind and name (compared ignoring case).
    async fn find_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<PrincipalRecord>>;

    /// Every user or role of an account, ordered by name ignoring case.
    async fn list_principals(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
    ) -> Result<Vec<PrincipalRecord>>;

    /// Removes a user or role, in one transaction with the checks IAM makes first: no inline
    /// policies left, no managed policies attached, and, for a user, no access keys left and no
    /// group memberships.
    async fn delete_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<DeleteOutcome>;

    /// Creates or replaces an inline policy of a user or role (which the caller has checked
    /// exists).
    async fn put_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()>;

    /// The inline policies of a user or role, as (name, document), ordered by name.
    async fn list_inline_policies(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
    ) -> Result<Vec<(String, String)>>;

    /// Removes an inline policy; `false` when there is none of that name.
    async fn delete_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
    ) -> Result<bool>;

    /// Stores a new managed policy or group; `false` (nothing written) when the account has one
    /// of that kind whose name equals this one ignoring case.
    async fn insert_iam_object(&self, object: &IamObject) -> Result<bool>;

    /// The managed policy or group of that kind and name (compared ignoring case).
    async fn find_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
    ) -> Result<Option<IamObject>>;

    /// Every managed policy or group of an account, ordered by name ignoring case.
    async fn list_iam_objects(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
    ) -> Result<Vec<IamObject>>;

    /// Locks the object, applies `mutation` and writes the result, in one transaction;
    /// `None` when there is no such object. When the mutation fails nothing is written and
    /// its error is returned.
    async fn update_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
        mutation: IamMutation,
    ) -> Result<Option<IamObject>>;

    /// Locks the object, runs `check` on it and on every link that starts from or points to
    /// it, and deletes it when the check passes, in one transaction; `false` when there is no
    /// such object. The check's error is returned and nothing is deleted.
    async fn delete_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
        check: IamDeleteCheck,
    ) -> Result<bool>;

    /// Makes a link, in one transaction with the checks that both its ends exist (a user or
    /// role in the principals, a group or customer managed policy among the objects; an AWS
    /// managed policy is the caller's to check). The ends' rows are locked first where the
    /// engine has row locks, so that a racing delete either sees the link or wins before it.
    async fn link_iam(&self, account: &AccountId, link: &IamLink) -> Result<LinkOutcome>;

    /// Removes a link; `false` when there was none.
    async fn unlink_iam(&self, account: &AccountId, link: &IamLink) -> Result<bool>;

    /// The account's links that `filter` selects, oldest first.
    async fn list_iam_links(
        &self,
        account: &AccountId,
        filter: LinkFilter<'_>,
    ) -> Result<Vec<IamLink>>;

    /// Records `head` as the last durably written event of its audit trail, replacing the
    /// trail's previous head. The audit file's writer cannot rewrite the database, so a trail
    /// whose tail was deleted no longer reaches its recorded head (`coffer admin audit verify`).
    async fn put_audit_head(&self, head: &AuditHead) -> Result<()>;

    /// The recorded head of the audit trail named `trail`, if any.
    async fn audit_head(&self, trail: &str) -> Result<Option<AuditHead>>;

    /// Stores a new customer key.
    async fn insert_kms_key(&self, key: &KmsKeyRecord) -> Result<()>;

    /// Replaces a customer key's state, description, deletion schedule, policy and tags (not
    /// its material); `false` when there is no such key.
    async fn update_kms_key(&self, key: &KmsKeyRecord) -> Result<bool>;

    /// Replaces a customer key's sealed material, if it is still the one whose wrapped key is
    /// `previous_wrapped_key` (a compare-and-swap: two rotations racing cannot lose a
    /// generation); `false` when it is not, or there is no such key.
    async fn replace_kms_key_material(
        &self,
        key: &KmsKeyRecord,
        previous_wrapped_key: &[u8],
    ) -> Result<bool>;

    /// A customer key of the scope by key id.
    async fn find_kms_key(&self, scope: &Scope, key_id: &str) -> Result<Option<KmsKeyRecord>>;

    /// Every customer key of the scope, oldest first (ties by key id).
    async fn list_kms_keys(&self, scope: &Scope) -> Result<Vec<KmsKeyRecord>>;

    /// Creates an alias (`create`: `false` when the name is taken) or points an existing one at
    /// its new target (`!create`: `false` when there is no alias of that name).
    async fn put_kms_alias(&self, alias: &KmsAlias, create: bool) -> Result<bool>;

    /// Removes an alias; `false` when there is none of that name.
    async fn delete_kms_alias(&self, scope: &Scope, alias_name: &str) -> Result<bool>;

    /// Every alias of the scope, by name.
    async fn list_kms_aliases(&self, scope: &Scope) -> Result<Vec<KmsAlias>>;
    /// Stores a user's login profile. With `create`, only when the user has none (`false`
    /// when it has); otherwise only when it has one, whose hash and reset flag are replaced
    /// (`false` when it has none). The creation date of an existing profile is kept.
    async fn put_login_profile(&self, profile: &LoginProfileRecord, create: bool) -> Result<bool>;

    /// The login profile of a user (its name compared ignoring case), if any.
    async fn find_login_profile(
        &self,
        account: &AccountId,
        user_name: &str,
    ) -> Result<Option<LoginProfileRecord>>;

    /// Removes a user's login profile; `false` when it has none.
    async fn delete_login_profile(&self, account: &AccountId, user_name: &str) -> Result<bool>;

    /// Whether the store answers (for `/ready`).
    async fn ping(&self) -> Result<()>;

    /// Removes everything (dev mode's `POST /_coffer/reset`).
    async fn reset(&self) -> Result<()>;
}
