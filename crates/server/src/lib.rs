//! coffer-server: the `coffer` binary's library. Configuration ([`config`]), start-up and the
//! data directory ([`init`]), HTTP ([`http`]), authentication ([`auth`]), dispatch to one
//! handler per operation ([`dispatch`], [`handlers`]), the error mapping ([`errors`]),
//! connections, their timeouts and caps ([`connections`]),
//! background jobs ([`jobs`]), HTTPS ([`tls`]), the audit trail ([`audit`]) and the operator
//! metrics of `GET /metrics` ([`metrics`]).
//!
//! [`start`] runs a server on a listener and is what both `main` and the integration tests use.

pub mod audit;
pub mod auth;
pub mod config;
pub mod connections;
pub mod console;
pub mod dispatch;
pub mod errors;
pub mod handlers;
pub mod health;
pub mod http;
pub mod init;
pub mod jobs;
pub mod metrics;
pub mod modes;
pub mod rotation;
pub mod secret_buffer;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use coffer_core::clock::{Clock, SystemClock};
use coffer_core::crypto::Keyring;
use coffer_core::names::AccountId;
use coffer_core::service::{Credentials, Service};
use coffer_core::store::Store;
use coffer_store::postgres::LockName;
use coffer_store::{PostgresStore, SqliteStore};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use config::Config;
pub use init::StartError;

/// A running server.
pub struct Server {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The account and access key made at first start of a fresh data directory, if this start
    /// made them (the credentials file holds the same).
    pub initialized: Option<(AccountId, Credentials)>,
    /// The service (for tests and admin tasks in the same process).
    pub service: Arc<Service>,
    /// Whether the listener serves HTTPS (`tls_cert_file` and `tls_key_file` set).
    pub tls: bool,
    /// The audit trail (its counters, and `flush` for tests and admin tasks).
    pub audit: audit::Audit,
    /// The counters served at `GET /metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The connections and API requests open now, under their caps.
    pub limits: Arc<connections::Limits>,
    /// The rotation engine (tests run its scheduler tick by hand).
    pub rotation: Arc<rotation::Rotation>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    purge: tokio::task::JoinHandle<()>,
    /// The rotation scheduler, unless `rotation_interval_secs` is 0.
    rotation_task: Option<tokio::task::JoinHandle<()>>,
    /// The certificate reload task, when serving HTTPS.
    reload: Option<tokio::task::JoinHandle<()>>,
    /// The task recording the audit chain's head in the store, with an audit file.
    heads: Option<tokio::task::JoinHandle<()>>,
    /// The data directory's lock (SQLite mode), held while the server lives.
    _lock: Option<std::fs::File>,
}

impl Server {
    /// The base URL clients use: `https://ADDR` when serving TLS, `http://ADDR` otherwise.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, finishes requests in flight, and returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        self.stop_background();
        // Requests in flight have finished: what they recorded is written before we return.
        self.audit.close().await;
        self.last_head().await;
    }

    /// Waits for the head recorder to store the chain's last head (it ends when the writer
    /// has stopped).
    async fn last_head(&mut self) {
        if let Some(heads) = self.heads.take() {
            let _ = heads.await;
        }
    }

    /// Waits until the server stops (it stops on its own only on a fatal error).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
        self.stop_background();
        self.audit.close().await;
        self.last_head().await;
    }

    fn stop_background(&mut self) {
        self.purge.abort();
        if let Some(task) = self.rotation_task.take() {
            task.abort();
        }
        if let Some(reload) = self.reload.take() {
            reload.abort();
        }
    }
}

/// The file name of the database inside the data directory.
pub const DATABASE_FILE: &str = "coffer.db";
/// The file name of the first access key's credentials inside the data directory.
pub const CREDENTIALS_FILE: &str = "credentials";

/// Opens the store and keyring a configuration names, initialising a fresh data directory (or
/// a fresh PostgreSQL database).
pub async fn open_service(
    config: &Config,
) -> Result<(Arc<Service>, Option<(AccountId, Credentials)>), StartError> {
    open_service_with_clock(config, Arc::new(SystemClock)).await
}

/// [`open_service`] with a clock of the caller's (tests move time with a manual clock).
pub async fn open_service_with_clock(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> Result<(Arc<Service>, Option<(AccountId, Credentials)>), StartError> {
    open_service_metered(config, clock, None).await
}

/// Wraps a store in a [`metrics::MeteredStore`] when the caller keeps store metrics (a server
/// does; the offline admin commands do not).
fn metered(store: Arc<dyn Store>, metrics: &Option<Arc<metrics::StoreMetrics>>) -> Arc<dyn Store> {
    match metrics {
        Some(metrics) => Arc::new(metrics::MeteredStore::new(store, metrics.clone())),
        None => store,
    }
}

/// [`open_service_with_clock`], recording every store call in `store_metrics` when given.
async fn open_service_metered(
    config: &Config,
    clock: Arc<dyn Clock>,
    store_metrics: Option<Arc<metrics::StoreMetrics>>,
) -> Result<(Arc<Service>, Option<(AccountId, Credentials)>), StartError> {
    if config.dev {
        // Dev mode: memory only, a throwaway root key, no accounts (any credentials work).
        let store = metered(Arc::new(SqliteStore::in_memory().await?), &store_metrics);
        let keyring = Arc::new(Keyring::new(Keyring::generate_root_key()?).accepting_any_key_id());
        return Ok((Arc::new(Service::new(store, keyring, clock)), None));
    }
    init::ensure_data_dir(&config.data_dir)?;
    init::check_credentials_files(&config.data_dir)?;
    if let Some(url) = &config.database {
        return open_postgres(config, url, clock, store_metrics).await;
    }
    let database = config.data_dir.join(DATABASE_FILE);
    // A database without its root key is unreadable: refuse to start rather than mint a new key
    // that opens nothing.
    let existing = database.exists();
    if existing && config.root_key.is_none() && !config.root_key_path().exists() {
        return Err(StartError::RootKey(format!(
            "{} holds a database but its root key file {} is missing; restore it from your backup",
            config.data_dir.display(),
            config.root_key_path().display()
        )));
    }
    let keyring = Arc::new(Keyring::new(init::load_root_key(config)?));
    init::ensure_private_file(&database, "database")?;
    // Left by a crash (or another process): SQLite reuses them as they are, so their modes are
    // fixed here; the ones it creates take the database file's mode.
    for suffix in ["-wal", "-shm"] {
        let mut name = database.clone().into_os_string();
        name.push(suffix);
        init::tighten_if_present(std::path::Path::new(&name), 0o600, "database")?;
    }
    let store = metered(
        Arc::new(SqliteStore::open(&database).await?),
        &store_metrics,
    );
    let service = Arc::new(Service::new(store, keyring, clock));
    check_root_key(&service).await?;
    let initialized = service.initialize().await?;
    if let Some((_, credentials)) = &initialized {
        init::write_credentials(&config.data_dir.join(CREDENTIALS_FILE), credentials)?;
    }
    Ok((service, initialized))
}

/// Opens a node on PostgreSQL. The data directory holds only the root key file (unless the key
/// comes from `root_key`) and, on the node that initialised the database, the credentials file.
async fn open_postgres(
    config: &Config,
    url: &str,
    clock: Arc<dyn Clock>,
    store_metrics: Option<Arc<metrics::StoreMetrics>>,
) -> Result<(Arc<Service>, Option<(AccountId, Credentials)>), StartError> {
    // Migrations run here; several nodes may start at once (the migrator locks).
    let postgres = PostgresStore::connect(url).await?;
    // A database with data but no root key here is a node set up without the shared key:
    // refuse rather than mint a key that opens nothing.
    let populated = !postgres.list_accounts().await?.is_empty();
    if populated && config.root_key.is_none() && !config.root_key_path().exists() {
        return Err(StartError::RootKey(format!(
            "the PostgreSQL database holds coffer data but the root key file {} is missing; \
             every node needs the same root key (copy root.key or set COFFER_ROOT_KEY)",
            config.root_key_path().display()
        )));
    }
    let keyring = Arc::new(Keyring::new(init::load_root_key(config)?));
    let store = metered(Arc::new(postgres.clone()), &store_metrics);
    let service = Arc::new(Service::new(store, keyring, clock));
    // Nodes starting together on an empty database: the lock makes exactly one of them create
    // the account and its first access key; the others find the account and do nothing.
    let lock = postgres.lock(LockName::Initialize).await?;
    let initialized = async {
        check_root_key(&service).await?;
        Ok::<_, StartError>(service.initialize().await?)
    }
    .await;
    lock.release().await?;
    let initialized = initialized?;
    if let Some((_, credentials)) = &initialized {
        init::write_credentials(&config.data_dir.join(CREDENTIALS_FILE), credentials)?;
    }
    Ok((service, initialized))
}

/// Checks that the root key opens what the store holds, by opening the first access key.
async fn check_root_key(service: &Service) -> Result<(), StartError> {
    let Some(account) = service.store().list_accounts().await?.into_iter().next() else {
        return Ok(());
    };
    let Some(access_key_id) = service.list_access_keys(&account).await?.into_iter().next() else {
        return Ok(());
    };
    match service.lookup_access_key(&access_key_id).await {
        Ok(_) => Ok(()),
        Err(coffer_core::Error::DecryptionFailure) => Err(StartError::RootKey(
            "the root key does not open this database's data (wrong root.key or COFFER_ROOT_KEY)"
                .into(),
        )),
        Err(other) => Err(other.into()),
    }
}

/// Starts a server on `listener` (bind it to 127.0.0.1 unless you mean otherwise).
pub async fn start_on(config: &Config, listener: TcpListener) -> Result<Server, StartError> {
    start_with_clock(config, listener, Arc::new(SystemClock)).await
}

/// [`start_on`] with a clock of the caller's: session expiry, recovery windows and
/// `aws:CurrentTime` follow it (tests move time instead of waiting).
pub async fn start_with_clock(
    config: &Config,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
) -> Result<Server, StartError> {
    // The certificate is checked first: a bad one is a quick, clear refusal before any store
    // work.
    let tls = match config.tls_files().map_err(StartError::Config)? {
        Some((cert, key)) => Some(tls::Tls::load(cert, key)?),
        None => None,
    };
    let addr = listener.local_addr().map_err(|source| StartError::Io {
        what: "reading the listen address",
        path: std::path::PathBuf::new(),
        source,
    })?;
    check_plaintext_listen(config, addr, tls.is_some())?;
    let limits = connections::Limits::new(config.caps().map_err(StartError::Config)?);
    let metrics_access = match init::load_metrics_token(config)? {
        Some(token) => metrics::MetricsAccess::with_token(&token),
        None => metrics::MetricsAccess::open(),
    };
    let lock = lock_data_dir(config)?;
    let metrics = Arc::new(metrics::Metrics::default());
    let (service, initialized) =
        open_service_metered(config, clock.clone(), Some(metrics.store.clone())).await?;
    let audit_settings = config.audit_settings();
    let chain_key = audit::chain::ChainKey::new(service.keyring().audit_chain_key().as_ref());
    let audit =
        audit::Audit::open(&audit_settings, chain_key, clock).map_err(|source| StartError::Io {
            what: "opening the audit file",
            path: audit_settings.file.clone().unwrap_or_default(),
            source,
        })?;
    let functions = rotation::functions::Functions::new(&config.rotation_functions.0)
        .map_err(StartError::Config)?;
    if let Some(url) = &config.rotation_notify_url {
        if !url.starts_with("http://") || url.contains('@') {
            return Err(StartError::Config(
                "rotation_notify_url must be http://host:port[/path]".into(),
            ));
        }
    }
    if !functions.is_empty() {
        tracing::info!(count = functions.len(), "rotation functions configured");
    }
    let rotation = rotation::Rotation::new(
        service.clone(),
        functions,
        rotation::Settings {
            synchronous: config.rotation_synchronous.unwrap_or(config.dev),
            lease: chrono::Duration::seconds(
                i64::try_from(config.rotation_lease_secs.max(1)).unwrap_or(300),
            ),
            retry: coffer_core::service::RetryPolicy {
                max_attempts: config.rotation_max_attempts.max(1),
                ..coffer_core::service::RetryPolicy::default()
            },
            notify_url: config.rotation_notify_url.clone(),
            ..rotation::Settings::default()
        },
        audit.clone(),
    );
    let auth = if config.dev && config.enforce_iam {
        auth::Authenticator::dev_enforcing(service.clone())
    } else if config.dev {
        auth::Authenticator::dev()
    } else {
        auth::Authenticator::verifying(service.clone())
    };
    let state = Arc::new(http::AppState {
        service: service.clone(),
        auth,
        dev: config.dev,
        max_body_bytes: config.max_body_bytes,
        secure_transport: tls.is_some(),
        audit: audit.clone(),
        metrics: metrics.clone(),
        metrics_access,
        body_read_timeout: Duration::from_secs(config.body_read_timeout_secs.max(1)),
        limits: limits.clone(),
        rotation: rotation.clone(),
        console: config.console.then(|| {
            Arc::new(console::Console {
                limiter: console::SignInLimiter::default(),
                audit_file: audit_settings.file.clone(),
                chain_key: Arc::new(audit::chain::ChainKey::new(
                    service.keyring().audit_chain_key().as_ref(),
                )),
                password_checks: tokio::sync::Semaphore::new(console::PASSWORD_CHECKS),
            })
        }),
    });
    let (tx, rx) = oneshot::channel::<()>();
    let app = http::router(state);
    let secure = tls.is_some();
    let header_read_timeout = Duration::from_secs(config.header_read_timeout_secs.max(1));
    let (task, reload) = match tls {
        None => (
            connections::serve(
                connections::PlainAcceptor::new(listener, limits.clone()),
                app,
                header_read_timeout,
                rx,
            ),
            None,
        ),
        Some(tls) => {
            let interval = Duration::from_secs(config.tls_reload_interval_secs.max(1));
            let (listener, reload) = tls.listen(listener, limits.clone(), interval);
            (
                connections::serve(listener, app, header_read_timeout, rx),
                Some(reload),
            )
        }
    };
    // The chain's head goes to the database, where the audit file's writer cannot rewrite it.
    let heads = audit_settings.file.as_ref().map(|file| {
        tokio::spawn(audit::record_heads(
            audit.clone(),
            service.store().clone(),
            audit::trail_name(file),
        ))
    });
    let purge = tokio::spawn(jobs::purge_loop(
        service.clone(),
        Duration::from_secs(config.purge_interval_secs.max(1)),
        audit.clone(),
        metrics.clone(),
    ));
    let rotation_task = (config.rotation_interval_secs > 0).then(|| {
        tokio::spawn(rotation::rotation_loop(
            rotation.clone(),
            Duration::from_secs(config.rotation_interval_secs),
        ))
    });
    Ok(Server {
        addr,
        initialized,
        service,
        tls: secure,
        audit,
        metrics,
        limits,
        rotation,
        shutdown: Some(tx),
        task,
        purge,
        rotation_task,
        reload,
        heads,
        _lock: lock,
    })
}

/// Refuses to serve plain HTTP on an address other hosts can reach, unless the configuration
/// says to: every GetSecretValue answer would cross the network in clear (and SigV4 signs
/// requests, it does not encrypt them). Dev mode holds no real secrets, so there it is only a
/// warning. The address checked is the bound one, so `0.0.0.0` and `[::]` count as reachable.
fn check_plaintext_listen(config: &Config, addr: SocketAddr, tls: bool) -> Result<(), StartError> {
    if tls || addr.ip().is_loopback() {
        return Ok(());
    }
    if config.dev {
        tracing::warn!(%addr, "dev mode listening on a non-loopback address without TLS");
        return Ok(());
    }
    if config.allow_plaintext_non_loopback {
        tracing::warn!(
            %addr,
            "serving plain HTTP on a non-loopback address: secret values cross the network in \
             clear (allow_plaintext_non_loopback is set)"
        );
        return Ok(());
    }
    Err(StartError::Config(format!(
        "refusing to serve plain HTTP on {addr}, which is not a loopback address: secret values \
         would cross the network in clear. Configure tls_cert_file and tls_key_file, listen on \
         127.0.0.1, or set allow_plaintext_non_loopback (--allow-plaintext-non-loopback) if a \
         TLS-terminating proxy or a private network stands in front"
    )))
}

/// The file `coffer serve` locks in a SQLite data directory.
pub const LOCK_FILE: &str = "coffer.lock";

/// Takes the data directory's lock in SQLite mode: the store's read cache is correct only while
/// one process writes the database, so a second `coffer serve` on the same directory is refused.
/// (The offline admin commands only touch access keys and take no lock.)
pub fn lock_data_dir(config: &Config) -> Result<Option<std::fs::File>, StartError> {
    if config.dev || config.database.is_some() {
        return Ok(None);
    }
    init::ensure_data_dir(&config.data_dir)?;
    let path = config.data_dir.join(LOCK_FILE);
    init::ensure_private_file(&path, "lock file")?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|source| StartError::Io {
            what: "opening the lock file",
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(StartError::Config(format!(
            "another coffer serve is already using {}",
            config.data_dir.display()
        ))),
        Err(std::fs::TryLockError::Error(source)) => Err(StartError::Io {
            what: "locking",
            path,
            source,
        }),
    }
}

/// Binds the configured address and starts a server.
pub async fn start(config: &Config) -> Result<Server, StartError> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Io {
            what: "binding",
            path: std::path::PathBuf::from(config.listen.to_string()),
            source,
        })?;
    start_on(config, listener).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_off_loopback_needs_the_flag_outside_dev_mode() {
        let anywhere: SocketAddr = "0.0.0.0:7600".parse().expect("address");
        let lan: SocketAddr = "192.168.1.10:7600".parse().expect("address");
        let loopback: SocketAddr = "127.0.0.1:7600".parse().expect("address");
        let loopback_v6: SocketAddr = "[::1]:7600".parse().expect("address");
        let config = Config::default();
        assert!(check_plaintext_listen(&config, anywhere, false).is_err());
        assert!(check_plaintext_listen(&config, lan, false).is_err());
        assert!(check_plaintext_listen(&config, loopback, false).is_ok());
        assert!(check_plaintext_listen(&config, loopback_v6, false).is_ok());
        // TLS: nothing crosses the network in clear.
        assert!(check_plaintext_listen(&config, anywhere, true).is_ok());
        let allowed = Config {
            allow_plaintext_non_loopback: true,
            ..Config::default()
        };
        assert!(check_plaintext_listen(&allowed, anywhere, false).is_ok());
        let dev = Config {
            dev: true,
            ..Config::default()
        };
        assert!(check_plaintext_listen(&dev, anywhere, false).is_ok());
    }
}
