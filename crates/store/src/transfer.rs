//! Moving a deployment between engines (`coffer admin migrate-store`): every row of every table
//! in an engine-neutral [`Snapshot`], copied as it is. Ciphertexts are never opened, so the move
//! needs no root key and cannot change a value; [`Summary`] (row counts and a SHA-256 over every
//! row in a canonical encoding) lets the copy be checked against the source.

use aws_lc_rs::digest;

/// One row of `access_keys`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyRow {
    /// The access key id.
    pub access_key_id: String,
    /// Its account.
    pub account_id: String,
    /// The principal's ARN.
    pub principal_arn: String,
    /// The keyring key that wrapped the data key.
    pub key_id: String,
    /// The wrapped data key.
    pub wrapped_key: Vec<u8>,
    /// The sealed secret access key.
    pub ciphertext: Vec<u8>,
    /// Creation time, milliseconds since the epoch.
    pub created_ms: i64,
    /// Whether the key may sign requests.
    pub active: bool,
}

/// One row of `secrets`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretRow {
    /// The secret's id.
    pub id: String,
    /// Its account.
    pub account_id: String,
    /// Its region.
    pub region: String,
    /// Its name.
    pub name: String,
    /// The ARN's random suffix.
    pub suffix: String,
    /// The description.
    pub description: Option<String>,
    /// The KMS key id it was given.
    pub kms_key_id: Option<String>,
    /// Creation time (ms).
    pub created_ms: i64,
    /// Last change (ms).
    pub last_changed_ms: i64,
    /// Last access day (ms).
    pub last_accessed_ms: Option<i64>,
    /// When it was scheduled for deletion (ms).
    pub deleted_ms: Option<i64>,
    /// When its recovery window ends (ms).
    pub deletion_due_ms: Option<i64>,
}

/// One row of `versions`.
#[derive(Clone, PartialEq, Eq)]
pub struct VersionRow {
    /// The secret's id.
    pub secret_id: String,
    /// The version id.
    pub version_id: String,
    /// Creation time (ms).
    pub created_ms: i64,
    /// The KMS key id it was sealed for.
    pub kms_key_id: Option<String>,
    /// Last access day (ms).
    pub last_accessed_ms: Option<i64>,
    /// The keyring key that wrapped the data key.
    pub key_id: String,
    /// The wrapped data key.
    pub wrapped_key: Vec<u8>,
    /// The sealed value.
    pub ciphertext: Vec<u8>,
    /// `string` or `binary`.
    pub kind: String,
}

/// One row of `labels`.
#[derive(Clone, PartialEq, Eq)]
pub struct LabelRow {
    /// The secret's id.
    pub secret_id: String,
    /// The staging label.
    pub label: String,
    /// The version carrying it.
    pub version_id: String,
    /// Its position in the secret's label order.
    pub position: i64,
}

/// One row of `tags`.
#[derive(Clone, PartialEq, Eq)]
pub struct TagRow {
    /// The secret's id.
    pub secret_id: String,
    /// The tag key.
    pub key: String,
    /// The tag value.
    pub value: String,
    /// Its position in the secret's tag order.
    pub position: i64,
}

/// Every row of every table of a store, each table sorted by its primary key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// `accounts`: id and creation time (ms).
    pub accounts: Vec<(String, i64)>,
    /// `access_keys`.
    pub access_keys: Vec<AccessKeyRow>,
    /// `secrets`.
    pub secrets: Vec<SecretRow>,
    /// `versions`.
    pub versions: Vec<VersionRow>,
    /// `labels`.
    pub labels: Vec<LabelRow>,
    /// `tags`.
    pub tags: Vec<TagRow>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: the rows hold sealed material that has no business in a log.
        write!(f, "Snapshot({:?})", self.summary())
    }
}

/// Row counts per table and a checksum over every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Rows per table, in the order accounts, access_keys, secrets, versions, labels, tags.
    pub counts: [(&'static str, usize); 6],
    /// SHA-256 over every row, hex.
    pub sha256: String,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (table, count) in &self.counts {
            write!(f, "{table}={count} ")?;
        }
        write!(f, "sha256={}", self.sha256)
    }
}

/// A canonical, unambiguous encoding of fields: each one tagged and length-prefixed.
struct Encoder(digest::Context);

impl Encoder {
    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.update(&(b.len() as u64).to_be_bytes());
        self.0.update(b);
        self
    }
    fn text(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }
    fn opt_text(&mut self, s: &Option<String>) -> &mut Self {
        match s {
            Some(s) => self.bytes(b"S").text(s),
            None => self.bytes(b"N"),
        }
    }
    fn int(&mut self, n: i64) -> &mut Self {
        self.bytes(&n.to_be_bytes())
    }
    fn opt_int(&mut self, n: Option<i64>) -> &mut Self {
        match n {
            Some(n) => self.bytes(b"S").int(n),
            None => self.bytes(b"N"),
        }
    }
}

impl Snapshot {
    /// Row counts and the checksum of every row.
    pub fn summary(&self) -> Summary {
        let mut e = Encoder(digest::Context::new(&digest::SHA256));
        e.text("accounts");
        for (id, created) in &self.accounts {
            e.text(id).int(*created);
        }
        e.text("access_keys");
        for k in &self.access_keys {
            e.text(&k.access_key_id)
                .text(&k.account_id)
                .text(&k.principal_arn)
                .text(&k.key_id)
                .bytes(&k.wrapped_key)
                .bytes(&k.ciphertext)
                .int(k.created_ms)
                .int(i64::from(k.active));
        }
        e.text("secrets");
        for s in &self.secrets {
            e.text(&s.id)
                .text(&s.account_id)
                .text(&s.region)
                .text(&s.name)
                .text(&s.suffix)
                .opt_text(&s.description)
                .opt_text(&s.kms_key_id)
                .int(s.created_ms)
                .int(s.last_changed_ms)
                .opt_int(s.last_accessed_ms)
                .opt_int(s.deleted_ms)
                .opt_int(s.deletion_due_ms);
        }
        e.text("versions");
        for v in &self.versions {
            e.text(&v.secret_id)
                .text(&v.version_id)
                .int(v.created_ms)
                .opt_text(&v.kms_key_id)
                .opt_int(v.last_accessed_ms)
                .text(&v.key_id)
                .bytes(&v.wrapped_key)
                .bytes(&v.ciphertext)
                .text(&v.kind);
        }
        e.text("labels");
        for l in &self.labels {
            e.text(&l.secret_id)
                .text(&l.label)
                .text(&l.version_id)
                .int(l.position);
        }
        e.text("tags");
        for t in &self.tags {
            e.text(&t.secret_id)
                .text(&t.key)
                .text(&t.value)
                .int(t.position);
        }
        Summary {
            counts: [
                ("accounts", self.accounts.len()),
                ("access_keys", self.access_keys.len()),
                ("secrets", self.secrets.len()),
                ("versions", self.versions.len()),
                ("labels", self.labels.len()),
                ("tags", self.tags.len()),
            ],
            sha256: hex(e.0.finish().as_ref()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
