//! Online backups (`coffer admin backup` and `restore`): a consistent cut of a running
//! deployment's rows, ciphertexts as they are, written to one file with a manifest (row counts
//! and the [`Summary`] checksum) that `restore` checks before it writes anything.
//!
//! The backup file is itself a coffer SQLite database (the schema this binary writes) with one
//! extra table, `coffer_backup`, holding the manifest, whichever engine it was taken from:
//! it can be inspected with `sqlite3` and restored into either engine. The root key is never in
//! it (coffer never stores the root key in the database): a backup is useless without the
//! root key, which is kept apart and restored apart.
//!
//! What is carried is what [`Snapshot`] carries (the tables `migrate-store` copies) plus every
//! audit trail's chain head; a table that is not in [`Snapshot`] is not in a backup.

use coffer_core::store::AuditHead;

use crate::transfer::Snapshot;

/// The version of the backup file's layout this binary writes and reads.
pub const FORMAT: i64 = 1;

/// The name of the manifest table in a backup file.
pub const MANIFEST_TABLE: &str = "coffer_backup";

/// A consistent cut of a store: every row of the [`Snapshot`] tables and the audit heads, all
/// read in one transaction.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Backup {
    /// The rows.
    pub snapshot: Snapshot,
    /// Every audit trail's chain head at the cut.
    pub audit_heads: Vec<AuditHead>,
}

impl std::fmt::Debug for Backup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only, as Snapshot's: the rows hold sealed material.
        write!(
            f,
            "Backup({:?}, audit_heads={})",
            self.snapshot.summary(),
            self.audit_heads.len()
        )
    }
}

/// What a backup file says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The layout version ([`FORMAT`]).
    pub format: i64,
    /// The engine the backup was taken from: `sqlite` or `postgresql`.
    pub source: String,
    /// When the backup was taken (RFC 3339).
    pub created: String,
    /// The coffer version that took it.
    pub coffer_version: String,
    /// Row counts and the checksum of the rows, as [`crate::transfer::Summary`] displays them.
    pub summary: String,
    /// How many audit chain heads it carries.
    pub audit_heads: usize,
}

impl std::fmt::Display for Manifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "format={} source={} created={} coffer={} {} audit_heads={}",
            self.format,
            self.source,
            self.created,
            self.coffer_version,
            self.summary,
            self.audit_heads
        )
    }
}
