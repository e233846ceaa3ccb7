//! coffer-agent: a local caching HTTP sidecar in front of coffer or AWS Secrets Manager, a
//! drop-in for AWS's Secrets Manager Agent (same endpoints, token rules, configuration keys and
//! error bodies) that also serves stale values through upstream outages, coalesces concurrent
//! misses, prefetches at start and exports metrics. See docs/agent.md.
//!
//! `main.rs` reads the configuration and environment and calls [`start_on`]; the integration
//! tests call it too, with their own SDK client, token and a manual clock.

pub mod cache;
pub mod clock;
pub mod config;
pub mod credentials;
mod http;
pub mod key;
pub mod lambda;
pub mod logging;
pub mod metrics;
pub mod route;
pub mod token;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use ::http::HeaderName;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::config::Config;
pub use crate::http::STALE_HEADER;
pub use crate::key::Key;
pub use crate::metrics::{Metrics, Operation};
pub use crate::token::SsrfToken;
pub use crate::upstream::{
    check_credentials, client_from_environment, clients_from_environment, clients_with, Clients,
};

/// What the agent is given besides its configuration.
pub struct Dependencies {
    /// The upstream client (see [`client_from_environment`]).
    pub upstream: aws_sdk_secretsmanager::Client,
    /// The SSRF token requests must carry.
    pub token: SsrfToken,
    /// The clock for TTLs and staleness.
    pub clock: Arc<dyn Clock>,
}

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// An `ssrf_headers` entry is not a valid header name.
    #[error("invalid SSRF header name {0:?}")]
    HeaderName(String),
    /// The listener's address could not be read.
    #[error("listener: {0}")]
    Listener(#[from] std::io::Error),
}

/// A running agent.
pub struct Agent {
    /// The address it listens on.
    pub addr: SocketAddr,
    metrics: Arc<Metrics>,
    cache: Arc<cache::Cache>,
    state: Arc<http::State>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Agent {
    /// Its counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Entries in its cache.
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    /// Lambda extension mode, as AWS's agent's: secret reads answer 503 until
    /// [`Agent::start_serving`] (the first INVOKE) or `GET /start_serving`, so that nothing is
    /// served during the function's INIT phase. `/ping` still answers.
    pub fn enter_lambda_mode(&self) {
        self.state.lambda_mode.store(true, Ordering::SeqCst);
        self.state.serving.store(false, Ordering::SeqCst);
    }

    /// Serves secrets (again).
    pub fn start_serving(&self) {
        if !self.state.serving.swap(true, Ordering::SeqCst) {
            tracing::info!("serving secrets");
        }
    }

    /// Stops accepting connections (open ones finish their requests) and waits for the
    /// accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Starts the agent on `listener`: prefetches (failures are logged, never fatal), then serves.
pub async fn start_on(
    config: &Config,
    dependencies: Dependencies,
    listener: TcpListener,
) -> Result<Agent, StartError> {
    let ssrf_headers = config
        .ssrf_headers
        .iter()
        .map(|name| {
            HeaderName::try_from(name.as_str()).map_err(|_| StartError::HeaderName(name.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let addr = listener.local_addr()?;
    let metrics = Arc::new(Metrics::default());
    let upstream = upstream::Upstream::new(dependencies.upstream, metrics.clone());
    let cache = Arc::new(cache::Cache::new(
        upstream.clone(),
        dependencies.clock,
        config.cache_size,
        config.ttl,
        config.effective_max_stale(),
        metrics.clone(),
    ));

    if !config.prefetch_secret_ids.is_empty() || !config.prefetch_filters.is_empty() {
        match upstream
            .batch_get(&config.prefetch_secret_ids, &config.prefetch_filters)
            .await
        {
            Ok(found) => {
                let count = found.len();
                for (id, fetched) in found {
                    cache.insert(
                        Key {
                            secret_id: id,
                            version_id: None,
                            version_stage: None,
                        },
                        fetched,
                    );
                }
                tracing::info!(secrets = count, "prefetched");
            }
            Err(e) => tracing::warn!(status = e.status, code = %e.code, "prefetch failed"),
        }
    }

    let state = Arc::new(http::State {
        cache: cache.clone(),
        token: dependencies.token,
        ssrf_headers,
        path_prefix: config.path_prefix.clone(),
        max_conn: config.max_conn,
        metrics_enabled: config.metrics,
        metrics_open: config.metrics_open,
        metrics: metrics.clone(),
        open_connections: AtomicUsize::new(0),
        serving: AtomicBool::new(true),
        lambda_mode: AtomicBool::new(false),
    });
    let (shutdown, receiver) = watch::channel(false);
    let task = tokio::spawn(http::serve(listener, state.clone(), receiver));
    Ok(Agent {
        addr,
        metrics,
        cache,
        state,
        shutdown,
        task,
    })
}
