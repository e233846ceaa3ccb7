//! The data directory: created on first start with mode 0700; the keyring's root key file
//! (0600, never inside the database); the credentials file of the first access key (0600, in the
//! AWS shared-credentials format).
//!
//! Modes found wrong at start (docs/security.md, "Files and modes"): a file holding key material
//! (the root key, a credentials file, the metrics token, the TLS key) that group or others may
//! access is refused, since what it holds may already have been read and only the operator can
//! judge that; the data directory, the database and its WAL and shared-memory files and the lock
//! file are tightened to 0700/0600 and the change is logged, since their contents are sealed or
//! empty and closing the door is all there is to do.

use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use coffer_core::crypto::{Keyring, KEY_LEN};
use coffer_core::service::Credentials;
use zeroize::Zeroizing;

use crate::config::Config;
use crate::modes::tighten_mode;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A file or directory problem.
    #[error("{what} {path}: {source}")]
    Io {
        /// What we were doing.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The root key is not usable.
    #[error("root key: {0}")]
    RootKey(String),
    /// The store could not be opened or initialised.
    #[error("store: {0}")]
    Store(#[from] coffer_core::Error),
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The TLS certificate or key is not usable.
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// A file holding key material may be read by group or others.
    #[error(
        "{} holds {what} but is accessible by group or others (mode {mode:o}); run chmod 600 on it, \
         and replace what it holds if someone else may have read it",
        path.display()
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// What it holds.
        what: &'static str,
        /// Its permission bits.
        mode: u32,
    },
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StartError + 'a {
    move |source| StartError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// Creates the data directory with mode 0700 in the one `mkdir` call (so that it never exists
/// with the umask's mode), or tightens an existing one to 0700. Missing parents are created with
/// the umask's mode: they hold nothing of ours.
pub fn ensure_data_dir(dir: &Path) -> Result<(), StartError> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .map_err(io("creating the parent of the data directory", parent))?;
    }
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => return Ok(()),
        // Exists already (or was made a moment ago by another process): check it below.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io("creating data directory", dir)(e)),
    }
    if !fs::metadata(dir)
        .map_err(io("reading data directory", dir))?
        .is_dir()
    {
        return Err(StartError::Config(format!(
            "the data directory {} is not a directory",
            dir.display()
        )));
    }
    tighten_mode(dir, 0o700, "data directory").map_err(io("securing data directory", dir))
}

/// [`tighten_mode`] for a file that may not exist (SQLite's WAL and shared-memory files exist
/// only while a connection has the database open, or after a crash).
pub fn tighten_if_present(path: &Path, allowed: u32, what: &str) -> Result<(), StartError> {
    match tighten_mode(path, allowed, what) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        other => other.map_err(io("securing", path)),
    }
}

/// Refuses a file holding key material that group or others may access.
fn refuse_exposed(path: &Path, what: &'static str) -> Result<(), StartError> {
    let mode = fs::metadata(path)
        .map_err(io("reading", path))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(StartError::Exposed {
            path: path.to_owned(),
            what,
            mode,
        });
    }
    Ok(())
}

/// Refuses to start while a credentials file of the data directory (`credentials`, or an admin
/// command's `credentials-<access key id>`) may be read by group or others: the secret key in it
/// may already be known, and only the operator can decide whether to rotate it.
pub fn check_credentials_files(dir: &Path) -> Result<(), StartError> {
    for entry in fs::read_dir(dir).map_err(io("reading data directory", dir))? {
        let path = entry.map_err(io("reading data directory", dir))?.path();
        let is_credentials = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|name| {
                name == crate::CREDENTIALS_FILE
                    || name.starts_with(&format!("{}-", crate::CREDENTIALS_FILE))
            });
        if is_credentials {
            refuse_exposed(&path, "an access key's secret key")?;
        }
    }
    Ok(())
}

fn decode_root_key(text: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, StartError> {
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| StartError::RootKey("not valid base64".into()))?,
    );
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        return Err(StartError::RootKey(format!(
            "must be {KEY_LEN} bytes, base64-encoded"
        )));
    }
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// Loads the root key from `root_key` (environment) or the root key file, creating the file
/// (0600) with a fresh key when neither exists. A file readable by group or others is refused.
pub fn load_root_key(config: &Config) -> Result<Zeroizing<[u8; KEY_LEN]>, StartError> {
    if let Some(text) = &config.root_key {
        return decode_root_key(text.expose());
    }
    let path = config.root_key_path();
    if path.exists() {
        let mode = fs::metadata(&path)
            .map_err(io("reading root key file", &path))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(StartError::RootKey(format!(
                "{} is accessible by group or others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            )));
        }
        let text =
            Zeroizing::new(fs::read_to_string(&path).map_err(io("reading root key file", &path))?);
        return decode_root_key(&text);
    }
    let key = Keyring::generate_root_key()?;
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(key.as_ref()));
    write_private(&path, format!("{}\n", encoded.as_str()).as_bytes())?;
    Ok(key)
}

/// The bearer token `/metrics` requires, from `metrics_token` or `metrics_token_file` (whose
/// mode must keep group and others out, as the root key file's does); `None` when neither is
/// set. Surrounding whitespace (a file's trailing newline) is not part of the token.
pub fn load_metrics_token(config: &Config) -> Result<Option<Zeroizing<String>>, StartError> {
    let text = match (&config.metrics_token, &config.metrics_token_file) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(StartError::Config(
                "metrics_token and metrics_token_file are both set; set one".into(),
            ))
        }
        (Some(token), None) => Zeroizing::new(token.clone()),
        (None, Some(path)) => {
            let mode = fs::metadata(path)
                .map_err(io("reading metrics token file", path))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(StartError::Config(format!(
                    "{} is accessible by group or others (mode {:o}); run chmod 600 on it",
                    path.display(),
                    mode & 0o777
                )));
            }
            Zeroizing::new(
                fs::read_to_string(path).map_err(io("reading metrics token file", path))?,
            )
        }
    };
    let token = text.trim();
    if token.is_empty() {
        return Err(StartError::Config("the metrics token is empty".into()));
    }
    Ok(Some(Zeroizing::new(token.to_owned())))
}

/// Creates an empty file with mode 0600 from the start (`open` with the mode: the umask can
/// only take bits away), or tightens an existing one to 0600. SQLite gives its WAL and
/// shared-memory files the permissions of the database file, so all three stay private.
pub fn ensure_private_file(path: &Path, what: &str) -> Result<(), StartError> {
    let created = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            tighten_mode(path, 0o600, what).map_err(io("securing", path))
        }
        Err(e) => Err(io("creating", path)(e)),
    }
}

/// Writes a new file readable by its owner only; never overwrites.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), StartError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io("creating", path))?;
    file.write_all(contents).map_err(io("writing", path))?;
    file.sync_all().map_err(io("syncing", path))?;
    Ok(())
}

/// Writes an access key pair as a `[default]` profile in the AWS shared-credentials format.
pub fn write_credentials(path: &Path, credentials: &Credentials) -> Result<(), StartError> {
    let text = Zeroizing::new(format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        credentials.access_key_id,
        credentials.secret_access_key.as_str()
    ));
    write_private(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RootKeyText;

    #[test]
    fn root_key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let first = load_root_key(&config).expect("created");
        let mode = fs::metadata(config.root_key_path())
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_root_key(&config).expect("loaded");
        assert_eq!(first.as_ref(), again.as_ref());
    }

    #[test]
    fn metrics_token_comes_from_a_private_file_or_the_config() {
        let dir = tempfile::tempdir().expect("ok");
        let path = dir.path().join("metrics.token");
        fs::write(&path, "tok-123\n").expect("ok");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("ok");
        let mut config = Config {
            metrics_token_file: Some(path.clone()),
            ..Config::default()
        };
        assert!(matches!(
            load_metrics_token(&config),
            Err(StartError::Config(_))
        ));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("ok");
        let token = load_metrics_token(&config).expect("ok").expect("ok");
        assert_eq!(token.as_str(), "tok-123");
        config.metrics_token = Some("other".into());
        assert!(load_metrics_token(&config).is_err());
        config.metrics_token_file = None;
        assert_eq!(
            load_metrics_token(&config)
                .expect("ok")
                .expect("ok")
                .as_str(),
            "other"
        );
        config.metrics_token = Some("  ".into());
        assert!(load_metrics_token(&config).is_err());
        assert!(load_metrics_token(&Config::default())
            .expect("ok")
            .is_none());
    }

    #[test]
    fn readable_root_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        load_root_key(&config).expect("created");
        fs::set_permissions(config.root_key_path(), fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let err = load_root_key(&config).expect_err("refused");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn root_key_from_environment_must_be_32_bytes() {
        let config = Config {
            root_key: Some(RootKeyText::new(
                base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
            )),
            ..Config::default()
        };
        assert_eq!(load_root_key(&config).expect("valid").as_ref(), &[7u8; 32]);
        let short = Config {
            root_key: Some(RootKeyText::new(
                base64::engine::general_purpose::STANDARD.encode([7u8; 16]),
            )),
            ..Config::default()
        };
        assert!(load_root_key(&short).is_err());
    }
}
