//! The embedded engine: SQLite in WAL mode with `synchronous=FULL`, so that an acknowledged
//! write survives a crash or power loss.
//!
//! Writes go through a pool of exactly one connection: SQLite admits one writer at a time
//! anyway, and queueing writers in the pool (fair, async) is far better than letting them spin
//! in SQLite's busy handler. Every write transaction starts with `BEGIN IMMEDIATE`, which takes
//! the write lock up front, so a read-then-write inside it can never be invalidated. Reads use
//! a separate pool; in WAL mode they never block the writer nor wait for it.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
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
    SealedValue, SecretRecord, VersionMeta,
};
use coffer_core::names::{AccountId, Candidate, Scope};
use coffer_core::store::{AuditHead, ListOrder, Mutation, PageQuery, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

pub mod backup;
pub mod export;
mod writer;
use writer::Writer;

use crate::paging;
use crate::sql::{from_millis, millis, store_err};

/// The shared SQL (`crate::sql`), for SQLite's types. Its functions fail with the domain error
/// itself, so the `Ok(…?)` that converts PostgreSQL's error type is an identity here.
#[allow(clippy::needless_question_mark)]
mod shared {
    crate::sql::engine_sql!(
        db: sqlx::Sqlite,
        conn: sqlx::SqliteConnection,
        row: sqlx::sqlite::SqliteRow,
        dialect: super::DIALECT,
        error: coffer_core::error::Error,
        map: crate::sql::store_err,
    );
}

/// The KMS tables' SQL (`crate::sql::kms`), for this engine's types.
#[allow(clippy::needless_question_mark)]
mod kms_shared {
    crate::sql::kms_sql!(
        db: sqlx::Sqlite,
        conn: sqlx::SqliteConnection,
        row: sqlx::sqlite::SqliteRow,
        error: coffer_core::error::Error,
        map: crate::sql::store_err,
    );
}

/// How long the writer task waits for a caller's mutation before rolling its job back.
const MUTATION_TIMEOUT: Duration = Duration::from_secs(10);

/// SQLite compares text byte by byte by default, binds `?`, and has no row locks (its writer
/// holds the whole database).
const DIALECT: paging::Dialect = paging::Dialect::SQLITE;

/// A `name` filter whose ranges select fewer secrets than this is read through the name index
/// and sorted; one that selects more, along the sort column's index (`paging::Plan`). SQLite
/// keeps no statistics to choose by: counting up to this many in the name index costs well
/// under a millisecond, and on either side of it the page reads at most a few thousand rows
/// for a million secrets.
const NAME_PLAN_LIMIT: i64 = 4096;

/// The migrations, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    /// Every write goes through the writer task (group commit).
    writer: Writer,
    reader: SqlitePool,
    cache: Arc<ReadCache>,
    remembered: Arc<Remembered>,
}

/// The records as the writer task last wrote them, so that the next update of a secret starts
/// from memory instead of reloading it (with every version: the load grew with the number of
/// versions and was most of the cost of a PutSecretValue on a secret with many).
///
/// Only the writer task reads or changes it, inside its jobs, so it is exactly what the
/// database holds as of the writer's last statement: an update remembers its record after its
/// statements ran, in the form a reload would give ([`as_stored`]); every other write job
/// forgets everything before it runs, and so does every rollback ([`writer::Forget`]). Like
/// the read cache it rests on this process being the only writer of the file (`coffer serve`
/// locks the data directory), and it is off when the read cache is.
struct Remembered {
    records: Mutex<HashMap<NameKey, SecretRecord>>,
    enabled: bool,
}

/// The most records remembered; past it, all are forgotten and remembering starts over.
const REMEMBERED_MAX: usize = 4096;

impl Remembered {
    fn new(enabled: bool) -> Arc<Self> {
        Arc::new(Self {
            records: Mutex::new(HashMap::new()),
            enabled,
        })
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<NameKey, SecretRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The record the first candidate names, when it is remembered and matches.
    fn find(&self, scope: &Scope, candidates: &[Candidate]) -> Option<SecretRecord> {
        let first = candidates.first()?;
        let records = self.records();
        let record = records.get(&name_key(scope, &first.name))?;
        first
            .suffix
            .as_deref()
            .is_none_or(|s| s == record.suffix)
            .then(|| record.clone())
    }

    fn remember(&self, record: SecretRecord) {
        if !self.enabled {
            return;
        }
        let mut records = self.records();
        if records.len() >= REMEMBERED_MAX {
            records.clear();
        }
        records.insert(name_key(&record.scope, &record.name), record);
    }

    fn forget(&self, scope: &Scope, name: &str) {
        self.records().remove(&name_key(scope, name));
    }

    fn forget_all(&self) {
        self.records().clear();
    }

    fn forgetter(self: &Arc<Self>) -> writer::Forget {
        let this = self.clone();
        Arc::new(move || this.forget_all())
    }
}

/// `after` as reading it back from the database would give it, after [`shared::write_changes`]
/// wrote it over `before`: timestamps in milliseconds, versions in the order the load sorts them.
/// `None` when the change touched something `write_changes` does not write (the secret's
/// identity, or an existing version's metadata other than its labels): such a record must be
/// loaded again.
fn as_stored(before: &SecretRecord, after: &SecretRecord) -> Option<SecretRecord> {
    fn identity(r: &SecretRecord) -> (&str, &Scope, &str, &str, DateTime<Utc>) {
        (&r.id, &r.scope, &r.name, &r.suffix, r.created)
    }
    if identity(before) != identity(after) {
        return None;
    }
    let old: HashMap<&str, &VersionMeta> = before
        .versions
        .iter()
        .map(|v| (v.version_id.as_str(), v))
        .collect();
    for new in &after.versions {
        if let Some(old) = old.get(new.version_id.as_str()) {
            if (new.created, &new.kms_key_id, new.last_accessed)
                != (old.created, &old.kms_key_id, old.last_accessed)
            {
                return None;
            }
        }
    }
    let ms = |at: DateTime<Utc>| from_millis(millis(at));
    let mut stored = after.clone();
    stored.created = ms(stored.created);
    stored.last_changed = ms(stored.last_changed);
    stored.last_accessed = stored.last_accessed.map(ms);
    stored.deleted = stored.deleted.map(ms);
    stored.deletion_due = stored.deletion_due.map(ms);
    for version in &mut stored.versions {
        version.created = ms(version.created);
        version.last_accessed = version.last_accessed.map(ms);
    }
    stored.versions.sort_by(|a, b| {
        (millis(a.created), &a.version_id).cmp(&(millis(b.created), &b.version_id))
    });
    Some(stored)
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

/// What the read cache may hold, roughly, in bytes: records (metadata, no values) and sealed
/// values. With SQLite's own page caches ([`SqliteStore::open`]) this bounds the memory a store
/// of any size takes (docs/performance.md, "1,000,000 secrets").
const RECORD_CACHE_BYTES: u64 = 16 * 1024 * 1024;
const SEALED_CACHE_BYTES: u64 = 48 * 1024 * 1024;

/// About how many bytes a cached record takes: its strings and a fixed cost per part.
fn record_bytes(key: &NameKey, record: &SecretRecord) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let key_bytes = key.0.len() + key.1.len() + key.2.len();
    let versions: usize = record
        .versions
        .iter()
        .map(|v| {
            96 + v.version_id.len()
                + text(&v.kms_key_id)
                + v.stages.iter().map(|l| 24 + l.len()).sum::<usize>()
        })
        .sum();
    let tags: usize = record
        .tags
        .iter()
        .map(|(k, v)| 48 + k.len() + v.len())
        .sum();
    256 + key_bytes
        + record.id.len()
        + record.name.len()
        + record.suffix.len()
        + text(&record.description)
        + text(&record.kms_key_id)
        + text(&record.resource_policy)
        + versions
        + tags
}

/// The key of a cached record: account, region, name.
type NameKey = (String, String, String);

fn name_key(scope: &Scope, name: &str) -> NameKey {
    (
        scope.account.as_str().to_owned(),
        scope.region.as_str().to_owned(),
        name.to_owned(),
    )
}

/// Recently read secrets and sealed values, so the hot read path needs no database round trip.
///
/// Only ciphertext is cached, never a plaintext value. The cache is correct because every write
/// to this database goes through this process (the data directory is locked by `coffer serve`):
/// a writer commits, then invalidates what it changed. A reader that missed takes the epoch
/// before reading the database and caches its result only if no write invalidated anything in
/// between, so a read that raced a write can never leave a stale record behind.
struct ReadCache {
    records: moka::sync::Cache<NameKey, Arc<SecretRecord>>,
    /// Versions never change once written, so a sealed value needs no invalidation: a version
    /// that is removed is no longer listed by any cached record, and a re-created secret has a
    /// new id.
    sealed: moka::sync::Cache<(String, String), Arc<SealedValue>>,
    epoch: Mutex<u64>,
    enabled: bool,
}

impl ReadCache {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            // Bounded by bytes too: a record may carry a hundred versions and fifty tags.
            records: moka::sync::Cache::builder()
                .weigher(|key: &NameKey, v: &Arc<SecretRecord>| {
                    u32::try_from(record_bytes(key, v)).unwrap_or(u32::MAX)
                })
                .max_capacity(RECORD_CACHE_BYTES)
                .build(),
            sealed: moka::sync::Cache::builder()
                // Bounded by bytes of ciphertext.
                .weigher(|_, v: &Arc<SealedValue>| {
                    u32::try_from(v.ciphertext.len() + v.wrapped_key.len() + 64).unwrap_or(u32::MAX)
                })
                .max_capacity(SEALED_CACHE_BYTES)
                .build(),
            epoch: Mutex::new(0),
        }
    }

    fn record(&self, key: &NameKey) -> Option<Arc<SecretRecord>> {
        self.enabled.then(|| self.records.get(key)).flatten()
    }

    fn sealed(&self, key: &(String, String)) -> Option<Arc<SealedValue>> {
        self.enabled.then(|| self.sealed.get(key)).flatten()
    }

    fn insert_sealed(&self, key: (String, String), sealed: &SealedValue) {
        if self.enabled {
            self.sealed.insert(key, Arc::new(sealed.clone()));
        }
    }

    fn epoch(&self) -> u64 {
        *self.epoch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Caches a record read at `epoch`, unless a write has invalidated anything since.
    fn insert_if_current(&self, epoch: u64, record: &SecretRecord) {
        let guard = self.epoch.lock().unwrap_or_else(|e| e.into_inner());
        if self.enabled && *guard == epoch {
            self.records.insert(
                name_key(&record.scope, &record.name),
                Arc::new(record.clone()),
            );
        }
    }

    /// Called after a commit: forgets the given names.
    fn invalidate(&self, keys: impl IntoIterator<Item = NameKey>) {
        let mut guard = self.epoch.lock().unwrap_or_else(|e| e.into_inner());
        *guard += 1;
        for key in keys {
            self.records.invalidate(&key);
        }
    }

    fn invalidate_all(&self) {
        let mut guard = self.epoch.lock().unwrap_or_else(|e| e.into_inner());
        *guard += 1;
        self.records.invalidate_all();
        self.sealed.invalidate_all();
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and runs the migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // Memory stays bounded whatever the size of the file: mapped pages count in the
        // process's RSS, once per connection that maps them. The writer reads pages through a
        // memory map (a profile of a write-heavy load showed the copying of pages out of the
        // kernel as a top cost) of at most 128 MiB and caches 32 MiB; each of the 8 readers,
        // which the read cache spares most work, caches 8 MiB and reads with read().
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(
                options
                    .clone()
                    .pragma("mmap_size", "134217728")
                    .pragma("cache_size", "-32768"),
            )
            .await
            .map_err(store_err)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| Error::Store(Box::new(e)))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(
                options
                    .read_only(true)
                    .pragma("mmap_size", "0")
                    .pragma("cache_size", "-8192"),
            )
            .await
            .map_err(store_err)?;
        let remembered = Remembered::new(true);
        Ok(Self {
            writer: Writer::start(writer, remembered.forgetter()),
            reader,
            cache: Arc::new(ReadCache::new(true)),
            remembered,
        })
    }

    /// The same store without its read cache, for a process that shares the file with a running
    /// server (the admin commands) or changes the file behind the store's back (tamper tests):
    /// every read then goes to the database.
    pub fn without_cache(mut self) -> Self {
        self.cache = Arc::new(ReadCache::new(false));
        self.remembered.forget_all();
        self.remembered = Remembered::new(false);
        self
    }

    /// An in-memory database (dev mode): one connection, kept for the life of the process.
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(store_err)?
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(store_err)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| Error::Store(Box::new(e)))?;
        let remembered = Remembered::new(true);
        Ok(Self {
            writer: Writer::start(pool.clone(), remembered.forgetter()),
            reader: pool,
            cache: Arc::new(ReadCache::new(true)),
            remembered,
        })
    }
}
#[async_trait]
impl Store for SqliteStore {
    async fn insert_secret(&self, record: &SecretRecord, first: Option<&NewVersion>) -> Result<()> {
        let owned = record.clone();
        let first = first.cloned();
        self.writer
            .write(move |mut conn| async move {
                let result = shared::insert_secret(&mut conn, &owned, first.as_ref()).await;
                (conn, result)
            })
            .await?;
        self.cache
            .invalidate([name_key(&record.scope, &record.name)]);
        Ok(())
    }

    async fn find_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Result<Option<SecretRecord>> {
        // The cache answers when it holds the first candidate that names a secret; a candidate
        // it does not hold sends the whole lookup to the database, which knows the order.
        for candidate in candidates {
            let Some(record) = self.cache.record(&name_key(scope, &candidate.name)) else {
                break;
            };
            if candidate
                .suffix
                .as_deref()
                .is_none_or(|s| s == record.suffix)
            {
                return Ok(Some(SecretRecord::clone(&record)));
            }
        }
        let epoch = self.cache.epoch();
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        // A read transaction gives the secret row and its children one consistent snapshot.
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(store_err)?;
        let record = shared::load_by_candidates(&mut tx, scope, candidates, false).await?;
        tx.commit().await.map_err(store_err)?;
        if let Some(record) = &record {
            self.cache.insert_if_current(epoch, record);
        }
        Ok(record)
    }

    async fn update_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
        mutation: &mut Mutation<'_>,
    ) -> Result<SecretRecord> {
        // A conversation with the writer task: it locks and loads the secret inside its batch's
        // transaction and sends it here; the mutation runs here, on the caller's data; the
        // changed record goes back and is written in the same transaction.
        let (send_before, before) = tokio::sync::oneshot::channel::<SecretRecord>();
        let (send_after, after) =
            tokio::sync::oneshot::channel::<(SecretRecord, Vec<NewVersion>)>();
        let (send_written, written) = tokio::sync::oneshot::channel::<SecretRecord>();
        let scope_owned = scope.clone();
        let candidates_owned = candidates.to_vec();
        let remembered = self.remembered.clone();
        let done = self.writer.submit(move |mut conn| async move {
            let result = async {
                let before = match remembered.find(&scope_owned, &candidates_owned) {
                    Some(record) => record,
                    None => {
                        shared::load_by_candidates(&mut conn, &scope_owned, &candidates_owned, true)
                            .await?
                            .ok_or(Error::SecretNotFound)?
                    }
                };
                // The entry goes now: when the result cannot be remembered as stored (below),
                // the record as it was before this write must not stay behind.
                remembered.forget(&before.scope, &before.name);
                let _ = send_before.send(before.clone());
                // The caller's mutation is pure and quick; a caller that went away (or refused
                // the change) drops its sender, and this job then rolls back alone.
                let (after, new_versions) = tokio::time::timeout(MUTATION_TIMEOUT, after)
                    .await
                    .map_err(|_| Error::Internal("mutation timed out".into()))?
                    .map_err(|_| Error::Internal("mutation abandoned".into()))?;
                if after != before || !new_versions.is_empty() {
                    shared::write_changes(&mut conn, &before, &after, &new_versions).await?;
                }
                if let Some(stored) = as_stored(&before, &after) {
                    remembered.remember(stored);
                }
                let _ = send_written.send(after);
                Ok(())
            }
            .await;
            (conn, result)
        })?;
        let Ok(before) = before.await else {
            // The job failed before loading anything (not found, store error): its result says why.
            return Err(match done.await {
                Ok(Err(e)) => e,
                _ => Error::Internal("the store's writer task has stopped".into()),
            });
        };
        let mut changed = before.clone();
        let mut new_versions = Vec::new();
        if let Err(error) = mutation(&mut changed, &mut new_versions) {
            // The job rolls back: nothing is written. The answer waits for the batch, like every
            // other: the refusal may rest on what an earlier job of the batch wrote.
            drop(send_after);
            let _ = done.await;
            return Err(error);
        }
        let _ = send_after.send((changed, new_versions));
        done.await
            .map_err(|_| Error::Internal("the store's writer task has stopped".into()))??;
        let after = written
            .await
            .map_err(|_| Error::Internal("the store's writer task has stopped".into()))?;
        self.cache.invalidate([name_key(&after.scope, &after.name)]);
        Ok(after)
    }

    async fn remove_secret(
        &self,
        scope: &Scope,
        candidates: &[Candidate],
    ) -> Result<Option<SecretRecord>> {
        let scope_owned = scope.clone();
        let candidates_owned = candidates.to_vec();
        let record = self
            .writer
            .write(move |mut conn| async move {
                let result = async {
                    let record = shared::load_by_candidates(
                        &mut conn,
                        &scope_owned,
                        &candidates_owned,
                        true,
                    )
                    .await?;
                    if let Some(record) = &record {
                        shared::delete_secret_rows(&mut conn, &record.id).await?;
                    }
                    Ok(record)
                }
                .await;
                (conn, result)
            })
            .await?;
        self.cache
            .invalidate(record.iter().map(|r| name_key(&r.scope, &r.name)));
        Ok(record)
    }

    async fn read_sealed(&self, secret_id: &str, version_id: &str) -> Result<Option<SealedValue>> {
        let key = (secret_id.to_owned(), version_id.to_owned());
        if let Some(sealed) = self.cache.sealed(&key) {
            return Ok(Some(SealedValue::clone(&sealed)));
        }
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        let sealed = shared::read_sealed(&mut conn, secret_id, version_id).await?;
        if let Some(sealed) = &sealed {
            self.cache.insert_sealed(key, sealed);
        }
        Ok(sealed)
    }

    async fn list_secrets(
        &self,
        scope: &Scope,
        include_deleted: bool,
    ) -> Result<Vec<SecretRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(store_err)?;
        let records = shared::list_secrets(&mut tx, scope, include_deleted).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(records)
    }

    async fn list_secret_page(
        &self,
        scope: &Scope,
        query: &PageQuery<'_>,
    ) -> Result<Vec<SecretRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(store_err)?;
        let plan = match query.name_prefixes {
            Some(_) if query.order != ListOrder::Name => {
                let mut count = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "SELECT count(*) FROM (SELECT 1 FROM secrets s WHERE ",
                );
                paging::push_selection(&mut count, scope, query, DIALECT, false);
                count.push(" LIMIT ").push_bind(NAME_PLAN_LIMIT).push(")");
                let selected: i64 = count
                    .build_query_scalar()
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(store_err)?;
                if selected < NAME_PLAN_LIMIT {
                    paging::Plan::ByName
                } else {
                    paging::Plan::ByOrder
                }
            }
            _ => paging::Plan::Planner,
        };
        let records = shared::list_secret_page(&mut tx, scope, query, plan).await?;
        tx.commit().await.map_err(store_err)?;
        Ok(records)
    }

    async fn record_access(
        &self,
        secret_id: &str,
        version_id: &str,
        day: DateTime<Utc>,
    ) -> Result<()> {
        let secret_id = secret_id.to_owned();
        let version_id = version_id.to_owned();
        let key = self
            .writer
            .write(move |mut conn| async move {
                let result = async {
                    shared::record_access(&mut conn, &secret_id, &version_id, day).await?;
                    // The cached record that now shows an old date: its name, to forget it.
                    let row =
                        sqlx::query("SELECT account_id, region, name FROM secrets WHERE id = ?")
                            .bind(&secret_id)
                            .fetch_optional(&mut *conn)
                            .await
                            .map_err(store_err)?;
                    row.map(|row| -> Result<NameKey> {
                        Ok((
                            row.try_get("account_id").map_err(store_err)?,
                            row.try_get("region").map_err(store_err)?,
                            row.try_get("name").map_err(store_err)?,
                        ))
                    })
                    .transpose()
                }
                .await;
                (conn, result)
            })
            .await?;
        self.cache.invalidate(key);
        Ok(())
    }

    async fn purge_due(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let purged = self
            .writer
            .write(move |mut conn| async move {
                let result = shared::purge_due(&mut conn, now).await;
                (conn, result)
            })
            .await?;
        self.cache
            .invalidate(purged.iter().map(|r| name_key(&r.scope, &r.name)));
        Ok(purged.iter().map(SecretRecord::arn).collect())
    }

    async fn rotation_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(Scope, Candidate)>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::rotation_due(&mut conn, now, limit).await
    }

    async fn rotating_secrets(&self) -> Result<Vec<SecretRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::rotating_secrets(&mut conn).await
    }

    async fn ensure_account(&self, account: &AccountId, created: DateTime<Utc>) -> Result<()> {
        let account = account.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = shared::ensure_account(&mut conn, &account, created).await;
                (conn, result)
            })
            .await
    }

    async fn list_accounts(&self) -> Result<Vec<AccountId>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::list_accounts(&mut conn).await
    }

    async fn insert_access_key(&self, key: &AccessKeyRecord) -> Result<()> {
        let key = key.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = shared::insert_access_key(&mut conn, &key).await;
                (conn, result)
            })
            .await
    }

    async fn find_access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::find_access_key(&mut conn, access_key_id).await
    }

    async fn list_access_keys(&self, account: &AccountId) -> Result<Vec<AccessKeyRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::list_access_keys(&mut conn, account).await
    }

    async fn set_access_key_active(&self, access_key_id: &str, active: bool) -> Result<bool> {
        let id = access_key_id.to_owned();
        self.writer
            .write(move |mut conn| async move {
                let result = shared::set_access_key_active(&mut conn, &id, active).await;
                (conn, result)
            })
            .await
    }

    async fn delete_access_key(&self, access_key_id: &str) -> Result<bool> {
        let id = access_key_id.to_owned();
        self.writer
            .write(move |mut conn| async move {
                let result = shared::delete_access_key(&mut conn, &id).await;
                (conn, result)
            })
            .await
    }

    async fn insert_principal(&self, principal: &PrincipalRecord) -> Result<bool> {
        let principal = principal.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = shared::insert_principal(&mut conn, &principal).await;
                (conn, result)
            })
            .await
    }

    async fn find_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<Option<PrincipalRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::find_principal(&mut conn, account, kind, name).await
    }

    async fn list_principals(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
    ) -> Result<Vec<PrincipalRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::list_principals(&mut conn, account, kind).await
    }

    async fn delete_principal(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        name: &str,
    ) -> Result<DeleteOutcome> {
        // The checks and the delete run in one job of the writer, so in one transaction: no
        // policy or key can be added between them.
        let (account, name) = (account.clone(), name.to_owned());
        self.writer
            .write(move |mut conn| async move {
                let result = shared::delete_principal(&mut conn, &account, kind, &name).await;
                (conn, result)
            })
            .await
    }

    async fn put_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<()> {
        let (account, principal, policy_name, document) = (
            account.clone(),
            principal.to_owned(),
            policy_name.to_owned(),
            document.to_owned(),
        );
        self.writer
            .write(move |mut conn| async move {
                let result = shared::put_inline_policy(
                    &mut conn,
                    &account,
                    kind,
                    &principal,
                    &policy_name,
                    &document,
                )
                .await;
                (conn, result)
            })
            .await
    }

    async fn list_inline_policies(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
    ) -> Result<Vec<(String, String)>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::list_inline_policies(&mut conn, account, kind, principal).await
    }

    async fn delete_inline_policy(
        &self,
        account: &AccountId,
        kind: PrincipalKind,
        principal: &str,
        policy_name: &str,
    ) -> Result<bool> {
        let (account, principal, policy_name) = (
            account.clone(),
            principal.to_owned(),
            policy_name.to_owned(),
        );
        self.writer
            .write(move |mut conn| async move {
                let result = shared::delete_inline_policy(
                    &mut conn,
                    &account,
                    kind,
                    &principal,
                    &policy_name,
                )
                .await;
                (conn, result)
            })
            .await
    }

    async fn insert_kms_key(&self, key: &KmsKeyRecord) -> Result<()> {
        let key = key.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = kms_shared::insert_kms_key(&mut conn, &key).await;
                (conn, result)
            })
            .await
    }

    async fn update_kms_key(&self, key: &KmsKeyRecord) -> Result<bool> {
        let key = key.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = kms_shared::update_kms_key(&mut conn, &key).await;
                (conn, result)
            })
            .await
    }

    async fn replace_kms_key_material(
        &self,
        key: &KmsKeyRecord,
        previous_wrapped_key: &[u8],
    ) -> Result<bool> {
        let key = key.clone();
        let previous = previous_wrapped_key.to_vec();
        self.writer
            .write(move |mut conn| async move {
                let result = kms_shared::replace_kms_key_material(&mut conn, &key, &previous).await;
                (conn, result)
            })
            .await
    }

    async fn find_kms_key(&self, scope: &Scope, key_id: &str) -> Result<Option<KmsKeyRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        kms_shared::find_kms_key(&mut conn, scope, key_id).await
    }

    async fn list_kms_keys(&self, scope: &Scope) -> Result<Vec<KmsKeyRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        kms_shared::list_kms_keys(&mut conn, scope).await
    }

    async fn put_kms_alias(&self, alias: &KmsAlias, create: bool) -> Result<bool> {
        let alias = alias.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = kms_shared::put_kms_alias(&mut conn, &alias, create).await;
                (conn, result)
            })
            .await
    }

    async fn delete_kms_alias(&self, scope: &Scope, alias_name: &str) -> Result<bool> {
        let scope = scope.clone();
        let name = alias_name.to_owned();
        self.writer
            .write(move |mut conn| async move {
                let result = kms_shared::delete_kms_alias(&mut conn, &scope, &name).await;
                (conn, result)
            })
            .await
    }

    async fn list_kms_aliases(&self, scope: &Scope) -> Result<Vec<KmsAlias>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        kms_shared::list_kms_aliases(&mut conn, scope).await
    }

    async fn insert_iam_object(&self, object: &IamObject) -> Result<bool> {
        let object = object.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = shared::insert_iam_object(&mut conn, &object).await;
                (conn, result)
            })
            .await
    }

    async fn find_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
    ) -> Result<Option<IamObject>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::find_iam_object(&mut conn, account, kind, name, false).await
    }

    async fn list_iam_objects(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
    ) -> Result<Vec<IamObject>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::list_iam_objects(&mut conn, account, kind).await
    }

    async fn update_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
        mut mutation: IamMutation,
    ) -> Result<Option<IamObject>> {
        // The load, the mutation and the write run in one job of the writer: one transaction.
        let (account, name) = (account.clone(), name.to_owned());
        self.writer
            .write(move |mut conn| async move {
                let result =
                    shared::update_iam_object(&mut conn, &account, kind, &name, &mut mutation)
                        .await;
                (conn, result)
            })
            .await
    }

    async fn delete_iam_object(
        &self,
        account: &AccountId,
        kind: IamObjectKind,
        name: &str,
        check: IamDeleteCheck,
    ) -> Result<bool> {
        let (account, name) = (account.clone(), name.to_owned());
        self.writer
            .write(move |mut conn| async move {
                let result =
                    shared::delete_iam_object(&mut conn, &account, kind, &name, &check).await;
                (conn, result)
            })
            .await
    }

    async fn link_iam(&self, account: &AccountId, link: &IamLink) -> Result<LinkOutcome> {
        let (account, link) = (account.clone(), link.clone());
        self.writer
            .write(move |mut conn| async move {
                let result = shared::link_iam(&mut conn, &account, &link).await;
                (conn, result)
            })
            .await
    }

    async fn unlink_iam(&self, account: &AccountId, link: &IamLink) -> Result<bool> {
        let (account, link) = (account.clone(), link.clone());
        self.writer
            .write(move |mut conn| async move {
                let result = shared::unlink_iam(&mut conn, &account, &link).await;
                (conn, result)
            })
            .await
    }

    async fn list_iam_links(
        &self,
        account: &AccountId,
        filter: LinkFilter<'_>,
    ) -> Result<Vec<IamLink>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::list_iam_links(&mut conn, account, filter).await
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn put_audit_head(&self, head: &AuditHead) -> Result<()> {
        let head = head.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = shared::put_audit_head(&mut conn, &head).await;
                (conn, result)
            })
            .await
    }

    async fn audit_head(&self, trail: &str) -> Result<Option<AuditHead>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::audit_head(&mut conn, trail).await
    }

    async fn put_login_profile(&self, profile: &LoginProfileRecord, create: bool) -> Result<bool> {
        let profile = profile.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = shared::put_login_profile(&mut conn, &profile, create).await;
                (conn, result)
            })
            .await
    }

    async fn find_login_profile(
        &self,
        account: &AccountId,
        user_name: &str,
    ) -> Result<Option<LoginProfileRecord>> {
        let mut conn = self.reader.acquire().await.map_err(store_err)?;
        shared::find_login_profile(&mut conn, account, user_name).await
    }

    async fn delete_login_profile(&self, account: &AccountId, user_name: &str) -> Result<bool> {
        let (account, user_name) = (account.clone(), user_name.to_owned());
        self.writer
            .write(move |mut conn| async move {
                let result = shared::delete_login_profile(&mut conn, &account, &user_name).await;
                (conn, result)
            })
            .await
    }

    async fn reset(&self) -> Result<()> {
        self.writer
            .write(move |mut conn| async move {
                let result = shared::reset(&mut conn).await;
                (conn, result)
            })
            .await?;
        self.cache.invalidate_all();
        Ok(())
    }
}
