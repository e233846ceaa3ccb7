//! The `coffer-agent` binary: `coffer-agent [--config FILE]`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser};
use coffer_agent::config::SETTINGS;
use coffer_agent::upstream::CredentialCheckError;
use coffer_agent::{
    check_credentials, clients_from_environment, lambda, logging, start_on, Config, Dependencies,
    SsrfToken, SystemClock,
};

/// A caching sidecar for secrets, compatible with AWS's Secrets Manager Agent.
#[derive(Parser)]
#[command(name = "coffer-agent", version)]
struct Args {
    /// TOML configuration file (AWS's agent's keys plus coffer's; see docs/agent.md).
    #[arg(short = 'c', long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// The settings table shown after the options (`--help` and `-h`).
fn settings_help() -> String {
    let width = SETTINGS
        .iter()
        .map(|(key, _, _)| key.len())
        .max()
        .unwrap_or(0);
    let mut text = String::from(
        "Settings (TOML keys of --config; unknown keys and out-of-range values stop the agent):\n",
    );
    for (key, default, meaning) in SETTINGS {
        text.push_str(&format!("  {key:width$}  {meaning} [default: {default}]\n"));
    }
    text.push_str("\nUpstream: AWS_ENDPOINT_URL_SECRETS_MANAGER or AWS_ENDPOINT_URL (coffer), AWS_ENDPOINT_URL_STS;\ncredentials from the SDK's chain unless credentials_file_path is set. See docs/agent.md.");
    text
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Args::command().after_help(settings_help()).get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    let config = match Config::load(args.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("coffer-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    // In Lambda the working directory is read-only and stderr goes to CloudWatch: log there.
    let lambda_api = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .ok()
        .filter(|v| !v.is_empty());
    let mut log_config = config.clone();
    if lambda_api.is_some() {
        log_config.log_to_file = false;
    }
    if let Err(e) = logging::init(&log_config) {
        eprintln!("coffer-agent: cannot open {}: {e}", logging::LOG_FILE);
        return ExitCode::FAILURE;
    }

    let token = match SsrfToken::from_env(&config.ssrf_env_variables) {
        Ok(token) => token,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("coffer-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    let clients = clients_from_environment(&config).await;
    // As AWS's agent: credentials from a file are not checked at start (the file may not be
    // there yet).
    if config.validate_credentials && config.credentials_file_path.is_none() {
        match check_credentials(&clients.sts).await {
            Ok(arn) => tracing::info!("credentials checked: {arn}"),
            // As AWS's agent: an upstream that cannot be reached does not stop the start when
            // transient errors are ignored; the first calls will tell.
            Err(CredentialCheckError::Transient(e)) if config.ignore_transient_errors => {
                tracing::warn!("credentials not checked, the upstream's STS failed: {e}");
            }
            Err(e) => {
                let message = match e {
                    CredentialCheckError::Refused(e) => format!(
                        "the upstream refused the agent's credentials (STS GetCallerIdentity): \
                         {e}; fix them or set validate_credentials = false"
                    ),
                    CredentialCheckError::Transient(e) => format!(
                        "the agent's credentials could not be checked (STS GetCallerIdentity): \
                         {e}; with ignore_transient_errors = false this stops the start"
                    ),
                };
                tracing::error!("{message}");
                eprintln!("coffer-agent: {message}");
                return ExitCode::FAILURE;
            }
        }
    }
    let address = SocketAddr::from((config.http_address, config.http_port));
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!("cannot listen on {address}: {e}");
            eprintln!("coffer-agent: cannot listen on {address}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dependencies = Dependencies {
        upstream: clients.secrets_manager,
        token,
        clock: Arc::new(SystemClock::new()),
    };
    // Under SnapStart nothing may even be cached before the first INVOKE (the snapshot would
    // keep it): no prefetch. (Secret reads wait for the first INVOKE in every Lambda start, see
    // `run_extension`.)
    let snap_start = lambda_api.is_some()
        && std::env::var("AWS_LAMBDA_INITIALIZATION_TYPE").as_deref() == Ok("snap-start");
    let mut start_config = config.clone();
    if snap_start {
        start_config.prefetch_secret_ids.clear();
        start_config.prefetch_filters.clear();
    }
    let agent = match start_on(&start_config, dependencies, listener).await {
        Ok(agent) => agent,
        Err(e) => {
            eprintln!("coffer-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    // As AWS's agent: the start line on stdout (never through the log, so `log_level = "NONE"`
    // leaves stderr silent) and in the log.
    tracing::info!("coffer-agent listening on http://{}", agent.addr);
    println!("coffer-agent listening on http://{}", agent.addr);
    let status = match lambda_api {
        None => {
            wait_for_signal().await;
            ExitCode::SUCCESS
        }
        Some(api) => run_extension(&api, &agent).await,
    };
    agent.shutdown().await;
    status
}

/// Lambda extension mode: register (as the executable's file name, which Lambda requires),
/// then follow the events until SHUTDOWN (or a signal).
async fn run_extension(api: &str, agent: &coffer_agent::Agent) -> ExitCode {
    // As AWS's agent in Lambda: secrets are served from the first INVOKE on (or from a
    // `GET /start_serving`, which AWS's wrapper script sends), never during INIT.
    agent.enter_lambda_mode();
    let name = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "coffer-agent".to_owned());
    let extension = match lambda::Extension::register(api, &name).await {
        Ok(extension) => extension,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("coffer-agent: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(id = extension.id(), "registered as Lambda extension {name}");
    tokio::select! {
        result = lambda::run(&extension, agent) => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e}");
                eprintln!("coffer-agent: {e}");
                ExitCode::FAILURE
            }
        },
        _ = wait_for_signal() => ExitCode::SUCCESS,
    }
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
