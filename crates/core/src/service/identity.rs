//! Principals and credentials: accounts' root users, IAM users with long-term access keys, and
//! role sessions with temporary credentials (STS AssumeRole).
//!
//! A session token is stateless: it is the session's facts (role, session name, expiry,
//! session policy, and the temporary secret key) sealed under the keyring and bound to the
//! temporary access key id. Any node with the root key can check one without a store write,
//! a forged or altered token fails to open, and nothing of a session is stored.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use zeroize::Zeroizing;

use super::access::{Authority, Target};
use super::principal::{Principal, PrincipalIdentity, SessionInfo};
use super::Service;
use crate::crypto::{SealContext, DEFAULT_KEY_ID};
use crate::error::{Error, Result};
use crate::model::{AccessKeyRecord, PrincipalKind, SealedValue, ValueKind};
use crate::names::AccountId;
use crate::policy::{Policy, PolicyKind};

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

/// Temporary credentials from AssumeRole. `Debug` never shows the secret key or the token.
pub struct AssumedRole {
    /// The key pair (`ASIA…`).
    pub credentials: Credentials,
    /// The session token to send with every request (`X-Amz-Security-Token`).
    pub session_token: Zeroizing<String>,
    /// When they expire.
    pub expiration: DateTime<Utc>,
    /// `AROA…:<session name>`.
    pub assumed_role_id: String,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session name>`.
    pub arn: String,
}

impl std::fmt::Debug for AssumedRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumedRole")
            .field("credentials", &self.credentials)
            .field("session_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .field("assumed_role_id", &self.assumed_role_id)
            .field("arn", &self.arn)
            .finish()
    }
}

/// AssumeRole's input.
#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    /// The role's ARN.
    pub role_arn: String,
    /// The session's name.
    pub role_session_name: String,
    /// How long the credentials last, in seconds (900 up to the role's maximum; 3600 when
    /// absent).
    pub duration_seconds: Option<u32>,
    /// A session policy: the session may do only what both it and the role's policies allow.
    pub policy: Option<String>,
    /// The ExternalId (for `sts:ExternalId` conditions in the trust policy).
    pub external_id: Option<String>,
    /// The SourceIdentity (for `sts:SourceIdentity` conditions).
    pub source_identity: Option<String>,
    /// Session tags (`aws:PrincipalTag/<key>` of the session); needs `sts:TagSession`.
    pub tags: Vec<(String, String)>,
    /// The keys among `tags` that pass on to the sessions this one assumes.
    pub transitive_tag_keys: Vec<String>,
}

/// STS's `ValidationError` for a transitive tag key that is not among the session tags
/// (coffer's wording).
fn transitive_key_not_a_tag(key: &str) -> Error {
    Error::Validation(format!(
        "The transitive tag key {key} is not among the session tags of the request."
    ))
}

/// The longest a chained session (a role session assuming a role) may last, as on AWS.
const CHAINED_SESSION_SECS: u32 = 3600;

/// `len` characters drawn uniformly from `alphabet` (at most 256 characters long).
pub(super) fn random_string(alphabet: &[u8], len: usize) -> Result<Zeroizing<String>> {
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

/// An IAM-shaped id: a four-letter prefix (`AKIA`, `ASIA`, `AIDA`, `AROA`) and 16 of A–Z, 2–7.
pub(super) fn iam_id(prefix: &str) -> Result<String> {
    Ok(format!(
        "{prefix}{}",
        random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)?.as_str()
    ))
}

/// A secret access key: 40 characters of base64's alphabet, as AWS's.
pub(super) fn secret_key() -> Result<Zeroizing<String>> {
    random_string(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        40,
    )
}

/// Length-prefixed fields: the plaintext layout of a session token.
pub(super) fn encode_fields(fields: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    for field in fields {
        out.extend_from_slice(&(field.len() as u32).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

fn decode_fields(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        if rest.len() < len {
            return None;
        }
        let (field, rest) = rest.split_at(len);
        fields.push(field);
        bytes = rest;
    }
    Some(fields)
}

/// The version tag of the session token layout.
const TOKEN_VERSION: &[u8] = b"coffer-session-1";

/// A session's tags, as (key, value) pairs in the order given.
type SessionTags = Vec<(String, String)>;

/// The version tag of the layout with session tags: the eight fields of [`TOKEN_VERSION`],
/// then the tags (key, value, key, value, …) and the transitive keys, each length-prefixed.
const TOKEN_VERSION_TAGGED: &[u8] = b"coffer-session-2";

/// The version tag of the layout of GetSessionToken's tokens (a user's or the root user's own
/// session): account, user name (empty for the root user), user id, expiry, secret key.
const OWN_SESSION_VERSION: &[u8] = b"coffer-own-session-1";

/// GetSessionToken's default duration for an IAM user (12 hours), as on AWS.
pub const OWN_SESSION_DEFAULT_SECS: u32 = 43_200;

/// The longest session of the root user (1 hour): longer requests get 1 hour, as on AWS.
pub const ROOT_SESSION_MAX_SECS: u32 = 3600;

/// Temporary credentials from GetSessionToken. `Debug` never shows the secret key or the token.
pub struct SessionCredentials {
    /// The key pair (`ASIA…`).
    pub credentials: Credentials,
    /// The session token.
    pub session_token: Zeroizing<String>,
    /// When they expire.
    pub expiration: DateTime<Utc>,
}

impl std::fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("credentials", &self.credentials)
            .field("session_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
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
        self.new_access_key(account, None).await
    }

    /// Creates and stores an access key for the root user (`user` `None`) or an IAM user.
    pub(super) async fn new_access_key(
        &self,
        account: &AccountId,
        user: Option<(&str, String)>,
    ) -> Result<Credentials> {
        let access_key_id = iam_id("AKIA")?;
        let secret_access_key = secret_key()?;
        let sealed = self.keyring.seal(
            DEFAULT_KEY_ID,
            ValueKind::String,
            SealContext::AccessKey {
                access_key_id: &access_key_id,
            },
            secret_access_key.as_bytes(),
        )?;
        let (user_name, principal_arn) = match user {
            Some((name, arn)) => (Some(name.to_owned()), arn),
            None => (None, Principal::root(account.clone()).arn),
        };
        self.store
            .insert_access_key(&AccessKeyRecord {
                access_key_id: access_key_id.clone(),
                account: account.clone(),
                principal_arn,
                user_name,
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
        let principal = match &record.user_name {
            None => Principal::root(record.account),
            Some(name) => {
                let Some(user) = self
                    .store
                    .find_principal(&record.account, PrincipalKind::User, name)
                    .await?
                else {
                    return Ok(None);
                };
                Principal {
                    arn: user.arn(),
                    user_id: user.id,
                    account: record.account,
                    identity: PrincipalIdentity::User { name: user.name },
                    own_session: false,
                }
            }
        };
        Ok(Some((principal, Zeroizing::new(secret))))
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

    /// STS AssumeRole: checks the role's trust policy (and, across accounts, the caller's own
    /// policies) and issues temporary credentials.
    pub async fn assume_role(
        &self,
        who: &(impl Authority + ?Sized),
        caller: &Principal,
        input: &AssumeRoleInput,
    ) -> Result<AssumedRole> {
        let denied = || {
            Error::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                caller.arn, input.role_arn
            ))
        };
        if caller.identity == PrincipalIdentity::Root {
            return Err(Error::AccessDenied(
                "Roles may not be assumed by root accounts.".into(),
            ));
        }
        // arn:aws:iam::<account>:role/<path><name>
        let (account, role_name) = input
            .role_arn
            .strip_prefix("arn:aws:iam::")
            .and_then(|rest| rest.split_once(":role/"))
            .and_then(|(account, path_name)| {
                Some((AccountId::parse(account)?, path_name.rsplit('/').next()?))
            })
            .ok_or_else(denied)?;
        let role = self
            .store
            .find_principal(&account, PrincipalKind::Role, role_name)
            .await?
            .filter(|role| role.arn() == input.role_arn)
            .ok_or_else(denied)?;
        let trust = role
            .trust_policy
            .as_deref()
            .map(|text| Policy::parse(text, PolicyKind::Trust))
            .transpose()
            .map_err(|e| Error::Internal(format!("a stored trust policy does not parse: {e}")))?;
        // The session policy is checked now, so that a session can never carry one that
        // does not parse.
        if let Some(text) = &input.policy {
            Policy::parse_new(text, PolicyKind::Identity)
                .map_err(|e| Error::MalformedPolicy(e.to_string()))?;
        }
        // Session tags: STS refuses two keys that differ only in case, a transitive key that
        // is not a tag, and a tag that would replace a transitive tag of the calling session.
        let inherited: Vec<(String, String)> = match &caller.identity {
            PrincipalIdentity::Session(session) => session
                .tags
                .iter()
                .filter(|(k, _)| {
                    session
                        .transitive_tag_keys
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(k))
                })
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        for (i, (key, _)) in input.tags.iter().enumerate() {
            if input.tags[..i]
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(key))
            {
                return Err(Error::Validation(
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                        .into(),
                ));
            }
            if inherited.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                return Err(Error::Validation(format!(
                    "The session tag {key} conflicts with a transitive tag key of the calling \
                     session."
                )));
            }
        }
        if let Some(key) = input
            .transitive_tag_keys
            .iter()
            .find(|t| !input.tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(t)))
        {
            return Err(transitive_key_not_a_tag(key));
        }
        if !input.tags.is_empty() {
            let tag_denied = || {
                Error::AccessDenied(format!(
                    "User: {} is not authorized to perform: sts:TagSession on resource: {}",
                    caller.arn, input.role_arn
                ))
            };
            // The trust policy must allow sts:TagSession itself, as IAM requires; a role
            // without one cannot be tagged.
            let trust = trust.as_ref().ok_or_else(tag_denied)?;
            let arn = role.arn();
            self.authorize_target_requiring_resource(
                who,
                "sts:TagSession",
                Target::Arn {
                    arn: &arn,
                    account: role.account.as_str(),
                },
                trust,
                |keys| {
                    for (key, value) in &input.tags {
                        keys.insert(&format!("aws:RequestTag/{key}"), value.clone());
                    }
                    keys.insert_all("aws:TagKeys", input.tags.iter().map(|(k, _)| k.clone()));
                },
            )
            .map_err(|e| match e {
                Error::AccessDenied(_) => tag_denied(),
                other => other,
            })?;
        }
        let mut session_tags = inherited.clone();
        session_tags.extend(input.tags.iter().cloned());
        let mut transitive: Vec<String> = inherited.iter().map(|(k, _)| k.clone()).collect();
        transitive.extend(input.transitive_tag_keys.iter().cloned());
        // A role's trust policy must allow the caller (by name, or its account, which must
        // then delegate through the caller's own policies): unlike other resources, a role
        // cannot be assumed on the strength of the caller's identity policies alone.
        let trust_policy = trust.as_ref().ok_or_else(denied)?;
        let role_arn = role.arn();
        self.authorize_target_requiring_resource(
            who,
            "sts:AssumeRole",
            Target::Arn {
                arn: &role_arn,
                account: role.account.as_str(),
            },
            trust_policy,
            |keys| {
                keys.insert("sts:RoleSessionName", input.role_session_name.clone());
                if let Some(id) = &input.external_id {
                    keys.insert("sts:ExternalId", id.clone());
                }
                if let Some(id) = &input.source_identity {
                    keys.insert("sts:SourceIdentity", id.clone());
                }
            },
        )
        .map_err(|e| match e {
            Error::AccessDenied(_) => denied(),
            other => other,
        })?;

        let max = match caller.identity {
            PrincipalIdentity::Session(_) => CHAINED_SESSION_SECS,
            _ => role.max_session_secs.unwrap_or(3600),
        };
        let duration = input.duration_seconds.unwrap_or(3600.min(max));
        if duration > max {
            return Err(Error::Validation(format!(
                "The requested DurationSeconds exceeds the {} set for this role.",
                if matches!(caller.identity, PrincipalIdentity::Session(_)) {
                    "1 hour session limit for roles assumed by role chaining"
                } else {
                    "MaxSessionDuration"
                }
            )));
        }
        let expiration = self.now() + Duration::seconds(i64::from(duration));
        let access_key_id = iam_id("ASIA")?;
        let secret = secret_key()?;
        let expires_ms = expiration.timestamp_millis().to_string();
        let tag_fields: Vec<&[u8]> = session_tags
            .iter()
            .flat_map(|(k, v)| [k.as_bytes(), v.as_bytes()])
            .collect();
        let transitive_fields: Vec<&[u8]> = transitive.iter().map(|k| k.as_bytes()).collect();
        let tags_field = encode_fields(&tag_fields);
        let transitive_field = encode_fields(&transitive_fields);
        let plain = encode_fields(&[
            TOKEN_VERSION_TAGGED,
            account.as_str().as_bytes(),
            role.name.as_bytes(),
            role.id.as_bytes(),
            input.role_session_name.as_bytes(),
            expires_ms.as_bytes(),
            secret.as_bytes(),
            input.policy.as_deref().unwrap_or_default().as_bytes(),
            &tags_field,
            &transitive_field,
        ]);
        let session_token = self.seal_token(&access_key_id, &plain)?;
        Ok(AssumedRole {
            credentials: Credentials {
                access_key_id,
                secret_access_key: secret,
            },
            session_token,
            expiration,
            assumed_role_id: format!("{}:{}", role.id, input.role_session_name),
            arn: format!(
                "arn:aws:sts::{account}:assumed-role/{}/{}",
                role.name, input.role_session_name
            ),
        })
    }

    /// Opens a session token sent with `access_key_id`: the session's principal and secret key.
    /// A token that does not open (forged, altered, another key's) is `InvalidToken`; one past
    /// its expiry is `ExpiredToken`.
    pub fn open_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<(Principal, Zeroizing<String>, DateTime<Utc>)> {
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(token.as_bytes())
                .map_err(|_| Error::InvalidToken)?,
        );
        let outer = decode_fields(&bytes).ok_or(Error::InvalidToken)?;
        let [key_id, wrapped_key, ciphertext] = outer.as_slice() else {
            return Err(Error::InvalidToken);
        };
        let sealed = SealedValue {
            key_id: String::from_utf8(key_id.to_vec()).map_err(|_| Error::InvalidToken)?,
            wrapped_key: wrapped_key.to_vec(),
            ciphertext: ciphertext.to_vec(),
            kind: ValueKind::Binary,
        };
        let plain = self
            .keyring
            .open(SealContext::SessionToken { access_key_id }, &sealed)
            .map_err(|_| Error::InvalidToken)?;
        let fields = decode_fields(&plain).ok_or(Error::InvalidToken)?;
        // A console sign-in's session (login.rs) acts as the user itself.
        if fields.first() == Some(&super::login::USER_SESSION_VERSION) {
            let (principal, secret, expires) = super::login::open_user_session(&fields)?;
            if self.now() >= expires {
                return Err(Error::ExpiredToken);
            }
            return Ok((principal, secret, expires));
        }
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| Error::InvalidToken);
        if fields.first() == Some(&OWN_SESSION_VERSION) {
            return self.open_own_session(&fields);
        }
        // Tokens made before session tags have eight fields; tagged ones ten.
        let (base, tags, transitive): (&[&[u8]], SessionTags, Vec<String>) = match fields.as_slice()
        {
            [base @ .., tags, transitive] if fields.len() == 10 => {
                let tags = decode_fields(tags).ok_or(Error::InvalidToken)?;
                let transitive = decode_fields(transitive).ok_or(Error::InvalidToken)?;
                let tags = tags
                    .chunks(2)
                    .map(|pair| match pair {
                        [k, v] => Ok((text(k)?, text(v)?)),
                        _ => Err(Error::InvalidToken),
                    })
                    .collect::<Result<Vec<_>>>()?;
                let transitive = transitive
                    .iter()
                    .map(|k| text(k))
                    .collect::<Result<Vec<_>>>()?;
                (base, tags, transitive)
            }
            base => (base, Vec::new(), Vec::new()),
        };
        let [version, account, role_name, role_id, session_name, expires_ms, secret, policy] = base
        else {
            return Err(Error::InvalidToken);
        };
        let expected = if tags.is_empty() && transitive.is_empty() && fields.len() == 8 {
            TOKEN_VERSION
        } else {
            TOKEN_VERSION_TAGGED
        };
        if *version != expected {
            return Err(Error::InvalidToken);
        }
        let account = AccountId::parse(&text(account)?).ok_or(Error::InvalidToken)?;
        let expires = text(expires_ms)?
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .ok_or(Error::InvalidToken)?;
        if self.now() >= expires {
            return Err(Error::ExpiredToken);
        }
        let role_name = text(role_name)?;
        let role_id = text(role_id)?;
        let session_name = text(session_name)?;
        let policy = text(policy)?;
        let principal = Principal {
            arn: format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"),
            user_id: format!("{role_id}:{session_name}"),
            account,
            identity: PrincipalIdentity::Session(SessionInfo {
                role_name,
                role_id,
                session_name,
                expires,
                session_policy: (!policy.is_empty()).then_some(policy),
                tags,
                transitive_tag_keys: transitive,
            }),
            own_session: false,
        };
        Ok((principal, Zeroizing::new(text(secret)?), expires))
    }

    /// Seals a session token's fields under the keyring, bound to its access key id.
    fn seal_token(&self, access_key_id: &str, plain: &[u8]) -> Result<Zeroizing<String>> {
        let sealed = self.keyring.seal(
            DEFAULT_KEY_ID,
            ValueKind::Binary,
            SealContext::SessionToken { access_key_id },
            plain,
        )?;
        let token_bytes = encode_fields(&[
            sealed.key_id.as_bytes(),
            &sealed.wrapped_key,
            &sealed.ciphertext,
        ]);
        Ok(Zeroizing::new(
            base64::engine::general_purpose::STANDARD.encode(token_bytes.as_slice()),
        ))
    }

    /// STS GetSessionToken: temporary credentials for the caller itself, an IAM user (900 s to
    /// 36 hours, 12 hours by default) or the root user (at most 1 hour: a longer request gets
    /// 1 hour, as on AWS). A session (a role's, or one of these) cannot make another:
    /// `AccessDenied`, as STS answers. No permission is needed, as on AWS.
    pub async fn get_session_token(
        &self,
        caller: &Principal,
        duration_seconds: Option<u32>,
    ) -> Result<SessionCredentials> {
        if caller.own_session || matches!(caller.identity, PrincipalIdentity::Session(_)) {
            return Err(Error::AccessDenied(
                "Cannot call GetSessionToken with session credentials".into(),
            ));
        }
        let (user_name, duration) = match &caller.identity {
            PrincipalIdentity::User { name } => (
                name.as_str(),
                duration_seconds.unwrap_or(OWN_SESSION_DEFAULT_SECS),
            ),
            _ => (
                "",
                duration_seconds
                    .unwrap_or(ROOT_SESSION_MAX_SECS)
                    .min(ROOT_SESSION_MAX_SECS),
            ),
        };
        let expiration = self.now() + Duration::seconds(i64::from(duration));
        let access_key_id = iam_id("ASIA")?;
        let secret = secret_key()?;
        let expires_ms = expiration.timestamp_millis().to_string();
        let plain = encode_fields(&[
            OWN_SESSION_VERSION,
            caller.account.as_str().as_bytes(),
            user_name.as_bytes(),
            caller.user_id.as_bytes(),
            caller.arn.as_bytes(),
            expires_ms.as_bytes(),
            secret.as_bytes(),
        ]);
        let session_token = self.seal_token(&access_key_id, &plain)?;
        Ok(SessionCredentials {
            credentials: Credentials {
                access_key_id,
                secret_access_key: secret,
            },
            session_token,
            expiration,
        })
    }

    /// Opens the fields of a GetSessionToken token (see [`Service::open_session`]).
    fn open_own_session(
        &self,
        fields: &[&[u8]],
    ) -> Result<(Principal, Zeroizing<String>, DateTime<Utc>)> {
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| Error::InvalidToken);
        let [_, account, user_name, user_id, arn, expires_ms, secret] = fields else {
            return Err(Error::InvalidToken);
        };
        let account = AccountId::parse(&text(account)?).ok_or(Error::InvalidToken)?;
        let expires = text(expires_ms)?
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .ok_or(Error::InvalidToken)?;
        if self.now() >= expires {
            return Err(Error::ExpiredToken);
        }
        let user_name = text(user_name)?;
        let principal = Principal {
            arn: text(arn)?,
            user_id: text(user_id)?,
            account,
            identity: if user_name.is_empty() {
                PrincipalIdentity::Root
            } else {
                PrincipalIdentity::User { name: user_name }
            },
            own_session: true,
        };
        Ok((principal, Zeroizing::new(text(secret)?), expires))
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret_key_or_the_session_token() {
        let assumed = AssumedRole {
            credentials: Credentials {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: Zeroizing::new("secret-key-value".into()),
            },
            session_token: Zeroizing::new("session-token-value".into()),
            expiration: DateTime::UNIX_EPOCH,
            assumed_role_id: "AROAX:s".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/r/s".into(),
        };
        let text = format!("{assumed:?}");
        assert!(text.contains("ASIAEXAMPLE"), "{text}");
        assert!(!text.contains("secret-key-value"), "{text}");
        assert!(!text.contains("session-token-value"), "{text}");
    }
}
