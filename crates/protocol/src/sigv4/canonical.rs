//! The canonical request and the string to sign, as SigV4 defines them for services other
//! than S3: the path normalised and encoded twice, the query decoded, re-encoded and sorted,
//! header values trimmed with inner runs of spaces collapsed.

use aws_lc_rs::digest;
use http::HeaderMap;

use super::{CredentialScope, ALGORITHM, SIGNATURE_PARAM};

/// The query parameter pairs of a raw query string, percent-decoded but otherwise as sent.
///
/// `+` is kept as a literal plus, not turned into a space: SigV4 treats the query as
/// URI-encoded, not as an HTML form (the `get-query-plus` case of AWS's test suite).
pub(super) fn parse_query(raw: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(text).collect()
}

/// Percent-encodes every byte except the unreserved ones (`A-Z a-z 0-9 - _ . ~`) and, when
/// asked, `/`, with upper-case hex digits, exactly as SigV4's `UriEncode` does.
pub(super) fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push_str(&format!("{byte:02X}"));
        }
    }
    out
}

/// The canonical URI: dot segments and empty segments removed (as botocore and the AWS SDKs
/// do for every service but S3), then the still percent-encoded path encoded a second time.
pub(super) fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalised = String::from("/");
    normalised.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalised.push('/');
    }
    uri_encode(normalised.as_bytes(), true)
}

/// The canonical query string: every pair re-encoded, sorted by encoded name then value.
///
/// For a presigned request the signature parameter is left out, since it cannot sign itself.
pub(super) fn canonical_query(raw: &str, skip_signature: bool) -> String {
    let mut pairs: Vec<(String, String)> = parse_query(raw)
        .into_iter()
        .filter(|(name, _)| !(skip_signature && name == SIGNATURE_PARAM.as_bytes()))
        .map(|(name, value)| (uri_encode(&name, false), uri_encode(&value, false)))
        .collect();
    pairs.sort();
    let encoded: Vec<String> = pairs
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    encoded.join("&")
}

/// A header's canonical value: each value trimmed, inner runs of spaces and tabs collapsed to
/// one space, several values of the same name joined with commas in the order received.
fn canonical_header_value(headers: &HeaderMap, name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, value) in headers.get_all(name).iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let words = value
            .as_bytes()
            .split(|byte| matches!(byte, b' ' | b'\t'))
            .filter(|word| !word.is_empty());
        for (position, word) in words.enumerate() {
            if position > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(word);
        }
    }
    out
}

/// What goes into a canonical request besides the method and the headers map.
pub(super) struct CanonicalInput<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    /// The signed header names in the order the client listed them.
    pub signed_headers: &'a [&'a str],
    /// The joined `SignedHeaders` value exactly as the client sent it.
    pub signed_headers_line: &'a str,
    pub payload_hash: &'a str,
    pub skip_signature: bool,
}

/// The canonical request, as bytes because a header value need not be UTF-8.
pub(super) fn canonical_request(input: &CanonicalInput<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(input.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(input.path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(input.query, input.skip_signature).as_bytes());
    out.push(b'\n');
    for name in input.signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(&canonical_header_value(input.headers, name));
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(input.signed_headers_line.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.payload_hash.as_bytes());
    out
}

/// The string to sign: algorithm, timestamp, scope and the hash of the canonical request.
pub(super) fn string_to_sign(
    timestamp: &str,
    scope: &CredentialScope,
    canonical_request: &[u8],
) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{}\n{}",
        scope.to_scope_string(),
        sha256_hex(canonical_request)
    )
}

/// Lower-case hex SHA-256, the form SigV4 uses for payload and canonical-request hashes.
pub(super) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}
