//! Signing, the way botocore does it: for tests, the hand-signed request helper and tools.
//! The server never signs; these functions share the canonical form with the verifier so
//! that a difference between the two cannot hide.

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};

use super::canonical::{self, uri_encode};
use super::{derive_signing_key, CredentialScope, RequestParts, ALGORITHM, AMZ_DATE_FORMAT};

/// Headers botocore never signs, because proxies may change or drop them
/// (`SIGNED_HEADERS_BLACKLIST` in `botocore/auth.py`), plus the `Authorization` header itself.
const UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "baggage",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "traceparent",
    "tracestate",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// The credentials and scope to sign with.
#[derive(Clone, Copy)]
pub struct SigningParams<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// A session token, sent as `X-Amz-Security-Token` and signed.
    pub session_token: Option<&'a str>,
    /// The region of the credential scope.
    pub region: &'a str,
    /// The service signing name of the credential scope.
    pub service: &'a str,
    /// The signing time.
    pub time: DateTime<Utc>,
}

impl std::fmt::Debug for SigningParams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret key and the session token are credentials and are never printed.
        f.debug_struct("SigningParams")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("time", &self.time)
            .finish_non_exhaustive()
    }
}

impl SigningParams<'_> {
    fn scope(&self) -> CredentialScope {
        CredentialScope {
            date: self.time.format("%Y%m%d").to_string(),
            region: self.region.to_owned(),
            service: self.service.to_owned(),
        }
    }

    fn sign(&self, string_to_sign: &str) -> String {
        let scope = self.scope();
        let key = derive_signing_key(
            self.secret_access_key,
            &scope.date,
            &scope.region,
            &scope.service,
        );
        hex::encode(*key.sign(string_to_sign.as_bytes()))
    }
}

/// The names of the headers botocore would sign, lower-cased, sorted and deduplicated.
fn signable_header_names(headers: &HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| !UNSIGNED_HEADERS.contains(&name.as_str()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Signs a request in the header form, the way botocore's `SigV4Auth` does, and returns the
/// headers to add: `X-Amz-Date`, `X-Amz-Security-Token` when there is a session token, and
/// `Authorization`.
///
/// Every header of `request` is signed except the ones botocore leaves out, so `Host` must
/// already be among them. A session token that is not a valid header value is left out, and
/// the request then fails verification.
pub fn sign_headers(
    request: &RequestParts<'_>,
    params: &SigningParams<'_>,
) -> Vec<(String, String)> {
    let timestamp = params.time.format(AMZ_DATE_FORMAT).to_string();
    let mut headers = request.headers.clone();
    // Like botocore on a retry, stale authentication headers are replaced, not added to.
    for stale in ["authorization", "x-amz-date", "x-amz-security-token"] {
        headers.remove(stale);
    }
    let mut added = Vec::new();
    insert(&mut headers, &mut added, "X-Amz-Date", &timestamp);
    if let Some(token) = params.session_token {
        insert(&mut headers, &mut added, "X-Amz-Security-Token", token);
    }

    let names = signable_header_names(&headers);
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let signed_headers_line = name_refs.join(";");
    let payload_hash = canonical::sha256_hex(request.body);
    let canonical_request = canonical::canonical_request(&canonical::CanonicalInput {
        method: request.method,
        path: request.path,
        query: request.query.unwrap_or(""),
        headers: &headers,
        signed_headers: &name_refs,
        signed_headers_line: &signed_headers_line,
        payload_hash: &payload_hash,
        skip_signature: false,
    });
    let scope = params.scope();
    let string_to_sign = canonical::string_to_sign(&timestamp, &scope, &canonical_request);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={signed_headers_line}, Signature={}",
        params.access_key_id,
        scope.to_scope_string(),
        params.sign(&string_to_sign)
    );
    added.push(("Authorization".to_owned(), authorization));
    added
}

/// Adds a header both to the map being signed and to the list handed back to the caller.
fn insert(headers: &mut HeaderMap, added: &mut Vec<(String, String)>, name: &str, value: &str) {
    let header_name = HeaderName::try_from(name.to_ascii_lowercase());
    if let (Ok(header_name), Ok(header_value)) = (header_name, HeaderValue::from_str(value)) {
        headers.insert(header_name, header_value);
        added.push((name.to_owned(), value.to_owned()));
    }
}

/// Presigns a request the way botocore's `SigV4QueryAuth` does and returns the query
/// parameters to append to the request's query string (with `&` when it already has one):
/// `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
/// `X-Amz-SignedHeaders`, `X-Amz-Security-Token` when there is a session token, and last
/// `X-Amz-Signature`.
///
/// The payload hash is the SHA-256 of `request.body`, as botocore signs for every service but
/// S3.
pub fn presign_query(
    request: &RequestParts<'_>,
    params: &SigningParams<'_>,
    expires_secs: u64,
) -> String {
    let timestamp = params.time.format(AMZ_DATE_FORMAT).to_string();
    let scope = params.scope();
    let mut headers = request.headers.clone();
    headers.remove("authorization");
    let names = signable_header_names(&headers);
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let signed_headers_line = name_refs.join(";");

    let mut auth_params = vec![
        ("X-Amz-Algorithm", ALGORITHM.to_owned()),
        (
            "X-Amz-Credential",
            format!("{}/{}", params.access_key_id, scope.to_scope_string()),
        ),
        ("X-Amz-Date", timestamp.clone()),
        ("X-Amz-Expires", expires_secs.to_string()),
        ("X-Amz-SignedHeaders", signed_headers_line.clone()),
    ];
    if let Some(token) = params.session_token {
        auth_params.push(("X-Amz-Security-Token", token.to_owned()));
    }
    let appended: Vec<String> = auth_params
        .iter()
        .map(|(name, value)| format!("{name}={}", uri_encode(value.as_bytes(), false)))
        .collect();
    let appended = appended.join("&");
    let full_query = match request.query {
        Some(query) if !query.is_empty() => format!("{query}&{appended}"),
        _ => appended.clone(),
    };

    let payload_hash = canonical::sha256_hex(request.body);
    let canonical_request = canonical::canonical_request(&canonical::CanonicalInput {
        method: request.method,
        path: request.path,
        query: &full_query,
        headers: &headers,
        signed_headers: &name_refs,
        signed_headers_line: &signed_headers_line,
        payload_hash: &payload_hash,
        skip_signature: true,
    });
    let string_to_sign = canonical::string_to_sign(&timestamp, &scope, &canonical_request);
    format!(
        "{appended}&X-Amz-Signature={}",
        params.sign(&string_to_sign)
    )
}
