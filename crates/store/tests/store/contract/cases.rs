//! The contract cases, one `async fn(Arc<dyn Store>)` each, with the fixtures they share. A case
//! starts from an empty store and may assume nothing else about the engine.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use coffer_core::error::Error;
use coffer_core::model::{
    AccessKeyRecord, DeleteOutcome, LoginProfileRecord, NewVersion, PrincipalKind, PrincipalRecord,
    SealedValue, SecretRecord, ValueKind, VersionMeta,
};
use coffer_core::names::{AccountId, Candidate, Region, Scope, AWSCURRENT, AWSPREVIOUS};
use coffer_core::store::{AuditHead, ListOrder, PageQuery, Store};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// A fixed instant with a millisecond part, the precision every engine must keep.
const T0_MS: i64 = 1_710_084_600_123;

/// `T0` plus `ms` milliseconds.
pub fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(T0_MS + ms).unwrap()
}

/// An account and region.
pub fn scope(account: &str, region: &str) -> Scope {
    Scope {
        account: AccountId::parse(account).unwrap(),
        region: Region::parse(region).unwrap(),
    }
}

/// The scope most cases work in.
pub fn home() -> Scope {
    scope("123456789012", "us-east-1")
}

/// The same account in another region.
fn other_region() -> Scope {
    scope("123456789012", "eu-west-1")
}

/// Another account in the same region.
fn other_account() -> Scope {
    scope("210987654321", "us-east-1")
}

/// Ids and suffixes unique across the test binary, so that no two records collide by accident.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A live secret without versions or tags, created at `T0`.
pub fn record(scope: &Scope, name: &str) -> SecretRecord {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    SecretRecord {
        id: format!("00000000-0000-4000-8000-{n:012}"),
        scope: scope.clone(),
        name: name.to_owned(),
        suffix: format!("Sx{:04}", n % 10_000),
        description: None,
        kms_key_id: None,
        created: at(0),
        last_changed: at(0),
        last_accessed: None,
        deleted: None,
        deletion_due: None,
        tags: Vec::new(),
        tagged: false,
        resource_policy: None,
        versions: Vec::new(),
        rotation: None,
    }
}

/// A sealed value whose bytes cover every byte value (NUL and high bytes included), so that an
/// engine that stores blobs as text would be caught.
pub fn sealed(tag: &str, kind: ValueKind) -> SealedValue {
    let noise: Vec<u8> = (0..=255u8).chain(tag.bytes()).collect();
    SealedValue {
        key_id: "aws/secretsmanager".into(),
        wrapped_key: [b"wrap:".as_slice(), tag.as_bytes(), &noise[..60]].concat(),
        ciphertext: [noise.as_slice(), tag.as_bytes()].concat(),
        kind,
    }
}

/// Appends a version's metadata to `record` and returns the matching [`NewVersion`].
pub fn with_version(
    record: &mut SecretRecord,
    version_id: &str,
    created: DateTime<Utc>,
    stages: &[&str],
) -> NewVersion {
    record.versions.push(VersionMeta {
        version_id: version_id.to_owned(),
        created,
        stages: stages.iter().map(|s| s.to_string()).collect(),
        kms_key_id: None,
        last_accessed: None,
    });
    NewVersion {
        version_id: version_id.to_owned(),
        sealed: sealed(&format!("{}:{version_id}", record.id), ValueKind::String),
    }
}

/// Candidates for a plain name.
pub fn by_name(name: &str) -> Vec<Candidate> {
    vec![Candidate {
        name: name.to_owned(),
        suffix: None,
    }]
}

/// Candidates as a full ARN `<name>-<suffix>` produces them: the name with the suffix, then the
/// whole resource as a name.
fn by_full_arn(name: &str, suffix: &str) -> Vec<Candidate> {
    vec![
        Candidate {
            name: name.to_owned(),
            suffix: Some(suffix.to_owned()),
        },
        Candidate {
            name: format!("{name}-{suffix}"),
            suffix: None,
        },
    ]
}

/// Finds a secret that must exist.
async fn get(store: &dyn Store, scope: &Scope, name: &str) -> SecretRecord {
    store
        .find_secret(scope, &by_name(name))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("secret {name} not found"))
}

/// Inserts a secret with versions `v1..=count`, the last one AWSCURRENT and the one before it
/// AWSPREVIOUS, each a second newer than the one before. Returns it as inserted (only the first
/// version goes in with the insert; the rest through one update).
async fn seeded(store: &dyn Store, scope: &Scope, name: &str, count: usize) -> SecretRecord {
    let mut secret = record(scope, name);
    let first = with_version(&mut secret, "v1", at(0), &[AWSCURRENT]);
    store.insert_secret(&secret, Some(&first)).await.unwrap();
    if count > 1 {
        let mut expected = secret.clone();
        let mut news = Vec::new();
        for v in &mut expected.versions {
            v.stages.clear();
        }
        for i in 2..=count {
            news.push(with_version(
                &mut expected,
                &format!("v{i}"),
                at(1000 * i as i64),
                &[],
            ));
        }
        expected.versions[count - 1].stages = vec![AWSCURRENT.into()];
        expected.versions[count - 2].stages = vec![AWSPREVIOUS.into()];
        let target = expected.clone();
        let written = store
            .update_secret(scope, &by_name(name), &mut |r, nv| {
                *r = target.clone();
                nv.extend(news.iter().cloned());
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(written, expected);
        secret = expected;
    }
    secret
}

fn names(records: &[SecretRecord]) -> BTreeSet<String> {
    records.iter().map(|r| r.name.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// insert_secret and find_secret
// ---------------------------------------------------------------------------------------------

/// Every field of a record survives the round trip: dates to the millisecond, tags in order
/// (keys case-sensitive), labels in the order attached, the first version's metadata.
pub async fn insert_then_find_returns_the_record(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let mut secret = record(&home(), "db/prod_a+b=c.d@e-f");
    secret.description = Some("The production database, ünïcødé too".into());
    secret.kms_key_id = Some("alias/aws/secretsmanager".into());
    secret.created = at(1);
    secret.last_changed = at(2);
    secret.last_accessed = Some(at(-T0_MS % 86_400_000));
    secret.tags = vec![
        ("Team".into(), "core".into()),
        ("Env".into(), "prod".into()),
        ("env".into(), "lower-case key is another key".into()),
        ("empty".into(), String::new()),
    ];
    let first = with_version(
        &mut secret,
        "v-first",
        at(1),
        &["BLUE", AWSCURRENT, "GREEN"],
    );
    secret.versions[0].kms_key_id = Some("alias/aws/secretsmanager".into());
    store.insert_secret(&secret, Some(&first)).await.unwrap();

    assert_eq!(get(store, &home(), &secret.name).await, secret);
    assert_eq!(
        store.read_sealed(&secret.id, "v-first").await.unwrap(),
        Some(first.sealed)
    );

    // A secret without a value has no versions.
    let empty = record(&home(), "no/value");
    store.insert_secret(&empty, None).await.unwrap();
    assert_eq!(get(store, &home(), "no/value").await, empty);
}

/// A second live secret with the name is refused with the name in the error, and the first one
/// is untouched.
pub async fn insert_duplicate_live_name_fails(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let original = seeded(store, &home(), "dup", 1).await;
    let mut second = record(&home(), "dup");
    second.description = Some("second".into());
    let first = with_version(&mut second, "v-other", at(9), &[AWSCURRENT]);
    let err = store
        .insert_secret(&second, Some(&first))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::SecretExists(n) if n == "dup"),
        "{err:?}"
    );
    assert_eq!(get(store, &home(), "dup").await, original);
    assert_eq!(
        store.read_sealed(&second.id, "v-other").await.unwrap(),
        None
    );
    assert_eq!(store.list_secrets(&home(), true).await.unwrap().len(), 1);
}

/// A name held by a secret scheduled for deletion cannot be taken, with its own error.
pub async fn insert_name_scheduled_for_deletion_fails(store: Arc<dyn Store>) {
    let store = store.as_ref();
    seeded(store, &home(), "going", 1).await;
    let deleted = store
        .update_secret(&home(), &by_name("going"), &mut |r, _| {
            r.deleted = Some(at(10));
            r.deletion_due = Some(at(10 + 7 * 86_400_000));
            Ok(())
        })
        .await
        .unwrap();
    let err = store
        .insert_secret(&record(&home(), "going"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NameScheduledForDeletion), "{err:?}");
    assert_eq!(get(store, &home(), "going").await, deleted);
}

/// An insert that fails half-way (a first version missing from the record's metadata) leaves
/// nothing behind.
pub async fn insert_failure_writes_nothing(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let secret = record(&home(), "half");
    let orphan = NewVersion {
        version_id: "v-orphan".into(),
        sealed: sealed("orphan", ValueKind::String),
    };
    assert!(store.insert_secret(&secret, Some(&orphan)).await.is_err());
    assert_eq!(
        store.find_secret(&home(), &by_name("half")).await.unwrap(),
        None
    );
    assert_eq!(
        store.read_sealed(&secret.id, "v-orphan").await.unwrap(),
        None
    );
    // The name is still free.
    store.insert_secret(&secret, None).await.unwrap();
}

/// Each account and region is its own namespace.
pub async fn same_name_in_other_region_or_account(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let mut ids = Vec::new();
    for scope in [home(), other_region(), other_account()] {
        let secret = seeded(store, &scope, "shared/name", 1).await;
        ids.push((scope, secret.id));
    }
    for (scope, id) in &ids {
        assert_eq!(&get(store, scope, "shared/name").await.id, id);
        assert_eq!(store.list_secrets(scope, true).await.unwrap().len(), 1);
    }
    // Removing one leaves the others.
    store
        .remove_secret(&home(), &by_name("shared/name"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .find_secret(&home(), &by_name("shared/name"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(&get(store, &ids[1].0, "shared/name").await.id, &ids[1].1);
    assert_eq!(&get(store, &ids[2].0, "shared/name").await.id, &ids[2].1);
}

/// Candidates are tried in order; a candidate with a suffix matches only a secret with that
/// suffix, and when it does not match, the next candidate is tried.
pub async fn find_tries_candidates_in_order(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let mut app = record(&home(), "app");
    app.suffix = "AbC123".into();
    let mut dashed = record(&home(), "app-XyZ789");
    dashed.suffix = "Qq1111".into();
    let mut shadow = record(&home(), "app-AbC123");
    shadow.suffix = "Zz9999".into();
    for r in [&app, &dashed, &shadow] {
        store.insert_secret(r, None).await.unwrap();
    }
    let find = |c: Vec<Candidate>| async move { store.find_secret(&home(), &c).await.unwrap() };

    // The suffix does not match "app": falls through to the secret named "app-XyZ789".
    assert_eq!(
        find(by_full_arn("app", "XyZ789")).await.map(|r| r.id),
        Some(dashed.id.clone())
    );
    // The suffix matches: the first candidate wins over a secret named like the whole resource.
    assert_eq!(
        find(by_full_arn("app", "AbC123")).await.map(|r| r.id),
        Some(app.id.clone())
    );
    // Nothing matches.
    assert_eq!(find(by_full_arn("app", "WRONG1")).await, None);
    assert_eq!(
        find(vec![Candidate {
            name: "app".into(),
            suffix: Some("WRONG1".into())
        }])
        .await,
        None
    );
    assert_eq!(find(Vec::new()).await, None);
    // Names are case-sensitive.
    assert_eq!(find(by_name("APP")).await, None);

    // update_secret and remove_secret resolve the same way.
    let updated = store
        .update_secret(&home(), &by_full_arn("app", "XyZ789"), &mut |r, _| {
            r.description = Some("reached by fall-through".into());
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(updated.id, dashed.id);
    assert_eq!(get(store, &home(), "app").await, app);
    let removed = store
        .remove_secret(&home(), &by_full_arn("app", "AbC123"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(removed.id, app.id);
    assert_eq!(get(store, &home(), "app-AbC123").await, shadow);
}

// ---------------------------------------------------------------------------------------------
// update_secret
// ---------------------------------------------------------------------------------------------

/// A mutation's changes are written as a whole: metadata, tags in their new order, labels, and
/// a new version with its sealed value. The returned record is what a later find returns.
pub async fn update_changes_metadata_tags_labels_and_adds_versions(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let mut secret = record(&home(), "mutable");
    secret.tags = vec![("a".into(), "1".into()), ("b".into(), "2".into())];
    let first = with_version(&mut secret, "v1", at(0), &[AWSCURRENT]);
    store.insert_secret(&secret, Some(&first)).await.unwrap();

    let mut expected = secret.clone();
    expected.description = Some("new description".into());
    expected.kms_key_id = Some("alias/aws/secretsmanager".into());
    expected.last_changed = at(5000);
    expected.tags = vec![
        ("b".into(), "20".into()),
        ("a".into(), "1".into()),
        ("c".into(), "3".into()),
    ];
    let second = with_version(&mut expected, "v2", at(5000), &["GREEN", AWSCURRENT]);
    expected.versions[0].stages = vec![AWSPREVIOUS.into(), "BLUE".into()];
    let target = expected.clone();
    let news = [second.clone()];
    let written = store
        .update_secret(&home(), &by_name("mutable"), &mut |r, nv| {
            *r = target.clone();
            nv.extend(news.iter().cloned());
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(written, expected);
    assert_eq!(get(store, &home(), "mutable").await, expected);
    assert_eq!(
        store.read_sealed(&secret.id, "v2").await.unwrap(),
        Some(second.sealed)
    );
    assert_eq!(
        store.read_sealed(&secret.id, "v1").await.unwrap(),
        Some(first.sealed)
    );

    // Clearing: no description, no tags, a label removed.
    let cleared = store
        .update_secret(&home(), &by_name("mutable"), &mut |r, _| {
            r.description = None;
            r.kms_key_id = None;
            r.tags.clear();
            r.versions[0].stages.retain(|s| s != "BLUE");
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(cleared.description, None);
    assert!(cleared.tags.is_empty());
    assert_eq!(cleared.versions[0].stages, vec![AWSPREVIOUS.to_string()]);
    assert_eq!(get(store, &home(), "mutable").await, cleared);

    // A mutation that changes nothing writes nothing and returns the record as it is.
    let same = store
        .update_secret(&home(), &by_name("mutable"), &mut |_, _| Ok(()))
        .await
        .unwrap();
    assert_eq!(same, cleared);
}

/// Versions the mutation drops are gone with their values and labels; the rest stay.
pub async fn update_drops_versions(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let secret = seeded(store, &home(), "pruned", 4).await;
    let written = store
        .update_secret(&home(), &by_name("pruned"), &mut |r, _| {
            r.versions
                .retain(|v| v.version_id != "v1" && v.version_id != "v2");
            Ok(())
        })
        .await
        .unwrap();
    let ids: Vec<&str> = written
        .versions
        .iter()
        .map(|v| v.version_id.as_str())
        .collect();
    assert_eq!(ids, ["v3", "v4"]);
    assert_eq!(get(store, &home(), "pruned").await, written);
    assert_eq!(store.read_sealed(&secret.id, "v1").await.unwrap(), None);
    assert_eq!(store.read_sealed(&secret.id, "v2").await.unwrap(), None);
    assert!(store.read_sealed(&secret.id, "v3").await.unwrap().is_some());

    // Dropping a labelled version takes its label with it.
    let written = store
        .update_secret(&home(), &by_name("pruned"), &mut |r, _| {
            r.versions.retain(|v| v.version_id != "v3");
            Ok(())
        })
        .await
        .unwrap();
    let found = get(store, &home(), "pruned").await;
    assert_eq!(found, written);
    assert_eq!(found.versions.len(), 1);
    assert_eq!(found.versions[0].stages, vec![AWSCURRENT.to_string()]);
    assert_eq!(found.version_with_stage(AWSPREVIOUS), None);
}

/// Updating a secret that does not exist fails without calling the mutation.
pub async fn update_not_found(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let mut called = false;
    let err = store
        .update_secret(&home(), &by_name("nobody"), &mut |_, _| {
            called = true;
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SecretNotFound), "{err:?}");
    assert!(!called);
    // Nor through an empty candidate list, nor from another scope.
    seeded(store, &home(), "somebody", 1).await;
    let err = store
        .update_secret(&home(), &[], &mut |_, _| Ok(()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SecretNotFound), "{err:?}");
    let err = store
        .update_secret(&other_region(), &by_name("somebody"), &mut |_, _| Ok(()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SecretNotFound), "{err:?}");
}

/// A mutation that changes everything and then fails writes nothing, and its error is returned
/// as is.
pub async fn failed_mutation_writes_nothing(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let before = seeded(store, &home(), "steady", 2).await;
    let err = store
        .update_secret(&home(), &by_name("steady"), &mut |r, nv| {
            r.description = Some("changed".into());
            r.tags.push(("k".into(), "v".into()));
            r.deleted = Some(at(1));
            r.deletion_due = Some(at(2));
            for v in &mut r.versions {
                v.stages.clear();
            }
            nv.push(with_version(r, "v-new", at(3), &[AWSCURRENT]));
            r.versions.retain(|v| v.version_id != "v1");
            Err(Error::InvalidParameter("refused by the mutation".into()))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidParameter(m) if m == "refused by the mutation"),
        "{err:?}"
    );
    assert_eq!(get(store, &home(), "steady").await, before);
    assert_eq!(store.read_sealed(&before.id, "v-new").await.unwrap(), None);
    assert!(store.read_sealed(&before.id, "v1").await.unwrap().is_some());
}

/// A label on two versions can never be written, whatever the mutation does: the store fails
/// the update (SQLite: the primary key on (secret, label) becomes `Error::Store`) and writes
/// nothing, neither the labels nor the other changes of the same mutation.
pub async fn buggy_mutation_cannot_break_label_uniqueness(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let before = seeded(store, &home(), "guarded", 2).await;

    // AWSCURRENT copied onto the AWSPREVIOUS version.
    let err = store
        .update_secret(&home(), &by_name("guarded"), &mut |r, _| {
            r.description = Some("must not be written".into());
            r.versions[0].stages.push(AWSCURRENT.into());
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(_) | Error::Internal(_)),
        "{err:?}"
    );
    assert_eq!(get(store, &home(), "guarded").await, before);

    // A new version given a label that stays on an old one.
    let err = store
        .update_secret(&home(), &by_name("guarded"), &mut |r, nv| {
            nv.push(with_version(r, "v3", at(9000), &[AWSPREVIOUS]));
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(_) | Error::Internal(_)),
        "{err:?}"
    );
    assert_eq!(get(store, &home(), "guarded").await, before);
    assert_eq!(store.read_sealed(&before.id, "v3").await.unwrap(), None);

    // One version listing the same label twice.
    let err = store
        .update_secret(&home(), &by_name("guarded"), &mut |r, _| {
            r.versions[1].stages.push(AWSCURRENT.into());
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(_) | Error::Internal(_)),
        "{err:?}"
    );
    assert_eq!(get(store, &home(), "guarded").await, before);
}

/// Version metadata without a sealed value, a sealed value without metadata, and a second value
/// for an existing version are all refused, and nothing is written.
pub async fn buggy_mutation_cannot_add_versions_without_values(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let before = seeded(store, &home(), "strict", 1).await;

    let err = store
        .update_secret(&home(), &by_name("strict"), &mut |r, _| {
            r.description = Some("must not be written".into());
            with_version(r, "v-meta-only", at(1), &[]);
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(_) | Error::Internal(_)),
        "{err:?}"
    );

    let err = store
        .update_secret(&home(), &by_name("strict"), &mut |r, nv| {
            r.description = Some("must not be written".into());
            nv.push(NewVersion {
                version_id: "v-value-only".into(),
                sealed: sealed("value-only", ValueKind::String),
            });
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(_) | Error::Internal(_)),
        "{err:?}"
    );

    let err = store
        .update_secret(&home(), &by_name("strict"), &mut |r, nv| {
            r.description = Some("must not be written".into());
            nv.push(NewVersion {
                version_id: "v1".into(),
                sealed: sealed("overwrite", ValueKind::Binary),
            });
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Store(_) | Error::Internal(_)),
        "{err:?}"
    );

    assert_eq!(get(store, &home(), "strict").await, before);
    assert_eq!(
        store.read_sealed(&before.id, "v-meta-only").await.unwrap(),
        None
    );
    assert_eq!(
        store.read_sealed(&before.id, "v-value-only").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .read_sealed(&before.id, "v1")
            .await
            .unwrap()
            .unwrap()
            .kind,
        ValueKind::String
    );
}

// ---------------------------------------------------------------------------------------------
// remove_secret, read_sealed, list_secrets, record_access, purge_due
// ---------------------------------------------------------------------------------------------

/// ForceDeleteWithoutRecovery's primitive: the record, its versions, values, labels and tags go
/// at once, and the name is free again.
pub async fn remove_secret_removes_everything(store: Arc<dyn Store>) {
    let store = store.as_ref();
    seeded(store, &home(), "doomed", 3).await;
    let before = store
        .update_secret(&home(), &by_name("doomed"), &mut |r, _| {
            r.tags = vec![("t".into(), "v".into())];
            Ok(())
        })
        .await
        .unwrap();
    let removed = store
        .remove_secret(&home(), &by_name("doomed"))
        .await
        .unwrap();
    assert_eq!(removed, Some(before.clone()));
    assert_eq!(
        store
            .find_secret(&home(), &by_name("doomed"))
            .await
            .unwrap(),
        None
    );
    for v in ["v1", "v2", "v3"] {
        assert_eq!(store.read_sealed(&before.id, v).await.unwrap(), None);
    }
    assert!(store.list_secrets(&home(), true).await.unwrap().is_empty());
    assert_eq!(
        store
            .remove_secret(&home(), &by_name("doomed"))
            .await
            .unwrap(),
        None
    );
    // The name can be taken again, with a version of the same id, and the new secret carries
    // nothing of the old one.
    let fresh = seeded(store, &home(), "doomed", 1).await;
    assert_eq!(get(store, &home(), "doomed").await, fresh);
    assert!(fresh.tags.is_empty());

    // A secret scheduled for deletion can be removed too.
    store
        .update_secret(&home(), &by_name("doomed"), &mut |r, _| {
            r.deleted = Some(at(1));
            r.deletion_due = Some(at(2));
            Ok(())
        })
        .await
        .unwrap();
    assert!(store
        .remove_secret(&home(), &by_name("doomed"))
        .await
        .unwrap()
        .is_some());
    assert!(store.list_secrets(&home(), true).await.unwrap().is_empty());
}

/// Sealed values come back byte for byte, for both kinds and at the largest size a value can
/// have, and only for the secret that owns the version.
pub async fn read_sealed_round_trips_bytes(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let mut secret = record(&home(), "bytes");
    let mut first = with_version(&mut secret, "v-bin", at(0), &[AWSCURRENT]);
    first.sealed.kind = ValueKind::Binary;
    first.sealed.ciphertext = (0..65_536 + 28).map(|i| (i * 7 % 256) as u8).collect();
    store.insert_secret(&secret, Some(&first)).await.unwrap();
    let second = with_version(&mut secret, "v-str", at(1), &[]);
    let news = [second.clone()];
    let target = secret.clone();
    store
        .update_secret(&home(), &by_name("bytes"), &mut |r, nv| {
            *r = target.clone();
            nv.extend(news.iter().cloned());
            Ok(())
        })
        .await
        .unwrap();

    assert_eq!(
        store.read_sealed(&secret.id, "v-bin").await.unwrap(),
        Some(first.sealed)
    );
    assert_eq!(
        store.read_sealed(&secret.id, "v-str").await.unwrap(),
        Some(second.sealed)
    );
    assert_eq!(store.read_sealed(&secret.id, "v-none").await.unwrap(), None);
    assert_eq!(
        store.read_sealed("no-such-secret", "v-bin").await.unwrap(),
        None
    );
    // Version ids are per secret: another secret's id does not reach this one's versions.
    let other = seeded(store, &home(), "other-bytes", 1).await;
    assert_eq!(store.read_sealed(&other.id, "v-bin").await.unwrap(), None);
}

/// Listing sees exactly its scope, loads each secret whole (its own versions and tags, nobody
/// else's), and shows secrets scheduled for deletion only when asked.
pub async fn list_secrets_isolates_scopes_and_hides_deleted(store: Arc<dyn Store>) {
    let store = store.as_ref();
    for (scope, name, versions) in [
        (home(), "a", 3),
        (home(), "b", 1),
        (home(), "c", 2),
        (other_region(), "a", 2),
        (other_account(), "z", 1),
    ] {
        seeded(store, &scope, name, versions).await;
        store
            .update_secret(&scope, &by_name(name), &mut |r, _| {
                r.tags = vec![("owner".into(), format!("{}/{}", r.scope.region, r.name))];
                Ok(())
            })
            .await
            .unwrap();
    }
    store
        .update_secret(&home(), &by_name("c"), &mut |r, _| {
            r.deleted = Some(at(1));
            r.deletion_due = Some(at(2));
            Ok(())
        })
        .await
        .unwrap();

    let live = store.list_secrets(&home(), false).await.unwrap();
    assert_eq!(names(&live), ["a", "b"].map(String::from).into());
    let all = store.list_secrets(&home(), true).await.unwrap();
    assert_eq!(names(&all), ["a", "b", "c"].map(String::from).into());
    for listed in &all {
        assert_eq!(listed, &get(store, &home(), &listed.name).await);
    }
    let there = store.list_secrets(&other_region(), true).await.unwrap();
    assert_eq!(there.len(), 1);
    assert_eq!(there[0], get(store, &other_region(), "a").await);
    assert_eq!(there[0].versions.len(), 2);
    assert_eq!(there[0].tags, vec![("owner".into(), "eu-west-1/a".into())]);
    assert_eq!(
        names(&store.list_secrets(&other_account(), false).await.unwrap()),
        ["z"].map(String::from).into()
    );
    assert!(store
        .list_secrets(&scope("999999999999", "us-east-1"), true)
        .await
        .unwrap()
        .is_empty());
}

/// Reads a whole listing page by page, `page` secrets at a time, each page starting after the
/// last secret of the one before, as ListSecrets' NextToken does.
pub async fn walk(
    store: &dyn Store,
    scope: &Scope,
    order: ListOrder,
    descending: bool,
    include_deleted: bool,
    name_prefixes: Option<&[String]>,
    page: usize,
) -> Vec<SecretRecord> {
    let mut all: Vec<SecretRecord> = Vec::new();
    loop {
        let after = all
            .last()
            .map(|last| (order.value_of(last), last.id.clone()));
        let read = store
            .list_secret_page(
                scope,
                &PageQuery {
                    include_deleted,
                    order,
                    descending,
                    after: after.as_ref().map(|(value, id)| (value, id.as_str())),
                    name_prefixes,
                    limit: page,
                },
            )
            .await
            .unwrap();
        assert!(read.len() <= page, "a page longer than its limit");
        let done = read.len() < page;
        all.extend(read);
        if done {
            return all;
        }
    }
}

/// What a listing must hold: every secret `list_secrets` returns whose name has one of the
/// prefixes, sorted by (value, id).
pub async fn expected_listing(
    store: &dyn Store,
    scope: &Scope,
    order: ListOrder,
    descending: bool,
    include_deleted: bool,
    name_prefixes: Option<&[String]>,
) -> Vec<SecretRecord> {
    let mut all: Vec<SecretRecord> = store
        .list_secrets(scope, include_deleted)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| name_prefixes.is_none_or(|p| p.iter().any(|p| r.name.starts_with(p.as_str()))))
        .collect();
    all.sort_by(|a, b| (order.value_of(a), &a.id).cmp(&(order.value_of(b), &b.id)));
    if descending {
        all.reverse();
    }
    all
}

/// Pages of a listing, in every order and direction, with and without secrets scheduled for
/// deletion and name prefixes, put together, are the scope's secrets sorted by (value, id):
/// ties on dates broken by id, a secret never read before every date, names byte by byte,
/// each record whole (versions, labels, tags), nothing of another scope.
pub async fn list_secret_page_walks_every_order(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let stems = ["app/", "app/db-", "web/", "z", "App/", "app"];
    for i in 0..36i64 {
        let name = format!("{}{:02}", stems[(i % 6) as usize], (i * 7) % 36);
        let mut secret = record(&home(), &name);
        secret.created = at(i % 5);
        secret.last_changed = at((i * 3) % 4);
        secret.last_accessed = (i % 3 != 0).then(|| at(86_400_000 * (i % 4)));
        if i % 8 == 0 {
            secret.deleted = Some(at(10));
            secret.deletion_due = Some(at(20));
        }
        secret.tags = vec![("n".into(), name.clone())];
        let first = with_version(&mut secret, "v1", at(0), &[AWSCURRENT]);
        store.insert_secret(&secret, Some(&first)).await.unwrap();
    }
    for (scope, name) in [
        (other_region(), "app/elsewhere"),
        (other_account(), "app/theirs"),
    ] {
        store
            .insert_secret(&record(&scope, name), None)
            .await
            .unwrap();
    }
    let prefixes: [Option<Vec<String>>; 4] = [
        None,
        Some(vec!["app/".into()]),
        Some(vec!["web/".into(), "z".into(), "app/db-".into()]),
        Some(vec!["nothing".into()]),
    ];
    for order in [
        ListOrder::Created,
        ListOrder::LastChanged,
        ListOrder::LastAccessed,
        ListOrder::Name,
    ] {
        for descending in [false, true] {
            for include_deleted in [false, true] {
                for prefix in &prefixes {
                    let prefix = prefix.as_deref();
                    let expected = expected_listing(
                        store,
                        &home(),
                        order,
                        descending,
                        include_deleted,
                        prefix,
                    )
                    .await;
                    for page in [1, 4, 100] {
                        let walked = walk(
                            store,
                            &home(),
                            order,
                            descending,
                            include_deleted,
                            prefix,
                            page,
                        )
                        .await;
                        assert_eq!(
                            walked, expected,
                            "{order:?} descending={descending} deleted={include_deleted} \
                             prefixes={prefix:?} page={page}"
                        );
                    }
                }
            }
        }
    }
    // The fixture exercises what it claims to.
    let all = expected_listing(store, &home(), ListOrder::Created, false, true, None).await;
    assert_eq!(all.len(), 36);
    assert!(all.iter().any(|r| r.last_accessed.is_none()));
    assert_eq!(all.iter().filter(|r| r.deleted.is_some()).count(), 5);
    let named = expected_listing(store, &home(), ListOrder::Name, false, true, None).await;
    assert_eq!(named[0].name, "App/04");
    assert_eq!(named.last().unwrap().name, "z33");
}

/// An access sets the day on the secret and on the version read, and nothing else.
pub async fn record_access_sets_the_day(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let before = seeded(store, &home(), "read-me", 2).await;
    let day1 = DateTime::from_timestamp(1_710_028_800, 0).unwrap();
    let day2 = day1 + chrono::Duration::days(1);

    store.record_access(&before.id, "v1", day1).await.unwrap();
    let after = get(store, &home(), "read-me").await;
    assert_eq!(after.last_accessed, Some(day1));
    assert_eq!(after.version("v1").unwrap().last_accessed, Some(day1));
    assert_eq!(after.version("v2").unwrap().last_accessed, None);
    assert_eq!(after.last_changed, before.last_changed);
    assert_eq!(after.versions.len(), 2);

    store.record_access(&before.id, "v2", day2).await.unwrap();
    let after = get(store, &home(), "read-me").await;
    assert_eq!(after.last_accessed, Some(day2));
    assert_eq!(after.version("v1").unwrap().last_accessed, Some(day1));
    assert_eq!(after.version("v2").unwrap().last_accessed, Some(day2));
    let mut expected = before.clone();
    expected.last_accessed = Some(day2);
    expected.versions[0].last_accessed = Some(day1);
    expected.versions[1].last_accessed = Some(day2);
    assert_eq!(after, expected);
}

/// Exactly the secrets whose recovery window ended at or before `now` are purged, in every
/// scope, with their versions; the ARNs of those purged are returned.
pub async fn purge_due_removes_only_due_secrets(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let now = at(30 * 86_400_000);
    let mut records = Vec::new();
    for (scope, name, due) in [
        (home(), "due-now", Some(now)),
        (
            home(),
            "due-long-ago",
            Some(now - chrono::Duration::days(3)),
        ),
        (
            home(),
            "due-next-ms",
            Some(now + chrono::Duration::milliseconds(1)),
        ),
        (other_region(), "due-now-elsewhere", Some(now)),
        (home(), "live", None),
    ] {
        seeded(store, &scope, name, 2).await;
        let r = store
            .update_secret(&scope, &by_name(name), &mut |r, _| {
                r.deleted = due.map(|d| d - chrono::Duration::days(7));
                r.deletion_due = due;
                Ok(())
            })
            .await
            .unwrap();
        records.push(r);
    }
    let purged: BTreeSet<String> = store.purge_due(now).await.unwrap().into_iter().collect();
    let expected: BTreeSet<String> = [&records[0], &records[1], &records[3]]
        .iter()
        .map(|r| r.arn())
        .collect();
    assert_eq!(purged, expected);
    for r in [&records[0], &records[1], &records[3]] {
        assert_eq!(
            store
                .find_secret(&r.scope, &by_name(&r.name))
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.read_sealed(&r.id, "v1").await.unwrap(), None);
    }
    assert_eq!(get(store, &home(), "due-next-ms").await, records[2]);
    assert_eq!(get(store, &home(), "live").await, records[4]);

    assert!(store.purge_due(now).await.unwrap().is_empty());
    assert_eq!(
        store
            .purge_due(now + chrono::Duration::milliseconds(1))
            .await
            .unwrap(),
        vec![records[2].arn()]
    );
    assert_eq!(
        names(&store.list_secrets(&home(), true).await.unwrap()),
        ["live"].map(String::from).into()
    );
    // The purged names are free again.
    seeded(store, &home(), "due-now", 1).await;
}

// ---------------------------------------------------------------------------------------------
// Accounts, access keys, ping, reset
// ---------------------------------------------------------------------------------------------

/// Ensuring an account twice keeps one account with its first creation date.
pub async fn accounts_are_idempotent_and_listed_oldest_first(store: Arc<dyn Store>) {
    let store = store.as_ref();
    assert!(store.list_accounts().await.unwrap().is_empty());
    let older = AccountId::parse("555555555555").unwrap();
    let newer = AccountId::parse("111111111111").unwrap();
    store.ensure_account(&older, at(1)).await.unwrap();
    store.ensure_account(&newer, at(2)).await.unwrap();
    // Again, with an earlier date: still the same account, still in its place.
    store.ensure_account(&newer, at(0)).await.unwrap();
    store.ensure_account(&older, at(3)).await.unwrap();
    assert_eq!(store.list_accounts().await.unwrap(), vec![older, newer]);
}

/// Access keys round-trip whole, are listed per account, and an id cannot be reused.
pub async fn access_keys_round_trip(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = AccountId::parse("123456789012").unwrap();
    let b = AccountId::parse("210987654321").unwrap();
    store.ensure_account(&a, at(0)).await.unwrap();
    store.ensure_account(&b, at(0)).await.unwrap();
    let key = |id: &str, account: &AccountId, created: i64, active: bool| AccessKeyRecord {
        access_key_id: id.into(),
        account: account.clone(),
        principal_arn: format!("arn:aws:iam::{account}:root"),
        user_name: None,
        sealed_secret: sealed(id, ValueKind::String),
        created: at(created),
        active,
    };
    let a1 = key("AKIAAAAAAAAAAAAAAAA1", &a, 10, true);
    let a2 = key("AKIAAAAAAAAAAAAAAAA2", &a, 5, false);
    let b1 = key("AKIABBBBBBBBBBBBBBB1", &b, 1, true);
    for k in [&a1, &a2, &b1] {
        store.insert_access_key(k).await.unwrap();
    }
    assert_eq!(
        store.find_access_key(&a1.access_key_id).await.unwrap(),
        Some(a1.clone())
    );
    assert_eq!(
        store.find_access_key(&a2.access_key_id).await.unwrap(),
        Some(a2.clone())
    );
    assert_eq!(
        store.find_access_key("AKIANOSUCHKEY0000000").await.unwrap(),
        None
    );

    let mut listed = store.list_access_keys(&a).await.unwrap();
    listed.sort_by(|x, y| x.access_key_id.cmp(&y.access_key_id));
    assert_eq!(listed, vec![a1.clone(), a2]);
    assert_eq!(store.list_access_keys(&b).await.unwrap(), vec![b1]);
    assert!(store
        .list_access_keys(&AccountId::parse("999999999999").unwrap())
        .await
        .unwrap()
        .is_empty());

    // The same id again is refused and the stored key is kept.
    let clash = key("AKIAAAAAAAAAAAAAAAA1", &b, 99, false);
    assert!(store.insert_access_key(&clash).await.is_err());
    assert_eq!(
        store.find_access_key(&a1.access_key_id).await.unwrap(),
        Some(a1)
    );
}

/// A healthy store answers.
pub async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
}

/// An audit trail's head: absent until recorded, then the last one recorded, one per trail.
pub async fn audit_heads_are_kept_per_trail(store: Arc<dyn Store>) {
    let head = |trail: &str, digest: char, ms: i64| AuditHead {
        trail: trail.to_owned(),
        digest: digest.to_string().repeat(64),
        updated: at(ms),
    };
    assert_eq!(store.audit_head("node-a:/audit.jsonl").await.unwrap(), None);
    store
        .put_audit_head(&head("node-a:/audit.jsonl", 'a', 1_000))
        .await
        .unwrap();
    store
        .put_audit_head(&head("node-b:/audit.jsonl", 'b', 2_000))
        .await
        .unwrap();
    store
        .put_audit_head(&head("node-a:/audit.jsonl", 'c', 3_000))
        .await
        .unwrap();
    assert_eq!(
        store.audit_head("node-a:/audit.jsonl").await.unwrap(),
        Some(head("node-a:/audit.jsonl", 'c', 3_000))
    );
    assert_eq!(
        store.audit_head("node-b:/audit.jsonl").await.unwrap(),
        Some(head("node-b:/audit.jsonl", 'b', 2_000))
    );
    assert_eq!(store.audit_head("node-c:/audit.jsonl").await.unwrap(), None);
}

/// Login profiles: one per user (its name compared ignoring case), create only when absent,
/// update only when present and for the same user id, creation date kept, delete once.
pub async fn login_profiles_round_trip(store: Arc<dyn Store>) {
    let account = AccountId::parse("123456789012").unwrap();
    store.ensure_account(&account, at(0)).await.unwrap();
    let profile = LoginProfileRecord {
        account: account.clone(),
        user_name: "Alice".into(),
        user_id: "AIDAALICE".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        password_reset_required: true,
        created: at(1_000),
    };
    assert_eq!(
        store.find_login_profile(&account, "alice").await.unwrap(),
        None
    );
    assert!(!store.put_login_profile(&profile, false).await.unwrap());
    assert!(store.put_login_profile(&profile, true).await.unwrap());
    assert!(!store.put_login_profile(&profile, true).await.unwrap());
    assert_eq!(
        store.find_login_profile(&account, "ALICE").await.unwrap(),
        Some(profile.clone())
    );
    let changed = LoginProfileRecord {
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdDI$aGFzaDI".into(),
        password_reset_required: false,
        created: at(9_000),
        ..profile.clone()
    };
    assert!(store.put_login_profile(&changed, false).await.unwrap());
    let found = store
        .find_login_profile(&account, "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            found.password_hash.as_str(),
            found.password_reset_required,
            found.created
        ),
        (changed.password_hash.as_str(), false, at(1_000))
    );
    // Another user of the same name (another id) cannot update it.
    let other = LoginProfileRecord {
        user_id: "AIDAOTHER".into(),
        ..changed.clone()
    };
    assert!(!store.put_login_profile(&other, false).await.unwrap());
    let other_account = AccountId::parse("210987654321").unwrap();
    assert_eq!(
        store
            .find_login_profile(&other_account, "alice")
            .await
            .unwrap(),
        None
    );
    assert!(store.delete_login_profile(&account, "aLiCe").await.unwrap());
    assert!(!store.delete_login_profile(&account, "alice").await.unwrap());
    assert_eq!(
        store.find_login_profile(&account, "alice").await.unwrap(),
        None
    );
}

/// Reset leaves an empty, working store.
pub async fn reset_removes_everything(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let account = AccountId::parse("123456789012").unwrap();
    store.ensure_account(&account, at(0)).await.unwrap();
    store
        .insert_access_key(&AccessKeyRecord {
            access_key_id: "AKIARESETRESETRESET1".into(),
            account: account.clone(),
            principal_arn: "arn:aws:iam::123456789012:root".into(),
            user_name: None,
            sealed_secret: sealed("k", ValueKind::String),
            created: at(0),
            active: true,
        })
        .await
        .unwrap();
    let secret = seeded(store, &home(), "wiped", 3).await;
    seeded(store, &other_account(), "wiped-too", 1).await;

    store.reset().await.unwrap();
    assert!(store.list_accounts().await.unwrap().is_empty());
    assert_eq!(
        store.find_access_key("AKIARESETRESETRESET1").await.unwrap(),
        None
    );
    assert!(store.list_access_keys(&account).await.unwrap().is_empty());
    assert!(store.list_secrets(&home(), true).await.unwrap().is_empty());
    assert!(store
        .list_secrets(&other_account(), true)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.read_sealed(&secret.id, "v1").await.unwrap(), None);

    // Still usable, and the old names are free.
    store.ping().await.unwrap();
    let again = seeded(store, &home(), "wiped", 1).await;
    assert_eq!(get(store, &home(), "wiped").await, again);
    store.ensure_account(&account, at(0)).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

/// Read-modify-write through `update_secret` is atomic: many tasks each adding a tag and a
/// version lose none of them.
pub async fn concurrent_updates_are_atomic(store: Arc<dyn Store>) {
    seeded(store.as_ref(), &home(), "contended", 1).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .update_secret(&home(), &by_name("contended"), &mut |r, nv| {
                    r.tags.push((format!("k{i:02}"), i.to_string()));
                    nv.push(with_version(r, &format!("w{i:02}"), at(100 + i), &[]));
                    Ok(())
                })
                .await
                .unwrap();
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }
    let found = get(store.as_ref(), &home(), "contended").await;
    assert_eq!(found.tags.len(), 16);
    assert_eq!(found.versions.len(), 17);
    for i in 0..16 {
        assert!(found.version(&format!("w{i:02}")).is_some());
        assert!(store
            .read_sealed(&found.id, &format!("w{i:02}"))
            .await
            .unwrap()
            .is_some());
    }
}

/// Of many tasks inserting one name, exactly one wins; the others are told the name exists.
pub async fn concurrent_inserts_of_one_name(store: Arc<dyn Store>) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.spawn(async move {
            let mut r = record(&home(), "raced");
            let first = with_version(&mut r, "v1", at(0), &[AWSCURRENT]);
            store.insert_secret(&r, Some(&first)).await.map(|()| r.id)
        });
    }
    let mut winners = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(id) => winners.push(id),
            Err(Error::SecretExists(name)) => assert_eq!(name, "raced"),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(get(store.as_ref(), &home(), "raced").await.id, winners[0]);
}

fn principal(account: &AccountId, kind: PrincipalKind, name: &str) -> PrincipalRecord {
    PrincipalRecord {
        account: account.clone(),
        kind,
        name: name.to_owned(),
        path: "/team/".to_owned(),
        id: format!("AIDA{}", name.to_uppercase()),
        created: at(7),
        tags: vec![("b".into(), "2".into()), ("a\"q".into(), String::new())],
        trust_policy: (kind == PrincipalKind::Role).then(|| "{\"Statement\":[]}".to_owned()),
        description: (kind == PrincipalKind::Role).then(|| "a role".to_owned()),
        max_session_secs: (kind == PrincipalKind::Role).then_some(7200),
    }
}

/// Users and roles round-trip whole, names are unique ignoring case per kind and account, and
/// lookups ignore case.
pub async fn principals_round_trip_and_names_ignore_case(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = AccountId::parse("123456789012").unwrap();
    let b = AccountId::parse("210987654321").unwrap();
    store.ensure_account(&a, at(0)).await.unwrap();
    store.ensure_account(&b, at(0)).await.unwrap();
    let app = principal(&a, PrincipalKind::User, "App");
    let role = principal(&a, PrincipalKind::Role, "App");
    assert!(store.insert_principal(&app).await.unwrap());
    // A role may share a user's name; another user may not, in any case.
    assert!(store.insert_principal(&role).await.unwrap());
    assert!(!store
        .insert_principal(&principal(&a, PrincipalKind::User, "APP"))
        .await
        .unwrap());
    assert!(store
        .insert_principal(&principal(&b, PrincipalKind::User, "app"))
        .await
        .unwrap());
    assert!(store
        .insert_principal(&principal(&a, PrincipalKind::User, "bob"))
        .await
        .unwrap());

    assert_eq!(
        store
            .find_principal(&a, PrincipalKind::User, "app")
            .await
            .unwrap(),
        Some(app.clone())
    );
    assert_eq!(
        store
            .find_principal(&a, PrincipalKind::Role, "APP")
            .await
            .unwrap(),
        Some(role.clone())
    );
    assert_eq!(
        store
            .find_principal(&a, PrincipalKind::User, "nobody")
            .await
            .unwrap(),
        None
    );
    let names: Vec<String> = store
        .list_principals(&a, PrincipalKind::User)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, vec!["App".to_owned(), "bob".to_owned()]);
    assert_eq!(
        store
            .list_principals(&a, PrincipalKind::Role)
            .await
            .unwrap(),
        vec![role]
    );
}

/// Inline policies are created, replaced, listed by name and removed; a principal with
/// policies or access keys cannot be deleted, and nothing is deleted when the check fails.
pub async fn inline_policies_and_principal_deletion(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = AccountId::parse("123456789012").unwrap();
    store.ensure_account(&a, at(0)).await.unwrap();
    let user = principal(&a, PrincipalKind::User, "app");
    store.insert_principal(&user).await.unwrap();
    let kind = PrincipalKind::User;
    store
        .put_inline_policy(&a, kind, "app", "zeta", "{\"v\":1}")
        .await
        .unwrap();
    store
        .put_inline_policy(&a, kind, "APP", "alpha", "{\"v\":2}")
        .await
        .unwrap();
    store
        .put_inline_policy(&a, kind, "app", "zeta", "{\"v\":3}")
        .await
        .unwrap();
    assert_eq!(
        store.list_inline_policies(&a, kind, "app").await.unwrap(),
        vec![
            ("alpha".to_owned(), "{\"v\":2}".to_owned()),
            ("zeta".to_owned(), "{\"v\":3}".to_owned())
        ]
    );
    assert_eq!(
        store.delete_principal(&a, kind, "app").await.unwrap(),
        DeleteOutcome::HasPolicies
    );
    assert!(store
        .delete_inline_policy(&a, kind, "app", "zeta")
        .await
        .unwrap());
    assert!(!store
        .delete_inline_policy(&a, kind, "app", "zeta")
        .await
        .unwrap());
    assert!(store
        .delete_inline_policy(&a, kind, "app", "alpha")
        .await
        .unwrap());

    store
        .insert_access_key(&AccessKeyRecord {
            access_key_id: "AKIAUSERUSERUSERUSE1".into(),
            account: a.clone(),
            principal_arn: user.arn(),
            user_name: Some("app".into()),
            sealed_secret: sealed("u", ValueKind::String),
            created: at(1),
            active: true,
        })
        .await
        .unwrap();
    assert_eq!(
        store.delete_principal(&a, kind, "app").await.unwrap(),
        DeleteOutcome::HasAccessKeys
    );
    assert!(store
        .set_access_key_active("AKIAUSERUSERUSERUSE1", false)
        .await
        .unwrap());
    assert!(
        !store
            .find_access_key("AKIAUSERUSERUSERUSE1")
            .await
            .unwrap()
            .unwrap()
            .active
    );
    assert!(!store
        .set_access_key_active("AKIANOSUCHKEY0000000", false)
        .await
        .unwrap());
    assert!(store
        .delete_access_key("AKIAUSERUSERUSERUSE1")
        .await
        .unwrap());
    assert!(!store
        .delete_access_key("AKIAUSERUSERUSERUSE1")
        .await
        .unwrap());
    assert_eq!(
        store.find_access_key("AKIAUSERUSERUSERUSE1").await.unwrap(),
        None
    );
    assert_eq!(
        store.delete_principal(&a, kind, "App").await.unwrap(),
        DeleteOutcome::Deleted
    );
    assert_eq!(
        store.delete_principal(&a, kind, "app").await.unwrap(),
        DeleteOutcome::NotFound
    );
    assert_eq!(store.find_principal(&a, kind, "app").await.unwrap(), None);
}

/// A secret's resource policy is stored with it, changed by an update and removed by one.
pub async fn resource_policy_is_kept_with_the_secret(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let scope = scope("123456789012", "us-east-1");
    let mut record = record(&scope, "with-policy");
    record.resource_policy = Some("{\"Version\":\"2012-10-17\"}".into());
    store.insert_secret(&record, None).await.unwrap();
    assert_eq!(get(store, &scope, "with-policy").await, record);
    let candidates = [Candidate {
        name: "with-policy".into(),
        suffix: None,
    }];
    let written = store
        .update_secret(&scope, &candidates, &mut |r, _| {
            r.resource_policy = Some("{\"Statement\":[]}".into());
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        get(store, &scope, "with-policy").await.resource_policy,
        Some("{\"Statement\":[]}".into())
    );
    assert_eq!(written.resource_policy, Some("{\"Statement\":[]}".into()));
    store
        .update_secret(&scope, &candidates, &mut |r, _| {
            r.resource_policy = None;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        get(store, &scope, "with-policy").await.resource_policy,
        None
    );
}

/// Customer keys and aliases (KMS): written and read back exactly, per scope; an update
/// replaces the mutable columns; an alias is created once, repointed, deleted.
pub async fn kms_keys_and_aliases_round_trip(store: Arc<dyn Store>) {
    use coffer_core::kms::{KeyState, KmsAlias, KmsKeyRecord};
    let store = store.as_ref();
    let elsewhere = scope("123456789012", "eu-west-1");
    let key = |id: &str, created: i64| KmsKeyRecord {
        scope: home(),
        key_id: id.to_owned(),
        description: "ünïcødé description".into(),
        created: at(created),
        state: KeyState::Enabled,
        deletion_date: None,
        pending_window_days: None,
        policy: "{\"Version\":\"2012-10-17\"}".into(),
        tags: vec![("team".into(), "a".into()), ("env".into(), String::new())],
        material: sealed("material", ValueKind::Binary),
    };
    let first = key("11111111-1111-4111-8111-111111111111", 0);
    let second = key("22222222-2222-4222-8222-222222222222", 1);
    store.insert_kms_key(&second).await.unwrap();
    store.insert_kms_key(&first).await.unwrap();
    assert_eq!(
        store.find_kms_key(&home(), &first.key_id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.find_kms_key(&elsewhere, &first.key_id).await.unwrap(),
        None
    );
    assert_eq!(
        store.list_kms_keys(&home()).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(store.list_kms_keys(&elsewhere).await.unwrap(), vec![]);

    let mut changed = first.clone();
    changed.state = KeyState::PendingDeletion;
    changed.deletion_date = Some(at(7 * 86_400_000));
    changed.pending_window_days = Some(7);
    changed.tags.clear();
    assert!(store.update_kms_key(&changed).await.unwrap());
    // The material is replaced only by a compare-and-swap on the wrapped key.
    let previous = changed.material.wrapped_key.clone();
    changed.material = sealed("rotated", ValueKind::Binary);
    changed.material.wrapped_key.push(1);
    assert!(store
        .replace_kms_key_material(&changed, &previous)
        .await
        .unwrap());
    assert!(!store
        .replace_kms_key_material(&changed, &previous)
        .await
        .unwrap());
    let mut ignored = changed.clone();
    ignored.material = first.material.clone();
    assert!(store.update_kms_key(&ignored).await.unwrap());
    assert_eq!(
        store.find_kms_key(&home(), &first.key_id).await.unwrap(),
        Some(changed.clone())
    );
    let mut stranger = changed.clone();
    stranger.scope = elsewhere.clone();
    assert!(!store.update_kms_key(&stranger).await.unwrap());

    let alias = KmsAlias {
        scope: home(),
        name: "alias/team-a".into(),
        target_key_id: first.key_id.clone(),
        created: at(2),
        updated: at(2),
    };
    assert!(store.put_kms_alias(&alias, true).await.unwrap());
    assert!(!store.put_kms_alias(&alias, true).await.unwrap());
    let moved = KmsAlias {
        target_key_id: second.key_id.clone(),
        created: at(3),
        updated: at(3),
        ..alias.clone()
    };
    assert!(store.put_kms_alias(&moved, false).await.unwrap());
    let expected = KmsAlias {
        created: at(2),
        ..moved.clone()
    };
    assert_eq!(
        store.list_kms_aliases(&home()).await.unwrap(),
        vec![expected]
    );
    assert_eq!(store.list_kms_aliases(&elsewhere).await.unwrap(), vec![]);
    let missing = KmsAlias {
        name: "alias/none".into(),
        ..moved.clone()
    };
    assert!(!store.put_kms_alias(&missing, false).await.unwrap());
    assert!(store
        .delete_kms_alias(&home(), "alias/team-a")
        .await
        .unwrap());
    assert!(!store
        .delete_kms_alias(&home(), "alias/team-a")
        .await
        .unwrap());
    assert_eq!(store.list_kms_aliases(&home()).await.unwrap(), vec![]);
}

/// Managed policies and groups (IAM objects) round-trip whole with names unique ignoring case;
/// an update is a locked read-modify-write that writes nothing when the mutation refuses; a
/// delete runs its check against every link touching the object; links need both ends, and
/// users and roles with links cannot be deleted.
pub async fn iam_objects_and_links(store: Arc<dyn Store>) {
    use coffer_core::managed::{
        GroupRecord, IamLink, IamObject, IamObjectKind, LinkFilter, LinkKind, LinkOutcome,
        ManagedPolicyRecord, PolicyVersionRecord,
    };
    let store = store.as_ref();
    let a = AccountId::parse("123456789012").unwrap();
    store.ensure_account(&a, at(0)).await.unwrap();
    let policy = IamObject::Policy(ManagedPolicyRecord {
        account: a.clone(),
        name: "Read".into(),
        path: "/team/".into(),
        id: "ANPAREADREADREAD0001".into(),
        description: Some("reads".into()),
        created: at(1),
        updated: at(1),
        default_version: "v1".into(),
        next_version: 2,
        versions: vec![PolicyVersionRecord {
            version_id: "v1".into(),
            document: "{\"Version\":\"2012-10-17\"}".into(),
            created: at(1),
        }],
        tags: vec![("k".into(), "v".into())],
    });
    let group = IamObject::Group(GroupRecord {
        account: a.clone(),
        name: "Ops".into(),
        path: "/".into(),
        id: "AGPAOPSOPSOPSOPS0001".into(),
        created: at(2),
        inline_policies: Vec::new(),
    });
    assert!(store.insert_iam_object(&policy).await.unwrap());
    assert!(store.insert_iam_object(&group).await.unwrap());
    // Another policy named "read" in any case is refused; a group may share the name.
    let mut same = policy.clone();
    if let IamObject::Policy(p) = &mut same {
        p.name = "READ".into();
    }
    assert!(!store.insert_iam_object(&same).await.unwrap());
    assert_eq!(
        store
            .find_iam_object(&a, IamObjectKind::Policy, "read")
            .await
            .unwrap(),
        Some(policy.clone())
    );
    assert_eq!(
        store
            .list_iam_objects(&a, IamObjectKind::Group)
            .await
            .unwrap(),
        vec![group.clone()]
    );

    // A refused mutation writes nothing; an accepted one is read back.
    let refused = store
        .update_iam_object(
            &a,
            IamObjectKind::Policy,
            "read",
            Box::new(|object| {
                if let IamObject::Policy(p) = object {
                    p.default_version = "v9".into();
                }
                Err(Error::Validation("no".into()))
            }),
        )
        .await;
    assert!(matches!(refused, Err(Error::Validation(_))));
    assert_eq!(
        store
            .find_iam_object(&a, IamObjectKind::Policy, "Read")
            .await
            .unwrap(),
        Some(policy.clone())
    );
    let updated = store
        .update_iam_object(
            &a,
            IamObjectKind::Group,
            "ops",
            Box::new(|object| {
                if let IamObject::Group(g) = object {
                    g.inline_policies.push(("p".into(), "{}".into()));
                }
                Ok(())
            }),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .find_iam_object(&a, IamObjectKind::Group, "OPS")
            .await
            .unwrap(),
        Some(updated)
    );
    assert_eq!(
        store
            .update_iam_object(&a, IamObjectKind::Group, "none", Box::new(|_| Ok(())))
            .await
            .unwrap(),
        None
    );

    // Links need both ends; a second link is "already linked".
    let user = principal(&a, PrincipalKind::User, "Alice");
    assert!(store.insert_principal(&user).await.unwrap());
    let attach = IamLink::new(LinkKind::User, "alice", LinkKind::Policy, "Read", at(3));
    let member = IamLink::new(LinkKind::User, "ALICE", LinkKind::Group, "ops", at(4));
    let to_aws = IamLink::new(LinkKind::Group, "Ops", LinkKind::AwsPolicy, "X", at(5));
    assert_eq!(
        store.link_iam(&a, &attach).await.unwrap(),
        LinkOutcome::Linked
    );
    assert_eq!(
        store.link_iam(&a, &attach).await.unwrap(),
        LinkOutcome::AlreadyLinked
    );
    assert_eq!(
        store.link_iam(&a, &member).await.unwrap(),
        LinkOutcome::Linked
    );
    assert_eq!(
        store.link_iam(&a, &to_aws).await.unwrap(),
        LinkOutcome::Linked
    );
    let ghost_source = IamLink::new(LinkKind::Role, "nobody", LinkKind::Policy, "read", at(5));
    let ghost_target = IamLink::new(LinkKind::User, "alice", LinkKind::Group, "none", at(5));
    assert_eq!(
        store.link_iam(&a, &ghost_source).await.unwrap(),
        LinkOutcome::SourceMissing
    );
    assert_eq!(
        store.link_iam(&a, &ghost_target).await.unwrap(),
        LinkOutcome::TargetMissing
    );
    assert_eq!(
        store
            .list_iam_links(&a, LinkFilter::From(LinkKind::User, "Alice"))
            .await
            .unwrap(),
        vec![attach.clone(), member.clone()]
    );
    assert_eq!(
        store
            .list_iam_links(&a, LinkFilter::To(LinkKind::Group, "OPS"))
            .await
            .unwrap(),
        vec![member.clone()]
    );
    assert_eq!(
        store.list_iam_links(&a, LinkFilter::All).await.unwrap(),
        vec![attach.clone(), member.clone(), to_aws.clone()]
    );

    // Deletes: the check sees every link of the object; users with links stay.
    let seen = store
        .delete_iam_object(
            &a,
            IamObjectKind::Group,
            "ops",
            Box::new(|_, links| Err(Error::Validation(format!("{}", links.len())))),
        )
        .await;
    assert!(matches!(seen, Err(Error::Validation(n)) if n == "2"));
    assert_eq!(
        store
            .delete_principal(&a, PrincipalKind::User, "alice")
            .await
            .unwrap(),
        DeleteOutcome::HasAttachedPolicies
    );
    assert!(store.unlink_iam(&a, &attach).await.unwrap());
    assert!(!store.unlink_iam(&a, &attach).await.unwrap());
    assert_eq!(
        store
            .delete_principal(&a, PrincipalKind::User, "alice")
            .await
            .unwrap(),
        DeleteOutcome::InGroups
    );
    assert!(store.unlink_iam(&a, &member).await.unwrap());
    assert!(store.unlink_iam(&a, &to_aws).await.unwrap());
    assert!(store
        .delete_iam_object(&a, IamObjectKind::Group, "OPS", Box::new(|_, _| Ok(())))
        .await
        .unwrap());
    assert!(!store
        .delete_iam_object(&a, IamObjectKind::Group, "ops", Box::new(|_, _| Ok(())))
        .await
        .unwrap());
    assert_eq!(
        store
            .delete_principal(&a, PrincipalKind::User, "alice")
            .await
            .unwrap(),
        DeleteOutcome::Deleted
    );
}
