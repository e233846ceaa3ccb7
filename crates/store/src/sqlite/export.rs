//! Reading an embedded (SQLite) database file row by row, read-only, for
//! `coffer admin migrate-store`. Part of the SQLite engine's module, but apart from the store
//! itself: it reads the schema directly and needs none of the engine's machinery (no writer
//! task, no cache).

use std::path::Path;

use coffer_core::error::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Connection, Row, SqliteConnection};

use crate::transfer::{
    AccessKeyRow, InlinePolicyRow, LabelRow, PrincipalRow, SecretRow, Snapshot, TagRow, VersionRow,
};

fn store_err(e: sqlx::Error) -> Error {
    Error::Store(Box::new(e))
}

fn get<'r, T>(row: &'r SqliteRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column).map_err(store_err)
}

/// Refuses a file whose schema is not the one this binary writes. The export names every column
/// of that schema: a file from an older coffer lacks some (the query would fail on a missing
/// column), and one from a newer coffer has columns the snapshot would silently leave behind.
async fn check_schema(conn: &mut SqliteConnection, path: &Path) -> Result<()> {
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
        "SELECT account_id, kind, name_key, name, path, principal_id, created_ms, tags, trust_policy, \
         description, max_session_secs FROM principals ORDER BY account_id, kind, name_key",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(store_err)?
    {
        snapshot.principals.push(PrincipalRow {
            account_id: get(&row, "account_id")?,
            kind: get(&row, "kind")?,
            name_key: get(&row, "name_key")?,
            name: get(&row, "name")?,
            path: get(&row, "path")?,
            principal_id: get(&row, "principal_id")?,
            created_ms: get(&row, "created_ms")?,
            tags: get(&row, "tags")?,
            trust_policy: get(&row, "trust_policy")?,
            description: get(&row, "description")?,
            max_session_secs: get(&row, "max_session_secs")?,
        });
    }
    for row in sqlx::query(
        "SELECT account_id, kind, principal_key, policy_name, document FROM inline_policies \
         ORDER BY account_id, kind, principal_key, policy_name",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(store_err)?
    {
        snapshot.inline_policies.push(InlinePolicyRow {
            account_id: get(&row, "account_id")?,
            kind: get(&row, "kind")?,
            principal_key: get(&row, "principal_key")?,
            policy_name: get(&row, "policy_name")?,
            document: get(&row, "document")?,
        });
    }
    for row in sqlx::query(
        "SELECT access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, \
         user_name FROM access_keys ORDER BY access_key_id",
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
            user_name: get(&row, "user_name")?,
        });
    }
    for row in sqlx::query(
        "SELECT id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
         last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy FROM secrets \
         ORDER BY id",
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
            resource_policy: get(&row, "resource_policy")?,
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
