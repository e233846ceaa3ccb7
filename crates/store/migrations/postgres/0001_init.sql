-- coffer's PostgreSQL schema, the same tables as the embedded store's. Released migrations are
-- never edited; add a new file instead. Times are milliseconds since the epoch (BIGINT), as on
-- SQLite, so that both engines keep exactly the same precision.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY NOT NULL,
    created_ms  BIGINT NOT NULL
);

CREATE TABLE access_keys (
    access_key_id  TEXT PRIMARY KEY NOT NULL,
    account_id     TEXT NOT NULL REFERENCES accounts(id),
    principal_arn  TEXT NOT NULL,
    -- The secret access key, sealed under the keyring (never plaintext).
    key_id         TEXT NOT NULL,
    wrapped_key    BYTEA NOT NULL,
    ciphertext     BYTEA NOT NULL,
    created_ms     BIGINT NOT NULL,
    active         BOOLEAN NOT NULL
);
CREATE INDEX access_keys_account ON access_keys(account_id);

CREATE TABLE secrets (
    id                TEXT PRIMARY KEY NOT NULL,
    account_id        TEXT NOT NULL,
    region            TEXT NOT NULL,
    name              TEXT NOT NULL,
    suffix            TEXT NOT NULL,
    description       TEXT,
    kms_key_id        TEXT,
    created_ms        BIGINT NOT NULL,
    last_changed_ms   BIGINT NOT NULL,
    last_accessed_ms  BIGINT,
    deleted_ms        BIGINT,
    deletion_due_ms   BIGINT,
    -- One secret per name in each account and region, live or scheduled for deletion.
    CONSTRAINT secrets_scope_name UNIQUE (account_id, region, name)
);
CREATE INDEX secrets_deletion_due ON secrets(deletion_due_ms) WHERE deletion_due_ms IS NOT NULL;

CREATE TABLE versions (
    secret_id         TEXT NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
    version_id        TEXT NOT NULL,
    created_ms        BIGINT NOT NULL,
    kms_key_id        TEXT,
    last_accessed_ms  BIGINT,
    -- The sealed value: data key wrapped by keyring key `key_id`, value sealed by the data key.
    key_id            TEXT NOT NULL,
    wrapped_key       BYTEA NOT NULL,
    ciphertext        BYTEA NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('string', 'binary')),
    PRIMARY KEY (secret_id, version_id)
);

CREATE TABLE labels (
    secret_id   TEXT NOT NULL,
    label       TEXT NOT NULL,
    version_id  TEXT NOT NULL,
    position    BIGINT NOT NULL,
    -- The schema holds the first label invariant: a label is on at most one version.
    PRIMARY KEY (secret_id, label),
    FOREIGN KEY (secret_id, version_id) REFERENCES versions(secret_id, version_id) ON DELETE CASCADE
);

CREATE TABLE tags (
    secret_id  TEXT NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    position   BIGINT NOT NULL,
    PRIMARY KEY (secret_id, key)
);
