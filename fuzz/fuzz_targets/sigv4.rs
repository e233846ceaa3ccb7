//! SigV4: a request written as AWS's SigV4 test suite writes them (a request line, `Name:value`
//! header lines, a blank line, the body) is parsed, canonicalized and verified with a fixed
//! secret key at a fixed time (the suite's). Nothing may panic; every refusal is an HTTP 400
//! with a well-formed body; a signature computed with another key never verifies.
#![no_main]

use chrono::{DateTime, TimeZone, Utc};
use coffer_protocol::sigv4::{self, AuthError, RequestParts};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

/// The suite's secret key (`AKIDEXAMPLE`'s), so that its vectors verify.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn suite_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0)
        .single()
        .unwrap_or_default()
}

/// Splits `data` at the first occurrence of `separator`.
fn split_once<'a>(data: &'a [u8], separator: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = data
        .windows(separator.len())
        .position(|window| window == separator)?;
    Some((&data[..at], &data[at + separator.len()..]))
}

fn check(error: &AuthError) {
    let api = error.to_api_error();
    assert_eq!(api.code.http_status(), 400, "{}", api.code.as_str());
    assert!(serde_json::from_slice::<serde_json::Value>(&api.to_json()).is_ok());
}

fuzz_target!(|data: &[u8]| {
    let (head, body) = split_once(data, b"\n\n").unwrap_or((data, b""));
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = lines.next().unwrap_or_default();
    let Ok(request_line) = std::str::from_utf8(request_line) else {
        return;
    };
    let (method, target) = request_line.split_once(' ').unwrap_or((request_line, "/"));
    // The protocol version, when present, is not part of the target.
    let target = target.rsplit_once(' ').map_or(target, |(target, _)| target);
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some((name, value)) = split_once(line, b":") else {
            continue;
        };
        // What hyper would have refused never reaches the verifier.
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        else {
            continue;
        };
        headers.append(name, value);
    }
    let parts = RequestParts {
        method,
        path,
        query,
        headers: &headers,
        body,
    };
    match sigv4::parse(&parts, suite_time()) {
        Ok(signed) => {
            let scope = &signed.scope;
            let key = sigv4::derive_signing_key(SECRET, &scope.date, &scope.region, &scope.service);
            if let Err(error) = signed.verify(&key) {
                check(&error);
            }
            let other = sigv4::derive_signing_key(
                "not-the-key",
                &scope.date,
                &scope.region,
                &scope.service,
            );
            assert!(signed.verify(&other).is_err());
            if let Err(error) = signed.expect_service("secretsmanager") {
                check(&error);
            }
            let _ = format!("{signed:?}");
        }
        Err(error) => check(&error),
    }
});
