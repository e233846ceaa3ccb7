//! Customer keys: the domain of coffer's KMS subset. A key (`KmsKeyRecord`) belongs to an
//! account and region, has a state (`Enabled`, `Disabled`, `PendingDeletion`) and one or more
//! generations of 256-bit key material, sealed under the keyring's root key and opened only
//! inside coffer. Aliases (`KmsAlias`) name keys.
//!
//! A ciphertext blob is coffer's own format (AWS's is opaque too), and carries what Decrypt
//! needs to find its key:
//!
//! ```text
//! 0x01 | key id (36 ASCII bytes, a UUID) | material generation (u32, big endian)
//!      | nonce (12) | AES-256-GCM ciphertext and tag
//! ```
//!
//! The associated data binds the account, the region, the key id, the generation and the
//! encryption context (its pairs sorted by key, each length-prefixed), so a blob opens only in
//! its own account and region, under its own key, with its own context.

use std::collections::BTreeMap;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::SealedValue;
use crate::names::Scope;

/// Bytes of key material per generation.
pub const MATERIAL_LEN: usize = 32;
/// The format byte that starts every ciphertext blob coffer writes.
const BLOB_FORMAT: u8 = 1;
/// Length of a key id (a hyphenated UUID).
const KEY_ID_LEN: usize = 36;
/// Bytes before the nonce: format, key id, generation.
const BLOB_HEADER_LEN: usize = 1 + KEY_ID_LEN + 4;
/// Length of the AES-GCM tag.
const TAG_LEN: usize = 16;

/// A key's state, as KMS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Refuses every cryptographic operation until enabled.
    Disabled,
    /// Scheduled for deletion; refuses every cryptographic operation.
    PendingDeletion,
}

impl KeyState {
    /// The name on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::PendingDeletion => "PendingDeletion",
        }
    }

    /// Parses the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Enabled" => Some(Self::Enabled),
            "Disabled" => Some(Self::Disabled),
            "PendingDeletion" => Some(Self::PendingDeletion),
            _ => None,
        }
    }
}

/// A customer key as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct KmsKeyRecord {
    /// The account and region the key lives in.
    pub scope: Scope,
    /// The key id, a UUID.
    pub key_id: String,
    /// The description (may be empty).
    pub description: String,
    /// When the key was created.
    pub created: DateTime<Utc>,
    /// The state.
    pub state: KeyState,
    /// When a key pending deletion is deleted.
    pub deletion_date: Option<DateTime<Utc>>,
    /// The pending window of a key pending deletion, in days.
    pub pending_window_days: Option<i64>,
    /// The key policy document.
    pub policy: String,
    /// The key's tags, in the order given.
    pub tags: Vec<(String, String)>,
    /// Every generation of key material, concatenated ([`MATERIAL_LEN`] bytes each, oldest
    /// first), sealed under the keyring.
    pub material: SealedValue,
}

impl KmsKeyRecord {
    /// The key ARN.
    pub fn arn(&self) -> String {
        key_arn(&self.scope, &self.key_id)
    }

    /// Whether the key's deletion date has passed at `now`: such a key is gone.
    pub fn deleted_at(&self, now: DateTime<Utc>) -> bool {
        self.state == KeyState::PendingDeletion && self.deletion_date.is_some_and(|d| d <= now)
    }
}

/// An alias as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsAlias {
    /// The account and region the alias lives in.
    pub scope: Scope,
    /// `alias/…`.
    pub name: String,
    /// The key id the alias points at.
    pub target_key_id: String,
    /// When the alias was created.
    pub created: DateTime<Utc>,
    /// When the alias was last pointed at a key.
    pub updated: DateTime<Utc>,
}

/// `arn:aws:kms:<region>:<account>:key/<key id>`.
pub fn key_arn(scope: &Scope, key_id: &str) -> String {
    format!(
        "arn:aws:kms:{}:{}:key/{key_id}",
        scope.region, scope.account
    )
}

/// `arn:aws:kms:<region>:<account>:alias/<name>` (`name` includes `alias/`).
pub fn alias_arn(scope: &Scope, alias_name: &str) -> String {
    format!(
        "arn:aws:kms:{}:{}:{alias_name}",
        scope.region, scope.account
    )
}

/// The prefix of the keyring key id a secret version sealed under a customer key records:
/// `kms-key/<key id>/<generation>`.
const CUSTOMER_LABEL_PREFIX: &str = "kms-key/";

/// What a version sealed under a customer key records as its sealing key.
pub fn customer_label(key_id: &str, generation: u32) -> String {
    format!("{CUSTOMER_LABEL_PREFIX}{key_id}/{generation}")
}

/// The customer key id and generation a sealed value's key id names, if it names one.
pub fn parse_customer_label(label: &str) -> Option<(&str, u32)> {
    let rest = label.strip_prefix(CUSTOMER_LABEL_PREFIX)?;
    let (key_id, generation) = rest.split_once('/')?;
    Some((key_id, generation.parse().ok()?))
}

/// Whether `text` is a key id in KMS's UUID form.
pub fn is_key_uuid(text: &str) -> bool {
    text.len() == KEY_ID_LEN && uuid::Uuid::try_parse(text).is_ok()
}

/// Fresh random bytes.
pub fn random(out: &mut [u8]) -> Result<()> {
    SystemRandom::new()
        .fill(out)
        .map_err(|_| Error::Internal("no randomness".into()))
}

/// The associated data of a blob.
fn blob_aad(
    scope: &Scope,
    key_id: &str,
    generation: u32,
    context: &BTreeMap<String, String>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut part = |bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(bytes);
    };
    part(b"coffer-kms-ciphertext-v1");
    part(scope.account.as_str().as_bytes());
    part(scope.region.as_str().as_bytes());
    part(key_id.as_bytes());
    part(&generation.to_be_bytes());
    for (key, value) in context {
        part(key.as_bytes());
        part(value.as_bytes());
    }
    out
}

fn aead_key(material: &[u8]) -> Result<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, material)
        .map(LessSafeKey::new)
        .map_err(|_| Error::Internal("key material of the wrong length".into()))
}

/// Encrypts `plaintext` under one generation of a key's material.
pub fn encrypt_blob(
    material: &[u8],
    scope: &Scope,
    key_id: &str,
    generation: u32,
    context: &BTreeMap<String, String>,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    if key_id.len() != KEY_ID_LEN {
        return Err(Error::Internal("a key id that is not a UUID".into()));
    }
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut nonce)?;
    let aad = blob_aad(scope, key_id, generation, context);
    let mut body = plaintext.to_vec();
    aead_key(material)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&aad),
            &mut body,
        )
        .map_err(|_| Error::Internal("AES-GCM seal failed".into()))?;
    let mut blob = Vec::with_capacity(BLOB_HEADER_LEN + NONCE_LEN + body.len());
    blob.push(BLOB_FORMAT);
    blob.extend_from_slice(key_id.as_bytes());
    blob.extend_from_slice(&generation.to_be_bytes());
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&body);
    Ok(blob)
}

/// The key id and material generation a blob names, if it is one of coffer's blobs at all.
pub fn blob_key(blob: &[u8]) -> Option<(String, u32)> {
    if blob.len() < BLOB_HEADER_LEN + NONCE_LEN + TAG_LEN || blob[0] != BLOB_FORMAT {
        return None;
    }
    let key_id = std::str::from_utf8(&blob[1..1 + KEY_ID_LEN]).ok()?;
    if !is_key_uuid(key_id) {
        return None;
    }
    let generation = u32::from_be_bytes(blob[1 + KEY_ID_LEN..BLOB_HEADER_LEN].try_into().ok()?);
    Some((key_id.to_owned(), generation))
}

/// Opens a blob whose key and generation [`blob_key`] read, with that generation's material.
/// `None` when it does not open (another context, another account or region, a flipped bit).
pub fn decrypt_blob(
    material: &[u8],
    scope: &Scope,
    context: &BTreeMap<String, String>,
    blob: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let (key_id, generation) = blob_key(blob)?;
    let aad = blob_aad(scope, &key_id, generation, context);
    let (nonce, body) = blob[BLOB_HEADER_LEN..].split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buffer = Zeroizing::new(body.to_vec());
    let len = aead_key(material)
        .ok()?
        .open_in_place(nonce, Aad::from(&aad), &mut buffer)
        .ok()?
        .len();
    buffer.truncate(len);
    Some(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{AccountId, Region};

    fn scope(region: &str) -> Scope {
        Scope {
            account: AccountId::parse("123456789012").expect("valid"),
            region: Region::parse(region).expect("valid"),
        }
    }

    #[test]
    fn blobs_open_only_in_their_context() {
        let mut material = [0u8; MATERIAL_LEN];
        random(&mut material).expect("rng");
        let key_id = uuid::Uuid::new_v4().to_string();
        let mut context = BTreeMap::new();
        context.insert("purpose".to_owned(), "test".to_owned());
        let here = scope("us-east-1");
        let blob = encrypt_blob(&material, &here, &key_id, 2, &context, b"hello").expect("seal");
        assert_eq!(blob_key(&blob), Some((key_id.clone(), 2)));
        let opened = decrypt_blob(&material, &here, &context, &blob).expect("open");
        assert_eq!(opened.as_slice(), b"hello");
        assert!(decrypt_blob(&material, &here, &BTreeMap::new(), &blob).is_none());
        assert!(decrypt_blob(&material, &scope("eu-west-1"), &context, &blob).is_none());
        let mut flipped = blob.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(decrypt_blob(&material, &here, &context, &flipped).is_none());
        assert_eq!(blob_key(b"not a blob"), None);
    }
}
