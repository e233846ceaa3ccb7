//! `coffer admin backup` and `restore` against a running coffer, on SQLite and on PostgreSQL:
//! a backup taken while eight SDK clients keep writing new versions, restored into an empty
//! store, is a consistent cut (every secret's versions are exactly its first n+1 writes, with
//! AWSCURRENT on the n-th and AWSPREVIOUS on the one before, n between what was acknowledged
//! before the backup started and after it ended), serves every secret through the SDK, and
//! continues an audit chain that `coffer admin audit verify` accepts; the same file restores
//! into the other engine too. A second restore into the same store is refused, and so is a
//! damaged backup file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_secretsmanager::config::retry::RetryConfig;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::Client;

use crate::common::{pg, start_with};

/// Secrets written to concurrently.
const SECRETS: usize = 8;
/// The most writes per secret: below the 100 versions past which deprecated versions are
/// purged, so that every write stays visible as a version.
const MAX_WRITES: u64 = 60;

fn value(secret: usize, n: u64) -> String {
    format!("secret-{secret}-write-{n}")
}

fn name(secret: usize) -> String {
    format!("backup/load-{secret}")
}

fn client(addr: std::net::SocketAddr, akid: &str, secret: &str) -> Client {
    let creds = aws_credential_types::Credentials::new(akid, secret, None, None, "test");
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{addr}"))
        .credentials_provider(creds)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// Runs `coffer admin <args> --data-dir <dir> [--database <url>]`.
fn admin(args: &[&str], dir: &Path, database: Option<&str>, file: &Path) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"));
    command.arg("admin").args(args).arg("--data-dir").arg(dir);
    if let Some(database) = database {
        command.args(["--database", database]);
    }
    command.arg(file).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_under_load_restores_a_consistent_cut_sqlite() {
    backup_under_load(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_under_load_restores_a_consistent_cut_postgres() {
    let Some(source) = pg::scratch().await else {
        return;
    };
    let target = pg::scratch().await.unwrap();
    backup_under_load(Some((source, target))).await;
}

async fn backup_under_load(pg: Option<(pg::Scratch, pg::Scratch)>) {
    let audit_dir = tempfile::tempdir().unwrap();
    let audit_file = audit_dir.path().join("audit.jsonl");
    let source_url = pg.as_ref().map(|(source, _)| source.url());
    let target_url = pg.as_ref().map(|(_, target)| target.url());
    let source = {
        let audit_file = audit_file.clone();
        let source_url = source_url.clone();
        start_with(move |c| {
            c.database = source_url;
            c.audit_file = Some(audit_file);
        })
        .await
    };
    let sdk = source.client();
    for i in 0..SECRETS {
        sdk.create_secret()
            .name(name(i))
            .secret_string(value(i, 0))
            .send()
            .await
            .unwrap();
    }

    // Eight writers, one per secret, each writing value n+1 once n is acknowledged.
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..SECRETS).map(|_| AtomicU64::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let (started, mut started_rx) = tokio::sync::mpsc::channel::<()>(SECRETS);
    let mut writers = Vec::new();
    for i in 0..SECRETS {
        let (sdk, acked, stop, started) =
            (sdk.clone(), acked.clone(), stop.clone(), started.clone());
        writers.push(tokio::spawn(async move {
            for n in 1..=MAX_WRITES {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                sdk.put_secret_value()
                    .secret_id(name(i))
                    .secret_string(value(i, n))
                    .send()
                    .await
                    .unwrap();
                acked[i].store(n, Ordering::SeqCst);
                if n == 3 {
                    started.send(()).await.unwrap();
                }
            }
        }));
    }
    drop(started);
    // The backup starts once every writer is under way.
    for _ in 0..SECRETS {
        started_rx.recv().await.unwrap();
    }
    let before: Vec<u64> = acked.iter().map(|a| a.load(Ordering::SeqCst)).collect();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("coffer.backup");
    let out = {
        let (dir, database, file) = (
            source.data_dir().to_owned(),
            source_url.clone(),
            file.clone(),
        );
        tokio::task::spawn_blocking(move || admin(&["backup"], &dir, database.as_deref(), &file))
            .await
            .unwrap()
    };
    let during: Vec<u64> = acked.iter().map(|a| a.load(Ordering::SeqCst)).collect();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    let after: Vec<u64> = acked.iter().map(|a| a.load(Ordering::SeqCst)).collect();
    assert!(out.status.success(), "backup: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let engine = if pg.is_some() { "postgresql" } else { "sqlite" };
    assert!(
        stdout.starts_with(&format!(
            "backup written and read back: {}\n  format=1 source={engine} created=",
            file.display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(" secrets=8 ")
            && stdout.ends_with(
                "the root key is not in the backup: a restore needs the root key of this deployment, kept apart\n"
            ),
        "{stdout}"
    );
    let written_during: u64 = during.iter().zip(&before).map(|(d, b)| d - b).sum();
    eprintln!(
        "{engine}: {written_during} writes acknowledged while the backup ran (before {before:?}, after {after:?})"
    );
    // The file is private and holds no root key.
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let root_key = std::fs::read(source.data_dir().join("root.key")).unwrap();
    let backup_bytes = std::fs::read(&file).unwrap();
    assert!(!backup_bytes
        .windows(root_key.trim_ascii().len())
        .any(|w| w == root_key.trim_ascii()));

    // A second backup to the same file is refused.
    let again = admin(&["backup"], source.data_dir(), source_url.as_deref(), &file);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        text(&again.stderr),
        format!(
            "coffer: writing the backup: {} already exists; a backup never overwrites a file\n",
            file.display()
        )
    );

    let (akid, secret_key) = (
        source.access_key_id.clone(),
        source.secret_access_key.clone(),
    );
    let source_dir = source.data_dir().to_owned();
    // The source's files outlive its stop: the restore needs its root key and audit trail.
    let root_key_path = work.path().join("root.key.saved");
    std::fs::copy(source_dir.join("root.key"), &root_key_path).unwrap();
    source.stop().await;

    // Restore into a new data directory holding only the source's root key (and, for the
    // audit chain, the source's trail copied beside it).
    let restored_dir = work.path().join("restored");
    std::fs::create_dir(&restored_dir).unwrap();
    std::fs::set_permissions(&restored_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::copy(&root_key_path, restored_dir.join("root.key")).unwrap();
    let restored_audit = restored_dir.join("audit.jsonl");
    std::fs::copy(&audit_file, &restored_audit).unwrap();
    let out = admin(&["restore"], &restored_dir, target_url.as_deref(), &file);
    assert!(out.status.success(), "restore: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("backup      format=1"), "{stdout}");
    let manifest_summary = &lines[0][lines[0].find("accounts=").unwrap()..]
        .rsplit_once(" audit_heads=")
        .unwrap()
        .0;
    assert_eq!(lines[1], format!("restored    {manifest_summary}"));
    assert_eq!(lines[2], "verified: every row restored unchanged.");

    // Into a store that now holds data, a restore is refused.
    let out = admin(&["restore"], &restored_dir, target_url.as_deref(), &file);
    assert_eq!(out.status.code(), Some(1));
    let expected = match &target_url {
        None => format!(
            "coffer: restoring: {} already holds coffer data (1 accounts, 0 IAM principals, 8 secrets); restore only into an empty store: a new data directory or an empty database\n",
            restored_dir.join("coffer.db").display()
        ),
        Some(_) => "coffer: restoring: the target database already holds coffer data; copy only into an empty one\n".to_owned(),
    };
    assert_eq!(text(&out.stderr), expected);

    // The restored store serves every secret, and the cut is consistent.
    let config = coffer_server::Config {
        data_dir: restored_dir.clone(),
        database: target_url.clone(),
        audit_file: Some(restored_audit.clone()),
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let restored = coffer_server::start_on(&config, listener).await.unwrap();
    assert!(restored.initialized.is_none());
    let sdk = client(restored.addr, &akid, &secret_key);
    for i in 0..SECRETS {
        let current = sdk
            .get_secret_value()
            .secret_id(name(i))
            .send()
            .await
            .unwrap();
        let text = current.secret_string().unwrap();
        let n: u64 = text
            .strip_prefix(&format!("secret-{i}-write-"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            before[i] <= n && n <= after[i],
            "secret {i}: AWSCURRENT is write {n}, outside what was acknowledged around the backup ({}..={})",
            before[i],
            after[i]
        );
        // Exactly writes 0..=n, each its own version, every one readable by id.
        let listed = sdk
            .list_secret_version_ids()
            .secret_id(name(i))
            .include_deprecated(true)
            .max_results(100)
            .send()
            .await
            .unwrap();
        let versions = listed.versions();
        assert_eq!(versions.len() as u64, n + 1, "secret {i}");
        let mut seen = Vec::new();
        for version in versions {
            let id = version.version_id().unwrap();
            let got = sdk
                .get_secret_value()
                .secret_id(name(i))
                .version_id(id)
                .send()
                .await
                .unwrap();
            let k: u64 = got
                .secret_string()
                .unwrap()
                .strip_prefix(&format!("secret-{i}-write-"))
                .unwrap()
                .parse()
                .unwrap();
            let stages: Vec<&str> = version
                .version_stages()
                .iter()
                .map(|s| s.as_str())
                .collect();
            let expected: Vec<&str> = if k == n {
                vec!["AWSCURRENT"]
            } else if k + 1 == n {
                vec!["AWSPREVIOUS"]
            } else {
                vec![]
            };
            assert_eq!(stages, expected, "secret {i}, write {k} of {n}");
            seen.push(k);
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..=n).collect::<Vec<_>>(), "secret {i}");
    }
    restored.shutdown().await;

    // The audit chain continues across the restore: the source's events, then the restored
    // server's, under the same root key.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .args(["admin", "audit", "verify", "--data-dir"])
        .arg(&restored_dir)
        .args(
            target_url
                .iter()
                .flat_map(|url| ["--database", url.as_str()]),
        )
        .arg(&restored_audit)
        .output()
        .unwrap();
    assert!(out.status.success(), "verify: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("ok: "), "{stdout}");
    assert!(
        stdout.contains("the chain head recorded in the database is among them"),
        "{stdout}"
    );

    // The same file restores into the other engine too, verified against its manifest.
    let other_scratch = if target_url.is_none() {
        pg::scratch().await
    } else {
        None
    };
    let other_url = other_scratch.as_ref().map(|scratch| scratch.url());
    if target_url.is_none() && other_url.is_none() {
        eprintln!("PostgreSQL unreachable: the SQLite backup was not restored into it");
    } else {
        let other_dir = work.path().join("other-engine");
        let out = admin(&["restore"], &other_dir, other_url.as_deref(), &file);
        assert!(out.status.success(), "restore: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert_eq!(
            stdout.lines().nth(1),
            Some(format!("restored    {manifest_summary}").as_str())
        );
    }

    // A damaged backup is refused before anything is written.
    let damaged = work.path().join("damaged.backup");
    std::fs::copy(&file, &damaged).unwrap();
    tamper(&damaged).await;
    let empty = work.path().join("empty");
    let out = admin(&["restore"], &empty, None, &damaged);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "coffer: reading the backup: {} is damaged: its manifest records accounts=1 ",
            damaged.display()
        )),
        "{stderr}"
    );
    assert!(!empty.join("coffer.db").exists());
}

/// Deletes one label row from a backup file behind its manifest's back.
async fn tamper(file: &Path) {
    use sqlx::Connection as _;
    let mut conn = sqlx::SqliteConnection::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new().filename(file),
    )
    .await
    .unwrap();
    sqlx::query(
        "DELETE FROM labels WHERE (secret_id, label) IN (SELECT secret_id, label FROM labels LIMIT 1)",
    )
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}
