//! IAM identities on PostgreSQL: users and roles (`principals`), their inline policies, and
//! the access-key changes IAM makes. Each write is one statement, or one transaction that
//! locks the principal's row first (a delete and its checks).

use coffer_core::error::Result;
use coffer_core::model::{DeleteOutcome, PrincipalKind, PrincipalRecord};
use coffer_core::names::AccountId;
use sqlx::postgres::PgRow;
use sqlx::Row;

use super::{corrupt, from_millis, millis, store_err, PostgresStore};
use crate::tags;

/// The columns of `principals` every query selects.
const PRINCIPAL_COLUMNS: &str = "account_id, kind, name, path, principal_id, created_ms, tags, \
     trust_policy, description, max_session_secs";

fn principal_from_row(row: &PgRow) -> Result<PrincipalRecord> {
    let account: String = row.try_get("account_id").map_err(store_err)?;
    let kind: String = row.try_get("kind").map_err(store_err)?;
    let tags_text: String = row.try_get("tags").map_err(store_err)?;
    Ok(PrincipalRecord {
        account: AccountId::parse(&account).ok_or_else(|| corrupt("account id"))?,
        kind: PrincipalKind::parse(&kind).ok_or_else(|| corrupt("principal kind"))?,
        name: row.try_get("name").map_err(store_err)?,
        path: row.try_get("path").map_err(store_err)?,
        id: row.try_get("principal_id").map_err(store_err)?,
        created: from_millis(row.try_get("created_ms").map_err(store_err)?),
        tags: tags::decode(&tags_text).ok_or_else(|| corrupt("principal tags"))?,
        trust_policy: row.try_get("trust_policy").map_err(store_err)?,
        description: row.try_get("description").map_err(store_err)?,
        max_session_secs: row
            .try_get::<Option<i64>, _>("max_session_secs")
            .map_err(store_err)?
            .and_then(|n| u32::try_from(n).ok()),
    })
}

impl PostgresStore {
    pub(super) async fn iam_set_access_key_active(&self, id: &str, active: bool) -> Result<bool> {
        let done = sqlx::query("UPDATE access_keys SET active = $1 WHERE access_key_id = $2")
            .bind(active)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(store_err)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn iam_delete_access_key(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM access_keys WHERE access_key_id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(store_err)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn iam_insert_principal(&self, p: &PrincipalRecord) -> Result<bool> {
        // ON CONFLICT waits for a racing insert of the same name, so exactly one of two wins.
        let done = sqlx::query(
            "INSERT INTO principals (account_id, kind, name_key, name, path, principal_id, created_ms, \
             tags, trust_policy, description, max_session_secs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (account_id, kind, name_key) DO NOTHING",
        )
        .bind(p.account.as_str())
        .bind(p.kind.as_str())
        .bind(p.name.to_lowercase())
        .bind(&p.name)
        .bind(&p.path)
        .bind(&p.id)
        .bind(millis(p.created))
        .bind(tags::encode(&p.tags))
        .bind(&p.trust_policy)
        .bind(&p.description)
        .bind(p.max_session_secs.map(i64::from))
        .execute(&self.pool)
        .await
        .map_err(store_err)?;
        Ok(done.rows_affected() > 0)
    }

    pub(super) async fn iam_find_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<PrincipalRecord>> {
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = $1 AND kind = $2 AND name_key = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(name.to_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_err)?;
        row.as_ref().map(principal_from_row).transpose()
    }

    pub(super) async fn iam_list_principals(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
    ) -> Result<Vec<PrincipalRecord>> {
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = $1 AND kind = $2 ORDER BY name_key"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.as_str())
            .bind(kind.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(store_err)?;
        rows.iter().map(principal_from_row).collect()
    }

    pub(super) async fn iam_delete_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<DeleteOutcome> {
        let key = name.to_lowercase();
        let mut tx = self.pool.begin().await.map_err(store_err)?;
        // The row lock keeps a concurrent PutUserPolicy or CreateAccessKey (which read the
        // principal first) from slipping in between the checks and the delete.
        let found = sqlx::query(
            "SELECT name FROM principals WHERE account_id = $1 AND kind = $2 AND name_key = $3 FOR UPDATE",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_err)?;
        let Some(found) = found else {
            return Ok(DeleteOutcome::NotFound);
        };
        let real_name: String = found.try_get("name").map_err(store_err)?;
        let policies: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM inline_policies WHERE account_id = $1 AND kind = $2 AND principal_key = $3",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(&key)
        .fetch_one(&mut *tx)
        .await
        .map_err(store_err)?;
        if policies > 0 {
            return Ok(DeleteOutcome::HasPolicies);
        }
        if kind == PrincipalKind::User {
            let keys: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND user_name = $2",
            )
            .bind(account.as_str())
            .bind(&real_name)
            .fetch_one(&mut *tx)
            .await
            .map_err(store_err)?;
            if keys > 0 {
                return Ok(DeleteOutcome::HasAccessKeys);
            }
        }
        sqlx::query("DELETE FROM principals WHERE account_id = $1 AND kind = $2 AND name_key = $3")
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(&key)
            .execute(&mut *tx)
            .await
            .map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        Ok(DeleteOutcome::Deleted)
    }

    pub(super) async fn iam_put_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO inline_policies (account_id, kind, principal_key, policy_name, document) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, kind, principal_key, policy_name) \
             DO UPDATE SET document = excluded.document",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(principal.to_lowercase())
        .bind(policy_name)
        .bind(document)
        .execute(&self.pool)
        .await
        .map_err(store_err)?;
        Ok(())
    }

    pub(super) async fn iam_list_inline_policies(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT policy_name, document FROM inline_policies \
             WHERE account_id = $1 AND kind = $2 AND principal_key = $3 ORDER BY policy_name",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(principal.to_lowercase())
        .fetch_all(&self.pool)
        .await
        .map_err(store_err)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("policy_name").map_err(store_err)?,
                    row.try_get("document").map_err(store_err)?,
                ))
            })
            .collect()
    }

    pub(super) async fn iam_delete_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM inline_policies WHERE account_id = $1 AND kind = $2 AND principal_key = $3 AND policy_name = $4",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(principal.to_lowercase())
        .bind(policy_name)
        .execute(&self.pool)
        .await
        .map_err(store_err)?;
        Ok(done.rows_affected() > 0)
    }
}
