//! coffer-store: the storage engines behind `coffer_core::store::Store`.
//!
//! [`sqlite::SqliteStore`] is the embedded default (a file in the data directory, or memory for
//! `--dev`); [`postgres::PostgresStore`] is the shared store for several coffer nodes. All SQL
//! of the project lives in this crate: the statements both engines run, written once, in `sql`;
//! what only one engine does in its module; embedded migrations per engine. [`transfer`] moves a deployment from one engine to the other.

pub mod backup;
mod iam_objects;
mod paging;
pub mod postgres;
mod sql;
pub mod sqlite;
mod tags;
pub mod transfer;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
