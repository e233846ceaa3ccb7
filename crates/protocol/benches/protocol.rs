//! Micro-benchmarks of the protocol layer on the hot path: SigV4 verification of a signed
//! GetSecretValue, and request parsing plus response serialization.
#![allow(missing_docs, clippy::unwrap_used)]

use coffer_protocol::sensitive::SensitiveString;
use coffer_protocol::shapes::{GetSecretValueRequest, GetSecretValueResponse};
use coffer_protocol::sigv4::{
    derive_signing_key, parse, sign_headers, RequestParts, SigningParams,
};
use coffer_protocol::validate::{parse_request, Validate};
use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderMap, HeaderName, HeaderValue};

fn sigv4(c: &mut Criterion) {
    let body = br#"{"SecretId":"coffer-bench"}"#;
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1:7600"));
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    headers.insert(
        "x-amz-target",
        HeaderValue::from_static("secretsmanager.GetSecretValue"),
    );
    let now = chrono::Utc::now();
    let params = SigningParams {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: None,
        region: "us-east-1",
        service: "secretsmanager",
        time: now,
    };
    let unsigned = RequestParts {
        method: "POST",
        path: "/",
        query: None,
        headers: &headers,
        body,
    };
    for (name, value) in sign_headers(&unsigned, &params) {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    let parts = RequestParts {
        method: "POST",
        path: "/",
        query: None,
        headers: &headers,
        body,
    };
    let key = derive_signing_key(
        params.secret_access_key,
        &now.format("%Y%m%d").to_string(),
        "us-east-1",
        "secretsmanager",
    );
    c.bench_function("sigv4 parse + verify (cached signing key)", |b| {
        b.iter(|| parse(&parts, now).unwrap().verify(&key).unwrap())
    });
    c.bench_function("sigv4 derive signing key (cache miss)", |b| {
        b.iter(|| {
            derive_signing_key(
                params.secret_access_key,
                "20261123",
                "us-east-1",
                "secretsmanager",
            )
        })
    });
}

fn json(c: &mut Criterion) {
    let body = br#"{"SecretId":"arn:aws:secretsmanager:us-east-1:123456789012:secret:coffer-bench-AbCdEf","VersionStage":"AWSCURRENT"}"#;
    let response = GetSecretValueResponse {
        arn: Some(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:coffer-bench-AbCdEf".into(),
        ),
        name: Some("coffer-bench".into()),
        version_id: Some("3f1b3c8e-5a2d-4c6f-9d7e-1a2b3c4d5e6f".into()),
        secret_string: Some(SensitiveString::new("v".repeat(1024))),
        version_stages: Some(vec!["AWSCURRENT".into()]),
        created_date: Some(1_763_900_000.123),
        ..GetSecretValueResponse::default()
    };
    c.bench_function("GetSecretValue request parse + validate", |b| {
        b.iter(|| {
            let request: GetSecretValueRequest = parse_request(body).unwrap();
            request.validate().unwrap();
            request
        })
    });
    c.bench_function("GetSecretValue response serialize (1 KiB value)", |b| {
        b.iter(|| serde_json::to_vec(&response).unwrap())
    });
}

criterion_group!(benches, sigv4, json);
criterion_main!(benches);
