//! The web console: static files embedded in the binary, served under `/console/`, and the two
//! endpoints the console needs beyond the ordinary API (docs/console.md).
//!
//! - `GET /console/…`: the page, its ES modules and its stylesheet, compiled in with
//!   `include_bytes!` (no build step, no Node), every response with the strict headers of
//!   [`security_headers`]. The pages hold no data: everything they show comes from ordinary
//!   Secrets Manager, IAM and STS calls that the browser signs with SigV4 (WebCrypto), so IAM
//!   and resource policies decide what the console shows and allows, as for the CLI.
//! - `POST /console/api/signin` ([`signin`]): an IAM user's name and console password (IAM's
//!   login profile) in, temporary credentials for that user out (1 hour). Failed attempts are
//!   rate-limited per user and per client address, and every attempt is audited
//!   (`ConsoleLogin`).
//! - `POST /console/api/events` ([`events`]): the recent events of this node's audit trail
//!   and the chain's verification state, for the Audit page. It is a SigV4-signed call (signing
//!   name `cloudtrail`) authorized as `cloudtrail:LookupEvents`, so no unsigned request reads
//!   the trail.

mod assets;
mod events;
mod limiter;
mod signin;

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::audit::chain::ChainKey;
use crate::http::AppState;

pub use limiter::SignInLimiter;

/// What the console's endpoints need besides the server's shared state.
pub struct Console {
    /// The failed sign-in counters.
    pub limiter: SignInLimiter,
    /// The audit file the Audit page reads (`None` when the trail goes to no file).
    pub audit_file: Option<PathBuf>,
    /// The key of the audit chain, to verify it.
    pub chain_key: Arc<ChainKey>,
    /// Password checks running at once. Each Argon2id verification takes 19 MiB and tens of
    /// milliseconds of CPU: without a bound, a burst of sign-ins (each under the request caps)
    /// could take gigabytes. Further attempts wait their turn.
    pub password_checks: tokio::sync::Semaphore,
}

/// How many password checks may run at once ([`Console::password_checks`]).
pub const PASSWORD_CHECKS: usize = 2;

/// The Content-Security-Policy of every console response: nothing but the console's own
/// scripts, styles and images, connections to the same origin only (the API is on it), no
/// inline script or style, no framing, no plugins, forms posting nowhere but here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'none'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the console's security headers to a response.
pub fn security_headers(headers: &mut HeaderMap) {
    let set = |headers: &mut HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, "content-security-policy", CONTENT_SECURITY_POLICY);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "no-referrer");
    set(headers, "x-frame-options", "DENY");
    set(headers, "cross-origin-opener-policy", "same-origin");
    set(headers, "cross-origin-resource-policy", "same-origin");
    set(
        headers,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    // The files change with the binary; a sign-in's credentials must never be cached.
    set(headers, "cache-control", "no-store");
}

/// The console's routes, added to the server's router when the console is on.
pub fn routes(router: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    router
        .route("/console", get(redirect))
        .route("/console/", get(index))
        .route("/console/api/signin", post(signin::signin))
        .route("/console/api/events", post(events::events))
        .route("/console/{*path}", get(asset))
}

/// A response with the console's headers.
fn console_response(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    security_headers(response.headers_mut());
    response
}

/// `/console` → `/console/`, so that the page's relative module paths resolve.
async fn redirect() -> Response {
    let mut response =
        console_response(StatusCode::PERMANENT_REDIRECT, "text/plain", Body::empty());
    response
        .headers_mut()
        .insert("location", HeaderValue::from_static("/console/"));
    response
}

async fn index() -> Response {
    asset_response("index.html")
}

async fn asset(method: Method, Path(path): Path<String>) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return not_found();
    }
    asset_response(&path)
}

fn asset_response(path: &str) -> Response {
    match assets::find(path) {
        Some((content_type, bytes)) => {
            console_response(StatusCode::OK, content_type, Body::from(bytes))
        }
        None => not_found(),
    }
}

fn not_found() -> Response {
    console_response(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        Body::from("not found"),
    )
}

/// The console state, which the router only reaches when the console is on.
fn console_of(state: &AppState) -> Option<&Console> {
    state.console.as_deref()
}
