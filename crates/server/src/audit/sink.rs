//! Where audit lines go: the [`Sink`] trait, the append-only JSON-lines [`FileSink`] (fsync
//! per batch, rotation by size, continued chain across restarts) and [`StdoutSink`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::chain;

/// A destination for audit lines. The writer hands it whole batches, one call per group
/// commit; `append` returns only when the batch is as durable as the sink can make it.
pub trait Sink: Send + 'static {
    /// What the sink writes to, for log lines and errors.
    fn describe(&self) -> String;

    /// Appends a batch of complete lines (each ending in a newline) and makes them durable.
    /// On error, nothing of the batch may be left behind as far as the sink can help it.
    fn append(&mut self, batch: &[u8]) -> io::Result<()>;

    /// The digest of the last event the sink already holds, so that the chain goes on across
    /// restarts; `None` for a sink that keeps nothing (stdout) or holds nothing yet.
    fn last_digest(&self) -> Option<String> {
        None
    }
}

/// The most an audit file may allow: owner read-write, group read (mode 0640). New files are
/// created 0600.
pub const AUDIT_MODE_ALLOWED: u32 = 0o640;

/// How many rotated audit files are kept (`audit_retain_bytes`, `audit_retain_days`). The
/// active file is never deleted; the oldest rotated files go first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Delete the oldest rotated files while together they hold more than this (0: no limit).
    pub max_bytes: u64,
    /// Delete rotated files last modified longer ago than this (zero: no limit).
    pub max_age: std::time::Duration,
}

impl Retention {
    /// Deletes the rotated files of `path` this retention does not keep, oldest first, and
    /// returns them. The chain stays verifiable: `verify` accepts that the oldest kept event
    /// links to a deleted one.
    pub fn prune(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        if self.max_bytes == 0 && self.max_age.is_zero() {
            return Ok(Vec::new());
        }
        let mut files = Vec::new();
        for file in rotated_files(path)? {
            let metadata = fs::metadata(&file)?;
            files.push((file, metadata.len(), metadata.modified()?));
        }
        let now = std::time::SystemTime::now();
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        let mut removed = Vec::new();
        for (file, len, modified) in files {
            let too_old = !self.max_age.is_zero()
                && now
                    .duration_since(modified)
                    .is_ok_and(|age| age > self.max_age);
            let too_much = self.max_bytes > 0 && total > self.max_bytes;
            // Oldest first: once a file is young enough and the rest fit, so does every newer one.
            if !too_old && !too_much {
                break;
            }
            fs::remove_file(&file)?;
            tracing::info!(file = %file.display(), bytes = len, "deleted a rotated audit file past audit_retain_bytes or audit_retain_days");
            total -= len;
            removed.push(file);
        }
        if !removed.is_empty() {
            sync_dir(path)?;
        }
        Ok(removed)
    }
}

/// The append-only audit file. Rotated files sit beside it as `<name>.000001`, `<name>.000002`,
/// … (oldest first, so a shell glob lists them in order).
pub struct FileSink {
    path: PathBuf,
    max_bytes: u64,
    file: Option<File>,
    /// The (device, inode) of the open file: when the path names another file (or nothing),
    /// the sink reopens it rather than writing on into a file nobody can see.
    identity: (u64, u64),
    len: u64,
    last: Option<String>,
    retention: Retention,
}

impl FileSink {
    /// Opens (or creates, mode 0600) the audit file at `path`, rotating it once it would pass
    /// `max_bytes` (0: never). A torn last line left by a crash is cut off; the chain goes on
    /// from the last complete event of the file, or of the newest rotated file.
    pub fn open(path: &Path, max_bytes: u64) -> io::Result<Self> {
        Self::open_retained(path, max_bytes, Retention::default())
    }

    /// [`FileSink::open`], deleting rotated files `retention` does not keep: now, and after
    /// every rotation.
    pub fn open_retained(path: &Path, max_bytes: u64, retention: Retention) -> io::Result<Self> {
        let mut last = None;
        if path.exists() {
            if let Some((digest, end)) = chain::last_link(path)? {
                last = Some(digest);
                let len = fs::metadata(path)?.len();
                if len > end {
                    tracing::warn!(file = %path.display(), bytes = len - end, "cutting off a torn last line of the audit file");
                    OpenOptions::new().write(true).open(path)?.set_len(end)?;
                }
            } else if fs::metadata(path)?.len() > 0 {
                tracing::warn!(file = %path.display(), "cutting off a torn line of the audit file");
                OpenOptions::new().write(true).open(path)?.set_len(0)?;
            }
        }
        let rotated = rotated_files(path)?;
        if last.is_none() {
            if let Some(newest) = rotated.last() {
                last = chain::last_link(newest)?.map(|(digest, _)| digest);
            }
        }
        // The trail holds names and principals, never values; a log shipper's group may read
        // it, nobody else may, and only the server may write to it.
        for file in rotated
            .iter()
            .map(PathBuf::as_path)
            .chain(path.exists().then_some(path))
        {
            crate::modes::tighten_mode(file, AUDIT_MODE_ALLOWED, "audit file")?;
        }
        let mut sink = Self {
            path: path.to_owned(),
            max_bytes,
            file: None,
            identity: (0, 0),
            len: 0,
            last,
            retention,
        };
        sink.reopen()?;
        // As after a rotation: a file that cannot be deleted now is tried again at the next.
        if let Err(e) = retention.prune(path) {
            tracing::error!(file = %path.display(), error = %e, "cannot delete old rotated audit files");
        }
        Ok(sink)
    }

    /// Opens the path, creating it if needed (and then syncing the directory, so that the new
    /// file's name is as durable as its content).
    fn reopen(&mut self) -> io::Result<()> {
        self.file = None;
        let created = !self.path.exists();
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(io::Error::other(format!(
                "{} is not a regular file",
                self.path.display()
            )));
        }
        if created {
            sync_dir(&self.path)?;
        }
        self.identity = (metadata.dev(), metadata.ino());
        self.len = metadata.len();
        self.file = Some(file);
        Ok(())
    }

    /// Reopens when the path no longer names the open file (moved, deleted or replaced).
    fn ensure_open(&mut self) -> io::Result<()> {
        let current = fs::metadata(&self.path)
            .ok()
            .map(|metadata| (metadata.dev(), metadata.ino()));
        if self.file.is_none() || current != Some(self.identity) {
            self.reopen()?;
        }
        Ok(())
    }

    /// Closes the full file under the next free rotated name and starts a new one.
    fn rotate(&mut self) -> io::Result<()> {
        if let Some(file) = &self.file {
            file.sync_all()?;
        }
        let next = rotated_files(&self.path)?
            .last()
            .and_then(|newest| rotation_number(&self.path, newest))
            .map_or(1, |n| n + 1);
        let target = rotated_name(&self.path, next);
        fs::rename(&self.path, &target)?;
        sync_dir(&self.path)?;
        tracing::info!(file = %self.path.display(), rotated = %target.display(), "rotated the audit file");
        self.reopen()?;
        // The batch waiting for this rotation does not depend on the pruning: a file that
        // cannot be deleted now is tried again at the next rotation.
        if let Err(e) = self.retention.prune(&self.path) {
            tracing::error!(file = %self.path.display(), error = %e, "cannot delete old rotated audit files");
        }
        Ok(())
    }
}

impl Sink for FileSink {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn append(&mut self, batch: &[u8]) -> io::Result<()> {
        self.ensure_open()?;
        if self.max_bytes > 0 && self.len > 0 && self.len + batch.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let before = self.len;
        let Some(file) = self.file.as_mut() else {
            return Err(io::Error::other("the audit file is not open"));
        };
        let written = file.write_all(batch).and_then(|()| file.sync_data());
        if let Err(e) = written {
            // A partial batch would be a torn line in the middle of the file: cut it off, so
            // that the retry appends to a clean end.
            let _ = file.set_len(before);
            self.file = None;
            return Err(e);
        }
        self.len = before + batch.len() as u64;
        Ok(())
    }

    fn last_digest(&self) -> Option<String> {
        self.last.clone()
    }
}

/// Syncs the directory holding `path`, making a created or renamed name durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// The name of the `n`th rotated file of `path`.
pub fn rotated_name(path: &Path, n: u64) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n:06}"));
    PathBuf::from(name)
}

fn rotation_number(path: &Path, rotated: &Path) -> Option<u64> {
    let base = path.file_name()?.to_str()?;
    let name = rotated.file_name()?.to_str()?;
    let suffix = name.strip_prefix(base)?.strip_prefix('.')?;
    if suffix.len() < 6 || !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    suffix.parse().ok()
}

/// The rotated files of the audit file at `path`, oldest first (not the active file itself).
pub fn rotated_files(path: &Path) -> io::Result<Vec<PathBuf>> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut found: Vec<(u64, PathBuf)> = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let candidate = entry?.path();
        if let Some(n) = rotation_number(path, &candidate) {
            found.push((n, candidate));
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

/// Every file of an audit trail, oldest first: the rotated files, then the active one.
pub fn trail_files(path: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = rotated_files(path)?;
    if path.exists() {
        files.push(path.to_owned());
    }
    Ok(files)
}

/// Standard output: each batch written and flushed. It keeps nothing, so it cannot continue a
/// chain; its lines carry the same links as the file's.
pub struct StdoutSink;

impl Sink for StdoutSink {
    fn describe(&self) -> String {
        "stdout".into()
    }

    fn append(&mut self, batch: &[u8]) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(batch)?;
        out.flush()
    }
}
