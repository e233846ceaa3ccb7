//! Micro-benchmarks of envelope encryption: opening (the read path) and sealing (the write
//! path) of 1 KiB and 64 KiB values.
#![allow(missing_docs, clippy::unwrap_used)]

use coffer_core::crypto::{Keyring, SealContext, DEFAULT_KEY_ID};
use coffer_core::model::ValueKind;
use coffer_core::names::{AccountId, Region, Scope};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn envelope(c: &mut Criterion) {
    let ring = Keyring::new(Keyring::generate_root_key().unwrap());
    let scope = Scope {
        account: AccountId::parse("123456789012").unwrap(),
        region: Region::parse("us-east-1").unwrap(),
    };
    let context = SealContext::SecretValue {
        scope: &scope,
        secret_id: "4d1c0f3e-secret",
        version_id: "3f1b3c8e-version",
    };
    let mut group = c.benchmark_group("envelope");
    for size in [1024usize, 65536] {
        let value = vec![b'v'; size];
        let sealed = ring
            .seal(DEFAULT_KEY_ID, ValueKind::String, context, &value)
            .unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, sealed| {
            b.iter(|| ring.open(context, sealed).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("seal", size), &value, |b, value| {
            b.iter(|| {
                ring.seal(DEFAULT_KEY_ID, ValueKind::String, context, value)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, envelope);
criterion_main!(benches);
