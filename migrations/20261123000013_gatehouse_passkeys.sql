-- Passkeys and security keys (WebAuthn). The core's MFA record (type 'webauthn') is the method;
-- this keeps what verifying it later needs: the credential as webauthn-rs stores it (public
-- key, signature counter, backup state) and the name its owner gave it.
CREATE TABLE gatehouse.passkeys (
    mfa_id         uuid        NOT NULL,
    namespace      text        NOT NULL,
    user_id        uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    credential_id  text        NOT NULL,
    credential     jsonb       NOT NULL,
    name           text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz,
    CONSTRAINT passkeys_pkey PRIMARY KEY (mfa_id),
    CONSTRAINT passkeys_credential_key UNIQUE (namespace, credential_id),
    CONSTRAINT passkeys_name_check CHECK (char_length(name) BETWEEN 1 AND 60)
);
CREATE INDEX passkeys_user_idx ON gatehouse.passkeys (namespace, user_id);

-- A WebAuthn ceremony between its start and its finish: the challenge state stays here (never
-- in the browser), for five minutes and one use.
CREATE TABLE gatehouse.webauthn_ceremonies (
    id          uuid        NOT NULL,
    namespace   text        NOT NULL,
    user_id     uuid        REFERENCES authn.users (id) ON DELETE CASCADE,
    purpose     text        NOT NULL,
    state       jsonb       NOT NULL,
    expires_at  timestamptz NOT NULL,
    CONSTRAINT webauthn_ceremonies_pkey PRIMARY KEY (id),
    CONSTRAINT webauthn_ceremonies_purpose_check
        CHECK (purpose IN ('register', 'authenticate', 'second_factor'))
);
CREATE INDEX webauthn_ceremonies_expires_idx ON gatehouse.webauthn_ceremonies (expires_at);

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE
            ON gatehouse.passkeys, gatehouse.webauthn_ceremonies TO authn_app;
    END IF;
END
$grants$;
