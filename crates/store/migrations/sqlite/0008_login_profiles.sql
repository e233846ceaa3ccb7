-- Console passwords of IAM users (IAM's login profiles). Released migrations are never edited;
-- add a new file instead.
--
-- One row per user, keyed like principals (the lower-cased name). The user's unique id is kept
-- so that a user deleted and created again under the same name does not inherit the old
-- password. The password itself is never stored: only its Argon2id hash in PHC string form
-- ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
CREATE TABLE login_profiles (
    account_id               TEXT NOT NULL REFERENCES accounts(id),
    name_key                 TEXT NOT NULL,
    user_name                TEXT NOT NULL,
    user_id                  TEXT NOT NULL,
    password_hash            TEXT NOT NULL,
    password_reset_required  INTEGER NOT NULL CHECK (password_reset_required IN (0, 1)),
    created_ms               INTEGER NOT NULL,
    PRIMARY KEY (account_id, name_key)
);
