//! coffer-server's cluster tests, the second test binary: three nodes on one PostgreSQL under a
//! 32-client load (`multinode`), the same with the machine's PostgreSQL restarted in the middle
//! (`multinode_pg_restart`), and PostgreSQL cut by a TCP proxy under load (`pg_outage_ready`).
//! They are apart from `api` because one stops the PostgreSQL every other test may be using
//! (cargo runs test binaries one at a time) and each loads the machine for seconds; inside this
//! binary every test holds [`EXCLUSIVE`], so they run one at a time too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The API tests' harness (servers, SDK clients, the scratch PostgreSQL schema).
#[path = "../api/common/mod.rs"]
mod common;
mod load;

mod multinode;
mod multinode_pg_restart;
mod pg_outage_ready;
mod rotation;

/// Held by every test of this binary for its whole run.
static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
