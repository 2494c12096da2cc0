-- E-mail sign-in codes get a table of their own. They used to be `magic_link` tokens of the
-- core whose hash was SHA-256 of "email-code:<user id>:<code>", and the magic-link form hashes
-- whatever text it is sent: six digits could be tried there with no failure recorded. Here a
-- code is only ever looked up by the code form, its hash is keyed with the deployment's secret
-- (HMAC-SHA256, so a leaked table cannot be brute-forced offline), and every wrong guess counts
-- against the code itself as well as the address's lockout.
CREATE TABLE gatehouse.email_codes (
    user_id     uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    namespace   text        NOT NULL,
    code_hash   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    failures    integer     NOT NULL DEFAULT 0,
    -- One outstanding code per account: each one more would be one more target per guess.
    CONSTRAINT email_codes_pkey PRIMARY KEY (user_id),
    CONSTRAINT email_codes_hash_check CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT email_codes_failures_check CHECK (failures >= 0)
);
CREATE INDEX email_codes_expires_idx ON gatehouse.email_codes (expires_at);

-- Codes minted the old way are magic-link tokens whose hash no link can produce any more
-- (links must be 43 base64url characters before they are hashed); they expire within 10
-- minutes of the upgrade and the cleanup job removes them.

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.email_codes TO authn_app;
    END IF;
END
$grants$;
