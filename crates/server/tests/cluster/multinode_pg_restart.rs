//! PostgreSQL going away under three coffer nodes: requests fail fast with
//! `InternalServiceError` (HTTP 500), `/ready` answers 503, nothing is half-written, and every
//! node recovers by itself within seconds of PostgreSQL coming back; a restart in the middle of
//! a 32-client load leaves the same invariants as the load without one.
//!
//! This stops the machine's PostgreSQL, so it lives in the `cluster` test binary (cargo runs
//! test binaries one at a time, so no API test runs meanwhile) and takes `crate::EXCLUSIVE`
//! like every test there; a guard starts PostgreSQL again however a test ends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::load;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `pg_ctlcluster <version> main <action>` for the machine's one cluster.
fn pg_ctl(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("PostgreSQL's cluster configuration in /etc/postgresql")
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    let status = Command::new("pg_ctlcluster")
        .arg("--skip-systemctl-redirect")
        .arg(version)
        .args(["main", action])
        .status()
        .expect("pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster {action} failed");
}

/// Starts PostgreSQL again when dropped, whatever happened, and waits until it answers.
struct StartOnDrop;

impl Drop for StartOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .arg("-c")
            .arg("pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect \"$(ls /etc/postgresql)\" main start")
            .status();
        for _ in 0..100 {
            let ready = Command::new("pg_isready")
                .args(["-h", "127.0.0.1", "-p", "5432", "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `GET /ready`'s status code.
async fn ready(addr: std::net::SocketAddr) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /ready HTTP/1.1\r\nHost: coffer\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outage_fails_fast_with_500_and_nodes_recover() {
    let _exclusive = crate::EXCLUSIVE.lock().await;
    let Some(cluster) = load::cluster(3).await else {
        return;
    };
    let c = &cluster.clients;
    c[0].create_secret()
        .name("outage")
        .secret_string("before")
        .send()
        .await
        .unwrap();

    let _guard = StartOnDrop;
    pg_ctl("stop");
    for (i, client) in c.iter().enumerate() {
        let started = Instant::now();
        let err = client
            .put_secret_value()
            .secret_id("outage")
            .secret_string("during")
            .send()
            .await
            .expect_err("PostgreSQL is down");
        let err = common::api_err(err);
        assert_eq!(
            (err.status, err.code.as_str()),
            (500, "InternalServiceError")
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "node {i} took {:?} to fail",
            started.elapsed()
        );
        let err = common::api_err(
            client
                .get_secret_value()
                .secret_id("outage")
                .send()
                .await
                .expect_err("PostgreSQL is down"),
        );
        assert_eq!(
            (err.status, err.code.as_str()),
            (500, "InternalServiceError")
        );
        assert_eq!(ready(cluster.nodes[i].addr).await, 503);
    }

    pg_ctl("start");
    let back = Instant::now();
    for (i, client) in c.iter().enumerate() {
        loop {
            match client.get_secret_value().secret_id("outage").send().await {
                Ok(out) => {
                    // The writes that failed left nothing behind.
                    assert_eq!(out.secret_string(), Some("before"));
                    break;
                }
                Err(_) if back.elapsed() < Duration::from_secs(10) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("node {i} did not recover within 10 s: {e:?}"),
            }
        }
        assert_eq!(ready(cluster.nodes[i].addr).await, 200);
    }
    eprintln!(
        "all nodes serving {:?} after PostgreSQL started",
        back.elapsed()
    );
    let versions = c[2]
        .list_secret_version_ids()
        .secret_id("outage")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);
    for node in cluster.nodes {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restart_during_load_keeps_every_invariant() {
    let _exclusive = crate::EXCLUSIVE.lock().await;
    let Some(cluster) = load::cluster(3).await else {
        return;
    };
    let names = load::secret_names(4);
    let history = Arc::new(Mutex::new(load::History::default()));
    load::seed(&cluster, &names, &history).await;

    let _guard = StartOnDrop;
    let restart = tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        tokio::task::spawn_blocking(|| pg_ctl("restart"))
            .await
            .unwrap();
    });
    load::run(
        &cluster,
        &names,
        32,
        Duration::from_secs(10),
        history.clone(),
    )
    .await;
    restart.await.unwrap();
    let history = Arc::try_unwrap(history).ok().unwrap().into_inner().unwrap();
    eprintln!(
        "{} successful operations; failures: {:?}",
        history.successes, history.failures
    );
    // During the restart requests fail with InternalServiceError, and only with it.
    assert!(
        history
            .failures
            .keys()
            .all(|k| k == "InvalidParameterException 400" || k == "InternalServiceError 500"),
        "{:?}",
        history.failures
    );
    assert!(
        history.failures.contains_key("InternalServiceError 500"),
        "the restart was not noticed: {:?}",
        history.failures
    );
    // Recovered: the checks below go through every node.
    load::check(&cluster, &names, &history).await;
    for node in cluster.nodes {
        node.shutdown().await;
    }
}
