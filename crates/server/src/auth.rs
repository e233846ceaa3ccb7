//! Authentication: SigV4 on every request. The verifier (in `coffer-protocol`) is pure; this
//! module looks up the access key (or opens the session token of temporary credentials),
//! derives and caches signing keys, decides who the caller is and which account and region the
//! request acts in, and builds the caller's [`Access`] for authorization.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::digest;
use chrono::{DateTime, Utc};
use coffer_core::names::{AccountId, Region, Scope};
use coffer_core::policy::{ConditionKeys, PrincipalContext};
use coffer_core::service::{Access, Authority, IdentityGrant, Principal, Service};
use coffer_protocol::sigv4::{self, AuthError, RequestParts, SigningKey};
use coffer_protocol::{ApiError, ErrorCode};
use zeroize::Zeroizing;

/// Who is calling, and where: what every handler gets.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal.
    pub principal: Principal,
    /// The account and region the request acts in (the region from the credential scope).
    pub scope: Scope,
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The principal's identity policies and condition keys (shared, cached per access key).
    pub access: Arc<Access>,
    /// What the request's own condition keys are made from.
    pub facts: RequestFacts,
}

impl Authority for Caller {
    fn scope(&self) -> &Scope {
        &self.scope
    }
    fn access(&self) -> Option<&Access> {
        Some(&self.access)
    }
    fn request_keys(&self, keys: &mut ConditionKeys) {
        add_request_keys(keys, &self.facts);
    }
}

/// Facts about the request's connection that condition keys describe.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<std::net::IpAddr>,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The User-Agent header (`aws:UserAgent`).
    pub user_agent: Option<String>,
}

/// Where secret access keys and sessions come from. The verifier never reads the store
/// itself: it asks this trait, and only on a signing-key cache miss.
#[async_trait::async_trait]
pub trait KeySource: Send + Sync + 'static {
    /// The principal owning an active access key, and the key's secret half.
    async fn lookup(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(Principal, Zeroizing<String>)>, coffer_core::Error>;

    /// Opens the session token of temporary credentials: the session's principal, its secret
    /// key and its expiry.
    fn open_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<(Principal, Zeroizing<String>, DateTime<Utc>), coffer_core::Error>;

    /// The identity side of a principal (its policies and keys).
    async fn access(&self, principal: &Principal) -> Result<Access, coffer_core::Error>;

    /// The time, by the service's clock (session expiry is checked against it).
    fn now(&self) -> DateTime<Utc>;
}

#[async_trait::async_trait]
impl KeySource for Service {
    async fn lookup(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(Principal, Zeroizing<String>)>, coffer_core::Error> {
        self.lookup_access_key(access_key_id).await
    }

    fn open_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<(Principal, Zeroizing<String>, DateTime<Utc>), coffer_core::Error> {
        Service::open_session(self, access_key_id, token)
    }

    async fn access(&self, principal: &Principal) -> Result<Access, coffer_core::Error> {
        self.load_access(principal).await
    }

    fn now(&self) -> DateTime<Utc> {
        Service::now(self)
    }
}

/// Where signing keys come from: a key source (real mode), or nowhere (dev mode, where any
/// well-formed signature is accepted), or both (`--dev --enforce-iam`: the keys and sessions
/// the source issued are verified and authorized as in real mode, any other key is dev mode's
/// account root).
#[derive(Clone)]
enum Mode {
    Verify(Arc<dyn KeySource>),
    Dev,
    DevEnforcing(Arc<dyn KeySource>),
}

/// A cached signing key and whom it belongs to.
#[derive(Clone)]
struct CachedKey {
    key: SigningKey,
    principal: Principal,
    /// For temporary credentials: the SHA-256 of the session token the key was derived for,
    /// and when the session ends.
    session: Option<([u8; 32], DateTime<Utc>)>,
}

/// The cache key: (access key id, date, region, service) — exactly what a signing key is
/// derived for.
type CacheKey = (String, String, String, String);

/// The authenticator.
#[derive(Clone)]
pub struct Authenticator {
    mode: Mode,
    // Deriving a signing key takes four HMACs and, on a miss, a store read and a decryption;
    // caching it per scope makes the hot path one HMAC.
    keys: moka::sync::Cache<CacheKey, CachedKey>,
    // The identity side of each access key's principal: its parsed policies and keys.
    access: moka::sync::Cache<String, Arc<Access>>,
}

/// How long a derived signing key and a principal's policies stay cached. Every IAM change
/// made through this node empties both caches at once ([`Authenticator::invalidate`]); the
/// bound is how long a change made through another node (on a shared PostgreSQL) takes to
/// reach this one.
const CACHE_TTL: Duration = Duration::from_secs(10);

/// The account dev mode uses when the access key id is not a 12-digit number.
pub const DEV_DEFAULT_ACCOUNT: &str = "123456789012";

fn sha256(text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, text.as_bytes()).as_ref());
    out
}

fn token_error(error: &coffer_core::Error) -> ApiError {
    match error {
        coffer_core::Error::ExpiredToken => expired(),
        coffer_core::Error::InvalidToken => unrecognized(),
        other => crate::errors::to_api_error(other, "auth"),
    }
}

impl Authenticator {
    /// Verifies signatures with keys from `source` (in the server, the service's store).
    pub fn verifying(source: Arc<dyn KeySource>) -> Self {
        Self::with_mode(Mode::Verify(source))
    }

    /// Accepts any well-formed signature (dev mode).
    pub fn dev() -> Self {
        Self::with_mode(Mode::Dev)
    }

    /// Dev mode that enforces IAM (`--dev --enforce-iam`): the keys and sessions `source`
    /// issued are verified and authorized exactly as by [`Authenticator::verifying`]; any other
    /// well-formed signature is accepted as the account root, as by [`Authenticator::dev`].
    pub fn dev_enforcing(source: Arc<dyn KeySource>) -> Self {
        Self::with_mode(Mode::DevEnforcing(source))
    }

    /// Whether `source` issued the credentials of this request: an access key it stores, or
    /// a session token it sealed (an expired one included). A token that does not open is
    /// not coffer's.
    async fn issued_by(
        source: &Arc<dyn KeySource>,
        signed: &sigv4::SignedRequest,
    ) -> Result<bool, ApiError> {
        match &signed.session_token {
            Some(token) => match source.open_session(&signed.access_key_id, token) {
                Ok(_) | Err(coffer_core::Error::ExpiredToken) => Ok(true),
                Err(_) => Ok(false),
            },
            None => Ok(source
                .lookup(&signed.access_key_id)
                .await
                .map_err(|e| crate::errors::to_api_error(&e, "auth"))?
                .is_some()),
        }
    }

    fn with_mode(mode: Mode) -> Self {
        Self {
            mode,
            keys: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
            access: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
        }
    }

    /// Forgets every cached key and policy: called after every IAM change, so that a key made
    /// inactive, deleted, or a policy changed takes effect on this node at once.
    pub fn invalidate(&self) {
        self.keys.invalidate_all();
        self.access.invalidate_all();
    }

    /// Authenticates a request signed for `service`, and builds its access with `facts`.
    pub async fn authenticate(
        &self,
        parts: &RequestParts<'_>,
        service: &str,
        facts: &RequestFacts,
    ) -> Result<Caller, ApiError> {
        let signed = sigv4::parse(parts, chrono::Utc::now()).map_err(|e| e.to_api_error())?;
        signed
            .expect_service(service)
            .map_err(|e| e.to_api_error())?;
        let region = Region::parse(&signed.scope.region).ok_or_else(|| {
            ApiError::new(
                ErrorCode::IncompleteSignatureException,
                format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    signed.scope.region
                ),
            )
        })?;
        // The key source that verifies this request, or none (dev mode's account root).
        let source: Option<&Arc<dyn KeySource>> = match &self.mode {
            Mode::Verify(source) => Some(source),
            Mode::Dev => None,
            Mode::DevEnforcing(source) => {
                let cache_key = (
                    signed.access_key_id.clone(),
                    signed.scope.date.clone(),
                    signed.scope.region.clone(),
                    signed.scope.service.clone(),
                );
                let issued =
                    self.keys.contains_key(&cache_key) || Self::issued_by(source, &signed).await?;
                issued.then_some(source)
            }
        };
        let (principal, access) = match source {
            None => {
                let account = AccountId::parse(&signed.access_key_id)
                    .or_else(|| AccountId::parse(DEV_DEFAULT_ACCOUNT))
                    .ok_or_else(|| {
                        ApiError::new(ErrorCode::InternalServiceError, "no default account")
                    })?;
                let principal = Principal::root(account);
                let access = Arc::new(dev_access(&principal));
                (principal, access)
            }
            Some(source) => {
                let cache_key = (
                    signed.access_key_id.clone(),
                    signed.scope.date.clone(),
                    signed.scope.region.clone(),
                    signed.scope.service.clone(),
                );
                let cached = match self.keys.get(&cache_key) {
                    Some(cached) => cached,
                    None => {
                        let (principal, secret, session) = match &signed.session_token {
                            Some(token) => {
                                let (principal, secret, expires) = source
                                    .open_session(&signed.access_key_id, token)
                                    .map_err(|e| token_error(&e))?;
                                (principal, secret, Some((sha256(token), expires)))
                            }
                            None => {
                                let Some((principal, secret)) = source
                                    .lookup(&signed.access_key_id)
                                    .await
                                    .map_err(|e| crate::errors::to_api_error(&e, "auth"))?
                                else {
                                    return Err(unrecognized());
                                };
                                (principal, secret, None)
                            }
                        };
                        let key = sigv4::derive_signing_key(
                            &secret,
                            &signed.scope.date,
                            &signed.scope.region,
                            &signed.scope.service,
                        );
                        let cached = CachedKey {
                            key,
                            principal,
                            session,
                        };
                        self.keys.insert(cache_key, cached.clone());
                        cached
                    }
                };
                // A cached key serves only the token it was derived for (compared in constant
                // time), only until the session ends, and never a long-term key sent with a
                // token.
                match (&cached.session, &signed.session_token) {
                    (None, None) => {}
                    (Some((digest, expires)), Some(token)) => {
                        use subtle::ConstantTimeEq;
                        if !bool::from(digest.ct_eq(&sha256(token))) {
                            return Err(unrecognized());
                        }
                        if source.now() >= *expires {
                            return Err(expired());
                        }
                    }
                    _ => return Err(unrecognized()),
                }
                signed
                    .verify(&cached.key)
                    .map_err(|e: AuthError| e.to_api_error())?;
                let access = match self.access.get(&signed.access_key_id) {
                    Some(access) => access,
                    None => {
                        let access = Arc::new(
                            source
                                .access(&cached.principal)
                                .await
                                .map_err(|e| token_error(&e))?,
                        );
                        self.access
                            .insert(signed.access_key_id.clone(), access.clone());
                        access
                    }
                };
                (cached.principal, access)
            }
        };
        Ok(Caller {
            scope: Scope {
                account: principal.account.clone(),
                region,
            },
            principal,
            access_key_id: signed.access_key_id,
            access,
            facts: facts.clone(),
        })
    }
}

/// Dev mode's caller: the root user of the account the access key id names.
fn dev_access(principal: &Principal) -> Access {
    let mut keys = ConditionKeys::default();
    keys.insert("aws:PrincipalArn", principal.arn.clone());
    keys.insert("aws:PrincipalAccount", principal.account.as_str());
    keys.insert("aws:PrincipalType", "Account");
    Access {
        principal: PrincipalContext {
            arn: principal.arn.clone(),
            account: principal.account.as_str().to_owned(),
            role_arn: None,
            is_root: true,
            user_name: None,
            user_id: principal.user_id.clone(),
        },
        identity: IdentityGrant::Root,
        session_policy: None,
        keys,
    }
}

/// The condition keys of the request itself.
fn add_request_keys(keys: &mut ConditionKeys, facts: &RequestFacts) {
    if let Some(ip) = facts.source_ip {
        keys.insert("aws:SourceIp", ip.to_string());
    }
    keys.insert(
        "aws:SecureTransport",
        if facts.secure_transport {
            "true"
        } else {
            "false"
        },
    );
    if let Some(agent) = &facts.user_agent {
        keys.insert("aws:UserAgent", agent.clone());
    }
}

/// AWS's answer for an access key or session token it does not know.
fn unrecognized() -> ApiError {
    ApiError::new(
        ErrorCode::UnrecognizedClientException,
        "The security token included in the request is invalid.",
    )
}

/// AWS's answer for temporary credentials past their expiry.
fn expired() -> ApiError {
    ApiError::new(
        ErrorCode::ExpiredTokenException,
        "The security token included in the request is expired",
    )
}
