-- Requests for mail that name an address (sign-up, password reset, magic link, e-mail code)
-- are recorded here and fulfilled by a worker. The request itself then does the same work
-- whether or not the address has an account: before, looking the account up and writing its
-- token made an existing address answer measurably slower (1.22 ms against 0.84 ms median),
-- enough to tell which accounts exist. The worker looks the account up, writes the token and
-- the mail (or, for sign-up, the account or the "you already have an account" note) in one
-- transaction that also deletes the request.
CREATE TABLE gatehouse.mail_requests (
    id             bigint      GENERATED ALWAYS AS IDENTITY,
    namespace      text        NOT NULL,
    kind           text        NOT NULL,
    email          text        NOT NULL,
    -- Sign-up only: the Argon2id hash of the password chosen, for the account the worker creates.
    password_hash  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- Claimed requests are leased: a worker that dies leaves them to be retried.
    not_before     timestamptz NOT NULL DEFAULT now(),
    attempts       integer     NOT NULL DEFAULT 0,
    CONSTRAINT mail_requests_pkey PRIMARY KEY (id),
    CONSTRAINT mail_requests_kind_check
        CHECK (kind IN ('sign_up', 'password_reset', 'magic_link', 'email_code')),
    CONSTRAINT mail_requests_email_check CHECK (char_length(email) BETWEEN 3 AND 254),
    CONSTRAINT mail_requests_password_check CHECK ((kind = 'sign_up') = (password_hash IS NOT NULL)),
    CONSTRAINT mail_requests_attempts_check CHECK (attempts >= 0)
);
CREATE INDEX mail_requests_due_idx ON gatehouse.mail_requests (not_before);

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.mail_requests TO authn_app;
    END IF;
END
$grants$;
