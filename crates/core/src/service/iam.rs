//! The IAM subset: users, their access keys, roles, and inline policies. Every call is
//! authorized as `iam:<Action>` on the entity's ARN, so only an account's root user, or a
//! principal whose policies allow the action, may manage identities.

use chrono::{DateTime, Utc};

use super::access::{Authority, Target};
use super::identity::iam_id;
use super::{Credentials, Service};
use crate::error::{Error, Result};
use crate::managed::ManagedError;
use crate::model::{AccessKeyRecord, DeleteOutcome, PrincipalKind, PrincipalRecord};
use crate::names::AccountId;
use crate::policy::{Policy, PolicyKind};

/// The most access keys an IAM user may have, as on AWS.
pub const ACCESS_KEYS_PER_USER: usize = 2;

/// IAM's `ValidationError` for a call that acts on "the caller's own user" (GetUser and the
/// access-key actions without UserName) made by a caller that is not an IAM user or the root
/// user: an assumed-role session.
pub const MUST_SPECIFY_USER_NAME: &str =
    "Must specify userName when calling with non-User credentials";

/// IAM's limit on the total size of a user's inline policies (characters, whitespace not
/// counted).
pub const USER_INLINE_POLICY_CHARS: usize = 2048;

/// IAM's limit on the total size of a role's inline policies.
pub const ROLE_INLINE_POLICY_CHARS: usize = 10240;

/// CreateRole's input.
#[derive(Debug, Clone, Default)]
pub struct CreateRoleInput {
    /// The role's name.
    pub role_name: String,
    /// Its path (`/` when absent).
    pub path: Option<String>,
    /// Its trust policy.
    pub assume_role_policy_document: String,
    /// Its description.
    pub description: Option<String>,
    /// The longest session, in seconds (3600 when absent).
    pub max_session_duration: Option<u32>,
    /// Its tags.
    pub tags: Vec<(String, String)>,
}

/// One page of an IAM listing: the items and, when there are more, the marker of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamPage<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts, when the listing is truncated.
    pub marker: Option<String>,
}

/// One page of `items` (sorted by `key`), starting after `marker`.
pub(super) fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    marker: Option<&str>,
    max: usize,
) -> IamPage<T> {
    let mut rest: Vec<T> = match marker {
        Some(marker) => items
            .into_iter()
            .filter(|i| key(i).as_str() > marker)
            .collect(),
        None => items,
    };
    let marker = (rest.len() > max).then(|| key(&rest[max - 1]));
    rest.truncate(max);
    IamPage {
        items: rest,
        marker,
    }
}

/// The ARN an IAM entity has, or would have.
pub(super) fn entity_arn(
    account: &AccountId,
    kind: PrincipalKind,
    path: &str,
    name: &str,
) -> String {
    format!("arn:aws:iam::{account}:{}{path}{name}", kind.as_str())
}

/// Parses an identity or trust policy, with IAM's error for one that does not parse.
pub(super) fn check_policy(text: &str, kind: PolicyKind) -> Result<()> {
    Policy::parse_new(text, kind)
        .map(|_| ())
        .map_err(|e| Error::MalformedPolicy(e.to_string()))
}

impl Service {
    pub(super) fn iam_authorize(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        arn: &str,
    ) -> Result<()> {
        self.authorize(
            who,
            action,
            Target::Arn {
                arn,
                account: who.scope().account.as_str(),
            },
            |_| {},
        )
    }

    /// Finds a user or role, authorizing `action` on it; `PrincipalNotFound` when absent
    /// (after authorizing on the ARN it would have, so that names cannot be probed).
    pub(super) async fn iam_find(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<PrincipalRecord> {
        let account = &who.scope().account;
        match self.store.find_principal(account, kind, name).await? {
            Some(found) => {
                self.iam_authorize(who, action, &found.arn())?;
                Ok(found)
            }
            None => {
                self.iam_authorize(who, action, &entity_arn(account, kind, "/", name))?;
                Err(Error::PrincipalNotFound(kind, name.to_owned()))
            }
        }
    }

    /// CreateUser and CreateRole share this: authorize, then insert unless the name is taken.
    async fn iam_create(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        record: PrincipalRecord,
    ) -> Result<PrincipalRecord> {
        self.iam_authorize(who, action, &record.arn())?;
        self.store
            .ensure_account(&record.account, self.now())
            .await?;
        if !self.store.insert_principal(&record).await? {
            return Err(Error::PrincipalExists(record.kind, record.name));
        }
        Ok(record)
    }

    /// CreateUser.
    pub async fn create_user(
        &self,
        who: &(impl Authority + ?Sized),
        name: &str,
        path: Option<&str>,
        tags: Vec<(String, String)>,
    ) -> Result<PrincipalRecord> {
        let record = PrincipalRecord {
            account: who.scope().account.clone(),
            kind: PrincipalKind::User,
            name: name.to_owned(),
            path: path.unwrap_or("/").to_owned(),
            id: iam_id("AIDA")?,
            created: self.now(),
            tags,
            trust_policy: None,
            description: None,
            max_session_secs: None,
        };
        self.iam_create(who, "iam:CreateUser", record).await
    }

    /// CreateRole.
    pub async fn create_role(
        &self,
        who: &(impl Authority + ?Sized),
        input: CreateRoleInput,
    ) -> Result<PrincipalRecord> {
        check_policy(&input.assume_role_policy_document, PolicyKind::Trust)?;
        let record = PrincipalRecord {
            account: who.scope().account.clone(),
            kind: PrincipalKind::Role,
            name: input.role_name,
            path: input.path.unwrap_or_else(|| "/".to_owned()),
            id: iam_id("AROA")?,
            created: self.now(),
            tags: input.tags,
            trust_policy: Some(input.assume_role_policy_document),
            description: input.description,
            max_session_secs: Some(input.max_session_duration.unwrap_or(3600)),
        };
        self.iam_create(who, "iam:CreateRole", record).await
    }

    /// GetUser and GetRole: `name` `None` is the calling user itself (GetUser without a
    /// UserName), which the server resolves before calling.
    pub async fn get_principal(
        &self,
        who: &(impl Authority + ?Sized),
        kind: PrincipalKind,
        name: &str,
    ) -> Result<PrincipalRecord> {
        let action = match kind {
            PrincipalKind::User => "iam:GetUser",
            PrincipalKind::Role => "iam:GetRole",
        };
        self.iam_find(who, action, kind, name).await
    }

    /// ListUsers and ListRoles, optionally under a path prefix.
    pub async fn list_principals(
        &self,
        who: &(impl Authority + ?Sized),
        kind: PrincipalKind,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<IamPage<PrincipalRecord>> {
        let account = &who.scope().account;
        let (action, resource) = match kind {
            PrincipalKind::User => ("iam:ListUsers", format!("arn:aws:iam::{account}:user/")),
            PrincipalKind::Role => ("iam:ListRoles", format!("arn:aws:iam::{account}:role/")),
        };
        self.iam_authorize(who, action, &format!("{resource}*"))?;
        let prefix = path_prefix.unwrap_or("/");
        let all: Vec<PrincipalRecord> = self
            .store
            .list_principals(account, kind)
            .await?
            .into_iter()
            .filter(|p| p.path.starts_with(prefix))
            .collect();
        Ok(page(all, |p| p.name.to_lowercase(), marker, max_items))
    }

    /// DeleteUser and DeleteRole: refused while inline policies or (for users) access keys
    /// remain, as IAM does.
    pub async fn delete_principal(
        &self,
        who: &(impl Authority + ?Sized),
        kind: PrincipalKind,
        name: &str,
    ) -> Result<()> {
        let action = match kind {
            PrincipalKind::User => "iam:DeleteUser",
            PrincipalKind::Role => "iam:DeleteRole",
        };
        let found = self.iam_find(who, action, kind, name).await?;
        // A console password is the one thing IAM refuses a delete for that the store does
        // not check itself (login.rs keeps profiles apart from principals).
        if kind == PrincipalKind::User && self.has_login_profile(&found).await? {
            return Err(Error::MustDeleteLoginProfile);
        }
        match self
            .store
            .delete_principal(&found.account, kind, &found.name)
            .await?
        {
            DeleteOutcome::Deleted => Ok(()),
            DeleteOutcome::NotFound => Err(Error::PrincipalNotFound(kind, name.to_owned())),
            DeleteOutcome::HasPolicies => Err(Error::MustDeletePolicies),
            DeleteOutcome::HasAccessKeys => Err(Error::MustDeleteAccessKeys),
            DeleteOutcome::HasAttachedPolicies => Err(ManagedError::MustDetachPolicies.into()),
            DeleteOutcome::InGroups => Err(ManagedError::MustRemoveUsers.into()),
        }
    }

    /// PutUserPolicy and PutRolePolicy.
    pub async fn put_inline_policy(
        &self,
        who: &(impl Authority + ?Sized),
        kind: PrincipalKind,
        name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        let action = match kind {
            PrincipalKind::User => "iam:PutUserPolicy",
            PrincipalKind::Role => "iam:PutRolePolicy",
        };
        let found = self.iam_find(who, action, kind, name).await?;
        check_policy(document, PolicyKind::Identity)?;
        // IAM limits the total of a principal's inline policies, counted without whitespace.
        let limit = match kind {
            PrincipalKind::User => USER_INLINE_POLICY_CHARS,
            PrincipalKind::Role => ROLE_INLINE_POLICY_CHARS,
        };
        let size = |text: &str| text.chars().filter(|c| !c.is_whitespace()).count();
        let others: usize = self
            .store
            .list_inline_policies(&found.account, kind, &found.name)
            .await?
            .iter()
            .filter(|(n, _)| n != policy_name)
            .map(|(_, text)| size(text))
            .sum();
        if others + size(document) > limit {
            return Err(Error::PolicySizeExceeded(kind, found.name));
        }
        self.store
            .put_inline_policy(&found.account, kind, &found.name, policy_name, document)
            .await
    }

    /// GetUserPolicy and GetRolePolicy: the principal's name as stored, and the document.
    pub async fn get_inline_policy(
        &self,
        who: &(impl Authority + ?Sized),
        kind: PrincipalKind,
        name: &str,
        policy_name: &str,
    ) -> Result<(String, String)> {
        let action = match kind {
            PrincipalKind::User => "iam:GetUserPolicy",
            PrincipalKind::Role => "iam:GetRolePolicy",
        };
        let found = self.iam_find(who, action, kind, name).await?;
        self.store
            .list_inline_policies(&found.account, kind, &found.name)
            .await?
            .into_iter()
            .find(|(n, _)| n == policy_name)
            .map(|(_, document)| (found.name.clone(), document))
            .ok_or_else(|| Error::InlinePolicyNotFound(kind, policy_name.to_owned()))
    }

    /// ListUserPolicies and ListRolePolicies: policy names, in order.
    pub async fn list_inline_policies(
        &self,
        who: &(impl Authority + ?Sized),
        kind: PrincipalKind,
        name: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<IamPage<String>> {
        let action = match kind {
            PrincipalKind::User => "iam:ListUserPolicies",
            PrincipalKind::Role => "iam:ListRolePolicies",
        };
        let found = self.iam_find(who, action, kind, name).await?;
        let names = self
            .store
            .list_inline_policies(&found.account, kind, &found.name)
            .await?
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        Ok(page(names, Clone::clone, marker, max_items))
    }

    /// DeleteUserPolicy and DeleteRolePolicy.
    pub async fn delete_inline_policy(
        &self,
        who: &(impl Authority + ?Sized),
        kind: PrincipalKind,
        name: &str,
        policy_name: &str,
    ) -> Result<()> {
        let action = match kind {
            PrincipalKind::User => "iam:DeleteUserPolicy",
            PrincipalKind::Role => "iam:DeleteRolePolicy",
        };
        let found = self.iam_find(who, action, kind, name).await?;
        if self
            .store
            .delete_inline_policy(&found.account, kind, &found.name, policy_name)
            .await?
        {
            Ok(())
        } else {
            Err(Error::InlinePolicyNotFound(kind, policy_name.to_owned()))
        }
    }

    /// The user an access-key call names: `user` when given, else the caller itself when it is
    /// an IAM user; `None` for the account's root user, which only the root user itself (or a
    /// trusted in-process caller) may stand for.
    ///
    /// A caller that is neither (an assumed-role session) must name a user, as on AWS: before
    /// this check a session allowed `iam:CreateAccessKey` on `*` (common for key-rotation
    /// jobs) was handed a key of the account's root user. The refusal comes before any
    /// authorization, as AWS's does (a session without any IAM permission gets it too).
    async fn key_owner(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        user: Option<&str>,
    ) -> Result<Option<PrincipalRecord>> {
        let account = &who.scope().account;
        if let Some(name) = user {
            return Ok(Some(
                self.iam_find(who, action, PrincipalKind::User, name)
                    .await?,
            ));
        }
        let Some(access) = who.access() else {
            // A trusted in-process caller (admin commands) acts as the account's root user.
            return Ok(None);
        };
        let caller = &access.principal;
        if caller.is_root {
            self.iam_authorize(who, action, &caller.arn)?;
            return Ok(None);
        }
        let Some(name) = &caller.user_name else {
            return Err(Error::Validation(MUST_SPECIFY_USER_NAME.to_owned()));
        };
        // An IAM user acts on itself, and still needs the action on its own ARN.
        self.iam_authorize(who, action, &caller.arn)?;
        // The user may have been deleted since its access was cached: then it owns nothing,
        // and is never taken for the root user.
        self.store
            .find_principal(account, PrincipalKind::User, name)
            .await?
            .map(Some)
            .ok_or_else(|| Error::PrincipalNotFound(PrincipalKind::User, name.clone()))
    }

    /// The access keys of the named user (or the caller), checked to belong to it.
    async fn owned_key(
        &self,
        owner: Option<&PrincipalRecord>,
        account: &AccountId,
        access_key_id: &str,
    ) -> Result<AccessKeyRecord> {
        self.store
            .find_access_key(access_key_id)
            .await?
            .filter(|k| {
                &k.account == account && k.user_name.as_deref() == owner.map(|o| o.name.as_str())
            })
            .ok_or_else(|| Error::AccessKeyNotFound(access_key_id.to_owned()))
    }

    /// CreateAccessKey, for a user (at most two) or, without a user name, for the caller.
    pub async fn create_user_access_key(
        &self,
        who: &(impl Authority + ?Sized),
        user: Option<&str>,
    ) -> Result<(Option<String>, Credentials, DateTime<Utc>)> {
        let account = who.scope().account.clone();
        let owner = self.key_owner(who, "iam:CreateAccessKey", user).await?;
        let created = self.now();
        let credentials = match &owner {
            Some(owner) => {
                let existing = self
                    .store
                    .list_access_keys(&account)
                    .await?
                    .into_iter()
                    .filter(|k| k.user_name.as_deref() == Some(owner.name.as_str()))
                    .count();
                if existing >= ACCESS_KEYS_PER_USER {
                    return Err(Error::AccessKeyQuota);
                }
                self.new_access_key(&account, Some((&owner.name, owner.arn())))
                    .await?
            }
            None => self.new_access_key(&account, None).await?,
        };
        Ok((owner.map(|o| o.name), credentials, created))
    }

    /// ListAccessKeys: one page of the keys of a user (or of the caller), never their
    /// secrets, in access key id order (the order the marker continues).
    pub async fn list_user_access_keys(
        &self,
        who: &(impl Authority + ?Sized),
        user: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<(Option<String>, IamPage<AccessKeyRecord>)> {
        let account = who.scope().account.clone();
        let owner = self.key_owner(who, "iam:ListAccessKeys", user).await?;
        let owner_name = owner.map(|o| o.name);
        let mut keys: Vec<AccessKeyRecord> = self
            .store
            .list_access_keys(&account)
            .await?
            .into_iter()
            .filter(|k| k.user_name == owner_name)
            .collect();
        keys.sort_by(|a, b| a.access_key_id.cmp(&b.access_key_id));
        let listed = page(keys, |k| k.access_key_id.clone(), marker, max_items);
        Ok((owner_name, listed))
    }

    /// UpdateAccessKey: makes a key Active or Inactive.
    pub async fn update_access_key(
        &self,
        who: &(impl Authority + ?Sized),
        user: Option<&str>,
        access_key_id: &str,
        active: bool,
    ) -> Result<()> {
        let account = who.scope().account.clone();
        let owner = self.key_owner(who, "iam:UpdateAccessKey", user).await?;
        self.owned_key(owner.as_ref(), &account, access_key_id)
            .await?;
        self.store
            .set_access_key_active(access_key_id, active)
            .await?;
        Ok(())
    }

    /// DeleteAccessKey.
    pub async fn delete_user_access_key(
        &self,
        who: &(impl Authority + ?Sized),
        user: Option<&str>,
        access_key_id: &str,
    ) -> Result<()> {
        let account = who.scope().account.clone();
        let owner = self.key_owner(who, "iam:DeleteAccessKey", user).await?;
        self.owned_key(owner.as_ref(), &account, access_key_id)
            .await?;
        self.store.delete_access_key(access_key_id).await?;
        Ok(())
    }
}
