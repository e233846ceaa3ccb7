//! Log lines emitted while a request runs carry its request id (the `request` span of
//! `http::api`), in the JSON format `log_format = "json"` selects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Whether the global subscriber this test installs still captures lines.
static CAPTURING: AtomicBool = AtomicBool::new(true);

/// A log writer into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn lines_logged_during_a_request_carry_its_request_id() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    // The store's query lines (debug) are logged from inside requests: they stand for any
    // line a request's code emits.
    // The subscriber is the process's global one, and the other tests of this binary run
    // beside this one: it captures only until this test ends.
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info,sqlx::query=debug"))
        .with_writer(move || writer.clone())
        .finish()
        .with(tracing_subscriber::filter::filter_fn(|_| {
            CAPTURING.load(Ordering::Relaxed)
        }))
        .init();
    let t = common::start().await;
    let raw = t
        .raw_json("ListSecrets", &serde_json::json!({}))
        .send()
        .await;
    assert_eq!(raw.status, 200);
    let request_id = raw.header("x-amzn-RequestId").unwrap().to_owned();
    t.stop().await;
    CAPTURING.store(false, Ordering::Relaxed);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let in_request: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|line| line["span"]["request_id"] == request_id.as_str())
        .collect();
    assert!(
        !in_request.is_empty(),
        "no line carries request_id {request_id}:\n{text}"
    );
}
