//! The shared engine: PostgreSQL, for several stateless coffer nodes on one database.
//!
//! Concurrency: every write runs at READ COMMITTED and starts by locking the secret's row
//! (`SELECT … FOR UPDATE`). Every writer of a secret's versions, labels and tags takes that lock
//! first, so once a transaction holds it, the rows it loads next are the latest committed ones
//! and nobody else can change them before it commits: a label move, a version write or a
//! delete is atomic across nodes, and a second request with the same ClientRequestToken waits
//! for the first and then sees its version. Serialization failures and deadlocks (40001,
//! 40P01) should not occur under this scheme, but are retried all the same.
//!
//! There is no read cache: every read is a query, so a write acknowledged by one node is what
//! every other node reads right after (read-your-writes across nodes).
//!
//! The purge locks due secrets with `FOR UPDATE SKIP LOCKED`, so nodes running it at the same
//! moment split the work instead of repeating it, and any surviving node carries on.
//!
//! Failing fast: acquiring a connection gives up after [`ACQUIRE_TIMEOUT`], and pooled
//! connections are checked before use, so while PostgreSQL is down requests fail within seconds
//! (as `Error::Store`, which the server answers with `InternalServiceError`), and the pool
//! reconnects on its own once it is back.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coffer_core::error::{Error, Result};
use coffer_core::model::{
    AccessKeyRecord, DeleteOutcome, NewVersion, PrincipalKind, PrincipalRecord, SealedValue,
    SecretRecord, ValueKind, VersionMeta,
};
use coffer_core::names::{AccountId, Candidate, Region, Scope};
use coffer_core::store::{AuditHead, Mutation, PageQuery, Store};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::{Connection, PgPool, Row};

mod iam;

use crate::paging;
use crate::transfer::{
    AccessKeyRow, InlinePolicyRow, LabelRow, PrincipalRow, SecretRow, Snapshot, TagRow, VersionRow,
};

/// Text compares byte by byte, as on SQLite, whatever the database's collation; binds are `$n`.
const DIALECT: paging::Dialect = paging::Dialect {
    bytewise: " COLLATE \"C\"",
    numbered_binds: true,
};

/// The migrations, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a request waits for a database connection before failing.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How often a transaction that lost a serialization race is tried again.
const MAX_ATTEMPTS: u32 = 8;

/// The first half of coffer's advisory lock keys ("coff" in ASCII); the second half names the
/// lock within the current schema, so that several coffer deployments (or test schemas) in one
/// database do not contend.
const LOCK_NAMESPACE: i32 = 0x636f_6666;

/// A storage failure from sqlx, as a domain error.
fn store_err(e: sqlx::Error) -> Error {
    Error::Store(Box::new(e))
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn corrupt(what: &str) -> Error {
    Error::Internal(format!("stored {what} is not valid"))
}

/// Why a write transaction failed: a race worth running again, or anything else.
enum TxError {
    /// A serialization failure or deadlock: the transaction was rolled back and may be re-run.
    Retry(sqlx::Error),
    /// A final failure.
    Fail(Error),
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Fail(e)
    }
}

impl From<TxError> for Error {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Retry(e) => store_err(e),
            TxError::Fail(e) => e,
        }
    }
}

/// Classifies a database error: SQLSTATE 40001 (serialization failure) and 40P01 (deadlock)
/// are races that a new attempt resolves.
fn db(e: sqlx::Error) -> TxError {
    let retry = e
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "40001" || code == "40P01");
    if retry {
        TxError::Retry(e)
    } else {
        TxError::Fail(store_err(e))
    }
}

type Tx<T> = std::result::Result<T, TxError>;

/// Runs `attempt` until it succeeds, fails for good, or has lost [`MAX_ATTEMPTS`] races.
macro_rules! with_retry {
    ($attempt:expr) => {{
        let mut tries = 0u32;
        loop {
            tries += 1;
            match $attempt {
                Ok(value) => break Ok(value),
                Err(TxError::Retry(e)) if tries < MAX_ATTEMPTS => {
                    tracing::debug!(error = %e, tries, "transaction lost a race; retrying");
                    // A short, growing pause lets the winner finish.
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(tries))).await;
                }
                Err(e) => break Err(Error::from(e)),
            }
        }
    }};
}

/// Names of the advisory locks coffer takes (see [`PostgresStore::lock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockName {
    /// Held while the first node on an empty database creates the account and its first
    /// access key, so that this happens exactly once.
    Initialize,
}

impl LockName {
    fn key(self) -> &'static str {
        match self {
            LockName::Initialize => "initialize",
        }
    }
}

/// A held advisory lock, on a connection of its own. [`HeldLock::release`] releases it;
/// dropping it closes the connection, which releases it too (PostgreSQL ends the session).
pub struct HeldLock {
    conn: PgConnection,
}

impl std::fmt::Debug for HeldLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldLock").finish_non_exhaustive()
    }
}

impl HeldLock {
    /// Releases the lock and closes its connection.
    pub async fn release(self) -> Result<()> {
        // Closing ends the session, and with it every advisory lock it held.
        self.conn.close().await.map_err(store_err)
    }
}

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    options: PgConnectOptions,
}

// Written by hand: the connection options carry the database password, and sqlx's own Debug
// for them prints it.
impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

/// Parses a `postgres://` URL without ever echoing it (it may carry a password).
fn parse_url(url: &str) -> Result<PgConnectOptions> {
    PgConnectOptions::from_str(url)
        .map_err(|_| Error::Internal("the database setting is not a valid postgres:// URL".into()))
}

impl PostgresStore {
    /// Connects to the database a `postgres://` URL names and runs the migrations. Several
    /// nodes may do this at once: the migrator holds an advisory lock while it works.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(parse_url(url)?).await
    }

    /// Like [`PostgresStore::connect`], from parsed options.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self> {
        // Migrations run on a pool of their own, closed afterwards whatever happened: if one
        // fails, closing its connection releases the migrator's advisory lock instead of
        // leaving it held on a connection of the serving pool.
        let migrations = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(store_err)?;
        let migrated = MIGRATOR.run(&migrations).await;
        migrations.close().await;
        migrated.map_err(|e| Error::Store(Box::new(e)))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A connection broken by a database restart is found out before use, not by the
            // request that gets it.
            .test_before_acquire(true)
            .connect_with(options.clone())
            .await
            .map_err(store_err)?;
        Ok(Self { pool, options })
    }

    /// Takes a session advisory lock, waiting for it, on a connection of its own.
    pub async fn lock(&self, name: LockName) -> Result<HeldLock> {
        let mut conn = PgConnection::connect_with(&self.options)
            .await
            .map_err(store_err)?;
        sqlx::query("SELECT pg_advisory_lock($1, hashtext(current_schema() || ':' || $2))")
            .bind(LOCK_NAMESPACE)
            .bind(name.key())
            .execute(&mut conn)
            .await
            .map_err(store_err)?;
        Ok(HeldLock { conn })
    }

    /// Closes the pool (tests and tools that drop a schema after use).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn try_insert_secret(&self, record: &SecretRecord, first: Option<&NewVersion>) -> Tx<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let result = insert_in(&mut tx, record, first).await;
        finish(tx, result).await
    }

    async fn try_find_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Tx<Option<SecretRecord>> {
        // One snapshot for the secret row and its children.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(db)?;
        let result = match resolve(&mut tx, scope, candidates, false).await {
            Ok(Some(id)) => load_by_id(&mut tx, &id).await,
            other => other.map(|_| None),
        };
        finish(tx, result).await
    }

    async fn try_update_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
        mutation: &mut Mutation<'_>,
    ) -> Tx<SecretRecord> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let result = update_in(&mut tx, scope, candidates, mutation).await;
        // On error the transaction is rolled back, releasing the row lock: nothing is written.
        finish(tx, result).await
    }

    async fn try_remove_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Tx<Option<SecretRecord>> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let result = remove_in(&mut tx, scope, candidates).await;
        finish(tx, result).await
    }

    async fn try_list_secrets(
        &self,
        scope: &Scope,
        include_deleted: bool,
    ) -> Tx<Vec<SecretRecord>> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(db)?;
        let filter = if include_deleted {
            "s.account_id = $1 AND s.region = $2"
        } else {
            "s.account_id = $1 AND s.region = $2 AND s.deleted_ms IS NULL"
        };
        let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets s WHERE {filter}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.account.as_str())
            .bind(scope.region.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        let mut records = rows
            .iter()
            .map(secret_from_row)
            .collect::<Result<Vec<_>>>()?;
        load_children(
            &mut tx,
            &mut records,
            filter,
            &[scope.account.as_str(), scope.region.as_str()],
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(records)
    }

    async fn try_list_secret_page(
        &self,
        scope: &Scope,
        query: &PageQuery<'_>,
    ) -> Tx<Vec<SecretRecord>> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(db)?;
        // PostgreSQL keeps statistics on names: its planner chooses between the name ranges
        // and the sort column's index by itself.
        let mut page = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
        paging::push_page(
            &mut page,
            SECRET_COLUMNS,
            scope,
            query,
            DIALECT,
            paging::Plan::Planner,
        );
        let rows = page.build().fetch_all(&mut *tx).await.map_err(db)?;
        let mut records = rows
            .iter()
            .map(secret_from_row)
            .collect::<Result<Vec<_>>>()?;
        if !records.is_empty() {
            let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let filter = paging::ids_in(ids.len(), DIALECT);
            load_children(&mut tx, &mut records, &filter, &ids).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(records)
    }

    async fn try_record_access(&self, secret_id: &str, version_id: &str, day: i64) -> Tx<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // The secret row first, as every writer does, so that this never deadlocks with one.
        sqlx::query("UPDATE secrets SET last_accessed_ms = $1 WHERE id = $2")
            .bind(day)
            .bind(secret_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "UPDATE versions SET last_accessed_ms = $1 WHERE secret_id = $2 AND version_id = $3",
        )
        .bind(day)
        .bind(secret_id)
        .bind(version_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn try_purge_due(&self, now: DateTime<Utc>) -> Tx<Vec<String>> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // SKIP LOCKED: a secret another node is purging (or a request is changing) right now is
        // left to it; each due secret is purged, and reported, by exactly one node.
        let sql = format!(
            "SELECT {SECRET_COLUMNS} FROM secrets \
             WHERE deletion_due_ms IS NOT NULL AND deletion_due_ms <= $1 \
             ORDER BY id FOR UPDATE SKIP LOCKED"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(millis(now))
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        let mut purged = Vec::with_capacity(rows.len());
        for row in &rows {
            let record = secret_from_row(row)?;
            delete_secret_rows(&mut tx, &record.id).await?;
            purged.push(record.arn());
        }
        tx.commit().await.map_err(db)?;
        Ok(purged)
    }

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
        let mut snapshot = Snapshot::default();
        for row in sqlx::query("SELECT id, created_ms FROM accounts ORDER BY id COLLATE \"C\"")
            .fetch_all(&mut *tx)
            .await
            .map_err(store_err)?
        {
            snapshot.accounts.push((
                row.try_get("id").map_err(store_err)?,
                row.try_get("created_ms").map_err(store_err)?,
            ));
        }
        for row in sqlx::query(
            "SELECT account_id, kind, name_key, name, path, principal_id, created_ms, tags, trust_policy, \
             description, max_session_secs FROM principals \
             ORDER BY account_id COLLATE \"C\", kind COLLATE \"C\", name_key COLLATE \"C\"",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(store_err)?
        {
            snapshot.principals.push(PrincipalRow {
                account_id: row.try_get("account_id").map_err(store_err)?,
                kind: row.try_get("kind").map_err(store_err)?,
                name_key: row.try_get("name_key").map_err(store_err)?,
                name: row.try_get("name").map_err(store_err)?,
                path: row.try_get("path").map_err(store_err)?,
                principal_id: row.try_get("principal_id").map_err(store_err)?,
                created_ms: row.try_get("created_ms").map_err(store_err)?,
                tags: row.try_get("tags").map_err(store_err)?,
                trust_policy: row.try_get("trust_policy").map_err(store_err)?,
                description: row.try_get("description").map_err(store_err)?,
                max_session_secs: row.try_get("max_session_secs").map_err(store_err)?,
            });
        }
        for row in sqlx::query(
            "SELECT account_id, kind, principal_key, policy_name, document FROM inline_policies \
             ORDER BY account_id COLLATE \"C\", kind COLLATE \"C\", principal_key COLLATE \"C\", \
             policy_name COLLATE \"C\"",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(store_err)?
        {
            snapshot.inline_policies.push(InlinePolicyRow {
                account_id: row.try_get("account_id").map_err(store_err)?,
                kind: row.try_get("kind").map_err(store_err)?,
                principal_key: row.try_get("principal_key").map_err(store_err)?,
                policy_name: row.try_get("policy_name").map_err(store_err)?,
                document: row.try_get("document").map_err(store_err)?,
            });
        }
        for row in sqlx::query(
            "SELECT access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, user_name \
             FROM access_keys ORDER BY access_key_id COLLATE \"C\"",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(store_err)?
        {
            snapshot.access_keys.push(AccessKeyRow {
                access_key_id: row.try_get("access_key_id").map_err(store_err)?,
                account_id: row.try_get("account_id").map_err(store_err)?,
                principal_arn: row.try_get("principal_arn").map_err(store_err)?,
                key_id: row.try_get("key_id").map_err(store_err)?,
                wrapped_key: row.try_get("wrapped_key").map_err(store_err)?,
                ciphertext: row.try_get("ciphertext").map_err(store_err)?,
                created_ms: row.try_get("created_ms").map_err(store_err)?,
                active: row.try_get("active").map_err(store_err)?,
                user_name: row.try_get("user_name").map_err(store_err)?,
            });
        }
        let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets ORDER BY id COLLATE \"C\"");
        for row in sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *tx)
            .await
            .map_err(store_err)?
        {
            snapshot.secrets.push(SecretRow {
                id: row.try_get("id").map_err(store_err)?,
                account_id: row.try_get("account_id").map_err(store_err)?,
                region: row.try_get("region").map_err(store_err)?,
                name: row.try_get("name").map_err(store_err)?,
                suffix: row.try_get("suffix").map_err(store_err)?,
                description: row.try_get("description").map_err(store_err)?,
                kms_key_id: row.try_get("kms_key_id").map_err(store_err)?,
                created_ms: row.try_get("created_ms").map_err(store_err)?,
                last_changed_ms: row.try_get("last_changed_ms").map_err(store_err)?,
                last_accessed_ms: row.try_get("last_accessed_ms").map_err(store_err)?,
                deleted_ms: row.try_get("deleted_ms").map_err(store_err)?,
                deletion_due_ms: row.try_get("deletion_due_ms").map_err(store_err)?,
                resource_policy: row.try_get("resource_policy").map_err(store_err)?,
            });
        }
        for row in sqlx::query(
            "SELECT secret_id, version_id, created_ms, kms_key_id, last_accessed_ms, key_id, wrapped_key, ciphertext, kind \
             FROM versions ORDER BY secret_id COLLATE \"C\", version_id COLLATE \"C\"",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(store_err)?
        {
            snapshot.versions.push(VersionRow {
                secret_id: row.try_get("secret_id").map_err(store_err)?,
                version_id: row.try_get("version_id").map_err(store_err)?,
                created_ms: row.try_get("created_ms").map_err(store_err)?,
                kms_key_id: row.try_get("kms_key_id").map_err(store_err)?,
                last_accessed_ms: row.try_get("last_accessed_ms").map_err(store_err)?,
                key_id: row.try_get("key_id").map_err(store_err)?,
                wrapped_key: row.try_get("wrapped_key").map_err(store_err)?,
                ciphertext: row.try_get("ciphertext").map_err(store_err)?,
                kind: row.try_get("kind").map_err(store_err)?,
            });
        }
        for row in sqlx::query(
            "SELECT secret_id, label, version_id, position FROM labels \
             ORDER BY secret_id COLLATE \"C\", label COLLATE \"C\"",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(store_err)?
        {
            snapshot.labels.push(LabelRow {
                secret_id: row.try_get("secret_id").map_err(store_err)?,
                label: row.try_get("label").map_err(store_err)?,
                version_id: row.try_get("version_id").map_err(store_err)?,
                position: row.try_get("position").map_err(store_err)?,
            });
        }
        for row in sqlx::query(
            "SELECT secret_id, key, value, position FROM tags \
             ORDER BY secret_id COLLATE \"C\", key COLLATE \"C\"",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(store_err)?
        {
            snapshot.tags.push(TagRow {
                secret_id: row.try_get("secret_id").map_err(store_err)?,
                key: row.try_get("key").map_err(store_err)?,
                value: row.try_get("value").map_err(store_err)?,
                position: row.try_get("position").map_err(store_err)?,
            });
        }
        tx.commit().await.map_err(store_err)?;
        Ok(snapshot)
    }

    /// Writes every row of `snapshot`, as it is (ciphertexts included), in one transaction,
    /// into a database that must hold no account, principal or secret yet. Tables are written
    /// in foreign-key order (accounts, principals, inline policies, access keys, secrets,
    /// versions, labels, tags).
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
                 last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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

/// The body of an insert.
async fn insert_in(
    conn: &mut PgConnection,
    record: &SecretRecord,
    first: Option<&NewVersion>,
) -> Tx<()> {
    // ON CONFLICT waits for a concurrent insert of the same name to commit or roll back,
    // so of two racing creates exactly one wins and the other sees the winner's row.
    let inserted = sqlx::query(
        "INSERT INTO secrets (id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
         last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT ON CONSTRAINT secrets_scope_name DO NOTHING",
    )
    .bind(&record.id)
    .bind(record.scope.account.as_str())
    .bind(record.scope.region.as_str())
    .bind(&record.name)
    .bind(&record.suffix)
    .bind(&record.description)
    .bind(&record.kms_key_id)
    .bind(millis(record.created))
    .bind(millis(record.last_changed))
    .bind(record.last_accessed.map(millis))
    .bind(record.deleted.map(millis))
    .bind(record.deletion_due.map(millis))
    .bind(&record.resource_policy)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if inserted.rows_affected() == 0 {
        let existing = sqlx::query(
            "SELECT deleted_ms FROM secrets WHERE account_id = $1 AND region = $2 AND name = $3",
        )
        .bind(record.scope.account.as_str())
        .bind(record.scope.region.as_str())
        .bind(&record.name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        let deleted = match existing {
            Some(row) => row.try_get::<Option<i64>, _>("deleted_ms").map_err(db)?,
            None => None,
        };
        return Err(TxError::Fail(if deleted.is_some() {
            Error::NameScheduledForDeletion
        } else {
            Error::SecretExists(record.name.clone())
        }));
    }
    if let Some(first) = first {
        let meta = record
            .version(&first.version_id)
            .ok_or_else(|| Error::Internal("first version missing from the record".into()))?;
        insert_version(conn, &record.id, meta, &first.sealed).await?;
    }
    write_labels(conn, record).await?;
    write_tags(conn, record).await?;
    Ok(())
}

/// The body of an update: lock, load, mutate, write the difference.
async fn update_in(
    conn: &mut PgConnection,
    scope: &Scope,
    candidates: &[Candidate],
    mutation: &mut Mutation<'_>,
) -> Tx<SecretRecord> {
    let id = resolve(conn, scope, candidates, true)
        .await?
        .ok_or(Error::SecretNotFound)?;
    let before = load_by_id(conn, &id).await?.ok_or(Error::SecretNotFound)?;
    let mut after = before.clone();
    let mut new_versions = Vec::new();
    mutation(&mut after, &mut new_versions)?;
    if after != before || !new_versions.is_empty() {
        write_changes(conn, &before, &after, &new_versions).await?;
    }
    Ok(after)
}

/// The body of a removal: lock, load, delete.
async fn remove_in(
    conn: &mut PgConnection,
    scope: &Scope,
    candidates: &[Candidate],
) -> Tx<Option<SecretRecord>> {
    let Some(id) = resolve(conn, scope, candidates, true).await? else {
        return Ok(None);
    };
    let record = load_by_id(conn, &id).await?;
    delete_secret_rows(conn, &id).await?;
    Ok(record)
}

/// Commits on success; on failure rolls back at once, so that row locks are released now rather
/// than whenever the connection is next used.
async fn finish<T>(tx: sqlx::Transaction<'_, sqlx::Postgres>, result: Tx<T>) -> Tx<T> {
    match result {
        Ok(value) => {
            tx.commit().await.map_err(db)?;
            Ok(value)
        }
        Err(e) => {
            // The connection may be gone (that may be why we failed); the server rolls back
            // then anyway.
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// The columns of `secrets` every query selects, in this order.
const SECRET_COLUMNS: &str =
    "id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
     last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy";

fn secret_from_row(row: &PgRow) -> Result<SecretRecord> {
    let account: String = row.try_get("account_id").map_err(store_err)?;
    let region: String = row.try_get("region").map_err(store_err)?;
    Ok(SecretRecord {
        id: row.try_get("id").map_err(store_err)?,
        scope: Scope {
            account: AccountId::parse(&account).ok_or_else(|| corrupt("account id"))?,
            region: Region::parse(&region).ok_or_else(|| corrupt("region"))?,
        },
        name: row.try_get("name").map_err(store_err)?,
        suffix: row.try_get("suffix").map_err(store_err)?,
        description: row.try_get("description").map_err(store_err)?,
        kms_key_id: row.try_get("kms_key_id").map_err(store_err)?,
        created: from_millis(row.try_get("created_ms").map_err(store_err)?),
        last_changed: from_millis(row.try_get("last_changed_ms").map_err(store_err)?),
        last_accessed: row
            .try_get::<Option<i64>, _>("last_accessed_ms")
            .map_err(store_err)?
            .map(from_millis),
        deleted: row
            .try_get::<Option<i64>, _>("deleted_ms")
            .map_err(store_err)?
            .map(from_millis),
        deletion_due: row
            .try_get::<Option<i64>, _>("deletion_due_ms")
            .map_err(store_err)?
            .map(from_millis),
        tags: Vec::new(),
        resource_policy: row.try_get("resource_policy").map_err(store_err)?,
        versions: Vec::new(),
    })
}

fn sealed_from_row(row: &PgRow) -> Result<SealedValue> {
    let kind: String = row.try_get("kind").map_err(store_err)?;
    Ok(SealedValue {
        key_id: row.try_get("key_id").map_err(store_err)?,
        wrapped_key: row.try_get("wrapped_key").map_err(store_err)?,
        ciphertext: row.try_get("ciphertext").map_err(store_err)?,
        kind: ValueKind::parse(&kind).ok_or_else(|| corrupt("value kind"))?,
    })
}

/// Fills in versions, labels and tags of the given secrets, selected by a `WHERE` clause over
/// the `secrets` table aliased `s` with the given binds (`$1`, `$2`, …).
async fn load_children(
    conn: &mut PgConnection,
    records: &mut [SecretRecord],
    filter: &str,
    binds: &[&str],
) -> Tx<()> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        index.insert(r.id.clone(), i);
    }
    let version_sql = format!(
        "SELECT v.secret_id, v.version_id, v.created_ms, v.kms_key_id, v.last_accessed_ms \
         FROM versions v JOIN secrets s ON s.id = v.secret_id WHERE {filter} \
         ORDER BY v.created_ms, v.version_id"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(version_sql));
    for b in binds {
        query = query.bind(*b);
    }
    for row in query.fetch_all(&mut *conn).await.map_err(db)? {
        let secret_id: String = row.try_get("secret_id").map_err(db)?;
        if let Some(&i) = index.get(&secret_id) {
            records[i].versions.push(VersionMeta {
                version_id: row.try_get("version_id").map_err(db)?,
                created: from_millis(row.try_get("created_ms").map_err(db)?),
                stages: Vec::new(),
                kms_key_id: row.try_get("kms_key_id").map_err(db)?,
                last_accessed: row
                    .try_get::<Option<i64>, _>("last_accessed_ms")
                    .map_err(db)?
                    .map(from_millis),
            });
        }
    }
    let label_sql = format!(
        "SELECT l.secret_id, l.label, l.version_id FROM labels l JOIN secrets s ON s.id = l.secret_id \
         WHERE {filter} ORDER BY l.position"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(label_sql));
    for b in binds {
        query = query.bind(*b);
    }
    for row in query.fetch_all(&mut *conn).await.map_err(db)? {
        let secret_id: String = row.try_get("secret_id").map_err(db)?;
        let version_id: String = row.try_get("version_id").map_err(db)?;
        if let Some(&i) = index.get(&secret_id) {
            if let Some(v) = records[i]
                .versions
                .iter_mut()
                .find(|v| v.version_id == version_id)
            {
                v.stages.push(row.try_get("label").map_err(db)?);
            }
        }
    }
    let tag_sql = format!(
        "SELECT t.secret_id, t.key, t.value FROM tags t JOIN secrets s ON s.id = t.secret_id \
         WHERE {filter} ORDER BY t.position"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(tag_sql));
    for b in binds {
        query = query.bind(*b);
    }
    for row in query.fetch_all(&mut *conn).await.map_err(db)? {
        let secret_id: String = row.try_get("secret_id").map_err(db)?;
        if let Some(&i) = index.get(&secret_id) {
            records[i].tags.push((
                row.try_get("key").map_err(db)?,
                row.try_get("value").map_err(db)?,
            ));
        }
    }
    Ok(())
}

/// Loads one secret by id, with its children.
async fn load_by_id(conn: &mut PgConnection, id: &str) -> Tx<Option<SecretRecord>> {
    let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE id = $1");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
    else {
        return Ok(None);
    };
    let mut records = [secret_from_row(&row)?];
    load_children(conn, &mut records, "s.id = $1", &[id]).await?;
    let [record] = records;
    Ok(Some(record))
}

/// Resolves candidates to a secret id, in order; with `lock`, also locks the secret's row until
/// the transaction ends (every writer of a secret takes this lock first).
async fn resolve(
    conn: &mut PgConnection,
    scope: &Scope,
    candidates: &[Candidate],
    lock: bool,
) -> Tx<Option<String>> {
    let sql = if lock {
        "SELECT id, suffix FROM secrets WHERE account_id = $1 AND region = $2 AND name = $3 FOR UPDATE"
    } else {
        "SELECT id, suffix FROM secrets WHERE account_id = $1 AND region = $2 AND name = $3"
    };
    for candidate in candidates {
        let row = sqlx::query(sql)
            .bind(scope.account.as_str())
            .bind(scope.region.as_str())
            .bind(&candidate.name)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        if let Some(row) = row {
            let suffix: String = row.try_get("suffix").map_err(db)?;
            if candidate.suffix.as_deref().is_none_or(|s| s == suffix) {
                return Ok(Some(row.try_get("id").map_err(db)?));
            }
        }
    }
    Ok(None)
}

async fn insert_version(
    conn: &mut PgConnection,
    secret_id: &str,
    meta: &VersionMeta,
    sealed: &SealedValue,
) -> Tx<()> {
    sqlx::query(
        "INSERT INTO versions (secret_id, version_id, created_ms, kms_key_id, last_accessed_ms, key_id, wrapped_key, ciphertext, kind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(secret_id)
    .bind(&meta.version_id)
    .bind(millis(meta.created))
    .bind(&meta.kms_key_id)
    .bind(meta.last_accessed.map(millis))
    .bind(&sealed.key_id)
    .bind(&sealed.wrapped_key)
    .bind(&sealed.ciphertext)
    .bind(sealed.kind.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

async fn write_labels(conn: &mut PgConnection, record: &SecretRecord) -> Tx<()> {
    sqlx::query("DELETE FROM labels WHERE secret_id = $1")
        .bind(&record.id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let mut position = 0i64;
    for version in &record.versions {
        for label in &version.stages {
            sqlx::query(
                "INSERT INTO labels (secret_id, label, version_id, position) VALUES ($1, $2, $3, $4)",
            )
            .bind(&record.id)
            .bind(label)
            .bind(&version.version_id)
            .bind(position)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            position += 1;
        }
    }
    Ok(())
}

async fn write_tags(conn: &mut PgConnection, record: &SecretRecord) -> Tx<()> {
    sqlx::query("DELETE FROM tags WHERE secret_id = $1")
        .bind(&record.id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    for (position, (key, value)) in record.tags.iter().enumerate() {
        sqlx::query("INSERT INTO tags (secret_id, key, value, position) VALUES ($1, $2, $3, $4)")
            .bind(&record.id)
            .bind(key)
            .bind(value)
            .bind(position as i64)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

fn labels_of(record: &SecretRecord) -> Vec<(&str, &[String])> {
    record
        .versions
        .iter()
        .map(|v| (v.version_id.as_str(), v.stages.as_slice()))
        .collect()
}

/// Writes the difference between `before` and `after` (same secret).
async fn write_changes(
    conn: &mut PgConnection,
    before: &SecretRecord,
    after: &SecretRecord,
    new_versions: &[NewVersion],
) -> Tx<()> {
    sqlx::query(
        "UPDATE secrets SET description = $1, kms_key_id = $2, last_changed_ms = $3, last_accessed_ms = $4, \
         deleted_ms = $5, deletion_due_ms = $6, resource_policy = $7 WHERE id = $8",
    )
    .bind(&after.description)
    .bind(&after.kms_key_id)
    .bind(millis(after.last_changed))
    .bind(after.last_accessed.map(millis))
    .bind(after.deleted.map(millis))
    .bind(after.deletion_due.map(millis))
    .bind(&after.resource_policy)
    .bind(&after.id)
    .execute(&mut *conn)
    .await
    .map_err(db)?;

    let labels_changed = labels_of(before) != labels_of(after);
    if labels_changed {
        // Labels go first: they reference versions that may be about to disappear.
        sqlx::query("DELETE FROM labels WHERE secret_id = $1")
            .bind(&after.id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    for old in &before.versions {
        if after.version(&old.version_id).is_none() {
            sqlx::query("DELETE FROM versions WHERE secret_id = $1 AND version_id = $2")
                .bind(&after.id)
                .bind(&old.version_id)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
        }
    }
    for new in new_versions {
        let meta = after
            .version(&new.version_id)
            .ok_or_else(|| Error::Internal("new version missing from the record".into()))?;
        insert_version(conn, &after.id, meta, &new.sealed).await?;
    }
    // Every version in the record must now exist: old ones or just inserted.
    for v in &after.versions {
        if before.version(&v.version_id).is_none()
            && !new_versions.iter().any(|n| n.version_id == v.version_id)
        {
            return Err(TxError::Fail(Error::Internal(
                "a version was added without its value".into(),
            )));
        }
    }
    if labels_changed {
        write_labels(conn, after).await?;
    }
    if before.tags != after.tags {
        write_tags(conn, after).await?;
    }
    Ok(())
}

async fn delete_secret_rows(conn: &mut PgConnection, id: &str) -> Tx<()> {
    // Children first, in dependency order, so this works with or without cascades.
    for sql in [
        "DELETE FROM labels WHERE secret_id = $1",
        "DELETE FROM tags WHERE secret_id = $1",
        "DELETE FROM versions WHERE secret_id = $1",
        "DELETE FROM secrets WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

fn access_key_from_row(row: &PgRow) -> Result<AccessKeyRecord> {
    let account: String = row.try_get("account_id").map_err(store_err)?;
    Ok(AccessKeyRecord {
        access_key_id: row.try_get("access_key_id").map_err(store_err)?,
        account: AccountId::parse(&account).ok_or_else(|| corrupt("account id"))?,
        principal_arn: row.try_get("principal_arn").map_err(store_err)?,
        user_name: row.try_get("user_name").map_err(store_err)?,
        sealed_secret: SealedValue {
            key_id: row.try_get("key_id").map_err(store_err)?,
            wrapped_key: row.try_get("wrapped_key").map_err(store_err)?,
            ciphertext: row.try_get("ciphertext").map_err(store_err)?,
            kind: ValueKind::String,
        },
        created: from_millis(row.try_get("created_ms").map_err(store_err)?),
        active: row.try_get("active").map_err(store_err)?,
    })
}

#[async_trait]
impl Store for PostgresStore {
    async fn insert_secret(&self, record: &SecretRecord, first: Option<&NewVersion>) -> Result<()> {
        with_retry!(self.try_insert_secret(record, first).await)
    }

    async fn find_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Result<Option<SecretRecord>> {
        with_retry!(self.try_find_secret(scope, candidates).await)
    }

    async fn update_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
        mutation: &mut Mutation<'_>,
    ) -> Result<SecretRecord> {
        with_retry!(self.try_update_secret(scope, candidates, mutation).await)
    }

    async fn remove_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Result<Option<SecretRecord>> {
        with_retry!(self.try_remove_secret(scope, candidates).await)
    }

    async fn read_sealed(&self, secret_id: &str, version_id: &str) -> Result<Option<SealedValue>> {
        let row = sqlx::query(
            "SELECT key_id, wrapped_key, ciphertext, kind FROM versions WHERE secret_id = $1 AND version_id = $2",
        )
        .bind(secret_id)
        .bind(version_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_err)?;
        row.as_ref().map(sealed_from_row).transpose()
    }

    async fn list_secrets(
        &self,
        scope: &Scope,
        include_deleted: bool,
    ) -> Result<Vec<SecretRecord>> {
        with_retry!(self.try_list_secrets(scope, include_deleted).await)
    }

    async fn list_secret_page(
        &self,
        scope: &Scope,
        query: &PageQuery<'_>,
    ) -> Result<Vec<SecretRecord>> {
        with_retry!(self.try_list_secret_page(scope, query).await)
    }

    async fn record_access(
        &self,
        secret_id: &str,
        version_id: &str,
        day: DateTime<Utc>,
    ) -> Result<()> {
        with_retry!(
            self.try_record_access(secret_id, version_id, millis(day))
                .await
        )
    }

    async fn purge_due(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        with_retry!(self.try_purge_due(now).await)
    }

    async fn ensure_account(&self, account: &AccountId, created: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO accounts (id, created_ms) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(account.as_str())
        .bind(millis(created))
        .execute(&self.pool)
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn put_audit_head(&self, head: &AuditHead) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_heads (trail, digest, updated_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (trail) DO UPDATE SET digest = excluded.digest, updated_ms = excluded.updated_ms",
        )
        .bind(&head.trail)
        .bind(&head.digest)
        .bind(millis(head.updated))
        .execute(&self.pool)
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn audit_head(&self, trail: &str) -> Result<Option<AuditHead>> {
        let row = sqlx::query("SELECT digest, updated_ms FROM audit_heads WHERE trail = $1")
            .bind(trail)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_err)?;
        row.map(|row| {
            Ok(AuditHead {
                trail: trail.to_owned(),
                digest: row.try_get("digest").map_err(store_err)?,
                updated: from_millis(row.try_get("updated_ms").map_err(store_err)?),
            })
        })
        .transpose()
    }

    async fn list_accounts(&self) -> Result<Vec<AccountId>> {
        let rows = sqlx::query("SELECT id FROM accounts ORDER BY created_ms, id")
            .fetch_all(&self.pool)
            .await
            .map_err(store_err)?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id").map_err(store_err)?;
                AccountId::parse(&id).ok_or_else(|| corrupt("account id"))
            })
            .collect()
    }

    async fn insert_access_key(&self, key: &AccessKeyRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, user_name) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&key.access_key_id)
        .bind(key.account.as_str())
        .bind(&key.principal_arn)
        .bind(&key.sealed_secret.key_id)
        .bind(&key.sealed_secret.wrapped_key)
        .bind(&key.sealed_secret.ciphertext)
        .bind(millis(key.created))
        .bind(key.active)
        .bind(&key.user_name)
        .execute(&self.pool)
        .await
        .map_err(store_err)?;
        Ok(())
    }

    async fn find_access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>> {
        let row = sqlx::query(
            "SELECT access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, user_name \
             FROM access_keys WHERE access_key_id = $1",
        )
        .bind(access_key_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_err)?;
        row.as_ref().map(access_key_from_row).transpose()
    }

    async fn list_access_keys(&self, account: &AccountId) -> Result<Vec<AccessKeyRecord>> {
        let rows = sqlx::query(
            "SELECT access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, user_name \
             FROM access_keys WHERE account_id = $1 ORDER BY created_ms, access_key_id",
        )
        .bind(account.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(store_err)?;
        rows.iter().map(access_key_from_row).collect()
    }

    async fn set_access_key_active(&self, access_key_id: &str, active: bool) -> Result<bool> {
        self.iam_set_access_key_active(access_key_id, active).await
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool> {
        self.iam_delete_access_key(access_key_id).await
    }

    async fn insert_principal(&self, principal: &PrincipalRecord) -> Result<bool> {
        self.iam_insert_principal(principal).await
    }

    async fn find_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<PrincipalRecord>> {
        self.iam_find_principal(account, kind, name).await
    }

    async fn list_principals(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
    ) -> Result<Vec<PrincipalRecord>> {
        self.iam_list_principals(account, kind).await
    }

    async fn delete_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<DeleteOutcome> {
        self.iam_delete_principal(account, kind, name).await
    }

    async fn put_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        self.iam_put_inline_policy(account, kind, principal, policy_name, document)
            .await
    }

    async fn list_inline_policies(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
    ) -> Result<Vec<(String, String)>> {
        self.iam_list_inline_policies(account, kind, principal)
            .await
    }

    async fn delete_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
    ) -> Result<bool> {
        self.iam_delete_inline_policy(account, kind, principal, policy_name)
            .await
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn reset(&self) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(store_err)?;
        for table in [
            "inline_policies",
            "principals",
            "labels",
            "tags",
            "versions",
            "secrets",
            "access_keys",
            "accounts",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await
                .map_err(store_err)?;
        }
        tx.commit().await.map_err(store_err)?;
        Ok(())
    }
}
