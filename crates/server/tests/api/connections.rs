//! Slow and greedy clients over real TCP sockets against a real server on 127.0.0.1:0: headers
//! trickled a byte at a time, an idle keep-alive connection, a body that never arrives, an idle
//! TLS connection after its handshake, the connection caps (in all and per client IP, with a
//! second loopback address as a second client), the request caps (answered with AWS's
//! throttling error), graceful shutdown on the new accept loop, and the refusal to serve plain
//! HTTP on a non-loopback address.
//!
//! Timeouts are set to a second or two; every wait is for an event (EOF, a response) with a
//! deadline, and "closed in time" means EOF after at least the timeout and well before the
//! deadline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// How long any wait may take before the test fails. A server without the timeouts holds the
/// connections past it.
const DEADLINE: Duration = Duration::from_secs(10);

/// A second client address on the loopback interface (Linux routes all of 127/8 there).
const OTHER_CLIENT: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Connects from `from` (a loopback address) to the server.
async fn connect_from(from: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0)).unwrap();
    socket.connect(server).await.unwrap()
}

/// Reads until the server closes the connection, returning what it sent and how long that
/// took. A reset counts as closed. Fails when the connection is still open after [`DEADLINE`].
async fn until_closed<S: AsyncRead + Unpin>(stream: &mut S) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let remaining = DEADLINE
            .checked_sub(start.elapsed())
            .unwrap_or(Duration::ZERO);
        match tokio::time::timeout(remaining, stream.read(&mut buffer)).await {
            Err(_) => panic!(
                "connection still open after {DEADLINE:?}; received {:?}",
                String::from_utf8_lossy(&received)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return (received, start.elapsed()),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Waits until `condition` holds, failing after [`DEADLINE`].
async fn wait_for(what: &str, condition: impl Fn() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < DEADLINE,
            "{what}: not within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Sends `GET /health` on an open stream and reads the response (the body is "ok").
async fn health_on<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) -> String {
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    let mut buffer = [0u8; 1024];
    while !response.ends_with(b"\r\n\r\nok") {
        let n = tokio::time::timeout(DEADLINE, stream.read(&mut buffer))
            .await
            .expect("a response in time")
            .unwrap();
        assert!(
            n > 0,
            "closed before the response: {:?}",
            String::from_utf8_lossy(&response)
        );
        response.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8(response).unwrap()
}

/// `GET /metrics` on a new connection: the exposition's text.
async fn metrics_text(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let (received, _) = until_closed(&mut stream).await;
    let (status, _, body) = parse_response(&received);
    assert_eq!(status, 200, "{body}");
    body
}

/// Asserts a health check answers 200 on this connection.
async fn assert_served<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S) {
    let response = health_on(stream).await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
}

/// Asserts the server closed this connection at once, without a word.
async fn assert_refused(stream: &mut TcpStream) {
    let (received, took) = until_closed(stream).await;
    assert_eq!(received, b"", "a refused connection is closed unread");
    assert!(took < Duration::from_secs(3), "closed only after {took:?}");
}

/// The head of an API request whose body is `content_length` bytes (not sent here).
fn api_head(content_length: usize) -> String {
    format!(
        "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-amz-json-1.1\r\n\
         x-amz-target: secretsmanager.ListSecrets\r\ncontent-length: {content_length}\r\n\r\n"
    )
}

/// Splits a raw HTTP/1.1 response into its status code, its lower-cased headers and its body.
fn parse_response(raw: &[u8]) -> (u16, Vec<(String, String)>, String) {
    let text = String::from_utf8(raw.to_vec()).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete head");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    (status, headers, body.to_owned())
}

#[tokio::test]
async fn headers_trickled_a_byte_at_a_time_are_cut_off_at_the_header_timeout() {
    let s = start_with(|c| c.header_read_timeout_secs = 1).await;
    // Eight clients each send a byte of a never-ending header every 200 ms.
    let mut clients = Vec::new();
    for _ in 0..8 {
        let stream = TcpStream::connect(s.server.addr).await.unwrap();
        let (mut read, mut write) = stream.into_split();
        let trickle = tokio::spawn(async move {
            let head = b"POST / HTTP/1.1\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
            let mut ticks = tokio::time::interval(Duration::from_millis(200));
            for byte in head.iter().cycle() {
                ticks.tick().await;
                if write.write_all(&[*byte]).await.is_err() {
                    return; // closed by the server
                }
            }
        });
        clients.push(tokio::spawn(async move {
            let closed = until_closed(&mut read).await;
            trickle.abort();
            closed
        }));
    }
    for client in clients {
        let (received, took) = client.await.unwrap();
        assert_eq!(received, b"", "a header timeout closes without an answer");
        assert!(took >= Duration::from_millis(900), "closed early: {took:?}");
        assert!(took < Duration::from_secs(5), "closed late: {took:?}");
    }
    s.stop().await;
}

#[tokio::test]
async fn idle_connections_are_closed_before_and_after_a_request() {
    let s = start_with(|c| c.header_read_timeout_secs = 1).await;

    // Connected, never a byte.
    let mut silent = TcpStream::connect(s.server.addr).await.unwrap();
    let (received, took) = until_closed(&mut silent).await;
    assert_eq!(received, b"");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );

    // Keep-alive after a request: the wait for the next request has the same limit.
    let mut keep_alive = TcpStream::connect(s.server.addr).await.unwrap();
    assert_served(&mut keep_alive).await;
    let (received, took) = until_closed(&mut keep_alive).await;
    assert_eq!(received, b"");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );

    // A client that keeps using its connection within the limit keeps it.
    let mut busy = TcpStream::connect(s.server.addr).await.unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(2500) {
        assert_served(&mut busy).await;
        // The client's own pace: a request every 300 ms, well within the 1 s limit.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    s.stop().await;
}

#[tokio::test]
async fn a_body_that_does_not_arrive_is_answered_408_and_the_connection_closed() {
    let s = start_with(|c| c.body_read_timeout_secs = 1).await;
    let mut stream = TcpStream::connect(s.server.addr).await.unwrap();
    // Content-Length 100, one byte sent.
    stream.write_all(api_head(100).as_bytes()).await.unwrap();
    stream.write_all(b"{").await.unwrap();
    let (received, took) = until_closed(&mut stream).await;
    assert!(
        took >= Duration::from_millis(900),
        "answered early: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "answered late: {took:?}");
    let (status, headers, body) = parse_response(&received);
    assert_eq!(status, 408);
    assert_eq!(
        body,
        r#"{"__type":"RequestTimeoutException","Message":"Request body not received within 1 s."}"#
    );
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("content-type"), Some("application/x-amz-json-1.1"));
    assert_eq!(header("connection"), Some("close"));
    assert!(header("x-amzn-requestid").is_some());

    // A body that arrives is served as usual.
    let body = serde_json::to_vec(&json!({})).unwrap();
    let raw = s.raw("ListSecrets", body);
    let r = raw.send().await;
    assert_eq!(r.status, 200, "{}", r.text());
    s.stop().await;
}

#[tokio::test]
async fn connections_over_a_cap_are_closed_at_once() {
    let s = start_with(|c| {
        c.max_connections = 3;
        c.max_connections_per_ip = 2;
    })
    .await;
    let addr = s.server.addr;
    // The accept loop admits in order, so the first two are in before the third is looked at;
    // serving a request on each proves they are.
    let mut first = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    assert_served(&mut first).await;
    let mut second = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    assert_served(&mut second).await;
    // A third from the same address: over the per-IP cap.
    let mut third = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    assert_refused(&mut third).await;
    // Another address still gets in, up to the total.
    let mut other = connect_from(OTHER_CLIENT, addr).await;
    assert_served(&mut other).await;
    let mut over_total = connect_from(OTHER_CLIENT, addr).await;
    assert_refused(&mut over_total).await;

    // A connection closed gives its place back once the server has seen it close.
    assert_eq!(s.server.limits.open_connections(), 3);
    drop(first);
    wait_for("the place given back", || {
        s.server.limits.open_connections() == 2
    })
    .await;
    let mut again = connect_from(Ipv4Addr::LOCALHOST, addr).await;
    assert_served(&mut again).await;
    drop(again);
    wait_for("the place given back", || {
        s.server.limits.open_connections() == 2
    })
    .await;

    let text = metrics_text(addr).await;
    for line in [
        "coffer_connections_open 3\n",
        "coffer_connections_refused_total{cap=\"total\"} 1\n",
        "coffer_connections_refused_total{cap=\"per_ip\"} 1\n",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    s.stop().await;
}

#[tokio::test]
async fn tls_connections_idle_after_the_handshake_are_closed_and_caps_apply_before_it() {
    let tls = tls_files();
    let s = start_with(|c| {
        c.tls_cert_file = Some(tls.cert.clone());
        c.tls_key_file = Some(tls.key.clone());
        c.header_read_timeout_secs = 1;
        c.max_connections_per_ip = 1;
    })
    .await;
    let mut idle = tls.connect(s.server.addr).await;
    let (received, took) = until_closed(&mut idle).await;
    assert_eq!(received, b"");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    drop(idle);
    wait_for("the idle connection's place given back", || {
        s.server.limits.open_connections() == 0
    })
    .await;

    // One connection per address: a second is closed before its handshake.
    let mut held = tls.connect(s.server.addr).await;
    assert_served(&mut held).await;
    let mut refused = TcpStream::connect(s.server.addr).await.unwrap();
    assert_refused(&mut refused).await;
    assert_served(&mut held).await;
    s.stop().await;
}

/// Holds one API request in flight from `from`: its headers sent, its body not yet. Returns the
/// stream, to finish the body on.
async fn request_in_flight(from: Ipv4Addr, addr: SocketAddr) -> TcpStream {
    let mut stream = connect_from(from, addr).await;
    stream.write_all(api_head(2).as_bytes()).await.unwrap();
    stream.write_all(b"{").await.unwrap();
    stream
}

#[tokio::test]
async fn requests_over_a_cap_get_throttling_exception() {
    let s = start_with(|c| {
        c.max_requests_in_flight = 2;
        c.max_requests_in_flight_per_ip = 1;
    })
    .await;
    let addr = s.server.addr;
    let client = s.client();

    let limits = s.server.limits.clone();
    let in_flight = |n| {
        let limits = limits.clone();
        move || limits.requests_in_flight() == n
    };

    // One request of 127.0.0.1 in flight: the next one from there is throttled.
    let mut held = request_in_flight(Ipv4Addr::LOCALHOST, addr).await;
    wait_for("one request in flight", in_flight(1)).await;
    let e = api_err(client.list_secrets().send().await.expect_err("throttled"));
    assert_eq!(
        e,
        ApiErr {
            status: 400,
            code: "ThrottlingException".into(),
            message: "Rate exceeded".into(),
        }
    );
    // The raw answer, exactly.
    let r = s.raw_json("ListSecrets", &json!({})).send().await;
    r.assert_error("ThrottlingException", Some("Rate exceeded"));
    assert_eq!(r.status, 400);

    // A second address holds the other place: now everyone is throttled, /health is not.
    let mut other = request_in_flight(OTHER_CLIENT, addr).await;
    wait_for("two requests in flight", in_flight(2)).await;
    let mut third = connect_from(Ipv4Addr::new(127, 0, 0, 3), addr).await;
    third.write_all(api_head(2).as_bytes()).await.unwrap();
    third.write_all(b"{}").await.unwrap();
    let mut buffer = vec![0u8; 4096];
    let n = tokio::time::timeout(DEADLINE, third.read(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    let (status, _, body) = parse_response(&buffer[..n]);
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"__type":"ThrottlingException","Message":"Rate exceeded"}"#
    );
    assert_served(&mut third).await;

    // Finishing the held requests frees their places.
    for stream in [&mut held, &mut other] {
        stream.write_all(b"}").await.unwrap();
        let mut buffer = [0u8; 12];
        tokio::time::timeout(DEADLINE, stream.read_exact(&mut buffer))
            .await
            .expect("answered in time")
            .unwrap();
        // Unsigned: refused, but answered.
        assert_eq!(&buffer, b"HTTP/1.1 400");
    }
    wait_for("no request in flight", in_flight(0)).await;
    client.list_secrets().send().await.expect("served again");

    let text = metrics_text(addr).await;
    for line in [
        "coffer_requests_in_flight 0\n",
        "coffer_requests_throttled_total{cap=\"total\"} 1\n",
        "coffer_requests_throttled_total{cap=\"per_ip\"} 2\n",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    s.stop().await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_finishes_requests_in_flight() {
    let s = start_with(|c| c.header_read_timeout_secs = 30).await;
    let addr = s.server.addr;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    assert_served(&mut idle).await;
    let mut in_flight = request_in_flight(Ipv4Addr::LOCALHOST, addr).await;
    // The request is being served: its head read, its body awaited.
    let limits = s.server.limits.clone();
    wait_for("the request in flight", || limits.requests_in_flight() == 1).await;

    let shutdown = tokio::spawn(s.server.shutdown());
    // The idle connection is closed now, long before its 30-second timeout.
    let (received, took) = until_closed(&mut idle).await;
    assert_eq!(received, b"");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // No new connections.
    let start = Instant::now();
    while TcpStream::connect(addr).await.is_ok() {
        assert!(start.elapsed() < DEADLINE, "still accepting");
        tokio::task::yield_now().await;
    }
    assert!(
        !shutdown.is_finished(),
        "shut down with a request in flight"
    );
    // The request in flight is answered, then the connection closes and shutdown ends.
    in_flight.write_all(b"}").await.unwrap();
    let (received, _) = until_closed(&mut in_flight).await;
    let (status, _, body) = parse_response(&received);
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        r#"{"__type":"MissingAuthenticationTokenException","Message":"Request is missing Authentication Token"}"#
    );
    tokio::time::timeout(DEADLINE, shutdown)
        .await
        .expect("shutdown in time")
        .unwrap();
}

#[tokio::test]
async fn plain_http_on_a_non_loopback_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = coffer_server::Config {
        data_dir: dir.path().to_owned(),
        ..Default::default()
    };
    // Bound to every address, so reachable from other hosts. The start is refused, so nothing
    // is ever served on it.
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let Err(error) = coffer_server::start_on(&config, listener).await else {
        panic!("started");
    };
    assert_eq!(
        error.to_string(),
        format!(
            "configuration: refusing to serve plain HTTP on 0.0.0.0:{port}, which is not a \
             loopback address: secret values would cross the network in clear. Configure \
             tls_cert_file and tls_key_file, listen on 127.0.0.1, or set \
             allow_plaintext_non_loopback (--allow-plaintext-non-loopback) if a \
             TLS-terminating proxy or a private network stands in front"
        )
    );
    // Nothing was initialised.
    assert!(!dir.path().join(coffer_server::DATABASE_FILE).exists());
}

/// A test CA, a certificate for 127.0.0.1 it issued, and the files the server reads.
struct TlsFiles {
    _dir: tempfile::TempDir,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    client: Arc<tokio_rustls::rustls::ClientConfig>,
}

fn tls_files() -> TlsFiles {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};
    use std::os::unix::fs::PermissionsExt;
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, leaf.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let client = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsFiles {
        _dir: dir,
        cert: cert_path,
        key: key_path,
        client: Arc::new(client),
    }
}

impl TlsFiles {
    /// A completed handshake with the server.
    async fn connect(&self, addr: SocketAddr) -> tokio_rustls::client::TlsStream<TcpStream> {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = tokio_rustls::rustls::pki_types::ServerName::IpAddress(
            IpAddr::V4(Ipv4Addr::LOCALHOST).into(),
        );
        tokio_rustls::TlsConnector::from(self.client.clone())
            .connect(name, tcp)
            .await
            .expect("TLS handshake")
    }
}

#[test]
fn the_binary_refuses_plain_http_on_a_non_loopback_address_and_exits_non_zero() {
    let data = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(data.path())
        .env_remove("COFFER_TLS_CERT_FILE")
        .env_remove("COFFER_TLS_KEY_FILE")
        .env_remove("COFFER_ALLOW_PLAINTEXT_NON_LOOPBACK")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("coffer: configuration: refusing to serve plain HTTP on 0.0.0.0:"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty(), "it announced itself: {output:?}");
}
