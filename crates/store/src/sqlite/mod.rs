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
use coffer_core::model::{
    AccessKeyRecord, DeleteOutcome, NewVersion, PrincipalKind, PrincipalRecord, SealedValue,
    SecretRecord, ValueKind, VersionMeta,
};
use coffer_core::names::{AccountId, Candidate, Region, Scope};
use coffer_core::store::{AuditHead, ListOrder, Mutation, PageQuery, Store};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection, SqlitePool};

pub mod export;
mod iam;
mod writer;
use writer::Writer;

use crate::paging;

/// How long the writer task waits for a caller's mutation before rolling its job back.
const MUTATION_TIMEOUT: Duration = Duration::from_secs(10);

/// SQLite compares text byte by byte by default; binds are `?`.
const DIALECT: paging::Dialect = paging::Dialect {
    bytewise: "",
    numbered_binds: false,
};

/// A `name` filter whose ranges select fewer secrets than this is read through the name index
/// and sorted; one that selects more, along the sort column's index (`paging::Plan`). SQLite
/// keeps no statistics to choose by: counting up to this many in the name index costs well
/// under a millisecond, and on either side of it the page reads at most a few thousand rows
/// for a million secrets.
const NAME_PLAN_LIMIT: i64 = 4096;

/// The migrations, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

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

/// `after` as reading it back from the database would give it, after [`write_changes`] wrote
/// it over `before`: timestamps in milliseconds, versions in the order the load sorts them.
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

/// The columns of `secrets` every query selects, in this order.
const SECRET_COLUMNS: &str =
    "id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
     last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy";

fn secret_from_row(row: &SqliteRow) -> Result<SecretRecord> {
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

fn sealed_from_row(row: &SqliteRow) -> Result<SealedValue> {
    let kind: String = row.try_get("kind").map_err(store_err)?;
    Ok(SealedValue {
        key_id: row.try_get("key_id").map_err(store_err)?,
        wrapped_key: row.try_get("wrapped_key").map_err(store_err)?,
        ciphertext: row.try_get("ciphertext").map_err(store_err)?,
        kind: ValueKind::parse(&kind).ok_or_else(|| corrupt("value kind"))?,
    })
}

/// Fills in versions, labels and tags of the given secrets, selected by a `WHERE` clause over
/// the `secrets` table aliased `s` with the given binds.
async fn load_children(
    conn: &mut SqliteConnection,
    records: &mut [SecretRecord],
    filter: &str,
    binds: &[&str],
) -> Result<()> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        index.insert(r.id.clone(), i);
    }
    // Versions and their labels in one query: one row per (version, label), a version without
    // labels once with a NULL label. Each query is a round trip to SQLite's worker thread, and
    // this runs inside every write.
    let version_sql = format!(
        "SELECT v.secret_id, v.version_id, v.created_ms, v.kms_key_id, v.last_accessed_ms, l.label \
         FROM versions v JOIN secrets s ON s.id = v.secret_id \
         LEFT JOIN labels l ON l.secret_id = v.secret_id AND l.version_id = v.version_id \
         WHERE {filter} ORDER BY v.created_ms, v.version_id, l.position"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(version_sql));
    for b in binds {
        query = query.bind(*b);
    }
    for row in query.fetch_all(&mut *conn).await.map_err(store_err)? {
        let secret_id: String = row.try_get("secret_id").map_err(store_err)?;
        let Some(&i) = index.get(&secret_id) else {
            continue;
        };
        let version_id: String = row.try_get("version_id").map_err(store_err)?;
        let label: Option<String> = row.try_get("label").map_err(store_err)?;
        let versions = &mut records[i].versions;
        if versions.last().is_none_or(|v| v.version_id != version_id) {
            versions.push(VersionMeta {
                version_id,
                created: from_millis(row.try_get("created_ms").map_err(store_err)?),
                stages: Vec::new(),
                kms_key_id: row.try_get("kms_key_id").map_err(store_err)?,
                last_accessed: row
                    .try_get::<Option<i64>, _>("last_accessed_ms")
                    .map_err(store_err)?
                    .map(from_millis),
            });
        }
        if let (Some(label), Some(version)) = (label, versions.last_mut()) {
            version.stages.push(label);
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
    for row in query.fetch_all(&mut *conn).await.map_err(store_err)? {
        let secret_id: String = row.try_get("secret_id").map_err(store_err)?;
        if let Some(&i) = index.get(&secret_id) {
            records[i].tags.push((
                row.try_get("key").map_err(store_err)?,
                row.try_get("value").map_err(store_err)?,
            ));
        }
    }
    Ok(())
}

/// Finds the first secret matching one of `candidates`, in order, and loads it with its
/// children: the secret's row comes with the lookup, saving a round trip.
async fn load_by_candidates(
    conn: &mut SqliteConnection,
    scope: &Scope,
    candidates: &[Candidate],
) -> Result<Option<SecretRecord>> {
    let sql = format!(
        "SELECT {SECRET_COLUMNS} FROM secrets WHERE account_id = ? AND region = ? AND name = ?"
    );
    for candidate in candidates {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.account.as_str())
            .bind(scope.region.as_str())
            .bind(&candidate.name)
            .fetch_optional(&mut *conn)
            .await
            .map_err(store_err)?;
        if let Some(row) = row {
            let record = secret_from_row(&row)?;
            if candidate
                .suffix
                .as_deref()
                .is_none_or(|s| s == record.suffix)
            {
                let id = record.id.clone();
                let mut records = [record];
                load_children(conn, &mut records, "s.id = ?", &[&id]).await?;
                let [record] = records;
                return Ok(Some(record));
            }
        }
    }
    Ok(None)
}

async fn insert_version(
    conn: &mut SqliteConnection,
    secret_id: &str,
    meta: &VersionMeta,
    sealed: &SealedValue,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO versions (secret_id, version_id, created_ms, kms_key_id, last_accessed_ms, key_id, wrapped_key, ciphertext, kind) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    .map_err(store_err)?;
    Ok(())
}

/// Inserts the record's labels; the secret has none yet (a new secret), or they were deleted
/// first ([`write_changes`]).
async fn write_labels(conn: &mut SqliteConnection, record: &SecretRecord) -> Result<()> {
    let labels: Vec<(&str, &str)> = record
        .versions
        .iter()
        .flat_map(|v| {
            v.stages
                .iter()
                .map(move |l| (l.as_str(), v.version_id.as_str()))
        })
        .collect();
    if labels.is_empty() {
        return Ok(());
    }
    // One statement for all labels (at most 20).
    let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO labels (secret_id, label, version_id, position) ",
    );
    insert.push_values(
        labels.iter().enumerate(),
        |mut row, (position, (label, version))| {
            row.push_bind(&record.id)
                .push_bind(*label)
                .push_bind(*version)
                .push_bind(position as i64);
        },
    );
    insert
        .build()
        .execute(&mut *conn)
        .await
        .map_err(store_err)?;
    Ok(())
}

async fn write_tags(conn: &mut SqliteConnection, record: &SecretRecord) -> Result<()> {
    sqlx::query("DELETE FROM tags WHERE secret_id = ?")
        .bind(&record.id)
        .execute(&mut *conn)
        .await
        .map_err(store_err)?;
    if record.tags.is_empty() {
        return Ok(());
    }
    // One statement for all tags (at most 50).
    let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "INSERT INTO tags (secret_id, key, value, position) ",
    );
    insert.push_values(
        record.tags.iter().enumerate(),
        |mut row, (position, (key, value))| {
            row.push_bind(&record.id)
                .push_bind(key)
                .push_bind(value)
                .push_bind(position as i64);
        },
    );
    insert
        .build()
        .execute(&mut *conn)
        .await
        .map_err(store_err)?;
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
    conn: &mut SqliteConnection,
    before: &SecretRecord,
    after: &SecretRecord,
    new_versions: &[NewVersion],
) -> Result<()> {
    sqlx::query(
        "UPDATE secrets SET description = ?, kms_key_id = ?, last_changed_ms = ?, last_accessed_ms = ?, \
         deleted_ms = ?, deletion_due_ms = ?, resource_policy = ? WHERE id = ?",
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
    .map_err(store_err)?;

    let labels_changed = labels_of(before) != labels_of(after);
    if labels_changed {
        // Labels go first: they reference versions that may be about to disappear.
        sqlx::query("DELETE FROM labels WHERE secret_id = ?")
            .bind(&after.id)
            .execute(&mut *conn)
            .await
            .map_err(store_err)?;
    }
    let kept: std::collections::HashSet<&str> = after
        .versions
        .iter()
        .map(|v| v.version_id.as_str())
        .collect();
    let had: std::collections::HashSet<&str> = before
        .versions
        .iter()
        .map(|v| v.version_id.as_str())
        .collect();
    for old in &before.versions {
        if !kept.contains(old.version_id.as_str()) {
            sqlx::query("DELETE FROM versions WHERE secret_id = ? AND version_id = ?")
                .bind(&after.id)
                .bind(&old.version_id)
                .execute(&mut *conn)
                .await
                .map_err(store_err)?;
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
        if !had.contains(v.version_id.as_str())
            && !new_versions.iter().any(|n| n.version_id == v.version_id)
        {
            return Err(Error::Internal(
                "a version was added without its value".into(),
            ));
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

#[async_trait]
impl Store for SqliteStore {
    async fn insert_secret(&self, record: &SecretRecord, first: Option<&NewVersion>) -> Result<()> {
        let owned = record.clone();
        let first = first.cloned();
        self.writer
            .write(move |mut conn| async move {
                let result = insert_secret_rows(&mut conn, &owned, first.as_ref()).await;
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
        let record = load_by_candidates(&mut tx, scope, candidates).await?;
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
                    None => load_by_candidates(&mut conn, &scope_owned, &candidates_owned)
                        .await?
                        .ok_or(Error::SecretNotFound)?,
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
                    write_changes(&mut conn, &before, &after, &new_versions).await?;
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
                    let record =
                        load_by_candidates(&mut conn, &scope_owned, &candidates_owned).await?;
                    if let Some(record) = &record {
                        delete_secret_rows(&mut conn, &record.id).await?;
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
        let row = sqlx::query("SELECT key_id, wrapped_key, ciphertext, kind FROM versions WHERE secret_id = ? AND version_id = ?")
            .bind(secret_id)
            .bind(version_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(store_err)?;
        let sealed = row.as_ref().map(sealed_from_row).transpose()?;
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
        let filter = if include_deleted {
            "s.account_id = ? AND s.region = ?"
        } else {
            "s.account_id = ? AND s.region = ? AND s.deleted_ms IS NULL"
        };
        let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets s WHERE {filter}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scope.account.as_str())
            .bind(scope.region.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(store_err)?;
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
        let mut page = sqlx::QueryBuilder::<sqlx::Sqlite>::new("");
        paging::push_page(&mut page, SECRET_COLUMNS, scope, query, DIALECT, plan);
        let rows = page.build().fetch_all(&mut *tx).await.map_err(store_err)?;
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
                    sqlx::query("UPDATE secrets SET last_accessed_ms = ? WHERE id = ?")
                        .bind(millis(day))
                        .bind(&secret_id)
                        .execute(&mut *conn)
                        .await
                        .map_err(store_err)?;
                    sqlx::query(
                        "UPDATE versions SET last_accessed_ms = ? WHERE secret_id = ? AND version_id = ?",
                    )
                    .bind(millis(day))
                    .bind(&secret_id)
                    .bind(&version_id)
                    .execute(&mut *conn)
                    .await
                    .map_err(store_err)?;
                    let row = sqlx::query("SELECT account_id, region, name FROM secrets WHERE id = ?")
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
                let result = async {
                    let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE deletion_due_ms IS NOT NULL AND deletion_due_ms <= ?");
                    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(millis(now))
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(store_err)?;
                    let mut purged = Vec::with_capacity(rows.len());
                    for row in &rows {
                        let record = secret_from_row(row)?;
                        delete_secret_rows(&mut conn, &record.id).await?;
                        purged.push(record);
                    }
                    Ok(purged)
                }
                .await;
                (conn, result)
            })
            .await?;
        self.cache
            .invalidate(purged.iter().map(|r| name_key(&r.scope, &r.name)));
        Ok(purged.iter().map(SecretRecord::arn).collect())
    }

    async fn ensure_account(&self, account: &AccountId, created: DateTime<Utc>) -> Result<()> {
        let account = account.as_str().to_owned();
        self.writer
            .write(move |mut conn| async move {
                let result = sqlx::query(
                    "INSERT INTO accounts (id, created_ms) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                )
                .bind(&account)
                .bind(millis(created))
                .execute(&mut *conn)
                .await
                .map(|_| ())
                .map_err(store_err);
                (conn, result)
            })
            .await
    }

    async fn list_accounts(&self) -> Result<Vec<AccountId>> {
        let rows = sqlx::query("SELECT id FROM accounts ORDER BY created_ms, id")
            .fetch_all(&self.reader)
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
        let key = key.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = async {
                    sqlx::query(
            "INSERT INTO access_keys (access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, user_name) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .execute(&mut *conn)
        .await
        .map_err(store_err)?;
                    Ok(())
                }
                .await;
                (conn, result)
            })
            .await
    }

    async fn find_access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>> {
        let row = sqlx::query(
            "SELECT access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, user_name \
             FROM access_keys WHERE access_key_id = ?",
        )
        .bind(access_key_id)
        .fetch_optional(&self.reader)
        .await
        .map_err(store_err)?;
        row.as_ref().map(access_key_from_row).transpose()
    }

    async fn list_access_keys(&self, account: &AccountId) -> Result<Vec<AccessKeyRecord>> {
        let rows = sqlx::query(
            "SELECT access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, user_name \
             FROM access_keys WHERE account_id = ? ORDER BY created_ms, access_key_id",
        )
        .bind(account.as_str())
        .fetch_all(&self.reader)
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
            .execute(&self.reader)
            .await
            .map_err(store_err)?;
        Ok(())
    }

    async fn put_audit_head(&self, head: &AuditHead) -> Result<()> {
        let head = head.clone();
        self.writer
            .write(move |mut conn| async move {
                let result = sqlx::query(
                    "INSERT INTO audit_heads (trail, digest, updated_ms) VALUES (?, ?, ?) \
                     ON CONFLICT (trail) DO UPDATE SET digest = excluded.digest, updated_ms = excluded.updated_ms",
                )
                .bind(&head.trail)
                .bind(&head.digest)
                .bind(millis(head.updated))
                .execute(&mut *conn)
                .await
                .map(|_| ())
                .map_err(store_err);
                (conn, result)
            })
            .await
    }

    async fn audit_head(&self, trail: &str) -> Result<Option<AuditHead>> {
        let row = sqlx::query("SELECT digest, updated_ms FROM audit_heads WHERE trail = ?")
            .bind(trail)
            .fetch_optional(&self.reader)
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

    async fn reset(&self) -> Result<()> {
        self.writer
            .write(move |mut conn| async move {
                let result = async {
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
                            .execute(&mut *conn)
                            .await
                            .map_err(store_err)?;
                    }
                    Ok(())
                }
                .await;
                (conn, result)
            })
            .await?;
        self.cache.invalidate_all();
        Ok(())
    }
}

/// Inserts a new secret with its first version, labels and tags, unless its name is taken.
async fn insert_secret_rows(
    conn: &mut SqliteConnection,
    record: &SecretRecord,
    first: Option<&NewVersion>,
) -> Result<()> {
    let existing = sqlx::query(
        "SELECT deleted_ms FROM secrets WHERE account_id = ? AND region = ? AND name = ?",
    )
    .bind(record.scope.account.as_str())
    .bind(record.scope.region.as_str())
    .bind(&record.name)
    .fetch_optional(&mut *conn)
    .await
    .map_err(store_err)?;
    if let Some(row) = existing {
        let deleted: Option<i64> = row.try_get("deleted_ms").map_err(store_err)?;
        return Err(if deleted.is_some() {
            Error::NameScheduledForDeletion
        } else {
            Error::SecretExists(record.name.clone())
        });
    }
    sqlx::query(
            "INSERT INTO secrets (id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
             last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .map_err(store_err)?;
    if let Some(first) = first {
        let meta = record
            .version(&first.version_id)
            .ok_or_else(|| Error::Internal("first version missing from the record".into()))?;
        insert_version(&mut *conn, &record.id, meta, &first.sealed).await?;
    }
    write_labels(&mut *conn, record).await?;
    write_tags(&mut *conn, record).await?;
    Ok(())
}

async fn delete_secret_rows(conn: &mut SqliteConnection, id: &str) -> Result<()> {
    // Children first, in dependency order, so this works with or without cascades.
    for sql in [
        "DELETE FROM labels WHERE secret_id = ?",
        "DELETE FROM tags WHERE secret_id = ?",
        "DELETE FROM versions WHERE secret_id = ?",
        "DELETE FROM secrets WHERE id = ?",
    ] {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(store_err)?;
    }
    Ok(())
}

fn access_key_from_row(row: &SqliteRow) -> Result<AccessKeyRecord> {
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
