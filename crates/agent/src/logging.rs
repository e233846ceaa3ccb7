//! Where the log goes (`log_to_file`, `log_level`), as AWS's agent does it: to
//! `logs/coffer_agent.log` under the working directory (AWS's: `logs/secrets_manager_agent.log`),
//! rotated by size (10 MiB) into `logs/archive/coffer_agent_0.log` … `_4.log` (newest first, five
//! kept; AWS's agent gzips its archives, ours stay plain text), or to stderr; with
//! `log_level = "NONE"` nowhere at all (no file is created). No line carries a secret value.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::{Config, LogLevel};

/// The log file, relative to the working directory.
pub const LOG_FILE: &str = "logs/coffer_agent.log";
/// The size at which the log file is rotated (AWS's agent: 10 MB).
pub const MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;
/// How many rotated files are kept (AWS's agent: 5).
pub const KEPT_ARCHIVES: usize = 5;

/// A file that is moved to `archive/<stem>_0.<ext>` (older ones shifted up, the oldest beyond
/// `keep` removed) before a write would take it past `max_bytes`.
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: File,
    written: u64,
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o640);
    }
    options.open(path)
}

impl RotatingFile {
    /// Opens (creating it and its directory) `path` for appending.
    pub fn open(path: impl Into<PathBuf>, max_bytes: u64, keep: usize) -> io::Result<RotatingFile> {
        let path = path.into();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = open_append(&path)?;
        let written = file.metadata()?.len();
        Ok(RotatingFile {
            path,
            max_bytes,
            keep,
            file,
            written,
        })
    }

    /// The path of the `n`th archive (0 is the newest).
    pub fn archive(&self, n: usize) -> PathBuf {
        archive_path(&self.path, n)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            if let Some(dir) = self.archive(0).parent() {
                std::fs::create_dir_all(dir)?;
            }
            let _ = std::fs::remove_file(self.archive(self.keep - 1));
            for n in (0..self.keep - 1).rev() {
                let from = self.archive(n);
                if from.exists() {
                    std::fs::rename(&from, self.archive(n + 1))?;
                }
            }
            std::fs::rename(&self.path, self.archive(0))?;
        }
        self.file = open_append(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

/// `dir/archive/<stem>_<n>.<ext>` for `dir/<stem>.<ext>`.
pub fn archive_path(path: &Path, n: usize) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new("."));
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}_{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}_{n}"),
    };
    dir.join("archive").join(name)
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written > 0 && self.written + buf.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Installs the global logger the configuration asks for. Fails only when the log file cannot
/// be opened.
pub fn init(config: &Config) -> io::Result<()> {
    if config.log_level == LogLevel::None {
        return Ok(());
    }
    let filter = tracing_subscriber::EnvFilter::new(config.log_level.filter());
    if config.log_to_file {
        let file = RotatingFile::open(LOG_FILE, MAX_LOG_BYTES, KEPT_ARCHIVES)?;
        tracing_subscriber::fmt()
            .with_writer(Mutex::new(file))
            .with_ansi(false)
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_writer(io::stderr)
            .with_env_filter(filter)
            .init();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_five() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/coffer_agent.log");
        let mut file = RotatingFile::open(&path, 10, 5).unwrap();
        // Each line is 6 bytes: a second one would pass 10 bytes, so each write rotates.
        for i in 0..8 {
            file.write_all(format!("line{i}\n").as_bytes()).unwrap();
        }
        file.flush().unwrap();
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(path.clone()), "line7\n");
        assert_eq!(read(file.archive(0)), "line6\n");
        assert_eq!(read(file.archive(4)), "line2\n");
        assert!(!file.archive(5).exists());
        assert_eq!(
            file.archive(0),
            dir.path().join("logs/archive/coffer_agent_0.log")
        );
        // Reopening appends and counts what is there.
        let mut again = RotatingFile::open(&path, 100, 5).unwrap();
        again.write_all(b"more\n").unwrap();
        assert_eq!(read(path), "line7\nmore\n");
    }
}
