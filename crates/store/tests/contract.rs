//! The store contract: what every engine behind `coffer_core::store::Store` must do, written once
//! and run against every engine.
//!
//! Each case in `contract/cases.rs` is an `async fn(Arc<dyn Store>)` that knows nothing about the
//! engine it runs on. [`contract_suite!`] turns the list of cases into one `#[tokio::test]` per
//! engine and case, in a module named after the engine. Adding an engine (PostgreSQL) takes one
//! line at the bottom of this file, with an expression that yields an [`engines::Engine`]:
//!
//! ```ignore
//! contract_suite!(postgres, engines::postgres().await);
//! ```
//!
//! The PostgreSQL engine runs each case in a scratch schema of its own (see `support/pg.rs`), so
//! cases run in parallel; without a reachable PostgreSQL they are skipped, except under
//! `CI=true`, where they fail.
//!
//! Behaviour that only one engine has (an SQLite file reopened, its migrations run again) is
//! tested after the suite, outside the macro.
#![allow(clippy::unwrap_used)]

#[path = "contract/cases.rs"]
mod cases;
#[path = "support/pg.rs"]
mod pg;

/// How each engine under test is built.
mod engines {
    use std::sync::Arc;

    use coffer_core::store::Store;
    use coffer_store::{PostgresStore, SqliteStore};

    /// A store under test and whatever must outlive it (a temporary directory, a scratch
    /// database to drop).
    pub struct Engine {
        /// The store.
        pub store: Arc<dyn Store>,
        /// Kept alive until the test ends; dropped after the store's last use.
        _guard: Option<Box<dyn std::any::Any + Send>>,
    }

    /// SQLite in a file of a fresh temporary directory: WAL, a writer pool and a reader pool.
    pub async fn sqlite_file() -> Option<Engine> {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("coffer.db"))
            .await
            .unwrap();
        Some(Engine {
            store: Arc::new(store),
            _guard: Some(Box::new(dir)),
        })
    }

    /// SQLite in memory: one connection shared by readers and the writer (dev mode).
    pub async fn sqlite_memory() -> Option<Engine> {
        Some(Engine {
            store: Arc::new(SqliteStore::in_memory().await.unwrap()),
            _guard: None,
        })
    }

    /// PostgreSQL in a scratch schema of its own; `None` when PostgreSQL is unreachable and the
    /// run does not require it.
    pub async fn postgres() -> Option<Engine> {
        let scratch = crate::pg::scratch().await?;
        let store = PostgresStore::connect(&scratch.url()).await.unwrap();
        Some(Engine {
            store: Arc::new(store),
            _guard: Some(Box::new(scratch)),
        })
    }
}

/// Expands to a module `$engine` with one test per contract case, each on a fresh store made by
/// `$make` (an expression of type `Option<`[`engines::Engine`]`>`, which may `.await`; `None`
/// skips the case).
macro_rules! contract_suite {
    ($engine:ident, $make:expr) => {
        mod $engine {
            #[allow(unused_imports)]
            use super::*;
            contract_suite!(@cases $make;
                insert_then_find_returns_the_record,
                insert_duplicate_live_name_fails,
                insert_name_scheduled_for_deletion_fails,
                insert_failure_writes_nothing,
                same_name_in_other_region_or_account,
                find_tries_candidates_in_order,
                update_changes_metadata_tags_labels_and_adds_versions,
                update_drops_versions,
                update_not_found,
                failed_mutation_writes_nothing,
                buggy_mutation_cannot_break_label_uniqueness,
                buggy_mutation_cannot_add_versions_without_values,
                remove_secret_removes_everything,
                read_sealed_round_trips_bytes,
                list_secrets_isolates_scopes_and_hides_deleted,
                record_access_sets_the_day,
                purge_due_removes_only_due_secrets,
                accounts_are_idempotent_and_listed_oldest_first,
                access_keys_round_trip,
                ping_answers,
                reset_removes_everything,
                concurrent_updates_are_atomic,
                concurrent_inserts_of_one_name,
                principals_round_trip_and_names_ignore_case,
                inline_policies_and_principal_deletion,
                resource_policy_is_kept_with_the_secret,
            );
        }
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let made: Option<$crate::engines::Engine> = $make;
                let Some(engine) = made else { return };
                $crate::cases::$case(engine.store.clone()).await;
                drop(engine);
            }
        )*
    };
}

contract_suite!(sqlite_file, engines::sqlite_file().await);
contract_suite!(sqlite_memory, engines::sqlite_memory().await);
contract_suite!(postgres, engines::postgres().await);

/// SQLite-only behaviour: the database file outlives the process.
mod sqlite_only {
    use std::path::Path;

    use coffer_core::store::Store;
    use coffer_store::SqliteStore;
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{Row, SqlitePool};

    use crate::cases::{at, by_name, home, record, sealed, with_version};
    use coffer_core::model::{AccessKeyRecord, ValueKind};
    use coffer_core::names::{AccountId, AWSCURRENT};

    /// Everything written before the store is dropped is there when the file is opened again:
    /// secrets (live and scheduled for deletion), versions with their sealed values, labels,
    /// tags, accounts and access keys.
    #[tokio::test]
    async fn reopened_file_sees_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        let account = AccountId::parse("123456789012").unwrap();

        let mut live = record(&home(), "reopen/live");
        live.tags = vec![("b".into(), "2".into()), ("a".into(), "1".into())];
        let first = with_version(&mut live, "v1", at(0), &[AWSCURRENT, "BLUE"]);
        let mut gone = record(&home(), "reopen/deleted");
        gone.deleted = Some(at(5));
        gone.deletion_due = Some(at(5 + 7 * 86_400_000));
        let key = AccessKeyRecord {
            access_key_id: "AKIAREOPENREOPEN0001".into(),
            account: account.clone(),
            principal_arn: "arn:aws:iam::123456789012:root".into(),
            user_name: None,
            sealed_secret: sealed("key", ValueKind::String),
            created: at(1),
            active: true,
        };
        {
            let store = SqliteStore::open(&path).await.unwrap();
            store.insert_secret(&live, Some(&first)).await.unwrap();
            store.insert_secret(&gone, None).await.unwrap();
            store.ensure_account(&account, at(0)).await.unwrap();
            store.insert_access_key(&key).await.unwrap();
        }

        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(
            store
                .find_secret(&home(), &by_name("reopen/live"))
                .await
                .unwrap(),
            Some(live.clone())
        );
        assert_eq!(
            store
                .find_secret(&home(), &by_name("reopen/deleted"))
                .await
                .unwrap(),
            Some(gone)
        );
        assert_eq!(
            store.read_sealed(&live.id, "v1").await.unwrap(),
            Some(first.sealed)
        );
        assert_eq!(store.list_accounts().await.unwrap(), vec![account.clone()]);
        assert_eq!(
            store.find_access_key(&key.access_key_id).await.unwrap(),
            Some(key)
        );
        assert_eq!(
            store.list_secrets(&home(), false).await.unwrap(),
            vec![live]
        );
    }

    /// The migrations table, read directly.
    async fn applied_migrations(path: &Path) -> Vec<(i64, bool)> {
        let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(path))
            .await
            .unwrap();
        let rows = sqlx::query("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
        let out = rows
            .iter()
            .map(|r| (r.get::<i64, _>("version"), r.get::<bool, _>("success")))
            .collect();
        pool.close().await;
        out
    }

    /// Opening an existing database runs no migration twice and loses nothing: each migration
    /// file is recorded once, successfully, however often the file is opened.
    #[tokio::test]
    async fn migrations_are_idempotent_on_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        let files =
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"))
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "sql")
                })
                .count();
        assert!(files > 0);

        let mut secret = record(&home(), "migrate/me");
        let first = with_version(&mut secret, "v1", at(0), &[AWSCURRENT]);
        {
            let store = SqliteStore::open(&path).await.unwrap();
            store.insert_secret(&secret, Some(&first)).await.unwrap();
        }
        let once = applied_migrations(&path).await;
        assert_eq!(once.len(), files);
        assert!(once.iter().all(|(_, ok)| *ok), "{once:?}");

        for _ in 0..3 {
            let store = SqliteStore::open(&path).await.unwrap();
            store.ping().await.unwrap();
            assert_eq!(
                store
                    .find_secret(&home(), &by_name("migrate/me"))
                    .await
                    .unwrap(),
                Some(secret.clone())
            );
        }
        assert_eq!(applied_migrations(&path).await, once);
    }

    /// Two handles on one file (as two processes would have) see each other's commits.
    #[tokio::test]
    async fn two_handles_on_one_file_share_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        let a = SqliteStore::open(&path).await.unwrap();
        let b = SqliteStore::open(&path).await.unwrap();
        let mut secret = record(&home(), "shared/file");
        let first = with_version(&mut secret, "v1", at(0), &[AWSCURRENT]);
        a.insert_secret(&secret, Some(&first)).await.unwrap();
        assert_eq!(
            b.find_secret(&home(), &by_name("shared/file"))
                .await
                .unwrap(),
            Some(secret.clone())
        );
        let err = b.insert_secret(&secret, None).await.unwrap_err();
        assert!(
            matches!(&err, coffer_core::Error::SecretExists(n) if n == "shared/file"),
            "{err:?}"
        );
    }
}

/// PostgreSQL-only behaviour: several nodes on one database, and moving a deployment over from
/// the embedded store.
mod postgres_only {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use coffer_core::model::{AccessKeyRecord, ValueKind};
    use coffer_core::names::{AccountId, AWSCURRENT};
    use coffer_core::store::Store;
    use coffer_store::sqlite::export::export_sqlite;
    use coffer_store::{PostgresStore, SqliteStore};
    use sqlx::{Connection, PgConnection, Row};

    use crate::cases::{at, by_name, home, record, sealed, with_version};

    /// Nodes starting at once on an empty database all come up, and each migration is applied
    /// exactly once (the migrator serialises them with an advisory lock).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_starts_migrate_once() {
        let Some(scratch) = crate::pg::scratch().await else {
            return;
        };
        let mut starts = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let url = scratch.url();
            starts.spawn(async move { PostgresStore::connect(&url).await.unwrap() });
        }
        let mut stores = Vec::new();
        while let Some(store) = starts.join_next().await {
            stores.push(store.unwrap());
        }
        let mut conn = PgConnection::connect_with(&scratch.options())
            .await
            .unwrap();
        let rows = sqlx::query("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let files = std::fs::read_dir(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres"),
        )
        .unwrap()
        .count();
        assert_eq!(rows.len(), files);
        assert!(rows.iter().all(|r| r.get::<bool, _>("success")));
        conn.close().await.unwrap();
        for store in stores {
            store.close().await;
        }
    }

    /// Two nodes updating one secret at once: every update lands, none is lost.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_nodes_update_one_secret_atomically() {
        let Some(scratch) = crate::pg::scratch().await else {
            return;
        };
        let a: Arc<dyn Store> = Arc::new(PostgresStore::connect(&scratch.url()).await.unwrap());
        let b: Arc<dyn Store> = Arc::new(PostgresStore::connect(&scratch.url()).await.unwrap());
        let mut secret = record(&home(), "two/nodes");
        let first = with_version(&mut secret, "v0", at(0), &[AWSCURRENT]);
        a.insert_secret(&secret, Some(&first)).await.unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..24 {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            tasks.spawn(async move {
                store
                    .update_secret(&home(), &by_name("two/nodes"), &mut |r, nv| {
                        // Move AWSCURRENT to a new version: a read-modify-write of the labels.
                        for v in &mut r.versions {
                            v.stages.retain(|s| s != AWSCURRENT);
                        }
                        nv.push(with_version(
                            r,
                            &format!("v{}", i + 1),
                            at(10 + i),
                            &[AWSCURRENT],
                        ));
                        Ok(())
                    })
                    .await
                    .unwrap();
            });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.unwrap();
        }
        let found = b
            .find_secret(&home(), &by_name("two/nodes"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.versions.len(), 25);
        let current: Vec<_> = found
            .versions
            .iter()
            .filter(|v| v.stages.iter().any(|s| s == AWSCURRENT))
            .collect();
        assert_eq!(current.len(), 1);
    }

    /// Nodes purging at the same moment split the due secrets: each is purged, and reported,
    /// by exactly one of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn purge_runs_once_across_nodes() {
        let Some(scratch) = crate::pg::scratch().await else {
            return;
        };
        let mut nodes: Vec<Arc<dyn Store>> = Vec::new();
        for _ in 0..3 {
            nodes.push(Arc::new(
                PostgresStore::connect(&scratch.url()).await.unwrap(),
            ));
        }
        let mut expected = BTreeSet::new();
        for i in 0..40 {
            let mut secret = record(&home(), &format!("due/{i}"));
            secret.deleted = Some(at(0));
            secret.deletion_due = Some(at(1000));
            expected.insert(secret.arn());
            nodes[0].insert_secret(&secret, None).await.unwrap();
        }
        let mut purges = tokio::task::JoinSet::new();
        for node in &nodes {
            let node = node.clone();
            purges.spawn(async move { node.purge_due(at(2000)).await.unwrap() });
        }
        let mut seen = Vec::new();
        while let Some(purged) = purges.join_next().await {
            seen.extend(purged.unwrap());
        }
        let unique: BTreeSet<_> = seen.iter().cloned().collect();
        assert_eq!(seen.len(), unique.len(), "a secret was purged twice");
        assert_eq!(unique, expected);
    }

    /// Everything in an embedded database arrives in PostgreSQL byte for byte: the snapshots
    /// of both are equal (counts and checksum), the records read back the same, and a second
    /// import into the now non-empty database is refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite_file_moves_to_postgres_unchanged() {
        let Some(scratch) = crate::pg::scratch().await else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        let account = AccountId::parse("123456789012").unwrap();
        let mut live = record(&home(), "move/live");
        live.tags = vec![("b".into(), "2".into()), ("a".into(), "1".into())];
        let first = with_version(&mut live, "v1", at(0), &[AWSCURRENT, "BLUE"]);
        let mut gone = record(&home(), "move/deleted");
        gone.deleted = Some(at(5));
        gone.deletion_due = Some(at(5 + 7 * 86_400_000));
        let key = AccessKeyRecord {
            access_key_id: "AKIAMOVEMOVEMOVE0001".into(),
            account: account.clone(),
            principal_arn: "arn:aws:iam::123456789012:root".into(),
            user_name: None,
            sealed_secret: sealed("key", ValueKind::String),
            created: at(1),
            active: true,
        };
        {
            let store = SqliteStore::open(&path).await.unwrap();
            store.ensure_account(&account, at(0)).await.unwrap();
            store.insert_access_key(&key).await.unwrap();
            store.insert_secret(&live, Some(&first)).await.unwrap();
            store.insert_secret(&gone, None).await.unwrap();
        }
        let source = export_sqlite(&path).await.unwrap();
        let target = PostgresStore::connect(&scratch.url()).await.unwrap();
        target.import_snapshot(&source).await.unwrap();
        let copied = target.export_snapshot().await.unwrap();
        assert_eq!(copied.summary(), source.summary());
        assert!(copied == source);
        assert_eq!(copied.versions.len(), 1);
        assert_eq!(
            target
                .find_secret(&home(), &by_name("move/live"))
                .await
                .unwrap(),
            Some(live.clone())
        );
        assert_eq!(
            target.read_sealed(&live.id, "v1").await.unwrap(),
            Some(first.sealed)
        );
        assert_eq!(
            target.find_access_key(&key.access_key_id).await.unwrap(),
            Some(key)
        );
        assert!(target.import_snapshot(&source).await.is_err());
        target.close().await;
    }
}
