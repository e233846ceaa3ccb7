//! Reading an embedded (SQLite) database file row by row, read-only, for
//! `coffer admin migrate-store`. Part of the SQLite engine's module, but apart from the store
//! itself: it reads the schema directly and needs none of the engine's machinery (no writer
//! task, no cache). The rows are read by the shared `export_rows` (`crate::sql`), as
//! PostgreSQL's export reads them.

use std::path::Path;

use coffer_core::error::{Error, Result};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use crate::sql::store_err;
use crate::transfer::Snapshot;

/// Refuses a file whose schema is not the one this binary writes. The export names every column
/// of that schema: a file from an older coffer lacks some (the query would fail on a missing
/// column), and one from a newer coffer has columns the snapshot would silently leave behind.
pub(super) async fn check_schema(conn: &mut SqliteConnection, path: &Path) -> Result<()> {
    let expected = super::MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    let migrated: bool = sqlx::query_scalar(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(store_err)?;
    let applied: Option<i64> = if migrated {
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut *conn)
            .await
            .map_err(store_err)?
    } else {
        None
    };
    match applied {
        Some(version) if version == expected => Ok(()),
        Some(version) if version < expected => Err(Error::InvalidRequest(format!(
            "{} has schema version {version}, this coffer writes {expected}: start this \
             coffer's `serve` on it once (which upgrades it), stop it, then migrate",
            path.display()
        ))),
        Some(version) => Err(Error::InvalidRequest(format!(
            "{} has schema version {version}, newer than this coffer's {expected}: migrate \
             with the coffer that wrote it",
            path.display()
        ))),
        None => Err(Error::InvalidRequest(format!(
            "{} is not a coffer database",
            path.display()
        ))),
    }
}

/// Every row of the SQLite database at `path`, from one read transaction. The file is opened
/// read-only and must exist, with the schema this binary writes; a server still writing to it
/// should be stopped first.
pub async fn export_sqlite(path: &Path) -> Result<Snapshot> {
    if !path.exists() {
        return Err(Error::InvalidRequest(format!(
            "{} does not exist",
            path.display()
        )));
    }
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(store_err)?;
    let mut tx = conn.begin().await.map_err(store_err)?;
    check_schema(&mut tx, path).await?;
    let snapshot = super::shared::export_rows(&mut tx).await?;
    tx.commit().await.map_err(store_err)?;
    conn.close().await.map_err(store_err)?;
    Ok(snapshot)
}
