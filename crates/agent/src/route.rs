//! What the agent does with a request, decided from its head alone: AWS's agent's checks in
//! its order (forwarding and SSRF token, not for `/ping`, nor for `/metrics` with
//! `metrics_open`; then method; then route), and the
//! query parsing. A pure function, so the fuzzer and the unit tests reach it without a socket;
//! `http.rs` checks the connection limit first and then acts on the [`Route`].

use std::borrow::Cow;

use http::{HeaderMap, HeaderName, Method, Uri};

use crate::key::Key;
use crate::token::SsrfToken;

/// The configuration a request is judged by.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// The expected SSRF token.
    pub token: &'a SsrfToken,
    /// The headers that may carry it (`ssrf_headers`).
    pub ssrf_headers: &'a [HeaderName],
    /// The path prefix of path-style reads (`path_prefix`, `/v1/` by default).
    pub path_prefix: &'a str,
    /// Whether `/metrics` is served.
    pub metrics_enabled: bool,
    /// Whether `/metrics` is served without the token (`metrics_open`).
    pub metrics_open: bool,
    /// Lambda extension mode: `/start_serving` answers.
    pub lambda_mode: bool,
}

/// What one request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /ping`: the health check.
    Ping,
    /// `GET /metrics`, when metrics are enabled.
    Metrics,
    /// `GET /start_serving` in Lambda mode: serve secrets from now on (AWS's agent's switch,
    /// which its Lambda wrapper script calls on the first INVOKE).
    StartServing,
    /// A secret read through the cache.
    Get {
        /// What the request names.
        key: Key,
        /// `refreshNow=true`: skip the cache.
        refresh_now: bool,
    },
    /// Refused with this status and plain-text body, as AWS's agent answers.
    Refuse {
        /// The HTTP status.
        status: u16,
        /// The plain-text body.
        body: Cow<'static, str>,
    },
}

impl Route {
    fn refuse(status: u16, body: &'static str) -> Self {
        Route::Refuse {
            status,
            body: Cow::Borrowed(body),
        }
    }
}

/// Decides what a request asks for. The connection limit is the caller's: it comes first and
/// needs the count of open connections.
pub fn route(rules: &Rules<'_>, method: &Method, uri: &Uri, headers: &HeaderMap) -> Route {
    let path = uri.path();
    let is_ping = path == "/ping";
    // As AWS's agent: `/start_serving` skips the token checks in every mode, and outside Lambda
    // mode answers 404 like any unknown path.
    let is_start = path == "/start_serving";
    let is_metrics = rules.metrics_enabled && path == "/metrics";
    // The metrics tell anyone who can reach the port which traffic the agent carries: they take
    // the token like the secrets path unless the operator opened them (a scraper that cannot
    // send headers).
    let needs_token = !(is_ping || is_start || (is_metrics && rules.metrics_open));

    if needs_token {
        if headers.contains_key("x-forwarded-for") {
            tracing::warn!("rejecting a request with X-Forwarded-For");
            return Route::refuse(400, "Forwarded");
        }
        let authorised = rules.ssrf_headers.iter().any(|name| {
            headers
                .get_all(name)
                .iter()
                .any(|value| rules.token.matches(value.as_bytes()))
        });
        if !authorised {
            tracing::warn!("rejecting a request with a missing or wrong SSRF token");
            return Route::refuse(403, "Bad Token");
        }
    }

    if method != Method::GET {
        return Route::refuse(405, "Not allowed");
    }

    if is_ping {
        return Route::Ping;
    }
    if is_start {
        return if rules.lambda_mode {
            Route::StartServing
        } else {
            Route::refuse(404, "Not found")
        };
    }
    if is_metrics {
        return Route::Metrics;
    }

    let query = uri.query().unwrap_or("");
    let parsed = if path == "/secretsmanager/get" {
        parse_query(query, None)
    } else if path.starts_with(rules.path_prefix) {
        // As AWS's agent: the id is the path as the WHATWG URL parser leaves it (dot segments
        // resolved, a few characters percent-encoded, nothing decoded: `/v1/a%2Fb` names the
        // secret `a%2Fb`), less the prefix's length.
        let normalized = normalize_path(path);
        parse_query(
            query,
            Some(normalized.get(rules.path_prefix.len()..).unwrap_or("")),
        )
    } else {
        return Route::refuse(404, "Not found");
    };
    match parsed {
        Ok((key, refresh_now)) => Route::Get { key, refresh_now },
        Err(Refusal(body)) => Route::Refuse { status: 400, body },
    }
}

/// A malformed request: 400 with this plain-text body, as AWS's agent answers.
#[derive(Debug)]
struct Refusal(Cow<'static, str>);

/// The key and `refreshNow` from the query string (and, path style, the id from the path).
/// Form decoding as AWS's agent (`+` is a space); an unknown parameter is refused.
fn parse_query(query: &str, path_id: Option<&str>) -> Result<(Key, bool), Refusal> {
    let refuse = |body: &'static str| Refusal(Cow::Borrowed(body));
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| refuse("invalid query string"))?;
    let mut key = Key {
        secret_id: String::new(),
        version_id: None,
        version_stage: None,
    };
    let mut refresh_now = false;
    for (name, value) in pairs {
        match name.as_str() {
            "secretId" if path_id.is_none() => key.secret_id = value,
            "versionId" => key.version_id = Some(value),
            "versionStage" => key.version_stage = Some(value),
            "refreshNow" => {
                refresh_now = match value.to_ascii_lowercase().as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(refuse("invalid refreshNow value")),
                }
            }
            _ => return Err(Refusal(Cow::Owned(format!("unknown parameter: {name}")))),
        }
    }
    match path_id {
        Some(id) => {
            if id.is_empty() {
                return Err(refuse("missing secret ID"));
            }
            key.secret_id = id.to_owned();
        }
        None if key.secret_id.is_empty() => {
            return Err(refuse("missing parameter secretId"));
        }
        None => {}
    }
    Ok((key, refresh_now))
}

/// The path as the WHATWG URL parser (the `url` crate AWS's agent parses with) serializes it
/// for an `http:` URL: `.` and `..` segments (also written `%2e`, any case) resolved, the
/// characters of the path percent-encode set and non-ASCII bytes percent-encoded, nothing
/// decoded.
pub fn normalize_path(path: &str) -> String {
    fn is_dot(segment: &str) -> bool {
        segment == "." || segment.eq_ignore_ascii_case("%2e")
    }
    fn is_dot_dot(segment: &str) -> bool {
        matches!(
            segment.to_ascii_lowercase().as_str(),
            ".." | ".%2e" | "%2e." | "%2e%2e"
        )
    }
    let mut out: Vec<String> = Vec::new();
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        if is_dot_dot(segment) {
            out.pop();
            // A trailing `..` leaves the path ending in `/`.
            if i == last {
                out.push(String::new());
            }
        } else if is_dot(segment) {
            if i == last {
                out.push(String::new());
            }
        } else {
            let mut encoded = String::with_capacity(segment.len());
            for byte in segment.bytes() {
                if byte <= 0x20 || byte >= 0x7f || b"\"#<>?`{}".contains(&byte) {
                    encoded.push_str(&format!("%{byte:02X}"));
                } else {
                    encoded.push(char::from(byte));
                }
            }
            out.push(encoded);
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn query_style() {
        let (key, refresh) = parse_query(
            "secretId=a%2Fb+c&versionStage=AWSPREVIOUS&refreshNow=TRUE",
            None,
        )
        .unwrap();
        assert_eq!(key.secret_id, "a/b c");
        assert_eq!(key.version_stage.as_deref(), Some("AWSPREVIOUS"));
        assert!(refresh);
        let (_, refresh) = parse_query("secretId=x&refreshNow=0", None).unwrap();
        assert!(!refresh);
    }

    #[test]
    fn path_style() {
        let (key, _) = parse_query("versionId=v1", Some("db/prod%40x")).unwrap();
        assert_eq!(key.secret_id, "db/prod%40x");
        assert_eq!(key.version_id.as_deref(), Some("v1"));
    }

    #[test]
    fn paths_normalize_as_the_url_parser_does() {
        for (raw, normalized) in [
            ("/v1/agent%2Fdb", "/v1/agent%2Fdb"),
            ("/v1/a/./b", "/v1/a/b"),
            ("/v1/a/../b", "/v1/b"),
            ("/v1/%2E%2e/x", "/x"),
            ("/v1/a/..", "/v1/"),
            ("/v1/a/.", "/v1/a/"),
            ("/v1/a{b}`c", "/v1/a%7Bb%7D%60c"),
            ("/v1/a|b^c", "/v1/a|b^c"),
        ] {
            assert_eq!(normalize_path(raw), normalized, "{raw}");
        }
    }

    #[test]
    fn refusals() {
        let body = |r: Result<(Key, bool), Refusal>| r.unwrap_err().0.into_owned();
        assert_eq!(
            body(parse_query("versionId=v1", None)),
            "missing parameter secretId"
        );
        assert_eq!(
            body(parse_query("secretId=a&abc=1", None)),
            "unknown parameter: abc"
        );
        assert_eq!(
            body(parse_query("secretId=a&refreshNow=yes", None)),
            "invalid refreshNow value"
        );
        assert_eq!(body(parse_query("", Some(""))), "missing secret ID");
        // Path style names the secret in the path only.
        assert_eq!(
            body(parse_query("secretId=a", Some("b"))),
            "unknown parameter: secretId"
        );
    }

    fn token() -> SsrfToken {
        SsrfToken::new("t0ken")
    }

    fn judge(method: Method, uri: &str, headers: &[(&str, &str)]) -> Route {
        judge_with(false, method, uri, headers)
    }

    fn judge_with(
        metrics_open: bool,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> Route {
        let token = token();
        let names = [HeaderName::from_static("x-aws-parameters-secrets-token")];
        let rules = Rules {
            token: &token,
            ssrf_headers: &names,
            path_prefix: "/v1/",
            metrics_enabled: true,
            metrics_open,
            lambda_mode: false,
        };
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        route(&rules, &method, &uri.parse().unwrap(), &map)
    }

    #[test]
    fn checks_in_aws_order() {
        let token = ("x-aws-parameters-secrets-token", "t0ken");
        // Ping needs no token, nor do metrics when open; forwarding and token come before the
        // method.
        assert_eq!(judge(Method::GET, "/ping", &[]), Route::Ping);
        assert_eq!(
            judge(Method::GET, "/metrics", &[]),
            Route::refuse(403, "Bad Token")
        );
        assert_eq!(judge(Method::GET, "/metrics", &[token]), Route::Metrics);
        assert_eq!(
            judge_with(true, Method::GET, "/metrics", &[]),
            Route::Metrics
        );
        assert_eq!(
            judge(
                Method::POST,
                "/v1/a",
                &[("x-forwarded-for", "1.2.3.4"), token]
            ),
            Route::refuse(400, "Forwarded")
        );
        assert_eq!(
            judge(Method::POST, "/v1/a", &[]),
            Route::refuse(403, "Bad Token")
        );
        assert_eq!(
            judge(Method::POST, "/v1/a", &[token]),
            Route::refuse(405, "Not allowed")
        );
        assert_eq!(
            judge(Method::GET, "/elsewhere", &[token]),
            Route::refuse(404, "Not found")
        );
        // No token needed for /start_serving, which is not found outside Lambda mode.
        assert_eq!(
            judge(Method::GET, "/start_serving", &[]),
            Route::refuse(404, "Not found")
        );
        assert_eq!(
            judge(Method::POST, "/start_serving", &[]),
            Route::refuse(405, "Not allowed")
        );
        // `../` out of the prefix leaves no id.
        assert_eq!(
            judge(Method::GET, "/v1/../x", &[token]),
            Route::refuse(400, "missing secret ID")
        );
        assert_eq!(
            judge(Method::GET, "/v1/db%2Fx?refreshNow=true", &[token]),
            Route::Get {
                key: Key {
                    secret_id: "db%2Fx".into(),
                    version_id: None,
                    version_stage: None,
                },
                refresh_now: true,
            }
        );
        assert_eq!(
            judge(Method::GET, "/secretsmanager/get?secretId=a&x=1", &[token]),
            Route::Refuse {
                status: 400,
                body: Cow::Owned("unknown parameter: x".into()),
            }
        );
    }
}
