//! The SQL of one page of a listing ([`Store::list_secret_page`]), shared by both engines.
//!
//! A page is one index range scan: the secrets of a scope in (sort column, id) order, starting
//! strictly after the cursor, cut at the limit. Every sort column has an index that leads with
//! (account, region) and ends with the id (migrations `0003_listing.sql`), so the first page
//! and the thousandth cost the same. LastAccessedDate is nullable; it is sorted and compared as
//! `COALESCE(last_accessed_ms, -1)` (an index on that expression), which puts a secret never
//! read before any date, as [`SortValue::Millis`]`(None)` sorts, with no special case for NULL
//! in the cursor. No real date is before 1970, so -1 is never a date.
//!
//! A `name` filter becomes name ranges (`name >= prefix AND name < prefix || U+10FFFF`: names
//! are ASCII, so every name with the prefix is in the range and no other is). Whether to read
//! them through the name index (then sort what they select) or to walk the sort column's index
//! (and skip what they do not select) depends on how many names they select, which the engine
//! says through [`Plan`].
//!
//! [`Store::list_secret_page`]: coffer_core::store::Store::list_secret_page

use coffer_core::names::Scope;
use coffer_core::store::{ListOrder, PageQuery, SortValue};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// How the page reads a `name` filter's ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// The engine's planner chooses (PostgreSQL, which keeps statistics).
    Planner,
    /// Through the name index, then sorted: the ranges select few secrets.
    ByName,
    /// Along the sort column's index, skipping other names: the ranges select many.
    ByOrder,
}

/// How an engine spells things that differ. The SQL of both engines (`paging`, `crate::sql`) is
/// one text; what differs is taken from here.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect {
    /// Appended to a text column so that it compares byte by byte ("" on SQLite, whose default
    /// collation does; ` COLLATE "C"` on PostgreSQL).
    pub bytewise: &'static str,
    /// Binds are `$1`, `$2`, … (PostgreSQL) rather than `?` (SQLite).
    pub numbered_binds: bool,
    /// Appended to a `SELECT` of the row a write is about to change, to lock it until the
    /// transaction ends (` FOR UPDATE` on PostgreSQL; "" on SQLite, whose writer holds the
    /// whole database).
    pub lock_row: &'static str,
    /// Appended to the `SELECT` of the secrets due for purging, so that each is claimed by one
    /// node: those another transaction holds are skipped (PostgreSQL); "" on SQLite.
    pub claim_rows: &'static str,
}

impl Dialect {
    /// SQLite's.
    pub const SQLITE: Dialect = Dialect {
        bytewise: "",
        numbered_binds: false,
        lock_row: "",
        claim_rows: "",
    };

    /// PostgreSQL's.
    pub const POSTGRES: Dialect = Dialect {
        bytewise: " COLLATE \"C\"",
        numbered_binds: true,
        lock_row: " FOR UPDATE",
        claim_rows: " ORDER BY id FOR UPDATE SKIP LOCKED",
    };
}

/// The `WHERE` clause over `secrets s` that selects the page's secrets by id, for the engine's
/// `load_children`, with one bind per id.
pub(crate) fn ids_in(count: usize, dialect: Dialect) -> String {
    let binds: Vec<String> = (1..=count)
        .map(|i| {
            if dialect.numbered_binds {
                format!("${i}")
            } else {
                "?".to_owned()
            }
        })
        .collect();
    format!("s.id IN ({})", binds.join(", "))
}

/// The upper end of a name prefix's range.
pub(crate) fn prefix_end(prefix: &str) -> String {
    let mut end = String::with_capacity(prefix.len() + 4);
    end.push_str(prefix);
    end.push(char::MAX);
    end
}

/// The sort column, as an SQL expression over `secrets s`.
fn column(order: ListOrder, dialect: Dialect) -> String {
    match order {
        ListOrder::Created => "s.created_ms".to_owned(),
        ListOrder::LastChanged => "s.last_changed_ms".to_owned(),
        ListOrder::LastAccessed => "COALESCE(s.last_accessed_ms, -1)".to_owned(),
        ListOrder::Name => format!("s.name{}", dialect.bytewise),
    }
}

/// Pushes the scope, deletion and name-range conditions (no leading `AND`): the `WHERE` of both
/// the page and the engine's count of what the ranges select. `+` before a column keeps
/// SQLite from using an index for that term.
pub(crate) fn push_selection<DB>(
    qb: &mut QueryBuilder<DB>,
    scope: &Scope,
    query: &PageQuery<'_>,
    dialect: Dialect,
    names_unindexed: bool,
) where
    DB: Database,
    String: for<'t> Encode<'t, DB> + Type<DB>,
{
    qb.push("s.account_id = ")
        .push_bind(scope.account.as_str().to_owned())
        .push(" AND s.region = ")
        .push_bind(scope.region.as_str().to_owned());
    if !query.include_deleted {
        qb.push(" AND s.deleted_ms IS NULL");
    }
    if let Some(prefixes) = query.name_prefixes {
        let name = format!(
            "{}s.name{}",
            if names_unindexed { "+" } else { "" },
            dialect.bytewise
        );
        qb.push(" AND (");
        for (i, prefix) in prefixes.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push(format_args!("({name} >= "))
                .push_bind(prefix.clone())
                .push(format_args!(" AND {name} < "))
                .push_bind(prefix_end(prefix))
                .push(")");
        }
        qb.push(")");
    }
}

/// Pushes the whole page query: `SELECT <columns> FROM secrets s WHERE … ORDER BY … LIMIT …`.
pub(crate) fn push_page<DB>(
    qb: &mut QueryBuilder<DB>,
    columns: &str,
    scope: &Scope,
    query: &PageQuery<'_>,
    dialect: Dialect,
    plan: Plan,
) where
    DB: Database,
    String: for<'t> Encode<'t, DB> + Type<DB>,
    i64: for<'t> Encode<'t, DB> + Type<DB>,
{
    let by_name = query.order == ListOrder::Name;
    qb.push(format_args!("SELECT {columns} FROM secrets s WHERE "));
    push_selection(qb, scope, query, dialect, plan == Plan::ByOrder && !by_name);
    let column = column(query.order, dialect);
    let id = format!("s.id{}", dialect.bytewise);
    let (compare, direction) = if query.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some((value, after_id)) = query.after {
        qb.push(format_args!(" AND ({column}, {id}) {compare} ("));
        match value {
            SortValue::Millis(millis) => qb.push_bind(millis.unwrap_or(-1)),
            SortValue::Text(text) => qb.push_bind(text.clone()),
        };
        qb.push(", ").push_bind(after_id.to_owned()).push(")");
    }
    // `+` on the sort column keeps SQLite off its index, so that it reads the name ranges
    // through the name index instead.
    let unindexed = if plan == Plan::ByName && !by_name {
        "+"
    } else {
        ""
    };
    qb.push(format_args!(
        " ORDER BY {unindexed}{column} {direction}, {id} {direction} LIMIT "
    ))
    .push_bind(i64::try_from(query.limit).unwrap_or(i64::MAX));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_binds_one_placeholder_per_id_in_the_engine_s_style() {
        let sqlite = Dialect::SQLITE;
        let postgres = Dialect::POSTGRES;
        assert_eq!(ids_in(3, sqlite), "s.id IN (?, ?, ?)");
        assert_eq!(ids_in(3, postgres), "s.id IN ($1, $2, $3)");
    }

    #[test]
    fn a_prefix_range_holds_every_name_with_the_prefix_and_no_other() {
        let end = prefix_end("svc-01/");
        for inside in ["svc-01/", "svc-01/a", "svc-01/zzzz", "svc-01/~~~~"] {
            assert!(inside >= "svc-01/" && inside < end.as_str(), "{inside}");
        }
        for outside in ["svc-01", "svc-010", "svc-02/", "svc-0"] {
            assert!(
                !(outside >= "svc-01/" && outside < end.as_str()),
                "{outside}"
            );
        }
    }
}
