//! Snapshot export and import on PostgreSQL, for `coffer admin migrate-store`: the engine's
//! counterpart of `sqlite/export.rs`. The rows are read by the shared `export_rows`
//! (`crate::sql`); the import, which only this engine does, writes them back as they are.

use coffer_core::error::{Error, Result};

use super::{shared, PostgresStore};
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
                "the target database already holds coffer data; migrate into an empty one".into(),
            ));
        }
        for (id, created_ms) in &snapshot.accounts {
            sqlx::query("INSERT INTO accounts (id, created_ms) VALUES ($1, $2)")
                .bind(id)
                .bind(created_ms)
                .execute(&mut *tx)
                .await
                .map_err(store_err)?;
        }
        for p in &snapshot.principals {
            sqlx::query(
                "INSERT INTO principals (account_id, kind, name_key, name, path, principal_id, created_ms, \
                 tags, trust_policy, description, max_session_secs) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&p.account_id)
            .bind(&p.kind)
            .bind(&p.name_key)
            .bind(&p.name)
            .bind(&p.path)
            .bind(&p.principal_id)
            .bind(p.created_ms)
            .bind(&p.tags)
            .bind(&p.trust_policy)
            .bind(&p.description)
            .bind(p.max_session_secs)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        for p in &snapshot.inline_policies {
            sqlx::query(
                "INSERT INTO inline_policies (account_id, kind, principal_key, policy_name, document) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&p.account_id)
            .bind(&p.kind)
            .bind(&p.principal_key)
            .bind(&p.policy_name)
            .bind(&p.document)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        for l in &snapshot.login_profiles {
            sqlx::query(
                "INSERT INTO login_profiles (account_id, name_key, user_name, user_id, password_hash, \
                 password_reset_required, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&l.account_id)
            .bind(&l.name_key)
            .bind(&l.user_name)
            .bind(&l.user_id)
            .bind(&l.password_hash)
            .bind(l.password_reset_required)
            .bind(l.created_ms)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        for o in &snapshot.iam_objects {
            sqlx::query(
                "INSERT INTO iam_objects (account_id, kind, name_key, name, body) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&o.account_id)
            .bind(&o.kind)
            .bind(&o.name_key)
            .bind(&o.name)
            .bind(&o.body)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        for l in &snapshot.iam_links {
            sqlx::query(
                "INSERT INTO iam_links (account_id, source_kind, source_key, target_kind, target_key, \
                 created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&l.account_id)
            .bind(&l.source_kind)
            .bind(&l.source_key)
            .bind(&l.target_kind)
            .bind(&l.target_key)
            .bind(l.created_ms)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        for k in &snapshot.access_keys {
            sqlx::query(
                "INSERT INTO access_keys (access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, \
                 user_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&k.access_key_id)
            .bind(&k.account_id)
            .bind(&k.principal_arn)
            .bind(&k.key_id)
            .bind(&k.wrapped_key)
            .bind(&k.ciphertext)
            .bind(k.created_ms)
            .bind(k.active)
            .bind(&k.user_name)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        for s in &snapshot.secrets {
            sqlx::query(
                "INSERT INTO secrets (id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
                 last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy, tagged, \
                 rotation, rotation_due_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .bind(&s.id)
            .bind(&s.account_id)
            .bind(&s.region)
            .bind(&s.name)
            .bind(&s.suffix)
            .bind(&s.description)
            .bind(&s.kms_key_id)
            .bind(s.created_ms)
            .bind(s.last_changed_ms)
            .bind(s.last_accessed_ms)
            .bind(s.deleted_ms)
            .bind(s.deletion_due_ms)
            .bind(&s.resource_policy)
            .bind(s.tagged)
            .bind(&s.rotation)
            .bind(s.rotation_due_ms)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        for v in &snapshot.versions {
            sqlx::query(
                "INSERT INTO versions (secret_id, version_id, created_ms, kms_key_id, last_accessed_ms, key_id, wrapped_key, ciphertext, kind) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&v.secret_id)
            .bind(&v.version_id)
            .bind(v.created_ms)
            .bind(&v.kms_key_id)
            .bind(v.last_accessed_ms)
            .bind(&v.key_id)
            .bind(&v.wrapped_key)
            .bind(&v.ciphertext)
            .bind(&v.kind)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        for l in &snapshot.labels {
            sqlx::query(
                "INSERT INTO labels (secret_id, label, version_id, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(&l.secret_id)
            .bind(&l.label)
            .bind(&l.version_id)
            .bind(l.position)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        for t in &snapshot.tags {
            sqlx::query(
                "INSERT INTO tags (secret_id, key, value, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(&t.secret_id)
            .bind(&t.key)
            .bind(&t.value)
            .bind(t.position)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        }
        tx.commit().await.map_err(store_err)?;
        Ok(())
    }
}
