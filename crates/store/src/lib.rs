//! coffer-store: the storage engines behind `coffer_core::store::Store`.
//!
//! [`sqlite::SqliteStore`] is the embedded default (a file in the data directory, or memory for
//! `--dev`); [`postgres::PostgresStore`] is the shared store for several coffer nodes. All SQL
//! of the project lives in this crate, one module per engine, with embedded migrations per
//! engine. [`transfer`] moves a deployment from one engine to the other.

mod paging;
pub mod postgres;
pub mod sqlite;
mod tags;
pub mod transfer;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
