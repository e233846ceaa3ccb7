//! The local HTTP endpoint, AWS's agent's rules in AWS's agent's order: connection limit, then
//! forwarding and SSRF token (not for `/ping`, nor for `/metrics` with `metrics_open`), then
//! method, then route.

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cache::{Answer, Cache, Key};
use crate::metrics::Metrics;
use crate::token::SsrfToken;

/// The header that marks a value served past its TTL: seconds since the upstream last
/// confirmed it.
pub const STALE_HEADER: &str = "x-coffer-stale";

/// How long a client may take to send a request's headers (also bounds idle keep-alive
/// connections, which count against `max_conn`).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(61);

/// AWS's agent's request buffer limit.
const MAX_BUF_BYTES: usize = (65 + 256) * 1024;

/// What every connection shares.
pub(crate) struct State {
    pub cache: Arc<Cache>,
    pub token: SsrfToken,
    pub ssrf_headers: Vec<HeaderName>,
    pub path_prefix: String,
    pub max_conn: usize,
    pub metrics_enabled: bool,
    /// `/metrics` without the token (`metrics_open`).
    pub metrics_open: bool,
    pub metrics: Arc<Metrics>,
    pub open_connections: AtomicUsize,
}

type HttpResponse = Response<Full<Bytes>>;

fn text(status: u16, body: &'static str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    response
}

fn owned_text(status: u16, body: String) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    response
}

fn json(status: StatusCode, body: Bytes) -> HttpResponse {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Decrements the open-connection count when a connection ends, however it ends.
struct ConnectionGuard(Arc<State>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Accepts connections until `shutdown` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // As AWS's agent: a TTL of 1 keeps the answers from travelling past one hop.
        let _ = stream.set_ttl(1);
        let _ = stream.set_nodelay(true);
        state.open_connections.fetch_add(1, Ordering::Relaxed);
        let guard = ConnectionGuard(state.clone());
        let state = state.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let service = service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(&state, request).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(MAX_BUF_BYTES);
            if let Err(e) = builder
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

/// One request.
async fn handle(state: &State, request: Request<Incoming>) -> HttpResponse {
    let path = request.uri().path();
    let is_ping = path == "/ping";
    let is_metrics = state.metrics_enabled && path == "/metrics";
    // The metrics tell anyone who can reach the port which traffic the agent carries: they
    // take the token like the secrets path unless the operator opened them (a scraper that
    // cannot send headers).
    let open_metrics = is_metrics && state.metrics_open;
    let needs_token = !(is_ping || open_metrics);

    // AWS's agent lets health checks use two connections beyond the limit.
    let limit = if is_ping {
        state.max_conn + 2
    } else {
        state.max_conn
    };
    if state.open_connections.load(Ordering::Relaxed) > limit {
        Metrics::inc(&state.metrics.rejected_connections);
        return text(429, "Connection limit exceeded");
    }

    if needs_token {
        let headers = request.headers();
        if headers.contains_key("x-forwarded-for") {
            tracing::warn!("rejecting a request with X-Forwarded-For");
            return text(400, "Forwarded");
        }
        let authorised = state.ssrf_headers.iter().any(|name| {
            headers
                .get_all(name)
                .iter()
                .any(|value| state.token.matches(value.as_bytes()))
        });
        if !authorised {
            tracing::warn!("rejecting a request with a missing or wrong SSRF token");
            return text(403, "Bad Token");
        }
    }

    if request.method() != Method::GET {
        return text(405, "Not allowed");
    }

    if is_ping {
        return text(200, "healthy");
    }
    if is_metrics {
        let mut response = owned_text(200, state.metrics.render(state.cache.len()));
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        );
        return response;
    }

    let query = request.uri().query().unwrap_or("");
    let parsed = if path == "/secretsmanager/get" {
        parse_query(query, None)
    } else if let Some(rest) = path.strip_prefix(state.path_prefix.as_str()) {
        parse_query(query, Some(rest))
    } else {
        return text(404, "Not found");
    };
    let (key, refresh_now) = match parsed {
        Ok(parsed) => parsed,
        Err(Refusal(body)) => return owned_text(400, body.into_owned()),
    };

    match state.cache.get(key, refresh_now).await {
        Ok(Answer { body, stale_for }) => {
            let mut response = json(StatusCode::OK, body);
            if let Some(age) = stale_for {
                response
                    .headers_mut()
                    .insert(STALE_HEADER, HeaderValue::from(age.as_secs()));
            }
            response
        }
        Err(error) => json(
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            error.body(),
        ),
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
            key.secret_id = percent_decode_str(id)
                .decode_utf8()
                .map_err(|_| refuse("missing secret ID"))?
                .into_owned();
            if key.secret_id.is_empty() {
                return Err(refuse("missing secret ID"));
            }
        }
        None if key.secret_id.is_empty() => {
            return Err(refuse("missing parameter secretId"));
        }
        None => {}
    }
    Ok((key, refresh_now))
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
        assert_eq!(key.secret_id, "db/prod@x");
        assert_eq!(key.version_id.as_deref(), Some("v1"));
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
}
