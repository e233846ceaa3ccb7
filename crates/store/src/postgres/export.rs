//! Snapshot export and import on PostgreSQL, for `coffer admin migrate-store`: the engine's
//! counterpart of `sqlite/export.rs`. The rows are read by the shared `export_rows`
//! (`crate::sql`); the import, which only this engine does, writes them back as they are.

use coffer_core::error::{Error, Result};

use super::{shared, PostgresStore};
use crate::backup::Backup;
use crate::sql::store_err;
use crate::transfer::Snapshot;

impl PostgresStore {
    /// Every row of every table, in a stable order, from one snapshot (for `migrate-store`'s
    /// verification and for backups). Text keys sort by `COLLATE "C"`, byte by byte as SQLite
    /// sorts them, so that the two engines' snapshots of the same rows are equal whatever the
    /// database's collation.
    pub async fn export_snapshot(&self) -> Result<Snapshot> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(store_err)?;
        let snapshot = shared::export_rows(&mut tx).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(snapshot)
    }

    /// Writes every row of `snapshot`, as it is (ciphertexts included), in one transaction,
    /// into a database that must hold no account, principal or secret yet. Tables are written
    /// in foreign-key order (accounts, principals, inline policies, login profiles, access
    /// keys, secrets, versions, labels, tags).
    pub async fn import_snapshot(&self, snapshot: &Snapshot) -> Result<()> {
        self.import(snapshot, &[]).await
    }

    /// A consistent cut for `coffer admin backup`, while the nodes keep writing: every row and
    /// every audit head from one REPEATABLE READ snapshot.
    pub async fn backup(&self) -> Result<Backup> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(store_err)?;
        let snapshot = shared::export_rows(&mut tx).await?;
        let audit_heads = shared::all_audit_heads(&mut tx).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(Backup {
            snapshot,
            audit_heads,
        })
    }

    /// Writes a backup's rows and audit heads, in one transaction, into a database that must
    /// hold no account, principal or secret yet (`coffer admin restore`).
    pub async fn restore(&self, backup: &Backup) -> Result<()> {
        self.import(&backup.snapshot, &backup.audit_heads).await
    }

    async fn import(
        &self,
        snapshot: &Snapshot,
        audit_heads: &[coffer_core::store::AuditHead],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(store_err)?;
        let occupied: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM principals) \
             + (SELECT count(*) FROM secrets)",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(store_err)?;
        if occupied > 0 {
            return Err(Error::InvalidRequest(
                "the target database already holds coffer data; copy only into an empty one".into(),
            ));
        }
        shared::import_rows(&mut tx, snapshot).await?;
        for head in audit_heads {
            shared::put_audit_head(&mut tx, head).await?;
        }
        tx.commit().await.map_err(store_err)?;
        Ok(())
    }
}
