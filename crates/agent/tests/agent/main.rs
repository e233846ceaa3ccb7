//! The agent's integration tests, one binary (one link of the agent, the server and the SDK):
//! the cache against a real coffer (`cache`), AWS's agent's HTTP surface and the binary
//! (`endpoints`), stale serving through each kind of upstream outage (`outage`), on the harness
//! of `common`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cache;
mod common;
mod endpoints;
mod lambda;
mod outage;
mod packaging;
mod role;
mod settings;
mod tls;
