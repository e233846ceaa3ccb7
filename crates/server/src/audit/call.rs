//! The one wrapping point between HTTP and the trail. The API route notes in a [`Call`] the
//! facts it establishes as it goes (what was called, the client, who the caller is, the
//! request's parameters) and hands it, with the response it built, to [`Audit::finish`],
//! which records the event and, for a response that carries secret material on a fail-closed
//! trail, withholds it until the event is durable.
//!
//! Nothing is parsed a second time for the record: the operation or action is the one the
//! route parsed (with its facts, [`Action`]), the caller the one authentication established,
//! and an error response carries its code and message as an [`AnsweredError`] in its
//! extensions, set where it was rendered. Only what a client sent is read here, once: the
//! parameters of an authenticated call, secret members skipped ([`redact`]), and, for a call
//! that was not authenticated, the credential it claimed ([`sigv4::claimed_credential`]). A
//! write's result is read from the response (its `responseElements`), secret members skipped.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use coffer_protocol::iam;
use coffer_protocol::query::{QueryError, QueryErrorCode};
use coffer_protocol::sigv4::{self, ClaimedCredential};
use coffer_protocol::{sts, Action, ApiError, ErrorCode, Operation};
use http_body_util::BodyExt;
use zeroize::Zeroize;

use super::event::{
    self, Event, UserIdentity, IAM_SOURCE, KMS_SOURCE, SECRETS_MANAGER_SOURCE, STS_SOURCE,
};
use super::{redact, Audit};
use crate::auth::Caller;
use crate::connections::PeerAddr;

/// What a request called, as the route decided it.
enum Called {
    /// An operation or action coffer answers.
    Action(Action),
    /// A name coffer does not answer, as sent (or `UnknownOperation` when there is none), with
    /// the event source of the API it was sent to.
    Unknown(&'static str, String),
}

impl Default for Called {
    fn default() -> Self {
        Self::Unknown(SECRETS_MANAGER_SOURCE, "UnknownOperation".to_owned())
    }
}

/// The request's parameters, noted once the caller is authenticated.
#[derive(Default)]
enum Parameters {
    /// None (yet).
    #[default]
    None,
    /// An awsJson body: a reference to the same bytes, redacted when the event is built.
    Json(Bytes),
    /// An awsQuery form, already redacted.
    Form(Option<serde_json::Value>),
}

/// The code and message of an error response, put in its extensions by the code that rendered
/// it, so that the trail records what the client was told without reading the body back.
#[derive(Debug, Clone)]
pub struct AnsweredError {
    /// The error code (`__type`, or the XML `Code`).
    pub code: &'static str,
    /// The message (`Message`).
    pub message: String,
}

impl AnsweredError {
    /// Notes `code` and `message` in `response`'s extensions.
    pub fn attach(response: &mut Response, code: &'static str, message: &str) {
        response.extensions_mut().insert(AnsweredError {
            code,
            message: message.to_owned(),
        });
    }
}

/// What the API route learned about one request, for its audit event.
#[derive(Default)]
pub struct Call {
    request_id: String,
    called: Called,
    source_ip: Option<String>,
    user_agent: Option<String>,
    /// The credential a call that was not authenticated claimed.
    claimed: Option<ClaimedCredential>,
    parameters: Parameters,
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

    /// Notes the request's head: the client address and User-Agent.
    pub fn request(&mut self, parts: &axum::http::request::Parts) {
        self.source_ip = parts
            .extensions
            .get::<ConnectInfo<PeerAddr>>()
            .map(|info| info.0 .0.ip().to_string());
        self.user_agent = parts
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
    }

    /// Notes the Secrets Manager operation the route parsed from `target` (`X-Amz-Target`),
    /// or the name sent when it is none.
    pub fn secrets_manager(&mut self, target: Option<&str>, operation: Option<Operation>) {
        self.called = match (operation, target) {
            (Some(operation), _) => Called::Action(Action::SecretsManager(operation)),
            (None, Some(target)) => Called::Unknown(
                SECRETS_MANAGER_SOURCE,
                target
                    .strip_prefix("secretsmanager.")
                    .unwrap_or(target)
                    .to_owned(),
            ),
            (None, None) => Called::default(),
        };
    }

    /// Notes the KMS action an `X-Amz-Target: TrentService.<name>` names (`None`: one coffer
    /// does not answer, recorded under KMS by its name).
    pub fn kms(&mut self, action: Option<coffer_protocol::kms::KmsAction>, name: &str) {
        self.called = match action {
            Some(action) => Called::Action(Action::Kms(action)),
            None => Called::Unknown(KMS_SOURCE, name.to_owned()),
        };
    }

    /// Notes the awsQuery action the route found (`action`, from the form's `name`). An action
    /// coffer does not answer is recorded under IAM when `signed_for_iam`, else under STS.
    pub fn query(&mut self, action: Option<Action>, name: &str, signed_for_iam: bool) {
        self.called = match action {
            Some(action) => Called::Action(action),
            None if signed_for_iam => Called::Unknown(IAM_SOURCE, name.to_owned()),
            None => Called::Unknown(STS_SOURCE, name.to_owned()),
        };
    }

    /// Notes who the authenticated caller is.
    pub fn caller(&mut self, caller: &Caller) {
        self.caller = Some((
            UserIdentity::of(&caller.principal, &caller.access_key_id),
            caller.scope.region.as_str().to_owned(),
        ));
    }

    /// Notes an authenticated awsJson call's body (a reference to the same bytes, not a copy).
    pub fn json_parameters(&mut self, body: &Bytes) {
        self.parameters = Parameters::Json(body.clone());
    }

    /// Notes an authenticated awsQuery call's parameters, secret members left out.
    pub fn form_parameters(&mut self, params: &[(String, String)]) {
        self.parameters = Parameters::Form(redact::form(params));
    }

    /// For a call that was not authenticated, notes the credential it claimed (read from its
    /// head only now, once its answer is known).
    pub fn claimed_credential(&mut self, headers: &HeaderMap, query: Option<&str>) {
        if self.caller.is_none() {
            self.claimed = sigv4::claimed_credential(headers, query);
        }
    }

    /// The action called, when coffer answers it.
    fn action(&self) -> Option<Action> {
        match self.called {
            Called::Action(action) => Some(action),
            Called::Unknown(..) => None,
        }
    }
}

/// The event source of an action's service.
fn source(action: Action) -> &'static str {
    match action {
        Action::SecretsManager(_) => SECRETS_MANAGER_SOURCE,
        Action::Iam(_) => IAM_SOURCE,
        Action::Sts(_) => STS_SOURCE,
        Action::Kms(_) => KMS_SOURCE,
    }
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
    answered: Option<&AnsweredError>,
    response: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Event {
    let (source, name) = match &call.called {
        Called::Action(action) => (source(*action), action.name().to_owned()),
        Called::Unknown(source, name) => (*source, truncated(name.clone(), NAME_MAX_CHARS)),
    };
    // A name that is no action of its service changed nothing, but is recorded as an attempt
    // to write.
    let read_only = call.action().is_some_and(Action::read_only);
    let (identity, region) = match &call.caller {
        Some((identity, region)) => (identity.clone(), region.clone()),
        None => (
            UserIdentity::unknown(
                call.claimed
                    .as_ref()
                    .map(|claimed| truncated(claimed.access_key_id.clone(), NAME_MAX_CHARS)),
            ),
            call.claimed.as_ref().map_or_else(
                || "us-east-1".to_owned(),
                |claimed| truncated(claimed.region.clone(), NAME_MAX_CHARS),
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
        event.request_parameters = capped(match &call.parameters {
            Parameters::None => None,
            Parameters::Json(body) => redact::json(body),
            Parameters::Form(parameters) => parameters.clone(),
        });
    }
    if status != StatusCode::OK {
        event.error_code = Some(answered.map_or_else(
            || status.as_u16().to_string(),
            |answered| answered.code.to_owned(),
        ));
        event.error_message = answered
            .map(|answered| answered.message.as_str())
            .filter(|message| !message.is_empty())
            .map(|message| truncated(message.to_owned(), ERROR_MESSAGE_MAX_CHARS));
    } else if !read_only {
        // Reads answer with what was read; CloudTrail does not repeat it (for GetSecretValue
        // it would be the secret), so only writes record their result.
        event.response_elements = if source == SECRETS_MANAGER_SOURCE || source == KMS_SOURCE {
            redact::json(response)
        } else {
            std::str::from_utf8(response).ok().and_then(redact::xml)
        };
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
        KMS_SOURCE => (
            ApiError::new(ErrorCode::KMSInternalException, message).to_json(),
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
        let event = build(
            &call,
            parts.status,
            parts.extensions.get::<AnsweredError>(),
            &bytes,
            self.now(),
        );
        let withhold = parts.status == StatusCode::OK
            && self.fail_closed().withholds(
                call.action().is_some_and(Action::returns_secrets),
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
