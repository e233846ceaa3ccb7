//! [`iam_sql!`]: the statements of IAM's managed policies, groups and links, for both
//! engines. `engine_sql!` invokes it, in the same module, so it uses that module's `get`,
//! `Out` and imports and the same engine parameters.

/// Defines the IAM object and link functions for one engine (see `engine_sql!` for the
/// parameters).
macro_rules! iam_sql {
    (
        conn: $conn:ty,
        row: $row:ty,
        dialect: $dialect:expr,
        map: $map:path $(,)?
    ) => {
        use coffer_core::managed::{
            IamDeleteCheck, IamLink, IamMutation, IamObject, IamObjectKind, LinkFilter, LinkKind,
            LinkOutcome,
        };

        /// An `iam_objects` row (`account_id, kind, name, body`).
        fn iam_object_from_row(row: &$row) -> Result<IamObject> {
            let account: String = get(row, "account_id")?;
            let kind: String = get(row, "kind")?;
            let body: String = get(row, "body")?;
            $crate::iam_objects::decode(
                AccountId::parse(&account).ok_or_else(|| corrupt("IAM object account"))?,
                IamObjectKind::parse(&kind).ok_or_else(|| corrupt("IAM object kind"))?,
                get(row, "name")?,
                &body,
            )
            .ok_or_else(|| corrupt("IAM object"))
        }

        /// An `iam_links` row.
        fn iam_link_from_row(row: &$row) -> Result<IamLink> {
            let source_kind: String = get(row, "source_kind")?;
            let target_kind: String = get(row, "target_kind")?;
            Ok(IamLink {
                source_kind: LinkKind::parse(&source_kind).ok_or_else(|| corrupt("IAM link"))?,
                source: get(row, "source_key")?,
                target_kind: LinkKind::parse(&target_kind).ok_or_else(|| corrupt("IAM link"))?,
                target: get(row, "target_key")?,
                created: from_millis(get(row, "created_ms")?),
            })
        }

        /// Stores a new object; `false` when the name is taken.
        pub(crate) async fn insert_iam_object(conn: &mut $conn, object: &IamObject) -> Out<bool> {
            let done = sqlx::query(
                "INSERT INTO iam_objects (account_id, kind, name_key, name, body) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, kind, name_key) DO NOTHING",
            )
            .bind(object.account().as_str())
            .bind(object.kind().as_str())
            .bind(object.name().to_lowercase())
            .bind(object.name())
            .bind($crate::iam_objects::encode(object))
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        /// An object by name, ignoring case; locked when `lock` (where the engine locks rows).
        pub(crate) async fn find_iam_object(
            conn: &mut $conn,
            account: &AccountId,
            kind: IamObjectKind,
            name: &str,
            lock: bool,
        ) -> Out<Option<IamObject>> {
            let sql = format!(
                "SELECT account_id, kind, name, body FROM iam_objects \
                 WHERE account_id = $1 AND kind = $2 AND name_key = $3{}",
                if lock { $dialect.lock_row } else { "" }
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(account.as_str())
                .bind(kind.as_str())
                .bind(name.to_lowercase())
                .fetch_optional(&mut *conn)
                .await
                .map_err($map)?;
            Ok(row.as_ref().map(iam_object_from_row).transpose()?)
        }

        /// An account's objects of one kind, by name.
        pub(crate) async fn list_iam_objects(
            conn: &mut $conn,
            account: &AccountId,
            kind: IamObjectKind,
        ) -> Out<Vec<IamObject>> {
            let rows = sqlx::query(
                "SELECT account_id, kind, name, body FROM iam_objects \
                 WHERE account_id = $1 AND kind = $2 ORDER BY name_key",
            )
            .bind(account.as_str())
            .bind(kind.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?;
            Ok(rows.iter().map(iam_object_from_row).collect::<Result<_>>()?)
        }

        /// Lock, load, mutate, write back. Run inside one transaction.
        pub(crate) async fn update_iam_object(
            conn: &mut $conn,
            account: &AccountId,
            kind: IamObjectKind,
            name: &str,
            mutation: &mut IamMutation,
        ) -> Out<Option<IamObject>> {
            let Some(mut object) = find_iam_object(conn, account, kind, name, true).await? else {
                return Ok(None);
            };
            mutation(&mut object)?;
            sqlx::query(
                "UPDATE iam_objects SET body = $4 \
                 WHERE account_id = $1 AND kind = $2 AND name_key = $3",
            )
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(name.to_lowercase())
            .bind($crate::iam_objects::encode(&object))
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(Some(object))
        }

        /// Lock, check against the links that touch it, delete. Run inside one transaction.
        pub(crate) async fn delete_iam_object(
            conn: &mut $conn,
            account: &AccountId,
            kind: IamObjectKind,
            name: &str,
            check: &IamDeleteCheck,
        ) -> Out<bool> {
            let Some(object) = find_iam_object(conn, account, kind, name, true).await? else {
                return Ok(false);
            };
            let end = match kind {
                IamObjectKind::Policy => LinkKind::Policy,
                IamObjectKind::Group => LinkKind::Group,
            };
            let mut links = list_iam_links(conn, account, LinkFilter::From(end, name)).await?;
            links.extend(list_iam_links(conn, account, LinkFilter::To(end, name)).await?);
            check(&object, &links)?;
            sqlx::query("DELETE FROM iam_objects WHERE account_id = $1 AND kind = $2 AND name_key = $3")
                .bind(account.as_str())
                .bind(kind.as_str())
                .bind(name.to_lowercase())
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            Ok(true)
        }

        /// Whether one end of a link exists, locking its row (where the engine locks rows).
        async fn iam_end_exists(
            conn: &mut $conn,
            account: &AccountId,
            kind: LinkKind,
            key: &str,
        ) -> Out<bool> {
            let (table, kind_text) = match kind {
                LinkKind::User => ("principals", "user"),
                LinkKind::Role => ("principals", "role"),
                LinkKind::Group => ("iam_objects", "group"),
                LinkKind::Policy => ("iam_objects", "policy"),
                // Not stored: the service checks the name against the policies it knows.
                LinkKind::AwsPolicy => return Ok(true),
            };
            let sql = format!(
                "SELECT name FROM {table} WHERE account_id = $1 AND kind = $2 AND name_key = $3{}",
                $dialect.lock_row
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(account.as_str())
                .bind(kind_text)
                .bind(key)
                .fetch_optional(&mut *conn)
                .await
                .map_err($map)?;
            Ok(row.is_some())
        }

        /// Makes a link once both ends are found (and locked). Run inside one transaction.
        pub(crate) async fn link_iam(
            conn: &mut $conn,
            account: &AccountId,
            link: &IamLink,
        ) -> Out<LinkOutcome> {
            if !iam_end_exists(conn, account, link.source_kind, &link.source).await? {
                return Ok(LinkOutcome::SourceMissing);
            }
            if !iam_end_exists(conn, account, link.target_kind, &link.target).await? {
                return Ok(LinkOutcome::TargetMissing);
            }
            let done = sqlx::query(
                "INSERT INTO iam_links (account_id, source_kind, source_key, target_kind, target_key, \
                 created_ms) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (account_id, source_kind, source_key, target_kind, target_key) DO NOTHING",
            )
            .bind(account.as_str())
            .bind(link.source_kind.as_str())
            .bind(&link.source)
            .bind(link.target_kind.as_str())
            .bind(&link.target)
            .bind(millis(link.created))
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(if done.rows_affected() > 0 {
                LinkOutcome::Linked
            } else {
                LinkOutcome::AlreadyLinked
            })
        }

        /// Removes a link; `false` when there was none.
        pub(crate) async fn unlink_iam(
            conn: &mut $conn,
            account: &AccountId,
            link: &IamLink,
        ) -> Out<bool> {
            let done = sqlx::query(
                "DELETE FROM iam_links WHERE account_id = $1 AND source_kind = $2 \
                 AND source_key = $3 AND target_kind = $4 AND target_key = $5",
            )
            .bind(account.as_str())
            .bind(link.source_kind.as_str())
            .bind(&link.source)
            .bind(link.target_kind.as_str())
            .bind(&link.target)
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        /// The links `filter` selects, oldest first.
        pub(crate) async fn list_iam_links(
            conn: &mut $conn,
            account: &AccountId,
            filter: LinkFilter<'_>,
        ) -> Out<Vec<IamLink>> {
            const COLUMNS: &str = "SELECT source_kind, source_key, target_kind, target_key, \
                                   created_ms FROM iam_links WHERE account_id = $1";
            const ORDER: &str = " ORDER BY created_ms, source_kind, source_key, target_kind, target_key";
            let rows = match filter {
                LinkFilter::All => {
                    sqlx::query(sqlx::AssertSqlSafe(format!("{COLUMNS}{ORDER}")))
                        .bind(account.as_str())
                        .fetch_all(&mut *conn)
                        .await
                }
                LinkFilter::From(kind, name) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{COLUMNS} AND source_kind = $2 AND source_key = $3{ORDER}"
                    )))
                    .bind(account.as_str())
                    .bind(kind.as_str())
                    .bind(name.to_lowercase())
                    .fetch_all(&mut *conn)
                    .await
                }
                LinkFilter::To(kind, name) => {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "{COLUMNS} AND target_kind = $2 AND target_key = $3{ORDER}"
                    )))
                    .bind(account.as_str())
                    .bind(kind.as_str())
                    .bind(name.to_lowercase())
                    .fetch_all(&mut *conn)
                    .await
                }
            }
            .map_err($map)?;
            Ok(rows.iter().map(iam_link_from_row).collect::<Result<_>>()?)
        }
    };
}

pub(crate) use iam_sql;
