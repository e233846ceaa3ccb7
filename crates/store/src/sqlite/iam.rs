//! IAM identities on SQLite: users and roles (`principals`), their inline policies, and the
//! access-key changes IAM makes. Reads go to the reader pool; writes through the writer task,
//! like every other write.

use coffer_core::error::Result;
use coffer_core::model::{DeleteOutcome, PrincipalKind, PrincipalRecord};
use coffer_core::names::AccountId;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{corrupt, from_millis, millis, store_err, SqliteStore};
use crate::tags;

/// The columns of `principals` every query selects.
const PRINCIPAL_COLUMNS: &str = "account_id, kind, name, path, principal_id, created_ms, tags, \
     trust_policy, description, max_session_secs";

fn principal_from_row(row: &SqliteRow) -> Result<PrincipalRecord> {
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

impl SqliteStore {
    pub(super) async fn iam_set_access_key_active(&self, id: &str, active: bool) -> Result<bool> {
        let id = id.to_owned();
        self.writer
            .write(move |mut conn| async move {
                let result =
                    sqlx::query("UPDATE access_keys SET active = ? WHERE access_key_id = ?")
                        .bind(active)
                        .bind(&id)
                        .execute(&mut *conn)
                        .await
                        .map(|done| done.rows_affected() > 0)
                        .map_err(store_err);
                (conn, result)
            })
            .await
    }

    pub(super) async fn iam_delete_access_key(&self, id: &str) -> Result<bool> {
        let id = id.to_owned();
        self.writer
            .write(move |mut conn| async move {
                let result = sqlx::query("DELETE FROM access_keys WHERE access_key_id = ?")
                    .bind(&id)
                    .execute(&mut *conn)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err(store_err);
                (conn, result)
            })
            .await
    }

    pub(super) async fn iam_insert_principal(&self, p: &PrincipalRecord) -> Result<bool> {
        let p = p.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = sqlx::query(
                    "INSERT INTO principals (account_id, kind, name_key, name, path, principal_id, created_ms, \
                     tags, trust_policy, description, max_session_secs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
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
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected() > 0)
                .map_err(store_err);
                (conn, result)
            })
            .await
    }

    pub(super) async fn iam_find_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<PrincipalRecord>> {
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(name.to_lowercase())
            .fetch_optional(&self.reader)
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
            "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = ? AND kind = ? ORDER BY name_key"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.as_str())
            .bind(kind.as_str())
            .fetch_all(&self.reader)
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
        let account = account.as_str().to_owned();
        let key = name.to_lowercase();
        self.writer
            .write(move |mut conn| async move {
                let result = async {
                    // The checks and the delete run in one transaction (the writer's), so no
                    // policy or key can be added between them.
                    let found = sqlx::query(
                        "SELECT name FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?",
                    )
                    .bind(&account)
                    .bind(kind.as_str())
                    .bind(&key)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(store_err)?;
                    let Some(found) = found else {
                        return Ok(DeleteOutcome::NotFound);
                    };
                    let name: String = found.try_get("name").map_err(store_err)?;
                    let policies: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM inline_policies WHERE account_id = ? AND kind = ? AND principal_key = ?",
                    )
                    .bind(&account)
                    .bind(kind.as_str())
                    .bind(&key)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(store_err)?;
                    if policies > 0 {
                        return Ok(DeleteOutcome::HasPolicies);
                    }
                    if kind == PrincipalKind::User {
                        let keys: i64 = sqlx::query_scalar(
                            "SELECT COUNT(*) FROM access_keys WHERE account_id = ? AND user_name = ?",
                        )
                        .bind(&account)
                        .bind(&name)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(store_err)?;
                        if keys > 0 {
                            return Ok(DeleteOutcome::HasAccessKeys);
                        }
                    }
                    sqlx::query("DELETE FROM principals WHERE account_id = ? AND kind = ? AND name_key = ?")
                        .bind(&account)
                        .bind(kind.as_str())
                        .bind(&key)
                        .execute(&mut *conn)
                        .await
                        .map_err(store_err)?;
                    Ok(DeleteOutcome::Deleted)
                }
                .await;
                (conn, result)
            })
            .await
    }

    pub(super) async fn iam_put_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        let (account, key, policy_name, document) = (
            account.as_str().to_owned(),
            principal.to_lowercase(),
            policy_name.to_owned(),
            document.to_owned(),
        );
        self.writer
            .write(move |mut conn| async move {
                let result = sqlx::query(
                    "INSERT INTO inline_policies (account_id, kind, principal_key, policy_name, document) \
                     VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, kind, principal_key, policy_name) \
                     DO UPDATE SET document = excluded.document",
                )
                .bind(&account)
                .bind(kind.as_str())
                .bind(&key)
                .bind(&policy_name)
                .bind(&document)
                .execute(&mut *conn)
                .await
                .map(|_| ())
                .map_err(store_err);
                (conn, result)
            })
            .await
    }

    pub(super) async fn iam_list_inline_policies(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT policy_name, document FROM inline_policies \
             WHERE account_id = ? AND kind = ? AND principal_key = ? ORDER BY policy_name",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(principal.to_lowercase())
        .fetch_all(&self.reader)
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
        let (account, key, policy_name) = (
            account.as_str().to_owned(),
            principal.to_lowercase(),
            policy_name.to_owned(),
        );
        self.writer
            .write(move |mut conn| async move {
                let result = sqlx::query(
                    "DELETE FROM inline_policies WHERE account_id = ? AND kind = ? AND principal_key = ? AND policy_name = ?",
                )
                .bind(&account)
                .bind(kind.as_str())
                .bind(&key)
                .bind(&policy_name)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected() > 0)
                .map_err(store_err);
                (conn, result)
            })
            .await
    }
}
