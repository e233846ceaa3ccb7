-- Rotation (issue 16): a secret's rotation configuration, its value-less AWSPENDING placeholder
-- and its one live run, as one JSON document written with the secret's row (so the run is
-- unique per secret by construction, and every change to it commits with the labels it
-- concerns); and when the scheduler should next look at the secret, indexed.
ALTER TABLE secrets ADD COLUMN rotation TEXT;
ALTER TABLE secrets ADD COLUMN rotation_due_ms BIGINT;
CREATE INDEX secrets_rotation_due ON secrets(rotation_due_ms) WHERE rotation_due_ms IS NOT NULL;
