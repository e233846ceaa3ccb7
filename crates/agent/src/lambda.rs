//! Lambda extension mode: when `AWS_LAMBDA_RUNTIME_API` is set the agent runs as an external
//! Lambda extension (AWS's agent does the same through a wrapper script): it registers with the
//! Extensions API for `INVOKE` and `SHUTDOWN`, then waits on `event/next` in a loop, and ends on
//! `SHUTDOWN`. The Extensions API speaks plain HTTP/1.1 on the sandbox's loopback.
//!
//! Under SnapStart (`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`) the agent serves no secret until
//! the first `INVOKE`: a value cached during the INIT phase would be written into the snapshot
//! and restored into every sandbox made from it, as AWS's agent's `start_serving` avoids.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

/// The Extensions API version path.
const API: &str = "2020-01-01/extension";

/// Why the extension loop stopped other than by `SHUTDOWN`.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// The Extensions API could not be reached or answered badly.
    #[error("Extensions API {call}: {reason}")]
    Api {
        /// `register` or `event/next`.
        call: &'static str,
        /// What went wrong.
        reason: String,
    },
}

/// An event from `event/next` (only the type matters here).
#[derive(Debug, Deserialize)]
struct Event {
    #[serde(rename = "eventType")]
    event_type: String,
}

/// One request to the Extensions API on a fresh connection: status, one response header's
/// value and the body.
async fn call(
    runtime_api: &str,
    call: &'static str,
    request: Request<Full<Bytes>>,
    header: &str,
) -> Result<(StatusCode, Option<String>, Bytes), LambdaError> {
    let fail = |reason: String| LambdaError::Api { call, reason };
    let stream = tokio::net::TcpStream::connect(runtime_api)
        .await
        .map_err(|e| fail(format!("connect to {runtime_api}: {e}")))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| fail(e.to_string()))?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status();
    let value = response
        .headers()
        .get(header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| fail(e.to_string()))?
        .to_bytes();
    Ok((status, value, body))
}

/// A registered extension.
pub struct Extension {
    runtime_api: String,
    id: String,
}

impl Extension {
    /// `POST /2020-01-01/extension/register` as `name` (Lambda requires the executable's file
    /// name) for `INVOKE` and `SHUTDOWN`.
    pub async fn register(runtime_api: &str, name: &str) -> Result<Extension, LambdaError> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("/{API}/register"))
            .header("host", runtime_api)
            .header("lambda-extension-name", name)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(
                br#"{"events":["INVOKE","SHUTDOWN"]}"#,
            )))
            .map_err(|e| LambdaError::Api {
                call: "register",
                reason: e.to_string(),
            })?;
        let (status, id, body) = call(
            runtime_api,
            "register",
            request,
            "lambda-extension-identifier",
        )
        .await?;
        match id {
            Some(id) if status.is_success() => Ok(Extension {
                runtime_api: runtime_api.to_owned(),
                id,
            }),
            _ => Err(LambdaError::Api {
                call: "register",
                reason: format!("HTTP {status}: {}", String::from_utf8_lossy(&body)),
            }),
        }
    }

    /// The identifier Lambda gave the extension.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Waits for the next event; `true` for `SHUTDOWN`.
    pub async fn next_is_shutdown(&self) -> Result<bool, LambdaError> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(format!("/{API}/event/next"))
            .header("host", &self.runtime_api)
            .header("lambda-extension-identifier", &self.id)
            .body(Full::new(Bytes::new()))
            .map_err(|e| LambdaError::Api {
                call: "event/next",
                reason: e.to_string(),
            })?;
        let (status, _, body) = call(&self.runtime_api, "event/next", request, "").await?;
        if !status.is_success() {
            return Err(LambdaError::Api {
                call: "event/next",
                reason: format!("HTTP {status}: {}", String::from_utf8_lossy(&body)),
            });
        }
        let event: Event = serde_json::from_slice(&body).map_err(|e| LambdaError::Api {
            call: "event/next",
            reason: format!("unreadable event: {e}"),
        })?;
        tracing::debug!(event = %event.event_type, "Lambda event");
        Ok(event.event_type == "SHUTDOWN")
    }
}

/// Runs the extension loop for `agent` until `SHUTDOWN`: the first event (an `INVOKE`) opens
/// the agent for secrets if it was held (SnapStart).
pub async fn run(extension: &Extension, agent: &crate::Agent) -> Result<(), LambdaError> {
    loop {
        let shutdown = extension.next_is_shutdown().await?;
        if shutdown {
            tracing::info!("Lambda SHUTDOWN: stopping");
            return Ok(());
        }
        agent.start_serving();
    }
}
