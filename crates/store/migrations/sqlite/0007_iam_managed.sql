-- IAM managed policies and groups (issue 22). Released migrations are never edited; add a new
-- file instead.

-- Customer managed policies (with their versions) and groups (with their inline policies),
-- each one row read and written whole: the body is JSON (crates/store/src/iam_objects.rs).
CREATE TABLE iam_objects (
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    kind        TEXT NOT NULL CHECK (kind IN ('policy', 'group')),
    -- IAM names are unique ignoring case: name_key is the lower-cased name.
    name_key    TEXT NOT NULL,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, name_key)
);

-- Links between IAM entities: a managed policy attached to a user, role or group; a user in a
-- group. Ends are lower-cased names.
CREATE TABLE iam_links (
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    source_kind  TEXT NOT NULL CHECK (source_kind IN ('user', 'role', 'group')),
    source_key   TEXT NOT NULL,
    target_kind  TEXT NOT NULL CHECK (target_kind IN ('policy', 'aws-policy', 'group')),
    target_key   TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    PRIMARY KEY (account_id, source_kind, source_key, target_kind, target_key)
);

CREATE INDEX iam_links_target ON iam_links(account_id, target_kind, target_key);
