//! The store, measured: [`MeteredStore`] wraps any engine, implements the same
//! [`Store`] trait, and times every call and counts its failures. Wrapping the trait rather
//! than instrumenting each engine measures SQLite and PostgreSQL the same way, and what it
//! measures is exactly what the service waits for (the SQLite writer's group commit included).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coffer_core::error::Result;
use coffer_core::kms::{KmsAlias, KmsKeyRecord};
use coffer_core::managed::{
    IamDeleteCheck, IamLink, IamMutation, IamObject, IamObjectKind, LinkFilter, LinkOutcome,
};
use coffer_core::model::{
    AccessKeyRecord, DeleteOutcome, LoginProfileRecord, NewVersion, PrincipalKind, PrincipalRecord,
    SealedValue, SecretRecord,
};
use coffer_core::names::{AccountId, Candidate, Scope};
use coffer_core::store::{AuditHead, Mutation, PageQuery, Store};
use coffer_protocol::exposition::{self, Kind};

use super::Histogram;

/// Declares [`StoreCall`] from the trait's method names, so the enum, its list and its labels
/// cannot drift apart.
macro_rules! store_calls {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// One method of the [`Store`] trait: the `call` label of the store metrics.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum StoreCall {
            $(
                #[doc = concat!("`Store::", $name, "`.")]
                $variant,
            )*
        }

        impl StoreCall {
            /// Every call, in declaration order.
            pub const ALL: &'static [StoreCall] = &[$(StoreCall::$variant),*];

            /// The label's value: the method's name.
            pub fn name(self) -> &'static str {
                match self {
                    $(StoreCall::$variant => $name,)*
                }
            }
        }
    };
}

store_calls! {
    InsertSecret => "insert_secret",
    FindSecret => "find_secret",
    UpdateSecret => "update_secret",
    RemoveSecret => "remove_secret",
    ReadSealed => "read_sealed",
    ListSecrets => "list_secrets",
    RecordAccess => "record_access",
    PurgeDue => "purge_due",
    RotationDue => "rotation_due",
    RotatingSecrets => "rotating_secrets",
    EnsureAccount => "ensure_account",
    ListAccounts => "list_accounts",
    InsertAccessKey => "insert_access_key",
    FindAccessKey => "find_access_key",
    ListAccessKeys => "list_access_keys",
    SetAccessKeyActive => "set_access_key_active",
    DeleteAccessKey => "delete_access_key",
    InsertPrincipal => "insert_principal",
    FindPrincipal => "find_principal",
    ListPrincipals => "list_principals",
    DeletePrincipal => "delete_principal",
    PutAuditHead => "put_audit_head",
    AuditHead => "audit_head",
    PutInlinePolicy => "put_inline_policy",
    ListInlinePolicies => "list_inline_policies",
    DeleteInlinePolicy => "delete_inline_policy",
    InsertKmsKey => "insert_kms_key",
    UpdateKmsKey => "update_kms_key",
    ReplaceKmsKeyMaterial => "replace_kms_key_material",
    FindKmsKey => "find_kms_key",
    ListKmsKeys => "list_kms_keys",
    PutKmsAlias => "put_kms_alias",
    DeleteKmsAlias => "delete_kms_alias",
    ListKmsAliases => "list_kms_aliases",
    PutLoginProfile => "put_login_profile",
    FindLoginProfile => "find_login_profile",
    DeleteLoginProfile => "delete_login_profile",
    InsertIamObject => "insert_iam_object",
    FindIamObject => "find_iam_object",
    ListIamObjects => "list_iam_objects",
    UpdateIamObject => "update_iam_object",
    DeleteIamObject => "delete_iam_object",
    LinkIam => "link_iam",
    UnlinkIam => "unlink_iam",
    ListIamLinks => "list_iam_links",
    Ping => "ping",
    Reset => "reset",
}

/// How many store calls there are.
const CALLS: usize = StoreCall::ALL.len();

/// Latency and failures of every store call.
#[derive(Debug)]
pub struct StoreMetrics {
    latency: [Histogram; CALLS],
    errors: [AtomicU64; CALLS],
}

impl Default for StoreMetrics {
    fn default() -> Self {
        Self {
            latency: std::array::from_fn(|_| Histogram::default()),
            errors: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl StoreMetrics {
    /// Records one call, how long it took and whether the engine failed.
    pub fn record(&self, call: StoreCall, elapsed: Duration, failed: bool) {
        self.latency[call as usize].observe(elapsed);
        if failed {
            self.errors[call as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Calls of one kind so far.
    pub fn calls(&self, call: StoreCall) -> u64 {
        self.latency[call as usize].count()
    }

    /// Writes the store's metrics (calls never made are left out).
    pub(super) fn render(&self, out: &mut String) {
        let used = || {
            StoreCall::ALL
                .iter()
                .filter(|call| self.latency[**call as usize].count() > 0)
        };
        let duration = "coffer_store_duration_seconds";
        exposition::family(
            out,
            duration,
            Kind::Histogram,
            "Store call latency, by call.",
        );
        for call in used() {
            let labels = format!("call=\"{}\"", call.name());
            self.latency[*call as usize].render(out, duration, &labels);
        }
        let errors = "coffer_store_errors_total";
        exposition::family(
            out,
            errors,
            Kind::Counter,
            "Store calls that failed in the engine (not domain answers such as a name taken).",
        );
        for call in used() {
            let labels = format!("call=\"{}\"", call.name());
            let count = self.errors[*call as usize].load(Ordering::Relaxed);
            exposition::sample(out, errors, &labels, count);
        }
    }
}

/// A store that records every call's latency and failures in [`StoreMetrics`].
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    metrics: Arc<StoreMetrics>,
}

impl MeteredStore {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Store>, metrics: Arc<StoreMetrics>) -> Self {
        Self { inner, metrics }
    }

    /// Runs one call, timing it. Only the engine's own failures count as errors: a domain
    /// answer (a name taken, a mutation refusing a change inside `update_secret`) is the
    /// store working as it should.
    async fn timed<T>(
        &self,
        call: StoreCall,
        future: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let started = Instant::now();
        let result = future.await;
        let failed = matches!(
            result,
            Err(coffer_core::Error::Store(_) | coffer_core::Error::Internal(_))
        );
        self.metrics.record(call, started.elapsed(), failed);
        result
    }
}

#[async_trait]
impl Store for MeteredStore {
    async fn insert_secret(&self, record: &SecretRecord, first: Option<&NewVersion>) -> Result<()> {
        self.timed(
            StoreCall::InsertSecret,
            self.inner.insert_secret(record, first),
        )
        .await
    }

    async fn find_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Result<Option<SecretRecord>> {
        self.timed(
            StoreCall::FindSecret,
            self.inner.find_secret(scope, candidates),
        )
        .await
    }

    async fn update_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
        mutation: &mut Mutation<'_>,
    ) -> Result<SecretRecord> {
        self.timed(
            StoreCall::UpdateSecret,
            self.inner.update_secret(scope, candidates, mutation),
        )
        .await
    }

    async fn remove_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Result<Option<SecretRecord>> {
        self.timed(
            StoreCall::RemoveSecret,
            self.inner.remove_secret(scope, candidates),
        )
        .await
    }

    async fn read_sealed(&self, secret_id: &str, version_id: &str) -> Result<Option<SealedValue>> {
        self.timed(
            StoreCall::ReadSealed,
            self.inner.read_sealed(secret_id, version_id),
        )
        .await
    }

    async fn list_secrets(
        &self,
        scope: &Scope,
        include_deleted: bool,
    ) -> Result<Vec<SecretRecord>> {
        self.timed(
            StoreCall::ListSecrets,
            self.inner.list_secrets(scope, include_deleted),
        )
        .await
    }

    async fn list_secret_page(
        &self,
        scope: &Scope,
        query: &PageQuery<'_>,
    ) -> Result<Vec<SecretRecord>> {
        self.timed(
            StoreCall::ListSecrets,
            self.inner.list_secret_page(scope, query),
        )
        .await
    }

    async fn record_access(
        &self,
        secret_id: &str,
        version_id: &str,
        day: DateTime<Utc>,
    ) -> Result<()> {
        self.timed(
            StoreCall::RecordAccess,
            self.inner.record_access(secret_id, version_id, day),
        )
        .await
    }

    async fn purge_due(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        self.timed(StoreCall::PurgeDue, self.inner.purge_due(now))
            .await
    }

    async fn rotation_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(Scope, Candidate)>> {
        self.timed(StoreCall::RotationDue, self.inner.rotation_due(now, limit))
            .await
    }

    async fn rotating_secrets(&self) -> Result<Vec<SecretRecord>> {
        self.timed(StoreCall::RotatingSecrets, self.inner.rotating_secrets())
            .await
    }

    async fn ensure_account(&self, account: &AccountId, created: DateTime<Utc>) -> Result<()> {
        self.timed(
            StoreCall::EnsureAccount,
            self.inner.ensure_account(account, created),
        )
        .await
    }

    async fn list_accounts(&self) -> Result<Vec<AccountId>> {
        self.timed(StoreCall::ListAccounts, self.inner.list_accounts())
            .await
    }

    async fn insert_access_key(&self, key: &AccessKeyRecord) -> Result<()> {
        self.timed(
            StoreCall::InsertAccessKey,
            self.inner.insert_access_key(key),
        )
        .await
    }

    async fn find_access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>> {
        self.timed(
            StoreCall::FindAccessKey,
            self.inner.find_access_key(access_key_id),
        )
        .await
    }

    async fn list_access_keys(&self, account: &AccountId) -> Result<Vec<AccessKeyRecord>> {
        self.timed(
            StoreCall::ListAccessKeys,
            self.inner.list_access_keys(account),
        )
        .await
    }

    async fn set_access_key_active(&self, access_key_id: &str, active: bool) -> Result<bool> {
        self.timed(
            StoreCall::SetAccessKeyActive,
            self.inner.set_access_key_active(access_key_id, active),
        )
        .await
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool> {
        self.timed(
            StoreCall::DeleteAccessKey,
            self.inner.delete_access_key(access_key_id),
        )
        .await
    }

    async fn insert_principal(&self, principal: &PrincipalRecord) -> Result<bool> {
        self.timed(
            StoreCall::InsertPrincipal,
            self.inner.insert_principal(principal),
        )
        .await
    }

    async fn find_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<PrincipalRecord>> {
        self.timed(
            StoreCall::FindPrincipal,
            self.inner.find_principal(account, kind, name),
        )
        .await
    }

    async fn list_principals(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
    ) -> Result<Vec<PrincipalRecord>> {
        self.timed(
            StoreCall::ListPrincipals,
            self.inner.list_principals(account, kind),
        )
        .await
    }

    async fn delete_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<DeleteOutcome> {
        self.timed(
            StoreCall::DeletePrincipal,
            self.inner.delete_principal(account, kind, name),
        )
        .await
    }

    async fn put_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        self.timed(
            StoreCall::PutInlinePolicy,
            self.inner
                .put_inline_policy(account, kind, principal, policy_name, document),
        )
        .await
    }

    async fn list_inline_policies(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
    ) -> Result<Vec<(String, String)>> {
        self.timed(
            StoreCall::ListInlinePolicies,
            self.inner.list_inline_policies(account, kind, principal),
        )
        .await
    }

    async fn delete_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
    ) -> Result<bool> {
        self.timed(
            StoreCall::DeleteInlinePolicy,
            self.inner
                .delete_inline_policy(account, kind, principal, policy_name),
        )
        .await
    }

    async fn put_login_profile(&self, profile: &LoginProfileRecord, create: bool) -> Result<bool> {
        self.timed(
            StoreCall::PutLoginProfile,
            self.inner.put_login_profile(profile, create),
        )
        .await
    }

    async fn find_login_profile(
        &self,
        account: &AccountId,
        user_name: &str,
    ) -> Result<Option<LoginProfileRecord>> {
        self.timed(
            StoreCall::FindLoginProfile,
            self.inner.find_login_profile(account, user_name),
        )
        .await
    }

    async fn delete_login_profile(&self, account: &AccountId, user_name: &str) -> Result<bool> {
        self.timed(
            StoreCall::DeleteLoginProfile,
            self.inner.delete_login_profile(account, user_name),
        )
        .await
    }
    async fn insert_iam_object(&self, object: &IamObject) -> Result<bool> {
        self.timed(
            StoreCall::InsertIamObject,
            self.inner.insert_iam_object(object),
        )
        .await
    }

    async fn find_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
    ) -> Result<Option<IamObject>> {
        self.timed(
            StoreCall::FindIamObject,
            self.inner.find_iam_object(account, kind, name),
        )
        .await
    }

    async fn list_iam_objects(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
    ) -> Result<Vec<IamObject>> {
        self.timed(
            StoreCall::ListIamObjects,
            self.inner.list_iam_objects(account, kind),
        )
        .await
    }

    async fn update_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
        mutation: IamMutation,
    ) -> Result<Option<IamObject>> {
        self.timed(
            StoreCall::UpdateIamObject,
            self.inner.update_iam_object(account, kind, name, mutation),
        )
        .await
    }

    async fn delete_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
        check: IamDeleteCheck,
    ) -> Result<bool> {
        self.timed(
            StoreCall::DeleteIamObject,
            self.inner.delete_iam_object(account, kind, name, check),
        )
        .await
    }

    async fn link_iam(&self, account: &AccountId, link: &IamLink) -> Result<LinkOutcome> {
        self.timed(StoreCall::LinkIam, self.inner.link_iam(account, link))
            .await
    }

    async fn unlink_iam(&self, account: &AccountId, link: &IamLink) -> Result<bool> {
        self.timed(StoreCall::UnlinkIam, self.inner.unlink_iam(account, link))
            .await
    }

    async fn list_iam_links(
        &self,
        account: &AccountId,
        filter: LinkFilter<'_>,
    ) -> Result<Vec<IamLink>> {
        self.timed(
            StoreCall::ListIamLinks,
            self.inner.list_iam_links(account, filter),
        )
        .await
    }

    async fn put_audit_head(&self, head: &AuditHead) -> Result<()> {
        self.timed(StoreCall::PutAuditHead, self.inner.put_audit_head(head))
            .await
    }

    async fn audit_head(&self, trail: &str) -> Result<Option<AuditHead>> {
        self.timed(StoreCall::AuditHead, self.inner.audit_head(trail))
            .await
    }

    async fn insert_kms_key(&self, key: &KmsKeyRecord) -> Result<()> {
        self.timed(StoreCall::InsertKmsKey, self.inner.insert_kms_key(key))
            .await
    }

    async fn update_kms_key(&self, key: &KmsKeyRecord) -> Result<bool> {
        self.timed(StoreCall::UpdateKmsKey, self.inner.update_kms_key(key))
            .await
    }

    async fn replace_kms_key_material(
        &self,
        key: &KmsKeyRecord,
        previous_wrapped_key: &[u8],
    ) -> Result<bool> {
        self.timed(
            StoreCall::ReplaceKmsKeyMaterial,
            self.inner
                .replace_kms_key_material(key, previous_wrapped_key),
        )
        .await
    }

    async fn find_kms_key(&self, scope: &Scope, key_id: &str) -> Result<Option<KmsKeyRecord>> {
        self.timed(
            StoreCall::FindKmsKey,
            self.inner.find_kms_key(scope, key_id),
        )
        .await
    }

    async fn list_kms_keys(&self, scope: &Scope) -> Result<Vec<KmsKeyRecord>> {
        self.timed(StoreCall::ListKmsKeys, self.inner.list_kms_keys(scope))
            .await
    }

    async fn put_kms_alias(&self, alias: &KmsAlias, create: bool) -> Result<bool> {
        self.timed(
            StoreCall::PutKmsAlias,
            self.inner.put_kms_alias(alias, create),
        )
        .await
    }

    async fn delete_kms_alias(&self, scope: &Scope, alias_name: &str) -> Result<bool> {
        self.timed(
            StoreCall::DeleteKmsAlias,
            self.inner.delete_kms_alias(scope, alias_name),
        )
        .await
    }

    async fn list_kms_aliases(&self, scope: &Scope) -> Result<Vec<KmsAlias>> {
        self.timed(
            StoreCall::ListKmsAliases,
            self.inner.list_kms_aliases(scope),
        )
        .await
    }

    async fn ping(&self) -> Result<()> {
        self.timed(StoreCall::Ping, self.inner.ping()).await
    }

    async fn reset(&self) -> Result<()> {
        self.timed(StoreCall::Reset, self.inner.reset()).await
    }
}
