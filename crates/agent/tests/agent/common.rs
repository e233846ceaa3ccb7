//! Test harness: a real coffer server, a counting TCP proxy between the agent and coffer (so
//! upstream calls are counted outside the agent, and the upstream can be held, stopped or
//! black-holed), the agent started in-process with a manual clock, and a raw HTTP client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::Client;
use coffer_agent::{Agent, Config, Dependencies, ManualClock, SsrfToken};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// The SSRF token every test agent expects.
pub const TOKEN: &str = "test-ssrf-token";

/// A real-mode coffer server on a fresh data directory.
pub struct Coffer {
    pub server: coffer_server::Server,
    _dir: tempfile::TempDir,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Coffer {
    pub async fn start() -> Coffer {
        let dir = tempfile::tempdir().unwrap();
        let config = coffer_server::Config {
            data_dir: dir.path().to_owned(),
            ..Default::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = coffer_server::start_on(&config, listener).await.unwrap();
        let (_, creds) = server.initialized.as_ref().expect("real mode initialises");
        let access_key_id = creds.access_key_id.clone();
        let secret_access_key = creds.secret_access_key.to_string();
        Coffer {
            server,
            _dir: dir,
            access_key_id,
            secret_access_key,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// An SDK client for `endpoint` with this server's credentials, no retries and a short
    /// operation timeout (so failure tests finish quickly).
    pub fn client_for(&self, endpoint: &str) -> Client {
        let creds = aws_credential_types::Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            None,
            None,
            "test",
        );
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(creds)
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(2))
                    .build(),
            )
            .build();
        Client::from_conf(config)
    }

    /// A client straight to coffer, for setting up secrets.
    pub fn admin(&self) -> Client {
        self.client_for(&self.endpoint())
    }
}

/// The operations the proxy counts, by their `X-Amz-Target`.
const COUNTED: [&str; 3] = [
    "secretsmanager.GetSecretValue\r",
    "secretsmanager.DescribeSecret\r",
    "secretsmanager.BatchGetSecretValue\r",
];

/// A TCP proxy in front of coffer that counts requests per operation by scanning the bytes the
/// agent sends. It can hold requests (a gate), or stop (refuse new connections and cut open
/// ones).
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    counts: Arc<[AtomicUsize; 3]>,
    gate: watch::Sender<bool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    pub async fn start(target: std::net::SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counts: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
        let (gate, gate_rx) = watch::channel(true);
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (c, conns) = (counts.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                let (c, gate) = (c.clone(), gate_rx.clone());
                let handle = tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut ri, mut wi) = inbound.into_split();
                    let (mut ro, mut wo) = outbound.into_split();
                    let up = async move {
                        let mut buf = vec![0u8; 16384];
                        let mut tail: Vec<u8> = Vec::new();
                        loop {
                            let n = match ri.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            let mut window = std::mem::take(&mut tail);
                            let seen = window.len();
                            window.extend_from_slice(&buf[..n]);
                            for (i, pattern) in COUNTED.iter().enumerate() {
                                let p = pattern.as_bytes();
                                let hits = window
                                    .windows(p.len())
                                    .enumerate()
                                    .filter(|(at, w)| *w == p && at + p.len() > seen)
                                    .count();
                                c[i].fetch_add(hits, Ordering::SeqCst);
                            }
                            tail = window[window.len().saturating_sub(64)..].to_vec();
                            // Held requests wait here until the gate opens.
                            let mut gate = gate.clone();
                            let _ = gate.wait_for(|open| *open).await;
                            if wo.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    };
                    let down = async move {
                        let _ = tokio::io::copy(&mut ro, &mut wi).await;
                    };
                    tokio::join!(up, down);
                });
                conns.lock().unwrap().push(handle.abort_handle());
            }
        });
        Proxy {
            addr,
            counts,
            gate,
            connections,
            accept: accept.abort_handle(),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn get_secret_value_calls(&self) -> usize {
        self.counts[0].load(Ordering::SeqCst)
    }

    pub fn describe_secret_calls(&self) -> usize {
        self.counts[1].load(Ordering::SeqCst)
    }

    pub fn batch_get_calls(&self) -> usize {
        self.counts[2].load(Ordering::SeqCst)
    }

    /// Holds every request until [`Proxy::release`].
    pub fn hold(&self) {
        self.gate.send_replace(false);
    }

    pub fn release(&self) {
        self.gate.send_replace(true);
    }

    /// The upstream goes away: new connections are refused, open ones cut.
    pub async fn stop(&self) {
        self.accept.abort();
        for handle in self.connections.lock().unwrap().drain(..) {
            handle.abort();
        }
        // Wait until the port really refuses, so the next request sees a refused connection.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(self.addr).await.is_ok() {
            assert!(tokio::time::Instant::now() < deadline, "proxy did not stop");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A listener that accepts connections and never answers (an upstream that hangs).
pub async fn black_hole() -> (std::net::SocketAddr, AbortHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (addr, task.abort_handle())
}

/// coffer, the proxy, and an agent on 127.0.0.1:0 talking to coffer through the proxy.
pub struct Harness {
    pub coffer: Coffer,
    pub proxy: Proxy,
    pub agent: Agent,
    pub clock: Arc<ManualClock>,
    pub admin: Client,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with("").await
    }

    /// Starts with `toml` as the agent's configuration file.
    pub async fn start_with(toml: &str) -> Harness {
        Self::start_with_setup(toml, |_| async {}).await
    }

    /// Starts coffer, runs `setup` against it (to create secrets before the agent's prefetch),
    /// then the agent.
    pub async fn start_with_setup<F, Fut>(toml: &str, setup: F) -> Harness
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let coffer = Coffer::start().await;
        let admin = coffer.admin();
        setup(admin.clone()).await;
        let proxy = Proxy::start(coffer.server.addr).await;
        let clock = Arc::new(ManualClock::new());
        let config = Config::from_toml(toml).unwrap();
        let agent = start_agent(&config, coffer.client_for(&proxy.endpoint()), clock.clone()).await;
        Harness {
            coffer,
            proxy,
            agent,
            clock,
            admin,
        }
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        request(
            self.agent.addr,
            "GET",
            path_and_query,
            &[("X-Aws-Parameters-Secrets-Token", TOKEN)],
        )
        .await
    }

    /// `GET /secretsmanager/get?secretId=<id>`.
    pub async fn secret(&self, id: &str) -> Reply {
        self.get(&format!("/secretsmanager/get?secretId={id}"))
            .await
    }

    pub async fn create(&self, name: &str, value: &str) -> String {
        self.admin
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .unwrap()
            .version_id
            .unwrap()
    }

    pub async fn put(&self, name: &str, value: &str) -> String {
        self.admin
            .put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .send()
            .await
            .unwrap()
            .version_id
            .unwrap()
    }
}

pub async fn start_agent(config: &Config, upstream: Client, clock: Arc<ManualClock>) -> Agent {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    coffer_agent::start_on(
        config,
        Dependencies {
            upstream,
            token: SsrfToken::new(TOKEN),
            clock,
        },
        listener,
    )
    .await
    .unwrap()
}

/// An HTTP response, read raw.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// `SecretString` of a success body.
    pub fn secret_string(&self) -> String {
        assert_eq!(self.status, 200, "{}", self.body);
        self.json()["SecretString"].as_str().unwrap().to_owned()
    }
}

/// One request on a fresh connection (`Connection: close`), answer read to the end.
pub async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    send(&mut stream, method, path_and_query, headers, true).await;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
        .await
        .expect("agent answered in time")
        .unwrap();
    parse(&raw)
}

pub async fn send(
    stream: &mut TcpStream,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    close: bool,
) {
    let mut text = format!("{method} {path_and_query} HTTP/1.1\r\nHost: localhost\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if close {
        text.push_str("Connection: close\r\n");
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).await.unwrap();
}

/// Reads one response with a `Content-Length` body from a kept-alive connection.
pub async fn read_one(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if raw.len() >= end + 4 + length {
                return parse(&raw[..end + 4 + length]);
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("agent answered in time")
            .unwrap();
        assert!(n > 0, "connection closed early");
        raw.extend_from_slice(&buf[..n]);
    }
}

fn parse(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&raw[end + 4..]).into_owned(),
    }
}
