-- What the portal keeps beside the core's records, in the application's own schema: nothing
-- here changes the `authn` interface.

-- Sudo mode: when each session last proved who holds it (the sign-in itself, or a
-- re-authentication). Sensitive changes need this to be recent. Rows older than a day are
-- useless (the window is minutes) and the cleanup job drops them.
CREATE TABLE gatehouse.reauthentications (
    session_id        uuid        NOT NULL,
    namespace         text        NOT NULL,
    authenticated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reauthentications_pkey PRIMARY KEY (session_id)
);
CREATE INDEX reauthentications_at_idx ON gatehouse.reauthentications (authenticated_at);

-- TOTP replay guard: the last time step accepted for each TOTP method (the core's MFA record
-- id). A code is accepted only for a later step, so one code never works twice.
CREATE TABLE gatehouse.totp_last_steps (
    mfa_id     uuid   NOT NULL,
    namespace  text   NOT NULL,
    last_step  bigint NOT NULL,
    CONSTRAINT totp_last_steps_pkey PRIMARY KEY (mfa_id),
    CONSTRAINT totp_last_steps_step_check CHECK (last_step >= 0)
);

-- API keys: the core keeps the key's hash and lifecycle; a bearer request names no namespace,
-- so this maps the hash to it, and keeps the last four characters the list shows.
CREATE TABLE gatehouse.api_key_hints (
    key_id      uuid        NOT NULL,
    namespace   text        NOT NULL,
    key_hash    text        NOT NULL,
    last_four   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_key_hints_pkey PRIMARY KEY (key_id),
    CONSTRAINT api_key_hints_hash_key UNIQUE (key_hash),
    CONSTRAINT api_key_hints_hash_check CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT api_key_hints_last_four_check CHECK (char_length(last_four) = 4)
);

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE
            ON gatehouse.reauthentications, gatehouse.totp_last_steps, gatehouse.api_key_hints
            TO authn_app;
    END IF;
END
$grants$;
