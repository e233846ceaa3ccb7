//! The SQL both engines run, written once: the shared statements, the row mappers, and the
//! batched writes of a secret's versions, labels and tags.
//!
//! Every statement here spells its binds `$1`, `$2`, …, which PostgreSQL requires and SQLite
//! accepts (sqlx binds SQLite's `$NNN` parameters by number), and batched inserts are built with
//! sqlx's `QueryBuilder`, which spells binds as the engine wants them. Where the text really
//! differs (row locks, byte-wise collation), it comes from the engine's
//! [`Dialect`](crate::paging::Dialect).
//!
//! The functions that run statements are stamped out once per engine by [`engine_sql!`] (in
//! `engine.rs`) rather than written generically over `sqlx::Database`: a generic version needs,
//! on every function and on every caller, a higher-ranked `Executor` bound for `&mut
//! DB::Connection`, an `Encode + Type` bound for each Rust type bound and a `Decode + Type` bound
//! for each column type read (Rust does not carry where-clauses through a helper trait), and
//! the futures of such functions, which `async_trait` needs to be `Send`, are where rustc's
//! "implementation of `Executor` is not general enough" errors come from. The macro's body is
//! one text, compiled against each engine's concrete types (the engines' own code calls plain
//! functions with concrete signatures); a compile error in it names the engine. What needs no
//! sqlx type (errors, time, the write plan) is plain code in this module.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use coffer_core::error::{Error, Result};
use coffer_core::model::{NewVersion, SealedValue, SecretRecord, VersionMeta};

mod engine;
pub(crate) mod iam;
mod kms;
pub(crate) mod rotation;
pub(crate) use engine::engine_sql;
pub(crate) use kms::kms_sql;

/// A storage failure from sqlx, as a domain error.
pub(crate) fn store_err(e: sqlx::Error) -> Error {
    Error::Store(Box::new(e))
}

/// A time as stored: milliseconds since the epoch.
pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A stored time back as a date.
pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A stored value that does not parse: the database holds something coffer never wrote.
pub(crate) fn corrupt(what: &str) -> Error {
    Error::Internal(format!("stored {what} is not valid"))
}

/// The columns of `secrets` every query selects, in this order.
pub(crate) const SECRET_COLUMNS: &str =
    "id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
     last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy, tagged, rotation";

/// The columns of `principals` every query selects.
pub(crate) const PRINCIPAL_COLUMNS: &str =
    "account_id, kind, name, path, principal_id, created_ms, tags, \
     trust_policy, description, max_session_secs";

/// The columns of `access_keys` every query selects.
pub(crate) const ACCESS_KEY_COLUMNS: &str =
    "access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, \
     active, user_name";

/// Every table, children before parents: the order in which `reset` empties them.
pub(crate) const TABLES_CHILDREN_FIRST: [&str; 13] = [
    "kms_aliases",
    "kms_keys",
    "login_profiles",
    "iam_links",
    "iam_objects",
    "inline_policies",
    "principals",
    "labels",
    "tags",
    "versions",
    "secrets",
    "access_keys",
    "accounts",
];

/// A secret's labels as (version, labels) pairs, to tell whether a change moved any.
fn labels_of(record: &SecretRecord) -> Vec<(&str, &[String])> {
    record
        .versions
        .iter()
        .map(|v| (v.version_id.as_str(), v.stages.as_slice()))
        .collect()
}

/// A secret's labels as rows: (label, version id), in the order they are stored (`position`).
pub(crate) fn label_rows(record: &SecretRecord) -> Vec<(&str, &str)> {
    record
        .versions
        .iter()
        .flat_map(|v| {
            v.stages
                .iter()
                .map(move |l| (l.as_str(), v.version_id.as_str()))
        })
        .collect()
}

/// What a write of `after` over `before` must change in the database (`write_changes`).
pub(crate) struct Changes<'a> {
    /// The labels moved: all of the secret's label rows are rewritten.
    pub labels: bool,
    /// The tags changed: all of the secret's tag rows are rewritten.
    pub tags: bool,
    /// Versions in `before` and not in `after`, to delete.
    pub removed: Vec<&'a str>,
    /// New versions with their sealed values, to insert.
    pub added: Vec<(&'a VersionMeta, &'a SealedValue)>,
}

/// Compares `before` and `after` (the same secret) by sets of version ids, and checks that
/// every version the record gained comes with its value.
pub(crate) fn changes<'a>(
    before: &'a SecretRecord,
    after: &'a SecretRecord,
    new_versions: &'a [NewVersion],
) -> Result<Changes<'a>> {
    let kept: HashSet<&str> = after
        .versions
        .iter()
        .map(|v| v.version_id.as_str())
        .collect();
    let had: HashSet<&str> = before
        .versions
        .iter()
        .map(|v| v.version_id.as_str())
        .collect();
    let removed = before
        .versions
        .iter()
        .map(|v| v.version_id.as_str())
        .filter(|id| !kept.contains(id))
        .collect();
    let mut added = Vec::with_capacity(new_versions.len());
    for new in new_versions {
        let meta = after
            .version(&new.version_id)
            .ok_or_else(|| Error::Internal("new version missing from the record".into()))?;
        added.push((meta, &new.sealed));
    }
    let supplied: HashSet<&str> = new_versions.iter().map(|n| n.version_id.as_str()).collect();
    // Every version in the record must exist once written: old ones or just inserted.
    if kept
        .iter()
        .any(|id| !had.contains(id) && !supplied.contains(id))
    {
        return Err(Error::Internal(
            "a version was added without its value".into(),
        ));
    }
    Ok(Changes {
        labels: labels_of(before) != labels_of(after),
        tags: before.tags != after.tags,
        removed,
        added,
    })
}
