//! The service's time-dependent and storage-dependent behaviour, through `coffer_core::service`
//! on a real SQLite store, with a `ManualClock` that tests move instead of sleeping: the
//! recovery window, version pruning, LastAccessedDate, idempotency, encryption at rest, and
//! access keys.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use coffer_core::clock::ManualClock;
use coffer_core::crypto::{Keyring, KEY_LEN};
use coffer_core::error::Error;
use coffer_core::model::{SecretRecord, SecretValue, VersionMeta};
use coffer_core::names::{AccountId, Region, Scope, AWSCURRENT, AWSPREVIOUS};
use coffer_core::service::{
    CreateSecretInput, GetSecretValueInput, ListSecretVersionIdsInput, ListSecretsInput,
    PutSecretValueInput, Service, UpdateSecretInput, UpdateSecretVersionStageInput,
};
use coffer_core::store::Store;
use coffer_store::SqliteStore;
use zeroize::Zeroizing;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// A service over a store, with the clock that drives it.
struct Fixture {
    service: Service,
    clock: Arc<ManualClock>,
    store: Arc<dyn Store>,
}

/// 2024-03-10 15:30:00.250 UTC: mid-afternoon, so that a day boundary is hours away.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 10, 15, 30, 0).unwrap() + Duration::milliseconds(250)
}

fn scope() -> Scope {
    Scope {
        account: AccountId::parse("123456789012").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    }
}

fn service_over(
    store: Arc<dyn Store>,
    root: Zeroizing<[u8; KEY_LEN]>,
    clock: Arc<ManualClock>,
) -> Service {
    Service::new(store, Arc::new(Keyring::new(root)), clock)
}

/// A service on a fresh in-memory store with a fresh root key, its clock at [`start`].
async fn fixture() -> Fixture {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    fixture_on(store).await
}

async fn fixture_on(store: Arc<dyn Store>) -> Fixture {
    let clock = Arc::new(ManualClock::new(start()));
    Fixture {
        service: service_over(
            store.clone(),
            Keyring::generate_root_key().unwrap(),
            clock.clone(),
        ),
        clock,
        store,
    }
}

fn string(text: &str) -> SecretValue {
    SecretValue::String(Zeroizing::new(text.to_owned()))
}

fn binary(bytes: &[u8]) -> SecretValue {
    SecretValue::Binary(Zeroizing::new(bytes.to_vec()))
}

fn text_of(value: &SecretValue) -> String {
    match value {
        SecretValue::String(s) => s.to_string(),
        SecretValue::Binary(_) => panic!("expected a SecretString"),
    }
}

/// A ClientRequestToken in the shape SDKs send (a UUID).
fn token(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

impl Fixture {
    async fn create(&self, name: &str, value: Option<&str>) -> String {
        self.service
            .create_secret(
                &scope(),
                CreateSecretInput {
                    name: name.into(),
                    client_request_token: Some(format!("{:0>36}", name.len())),
                    value: value.map(string),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .arn
    }

    async fn put(&self, name: &str, token: &str, value: SecretValue) -> Result<String, Error> {
        self.put_staged(name, token, value, None).await
    }

    async fn put_staged(
        &self,
        name: &str,
        token: &str,
        value: SecretValue,
        stages: Option<&[&str]>,
    ) -> Result<String, Error> {
        let (out, _) = self
            .service
            .put_secret_value(
                &scope(),
                PutSecretValueInput {
                    secret_id: name.into(),
                    client_request_token: Some(token.into()),
                    value: Some(value),
                    version_stages: stages.map(|s| s.iter().map(|s| s.to_string()).collect()),
                    rotation_token: None,
                },
            )
            .await?;
        Ok(out.version_id.unwrap())
    }

    async fn get(&self, secret_id: &str) -> Result<String, Error> {
        self.get_input(GetSecretValueInput {
            secret_id: secret_id.into(),
            ..Default::default()
        })
        .await
    }

    async fn get_input(&self, input: GetSecretValueInput) -> Result<String, Error> {
        let out = self.service.get_secret_value(&scope(), &input).await?;
        Ok(text_of(&out.value))
    }

    async fn describe(&self, secret_id: &str) -> SecretRecord {
        self.service
            .describe_secret(&scope(), secret_id)
            .await
            .unwrap()
    }

    /// ListSecretVersionIds, every page.
    async fn versions(&self, secret_id: &str, include_deprecated: bool) -> Vec<VersionMeta> {
        let mut out = Vec::new();
        let mut next_token = None;
        loop {
            let page = self
                .service
                .list_secret_version_ids(
                    &scope(),
                    &ListSecretVersionIdsInput {
                        secret_id: secret_id.into(),
                        max_results: Some(100),
                        next_token: next_token.take(),
                        include_deprecated,
                    },
                )
                .await
                .unwrap();
            out.extend(page.versions);
            match page.next_token {
                Some(t) => next_token = Some(t),
                None => return out,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The recovery window
// ---------------------------------------------------------------------------------------------

/// A secret deleted with a 7-day window survives until the last millisecond of the window and
/// is purged at its end; then its name is free and its value unreachable.
#[tokio::test]
async fn recovery_window_ends_exactly_on_time() {
    let f = fixture().await;
    let arn = f.create("app/db", Some("first life")).await;
    let deleted = f
        .service
        .delete_secret(&scope(), "app/db", Some(7), false)
        .await
        .unwrap();
    assert_eq!(deleted.arn, arn);
    assert_eq!(deleted.deletion_date, start() + Duration::days(7));
    let record = f.describe("app/db").await;
    assert_eq!(record.deleted, Some(start()));
    assert_eq!(record.deletion_due, Some(start() + Duration::days(7)));

    // While scheduled: reads and writes refuse, the name is taken.
    assert!(matches!(
        f.get("app/db").await,
        Err(Error::MarkedForDeletion)
    ));
    assert!(matches!(
        f.put("app/db", &token(1), string("x")).await,
        Err(Error::MarkedForDeletion)
    ));
    let err = f
        .service
        .create_secret(
            &scope(),
            CreateSecretInput {
                name: "app/db".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NameScheduledForDeletion), "{err:?}");

    f.clock
        .advance(Duration::days(7) - Duration::milliseconds(1));
    assert!(f.service.purge_due().await.unwrap().is_empty());
    assert!(f.describe("app/db").await.is_deleted());

    f.clock.advance(Duration::milliseconds(1));
    assert_eq!(f.service.purge_due().await.unwrap(), vec![arn.clone()]);
    assert!(f.service.purge_due().await.unwrap().is_empty());

    // Gone for good: by name and by ARN.
    assert!(matches!(f.get("app/db").await, Err(Error::SecretNotFound)));
    assert!(matches!(f.get(&arn).await, Err(Error::SecretNotFound)));
    assert!(matches!(
        f.service.describe_secret(&scope(), "app/db").await,
        Err(Error::SecretNotFound)
    ));

    // The name can be reused; the new secret is a different one and knows nothing of the old.
    let new_arn = f.create("app/db", Some("second life")).await;
    assert_eq!(f.get("app/db").await.unwrap(), "second life");
    assert_eq!(f.versions("app/db", true).await.len(), 1);
    if new_arn != arn {
        assert!(matches!(f.get(&arn).await, Err(Error::SecretNotFound)));
    }
}

/// RestoreSecret before the end of the window keeps the secret, value and all, through later
/// purges.
#[tokio::test]
async fn restore_before_the_end_keeps_the_secret() {
    let f = fixture().await;
    f.create("keep/me", Some("precious")).await;
    let before = f.describe("keep/me").await;
    f.service
        .delete_secret(&scope(), "keep/me", Some(7), false)
        .await
        .unwrap();
    f.clock
        .advance(Duration::days(7) - Duration::milliseconds(1));
    f.service.restore_secret(&scope(), "keep/me").await.unwrap();
    let restored = f.describe("keep/me").await;
    assert_eq!(restored.deleted, None);
    assert_eq!(restored.deletion_due, None);
    assert_eq!(restored.versions, before.versions);

    f.clock.advance(Duration::days(60));
    assert!(f.service.purge_due().await.unwrap().is_empty());
    assert_eq!(f.get("keep/me").await.unwrap(), "precious");

    // The default window is 30 days.
    let deleted = f
        .service
        .delete_secret(&scope(), "keep/me", None, false)
        .await
        .unwrap();
    assert_eq!(deleted.deletion_date, f.service.now() + Duration::days(30));
    f.clock
        .advance(Duration::days(30) - Duration::milliseconds(1));
    assert!(f.service.purge_due().await.unwrap().is_empty());
    f.clock.advance(Duration::milliseconds(1));
    assert_eq!(f.service.purge_due().await.unwrap().len(), 1);
}

/// Purging one secret leaves the others, including those scheduled later.
#[tokio::test]
async fn purge_takes_only_the_due() {
    let f = fixture().await;
    let short = f.create("short", Some("a")).await;
    f.create("long", Some("b")).await;
    f.create("live", Some("c")).await;
    f.service
        .delete_secret(&scope(), "short", Some(7), false)
        .await
        .unwrap();
    f.service
        .delete_secret(&scope(), "long", Some(30), false)
        .await
        .unwrap();
    f.clock.advance(Duration::days(8));
    assert_eq!(f.service.purge_due().await.unwrap(), vec![short]);
    assert!(f.describe("long").await.is_deleted());
    assert_eq!(f.get("live").await.unwrap(), "c");
}

// ---------------------------------------------------------------------------------------------
// Version pruning
// ---------------------------------------------------------------------------------------------

/// Beyond 100 versions, unlabelled ones are removed oldest first, but only once they are older
/// than 24 hours; labelled ones never are.
#[tokio::test]
async fn versions_beyond_100_are_pruned_only_after_24_hours() {
    let f = fixture().await;
    f.create("busy", None).await;
    for i in 0..105 {
        f.clock.advance(Duration::seconds(1));
        let id = f
            .put("busy", &token(i), string(&format!("value {i}")))
            .await
            .unwrap();
        assert_eq!(id, token(i));
    }
    // A custom label on an old version protects it.
    f.service
        .update_secret_version_stage(
            &scope(),
            &UpdateSecretVersionStageInput {
                secret_id: "busy".into(),
                version_stage: "KEEP".into(),
                move_to_version_id: Some(token(1)),
                remove_from_version_id: None,
            },
        )
        .await
        .unwrap();

    // All 105 are younger than 24 hours: every one is kept.
    let all = f.versions("busy", true).await;
    assert_eq!(all.len(), 105);
    // Newest first.
    assert_eq!(all[0].version_id, token(104));
    assert_eq!(all[104].version_id, token(0));
    let labelled = f.versions("busy", false).await;
    let mut labelled_ids: Vec<String> = labelled.iter().map(|v| v.version_id.clone()).collect();
    labelled_ids.sort();
    assert_eq!(labelled_ids, vec![token(1), token(103), token(104)]);

    f.clock.advance(Duration::hours(25));
    f.put("busy", &token(105), string("value 105"))
        .await
        .unwrap();

    let record = f.describe("busy").await;
    assert_eq!(record.versions.len(), 100);
    let kept: Vec<&str> = record
        .versions
        .iter()
        .map(|v| v.version_id.as_str())
        .collect();
    // Oldest unlabelled first: 0, then (1 is labelled KEEP) 2, 3, 4, 5, 6.
    for removed in [0, 2, 3, 4, 5, 6] {
        assert!(!kept.contains(&token(removed).as_str()), "{removed} kept");
        let err = f
            .get_input(GetSecretValueInput {
                secret_id: "busy".into(),
                version_id: Some(token(removed)),
                version_stage: None,
            })
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NoValueForVersion(v) if *v == token(removed)),
            "{err:?}"
        );
    }
    for i in [1, 7, 103, 104, 105] {
        assert!(kept.contains(&token(i).as_str()), "{i} removed");
    }
    assert_eq!(
        record.version_with_stage(AWSCURRENT).unwrap().version_id,
        token(105)
    );
    assert_eq!(
        record.version_with_stage(AWSPREVIOUS).unwrap().version_id,
        token(104)
    );
    assert_eq!(
        record.version_with_stage("KEEP").unwrap().version_id,
        token(1)
    );
    assert_eq!(
        f.get_input(GetSecretValueInput {
            secret_id: "busy".into(),
            version_id: None,
            version_stage: Some("KEEP".into()),
        })
        .await
        .unwrap(),
        "value 1"
    );
    assert_eq!(f.versions("busy", true).await.len(), 100);
}

/// The grace period is "less than 24 hours": a version exactly 24 hours old may be removed,
/// as a secret is purged exactly when its recovery window ends.
#[tokio::test]
async fn a_version_exactly_24_hours_old_may_be_pruned() {
    let f = fixture().await;
    f.create("edge", None).await;
    f.put("edge", &token(0), string("oldest")).await.unwrap();
    f.clock
        .advance(Duration::hours(24) - Duration::milliseconds(1));
    for i in 1..100 {
        f.put("edge", &token(i), string("younger")).await.unwrap();
    }
    f.clock.advance(Duration::milliseconds(1));
    // 101 versions; the only unlabelled one of age >= 24 h is token(0), exactly 24 h old.
    f.put("edge", &token(100), string("newest")).await.unwrap();
    let record = f.describe("edge").await;
    assert_eq!(
        record.versions.len(),
        100,
        "the 24-hour-old version was kept"
    );
    assert!(record.version(&token(0)).is_none());
}

/// When every unlabelled version beyond 100 is young, nothing is removed, even a day later for
/// those still young.
#[tokio::test]
async fn young_versions_survive_pruning() {
    let f = fixture().await;
    f.create("young", None).await;
    for i in 0..50 {
        f.put("young", &token(i), string("old")).await.unwrap();
    }
    f.clock.advance(Duration::hours(25));
    for i in 50..103 {
        f.put("young", &token(i), string("new")).await.unwrap();
    }
    // 103 versions: 3 excess, and 48 old unlabelled candidates: the three oldest go.
    let record = f.describe("young").await;
    assert_eq!(record.versions.len(), 100);
    for removed in 0..3 {
        assert!(record.version(&token(removed)).is_none());
    }
    // Now only young versions would be candidates beyond the old ones left: put more; old
    // unlabelled ones go first, and the young are kept even when over the limit.
    for i in 103..160 {
        f.put("young", &token(i), string("newer")).await.unwrap();
    }
    let record = f.describe("young").await;
    // 47 old versions (3..50) could be removed; every one of them is.
    assert!((3..50).all(|i| record.version(&token(i)).is_none()));
    assert_eq!(record.versions.len(), 160 - 50);
}

// ---------------------------------------------------------------------------------------------
// LastAccessedDate
// ---------------------------------------------------------------------------------------------

/// LastAccessedDate is midnight UTC of the day of the last GetSecretValue; a describe or a
/// listing is not an access.
#[tokio::test]
async fn last_accessed_date_has_day_granularity() {
    let f = fixture().await;
    f.create("read/me", Some("v")).await;
    let today = Utc.with_ymd_and_hms(2024, 3, 10, 0, 0, 0).unwrap();
    let tomorrow = today + Duration::days(1);
    assert_eq!(f.describe("read/me").await.last_accessed, None);

    f.get("read/me").await.unwrap();
    let record = f.describe("read/me").await;
    assert_eq!(record.last_accessed, Some(today));
    assert_eq!(record.versions[0].last_accessed, Some(today));

    // Later the same day: unchanged.
    f.clock.advance(Duration::hours(8));
    f.get("read/me").await.unwrap();
    assert_eq!(f.describe("read/me").await.last_accessed, Some(today));

    // Past midnight: describing and listing do not count as an access…
    f.clock.advance(Duration::hours(1));
    assert_eq!(f.describe("read/me").await.last_accessed, Some(today));
    let listed = f
        .service
        .list_secrets(&scope(), &ListSecretsInput::default())
        .await
        .unwrap();
    assert_eq!(listed.secrets[0].last_accessed, Some(today));
    f.versions("read/me", true).await;
    assert_eq!(f.describe("read/me").await.last_accessed, Some(today));

    // …and the next read does.
    f.get("read/me").await.unwrap();
    let record = f.describe("read/me").await;
    assert_eq!(record.last_accessed, Some(tomorrow));
    assert_eq!(record.versions[0].last_accessed, Some(tomorrow));
    // Reading does not count as a change.
    assert_eq!(record.last_changed, start());
}

/// Reading one version records the access on that version only.
#[tokio::test]
async fn last_accessed_date_is_per_version() {
    let f = fixture().await;
    f.create("two", Some("one")).await;
    f.clock.advance(Duration::days(1));
    f.put("two", &token(2), string("two")).await.unwrap();
    f.get_input(GetSecretValueInput {
        secret_id: "two".into(),
        version_stage: Some(AWSPREVIOUS.into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let record = f.describe("two").await;
    let day = Utc.with_ymd_and_hms(2024, 3, 11, 0, 0, 0).unwrap();
    assert_eq!(record.last_accessed, Some(day));
    let previous = record.version_with_stage(AWSPREVIOUS).unwrap();
    let current = record.version_with_stage(AWSCURRENT).unwrap();
    assert_eq!(previous.last_accessed, Some(day));
    assert_eq!(current.last_accessed, None);
}

// ---------------------------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------------------------

/// A retried PutSecretValue (same token, same value) returns the same version and adds none;
/// the same token with another value is refused and changes nothing.
#[tokio::test]
async fn put_secret_value_is_idempotent_per_token() {
    let f = fixture().await;
    f.create("idem", Some("v0")).await;
    let t = token(7);
    let first = f.put("idem", &t, string("v1")).await.unwrap();
    let before = f.describe("idem").await;
    f.clock.advance(Duration::minutes(5));
    let again = f.put("idem", &t, string("v1")).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(f.describe("idem").await, before);
    assert_eq!(f.versions("idem", true).await.len(), 2);

    let err = f
        .put("idem", &t, string("v1 but different"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::VersionExists(v, _) if *v == t),
        "{err:?}"
    );
    // Same bytes, other kind: a different value too.
    let err = f.put("idem", &t, binary(b"v1")).await.unwrap_err();
    assert!(
        matches!(&err, Error::VersionExists(v, _) if *v == t),
        "{err:?}"
    );
    assert_eq!(f.describe("idem").await, before);
    assert_eq!(f.get("idem").await.unwrap(), "v1");
    // (That read set LastAccessedDate.)
    let before = f.describe("idem").await;

    // A retry with custom stages is still a no-op: labels stay where they are.
    f.put_staged("idem", &t, string("v1"), Some(&["BLUE"]))
        .await
        .unwrap();
    assert_eq!(f.describe("idem").await, before);
}

/// CreateSecret and UpdateSecret honour the token the same way.
#[tokio::test]
async fn create_and_update_are_idempotent_per_token() {
    let f = fixture().await;
    let input = |value: &str| CreateSecretInput {
        name: "made".into(),
        client_request_token: Some(token(1)),
        value: Some(string(value)),
        ..Default::default()
    };
    let first = f.service.create_secret(&scope(), input("a")).await.unwrap();
    let again = f.service.create_secret(&scope(), input("a")).await.unwrap();
    assert_eq!(first, again);
    let err = f
        .service
        .create_secret(&scope(), input("b"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::VersionExists(t, arn) if *t == token(1) && *arn == first.arn),
        "{err:?}"
    );

    let update = |value: &str| UpdateSecretInput {
        secret_id: "made".into(),
        client_request_token: Some(token(2)),
        value: Some(string(value)),
        ..Default::default()
    };
    let u1 = f
        .service
        .update_secret(&scope(), update("c"))
        .await
        .unwrap();
    let after_first = f.describe("made").await;
    let u2 = f
        .service
        .update_secret(&scope(), update("c"))
        .await
        .unwrap();
    assert_eq!(u1, u2);
    assert_eq!(u1.version_id, Some(token(2)));
    assert_eq!(f.describe("made").await.versions, after_first.versions);
    let err = f
        .service
        .update_secret(&scope(), update("d"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::VersionExists(v, _) if *v == token(2)),
        "{err:?}"
    );
    assert_eq!(f.versions("made", true).await.len(), 2);
    assert_eq!(f.get("made").await.unwrap(), "c");
}

// ---------------------------------------------------------------------------------------------
// Encryption at rest
// ---------------------------------------------------------------------------------------------

/// Another root key over the same store cannot read any value, and says so with
/// DecryptionFailure; the metadata stays readable.
#[tokio::test]
async fn another_root_key_cannot_decrypt() {
    let f = fixture().await;
    f.create("sealed", Some("for the first key only")).await;
    let intruder = service_over(
        f.store.clone(),
        Keyring::generate_root_key().unwrap(),
        f.clock.clone(),
    );
    let err = intruder
        .get_secret_value(
            &scope(),
            &GetSecretValueInput {
                secret_id: "sealed".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DecryptionFailure), "{err:?}");
    assert_eq!(
        intruder
            .describe_secret(&scope(), "sealed")
            .await
            .unwrap()
            .name,
        "sealed"
    );
    // Nor can it take over a token: the idempotency check needs the old value.
    let err = intruder
        .put_secret_value(
            &scope(),
            PutSecretValueInput {
                secret_id: "sealed".into(),
                client_request_token: Some(format!("{:0>36}", "sealed".len())),
                value: Some(string("for the first key only")),
                version_stages: None,
                rotation_token: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DecryptionFailure), "{err:?}");

    // The same root key in a second keyring (another node) reads it.
    let root = Keyring::generate_root_key().unwrap();
    let a = service_over(f.store.clone(), root.clone(), f.clock.clone());
    let b = service_over(f.store.clone(), root, f.clock.clone());
    a.create_secret(
        &scope(),
        CreateSecretInput {
            name: "shared-key".into(),
            client_request_token: Some(token(1)),
            value: Some(string("both nodes")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let out = b
        .get_secret_value(
            &scope(),
            &GetSecretValueInput {
                secret_id: "shared-key".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(text_of(&out.value), "both nodes");
}

/// A value bound into a tampering statement.
enum Bind {
    Blob(Vec<u8>),
    Text(String),
}

/// Runs `sql` with `binds` directly against the database file, as an attacker or a bad disk
/// would.
async fn tamper(path: &Path, sql: &'static str, binds: &[Bind]) {
    let pool =
        sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(path))
            .await
            .unwrap();
    let mut query = sqlx::query(sql);
    for b in binds {
        query = match b {
            Bind::Blob(blob) => query.bind(blob.clone()),
            Bind::Text(text) => query.bind(text.clone()),
        };
    }
    let done = query.execute(&pool).await.unwrap();
    assert!(done.rows_affected() > 0, "tampering changed nothing");
    pool.close().await;
}

async fn column(path: &Path, sql: &'static str, version_id: &str) -> Vec<u8> {
    let pool =
        sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(path))
            .await
            .unwrap();
    let value: Vec<u8> = sqlx::query_scalar(sql)
        .bind(version_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    value
}

/// A flipped bit in the stored ciphertext or in the wrapped data key, a changed value kind, or
/// a ciphertext moved from another version: each is a DecryptionFailure, never garbage.
#[tokio::test]
async fn tampered_rows_fail_to_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    // The file is changed behind the store's back, so the store must not answer from its cache.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap().without_cache());
    let f = fixture_on(store).await;
    let read = |version_id: &str| GetSecretValueInput {
        secret_id: "target".into(),
        version_id: Some(version_id.to_owned()),
        version_stage: None,
    };
    let create_token = format!("{:0>36}", "target".len());
    f.create("target", Some("the real value")).await;
    f.put("target", &token(2), string("another value"))
        .await
        .unwrap();
    assert_eq!(
        f.get_input(read(&create_token)).await.unwrap(),
        "the real value"
    );

    // One byte of the value's ciphertext (past the nonce) flipped.
    let original = column(
        &path,
        "SELECT ciphertext FROM versions WHERE version_id = ?",
        &create_token,
    )
    .await;
    let mut flipped = original.clone();
    flipped[14] ^= 0x01;
    tamper(
        &path,
        "UPDATE versions SET ciphertext = ? WHERE version_id = ?",
        &[Bind::Blob(flipped), Bind::Text(create_token.clone())],
    )
    .await;
    let err = f.get_input(read(&create_token)).await.unwrap_err();
    assert!(matches!(err, Error::DecryptionFailure), "{err:?}");
    // The other version is intact.
    assert_eq!(f.get("target").await.unwrap(), "another value");

    // Restored, it reads again; then the last byte (the tag) flipped.
    let mut tag_flipped = original.clone();
    *tag_flipped.last_mut().unwrap() ^= 0x80;
    tamper(
        &path,
        "UPDATE versions SET ciphertext = ? WHERE version_id = ?",
        &[
            Bind::Blob(original.clone()),
            Bind::Text(create_token.clone()),
        ],
    )
    .await;
    assert_eq!(
        f.get_input(read(&create_token)).await.unwrap(),
        "the real value"
    );
    tamper(
        &path,
        "UPDATE versions SET ciphertext = ? WHERE version_id = ?",
        &[Bind::Blob(tag_flipped), Bind::Text(create_token.clone())],
    )
    .await;
    assert!(matches!(
        f.get_input(read(&create_token)).await,
        Err(Error::DecryptionFailure)
    ));
    tamper(
        &path,
        "UPDATE versions SET ciphertext = ? WHERE version_id = ?",
        &[
            Bind::Blob(original.clone()),
            Bind::Text(create_token.clone()),
        ],
    )
    .await;

    // The wrapped data key flipped.
    let wrapped = column(
        &path,
        "SELECT wrapped_key FROM versions WHERE version_id = ?",
        &create_token,
    )
    .await;
    let mut bad_key = wrapped.clone();
    bad_key[20] ^= 0x10;
    tamper(
        &path,
        "UPDATE versions SET wrapped_key = ? WHERE version_id = ?",
        &[Bind::Blob(bad_key), Bind::Text(create_token.clone())],
    )
    .await;
    assert!(matches!(
        f.get_input(read(&create_token)).await,
        Err(Error::DecryptionFailure)
    ));
    tamper(
        &path,
        "UPDATE versions SET wrapped_key = ? WHERE version_id = ?",
        &[
            Bind::Blob(wrapped.clone()),
            Bind::Text(create_token.clone()),
        ],
    )
    .await;

    // The kind switched from string to binary: bound into the associated data.
    tamper(
        &path,
        "UPDATE versions SET kind = 'binary' WHERE version_id = ?",
        &[Bind::Text(create_token.clone())],
    )
    .await;
    assert!(matches!(
        f.get_input(read(&create_token)).await,
        Err(Error::DecryptionFailure)
    ));
    tamper(
        &path,
        "UPDATE versions SET kind = 'string' WHERE version_id = ?",
        &[Bind::Text(create_token.clone())],
    )
    .await;
    assert_eq!(
        f.get_input(read(&create_token)).await.unwrap(),
        "the real value"
    );

    // The other version's sealed value copied over this one: bound to its version id.
    let other_ct = column(
        &path,
        "SELECT ciphertext FROM versions WHERE version_id = ?",
        &token(2),
    )
    .await;
    let other_key = column(
        &path,
        "SELECT wrapped_key FROM versions WHERE version_id = ?",
        &token(2),
    )
    .await;
    tamper(
        &path,
        "UPDATE versions SET ciphertext = ?, wrapped_key = ? WHERE version_id = ?",
        &[
            Bind::Blob(other_ct),
            Bind::Blob(other_key),
            Bind::Text(create_token.clone()),
        ],
    )
    .await;
    assert!(matches!(
        f.get_input(read(&create_token)).await,
        Err(Error::DecryptionFailure)
    ));
}

/// A sealed value moved to another secret (same version id) is refused: the secret's id is in
/// the associated data.
#[tokio::test]
async fn values_cannot_move_between_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
    let f = fixture_on(store).await;
    for (name, value) in [("left", "left value"), ("right", "right value")] {
        f.service
            .create_secret(
                &scope(),
                CreateSecretInput {
                    name: name.into(),
                    client_request_token: Some(token(1)),
                    value: Some(string(value)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let left_id = f.describe("left").await.id;
    let right_id = f.describe("right").await.id;
    tamper(
        &path,
        "UPDATE versions SET ciphertext = (SELECT ciphertext FROM versions WHERE secret_id = ?1), \
         wrapped_key = (SELECT wrapped_key FROM versions WHERE secret_id = ?1) WHERE secret_id = ?2",
        &[Bind::Text(left_id), Bind::Text(right_id)],
    )
    .await;
    assert_eq!(f.get("left").await.unwrap(), "left value");
    assert!(matches!(
        f.get("right").await,
        Err(Error::DecryptionFailure)
    ));
}

// ---------------------------------------------------------------------------------------------
// Access keys
// ---------------------------------------------------------------------------------------------

/// A created access key is found again with its secret and principal; an unknown one is not.
#[tokio::test]
async fn access_keys_round_trip_through_the_keyring() {
    let f = fixture().await;
    let account = AccountId::parse("123456789012").unwrap();
    let created = f.service.create_access_key(&account).await.unwrap();
    assert!(created.access_key_id.starts_with("AKIA"));
    assert_eq!(created.access_key_id.len(), 20);
    assert_eq!(created.secret_access_key.len(), 40);

    let (principal, secret) = f
        .service
        .lookup_access_key(&created.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(principal.account, account);
    assert_eq!(principal.arn, "arn:aws:iam::123456789012:root");
    assert_eq!(*secret, *created.secret_access_key);
    assert!(f
        .service
        .lookup_access_key("AKIAUNKNOWNUNKNOWN00")
        .await
        .unwrap()
        .is_none());

    // The secret half is not stored in the clear.
    let stored = f
        .store
        .find_access_key(&created.access_key_id)
        .await
        .unwrap()
        .unwrap();
    let plain = created.secret_access_key.as_bytes();
    assert!(!stored
        .sealed_secret
        .ciphertext
        .windows(plain.len())
        .any(|w| w == plain));

    // A second key for the same account; both listed.
    let second = f.service.create_access_key(&account).await.unwrap();
    let mut listed = f.service.list_access_keys(&account).await.unwrap();
    listed.sort();
    let mut expected = vec![created.access_key_id.clone(), second.access_key_id];
    expected.sort();
    assert_eq!(listed, expected);

    // Another root key cannot open it.
    let other = service_over(
        f.store.clone(),
        Keyring::generate_root_key().unwrap(),
        f.clock.clone(),
    );
    assert!(matches!(
        other.lookup_access_key(&created.access_key_id).await,
        Err(Error::DecryptionFailure)
    ));
}

/// Initialisation creates the first account and its key exactly once.
#[tokio::test]
async fn initialize_runs_once() {
    let f = fixture().await;
    let (account, credentials) = f.service.initialize().await.unwrap().unwrap();
    assert_eq!(
        f.store.list_accounts().await.unwrap(),
        vec![account.clone()]
    );
    let (principal, _) = f
        .service
        .lookup_access_key(&credentials.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(principal.account, account);
    assert!(f.service.initialize().await.unwrap().is_none());
    assert_eq!(f.store.list_accounts().await.unwrap().len(), 1);
}

/// Filters the store does not apply (here a tag key) are applied by the service over batches
/// of the listing: pages that need several batches to fill, or that end in the middle of one,
/// hold exactly the matching secrets, newest first, none twice, and the last page says there
/// is no next one.
#[tokio::test]
async fn list_secrets_filters_across_store_batches() {
    use coffer_core::filter::{Filter, FilterKey};

    let f = fixture().await;
    let mut expected = Vec::new();
    for i in 0..1300 {
        let name = format!("batch/{i:04}");
        let tags = if i % 97 == 0 {
            vec![("wanted".to_owned(), "yes".to_owned())]
        } else {
            Vec::new()
        };
        if !tags.is_empty() {
            expected.push(name.clone());
        }
        f.service
            .create_secret(
                &scope(),
                CreateSecretInput {
                    name,
                    tags,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        // A distinct creation time each, so that the default order (oldest first) is this one.
        f.clock.advance(Duration::milliseconds(1));
    }
    assert_eq!(expected.len(), 14);
    for page in [1, 3, 14, 100] {
        let mut listed = Vec::new();
        let mut next_token = None;
        loop {
            let out = f
                .service
                .list_secrets(
                    &scope(),
                    &ListSecretsInput {
                        max_results: Some(page),
                        next_token: next_token.take(),
                        filters: vec![Filter {
                            key: FilterKey::TagKey,
                            values: vec!["want".into()],
                        }],
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert!(out.secrets.len() <= page);
            listed.extend(out.secrets.into_iter().map(|r| r.name));
            match out.next_token {
                Some(token) => next_token = Some(token),
                None => break,
            }
        }
        assert_eq!(listed, expected, "page size {page}");
    }
}
