-- IAM identities (users, roles, inline policies), access keys of users, and resource policies
-- on secrets. Released migrations are never edited; add a new file instead.

ALTER TABLE secrets ADD COLUMN resource_policy TEXT;

-- The IAM user owning an access key; NULL for the account's root user.
ALTER TABLE access_keys ADD COLUMN user_name TEXT;

CREATE TABLE principals (
    account_id        TEXT NOT NULL REFERENCES accounts(id),
    kind              TEXT NOT NULL CHECK (kind IN ('user', 'role')),
    -- IAM names are unique ignoring case: name_key is the lower-cased name.
    name_key          TEXT NOT NULL,
    name              TEXT NOT NULL,
    path              TEXT NOT NULL,
    principal_id      TEXT NOT NULL,
    created_ms        BIGINT NOT NULL,
    -- Tags as a JSON array of [key, value] pairs, in the order given.
    tags              TEXT NOT NULL,
    trust_policy      TEXT,
    description       TEXT,
    max_session_secs  BIGINT,
    PRIMARY KEY (account_id, kind, name_key)
);

CREATE TABLE inline_policies (
    account_id     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    principal_key  TEXT NOT NULL,
    policy_name    TEXT NOT NULL,
    document       TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, principal_key, policy_name),
    FOREIGN KEY (account_id, kind, principal_key) REFERENCES principals(account_id, kind, name_key)
);

CREATE INDEX access_keys_user ON access_keys(account_id, user_name);
