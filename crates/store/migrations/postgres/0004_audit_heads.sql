-- The head of each node's audit trail: the chain digest of its last durably written event,
-- kept where the audit file's writer cannot rewrite it, so that a trail whose tail was deleted
-- no longer reaches it (issue 13).
CREATE TABLE audit_heads (
    trail TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);
