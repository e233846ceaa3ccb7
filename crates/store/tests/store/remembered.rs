//! The SQLite store remembers each record as its writer last wrote it, so that the next update
//! of the secret starts from memory rather than from a reload of every version. These tests
//! hold that what an update's mutation is handed is exactly what the database holds, read by a
//! second store on the same file with no cache at all, through every kind of change: new
//! versions created within one millisecond (and out of id order), labels moved, metadata and
//! tags changed, versions dropped, a failed mutation, a change the writer does not persist,
//! and other writes in between.
#![allow(clippy::unwrap_used)]

use crate::contract::cases::{at, by_name, home, record, with_version};
use chrono::Duration;
use coffer_core::error::{Error, Result};
use coffer_core::model::{NewVersion, SecretRecord};
use coffer_core::names::{AWSCURRENT, AWSPREVIOUS};
use coffer_core::store::Store;
use coffer_store::SqliteStore;

/// Runs one update of secret `s`: checks that its mutation is handed what the database holds,
/// then applies `change`.
async fn update(
    store: &SqliteStore,
    database: &SqliteStore,
    mut change: impl FnMut(&mut SecretRecord, &mut Vec<NewVersion>) -> Result<()> + Send,
) -> Result<SecretRecord> {
    let held = database
        .find_secret(&home(), &by_name("s"))
        .await
        .unwrap()
        .unwrap();
    let mut handed = None;
    let result = store
        .update_secret(&home(), &by_name("s"), &mut |r, new| {
            handed = Some(r.clone());
            change(r, new)
        })
        .await;
    assert_eq!(handed.as_ref(), Some(&held));
    result
}

#[tokio::test]
async fn every_update_starts_from_what_the_database_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let database = SqliteStore::open(&path).await.unwrap().without_cache();

    let mut secret = record(&home(), "s");
    secret.tags = vec![("b".into(), "1".into()), ("a".into(), "2".into())];
    let first = with_version(&mut secret, "v1", at(0), &[AWSCURRENT]);
    store.insert_secret(&secret, Some(&first)).await.unwrap();

    // Two versions in one millisecond, with nanoseconds the database does not keep, pushed out
    // of id order; AWSCURRENT moves to the first, AWSPREVIOUS to the old one.
    let instant = at(1000) + Duration::nanoseconds(456_789);
    update(&store, &database, |r, new| {
        new.push(with_version(r, "vb", instant, &[AWSCURRENT]));
        new.push(with_version(
            r,
            "va",
            instant + Duration::nanoseconds(1),
            &["BLUE"],
        ));
        r.versions[0].stages = vec![AWSPREVIOUS.into()];
        r.last_changed = instant;
        Ok(())
    })
    .await
    .unwrap();

    // Metadata, tags (order kept), a resource policy, a label moved within a version's list.
    update(&store, &database, |r, _| {
        r.description = Some("described".into());
        r.kms_key_id = Some("alias/k".into());
        r.tags = vec![("z".into(), "9".into()), ("b".into(), "1".into())];
        r.resource_policy = Some("{\"Version\":\"2012-10-17\",\"Statement\":[]}".into());
        r.last_changed = at(2000) + Duration::nanoseconds(1);
        let va = r
            .versions
            .iter_mut()
            .find(|v| v.version_id == "va")
            .unwrap();
        va.stages = vec!["GREEN".into(), "BLUE".into()];
        Ok(())
    })
    .await
    .unwrap();

    // A mutation that fails writes nothing, and the next update still sees the database.
    let refused = update(&store, &database, |r, _| {
        r.description = Some("never written".into());
        Err(Error::InvalidParameter("refused".into()))
    })
    .await;
    assert!(matches!(refused, Err(Error::InvalidParameter(_))));

    // A change the writer does not persist (an existing version's metadata) is not remembered
    // as if it had been.
    update(&store, &database, |r, _| {
        let va = r
            .versions
            .iter_mut()
            .find(|v| v.version_id == "va")
            .unwrap();
        va.last_accessed = Some(at(3000));
        r.description = Some("again".into());
        Ok(())
    })
    .await
    .unwrap();

    // A dropped version, and deletion scheduled.
    update(&store, &database, |r, _| {
        r.versions.retain(|v| v.version_id != "v1");
        r.deleted = Some(at(4000) + Duration::nanoseconds(7));
        r.deletion_due = Some(at(5000) + Duration::nanoseconds(7));
        Ok(())
    })
    .await
    .unwrap();

    // Other writes in between: a read recorded, another secret created.
    store
        .record_access(&secret.id, "vb", at(86_400_000))
        .await
        .unwrap();
    update(&store, &database, |r, _| {
        r.deleted = None;
        r.deletion_due = None;
        Ok(())
    })
    .await
    .unwrap();
    let mut other = record(&home(), "other");
    let other_first = with_version(&mut other, "o1", at(0), &[AWSCURRENT]);
    store
        .insert_secret(&other, Some(&other_first))
        .await
        .unwrap();
    update(&store, &database, |_, _| Ok(())).await.unwrap();
    update(&store, &database, |_, _| Ok(())).await.unwrap();

    // And the store's own reads agree with the database.
    assert_eq!(
        store.find_secret(&home(), &by_name("s")).await.unwrap(),
        database.find_secret(&home(), &by_name("s")).await.unwrap()
    );
}
