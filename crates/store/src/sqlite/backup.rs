//! The SQLite side of backups (see [`crate::backup`]): a consistent cut of a live database
//! file, the backup file (written and read back, checked against its manifest), and a restore
//! into an empty database file.

use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use coffer_core::error::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};

use super::export::check_schema;
use crate::backup::{Backup, Manifest, FORMAT, MANIFEST_TABLE};
use crate::sql::store_err;

/// A consistent cut of the live database at `path`, while a server keeps writing to it: every
/// row is read in one read transaction, which in WAL mode sees one committed state and never
/// blocks the writer.
pub async fn cut(path: &Path) -> Result<Backup> {
    if !path.exists() {
        return Err(Error::InvalidRequest(format!(
            "{} does not exist",
            path.display()
        )));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(Duration::from_secs(10));
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(store_err)?;
    let mut tx = conn.begin().await.map_err(store_err)?;
    check_schema(&mut tx, path).await?;
    let snapshot = super::shared::export_rows(&mut tx).await?;
    let audit_heads = super::shared::all_audit_heads(&mut tx).await?;
    tx.commit().await.map_err(store_err)?;
    conn.close().await.map_err(store_err)?;
    Ok(Backup {
        snapshot,
        audit_heads,
    })
}

/// Creates `path` empty, mode 0600 (the rows are sealed, but the file is no one else's to
/// read); fails if it exists.
fn create_private(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| Error::InvalidRequest(format!("creating {}: {e}", path.display())))
}

/// How many accounts, principals and secrets the database on `conn` holds.
async fn occupied(conn: &mut SqliteConnection) -> Result<(i64, i64, i64)> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM principals), \
         (SELECT count(*) FROM secrets)",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(store_err)
}

/// Writes `backup` to a new file at `path` (refused if it exists), taken from `source` (the
/// engine's name), with its manifest; the file is written beside `path`, flushed to disk and
/// renamed into place, then read back and checked against the manifest.
pub async fn write_file(
    path: &Path,
    backup: &Backup,
    source: &str,
    coffer_version: &str,
) -> Result<Manifest> {
    if path.exists() {
        return Err(Error::InvalidRequest(format!(
            "{} already exists; a backup never overwrites a file",
            path.display()
        )));
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    create_private(&partial)?;
    let written = write_rows(&partial, backup, source, coffer_version).await;
    let manifest = match written {
        Ok(manifest) => manifest,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::File::open(&partial)
        .and_then(|file| file.sync_all())
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| Error::InvalidRequest(format!("writing {}: {e}", path.display())))?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| Error::InvalidRequest(format!("syncing {}: {e}", dir.display())))?;
    }
    let (_, read_back) = read_file(path).await?;
    if read_back != manifest {
        return Err(Error::Internal(format!(
            "{} does not read back as written",
            path.display()
        )));
    }
    Ok(manifest)
}

async fn write_rows(
    path: &Path,
    backup: &Backup,
    source: &str,
    coffer_version: &str,
) -> Result<Manifest> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Delete)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(store_err)?;
    super::MIGRATOR
        .run(&mut conn)
        .await
        .map_err(|e| Error::Store(Box::new(e)))?;
    let manifest = Manifest {
        format: FORMAT,
        source: source.to_owned(),
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        coffer_version: coffer_version.to_owned(),
        summary: backup.snapshot.summary().to_string(),
        audit_heads: backup.audit_heads.len(),
    };
    let mut tx = conn.begin().await.map_err(store_err)?;
    super::shared::import_rows(&mut tx, &backup.snapshot).await?;
    for head in &backup.audit_heads {
        super::shared::put_audit_head(&mut tx, head).await?;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {MANIFEST_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
    )))
    .execute(&mut *tx)
    .await
    .map_err(store_err)?;
    let fields = [
        ("format", manifest.format.to_string()),
        ("source", manifest.source.clone()),
        ("created", manifest.created.clone()),
        ("coffer_version", manifest.coffer_version.clone()),
        ("summary", manifest.summary.clone()),
        ("audit_heads", manifest.audit_heads.to_string()),
    ];
    for (name, value) in fields {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {MANIFEST_TABLE} (name, value) VALUES ($1, $2)"
        )))
        .bind(name)
        .bind(value)
        .execute(&mut *tx)
        .await
        .map_err(store_err)?;
    }
    tx.commit().await.map_err(store_err)?;
    conn.close().await.map_err(store_err)?;
    Ok(manifest)
}

/// Reads the backup file at `path` and checks it: the schema is the one this binary writes, the
/// manifest's layout is [`FORMAT`], and the rows have the manifest's counts and checksum.
pub async fn read_file(path: &Path) -> Result<(Backup, Manifest)> {
    if !path.exists() {
        return Err(Error::InvalidRequest(format!(
            "{} does not exist",
            path.display()
        )));
    }
    let not_backup = || {
        Error::InvalidRequest(format!(
            "{} is not a coffer backup (no manifest)",
            path.display()
        ))
    };
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|_| not_backup())?;
    let mut tx = conn.begin().await.map_err(store_err)?;
    let fields: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT name, value FROM {MANIFEST_TABLE}"
    )))
    .fetch_all(&mut *tx)
    .await
    .map_err(|_| not_backup())?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(not_backup)
    };
    let format: i64 = field("format")?.parse().map_err(|_| not_backup())?;
    if format != FORMAT {
        return Err(Error::InvalidRequest(format!(
            "{} is a backup in layout {format}; this coffer reads layout {FORMAT}",
            path.display()
        )));
    }
    let manifest = Manifest {
        format,
        source: field("source")?,
        created: field("created")?,
        coffer_version: field("coffer_version")?,
        summary: field("summary")?,
        audit_heads: field("audit_heads")?.parse().map_err(|_| not_backup())?,
    };
    check_schema(&mut tx, path).await?;
    let snapshot = super::shared::export_rows(&mut tx).await?;
    let audit_heads = super::shared::all_audit_heads(&mut tx).await?;
    tx.commit().await.map_err(store_err)?;
    conn.close().await.map_err(store_err)?;
    let found = snapshot.summary().to_string();
    if found != manifest.summary || audit_heads.len() != manifest.audit_heads {
        return Err(Error::InvalidRequest(format!(
            "{} is damaged: its manifest records {} audit_heads={}, its rows are {found} audit_heads={}",
            path.display(),
            manifest.summary,
            manifest.audit_heads,
            audit_heads.len()
        )));
    }
    Ok((
        Backup {
            snapshot,
            audit_heads,
        },
        manifest,
    ))
}

/// Writes `backup` into the SQLite database at `path` (created if missing, mode 0600), which
/// must hold no account, principal or secret: all of it in one transaction.
pub async fn restore(path: &Path, backup: &Backup) -> Result<()> {
    if !path.exists() {
        create_private(path)?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(store_err)?;
    super::MIGRATOR
        .run(&mut conn)
        .await
        .map_err(|e| Error::Store(Box::new(e)))?;
    let mut tx = conn.begin().await.map_err(store_err)?;
    let (accounts, principals, secrets) = occupied(&mut tx).await?;
    if accounts + principals + secrets > 0 {
        return Err(Error::InvalidRequest(format!(
            "{} already holds coffer data ({accounts} accounts, {principals} IAM principals, {secrets} secrets); restore only into an empty store: a new data directory or an empty database",
            path.display()
        )));
    }
    super::shared::import_rows(&mut tx, &backup.snapshot).await?;
    for head in &backup.audit_heads {
        super::shared::put_audit_head(&mut tx, head).await?;
    }
    tx.commit().await.map_err(store_err)?;
    conn.close().await.map_err(store_err)?;
    Ok(())
}
