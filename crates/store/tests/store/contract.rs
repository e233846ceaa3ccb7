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
//! The PostgreSQL engine runs each case in a scratch schema of its own (see
//! `coffer_test_support::pg`), so cases run in parallel; without a reachable PostgreSQL they are
//! skipped, except under `CI=true`, where they fail.
//!
//! Behaviour that only one engine has (an SQLite file reopened, its migrations run again) is
//! tested after the suite, outside the macro.
#![allow(clippy::unwrap_used)]

pub(crate) mod cases;

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
        let scratch = coffer_test_support::pg::scratch().await?;
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
                kms_keys_and_aliases_round_trip,
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
                list_secret_page_walks_every_order,
                record_access_sets_the_day,
                purge_due_removes_only_due_secrets,
                accounts_are_idempotent_and_listed_oldest_first,
                access_keys_round_trip,
                ping_answers,
                audit_heads_are_kept_per_trail,
                login_profiles_round_trip,
                reset_removes_everything,
                concurrent_updates_are_atomic,
                concurrent_inserts_of_one_name,
                principals_round_trip_and_names_ignore_case,
                inline_policies_and_principal_deletion,
                resource_policy_is_kept_with_the_secret,
                iam_objects_and_links,
            );
        }
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let made: Option<$crate::contract::engines::Engine> = $make;
                let Some(engine) = made else { return };
                $crate::contract::cases::$case(engine.store.clone()).await;
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

    use crate::contract::cases::{at, by_name, home, record, sealed, with_version};
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

    /// `migrate-store` reads only a file of the schema this binary writes: one from an older
    /// coffer lacks columns the export names, one from a newer coffer has columns the snapshot
    /// would leave behind, and a file that was never migrated is not a coffer database.
    #[tokio::test]
    async fn export_refuses_another_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        SqliteStore::open(&path).await.unwrap();
        coffer_store::sqlite::export::export_sqlite(&path)
            .await
            .unwrap();
        let pool = SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path))
            .await
            .unwrap();
        let latest: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .unwrap();
        let row = sqlx::query("SELECT * FROM _sqlx_migrations WHERE version = ?")
            .bind(latest)
            .fetch_one(&pool)
            .await
            .unwrap();
        let description: String = row.get("description");

        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = ?")
            .bind(latest)
            .execute(&pool)
            .await
            .unwrap();
        let err = coffer_store::sqlite::export::export_sqlite(&path)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("start this coffer's `serve` on it once"),
            "{err}"
        );

        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (?, ?, 1, x'00', 0)",
        )
        .bind(latest + 1)
        .bind(description)
        .execute(&pool)
        .await
        .unwrap();
        let err = coffer_store::sqlite::export::export_sqlite(&path)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("newer than this coffer's"),
            "{err}"
        );
        pool.close().await;

        let empty = dir.path().join("empty.db");
        SqlitePool::connect_with(
            SqliteConnectOptions::new()
                .filename(&empty)
                .create_if_missing(true),
        )
        .await
        .unwrap()
        .close()
        .await;
        let err = coffer_store::sqlite::export::export_sqlite(&empty)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("is not a coffer database"),
            "{err}"
        );
    }

    /// A name filter that selects more names than SQLite counts before choosing is read along
    /// the sort column's index, one that selects fewer through the name index: the pages are
    /// the same either way, and the same as the whole listing sorted.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn name_prefixes_on_either_side_of_the_plan_limit() {
        use coffer_core::store::ListOrder;

        use crate::contract::cases::{expected_listing, walk};

        let store = std::sync::Arc::new(SqliteStore::in_memory().await.unwrap());
        let mut inserts = Vec::new();
        for i in 0..4200i64 {
            let store = store.clone();
            inserts.push(tokio::spawn(async move {
                let name = if i % 100 == 0 {
                    format!("few/{i:05}")
                } else {
                    format!("many/{i:05}")
                };
                let mut secret = record(&home(), &name);
                secret.created = at(i % 37);
                secret.last_accessed = (i % 2 == 0).then(|| at(i % 11));
                store.insert_secret(&secret, None).await.unwrap();
            }));
        }
        for insert in inserts {
            insert.await.unwrap();
        }
        for prefixes in [
            vec!["many/".to_owned()],
            vec!["few/".to_owned()],
            vec!["few/".to_owned(), "many/01".to_owned()],
            vec!["m".to_owned(), "many/".to_owned()],
        ] {
            for (order, descending) in [
                (ListOrder::Created, true),
                (ListOrder::LastAccessed, false),
                (ListOrder::Name, false),
            ] {
                let expected = expected_listing(
                    store.as_ref(),
                    &home(),
                    order,
                    descending,
                    false,
                    Some(&prefixes),
                )
                .await;
                let walked = walk(
                    store.as_ref(),
                    &home(),
                    order,
                    descending,
                    false,
                    Some(&prefixes),
                    1000,
                )
                .await;
                assert_eq!(walked.len(), expected.len(), "{prefixes:?} {order:?}");
                assert!(
                    walked == expected,
                    "{prefixes:?} {order:?}: pages differ from the listing"
                );
            }
        }
    }
}

/// PostgreSQL-only behaviour: several nodes on one database, and moving a deployment over from
/// the embedded store.
mod postgres_only {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use coffer_core::model::{
        AccessKeyRecord, LoginProfileRecord, PrincipalKind, PrincipalRecord, ValueKind,
    };
    use coffer_core::names::{AccountId, AWSCURRENT};
    use coffer_core::store::Store;
    use coffer_store::sqlite::export::export_sqlite;
    use coffer_store::{PostgresStore, SqliteStore};
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{Connection, PgConnection, Row, SqliteConnection};

    use crate::contract::cases::{at, by_name, home, record, sealed, with_version};

    /// Nodes starting at once on an empty database all come up, and each migration is applied
    /// exactly once (the migrator serialises them with an advisory lock).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_starts_migrate_once() {
        let Some(scratch) = coffer_test_support::pg::scratch().await else {
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
        let Some(scratch) = coffer_test_support::pg::scratch().await else {
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
        let Some(scratch) = coffer_test_support::pg::scratch().await else {
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

    /// A user with tags, an inline policy and an access key, a role with a trust policy, a
    /// description and a longest session, all in the account `123456789012`.
    fn iam_fixtures(account: &AccountId) -> (PrincipalRecord, PrincipalRecord, AccessKeyRecord) {
        let user = PrincipalRecord {
            account: account.clone(),
            kind: PrincipalKind::User,
            name: "Deploy-Bot".into(),
            path: "/ci/".into(),
            id: "AIDADEPLOYBOT0000001".into(),
            created: at(2),
            tags: vec![
                ("team".into(), "infra".into()),
                ("a\"q".into(), String::new()),
            ],
            trust_policy: None,
            description: None,
            max_session_secs: None,
        };
        let role = PrincipalRecord {
            account: account.clone(),
            kind: PrincipalKind::Role,
            name: "Reader".into(),
            path: "/".into(),
            id: "AROAREADER000000001".into(),
            created: at(3),
            tags: Vec::new(),
            trust_policy: Some(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#
                    .into(),
            ),
            description: Some("reads the database secret".into()),
            max_session_secs: Some(7200),
        };
        let user_key = AccessKeyRecord {
            access_key_id: "AKIAMOVEUSERKEY00001".into(),
            account: account.clone(),
            principal_arn: user.arn(),
            user_name: Some(user.name.clone()),
            sealed_secret: sealed("user key", ValueKind::String),
            created: at(4),
            active: false,
        };
        (user, role, user_key)
    }

    /// An inline policy document of the user.
    const USER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;

    /// A resource policy on the live secret.
    const RESOURCE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"secretsmanager:DeleteSecret","Resource":"*"}]}"#;

    /// Everything in an embedded database arrives in PostgreSQL byte for byte: the snapshots
    /// of both are equal (counts and checksum), the records read back the same through the
    /// `Store` trait (secrets with their resource policy, IAM users and roles, inline policies,
    /// root and user access keys, in two accounts), and a second import into the now non-empty
    /// database is refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite_file_moves_to_postgres_unchanged() {
        let Some(scratch) = coffer_test_support::pg::scratch().await else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        let account = AccountId::parse("123456789012").unwrap();
        let other = AccountId::parse("210987654321").unwrap();
        let mut live = record(&home(), "move/live");
        live.tags = vec![("b".into(), "2".into()), ("a".into(), "1".into())];
        live.resource_policy = Some(RESOURCE_POLICY.into());
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
        let (user, role, user_key) = iam_fixtures(&account);
        // A customer key (its material sealed under the root key) and an alias naming it.
        let kms_key = coffer_core::kms::KmsKeyRecord {
            scope: home(),
            key_id: "11111111-1111-4111-8111-111111111111".into(),
            description: "team-a".into(),
            created: at(2),
            state: coffer_core::kms::KeyState::Disabled,
            deletion_date: None,
            pending_window_days: None,
            policy: "{}".into(),
            tags: vec![("team".into(), "a".into())],
            material: sealed("material", ValueKind::Binary),
        };
        let kms_alias = coffer_core::kms::KmsAlias {
            scope: home(),
            name: "alias/team-a".into(),
            target_key_id: kms_key.key_id.clone(),
            created: at(3),
            updated: at(4),
        };
        // The user's console password (its hash).
        let profile = LoginProfileRecord {
            account: account.clone(),
            user_name: user.name.clone(),
            user_id: user.id.clone(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            password_reset_required: true,
            created: at(2),
        };
        // A user of the same name in the other account: principals are keyed per account.
        let other_user = PrincipalRecord {
            account: other.clone(),
            id: "AIDAOTHERACCOUNT0001".into(),
            ..user.clone()
        };
        {
            let store = SqliteStore::open(&path).await.unwrap();
            store.ensure_account(&account, at(0)).await.unwrap();
            store.ensure_account(&other, at(1)).await.unwrap();
            assert!(store.insert_principal(&user).await.unwrap());
            assert!(store.insert_principal(&role).await.unwrap());
            assert!(store.insert_principal(&other_user).await.unwrap());
            store
                .put_inline_policy(
                    &account,
                    PrincipalKind::User,
                    &user.name,
                    "read",
                    USER_POLICY,
                )
                .await
                .unwrap();
            store
                .put_inline_policy(&account, PrincipalKind::Role, &role.name, "a-b", "{}")
                .await
                .unwrap();
            store.insert_access_key(&key).await.unwrap();
            store.insert_access_key(&user_key).await.unwrap();
            store.insert_secret(&live, Some(&first)).await.unwrap();
            store.insert_secret(&gone, None).await.unwrap();
            // A group (an IAM object) and the user's membership of it (an IAM link).
            let group = coffer_core::managed::GroupRecord {
                account: account.clone(),
                name: "Ops".into(),
                path: "/".into(),
                id: "AGPAMOVEMOVEMOVE0001".into(),
                created: at(2),
                inline_policies: vec![("p".into(), "{}".into())],
            };
            assert!(store
                .insert_iam_object(&coffer_core::managed::IamObject::Group(group))
                .await
                .unwrap());
            let link = coffer_core::managed::IamLink::new(
                coffer_core::managed::LinkKind::User,
                &user.name,
                coffer_core::managed::LinkKind::Group,
                "Ops",
                at(3),
            );
            assert_eq!(
                store.link_iam(&account, &link).await.unwrap(),
                coffer_core::managed::LinkOutcome::Linked
            );
            assert!(store.put_login_profile(&profile, true).await.unwrap());
            store.insert_kms_key(&kms_key).await.unwrap();
            assert!(store.put_kms_alias(&kms_alias, true).await.unwrap());
        }
        let source = export_sqlite(&path).await.unwrap();
        let counts: Vec<_> = source.summary().counts.to_vec();
        assert_eq!(
            counts,
            [
                ("accounts", 2),
                ("principals", 3),
                ("inline_policies", 2),
                ("access_keys", 2),
                ("secrets", 2),
                ("versions", 1),
                ("labels", 2),
                ("tags", 2),
                ("iam_objects", 1),
                ("iam_links", 1),
                ("login_profiles", 1),
                ("kms_keys", 1),
                ("kms_aliases", 1),
            ]
        );
        let target = PostgresStore::connect(&scratch.url()).await.unwrap();
        target.import_snapshot(&source).await.unwrap();
        let copied = target.export_snapshot().await.unwrap();
        assert_eq!(copied.summary(), source.summary());
        assert!(copied == source);
        assert_eq!(
            target.find_kms_key(&home(), &kms_key.key_id).await.unwrap(),
            Some(kms_key.clone())
        );
        assert_eq!(
            target.list_kms_aliases(&home()).await.unwrap(),
            vec![kms_alias.clone()]
        );

        assert_eq!(
            target
                .find_secret(&home(), &by_name("move/live"))
                .await
                .unwrap(),
            Some(live.clone())
        );
        assert_eq!(
            target
                .find_secret(&home(), &by_name("move/deleted"))
                .await
                .unwrap(),
            Some(gone)
        );
        assert_eq!(
            target.read_sealed(&live.id, "v1").await.unwrap(),
            Some(first.sealed)
        );
        assert_eq!(
            target.find_access_key(&key.access_key_id).await.unwrap(),
            Some(key)
        );
        assert_eq!(
            target
                .find_login_profile(&account, &user.name)
                .await
                .unwrap(),
            Some(profile)
        );
        assert_eq!(
            target
                .find_access_key(&user_key.access_key_id)
                .await
                .unwrap(),
            Some(user_key)
        );
        // Lookups ignore case on PostgreSQL too: name_key came over with the name.
        assert_eq!(
            target
                .find_principal(&account, PrincipalKind::User, "deploy-bot")
                .await
                .unwrap(),
            Some(user.clone())
        );
        assert_eq!(
            target
                .find_principal(&account, PrincipalKind::Role, "Reader")
                .await
                .unwrap(),
            Some(role.clone())
        );
        assert_eq!(
            target
                .find_principal(&other, PrincipalKind::User, "Deploy-Bot")
                .await
                .unwrap(),
            Some(other_user)
        );
        assert_eq!(
            target
                .list_inline_policies(&account, PrincipalKind::User, &user.name)
                .await
                .unwrap(),
            vec![("read".to_owned(), USER_POLICY.to_owned())]
        );
        assert_eq!(
            target
                .list_inline_policies(&account, PrincipalKind::Role, &role.name)
                .await
                .unwrap(),
            vec![("a-b".to_owned(), "{}".to_owned())]
        );
        assert!(target
            .list_inline_policies(&other, PrincipalKind::User, &user.name)
            .await
            .unwrap()
            .is_empty());
        assert!(target.import_snapshot(&source).await.is_err());
        target.close().await;
    }

    /// The verification can fail: a copy whose only difference is one new column (a resource
    /// policy changed in PostgreSQL after the import) has the same counts but not the same
    /// checksum.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn checksum_sees_a_changed_resource_policy() {
        let Some(scratch) = coffer_test_support::pg::scratch().await else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        let account = AccountId::parse("123456789012").unwrap();
        let mut secret = record(&home(), "move/policy");
        secret.resource_policy = Some(RESOURCE_POLICY.into());
        {
            let store = SqliteStore::open(&path).await.unwrap();
            store.ensure_account(&account, at(0)).await.unwrap();
            store.insert_secret(&secret, None).await.unwrap();
        }
        let source = export_sqlite(&path).await.unwrap();
        let target = PostgresStore::connect(&scratch.url()).await.unwrap();
        target.import_snapshot(&source).await.unwrap();
        assert_eq!(
            target.export_snapshot().await.unwrap().summary(),
            source.summary()
        );

        let mut conn = PgConnection::connect_with(&scratch.options())
            .await
            .unwrap();
        sqlx::query("UPDATE secrets SET resource_policy = $1 WHERE id = $2")
            .bind(r#"{"Version":"2012-10-17","Statement":[]}"#)
            .bind(&secret.id)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let changed = target.export_snapshot().await.unwrap().summary();
        assert_eq!(changed.counts, source.summary().counts);
        assert_ne!(changed.sha256, source.summary().sha256);
        target.close().await;
    }

    /// The columns of every table, as the migrations leave them, on both engines. The snapshot
    /// carries exactly these; a migration that adds a column or a table fails this test until
    /// `transfer.rs` (the row types, the canonical encoding), `sqlite/export.rs` and the
    /// PostgreSQL export and import carry it too, and this list says so.
    const SCHEMA: &[(&str, &[&str])] = &[
        (
            "access_keys",
            &[
                "access_key_id",
                "account_id",
                "principal_arn",
                "key_id",
                "wrapped_key",
                "ciphertext",
                "created_ms",
                "active",
                "user_name",
            ],
        ),
        ("accounts", &["id", "created_ms"]),
        (
            "iam_links",
            &[
                "account_id",
                "source_kind",
                "source_key",
                "target_kind",
                "target_key",
                "created_ms",
            ],
        ),
        (
            "iam_objects",
            &["account_id", "kind", "name_key", "name", "body"],
        ),
        (
            "inline_policies",
            &[
                "account_id",
                "kind",
                "principal_key",
                "policy_name",
                "document",
            ],
        ),
        (
            "kms_aliases",
            &[
                "account_id",
                "region",
                "alias_name",
                "target_key_id",
                "created_ms",
                "updated_ms",
            ],
        ),
        (
            "kms_keys",
            &[
                "account_id",
                "region",
                "key_id",
                "description",
                "created_ms",
                "state",
                "deletion_ms",
                "pending_window_days",
                "policy",
                "tags",
                "sealer_key_id",
                "wrapped_key",
                "material",
            ],
        ),
        ("labels", &["secret_id", "label", "version_id", "position"]),
        (
            "login_profiles",
            &[
                "account_id",
                "name_key",
                "user_name",
                "user_id",
                "password_hash",
                "password_reset_required",
                "created_ms",
            ],
        ),
        (
            "principals",
            &[
                "account_id",
                "kind",
                "name_key",
                "name",
                "path",
                "principal_id",
                "created_ms",
                "tags",
                "trust_policy",
                "description",
                "max_session_secs",
            ],
        ),
        (
            "secrets",
            &[
                "id",
                "account_id",
                "region",
                "name",
                "suffix",
                "description",
                "kms_key_id",
                "created_ms",
                "last_changed_ms",
                "last_accessed_ms",
                "deleted_ms",
                "deletion_due_ms",
                "resource_policy",
                "tagged",
                "rotation",
                "rotation_due_ms",
            ],
        ),
        ("tags", &["secret_id", "key", "value", "position"]),
        (
            "versions",
            &[
                "secret_id",
                "version_id",
                "created_ms",
                "kms_key_id",
                "last_accessed_ms",
                "key_id",
                "wrapped_key",
                "ciphertext",
                "kind",
            ],
        ),
    ];

    /// `SCHEMA` as (table, column) pairs, in the order the engines list them.
    fn expected_columns() -> Vec<(String, String)> {
        SCHEMA
            .iter()
            .flat_map(|(table, columns)| {
                columns
                    .iter()
                    .map(|c| ((*table).to_owned(), (*c).to_owned()))
            })
            .collect()
    }

    /// Every column of every table is one the snapshot carries, on SQLite and on PostgreSQL,
    /// except `audit_heads`: a trail's head names the node's audit file and is recorded again
    /// by the next batch its server writes, so `migrate-store` leaves it behind on purpose.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn snapshot_carries_every_column_of_the_schema() {
        let Some(scratch) = coffer_test_support::pg::scratch().await else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        SqliteStore::open(&path).await.unwrap();
        let mut sqlite =
            SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
                .await
                .unwrap();
        let on_sqlite: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
             AND m.name <> 'audit_heads' \
             ORDER BY m.name, p.cid",
        )
        .fetch_all(&mut sqlite)
        .await
        .unwrap();
        sqlite.close().await.unwrap();
        assert_eq!(on_sqlite, expected_columns(), "SQLite");

        let target = PostgresStore::connect(&scratch.url()).await.unwrap();
        target.close().await;
        let mut pg = PgConnection::connect_with(&scratch.options())
            .await
            .unwrap();
        let on_postgres: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
             AND table_name <> 'audit_heads' \
             ORDER BY table_name COLLATE \"C\", ordinal_position",
        )
        .fetch_all(&mut pg)
        .await
        .unwrap();
        pg.close().await.unwrap();
        assert_eq!(on_postgres, expected_columns(), "PostgreSQL");
    }
}
