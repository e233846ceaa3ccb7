//! `coffer health [URL]`: asks a running coffer's `/health` and exits 0 on a 200. For container
//! health checks (packaging/coffer/Containerfile): the image has no shell and no curl.
//!
//! Over `https://` the server's certificate is not checked (only whether this process's own
//! server answers; no secret crosses), so HTTPS is accepted only to a loopback address.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long the whole check may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The default URL: the default listen address.
pub const DEFAULT_URL: &str = "http://127.0.0.1:7600/health";

/// Checks `url` (`http://host:port/path` or `https://127.0.0.1:port/path`); Ok when it answers
/// 200, else what went wrong.
pub async fn check(url: &str) -> Result<(), String> {
    tokio::time::timeout(TIMEOUT, check_inner(url))
        .await
        .map_err(|_| format!("{url}: no answer within {}s", TIMEOUT.as_secs()))?
}

async fn check_inner(url: &str) -> Result<(), String> {
    let (tls, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        return Err(format!("{url}: not an http:// or https:// URL"));
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/health"),
    };
    let addr: std::net::SocketAddr = authority
        .parse()
        .map_err(|_| format!("{url}: the host must be an IP address and port"))?;
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nUser-Agent: coffer-health\r\n\r\n"
    );
    let response = if tls {
        if !addr.ip().is_loopback() {
            return Err(format!(
                "{url}: https is checked only on a loopback address (the certificate is not verified)"
            ));
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = ServerName::IpAddress(addr.ip().into());
        let stream = connector
            .connect(name, stream)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        exchange(stream, &request).await
    } else {
        exchange(stream, &request).await
    }
    .map_err(|e| format!("{url}: {e}"))?;
    let status = response.lines().next().unwrap_or_default();
    if status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200") {
        Ok(())
    } else {
        Err(format!("{url}: {status}"))
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &str,
) -> std::io::Result<String> {
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    // The status line is all that is read: /health's body is two bytes.
    let _ = stream.take(4096).read_to_end(&mut response).await;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

/// Accepts any certificate, still checking the handshake's signatures (loopback only).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
