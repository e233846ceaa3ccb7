-- Customer keys of coffer's KMS subset (issue 18): one row per key, its material (every
-- generation) sealed under the keyring's root key, never plaintext; and the aliases naming keys.
CREATE TABLE kms_keys (
    account_id           TEXT NOT NULL,
    region               TEXT NOT NULL,
    key_id               TEXT NOT NULL,
    description          TEXT NOT NULL,
    created_ms           INTEGER NOT NULL,
    state                TEXT NOT NULL,
    deletion_ms          INTEGER,
    pending_window_days  INTEGER,
    policy               TEXT NOT NULL,
    -- The tags as a JSON array of [key, value] pairs, in the order given.
    tags                 TEXT NOT NULL,
    sealer_key_id        TEXT NOT NULL,
    wrapped_key          BLOB NOT NULL,
    material             BLOB NOT NULL,
    PRIMARY KEY (account_id, region, key_id)
);
CREATE TABLE kms_aliases (
    account_id     TEXT NOT NULL,
    region         TEXT NOT NULL,
    alias_name     TEXT NOT NULL,
    target_key_id  TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, alias_name)
);
