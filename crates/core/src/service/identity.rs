//! Accounts and access keys. For now every principal is an account's root user; users, roles
//! and policies come later and will extend [`Principal`].

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::Service;
use crate::crypto::{SealContext, DEFAULT_KEY_ID};
use crate::error::{Error, Result};
use crate::model::{AccessKeyRecord, ValueKind};
use crate::names::AccountId;

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account the principal belongs to.
    pub account: AccountId,
    /// The principal's ARN (`arn:aws:iam::<account>:root`).
    pub arn: String,
    /// STS's UserId for the principal (the account id, for a root user).
    pub user_id: String,
}

impl Principal {
    /// The root user of an account.
    pub fn root(account: AccountId) -> Self {
        Self {
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.as_str().to_owned(),
            account,
        }
    }
}

/// An access key pair, as handed to its owner once.
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Zeroizing<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// `len` characters drawn uniformly from `alphabet` (at most 256 characters long).
fn random_string(alphabet: &[u8], len: usize) -> Result<Zeroizing<String>> {
    let rng = SystemRandom::new();
    let limit = 256 - (256 % alphabet.len());
    let mut out = Zeroizing::new(String::with_capacity(len));
    let mut byte = [0u8; 1];
    while out.len() < len {
        rng.fill(&mut byte)
            .map_err(|_| Error::Internal("no randomness".into()))?;
        // Rejection sampling keeps every character equally likely.
        if usize::from(byte[0]) < limit {
            out.push(char::from(alphabet[usize::from(byte[0]) % alphabet.len()]));
        }
    }
    Ok(out)
}

impl Service {
    /// Creates the first account and its root access key when the store has no account yet.
    /// Returns the new account and credentials (to be shown once), or `None` when the store was
    /// already initialised.
    pub async fn initialize(&self) -> Result<Option<(AccountId, Credentials)>> {
        if !self.store.list_accounts().await?.is_empty() {
            return Ok(None);
        }
        let account = AccountId::generate()?;
        self.store.ensure_account(&account, self.now()).await?;
        let credentials = self.create_access_key(&account).await?;
        Ok(Some((account, credentials)))
    }

    /// Creates an access key for the root user of `account` (which is created if missing).
    pub async fn create_access_key(&self, account: &AccountId) -> Result<Credentials> {
        self.store.ensure_account(account, self.now()).await?;
        // AWS's shapes: AKIA + 16 of A–Z and 2–7; 40 characters of base64's alphabet.
        let access_key_id = format!(
            "AKIA{}",
            random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)?.as_str()
        );
        let secret_access_key = random_string(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        )?;
        let sealed = self.keyring.seal(
            DEFAULT_KEY_ID,
            ValueKind::String,
            SealContext::AccessKey {
                access_key_id: &access_key_id,
            },
            secret_access_key.as_bytes(),
        )?;
        self.store
            .insert_access_key(&AccessKeyRecord {
                access_key_id: access_key_id.clone(),
                account: account.clone(),
                principal_arn: Principal::root(account.clone()).arn,
                user_name: None,
                sealed_secret: sealed,
                created: self.now(),
                active: true,
            })
            .await?;
        Ok(Credentials {
            access_key_id,
            secret_access_key,
        })
    }

    /// Looks up an active access key: its principal and its secret (for deriving signing keys).
    pub async fn lookup_access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(Principal, Zeroizing<String>)>> {
        let Some(record) = self.store.find_access_key(access_key_id).await? else {
            return Ok(None);
        };
        if !record.active {
            return Ok(None);
        }
        let plain = self.keyring.open(
            SealContext::AccessKey {
                access_key_id: &record.access_key_id,
            },
            &record.sealed_secret,
        )?;
        let secret = String::from_utf8(plain.to_vec()).map_err(|_| Error::DecryptionFailure)?;
        Ok(Some((
            Principal::root(record.account),
            Zeroizing::new(secret),
        )))
    }

    /// All access key ids of an account (never their secrets).
    pub async fn list_access_keys(&self, account: &AccountId) -> Result<Vec<String>> {
        Ok(self
            .store
            .list_access_keys(account)
            .await?
            .into_iter()
            .map(|k| k.access_key_id)
            .collect())
    }
}
