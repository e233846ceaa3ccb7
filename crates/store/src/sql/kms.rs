//! [`kms_sql!`]: the statements of coffer's KMS subset (customer keys and aliases), stamped out
//! for each engine's concrete sqlx types, as [`super::engine_sql!`] does for the rest (a
//! separate macro so that the KMS tables stay in one place).

/// Defines, in the module it is invoked in, the KMS store functions for one engine; the
/// parameters are those of [`super::engine_sql!`].
macro_rules! kms_sql {
    (
        db: $db:ty,
        conn: $conn:ty,
        row: $row:ty,
        error: $err:ty,
        map: $map:path $(,)?
    ) => {
        use coffer_core::kms::{KeyState, KmsAlias, KmsKeyRecord};

        /// What the KMS functions return.
        type KmsOut<T> = std::result::Result<T, $err>;

        /// The columns of `kms_keys` every query selects.
        const KMS_KEY_COLUMNS: &str = "account_id, region, key_id, description, created_ms, \
             state, deletion_ms, pending_window_days, policy, tags, sealer_key_id, wrapped_key, \
             material";

        fn kms_get<'r, T>(row: &'r $row, column: &str) -> coffer_core::error::Result<T>
        where
            T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
        {
            sqlx::Row::try_get(row, column).map_err($crate::sql::store_err)
        }

        fn kms_scope(row: &$row) -> coffer_core::error::Result<coffer_core::names::Scope> {
            use $crate::sql::corrupt;
            let account: String = kms_get(row, "account_id")?;
            let region: String = kms_get(row, "region")?;
            Ok(coffer_core::names::Scope {
                account: coffer_core::names::AccountId::parse(&account)
                    .ok_or_else(|| corrupt("account id"))?,
                region: coffer_core::names::Region::parse(&region)
                    .ok_or_else(|| corrupt("region"))?,
            })
        }

        fn kms_key_from_row(row: &$row) -> coffer_core::error::Result<KmsKeyRecord> {
            use $crate::sql::{corrupt, from_millis};
            let state: String = kms_get(row, "state")?;
            let tags: String = kms_get(row, "tags")?;
            Ok(KmsKeyRecord {
                scope: kms_scope(row)?,
                key_id: kms_get(row, "key_id")?,
                description: kms_get(row, "description")?,
                created: from_millis(kms_get(row, "created_ms")?),
                state: KeyState::parse(&state).ok_or_else(|| corrupt("key state"))?,
                deletion_date: kms_get::<Option<i64>>(row, "deletion_ms")?.map(from_millis),
                pending_window_days: kms_get(row, "pending_window_days")?,
                policy: kms_get(row, "policy")?,
                tags: serde_json::from_str(&tags).map_err(|_| corrupt("key tags"))?,
                material: coffer_core::model::SealedValue {
                    key_id: kms_get(row, "sealer_key_id")?,
                    wrapped_key: kms_get(row, "wrapped_key")?,
                    ciphertext: kms_get(row, "material")?,
                    kind: coffer_core::model::ValueKind::Binary,
                },
            })
        }

        fn kms_alias_from_row(row: &$row) -> coffer_core::error::Result<KmsAlias> {
            use $crate::sql::from_millis;
            Ok(KmsAlias {
                scope: kms_scope(row)?,
                name: kms_get(row, "alias_name")?,
                target_key_id: kms_get(row, "target_key_id")?,
                created: from_millis(kms_get(row, "created_ms")?),
                updated: from_millis(kms_get(row, "updated_ms")?),
            })
        }

        fn kms_tags(key: &KmsKeyRecord) -> String {
            // A list of string pairs always serializes.
            serde_json::to_string(&key.tags).unwrap_or_else(|_| "[]".to_owned())
        }

        /// Stores a new key.
        pub(crate) async fn insert_kms_key(conn: &mut $conn, key: &KmsKeyRecord) -> KmsOut<()> {
            use $crate::sql::millis;
            sqlx::query(
                "INSERT INTO kms_keys (account_id, region, key_id, description, created_ms, state, \
                 deletion_ms, pending_window_days, policy, tags, sealer_key_id, wrapped_key, material) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(key.scope.account.as_str())
            .bind(key.scope.region.as_str())
            .bind(&key.key_id)
            .bind(&key.description)
            .bind(millis(key.created))
            .bind(key.state.as_str())
            .bind(key.deletion_date.map(millis))
            .bind(key.pending_window_days)
            .bind(&key.policy)
            .bind(kms_tags(key))
            .bind(&key.material.key_id)
            .bind(&key.material.wrapped_key)
            .bind(&key.material.ciphertext)
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(())
        }

        /// Replaces a key's material if its wrapped key is still `previous`.
        pub(crate) async fn replace_kms_key_material(
            conn: &mut $conn,
            key: &KmsKeyRecord,
            previous: &[u8],
        ) -> KmsOut<bool> {
            let done = sqlx::query(
                "UPDATE kms_keys SET sealer_key_id = $4, wrapped_key = $5, material = $6 \
                 WHERE account_id = $1 AND region = $2 AND key_id = $3 AND wrapped_key = $7",
            )
            .bind(key.scope.account.as_str())
            .bind(key.scope.region.as_str())
            .bind(&key.key_id)
            .bind(&key.material.key_id)
            .bind(&key.material.wrapped_key)
            .bind(&key.material.ciphertext)
            .bind(previous)
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        /// Replaces a key's mutable columns but its material; `false` when there is no such
        /// key.
        pub(crate) async fn update_kms_key(conn: &mut $conn, key: &KmsKeyRecord) -> KmsOut<bool> {
            use $crate::sql::millis;
            let done = sqlx::query(
                "UPDATE kms_keys SET description = $4, state = $5, deletion_ms = $6, \
                 pending_window_days = $7, policy = $8, tags = $9 \
                 WHERE account_id = $1 AND region = $2 AND key_id = $3",
            )
            .bind(key.scope.account.as_str())
            .bind(key.scope.region.as_str())
            .bind(&key.key_id)
            .bind(&key.description)
            .bind(key.state.as_str())
            .bind(key.deletion_date.map(millis))
            .bind(key.pending_window_days)
            .bind(&key.policy)
            .bind(kms_tags(key))
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        /// A key by id.
        pub(crate) async fn find_kms_key(
            conn: &mut $conn,
            scope: &coffer_core::names::Scope,
            key_id: &str,
        ) -> KmsOut<Option<KmsKeyRecord>> {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {KMS_KEY_COLUMNS} FROM kms_keys \
                 WHERE account_id = $1 AND region = $2 AND key_id = $3"
            )))
            .bind(scope.account.as_str())
            .bind(scope.region.as_str())
            .bind(key_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err($map)?;
            Ok(row.as_ref().map(kms_key_from_row).transpose()?)
        }

        /// Every key of a scope, oldest first.
        pub(crate) async fn list_kms_keys(
            conn: &mut $conn,
            scope: &coffer_core::names::Scope,
        ) -> KmsOut<Vec<KmsKeyRecord>> {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {KMS_KEY_COLUMNS} FROM kms_keys WHERE account_id = $1 AND region = $2 \
                 ORDER BY created_ms, key_id"
            )))
            .bind(scope.account.as_str())
            .bind(scope.region.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?;
            Ok(rows
                .iter()
                .map(kms_key_from_row)
                .collect::<coffer_core::error::Result<Vec<_>>>()?)
        }

        /// Creates an alias (`false` when the name is taken) or repoints one (`false` when
        /// there is none). `ON CONFLICT` waits for a racing insert, so one of two creates wins.
        pub(crate) async fn put_kms_alias(
            conn: &mut $conn,
            alias: &KmsAlias,
            create: bool,
        ) -> KmsOut<bool> {
            use $crate::sql::millis;
            let query = if create {
                sqlx::query(
                    "INSERT INTO kms_aliases (account_id, region, alias_name, target_key_id, \
                     created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (account_id, region, alias_name) DO NOTHING",
                )
                .bind(alias.scope.account.as_str())
                .bind(alias.scope.region.as_str())
                .bind(&alias.name)
                .bind(&alias.target_key_id)
                .bind(millis(alias.created))
                .bind(millis(alias.updated))
            } else {
                sqlx::query(
                    "UPDATE kms_aliases SET target_key_id = $4, updated_ms = $5 \
                     WHERE account_id = $1 AND region = $2 AND alias_name = $3",
                )
                .bind(alias.scope.account.as_str())
                .bind(alias.scope.region.as_str())
                .bind(&alias.name)
                .bind(&alias.target_key_id)
                .bind(millis(alias.updated))
            };
            let done = query.execute(&mut *conn).await.map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        /// Removes an alias; `false` when there is none.
        pub(crate) async fn delete_kms_alias(
            conn: &mut $conn,
            scope: &coffer_core::names::Scope,
            alias_name: &str,
        ) -> KmsOut<bool> {
            let done = sqlx::query(
                "DELETE FROM kms_aliases WHERE account_id = $1 AND region = $2 AND alias_name = $3",
            )
            .bind(scope.account.as_str())
            .bind(scope.region.as_str())
            .bind(alias_name)
            .execute(&mut *conn)
            .await
            .map_err($map)?;
            Ok(done.rows_affected() > 0)
        }

        /// Every alias of a scope, by name.
        pub(crate) async fn list_kms_aliases(
            conn: &mut $conn,
            scope: &coffer_core::names::Scope,
        ) -> KmsOut<Vec<KmsAlias>> {
            let rows = sqlx::query(
                "SELECT account_id, region, alias_name, target_key_id, created_ms, updated_ms \
                 FROM kms_aliases WHERE account_id = $1 AND region = $2 ORDER BY alias_name",
            )
            .bind(scope.account.as_str())
            .bind(scope.region.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err($map)?;
            Ok(rows
                .iter()
                .map(kms_alias_from_row)
                .collect::<coffer_core::error::Result<Vec<_>>>()?)
        }
    };
}

pub(crate) use kms_sql;
