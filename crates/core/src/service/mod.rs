//! The operations, on domain types: what each Secrets Manager operation does, independent of
//! the wire format and of the storage engine. The server parses a request, calls one method
//! here, and renders the result.

mod identity;
mod listing;
mod secrets;
mod versions;

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::clock::Clock;
use crate::crypto::{Keyring, SealContext};
use crate::error::{Error, Result};
use crate::model::{SecretRecord, SecretValue, ValueKind};
use crate::names::{Candidate, Scope, SecretRef};
use crate::store::Store;

pub use identity::{Credentials, Principal};
pub use listing::{
    BatchGetInput, BatchGetOutput, BatchItemError, ListSecretVersionIdsInput,
    ListSecretVersionIdsOutput, ListSecretsInput, ListSecretsOutput, SortBy, SortOrder,
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
}

impl Service {
    /// A service over a store, a keyring and a clock.
    pub fn new(store: Arc<dyn Store>, keyring: Arc<Keyring>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            keyring,
            clock,
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

    /// The lookups a SecretId stands for in `scope`.
    fn candidates(scope: &Scope, secret_id: &str) -> Vec<Candidate> {
        SecretRef::parse(secret_id).candidates(scope)
    }

    /// Finds a secret by SecretId, or fails with `SecretNotFound`.
    async fn find(&self, scope: &Scope, secret_id: &str) -> Result<SecretRecord> {
        let candidates = Self::candidates(scope, secret_id);
        if candidates.is_empty() {
            return Err(Error::SecretNotFound);
        }
        self.store
            .find_secret(scope, &candidates)
            .await?
            .ok_or(Error::SecretNotFound)
    }

    /// Seals a version's value for a secret.
    fn seal_value(
        &self,
        record: &SecretRecord,
        version_id: &str,
        key_id: &str,
        value: &SecretValue,
    ) -> Result<crate::model::SealedValue> {
        let context = SealContext::SecretValue {
            scope: &record.scope,
            secret_id: &record.id,
            version_id,
        };
        self.keyring
            .seal(key_id, value.kind(), context, value.as_bytes())
    }

    /// Reads and opens a version's value.
    async fn open_value(&self, record: &SecretRecord, version_id: &str) -> Result<SecretValue> {
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
        let plain = self.keyring.open(context, &sealed)?;
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
