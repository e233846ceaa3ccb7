-- ListSecrets reads a page through an index on its sort column, from the cursor on, instead of
-- loading every secret of the account (crates/store/src/paging.rs). Each index leads with the
-- scope and ends with the id, the tie-break of every order; text compares byte by byte
-- (COLLATE "C"), as on SQLite. A secret never read sorts first: LastAccessedDate is indexed as
-- COALESCE(…, -1).
CREATE INDEX secrets_by_created ON secrets (account_id, region, created_ms, id COLLATE "C");
CREATE INDEX secrets_by_changed ON secrets (account_id, region, last_changed_ms, id COLLATE "C");
CREATE INDEX secrets_by_accessed
    ON secrets (account_id, region, (COALESCE(last_accessed_ms, -1)), id COLLATE "C");
CREATE INDEX secrets_by_name ON secrets (account_id, region, name COLLATE "C", id COLLATE "C");
