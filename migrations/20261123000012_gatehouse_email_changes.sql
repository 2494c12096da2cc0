-- E-mail changes waiting for the new address to be confirmed: the change happens only when the
-- link mailed to the new address is used (single use, 1 hour). Only the link token's SHA-256 is
-- kept.
CREATE TABLE gatehouse.email_changes (
    token_hash  text        NOT NULL,
    namespace   text        NOT NULL,
    user_id     uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    new_email   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CONSTRAINT email_changes_pkey PRIMARY KEY (token_hash),
    CONSTRAINT email_changes_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT email_changes_email_check CHECK (char_length(new_email) BETWEEN 3 AND 254)
);
CREATE INDEX email_changes_user_idx ON gatehouse.email_changes (namespace, user_id);
CREATE INDEX email_changes_expires_idx ON gatehouse.email_changes (expires_at);

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, DELETE ON gatehouse.email_changes TO authn_app;
    END IF;
END
$grants$;
