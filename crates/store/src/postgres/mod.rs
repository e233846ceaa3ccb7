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

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use coffer_core::error::{Error, Result};
use coffer_core::kms::{KmsAlias, KmsKeyRecord};
use coffer_core::managed::{
    IamDeleteCheck, IamLink, IamMutation, IamObject, IamObjectKind, LinkFilter, LinkOutcome,
};
use coffer_core::model::{
    AccessKeyRecord, DeleteOutcome, LoginProfileRecord, NewVersion, PrincipalKind, PrincipalRecord,
    SealedValue, SecretRecord,
};
use coffer_core::names::{AccountId, Candidate, Scope};
use coffer_core::store::{AuditHead, Mutation, PageQuery, Store};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{Connection, PgPool};

mod export;

use crate::paging;
use crate::sql::store_err;

/// The shared SQL (`crate::sql`), for PostgreSQL's types. Its functions fail with [`TxError`],
/// so that a serialization failure anywhere in a transaction is retried.
mod shared {
    crate::sql::engine_sql!(
        db: sqlx::Postgres,
        conn: sqlx::PgConnection,
        row: sqlx::postgres::PgRow,
        dialect: super::DIALECT,
        error: super::TxError,
        map: super::db,
    );
}

/// The KMS tables' SQL (`crate::sql::kms`), for this engine's types.
#[allow(clippy::needless_question_mark)]
mod kms_shared {
    crate::sql::kms_sql!(
        db: sqlx::Postgres,
        conn: sqlx::PgConnection,
        row: sqlx::postgres::PgRow,
        error: super::TxError,
        map: super::db,
    );
}

/// Text compares byte by byte, as on SQLite, whatever the database's collation; binds are `$n`;
/// writers lock rows.
const DIALECT: paging::Dialect = paging::Dialect::POSTGRES;

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

/// The mean pause after each lost race: the pause after the `n`th is about `n` times this.
const BACKOFF_STEP: Duration = Duration::from_millis(5);

/// The pause before trying again after the `tries`th lost race: `tries` × [`BACKOFF_STEP`],
/// scaled by a factor between 0.5 and 1.5 that `random` picks. Transactions that lost the same
/// race (on one node or on several) would otherwise all retry after the same pause and meet
/// again; spread over a window as wide as the pause itself, they mostly do not.
fn backoff(tries: u32, random: u64) -> Duration {
    let base = BACKOFF_STEP.as_micros() as u64 * u64::from(tries);
    // base / 2 + [0, base]: from half to one and a half times the base.
    Duration::from_micros(base / 2 + random % (base + 1))
}

/// A random number for [`backoff`]: a hasher whose keys the standard library draws at random
/// (once per thread, then stepped for each new `RandomState`), hashing nothing. Enough to
/// decorrelate retries; no cryptographic quality is needed.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

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
                    // A short, growing, randomised pause lets the winner finish, and keeps
                    // the losers (on this node or others) from coming back all at once.
                    tokio::time::sleep(backoff(tries, random_u64())).await;
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

/// The warning logged when the connections to PostgreSQL at `host` are not encrypted, unless
/// they stay on this machine (a loopback address, `localhost`, or a Unix socket directory):
/// between machines, plaintext carries the database password (or its challenge), every sealed
/// value and the IAM data where anyone on the path can read and change them.
pub fn plaintext_warning(host: &str, encrypted: bool) -> Option<String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let local = host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!encrypted && !local).then(|| {
        format!(
            "the connection to PostgreSQL at {host} is not encrypted: the database password, \
             sealed values and IAM data cross the network in plaintext; set sslmode=verify-full \
             and sslrootcert=<CA file> in the database URL (docs/operations.md)"
        )
    })
}

/// A failure to connect, with what to check when it is TLS's (the server's certificate not
/// trusted, no TLS offered under `sslmode=require`). Never names the URL (it may carry a
/// password): host, port and sslmode only.
fn connect_err(e: sqlx::Error, options: &PgConnectOptions) -> Error {
    use sqlx::postgres::PgSslMode;
    let text = e.to_string();
    let tls = matches!(e, sqlx::Error::Tls(_))
        || text.contains("certificate")
        || text.contains("does not support TLS");
    if !tls {
        return store_err(e);
    }
    let mode = match options.get_ssl_mode() {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    };
    let hint = if text.contains("does not support TLS") {
        "the server offers no TLS: turn ssl on in its postgresql.conf"
    } else {
        "sslrootcert in the database URL must name the file of the CA that issued the server's certificate"
    };
    Error::Store(Box::new(std::io::Error::other(format!(
        "TLS to PostgreSQL at {}:{} failed (sslmode={mode}): {text}; {hint}",
        options.get_host(),
        options.get_port()
    ))))
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
            .map_err(|e| connect_err(e, &options))?;
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
        let store = Self { pool, options };
        let encrypted = store.encrypted().await?;
        if let Some(warning) = plaintext_warning(store.options.get_host(), encrypted) {
            tracing::warn!("{warning}");
        }
        Ok(store)
    }

    /// Whether this store's connections are encrypted: PostgreSQL's own view of one of them
    /// (`pg_stat_ssl`), since with `sslmode=prefer` (the default) a server without TLS is
    /// connected to in plaintext without a word.
    pub async fn encrypted(&self) -> Result<bool> {
        let ssl: Option<bool> =
            sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_optional(&self.pool)
                .await
                .map_err(store_err)?;
        Ok(ssl.unwrap_or(false))
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
        let result = shared::insert_secret(&mut tx, record, first).await;
        finish(tx, result).await
    }

    async fn try_find_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Tx<Option<SecretRecord>> {
        // One snapshot for the secret row and its children.
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await.map_err(db)?;
        let result = shared::load_by_candidates(&mut tx, scope, candidates, false).await;
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
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await.map_err(db)?;
        let result = shared::list_secrets(&mut tx, scope, include_deleted).await;
        finish(tx, result).await
    }

    async fn try_list_secret_page(
        &self,
        scope: &Scope,
        query: &PageQuery<'_>,
    ) -> Tx<Vec<SecretRecord>> {
        let mut tx = self.pool.begin_with(READ_SNAPSHOT).await.map_err(db)?;
        // PostgreSQL keeps statistics on names: its planner chooses between the name ranges
        // and the sort column's index by itself.
        let result = shared::list_secret_page(&mut tx, scope, query, paging::Plan::Planner).await;
        finish(tx, result).await
    }

    async fn try_record_access(
        &self,
        secret_id: &str,
        version_id: &str,
        day: DateTime<Utc>,
    ) -> Tx<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let result = shared::record_access(&mut tx, secret_id, version_id, day).await;
        finish(tx, result).await
    }

    async fn try_purge_due(&self, now: DateTime<Utc>) -> Tx<Vec<String>> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // SKIP LOCKED (the dialect's `claim_rows`): a secret another node is purging (or a
        // request is changing) right now is left to it; each due secret is purged, and
        // reported, by exactly one node.
        let result = shared::purge_due(&mut tx, now).await;
        let purged = finish(tx, result).await?;
        Ok(purged.iter().map(SecretRecord::arn).collect())
    }

    /// A connection of the pool, for one statement outside a transaction of ours.
    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {
        self.pool.acquire().await.map_err(store_err)
    }
}

/// How a read of several statements begins: one snapshot for all of them.
const READ_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// The body of an update: lock, load, mutate, write the difference.
async fn update_in(
    conn: &mut PgConnection,
    scope: &Scope,
    candidates: &[Candidate],
    mutation: &mut Mutation<'_>,
) -> Tx<SecretRecord> {
    let before = shared::load_by_candidates(conn, scope, candidates, true)
        .await?
        .ok_or(Error::SecretNotFound)?;
    let mut after = before.clone();
    let mut new_versions = Vec::new();
    mutation(&mut after, &mut new_versions)?;
    if after != before || !new_versions.is_empty() {
        shared::write_changes(conn, &before, &after, &new_versions).await?;
    }
    Ok(after)
}

/// The body of a removal: lock, load, delete.
async fn remove_in(
    conn: &mut PgConnection,
    scope: &Scope,
    candidates: &[Candidate],
) -> Tx<Option<SecretRecord>> {
    let record = shared::load_by_candidates(conn, scope, candidates, true).await?;
    if let Some(record) = &record {
        shared::delete_secret_rows(conn, &record.id).await?;
    }
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
        Ok(shared::read_sealed(&mut *self.conn().await?, secret_id, version_id).await?)
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
        with_retry!(self.try_record_access(secret_id, version_id, day).await)
    }

    async fn purge_due(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        with_retry!(self.try_purge_due(now).await)
    }

    async fn rotation_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(Scope, Candidate)>> {
        Ok(shared::rotation_due(&mut *self.conn().await?, now, limit).await?)
    }

    async fn rotating_secrets(&self) -> Result<Vec<SecretRecord>> {
        Ok(shared::rotating_secrets(&mut *self.conn().await?).await?)
    }

    async fn ensure_account(&self, account: &AccountId, created: DateTime<Utc>) -> Result<()> {
        Ok(shared::ensure_account(&mut *self.conn().await?, account, created).await?)
    }

    async fn put_audit_head(&self, head: &AuditHead) -> Result<()> {
        Ok(shared::put_audit_head(&mut *self.conn().await?, head).await?)
    }

    async fn audit_head(&self, trail: &str) -> Result<Option<AuditHead>> {
        Ok(shared::audit_head(&mut *self.conn().await?, trail).await?)
    }

    async fn list_accounts(&self) -> Result<Vec<AccountId>> {
        Ok(shared::list_accounts(&mut *self.conn().await?).await?)
    }

    async fn insert_access_key(&self, key: &AccessKeyRecord) -> Result<()> {
        Ok(shared::insert_access_key(&mut *self.conn().await?, key).await?)
    }

    async fn find_access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>> {
        Ok(shared::find_access_key(&mut *self.conn().await?, access_key_id).await?)
    }

    async fn list_access_keys(&self, account: &AccountId) -> Result<Vec<AccessKeyRecord>> {
        Ok(shared::list_access_keys(&mut *self.conn().await?, account).await?)
    }

    async fn set_access_key_active(&self, access_key_id: &str, active: bool) -> Result<bool> {
        Ok(shared::set_access_key_active(&mut *self.conn().await?, access_key_id, active).await?)
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool> {
        Ok(shared::delete_access_key(&mut *self.conn().await?, access_key_id).await?)
    }

    async fn insert_principal(&self, principal: &PrincipalRecord) -> Result<bool> {
        Ok(shared::insert_principal(&mut *self.conn().await?, principal).await?)
    }

    async fn find_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<PrincipalRecord>> {
        let mut conn = self.conn().await?;
        Ok(shared::find_principal(&mut conn, account, kind, name).await?)
    }

    async fn list_principals(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
    ) -> Result<Vec<PrincipalRecord>> {
        Ok(shared::list_principals(&mut *self.conn().await?, account, kind).await?)
    }

    async fn delete_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<DeleteOutcome> {
        // One transaction; the principal's row is locked first (the dialect's `lock_row`), so
        // that a concurrent PutUserPolicy or CreateAccessKey cannot slip in between the checks
        // and the delete.
        let mut tx = self.pool.begin().await.map_err(store_err)?;
        let outcome = shared::delete_principal(&mut tx, account, kind, name).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(outcome)
    }

    async fn put_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        let mut conn = self.conn().await?;
        Ok(
            shared::put_inline_policy(&mut conn, account, kind, principal, policy_name, document)
                .await?,
        )
    }

    async fn list_inline_policies(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
    ) -> Result<Vec<(String, String)>> {
        let mut conn = self.conn().await?;
        Ok(shared::list_inline_policies(&mut conn, account, kind, principal).await?)
    }

    async fn delete_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
    ) -> Result<bool> {
        let mut conn = self.conn().await?;
        Ok(shared::delete_inline_policy(&mut conn, account, kind, principal, policy_name).await?)
    }

    async fn insert_kms_key(&self, key: &KmsKeyRecord) -> Result<()> {
        Ok(kms_shared::insert_kms_key(&mut *self.conn().await?, key).await?)
    }

    async fn update_kms_key(&self, key: &KmsKeyRecord) -> Result<bool> {
        Ok(kms_shared::update_kms_key(&mut *self.conn().await?, key).await?)
    }

    async fn replace_kms_key_material(
        &self,
        key: &KmsKeyRecord,
        previous_wrapped_key: &[u8],
    ) -> Result<bool> {
        Ok(kms_shared::replace_kms_key_material(
            &mut *self.conn().await?,
            key,
            previous_wrapped_key,
        )
        .await?)
    }

    async fn find_kms_key(&self, scope: &Scope, key_id: &str) -> Result<Option<KmsKeyRecord>> {
        Ok(kms_shared::find_kms_key(&mut *self.conn().await?, scope, key_id).await?)
    }

    async fn list_kms_keys(&self, scope: &Scope) -> Result<Vec<KmsKeyRecord>> {
        Ok(kms_shared::list_kms_keys(&mut *self.conn().await?, scope).await?)
    }

    async fn put_kms_alias(&self, alias: &KmsAlias, create: bool) -> Result<bool> {
        Ok(kms_shared::put_kms_alias(&mut *self.conn().await?, alias, create).await?)
    }

    async fn delete_kms_alias(&self, scope: &Scope, alias_name: &str) -> Result<bool> {
        Ok(kms_shared::delete_kms_alias(&mut *self.conn().await?, scope, alias_name).await?)
    }

    async fn list_kms_aliases(&self, scope: &Scope) -> Result<Vec<KmsAlias>> {
        Ok(kms_shared::list_kms_aliases(&mut *self.conn().await?, scope).await?)
    }

    async fn put_login_profile(&self, profile: &LoginProfileRecord, create: bool) -> Result<bool> {
        Ok(shared::put_login_profile(&mut *self.conn().await?, profile, create).await?)
    }

    async fn find_login_profile(
        &self,
        account: &AccountId,
        user_name: &str,
    ) -> Result<Option<LoginProfileRecord>> {
        Ok(shared::find_login_profile(&mut *self.conn().await?, account, user_name).await?)
    }

    async fn delete_login_profile(&self, account: &AccountId, user_name: &str) -> Result<bool> {
        Ok(shared::delete_login_profile(&mut *self.conn().await?, account, user_name).await?)
    }

    async fn insert_iam_object(&self, object: &IamObject) -> Result<bool> {
        Ok(shared::insert_iam_object(&mut *self.conn().await?, object).await?)
    }

    async fn find_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
    ) -> Result<Option<IamObject>> {
        let mut conn = self.conn().await?;
        Ok(shared::find_iam_object(&mut conn, account, kind, name, false).await?)
    }

    async fn list_iam_objects(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
    ) -> Result<Vec<IamObject>> {
        Ok(shared::list_iam_objects(&mut *self.conn().await?, account, kind).await?)
    }

    async fn update_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
        mut mutation: IamMutation,
    ) -> Result<Option<IamObject>> {
        // One transaction; the object's row is locked first, so that two nodes changing the
        // same policy (a new version against the limit of five) take turns.
        let mut tx = self.pool.begin().await.map_err(store_err)?;
        let result = shared::update_iam_object(&mut tx, account, kind, name, &mut mutation).await;
        Ok(finish(tx, result).await?)
    }

    async fn delete_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
        check: IamDeleteCheck,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(store_err)?;
        let result = shared::delete_iam_object(&mut tx, account, kind, name, &check).await;
        Ok(finish(tx, result).await?)
    }

    async fn link_iam(&self, account: &AccountId, link: &IamLink) -> Result<LinkOutcome> {
        // Both ends' rows are locked before the insert, so a racing delete of either end
        // sees the link (and refuses) or wins before it (and the link finds no end).
        let mut tx = self.pool.begin().await.map_err(store_err)?;
        let result = shared::link_iam(&mut tx, account, link).await;
        Ok(finish(tx, result).await?)
    }

    async fn unlink_iam(&self, account: &AccountId, link: &IamLink) -> Result<bool> {
        Ok(shared::unlink_iam(&mut *self.conn().await?, account, link).await?)
    }

    async fn list_iam_links(
        &self,
        account: &AccountId,
        filter: LinkFilter<'_>,
    ) -> Result<Vec<IamLink>> {
        Ok(shared::list_iam_links(&mut *self.conn().await?, account, filter).await?)
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
        shared::reset(&mut tx).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plaintext warns only off this machine; an encrypted connection never warns.
    #[test]
    fn plaintext_warns_only_for_a_non_loopback_host() {
        for local in [
            "127.0.0.1",
            "127.5.6.7",
            "::1",
            "[::1]",
            "localhost",
            "LocalHost",
            "/var/run/postgresql",
        ] {
            assert_eq!(plaintext_warning(local, false), None, "{local}");
        }
        for remote in [
            "10.0.0.5",
            "db.internal",
            "192.168.1.1",
            "2001:db8::1",
            "[2001:db8::1]",
            "localhost.example",
        ] {
            assert_eq!(
                plaintext_warning(remote, false).as_deref(),
                Some(format!(
                    "the connection to PostgreSQL at {} is not encrypted: the database password, sealed values and IAM data cross the network in plaintext; set sslmode=verify-full and sslrootcert=<CA file> in the database URL (docs/operations.md)",
                    remote.trim_start_matches('[').trim_end_matches(']')
                ).as_str()),
                "{remote}"
            );
            assert_eq!(plaintext_warning(remote, true), None, "{remote}");
        }
    }

    #[test]
    fn backoff_stays_within_half_and_one_and_a_half_times_the_step_per_try() {
        for tries in 1..MAX_ATTEMPTS {
            let base = BACKOFF_STEP * tries;
            for random in [0, 1, 2_499, 2_500, 7_777, u64::MAX / 3, u64::MAX] {
                let pause = backoff(tries, random);
                assert!(
                    pause >= base / 2,
                    "{tries} {random}: {pause:?} < {:?}",
                    base / 2
                );
                assert!(
                    pause <= base * 3 / 2,
                    "{tries} {random}: {pause:?} > {:?}",
                    base * 3 / 2
                );
            }
            // The ends of the window are reached.
            assert_eq!(backoff(tries, 0), base / 2);
            let top = BACKOFF_STEP.as_micros() as u64 * u64::from(tries);
            assert_eq!(backoff(tries, top), base * 3 / 2);
        }
    }

    #[test]
    fn pauses_drawn_for_one_try_differ() {
        let pauses: std::collections::HashSet<Duration> =
            (0..32).map(|_| backoff(3, random_u64())).collect();
        // 32 draws over 15,001 possible pauses: all alike would mean no jitter at all.
        assert!(pauses.len() > 1, "{pauses:?}");
    }
}
