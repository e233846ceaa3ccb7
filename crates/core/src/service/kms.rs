//! Customer keys: the KMS operations coffer serves (`TrentService.*`). Each resolves the key a
//! request names in the caller's account and region, authorizes `kms:<Action>` on the key's ARN
//! (identity policies; a key's default policy grants the account root, which is what identity
//! policies already mean in one account), checks the key's state and does its work.
//!
//! Messages are KMS's where they are known (see docs/keys.md for the ones coffer words itself).

use std::collections::BTreeMap;

use chrono::Duration;
use zeroize::Zeroizing;

use super::{Authority, Service, Target};
use crate::crypto::{SealContext, DEFAULT_KEY_ID};
use crate::error::{Error, KmsErrorKind as K, Result};
use crate::kms::{self, KeyState, KmsAlias, KmsKeyRecord, MATERIAL_LEN};
use crate::model::ValueKind;
use crate::names::Scope;
use crate::policy::{Policy, PolicyKind};

/// The default page size of ListKeys and ListAliases.
const DEFAULT_LIMIT: usize = 100;
/// ScheduleKeyDeletion's default and bounds of the pending window, in days.
const DEFAULT_PENDING_WINDOW: i64 = 30;
const MIN_PENDING_WINDOW: i64 = 7;
const MAX_PENDING_WINDOW: i64 = 30;
/// The prefix of every alias name.
const ALIAS_PREFIX: &str = "alias/";
/// The alias prefix AWS reserves for its managed keys.
const RESERVED_ALIAS_PREFIX: &str = "alias/aws/";

fn err(kind: K, message: impl Into<String>) -> Error {
    Error::Kms(kind, message.into())
}

/// What CreateKey asks for; everything but a symmetric encryption key of coffer's own
/// material is refused.
#[derive(Debug, Default, Clone)]
pub struct CreateKeyInput {
    /// The description.
    pub description: Option<String>,
    /// The key policy; the default policy when absent.
    pub policy: Option<String>,
    /// `KeyUsage`.
    pub key_usage: Option<String>,
    /// `KeySpec` (or the deprecated `CustomerMasterKeySpec`).
    pub key_spec: Option<String>,
    /// `Origin`.
    pub origin: Option<String>,
    /// Whether a custom or external key store was named.
    pub key_store: bool,
    /// `MultiRegion`.
    pub multi_region: bool,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

/// How a cryptographic call names the data it works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKeyReturn {
    /// GenerateDataKey: the plaintext data key too.
    WithPlaintext,
    /// GenerateDataKeyWithoutPlaintext.
    WithoutPlaintext,
}

/// What Encrypt, Decrypt and GenerateDataKey answer.
pub struct CryptoOutput {
    /// The key ARN.
    pub key_arn: String,
    /// The ciphertext blob (Encrypt, GenerateDataKey).
    pub ciphertext: Option<Vec<u8>>,
    /// The plaintext (Decrypt, GenerateDataKey).
    pub plaintext: Option<Zeroizing<Vec<u8>>>,
}

/// A page of a listing and where the next starts.
pub struct KmsPage<T> {
    /// The entries.
    pub items: Vec<T>,
    /// The marker of the next page, when there is one.
    pub next_marker: Option<String>,
}

/// The default key policy of a key: the account root may do everything, so the account's
/// identity policies decide (AWS's `key-default-1`).
pub fn default_key_policy(scope: &Scope) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \
         \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \
         \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{}:root\"\n    }},\n    \
         \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}",
        scope.account
    )
}

/// How a request names a key.
enum KeyRef<'a> {
    /// A key id (from a UUID or a key ARN of the caller's scope).
    Key(&'a str),
    /// An alias name (from `alias/…` or an alias ARN of the caller's scope).
    Alias(&'a str),
    /// An ARN of another account or region: no key of the caller's scope.
    Elsewhere,
    /// Nothing KMS recognises.
    Invalid,
}

fn key_ref<'a>(scope: &Scope, given: &'a str) -> KeyRef<'a> {
    if let Some(rest) = given.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [partition, service, region, account, resource] = parts[..] else {
            return KeyRef::Invalid;
        };
        if !partition.starts_with("aws") || service != "kms" {
            return KeyRef::Invalid;
        }
        let here = region == scope.region.as_str() && account == scope.account.as_str();
        return match (
            resource.strip_prefix("key/"),
            resource.starts_with(ALIAS_PREFIX),
        ) {
            (Some(id), _) if kms::is_key_uuid(id) => {
                if here {
                    KeyRef::Key(id)
                } else {
                    KeyRef::Elsewhere
                }
            }
            (None, true) if here => KeyRef::Alias(resource),
            (None, true) => KeyRef::Elsewhere,
            _ => KeyRef::Invalid,
        };
    }
    if given.starts_with(ALIAS_PREFIX) {
        KeyRef::Alias(given)
    } else if kms::is_key_uuid(given) {
        KeyRef::Key(given)
    } else {
        KeyRef::Invalid
    }
}

/// Whether aliases may name the key in this call.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Aliases {
    Accepted,
    Refused,
}

fn key_not_found(arn: &str) -> Error {
    err(K::NotFound, format!("Key '{arn}' does not exist"))
}

fn alias_not_found(arn: &str) -> Error {
    err(K::NotFound, format!("Alias {arn} is not found."))
}

fn invalid_key_id(given: &str) -> Error {
    err(K::NotFound, format!("Invalid keyId {given}"))
}

/// A key usable for cryptography, or KMS's refusal.
fn usable(key: &KmsKeyRecord) -> Result<()> {
    match key.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(err(K::Disabled, format!("{} is disabled.", key.arn()))),
        KeyState::PendingDeletion => Err(pending_deletion(key)),
    }
}

fn pending_deletion(key: &KmsKeyRecord) -> Error {
    err(
        K::InvalidState,
        format!("{} is pending deletion.", key.arn()),
    )
}

/// `Limit` and `Marker` as an offset and a count.
fn page_bounds(limit: Option<i64>, marker: Option<&str>, len: usize) -> Result<(usize, usize)> {
    let start = match marker {
        None => 0,
        Some(marker) => marker
            .parse::<usize>()
            .ok()
            .filter(|start| *start <= len)
            .ok_or_else(|| err(K::InvalidMarker, "Invalid marker"))?,
    };
    let limit = limit
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(DEFAULT_LIMIT);
    Ok((start, limit))
}

fn page<T>(items: Vec<T>, start: usize, limit: usize) -> KmsPage<T> {
    let end = start.saturating_add(limit).min(items.len());
    let next_marker = (end < items.len()).then(|| end.to_string());
    KmsPage {
        items: items.into_iter().skip(start).take(end - start).collect(),
        next_marker,
    }
}

/// The key that seals a secret's new version.
pub(super) enum SealKey {
    /// A keyring key (the default key).
    Keyring(&'static str),
    /// One generation of a customer key's material, and the label the version records.
    Customer {
        /// `kms-key/<key id>/<generation>`.
        label: String,
        /// The generation's material.
        material: Zeroizing<Vec<u8>>,
    },
}

/// A secret's KmsKeyId as read before its update, and the key resolved for it.
pub(super) type PreResolved = (Option<String>, Result<SealKey>);

/// What Secrets Manager answers a caller who may not use the secret's customer key.
fn kms_access_denied(e: Error) -> Error {
    match e {
        Error::AccessDenied(_) => Error::AccessDenied("Access to KMS is not allowed".into()),
        other => other,
    }
}

impl Service {
    /// The key a secret's new version is sealed with (CreateSecret, UpdateSecret and
    /// PutSecretValue): the default key, or a customer key of the caller's account and region
    /// that is enabled and that the caller may use (`kms:GenerateDataKey`). In dev mode a
    /// well-formed id that names no customer key seals under the default key.
    pub(super) async fn secret_seal_key(
        &self,
        who: &(impl Authority + ?Sized),
        scope: &Scope,
        kms_key_id: Option<&str>,
    ) -> Result<SealKey> {
        let Some(given) = kms_key_id else {
            return Ok(SealKey::Keyring(DEFAULT_KEY_ID));
        };
        if self.keyring.is_default_key(given, scope) {
            return Ok(SealKey::Keyring(DEFAULT_KEY_ID));
        }
        let key = match self.resolve_key(scope, given, Aliases::Accepted).await {
            Ok(key) => key,
            Err(Error::Kms(..))
                if self.keyring.accepts_any_key_id() && crate::crypto::is_kms_key_id(given) =>
            {
                match self.create_on_first_use(scope, given).await? {
                    Some(key) => key,
                    None => return Ok(SealKey::Keyring(DEFAULT_KEY_ID)),
                }
            }
            Err(Error::Kms(..)) => return Err(Error::KmsKeyNotFound),
            Err(other) => return Err(other),
        };
        self.authorize_key(who, "kms:GenerateDataKey", &key)
            .map_err(kms_access_denied)?;
        if key.state != KeyState::Enabled {
            return Err(Error::KmsKeyNotFound);
        }
        let material = self.open_material(&key)?;
        let generation = u32::try_from(material.len() / MATERIAL_LEN - 1)
            .map_err(|_| Error::Internal("too many key material generations".into()))?;
        let current = Zeroizing::new(generation_material(&material, generation)?.to_vec());
        Ok(SealKey::Customer {
            label: kms::customer_label(&key.key_id, generation),
            material: current,
        })
    }

    /// The seal key of an existing secret's next version, resolved before the secret is locked
    /// (resolving reads the store, which a mutation cannot): the secret's KmsKeyId as read
    /// and the outcome, or `None` when the secret was not found here (the locked update
    /// answers that). A store that cannot be read fails the call here, at once, rather than
    /// again at the lock: an outage costs the caller one wait for a connection, not two.
    pub(super) async fn existing_seal_key(
        &self,
        who: &(impl Authority + ?Sized),
        secret_id: &str,
    ) -> Result<Option<PreResolved>> {
        let record = match self
            .find(who.scope(), &crate::names::SecretId::parse(secret_id))
            .await
        {
            Ok(record) => record,
            Err(Error::Store(cause)) => return Err(Error::Store(cause)),
            Err(_) => return Ok(None),
        };
        let outcome = self
            .secret_seal_key(who, &record.scope, record.kms_key_id.as_deref())
            .await;
        Ok(Some((record.kms_key_id, outcome)))
    }

    /// Inside a locked update: the pre-resolved seal key, if it was resolved for the KmsKeyId
    /// the locked record has; the default key for a secret without one; else a refusal (the
    /// key changed between the read and the lock).
    pub(super) fn pick_seal_key<'k>(
        pre: &'k Option<PreResolved>,
        record: &crate::model::SecretRecord,
    ) -> Result<&'k SealKey> {
        const DEFAULT: SealKey = SealKey::Keyring(DEFAULT_KEY_ID);
        match pre {
            Some((id, outcome)) if *id == record.kms_key_id => match outcome {
                Ok(key) => Ok(key),
                Err(Error::AccessDenied(message)) => Err(Error::AccessDenied(message.clone())),
                Err(Error::DecryptionFailure) => Err(Error::DecryptionFailure),
                Err(_) => Err(Error::KmsKeyNotFound),
            },
            _ if record.kms_key_id.is_none() => Ok(&DEFAULT),
            _ => Err(Error::KmsKeyNotFound),
        }
    }

    /// The material that opens a version sealed under customer key `key_id`, generation
    /// `generation`, for a caller that may use it (`kms:Decrypt`): a key disabled, pending
    /// deletion or deleted opens nothing (`DecryptionFailure`).
    pub(super) async fn secret_open_material(
        &self,
        who: &(impl Authority + ?Sized),
        scope: &Scope,
        key_id: &str,
        generation: u32,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let key = self
            .live_key(scope, key_id)
            .await?
            .ok_or(Error::DecryptionFailure)?;
        self.authorize_key(who, "kms:Decrypt", &key)
            .map_err(kms_access_denied)?;
        if key.state != KeyState::Enabled {
            return Err(Error::DecryptionFailure);
        }
        let material = self.open_material(&key)?;
        let generation = generation_material(&material, generation)
            .map_err(|_| Error::DecryptionFailure)?
            .to_vec();
        Ok(Zeroizing::new(generation))
    }

    /// A key of the scope by id, unless its deletion date has passed (then it is gone).
    async fn live_key(&self, scope: &Scope, key_id: &str) -> Result<Option<KmsKeyRecord>> {
        let now = self.now();
        Ok(self
            .store
            .find_kms_key(scope, key_id)
            .await?
            .filter(|key| !key.deleted_at(now)))
    }

    /// The key a request's KeyId names in the caller's scope.
    async fn resolve_key(
        &self,
        scope: &Scope,
        given: &str,
        aliases: Aliases,
    ) -> Result<KmsKeyRecord> {
        match key_ref(scope, given) {
            KeyRef::Key(id) => self
                .live_key(scope, id)
                .await?
                .ok_or_else(|| key_not_found(&kms::key_arn(scope, id))),
            KeyRef::Alias(name) if aliases == Aliases::Accepted => {
                let arn = kms::alias_arn(scope, name);
                let alias = self
                    .store
                    .list_kms_aliases(scope)
                    .await?
                    .into_iter()
                    .find(|alias| alias.name == name)
                    .ok_or_else(|| alias_not_found(&arn))?;
                self.live_key(scope, &alias.target_key_id)
                    .await?
                    .ok_or_else(|| alias_not_found(&arn))
            }
            KeyRef::Elsewhere if given.contains(":key/") => Err(key_not_found(given)),
            KeyRef::Elsewhere => Err(alias_not_found(given)),
            KeyRef::Alias(_) | KeyRef::Invalid => Err(invalid_key_id(given)),
        }
    }

    /// Authorizes `kms:<action>` on a key.
    fn authorize_key(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        key: &KmsKeyRecord,
    ) -> Result<()> {
        let arn = key.arn();
        self.authorize(
            who,
            action,
            Target::Arn {
                arn: &arn,
                account: key.scope.account.as_str(),
            },
            |_| {},
        )
    }

    /// Resolves and authorizes in one step.
    async fn authorized_key(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        given: &str,
        aliases: Aliases,
    ) -> Result<KmsKeyRecord> {
        let key = self.resolve_key(who.scope(), given, aliases).await?;
        self.authorize_key(who, action, &key)?;
        Ok(key)
    }

    /// Every generation of a key's material, opened.
    fn open_material(&self, key: &KmsKeyRecord) -> Result<Zeroizing<Vec<u8>>> {
        let material = self.keyring.open(
            SealContext::KmsKeyMaterial {
                scope: &key.scope,
                key_id: &key.key_id,
            },
            &key.material,
        )?;
        if material.is_empty() || material.len() % MATERIAL_LEN != 0 {
            return Err(Error::Internal("key material of the wrong length".into()));
        }
        Ok(material)
    }

    /// `CreateKey`.
    pub async fn create_key(
        &self,
        who: &(impl Authority + ?Sized),
        input: CreateKeyInput,
    ) -> Result<KmsKeyRecord> {
        self.authorize(who, "kms:CreateKey", Target::Any, |_| {})?;
        let unsupported = |what: &str| {
            err(
                K::Unsupported,
                format!("{what} is not supported: coffer's KMS creates symmetric encryption keys (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT) with key material it generates."),
            )
        };
        if let Some(spec) = input
            .key_spec
            .as_deref()
            .filter(|s| *s != "SYMMETRIC_DEFAULT")
        {
            return Err(unsupported(&format!("KeySpec {spec}")));
        }
        if let Some(usage) = input
            .key_usage
            .as_deref()
            .filter(|u| *u != "ENCRYPT_DECRYPT")
        {
            return Err(unsupported(&format!("KeyUsage {usage}")));
        }
        if let Some(origin) = input.origin.as_deref().filter(|o| *o != "AWS_KMS") {
            return Err(unsupported(&format!("Origin {origin}")));
        }
        if input.key_store {
            return Err(unsupported("A custom key store"));
        }
        if input.multi_region {
            return Err(unsupported("A multi-Region key"));
        }
        let scope = who.scope().clone();
        let policy = match input.policy {
            Some(policy) => {
                if let Err(e) = Policy::parse(&policy, PolicyKind::Resource) {
                    return Err(err(K::MalformedPolicy, e.to_string()));
                }
                policy
            }
            None => default_key_policy(&scope),
        };
        let key = self.new_key(
            scope,
            uuid::Uuid::new_v4().to_string(),
            input.description.unwrap_or_default(),
            policy,
            input.tags,
        )?;
        self.store.insert_kms_key(&key).await?;
        Ok(key)
    }

    /// A new enabled key with fresh material, not yet stored.
    fn new_key(
        &self,
        scope: Scope,
        key_id: String,
        description: String,
        policy: String,
        tags: Vec<(String, String)>,
    ) -> Result<KmsKeyRecord> {
        let mut material = Zeroizing::new([0u8; MATERIAL_LEN]);
        kms::random(material.as_mut())?;
        let sealed = self.keyring.seal(
            DEFAULT_KEY_ID,
            ValueKind::Binary,
            SealContext::KmsKeyMaterial {
                scope: &scope,
                key_id: &key_id,
            },
            material.as_ref(),
        )?;
        Ok(KmsKeyRecord {
            scope,
            key_id,
            description,
            created: self.now(),
            state: KeyState::Enabled,
            deletion_date: None,
            pending_window_days: None,
            policy,
            tags,
            material: sealed,
        })
    }

    /// Dev mode: the customer key an unknown KmsKeyId names, created on first use (a key id or
    /// key ARN of the caller's scope: a key of that id; an alias name or alias ARN: a new key
    /// and the alias). `None` for a form that cannot be created here (`mrk-` ids, another
    /// account's or region's ARN).
    async fn create_on_first_use(
        &self,
        scope: &Scope,
        given: &str,
    ) -> Result<Option<KmsKeyRecord>> {
        let (key_id, alias) = match key_ref(scope, given) {
            KeyRef::Key(id) => (id.to_owned(), None),
            KeyRef::Alias(name) => (uuid::Uuid::new_v4().to_string(), Some(name.to_owned())),
            KeyRef::Elsewhere | KeyRef::Invalid => return Ok(None),
        };
        let key = self.new_key(
            scope.clone(),
            key_id,
            "Created by coffer --dev on first use as a secret's KmsKeyId".to_owned(),
            default_key_policy(scope),
            Vec::new(),
        )?;
        // A racing first use of the same id may have created it: then that key is used.
        if self.store.insert_kms_key(&key).await.is_err() {
            return self.live_key(scope, &key.key_id).await;
        }
        if let Some(name) = alias {
            let now = self.now();
            let alias = KmsAlias {
                scope: scope.clone(),
                name,
                target_key_id: key.key_id.clone(),
                created: now,
                updated: now,
            };
            if !self.store.put_kms_alias(&alias, true).await? {
                // Created meanwhile by another first use: the alias's key is the one to use.
                return self
                    .resolve_key(scope, &alias.name, Aliases::Accepted)
                    .await
                    .map(Some);
            }
        }
        Ok(Some(key))
    }

    /// `DescribeKey`.
    pub async fn describe_key(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
    ) -> Result<KmsKeyRecord> {
        self.authorized_key(who, "kms:DescribeKey", key_id, Aliases::Accepted)
            .await
    }

    /// `ListKeys`.
    pub async fn list_keys(
        &self,
        who: &(impl Authority + ?Sized),
        limit: Option<i64>,
        marker: Option<&str>,
    ) -> Result<KmsPage<KmsKeyRecord>> {
        self.authorize(who, "kms:ListKeys", Target::Any, |_| {})?;
        let now = self.now();
        let keys: Vec<KmsKeyRecord> = self
            .store
            .list_kms_keys(who.scope())
            .await?
            .into_iter()
            .filter(|key| !key.deleted_at(now))
            .collect();
        let (start, limit) = page_bounds(limit, marker, keys.len())?;
        Ok(page(keys, start, limit))
    }

    /// Checks an alias name that CreateAlias, UpdateAlias or DeleteAlias is given.
    fn check_alias_name(name: &str) -> Result<()> {
        if !name.starts_with(ALIAS_PREFIX) {
            return Err(err(K::Validation, "Invalid identifier"));
        }
        if name.starts_with(RESERVED_ALIAS_PREFIX) {
            return Err(err(K::NotAuthorized, ""));
        }
        if name.contains(':') {
            return Err(err(
                K::Validation,
                format!("{name} contains invalid characters for an alias"),
            ));
        }
        if name.len() == ALIAS_PREFIX.len() {
            return Err(err(
                K::InvalidAliasName,
                "Alias must be of the form alias/<name>.",
            ));
        }
        Ok(())
    }

    /// The target key of CreateAlias and UpdateAlias: a key id or key ARN, usable for an alias.
    async fn alias_target(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        target: &str,
    ) -> Result<KmsKeyRecord> {
        if target.starts_with(ALIAS_PREFIX) || target.contains(":alias/") {
            return Err(err(
                K::Validation,
                "Aliases must refer to keys. Not aliases",
            ));
        }
        let key = self
            .authorized_key(who, action, target, Aliases::Refused)
            .await?;
        if key.state == KeyState::PendingDeletion {
            return Err(pending_deletion(&key));
        }
        Ok(key)
    }

    /// `CreateAlias`.
    pub async fn create_alias(
        &self,
        who: &(impl Authority + ?Sized),
        name: &str,
        target: &str,
    ) -> Result<()> {
        let (stored, arn) = self
            .put_alias(who, "kms:CreateAlias", name, target, true)
            .await?;
        if stored {
            Ok(())
        } else {
            Err(err(
                K::AlreadyExists,
                format!("An alias with the name {arn} already exists"),
            ))
        }
    }

    /// `UpdateAlias`.
    pub async fn update_alias(
        &self,
        who: &(impl Authority + ?Sized),
        name: &str,
        target: &str,
    ) -> Result<()> {
        let (stored, arn) = self
            .put_alias(who, "kms:UpdateAlias", name, target, false)
            .await?;
        if stored {
            Ok(())
        } else {
            Err(alias_not_found(&arn))
        }
    }

    /// CreateAlias (`create`) and UpdateAlias: the name checked, the target key resolved and
    /// `action` authorized on it and on the alias's ARN, then the alias stored; whether the
    /// store took it (a new name, or an existing one) and the alias's ARN.
    async fn put_alias(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        name: &str,
        target: &str,
        create: bool,
    ) -> Result<(bool, String)> {
        Self::check_alias_name(name)?;
        let key = self.alias_target(who, action, target).await?;
        let scope = who.scope();
        let arn = kms::alias_arn(scope, name);
        self.authorize(
            who,
            action,
            Target::Arn {
                arn: &arn,
                account: scope.account.as_str(),
            },
            |_| {},
        )?;
        let now = self.now();
        let alias = KmsAlias {
            scope: scope.clone(),
            name: name.to_owned(),
            target_key_id: key.key_id,
            created: now,
            updated: now,
        };
        let stored = self.store.put_kms_alias(&alias, create).await?;
        Ok((stored, arn))
    }

    /// `DeleteAlias`.
    pub async fn delete_alias(&self, who: &(impl Authority + ?Sized), name: &str) -> Result<()> {
        Self::check_alias_name(name)?;
        let scope = who.scope();
        let arn = kms::alias_arn(scope, name);
        self.authorize(
            who,
            "kms:DeleteAlias",
            Target::Arn {
                arn: &arn,
                account: scope.account.as_str(),
            },
            |_| {},
        )?;
        if self.store.delete_kms_alias(scope, name).await? {
            Ok(())
        } else {
            Err(alias_not_found(&arn))
        }
    }

    /// `ListAliases`: every alias of the scope, or those of one key.
    pub async fn list_aliases(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: Option<&str>,
        limit: Option<i64>,
        marker: Option<&str>,
    ) -> Result<KmsPage<KmsAlias>> {
        let scope = who.scope();
        let only = match key_id {
            Some(given) => {
                let key = self.resolve_key(scope, given, Aliases::Refused).await?;
                self.authorize_key(who, "kms:ListAliases", &key)?;
                Some(key.key_id)
            }
            None => {
                self.authorize(who, "kms:ListAliases", Target::Any, |_| {})?;
                None
            }
        };
        let now = self.now();
        let live: std::collections::HashSet<String> = self
            .store
            .list_kms_keys(scope)
            .await?
            .into_iter()
            .filter(|key| !key.deleted_at(now))
            .map(|key| key.key_id)
            .collect();
        let aliases: Vec<KmsAlias> = self
            .store
            .list_kms_aliases(scope)
            .await?
            .into_iter()
            .filter(|alias| live.contains(&alias.target_key_id))
            .filter(|alias| only.as_ref().is_none_or(|id| *id == alias.target_key_id))
            .collect();
        let (start, limit) = page_bounds(limit, marker, aliases.len())?;
        Ok(page(aliases, start, limit))
    }

    /// `EnableKey` (`enable`) and `DisableKey` (`!enable`).
    pub async fn set_key_enabled(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
        enable: bool,
    ) -> Result<()> {
        let action = if enable {
            "kms:EnableKey"
        } else {
            "kms:DisableKey"
        };
        let mut key = self
            .authorized_key(who, action, key_id, Aliases::Refused)
            .await?;
        if key.state == KeyState::PendingDeletion {
            return Err(pending_deletion(&key));
        }
        let state = if enable {
            KeyState::Enabled
        } else {
            KeyState::Disabled
        };
        if key.state != state {
            key.state = state;
            self.save_key(&key).await?;
        }
        Ok(())
    }

    async fn save_key(&self, key: &KmsKeyRecord) -> Result<()> {
        if self.store.update_kms_key(key).await? {
            Ok(())
        } else {
            Err(key_not_found(&key.arn()))
        }
    }

    /// `ScheduleKeyDeletion`.
    pub async fn schedule_key_deletion(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
        pending_window_in_days: Option<i64>,
    ) -> Result<KmsKeyRecord> {
        let days = pending_window_in_days.unwrap_or(DEFAULT_PENDING_WINDOW);
        let bound = if days < MIN_PENDING_WINDOW {
            Some(format!("greater than or equal to {MIN_PENDING_WINDOW}"))
        } else if days > MAX_PENDING_WINDOW {
            Some(format!("less than or equal to {MAX_PENDING_WINDOW}"))
        } else {
            None
        };
        if let Some(bound) = bound {
            return Err(err(
                K::Validation,
                format!("1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value {bound}"),
            ));
        }
        let mut key = self
            .authorized_key(who, "kms:ScheduleKeyDeletion", key_id, Aliases::Refused)
            .await?;
        if key.state == KeyState::PendingDeletion {
            return Err(pending_deletion(&key));
        }
        key.state = KeyState::PendingDeletion;
        key.deletion_date = Some(self.now() + Duration::days(days));
        key.pending_window_days = Some(days);
        self.save_key(&key).await?;
        Ok(key)
    }

    /// `CancelKeyDeletion`: the key comes back disabled, as in KMS.
    pub async fn cancel_key_deletion(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
    ) -> Result<KmsKeyRecord> {
        let mut key = self
            .authorized_key(who, "kms:CancelKeyDeletion", key_id, Aliases::Refused)
            .await?;
        if key.state != KeyState::PendingDeletion {
            return Err(err(
                K::InvalidState,
                format!("{} is not pending deletion.", key.arn()),
            ));
        }
        key.state = KeyState::Disabled;
        key.deletion_date = None;
        key.pending_window_days = None;
        self.save_key(&key).await?;
        Ok(key)
    }

    /// `TagResource` (`add`) and `UntagResource` (`remove`): tags are replaced by key, added
    /// in order; a key pending deletion refuses both.
    pub async fn change_key_tags(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
        add: &[(String, String)],
        remove: &[String],
    ) -> Result<()> {
        let action = if add.is_empty() {
            "kms:UntagResource"
        } else {
            "kms:TagResource"
        };
        let mut key = self
            .authorized_key(who, action, key_id, Aliases::Refused)
            .await?;
        if key.state == KeyState::PendingDeletion {
            return Err(pending_deletion(&key));
        }
        key.tags.retain(|(k, _)| !remove.contains(k));
        for (k, v) in add {
            match key.tags.iter_mut().find(|(existing, _)| existing == k) {
                Some(slot) => slot.1 = v.clone(),
                None => key.tags.push((k.clone(), v.clone())),
            }
        }
        self.save_key(&key).await
    }

    /// `ListResourceTags`.
    pub async fn list_key_tags(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
        limit: Option<i64>,
        marker: Option<&str>,
    ) -> Result<KmsPage<(String, String)>> {
        let key = self
            .authorized_key(who, "kms:ListResourceTags", key_id, Aliases::Refused)
            .await?;
        let (start, limit) = page_bounds(limit, marker, key.tags.len())?;
        Ok(page(key.tags, start, limit))
    }

    /// `GetKeyPolicy` (`policy: None`) and `PutKeyPolicy`: a key has one policy, `default`.
    pub async fn key_policy(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
        policy_name: Option<&str>,
        policy: Option<&str>,
    ) -> Result<String> {
        let action = if policy.is_some() {
            "kms:PutKeyPolicy"
        } else {
            "kms:GetKeyPolicy"
        };
        let mut key = self
            .authorized_key(who, action, key_id, Aliases::Refused)
            .await?;
        if policy_name.is_some_and(|name| name != "default") {
            return Err(err(K::NotFound, "No such policy exists"));
        }
        let Some(policy) = policy else {
            return Ok(key.policy);
        };
        if let Err(e) = Policy::parse(policy, PolicyKind::Resource) {
            return Err(err(K::MalformedPolicy, e.to_string()));
        }
        if key.state == KeyState::PendingDeletion {
            return Err(pending_deletion(&key));
        }
        key.policy = policy.to_owned();
        self.save_key(&key).await?;
        Ok(key.policy)
    }

    /// `RotateKeyOnDemand`: a new generation of material becomes the one that encrypts; every
    /// earlier generation stays, so what it encrypted (ciphertext blobs, secret versions)
    /// still decrypts.
    pub async fn rotate_key_on_demand(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
    ) -> Result<KmsKeyRecord> {
        let mut key = self
            .authorized_key(who, "kms:RotateKeyOnDemand", key_id, Aliases::Refused)
            .await?;
        usable(&key)?;
        let mut material = self.open_material(&key)?;
        let mut fresh = Zeroizing::new([0u8; MATERIAL_LEN]);
        kms::random(fresh.as_mut())?;
        material.extend_from_slice(fresh.as_ref());
        let previous = std::mem::take(&mut key.material.wrapped_key);
        key.material = self.keyring.seal(
            DEFAULT_KEY_ID,
            ValueKind::Binary,
            SealContext::KmsKeyMaterial {
                scope: &key.scope,
                key_id: &key.key_id,
            },
            &material,
        )?;
        if self.store.replace_kms_key_material(&key, &previous).await? {
            Ok(key)
        } else {
            Err(err(
                K::Conflict,
                format!(
                    "{} was rotated by another request at the same time; retry.",
                    key.arn()
                ),
            ))
        }
    }

    /// The key and its current material generation for Encrypt and GenerateDataKey.
    async fn encryption_key(
        &self,
        who: &(impl Authority + ?Sized),
        action: &str,
        key_id: &str,
        dry_run: bool,
    ) -> Result<(KmsKeyRecord, Zeroizing<Vec<u8>>, u32)> {
        let key = self
            .authorized_key(who, action, key_id, Aliases::Accepted)
            .await?;
        usable(&key)?;
        if dry_run {
            return Err(dry_run_error());
        }
        let material = self.open_material(&key)?;
        let generations = material.len() / MATERIAL_LEN;
        let generation = u32::try_from(generations - 1)
            .map_err(|_| Error::Internal("too many key material generations".into()))?;
        Ok((key, material, generation))
    }

    /// `Encrypt`.
    pub async fn kms_encrypt(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
        plaintext: &[u8],
        context: &BTreeMap<String, String>,
        dry_run: bool,
    ) -> Result<CryptoOutput> {
        let (key, material, generation) = self
            .encryption_key(who, "kms:Encrypt", key_id, dry_run)
            .await?;
        let current = generation_material(&material, generation)?;
        let blob = kms::encrypt_blob(
            current,
            &key.scope,
            &key.key_id,
            generation,
            context,
            plaintext,
        )?;
        Ok(CryptoOutput {
            key_arn: key.arn(),
            ciphertext: Some(blob),
            plaintext: None,
        })
    }

    /// `GenerateDataKey` and `GenerateDataKeyWithoutPlaintext`.
    #[allow(clippy::too_many_arguments)]
    pub async fn generate_data_key(
        &self,
        who: &(impl Authority + ?Sized),
        key_id: &str,
        context: &BTreeMap<String, String>,
        number_of_bytes: Option<i64>,
        key_spec: Option<&str>,
        returned: DataKeyReturn,
        dry_run: bool,
    ) -> Result<CryptoOutput> {
        let length = match (number_of_bytes, key_spec) {
            (Some(n), None) => usize::try_from(n).unwrap_or(0),
            (None, Some("AES_256")) => 32,
            (None, Some(_)) => 16,
            _ => {
                return Err(err(
                    K::Validation,
                    "Please specify either number of bytes or key spec.",
                ))
            }
        };
        let action = match returned {
            DataKeyReturn::WithPlaintext => "kms:GenerateDataKey",
            DataKeyReturn::WithoutPlaintext => "kms:GenerateDataKeyWithoutPlaintext",
        };
        let (key, material, generation) = self.encryption_key(who, action, key_id, dry_run).await?;
        let mut data_key = Zeroizing::new(vec![0u8; length]);
        kms::random(&mut data_key)?;
        let current = generation_material(&material, generation)?;
        let blob = kms::encrypt_blob(
            current,
            &key.scope,
            &key.key_id,
            generation,
            context,
            &data_key,
        )?;
        Ok(CryptoOutput {
            key_arn: key.arn(),
            ciphertext: Some(blob),
            plaintext: (returned == DataKeyReturn::WithPlaintext).then_some(data_key),
        })
    }

    /// `Decrypt`: the blob names its key; a KeyId, when given, must name the same key.
    pub async fn kms_decrypt(
        &self,
        who: &(impl Authority + ?Sized),
        blob: &[u8],
        context: &BTreeMap<String, String>,
        key_id: Option<&str>,
        dry_run: bool,
    ) -> Result<CryptoOutput> {
        let scope = who.scope();
        let invalid = || err(K::InvalidCiphertext, "");
        let (blob_key_id, generation) = kms::blob_key(blob).ok_or_else(invalid)?;
        let key = match key_id {
            Some(given) => {
                let named = self.resolve_key(scope, given, Aliases::Accepted).await?;
                if named.key_id != blob_key_id {
                    return Err(err(
                        K::IncorrectKey,
                        "The key ID in the request does not identify a CMK that can perform this operation.",
                    ));
                }
                named
            }
            None => self
                .live_key(scope, &blob_key_id)
                .await?
                .ok_or_else(invalid)?,
        };
        self.authorize_key(who, "kms:Decrypt", &key)?;
        usable(&key)?;
        if dry_run {
            return Err(dry_run_error());
        }
        let material = self.open_material(&key)?;
        let generation_bytes = generation_material(&material, generation).map_err(|_| invalid())?;
        let plaintext =
            kms::decrypt_blob(generation_bytes, &key.scope, context, blob).ok_or_else(invalid)?;
        Ok(CryptoOutput {
            key_arn: key.arn(),
            ciphertext: None,
            plaintext: Some(plaintext),
        })
    }
}

fn dry_run_error() -> Error {
    err(
        K::DryRun,
        "The request would have succeeded, but the DryRun option is set.",
    )
}

/// One generation of a key's material.
fn generation_material(material: &[u8], generation: u32) -> Result<&[u8]> {
    let start = (generation as usize)
        .checked_mul(MATERIAL_LEN)
        .ok_or_else(|| Error::Internal("generation out of range".into()))?;
    material
        .get(start..start + MATERIAL_LEN)
        .ok_or_else(|| Error::Internal("generation out of range".into()))
}
