//! HTTPS: the certificate and key files, the TLS listener the server runs on, and the reload
//! of the certificate when its files change.
//!
//! The listener serves TLS 1.2 and 1.3 only (rustls on aws-lc-rs). Handshakes run in tasks of
//! their own, so a slow or silent client never holds up the accept loop; finished handshakes
//! reach the serve loop of [`crate::connections`] through [`TlsListener`], which makes the
//! timeouts, the caps and graceful shutdown exactly the plain-HTTP ones. The certificate is chosen per handshake by [`CertResolver`]: the reload task
//! swaps it, new connections get the new one, open connections keep theirs.
//!
//! Key material is read into zeroizing buffers, parsed, and handed to rustls; it is never
//! logged, never part of an error message and never `Debug`-printed.

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_lc_rs::digest;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use zeroize::Zeroizing;

use crate::connections::{accept_tcp, admit, Accepted, Acceptor, Limits};

/// How long a client has to complete its handshake before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Finished handshakes waiting for the serve loop to take them. Bounded, so that a burst of
/// handshakes waits here rather than piling up connections the server does not serve yet.
const ACCEPT_QUEUE: usize = 64;

/// Why the certificate or key could not be loaded. Messages name files and causes, never
/// key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("reading {what} {path}: {source}")]
    Read {
        /// Which file ("certificate file" or "key file").
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file is readable or writable by group or others.
    #[error(
        "key file {path} is accessible by group or others (mode {mode:o}); run chmod 600 on it"
    )]
    KeyFileMode {
        /// The path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The certificate file holds no PEM certificate, or a malformed one.
    #[error("certificate file {path}: {reason}")]
    Certificate {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key file holds no PEM private key. The parser's own error is not kept: it may quote
    /// a line of the file.
    #[error(
        "key file {path}: no PEM private key found (expected PKCS#8 \"PRIVATE KEY\", PKCS#1 \
         \"RSA PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\")"
    )]
    Key {
        /// The path.
        path: PathBuf,
    },
    /// The key and the certificate do not go together, or rustls refuses the pair.
    #[error("certificate {cert} with key {key}: {reason}")]
    Pair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls reported (about the pair, never its bytes).
        reason: String,
    },
}

/// The two files' contents. The key's bytes live in a zeroizing buffer.
struct FileContents {
    cert: Vec<u8>,
    key: Zeroizing<Vec<u8>>,
}

impl FileContents {
    /// Reads both files, refusing a key file that group or others can access (the rule the
    /// root key file follows).
    fn read(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let read_error = |what, path: &Path| {
            let path = path.to_owned();
            move |source| TlsError::Read { what, path, source }
        };
        let mode = std::fs::metadata(key_path)
            .map_err(read_error("key file", key_path))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(TlsError::KeyFileMode {
                path: key_path.to_owned(),
                mode: mode & 0o777,
            });
        }
        let key =
            Zeroizing::new(std::fs::read(key_path).map_err(read_error("key file", key_path))?);
        let cert = std::fs::read(cert_path).map_err(read_error("certificate file", cert_path))?;
        Ok(Self { cert, key })
    }

    /// A digest of both files, to tell whether anything changed since the last look. Content
    /// rather than modification time: a replacement within the file system's timestamp
    /// granularity, with the same length, is still seen.
    fn fingerprint(&self) -> digest::Digest {
        let mut context = digest::Context::new(&digest::SHA256);
        context.update(&(self.cert.len() as u64).to_be_bytes());
        context.update(&self.cert);
        context.update(&self.key);
        context.finish()
    }

    /// Parses the chain and the key and checks that they go together.
    fn parse(
        &self,
        cert_path: &Path,
        key_path: &Path,
        provider: &CryptoProvider,
    ) -> Result<CertifiedKey, TlsError> {
        // The DER key is zeroized on drop by rustls-pki-types.
        let key = PrivateKeyDer::from_pem_slice(&self.key).map_err(|_| TlsError::Key {
            path: key_path.to_owned(),
        })?;
        let chain = CertificateDer::pem_slice_iter(&self.cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Certificate {
                path: cert_path.to_owned(),
                reason: e.to_string(),
            })?;
        if chain.is_empty() {
            return Err(TlsError::Certificate {
                path: cert_path.to_owned(),
                reason: "no PEM \"CERTIFICATE\" found".into(),
            });
        }
        // from_der loads the key with the provider and compares it with the leaf's public key;
        // it parses the leaf in doing so, which catches a certificate that is PEM but not X.509.
        CertifiedKey::from_der(chain, key, provider).map_err(|e| TlsError::Pair {
            cert: cert_path.to_owned(),
            key: key_path.to_owned(),
            reason: e.to_string(),
        })
    }
}

/// Hands every handshake the certificate in force; the reload task replaces it.
pub struct CertResolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl CertResolver {
    fn current(&self) -> Arc<CertifiedKey> {
        // A poisoned lock still holds a whole Arc (the writer only assigns one), so use it.
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, key: Arc<CertifiedKey>) {
        match self.current.write() {
            Ok(mut guard) => *guard = key,
            Err(poisoned) => *poisoned.into_inner() = key,
        }
    }
}

impl fmt::Debug for CertResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key; not even the chain, which says nothing useful in a Debug line.
        f.debug_struct("CertResolver").finish_non_exhaustive()
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// A loaded TLS set-up: the acceptor for the listener and what the reload task needs.
pub struct Tls {
    acceptor: TlsAcceptor,
    reloader: Reloader,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("cert_file", &self.reloader.cert_path)
            .field("key_file", &self.reloader.key_path)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Loads the certificate and key; any problem is an error (the server does not start).
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let contents = FileContents::read(cert_path, key_path)?;
        let certified = contents.parse(cert_path, key_path, &provider)?;
        let resolver = Arc::new(CertResolver {
            current: RwLock::new(Arc::new(certified)),
        });
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Pair {
                cert: cert_path.to_owned(),
                key: key_path.to_owned(),
                reason: e.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        // The router speaks HTTP/1.1 only (axum's `http1` feature).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            reloader: Reloader {
                cert_path: cert_path.to_owned(),
                key_path: key_path.to_owned(),
                provider,
                resolver,
                fingerprint: contents.fingerprint(),
                last_warning: None,
            },
        })
    }

    /// Wraps a bound listener, admitting connections under `limits` before their handshake;
    /// the returned task reloads the certificate every `interval` (abort it at shutdown).
    pub fn listen(
        self,
        listener: TcpListener,
        limits: Arc<Limits>,
        interval: Duration,
    ) -> (TlsListener, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(ACCEPT_QUEUE);
        let accept = tokio::spawn(accept_loop(listener, self.acceptor, limits, tx));
        let reload = tokio::spawn(self.reloader.run(interval));
        (TlsListener { rx, accept }, reload)
    }
}

/// A connection whose handshake is done, with its place under the connection caps.
type Handshaken = Accepted<TlsStream<TcpStream>>;

/// Accepts TCP connections and runs each handshake in its own task, with a deadline. A
/// connection over a cap is closed before its handshake, which is the expensive part. Ends
/// when the [`TlsListener`] is dropped (at shutdown), closing the port.
async fn accept_loop(
    mut listener: TcpListener,
    acceptor: TlsAcceptor,
    limits: Arc<Limits>,
    tx: mpsc::Sender<Handshaken>,
) {
    loop {
        let (stream, remote) = tokio::select! {
            _ = tx.closed() => return,
            accepted = accept_tcp(&mut listener) => accepted,
        };
        // The slot is taken now and held through the handshake: a crowd of silent clients
        // counts against the caps while it holds sockets.
        let Some(slot) = admit(&limits, remote) else {
            continue;
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(io)) => {
                    // A closed channel means the server is shutting down: drop the connection.
                    let _ = tx.send(Accepted { io, remote, slot }).await;
                }
                Ok(Err(e)) => tracing::debug!(%remote, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
            }
        });
    }
}

/// The connections the server runs on when HTTPS is configured: ones whose handshake is done.
pub struct TlsListener {
    rx: mpsc::Receiver<Handshaken>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // The accept loop would also end on the closed channel; aborting closes the port now.
        self.accept.abort();
    }
}

impl Acceptor for TlsListener {
    type Io = TlsStream<TcpStream>;

    async fn next(&mut self) -> Handshaken {
        match self.rx.recv().await {
            Some(connection) => connection,
            // The accept loop never ends while the receiver lives (it holds the sender and
            // loops forever); should it die anyway, wait rather than spin, as a listener that
            // accepts nothing more.
            None => std::future::pending().await,
        }
    }
}

/// Watches the two files and swaps the certificate when they change and parse.
struct Reloader {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    resolver: Arc<CertResolver>,
    /// The fingerprint of the files last looked at (loaded or refused), so that a bad
    /// replacement is warned about once, not at every tick.
    fingerprint: digest::Digest,
    /// The last warning given, so that a lasting problem (a missing file) is logged once.
    last_warning: Option<String>,
}

impl Reloader {
    async fn run(mut self, interval: Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate; the files were read just now.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            self = match tokio::task::spawn_blocking(move || {
                self.check();
                self
            })
            .await
            {
                Ok(reloader) => reloader,
                Err(e) => {
                    // Only a panic gets here; the old certificate stays in force.
                    tracing::error!(error = %e, "TLS reload task failed; no more reloads");
                    return;
                }
            };
        }
    }

    /// One look at the files (blocking file I/O).
    fn check(&mut self) {
        let outcome = FileContents::read(&self.cert_path, &self.key_path).and_then(|contents| {
            let fingerprint = contents.fingerprint();
            if fingerprint.as_ref() == self.fingerprint.as_ref() {
                return Ok(None);
            }
            self.fingerprint = fingerprint;
            contents
                .parse(&self.cert_path, &self.key_path, &self.provider)
                .map(Some)
        });
        match outcome {
            Ok(None) => {}
            Ok(Some(certified)) => {
                self.resolver.replace(Arc::new(certified));
                self.last_warning = None;
                tracing::info!(
                    cert_file = %self.cert_path.display(),
                    "TLS certificate reloaded; new connections use it"
                );
            }
            Err(e) => {
                let warning = e.to_string();
                if self.last_warning.as_deref() != Some(warning.as_str()) {
                    tracing::warn!(
                        error = %warning,
                        "TLS files changed but cannot be used; still serving the previous certificate"
                    );
                    self.last_warning = Some(warning);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_readable_by_others_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("key.pem");
        let cert = dir.path().join("cert.pem");
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n",
        )
        .expect("write");
        std::fs::write(&cert, "").expect("write");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = Tls::load(&cert, &key).expect_err("mode 0644");
        let message = err.to_string();
        assert!(message.contains("mode 644"), "{message}");
        assert!(!message.contains("c2VjcmV0"), "{message}");
    }

    #[test]
    fn garbage_key_error_does_not_quote_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("key.pem");
        let cert = dir.path().join("cert.pem");
        std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\nnot base64 s3cr3t!!\n").expect("write");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::fs::write(&cert, "").expect("write");
        let err = Tls::load(&cert, &key).expect_err("garbage");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }
}
