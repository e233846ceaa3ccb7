//! Micro-benchmarks of the store on the read path: finding a secret and reading its sealed
//! value, from the read cache (the steady state) and from SQLite (a miss).
#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;

use coffer_core::clock::SystemClock;
use coffer_core::crypto::Keyring;
use coffer_core::model::SecretValue;
use coffer_core::names::{AccountId, Candidate, Region, Scope};
use coffer_core::service::{CreateSecretInput, Service};
use coffer_core::store::Store;
use coffer_store::SqliteStore;
use criterion::{criterion_group, criterion_main, Criterion};

fn lookup(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scope = Scope {
        account: AccountId::parse("123456789012").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    };
    let candidates = vec![Candidate {
        name: "bench/secret-500".into(),
        suffix: None,
    }];
    let (cached, uncached, secret_id, version_id) = runtime.block_on(async {
        let path = dir.path().join("coffer.db");
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
        let service = Service::new(
            store.clone(),
            Arc::new(Keyring::new(Keyring::generate_root_key().unwrap())),
            Arc::new(SystemClock),
        );
        for i in 0..1000 {
            service
                .create_secret(
                    &scope,
                    CreateSecretInput {
                        name: format!("bench/secret-{i}"),
                        client_request_token: Some(format!("{i:0>36}")),
                        value: Some(SecretValue::String(zeroize::Zeroizing::new(
                            "v".repeat(1024),
                        ))),
                        ..CreateSecretInput::default()
                    },
                )
                .await
                .unwrap();
        }
        let record = store
            .find_secret(&scope, &candidates)
            .await
            .unwrap()
            .unwrap();
        let uncached: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&path).await.unwrap().without_cache());
        (
            store,
            uncached,
            record.id.clone(),
            record.versions[0].version_id.clone(),
        )
    });
    c.bench_function("store find_secret + read_sealed (cached)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                cached
                    .find_secret(&scope, &candidates)
                    .await
                    .unwrap()
                    .unwrap();
                cached
                    .read_sealed(&secret_id, &version_id)
                    .await
                    .unwrap()
                    .unwrap()
            })
        })
    });
    c.bench_function(
        "store find_secret + read_sealed (SQLite, 1,000 secrets)",
        |b| {
            b.iter(|| {
                runtime.block_on(async {
                    uncached
                        .find_secret(&scope, &candidates)
                        .await
                        .unwrap()
                        .unwrap();
                    uncached
                        .read_sealed(&secret_id, &version_id)
                        .await
                        .unwrap()
                        .unwrap()
                })
            })
        },
    );
}

criterion_group!(benches, lookup);
criterion_main!(benches);
