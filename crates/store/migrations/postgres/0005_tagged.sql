-- Whether a secret has ever had a tag: AWS answers "Tags": [] once the last one is removed, where
-- a secret never tagged has no Tags at all (issue 15). Secrets tagged now are marked; one whose
-- tags were all removed before this migration cannot be told apart and shows no Tags.
ALTER TABLE secrets ADD COLUMN tagged BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE secrets SET tagged = TRUE WHERE id IN (SELECT DISTINCT secret_id FROM tags);
