//! The database going away and coming back, without touching the shared PostgreSQL: coffer
//! reaches PostgreSQL through a TCP proxy the test cuts (open connections closed, new ones closed
//! at once, the port kept) and restores, under a write load.
//!
//! While the proxy is cut, `/ready` answers 503 and writes fail with `InternalServiceError`;
//! within 5 s of the proxy forwarding again, without restarting coffer, `/ready` answers 200 and
//! writes are acknowledged again; afterwards every acknowledged write is there with its value
//! and the labels hold. Skipped when PostgreSQL is unreachable, except under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// How soon after the database's return coffer must serve again.
const RECOVERY: Duration = Duration::from_secs(5);

/// A TCP proxy in front of PostgreSQL that can be cut and restored; its port stays the same.
struct Proxy {
    addr: std::net::SocketAddr,
    up: watch::Sender<bool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    async fn start(target: std::net::SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (up, up_rx) = watch::channel(true);
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let conns = connections.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !*up_rx.borrow() {
                    // Cut: the connection is closed at once, as by a database that is gone.
                    drop(inbound);
                    continue;
                }
                let handle = tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
                let mut conns = conns.lock().unwrap();
                conns.retain(|h| !h.is_finished());
                conns.push(handle.abort_handle());
            }
        });
        Proxy {
            addr,
            up,
            connections,
            accept: accept.abort_handle(),
        }
    }

    /// Closes every open connection and every new one until [`Proxy::restore`].
    fn cut(&self) {
        self.up.send_replace(false);
        for handle in self.connections.lock().unwrap().drain(..) {
            handle.abort();
        }
    }

    /// Forwards new connections again.
    fn restore(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for handle in self.connections.lock().unwrap().drain(..) {
            handle.abort();
        }
    }
}

/// `GET /ready`'s status code.
async fn ready(addr: std::net::SocketAddr) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /ready HTTP/1.1\r\nHost: coffer\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The `host:port` of a `postgres://[user@]host:port/db…` URL.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").unwrap().1;
    let host = rest.split('/').next().unwrap();
    host.rsplit_once('@').map_or(host, |(_, h)| h)
}

/// Writers, each on a secret of its own.
const WRITERS: usize = 8;
/// The most versions a writer adds to its secret: below the 100 after which versions without
/// a label are pruned (which the check could not tell from a loss).
const MAX_VERSIONS: usize = 90;

fn secret(n: usize) -> String {
    format!("outage-{n}")
}

/// What the writers saw: acknowledged (secret, version id, value), failures by code, and when
/// the first write after `mark` was acknowledged.
#[derive(Default)]
struct Log {
    acked: Vec<(String, String, String)>,
    failures: std::collections::BTreeMap<String, usize>,
    mark: Option<Instant>,
    first_after_mark: Option<Instant>,
}

async fn writer(
    client: aws_sdk_secretsmanager::Client,
    n: usize,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
) {
    let mut i = 0;
    let mut acked = 0;
    while !stop.load(Ordering::SeqCst) && acked < MAX_VERSIONS {
        i += 1;
        let value = format!("w{n}-{i}");
        match client
            .put_secret_value()
            .secret_id(secret(n))
            .client_request_token(common::token())
            .secret_string(&value)
            .send()
            .await
        {
            Ok(out) => {
                acked += 1;
                let mut log = log.lock().unwrap();
                log.acked
                    .push((secret(n), out.version_id().unwrap().to_owned(), value));
                if log.mark.is_some() && log.first_after_mark.is_none() {
                    log.first_after_mark = Some(Instant::now());
                }
            }
            Err(e) => {
                let e = common::api_err(e);
                *log.lock()
                    .unwrap()
                    .failures
                    .entry(format!("{} {}", e.code, e.status))
                    .or_default() += 1;
                // Failures come fast while the database is away: do not spin.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ready_is_503_while_the_database_is_away_and_coffer_recovers_without_a_restart() {
    let _exclusive = crate::EXCLUSIVE.lock().await;
    let Some(scratch) = common::pg::scratch().await else {
        return;
    };
    let target = tokio::net::lookup_host(authority(&scratch.url()))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = Proxy::start(target).await;
    let url = scratch
        .url()
        .replacen(authority(&scratch.url()), &proxy.addr.to_string(), 1);
    let s = common::start_with(|c| c.database = Some(url)).await;
    let addr = s.server.addr;
    let client = s.client();
    let stop = Arc::new(AtomicBool::new(false));
    let log = Arc::new(Mutex::new(Log::default()));
    for n in 0..WRITERS {
        let (_, first) = common::create(&client, &secret(n), "before").await;
        log.lock()
            .unwrap()
            .acked
            .push((secret(n), first, "before".into()));
    }
    assert_eq!(ready(addr).await, 200);

    let writers: Vec<_> = (0..WRITERS)
        .map(|n| tokio::spawn(writer(s.client(), n, stop.clone(), log.clone())))
        .collect();
    // Load first: writes acknowledged through the proxy.
    let deadline = Instant::now() + Duration::from_secs(30);
    while log.lock().unwrap().acked.len() < 20 {
        assert!(Instant::now() < deadline, "no write load through the proxy");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    proxy.cut();
    let cut = Instant::now();
    let deadline = cut + Duration::from_secs(10);
    while ready(addr).await != 503 {
        assert!(
            Instant::now() < deadline,
            "/ready still 200 10 s after the cut"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("/ready 503 {:?} after the cut", cut.elapsed());
    // It stays 503 as long as the database is away, and a write fails as AWS's do.
    for _ in 0..5 {
        assert_eq!(ready(addr).await, 503);
    }
    let err = common::api_err(
        client
            .put_secret_value()
            .secret_id(secret(0))
            .secret_string("during")
            .send()
            .await
            .expect_err("the database is away"),
    );
    assert_eq!(
        (err.status, err.code.as_str(), err.message.as_str()),
        (
            500,
            "InternalServiceError",
            "An error occurred on the server side."
        )
    );

    // The load meets the outage: twice as many failed writes as writers.
    let deadline = Instant::now() + Duration::from_secs(30);
    while log.lock().unwrap().failures.values().sum::<usize>() < 2 * WRITERS {
        assert!(
            Instant::now() < deadline,
            "the writers never met the outage"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    log.lock().unwrap().mark = Some(Instant::now());
    proxy.restore();
    let back = Instant::now();
    while ready(addr).await != 200 {
        assert!(
            back.elapsed() < RECOVERY,
            "/ready not 200 within {RECOVERY:?} of the database's return"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ready_after = back.elapsed();
    while log.lock().unwrap().first_after_mark.is_none() {
        assert!(
            back.elapsed() < RECOVERY,
            "no write acknowledged within {RECOVERY:?} of the database's return"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let write_after = log.lock().unwrap().first_after_mark.unwrap() - back;
    eprintln!("after the return: /ready 200 in {ready_after:?}, first write in {write_after:?}");
    // Load after the return too.
    let acked_at_return = log.lock().unwrap().acked.len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while log.lock().unwrap().acked.len() < acked_at_return + 20 {
        assert!(Instant::now() < deadline, "the load did not resume");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }

    let log = Arc::try_unwrap(log).ok().unwrap().into_inner().unwrap();
    eprintln!(
        "{} writes acknowledged; failures: {:?}",
        log.acked.len(),
        log.failures
    );
    // While the database was away, writes failed with InternalServiceError and only with it.
    assert!(
        log.failures.keys().all(|k| k == "InternalServiceError 500"),
        "{:?}",
        log.failures
    );
    // Nothing acknowledged is lost: every version is there with its value; and the labels:
    // AWSCURRENT on exactly one version, AWSPREVIOUS not on it.
    for n in 0..WRITERS {
        let listed = common::all_version_ids(&client, &secret(n)).await;
        for (_, version, value) in log.acked.iter().filter(|a| a.0 == secret(n)) {
            assert!(
                listed.contains(version),
                "acknowledged version {version} lost"
            );
            let out = client
                .get_secret_value()
                .secret_id(secret(n))
                .version_id(version)
                .send()
                .await
                .unwrap();
            assert_eq!(out.secret_string(), Some(value.as_str()));
        }
        let stages = common::stages(&client, &secret(n)).await;
        let current: Vec<_> = stages
            .iter()
            .filter(|(_, labels)| labels.iter().any(|l| l == "AWSCURRENT"))
            .collect();
        assert_eq!(current.len(), 1, "{stages:?}");
        assert!(
            !current[0].1.iter().any(|l| l == "AWSPREVIOUS"),
            "{stages:?}"
        );
    }
    s.stop().await;
    drop(proxy);
}
