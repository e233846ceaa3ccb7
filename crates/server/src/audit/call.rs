//! The one wrapping point between HTTP and the trail. The API route fills a [`Call`] as it
//! learns things (the request's head, its body, who the caller is) and hands it, with the
//! response it built, to [`Audit::finish`], which records the event and, for a response that
//! carries secret material on a fail-closed trail, withholds it until the event is durable.
//!
//! Everything else an event says is read from the response itself (status, error code and
//! message, result members), so the record is exactly what the client received, whichever
//! of the many return paths of the route produced it.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use coffer_protocol::iam::{self, IamAction, QueryError, QueryErrorCode};
use coffer_protocol::{sts, Action, ApiError, ErrorCode, Operation, StsAction};
use http_body_util::BodyExt;
use zeroize::Zeroize;

use super::event::{self, Event, UserIdentity, IAM_SOURCE, SECRETS_MANAGER_SOURCE, STS_SOURCE};
use super::{redact, Audit};
use crate::auth::Caller;
use crate::http::PeerAddr;

/// What the API route learned about one request, for its audit event.
#[derive(Default)]
pub struct Call {
    request_id: String,
    method: Option<Method>,
    target: Option<String>,
    content_type: Option<String>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    /// From the SigV4 credential scope, when readable: (access key id, region, service).
    credential: Option<(String, String, String)>,
    body: Option<Bytes>,
    caller: Option<(UserIdentity, String)>,
}

impl Call {
    /// A call with the request id its response carries.
    pub fn new(request_id: String) -> Self {
        Self {
            request_id,
            ..Self::default()
        }
    }

    /// The request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Notes the request's head: operation, client address, User-Agent, and the access key id
    /// and region of its signature (known even when authentication fails).
    pub fn request(&mut self, parts: &axum::http::request::Parts) {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        self.method = Some(parts.method.clone());
        self.target = header("x-amz-target");
        self.content_type = header("content-type");
        self.user_agent = header("user-agent");
        self.source_ip = parts
            .extensions
            .get::<ConnectInfo<PeerAddr>>()
            .map(|info| info.0 .0.ip().to_string());
        self.credential = header("authorization")
            .as_deref()
            .and_then(|auth| auth.split("Credential=").nth(1))
            .map(|rest| rest.split([',', ' ']).next().unwrap_or_default().to_owned())
            .or_else(|| {
                let query = parts.uri.query()?;
                let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
                pairs
                    .into_iter()
                    .find(|(name, _)| name == "X-Amz-Credential")
                    .map(|(_, value)| value)
            })
            .and_then(|credential| {
                // <access key id>/<date>/<region>/<service>/aws4_request
                let mut fields = credential.split('/');
                let access_key_id = fields.next()?.to_owned();
                let region = fields.nth(1)?.to_owned();
                let service = fields.next()?.to_owned();
                (!access_key_id.is_empty()).then_some((access_key_id, region, service))
            });
    }

    /// Notes the request body (a reference to the same bytes, not a copy).
    pub fn body(&mut self, body: &Bytes) {
        self.body = Some(body.clone());
    }

    /// Notes who the authenticated caller is.
    pub fn caller(&mut self, caller: &Caller) {
        self.caller = Some((
            UserIdentity::of(&caller.principal, &caller.access_key_id),
            caller.scope.region.as_str().to_owned(),
        ));
    }
}

/// Which API a request went to, decided as the route decides it.
enum Api {
    /// awsJson Secrets Manager, with the operation's name.
    SecretsManager(String),
    /// awsQuery IAM or STS: the event source, the action, the form's parameters.
    Query(&'static str, String, Vec<(String, String)>),
}

impl Call {
    fn api(&self) -> Api {
        // The route treats a form POST without X-Amz-Target as IAM or STS.
        if self.target.is_none() && self.method == Some(Method::POST) {
            if let Some(form) = self
                .body
                .as_ref()
                .and_then(|body| sts::parse_form(self.content_type.as_deref(), body))
            {
                let source = match sts::query_service(&form.action) {
                    Some(sts::QueryService::Iam) => IAM_SOURCE,
                    Some(sts::QueryService::Sts) => STS_SOURCE,
                    None if self
                        .credential
                        .as_ref()
                        .is_some_and(|(_, _, service)| service == "iam") =>
                    {
                        IAM_SOURCE
                    }
                    None => STS_SOURCE,
                };
                return Api::Query(source, form.action, form.params);
            }
        }
        let name = match &self.target {
            Some(target) => target
                .strip_prefix("secretsmanager.")
                .unwrap_or(target)
                .to_owned(),
            None => "UnknownOperation".to_owned(),
        };
        Api::SecretsManager(name)
    }
}

/// The action an event's source and name are, when coffer answers it.
fn action(source: &str, name: &str) -> Option<Action> {
    match source {
        SECRETS_MANAGER_SOURCE => Operation::from_name(name).map(Action::SecretsManager),
        IAM_SOURCE => IamAction::from_name(name).map(Action::Iam),
        _ => StsAction::from_name(name).map(Action::Sts),
    }
}

/// Whether an operation only reads (CloudTrail's `readOnly`), by its facts. A name that is
/// no action of its service changed nothing, but is recorded as a write attempt.
fn read_only(source: &str, name: &str) -> bool {
    action(source, name).is_some_and(Action::read_only)
}

/// Whether a successful response of this operation carries secret material.
pub fn carries_secrets(source: &str, name: &str) -> bool {
    action(source, name).is_some_and(Action::returns_secrets)
}

/// The error members of an awsJson error body.
#[derive(serde::Deserialize)]
struct JsonError {
    #[serde(rename = "__type")]
    code: Option<String>,
    #[serde(rename = "Message", alias = "message")]
    message: Option<String>,
}

/// The most characters of a User-Agent an event keeps (CloudTrail truncates it too).
pub const USER_AGENT_MAX_CHARS: usize = 256;
/// The most characters of an event name, an access key id or a region an event keeps: what
/// an unauthenticated client sends there is its own text, and real ones are far shorter.
pub const NAME_MAX_CHARS: usize = 128;
/// The most characters of an error message an event keeps.
pub const ERROR_MESSAGE_MAX_CHARS: usize = 1024;
/// The most bytes of `requestParameters` (as serialized) an event keeps. Above it the
/// parameters are replaced by [`TRUNCATED_MEMBER`] with their size. 64 KiB holds every
/// legitimate request without its secret members (the largest are 20 KiB policies).
pub const REQUEST_PARAMETERS_MAX_BYTES: usize = 64 * 1024;
/// The one member of `requestParameters` that were too large to keep: their size in bytes.
pub const TRUNCATED_MEMBER: &str = "coffer:truncatedBytes";

/// `text` cut to at most `max` characters.
fn truncated(mut text: String, max: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(max) {
        text.truncate(at);
    }
    text
}

/// `parameters`, or the marker that replaces them when they are too large to keep.
fn capped(parameters: Option<serde_json::Value>) -> Option<serde_json::Value> {
    let parameters = parameters?;
    let size = serde_json::to_vec(&parameters).map_or(usize::MAX, |bytes| bytes.len());
    if size <= REQUEST_PARAMETERS_MAX_BYTES {
        return Some(parameters);
    }
    let mut marker = serde_json::Map::new();
    marker.insert(TRUNCATED_MEMBER.to_owned(), size.into());
    Some(serde_json::Value::Object(marker))
}

/// Builds the event of a call from what the route noted and the response it sent.
///
/// Only an authenticated call's body becomes `requestParameters`: an unauthenticated one is
/// recorded (who it claimed to be, from where, what it was answered) without it, so that
/// anyone who can reach the port cannot write their bytes into the trail (issue 13). Every
/// client-chosen text an event keeps is capped.
fn build(
    call: &Call,
    status: StatusCode,
    response: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Event {
    let api = call.api();
    let (source, name) = match &api {
        Api::SecretsManager(name) => (SECRETS_MANAGER_SOURCE, name.clone()),
        Api::Query(source, action, _) => (*source, action.clone()),
    };
    let name = truncated(name, NAME_MAX_CHARS);
    let read_only = read_only(source, &name);
    let (identity, region) = match &call.caller {
        Some((identity, region)) => (identity.clone(), region.clone()),
        None => (
            UserIdentity::unknown(
                call.credential
                    .as_ref()
                    .map(|(key, _, _)| truncated(key.clone(), NAME_MAX_CHARS)),
            ),
            call.credential.as_ref().map_or_else(
                || "us-east-1".to_owned(),
                |(_, region, _)| truncated(region.clone(), NAME_MAX_CHARS),
            ),
        ),
    };
    let mut event = Event::api_call(
        source,
        name,
        now,
        region,
        identity,
        call.request_id.clone(),
        read_only,
    );
    event.source_ip_address = call.source_ip.clone();
    event.user_agent = call
        .user_agent
        .clone()
        .map(|agent| truncated(agent, USER_AGENT_MAX_CHARS));
    if call.caller.is_some() {
        event.request_parameters = capped(match &api {
            Api::SecretsManager(_) => call.body.as_deref().and_then(redact::json),
            Api::Query(_, _, params) => redact::form(params),
        });
    }
    let ok = status == StatusCode::OK;
    match &api {
        Api::SecretsManager(_) if !ok => {
            let error: Option<JsonError> = serde_json::from_slice(response).ok();
            event.error_code = Some(
                error
                    .as_ref()
                    .and_then(|e| e.code.clone())
                    .unwrap_or_else(|| status.as_u16().to_string()),
            );
            event.error_message = error
                .and_then(|e| e.message)
                .filter(|m| !m.is_empty())
                .map(|m| truncated(m, ERROR_MESSAGE_MAX_CHARS));
        }
        Api::Query(..) if !ok => {
            let text = String::from_utf8_lossy(response);
            event.error_code = Some(
                redact::xml_text(&text, "Code").unwrap_or_else(|| status.as_u16().to_string()),
            );
            event.error_message = redact::xml_text(&text, "Message")
                .filter(|m| !m.is_empty())
                .map(|m| truncated(m, ERROR_MESSAGE_MAX_CHARS));
        }
        // Reads answer with what was read; CloudTrail does not repeat it (for GetSecretValue
        // it would be the secret), so only writes record their result.
        _ if read_only => {}
        Api::SecretsManager(_) => event.response_elements = redact::json(response),
        Api::Query(..) => {
            event.response_elements = std::str::from_utf8(response).ok().and_then(redact::xml)
        }
    }
    event
}

/// The response a request gets when fail-closed auditing withholds its secret: the service's
/// internal error, HTTP 500, with the request id.
fn refused(source: &str, request_id: &str) -> Response {
    let (code, message) = event::refusal(source);
    let (body, content_type) = match source {
        SECRETS_MANAGER_SOURCE => (
            ApiError::new(ErrorCode::InternalServiceError, message).to_json(),
            "application/x-amz-json-1.1",
        ),
        IAM_SOURCE => (
            iam::error_xml(&iam::errors::service_failure(), request_id).into_bytes(),
            "text/xml",
        ),
        _ => (
            sts::query_error_xml(
                &QueryError::new(QueryErrorCode::InternalFailure, message),
                request_id,
            )
            .into_bytes(),
            "text/xml",
        ),
    };
    debug_assert!(!code.is_empty());
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", value);
    }
    response
}

impl Audit {
    /// Records the event of a finished call and returns the response to send, once the event is
    /// durable (or could not be made so): the route's own, or, when the trail is fail-closed for
    /// it (it carries secret material, or it changed state) but the event could not be made
    /// durable, the service's internal error in its place.
    pub async fn finish(&self, call: Call, response: Response) -> Response {
        if !self.enabled() {
            return response;
        }
        let (parts, body) = response.into_parts();
        // Every API response is one in-memory buffer, so this does not wait on the network.
        let bytes = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let event = build(&call, parts.status, &bytes, self.now());
        let withhold = parts.status == StatusCode::OK
            && self.fail_closed().withholds(
                carries_secrets(event.event_source, &event.event_name),
                event.read_only,
            );
        if withhold {
            let source = event.event_source;
            if !self.record_durable(event).await {
                // The answer never leaves: wipe the buffer when we hold its only reference.
                if let Ok(mut owned) = bytes.try_into_mut() {
                    owned.as_mut().zeroize();
                }
                return refused(source, call.request_id());
            }
        } else {
            // Every response waits until its event is on disk too (the batch's one fsync,
            // shared with the requests that arrive meanwhile), so that a crash never loses the
            // event of a call its client saw answered. When the trail cannot be written, the
            // event stays queued as it is and the response goes anyway: only secret material is
            // withheld.
            self.record(event).await;
            self.flush().await;
        }
        Response::from_parts(parts, Body::from(bytes))
    }
}
