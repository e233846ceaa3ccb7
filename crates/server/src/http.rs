//! The HTTP surface: one route for the API (awsJson 1.1 on `POST /` for Secrets Manager and
//! KMS, and IAM's and STS's awsQuery on the same endpoint), plus `/health`, `/ready`, `/metrics`
//! and, in dev mode, `POST /_coffer/reset`; the web console's routes under `/console/` when it
//! is on ([`crate::console`]).
//!
//! Every response carries `x-amzn-RequestId`. The body is read with a hard limit before anything
//! else happens, so an oversized request costs at most the limit.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use coffer_core::service::Service;
use coffer_protocol::iam::{self, IamAction};
use coffer_protocol::kms::{self, KmsAction};
use coffer_protocol::query::{self, QueryError};
use coffer_protocol::sigv4::{self, RequestParts};
use coffer_protocol::{sts, Action, ApiError, ErrorCode, Operation, StsAction};
use http_body_util::{BodyExt, Limited};
use tracing::Instrument;
use zeroize::Zeroizing;

use crate::audit::{AnsweredError, Call};
use crate::auth::{Authenticator, RequestFacts};
use crate::connections::PeerAddr;
use crate::dispatch::{dispatch, dispatch_kms};
use crate::handlers;
use crate::handlers::Ctx;
use crate::metrics::{Metrics, MetricsAccess, OperationLabel};

/// Shared state of every request.
pub struct AppState {
    /// The service.
    pub service: Arc<Service>,
    /// The authenticator.
    pub auth: Authenticator,
    /// Whether this is a dev-mode server.
    pub dev: bool,
    /// The body limit, in bytes.
    pub max_body_bytes: usize,
    /// Whether requests arrive over TLS (the listener serves HTTPS only, or plain HTTP only).
    /// It feeds the `aws:SecureTransport` condition key of policy evaluation.
    pub secure_transport: bool,
    /// The audit trail every API call is recorded in.
    pub audit: crate::audit::Audit,
    /// The counters `/metrics` serves.
    pub metrics: Arc<Metrics>,
    /// Who may read `/metrics`.
    pub metrics_access: MetricsAccess,
    /// How long a request's body may take to arrive once its headers have.
    pub body_read_timeout: std::time::Duration,
    /// The connection and request caps (this module checks the request ones).
    pub limits: Arc<crate::connections::Limits>,
    /// The rotation engine.
    pub rotation: Arc<crate::rotation::Rotation>,
    /// The web console, when it is on (`console` setting): its routes are added only then.
    pub console: Option<Arc<crate::console::Console>>,
}

/// The content type of every awsJson 1.1 response.
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics));
    if state.dev {
        router = router
            .route("/_coffer/reset", post(reset))
            .route("/_coffer/rotation/run-due", post(rotation_run_due));
    }
    if state.console.is_some() {
        router = crate::console::routes(router);
    }
    router
        .route("/", any(api))
        .fallback(any(api))
        .with_state(state)
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", value);
    }
    response
}

/// An awsJson response.
fn json_response(status: u16, body: impl Into<Body>, request_id: &str) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(JSON_CONTENT_TYPE));
    with_request_id(response, request_id)
}

/// An awsJson error, its code and message noted for the audit trail.
fn json_error(error: &ApiError, request_id: &str) -> Response {
    let mut response = json_response(error.code.http_status(), error.to_json(), request_id);
    AnsweredError::attach(&mut response, error.code.as_str(), &error.message);
    response
}

/// An awsQuery (XML) response.
fn xml_response(status: u16, body: String, request_id: &str) -> Response {
    xml_body_response(status, Body::from(body), request_id)
}

/// An awsQuery (XML) response whose body may hold a secret key (CreateAccessKey, AssumeRole):
/// its one buffer is handed to hyper as is and zeroed when dropped.
fn secret_xml_response(body: Zeroizing<String>, request_id: &str) -> Response {
    let bytes = crate::secret_buffer::SecretBuffer::from(body).into_bytes();
    xml_body_response(200, Body::from(bytes), request_id)
}

fn xml_body_response(status: u16, body: Body, request_id: &str) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/xml"));
    with_request_id(response, request_id)
}

/// Ready when the store answers and the keyring can seal and open a value: a node that
/// cannot do both cannot serve a single secret.
async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let request_id = request_id();
    let unavailable = |what: &'static str| {
        let mut response = Response::new(Body::from(what));
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        with_request_id(response, &request_id)
    };
    if let Err(e) = state.service.store().ping().await {
        tracing::warn!(request_id, error = %e, "store not ready");
        return unavailable("store unavailable");
    }
    if let Err(e) = keyring_usable(state.service.keyring()) {
        tracing::warn!(request_id, error = %e, "keyring not ready");
        return unavailable("keyring unavailable");
    }
    with_request_id(Response::new(Body::from("ready")), &request_id)
}

/// Seals a few bytes under a context no real value has (no access key id looks like this one)
/// and opens them again: this exercises the key derivation, the random generator and AES-GCM.
fn keyring_usable(keyring: &coffer_core::crypto::Keyring) -> Result<(), coffer_core::Error> {
    use coffer_core::crypto::{SealContext, DEFAULT_KEY_ID};
    let context = SealContext::AccessKey {
        access_key_id: "coffer-readiness-probe",
    };
    let probe = b"ready";
    let sealed = keyring.seal(
        DEFAULT_KEY_ID,
        coffer_core::model::ValueKind::Binary,
        context,
        probe,
    )?;
    let opened = keyring.open(context, &sealed)?;
    if opened.as_slice() == probe {
        Ok(())
    } else {
        Err(coffer_core::Error::DecryptionFailure)
    }
}

/// `GET /metrics`: the Prometheus text exposition. With a token configured, a request without
/// it gets a bare 401 (no body, nothing about why).
async fn metrics(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let authorization = request
        .headers()
        .get("authorization")
        .map(HeaderValue::as_bytes);
    if !state.metrics_access.allows(authorization) {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return response;
    }
    let mut text = state.metrics.render(&state.audit.metrics().render());
    state.limits.render(&mut text);
    state.rotation.render(&mut text).await;
    let mut response = Response::new(Body::from(text));
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn reset(State(state): State<Arc<AppState>>) -> Response {
    let request_id = request_id();
    match state.service.store().reset().await {
        Ok(()) => json_response(200, b"{}".to_vec(), &request_id),
        Err(e) => json_error(&crate::errors::to_api_error(&e, &request_id), &request_id),
    }
}

/// What `POST /_coffer/rotation/run-due` answers: how the runs it drove went.
#[derive(serde::Serialize)]
struct RunDueResponse {
    /// Runs that succeeded.
    #[serde(rename = "Succeeded")]
    succeeded: usize,
    /// Runs that failed (synchronous mode ends a run at its first failed step).
    #[serde(rename = "Failed")]
    failed: usize,
    /// Runs left waiting for a retry.
    #[serde(rename = "Retrying")]
    retrying: usize,
}

/// Dev mode: runs the rotation scheduler's tick now (every due rotation, to its end), so that
/// test suites need not wait for the scheduler's interval.
async fn rotation_run_due(State(state): State<Arc<AppState>>) -> Response {
    use crate::rotation::Driven;
    let request_id = request_id();
    let outcomes = state.rotation.tick().await;
    let count = |f: fn(&Driven) -> bool| outcomes.iter().filter(|d| f(d)).count();
    let body = RunDueResponse {
        succeeded: count(|d| *d == Driven::Succeeded),
        failed: count(|d| matches!(d, Driven::Failed(_))),
        retrying: count(|d| *d == Driven::Retrying),
    };
    json_response(
        200,
        serde_json::to_vec(&body).unwrap_or_default(),
        &request_id,
    )
}

/// The API endpoint. Every call through it is recorded in the audit trail here, once: the
/// route notes what it learns in `call`, and `finish` records the event from that and the
/// response (and withholds a secret-bearing response its event cannot be written for).
///
/// The whole call, its audit event included, runs in a task of its own, so that a client
/// hanging up cannot cancel it half-way: a store call dropped mid-transaction could hand a
/// connection back to the pool with that transaction still open (PostgreSQL), a write would be
/// left to chance, and the call would go unrecorded.
///
/// Every call is counted in the metrics once it is answered (its audit event included), and
/// everything logged while it runs carries its request id: the task runs inside an info-level
/// `request` span, which the default `info` filter keeps.
async fn api(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = request_id();
    let task_id = request_id.clone();
    let span = tracing::info_span!("request", request_id = %request_id);
    let metrics = state.metrics.clone();
    let task = tokio::spawn(
        async move {
            let mut call = Call::new(task_id);
            let mut operation = OperationLabel::UNKNOWN;
            let (parts, body) = request.into_parts();
            let response = api_call(&state, &parts, body, &mut call, &mut operation).await;
            call.claimed_credential(&parts.headers, parts.uri.query()); // audit
            let response = state.audit.finish(call, response).await;
            let status = response.status().as_u16();
            state.metrics.request(operation, status, started.elapsed());
            response
        }
        .instrument(span),
    );
    match task.await {
        Ok(response) => response,
        Err(e) => {
            metrics.request(OperationLabel::UNKNOWN, 500, started.elapsed());
            tracing::error!(request_id, error = %e, "request task failed");
            let error = ApiError::new(
                ErrorCode::InternalServiceError,
                "An error occurred on the server side.",
            );
            json_error(&error, &request_id)
        }
    }
}

/// The API endpoint's work, noting what the audit trail needs in `call` and the operation the
/// metrics count the request under in `operation` (as soon as it is known, before
/// authentication, so that refused calls are counted under what they attempted).
async fn api_call(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
    call: &mut Call,
    operation_label: &mut OperationLabel,
) -> Response {
    let request_id = call.request_id().to_owned();
    call.request(parts); // audit
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let operation = target.and_then(Operation::from_target);
    call.secrets_manager(target, operation); // audit, until the body shows an awsQuery form
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

    // Over a request cap, the request is refused before its body is read: the point of the cap
    // is to bound the work and memory in flight. The slot is held until the response is built.
    let _slot = match state.limits.admit_request(facts.source_ip) {
        Ok(slot) => slot,
        Err(refused) => {
            tracing::debug!(?refused, "request throttled: over the in-flight cap");
            let error = ApiError::new(ErrorCode::ThrottlingException, "Rate exceeded");
            return json_error(&error, &request_id);
        }
    };

    // The body, within the limit. A declared length over the limit is refused before reading.
    let too_large = || {
        ApiError::new(
            ErrorCode::RequestEntityTooLargeException,
            format!(
                "Request body exceeds the maximum size of {} bytes.",
                state.max_body_bytes
            ),
        )
    };
    let declared = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > state.max_body_bytes) {
        return json_error(&too_large(), &request_id);
    }
    // Within the deadline too: a client that declares a length and trickles (or never sends)
    // the bytes would otherwise hold this task and its connection for as long as it likes.
    let collected = tokio::time::timeout(
        state.body_read_timeout,
        read_body(body, state.max_body_bytes, declared),
    )
    .await;
    let body = match collected {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return json_error(&too_large(), &request_id),
        Err(_) => {
            let error = ApiError::new(
                ErrorCode::RequestTimeoutException,
                format!(
                    "Request body not received within {} s.",
                    state.body_read_timeout.as_secs()
                ),
            );
            let mut response = json_error(&error, &request_id);
            // The rest of the body may still come; the connection cannot carry another request.
            response
                .headers_mut()
                .insert("connection", HeaderValue::from_static("close"));
            return response;
        }
    };

    let signed_parts = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
    };
    let content_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok());

    // IAM's and STS's awsQuery protocol: a form POST with no X-Amz-Target.
    if target.is_none() && parts.method == Method::POST {
        if let Some(form) = query::parse_form(content_type, &body) {
            *operation_label = OperationLabel::query_action(&form.action);
            return query_call(state, &signed_parts, form, &facts, &request_id, call).await;
        }
    }
    // KMS (awsJson 1.1, `TrentService.*`), signed for `kms`.
    if let Some(name) = target.and_then(|t| t.strip_prefix(kms::TARGET_PREFIX)) {
        let action = KmsAction::from_name(name);
        call.kms(action, name); // audit
        if let Some(action) = action {
            *operation_label = OperationLabel::of(Action::Kms(action));
        }
        return kms_call(state, parts, &signed_parts, action, &facts, &body, call).await;
    }
    if let Some(operation) = operation {
        *operation_label = OperationLabel::secrets_manager(operation);
    }

    let caller = match state
        .auth
        .authenticate(&signed_parts, "secretsmanager", &facts)
        .await
    {
        Ok(caller) => caller,
        Err(e) => {
            state.metrics.auth_failure(e.code);
            return json_error(&e, &request_id);
        }
    };
    call.caller(&caller); // audit
    call.json_parameters(&body);
    let Some(operation) = operation else {
        let error = ApiError::new(ErrorCode::UnknownOperationException, "");
        return json_error(&error, &request_id);
    };
    if parts.method != Method::POST {
        let error = ApiError::new(ErrorCode::UnknownOperationException, "");
        return json_error(&error, &request_id);
    }
    // Inside the `request` span of `api`, which carries the request id.
    let span = tracing::debug_span!("dispatch", operation = operation.name());
    let ctx = Ctx {
        service: &state.service,
        caller: &caller,
        rotation: &state.rotation,
    };
    // The span follows the future across awaits (a guard held across an await would not).
    let outcome = dispatch(operation, &ctx, &body, &request_id)
        .instrument(span)
        .await;
    match outcome {
        Ok(response) => json_response(200, response, &request_id),
        Err(error) => json_error(&error, &request_id),
    }
}

/// A KMS call: authenticated for `kms`, then dispatched like a Secrets Manager operation.
async fn kms_call(
    state: &AppState,
    parts: &axum::http::request::Parts,
    signed_parts: &RequestParts<'_>,
    action: Option<KmsAction>,
    facts: &RequestFacts,
    body: &bytes::Bytes,
    call: &mut Call,
) -> Response {
    let request_id = call.request_id().to_owned();
    let caller = match state
        .auth
        .authenticate(signed_parts, KmsAction::SERVICE, facts)
        .await
    {
        Ok(caller) => caller,
        Err(e) => {
            state.metrics.auth_failure(e.code);
            return json_error(&e, &request_id);
        }
    };
    call.caller(&caller); // audit
    call.json_parameters(body);
    let Some(action) = action.filter(|_| parts.method == Method::POST) else {
        let error = ApiError::new(ErrorCode::UnknownOperationException, "");
        return json_error(&error, &request_id);
    };
    let span = tracing::debug_span!("dispatch", operation = action.name());
    let ctx = Ctx {
        service: &state.service,
        caller: &caller,
        rotation: &state.rotation,
    };
    let outcome = dispatch_kms(action, &ctx, body, &request_id)
        .instrument(span)
        .await;
    match outcome {
        Ok(response) => json_response(200, response, &request_id),
        Err(error) => json_error(&error, &request_id),
    }
}

/// Reads a request body, at most `limit` bytes, into a buffer that is zeroed when freed: the
/// body of PutSecretValue, CreateSecret, UpdateSecret and the like carries a secret value, and
/// the audit trail and the signature check share the one copy (see [`crate::secret_buffer`]
/// for what is and is not covered).
async fn read_body(
    body: Body,
    limit: usize,
    declared: Option<usize>,
) -> Result<bytes::Bytes, Box<dyn std::error::Error + Send + Sync>> {
    let mut body = Limited::new(body, limit);
    // The declared length (already checked against the limit) sizes the buffer once.
    let mut buffer = crate::secret_buffer::SecretBuffer::with_capacity(declared.unwrap_or(0));
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            buffer.extend_from_slice(&data);
        }
    }
    Ok(buffer.into_bytes())
}

/// STS (awsQuery) names authentication failures differently from the JSON services, with 403.
fn sts_auth_error(code: ErrorCode) -> (u16, &'static str) {
    match code {
        ErrorCode::InvalidSignatureException => (403, "SignatureDoesNotMatch"),
        ErrorCode::UnrecognizedClientException => (403, "InvalidClientTokenId"),
        ErrorCode::MissingAuthenticationTokenException => (403, "MissingAuthenticationToken"),
        ErrorCode::IncompleteSignatureException => (400, "IncompleteSignature"),
        ErrorCode::ExpiredTokenException => (400, "ExpiredToken"),
        ErrorCode::AccessDeniedException => (403, "AccessDenied"),
        ErrorCode::InternalServiceError => (500, "InternalFailure"),
        _ => (400, "InvalidRequest"),
    }
}

/// An awsQuery (IAM) error, rendered, its code and message noted for the audit trail.
fn query_error(error: &QueryError, request_id: &str) -> Response {
    let body = iam::error_xml(error, request_id);
    let mut response = xml_response(error.status(), body, request_id);
    AnsweredError::attach(&mut response, error.code.as_str(), &error.message);
    response
}

/// An STS error (STS's namespace), its code and message noted for the audit trail.
fn sts_error(error: &QueryError, request_id: &str) -> Response {
    let body = sts::query_error_xml(error, request_id);
    let mut response = xml_response(error.status(), body, request_id);
    AnsweredError::attach(&mut response, error.code.as_str(), &error.message);
    response
}

/// An IAM or STS call. The signature is checked, for the service the action belongs to,
/// before any parameter is read.
async fn query_call(
    state: &AppState,
    parts: &RequestParts<'_>,
    form: query::QueryForm,
    facts: &RequestFacts,
    request_id: &str,
    call: &mut Call,
) -> Response {
    let action = Action::from_query(&form.action);
    // The trail records an action coffer does not know under the service the request claims
    // to be signed for (read only for such an action).
    call.query(
        action,
        &form.action,
        action.is_none()
            && sigv4::claimed_credential(parts.headers, parts.query)
                .is_some_and(|claimed| claimed.service == IamAction::SERVICE),
    );
    // An action coffer does not know is answered by the service the request was signed for.
    let signing_name = match action {
        Some(action) => action.service(),
        None if parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("/iam/aws4_request")) =>
        {
            IamAction::SERVICE
        }
        None => StsAction::SERVICE,
    };
    let caller = match state.auth.authenticate(parts, signing_name, facts).await {
        Ok(caller) => {
            call.caller(&caller); // audit
            call.form_parameters(&form.params);
            caller
        }
        Err(e) => {
            state.metrics.auth_failure(e.code);
            let (status, code) = sts_auth_error(e.code);
            let body = sts::error_xml(code, &e.message, request_id);
            let mut response = xml_response(status, body, request_id);
            AnsweredError::attach(&mut response, code, &e.message);
            return response;
        }
    };
    match action {
        // (`from_query` gives IAM and STS actions only.)
        None | Some(Action::SecretsManager(_) | Action::Kms(_)) => {
            query_error(&sts::invalid_action(&form.action), request_id)
        }
        Some(Action::Sts(StsAction::GetCallerIdentity)) => xml_response(
            200,
            sts::get_caller_identity_xml(
                &caller.principal.arn,
                &caller.principal.user_id,
                caller.scope.account.as_str(),
                request_id,
            ),
            request_id,
        ),
        Some(Action::Sts(StsAction::AssumeRole)) => {
            let request = match sts::parse_assume_role(&form.params) {
                Ok(request) => request,
                Err(e) => return sts_error(&e, request_id),
            };
            match handlers::iam::assume_role(&state.service, &caller, request).await {
                Ok(response) => {
                    secret_xml_response(sts::assume_role_xml(&response, request_id), request_id)
                }
                // The duration beyond the role's (or role chaining's) limit, and the session
                // tags STS refuses, each with its own sentence.
                Err(coffer_core::Error::Validation(message)) => sts_error(
                    &coffer_protocol::query::QueryError::new(
                        coffer_protocol::query::QueryErrorCode::ValidationError,
                        message,
                    ),
                    request_id,
                ),
                Err(coffer_core::Error::MalformedPolicy(message)) => {
                    sts_error(&sts::malformed_session_policy(message), request_id)
                }
                Err(e) => sts_error(&crate::errors::to_query_error(&e, request_id), request_id),
            }
        }
        Some(Action::Sts(StsAction::GetSessionToken)) => {
            let request = match sts::parse_get_session_token(&form.params) {
                Ok(request) => request,
                Err(e) => return sts_error(&e, request_id),
            };
            let duration = request.duration_seconds.and_then(|d| u32::try_from(d).ok());
            match state
                .service
                .get_session_token(&caller.principal, duration)
                .await
            {
                Ok(session) => secret_xml_response(
                    sts::get_session_token_xml(
                        &sts::Credentials {
                            access_key_id: session.credentials.access_key_id.clone(),
                            secret_access_key: coffer_protocol::sensitive::SensitiveString::new(
                                session.credentials.secret_access_key.as_str().to_owned(),
                            ),
                            session_token: coffer_protocol::sensitive::SensitiveString::new(
                                session.session_token.as_str().to_owned(),
                            ),
                            expiration: session.expiration,
                        },
                        request_id,
                    ),
                    request_id,
                ),
                Err(coffer_core::Error::AccessDenied(_)) => {
                    sts_error(&sts::get_session_token_with_session(), request_id)
                }
                Err(e) => sts_error(&crate::errors::to_query_error(&e, request_id), request_id),
            }
        }
        // GetSessionToken's credentials without MFA (coffer has none) cannot call IAM: STS's
        // and IAM's answer is that the token is invalid (403 InvalidClientTokenId).
        Some(Action::Iam(_)) if caller.principal.own_session => {
            let message = "The security token included in the request is invalid.";
            let body = sts::error_xml("InvalidClientTokenId", message, request_id);
            let mut response = xml_response(403, body, request_id);
            AnsweredError::attach(&mut response, "InvalidClientTokenId", message);
            response
        }
        Some(Action::Iam(action)) => {
            let request = match iam::parse_request(action, &form.params) {
                Ok(request) => request,
                Err(e) => return query_error(&e, request_id),
            };
            let result = handlers::iam::iam_call(&state.service, &caller, request).await;
            // Any IAM change (a key disabled, a policy replaced) takes effect on this node
            // at once: the cached keys and policies are dropped.
            if !action.read_only() {
                state.auth.invalidate();
            }
            match result {
                Ok(response) => secret_xml_response(response.to_xml(request_id), request_id),
                Err(e) => query_error(&crate::errors::to_query_error(&e, request_id), request_id),
            }
        }
    }
}
