//! Authentication: SigV4 on every request. The verifier (in `coffer-protocol`) is pure; this
//! module looks up the access key, derives and caches signing keys, and decides who the caller
//! is and which account and region the request acts in.

use std::sync::Arc;
use std::time::Duration;

use coffer_core::names::{AccountId, Region, Scope};
use coffer_core::service::{Principal, Service};
use coffer_protocol::sigv4::{self, AuthError, RequestParts, SigningKey};
use coffer_protocol::{ApiError, ErrorCode};
use zeroize::Zeroizing;

/// Who is calling, and where.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal.
    pub principal: Principal,
    /// The account and region the request acts in (the region from the credential scope).
    pub scope: Scope,
    /// The access key id that signed the request.
    pub access_key_id: String,
}

/// Where secret access keys come from. The verifier never reads the store itself: it asks this
/// trait, and only on a signing-key cache miss.
#[async_trait::async_trait]
pub trait KeySource: Send + Sync + 'static {
    /// The principal owning an active access key, and the key's secret half.
    async fn lookup(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(Principal, Zeroizing<String>)>, coffer_core::Error>;
}

#[async_trait::async_trait]
impl KeySource for Service {
    async fn lookup(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(Principal, Zeroizing<String>)>, coffer_core::Error> {
        self.lookup_access_key(access_key_id).await
    }
}

/// Where signing keys come from: a key source (real mode), or nowhere (dev mode, where any
/// well-formed signature is accepted).
#[derive(Clone)]
enum Mode {
    Verify(Arc<dyn KeySource>),
    Dev,
}

/// A cached signing key and whom it belongs to.
#[derive(Clone)]
struct CachedKey {
    key: SigningKey,
    principal: Principal,
}

/// The cache key: (access key id, date, region, service) — exactly what a signing key is
/// derived for.
type CacheKey = (String, String, String, String);

/// The authenticator.
#[derive(Clone)]
pub struct Authenticator {
    mode: Mode,
    // Deriving a signing key takes four HMACs and, on a miss, a store read and a decryption;
    // caching it per scope makes the hot path one HMAC. Entries expire so that a key disabled
    // in the store stops working within this bound.
    keys: moka::sync::Cache<CacheKey, CachedKey>,
}

/// How long a derived signing key stays cached.
const KEY_CACHE_TTL: Duration = Duration::from_secs(300);

/// The account dev mode uses when the access key id is not a 12-digit number.
pub const DEV_DEFAULT_ACCOUNT: &str = "123456789012";

impl Authenticator {
    /// Verifies signatures with keys from `source` (in the server, the service's store).
    pub fn verifying(source: Arc<dyn KeySource>) -> Self {
        Self::with_mode(Mode::Verify(source))
    }

    /// Accepts any well-formed signature (dev mode).
    pub fn dev() -> Self {
        Self::with_mode(Mode::Dev)
    }

    fn with_mode(mode: Mode) -> Self {
        Self {
            mode,
            keys: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(KEY_CACHE_TTL)
                .build(),
        }
    }

    /// Authenticates a request signed for `service`.
    pub async fn authenticate(
        &self,
        parts: &RequestParts<'_>,
        service: &str,
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
        match &self.mode {
            Mode::Dev => {
                let account = AccountId::parse(&signed.access_key_id)
                    .or_else(|| AccountId::parse(DEV_DEFAULT_ACCOUNT))
                    .ok_or_else(|| {
                        ApiError::new(ErrorCode::InternalServiceError, "no default account")
                    })?;
                Ok(Caller {
                    principal: Principal::root(account.clone()),
                    scope: Scope { account, region },
                    access_key_id: signed.access_key_id,
                })
            }
            Mode::Verify(source) => {
                if signed.session_token.is_some() {
                    // No temporary credentials exist yet, so no session token can be valid.
                    return Err(unrecognized());
                }
                let cache_key = (
                    signed.access_key_id.clone(),
                    signed.scope.date.clone(),
                    signed.scope.region.clone(),
                    signed.scope.service.clone(),
                );
                let cached = match self.keys.get(&cache_key) {
                    Some(cached) => cached,
                    None => {
                        let Some((principal, secret)) = source
                            .lookup(&signed.access_key_id)
                            .await
                            .map_err(|e| crate::errors::to_api_error(&e, "auth"))?
                        else {
                            return Err(unrecognized());
                        };
                        let key = sigv4::derive_signing_key(
                            &secret,
                            &signed.scope.date,
                            &signed.scope.region,
                            &signed.scope.service,
                        );
                        let cached = CachedKey { key, principal };
                        self.keys.insert(cache_key, cached.clone());
                        cached
                    }
                };
                signed
                    .verify(&cached.key)
                    .map_err(|e: AuthError| e.to_api_error())?;
                Ok(Caller {
                    scope: Scope {
                        account: cached.principal.account.clone(),
                        region,
                    },
                    principal: cached.principal,
                    access_key_id: signed.access_key_id,
                })
            }
        }
    }
}

/// AWS's answer for an access key it does not know.
fn unrecognized() -> ApiError {
    ApiError::new(
        ErrorCode::UnrecognizedClientException,
        "The security token included in the request is invalid.",
    )
}
