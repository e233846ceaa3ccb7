//! Start-up and the modes of the data directory's files: what the server creates is private
//! from the start; wrong modes found at start are tightened (directory, database, lock file,
//! audit trail) or refused (credentials files), as docs/security.md ("Files and modes") says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use coffer_server::{Server, StartError};

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Gives `path` the mode, creating it empty (as a crash might leave it) when missing.
fn loosen(path: &Path, mode: u32) {
    if !path.exists() {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .unwrap();
    }
    chmod(path, mode);
}

async fn start(dir: &Path) -> Result<Server, StartError> {
    let config = coffer_server::Config {
        data_dir: dir.to_owned(),
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    coffer_server::start_on(&config, listener).await
}

async fn refusal(dir: &Path) -> String {
    match start(dir).await {
        Ok(_) => panic!("the server started"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_new_data_directory_and_its_files_are_private() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("nested").join("data");
    let server = start(&dir).await.unwrap();
    assert_eq!(mode(&dir), 0o700);
    // The WAL and shared-memory files are SQLite's own: they take the database file's mode.
    for name in [
        "root.key",
        "credentials",
        "coffer.db",
        "coffer.db-wal",
        "coffer.db-shm",
        "coffer.lock",
        "audit.jsonl",
    ] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn loose_modes_of_the_directory_database_lock_and_audit_are_tightened() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let first = start(&dir).await.unwrap();
    let account = first.initialized.as_ref().expect("initialised").0.clone();
    first.shutdown().await;

    chmod(&dir, 0o755);
    chmod(&dir.join("coffer.db"), 0o644);
    loosen(&dir.join("coffer.db-wal"), 0o644);
    loosen(&dir.join("coffer.db-shm"), 0o664);
    chmod(&dir.join("coffer.lock"), 0o666);
    chmod(&dir.join("audit.jsonl"), 0o666);
    loosen(&dir.join("audit.jsonl.000001"), 0o644);

    let server = start(&dir).await.unwrap();
    assert!(server.initialized.is_none());
    assert_eq!(
        server.service.store().list_accounts().await.unwrap(),
        vec![account]
    );
    assert_eq!(mode(&dir), 0o700);
    for name in ["coffer.db", "coffer.db-wal", "coffer.db-shm", "coffer.lock"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    // A log shipper's group may read the audit trail; nobody else may, and only we write.
    assert_eq!(mode(&dir.join("audit.jsonl")), 0o640);
    assert_eq!(mode(&dir.join("audit.jsonl.000001")), 0o640);
    server.shutdown().await;
}

#[tokio::test]
async fn credentials_files_others_may_read_are_refused() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    start(&dir).await.unwrap().shutdown().await;

    let credentials = dir.join("credentials");
    chmod(&credentials, 0o644);
    assert_eq!(
        refusal(&dir).await,
        format!(
            "{} holds an access key's secret key but is accessible by group or others (mode 644); \
             run chmod 600 on it, and replace what it holds if someone else may have read it",
            credentials.display()
        )
    );
    // Refused, not fixed: the mode is the operator's to change.
    assert_eq!(mode(&credentials), 0o644);
    chmod(&credentials, 0o600);

    // An admin command's credentials file counts too.
    let extra = dir.join("credentials-AKIAEXAMPLEEXTRA0001");
    loosen(&extra, 0o640);
    assert_eq!(
        refusal(&dir).await,
        format!(
            "{} holds an access key's secret key but is accessible by group or others (mode 640); \
             run chmod 600 on it, and replace what it holds if someone else may have read it",
            extra.display()
        )
    );
    chmod(&extra, 0o600);
    start(&dir).await.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_root_key_file_others_may_read_is_refused() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    start(&dir).await.unwrap().shutdown().await;
    let root_key = dir.join("root.key");
    chmod(&root_key, 0o640);
    assert_eq!(
        refusal(&dir).await,
        format!(
            "root key: {} is accessible by group or others (mode 640); run chmod 600 on it",
            root_key.display()
        )
    );
    assert_eq!(mode(&root_key), 0o640);
}
