//! The operations, on domain types: what each Secrets Manager operation does, independent of
//! the wire format and of the storage engine. The server parses a request, calls one method
//! here, and renders the result.

mod access;
mod groups;
mod iam;
mod identity;
mod kms;
mod listing;
mod login;
mod managed;
mod policies;
mod principal;
mod rotation;
mod secrets;
mod versions;

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::clock::Clock;
use crate::crypto::{Keyring, SealContext};
use crate::error::{Error, Result};
use crate::model::{SecretRecord, SecretValue, ValueKind};
use crate::names::{Scope, SecretId};
use crate::policy::ConditionKeys;
use crate::store::Store;

pub use access::{Access, Authority, IdentityGrant, Target};
pub use iam::{CreateRoleInput, IamPage, MUST_SPECIFY_USER_NAME};
pub use identity::{AssumeRoleInput, AssumedRole, Credentials, SessionCredentials};
pub use kms::{default_key_policy, CreateKeyInput, CryptoOutput, DataKeyReturn, KmsPage};
pub use listing::{
    BatchGetInput, BatchGetOutput, BatchItemError, ListSecretVersionIdsInput,
    ListSecretVersionIdsOutput, ListSecretsInput, ListSecretsOutput, SortBy, SortOrder,
};
pub use login::{
    check_password_policy, hash_password, verify_password, LoginProfile, UserSession,
    CONSOLE_SESSION_SECS, PASSWORD_POLICY_MESSAGE, PASSWORD_RESET_REQUIRED, SIGN_IN_FAILED,
};
pub use managed::{
    AttachedPolicyInfo, CreatePolicyInput, EntityKind, ListPoliciesInput, PolicyInfo, PolicyScope,
    PolicyVersionInfo,
};
pub use principal::{Principal, PrincipalIdentity, SessionInfo};
pub use rotation::{
    backoff, Claim, FailOutcome, FinishOutcome, RetryPolicy, RotateSecretInput, RotationObserver,
    CANNOT_INVOKE, NO_FUNCTION, PREVIOUS_NOT_COMPLETE, ROTATION_TOKEN_MISMATCH,
};
pub use secrets::{CreateSecretInput, DeleteSecretOutput, SecretRefOutput, UpdateSecretInput};
pub use versions::{
    GetSecretValueInput, PutSecretValueInput, SecretValueOutput, UpdateSecretVersionStageInput,
};

/// The Secrets Manager service: one per process, shared by all requests.
pub struct Service {
    store: Arc<dyn Store>,
    keyring: Arc<Keyring>,
    clock: Arc<dyn Clock>,
    /// Resource policies already parsed, by their text: a secret's policy is evaluated on
    /// every request for it, and parsing costs more than evaluating.
    parsed_policies: access::PolicyCache,
    /// Told about rotations a write abandoned (the server's audit trail).
    rotation_observer: std::sync::OnceLock<Arc<dyn RotationObserver>>,
}

impl Service {
    /// A service over a store, a keyring and a clock.
    pub fn new(store: Arc<dyn Store>, keyring: Arc<Keyring>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            keyring,
            clock,
            parsed_policies: access::PolicyCache::default(),
            rotation_observer: std::sync::OnceLock::new(),
        }
    }

    /// The store, for the server's health checks and background jobs.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The keyring.
    pub fn keyring(&self) -> &Arc<Keyring> {
        &self.keyring
    }

    /// The current time, truncated to milliseconds: the precision the stores keep and the wire
    /// shows, so that a value read back equals the value written.
    pub fn now(&self) -> DateTime<Utc> {
        let now = self.clock.now();
        now.duration_trunc(Duration::milliseconds(1)).unwrap_or(now)
    }

    /// Removes every secret whose recovery window has ended; the background purge job calls this.
    pub async fn purge_due(&self) -> Result<Vec<String>> {
        self.store.purge_due(self.now()).await
    }

    /// Finds a secret by SecretId, or fails with `SecretNotFound`; no authorization (the
    /// caller has authorized, or is trusted).
    async fn find(&self, scope: &Scope, secret_id: &SecretId<'_>) -> Result<SecretRecord> {
        let (scope, candidates) = secret_id.resolve(scope);
        if candidates.is_empty() {
            return Err(Error::SecretNotFound);
        }
        self.store
            .find_secret(&scope, &candidates)
            .await?
            .ok_or(Error::SecretNotFound)
    }

    /// Finds a secret by SecretId and authorizes `action` on it: in the caller's account, or
    /// by full ARN in another. A SecretId that matches nothing answers AccessDenied when the
    /// caller could not have acted on it anyway, else `SecretNotFound`.
    async fn find_authorized(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        secret_id: &SecretId<'_>,
        extra: &(dyn Fn(&mut ConditionKeys) + Sync),
    ) -> Result<SecretRecord> {
        match self.find(who.scope(), secret_id).await {
            Ok(record) => {
                self.authorize(who, action, Target::Secret(&record), extra)?;
                Ok(record)
            }
            Err(Error::SecretNotFound) => {
                Err(self.denied_or(who, action, secret_id, Error::SecretNotFound))
            }
            Err(other) => Err(other),
        }
    }

    /// Locks a secret by SecretId, authorizes `action` on it, and applies `mutation` (see
    /// [`Store::update_secret`]); the authorization runs on the locked record, inside the
    /// transaction, before the mutation.
    async fn update_authorized(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        secret_id: &SecretId<'_>,
        extra: &(dyn Fn(&mut ConditionKeys) + Sync),
        mutation: &mut crate::store::Mutation<'_>,
    ) -> Result<SecretRecord> {
        let (scope, candidates) = secret_id.resolve(who.scope());
        if candidates.is_empty() {
            return Err(self.denied_or(who, action, secret_id, Error::SecretNotFound));
        }
        let result = self
            .store
            .update_secret(&scope, &candidates, &mut |record, new_versions| {
                self.authorize(who, action, Target::Secret(record), extra)?;
                mutation(record, new_versions)
            })
            .await;
        match result {
            Err(Error::SecretNotFound) => {
                Err(self.denied_or(who, action, secret_id, Error::SecretNotFound))
            }
            other => other,
        }
    }

    /// GetRandomPassword: authorized as `secretsmanager:GetRandomPassword` on `*` (AWS gives the
    /// action no resource), then drawn. It reads no secret, but a Deny of it must hold like any
    /// other (issue 13: it was never authorized).
    pub fn get_random_password(
        &self,
        who: &(impl Authority + ?Sized),
        spec: &crate::password::PasswordSpec,
    ) -> Result<zeroize::Zeroizing<String>> {
        self.authorize(who, "secretsmanager:GetRandomPassword", Target::Any, |_| {})?;
        crate::password::generate(spec)
    }

    /// Authorizes comparing a request's value with a stored version's: the idempotent retry of
    /// CreateSecret, PutSecretValue and UpdateSecret, whose ClientRequestToken names a version
    /// that exists. Its answer (success for the same value, ResourceExistsException for
    /// another) tells whether a guess is the stored value, so it needs what reading the value
    /// needs: `secretsmanager:GetSecretValue` on the secret, with its resource policy and the
    /// `secretsmanager:VersionId` a GetSecretValue of that version would carry. Without it the
    /// caller gets that refusal whatever value it sent (docs/compatibility.md).
    fn authorize_value_comparison(
        &self,
        who: &(impl Authority + ?Sized),
        record: &SecretRecord,
        version_id: &str,
    ) -> Result<()> {
        self.authorize(
            who,
            "secretsmanager:GetSecretValue",
            Target::Secret(record),
            |keys| keys.insert("secretsmanager:VersionId", version_id),
        )
    }

    /// Seals a version's value for a secret, under the default key or a customer key.
    fn seal_value(
        &self,
        record: &SecretRecord,
        version_id: &str,
        key: &kms::SealKey,
        value: &SecretValue,
    ) -> Result<crate::model::SealedValue> {
        let context = SealContext::SecretValue {
            scope: &record.scope,
            secret_id: &record.id,
            version_id,
        };
        match key {
            kms::SealKey::Keyring(key_id) => {
                self.keyring
                    .seal(key_id, value.kind(), context, value.as_bytes())
            }
            kms::SealKey::Customer { label, material } => self.keyring.seal_with_material(
                material,
                label,
                value.kind(),
                context,
                value.as_bytes(),
            ),
        }
    }

    /// Reads and opens a version's value. A value sealed under a customer key needs the
    /// caller to be allowed `kms:Decrypt` on it, and the key to be enabled.
    async fn open_value(
        &self,
        who: &(impl Authority + ?Sized),
        record: &SecretRecord,
        version_id: &str,
    ) -> Result<SecretValue> {
        let sealed = self
            .store
            .read_sealed(&record.id, version_id)
            .await?
            .ok_or_else(|| Error::NoValueForVersion(version_id.to_owned()))?;
        let context = SealContext::SecretValue {
            scope: &record.scope,
            secret_id: &record.id,
            version_id,
        };
        let plain = match crate::kms::parse_customer_label(&sealed.key_id) {
            Some((key_id, generation)) => {
                let material = self
                    .secret_open_material(who, &record.scope, key_id, generation)
                    .await?;
                self.keyring
                    .open_with_material(&material, context, &sealed)?
            }
            None => self.keyring.open(context, &sealed)?,
        };
        Ok(match sealed.kind {
            ValueKind::Binary => SecretValue::Binary(plain),
            ValueKind::String => {
                // The bytes were a String when sealed; anything else means corruption, which we
                // report as a decryption failure rather than return garbage.
                let text =
                    String::from_utf8(plain.to_vec()).map_err(|_| Error::DecryptionFailure)?;
                SecretValue::String(zeroize::Zeroizing::new(text))
            }
        })
    }
}

/// Midnight UTC of the day `at` falls on: LastAccessedDate's granularity.
pub fn day_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::days(1)).unwrap_or(at)
}

/// The error AWS gives a write without a ClientRequestToken.
fn token_required() -> Error {
    Error::InvalidRequest(
        "You must provide a ClientRequestToken value. We recommend a UUID-type value.".into(),
    )
}

#[cfg(test)]
pub(crate) mod tests;
