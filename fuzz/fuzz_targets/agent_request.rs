//! coffer-agent's request head, judged by `route` as the agent's HTTP endpoint judges it
//! (forwarding, SSRF token, method, path, query). The input is a request head as text (`GET
//! /v1/name?versionStage=X HTTP/1.1`, then `Name:value` lines), after a first byte that picks
//! the configuration (path prefix, metrics on or off); what the `http` types refuse, hyper
//! would have refused before the agent saw it. Nothing may panic, and only a GET carrying the
//! token may read a secret.
#![no_main]

use coffer_agent::route::{route, Route, Rules};
use coffer_agent::SsrfToken;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = "t0ken-value";
const PREFIXES: [&str; 3] = ["/v1/", "/secrets/", "/"];

fuzz_target!(|data: &[u8]| {
    let Some((&config, head)) = data.split_first() else {
        return;
    };
    let mut lines = head.split(|&b| b == b'\n');
    let Ok(request_line) = std::str::from_utf8(lines.next().unwrap_or_default()) else {
        return;
    };
    let (method, target) = request_line.split_once(' ').unwrap_or((request_line, "/"));
    let target = target.rsplit_once(' ').map_or(target, |(target, _)| target);
    let (Ok(method), Ok(uri)) = (Method::from_bytes(method.as_bytes()), target.parse::<Uri>())
    else {
        return;
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(&line[colon + 1..]),
        ) {
            headers.append(name, value);
        }
    }
    let token = SsrfToken::new(TOKEN);
    let names = [
        HeaderName::from_static("x-aws-parameters-secrets-token"),
        HeaderName::from_static("x-vault-token"),
    ];
    let rules = Rules {
        token: &token,
        ssrf_headers: &names,
        path_prefix: PREFIXES[usize::from(config & 0x3f) % PREFIXES.len()],
        metrics_enabled: config & 0x80 != 0,
        metrics_open: config & 0x40 != 0,
        lambda_mode: config & 0x01 != 0,
    };
    match route(&rules, &method, &uri, &headers) {
        Route::Get { key, .. } => {
            assert_eq!(method, Method::GET);
            assert!(!key.secret_id.is_empty());
            assert!(!headers.contains_key("x-forwarded-for"));
            assert!(names.iter().any(|name| headers
                .get_all(name)
                .iter()
                .any(|value| value.as_bytes() == TOKEN.as_bytes())));
        }
        Route::Refuse { status, body } => {
            assert!(matches!(status, 400 | 403 | 404 | 405), "{status}");
            assert!(!body.is_empty());
        }
        Route::StartServing => assert!(rules.lambda_mode),
        Route::Ping | Route::Metrics => {}
    }
});
