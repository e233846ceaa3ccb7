//! TLS to the upstream prefers the post-quantum hybrid key exchange X25519MLKEM768 (issue 19), as
//! AWS's agent does: the `coffer-agent` binary talks HTTPS to a real coffer serving TLS (a test
//! CA trusted through `SSL_CERT_FILE`, which the SDK's native roots read), through a TCP relay
//! that reads the group each TLS 1.3 ServerHello selects (sent in clear) without touching the
//! encrypted rest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::request;

/// The IANA code point of X25519MLKEM768.
const X25519MLKEM768: u16 = 0x11ec;

/// The `key_share` group of a TLS 1.3 ServerHello at the start of `bytes` (one handshake
/// record), or `None` if the bytes are not one.
fn server_hello_group(bytes: &[u8]) -> Option<u16> {
    let u16_at = |at: usize| Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
    // Record: type 22 (handshake); handshake type 2 (ServerHello).
    if bytes.first() != Some(&22) || bytes.get(5) != Some(&2) {
        return None;
    }
    // Handshake header (4) after the record header (5), then version (2) and random (32).
    let mut at = 5 + 4 + 2 + 32;
    at += 1 + usize::from(*bytes.get(at)?); // session id
    at += 2 + 1; // cipher suite, compression
    let end = at + 2 + usize::from(u16_at(at)?);
    at += 2;
    while at + 4 <= end {
        let (kind, len) = (u16_at(at)?, usize::from(u16_at(at + 2)?));
        if kind == 0x0033 {
            return u16_at(at + 4);
        }
        at += 4 + len;
    }
    None
}

/// A TCP relay to `target` recording the group of each connection's ServerHello.
async fn relay(
    target: std::net::SocketAddr,
) -> (std::net::SocketAddr, Arc<Mutex<Vec<Option<u16>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let groups: Arc<Mutex<Vec<Option<u16>>>> = Arc::default();
    let seen = groups.clone();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let outbound = TcpStream::connect(target).await.unwrap();
                let (mut ri, mut wi) = inbound.into_split();
                let (mut ro, mut wo) = outbound.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut ri, &mut wo).await;
                    let _ = wo.shutdown().await;
                });
                // The first record from the server, whole, then the rest as it comes.
                let mut first = Vec::new();
                let mut buf = [0u8; 16384];
                loop {
                    let complete = first.len() >= 5
                        && first.len() >= 5 + usize::from(u16::from_be_bytes([first[3], first[4]]));
                    if complete {
                        break;
                    }
                    match ro.read(&mut buf).await {
                        Ok(n) if n > 0 => first.extend_from_slice(&buf[..n]),
                        _ => break,
                    }
                }
                seen.lock().unwrap().push(server_hello_group(&first));
                if wi.write_all(&first).await.is_ok() {
                    let _ = tokio::io::copy(&mut ro, &mut wi).await;
                }
                up.abort();
            });
        }
    });
    (addr, groups)
}

#[tokio::test]
async fn upstream_tls_negotiates_x25519mlkem768_with_coffer() {
    let dir = tempfile::tempdir().unwrap();
    // A test CA and a certificate for 127.0.0.1.
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "coffer-agent test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let (cert_file, key_file, ca_file) = (
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&ca_file, ca.pem()).unwrap();

    // coffer over HTTPS, with a secret.
    let data = tempfile::tempdir().unwrap();
    let config = coffer_server::Config {
        data_dir: data.path().to_owned(),
        tls_cert_file: Some(cert_file),
        tls_key_file: Some(key_file),
        ..Default::default()
    };
    let server = coffer_server::start_on(&config, TcpListener::bind("127.0.0.1:0").await.unwrap())
        .await
        .unwrap();
    assert!(server.tls);
    let (_, creds) = server.initialized.as_ref().unwrap();
    let (akid, secret) = (
        creds.access_key_id.clone(),
        creds.secret_access_key.to_string(),
    );
    let (relay_addr, groups) = relay(server.addr).await;
    let endpoint = format!("https://{relay_addr}");

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    std::fs::write(
        dir.path().join("agent.toml"),
        format!("http_port = {port}\nlog_to_file = false\n"),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_coffer-agent"))
        .arg("--config")
        .arg(dir.path().join("agent.toml"))
        .current_dir(dir.path())
        .env_clear()
        .env("AWS_TOKEN", "tls-token")
        .env("AWS_ACCESS_KEY_ID", &akid)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .env("SSL_CERT_FILE", &ca_file)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // The start-up credential check already goes over TLS.
    while TcpStream::connect(addr).await.is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "agent exited with {status}: {}",
                std::fs::read_to_string(dir.path().join("stderr")).unwrap()
            );
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "agent did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // One GetSecretValue round trip over TLS (a missing secret: the upstream's answer arrives).
    let r = request(
        addr,
        "GET",
        "/secretsmanager/get?secretId=absent",
        &[("X-Aws-Parameters-Secrets-Token", "tls-token")],
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            400,
            r#"{"__type":"ResourceNotFoundException", "message":"Secrets Manager can't find the specified secret."}"#
        )
    );
    child.kill().await.unwrap();

    let groups = groups.lock().unwrap().clone();
    assert!(!groups.is_empty());
    assert!(
        groups.iter().all(|g| *g == Some(X25519MLKEM768)),
        "{groups:x?}"
    );
}

#[test]
fn server_hello_parsing() {
    // A minimal ServerHello: session id of 1 byte, key_share selecting X25519 (0x001d).
    let mut hello = vec![22, 3, 3, 0, 0, 2, 0, 0, 0, 3, 3];
    hello.extend_from_slice(&[0u8; 32]);
    hello.extend_from_slice(&[1, 0xaa, 0x13, 0x01, 0]);
    let extensions = [0x00, 0x2b, 0, 2, 3, 4, 0x00, 0x33, 0, 4, 0x00, 0x1d, 0, 0];
    hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    hello.extend_from_slice(&extensions);
    assert_eq!(server_hello_group(&hello), Some(0x001d));
    assert_eq!(server_hello_group(&[23, 3, 3]), None);
}
