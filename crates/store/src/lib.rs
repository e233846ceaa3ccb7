//! coffer-store: the storage engines behind `coffer_core::store::Store`.
//!
//! [`sqlite::SqliteStore`] is the embedded default (a file in the data directory, or memory for
//! `--dev`). All SQL of the project lives in this crate, one module per engine, with embedded
//! migrations per engine.

pub mod sqlite;

pub use sqlite::SqliteStore;
