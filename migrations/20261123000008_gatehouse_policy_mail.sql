-- Gatehouse's own state, kept beside the authn core and never inside it (the core stays the
-- spec's interface, unchanged): who administers a namespace, who operates the platform, how
-- a namespace lets new people in, and the outgoing mail.
CREATE SCHEMA IF NOT EXISTS gatehouse;

-- How a namespace admits new users. A namespace without a row is invite-only: opening
-- sign-up is a decision somebody takes, never a default.
CREATE TABLE gatehouse.namespace_settings (
    namespace   text        NOT NULL,
    sign_up     text        NOT NULL DEFAULT 'invite_only',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT namespace_settings_pkey PRIMARY KEY (namespace),
    CONSTRAINT namespace_settings_sign_up_check CHECK (sign_up IN ('open', 'invite_only'))
);

-- A user belongs to exactly one namespace, so the user id alone says where they are admin.
CREATE TABLE gatehouse.namespace_admins (
    user_id     uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT namespace_admins_pkey PRIMARY KEY (user_id)
);

-- Platform operators are users of the configured operator namespace with a row here; the app
-- checks both (a row for a user of another namespace grants nothing).
CREATE TABLE gatehouse.platform_operators (
    user_id     uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT platform_operators_pkey PRIMARY KEY (user_id)
);

-- Mail is written here in the same transaction as whatever it announces (a token, a password
-- change), and a worker delivers it: a mail is never sent for a change that rolled back, and
-- an SMTP outage delays mail without failing the request. Bodies carry live links, so the
-- worker clears them once delivered (unless the developer mailbox is on).
CREATE TABLE gatehouse.mail_outbox (
    id               bigint      GENERATED ALWAYS AS IDENTITY,
    namespace        text        NOT NULL,
    kind             text        NOT NULL,
    recipient        text        NOT NULL,
    subject          text        NOT NULL,
    text_body        text,
    html_body        text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    failed_at        timestamptz,
    last_error       text,
    CONSTRAINT mail_outbox_pkey PRIMARY KEY (id),
    CONSTRAINT mail_outbox_recipient_check CHECK (length(recipient) BETWEEN 3 AND 320
                                                  AND recipient LIKE '%_@_%'),
    CONSTRAINT mail_outbox_subject_check CHECK (length(subject) BETWEEN 1 AND 200),
    CONSTRAINT mail_outbox_attempts_check CHECK (attempts >= 0)
);
CREATE INDEX mail_outbox_due_idx ON gatehouse.mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_recent_idx ON gatehouse.mail_outbox (created_at DESC);

-- Background cleanup runs the core's per-namespace cleanup for every namespace that has
-- users; listing them needs to see past row-level security, hence a definer function that
-- returns names only.
CREATE FUNCTION gatehouse.namespaces_in_use() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT DISTINCT u.namespace FROM authn.users u ORDER BY 1
$$;
REVOKE ALL ON FUNCTION gatehouse.namespaces_in_use() FROM PUBLIC;

DO $grants$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        RAISE NOTICE 'gatehouse: role authn_app missing; grants left to the administrator';
        RETURN;
    END IF;
    GRANT USAGE ON SCHEMA gatehouse TO authn_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.namespace_settings,
        gatehouse.namespace_admins, gatehouse.platform_operators, gatehouse.mail_outbox
        TO authn_app;
    GRANT EXECUTE ON FUNCTION gatehouse.namespaces_in_use() TO authn_app;
    ALTER FUNCTION gatehouse.namespaces_in_use() OWNER TO authn_definer;
    GRANT USAGE ON SCHEMA gatehouse TO authn_definer;
END
$grants$;
