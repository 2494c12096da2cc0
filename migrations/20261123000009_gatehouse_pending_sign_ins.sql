-- Sign-in as a small state machine: once the first factor (password, magic link, e-mail code)
-- is proven for an account with MFA, the browser holds a short-lived pending token and the
-- session is opened only by the second factor. The pending state lives in the database, so
-- any app instance can serve either step.
CREATE TABLE gatehouse.pending_sign_ins (
    token_hash    text        NOT NULL,
    namespace     text        NOT NULL,
    user_id       uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    first_factor  text        NOT NULL,
    ip_address    inet,
    user_agent    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    failures      integer     NOT NULL DEFAULT 0,
    CONSTRAINT pending_sign_ins_pkey PRIMARY KEY (token_hash),
    CONSTRAINT pending_sign_ins_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT pending_sign_ins_factor_check
        CHECK (first_factor IN ('password', 'magic_link', 'email_code')),
    CONSTRAINT pending_sign_ins_failures_check CHECK (failures >= 0)
);
CREATE INDEX pending_sign_ins_expires_idx ON gatehouse.pending_sign_ins (expires_at);
CREATE INDEX pending_sign_ins_user_idx ON gatehouse.pending_sign_ins (user_id);

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.pending_sign_ins TO authn_app;
    END IF;
END
$grants$;
