//! `POST /console/api/signin`: an IAM user's console password in, temporary credentials for
//! that user out.
//!
//! The request is JSON (`Content-Type: application/json`, which a cross-site form cannot send
//! without a CORS preflight this server never grants): `{"AccountId": "…", "UserName": "…",
//! "Password": "…"}`, `AccountId` optional when the server has one account. The answer is
//! `{"Credentials": {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"},
//! "AccountId", "Arn", "UserName"}`, or an awsJson error (`__type`, `Message`). Every attempt
//! writes a CloudTrail-shaped `ConsoleLogin` event (`signin.amazonaws.com`); a success's
//! credentials leave only once that event is durable, as any response carrying secret
//! material.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use coffer_core::names::AccountId;
use coffer_core::service::UserSession;
use coffer_core::Error;
use coffer_protocol::sensitive::SensitiveString;
use coffer_protocol::{ApiError, ErrorCode};
use http_body_util::{BodyExt, Limited};
use serde::{Deserialize, Serialize};

use super::limiter::{address_key, user_key};
use super::{console_of, security_headers};
use crate::audit::event::{Event, UserIdentity};
use crate::audit::AnsweredError;
use crate::connections::PeerAddr;
use crate::http::AppState;
use crate::secret_buffer::SecretBuffer;

/// The event source of console sign-ins, as CloudTrail names it.
pub const SIGNIN_SOURCE: &str = "signin.amazonaws.com";

/// The largest sign-in body read (a name, an account id and a 128-character password fit
/// many times over).
const MAX_BODY: usize = 8 * 1024;

/// What the refusal of a rate-limited attempt says.
pub const TOO_MANY_ATTEMPTS: &str =
    "Too many failed sign-in attempts. Wait 15 minutes, then try again.";

/// The sign-in request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInRequest {
    #[serde(rename = "AccountId")]
    account_id: Option<String>,
    #[serde(rename = "UserName")]
    user_name: String,
    #[serde(rename = "Password")]
    password: SensitiveString,
}

/// The temporary credentials, as STS names their members.
#[derive(Serialize)]
struct CredentialsOut<'a> {
    #[serde(rename = "AccessKeyId")]
    access_key_id: &'a str,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: &'a str,
    #[serde(rename = "SessionToken")]
    session_token: &'a str,
    /// Epoch seconds, as awsJson timestamps.
    #[serde(rename = "Expiration")]
    expiration: i64,
}

/// The sign-in response.
#[derive(Serialize)]
struct SignInResponse<'a> {
    #[serde(rename = "Credentials")]
    credentials: CredentialsOut<'a>,
    #[serde(rename = "AccountId")]
    account_id: &'a str,
    #[serde(rename = "Arn")]
    arn: &'a str,
    #[serde(rename = "UserName")]
    user_name: &'a str,
}

fn json(status: StatusCode, body: Body, request_id: &str) -> Response {
    let mut response = Response::new(body);
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
    let mut response = json(status, Body::from(error.to_json()), request_id);
    AnsweredError::attach(&mut response, error.code.as_str(), &error.message);
    response
}

fn bad_request(message: &str) -> ApiError {
    ApiError::new(ErrorCode::ValidationException, message)
}

/// The facts of an attempt that its audit event records.
struct Attempt {
    request_id: String,
    source_ip: Option<IpAddr>,
    user_agent: Option<String>,
    account: Option<String>,
    user_name: Option<String>,
}

impl Attempt {
    /// The `ConsoleLogin` event: CloudTrail's shape (`AwsConsoleSignIn`, `responseElements`
    /// `{"ConsoleLogin": "Success" | "Failure"}`), plus the `errorCode` coffer's other events
    /// carry, so that the Audit page and `audit search` filter failures alike.
    fn event(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        session: Option<&UserSession>,
        failure: Option<&ApiError>,
    ) -> Event {
        let identity = match session {
            Some(session) => {
                let mut identity = UserIdentity::of(&session.principal, "");
                identity.access_key_id = None;
                identity
            }
            None => UserIdentity {
                kind: Some("IAMUser"),
                account_id: self.account.clone(),
                user_name: self.user_name.clone(),
                ..UserIdentity::default()
            },
        };
        let mut event = Event::api_call(
            SIGNIN_SOURCE,
            "ConsoleLogin".to_owned(),
            now,
            "us-east-1".to_owned(),
            identity,
            self.request_id.clone(),
            false,
        );
        event.event_type = "AwsConsoleSignIn";
        event.source_ip_address = self.source_ip.map(|ip| ip.to_string());
        event.user_agent = self.user_agent.clone().map(|agent| {
            agent
                .chars()
                .take(crate::audit::call::USER_AGENT_MAX_CHARS)
                .collect()
        });
        let mut elements = serde_json::Map::new();
        elements.insert(
            "ConsoleLogin".to_owned(),
            if failure.is_none() {
                "Success"
            } else {
                "Failure"
            }
            .into(),
        );
        event.response_elements = Some(serde_json::Value::Object(elements));
        if let Some(failure) = failure {
            event.error_code = Some(failure.code.as_str().to_owned());
            event.error_message = Some(failure.message.clone());
        }
        event
    }
}

/// Answers a sign-in refused before its password was looked at (a malformed request, the
/// in-flight cap), recording it as a failed `ConsoleLogin` as every attempt is.
async fn refuse(state: &AppState, attempt: &Attempt, failure: ApiError) -> Response {
    let audit = &state.audit;
    audit
        .record(attempt.event(audit.now(), None, Some(&failure)))
        .await;
    audit.flush().await;
    error(&failure, &attempt.request_id)
}

/// The sign-in endpoint.
pub async fn signin(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = std::time::Instant::now();
    let response = signin_call(&state, request).await;
    state.metrics.request(
        crate::metrics::OperationLabel::CONSOLE_LOGIN,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

async fn signin_call(state: &Arc<AppState>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let Some(console) = console_of(state) else {
        return error(
            &ApiError::new(ErrorCode::UnknownOperationException, ""),
            &request_id,
        );
    };
    let (parts, body) = request.into_parts();
    let mut attempt = Attempt {
        request_id: request_id.clone(),
        source_ip: parts
            .extensions
            .get::<ConnectInfo<PeerAddr>>()
            .map(|info| info.0 .0.ip()),
        user_agent: parts
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        account: None,
        user_name: None,
    };
    let _slot = match state.limits.admit_request(attempt.source_ip) {
        Ok(slot) => slot,
        Err(_) => {
            return refuse(
                state,
                &attempt,
                ApiError::new(ErrorCode::ThrottlingException, "Rate exceeded"),
            )
            .await
        }
    };
    let is_json = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().map(str::trim) == Some("application/json"));
    if !is_json {
        return refuse(
            state,
            &attempt,
            bad_request("The sign-in request must be application/json."),
        )
        .await;
    }
    // The body holds the password: read into a buffer that is zeroed when freed.
    let mut buffer = SecretBuffer::with_capacity(1024);
    let mut limited = Limited::new(body, MAX_BODY);
    let read = tokio::time::timeout(state.body_read_timeout, async {
        while let Some(frame) = limited.frame().await {
            if let Ok(data) = frame?.into_data() {
                buffer.extend_from_slice(&data);
            }
        }
        Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
    })
    .await;
    if !matches!(read, Ok(Ok(()))) {
        return refuse(
            state,
            &attempt,
            bad_request("The sign-in request is too large or too slow."),
        )
        .await;
    }
    let Ok(input) = serde_json::from_slice::<SignInRequest>(buffer.as_slice()) else {
        return refuse(
            state,
            &attempt,
            ApiError::new(
                ErrorCode::SerializationException,
                "The sign-in request must be {\"AccountId\", \"UserName\", \"Password\"}.",
            ),
        )
        .await;
    };
    drop(buffer);

    let service = &state.service;
    let account = match &input.account_id {
        Some(text) => AccountId::parse(text.trim()),
        None => match service.store().list_accounts().await {
            Ok(accounts) if accounts.len() == 1 => accounts.into_iter().next(),
            Ok(_) => {
                return refuse(
                    state,
                    &attempt,
                    bad_request("This server has several accounts: give the account ID."),
                )
                .await
            }
            Err(e) => {
                return refuse(
                    state,
                    &attempt,
                    crate::errors::to_api_error(&e, &request_id),
                )
                .await
            }
        },
    };
    let user_name: String = input.user_name.chars().take(128).collect();
    attempt.account = account.as_ref().map(|a| a.as_str().to_owned());
    attempt.user_name = Some(user_name.clone());
    let account_text = attempt.account.clone().unwrap_or_default();
    let user = user_key(&account_text, &user_name);
    let address = address_key(attempt.source_ip);
    let now = service.now();

    let outcome = if !console.limiter.allows(&user, &address, now) {
        Err(ApiError::new(
            ErrorCode::ThrottlingException,
            TOO_MANY_ATTEMPTS,
        ))
    } else {
        // The semaphore is never closed, so acquiring fails only if it were: then refuse.
        let result = match console.password_checks.acquire().await {
            Err(_) => Err(Error::Internal(
                "the password check limiter is closed".into(),
            )),
            Ok(_permit) => match &account {
                Some(account) => {
                    service
                        .console_sign_in(account, &user_name, input.password.expose())
                        .await
                }
                None => Err(Error::SignInFailed),
            },
        };
        match result {
            Ok(session) => {
                console.limiter.succeeded(&user);
                Ok(session)
            }
            Err(e) => {
                if matches!(e, Error::SignInFailed) {
                    console.limiter.failed(&user, &address, now);
                }
                Err(crate::errors::to_api_error(&e, &request_id))
            }
        }
    };

    let audit = &state.audit;
    match outcome {
        Ok(session) => {
            let event = attempt.event(audit.now(), Some(&session), None);
            // The credentials are secret material: on a fail-closed trail they leave only once
            // the event is durable.
            if audit.enabled() && audit.fail_closed().withholds(true, false) {
                if !audit.record_durable(event).await {
                    return error(
                        &ApiError::new(
                            ErrorCode::InternalServiceError,
                            "An error occurred on the server side.",
                        ),
                        &request_id,
                    );
                }
            } else {
                audit.record(event).await;
                audit.flush().await;
            }
            let account_id = session.principal.account.as_str().to_owned();
            // The name as the user record spells it (the sign-in compared it ignoring case).
            let stored_name = match &session.principal.identity {
                coffer_core::service::PrincipalIdentity::User { name } => name.as_str(),
                _ => user_name.as_str(),
            };
            let response = SignInResponse {
                credentials: CredentialsOut {
                    access_key_id: &session.credentials.access_key_id,
                    secret_access_key: session.credentials.secret_access_key.as_str(),
                    session_token: session.session_token.as_str(),
                    expiration: session.expiration.timestamp(),
                },
                account_id: &account_id,
                arn: &session.principal.arn,
                user_name: stored_name,
            };
            let mut out = SecretBuffer::with_capacity(4096);
            if serde_json::to_writer(&mut out, &response).is_err() {
                return error(
                    &ApiError::new(
                        ErrorCode::InternalServiceError,
                        "An error occurred on the server side.",
                    ),
                    &request_id,
                );
            }
            json(StatusCode::OK, Body::from(out.into_bytes()), &request_id)
        }
        Err(failure) => {
            audit
                .record(attempt.event(audit.now(), None, Some(&failure)))
                .await;
            audit.flush().await;
            error(&failure, &request_id)
        }
    }
}
