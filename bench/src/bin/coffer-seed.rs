//! `coffer-seed`: fills a data directory with many secrets, offline and in-process, for the
//! "1,000,000 secrets" measurements (`bench/million.sh`).
//!
//! It opens the data directory exactly as `coffer serve` does (`coffer_server::open_service`:
//! a fresh directory gets its root key, account and `credentials` file) and holds the same
//! lock file as a server, so it never writes under a running one. Then `--concurrency` tasks
//! call `Service::create_secret` as the account's trusted in-process caller (a bare `Scope`,
//! like the admin commands): with many creates queued at once, the SQLite writer's group
//! commit puts up to a batch's worth of them in each transaction and fsync.
//!
//! Secret `i` is named `svc-GGGG/secret-IIIIIIIIII` (group `i mod 1000`, see
//! `coffer_bench::seeded_name`) and holds a 1 KiB SecretString. A secret that already exists
//! is counted and skipped, so an interrupted seed can be run again to finish. After a complete
//! run the tool writes `coffer-seed.count` (the count) into the data directory, which
//! `bench/million.sh` reads to reuse a seeded directory. Progress and the rate go to stderr;
//! the last line of stdout is one JSON summary.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use coffer_core::model::SecretValue;
use coffer_core::names::{Region, Scope};
use coffer_core::service::{CreateSecretInput, Service};
use coffer_server::config::{Config, Overrides};
use zeroize::Zeroizing;

/// The file a complete seed leaves in the data directory, holding the number of secrets.
const MARKER_FILE: &str = "coffer-seed.count";
/// Give up after this many failed creates (other than "already exists").
const MAX_FAILURES: u64 = 100;

#[derive(Parser)]
#[command(name = "coffer-seed")]
struct Args {
    /// The data directory (created and initialised when new, as `coffer serve` would).
    #[arg(long)]
    data_dir: PathBuf,
    /// How many secrets: `svc-…/secret-0000000000` … up to `count - 1`.
    #[arg(long)]
    count: u64,
    /// Creates in flight at once; more than the writer's batch (256) keeps every batch full.
    #[arg(long, default_value_t = 512)]
    concurrency: usize,
    /// The size of each SecretString in bytes.
    #[arg(long, default_value_t = 1024)]
    value_bytes: usize,
    /// The region the secrets live in (the one clients sign for).
    #[arg(long, default_value = "us-east-1")]
    region: String,
}

/// What the workers count, shared with the progress reporter.
#[derive(Default)]
struct Counters {
    next: AtomicU64,
    created: AtomicU64,
    existing: AtomicU64,
    failed: AtomicU64,
    stop: AtomicBool,
}

/// A deterministic value of `bytes` bytes for secret `name`: a retry of the same seed writes the
/// same content.
fn value_for(name: &str, bytes: usize) -> SecretValue {
    let mut text = String::with_capacity(bytes.max(name.len() + 1));
    text.push_str(name);
    text.push(':');
    while text.len() < bytes {
        text.push('v');
    }
    text.truncate(bytes.max(1));
    SecretValue::String(Zeroizing::new(text))
}

/// One worker: takes the next index until every secret is taken or the seed stops.
async fn worker(
    service: Arc<Service>,
    scope: Arc<Scope>,
    args: Arc<Args>,
    counters: Arc<Counters>,
) {
    while !counters.stop.load(Ordering::Relaxed) {
        let index = counters.next.fetch_add(1, Ordering::Relaxed);
        if index >= args.count {
            return;
        }
        let name = coffer_bench::seeded_name(index);
        let input = CreateSecretInput {
            value: Some(value_for(&name, args.value_bytes)),
            name,
            client_request_token: Some(uuid::Uuid::new_v4().to_string()),
            ..CreateSecretInput::default()
        };
        match service.create_secret(scope.as_ref(), input).await {
            Ok(_) => {
                counters.created.fetch_add(1, Ordering::Relaxed);
            }
            Err(coffer_core::Error::SecretExists(_)) => {
                counters.existing.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                let failed = counters.failed.fetch_add(1, Ordering::Relaxed) + 1;
                eprintln!("coffer-seed: secret {index}: {error}");
                if failed >= MAX_FAILURES {
                    eprintln!("coffer-seed: {failed} failures, stopping");
                    counters.stop.store(true, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Holds the data directory's lock file as `coffer serve` does, so the seed and a server never
/// write the same directory at once.
fn lock(data_dir: &std::path::Path) -> Result<std::fs::File, String> {
    let path = data_dir.join(coffer_server::LOCK_FILE);
    coffer_server::init::ensure_private_file(&path, "lock file").map_err(|e| e.to_string())?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(|e| format!("opening {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "a coffer serve is using {}; stop it first",
            data_dir.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("locking {}: {e}", path.display())),
    }
}

async fn run(args: Args) -> Result<(), String> {
    let args = Arc::new(args);
    let region =
        Region::parse(&args.region).ok_or_else(|| format!("bad region {}", args.region))?;
    let overrides = Overrides {
        dev: Some(false),
        data_dir: Some(args.data_dir.clone()),
        ..Overrides::default()
    };
    let config = Config::load(None, &overrides).map_err(|e| format!("configuration: {e}"))?;
    coffer_server::init::ensure_data_dir(&config.data_dir).map_err(|e| e.to_string())?;
    let _lock = lock(&config.data_dir)?;
    // A complete earlier seed is forgotten until this one completes too.
    let marker = config.data_dir.join(MARKER_FILE);
    let _ = std::fs::remove_file(&marker);
    let (service, initialized) = coffer_server::open_service(&config)
        .await
        .map_err(|e| e.to_string())?;
    let account = match initialized {
        Some((account, _)) => {
            eprintln!(
                "coffer-seed: initialised {} (credentials in {})",
                config.data_dir.display(),
                config
                    .data_dir
                    .join(coffer_server::CREDENTIALS_FILE)
                    .display()
            );
            account
        }
        None => service
            .store()
            .list_accounts()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or("the data directory has no account")?,
    };
    let scope = Arc::new(Scope { account, region });
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency.max(1))
        .map(|_| {
            tokio::spawn(worker(
                service.clone(),
                scope.clone(),
                args.clone(),
                counters.clone(),
            ))
        })
        .collect();
    let reporter = {
        let counters = counters.clone();
        let count = args.count;
        tokio::spawn(async move {
            let mut last = (Instant::now(), 0u64);
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let done = counters.created.load(Ordering::Relaxed)
                    + counters.existing.load(Ordering::Relaxed);
                let now = Instant::now();
                let rate = (done - last.1) as f64 / now.duration_since(last.0).as_secs_f64();
                eprintln!(
                    "coffer-seed: {done}/{count} ({:.1}%), {rate:.0}/s now, {:.0}/s overall",
                    done as f64 * 100.0 / count.max(1) as f64,
                    done as f64 / started.elapsed().as_secs_f64()
                );
                last = (now, done);
            }
        })
    };
    for worker in workers {
        worker.await.map_err(|e| format!("a worker failed: {e}"))?;
    }
    reporter.abort();
    let elapsed = started.elapsed().as_secs_f64();
    let created = counters.created.load(Ordering::Relaxed);
    let existing = counters.existing.load(Ordering::Relaxed);
    let failed = counters.failed.load(Ordering::Relaxed);
    eprintln!(
        "coffer-seed: {created} created, {existing} already there, {failed} failed in {elapsed:.1} s: {:.0} created/s",
        created as f64 / elapsed
    );
    println!(
        "{}",
        serde_json::json!({
            "count": args.count,
            "created": created,
            "existing": existing,
            "failed": failed,
            "seconds": elapsed,
            "created_per_second": created as f64 / elapsed,
            "concurrency": args.concurrency,
        })
    );
    if failed > 0 || created + existing != args.count {
        return Err(format!("{failed} creates failed; run again to finish"));
    }
    std::fs::write(&marker, format!("{}\n", args.count))
        .map_err(|e| format!("writing {}: {e}", marker.display()))?;
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(error) = run(Args::parse()).await {
        eprintln!("coffer-seed: {error}");
        std::process::exit(1);
    }
}
