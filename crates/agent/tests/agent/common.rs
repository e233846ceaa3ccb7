//! Test harness: a real coffer server, a counting TCP proxy between the agent and coffer (so
//! upstream calls are counted outside the agent, and the upstream can be held, stopped,
//! black-holed or made to fail), the agent started in-process with a manual clock, and a raw
//! HTTP client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::config::{
    AsyncSleep, BehaviorVersion, Region, Sleep, StalledStreamProtectionConfig,
};
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
        Self::start_with_clock(Arc::new(coffer_core::clock::SystemClock)).await
    }

    /// A coffer whose time (session expiry, signature skew) is `clock`'s.
    pub async fn start_with_clock(clock: Arc<dyn coffer_core::clock::Clock>) -> Coffer {
        let dir = tempfile::tempdir().unwrap();
        let config = coffer_server::Config {
            data_dir: dir.path().to_owned(),
            ..Default::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = coffer_server::start_with_clock(&config, listener, clock)
            .await
            .unwrap();
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
        let config = self
            .config_for(endpoint)
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(2))
                    .build(),
            )
            .build();
        Client::from_conf(config)
    }

    /// An SDK client for `endpoint` that retries as the agent's own does (the SDK's standard
    /// mode: three attempts, jittered exponential backoff from 1 s), with `timeout` as its
    /// operation timeout, its sleeps (backoff and timeouts) through `sleep`. Stalled-stream
    /// protection is off: it polls the upload every 100 ms through the same sleeps, which on the
    /// manual clock would move it by whole seconds during an ordinary call.
    pub fn retrying_client_for(
        &self,
        endpoint: &str,
        timeout: Option<Duration>,
        sleep: ClockSleep,
    ) -> Client {
        let mut timeouts = TimeoutConfig::builder();
        timeouts.set_operation_timeout(timeout);
        let config = self
            .config_for(endpoint)
            .retry_config(RetryConfig::standard())
            .timeout_config(timeouts.build())
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .sleep_impl(sleep)
            .build();
        Client::from_conf(config)
    }

    fn config_for(&self, endpoint: &str) -> aws_sdk_secretsmanager::config::Builder {
        let creds = aws_credential_types::Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            None,
            None,
            "test",
        );
        aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(creds)
    }

    /// A client straight to coffer, for setting up secrets.
    pub fn admin(&self) -> Client {
        self.client_for(&self.endpoint())
    }
}

/// The SDK's sleeps (retry backoff, timeouts). Real sleeps until [`ClockSleep::on_clock`]; from
/// then on a sleep moves the test's manual clock by its length the moment it is awaited and
/// ends at once, so the time the SDK spends retrying or timing out shows on the agent's clock
/// without the test waiting for it. (A timeout then fires as soon as the call it bounds has
/// to wait: switch it on only once the upstream fails.)
#[derive(Debug, Clone)]
pub struct ClockSleep {
    clock: Arc<ManualClock>,
    on_clock: Arc<AtomicBool>,
}

impl ClockSleep {
    pub fn new(clock: Arc<ManualClock>) -> Self {
        ClockSleep {
            clock,
            on_clock: Arc::default(),
        }
    }

    pub fn on_clock(&self) {
        self.on_clock.store(true, Ordering::SeqCst);
    }
}

impl AsyncSleep for ClockSleep {
    fn sleep(&self, duration: Duration) -> Sleep {
        if self.on_clock.load(Ordering::SeqCst) {
            let clock = self.clock.clone();
            Sleep::new(async move { clock.advance(duration) })
        } else {
            Sleep::new(tokio::time::sleep(duration))
        }
    }
}

/// How the upstream fails after [`Proxy::fail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The port refuses connections ([`Proxy::stop`]).
    Refused,
    /// The request reaches coffer; the connection is reset halfway through its answer.
    ResetMidResponse,
    /// Connections are accepted and read, never answered.
    BlackHole,
    /// HTTP 500 `InternalServiceError`, as Secrets Manager answers a failure of its own.
    Internal,
    /// HTTP 503 with a non-JSON body, as a load balancer in front answers.
    Unavailable,
    /// HTTP 400 `ThrottlingException` "Rate exceeded", as coffer and AWS answer over a cap.
    Throttled,
}

impl Failure {
    pub const ALL: [Failure; 6] = [
        Failure::Refused,
        Failure::ResetMidResponse,
        Failure::BlackHole,
        Failure::Internal,
        Failure::Unavailable,
        Failure::Throttled,
    ];

    /// The canned answer, for the kinds that answer.
    fn answer(self) -> Option<String> {
        let (status, content_type, body) = match self {
            Failure::Internal => (
                "500 Internal Server Error",
                "application/x-amz-json-1.1",
                r#"{"__type":"InternalServiceError","message":"An error occurred on the server side."}"#,
            ),
            Failure::Unavailable => (
                "503 Service Unavailable",
                "text/html",
                "<html><body>503 Service Unavailable</body></html>",
            ),
            Failure::Throttled => (
                "400 Bad Request",
                "application/x-amz-json-1.1",
                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
            ),
            _ => return None,
        };
        Some(format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
             x-amzn-requestid: 00000000-0000-0000-0000-000000000000\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ))
    }
}

/// Counts the operations named in `chunk` (`tail`: the end of the previous chunks, so a name
/// split across reads is counted once).
fn count(counts: &[AtomicUsize; 3], tail: &mut Vec<u8>, chunk: &[u8]) {
    let mut window = std::mem::take(tail);
    let seen = window.len();
    window.extend_from_slice(chunk);
    for (i, pattern) in COUNTED.iter().enumerate() {
        let p = pattern.as_bytes();
        let hits = window
            .windows(p.len())
            .enumerate()
            .filter(|(at, w)| *w == p && at + p.len() > seen)
            .count();
        counts[i].fetch_add(hits, Ordering::SeqCst);
    }
    *tail = window[window.len().saturating_sub(64)..].to_vec();
}

/// The length of the HTTP message (head and `content-length` body) at the start of `raw`, once
/// all of it is there.
fn message_len(raw: &[u8]) -> Option<usize> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    (raw.len() >= end + 4 + length).then_some(end + 4 + length)
}

/// Reads one whole request (head and `content-length` body), counting it; `None` when the
/// connection ends first.
async fn read_request(stream: &mut TcpStream, counts: &[AtomicUsize; 3]) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    let mut tail = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        if message_len(&raw).is_some() {
            return Some(raw);
        }
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        count(counts, &mut tail, &buf[..n]);
        raw.extend_from_slice(&buf[..n]);
    }
}

/// The operations the proxy counts, by their `X-Amz-Target`.
const COUNTED: [&str; 3] = [
    "secretsmanager.GetSecretValue\r",
    "secretsmanager.DescribeSecret\r",
    "secretsmanager.BatchGetSecretValue\r",
];

/// A TCP proxy in front of coffer that counts requests per operation by scanning the bytes the
/// agent sends. It can hold requests (a gate), stop (refuse new connections and cut open
/// ones), or fail each new connection one of the ways of [`Failure`].
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    counts: Arc<[AtomicUsize; 3]>,
    gate: watch::Sender<bool>,
    failure: Arc<Mutex<Option<Failure>>>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    pub async fn start(target: std::net::SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counts: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
        let (gate, gate_rx) = watch::channel(true);
        let failure: Arc<Mutex<Option<Failure>>> = Arc::default();
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (c, f, conns) = (counts.clone(), failure.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                let (c, gate) = (c.clone(), gate_rx.clone());
                let failure = *f.lock().unwrap();
                let handle = tokio::spawn(async move {
                    match failure {
                        None | Some(Failure::Refused) => forward(inbound, target, c, gate).await,
                        Some(kind) => fail(inbound, target, c, kind).await,
                    }
                });
                conns.lock().unwrap().push(handle.abort_handle());
            }
        });
        Proxy {
            addr,
            counts,
            gate,
            failure,
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
        self.cut();
        // Wait until the port really refuses, so the next request sees a refused connection.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(self.addr).await.is_ok() {
            assert!(tokio::time::Instant::now() < deadline, "proxy did not stop");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The upstream fails as `kind` says: open connections are cut (so no kept-alive one still
    /// reaches coffer), new ones fail.
    pub async fn fail(&self, kind: Failure) {
        if kind == Failure::Refused {
            return self.stop().await;
        }
        *self.failure.lock().unwrap() = Some(kind);
        self.cut();
    }

    fn cut(&self) {
        for handle in self.connections.lock().unwrap().drain(..) {
            handle.abort();
        }
    }
}

/// Carries one connection through to coffer, counting and (while the gate is shut) holding
/// what the agent sends.
async fn forward(
    inbound: TcpStream,
    target: std::net::SocketAddr,
    counts: Arc<[AtomicUsize; 3]>,
    gate: watch::Receiver<bool>,
) {
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
            count(&counts, &mut tail, &buf[..n]);
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
}

/// Fails one connection as `kind` says, counting the request first.
async fn fail(
    mut inbound: TcpStream,
    target: std::net::SocketAddr,
    counts: Arc<[AtomicUsize; 3]>,
    kind: Failure,
) {
    let Some(request) = read_request(&mut inbound, &counts).await else {
        return;
    };
    if let Some(answer) = kind.answer() {
        let _ = inbound.write_all(answer.as_bytes()).await;
        let _ = inbound.shutdown().await;
        return;
    }
    match kind {
        Failure::BlackHole => {
            // Keep the connection open, unanswered, until the agent gives up or the test ends.
            let mut sink = [0u8; 1024];
            while matches!(inbound.read(&mut sink).await, Ok(n) if n > 0) {}
        }
        Failure::ResetMidResponse => {
            let Ok(mut outbound) = TcpStream::connect(target).await else {
                return;
            };
            if outbound.write_all(&request).await.is_err() {
                return;
            }
            // Coffer's whole answer; the agent gets its head and half its body, then a reset
            // (RST, not FIN).
            let mut answer = Vec::new();
            let mut buf = [0u8; 16384];
            let cut = loop {
                if let (Some(len), Some(head)) = (
                    message_len(&answer),
                    answer.windows(4).position(|w| w == b"\r\n\r\n"),
                ) {
                    break head + 4 + (len - head - 4) / 2;
                }
                match outbound.read(&mut buf).await {
                    Ok(n) if n > 0 => answer.extend_from_slice(&buf[..n]),
                    _ => break answer.len() / 2,
                }
            };
            let _ = inbound.write_all(&answer[..cut]).await;
            let _ = inbound.set_zero_linger();
        }
        _ => {}
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
    /// The agent's SDK sleeps, for a harness started by [`Harness::start_retrying`].
    pub sdk_sleep: ClockSleep,
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
        Self::start_full(toml, setup, |coffer, endpoint, _| {
            coffer.client_for(endpoint)
        })
        .await
    }

    /// Starts with an agent whose SDK client retries as the real agent's does, with `timeout`
    /// as its operation timeout; [`Harness::outage`] puts its sleeps on the manual clock.
    pub async fn start_retrying(toml: &str, timeout: Option<Duration>) -> Harness {
        Self::start_full(
            toml,
            |_| async {},
            |coffer, endpoint, sleep| coffer.retrying_client_for(endpoint, timeout, sleep.clone()),
        )
        .await
    }

    async fn start_full<F, Fut>(
        toml: &str,
        setup: F,
        client: impl FnOnce(&Coffer, &str, &ClockSleep) -> Client,
    ) -> Harness
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let coffer = Coffer::start().await;
        let admin = coffer.admin();
        setup(admin.clone()).await;
        let proxy = Proxy::start(coffer.server.addr).await;
        let clock = Arc::new(ManualClock::new());
        let sdk_sleep = ClockSleep::new(clock.clone());
        let config = Config::from_toml(toml).unwrap();
        let upstream = client(&coffer, &proxy.endpoint(), &sdk_sleep);
        let agent = start_agent(&config, upstream, clock.clone()).await;
        Harness {
            coffer,
            proxy,
            agent,
            clock,
            sdk_sleep,
            admin,
        }
    }

    /// The upstream fails as `kind` says, and from now on the SDK's backoff and timeouts move
    /// the manual clock (as they take real time in production).
    pub async fn outage(&self, kind: Failure) {
        self.sdk_sleep.on_clock();
        self.proxy.fail(kind).await;
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
        if let Some(len) = message_len(&raw) {
            return parse(&raw[..len]);
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
