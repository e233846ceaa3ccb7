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
//! Behaviour that only one engine has (an SQLite file reopened, its migrations run again) is
//! tested after the suite, outside the macro.
#![allow(clippy::unwrap_used)]

#[path = "contract/cases.rs"]
mod cases;

/// How each engine under test is built.
mod engines {
    use std::sync::Arc;

    use coffer_core::store::Store;
    use coffer_store::SqliteStore;

    /// A store under test and whatever must outlive it (a temporary directory, a scratch
    /// database to drop).
    pub struct Engine {
        /// The store.
        pub store: Arc<dyn Store>,
        /// Kept alive until the test ends; dropped after the store's last use.
        _guard: Option<Box<dyn std::any::Any + Send>>,
    }

    /// SQLite in a file of a fresh temporary directory: WAL, a writer pool and a reader pool.
    pub async fn sqlite_file() -> Engine {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("coffer.db"))
            .await
            .unwrap();
        Engine {
            store: Arc::new(store),
            _guard: Some(Box::new(dir)),
        }
    }

    /// SQLite in memory: one connection shared by readers and the writer (dev mode).
    pub async fn sqlite_memory() -> Engine {
        Engine {
            store: Arc::new(SqliteStore::in_memory().await.unwrap()),
            _guard: None,
        }
    }
}

/// Expands to a module `$engine` with one test per contract case, each on a fresh store made by
/// `$make` (an expression of type [`engines::Engine`], which may `.await`).
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
            );
        }
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let engine: $crate::engines::Engine = $make;
                $crate::cases::$case(engine.store.clone()).await;
                drop(engine);
            }
        )*
    };
}

contract_suite!(sqlite_file, engines::sqlite_file().await);
contract_suite!(sqlite_memory, engines::sqlite_memory().await);

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
