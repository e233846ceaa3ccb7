//! GetSecretValue and PutSecretValue throughput on the embedded store beside PostgreSQL, from
//! one run: one server on each, the same concurrent SDK clients over loopback, a fixed time per
//! operation. Run on demand (it measures, it does not check):
//!
//! ```sh
//! cargo test -p coffer-server --test api -- throughput --ignored --nocapture
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const SECONDS: u64 = 5;

async fn measure(server: &common::TestServer, label: &str) {
    let client = server.client();
    client
        .create_secret()
        .name("bench")
        .secret_string("x".repeat(1024))
        .send()
        .await
        .unwrap();
    for op in ["PutSecretValue", "GetSecretValue"] {
        let done = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(SECONDS);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..CLIENTS {
            let (client, done) = (client.clone(), done.clone());
            tasks.spawn(async move {
                while Instant::now() < deadline {
                    if op == "PutSecretValue" {
                        client
                            .put_secret_value()
                            .secret_id("bench")
                            .secret_string("y".repeat(1024))
                            .send()
                            .await
                            .unwrap();
                    } else {
                        client
                            .get_secret_value()
                            .secret_id("bench")
                            .send()
                            .await
                            .unwrap();
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.unwrap();
        }
        let rate = done.load(Ordering::Relaxed) as f64 / SECONDS as f64;
        println!("{label:<10} {op:<15} {rate:>8.0} req/s ({CLIENTS} clients, {SECONDS} s)");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run on demand"]
async fn get_and_put_throughput_sqlite_beside_postgres() {
    let sqlite = common::start().await;
    measure(&sqlite, "sqlite").await;
    sqlite.stop().await;
    let Some(scratch) = common::pg::scratch().await else {
        return;
    };
    let url = scratch.url();
    let postgres = common::start_with(move |c| c.database = Some(url)).await;
    measure(&postgres, "postgres").await;
    postgres.stop().await;
    drop(scratch);
}
