//! Envelope encryption: a fresh 256-bit data key per sealed value, AES-256-GCM with a random
//! nonce and associated data that binds the ciphertext to where it belongs; the data key wrapped
//! (AES-256-GCM again) by a key-encryption key derived from the keyring's root key.
//!
//! The root key never enters the database: it comes from a 0600 file or the environment (see the
//! server's config). A wrong root key, a swapped row or a flipped bit all end in
//! [`Error::DecryptionFailure`], never in garbage.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hkdf;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::{SealedValue, ValueKind};
use crate::names::Scope;

/// The id of the keyring key used when a secret names none (AWS: the account's
/// `aws/secretsmanager` managed key).
pub const DEFAULT_KEY_ID: &str = "aws/secretsmanager";
/// The alias AWS gives the default key.
pub const DEFAULT_KEY_ALIAS: &str = "alias/aws/secretsmanager";

/// Length of the root key and of every derived key, in bytes.
pub const KEY_LEN: usize = 32;

/// The keyring: the root key and what is derived from it.
pub struct Keyring {
    root: Zeroizing<[u8; KEY_LEN]>,
    rng: SystemRandom,
    /// Key-encryption keys already derived, by keyring key id. Deriving one takes an HKDF
    /// extract and expand; the hot read path opens a value per request, so they are kept.
    keks: RwLock<HashMap<String, Arc<LessSafeKey>>>,
    /// Dev mode's emulator behaviour: any well-formed KmsKeyId is taken and the value sealed
    /// under the default key (until customer keys exist, a suite's made-up key ids must work).
    accept_any_key_id: bool,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyring(<redacted>)")
    }
}

/// What a ciphertext is bound to. Every field goes into the AES-GCM associated data, length
/// prefixed so that no two different contexts encode to the same bytes.
#[derive(Debug, Clone, Copy)]
pub enum SealContext<'a> {
    /// A secret version's value.
    SecretValue {
        /// The secret's account and region.
        scope: &'a Scope,
        /// The secret's internal id.
        secret_id: &'a str,
        /// The version id.
        version_id: &'a str,
    },
    /// The secret half of an access key.
    AccessKey {
        /// The access key id.
        access_key_id: &'a str,
    },
    /// The contents of an STS session token, bound to its temporary access key id.
    SessionToken {
        /// The temporary access key id (`ASIA…`).
        access_key_id: &'a str,
    },
    /// The key material of a customer key (every generation), bound to the key.
    KmsKeyMaterial {
        /// The key's account and region.
        scope: &'a Scope,
        /// The key id.
        key_id: &'a str,
    },
}

impl SealContext<'_> {
    fn encode(&self, key_id: &str, kind: ValueKind) -> Vec<u8> {
        let parts: Vec<&str> = match self {
            Self::SecretValue {
                scope,
                secret_id,
                version_id,
            } => vec![
                "coffer-secret-value-v1",
                scope.account.as_str(),
                scope.region.as_str(),
                secret_id,
                version_id,
                kind.as_str(),
                key_id,
            ],
            Self::AccessKey { access_key_id } => {
                vec!["coffer-access-key-v1", access_key_id, kind.as_str(), key_id]
            }
            Self::SessionToken { access_key_id } => {
                vec![
                    "coffer-session-token-v1",
                    access_key_id,
                    kind.as_str(),
                    key_id,
                ]
            }
            Self::KmsKeyMaterial {
                scope,
                key_id: kms_key_id,
            } => vec![
                "coffer-kms-key-material-v1",
                scope.account.as_str(),
                scope.region.as_str(),
                kms_key_id,
                kind.as_str(),
                key_id,
            ],
        };
        let mut out = Vec::new();
        for part in parts {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

impl Keyring {
    /// A keyring over this root key.
    pub fn new(root: Zeroizing<[u8; KEY_LEN]>) -> Self {
        Self {
            root,
            rng: SystemRandom::new(),
            keks: RwLock::new(HashMap::new()),
            accept_any_key_id: false,
        }
    }

    /// This keyring, taking any well-formed KmsKeyId (key id, key ARN, alias name, alias ARN)
    /// as the default key: `coffer serve --dev`, an emulator for test suites, records and shows
    /// back the id a suite made up instead of refusing it. Never outside dev mode.
    pub fn accepting_any_key_id(mut self) -> Self {
        self.accept_any_key_id = true;
        self
    }

    /// A fresh random root key, for a new data directory or a dev-mode server.
    pub fn generate_root_key() -> Result<Zeroizing<[u8; KEY_LEN]>> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new()
            .fill(key.as_mut())
            .map_err(|_| Error::Internal("no randomness".into()))?;
        Ok(key)
    }

    /// Resolves a user's KmsKeyId to a keyring key id. For now the keyring has one key, the
    /// default; it answers to its alias in every form AWS accepts (alias name, alias ARN) and to
    /// its own key id and key ARN.
    pub fn resolve_kms_key(&self, kms_key_id: Option<&str>, scope: &Scope) -> Result<&'static str> {
        let Some(given) = kms_key_id else {
            return Ok(DEFAULT_KEY_ID);
        };
        let alias_arn = format!(
            "arn:aws:kms:{}:{}:{}",
            scope.region, scope.account, DEFAULT_KEY_ALIAS
        );
        let key_id = self.default_key_uuid();
        let key_arn = format!(
            "arn:aws:kms:{}:{}:key/{}",
            scope.region, scope.account, key_id
        );
        let default =
            given == DEFAULT_KEY_ALIAS || given == alias_arn || given == key_id || given == key_arn;
        if default || (self.accept_any_key_id && is_kms_key_id(given)) {
            Ok(DEFAULT_KEY_ID)
        } else {
            Err(Error::KmsKeyNotFound)
        }
    }

    /// Whether a KmsKeyId names the default key (its alias name or ARN, its key id or ARN).
    pub fn is_default_key(&self, given: &str, scope: &Scope) -> bool {
        self.resolve_kms_key_strict(given, scope)
    }

    fn resolve_kms_key_strict(&self, given: &str, scope: &Scope) -> bool {
        let alias_arn = format!(
            "arn:aws:kms:{}:{}:{}",
            scope.region, scope.account, DEFAULT_KEY_ALIAS
        );
        let key_id = self.default_key_uuid();
        let key_arn = format!(
            "arn:aws:kms:{}:{}:key/{}",
            scope.region, scope.account, key_id
        );
        given == DEFAULT_KEY_ALIAS || given == alias_arn || given == key_id || given == key_arn
    }

    /// Whether this is dev mode's keyring, which takes any well-formed KmsKeyId that names no
    /// customer key as the default key.
    pub fn accepts_any_key_id(&self) -> bool {
        self.accept_any_key_id
    }

    /// The default key's id in KMS's UUID form, derived from the root key so that every node of
    /// a deployment agrees on it without storing it.
    pub fn default_key_uuid(&self) -> String {
        let mut bytes = [0u8; 16];
        self.derive(b"coffer-kms-key-id-v1", DEFAULT_KEY_ID, &mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// The key of the audit trail's hash chain (an HMAC-SHA256 key), derived from the root
    /// key under a label of its own: whoever verifies the chain needs the root key, and the key
    /// opens nothing else.
    pub fn audit_chain_key(&self) -> Zeroizing<[u8; KEY_LEN]> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        self.derive(b"coffer-audit-chain-v1", "audit-chain", key.as_mut());
        key
    }

    fn derive(&self, salt: &[u8], info: &str, out: &mut [u8]) {
        struct Len(usize);
        impl hkdf::KeyType for Len {
            fn len(&self) -> usize {
                self.0
            }
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(self.root.as_ref());
        let info = [info.as_bytes()];
        // Expanding at most 255 * 32 bytes cannot fail; our outputs are 16 or 32 bytes.
        if let Ok(okm) = prk.expand(&info, Len(out.len())) {
            let _ = okm.fill(out);
        }
    }

    /// The key-encryption key for a keyring key id.
    fn kek(&self, key_id: &str) -> Result<Arc<LessSafeKey>> {
        if let Some(kek) = self
            .keks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key_id)
        {
            return Ok(kek.clone());
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        self.derive(b"coffer-kek-v1", key_id, bytes.as_mut());
        let kek = UnboundKey::new(&AES_256_GCM, bytes.as_ref())
            .map(|k| Arc::new(LessSafeKey::new(k)))
            .map_err(|_| Error::EncryptionFailure)?;
        self.keks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key_id.to_owned(), kek.clone());
        Ok(kek)
    }

    fn nonce(&self) -> Result<[u8; NONCE_LEN]> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| Error::EncryptionFailure)?;
        Ok(nonce)
    }

    /// Seals `plaintext` under a fresh data key wrapped by keyring key `key_id`.
    pub fn seal(
        &self,
        key_id: &str,
        kind: ValueKind,
        context: SealContext<'_>,
        plaintext: &[u8],
    ) -> Result<SealedValue> {
        self.seal_under(&*self.kek(key_id)?, key_id, kind, context, plaintext)
    }

    /// Seals `plaintext` under a fresh data key wrapped by a customer key's material (one
    /// generation, 32 bytes); `key_label` names that key and generation in the sealed value
    /// and is bound into the associated data.
    pub fn seal_with_material(
        &self,
        material: &[u8],
        key_label: &str,
        kind: ValueKind,
        context: SealContext<'_>,
        plaintext: &[u8],
    ) -> Result<SealedValue> {
        let kek = UnboundKey::new(&AES_256_GCM, material)
            .map(LessSafeKey::new)
            .map_err(|_| Error::EncryptionFailure)?;
        self.seal_under(&kek, key_label, kind, context, plaintext)
    }

    /// Opens a value [`Keyring::seal_with_material`] sealed, with the same material.
    pub fn open_with_material(
        &self,
        material: &[u8],
        context: SealContext<'_>,
        sealed: &SealedValue,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let kek = UnboundKey::new(&AES_256_GCM, material)
            .map(LessSafeKey::new)
            .map_err(|_| Error::DecryptionFailure)?;
        open_sealed(&kek, context, sealed)
    }

    fn seal_under(
        &self,
        kek: &LessSafeKey,
        key_id: &str,
        kind: ValueKind,
        context: SealContext<'_>,
        plaintext: &[u8],
    ) -> Result<SealedValue> {
        let aad = context.encode(key_id, kind);

        let mut data_key = Zeroizing::new([0u8; KEY_LEN]);
        self.rng
            .fill(data_key.as_mut())
            .map_err(|_| Error::EncryptionFailure)?;
        let value_key = UnboundKey::new(&AES_256_GCM, data_key.as_ref())
            .map(LessSafeKey::new)
            .map_err(|_| Error::EncryptionFailure)?;

        let nonce = self.nonce()?;
        let mut ciphertext = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        ciphertext.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        value_key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut body,
            )
            .map_err(|_| Error::EncryptionFailure)?;
        ciphertext.extend_from_slice(&body);

        let wrap_nonce = self.nonce()?;
        let mut wrapped_key = Vec::with_capacity(NONCE_LEN + KEY_LEN + 16);
        wrapped_key.extend_from_slice(&wrap_nonce);
        let mut key_body = data_key.to_vec();
        kek.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(wrap_nonce),
            Aad::from(&aad),
            &mut key_body,
        )
        .map_err(|_| Error::EncryptionFailure)?;
        wrapped_key.extend_from_slice(&key_body);

        Ok(SealedValue {
            key_id: key_id.to_owned(),
            wrapped_key,
            ciphertext,
            kind,
        })
    }

    /// Opens a sealed value that must belong to `context`.
    pub fn open(
        &self,
        context: SealContext<'_>,
        sealed: &SealedValue,
    ) -> Result<Zeroizing<Vec<u8>>> {
        open_sealed(&*self.kek(&sealed.key_id)?, context, sealed)
    }
}

/// Opens a sealed value whose data key `kek` wrapped.
fn open_sealed(
    kek: &LessSafeKey,
    context: SealContext<'_>,
    sealed: &SealedValue,
) -> Result<Zeroizing<Vec<u8>>> {
    let aad = context.encode(&sealed.key_id, sealed.kind);
    let data_key = Zeroizing::new(open_with(kek, &aad, &sealed.wrapped_key)?);
    if data_key.len() != KEY_LEN {
        return Err(Error::DecryptionFailure);
    }
    let value_key = UnboundKey::new(&AES_256_GCM, &data_key)
        .map(LessSafeKey::new)
        .map_err(|_| Error::DecryptionFailure)?;
    Ok(Zeroizing::new(open_with(
        &value_key,
        &aad,
        &sealed.ciphertext,
    )?))
}

/// Opens `nonce || ciphertext || tag`.
fn open_with(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(Error::DecryptionFailure);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| Error::DecryptionFailure)?;
    let mut buffer = body.to_vec();
    let plain_len = key
        .open_in_place(nonce, Aad::from(aad), &mut buffer)
        .map_err(|_| Error::DecryptionFailure)?
        .len();
    buffer.truncate(plain_len);
    Ok(buffer)
}

/// Whether `id` has one of the four forms KMS accepts for a key: a key id (a UUID, or `mrk-`
/// and 32 hex digits for a multi-Region key), a key ARN, an alias name (`alias/…`) or an alias
/// ARN.
pub fn is_kms_key_id(id: &str) -> bool {
    fn key_id(s: &str) -> bool {
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        if let Some(mrk) = s.strip_prefix("mrk-") {
            return hex(mrk, 32);
        }
        let parts: Vec<&str> = s.split('-').collect();
        parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| hex(p, n))
    }
    fn alias(s: &str) -> bool {
        s.strip_prefix("alias/").is_some_and(|name| {
            (1..=250).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
        })
    }
    if let Some(rest) = id.strip_prefix("arn:") {
        // arn:<partition>:kms:<region>:<account>:<key/id | alias/name>
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [partition, service, region, account, resource] = parts[..] else {
            return false;
        };
        let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        return partition.starts_with("aws")
            && service == "kms"
            && !region.is_empty()
            && account_ok
            && (resource.strip_prefix("key/").is_some_and(key_id) || alias(resource));
    }
    key_id(id) || alias(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{AccountId, Region};

    fn scope() -> Scope {
        Scope {
            account: AccountId::parse("123456789012").expect("valid"),
            region: Region::parse("us-east-1").expect("valid"),
        }
    }

    fn keyring() -> Keyring {
        Keyring::new(Keyring::generate_root_key().expect("rng"))
    }

    fn ctx<'a>(scope: &'a Scope, version: &'a str) -> SealContext<'a> {
        SealContext::SecretValue {
            scope,
            secret_id: "secret-1",
            version_id: version,
        }
    }

    #[test]
    fn round_trip_and_no_plaintext_in_ciphertext() {
        let ring = keyring();
        let scope = scope();
        let value = b"distinctive-plaintext-value-1234";
        let sealed = ring
            .seal(DEFAULT_KEY_ID, ValueKind::String, ctx(&scope, "v1"), value)
            .expect("seal");
        assert!(!sealed.ciphertext.windows(value.len()).any(|w| w == value));
        assert_eq!(
            ring.open(ctx(&scope, "v1"), &sealed)
                .expect("open")
                .as_slice(),
            value
        );
    }

    #[test]
    fn each_seal_uses_fresh_keys_and_nonces() {
        let ring = keyring();
        let scope = scope();
        let a = ring
            .seal(
                DEFAULT_KEY_ID,
                ValueKind::String,
                ctx(&scope, "v1"),
                b"same",
            )
            .expect("seal");
        let b = ring
            .seal(
                DEFAULT_KEY_ID,
                ValueKind::String,
                ctx(&scope, "v1"),
                b"same",
            )
            .expect("seal");
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_ne!(a.wrapped_key, b.wrapped_key);
    }

    #[test]
    fn wrong_root_key_fails() {
        let scope = scope();
        let sealed = keyring()
            .seal(DEFAULT_KEY_ID, ValueKind::String, ctx(&scope, "v1"), b"x")
            .expect("seal");
        assert!(matches!(
            keyring().open(ctx(&scope, "v1"), &sealed),
            Err(Error::DecryptionFailure)
        ));
    }

    #[test]
    fn moved_or_relabelled_ciphertext_fails() {
        let ring = keyring();
        let scope = scope();
        let sealed = ring
            .seal(DEFAULT_KEY_ID, ValueKind::String, ctx(&scope, "v1"), b"x")
            .expect("seal");
        // Another version, another secret, another kind, another region: all refused.
        assert!(ring.open(ctx(&scope, "v2"), &sealed).is_err());
        let other_secret = SealContext::SecretValue {
            scope: &scope,
            secret_id: "secret-2",
            version_id: "v1",
        };
        assert!(ring.open(other_secret, &sealed).is_err());
        let mut binary = sealed.clone();
        binary.kind = ValueKind::Binary;
        assert!(ring.open(ctx(&scope, "v1"), &binary).is_err());
        let other_region = Scope {
            region: Region::parse("eu-west-1").expect("valid"),
            ..scope.clone()
        };
        assert!(ring.open(ctx(&other_region, "v1"), &sealed).is_err());
    }

    #[test]
    fn any_flipped_bit_fails() {
        let ring = keyring();
        let scope = scope();
        let sealed = ring
            .seal(
                DEFAULT_KEY_ID,
                ValueKind::Binary,
                ctx(&scope, "v1"),
                b"payload",
            )
            .expect("seal");
        for i in 0..sealed.ciphertext.len() {
            let mut bad = sealed.clone();
            bad.ciphertext[i] ^= 1;
            assert!(matches!(
                ring.open(ctx(&scope, "v1"), &bad),
                Err(Error::DecryptionFailure)
            ));
        }
        for i in 0..sealed.wrapped_key.len() {
            let mut bad = sealed.clone();
            bad.wrapped_key[i] ^= 0x80;
            assert!(matches!(
                ring.open(ctx(&scope, "v1"), &bad),
                Err(Error::DecryptionFailure)
            ));
        }
        let mut truncated = sealed.clone();
        truncated.ciphertext.truncate(10);
        assert!(matches!(
            ring.open(ctx(&scope, "v1"), &truncated),
            Err(Error::DecryptionFailure)
        ));
    }

    #[test]
    fn kms_key_resolution() {
        let ring = keyring();
        let scope = scope();
        assert_eq!(
            ring.resolve_kms_key(None, &scope).expect("default"),
            DEFAULT_KEY_ID
        );
        assert_eq!(
            ring.resolve_kms_key(Some("alias/aws/secretsmanager"), &scope)
                .expect("alias"),
            DEFAULT_KEY_ID
        );
        let alias_arn = "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager";
        assert_eq!(
            ring.resolve_kms_key(Some(alias_arn), &scope)
                .expect("alias arn"),
            DEFAULT_KEY_ID
        );
        let key_arn = format!(
            "arn:aws:kms:us-east-1:123456789012:key/{}",
            ring.default_key_uuid()
        );
        assert_eq!(
            ring.resolve_kms_key(Some(&key_arn), &scope)
                .expect("key arn"),
            DEFAULT_KEY_ID
        );
        assert!(matches!(
            ring.resolve_kms_key(Some("alias/other"), &scope),
            Err(Error::KmsKeyNotFound)
        ));
        // Dev mode takes any well-formed key id, never a malformed one.
        let dev = Keyring::new(Keyring::generate_root_key().expect("key")).accepting_any_key_id();
        for made_up in [
            "alias/other",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:eu-west-1:111122223333:alias/team-a",
        ] {
            assert_eq!(
                dev.resolve_kms_key(Some(made_up), &scope).expect(made_up),
                DEFAULT_KEY_ID
            );
        }
        for malformed in [
            "",
            "not-a-key",
            "alias/",
            "alias/has space",
            "1234abcd-12ab-34cd-56ef-1234567890",
            "arn:aws:kms:eu-west-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:s3:eu-west-1:111122223333:alias/team-a",
        ] {
            assert!(
                matches!(
                    dev.resolve_kms_key(Some(malformed), &scope),
                    Err(Error::KmsKeyNotFound)
                ),
                "{malformed:?}"
            );
        }
        // The same root key gives the same key id on every node.
        assert_eq!(ring.default_key_uuid(), ring.default_key_uuid());
    }
}
