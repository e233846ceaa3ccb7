//! The local HTTP endpoint, AWS's agent's rules in AWS's agent's order: connection limit here,
//! then forwarding and SSRF token (not for `/ping`, nor for `/metrics` with `metrics_open`),
//! method and route in [`crate::route`].

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cache::{Answer, Cache};
use crate::metrics::Metrics;
use crate::route::{route, Route, Rules};
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
    /// False while secret reads are held (Lambda mode, before the first INVOKE or
    /// `/start_serving`).
    pub serving: AtomicBool,
    /// Lambda extension mode (`/start_serving` answers).
    pub lambda_mode: AtomicBool,
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

/// A JSON body, with no `Content-Type`: AWS's agent sends none (only `content-length` and
/// `date`), and clients compare headers too.
fn json(status: StatusCode, body: Bytes) -> HttpResponse {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
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
    // AWS's agent lets health checks (and its Lambda switch) use two connections beyond the
    // limit.
    let limit = if matches!(request.uri().path(), "/ping" | "/start_serving") {
        state.max_conn + 2
    } else {
        state.max_conn
    };
    if state.open_connections.load(Ordering::Relaxed) > limit {
        Metrics::inc(&state.metrics.rejected_connections);
        return text(429, "Connection limit exceeded");
    }

    let rules = Rules {
        token: &state.token,
        ssrf_headers: &state.ssrf_headers,
        path_prefix: &state.path_prefix,
        metrics_enabled: state.metrics_enabled,
        metrics_open: state.metrics_open,
        lambda_mode: state.lambda_mode.load(Ordering::SeqCst),
    };
    let (key, refresh_now) = match route(&rules, request.method(), request.uri(), request.headers())
    {
        Route::Ping => return text(200, "healthy"),
        Route::StartServing => {
            if !state.serving.swap(true, Ordering::SeqCst) {
                tracing::info!("serving secrets (/start_serving)");
            }
            return text(200, "serving enabled");
        }
        Route::Metrics => {
            let mut response = owned_text(200, state.metrics.render(state.cache.len()));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            return response;
        }
        Route::Refuse {
            status,
            body: Cow::Borrowed(body),
        } => return text(status, body),
        Route::Refuse {
            status,
            body: Cow::Owned(body),
        } => return owned_text(status, body),
        Route::Get { key, refresh_now } => (key, refresh_now),
    };
    if !state.serving.load(Ordering::SeqCst) {
        return text(
            503,
            "Serving not enabled. Hit the /start_serving endpoint to enable serving requests.",
        );
    }

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
