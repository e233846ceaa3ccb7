//! Authorization: who is asking ([`Caller`], [`Access`]), and the check every operation makes
//! before it reads or changes anything ([`Service::authorize`]).
//!
//! The identity side (the caller's policies, its principal keys) is built once per principal
//! by [`Service::load_access`] and cached by the server; the resource side (a secret's ARN,
//! tags and resource policy) comes from the record the operation loaded, so a check costs no
//! store round trip of its own.

use std::sync::Arc;

use super::principal::{Principal, PrincipalIdentity};
use super::Service;
use crate::error::{Error, Result};
use crate::managed::LinkKind;
use crate::model::{PrincipalKind, SecretRecord};
use crate::names::{Scope, SecretId, SecretRef};
use crate::policy::{self, ConditionKeys, Identity, Policy, PolicyKind, PrincipalContext};

/// The identity side of a caller: what its own policies grant.
#[derive(Debug, Clone)]
pub enum IdentityGrant {
    /// The account's root user: everything in its own account.
    Root,
    /// The inline policies of a user or of an assumed role.
    Policies(Arc<[Policy]>),
}

/// Everything authorization needs to know about a caller besides the request itself.
#[derive(Debug, Clone)]
pub struct Access {
    /// The principal, as policies see it.
    pub principal: PrincipalContext,
    /// Its identity policies.
    pub identity: IdentityGrant,
    /// The session policy of an assumed-role session, if one was passed to AssumeRole.
    pub session_policy: Option<Arc<Policy>>,
    /// Condition keys of the principal (account, ARN, tags, …): the same for every request
    /// it makes, so the server caches them with the policies.
    pub keys: ConditionKeys,
}

/// Whoever calls an operation. The server passes its authenticated caller, whose every
/// request is authorized. A bare [`Scope`] is a trusted in-process caller (the admin commands, background
/// jobs, tests) acting in that account, to which no policy applies.
pub trait Authority: Sync {
    /// The account and region the call acts in.
    fn scope(&self) -> &Scope;
    /// The caller's access, or `None` for a trusted in-process caller.
    fn access(&self) -> Option<&Access>;
    /// Adds the condition keys of this request itself (source IP, transport, …) to the
    /// principal's; called only when a policy will be evaluated.
    fn request_keys(&self, _keys: &mut ConditionKeys) {}
}

impl Authority for Scope {
    fn scope(&self) -> &Scope {
        self
    }
    fn access(&self) -> Option<&Access> {
        None
    }
}

/// What a request acts on.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An existing secret: its ARN, tags and resource policy.
    Secret(&'a SecretRecord),
    /// A resource named by ARN in an account (a secret about to be created, an IAM entity).
    Arn {
        /// The ARN.
        arn: &'a str,
        /// The account owning it.
        account: &'a str,
    },
    /// No resource (`*`): ListSecrets, GetRandomPassword, the BatchGetSecretValue call itself.
    Any,
}

/// Parses a stored policy; a stored document that no longer parses counts as one that grants
/// nothing, and is logged by the caller's error path as an internal error.
fn stored_policy(text: &str, kind: PolicyKind) -> Result<Policy> {
    Policy::parse(text, kind)
        .map_err(|e| Error::Internal(format!("a stored policy does not parse: {e}")))
}

/// Parsed resource policies by their text, bounded: when full it starts over, which costs a
/// parse per policy and never a wrong answer (the key is the whole text).
#[derive(Default)]
pub(super) struct PolicyCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, Arc<Policy>>>,
}

/// How many parsed policies the cache keeps.
const POLICY_CACHE_ENTRIES: usize = 4096;

impl PolicyCache {
    /// The parsed form of a stored resource policy.
    fn get(&self, text: &str) -> Result<Arc<Policy>> {
        if let Some(found) = self
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(text)
        {
            return Ok(found.clone());
        }
        let parsed = Arc::new(stored_policy(text, PolicyKind::Resource)?);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= POLICY_CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert(text.to_owned(), parsed.clone());
        Ok(parsed)
    }
}

impl Service {
    /// The access of a principal: its identity policies (read from the store) and the
    /// condition keys that describe it. The server caches the result per access key.
    pub async fn load_access(&self, principal: &Principal) -> Result<Access> {
        let account = principal.account.as_str().to_owned();
        let mut keys = ConditionKeys::default();
        keys.insert("aws:PrincipalAccount", account.clone());
        keys.insert("aws:userid", principal.user_id.clone());
        let mut context = PrincipalContext {
            arn: principal.arn.clone(),
            account,
            role_arn: None,
            is_root: false,
            user_name: None,
            user_id: principal.user_id.clone(),
        };
        let (identity, session_policy, tags) = match &principal.identity {
            PrincipalIdentity::Root => {
                context.is_root = true;
                keys.insert("aws:PrincipalArn", principal.arn.clone());
                keys.insert("aws:PrincipalType", "Account");
                (IdentityGrant::Root, None, Vec::new())
            }
            PrincipalIdentity::User { name } => {
                let user = self
                    .store
                    .find_principal(&principal.account, PrincipalKind::User, name)
                    .await?
                    // A user deleted and made again under the same name is another user:
                    // the first one's sessions do not pass to it.
                    .filter(|user| user.id == principal.user_id)
                    .ok_or(Error::InvalidToken)?;
                context.user_name = Some(user.name.clone());
                keys.insert("aws:username", user.name.clone());
                keys.insert("aws:PrincipalArn", principal.arn.clone());
                keys.insert("aws:PrincipalType", "User");
                let policies = self
                    .identity_policies(principal, PrincipalKind::User, &user.name)
                    .await?;
                (IdentityGrant::Policies(policies), None, user.tags)
            }
            PrincipalIdentity::Session(session) => {
                // A session outlives nothing: once its role is gone, its credentials stop
                // working, as AWS's do.
                let role = self
                    .store
                    .find_principal(&principal.account, PrincipalKind::Role, &session.role_name)
                    .await?
                    .filter(|role| role.id == session.role_id)
                    .ok_or(Error::InvalidToken)?;
                let role_arn = role.arn();
                context.role_arn = Some(role_arn.clone());
                keys.insert("aws:PrincipalArn", role_arn);
                keys.insert("aws:PrincipalType", "AssumedRole");
                let policies = self
                    .identity_policies(principal, PrincipalKind::Role, &role.name)
                    .await?;
                let session_policy = session
                    .session_policy
                    .as_deref()
                    .map(|text| stored_policy(text, PolicyKind::Identity).map(Arc::new))
                    .transpose()?;
                // Session tags come after the role's, so that a session tag wins over a role
                // tag of the same key (keys compare ignoring case).
                let mut tags = role.tags;
                tags.extend(session.tags.iter().cloned());
                (IdentityGrant::Policies(policies), session_policy, tags)
            }
        };
        for (key, value) in &tags {
            keys.insert(&format!("aws:PrincipalTag/{key}"), value.clone());
        }
        Ok(Access {
            principal: context,
            identity,
            session_policy,
            keys,
        })
    }

    /// A user's or role's identity policies, evaluated together as IAM does: its inline
    /// policies, the default versions of the managed policies attached to it, and, for a user,
    /// the inline and attached policies of every group it is in.
    async fn identity_policies(
        &self,
        principal: &Principal,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Arc<[Policy]>> {
        let account = &principal.account;
        let mut texts: Vec<String> = self
            .store
            .list_inline_policies(account, kind, name)
            .await?
            .into_iter()
            .map(|(_, text)| text)
            .collect();
        texts.extend(self.attached_documents(account, kind.into(), name).await?);
        if kind == PrincipalKind::User {
            for group in self.groups_of(account, name).await? {
                texts.extend(group.inline_policies.iter().map(|(_, text)| text.clone()));
                texts.extend(
                    self.attached_documents(account, LinkKind::Group, &group.name)
                        .await?,
                );
            }
        }
        texts
            .iter()
            .map(|text| stored_policy(text, PolicyKind::Identity))
            .collect::<Result<Vec<_>>>()
            .map(Arc::from)
    }

    /// Checks that the caller may perform `action` on `target`; `extra` adds the request's own
    /// condition keys (VersionStage, RequestTag, …). A trusted in-process caller always may.
    pub fn authorize(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        target: Target<'_>,
        extra: impl FnOnce(&mut ConditionKeys),
    ) -> Result<()> {
        self.authorize_target(who, action, target, None, extra)
    }

    /// [`Service::authorize`], with a resource policy for a target named by ARN (a role's
    /// trust policy); a secret's own resource policy comes from its record.
    pub(super) fn authorize_target(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        target: Target<'_>,
        arn_policy: Option<&Policy>,
        extra: impl FnOnce(&mut ConditionKeys),
    ) -> Result<()> {
        self.authorize_inner(who, action, target, arn_policy, false, extra)
    }

    /// [`Service::authorize_target`] where the resource policy must allow too, whatever the
    /// identity side says: a role's trust policy for `sts:TagSession`, which IAM requires.
    pub(super) fn authorize_target_requiring_resource(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        target: Target<'_>,
        arn_policy: &Policy,
        extra: impl FnOnce(&mut ConditionKeys),
    ) -> Result<()> {
        self.authorize_inner(who, action, target, Some(arn_policy), true, extra)
    }

    fn authorize_inner(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        target: Target<'_>,
        arn_policy: Option<&Policy>,
        require_resource: bool,
        extra: impl FnOnce(&mut ConditionKeys),
    ) -> Result<()> {
        let Some(access) = who.access() else {
            return Ok(());
        };
        // The root user acting in its own account, on a resource without a policy, is allowed
        // whatever the action and conditions: no policy could say otherwise, so the request
        // context need not be built (the hot path of most single-account deployments).
        if matches!(access.identity, IdentityGrant::Root)
            && access.session_policy.is_none()
            && !require_resource
        {
            let own = access.principal.account.as_str();
            let unguarded = match target {
                Target::Secret(record) => {
                    record.resource_policy.is_none() && record.scope.account.as_str() == own
                }
                Target::Arn { account, .. } => arn_policy.is_none() && account == own,
                Target::Any => who.scope().account.as_str() == own,
            };
            if unguarded {
                return Ok(());
            }
        }
        let mut keys = access.keys.clone();
        who.request_keys(&mut keys);
        let now = self.now();
        keys.insert(
            "aws:CurrentTime",
            now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        );
        keys.insert("aws:EpochTime", now.timestamp().to_string());
        keys.insert("aws:RequestedRegion", who.scope().region.as_str());
        let caller_account = who.scope().account.as_str().to_owned();
        let (resource, resource_account, resource_policy) = match target {
            Target::Secret(record) => {
                let arn = record.arn();
                keys.insert("secretsmanager:SecretId", arn.clone());
                // The stored rotation function, on every action on the secret (AWS's
                // resource key; docs/rotation.md).
                if let Some(function) = record.rotation.as_ref().and_then(|r| r.lambda_arn.as_ref())
                {
                    keys.insert(
                        "secretsmanager:resource/AllowRotationLambdaArn",
                        function.clone(),
                    );
                }
                for (key, value) in &record.tags {
                    keys.insert(&format!("aws:ResourceTag/{key}"), value.clone());
                    keys.insert(&format!("secretsmanager:ResourceTag/{key}"), value.clone());
                }
                let policy = record
                    .resource_policy
                    .as_deref()
                    .map(|text| self.parsed_policies.get(text))
                    .transpose()?;
                (arn, record.scope.account.as_str().to_owned(), policy)
            }
            Target::Arn { arn, account } => (arn.to_owned(), account.to_owned(), None),
            Target::Any => ("*".to_owned(), caller_account, None),
        };
        let resource_policy = resource_policy.as_deref().or(arn_policy);
        extra(&mut keys);
        let identity = match &access.identity {
            IdentityGrant::Root => Identity::Root,
            IdentityGrant::Policies(policies) => Identity::Policies(policies),
        };
        let request = policy::Request {
            action,
            resource: &resource,
            principal: &access.principal,
            resource_account: &resource_account,
            keys: &keys,
        };
        policy::authorize(
            identity,
            access.session_policy.as_deref(),
            resource_policy,
            &request,
        )
        .map_err(|denial| Error::AccessDenied(denial.message(&request)))?;
        if require_resource
            && resource_policy.map(|p| p.evaluate(&request)) != Some(policy::Decision::Allow)
        {
            return Err(Error::AccessDenied(format!(
                "User: {} is not authorized to perform: {action} on resource: {resource}",
                access.principal.arn
            )));
        }
        Ok(())
    }

    /// What a SecretId that matched nothing answers: AccessDenied when the caller could not
    /// have acted on such a secret anyway (so that existence cannot be probed), else
    /// `not_found`.
    pub(super) fn denied_or(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        secret_id: &SecretId<'_>,
        not_found: Error,
    ) -> Error {
        let scope = who.scope();
        let (arn, account) = match secret_id.reference() {
            SecretRef::Arn { account, .. } => (secret_id.as_str().to_owned(), account.clone()),
            SecretRef::Name(name) => (
                format!(
                    "arn:aws:secretsmanager:{}:{}:secret:{name}",
                    scope.region, scope.account
                ),
                scope.account.as_str().to_owned(),
            ),
        };
        match self.authorize(
            who,
            action,
            Target::Arn {
                arn: &arn,
                account: &account,
            },
            |_| {},
        ) {
            Ok(()) => not_found,
            Err(denied) => denied,
        }
    }
}
