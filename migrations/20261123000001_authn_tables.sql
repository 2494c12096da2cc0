-- authn core, part 1: schema, tables, constraints, row-level security, triggers, indexes.
-- Spec: shared/spec/authn-core.md §1-§2. Applies with sqlx's migrator and with `psql -1 -f`.

CREATE SCHEMA IF NOT EXISTS authn;

-- §2.1 users ---------------------------------------------------------------------------------
CREATE TABLE authn.users (
    id                uuid        NOT NULL DEFAULT gen_random_uuid(),
    namespace         text        NOT NULL DEFAULT 'default',
    email             text        NOT NULL,
    password_hash     text,
    email_verified_at timestamptz,
    disabled_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_namespace_email_key UNIQUE (namespace, email),
    CONSTRAINT users_email_format CHECK (email ~* '^[^@[:space:]]+@[^@[:space:]]+$'),
    CONSTRAINT users_password_hash_not_empty CHECK (password_hash IS NULL OR btrim(password_hash) <> '')
);

-- §2.2 sessions ------------------------------------------------------------------------------
CREATE TABLE authn.sessions (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    namespace   text        NOT NULL DEFAULT 'default',
    user_id     uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    token_hash  text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    ip_address  inet,
    user_agent  text,
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_namespace_token_hash_key UNIQUE (namespace, token_hash),
    CONSTRAINT sessions_token_hash_not_empty CHECK (btrim(token_hash) <> '')
);

-- §2.3 refresh_tokens ------------------------------------------------------------------------
CREATE TABLE authn.refresh_tokens (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    namespace   text        NOT NULL DEFAULT 'default',
    user_id     uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    session_id  uuid        NOT NULL REFERENCES authn.sessions (id) ON DELETE CASCADE,
    token_hash  text        NOT NULL,
    family_id   uuid        NOT NULL,
    generation  int         NOT NULL DEFAULT 1,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    replaced_by uuid REFERENCES authn.refresh_tokens (id),
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT refresh_tokens_namespace_token_hash_key UNIQUE (namespace, token_hash),
    CONSTRAINT refresh_tokens_token_hash_not_empty CHECK (btrim(token_hash) <> ''),
    CONSTRAINT refresh_tokens_generation_positive CHECK (generation > 0),
    CONSTRAINT refresh_tokens_not_self_replaced CHECK (id <> replaced_by)
);

-- §2.4 tokens (one-time) ---------------------------------------------------------------------
CREATE TABLE authn.tokens (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    namespace   text        NOT NULL DEFAULT 'default',
    user_id     uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    token_hash  text        NOT NULL,
    token_type  text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz,
    CONSTRAINT tokens_pkey PRIMARY KEY (id),
    CONSTRAINT tokens_namespace_token_hash_key UNIQUE (namespace, token_hash),
    CONSTRAINT tokens_token_hash_not_empty CHECK (btrim(token_hash) <> ''),
    CONSTRAINT tokens_type_valid CHECK (token_type IN ('password_reset', 'email_verify', 'magic_link'))
);

-- §2.5 mfa_secrets ---------------------------------------------------------------------------
CREATE TABLE authn.mfa_secrets (
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    namespace    text        NOT NULL DEFAULT 'default',
    user_id      uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    mfa_type     text        NOT NULL,
    secret       text        NOT NULL,
    name         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    CONSTRAINT mfa_secrets_pkey PRIMARY KEY (id),
    CONSTRAINT mfa_secrets_type_valid CHECK (mfa_type IN ('totp', 'webauthn', 'recovery_codes')),
    CONSTRAINT mfa_secrets_secret_not_empty CHECK (btrim(secret) <> '')
);

-- §2.6 login_attempts ------------------------------------------------------------------------
CREATE TABLE authn.login_attempts (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    namespace    text        NOT NULL DEFAULT 'default',
    email        text        NOT NULL,
    success      boolean     NOT NULL,
    ip_address   inet,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT login_attempts_pkey PRIMARY KEY (id)
);

-- §2.7 api_keys ------------------------------------------------------------------------------
CREATE TABLE authn.api_keys (
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    namespace    text        NOT NULL DEFAULT 'default',
    user_id      uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    key_hash     text        NOT NULL,
    name         text,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT api_keys_namespace_key_hash_key UNIQUE (namespace, key_hash),
    CONSTRAINT api_keys_key_hash_not_empty CHECK (btrim(key_hash) <> '')
);

-- §2.8 impersonation_sessions (tenant-local) -------------------------------------------------
CREATE TABLE authn.impersonation_sessions (
    id                       uuid        NOT NULL DEFAULT gen_random_uuid(),
    namespace                text        NOT NULL DEFAULT 'default',
    actor_id                 uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    target_user_id           uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    original_session_id      uuid        NOT NULL REFERENCES authn.sessions (id) ON DELETE CASCADE,
    impersonation_session_id uuid        REFERENCES authn.sessions (id) ON DELETE SET NULL,
    reason                   text        NOT NULL,
    started_at               timestamptz NOT NULL DEFAULT now(),
    expires_at               timestamptz NOT NULL,
    ended_at                 timestamptz,
    CONSTRAINT impersonation_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT impersonation_no_self CHECK (actor_id <> target_user_id),
    CONSTRAINT impersonation_reason_not_empty CHECK (btrim(reason) <> '')
);

-- §1.3 row-level security: enabled and forced, one permissive policy each, fail closed
-- (an unset tenant reads as NULL, a cleared one as '': neither equals any namespace).
DO $rls$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'sessions', 'refresh_tokens', 'tokens', 'mfa_secrets',
                             'login_attempts', 'api_keys', 'impersonation_sessions']
    LOOP
        EXECUTE format('ALTER TABLE authn.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE authn.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON authn.%I FOR ALL '
            'USING (namespace = current_setting(''authn.tenant_id'', true)) '
            'WITH CHECK (namespace = current_setting(''authn.tenant_id'', true))',
            t || '_tenant_isolation', t);
    END LOOP;
END
$rls$;

-- §2.9 audit_events (monthly partitions; created by authn.create_audit_partition) ------------
CREATE TABLE authn.audit_events (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    event_id      uuid        DEFAULT gen_random_uuid(),
    event_type    text        NOT NULL,
    event_time    timestamptz NOT NULL DEFAULT now(),
    actor_id      text,
    request_id    text,
    reason        text,
    on_behalf_of  text,
    namespace     text        NOT NULL,
    resource_type text        NOT NULL,
    resource_id   text        NOT NULL,
    ip_address    inet,
    user_agent    text,
    old_values    jsonb,
    new_values    jsonb,
    CONSTRAINT audit_events_pkey PRIMARY KEY (id, event_time),
    CONSTRAINT audit_events_type_valid CHECK (event_type IN (
        'user_created', 'user_updated', 'user_disabled', 'user_enabled', 'user_deleted',
        'password_updated', 'email_updated', 'email_verified',
        'session_created', 'session_extended', 'session_revoked', 'sessions_revoked_all',
        'sessions_revoked_other',
        'token_created', 'token_consumed',
        'refresh_token_created', 'refresh_token_rotated', 'refresh_token_reuse_detected',
        'refresh_token_family_revoked', 'refresh_tokens_revoked_all',
        'api_key_created', 'api_key_revoked', 'api_keys_revoked_all',
        'mfa_added', 'mfa_removed', 'mfa_used',
        'login_attempt_failed', 'lockout_triggered',
        'impersonation_started', 'impersonation_ended'))
) PARTITION BY RANGE (event_time);

ALTER TABLE authn.audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE authn.audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_tenant_isolation ON authn.audit_events FOR ALL
    USING (namespace = current_setting('authn.tenant_id', true))
    WITH CHECK (namespace = current_setting('authn.tenant_id', true));

-- The (namespace, event_time, id) key serves the audit browser's keyset pagination
-- ("newest first, then id") as well as plain timeline reads.
CREATE INDEX audit_events_namespace_time_idx
    ON authn.audit_events (namespace, event_time DESC, id DESC);
CREATE INDEX audit_events_resource_idx
    ON authn.audit_events (namespace, resource_type, resource_id, event_time DESC);
CREATE INDEX audit_events_actor_idx
    ON authn.audit_events (actor_id, event_time DESC) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_events_event_id_idx ON authn.audit_events (event_id);
-- Filtering the namespace timeline by event type (audit browser, SDK get_audit_events).
CREATE INDEX audit_events_type_idx
    ON authn.audit_events (namespace, event_type, event_time DESC);

-- §2.10 operator_impersonation_sessions (no RLS; reached only through definer functions) ----
CREATE TABLE authn.operator_impersonation_sessions (
    id                       uuid        NOT NULL DEFAULT gen_random_uuid(),
    operator_id              uuid        NOT NULL,
    operator_email           text        NOT NULL,
    operator_namespace       text        NOT NULL,
    original_session_id      uuid        NOT NULL,
    target_user_id           uuid        NOT NULL,
    target_user_email        text        NOT NULL,
    target_namespace         text        NOT NULL,
    impersonation_session_id uuid        REFERENCES authn.sessions (id) ON DELETE SET NULL,
    reason                   text        NOT NULL,
    ticket_reference         text,
    started_at               timestamptz NOT NULL DEFAULT now(),
    expires_at               timestamptz NOT NULL,
    ended_at                 timestamptz,
    CONSTRAINT operator_impersonation_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT operator_imp_reason_not_empty CHECK (btrim(reason) <> '')
);

-- §2.11 operator_audit_events (no RLS, not partitioned) --------------------------------------
CREATE TABLE authn.operator_audit_events (
    id                           uuid        NOT NULL DEFAULT gen_random_uuid(),
    event_type                   text        NOT NULL,
    occurred_at                  timestamptz NOT NULL DEFAULT now(),
    operator_namespace           text        NOT NULL,
    operator_id                  uuid        NOT NULL,
    operator_email               text        NOT NULL,
    target_namespace             text        NOT NULL,
    target_user_id               uuid        NOT NULL,
    target_user_email            text        NOT NULL,
    impersonation_session_id     uuid,
    operator_original_session_id uuid,
    reason                       text        NOT NULL,
    ticket_reference             text,
    ip_address                   inet,
    user_agent                   text,
    details                      jsonb       DEFAULT '{}',
    CONSTRAINT operator_audit_events_pkey PRIMARY KEY (id)
);

-- §2.13 indexes ------------------------------------------------------------------------------
CREATE INDEX sessions_token_lookup_idx ON authn.sessions (namespace, token_hash)
    INCLUDE (user_id, expires_at, revoked_at) WHERE revoked_at IS NULL;
CREATE INDEX sessions_user_active_idx ON authn.sessions (namespace, user_id, created_at DESC)
    WHERE revoked_at IS NULL;
CREATE INDEX sessions_expiry_idx ON authn.sessions (namespace, expires_at)
    WHERE revoked_at IS NULL;
CREATE INDEX sessions_revoked_idx ON authn.sessions (namespace)
    WHERE revoked_at IS NOT NULL;
-- Revocation by user (disable_user, revoke_all_sessions) includes expired sessions and the
-- impersonation sessions targeting the user, all covered by sessions_user_active_idx.

CREATE INDEX refresh_tokens_lookup_idx ON authn.refresh_tokens (namespace, token_hash)
    INCLUDE (user_id, session_id, family_id, generation, expires_at, revoked_at, replaced_by)
    WHERE revoked_at IS NULL AND replaced_by IS NULL;
CREATE INDEX refresh_tokens_family_idx ON authn.refresh_tokens (namespace, family_id)
    WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_user_idx ON authn.refresh_tokens (namespace, user_id, created_at DESC)
    WHERE revoked_at IS NULL AND replaced_by IS NULL;
CREATE INDEX refresh_tokens_session_idx ON authn.refresh_tokens (session_id)
    WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_expiry_idx ON authn.refresh_tokens (namespace, expires_at)
    WHERE revoked_at IS NULL;
-- Foreign-key side of replaced_by: deleting a token must not scan the table.
CREATE INDEX refresh_tokens_replaced_by_idx ON authn.refresh_tokens (replaced_by)
    WHERE replaced_by IS NOT NULL;
-- revoke_all_refresh_tokens counts replaced tokens too.
CREATE INDEX refresh_tokens_user_unrevoked_idx ON authn.refresh_tokens (namespace, user_id)
    WHERE revoked_at IS NULL;

CREATE INDEX tokens_consume_idx ON authn.tokens (namespace, token_hash, token_type)
    INCLUDE (user_id, expires_at, used_at) WHERE used_at IS NULL;
CREATE INDEX tokens_expiry_idx ON authn.tokens (namespace, expires_at) WHERE used_at IS NULL;
CREATE INDEX tokens_user_type_idx ON authn.tokens (namespace, user_id, token_type)
    WHERE used_at IS NULL;
CREATE INDEX tokens_user_idx ON authn.tokens (user_id);

CREATE INDEX mfa_secrets_user_idx ON authn.mfa_secrets (namespace, user_id, mfa_type);

CREATE INDEX login_attempts_failures_idx ON authn.login_attempts (namespace, email, attempted_at DESC)
    WHERE NOT success;
CREATE INDEX login_attempts_email_idx ON authn.login_attempts (namespace, email, attempted_at DESC);
CREATE INDEX login_attempts_time_idx ON authn.login_attempts (attempted_at);

CREATE INDEX api_keys_lookup_idx ON authn.api_keys (namespace, key_hash)
    INCLUDE (user_id, name, expires_at, revoked_at) WHERE revoked_at IS NULL;
CREATE INDEX api_keys_user_idx ON authn.api_keys (namespace, user_id, created_at DESC)
    WHERE revoked_at IS NULL;
CREATE INDEX api_keys_expiry_idx ON authn.api_keys (namespace, expires_at)
    WHERE revoked_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX api_keys_owner_idx ON authn.api_keys (user_id);

-- Foreign-key sides used by ON DELETE CASCADE when a user or session goes away.
CREATE INDEX sessions_user_idx ON authn.sessions (user_id);
CREATE INDEX refresh_tokens_owner_idx ON authn.refresh_tokens (user_id);
CREATE INDEX mfa_secrets_owner_idx ON authn.mfa_secrets (user_id);
CREATE INDEX impersonation_original_session_idx ON authn.impersonation_sessions (original_session_id);
CREATE INDEX impersonation_actor_fk_idx ON authn.impersonation_sessions (actor_id);
CREATE INDEX impersonation_target_fk_idx ON authn.impersonation_sessions (target_user_id);

CREATE INDEX impersonation_session_lookup_idx
    ON authn.impersonation_sessions (namespace, impersonation_session_id)
    INCLUDE (actor_id, target_user_id, reason) WHERE ended_at IS NULL;
CREATE INDEX impersonation_actor_idx
    ON authn.impersonation_sessions (namespace, actor_id, started_at DESC) WHERE ended_at IS NULL;
CREATE INDEX impersonation_target_idx
    ON authn.impersonation_sessions (namespace, target_user_id, started_at DESC) WHERE ended_at IS NULL;
CREATE INDEX impersonation_expiry_idx
    ON authn.impersonation_sessions (namespace, expires_at) WHERE ended_at IS NULL;
CREATE INDEX impersonation_history_idx
    ON authn.impersonation_sessions (namespace, started_at DESC);
CREATE INDEX impersonation_session_fk_idx
    ON authn.impersonation_sessions (impersonation_session_id);

CREATE INDEX operator_imp_session_lookup_idx
    ON authn.operator_impersonation_sessions (impersonation_session_id)
    INCLUDE (operator_id, target_user_id, operator_email, target_user_email,
             operator_namespace, target_namespace, reason, ticket_reference)
    WHERE ended_at IS NULL;
CREATE INDEX operator_imp_by_operator_idx
    ON authn.operator_impersonation_sessions (operator_namespace, operator_id, started_at DESC);
CREATE INDEX operator_imp_by_target_idx
    ON authn.operator_impersonation_sessions (target_namespace, target_user_id, started_at DESC);
CREATE INDEX operator_imp_active_idx
    ON authn.operator_impersonation_sessions (started_at DESC) WHERE ended_at IS NULL;
CREATE INDEX operator_imp_expiry_idx
    ON authn.operator_impersonation_sessions (expires_at) WHERE ended_at IS NULL;
CREATE INDEX operator_imp_original_session_idx
    ON authn.operator_impersonation_sessions (original_session_id) WHERE ended_at IS NULL;
CREATE INDEX operator_imp_session_fk_idx
    ON authn.operator_impersonation_sessions (impersonation_session_id);

CREATE INDEX operator_audit_operator_ns_idx
    ON authn.operator_audit_events (operator_namespace, occurred_at DESC);
CREATE INDEX operator_audit_target_ns_idx
    ON authn.operator_audit_events (target_namespace, occurred_at DESC);
CREATE INDEX operator_audit_type_idx
    ON authn.operator_audit_events (event_type, occurred_at DESC);

-- §2.12 triggers -----------------------------------------------------------------------------
CREATE FUNCTION authn._session_revoked_cascade() RETURNS trigger
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    UPDATE authn.refresh_tokens
       SET revoked_at = NEW.revoked_at
     WHERE session_id = NEW.id AND revoked_at IS NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER session_revoked_cascade
    AFTER UPDATE OF revoked_at ON authn.sessions
    FOR EACH ROW
    WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION authn._session_revoked_cascade();

CREATE FUNCTION authn._impersonation_deleted_revoke_session() RETURNS trigger
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    IF OLD.impersonation_session_id IS NOT NULL THEN
        UPDATE authn.sessions SET revoked_at = now()
         WHERE id = OLD.impersonation_session_id AND revoked_at IS NULL;
    END IF;
    RETURN OLD;
END
$$;

CREATE TRIGGER impersonation_deleted_revoke_session
    BEFORE DELETE ON authn.impersonation_sessions
    FOR EACH ROW EXECUTE FUNCTION authn._impersonation_deleted_revoke_session();

-- Security definer (decision D2): the session it revokes lives in the target namespace,
-- which the deleting role's tenant context may not cover. Ownership is moved to the
-- RLS-bypassing definer role in the roles migration.
CREATE FUNCTION authn._operator_impersonation_deleted_revoke_session() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
BEGIN
    IF OLD.impersonation_session_id IS NOT NULL THEN
        UPDATE authn.sessions SET revoked_at = now()
         WHERE id = OLD.impersonation_session_id AND revoked_at IS NULL;
    END IF;
    RETURN OLD;
END
$$;
REVOKE EXECUTE ON FUNCTION authn._operator_impersonation_deleted_revoke_session() FROM PUBLIC;

CREATE TRIGGER operator_impersonation_deleted_revoke_session
    BEFORE DELETE ON authn.operator_impersonation_sessions
    FOR EACH ROW EXECUTE FUNCTION authn._operator_impersonation_deleted_revoke_session();
