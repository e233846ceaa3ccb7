//! Reading an embedded (SQLite) database file row by row, read-only, for
//! `coffer admin migrate-store`. Part of the SQLite engine's module, but apart from the store
//! itself: it reads the schema directly and needs none of the engine's machinery (no writer
//! task, no cache).

use std::path::Path;

use coffer_core::error::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Connection, Row, SqliteConnection};

use crate::transfer::{AccessKeyRow, LabelRow, SecretRow, Snapshot, TagRow, VersionRow};

fn store_err(e: sqlx::Error) -> Error {
    Error::Store(Box::new(e))
}

fn get<'r, T>(row: &'r SqliteRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column).map_err(store_err)
}

/// Every row of the SQLite database at `path`, from one read transaction. The file is opened
/// read-only and must exist; a server still writing to it should be stopped first.
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
    let mut snapshot = Snapshot::default();
    for row in sqlx::query("SELECT id, created_ms FROM accounts ORDER BY id")
        .fetch_all(&mut *tx)
        .await
        .map_err(store_err)?
    {
        snapshot
            .accounts
            .push((get(&row, "id")?, get(&row, "created_ms")?));
    }
    for row in sqlx::query(
        "SELECT access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active \
         FROM access_keys ORDER BY access_key_id",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(store_err)?
    {
        snapshot.access_keys.push(AccessKeyRow {
            access_key_id: get(&row, "access_key_id")?,
            account_id: get(&row, "account_id")?,
            principal_arn: get(&row, "principal_arn")?,
            key_id: get(&row, "key_id")?,
            wrapped_key: get(&row, "wrapped_key")?,
            ciphertext: get(&row, "ciphertext")?,
            created_ms: get(&row, "created_ms")?,
            active: get(&row, "active")?,
        });
    }
    for row in sqlx::query(
        "SELECT id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
         last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms FROM secrets ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(store_err)?
    {
        snapshot.secrets.push(SecretRow {
            id: get(&row, "id")?,
            account_id: get(&row, "account_id")?,
            region: get(&row, "region")?,
            name: get(&row, "name")?,
            suffix: get(&row, "suffix")?,
            description: get(&row, "description")?,
            kms_key_id: get(&row, "kms_key_id")?,
            created_ms: get(&row, "created_ms")?,
            last_changed_ms: get(&row, "last_changed_ms")?,
            last_accessed_ms: get(&row, "last_accessed_ms")?,
            deleted_ms: get(&row, "deleted_ms")?,
            deletion_due_ms: get(&row, "deletion_due_ms")?,
        });
    }
    for row in sqlx::query(
        "SELECT secret_id, version_id, created_ms, kms_key_id, last_accessed_ms, key_id, wrapped_key, ciphertext, kind \
         FROM versions ORDER BY secret_id, version_id",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(store_err)?
    {
        snapshot.versions.push(VersionRow {
            secret_id: get(&row, "secret_id")?,
            version_id: get(&row, "version_id")?,
            created_ms: get(&row, "created_ms")?,
            kms_key_id: get(&row, "kms_key_id")?,
            last_accessed_ms: get(&row, "last_accessed_ms")?,
            key_id: get(&row, "key_id")?,
            wrapped_key: get(&row, "wrapped_key")?,
            ciphertext: get(&row, "ciphertext")?,
            kind: get(&row, "kind")?,
        });
    }
    for row in sqlx::query(
        "SELECT secret_id, label, version_id, position FROM labels ORDER BY secret_id, label",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(store_err)?
    {
        snapshot.labels.push(LabelRow {
            secret_id: get(&row, "secret_id")?,
            label: get(&row, "label")?,
            version_id: get(&row, "version_id")?,
            position: get(&row, "position")?,
        });
    }
    for row in
        sqlx::query("SELECT secret_id, key, value, position FROM tags ORDER BY secret_id, key")
            .fetch_all(&mut *tx)
            .await
            .map_err(store_err)?
    {
        snapshot.tags.push(TagRow {
            secret_id: get(&row, "secret_id")?,
            key: get(&row, "key")?,
            value: get(&row, "value")?,
            position: get(&row, "position")?,
        });
    }
    tx.commit().await.map_err(store_err)?;
    conn.close().await.map_err(store_err)?;
    Ok(snapshot)
}
