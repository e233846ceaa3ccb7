//! AWS Signature Version 4 verification, in the header form and the presigned query form.
//!
//! Verification is split in two so that every lookup stays with the caller. [`parse`] reads
//! the request, checks its shape, its credential scope and its clock, and computes the string
//! to sign, all without a key. The caller then finds the secret key of
//! [`SignedRequest::access_key_id`] (and checks the session token, if any), derives or takes
//! from its cache a [`SigningKey`] for the scope's date, region and service, and calls
//! [`SignedRequest::verify`], which compares signatures in constant time.
//!
//! The canonical form is the one for services other than S3: the path normalised and
//! URI-encoded twice, the payload hash always the SHA-256 of the body actually received.
//! [`sign_headers`] and [`presign_query`] sign the way botocore does, for tests and tools.

mod canonical;
mod error;
mod sign;
#[cfg(test)]
mod tests;

use std::fmt;

use aws_lc_rs::hmac;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use http::HeaderMap;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub use error::{AuthError, MissingParts};
pub use sign::{presign_query, sign_headers, SigningParams};

/// The only algorithm coffer accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The services coffer answers, by the name their requests are signed for.
pub const SERVED_SERVICES: [&str; 4] = ["secretsmanager", "sts", "iam", "kms"];

/// The last element of every credential scope.
const TERMINATOR: &str = "aws4_request";

/// How far a request's time may be from the server's clock, either way.
pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(15);

/// The longest validity of a presigned request: seven days, because a signing key is only
/// good for that long.
pub const MAX_PRESIGNED_EXPIRES: u64 = 604_800;

/// SigV4 timestamps: ISO 8601 basic format in UTC.
const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// The query parameter that carries a presigned request's signature.
const SIGNATURE_PARAM: &str = "X-Amz-Signature";

/// What the verifier needs from an HTTP request.
#[derive(Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method, as sent (`POST`).
    pub method: &'a str,
    /// The path as received, still percent-encoded.
    pub path: &'a str,
    /// The raw query string, without the `?`.
    pub query: Option<&'a str>,
    /// All request headers.
    pub headers: &'a HeaderMap,
    /// The whole body.
    pub body: &'a [u8],
}

impl fmt::Debug for RequestParts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may hold a secret value and the headers a session token, so only their
        // sizes are shown.
        f.debug_struct("RequestParts")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The scope a request was signed for: `date/region/service/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CredentialScope {
    /// The day, `YYYYMMDD`.
    pub date: String,
    /// The region, which is also the region the request acts in.
    pub region: String,
    /// The service signing name (`secretsmanager`, `sts`).
    pub service: String,
}

impl CredentialScope {
    /// The scope as it appears in the string to sign.
    pub fn to_scope_string(&self) -> String {
        format!(
            "{}/{}/{}/{TERMINATOR}",
            self.date, self.region, self.service
        )
    }
}

/// A parsed, not yet verified, signed request.
#[derive(Clone)]
pub struct SignedRequest {
    /// The access key id the request claims.
    pub access_key_id: String,
    /// The credential scope; the key to verify with must be derived for it.
    pub scope: CredentialScope,
    /// `X-Amz-Security-Token`, which the key lookup must check belongs to the access key.
    pub session_token: Option<String>,
    /// When the client signed the request.
    pub request_time: DateTime<Utc>,
    /// Whether the signature came in the query string rather than the `Authorization` header.
    pub presigned: bool,
    /// `None` when the client's signature is not 64 hex digits: it can then match nothing.
    signature: Option<Signature>,
    string_to_sign: String,
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The session token is a credential, so only its presence is shown.
        f.debug_struct("SignedRequest")
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("request_time", &self.request_time)
            .field("presigned", &self.presigned)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

impl SignedRequest {
    /// Checks the signature against the one computed with `key`, in constant time.
    ///
    /// `key` must be derived for [`Self::scope`] from the secret key of
    /// [`Self::access_key_id`]; a key for another scope simply fails to match.
    pub fn verify(&self, key: &SigningKey) -> Result<(), AuthError> {
        let expected = key.sign(self.string_to_sign.as_bytes());
        match &self.signature {
            Some(signature) if signature.matches(&expected) => Ok(()),
            _ => Err(AuthError::SignatureDoesNotMatch),
        }
    }

    /// Checks that the request was signed for `service` (`secretsmanager` for the JSON API,
    /// `sts` for `GetCallerIdentity`).
    pub fn expect_service(&self, service: &str) -> Result<(), AuthError> {
        if self.scope.service == service {
            Ok(())
        } else if !SERVED_SERVICES.contains(&self.scope.service.as_str()) {
            Err(AuthError::UnservedService {
                service: self.scope.service.clone(),
            })
        } else {
            Err(AuthError::WrongService {
                expected: service.to_owned(),
                received: self.scope.service.clone(),
            })
        }
    }
}

/// A signature as the client sent it, comparable only in constant time.
#[derive(Clone)]
struct Signature([u8; 32]);

impl Signature {
    fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    fn matches(&self, expected: &[u8; 32]) -> bool {
        self.0.ct_eq(expected).into()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(<redacted>)")
    }
}

/// The key derived from a secret access key for one date, region and service.
///
/// It is as good as the secret key for that scope, so it is zeroed on drop and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// The HMAC-SHA256 of `data` under this key.
    fn sign(&self, data: &[u8]) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(hmac_sha256(&self.0, data))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// Derives the signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
/// "aws4_request")`. Every intermediate key is zeroed once used.
pub fn derive_signing_key(
    secret_access_key: &str,
    date: &str,
    region: &str,
    service: &str,
) -> SigningKey {
    let secret = Zeroizing::new(format!("AWS4{secret_access_key}").into_bytes());
    let date_key = Zeroizing::new(hmac_sha256(&secret, date.as_bytes()));
    let region_key = Zeroizing::new(hmac_sha256(&*date_key, region.as_bytes()));
    let service_key = Zeroizing::new(hmac_sha256(&*region_key, service.as_bytes()));
    SigningKey(hmac_sha256(&*service_key, TERMINATOR.as_bytes()))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; 32];
    for (slot, byte) in out.iter_mut().zip(tag.as_ref()) {
        *slot = *byte;
    }
    out
}

/// The credential a request claims to be signed with, as written, unchecked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedCredential {
    /// The access key id (never empty).
    pub access_key_id: String,
    /// The credential scope's region.
    pub region: String,
    /// The credential scope's service.
    pub service: String,
}

/// Reads what a request claims to be signed with, leniently: the `Credential=` of the
/// `Authorization` header, or else the `X-Amz-Credential` of a presigned query, split into
/// `<access key id>/<date>/<region>/<service>/…` with nothing verified. This names who a
/// request claimed to be when it was not authenticated (refused by [`parse`] or `verify`, or
/// before either ran), for the record; an authenticated request's caller comes from the
/// verification instead. `None` when no credential with an access key id is found.
pub fn claimed_credential(headers: &HeaderMap, query: Option<&str>) -> Option<ClaimedCredential> {
    let credential = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|authorization| authorization.split("Credential=").nth(1))
        .map(|rest| rest.split([',', ' ']).next().unwrap_or_default().to_owned())
        .or_else(|| {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
            pairs
                .into_iter()
                .find(|(name, _)| name == "X-Amz-Credential")
                .map(|(_, value)| value)
        })?;
    let mut fields = credential.split('/');
    let access_key_id = fields.next()?.to_owned();
    let region = fields.nth(1)?.to_owned();
    let service = fields.next()?.to_owned();
    (!access_key_id.is_empty()).then_some(ClaimedCredential {
        access_key_id,
        region,
        service,
    })
}

/// Parses a signed request and computes its string to sign, checking everything that can be
/// checked without the key: the form of the authentication information, the credential
/// scope, that `host` is signed, the clock, and the declared payload hash.
///
/// The `Authorization` header wins when a request carries both forms.
pub fn parse(parts: &RequestParts<'_>, now: DateTime<Utc>) -> Result<SignedRequest, AuthError> {
    if let Some(authorization) = parts.headers.get(http::header::AUTHORIZATION) {
        return parse_header_form(parts, authorization, now);
    }
    let query = canonical::parse_query(parts.query.unwrap_or(""));
    if query_param(&query, "X-Amz-Algorithm").is_some() {
        return parse_query_form(parts, &query, now);
    }
    Err(AuthError::MissingAuthenticationToken)
}

fn parse_header_form(
    parts: &RequestParts<'_>,
    authorization: &http::HeaderValue,
    now: DateTime<Utc>,
) -> Result<SignedRequest, AuthError> {
    // X-Amz-Date wins over Date; only Date may use the HTTP date format.
    let date_header = match parts.headers.get("x-amz-date") {
        Some(value) => Some((value, false)),
        None => parts
            .headers
            .get(http::header::DATE)
            .map(|value| (value, true)),
    };

    // A header that is not even text cannot be SigV4; it is reported as missing every part,
    // without an echo.
    let Ok(header) = authorization.to_str() else {
        return Err(missing_everything(date_header.is_none()));
    };
    let header = header.trim();
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    if algorithm != ALGORITHM {
        if algorithm.starts_with("AWS4-") {
            return Err(AuthError::UnsupportedAlgorithm {
                algorithm: algorithm.to_owned(),
            });
        }
        return Err(missing_everything(date_header.is_none()));
    }

    // AWS splits the parameters on commas and blanks alike, which is why `Credential= AKID…`
    // is reported as a word without an equals sign.
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for word in rest.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
        if word.is_empty() {
            continue;
        }
        let Some((key, value)) = word.split_once('=') else {
            return Err(AuthError::MalformedAuthorizationPair {
                pair: word.to_owned(),
                authorization: header.to_owned(),
            });
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value);
        }
    }
    let missing = MissingParts {
        credential: credential.is_none(),
        signature: signature.is_none(),
        signed_headers: signed_headers.is_none(),
        date: date_header.is_none(),
    };
    let (Some(credential), Some(signed_headers), Some(signature), Some(date_header)) =
        (credential, signed_headers, signature, date_header)
    else {
        return Err(AuthError::MissingAuthorizationParts {
            missing,
            authorization: Some(header.to_owned()),
        });
    };

    let (access_key_id, scope) = parse_credential(credential)?;
    let (date_value, allow_http_date) = date_header;
    let date_text = String::from_utf8_lossy(date_value.as_bytes());
    let request_time = parse_request_time(&date_text, allow_http_date)?;
    check_scope_date(&scope, request_time)?;
    let signed_header_names = split_signed_headers(signed_headers)?;
    check_amz_headers_signed(parts.headers, &signed_header_names)?;

    if request_time < now - MAX_CLOCK_SKEW {
        return Err(AuthError::SignatureExpired { request_time, now });
    }
    if request_time > now + MAX_CLOCK_SKEW {
        return Err(AuthError::SignatureNotYetCurrent { request_time, now });
    }

    let payload_hash = canonical::sha256_hex(parts.body);
    if let Some(declared) = parts.headers.get("x-amz-content-sha256") {
        // Only a declared digest can be compared; `UNSIGNED-PAYLOAD` and the streaming
        // markers are S3's and make the signature fail below, since coffer always signs the
        // body.
        let declared = declared.as_bytes();
        let is_digest = declared.len() == 64 && declared.iter().all(u8::is_ascii_hexdigit);
        if is_digest && !declared.eq_ignore_ascii_case(payload_hash.as_bytes()) {
            return Err(AuthError::PayloadHashMismatch);
        }
    }

    let canonical_request = canonical::canonical_request(&canonical::CanonicalInput {
        method: parts.method,
        path: parts.path,
        query: parts.query.unwrap_or(""),
        headers: parts.headers,
        signed_headers: &signed_header_names,
        signed_headers_line: signed_headers,
        payload_hash: &payload_hash,
        skip_signature: false,
    });
    let timestamp = amz_timestamp(request_time);
    let session_token = parts
        .headers
        .get("x-amz-security-token")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    Ok(SignedRequest {
        access_key_id,
        string_to_sign: canonical::string_to_sign(&timestamp, &scope, &canonical_request),
        scope,
        session_token,
        request_time,
        presigned: false,
        signature: Signature::from_hex(signature),
    })
}

fn parse_query_form(
    parts: &RequestParts<'_>,
    query: &[(Vec<u8>, Vec<u8>)],
    now: DateTime<Utc>,
) -> Result<SignedRequest, AuthError> {
    let algorithm = query_param(query, "X-Amz-Algorithm").unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(AuthError::UnsupportedAlgorithm { algorithm });
    }
    let (Some(credential), Some(date), Some(expires), Some(signed_headers), Some(signature)) = (
        query_param(query, "X-Amz-Credential"),
        query_param(query, "X-Amz-Date"),
        query_param(query, "X-Amz-Expires"),
        query_param(query, "X-Amz-SignedHeaders"),
        query_param(query, SIGNATURE_PARAM),
    ) else {
        return Err(AuthError::MissingQueryParameters);
    };

    let (access_key_id, scope) = parse_credential(&credential)?;
    let request_time = parse_request_time(&date, false)?;
    check_scope_date(&scope, request_time)?;
    let expires_secs = match expires.parse::<u64>() {
        Ok(secs @ 1..=MAX_PRESIGNED_EXPIRES) => secs,
        _ => return Err(AuthError::InvalidExpires { value: expires }),
    };
    let signed_header_names = split_signed_headers(&signed_headers)?;
    check_amz_headers_signed(parts.headers, &signed_header_names)?;

    // A presigned request is good from 15 minutes before its date (the clocks may differ)
    // until its date plus its lifetime, inclusive; the bound on `expires_secs` makes the
    // conversion lossless.
    if request_time > now + MAX_CLOCK_SKEW {
        return Err(AuthError::SignatureNotYetCurrent { request_time, now });
    }
    let lifetime = TimeDelta::seconds(i64::try_from(expires_secs).unwrap_or(0));
    let expired_at = request_time + lifetime;
    if now > expired_at {
        return Err(AuthError::PresignedExpired { expired_at, now });
    }

    // botocore's SigV4QueryAuth (for every service but S3) signs the SHA-256 of the body,
    // which is empty for the URLs it generates; coffer signs the body it received, so a
    // presigned URL cannot be replayed with another body.
    let payload_hash = canonical::sha256_hex(parts.body);
    let canonical_request = canonical::canonical_request(&canonical::CanonicalInput {
        method: parts.method,
        path: parts.path,
        query: parts.query.unwrap_or(""),
        headers: parts.headers,
        signed_headers: &signed_header_names,
        signed_headers_line: &signed_headers,
        payload_hash: &payload_hash,
        skip_signature: true,
    });
    Ok(SignedRequest {
        access_key_id,
        string_to_sign: canonical::string_to_sign(&date, &scope, &canonical_request),
        scope,
        session_token: query_param(query, "X-Amz-Security-Token"),
        request_time,
        presigned: true,
        signature: Signature::from_hex(&signature),
    })
}

/// The error for an `Authorization` header with nothing SigV4 in it.
fn missing_everything(date_missing: bool) -> AuthError {
    AuthError::MissingAuthorizationParts {
        missing: MissingParts {
            credential: true,
            signature: true,
            signed_headers: true,
            date: date_missing,
        },
        authorization: None,
    }
}

/// The first value of a query parameter, decoded; later duplicates are still signed.
fn query_param(query: &[(Vec<u8>, Vec<u8>)], name: &str) -> Option<String> {
    query
        .iter()
        .find(|(key, _)| key == name.as_bytes())
        .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
}

/// Splits `AKID/20150830/us-east-1/service/aws4_request`.
fn parse_credential(credential: &str) -> Result<(String, CredentialScope), AuthError> {
    let elements: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = elements[..] else {
        return Err(AuthError::MalformedCredential {
            credential: credential.to_owned(),
        });
    };
    if access_key_id.is_empty() || service.is_empty() {
        return Err(AuthError::MalformedCredential {
            credential: credential.to_owned(),
        });
    }
    if terminator != TERMINATOR {
        return Err(AuthError::InvalidTerminator {
            terminator: terminator.to_owned(),
        });
    }
    // coffer does not keep a list of regions; any name of AWS's shape is accepted, since the
    // region only selects where the request acts.
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    if !region_ok {
        return Err(AuthError::InvalidRegion {
            region: region.to_owned(),
        });
    }
    Ok((
        access_key_id.to_owned(),
        CredentialScope {
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        },
    ))
}

/// Parses `20150830T123600Z`; a `Date` header may also use the HTTP date format, which
/// botocore sends when the caller set a `Date` header itself.
fn parse_request_time(text: &str, allow_http_date: bool) -> Result<DateTime<Utc>, AuthError> {
    let text = text.trim();
    if text.len() == 16 {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, AMZ_DATE_FORMAT) {
            return Ok(time.and_utc());
        }
    }
    if allow_http_date {
        if let Ok(time) = DateTime::parse_from_rfc2822(text) {
            return Ok(time.with_timezone(&Utc));
        }
    }
    Err(AuthError::MalformedDate {
        value: text.to_owned(),
    })
}

/// `YYYYMMDDTHHMMSSZ`. Written out by hand: chrono's strftime interpreter showed up in the
/// profile of the hot path, and this runs on every request.
fn amz_timestamp(time: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// `YYYYMMDD`, the date of a credential scope.
fn amz_date(time: DateTime<Utc>) -> String {
    use chrono::Datelike;
    format!("{:04}{:02}{:02}", time.year(), time.month(), time.day())
}

fn check_scope_date(scope: &CredentialScope, request_time: DateTime<Utc>) -> Result<(), AuthError> {
    let request_date = amz_date(request_time);
    if scope.date == request_date {
        return Ok(());
    }
    Err(AuthError::ScopeDateMismatch {
        scope_date: scope.date.clone(),
        request_date,
        request_timestamp: request_time.format(AMZ_DATE_FORMAT).to_string(),
    })
}

/// Refuses a request carrying an `X-Amz-*` header that the signature does not cover: such a
/// header could have been added in transit. Other unsigned headers (a proxy's `X-Forwarded-For`,
/// `User-Agent`) are allowed, as on AWS. `X-Amz-Date` (the request time, checked on its own) and
/// `X-Amz-Content-Sha256` (compared with the body's digest) are exempt, as AWS's own test suite
/// sends them unsigned.
fn check_amz_headers_signed(headers: &http::HeaderMap, signed: &[&str]) -> Result<(), AuthError> {
    let mut unsigned: Vec<&str> = headers
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|name| name.starts_with("x-amz-"))
        .filter(|name| !matches!(*name, "x-amz-date" | "x-amz-content-sha256"))
        .filter(|name| !signed.iter().any(|s| s.eq_ignore_ascii_case(name)))
        .collect();
    if unsigned.is_empty() {
        return Ok(());
    }
    unsigned.sort_unstable();
    unsigned.dedup();
    Err(AuthError::HeadersNotSigned {
        names: unsigned.join(","),
    })
}

/// Splits `SignedHeaders`, which must name `host` so the signature is bound to this server.
fn split_signed_headers(signed_headers: &str) -> Result<Vec<&str>, AuthError> {
    let names: Vec<&str> = signed_headers.split(';').collect();
    if names.iter().any(|name| name.eq_ignore_ascii_case("host")) {
        Ok(names)
    } else {
        Err(AuthError::HostNotSigned)
    }
}
