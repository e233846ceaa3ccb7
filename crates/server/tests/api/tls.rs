//! HTTPS: a CA and server certificates for 127.0.0.1 made at test time (rcgen), a real server on
//! 127.0.0.1:0 serving TLS, the official SDK trusting the test CA, a plain-HTTP request refused,
//! certificate reload (new files picked up, bad files ignored), and start-up refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use aws_smithy_http_client::tls;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SerialNumber,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

/// How long any wait in these tests may take before it fails.
const DEADLINE: Duration = Duration::from_secs(20);

/// A test certificate authority.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// A server certificate issued by the test CA, as PEM files' contents.
struct Issued {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
}

impl Ca {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "coffer test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Self { cert, key }
    }

    fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A certificate for 127.0.0.1 with its own key, common name and serial.
    fn issue(&self, common_name: &str, serial: u64) -> Issued {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.serial_number = Some(SerialNumber::from(serial));
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }
}

/// Where a test keeps its certificate and key files.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// Replaces both files the way deployments do: write a temporary file, then rename it over
    /// the old one (the key file private from the start).
    fn write(&self, cert: &str, key: &str) {
        replace(&self.cert(), cert.as_bytes(), 0o644);
        replace(&self.key(), key.as_bytes(), 0o600);
    }
}

fn replace(path: &Path, contents: &[u8], mode: u32) {
    let temporary = path.with_extension("new");
    std::fs::write(&temporary, contents).unwrap();
    std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(mode)).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// A rustls client configuration that trusts only the test CA.
fn client_config(ca: &Ca) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

type ClientStream = tokio_rustls::client::TlsStream<TcpStream>;

/// A completed handshake with the server.
async fn connect(addr: SocketAddr, config: &Arc<rustls::ClientConfig>) -> ClientStream {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
    tokio_rustls::TlsConnector::from(config.clone())
        .connect(name, tcp)
        .await
        .expect("TLS handshake")
}

/// The leaf certificate a fresh connection is shown.
async fn presented(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
) -> CertificateDer<'static> {
    let stream = connect(addr, config).await;
    let (_, connection) = stream.get_ref();
    connection.peer_certificates().expect("a certificate")[0].clone()
}

/// Polls fresh handshakes until one presents `expected`, failing after [`DEADLINE`].
async fn wait_for_certificate(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
    expected: &CertificateDer<'static>,
) {
    let start = Instant::now();
    loop {
        if &presented(addr, config).await == expected {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the server did not pick up the new certificate within {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks that fresh handshakes keep presenting `expected` for `span` (several reload
/// intervals): a change that must not be picked up can only be shown by waiting it out.
async fn keeps_certificate(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
    expected: &CertificateDer<'static>,
    span: Duration,
) {
    let start = Instant::now();
    while start.elapsed() < span {
        assert!(
            &presented(addr, config).await == expected,
            "the server dropped the certificate in force"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One HTTP/1.1 request on an open stream; returns the status line.
async fn health_on<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
) -> String {
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    let mut buffer = [0u8; 1024];
    // "ok" is the whole body: read until it arrives.
    while !response.ends_with(b"ok") {
        let n = tokio::time::timeout(DEADLINE, stream.read(&mut buffer))
            .await
            .expect("a response in time")
            .unwrap();
        assert!(
            n > 0,
            "connection closed: {:?}",
            String::from_utf8_lossy(&response)
        );
        response.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    text.lines().next().unwrap_or_default().to_owned()
}

/// An SDK client for `endpoint` whose HTTP client trusts exactly `trusted` (PEM; none: an empty
/// trust store, which must refuse the server).
fn sdk_client(
    server: &common::TestServer,
    endpoint: &str,
    trusted: Option<&str>,
) -> aws_sdk_secretsmanager::Client {
    let mut trust_store = tls::TrustStore::empty();
    if let Some(pem) = trusted {
        trust_store = trust_store.with_pem_certificate(pem.as_bytes().to_vec());
    }
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(
            tls::TlsContext::builder()
                .with_trust_store(trust_store)
                .build()
                .unwrap(),
        )
        .build_https();
    let credentials = aws_credential_types::Credentials::new(
        &server.access_key_id,
        &server.secret_access_key,
        None,
        None,
        "test",
    );
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .retry_config(RetryConfig::disabled())
        .http_client(http_client)
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// Starts a server serving `files` over TLS, checking for new files every second.
async fn start_tls(files: &Files) -> common::TestServer {
    let (cert, key) = (files.cert(), files.key());
    common::start_with(move |config| {
        config.tls_cert_file = Some(cert);
        config.tls_key_file = Some(key);
        config.tls_reload_interval_secs = 1;
    })
    .await
}

#[tokio::test]
async fn sdk_calls_over_https_and_plain_http_is_refused() {
    let ca = Ca::new();
    let files = Files::new();
    let first = ca.issue("coffer-1", 1);
    files.write(&first.cert_pem, &first.key_pem);
    let server = start_tls(&files).await;
    assert!(server.server.tls);
    let endpoint = server.server.url();
    assert_eq!(endpoint, format!("https://{}", server.server.addr));

    // The SDK, trusting the test CA, creates and reads a secret over HTTPS.
    let client = sdk_client(&server, &endpoint, Some(&ca.pem()));
    client
        .create_secret()
        .name("tls/one")
        .secret_string("over TLS")
        .send()
        .await
        .expect("create_secret over HTTPS");
    let value = client
        .get_secret_value()
        .secret_id("tls/one")
        .send()
        .await
        .expect("get_secret_value over HTTPS");
    assert_eq!(value.secret_string(), Some("over TLS"));
    // aws:SecureTransport is true here: a policy refusing insecure transport lets the read
    // through (api_iam.rs shows the same policy refusing it over plain HTTP).
    client
        .put_resource_policy()
        .secret_id("tls/one")
        .resource_policy(common::iam::DENY_INSECURE_TRANSPORT)
        .send()
        .await
        .expect("put_resource_policy over HTTPS");
    let value = client
        .get_secret_value()
        .secret_id("tls/one")
        .send()
        .await
        .expect("get_secret_value over HTTPS under a SecureTransport policy");
    assert_eq!(value.secret_string(), Some("over TLS"));

    // The same client without the CA refuses the server: the client really verifies.
    let untrusting = sdk_client(&server, &endpoint, None);
    let refused = untrusting
        .get_secret_value()
        .secret_id("tls/one")
        .send()
        .await;
    assert!(refused.is_err(), "an untrusted certificate was accepted");

    // Plain HTTP to the TLS port gets no HTTP response: rustls answers with an alert (or just
    // closes), never with a status line.
    let mut plain = TcpStream::connect(server.server.addr).await.unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(DEADLINE, plain.read_to_end(&mut answer))
        .await
        .expect("the server closes a plain-HTTP connection")
        .ok();
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP was served: {:?}",
        String::from_utf8_lossy(&answer)
    );

    // An http:// endpoint fails through the SDK too.
    let over_http = sdk_client(
        &server,
        &format!("http://{}", server.server.addr),
        Some(&ca.pem()),
    );
    assert!(over_http
        .get_secret_value()
        .secret_id("tls/one")
        .send()
        .await
        .is_err());

    // Graceful shutdown with an idle keep-alive TLS connection open ends in time, and the port
    // is closed afterwards.
    let config = client_config(&ca);
    let mut idle = connect(server.server.addr, &config).await;
    assert!(health_on(&mut idle).await.starts_with("HTTP/1.1 200"));
    let addr = server.server.addr;
    tokio::time::timeout(DEADLINE, server.stop())
        .await
        .expect("graceful shutdown over TLS");
    assert!(TcpStream::connect(addr).await.is_err(), "still listening");
}

#[tokio::test]
async fn certificate_is_reloaded_when_its_files_change_and_bad_files_are_ignored() {
    let ca = Ca::new();
    let files = Files::new();
    let first = ca.issue("coffer-1", 1);
    files.write(&first.cert_pem, &first.key_pem);
    let server = start_tls(&files).await;
    let addr = server.server.addr;
    let config = client_config(&ca);
    assert_eq!(presented(addr, &config).await, first.der);
    // A connection made before the change, to use after it.
    let mut before = connect(addr, &config).await;
    assert!(health_on(&mut before).await.starts_with("HTTP/1.1 200"));

    // New files: new connections get the new certificate.
    let second = ca.issue("coffer-2", 2);
    assert_ne!(second.der, first.der);
    files.write(&second.cert_pem, &second.key_pem);
    wait_for_certificate(addr, &config, &second.der).await;
    // The connection from before still works (it keeps the certificate it was shown).
    assert!(health_on(&mut before).await.starts_with("HTTP/1.1 200"));
    let (_, connection) = before.get_ref();
    assert_eq!(connection.peer_certificates().unwrap()[0], first.der);

    // Garbage in both files: the second certificate stays in force.
    files.write("not a certificate\n", "not a key\n");
    keeps_certificate(addr, &config, &second.der, Duration::from_millis(2500)).await;

    // A half-done replacement (a new certificate with the old key): refused, too.
    let third = ca.issue("coffer-3", 3);
    files.write(&third.cert_pem, &second.key_pem);
    keeps_certificate(addr, &config, &second.der, Duration::from_millis(2500)).await;

    // The reload keeps going after refusals: a good pair is picked up.
    files.write(&third.cert_pem, &third.key_pem);
    wait_for_certificate(addr, &config, &third.der).await;

    // The SDK still works on the reloaded certificate.
    let client = sdk_client(&server, &server.server.url(), Some(&ca.pem()));
    client
        .list_secrets()
        .send()
        .await
        .expect("list_secrets after a reload");
    server.stop().await;
}

/// The start error for a configuration with the given TLS settings.
async fn start_error(cert: Option<PathBuf>, key: Option<PathBuf>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = coffer_server::Config {
        data_dir: dir.path().join("data"),
        tls_cert_file: cert,
        tls_key_file: key,
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    match coffer_server::start_on(&config, listener).await {
        Ok(server) => {
            server.shutdown().await;
            panic!("the server started");
        }
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn bad_tls_configuration_refuses_to_start_with_a_clear_message() {
    let ca = Ca::new();
    let files = Files::new();
    let good = ca.issue("coffer-1", 1);
    files.write(&good.cert_pem, &good.key_pem);

    let message = start_error(Some(files.cert()), None).await;
    assert_eq!(
        message,
        "configuration: tls_cert_file is set but tls_key_file is not; set both (HTTPS) or neither (HTTP)"
    );
    let message = start_error(None, Some(files.key())).await;
    assert_eq!(
        message,
        "configuration: tls_key_file is set but tls_cert_file is not; set both (HTTPS) or neither (HTTP)"
    );

    // A missing certificate file.
    let missing = files.dir.path().join("missing.pem");
    let message = start_error(Some(missing.clone()), Some(files.key())).await;
    assert!(
        message.starts_with(&format!(
            "TLS: reading certificate file {}: ",
            missing.display()
        )),
        "{message}"
    );

    // A garbage certificate file.
    let garbage = files.dir.path().join("garbage.pem");
    std::fs::write(&garbage, "garbage\n").unwrap();
    let message = start_error(Some(garbage.clone()), Some(files.key())).await;
    assert_eq!(
        message,
        format!(
            "TLS: certificate file {}: no PEM \"CERTIFICATE\" found",
            garbage.display()
        )
    );

    // A garbage key file (private, so that the content is what is refused).
    let bad_key = files.dir.path().join("bad-key.pem");
    replace(
        &bad_key,
        b"-----BEGIN PRIVATE KEY-----\nnot base64!\n",
        0o600,
    );
    let message = start_error(Some(files.cert()), Some(bad_key.clone())).await;
    assert!(
        message.starts_with(&format!(
            "TLS: key file {}: no PEM private key found",
            bad_key.display()
        )),
        "{message}"
    );
    assert!(!message.contains("not base64"), "{message}");

    // A key that is not the certificate's.
    let other = ca.issue("other", 9);
    let other_key = files.dir.path().join("other-key.pem");
    replace(&other_key, other.key_pem.as_bytes(), 0o600);
    let message = start_error(Some(files.cert()), Some(other_key)).await;
    assert!(message.starts_with("TLS: certificate "), "{message}");

    // A key file group and others can read.
    std::fs::set_permissions(files.key(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let message = start_error(Some(files.cert()), Some(files.key())).await;
    assert_eq!(
        message,
        format!(
            "TLS: key file {} is accessible by group or others (mode 644); run chmod 600 on it",
            files.key().display()
        )
    );
    // Never the key itself.
    let key_body = good.key_pem.lines().nth(1).unwrap();
    assert!(!message.contains(key_body));
}

#[test]
fn the_binary_exits_non_zero_on_a_bad_tls_configuration() {
    let files = Files::new();
    let data = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("COFFER_TLS_KEY_FILE", files.key())
        .env_remove("COFFER_TLS_CERT_FILE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("tls_key_file is set but tls_cert_file is not"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty(), "it announced itself: {output:?}");
}
