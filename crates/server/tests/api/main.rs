//! coffer-server's integration tests, one binary (one link of the server and the AWS SDK): the
//! API through the official `aws-sdk-secretsmanager` crate and hand-signed raw requests
//! (`api_*`), the audit trail, backup and restore under load, PostgreSQL over TLS (a scratch cluster), the server's packaging, connection limits, logs, metrics, start-up file modes, TLS, and
//! the on-demand throughput measurement; each module starts its own servers on 127.0.0.1 with the
//! harness in `common`. `./scripts/test` runs the `api_` modules a second time with
//! `COFFER_TEST_STORE=postgres`. The tests that stop or cut PostgreSQL under load are the other
//! binary, `cluster`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod api_auth;
mod api_auth_matrix;
mod api_authz_table;
mod api_batch;
mod api_cancel;
mod api_check_order;
mod api_durability;
mod api_errors;
mod api_fidelity;
mod api_iam;
mod api_iam_managed;
mod api_lifecycle;
mod api_listing;
mod api_rotation;
mod api_secrets;
mod api_versions;
mod audit;
mod backup;
mod connections;
mod logs;
mod metrics;
mod packaging;
mod pg_tls;
mod startup;
mod throughput;
mod tls;
