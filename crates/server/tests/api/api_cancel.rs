//! Clients that hang up mid-request: the request still runs to completion, and nothing it
//! leaves behind (on PostgreSQL: a pooled connection with a transaction still open) breaks the
//! requests after it. Run on both stores (`COFFER_TEST_STORE=postgres` in the suite's second
//! run).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::json;
use tokio::io::AsyncWriteExt;

/// Sends `raw` and closes the connection after `after` (a hang-up while the server works on
/// it), without reading the answer.
async fn send_and_hang_up(raw: &Raw, after: std::time::Duration) {
    let mut head = format!("POST / HTTP/1.1\r\nhost: {}\r\n", raw.addr);
    for (k, v) in raw.headers.iter().cloned().chain(raw.signature_headers()) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", raw.body.len()));
    let mut stream = tokio::net::TcpStream::connect(raw.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&raw.body).await.unwrap();
    tokio::time::sleep(after).await;
    drop(stream);
}

#[tokio::test]
async fn hung_up_requests_leave_nothing_behind() {
    let s = start().await;
    let c = s.client();
    create(&c, "hang-up", "v0").await;
    // Many reads and writes whose clients are gone before the answer, 64 at a time and after
    // 0–15 ms, so that some surely hang up while the server is inside a store transaction.
    let read = s.raw_json("GetSecretValue", &json!({"SecretId": "hang-up"}));
    let mut writes = Vec::new();
    for round in 0..6 {
        let mut tasks = Vec::new();
        for i in 0..64u64 {
            let raw = if i % 4 == 0 {
                let write = s.raw_json(
                    "PutSecretValue",
                    &json!({"SecretId": "hang-up", "SecretString": format!("w{round}-{i}"), "ClientRequestToken": token()}),
                );
                writes.push(write.clone());
                write
            } else {
                read.clone()
            };
            let after = std::time::Duration::from_millis((i * 7 + round) % 16);
            tasks.push(tokio::spawn(
                async move { send_and_hang_up(&raw, after).await },
            ));
        }
        for task in tasks {
            task.await.unwrap();
        }
    }
    // The server goes on with hung-up requests after their clients are gone; wait until it has
    // finished them all, or the requests below would meet the per-address cap on requests in
    // flight (ThrottlingException) that those still hold.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.server.limits.requests_in_flight() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "hung-up requests still in flight after 60 s: {}",
            s.server.limits.requests_in_flight()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Every request after them works: reads, label-moving writes, metadata writes.
    for i in 0..40 {
        let value = format!("after-{i}");
        let version = put(&c, "hang-up", &value).await;
        let got = c
            .get_secret_value()
            .secret_id("hang-up")
            .version_id(&version)
            .send()
            .await
            .unwrap();
        assert_eq!(got.secret_string(), Some(value.as_str()));
        c.update_secret()
            .secret_id("hang-up")
            .description(format!("d{i}"))
            .send()
            .await
            .unwrap();
    }
    // A retry of each hung-up write answers as the first call would have.
    for write in writes {
        let r = write.send().await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let stages = stages(&c, "hang-up").await;
    assert_eq!(
        stages
            .values()
            .filter(|s| s.contains(&"AWSCURRENT".to_owned()))
            .count(),
        1
    );
}
