//! Micro-benchmarks of authorization: parsing a typical resource policy, and evaluating an
//! identity policy with a condition plus a resource policy with an Allow and a Deny (what a
//! GetSecretValue by an IAM user costs beyond the root user's path).
#![allow(missing_docs, clippy::unwrap_used)]

use coffer_core::policy::{
    authorize, ConditionKeys, Identity, Policy, PolicyKind, PrincipalContext, Request,
};
use criterion::{criterion_group, criterion_main, Criterion};

const IDENTITY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:coffer-bench-*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
const RESOURCE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bench-reader"},"Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/someone-else"},"Action":"secretsmanager:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"bench"}}}]}"#;

fn policy(c: &mut Criterion) {
    let identity = [Policy::parse(IDENTITY, PolicyKind::Identity).unwrap()];
    let resource = Policy::parse(RESOURCE, PolicyKind::Resource).unwrap();
    let principal = PrincipalContext {
        arn: "arn:aws:iam::123456789012:user/bench-reader".into(),
        account: "123456789012".into(),
        role_arn: None,
        is_root: false,
        user_name: Some("bench-reader".into()),
        user_id: "AIDAEXAMPLEEXAMPLE00".into(),
    };
    let mut keys = ConditionKeys::default();
    keys.insert("aws:SourceIp", "127.0.0.1");
    keys.insert("aws:SecureTransport", "false");
    keys.insert("aws:PrincipalArn", principal.arn.clone());
    keys.insert("aws:CurrentTime", "2026-12-02T17:00:00Z");
    let resource_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:coffer-bench-AbCdEf";
    let request = Request {
        action: "secretsmanager:GetSecretValue",
        resource: resource_arn,
        principal: &principal,
        resource_account: "123456789012",
        keys: &keys,
    };
    let mut group = c.benchmark_group("policy");
    group.bench_function("parse resource policy", |b| {
        b.iter(|| Policy::parse(RESOURCE, PolicyKind::Resource).unwrap())
    });
    group.bench_function("authorize identity + resource", |b| {
        b.iter(|| {
            authorize(
                Identity::Policies(&identity),
                None,
                Some(&resource),
                &request,
            )
            .unwrap()
        })
    });
    group.bench_function("clone request keys", |b| b.iter(|| keys.clone()));
    group.finish();
}

criterion_group!(benches, policy);
criterion_main!(benches);
