//! A scratch PostgreSQL schema per test, so that PostgreSQL tests run in parallel without seeing
//! each other: `CREATE SCHEMA coffer_test_<uuid>` in the test database, a URL whose connections
//! use it as their `search_path`, and `DROP SCHEMA … CASCADE` when the guard is dropped.
//!
//! The database comes from `COFFER_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`, trust auth). When it cannot be reached the test is
//! skipped with a message, except under `CI=true`, where it fails: CI must never go green
//! without having run the PostgreSQL suites.
//!
//! Used by the store's and the server's tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// The test database's URL.
pub fn base_url() -> String {
    std::env::var("COFFER_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether a missing PostgreSQL must fail the test rather than skip it.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("COFFER_TEST_STORE").is_ok_and(|v| v == "postgres")
}

/// A scratch schema, dropped (with everything in it) when this is dropped.
pub struct Scratch {
    /// The schema's name.
    pub schema: String,
}

impl Scratch {
    /// A `postgres://` URL whose connections work in this schema.
    pub fn url(&self) -> String {
        let base = base_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options=-c%20search_path%3D{}", self.schema)
    }

    /// Connect options for this schema.
    pub fn options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.url()).unwrap()
    }
}

/// Connects to the test database, or `None` (after saying why) when it is unreachable and the
/// run does not require it.
pub async fn admin() -> Option<PgConnection> {
    match PgConnection::connect(&base_url()).await {
        Ok(conn) => Some(conn),
        Err(e) if !required() => {
            eprintln!("skipped: PostgreSQL at {} unreachable: {e}", base_url());
            None
        }
        Err(e) => panic!(
            "PostgreSQL at {} is unreachable ({e}); CI requires it",
            base_url()
        ),
    }
}

/// A fresh, empty schema.
pub async fn scratch() -> Option<Scratch> {
    let mut conn = admin().await?;
    let schema = format!("coffer_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    Some(Scratch { schema })
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let schema = self.schema.clone();
        // Drop runs inside the test's runtime; a thread with a runtime of its own may block.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&base_url()).await {
                    // The test is over; a session of its still holding a lock in the schema
                    // (a pooled connection whose rollback the stopped runtime never flushed)
                    // would block the drop for good.
                    let _ = sqlx::query(
                        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l \
                         JOIN pg_class c ON c.oid = l.relation \
                         JOIN pg_namespace n ON n.oid = c.relnamespace \
                         WHERE n.nspname = $1 AND l.pid <> pg_backend_pid()",
                    )
                    .bind(&schema)
                    .execute(&mut conn)
                    .await;
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE"
                    )))
                    .execute(&mut conn)
                    .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}
