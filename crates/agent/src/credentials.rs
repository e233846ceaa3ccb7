//! `credentials_file_path`: upstream credentials from a standard AWS credentials file instead of
//! the SDK's chain, as AWS's agent reads them, re-read whenever the file changes.
//!
//! AWS's agent polls the file every five minutes. Here the file is stat'ed each time the SDK asks
//! for credentials, which (with the identity cache turned off, see `upstream.rs`) is before every
//! upstream call: a rotated key is used by the very next call, with no timer involved. A `stat`
//! per call costs microseconds against a network round trip. The file is read again only when
//! its identity (device, inode), size or modification time differ from the last read.
//!
//! While the file is missing, unreadable or malformed, the credentials last read stay in use (a
//! half-written file during a rotation must not take the agent down); before any were read, the
//! upstream call fails and the client gets the error. The agent starts while the file does not
//! exist yet. Each successful read warns when the file is readable by group or others.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};
use aws_credential_types::Credentials;
use zeroize::Zeroizing;

/// What identifies one version of the file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    device: u64,
    inode: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(metadata: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let (device, inode) = {
            use std::os::unix::fs::MetadataExt;
            (metadata.dev(), metadata.ino())
        };
        #[cfg(not(unix))]
        let (device, inode) = (0, 0);
        Stamp {
            device,
            inode,
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

/// What the provider has seen so far.
#[derive(Default)]
struct State {
    /// The version of the file last read (successfully or not); `None` while it is missing.
    seen: Option<Stamp>,
    /// The credentials last read successfully.
    current: Option<Credentials>,
    /// Whether the current trouble (missing file) was already reported.
    missing_reported: bool,
}

/// Credentials from one profile of an AWS credentials file, re-read on change.
pub struct FileCredentials {
    path: PathBuf,
    profile: String,
    state: Mutex<State>,
}

impl fmt::Debug for FileCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileCredentials")
            .field("path", &self.path)
            .field("profile", &self.profile)
            .finish()
    }
}

/// Why a credentials file could not be used. Never carries a key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    /// The profile is not in the file.
    #[error("profile [{0}] not found")]
    NoProfile(String),
    /// The profile lacks a key.
    #[error("profile [{profile}] has no {key}")]
    Missing {
        /// The profile.
        profile: String,
        /// The missing key's name.
        key: &'static str,
    },
    /// A line that is neither a section, a `key = value` pair nor a comment.
    #[error("line {0} is not `key = value`")]
    Syntax(usize),
}

/// The access key, secret key and session token of `profile` in the text of a credentials file
/// (INI: `[profile]` sections, `key = value` lines, `#` and `;` comments).
pub fn parse_profile(text: &str, profile: &str) -> Result<Credentials, FileError> {
    let mut in_profile = false;
    let mut found = false;
    let mut access_key_id: Option<String> = None;
    let mut secret_access_key: Option<Zeroizing<String>> = None;
    let mut session_token: Option<Zeroizing<String>> = None;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = name.trim() == profile;
            found |= in_profile;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            if in_profile {
                return Err(FileError::Syntax(number + 1));
            }
            continue;
        };
        if !in_profile {
            continue;
        }
        let value = value.trim();
        match key.trim() {
            "aws_access_key_id" => access_key_id = Some(value.to_owned()),
            "aws_secret_access_key" => secret_access_key = Some(Zeroizing::new(value.to_owned())),
            "aws_session_token" => session_token = Some(Zeroizing::new(value.to_owned())),
            _ => {}
        }
    }
    if !found {
        return Err(FileError::NoProfile(profile.to_owned()));
    }
    let missing = |key| FileError::Missing {
        profile: profile.to_owned(),
        key,
    };
    let access_key_id = access_key_id
        .filter(|k| !k.is_empty())
        .ok_or_else(|| missing("aws_access_key_id"))?;
    let secret_access_key = secret_access_key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| missing("aws_secret_access_key"))?;
    Ok(Credentials::new(
        access_key_id,
        secret_access_key.as_str(),
        session_token
            .filter(|t| !t.is_empty())
            .map(|t| t.as_str().to_owned()),
        None,
        "coffer-agent credentials_file_path",
    ))
}

impl FileCredentials {
    /// Reads `profile` of the file at `path` if it is there (a missing or malformed file is
    /// logged, not fatal).
    pub fn new(path: impl Into<PathBuf>, profile: impl Into<String>) -> FileCredentials {
        let provider = FileCredentials {
            path: path.into(),
            profile: profile.into(),
            state: Mutex::default(),
        };
        provider.current();
        provider
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credentials as of now: the file is re-read if it changed since the last look.
    pub fn current(&self) -> Option<Credentials> {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        let path = self.path.display();
        let metadata = match std::fs::metadata(&self.path) {
            Ok(metadata) => metadata,
            Err(e) => {
                if !state.missing_reported {
                    let keeping = if state.current.is_some() {
                        "keeping the credentials read before"
                    } else {
                        "no credentials until it appears"
                    };
                    tracing::warn!("credentials file {path}: {e}; {keeping}");
                    state.missing_reported = true;
                }
                state.seen = None;
                return state.current.clone();
            }
        };
        state.missing_reported = false;
        let stamp = Stamp::of(&metadata);
        if state.seen.as_ref() == Some(&stamp) {
            return state.current.clone();
        }
        state.seen = Some(stamp);
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => Zeroizing::new(text),
            Err(e) => {
                tracing::warn!(
                    "credentials file {path}: {e}; keeping the credentials read before, if any"
                );
                return state.current.clone();
            }
        };
        match parse_profile(&text, &self.profile) {
            Ok(credentials) => {
                warn_if_shared(&self.path, &metadata);
                tracing::info!(
                    access_key_id = credentials.access_key_id(),
                    "read credentials from {path} (profile {})",
                    self.profile
                );
                state.current = Some(credentials);
            }
            Err(e) => tracing::warn!(
                "credentials file {path}: {e}; keeping the credentials read before, if any"
            ),
        }
        state.current.clone()
    }
}

/// Warns when group or others may read the file (it holds a secret key).
fn warn_if_shared(path: &Path, metadata: &std::fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                "credentials file {} is readable by group or others (mode {mode:o}); restrict it \
                 to its owner (chmod 600)",
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, metadata);
}

impl ProvideCredentials for FileCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(self.current().ok_or_else(|| {
            CredentialsError::not_loaded(format!(
                "no credentials in {} (profile {}) yet",
                self.path.display(),
                self.profile
            ))
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn profiles_are_read_from_ini() {
        let text = "# comment\n[default]\naws_access_key_id = AK1\naws_secret_access_key=SK1\n\n\
                    [app]\n; other\naws_access_key_id=AK2\naws_secret_access_key = SK2\n\
                    aws_session_token = TOKEN\nregion = us-east-1\n";
        let c = parse_profile(text, "default").unwrap();
        assert_eq!((c.access_key_id(), c.secret_access_key()), ("AK1", "SK1"));
        assert_eq!(c.session_token(), None);
        let c = parse_profile(text, "app").unwrap();
        assert_eq!((c.access_key_id(), c.secret_access_key()), ("AK2", "SK2"));
        assert_eq!(c.session_token(), Some("TOKEN"));
    }

    #[test]
    fn malformed_files_are_refused_without_their_keys() {
        assert_eq!(
            parse_profile("[other]\naws_access_key_id=A\n", "default"),
            Err(FileError::NoProfile("default".into()))
        );
        assert_eq!(
            parse_profile("[default]\naws_access_key_id=A\n", "default"),
            Err(FileError::Missing {
                profile: "default".into(),
                key: "aws_secret_access_key"
            })
        );
        let e = parse_profile("[default]\naws_secret_access_key SECRETVALUE\n", "default");
        assert_eq!(e, Err(FileError::Syntax(2)));
        assert!(!e.unwrap_err().to_string().contains("SECRETVALUE"));
    }

    #[test]
    fn changes_are_seen_and_trouble_keeps_the_last_good_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let provider = FileCredentials::new(&path, "default");
        assert!(provider.current().is_none());
        std::fs::write(
            &path,
            "[default]\naws_access_key_id=A\naws_secret_access_key=S\n",
        )
        .unwrap();
        assert_eq!(provider.current().unwrap().access_key_id(), "A");
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(provider.current().unwrap().access_key_id(), "A");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(provider.current().unwrap().access_key_id(), "A");
        std::fs::write(
            &path,
            "[default]\naws_access_key_id=BB\naws_secret_access_key=S\n",
        )
        .unwrap();
        assert_eq!(provider.current().unwrap().access_key_id(), "BB");
    }
}
