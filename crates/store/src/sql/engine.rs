//! [`engine_sql!`]: the statements both engines run, stamped out for each engine's concrete
//! sqlx types (see the module comment of `sql` for why a macro and not generic functions).

/// Defines, in the module it is invoked in, every shared store function for one engine:
///
/// - `db`: the sqlx database (`sqlx::Sqlite`, `sqlx::Postgres`), `conn` its connection type,
///   `row` its row type;
/// - `dialect`: the engine's [`crate::paging::Dialect`];
/// - `error`: the error the functions fail with (the domain error, or PostgreSQL's error that
///   tells a race to retry from a final failure) and `map`, how a sqlx error becomes one.
///
/// Row mappers fail with the domain error, which converts into `error`.
macro_rules! engine_sql {
    (
        db: $db:ty,
        conn: $conn:ty,
        row: $row:ty,
        dialect: $dialect:expr,
        error: $err:ty,
        map: $map:path $(,)?
    ) => {
        use std::collections::HashMap;

        use chrono::{DateTime, Utc};
        use coffer_core::error::{Error, Result};
        use coffer_core::model::{
            AccessKeyRecord, DeleteOutcome, LoginProfileRecord, NewVersion, PrincipalKind,
            PrincipalRecord, SealedValue, SecretRecord, ValueKind, VersionMeta,
        };
        use coffer_core::names::{AccountId, Candidate, Region, Scope};
        use coffer_core::store::{AuditHead, PageQuery};
        use sqlx::{QueryBuilder, Row};

        use $crate::paging;
        use $crate::sql::{
            corrupt, from_millis, millis, store_err, ACCESS_KEY_COLUMNS, PRINCIPAL_COLUMNS,
            SECRET_COLUMNS,
        };
        use $crate::tags;
        use $crate::transfer::{
            AccessKeyRow, IamLinkRow, IamObjectRow, InlinePolicyRow, KmsAliasRow, KmsKeyRow,
            LabelRow, LoginProfileRow, PrincipalRow, SecretRow, Snapshot, TagRow, VersionRow,
        };

        /// What the shared functions return.
        type Out<T> = std::result::Result<T, $err>;

        /// One column of a row, or a storage error.
        fn get<'r, T>(row: &'r $row, column: &str) -> Result<T>
        where
            T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
        {
            row.try_get(column).map_err(store_err)
        }

        /// A `secrets` row ([`SECRET_COLUMNS`]) as a record without versions or tags.
        pub(crate) fn secret_from_row(row: &$row) -> Result<SecretRecord> {
            let account: String = get(row, "account_id")?;
            let region: String = get(row, "region")?;
            Ok(SecretRecord {
                id: get(row, "id")?,
                scope: Scope {
                    account: AccountId::parse(&account).ok_or_else(|| corrupt("account id"))?,
                    region: Region::parse(&region).ok_or_else(|| corrupt("region"))?,
                },
                name: get(row, "name")?,
                suffix: get(row, "suffix")?,
                description: get(row, "description")?,
                kms_key_id: get(row, "kms_key_id")?,
                created: from_millis(get(row, "created_ms")?),
                last_changed: from_millis(get(row, "last_changed_ms")?),
                last_accessed: get::<Option<i64>>(row, "last_accessed_ms")?.map(from_millis),
                deleted: get::<Option<i64>>(row, "deleted_ms")?.map(from_millis),
                deletion_due: get::<Option<i64>>(row, "deletion_due_ms")?.map(from_millis),
                tags: Vec::new(),
                tagged: get(row, "tagged")?,
                resource_policy: get(row, "resource_policy")?,
                versions: Vec::new(),
                rotation: $crate::sql::rotation::decode(get::<Option<String>>(row, "rotation")?.as_deref())?,
            })
        }

        /// A version's sealed value.
        pub(crate) fn sealed_from_row(row: &$row) -> Result<SealedValue> {
            let kind: String = get(row, "kind")?;
            Ok(SealedValue {
                key_id: get(row, "key_id")?,
                wrapped_key: get(row, "wrapped_key")?,
                ciphertext: get(row, "ciphertext")?,
                kind: ValueKind::parse(&kind).ok_or_else(|| corrupt("value kind"))?,
            })
        }

        /// An `access_keys` row ([`ACCESS_KEY_COLUMNS`]).
        pub(crate) fn access_key_from_row(row: &$row) -> Result<AccessKeyRecord> {
            let account: String = get(row, "account_id")?;
            Ok(AccessKeyRecord {
                access_key_id: get(row, "access_key_id")?,
                account: AccountId::parse(&account).ok_or_else(|| corrupt("account id"))?,
                principal_arn: get(row, "principal_arn")?,
                user_name: get(row, "user_name")?,
                sealed_secret: SealedValue {
                    key_id: get(row, "key_id")?,
                    wrapped_key: get(row, "wrapped_key")?,
                    ciphertext: get(row, "ciphertext")?,
                    kind: ValueKind::String,
                },
                created: from_millis(get(row, "created_ms")?),
                active: get(row, "active")?,
            })
        }

        /// A `principals` row ([`PRINCIPAL_COLUMNS`]).
        pub(crate) fn principal_from_row(row: &$row) -> Result<PrincipalRecord> {
            let account: String = get(row, "account_id")?;
            let kind: String = get(row, "kind")?;
            let tags_text: String = get(row, "tags")?;
            Ok(PrincipalRecord {
                account: AccountId::parse(&account).ok_or_else(|| corrupt("account id"))?,
                kind: PrincipalKind::parse(&kind).ok_or_else(|| corrupt("principal kind"))?,
                name: get(row, "name")?,
                path: get(row, "path")?,
                id: get(row, "principal_id")?,
                created: from_millis(get(row, "created_ms")?),
                tags: tags::decode(&tags_text).ok_or_else(|| corrupt("principal tags"))?,
                trust_policy: get(row, "trust_policy")?,
                description: get(row, "description")?,
                max_session_secs: get::<Option<i64>>(row, "max_session_secs")?
                    .and_then(|n| u32::try_from(n).ok()),
            })
        }

        // --- secrets

        /// Inserts a new secret with its first version, labels and tags, unless its name is
        /// taken. `ON CONFLICT` waits for a concurrent insert of the same name to commit or
        /// roll back (PostgreSQL), so of two racing creates exactly one wins and the other sees
        /// the winner's row.
        pub(crate) async fn insert_secret(
            conn: &mut $conn,
            record: &SecretRecord,
            first: Option<&NewVersion>,
        ) -> Out<()> {
            let inserted = sqlx::query(
                "INSERT INTO secrets (id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
                 last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy, tagged) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (account_id, region, name) DO NOTHING",
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
            .bind(record.tagged)
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            if inserted.rows_affected() == 0 {
                let existing = sqlx::query(
                    "SELECT deleted_ms FROM secrets WHERE account_id = $1 AND region = $2 AND name = $3",
                )
                .bind(record.scope.account.as_str())
                .bind(record.scope.region.as_str())
                .bind(&record.name)
                .fetch_optional(&mut *conn)
                .await
                .map_err($map)?;
                let deleted = match existing {
                    Some(row) => get::<Option<i64>>(&row, "deleted_ms")?,
                    None => None,
                };
                return Err(Error::from(if deleted.is_some() {
                    Error::NameScheduledForDeletion
                } else {
                    Error::SecretExists(record.name.clone())
                })
                .into());
            }
            if let Some(first) = first {
                let meta = record.version(&first.version_id).ok_or_else(|| {
                    Error::Internal("first version missing from the record".into())
                })?;
                insert_versions(conn, &record.id, &[(meta, &first.sealed)]).await?;
            }
            insert_labels(conn, record).await?;
            insert_tags(conn, record).await?;
            Ok(())
        }

        /// Inserts versions with their sealed values, in one statement.
        async fn insert_versions(
            conn: &mut $conn,
            secret_id: &str,
            versions: &[(&VersionMeta, &SealedValue)],
        ) -> Out<()> {
            if versions.is_empty() {
                return Ok(());
            }
            let mut insert = QueryBuilder::<$db>::new(
                "INSERT INTO versions (secret_id, version_id, created_ms, kms_key_id, last_accessed_ms, \
                 key_id, wrapped_key, ciphertext, kind) ",
            );
            insert.push_values(versions, |mut row, (meta, sealed)| {
                row.push_bind(secret_id)
                    .push_bind(&meta.version_id)
                    .push_bind(millis(meta.created))
                    .push_bind(&meta.kms_key_id)
                    .push_bind(meta.last_accessed.map(millis))
                    .push_bind(&sealed.key_id)
                    .push_bind(&sealed.wrapped_key)
                    .push_bind(&sealed.ciphertext)
                    .push_bind(sealed.kind.as_str());
            });
            insert.build().execute(&mut *conn).await.map_err($map)?;
            Ok(())
        }

        /// Inserts all of the record's labels in one statement (at most 20): the secret has
        /// none yet (a new secret), or they were deleted first ([`write_changes`]).
        async fn insert_labels(conn: &mut $conn, record: &SecretRecord) -> Out<()> {
            let labels = $crate::sql::label_rows(record);
            if labels.is_empty() {
                return Ok(());
            }
            let mut insert = QueryBuilder::<$db>::new(
                "INSERT INTO labels (secret_id, label, version_id, position) ",
            );
            insert.push_values(labels.iter().enumerate(), |mut row, (position, (label, version))| {
                row.push_bind(&record.id)
                    .push_bind(*label)
                    .push_bind(*version)
                    .push_bind(position as i64);
            });
            insert.build().execute(&mut *conn).await.map_err($map)?;
            Ok(())
        }

        /// Inserts all of the record's tags in one statement (at most 50): the secret has none
        /// yet, or they were deleted first.
        async fn insert_tags(conn: &mut $conn, record: &SecretRecord) -> Out<()> {
            if record.tags.is_empty() {
                return Ok(());
            }
            let mut insert =
                QueryBuilder::<$db>::new("INSERT INTO tags (secret_id, key, value, position) ");
            insert.push_values(
                record.tags.iter().enumerate(),
                |mut row, (position, (key, value))| {
                    row.push_bind(&record.id)
                        .push_bind(key)
                        .push_bind(value)
                        .push_bind(position as i64);
                },
            );
            insert.build().execute(&mut *conn).await.map_err($map)?;
            Ok(())
        }

        /// Writes the difference between `before` and `after` (the same secret): the secret's
        /// row, then at most one statement each for the versions removed, the versions added,
        /// the labels and the tags.
        pub(crate) async fn write_changes(
            conn: &mut $conn,
            before: &SecretRecord,
            after: &SecretRecord,
            new_versions: &[NewVersion],
        ) -> Out<()> {
            let changes = $crate::sql::changes(before, after, new_versions)?;
            sqlx::query(
                "UPDATE secrets SET description = $1, kms_key_id = $2, last_changed_ms = $3, \
                 last_accessed_ms = $4, deleted_ms = $5, deletion_due_ms = $6, resource_policy = $7, \
                 tagged = $8, rotation = $9, rotation_due_ms = $10 WHERE id = $11",
            )
            .bind(&after.description)
            .bind(&after.kms_key_id)
            .bind(millis(after.last_changed))
            .bind(after.last_accessed.map(millis))
            .bind(after.deleted.map(millis))
            .bind(after.deletion_due.map(millis))
            .bind(&after.resource_policy)
            .bind(after.tagged)
            .bind($crate::sql::rotation::encode(after.rotation.as_ref()))
            .bind($crate::sql::rotation::due_ms(after.rotation.as_ref()))
            .bind(&after.id)
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            if changes.labels {
                // Labels go first: they reference versions that may be about to disappear.
                sqlx::query("DELETE FROM labels WHERE secret_id = $1")
                    .bind(&after.id)
                    .execute(&mut *conn)
                    .await
                    .map_err($map)?;
            }
            if !changes.removed.is_empty() {
                let mut delete = QueryBuilder::<$db>::new("DELETE FROM versions WHERE secret_id = ");
                delete.push_bind(&after.id).push(" AND version_id IN (");
                let mut ids = delete.separated(", ");
                for id in &changes.removed {
                    ids.push_bind(*id);
                }
                delete.push(")");
                delete.build().execute(&mut *conn).await.map_err($map)?;
            }
            insert_versions(conn, &after.id, &changes.added).await?;
            if changes.labels {
                insert_labels(conn, after).await?;
            }
            if changes.tags {
                sqlx::query("DELETE FROM tags WHERE secret_id = $1")
                    .bind(&after.id)
                    .execute(&mut *conn)
                    .await
                    .map_err($map)?;
                insert_tags(conn, after).await?;
            }
            Ok(())
        }

        /// Deletes a secret with its versions, labels and tags.
        pub(crate) async fn delete_secret_rows(conn: &mut $conn, id: &str) -> Out<()> {
            // Children first, in dependency order, so this works with or without cascades.
            for sql in [
                "DELETE FROM labels WHERE secret_id = $1",
                "DELETE FROM tags WHERE secret_id = $1",
                "DELETE FROM versions WHERE secret_id = $1",
                "DELETE FROM secrets WHERE id = $1",
            ] {
                sqlx::query(sql)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err($map)?;
            }
            Ok(())
        }

        /// Fills in versions, labels and tags of the given secrets, selected by a `WHERE`
        /// clause over the `secrets` table aliased `s` with the given binds.
        pub(crate) async fn load_children(
            conn: &mut $conn,
            records: &mut [SecretRecord],
            filter: &str,
            binds: &[&str],
        ) -> Out<()> {
            let mut index: HashMap<String, usize> = HashMap::with_capacity(records.len());
            for (i, r) in records.iter().enumerate() {
                index.insert(r.id.clone(), i);
            }
            // Versions and their labels in one query: one row per (version, label), a version
            // without labels once with a NULL label. Each query is a round trip (to SQLite's
            // worker thread, or over the network), and this runs inside every write.
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
            for row in query.fetch_all(&mut *conn).await.map_err($map)? {
                let secret_id: String = get(&row, "secret_id")?;
                let Some(&i) = index.get(&secret_id) else {
                    continue;
                };
                let version_id: String = get(&row, "version_id")?;
                let label: Option<String> = get(&row, "label")?;
                let versions = &mut records[i].versions;
                if versions.last().is_none_or(|v| v.version_id != version_id) {
                    versions.push(VersionMeta {
                        version_id,
                        created: from_millis(get(&row, "created_ms")?),
                        stages: Vec::new(),
                        kms_key_id: get(&row, "kms_key_id")?,
                        last_accessed: get::<Option<i64>>(&row, "last_accessed_ms")?
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
            for row in query.fetch_all(&mut *conn).await.map_err($map)? {
                let secret_id: String = get(&row, "secret_id")?;
                if let Some(&i) = index.get(&secret_id) {
                    records[i].tags.push((get(&row, "key")?, get(&row, "value")?));
                }
            }
            Ok(())
        }

        /// Finds the first secret matching one of `candidates`, in order, and loads it with its
        /// children: the secret's row comes with the lookup, saving a round trip. With `lock`,
        /// also locks the secret's row until the transaction ends where the engine has row
        /// locks (every writer of a secret takes this lock first).
        pub(crate) async fn load_by_candidates(
            conn: &mut $conn,
            scope: &Scope,
            candidates: &[Candidate],
            lock: bool,
        ) -> Out<Option<SecretRecord>> {
            let sql = format!(
                "SELECT {SECRET_COLUMNS} FROM secrets WHERE account_id = $1 AND region = $2 AND name = $3{}",
                if lock { $dialect.lock_row } else { "" }
            );
            for candidate in candidates {
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(scope.account.as_str())
                    .bind(scope.region.as_str())
                    .bind(&candidate.name)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err($map)?;
                if let Some(row) = row {
                    let record = secret_from_row(&row)?;
                    if candidate
                        .suffix
                        .as_deref()
                        .is_none_or(|s| s == record.suffix)
                    {
                        let id = record.id.clone();
                        let mut records = [record];
                        load_children(conn, &mut records, "s.id = $1", &[&id]).await?;
                        let [record] = records;
                        return Ok(Some(record));
                    }
                }
            }
            Ok(None)
        }

        /// Every secret of a scope, with its children.
        pub(crate) async fn list_secrets(
            conn: &mut $conn,
            scope: &Scope,
            include_deleted: bool,
        ) -> Out<Vec<SecretRecord>> {
            let filter = if include_deleted {
                "s.account_id = $1 AND s.region = $2"
            } else {
                "s.account_id = $1 AND s.region = $2 AND s.deleted_ms IS NULL"
            };
            let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets s WHERE {filter}");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(scope.account.as_str())
                .bind(scope.region.as_str())
                .fetch_all(&mut *conn)
                .await
                .map_err($map)?;
            let mut records = rows
                .iter()
                .map(secret_from_row)
                .collect::<Result<Vec<_>>>()?;
            load_children(
                conn,
                &mut records,
                filter,
                &[scope.account.as_str(), scope.region.as_str()],
            )
            .await?;
            Ok(records)
        }

        /// One page of a listing (see `paging`), read as `plan` says, with its children.
        pub(crate) async fn list_secret_page(
            conn: &mut $conn,
            scope: &Scope,
            query: &PageQuery<'_>,
            plan: paging::Plan,
        ) -> Out<Vec<SecretRecord>> {
            let mut page = QueryBuilder::<$db>::new("");
            paging::push_page(&mut page, SECRET_COLUMNS, scope, query, $dialect, plan);
            let rows = page.build().fetch_all(&mut *conn).await.map_err($map)?;
            let mut records = rows
                .iter()
                .map(secret_from_row)
                .collect::<Result<Vec<_>>>()?;
            if !records.is_empty() {
                let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                let filter = paging::ids_in(ids.len(), $dialect);
                load_children(conn, &mut records, &filter, &ids).await?;
            }
            Ok(records)
        }

        /// Records the day a version was last read, on the version and its secret. The secret's
        /// row goes first, as every writer's does, so that this never deadlocks with one.
        pub(crate) async fn record_access(
            conn: &mut $conn,
            secret_id: &str,
            version_id: &str,
            day: DateTime<Utc>,
        ) -> Out<()> {
            sqlx::query("UPDATE secrets SET last_accessed_ms = $1 WHERE id = $2")
                .bind(millis(day))
                .bind(secret_id)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            sqlx::query(
                "UPDATE versions SET last_accessed_ms = $1 WHERE secret_id = $2 AND version_id = $3",
            )
            .bind(millis(day))
            .bind(secret_id)
            .bind(version_id)
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(())
        }

        /// Deletes every secret whose recovery window ended by `now`, and returns them. Where
        /// the engine has row locks, a due secret another transaction holds is skipped (left to
        /// that node's purge).
        pub(crate) async fn purge_due(conn: &mut $conn, now: DateTime<Utc>) -> Out<Vec<SecretRecord>> {
            let sql = format!(
                "SELECT {SECRET_COLUMNS} FROM secrets \
                 WHERE deletion_due_ms IS NOT NULL AND deletion_due_ms <= $1{}",
                $dialect.claim_rows
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(millis(now))
                .fetch_all(&mut *conn)
                .await
                .map_err($map)?;
            let mut purged = Vec::with_capacity(rows.len());
            for row in &rows {
                let record = secret_from_row(row)?;
                delete_secret_rows(conn, &record.id).await?;
                purged.push(record);
            }
            Ok(purged)
        }

        /// Secrets whose rotation is due by `now`, earliest first (`Store::rotation_due`).
        pub(crate) async fn rotation_due(
            conn: &mut $conn,
            now: DateTime<Utc>,
            limit: usize,
        ) -> Out<Vec<(Scope, Candidate)>> {
            let rows = sqlx::query(
                "SELECT account_id, region, name, suffix FROM secrets \
                 WHERE rotation_due_ms IS NOT NULL AND rotation_due_ms <= $1 AND deleted_ms IS NULL \
                 ORDER BY rotation_due_ms LIMIT $2",
            )
            .bind(millis(now))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let account: String = get(row, "account_id")?;
                let region: String = get(row, "region")?;
                out.push((
                    Scope {
                        account: AccountId::parse(&account).ok_or_else(|| corrupt("account id"))?,
                        region: Region::parse(&region).ok_or_else(|| corrupt("region"))?,
                    },
                    Candidate {
                        name: get(row, "name")?,
                        suffix: Some(get(row, "suffix")?),
                    },
                ));
            }
            Ok(out)
        }

        /// Every secret with a rotation state, rows only (`Store::rotating_secrets`).
        pub(crate) async fn rotating_secrets(conn: &mut $conn) -> Out<Vec<SecretRecord>> {
            let sql = format!(
                "SELECT {SECRET_COLUMNS} FROM secrets WHERE rotation IS NOT NULL ORDER BY id"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await
                .map_err($map)?;
            Ok(rows.iter().map(secret_from_row).collect::<Result<Vec<_>>>()?)
        }

        /// A version's sealed value.
        pub(crate) async fn read_sealed(
            conn: &mut $conn,
            secret_id: &str,
            version_id: &str,
        ) -> Out<Option<SealedValue>> {
            let row = sqlx::query(
                "SELECT key_id, wrapped_key, ciphertext, kind FROM versions \
                 WHERE secret_id = $1 AND version_id = $2",
            )
            .bind(secret_id)
            .bind(version_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err($map)?;
            Ok(row.as_ref().map(sealed_from_row).transpose()?)
        }

        // --- accounts, audit heads, access keys

        /// Creates an account unless it exists.
        pub(crate) async fn ensure_account(
            conn: &mut $conn,
            account: &AccountId,
            created: DateTime<Utc>,
        ) -> Out<()> {
            sqlx::query(
                "INSERT INTO accounts (id, created_ms) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            )
            .bind(account.as_str())
            .bind(millis(created))
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(())
        }

        /// Every account, oldest first.
        pub(crate) async fn list_accounts(conn: &mut $conn) -> Out<Vec<AccountId>> {
            let rows = sqlx::query("SELECT id FROM accounts ORDER BY created_ms, id")
                .fetch_all(&mut *conn)
                .await
                .map_err($map)?;
            Ok(rows
                .iter()
                .map(|row| {
                    let id: String = get(row, "id")?;
                    AccountId::parse(&id).ok_or_else(|| corrupt("account id"))
                })
                .collect::<Result<_>>()?)
        }

        /// Sets an audit trail's chain head.
        pub(crate) async fn put_audit_head(conn: &mut $conn, head: &AuditHead) -> Out<()> {
            sqlx::query(
                "INSERT INTO audit_heads (trail, digest, updated_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (trail) DO UPDATE SET digest = excluded.digest, updated_ms = excluded.updated_ms",
            )
            .bind(&head.trail)
            .bind(&head.digest)
            .bind(millis(head.updated))
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(())
        }

        /// An audit trail's chain head.
        pub(crate) async fn audit_head(conn: &mut $conn, trail: &str) -> Out<Option<AuditHead>> {
            let row = sqlx::query("SELECT digest, updated_ms FROM audit_heads WHERE trail = $1")
                .bind(trail)
                .fetch_optional(&mut *conn)
                .await
                .map_err($map)?;
            let head = row
                .map(|row| -> Result<AuditHead> {
                    Ok(AuditHead {
                        trail: trail.to_owned(),
                        digest: get(&row, "digest")?,
                        updated: from_millis(get(&row, "updated_ms")?),
                    })
                })
                .transpose()?;
            Ok(head)
        }

        /// Stores a new access key.
        pub(crate) async fn insert_access_key(conn: &mut $conn, key: &AccessKeyRecord) -> Out<()> {
            sqlx::query(
                "INSERT INTO access_keys (access_key_id, account_id, principal_arn, key_id, wrapped_key, \
                 ciphertext, created_ms, active, user_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
            .map_err($map)?;
            Ok(())
        }

        /// An access key by id.
        pub(crate) async fn find_access_key(
            conn: &mut $conn,
            access_key_id: &str,
        ) -> Out<Option<AccessKeyRecord>> {
            let sql = format!("SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE access_key_id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(access_key_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err($map)?;
            Ok(row.as_ref().map(access_key_from_row).transpose()?)
        }

        /// An account's access keys, oldest first.
        pub(crate) async fn list_access_keys(
            conn: &mut $conn,
            account: &AccountId,
        ) -> Out<Vec<AccessKeyRecord>> {
            let sql = format!(
                "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE account_id = $1 \
                 ORDER BY created_ms, access_key_id"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(account.as_str())
                .fetch_all(&mut *conn)
                .await
                .map_err($map)?;
            Ok(rows.iter().map(access_key_from_row).collect::<Result<_>>()?)
        }

        /// Activates or deactivates an access key; `false` when there is no such key.
        pub(crate) async fn set_access_key_active(
            conn: &mut $conn,
            access_key_id: &str,
            active: bool,
        ) -> Out<bool> {
            let done = sqlx::query("UPDATE access_keys SET active = $1 WHERE access_key_id = $2")
                .bind(active)
                .bind(access_key_id)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        /// Deletes an access key; `false` when there is no such key.
        pub(crate) async fn delete_access_key(conn: &mut $conn, access_key_id: &str) -> Out<bool> {
            let done = sqlx::query("DELETE FROM access_keys WHERE access_key_id = $1")
                .bind(access_key_id)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        // --- IAM principals and inline policies (names unique ignoring case: `name_key`)

        /// Stores a new principal; `false` when the name is taken. `ON CONFLICT` waits for a
        /// racing insert of the same name, so exactly one of two wins.
        pub(crate) async fn insert_principal(conn: &mut $conn, p: &PrincipalRecord) -> Out<bool> {
            let done = sqlx::query(
                "INSERT INTO principals (account_id, kind, name_key, name, path, principal_id, created_ms, \
                 tags, trust_policy, description, max_session_secs) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (account_id, kind, name_key) DO NOTHING",
            )
            .bind(p.account.as_str())
            .bind(p.kind.as_str())
            .bind(p.name.to_lowercase())
            .bind(&p.name)
            .bind(&p.path)
            .bind(&p.id)
            .bind(millis(p.created))
            .bind(tags::encode(&p.tags))
            .bind(&p.trust_policy)
            .bind(&p.description)
            .bind(p.max_session_secs.map(i64::from))
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        /// A principal by name, ignoring case.
        pub(crate) async fn find_principal(
            conn: &mut $conn,
            account: &AccountId,
            kind: PrincipalKind,
            name: &str,
        ) -> Out<Option<PrincipalRecord>> {
            let sql = format!(
                "SELECT {PRINCIPAL_COLUMNS} FROM principals \
                 WHERE account_id = $1 AND kind = $2 AND name_key = $3"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(account.as_str())
                .bind(kind.as_str())
                .bind(name.to_lowercase())
                .fetch_optional(&mut *conn)
                .await
                .map_err($map)?;
            Ok(row.as_ref().map(principal_from_row).transpose()?)
        }

        /// An account's principals of one kind, by name.
        pub(crate) async fn list_principals(
            conn: &mut $conn,
            account: &AccountId,
            kind: PrincipalKind,
        ) -> Out<Vec<PrincipalRecord>> {
            let sql = format!(
                "SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE account_id = $1 AND kind = $2 \
                 ORDER BY name_key"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(account.as_str())
                .bind(kind.as_str())
                .fetch_all(&mut *conn)
                .await
                .map_err($map)?;
            Ok(rows.iter().map(principal_from_row).collect::<Result<_>>()?)
        }

        /// Deletes a principal that has no inline policies and (a user) no access keys. Run
        /// inside one transaction; where the engine has row locks the principal's row is
        /// locked first, so that a concurrent PutUserPolicy or CreateAccessKey (which read the
        /// principal first) cannot slip in between the checks and the delete.
        pub(crate) async fn delete_principal(
            conn: &mut $conn,
            account: &AccountId,
            kind: PrincipalKind,
            name: &str,
        ) -> Out<DeleteOutcome> {
            let key = name.to_lowercase();
            let sql = format!(
                "SELECT name FROM principals WHERE account_id = $1 AND kind = $2 AND name_key = $3{}",
                $dialect.lock_row
            );
            let found = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(account.as_str())
                .bind(kind.as_str())
                .bind(&key)
                .fetch_optional(&mut *conn)
                .await
                .map_err($map)?;
            let Some(found) = found else {
                return Ok(DeleteOutcome::NotFound);
            };
            let real_name: String = get(&found, "name")?;
            let policies: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM inline_policies WHERE account_id = $1 AND kind = $2 AND principal_key = $3",
            )
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(&key)
            .fetch_one(&mut *conn)
            .await
            .map_err($map)?;
            if policies > 0 {
                return Ok(DeleteOutcome::HasPolicies);
            }
            // Links from it: managed policies attached to it, groups it (a user) is in.
            let links: Vec<(String,)> = sqlx::query_as(
                "SELECT target_kind FROM iam_links WHERE account_id = $1 AND source_kind = $2 \
                 AND source_key = $3",
            )
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(&key)
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?;
            if links.iter().any(|(target,)| target != "group") {
                return Ok(DeleteOutcome::HasAttachedPolicies);
            }
            if kind == PrincipalKind::User {
                let keys: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND user_name = $2",
                )
                .bind(account.as_str())
                .bind(&real_name)
                .fetch_one(&mut *conn)
                .await
                .map_err($map)?;
                if keys > 0 {
                    return Ok(DeleteOutcome::HasAccessKeys);
                }
                if !links.is_empty() {
                    return Ok(DeleteOutcome::InGroups);
                }
            }
            sqlx::query("DELETE FROM principals WHERE account_id = $1 AND kind = $2 AND name_key = $3")
                .bind(account.as_str())
                .bind(kind.as_str())
                .bind(&key)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            Ok(DeleteOutcome::Deleted)
        }

        /// Creates or replaces a principal's inline policy.
        pub(crate) async fn put_inline_policy(
            conn: &mut $conn,
            account: &AccountId,
            kind: PrincipalKind,
            principal: &str,
            policy_name: &str,
            document: &str,
        ) -> Out<()> {
            sqlx::query(
                "INSERT INTO inline_policies (account_id, kind, principal_key, policy_name, document) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, kind, principal_key, policy_name) \
                 DO UPDATE SET document = excluded.document",
            )
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(principal.to_lowercase())
            .bind(policy_name)
            .bind(document)
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(())
        }

        /// A principal's inline policies (name, document), by name.
        pub(crate) async fn list_inline_policies(
            conn: &mut $conn,
            account: &AccountId,
            kind: PrincipalKind,
            principal: &str,
        ) -> Out<Vec<(String, String)>> {
            let rows = sqlx::query(
                "SELECT policy_name, document FROM inline_policies \
                 WHERE account_id = $1 AND kind = $2 AND principal_key = $3 ORDER BY policy_name",
            )
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(principal.to_lowercase())
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?;
            Ok(rows
                .iter()
                .map(|row| Ok((get(row, "policy_name")?, get(row, "document")?)))
                .collect::<Result<_>>()?)
        }

        /// Deletes a principal's inline policy; `false` when there is no such policy.
        pub(crate) async fn delete_inline_policy(
            conn: &mut $conn,
            account: &AccountId,
            kind: PrincipalKind,
            principal: &str,
            policy_name: &str,
        ) -> Out<bool> {
            let done = sqlx::query(
                "DELETE FROM inline_policies WHERE account_id = $1 AND kind = $2 AND principal_key = $3 \
                 AND policy_name = $4",
            )
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(principal.to_lowercase())
            .bind(policy_name)
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        // --- login profiles (console passwords)

        /// Inserts a login profile (`create`: `false` when the user has one) or replaces the
        /// hash and reset flag of an existing one (`false` when there is none).
        pub(crate) async fn put_login_profile(
            conn: &mut $conn,
            profile: &LoginProfileRecord,
            create: bool,
        ) -> Out<bool> {
            let done = if create {
                sqlx::query(
                    "INSERT INTO login_profiles (account_id, name_key, user_name, user_id, \
                     password_hash, password_reset_required, created_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(profile.account.as_str())
                .bind(profile.user_name.to_lowercase())
                .bind(&profile.user_name)
                .bind(&profile.user_id)
                .bind(&profile.password_hash)
                .bind(profile.password_reset_required)
                .bind(millis(profile.created))
                .execute(&mut *conn)
                .await
                .map_err($map)?
            } else {
                sqlx::query(
                    "UPDATE login_profiles SET password_hash = $1, password_reset_required = $2 \
                     WHERE account_id = $3 AND name_key = $4 AND user_id = $5",
                )
                .bind(&profile.password_hash)
                .bind(profile.password_reset_required)
                .bind(profile.account.as_str())
                .bind(profile.user_name.to_lowercase())
                .bind(&profile.user_id)
                .execute(&mut *conn)
                .await
                .map_err($map)?
            };
            Ok(done.rows_affected() > 0)
        }

        /// A user's login profile (its name compared ignoring case).
        pub(crate) async fn find_login_profile(
            conn: &mut $conn,
            account: &AccountId,
            user_name: &str,
        ) -> Out<Option<LoginProfileRecord>> {
            let row = sqlx::query(
                "SELECT user_name, user_id, password_hash, password_reset_required, created_ms \
                 FROM login_profiles WHERE account_id = $1 AND name_key = $2",
            )
            .bind(account.as_str())
            .bind(user_name.to_lowercase())
            .fetch_optional(&mut *conn)
            .await
            .map_err($map)?;
            let profile = row
                .map(|row| -> Result<LoginProfileRecord> {
                    Ok(LoginProfileRecord {
                        account: account.clone(),
                        user_name: get(&row, "user_name")?,
                        user_id: get(&row, "user_id")?,
                        password_hash: get(&row, "password_hash")?,
                        password_reset_required: get(&row, "password_reset_required")?,
                        created: from_millis(get(&row, "created_ms")?),
                    })
                })
                .transpose()?;
            Ok(profile)
        }

        /// Removes a user's login profile; `false` when there is none.
        pub(crate) async fn delete_login_profile(
            conn: &mut $conn,
            account: &AccountId,
            user_name: &str,
        ) -> Out<bool> {
            let done =
                sqlx::query("DELETE FROM login_profiles WHERE account_id = $1 AND name_key = $2")
                    .bind(account.as_str())
                    .bind(user_name.to_lowercase())
                    .execute(&mut *conn)
                    .await
                    .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        // --- IAM managed policies, groups and links (`sql/iam.rs`)

        $crate::sql::iam::iam_sql! {
            conn: $conn,
            row: $row,
            dialect: $dialect,
            map: $map,
        }

        // --- the whole store

        /// Empties every table (tests and tools).
        pub(crate) async fn reset(conn: &mut $conn) -> Out<()> {
            for table in $crate::sql::TABLES_CHILDREN_FIRST {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                    .execute(&mut *conn)
                    .await
                    .map_err($map)?;
            }
            Ok(())
        }

        /// Every row of every table, in a stable order, read on `conn` (inside the caller's
        /// read transaction, one snapshot). Text keys sort byte by byte on both engines, so
        /// that their snapshots of the same rows are equal whatever the database's collation.
        pub(crate) async fn export_rows(conn: &mut $conn) -> Out<Snapshot> {
            let b = $dialect.bytewise;
            let mut snapshot = Snapshot::default();
            let all = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in all(format!("SELECT id, created_ms FROM accounts ORDER BY id{b}"))
                .fetch_all(&mut *conn)
                .await
                .map_err($map)?
            {
                snapshot
                    .accounts
                    .push((get(&row, "id")?, get(&row, "created_ms")?));
            }
            for row in all(format!(
                "SELECT account_id, kind, name_key, name, path, principal_id, created_ms, tags, \
                 trust_policy, description, max_session_secs FROM principals \
                 ORDER BY account_id{b}, kind{b}, name_key{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.principals.push(PrincipalRow {
                    account_id: get(&row, "account_id")?,
                    kind: get(&row, "kind")?,
                    name_key: get(&row, "name_key")?,
                    name: get(&row, "name")?,
                    path: get(&row, "path")?,
                    principal_id: get(&row, "principal_id")?,
                    created_ms: get(&row, "created_ms")?,
                    tags: get(&row, "tags")?,
                    trust_policy: get(&row, "trust_policy")?,
                    description: get(&row, "description")?,
                    max_session_secs: get(&row, "max_session_secs")?,
                });
            }
            for row in all(format!(
                "SELECT account_id, kind, principal_key, policy_name, document FROM inline_policies \
                 ORDER BY account_id{b}, kind{b}, principal_key{b}, policy_name{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.inline_policies.push(InlinePolicyRow {
                    account_id: get(&row, "account_id")?,
                    kind: get(&row, "kind")?,
                    principal_key: get(&row, "principal_key")?,
                    policy_name: get(&row, "policy_name")?,
                    document: get(&row, "document")?,
                });
            }
            for row in all(format!(
                "SELECT account_id, name_key, user_name, user_id, password_hash, \
                 password_reset_required, created_ms FROM login_profiles \
                 ORDER BY account_id{b}, name_key{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.login_profiles.push(LoginProfileRow {
                    account_id: get(&row, "account_id")?,
                    name_key: get(&row, "name_key")?,
                    user_name: get(&row, "user_name")?,
                    user_id: get(&row, "user_id")?,
                    password_hash: get(&row, "password_hash")?,
                    password_reset_required: get(&row, "password_reset_required")?,
                    created_ms: get(&row, "created_ms")?,
                });
            }
            for row in all(format!(
                "SELECT account_id, region, key_id, description, created_ms, state, deletion_ms, \
                 pending_window_days, policy, tags, sealer_key_id, wrapped_key, material \
                 FROM kms_keys ORDER BY account_id{b}, region{b}, key_id{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.kms_keys.push(KmsKeyRow {
                    account_id: get(&row, "account_id")?,
                    region: get(&row, "region")?,
                    key_id: get(&row, "key_id")?,
                    description: get(&row, "description")?,
                    created_ms: get(&row, "created_ms")?,
                    state: get(&row, "state")?,
                    deletion_ms: get(&row, "deletion_ms")?,
                    pending_window_days: get(&row, "pending_window_days")?,
                    policy: get(&row, "policy")?,
                    tags: get(&row, "tags")?,
                    sealer_key_id: get(&row, "sealer_key_id")?,
                    wrapped_key: get(&row, "wrapped_key")?,
                    material: get(&row, "material")?,
                });
            }
            for row in all(format!(
                "SELECT account_id, region, alias_name, target_key_id, created_ms, updated_ms \
                 FROM kms_aliases ORDER BY account_id{b}, region{b}, alias_name{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.kms_aliases.push(KmsAliasRow {
                    account_id: get(&row, "account_id")?,
                    region: get(&row, "region")?,
                    alias_name: get(&row, "alias_name")?,
                    target_key_id: get(&row, "target_key_id")?,
                    created_ms: get(&row, "created_ms")?,
                    updated_ms: get(&row, "updated_ms")?,
                });
            }
            for row in all(format!(
                "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys ORDER BY access_key_id{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.access_keys.push(AccessKeyRow {
                    access_key_id: get(&row, "access_key_id")?,
                    account_id: get(&row, "account_id")?,
                    principal_arn: get(&row, "principal_arn")?,
                    key_id: get(&row, "key_id")?,
                    wrapped_key: get(&row, "wrapped_key")?,
                    ciphertext: get(&row, "ciphertext")?,
                    created_ms: get(&row, "created_ms")?,
                    active: get(&row, "active")?,
                    user_name: get(&row, "user_name")?,
                });
            }
            for row in all(format!("SELECT {SECRET_COLUMNS}, rotation_due_ms FROM secrets ORDER BY id{b}"))
                .fetch_all(&mut *conn)
                .await
                .map_err($map)?
            {
                snapshot.secrets.push(SecretRow {
                    id: get(&row, "id")?,
                    account_id: get(&row, "account_id")?,
                    region: get(&row, "region")?,
                    name: get(&row, "name")?,
                    suffix: get(&row, "suffix")?,
                    description: get(&row, "description")?,
                    kms_key_id: get(&row, "kms_key_id")?,
                    created_ms: get(&row, "created_ms")?,
                    last_changed_ms: get(&row, "last_changed_ms")?,
                    last_accessed_ms: get(&row, "last_accessed_ms")?,
                    deleted_ms: get(&row, "deleted_ms")?,
                    deletion_due_ms: get(&row, "deletion_due_ms")?,
                    resource_policy: get(&row, "resource_policy")?,
                    tagged: get(&row, "tagged")?,
                    rotation: get(&row, "rotation")?,
                    rotation_due_ms: get(&row, "rotation_due_ms")?,
                });
            }
            for row in all(format!(
                "SELECT secret_id, version_id, created_ms, kms_key_id, last_accessed_ms, key_id, \
                 wrapped_key, ciphertext, kind FROM versions ORDER BY secret_id{b}, version_id{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.versions.push(VersionRow {
                    secret_id: get(&row, "secret_id")?,
                    version_id: get(&row, "version_id")?,
                    created_ms: get(&row, "created_ms")?,
                    kms_key_id: get(&row, "kms_key_id")?,
                    last_accessed_ms: get(&row, "last_accessed_ms")?,
                    key_id: get(&row, "key_id")?,
                    wrapped_key: get(&row, "wrapped_key")?,
                    ciphertext: get(&row, "ciphertext")?,
                    kind: get(&row, "kind")?,
                });
            }
            for row in all(format!(
                "SELECT secret_id, label, version_id, position FROM labels \
                 ORDER BY secret_id{b}, label{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.labels.push(LabelRow {
                    secret_id: get(&row, "secret_id")?,
                    label: get(&row, "label")?,
                    version_id: get(&row, "version_id")?,
                    position: get(&row, "position")?,
                });
            }
            for row in all(format!(
                "SELECT secret_id, key, value, position FROM tags ORDER BY secret_id{b}, key{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.tags.push(TagRow {
                    secret_id: get(&row, "secret_id")?,
                    key: get(&row, "key")?,
                    value: get(&row, "value")?,
                    position: get(&row, "position")?,
                });
            }
            for row in all(format!(
                "SELECT account_id, kind, name_key, name, body FROM iam_objects \
                 ORDER BY account_id{b}, kind{b}, name_key{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.iam_objects.push(IamObjectRow {
                    account_id: get(&row, "account_id")?,
                    kind: get(&row, "kind")?,
                    name_key: get(&row, "name_key")?,
                    name: get(&row, "name")?,
                    body: get(&row, "body")?,
                });
            }
            for row in all(format!(
                "SELECT account_id, source_kind, source_key, target_kind, target_key, created_ms \
                 FROM iam_links ORDER BY account_id{b}, source_kind{b}, source_key{b}, \
                 target_kind{b}, target_key{b}"
            ))
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?
            {
                snapshot.iam_links.push(IamLinkRow {
                    account_id: get(&row, "account_id")?,
                    source_kind: get(&row, "source_kind")?,
                    source_key: get(&row, "source_key")?,
                    target_kind: get(&row, "target_kind")?,
                    target_key: get(&row, "target_key")?,
                    created_ms: get(&row, "created_ms")?,
                });
            }
            Ok(snapshot)
        }

        /// Writes every row of `snapshot`, as it is (ciphertexts included), on `conn` (inside
        /// the caller's write transaction), in foreign-key order: accounts, principals, inline
        /// policies, login profiles, IAM objects and links, KMS keys and aliases, access keys,
        /// secrets, versions, labels, tags. The caller checks that the
        /// target is empty.
        pub(crate) async fn import_rows(conn: &mut $conn, snapshot: &Snapshot) -> Out<()> {
            for (id, created_ms) in &snapshot.accounts {
                sqlx::query("INSERT INTO accounts (id, created_ms) VALUES ($1, $2)")
                    .bind(id)
                    .bind(created_ms)
                    .execute(&mut *conn)
                    .await
                    .map_err($map)?;
            }
            for p in &snapshot.principals {
                sqlx::query(
                    "INSERT INTO principals (account_id, kind, name_key, name, path, principal_id, created_ms, \
                     tags, trust_policy, description, max_session_secs) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&p.account_id)
                .bind(&p.kind)
                .bind(&p.name_key)
                .bind(&p.name)
                .bind(&p.path)
                .bind(&p.principal_id)
                .bind(p.created_ms)
                .bind(&p.tags)
                .bind(&p.trust_policy)
                .bind(&p.description)
                .bind(p.max_session_secs)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for p in &snapshot.inline_policies {
                sqlx::query(
                    "INSERT INTO inline_policies (account_id, kind, principal_key, policy_name, document) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&p.account_id)
                .bind(&p.kind)
                .bind(&p.principal_key)
                .bind(&p.policy_name)
                .bind(&p.document)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for l in &snapshot.login_profiles {
                sqlx::query(
                    "INSERT INTO login_profiles (account_id, name_key, user_name, user_id, password_hash, \
                     password_reset_required, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&l.account_id)
                .bind(&l.name_key)
                .bind(&l.user_name)
                .bind(&l.user_id)
                .bind(&l.password_hash)
                .bind(l.password_reset_required)
                .bind(l.created_ms)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for o in &snapshot.iam_objects {
                sqlx::query(
                    "INSERT INTO iam_objects (account_id, kind, name_key, name, body) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&o.account_id)
                .bind(&o.kind)
                .bind(&o.name_key)
                .bind(&o.name)
                .bind(&o.body)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for l in &snapshot.iam_links {
                sqlx::query(
                    "INSERT INTO iam_links (account_id, source_kind, source_key, target_kind, target_key, \
                     created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&l.account_id)
                .bind(&l.source_kind)
                .bind(&l.source_key)
                .bind(&l.target_kind)
                .bind(&l.target_key)
                .bind(l.created_ms)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for k in &snapshot.kms_keys {
                sqlx::query(
                    "INSERT INTO kms_keys (account_id, region, key_id, description, created_ms, state, \
                     deletion_ms, pending_window_days, policy, tags, sealer_key_id, wrapped_key, material) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(&k.account_id)
                .bind(&k.region)
                .bind(&k.key_id)
                .bind(&k.description)
                .bind(k.created_ms)
                .bind(&k.state)
                .bind(k.deletion_ms)
                .bind(k.pending_window_days)
                .bind(&k.policy)
                .bind(&k.tags)
                .bind(&k.sealer_key_id)
                .bind(&k.wrapped_key)
                .bind(&k.material)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for a in &snapshot.kms_aliases {
                sqlx::query(
                    "INSERT INTO kms_aliases (account_id, region, alias_name, target_key_id, created_ms, \
                     updated_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&a.account_id)
                .bind(&a.region)
                .bind(&a.alias_name)
                .bind(&a.target_key_id)
                .bind(a.created_ms)
                .bind(a.updated_ms)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for k in &snapshot.access_keys {
                sqlx::query(
                    "INSERT INTO access_keys (access_key_id, account_id, principal_arn, key_id, wrapped_key, ciphertext, created_ms, active, \
                     user_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&k.access_key_id)
                .bind(&k.account_id)
                .bind(&k.principal_arn)
                .bind(&k.key_id)
                .bind(&k.wrapped_key)
                .bind(&k.ciphertext)
                .bind(k.created_ms)
                .bind(k.active)
                .bind(&k.user_name)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for s in &snapshot.secrets {
                sqlx::query(
                    "INSERT INTO secrets (id, account_id, region, name, suffix, description, kms_key_id, created_ms, \
                     last_changed_ms, last_accessed_ms, deleted_ms, deletion_due_ms, resource_policy, tagged, \
                     rotation, rotation_due_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                )
                .bind(&s.id)
                .bind(&s.account_id)
                .bind(&s.region)
                .bind(&s.name)
                .bind(&s.suffix)
                .bind(&s.description)
                .bind(&s.kms_key_id)
                .bind(s.created_ms)
                .bind(s.last_changed_ms)
                .bind(s.last_accessed_ms)
                .bind(s.deleted_ms)
                .bind(s.deletion_due_ms)
                .bind(&s.resource_policy)
                .bind(s.tagged)
                .bind(&s.rotation)
                .bind(s.rotation_due_ms)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for v in &snapshot.versions {
                sqlx::query(
                    "INSERT INTO versions (secret_id, version_id, created_ms, kms_key_id, last_accessed_ms, key_id, wrapped_key, ciphertext, kind) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&v.secret_id)
                .bind(&v.version_id)
                .bind(v.created_ms)
                .bind(&v.kms_key_id)
                .bind(v.last_accessed_ms)
                .bind(&v.key_id)
                .bind(&v.wrapped_key)
                .bind(&v.ciphertext)
                .bind(&v.kind)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for l in &snapshot.labels {
                sqlx::query(
                    "INSERT INTO labels (secret_id, label, version_id, position) VALUES ($1, $2, $3, $4)",
                )
                .bind(&l.secret_id)
                .bind(&l.label)
                .bind(&l.version_id)
                .bind(l.position)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            for t in &snapshot.tags {
                sqlx::query(
                    "INSERT INTO tags (secret_id, key, value, position) VALUES ($1, $2, $3, $4)",
                )
                .bind(&t.secret_id)
                .bind(&t.key)
                .bind(&t.value)
                .bind(t.position)
                .execute(&mut *conn)
                .await
                .map_err($map)?;
            }
            Ok(())
        }

        /// Every audit trail's chain head, by trail name.
        pub(crate) async fn all_audit_heads(conn: &mut $conn) -> Out<Vec<AuditHead>> {
            let rows = sqlx::query(
                "SELECT trail, digest, updated_ms FROM audit_heads ORDER BY trail",
            )
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?;
            let mut heads = Vec::with_capacity(rows.len());
            for row in rows {
                heads.push(AuditHead {
                    trail: get(&row, "trail")?,
                    digest: get(&row, "digest")?,
                    updated: from_millis(get(&row, "updated_ms")?),
                });
            }
            Ok(heads)
        }
    };
}

pub(crate) use engine_sql;
