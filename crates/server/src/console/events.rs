//! `POST /console/api/events`: the recent events of this node's audit trail, for the console's
//! Audit page, and on request the trail's chain verification.
//!
//! coffer has no CloudTrail API; this endpoint is its one read-only window on the trail. It is
//! an ordinary signed call: SigV4 with the signing name `cloudtrail`, authorized as
//! `cloudtrail:LookupEvents` on `*` (the account's root user, or a principal a policy allows
//! it), and itself recorded in the trail (`LookupEvents`). The body is JSON:
//! `{"MaxResults": 1–1000 (200), "SecretId", "Principal", "EventName", "Outcome": "Success" |
//! "Failure", "VerifyChain": bool}`; the filters are those of `coffer admin audit search`.
//! Events come newest first, from the last 8 MiB of the current audit file (older ones stay
//! with `coffer admin audit search`).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use coffer_core::service::Target;
use coffer_protocol::sigv4::RequestParts;
use coffer_protocol::{ApiError, ErrorCode};
use http_body_util::{BodyExt, Limited};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{console_of, security_headers};
use crate::audit::chain::{self, read_chain_link};
use crate::audit::event::{Event, UserIdentity};
use crate::audit::search::Query;
use crate::audit::AnsweredError;
use crate::auth::RequestFacts;
use crate::connections::PeerAddr;
use crate::http::AppState;

/// The signing name of the call.
pub const SERVICE: &str = "cloudtrail";
/// The permission it needs.
pub const PERMISSION: &str = "cloudtrail:LookupEvents";
/// The event source it is recorded under.
pub const SOURCE: &str = "cloudtrail.amazonaws.com";
/// How much of the end of the current audit file is read.
const TAIL_BYTES: u64 = 8 * 1024 * 1024;
/// The largest request body read.
const MAX_BODY: usize = 16 * 1024;

/// The request.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EventsRequest {
    #[serde(rename = "MaxResults")]
    max_results: Option<usize>,
    #[serde(rename = "SecretId")]
    secret_id: Option<String>,
    #[serde(rename = "Principal")]
    principal: Option<String>,
    #[serde(rename = "EventName")]
    event_name: Option<String>,
    #[serde(rename = "Outcome")]
    outcome: Option<String>,
    #[serde(rename = "VerifyChain")]
    verify_chain: Option<bool>,
}

/// The chain's verification state.
#[derive(Serialize)]
struct ChainState {
    /// `Intact`, `Broken`, `NotChecked` (not asked for) or `NoFile` (the trail goes to no file).
    #[serde(rename = "State")]
    state: &'static str,
    /// How many events the verified files hold.
    #[serde(rename = "Events", skip_serializing_if = "Option::is_none")]
    events: Option<usize>,
    /// Where it breaks, or what was checked.
    #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// The response.
#[derive(Serialize)]
struct EventsResponse {
    #[serde(rename = "Events")]
    events: Vec<Value>,
    #[serde(rename = "Chain")]
    chain: ChainState,
}

fn json(status: StatusCode, body: Vec<u8>, request_id: &str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", value);
    }
    security_headers(headers);
    response
}

fn error(error: &ApiError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json(status, error.to_json(), request_id);
    AnsweredError::attach(&mut response, error.code.as_str(), &error.message);
    response
}

/// The complete lines of the last `TAIL_BYTES` of `path`, oldest first.
fn tail_lines(path: &Path) -> std::io::Result<Vec<String>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let start = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    // A partial first line (the cut) and the text after the last newline (a write in
    // progress) are not events.
    if start > 0 && !lines.is_empty() {
        lines.remove(0);
    }
    lines.pop();
    Ok(lines)
}

/// Whether an event failed (it carries an error code).
fn failed(event: &Value) -> bool {
    event.get("errorCode").is_some_and(|code| !code.is_null())
}

/// The matching events, newest first.
fn lookup(file: &Path, request: &EventsRequest) -> std::io::Result<Vec<Value>> {
    let query = Query {
        secret: request.secret_id.clone().filter(|s| !s.is_empty()),
        principal: request.principal.clone().filter(|s| !s.is_empty()),
        event_name: request.event_name.clone().filter(|s| !s.is_empty()),
        since: None,
        until: None,
    };
    let max = request.max_results.unwrap_or(200).clamp(1, 1000);
    let outcome = request.outcome.as_deref().filter(|o| !o.is_empty());
    let mut found = Vec::new();
    for line in tail_lines(file)?.iter().rev() {
        let Ok(link) = read_chain_link(line) else {
            continue;
        };
        if !query.matches(&link.event) {
            continue;
        }
        match outcome {
            Some("Success") if failed(&link.event) => continue,
            Some("Failure") if !failed(&link.event) => continue,
            _ => {}
        }
        found.push(link.event);
        if found.len() >= max {
            break;
        }
    }
    Ok(found)
}

/// Verifies the whole trail (every file, oldest first) and looks for the head the database
/// recorded, as `coffer admin audit verify` does.
fn verify(files: &[PathBuf], key: &chain::ChainKey, head: Option<&str>) -> ChainState {
    match chain::verify_with_head(files, key, head) {
        Ok(verified) if verified.head_found == Some(false) => ChainState {
            state: "Broken",
            events: Some(verified.events),
            message: Some(
                "audit chain truncated: the files do not reach the head the database recorded"
                    .into(),
            ),
        },
        Ok(verified) => ChainState {
            state: "Intact",
            events: Some(verified.events),
            message: Some(format!(
                "{} events in {} file{}, last digest {}",
                verified.events,
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                verified.last_digest
            )),
        },
        Err(broken) => ChainState {
            state: "Broken",
            events: None,
            message: Some(broken.to_string()),
        },
    }
}

/// The events endpoint.
pub async fn events(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = std::time::Instant::now();
    let response = events_call(&state, request).await;
    state.metrics.request(
        crate::metrics::OperationLabel::LOOKUP_EVENTS,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

async fn events_call(state: &Arc<AppState>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let Some(console) = console_of(state) else {
        return error(
            &ApiError::new(ErrorCode::UnknownOperationException, ""),
            &request_id,
        );
    };
    let (parts, body) = request.into_parts();
    let facts = RequestFacts {
        source_ip: parts
            .extensions
            .get::<ConnectInfo<PeerAddr>>()
            .map(|info| info.0 .0.ip()),
        secure_transport: state.secure_transport,
        user_agent: parts
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let _slot = match state.limits.admit_request(facts.source_ip) {
        Ok(slot) => slot,
        Err(_) => {
            return error(
                &ApiError::new(ErrorCode::ThrottlingException, "Rate exceeded"),
                &request_id,
            )
        }
    };
    let body = match tokio::time::timeout(
        state.body_read_timeout,
        Limited::new(body, MAX_BODY).collect(),
    )
    .await
    {
        Ok(Ok(collected)) => collected.to_bytes(),
        _ => {
            return error(
                &ApiError::new(
                    ErrorCode::RequestEntityTooLargeException,
                    format!("Request body exceeds the maximum size of {MAX_BODY} bytes."),
                ),
                &request_id,
            )
        }
    };
    let signed = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
    };
    let caller = match state.auth.authenticate(&signed, SERVICE, &facts).await {
        Ok(caller) => caller,
        Err(e) => {
            state.metrics.auth_failure(e.code);
            // Recorded like any refused call: who it claimed to be, from where, never its body.
            let claimed =
                coffer_protocol::sigv4::claimed_credential(&parts.headers, parts.uri.query());
            let cap = |text: &str| -> String {
                text.chars()
                    .take(crate::audit::call::NAME_MAX_CHARS)
                    .collect()
            };
            let mut event = Event::api_call(
                SOURCE,
                "LookupEvents".to_owned(),
                state.audit.now(),
                claimed
                    .as_ref()
                    .map_or_else(|| "us-east-1".to_owned(), |c| cap(&c.region)),
                UserIdentity::unknown(claimed.as_ref().map(|c| cap(&c.access_key_id))),
                request_id.clone(),
                true,
            );
            event.source_ip_address = facts.source_ip.map(|ip| ip.to_string());
            event.error_code = Some(e.code.as_str().to_owned());
            event.error_message = Some(e.message.clone()).filter(|m| !m.is_empty());
            state.audit.record(event).await;
            state.audit.flush().await;
            return error(&e, &request_id);
        }
    };
    let mut event = Event::api_call(
        SOURCE,
        "LookupEvents".to_owned(),
        state.audit.now(),
        caller.scope.region.as_str().to_owned(),
        UserIdentity::of(&caller.principal, &caller.access_key_id),
        request_id.clone(),
        true,
    );
    event.source_ip_address = facts.source_ip.map(|ip| ip.to_string());
    let response = answer(state, console, &caller, &body, &request_id).await;
    if response.status() != StatusCode::OK {
        if let Some(answered) = response.extensions().get::<AnsweredError>() {
            event.error_code = Some(answered.code.to_owned());
            event.error_message = Some(answered.message.clone());
        }
    }
    state.audit.record(event).await;
    state.audit.flush().await;
    response
}

async fn answer(
    state: &AppState,
    console: &super::Console,
    caller: &crate::auth::Caller,
    body: &[u8],
    request_id: &str,
) -> Response {
    if let Err(e) = state
        .service
        .authorize(caller, PERMISSION, Target::Any, |_| {})
    {
        return error(&crate::errors::to_api_error(&e, request_id), request_id);
    }
    let request: EventsRequest = if body.iter().all(u8::is_ascii_whitespace) {
        EventsRequest::default()
    } else {
        match serde_json::from_slice(body) {
            Ok(request) => request,
            Err(_) => {
                return error(
                    &ApiError::new(
                        ErrorCode::SerializationException,
                        "The request body is not a valid events request.",
                    ),
                    request_id,
                )
            }
        }
    };
    let Some(file) = console.audit_file.clone() else {
        let out = EventsResponse {
            events: Vec::new(),
            chain: ChainState {
                state: "NoFile",
                events: None,
                message: Some("this server writes no audit file".into()),
            },
        };
        return json(
            StatusCode::OK,
            serde_json::to_vec(&out).unwrap_or_default(),
            request_id,
        );
    };
    let head = if request.verify_chain == Some(true) {
        match state
            .service
            .store()
            .audit_head(&crate::audit::trail_name(&file))
            .await
        {
            Ok(head) => Some(head.map(|h| h.digest)),
            Err(e) => return error(&crate::errors::to_api_error(&e, request_id), request_id),
        }
    } else {
        None
    };
    let key = console.chain_key.clone();
    // File reads and the chain's HMACs run off the async workers.
    let work = tokio::task::spawn_blocking(move || {
        let events = lookup(&file, &request)?;
        let chain = match head {
            Some(head) => {
                let files = crate::audit::sink::trail_files(&file)?;
                verify(&files, &key, head.as_deref())
            }
            None => ChainState {
                state: "NotChecked",
                events: None,
                message: None,
            },
        };
        Ok::<_, std::io::Error>(EventsResponse { events, chain })
    })
    .await;
    match work {
        Ok(Ok(out)) => json(
            StatusCode::OK,
            serde_json::to_vec(&out).unwrap_or_default(),
            request_id,
        ),
        Ok(Err(e)) => {
            tracing::error!(request_id, error = %e, "reading the audit trail");
            error(
                &ApiError::new(
                    ErrorCode::InternalServiceError,
                    "An error occurred on the server side.",
                ),
                request_id,
            )
        }
        Err(e) => {
            tracing::error!(request_id, error = %e, "audit lookup task failed");
            error(
                &ApiError::new(
                    ErrorCode::InternalServiceError,
                    "An error occurred on the server side.",
                ),
                request_id,
            )
        }
    }
}
