//! `coffer`: the secrets server and its offline admin commands.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use coffer_core::names::AccountId;
use coffer_server::config::{Config, LogFormat, Overrides};
use coffer_server::{CREDENTIALS_FILE, DATABASE_FILE};
use tokio::signal::unix::{signal, SignalKind};

/// mimalloc rather than glibc's malloc: the request path allocates many small, short-lived
/// buffers across threads, where glibc spent ~15% of the CPU (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A self-hosted secrets server that speaks the AWS Secrets Manager API.
#[derive(Parser)]
#[command(name = "coffer", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Flags every command shares for finding the configuration and data.
#[derive(clap::Args)]
struct Common {
    /// A TOML configuration file (also `COFFER_CONFIG`).
    #[arg(long, env = "COFFER_CONFIG")]
    config: Option<PathBuf>,
    /// The data directory (database, root key file, credentials file).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A postgres:// URL: keep the data in PostgreSQL instead of the data directory's database.
    #[arg(long)]
    database: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        #[command(flatten)]
        common: Common,
        /// Runs in memory as an emulator for tests: any well-formed credentials, nothing kept.
        #[arg(long)]
        dev: bool,
        /// With --dev: IAM users, roles and policies are enforced as in real mode for the keys
        /// coffer issued; any other key still acts as the account root.
        #[arg(long, requires = "dev")]
        enforce_iam: bool,
        /// The address to listen on (default 127.0.0.1:7600).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Serve plain HTTP on a non-loopback address (secret values cross the network in
        /// clear); without it such a start is refused unless TLS is configured.
        #[arg(long)]
        allow_plaintext_non_loopback: bool,
        /// Do not serve the web console under /console/ (docs/console.md).
        #[arg(long)]
        no_console: bool,
    },
    /// Asks a running coffer's /health and exits 0 if it answers 200 (container health checks:
    /// the image has no shell or curl). https:// only to a loopback address, the certificate
    /// not checked.
    Health {
        /// The URL to ask.
        #[arg(default_value = coffer_server::health::DEFAULT_URL)]
        url: String,
    },
    /// Offline administration of a data directory.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Creates an access key for an account's root user and writes it, as a [default] profile,
    /// to a new credentials file (mode 0600). The secret key is never printed.
    CreateAccessKey {
        #[command(flatten)]
        common: Common,
        /// The account (default: the data directory's first account).
        #[arg(long)]
        account: Option<String>,
        /// Where to write the credentials (default `<data dir>/credentials-<access key id>`).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Lists every access key: account, owner (root or user/<name>), id, status.
    ListAccessKeys {
        #[command(flatten)]
        common: Common,
    },
    /// Creates an account and its root user's first access key, written as a [default] profile
    /// to a new credentials file (mode 0600). The secret key is never printed.
    CreateAccount {
        #[command(flatten)]
        common: Common,
        /// The account id, 12 digits (default: a random one).
        #[arg(long)]
        account: Option<String>,
        /// Where to write the credentials (default `<data dir>/credentials-<access key id>`).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Replaces a root user's access key: creates a new one (written to a new 0600 credentials
    /// file) and deletes the old one. For recovery when a root key is lost or leaked.
    RotateAccessKey {
        #[command(flatten)]
        common: Common,
        /// The root access key id to replace.
        #[arg(long)]
        access_key_id: String,
        /// Where to write the new credentials (default `<data dir>/credentials-<access key id>`).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Lists every account's principals: the root user, IAM users with their access keys and
    /// inline policies, and roles.
    ListPrincipals {
        #[command(flatten)]
        common: Common,
    },
    /// Copies a deployment from the embedded store (a data directory) into an empty PostgreSQL
    /// database, ciphertexts as they are, then checks row counts and checksums on both sides.
    /// Stop the server first; afterwards give every node the data directory's root key.
    MigrateStore {
        /// The data directory of the embedded store.
        #[arg(long)]
        from: PathBuf,
        /// The postgres:// URL of the target database.
        #[arg(long)]
        to: String,
    },
    /// Writes a consistent snapshot of the running deployment's store to FILE (a new file):
    /// every account, IAM principal, access key and secret with its versions (values still
    /// sealed), labels and tags, the audit chain heads, and a manifest with row counts and a
    /// checksum. Safe while the server runs. The root key is NOT in the backup: keep it apart.
    Backup {
        #[command(flatten)]
        common: Common,
        /// The backup file to create (refused if it exists).
        file: PathBuf,
    },
    /// Checks a backup file against its manifest and writes it into an empty store (a data
    /// directory without a database, or an empty PostgreSQL database); refuses a store that
    /// holds data. Stop the servers of the target first; start them with the root key of the
    /// deployment the backup was taken from.
    Restore {
        #[command(flatten)]
        common: Common,
        /// The backup file.
        file: PathBuf,
    },
    /// Reads the audit trail: verify its hash chain, search its events.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Rotation: list secrets whose rotation is failing or overdue, retry one.
    Rotation {
        #[command(subcommand)]
        command: RotationCommand,
    },
}

#[derive(Subcommand)]
enum RotationCommand {
    /// Lists every secret with rotation configured: ARN, enabled, run state, attempts,
    /// NextRotationDate, LastRotatedDate, last error.
    List {
        #[command(flatten)]
        common: Common,
        /// Only secrets whose run waits for a retry or has failed.
        #[arg(long)]
        failing: bool,
        /// Only secrets with rotation enabled whose NextRotationDate has passed.
        #[arg(long)]
        overdue: bool,
    },
    /// Queues a secret's rotation now: a failed or waiting run starts again (attempts reset),
    /// or, with no run, the next window starts now. The running servers' schedulers pick it
    /// up at their next tick. On the embedded store, stop the server first (its read cache
    /// must see every write); on PostgreSQL, run it any time.
    Retry {
        #[command(flatten)]
        common: Common,
        /// The secret: its full ARN (or, with --account and --region, its name).
        secret: String,
        /// The account of a secret given by name (default: the first account).
        #[arg(long)]
        account: Option<String>,
        /// The region of a secret given by name.
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Checks that audit files, oldest first (`audit.jsonl.* audit.jsonl`), form one unbroken
    /// hash chain under the chain key (derived from the root key, which it reads); names the
    /// first broken link (file and line) and exits 1 if not.
    Verify {
        #[command(flatten)]
        common: Common,
        /// Accept legacy lines (an unkeyed chain, written before coffer keyed it) at the start
        /// of the trail, reporting how many; without it they fail the check, since anyone who
        /// can write the files can rewrite them as legacy lines.
        #[arg(long)]
        legacy: bool,
        /// The files, oldest first.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Prints the events of audit files that match every filter given, as JSON lines.
    Search {
        /// A secret, by name or ARN.
        #[arg(long)]
        secret: Option<String>,
        /// A principal: ARN, principal id, access key id, or user or role name.
        #[arg(long)]
        principal: Option<String>,
        /// An event name, e.g. GetSecretValue.
        #[arg(long)]
        event_name: Option<String>,
        /// Only events at or after this time (RFC 3339, e.g. 2026-01-31T12:00:00Z).
        #[arg(long)]
        since: Option<String>,
        /// Only events before this time (RFC 3339).
        #[arg(long)]
        until: Option<String>,
        /// The files, oldest first.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `coffer admin audit …`.
async fn audit(command: AuditCommand, config: Option<Config>) -> Result<(), String> {
    use coffer_server::audit::{chain, search};
    match command {
        AuditCommand::Verify {
            common: _,
            legacy,
            files,
        } => {
            // The deployment's root key (for the chain key) and database (for the head).
            let (config, service) = open_existing(configured(config)?).await?;
            let key = chain::ChainKey::new(service.keyring().audit_chain_key().as_ref());
            // The head is read before the files: it may lag them, never lead them, so a head
            // recorded while this runs cannot be missing from what is read next.
            let trail = config
                .audit_settings()
                .file
                .map(|file| coffer_server::audit::trail_name(&file));
            let head = match &trail {
                Some(trail) => service
                    .store()
                    .audit_head(trail)
                    .await
                    .map_err(|e| format!("reading the audit chain's head: {e}"))?,
                None => None,
            };
            let digest = head.as_ref().map(|head| head.digest.as_str());
            match chain::verify_with_head(&files, &key, digest) {
                Ok(verified) if verified.legacy_events > 0 && !legacy => Err(format!(
                    "audit chain not verified: the first {} legacy events (of {}) have an unkeyed chain, which anyone who can write the files can recompute; if they were written by a coffer before the chain was keyed, pass --legacy",
                    verified.legacy_events, verified.events
                )),
                Ok(verified) if verified.head_found == Some(false) => Err(format!(
                    "audit chain truncated: the database records {} as the last event written to {} (at {}), and these files do not reach it: events after the last one here were deleted (or the newest files were not given)",
                    digest.unwrap_or_default(),
                    trail.unwrap_or_default(),
                    head.as_ref()
                        .map(|head| head.updated.to_rfc3339())
                        .unwrap_or_default()
                )),
                Ok(verified) => {
                    println!(
                        "ok: {} events in {} files, hash chain intact (last digest {})",
                        verified.events,
                        files.len(),
                        verified.last_digest
                    );
                    match (verified.head_found, &trail) {
                        (Some(_), _) => {
                            println!("the chain head recorded in the database is among them")
                        }
                        (None, Some(trail)) => println!(
                            "note: the database records no chain head for {trail}: a deleted tail would not show"
                        ),
                        (None, None) => {}
                    }
                    if verified.legacy_events > 0 {
                        println!(
                            "note: the first {} legacy events have an unkeyed chain (written before coffer keyed it): anyone who could write the files could have rewritten them",
                            verified.legacy_events
                        );
                    }
                    Ok(())
                }
                Err(broken) => Err(format!("audit chain broken at {broken}")),
            }
        }
        AuditCommand::Search {
            secret,
            principal,
            event_name,
            since,
            until,
            files,
        } => {
            let time = |text: Option<String>, flag: &str| {
                text.map(|text| {
                    chrono::DateTime::parse_from_rfc3339(&text)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .map_err(|e| format!("{flag} {text}: not an RFC 3339 time ({e})"))
                })
                .transpose()
            };
            let query = search::Query {
                secret,
                principal,
                event_name,
                since: time(since, "--since")?,
                until: time(until, "--until")?,
            };
            let found = search::search(&files, &query).map_err(|e| format!("reading: {e}"))?;
            let mut out = std::io::stdout().lock();
            for line in found {
                writeln!(out, "{line}").map_err(|e| format!("writing: {e}"))?;
            }
            Ok(())
        }
    }
}

fn load(common: &Common, dev: Option<bool>, listen: Option<SocketAddr>) -> Result<Config, String> {
    load_serve(common, dev, None, listen, None, None)
}

/// [`load`] with `coffer serve`'s own flags.
fn load_serve(
    common: &Common,
    dev: Option<bool>,
    enforce_iam: Option<bool>,
    listen: Option<SocketAddr>,
    allow_plaintext_non_loopback: Option<bool>,
    console: Option<bool>,
) -> Result<Config, String> {
    let overrides = Overrides {
        dev,
        enforce_iam,
        listen,
        data_dir: common.data_dir.clone(),
        database: common.database.clone(),
        allow_plaintext_non_loopback,
        console,
    };
    Config::load(common.config.as_deref(), &overrides).map_err(|e| format!("configuration: {e}"))
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // The request id comes with every line logged during a request: text lines carry the
    // `request{request_id=…}` span prefix, JSON lines its fields under "span" and "spans".
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn serve(config: Config) -> Result<(), String> {
    init_tracing(&config);
    if config.dev {
        eprintln!(
            "\n  WARNING: coffer is running in DEV mode.\n  \
             Everything is kept in memory and lost at exit, ANY well-formed AWS credentials are accepted,\n  \
             and POST /_coffer/reset wipes all state. Never use dev mode for real secrets.\n"
        );
        if config.enforce_iam {
            eprintln!(
                "  --enforce-iam: the access keys and sessions coffer issues (IAM users, AssumeRole)\n  \
                 are authenticated and authorized as in real mode; any other key acts as the account root.\n"
            );
        }
    }
    // Signal handlers go in before the server announces itself, so a SIGTERM sent the moment
    // "listening" appears still means a graceful stop.
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| format!("signal handler: {e}"))?;
    let mut interrupt =
        signal(SignalKind::interrupt()).map_err(|e| format!("signal handler: {e}"))?;
    let server = coffer_server::start(&config)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    // Absolute, so that the hint works from any directory.
    let data_dir =
        std::path::absolute(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone());
    let creds = data_dir.join(CREDENTIALS_FILE);
    if let Some((account, credentials)) = &server.initialized {
        let _ = writeln!(
            out,
            "coffer: initialised {dir}\n  account {account}, root user access key {akid}\n  \
             credentials (mode 0600): {creds}",
            dir = data_dir.display(),
            akid = credentials.access_key_id,
            creds = creds.display(),
        );
    }
    if !config.dev {
        // Both region variables: the AWS CLI v1 and boto3 read AWS_DEFAULT_REGION, the CLI v2
        // and the other SDKs AWS_REGION. AWS_ENDPOINT_URL covers STS and IAM too. Over HTTPS
        // the CLI also needs to trust the certificate's issuer (AWS_CA_BUNDLE).
        let _ = writeln!(
            out,
            "  use it with: export AWS_SHARED_CREDENTIALS_FILE={} AWS_DEFAULT_REGION=us-east-1 \
             AWS_REGION=us-east-1 AWS_ENDPOINT_URL={}\n  then: aws secretsmanager list-secrets",
            creds.display(),
            server.url()
        );
    }
    // Last, so that whoever waits for this line has read the hint above it.
    let _ = writeln!(out, "coffer listening on {}", server.url());
    let _ = out.flush();
    drop(out);
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

/// Opens an existing deployment for an offline admin command.
async fn open_existing(
    config: Config,
) -> Result<(Config, std::sync::Arc<coffer_core::service::Service>), String> {
    if config.database.is_none() && !config.data_dir.join(DATABASE_FILE).exists() {
        return Err(format!(
            "{} holds no coffer database; run coffer serve once first",
            config.data_dir.display()
        ));
    }
    let (service, _) = coffer_server::open_service(&config)
        .await
        .map_err(|e| e.to_string())?;
    Ok((config, service))
}

/// Writes new credentials to `output` (or the data directory) and says where, never what.
fn save_credentials(
    config: &Config,
    output: Option<PathBuf>,
    account: &AccountId,
    credentials: &coffer_core::service::Credentials,
) -> Result<(), String> {
    let path = output.unwrap_or_else(|| {
        config
            .data_dir
            .join(format!("credentials-{}", credentials.access_key_id))
    });
    coffer_server::init::write_credentials(&path, credentials).map_err(|e| e.to_string())?;
    println!(
        "created access key {} for the root user of account {account}\ncredentials (mode 0600): {}",
        credentials.access_key_id,
        path.display()
    );
    Ok(())
}

/// The configuration of an admin command that reads one (`main` loads it before the runtime
/// starts; see [`loaded_config`]).
fn configured(config: Option<Config>) -> Result<Config, String> {
    config.ok_or_else(|| "this command reads no configuration".to_owned())
}

async fn admin(command: AdminCommand, config: Option<Config>) -> Result<(), String> {
    match command {
        AdminCommand::CreateAccount {
            common: _,
            account,
            output,
        } => {
            let (config, service) = open_existing(configured(config)?).await?;
            let account = match account {
                Some(text) => AccountId::parse(&text).ok_or("--account must be 12 digits")?,
                None => AccountId::generate().map_err(|e| e.to_string())?,
            };
            let existing = service
                .store()
                .list_accounts()
                .await
                .map_err(|e| e.to_string())?;
            if existing.contains(&account) {
                return Err(format!("account {account} already exists"));
            }
            let credentials = service
                .create_access_key(&account)
                .await
                .map_err(|e| e.to_string())?;
            save_credentials(&config, output, &account, &credentials)
        }
        AdminCommand::RotateAccessKey {
            common: _,
            access_key_id,
            output,
        } => {
            let (config, service) = open_existing(configured(config)?).await?;
            let old = service
                .store()
                .find_access_key(&access_key_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no access key {access_key_id}"))?;
            if old.user_name.is_some() {
                return Err(format!(
                    "{access_key_id} belongs to an IAM user; rotate it with aws iam create-access-key and delete-access-key"
                ));
            }
            let credentials = service
                .create_access_key(&old.account)
                .await
                .map_err(|e| e.to_string())?;
            // The new key is written before the old one goes, so a failure in between leaves
            // two working keys rather than none.
            save_credentials(&config, output, &old.account, &credentials)?;
            service
                .store()
                .delete_access_key(&access_key_id)
                .await
                .map_err(|e| e.to_string())?;
            println!("deleted access key {access_key_id}");
            Ok(())
        }
        AdminCommand::ListPrincipals { common: _ } => {
            use coffer_core::model::PrincipalKind;
            let (_, service) = open_existing(configured(config)?).await?;
            let store = service.store();
            for account in store.list_accounts().await.map_err(|e| e.to_string())? {
                println!("{account}\troot\tarn:aws:iam::{account}:root");
                for kind in [PrincipalKind::User, PrincipalKind::Role] {
                    for p in store
                        .list_principals(&account, kind)
                        .await
                        .map_err(|e| e.to_string())?
                    {
                        let policies: Vec<String> = store
                            .list_inline_policies(&account, kind, &p.name)
                            .await
                            .map_err(|e| e.to_string())?
                            .into_iter()
                            .map(|(name, _)| name)
                            .collect();
                        println!(
                            "{account}\t{}\t{}\tpolicies: {}",
                            kind.as_str(),
                            p.arn(),
                            if policies.is_empty() {
                                "-".to_owned()
                            } else {
                                policies.join(",")
                            }
                        );
                    }
                }
            }
            Ok(())
        }
        AdminCommand::CreateAccessKey {
            common: _,
            account,
            output,
        } => {
            let config = configured(config)?;
            if config.database.is_none() && !config.data_dir.join(DATABASE_FILE).exists() {
                return Err(format!(
                    "{} holds no coffer database; run coffer serve once first",
                    config.data_dir.display()
                ));
            }
            let (service, _) = coffer_server::open_service(&config)
                .await
                .map_err(|e| e.to_string())?;
            let account = match account {
                Some(text) => AccountId::parse(&text).ok_or("--account must be 12 digits")?,
                None => service
                    .store()
                    .list_accounts()
                    .await
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .next()
                    .ok_or("the data directory has no account")?,
            };
            let credentials = service
                .create_access_key(&account)
                .await
                .map_err(|e| e.to_string())?;
            let path = output.unwrap_or_else(|| {
                config
                    .data_dir
                    .join(format!("credentials-{}", credentials.access_key_id))
            });
            coffer_server::init::write_credentials(&path, &credentials)
                .map_err(|e| e.to_string())?;
            println!(
                "created access key {} for the root user of account {account}\ncredentials (mode 0600): {}",
                credentials.access_key_id,
                path.display()
            );
            Ok(())
        }
        AdminCommand::ListAccessKeys { common: _ } => {
            let config = configured(config)?;
            if config.database.is_none() && !config.data_dir.join(DATABASE_FILE).exists() {
                return Err(format!(
                    "{} holds no coffer database",
                    config.data_dir.display()
                ));
            }
            let (service, _) = coffer_server::open_service(&config)
                .await
                .map_err(|e| e.to_string())?;
            for account in service
                .store()
                .list_accounts()
                .await
                .map_err(|e| e.to_string())?
            {
                for key in service
                    .store()
                    .list_access_keys(&account)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    let owner = match &key.user_name {
                        Some(name) => format!("user/{name}"),
                        None => "root".to_owned(),
                    };
                    let status = if key.active { "Active" } else { "Inactive" };
                    println!("{account}\t{owner}\t{}\t{status}", key.access_key_id);
                }
            }
            Ok(())
        }
        AdminCommand::MigrateStore { from, to } => migrate_store(&from, &to).await,
        AdminCommand::Backup { common: _, file } => backup(configured(config)?, &file).await,
        AdminCommand::Restore { common: _, file } => restore(configured(config)?, &file).await,
        AdminCommand::Audit { command } => audit(command, config).await,
        AdminCommand::Rotation { command } => rotation(command, config).await,
    }
}

/// `coffer admin migrate-store`: SQLite file → empty PostgreSQL database, verified.
async fn migrate_store(from: &std::path::Path, to: &str) -> Result<(), String> {
    let source = coffer_store::sqlite::export::export_sqlite(&from.join(DATABASE_FILE))
        .await
        .map_err(|e| format!("reading {}: {e}", from.display()))?;
    let expected = source.summary();
    println!("source      {expected}");
    let target = coffer_store::PostgresStore::connect(to)
        .await
        .map_err(|e| format!("connecting to the target: {e}"))?;
    target
        .import_snapshot(&source)
        .await
        .map_err(|e| format!("copying: {e}"))?;
    // Read everything back from the target and compare: counts and a checksum over every row,
    // sealed values included.
    let copied = target
        .export_snapshot()
        .await
        .map_err(|e| format!("reading the copy back: {e}"))?
        .summary();
    println!("postgresql  {copied}");
    target.close().await;
    if copied != expected {
        return Err("the copy differs from the source; do not switch over".into());
    }
    println!(
        "verified: every row copied unchanged.\n\
         Start the nodes with --database and the root key of {} (root.key or COFFER_ROOT_KEY).",
        from.display()
    );
    Ok(())
}

/// An admin command's error as its message: a refusal's own words, without the API error
/// name the `Display` of [`coffer_core::error::Error`] puts before them.
fn plain(e: coffer_core::error::Error) -> String {
    match e {
        coffer_core::error::Error::InvalidRequest(message) => message,
        other => other.to_string(),
    }
}

/// `coffer admin backup`: a consistent cut of the configured store, written to `file`.
async fn backup(config: Config, file: &std::path::Path) -> Result<(), String> {
    use coffer_store::sqlite::backup;
    let (cut, source) = match &config.database {
        Some(url) => {
            let store = coffer_store::PostgresStore::connect(url)
                .await
                .map_err(|e| format!("connecting to the database: {e}"))?;
            let cut = store.backup().await;
            store.close().await;
            (cut, "postgresql")
        }
        None => (
            backup::cut(&config.data_dir.join(DATABASE_FILE)).await,
            "sqlite",
        ),
    };
    let cut = cut.map_err(|e| format!("reading the store: {}", plain(e)))?;
    let manifest = backup::write_file(file, &cut, source, env!("CARGO_PKG_VERSION"))
        .await
        .map_err(|e| format!("writing the backup: {}", plain(e)))?;
    println!(
        "backup written and read back: {}\n  {manifest}\n\
         the root key is not in the backup: a restore needs the root key of this deployment, kept apart",
        file.display()
    );
    Ok(())
}

/// `coffer admin restore`: a checked backup file into the configured, empty store, then read
/// back and compared with the backup's manifest.
async fn restore(config: Config, file: &std::path::Path) -> Result<(), String> {
    use coffer_store::sqlite::backup;
    let (cut, manifest) = backup::read_file(file)
        .await
        .map_err(|e| format!("reading the backup: {}", plain(e)))?;
    println!("backup      {manifest}");
    let restored = match &config.database {
        Some(url) => {
            let store = coffer_store::PostgresStore::connect(url)
                .await
                .map_err(|e| format!("connecting to the database: {e}"))?;
            let restored = match store.restore(&cut).await {
                Ok(()) => store.export_snapshot().await,
                Err(e) => Err(e),
            };
            store.close().await;
            restored
        }
        None => {
            coffer_server::init::ensure_data_dir(&config.data_dir).map_err(|e| e.to_string())?;
            let database = config.data_dir.join(DATABASE_FILE);
            match backup::restore(&database, &cut).await {
                Ok(()) => coffer_store::sqlite::export::export_sqlite(&database).await,
                Err(e) => Err(e),
            }
        }
    };
    let restored = restored
        .map_err(|e| format!("restoring: {}", plain(e)))?
        .summary()
        .to_string();
    println!("restored    {restored}");
    if restored != manifest.summary {
        return Err("the restored store differs from the backup; do not start on it".into());
    }
    println!(
        "verified: every row restored unchanged.\n\
         Start coffer on it with the root key of the deployment the backup was taken from \
         (root.key in the data directory, root_key_file or COFFER_ROOT_KEY)."
    );
    Ok(())
}

/// `coffer admin rotation`.
async fn rotation(command: RotationCommand, config: Option<Config>) -> Result<(), String> {
    match command {
        RotationCommand::List {
            common: _,
            failing,
            overdue,
        } => {
            let (_, service) = open_existing(configured(config)?).await?;
            let entries = coffer_server::rotation::report(service.store().as_ref(), service.now())
                .await
                .map_err(|e| e.to_string())?;
            let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
                d.map_or("-".to_owned(), |d| {
                    d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                })
            };
            for e in entries
                .iter()
                .filter(|e| (!failing || e.failing) && (!overdue || e.overdue))
            {
                println!(
                    "{}\tenabled={}\trun={}\tattempt={}\tnext={}\tlast={}\terror={}",
                    e.arn,
                    e.enabled,
                    e.run_state.unwrap_or("-"),
                    e.attempt,
                    date(e.next_rotation),
                    date(e.last_rotated),
                    e.last_error.as_deref().unwrap_or("-")
                );
            }
            Ok(())
        }
        RotationCommand::Retry {
            common: _,
            secret,
            account,
            region,
        } => {
            let config = configured(config)?;
            // The embedded store's read cache belongs to the server holding the data directory:
            // a write from here would go unseen by it.
            let _lock = if config.database.is_none() {
                Some(coffer_server::lock_data_dir(&config).map_err(|e| {
                    format!("{e} (stop the server first: on the embedded store only the server may write)")
                })?)
            } else {
                None
            };
            let (_, service) = open_existing(config).await?;
            let scope = match coffer_core::names::SecretRef::parse(&secret) {
                coffer_core::names::SecretRef::Arn {
                    account, region, ..
                } => coffer_core::names::Scope {
                    account: AccountId::parse(&account).ok_or("the ARN's account is not valid")?,
                    region: coffer_core::names::Region::parse(&region)
                        .ok_or("the ARN's region is not valid")?,
                },
                _ => {
                    let account = match account {
                        Some(text) => {
                            AccountId::parse(&text).ok_or("--account must be 12 digits")?
                        }
                        None => service
                            .store()
                            .list_accounts()
                            .await
                            .map_err(|e| e.to_string())?
                            .into_iter()
                            .next()
                            .ok_or("no account")?,
                    };
                    coffer_core::names::Scope {
                        account,
                        region: coffer_core::names::Region::parse(&region).ok_or("bad --region")?,
                    }
                }
            };
            let changed = service
                .rotation_retry(&scope, &secret)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}",
                if changed {
                    "rotation queued; the next scheduler tick runs it"
                } else {
                    "a run is already queued or running; nothing changed"
                }
            );
            Ok(())
        }
    }
}

/// The configuration the command reads, if it reads one.
fn loaded_config(command: &Command) -> Result<Option<Config>, String> {
    match command {
        Command::Serve {
            common,
            dev,
            enforce_iam,
            listen,
            allow_plaintext_non_loopback,
            no_console,
        } => load_serve(
            common,
            dev.then_some(true),
            enforce_iam.then_some(true),
            *listen,
            allow_plaintext_non_loopback.then_some(true),
            no_console.then_some(false),
        )
        .map(Some),
        Command::Health { .. } => Ok(None),
        Command::Admin { command } => match command {
            AdminCommand::CreateAccessKey { common, .. }
            | AdminCommand::ListAccessKeys { common }
            | AdminCommand::CreateAccount { common, .. }
            | AdminCommand::RotateAccessKey { common, .. }
            | AdminCommand::ListPrincipals { common }
            | AdminCommand::Backup { common, .. }
            | AdminCommand::Restore { common, .. } => load(common, Some(false), None).map(Some),
            AdminCommand::Audit {
                command: AuditCommand::Verify { common, .. },
            } => load(common, Some(false), None).map(Some),
            AdminCommand::Rotation {
                command:
                    RotationCommand::List { common, .. } | RotationCommand::Retry { common, .. },
            } => load(common, Some(false), None).map(Some),
            AdminCommand::MigrateStore { .. } | AdminCommand::Audit { .. } => Ok(None),
        },
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Before the runtime starts its threads: loading the configuration takes COFFER_ROOT_KEY out
    // of the process environment, which is sound only while this is the one thread.
    let config = match loaded_config(&cli.command) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("coffer: {message}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("coffer: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { .. } => serve(configured(config)?).await,
            Command::Admin { command } => admin(command, config).await,
            Command::Health { url } => coffer_server::health::check(&url).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("coffer: {message}");
            ExitCode::FAILURE
        }
    }
}
