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
    /// The IAM user owning the key; `None` for the account's root user.
    pub user_name: Option<String>,
}

/// One row of `principals`: an IAM user or role.
#[derive(Clone, PartialEq, Eq)]
pub struct PrincipalRow {
    /// Its account.
    pub account_id: String,
    /// `user` or `role`.
    pub kind: String,
    /// The lower-cased name (IAM names are unique ignoring case).
    pub name_key: String,
    /// The name, as created.
    pub name: String,
    /// The IAM path.
    pub path: String,
    /// IAM's unique id (`AIDA…`, `AROA…`).
    pub principal_id: String,
    /// Creation time (ms).
    pub created_ms: i64,
    /// The tags, as stored: a JSON array of `[key, value]` pairs.
    pub tags: String,
    /// A role's trust policy.
    pub trust_policy: Option<String>,
    /// A role's description.
    pub description: Option<String>,
    /// A role's longest session, in seconds.
    pub max_session_secs: Option<i64>,
}

/// One row of `inline_policies`.
#[derive(Clone, PartialEq, Eq)]
pub struct InlinePolicyRow {
    /// The principal's account.
    pub account_id: String,
    /// The principal's kind, `user` or `role`.
    pub kind: String,
    /// The principal's lower-cased name.
    pub principal_key: String,
    /// The policy's name.
    pub policy_name: String,
    /// The policy document.
    pub document: String,
}

/// One row of `iam_objects`: a managed policy or a group.
#[derive(Clone, PartialEq, Eq)]
pub struct IamObjectRow {
    /// Its account.
    pub account_id: String,
    /// `policy` or `group`.
    pub kind: String,
    /// The lower-cased name.
    pub name_key: String,
    /// The name, as created.
    pub name: String,
    /// The rest, as stored (JSON).
    pub body: String,
}

/// One row of `iam_links`.
#[derive(Clone, PartialEq, Eq)]
pub struct IamLinkRow {
    /// The account.
    pub account_id: String,
    /// `user`, `role` or `group`.
    pub source_kind: String,
    /// The source's lower-cased name.
    pub source_key: String,
    /// `policy`, `aws-policy` or `group`.
    pub target_kind: String,
    /// The target's lower-cased name.
    pub target_key: String,
    /// When the link was made (ms).
    pub created_ms: i64,
}

/// One row of `login_profiles` (a password's Argon2id hash, never the password).
#[derive(Clone, PartialEq, Eq)]
pub struct LoginProfileRow {
    /// The user's account.
    pub account_id: String,
    /// The user's lower-cased name.
    pub name_key: String,
    /// The user's name.
    pub user_name: String,
    /// The user's unique id.
    pub user_id: String,
    /// The Argon2id hash (PHC string).
    pub password_hash: String,
    /// Whether a new password is required at the next sign-in.
    pub password_reset_required: bool,
    /// Creation time (ms).
    pub created_ms: i64,
}

/// One row of `kms_keys`: a customer key, its material (every generation) sealed under the
/// root key, never plaintext.
#[derive(Clone, PartialEq, Eq)]
pub struct KmsKeyRow {
    /// The key's account.
    pub account_id: String,
    /// The key's region.
    pub region: String,
    /// The key id (a UUID).
    pub key_id: String,
    /// Its description.
    pub description: String,
    /// Creation time (ms).
    pub created_ms: i64,
    /// `Enabled`, `Disabled`, `PendingDeletion`.
    pub state: String,
    /// When a scheduled deletion takes effect (ms).
    pub deletion_ms: Option<i64>,
    /// The pending window of a scheduled deletion (days).
    pub pending_window_days: Option<i64>,
    /// The key policy (JSON).
    pub policy: String,
    /// The tags (a JSON array of pairs).
    pub tags: String,
    /// The root-keyring key that sealed the material.
    pub sealer_key_id: String,
    /// The wrapped data key of the sealed material.
    pub wrapped_key: Vec<u8>,
    /// The sealed material.
    pub material: Vec<u8>,
}

/// One row of `kms_aliases`.
#[derive(Clone, PartialEq, Eq)]
pub struct KmsAliasRow {
    /// The alias's account.
    pub account_id: String,
    /// The alias's region.
    pub region: String,
    /// `alias/…`.
    pub alias_name: String,
    /// The key it names.
    pub target_key_id: String,
    /// Creation time (ms).
    pub created_ms: i64,
    /// Last repointed (ms).
    pub updated_ms: i64,
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
    /// The resource policy attached to it.
    pub resource_policy: Option<String>,
    /// Whether the secret has ever had a tag (`"Tags": []` once the last is removed).
    pub tagged: bool,
    /// The rotation state (JSON), if rotation was ever configured.
    pub rotation: Option<String>,
    /// When the rotation scheduler next looks at the secret (ms).
    pub rotation_due_ms: Option<i64>,
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

/// Every row of every table of a store, each table sorted by its primary key (text compared
/// byte by byte, so that both engines list rows in the same order whatever their collation).
/// The tables are in foreign-key order: each refers only to tables before it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// `accounts`: id and creation time (ms).
    pub accounts: Vec<(String, i64)>,
    /// `principals`.
    pub principals: Vec<PrincipalRow>,
    /// `inline_policies`.
    pub inline_policies: Vec<InlinePolicyRow>,
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
    /// `iam_objects`.
    pub iam_objects: Vec<IamObjectRow>,
    /// `iam_links`.
    pub iam_links: Vec<IamLinkRow>,
    /// `login_profiles` (last: added after the others, it refers only to `accounts`).
    pub login_profiles: Vec<LoginProfileRow>,
    /// `kms_keys` (refers only to `accounts`).
    pub kms_keys: Vec<KmsKeyRow>,
    /// `kms_aliases` (refers to `kms_keys`).
    pub kms_aliases: Vec<KmsAliasRow>,
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
    /// Rows per table, in the order of [`Snapshot`]'s fields.
    pub counts: [(&'static str, usize); 13],
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
    fn count(&mut self, n: usize) -> &mut Self {
        self.bytes(&(n as u64).to_be_bytes())
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
        // Each table starts with its name and row count, so that no row of one table can be
        // read as part of another's.
        e.text("accounts").count(self.accounts.len());
        for (id, created) in &self.accounts {
            e.text(id).int(*created);
        }
        e.text("principals").count(self.principals.len());
        for p in &self.principals {
            e.text(&p.account_id)
                .text(&p.kind)
                .text(&p.name_key)
                .text(&p.name)
                .text(&p.path)
                .text(&p.principal_id)
                .int(p.created_ms)
                .text(&p.tags)
                .opt_text(&p.trust_policy)
                .opt_text(&p.description)
                .opt_int(p.max_session_secs);
        }
        e.text("inline_policies").count(self.inline_policies.len());
        for p in &self.inline_policies {
            e.text(&p.account_id)
                .text(&p.kind)
                .text(&p.principal_key)
                .text(&p.policy_name)
                .text(&p.document);
        }
        e.text("access_keys").count(self.access_keys.len());
        for k in &self.access_keys {
            e.text(&k.access_key_id)
                .text(&k.account_id)
                .text(&k.principal_arn)
                .text(&k.key_id)
                .bytes(&k.wrapped_key)
                .bytes(&k.ciphertext)
                .int(k.created_ms)
                .int(i64::from(k.active))
                .opt_text(&k.user_name);
        }
        e.text("secrets").count(self.secrets.len());
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
                .opt_int(s.deletion_due_ms)
                .opt_text(&s.resource_policy)
                .int(i64::from(s.tagged))
                .opt_text(&s.rotation)
                .opt_int(s.rotation_due_ms);
        }
        e.text("versions").count(self.versions.len());
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
        e.text("labels").count(self.labels.len());
        for l in &self.labels {
            e.text(&l.secret_id)
                .text(&l.label)
                .text(&l.version_id)
                .int(l.position);
        }
        e.text("tags").count(self.tags.len());
        for t in &self.tags {
            e.text(&t.secret_id)
                .text(&t.key)
                .text(&t.value)
                .int(t.position);
        }
        e.text("iam_objects").count(self.iam_objects.len());
        for o in &self.iam_objects {
            e.text(&o.account_id)
                .text(&o.kind)
                .text(&o.name_key)
                .text(&o.name)
                .text(&o.body);
        }
        e.text("iam_links").count(self.iam_links.len());
        for l in &self.iam_links {
            e.text(&l.account_id)
                .text(&l.source_kind)
                .text(&l.source_key)
                .text(&l.target_kind)
                .text(&l.target_key)
                .int(l.created_ms);
        }
        e.text("login_profiles").count(self.login_profiles.len());
        for l in &self.login_profiles {
            e.text(&l.account_id)
                .text(&l.name_key)
                .text(&l.user_name)
                .text(&l.user_id)
                .text(&l.password_hash)
                .int(i64::from(l.password_reset_required))
                .int(l.created_ms);
        }
        e.text("kms_keys").count(self.kms_keys.len());
        for k in &self.kms_keys {
            e.text(&k.account_id)
                .text(&k.region)
                .text(&k.key_id)
                .text(&k.description)
                .int(k.created_ms)
                .text(&k.state)
                .opt_int(k.deletion_ms)
                .opt_int(k.pending_window_days)
                .text(&k.policy)
                .text(&k.tags)
                .text(&k.sealer_key_id)
                .bytes(&k.wrapped_key)
                .bytes(&k.material);
        }
        e.text("kms_aliases").count(self.kms_aliases.len());
        for a in &self.kms_aliases {
            e.text(&a.account_id)
                .text(&a.region)
                .text(&a.alias_name)
                .text(&a.target_key_id)
                .int(a.created_ms)
                .int(a.updated_ms);
        }
        Summary {
            counts: [
                ("accounts", self.accounts.len()),
                ("principals", self.principals.len()),
                ("inline_policies", self.inline_policies.len()),
                ("access_keys", self.access_keys.len()),
                ("secrets", self.secrets.len()),
                ("versions", self.versions.len()),
                ("labels", self.labels.len()),
                ("tags", self.tags.len()),
                ("iam_objects", self.iam_objects.len()),
                ("iam_links", self.iam_links.len()),
                ("login_profiles", self.login_profiles.len()),
                ("kms_keys", self.kms_keys.len()),
                ("kms_aliases", self.kms_aliases.len()),
            ],
            sha256: hex(e.0.finish().as_ref()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row in every table, every nullable column set.
    fn sample() -> Snapshot {
        Snapshot {
            accounts: vec![("123456789012".into(), 1)],
            principals: vec![PrincipalRow {
                account_id: "123456789012".into(),
                kind: "role".into(),
                name_key: "deployer".into(),
                name: "Deployer".into(),
                path: "/".into(),
                principal_id: "AROADEPLOYER".into(),
                created_ms: 2,
                tags: r#"[["team","a"]]"#.into(),
                trust_policy: Some("{}".into()),
                description: Some("deploys".into()),
                max_session_secs: Some(3600),
            }],
            inline_policies: vec![InlinePolicyRow {
                account_id: "123456789012".into(),
                kind: "role".into(),
                principal_key: "deployer".into(),
                policy_name: "read".into(),
                document: "{}".into(),
            }],
            access_keys: vec![AccessKeyRow {
                access_key_id: "AKIA0000000000000001".into(),
                account_id: "123456789012".into(),
                principal_arn: "arn:aws:iam::123456789012:user/alice".into(),
                key_id: "k1".into(),
                wrapped_key: vec![1],
                ciphertext: vec![2],
                created_ms: 3,
                active: true,
                user_name: Some("alice".into()),
            }],
            secrets: vec![SecretRow {
                id: "s1".into(),
                account_id: "123456789012".into(),
                region: "us-east-1".into(),
                name: "db".into(),
                suffix: "AbCdEf".into(),
                description: None,
                kms_key_id: None,
                created_ms: 4,
                last_changed_ms: 4,
                last_accessed_ms: None,
                deleted_ms: None,
                deletion_due_ms: None,
                resource_policy: Some("{}".into()),
                tagged: false,
                rotation: None,
                rotation_due_ms: None,
            }],
            iam_objects: vec![IamObjectRow {
                account_id: "123456789012".into(),
                kind: "group".into(),
                name_key: "ops".into(),
                name: "Ops".into(),
                body: "{}".into(),
            }],
            iam_links: vec![IamLinkRow {
                account_id: "123456789012".into(),
                source_kind: "role".into(),
                source_key: "deployer".into(),
                target_kind: "aws-policy".into(),
                target_key: "secretsmanagerreadwrite".into(),
                created_ms: 3,
            }],
            login_profiles: vec![LoginProfileRow {
                account_id: "123456789012".into(),
                name_key: "alice".into(),
                user_name: "Alice".into(),
                user_id: "AIDAALICE".into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                password_reset_required: false,
                created_ms: 5,
            }],
            ..Snapshot::default()
        }
    }

    /// An edit of one field of [`sample`].
    type Change = fn(&mut Snapshot);

    /// A change confined to any one of the IAM columns changes the checksum (the counts stay
    /// equal), so a copy that lost or altered one fails `migrate-store`'s verification.
    #[test]
    fn every_iam_column_is_in_the_checksum() {
        let base = sample().summary();
        let changes: [(&str, Change); 14] = [
            ("password_hash", |s| {
                s.login_profiles[0].password_hash = "$argon2id$other".into()
            }),
            ("password_reset_required", |s| {
                s.login_profiles[0].password_reset_required = true
            }),
            ("resource_policy", |s| s.secrets[0].resource_policy = None),
            ("tagged", |s| s.secrets[0].tagged = true),
            ("user_name", |s| s.access_keys[0].user_name = None),
            ("principal name", |s| {
                s.principals[0].name = "deployer".into()
            }),
            ("path", |s| s.principals[0].path = "/ci/".into()),
            ("principal_id", |s| {
                s.principals[0].principal_id = "AROAX".into()
            }),
            ("principal tags", |s| s.principals[0].tags = "[]".into()),
            ("trust_policy", |s| s.principals[0].trust_policy = None),
            ("description", |s| s.principals[0].description = None),
            ("max_session_secs", |s| {
                s.principals[0].max_session_secs = Some(7200)
            }),
            ("policy_name", |s| {
                s.inline_policies[0].policy_name = "write".into()
            }),
            ("document", |s| s.inline_policies[0].document = "{ }".into()),
        ];
        for (what, change) in changes {
            let mut changed = sample();
            change(&mut changed);
            let summary = changed.summary();
            assert_eq!(summary.counts, base.counts, "{what}");
            assert_ne!(summary.sha256, base.sha256, "{what} is not in the checksum");
        }
    }

    /// The new tables are counted, in foreign-key order.
    #[test]
    fn summary_counts_every_table() {
        let names: Vec<_> = sample().summary().counts.iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            [
                "accounts",
                "principals",
                "inline_policies",
                "access_keys",
                "secrets",
                "versions",
                "labels",
                "tags",
                "iam_objects",
                "iam_links",
                "login_profiles",
                "kms_keys",
                "kms_aliases"
            ]
        );
        assert_eq!(sample().summary().counts[8], ("iam_objects", 1));
        assert_eq!(sample().summary().counts[9], ("iam_links", 1));
        assert_eq!(sample().summary().counts[1], ("principals", 1));
        assert_eq!(sample().summary().counts[2], ("inline_policies", 1));
    }

    /// A copy that lost a row fails on the checksum too, not only on the counts.
    #[test]
    fn a_lost_row_changes_the_checksum() {
        let mut without_policy = sample();
        without_policy.inline_policies.clear();
        assert_ne!(without_policy.summary().sha256, sample().summary().sha256);
    }
}
