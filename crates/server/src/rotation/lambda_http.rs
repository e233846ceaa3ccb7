//! The `lambda-http` invoker: one synchronous invocation as AWS Lambda's Invoke API takes it,
//! `POST /2015-03-31/functions/<name>/invocations` with the event as JSON, so that a function
//! in one of AWS's Lambda base images (the runtime interface emulator serves this path) or any
//! server speaking it runs unchanged. Failure is read as Lambda reports it: an
//! `X-Amz-Function-Error` header (sent with HTTP 200 and `{"errorType","errorMessage"}`), a
//! status other than 2xx, a timeout, or a connection that cannot be made.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};

/// The event of one step (AWS's rotation-function contract).
#[derive(Serialize)]
pub struct Event<'a> {
    /// `createSecret`, `setSecret`, `testSecret` or `finishSecret`.
    #[serde(rename = "Step")]
    pub step: &'a str,
    /// The secret's full ARN.
    #[serde(rename = "SecretId")]
    pub secret_id: &'a str,
    /// The rotation's version id.
    #[serde(rename = "ClientRequestToken")]
    pub client_request_token: &'a str,
    /// The token PutSecretValue may carry back to tie its call to this rotation.
    #[serde(rename = "RotationToken")]
    pub rotation_token: &'a str,
}

/// A function error's body, as Lambda and the emulator write it.
#[derive(Deserialize)]
struct FunctionError {
    #[serde(rename = "errorType", default)]
    error_type: Option<String>,
    #[serde(rename = "errorMessage", default)]
    error_message: Option<String>,
}

/// The most of a response body read (a function's answer is small; an error's text is cut).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Invokes a function at `authority` + `path` with `event`, within `timeout`. Returns the
/// failure as one line of text (what the function reported, cut to 512 characters).
pub async fn invoke(
    authority: &str,
    path: &str,
    event: &Event<'_>,
    timeout: Duration,
) -> Result<(), String> {
    match tokio::time::timeout(timeout, invoke_inner(authority, path, event)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "the function did not answer within {} seconds",
            timeout.as_secs()
        )),
    }
}

async fn invoke_inner(authority: &str, path: &str, event: &Event<'_>) -> Result<(), String> {
    let body = serde_json::to_vec(event).map_err(|e| format!("cannot encode the event: {e}"))?;
    post(authority, path, body).await
}

/// POSTs a JSON body and reads the answer as Lambda reports success and failure (also the
/// final-failure notice of `rotation_notify_url`).
pub async fn post(authority: &str, path: &str, body: Vec<u8>) -> Result<(), String> {
    let stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("cannot connect to the function at {authority}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("cannot talk HTTP to the function at {authority}: {e}"))?;
    let driver = tokio::spawn(connection);
    let request = http::Request::builder()
        .method("POST")
        .uri(path)
        .header("host", authority)
        .header("content-type", "application/json")
        .header("x-amz-invocation-type", "RequestResponse")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("cannot build the invocation: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the function's connection failed: {e}"))?;
    let status = response.status();
    let function_error = response
        .headers()
        .get("x-amz-function-error")
        .map(|v| v.to_str().unwrap_or("Unhandled").to_owned());
    let bytes = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    driver.abort();
    if !status.is_success() {
        return Err(cut(&format!(
            "the function answered HTTP {}{}",
            status.as_u16(),
            describe(&bytes)
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )));
    }
    if let Some(kind) = function_error {
        return Err(cut(
            &describe(&bytes).unwrap_or_else(|| format!("{kind} function error"))
        ));
    }
    Ok(())
}

/// `errorType: errorMessage` from a function error's body, if it has that shape.
fn describe(body: &[u8]) -> Option<String> {
    let error: FunctionError = serde_json::from_slice(body).ok()?;
    match (error.error_type, error.error_message) {
        (Some(t), Some(m)) => Some(format!("{t}: {m}")),
        (Some(t), None) => Some(t),
        (None, Some(m)) => Some(m),
        (None, None) => None,
    }
}

/// At most 512 characters on one line.
pub fn cut(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(512)
        .collect()
}
