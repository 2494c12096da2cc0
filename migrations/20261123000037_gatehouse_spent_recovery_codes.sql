-- Spent recovery codes: using a code removes its core MFA record (recovery.rs), so presenting it
-- again looked exactly like a wrong code. Its hash is kept here, so that the answer can say it
-- was already used. Only the SHA-256 of the code (80 random bits), as the record held; the rows
-- go when the set is replaced or removed, and with the account.
CREATE TABLE gatehouse.spent_recovery_codes (
    namespace  text        NOT NULL,
    user_id    uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    code_hash  text        NOT NULL,
    spent_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT spent_recovery_codes_pkey PRIMARY KEY (user_id, code_hash),
    CONSTRAINT spent_recovery_codes_hash_check CHECK (code_hash ~ '^[0-9a-f]{64}$')
);

ALTER TABLE gatehouse.spent_recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE gatehouse.spent_recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY spent_recovery_codes_tenant_isolation ON gatehouse.spent_recovery_codes FOR ALL
    USING (namespace = current_setting('authn.tenant_id', true))
    WITH CHECK (namespace = current_setting('authn.tenant_id', true));

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, DELETE ON gatehouse.spent_recovery_codes TO authn_app;
    END IF;
END
$grants$;
