//! The store's integration tests, one test binary (`cargo test -p coffer-store --test store`),
//! one module per subject:
//!
//! - `contract`: what every engine behind `coffer_core::store::Store` must do, run against
//!   SQLite (file and memory) and PostgreSQL; `contract/cases.rs` holds the cases;
//! - `remembered`: SQLite's writer remembers records exactly as the database holds them;
//! - `service`: the service's time- and storage-dependent behaviour on a real SQLite store;
//! - `labels_proptest`: staging-label invariants under random operation sequences, on both
//!   engines.
//!
//! PostgreSQL cases run in scratch schemas made by `coffer_test_support::pg`.

mod contract;
mod labels_proptest;
mod remembered;
mod service;
