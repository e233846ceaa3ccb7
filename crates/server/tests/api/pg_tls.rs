//! PostgreSQL over TLS: a scratch PostgreSQL cluster (initdb into a temporary directory, `ssl =
//! on` with a CA and server certificate made here by rcgen, on a free port of 127.0.0.1; the
//! machine's own PostgreSQL is left as it is) and coffer on it: `sslmode=require` and the default
//! `prefer` connect over TLS, `verify-full` with the right CA file serves secrets, with another
//! CA the start fails naming the unknown issuer; against a cluster with `ssl = off`, `require`
//! fails saying the server offers no TLS and `prefer` connects in plaintext. Skipped when no PostgreSQL binaries are
//! installed (failed under CI). The non-loopback plaintext warning is unit-tested in the store
//! (`plaintext_warns_only_for_a_non_loopback_host`), since every address here is loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

use crate::common::pg;

/// A CA and its key.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Self { cert, key }
    }

    /// A server certificate for 127.0.0.1 and localhost: (certificate PEM, key PEM).
    fn issue(&self) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "scratch postgres");
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// The newest installed PostgreSQL's `bin` directory.
fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop()
}

/// A command of PostgreSQL's, run as the `postgres` user when this process is root (initdb and
/// the server refuse to run as root).
fn pg_command(bin: &Path, program: &str) -> Command {
    let running_as_root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    if running_as_root {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(bin.join(program));
        command
    } else {
        Command::new(bin.join(program))
    }
}

fn postgres_ids() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// A scratch cluster with TLS on, stopped (immediately) and removed when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    fn start(ca: &Ca, ssl: bool) -> Option<Self> {
        let bin = pg_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("coffer-pgtls-")
            .tempdir()
            .unwrap();
        let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
        let (cert, key) = ca.issue();
        let cert_file = dir.path().join("server.crt");
        let key_file = dir.path().join("server.key");
        std::fs::write(&cert_file, cert).unwrap();
        std::fs::write(&key_file, key).unwrap();
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        if root {
            let (uid, gid) = postgres_ids().expect("a postgres user to run the scratch cluster");
            for path in [dir.path(), &cert_file, &key_file] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
            }
        }
        let data = dir.path().join("data");
        let out = pg_command(&bin, "initdb")
            .args(["--auth=trust", "--username=postgres", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{dir}'\n\
             ssl = {ssl}\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\nfsync = off\n",
            ssl = if ssl { "on" } else { "off" },
            dir = dir.path().display(),
            cert = cert_file.display(),
            key = key_file.display(),
        );
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        std::io::Write::write_all(&mut file, conf.as_bytes()).unwrap();
        let out = pg_command(&bin, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("log"))
            .args(["-w", "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(dir.path().join("log")).unwrap_or_default()
        );
        Some(Self { dir, bin, port })
    }

    fn url(&self, query: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres{query}",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg_command(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// Starts coffer on `database`, a fresh data directory.
async fn serve(database: String) -> Result<(coffer_server::Server, tempfile::TempDir), String> {
    let dir = tempfile::tempdir().unwrap();
    let config = coffer_server::Config {
        data_dir: dir.path().to_owned(),
        database: Some(database),
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    coffer_server::start_on(&config, listener)
        .await
        .map(|server| (server, dir))
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn postgres_over_tls_require_prefer_verify_full_and_a_wrong_ca() {
    let ca = Ca::new("coffer scratch postgres CA");
    let Some(cluster) = Cluster::start(&ca, true) else {
        assert!(
            !pg::required(),
            "no PostgreSQL binaries under /usr/lib/postgresql"
        );
        eprintln!("skipped: no PostgreSQL binaries under /usr/lib/postgresql");
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let right_ca = files.path().join("ca.pem");
    let wrong_ca = files.path().join("other-ca.pem");
    std::fs::write(&right_ca, ca.cert.pem()).unwrap();
    std::fs::write(&wrong_ca, Ca::new("another CA").cert.pem()).unwrap();

    // require and the default (prefer) both negotiate TLS with a server that offers it.
    for query in ["?sslmode=require", ""] {
        let store = coffer_store::PostgresStore::connect(&cluster.url(query))
            .await
            .unwrap();
        assert!(store.encrypted().await.unwrap(), "{query}");
        store.close().await;
    }

    // verify-full with the CA that issued the server's certificate: coffer serves over it.
    let url = cluster.url(&format!(
        "?sslmode=verify-full&sslrootcert={}",
        right_ca.display()
    ));
    let (server, _dir) = serve(url.clone()).await.unwrap();
    let (_, creds) = server.initialized.as_ref().unwrap();
    let client = {
        use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
        let creds = aws_credential_types::Credentials::new(
            &creds.access_key_id,
            creds.secret_access_key.to_string(),
            None,
            None,
            "test",
        );
        aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(format!("http://{}", server.addr))
                .credentials_provider(creds)
                .build(),
        )
    };
    client
        .create_secret()
        .name("over-tls")
        .secret_string("sealed then sent over TLS")
        .send()
        .await
        .unwrap();
    let got = client
        .get_secret_value()
        .secret_id("over-tls")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some("sealed then sent over TLS"));
    server.shutdown().await;
    let store = coffer_store::PostgresStore::connect(&url).await.unwrap();
    assert!(store.encrypted().await.unwrap());
    store.close().await;

    // verify-full with a CA that did not issue it: the start fails, saying why.
    let err = serve(cluster.url(&format!(
        "?sslmode=verify-full&sslrootcert={}",
        wrong_ca.display()
    )))
    .await
    .err()
    .unwrap();
    assert_eq!(
        err,
        format!(
            "store: store: TLS to PostgreSQL at 127.0.0.1:{} failed (sslmode=verify-full): error communicating with database: invalid peer certificate: UnknownIssuer; sslrootcert in the database URL must name the file of the CA that issued the server's certificate",
            cluster.port
        )
    );
}

/// Against a server without TLS: `require` fails saying so, and the default `prefer` connects
/// in plaintext, which `encrypted` reports (no warning: the address is loopback).
#[tokio::test]
async fn postgres_without_tls_require_fails_and_prefer_is_plaintext() {
    let Some(cluster) = Cluster::start(&Ca::new("unused"), false) else {
        assert!(
            !pg::required(),
            "no PostgreSQL binaries under /usr/lib/postgresql"
        );
        eprintln!("skipped: no PostgreSQL binaries under /usr/lib/postgresql");
        return;
    };
    let err = coffer_store::PostgresStore::connect(&cluster.url("?sslmode=require"))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "store: TLS to PostgreSQL at 127.0.0.1:{} failed (sslmode=require): error occurred while attempting to establish a TLS connection: server does not support TLS; the server offers no TLS: turn ssl on in its postgresql.conf",
            cluster.port
        )
    );
    let store = coffer_store::PostgresStore::connect(&cluster.url(""))
        .await
        .unwrap();
    assert!(!store.encrypted().await.unwrap());
    store.close().await;
}
