-- Consent to support access (G14). A namespace may require its admins' approval before a
-- platform operator works as one of its users: the operator's start becomes a request, an
-- admin approves or denies it with a note, and an approval lets that operator start that
-- access once within an hour. "Break glass" starts without approval but is recorded here too,
-- with its second reason, so the customer's list shows it.
--
-- The table is the tenant's to read (row-level security by the target's namespace) and nobody's
-- to write directly: each step is one SECURITY DEFINER function that checks it on the core's own
-- rows (the sessions, the operator's access) and writes the namespace's audit trail and the
-- operator audit in the same transaction, so neither side can happen without both trails.

ALTER TABLE gatehouse.namespace_settings
    ADD COLUMN support_needs_approval boolean NOT NULL DEFAULT false;

ALTER TABLE authn.audit_events DROP CONSTRAINT audit_events_type_valid;
ALTER TABLE authn.audit_events ADD CONSTRAINT audit_events_type_valid CHECK (event_type IN (
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
    'impersonation_started', 'impersonation_ended',
    'lockout_cleared', 'namespace_settings_updated',
    'support_access_requested', 'support_access_approved', 'support_access_denied',
    'support_access_break_glass'));

CREATE TABLE gatehouse.support_requests (
    id                  uuid        NOT NULL DEFAULT gen_random_uuid(),
    -- The target's namespace: whose admins decide, and whose rows these are.
    namespace           text        NOT NULL,
    operator_namespace  text        NOT NULL,
    operator_id         uuid        NOT NULL,
    operator_email      text        NOT NULL,
    target_user_id      uuid        NOT NULL,
    target_email        text        NOT NULL,
    reason              text        NOT NULL,
    ticket_reference    text        NOT NULL,
    duration            interval    NOT NULL,
    requested_at        timestamptz NOT NULL DEFAULT now(),
    -- A request nobody decided on lapses.
    expires_at          timestamptz NOT NULL,
    state               text        NOT NULL DEFAULT 'pending',
    decided_at          timestamptz,
    decided_by          uuid,
    decided_by_email    text,
    note                text,
    -- An approval is good for one start until then.
    usable_until        timestamptz,
    used_at             timestamptz,
    impersonation_id    uuid,
    break_glass_reason  text,
    CONSTRAINT support_requests_pkey PRIMARY KEY (id),
    CONSTRAINT support_requests_state_check
        CHECK (state IN ('pending', 'approved', 'denied', 'break_glass')),
    CONSTRAINT support_requests_reason_check CHECK (length(btrim(reason)) BETWEEN 10 AND 500),
    CONSTRAINT support_requests_ticket_check CHECK (length(btrim(ticket_reference)) BETWEEN 1 AND 64),
    CONSTRAINT support_requests_duration_check
        CHECK (duration > interval '0' AND duration <= interval '4 hours'),
    CONSTRAINT support_requests_note_check CHECK (note IS NULL OR length(note) <= 500),
    CONSTRAINT support_requests_decided_check
        CHECK ((state = 'pending') = (decided_at IS NULL)),
    CONSTRAINT support_requests_approval_check
        CHECK (state <> 'approved' OR usable_until IS NOT NULL),
    CONSTRAINT support_requests_break_glass_check
        CHECK ((state = 'break_glass') = (break_glass_reason IS NOT NULL))
);

-- The customer's list (newest first) and the operator's own.
CREATE INDEX support_requests_namespace_idx ON gatehouse.support_requests (namespace, requested_at DESC);
CREATE INDEX support_requests_operator_idx ON gatehouse.support_requests (operator_id, requested_at DESC);

ALTER TABLE gatehouse.support_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE gatehouse.support_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY support_requests_tenant_isolation ON gatehouse.support_requests FOR ALL
    USING (namespace = current_setting('authn.tenant_id', true))
    WITH CHECK (namespace = current_setting('authn.tenant_id', true));

-- The operator behind a live session of their own (not an impersonation of any kind), or no
-- row: the same test the core's start_operator_impersonation makes.
CREATE FUNCTION gatehouse._operator_of_session(p_session_id uuid)
RETURNS TABLE (operator_id uuid, operator_email text, operator_namespace text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT u.id, u.email, s.namespace
      FROM authn.sessions s
      JOIN authn.users u ON u.id = s.user_id AND u.namespace = s.namespace
     WHERE s.id = p_session_id AND s.revoked_at IS NULL AND s.expires_at > now()
       AND u.disabled_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM authn.operator_impersonation_sessions o
                        WHERE o.impersonation_session_id = p_session_id AND o.ended_at IS NULL)
       AND NOT EXISTS (SELECT 1 FROM authn.impersonation_sessions i
                        WHERE i.impersonation_session_id = p_session_id AND i.ended_at IS NULL)
$$;

-- An operator asks for access to a user (operator pool). Answers the request's id, or NULL when
-- the session is not a live operator session of its own or the target is not an enabled user
-- of that namespace other than the operator. Input the application validated is checked again
-- by the table's constraints.
CREATE FUNCTION gatehouse.request_support_access(
    p_operator_session_id uuid, p_target_namespace text, p_target_user_id uuid,
    p_reason text, p_ticket_reference text, p_duration interval)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    op record;
    v_target_email text;
    v_id uuid;
BEGIN
    SELECT * INTO op FROM gatehouse._operator_of_session(p_operator_session_id);
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT u.email INTO v_target_email FROM authn.users u
     WHERE u.id = p_target_user_id AND u.namespace = p_target_namespace AND u.disabled_at IS NULL;
    IF NOT FOUND OR p_target_user_id = op.operator_id THEN
        RETURN NULL;
    END IF;
    INSERT INTO gatehouse.support_requests (
        namespace, operator_namespace, operator_id, operator_email, target_user_id, target_email,
        reason, ticket_reference, duration, expires_at)
    VALUES (p_target_namespace, op.operator_namespace, op.operator_id, op.operator_email,
            p_target_user_id, v_target_email, btrim(p_reason), btrim(p_ticket_reference),
            p_duration, now() + interval '24 hours')
    RETURNING id INTO v_id;
    PERFORM authn._log_event('support_access_requested', p_target_namespace, 'user',
        p_target_user_id::text, NULL,
        jsonb_build_object('request_id', v_id, 'operator_email', op.operator_email,
                           'ticket_reference', btrim(p_ticket_reference),
                           'duration', p_duration::text));
    PERFORM authn._log_operator_audit_event('support_access_requested', op.operator_namespace,
        op.operator_id, op.operator_email, p_target_namespace, p_target_user_id, v_target_email,
        btrim(p_reason), btrim(p_ticket_reference), NULL, p_operator_session_id,
        jsonb_build_object('request_id', v_id, 'duration', p_duration::text));
    RETURN v_id;
END
$$;

-- An admin of the request's namespace decides it (tenant pool, in a transaction of that
-- namespace). The admin is named by their own live session, never by an id the caller could
-- choose. Answers 'approved' or 'denied', or why nothing changed: 'not_admin', 'not_found',
-- 'own_request' (the operator is the admin, or the same address), 'decided', 'expired'.
CREATE FUNCTION gatehouse.decide_support_request(
    p_request_id uuid, p_admin_session_id uuid, p_approve boolean, p_note text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_namespace text := current_setting('authn.tenant_id', true);
    v_admin_id uuid;
    v_admin_email text;
    r gatehouse.support_requests;
    v_note text := nullif(btrim(p_note), '');
BEGIN
    SELECT u.id, u.email INTO v_admin_id, v_admin_email
      FROM authn.sessions s
      JOIN authn.users u ON u.id = s.user_id AND u.namespace = s.namespace
     WHERE s.id = p_admin_session_id AND s.namespace = v_namespace
       AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL
       AND EXISTS (SELECT 1 FROM gatehouse.namespace_admins a WHERE a.user_id = u.id)
       AND NOT EXISTS (SELECT 1 FROM authn.impersonation_sessions i
                        WHERE i.impersonation_session_id = s.id AND i.ended_at IS NULL)
       AND NOT EXISTS (SELECT 1 FROM authn.operator_impersonation_sessions o
                        WHERE o.impersonation_session_id = s.id AND o.ended_at IS NULL);
    IF NOT FOUND THEN
        RETURN 'not_admin';
    END IF;
    SELECT * INTO r FROM gatehouse.support_requests
     WHERE id = p_request_id AND namespace = v_namespace
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_found';
    END IF;
    IF r.operator_id = v_admin_id OR lower(r.operator_email) = lower(v_admin_email) THEN
        RETURN 'own_request';
    END IF;
    IF r.state <> 'pending' THEN
        RETURN 'decided';
    END IF;
    IF r.expires_at <= now() THEN
        RETURN 'expired';
    END IF;
    UPDATE gatehouse.support_requests
       SET state = CASE WHEN p_approve THEN 'approved' ELSE 'denied' END,
           decided_at = now(), decided_by = v_admin_id, decided_by_email = v_admin_email,
           note = v_note,
           usable_until = CASE WHEN p_approve THEN now() + interval '1 hour' END
     WHERE id = r.id;
    PERFORM authn._log_event(
        CASE WHEN p_approve THEN 'support_access_approved' ELSE 'support_access_denied' END,
        v_namespace, 'user', r.target_user_id::text, NULL,
        jsonb_build_object('request_id', r.id, 'operator_email', r.operator_email,
                           'ticket_reference', r.ticket_reference, 'note', v_note));
    PERFORM authn._log_operator_audit_event(
        CASE WHEN p_approve THEN 'support_access_approved' ELSE 'support_access_denied' END,
        r.operator_namespace, r.operator_id, r.operator_email, r.namespace, r.target_user_id,
        r.target_email, r.reason, r.ticket_reference, NULL, NULL,
        jsonb_build_object('request_id', r.id, 'decided_by_email', v_admin_email,
                           'note', v_note));
    RETURN CASE WHEN p_approve THEN 'approved' ELSE 'denied' END;
END
$$;

-- Spends an approval on the access just started in the same transaction (operator pool): the
-- access (the core's row) must be that operator's, to that user, no longer than approved, and
-- the approval unused and fresh. Answers 'used', or 'not_found', 'not_approved', 'used_before',
-- 'expired', 'mismatch'; the caller rolls back the start on anything but 'used'.
CREATE FUNCTION gatehouse.use_support_approval(p_request_id uuid, p_impersonation_id uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r gatehouse.support_requests;
    o authn.operator_impersonation_sessions;
BEGIN
    SELECT * INTO o FROM authn.operator_impersonation_sessions WHERE id = p_impersonation_id;
    SELECT * INTO r FROM gatehouse.support_requests WHERE id = p_request_id FOR UPDATE;
    IF r.id IS NULL OR o.id IS NULL THEN
        RETURN 'not_found';
    END IF;
    IF r.operator_id <> o.operator_id OR r.target_user_id <> o.target_user_id
       OR r.namespace <> o.target_namespace OR o.expires_at - o.started_at > r.duration THEN
        RETURN 'mismatch';
    END IF;
    IF r.state <> 'approved' THEN
        RETURN 'not_approved';
    END IF;
    IF r.used_at IS NOT NULL THEN
        RETURN 'used_before';
    END IF;
    IF r.usable_until <= now() THEN
        RETURN 'expired';
    END IF;
    UPDATE gatehouse.support_requests SET used_at = now(), impersonation_id = o.id WHERE id = r.id;
    RETURN 'used';
END
$$;

-- Marks the access just started in the same transaction as begun without approval (operator
-- pool), with the operator's second reason, in the customer's list and in both audit trails.
-- Answers the record's id, or NULL when there is no such running access.
CREATE FUNCTION gatehouse.record_break_glass(p_impersonation_id uuid, p_break_glass_reason text)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    o authn.operator_impersonation_sessions;
    v_id uuid;
    v_why text := btrim(p_break_glass_reason);
BEGIN
    SELECT * INTO o FROM authn.operator_impersonation_sessions
     WHERE id = p_impersonation_id AND ended_at IS NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO gatehouse.support_requests (
        namespace, operator_namespace, operator_id, operator_email, target_user_id, target_email,
        reason, ticket_reference, duration, requested_at, expires_at, state, decided_at,
        used_at, impersonation_id, break_glass_reason)
    VALUES (o.target_namespace, o.operator_namespace, o.operator_id, o.operator_email,
            o.target_user_id, o.target_user_email, o.reason, coalesce(o.ticket_reference, '-'),
            o.expires_at - o.started_at, o.started_at, o.started_at, 'break_glass', now(),
            now(), o.id, v_why)
    RETURNING id INTO v_id;
    PERFORM authn._log_event('support_access_break_glass', o.target_namespace, 'user',
        o.target_user_id::text, NULL,
        jsonb_build_object('request_id', v_id, 'impersonation_id', o.id,
                           'operator_email', o.operator_email,
                           'ticket_reference', o.ticket_reference,
                           'break_glass_reason', v_why));
    PERFORM authn._log_operator_audit_event('support_access_break_glass', o.operator_namespace,
        o.operator_id, o.operator_email, o.target_namespace, o.target_user_id, o.target_user_email,
        o.reason, o.ticket_reference, o.impersonation_session_id, o.original_session_id,
        jsonb_build_object('request_id', v_id, 'impersonation_id', o.id,
                           'break_glass_reason', v_why));
    RETURN v_id;
END
$$;

-- An operator's own requests, newest first (operator pool; by their live session).
CREATE FUNCTION gatehouse.support_requests_of_operator(p_operator_session_id uuid, p_limit int)
RETURNS SETOF gatehouse.support_requests
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT r.* FROM gatehouse.support_requests r
     WHERE r.operator_id = (SELECT operator_id FROM gatehouse._operator_of_session(p_operator_session_id))
     ORDER BY r.requested_at DESC
     LIMIT least(greatest(coalesce(p_limit, 50), 1), 500)
$$;

DO $grants$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'gatehouse._operator_of_session(uuid)',
        'gatehouse.request_support_access(uuid, text, uuid, text, text, interval)',
        'gatehouse.decide_support_request(uuid, uuid, boolean, text)',
        'gatehouse.use_support_approval(uuid, uuid)',
        'gatehouse.record_break_glass(uuid, text)',
        'gatehouse.support_requests_of_operator(uuid, int)']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
            EXECUTE format('ALTER FUNCTION %s OWNER TO authn_definer', f);
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
        GRANT SELECT, INSERT, UPDATE ON gatehouse.support_requests TO authn_definer;
        GRANT SELECT ON gatehouse.namespace_admins TO authn_definer;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        -- The customer reads its requests; every change is a function's.
        GRANT SELECT ON gatehouse.support_requests TO authn_app;
        GRANT EXECUTE ON FUNCTION gatehouse.decide_support_request(uuid, uuid, boolean, text)
            TO authn_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_operator') THEN
        GRANT EXECUTE ON FUNCTION
            gatehouse.request_support_access(uuid, text, uuid, text, text, interval),
            gatehouse.use_support_approval(uuid, uuid),
            gatehouse.record_break_glass(uuid, text),
            gatehouse.support_requests_of_operator(uuid, int)
            TO authn_operator;
    END IF;
END
$grants$;
