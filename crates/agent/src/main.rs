//! The `coffer-agent` binary: `coffer-agent [--config FILE]`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use coffer_agent::{
    client_from_environment, start_on, Config, Dependencies, SsrfToken, SystemClock,
};

/// A caching sidecar for secrets, compatible with AWS's Secrets Manager Agent.
#[derive(Parser)]
#[command(name = "coffer-agent", version)]
struct Args {
    /// TOML configuration file (AWS's agent's keys plus coffer's; see docs/agent.md).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = match Config::load(args.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("coffer-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            config.log_level.filter(),
        ))
        .init();

    let token = match SsrfToken::from_env(&config.ssrf_env_variables) {
        Ok(token) => token,
        Err(e) => {
            eprintln!("coffer-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    let address = SocketAddr::from((config.http_address, config.http_port));
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("coffer-agent: cannot listen on {address}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dependencies = Dependencies {
        upstream: client_from_environment(&config).await,
        token,
        clock: Arc::new(SystemClock::new()),
    };
    let agent = match start_on(&config, dependencies, listener).await {
        Ok(agent) => agent,
        Err(e) => {
            eprintln!("coffer-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("coffer-agent listening on http://{}", agent.addr);
    wait_for_signal().await;
    agent.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
