-- authn core, part 6: tenant-local impersonation (§5.12) and operator impersonation (§5.13).

CREATE FUNCTION authn._check_impersonation_duration(p_duration interval, p_max interval)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_duration > p_max THEN
        RAISE EXCEPTION 'Impersonation duration % exceeds maximum allowed %', p_duration, p_max
            USING ERRCODE = '22023';
    END IF;
    IF p_duration <= interval '0' THEN
        RAISE EXCEPTION 'Impersonation duration must be positive' USING ERRCODE = '22023';
    END IF;
END
$$;

-- §5.12 tenant-local impersonation -----------------------------------------------------------
CREATE FUNCTION authn.start_impersonation(p_actor_session_id uuid, p_target_user_id uuid,
                                          p_token_hash text, p_reason text,
                                          p_duration interval DEFAULT NULL,
                                          p_namespace text DEFAULT 'default')
RETURNS TABLE(impersonation_id uuid, impersonation_session_id uuid, expires_at timestamptz)
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_reason text;
    v_actor_id uuid;
    v_actor_email text;
    v_target_email text;
    v_duration interval;
    v_expires timestamptz;
    v_session_id uuid;
    v_id uuid;
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_namespace(p_namespace);
    v_reason := authn._validate_reason(p_reason);

    SELECT u.id, u.email INTO v_actor_id, v_actor_email
      FROM authn.sessions s
      JOIN authn.users u ON u.id = s.user_id AND u.namespace = p_namespace
     WHERE s.id = p_actor_session_id AND s.namespace = p_namespace
       AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Actor session not found or invalid' USING ERRCODE = '22023';
    END IF;

    SELECT u.email INTO v_target_email
      FROM authn.users u
     WHERE u.id = p_target_user_id AND u.namespace = p_namespace AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Target user not found or disabled' USING ERRCODE = '22023';
    END IF;

    IF v_actor_id = p_target_user_id THEN
        RAISE EXCEPTION 'Cannot impersonate yourself' USING ERRCODE = '22023';
    END IF;

    IF EXISTS (SELECT 1 FROM authn.impersonation_sessions i
                WHERE i.namespace = p_namespace AND i.impersonation_session_id = p_actor_session_id
                  AND i.ended_at IS NULL)
       OR authn._is_operator_impersonation_session(p_actor_session_id) THEN
        RAISE EXCEPTION 'Cannot start impersonation from an impersonation session' USING ERRCODE = '22023';
    END IF;

    v_duration := coalesce(p_duration, authn._impersonation_default_duration());
    PERFORM authn._check_impersonation_duration(v_duration, authn._impersonation_max_duration());
    v_expires := now() + v_duration;

    INSERT INTO authn.sessions (namespace, user_id, token_hash, expires_at, ip_address, user_agent)
    VALUES (p_namespace, p_target_user_id, p_token_hash, v_expires, NULL, 'impersonation')
    RETURNING id INTO v_session_id;

    INSERT INTO authn.impersonation_sessions (namespace, actor_id, target_user_id, original_session_id,
                                              impersonation_session_id, reason, expires_at)
    VALUES (p_namespace, v_actor_id, p_target_user_id, p_actor_session_id, v_session_id, v_reason,
            v_expires)
    RETURNING id INTO v_id;

    PERFORM authn._log_event('impersonation_started', p_namespace, 'impersonation', v_id::text, NULL,
                             jsonb_build_object('actor_id', v_actor_id, 'actor_email', v_actor_email,
                                                'target_user_id', p_target_user_id,
                                                'target_email', v_target_email,
                                                'impersonation_session_id', v_session_id,
                                                'reason', v_reason, 'expires_at', v_expires,
                                                'duration', v_duration));
    RETURN QUERY SELECT v_id, v_session_id, v_expires;
END
$$;

CREATE FUNCTION authn.end_impersonation(p_impersonation_id uuid, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_row authn.impersonation_sessions%ROWTYPE;
    v_actor_email text;
    v_target_email text;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    SELECT * INTO v_row
      FROM authn.impersonation_sessions i
     WHERE i.id = p_impersonation_id AND i.namespace = p_namespace AND i.ended_at IS NULL
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE authn.impersonation_sessions i SET ended_at = now() WHERE i.id = v_row.id;
    IF v_row.impersonation_session_id IS NOT NULL THEN
        UPDATE authn.sessions s SET revoked_at = now()
         WHERE s.id = v_row.impersonation_session_id AND s.revoked_at IS NULL;
    END IF;

    SELECT u.email INTO v_actor_email FROM authn.users u WHERE u.id = v_row.actor_id;
    SELECT u.email INTO v_target_email FROM authn.users u WHERE u.id = v_row.target_user_id;

    PERFORM authn._log_event('impersonation_ended', p_namespace, 'impersonation', v_row.id::text,
                             jsonb_build_object('started_at', v_row.started_at,
                                                'was_expired', v_row.expires_at <= now()),
                             jsonb_build_object('actor_id', v_row.actor_id,
                                                'actor_email', v_actor_email,
                                                'target_user_id', v_row.target_user_id,
                                                'target_email', v_target_email,
                                                'reason', v_row.reason,
                                                'duration', now() - v_row.started_at));
    RETURN true;
END
$$;

CREATE FUNCTION authn.get_impersonation_context(p_session_id uuid, p_namespace text DEFAULT 'default')
RETURNS TABLE(is_impersonating boolean, impersonation_id uuid, actor_id uuid, actor_email text,
              target_user_id uuid, reason text, started_at timestamptz, expires_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    RETURN QUERY
        SELECT (live.id IS NOT NULL), live.id, live.actor_id, live.actor_email,
               live.target_user_id, live.reason, live.started_at, live.expires_at
          FROM (SELECT 1) AS one
          LEFT JOIN LATERAL (
              SELECT i.id, i.actor_id, a.email AS actor_email, i.target_user_id, i.reason,
                     i.started_at, i.expires_at
                FROM authn.impersonation_sessions i
                JOIN authn.sessions s ON s.id = i.impersonation_session_id
                JOIN authn.users a ON a.id = i.actor_id AND a.namespace = p_namespace
                JOIN authn.users t ON t.id = i.target_user_id AND t.namespace = p_namespace
               WHERE i.namespace = p_namespace AND i.impersonation_session_id = p_session_id
                 AND i.ended_at IS NULL AND i.expires_at > now()
                 AND s.revoked_at IS NULL
                 AND a.disabled_at IS NULL AND t.disabled_at IS NULL
               ORDER BY i.started_at DESC
               LIMIT 1) AS live ON true;
END
$$;

CREATE FUNCTION authn.list_active_impersonations(p_namespace text DEFAULT 'default')
RETURNS TABLE(impersonation_id uuid, actor_id uuid, actor_email text, target_user_id uuid,
              target_email text, reason text, started_at timestamptz, expires_at timestamptz,
              impersonation_session_id uuid)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT i.id, i.actor_id, a.email, i.target_user_id, t.email, i.reason, i.started_at,
               i.expires_at, i.impersonation_session_id
          FROM authn.impersonation_sessions i
          JOIN authn.sessions s ON s.id = i.impersonation_session_id
          JOIN authn.users a ON a.id = i.actor_id AND a.namespace = p_namespace
          JOIN authn.users t ON t.id = i.target_user_id AND t.namespace = p_namespace
         WHERE i.namespace = p_namespace AND i.ended_at IS NULL AND i.expires_at > now()
           AND s.revoked_at IS NULL AND a.disabled_at IS NULL AND t.disabled_at IS NULL
         ORDER BY i.started_at DESC, i.id;
END
$$;

CREATE FUNCTION authn.list_impersonation_history(p_namespace text DEFAULT 'default',
                                                 p_limit int DEFAULT 100,
                                                 p_actor_id uuid DEFAULT NULL,
                                                 p_target_user_id uuid DEFAULT NULL)
RETURNS TABLE(impersonation_id uuid, actor_id uuid, actor_email text, target_user_id uuid,
              target_email text, reason text, started_at timestamptz, expires_at timestamptz,
              ended_at timestamptz, is_active boolean)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT i.id, i.actor_id, a.email, i.target_user_id, t.email, i.reason, i.started_at,
               i.expires_at, i.ended_at,
               (i.ended_at IS NULL AND i.expires_at > now()
                AND a.disabled_at IS NULL AND t.disabled_at IS NULL
                AND s.id IS NOT NULL AND s.revoked_at IS NULL)
          FROM authn.impersonation_sessions i
          JOIN authn.users a ON a.id = i.actor_id
          JOIN authn.users t ON t.id = i.target_user_id
          LEFT JOIN authn.sessions s ON s.id = i.impersonation_session_id
         WHERE i.namespace = p_namespace
           AND (p_actor_id IS NULL OR i.actor_id = p_actor_id)
           AND (p_target_user_id IS NULL OR i.target_user_id = p_target_user_id)
         ORDER BY i.started_at DESC, i.id
         LIMIT p_limit;
END
$$;

-- §5.13 operator impersonation: SECURITY DEFINER, EXECUTE revoked from PUBLIC; ownership
-- moves to the RLS-bypassing definer role in the roles migration (decision D2).
CREATE FUNCTION authn._log_operator_audit_event(
    p_event_type text, p_operator_namespace text, p_operator_id uuid, p_operator_email text,
    p_target_namespace text, p_target_user_id uuid, p_target_user_email text, p_reason text,
    p_ticket_reference text DEFAULT NULL, p_impersonation_session_id uuid DEFAULT NULL,
    p_operator_original_session_id uuid DEFAULT NULL, p_details jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO authn.operator_audit_events (
        event_type, operator_namespace, operator_id, operator_email, target_namespace,
        target_user_id, target_user_email, impersonation_session_id,
        operator_original_session_id, reason, ticket_reference, ip_address, user_agent, details)
    VALUES (
        p_event_type, p_operator_namespace, p_operator_id, p_operator_email, p_target_namespace,
        p_target_user_id, p_target_user_email, p_impersonation_session_id,
        p_operator_original_session_id, p_reason, p_ticket_reference,
        nullif(current_setting('authn.ip_address', true), '')::inet,
        nullif(current_setting('authn.user_agent', true), ''),
        p_details);
END
$$;
-- Decision D9: nobody but the definer functions may write operator audit rows.
REVOKE EXECUTE ON FUNCTION authn._log_operator_audit_event(text, text, uuid, text, text, uuid, text,
                                                         text, text, uuid, uuid, jsonb) FROM PUBLIC;

CREATE FUNCTION authn.start_operator_impersonation(p_operator_session_id uuid, p_target_user_id uuid,
                                                   p_target_namespace text, p_token_hash text,
                                                   p_reason text, p_duration interval DEFAULT NULL,
                                                   p_ticket_reference text DEFAULT NULL)
RETURNS TABLE(impersonation_id uuid, impersonation_session_id uuid, expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
DECLARE
    v_reason text;
    v_ticket text := nullif(btrim(p_ticket_reference), '');
    v_operator_id uuid;
    v_operator_email text;
    v_operator_ns text;
    v_target_email text;
    v_duration interval;
    v_expires timestamptz;
    v_session_id uuid;
    v_id uuid;
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_namespace(p_target_namespace);
    v_reason := authn._validate_reason(p_reason);

    SELECT u.id, u.email, s.namespace INTO v_operator_id, v_operator_email, v_operator_ns
      FROM authn.sessions s
      JOIN authn.users u ON u.id = s.user_id AND u.namespace = s.namespace
     WHERE s.id = p_operator_session_id AND s.revoked_at IS NULL AND s.expires_at > now()
       AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Operator session not found or invalid' USING ERRCODE = '22023';
    END IF;

    SELECT u.email INTO v_target_email
      FROM authn.users u
     WHERE u.id = p_target_user_id AND u.namespace = p_target_namespace AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Target user not found or disabled' USING ERRCODE = '22023';
    END IF;

    IF v_operator_id = p_target_user_id AND v_operator_ns = p_target_namespace THEN
        RAISE EXCEPTION 'Cannot impersonate yourself' USING ERRCODE = '22023';
    END IF;

    IF EXISTS (SELECT 1 FROM authn.operator_impersonation_sessions o
                WHERE o.impersonation_session_id = p_operator_session_id AND o.ended_at IS NULL)
       OR EXISTS (SELECT 1 FROM authn.impersonation_sessions i
                   WHERE i.impersonation_session_id = p_operator_session_id AND i.ended_at IS NULL) THEN
        RAISE EXCEPTION 'Cannot start operator impersonation from an impersonation session'
            USING ERRCODE = '22023';
    END IF;

    v_duration := coalesce(p_duration, authn._operator_impersonation_default_duration());
    PERFORM authn._check_impersonation_duration(v_duration, authn._operator_impersonation_max_duration());
    v_expires := now() + v_duration;

    INSERT INTO authn.sessions (namespace, user_id, token_hash, expires_at, ip_address, user_agent)
    VALUES (p_target_namespace, p_target_user_id, p_token_hash, v_expires, NULL, 'operator_impersonation')
    RETURNING id INTO v_session_id;

    INSERT INTO authn.operator_impersonation_sessions (
        operator_id, operator_email, operator_namespace, original_session_id, target_user_id,
        target_user_email, target_namespace, impersonation_session_id, reason, ticket_reference,
        expires_at)
    VALUES (v_operator_id, v_operator_email, v_operator_ns, p_operator_session_id, p_target_user_id,
            v_target_email, p_target_namespace, v_session_id, v_reason, v_ticket, v_expires)
    RETURNING id INTO v_id;

    PERFORM authn._log_operator_audit_event(
        'operator_impersonation_started', v_operator_ns, v_operator_id, v_operator_email,
        p_target_namespace, p_target_user_id, v_target_email, v_reason, v_ticket, v_session_id,
        p_operator_session_id,
        jsonb_build_object('impersonation_id', v_id, 'expires_at', v_expires, 'duration', v_duration));
    RETURN QUERY SELECT v_id, v_session_id, v_expires;
END
$$;

CREATE FUNCTION authn.end_operator_impersonation(p_impersonation_id uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
DECLARE
    v_row authn.operator_impersonation_sessions%ROWTYPE;
BEGIN
    SELECT * INTO v_row
      FROM authn.operator_impersonation_sessions o
     WHERE o.id = p_impersonation_id AND o.ended_at IS NULL
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE authn.operator_impersonation_sessions o SET ended_at = now() WHERE o.id = v_row.id;
    IF v_row.impersonation_session_id IS NOT NULL THEN
        UPDATE authn.sessions s SET revoked_at = now()
         WHERE s.id = v_row.impersonation_session_id AND s.revoked_at IS NULL;
    END IF;

    PERFORM authn._log_operator_audit_event(
        'operator_impersonation_ended', v_row.operator_namespace, v_row.operator_id,
        v_row.operator_email, v_row.target_namespace, v_row.target_user_id, v_row.target_user_email,
        v_row.reason, v_row.ticket_reference, v_row.impersonation_session_id,
        v_row.original_session_id,
        jsonb_build_object('impersonation_id', v_row.id, 'started_at', v_row.started_at,
                           'was_expired', v_row.expires_at <= now(),
                           'duration', now() - v_row.started_at));
    RETURN true;
END
$$;

CREATE FUNCTION authn.get_operator_impersonation_context(p_session_id uuid)
RETURNS TABLE(is_operator_impersonating boolean, impersonation_id uuid, operator_id uuid,
              operator_email text, operator_namespace text, target_user_id uuid,
              target_user_email text, target_namespace text, reason text, ticket_reference text,
              started_at timestamptz, expires_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
        SELECT (live.id IS NOT NULL), live.id, live.operator_id, live.operator_email,
               live.operator_namespace, live.target_user_id, live.target_user_email,
               live.target_namespace, live.reason, live.ticket_reference, live.started_at,
               live.expires_at
          FROM (SELECT 1) AS one
          LEFT JOIN LATERAL (
              SELECT o.*
                FROM authn.operator_impersonation_sessions o
                JOIN authn.sessions s ON s.id = o.impersonation_session_id
                JOIN authn.users op ON op.id = o.operator_id AND op.namespace = o.operator_namespace
                -- Decision D13: the target must still exist and be enabled as well.
                JOIN authn.users t ON t.id = o.target_user_id AND t.namespace = o.target_namespace
               WHERE o.impersonation_session_id = p_session_id
                 AND o.ended_at IS NULL AND o.expires_at > now()
                 AND s.revoked_at IS NULL
                 AND op.disabled_at IS NULL AND t.disabled_at IS NULL
               ORDER BY o.started_at DESC
               LIMIT 1) AS live ON true;
END
$$;

CREATE FUNCTION authn.list_operator_impersonations_for_target(p_target_namespace text,
                                                              p_limit int DEFAULT 100,
                                                              p_target_user_id uuid DEFAULT NULL)
RETURNS TABLE(impersonation_id uuid, operator_id uuid, operator_email text, operator_namespace text,
              target_user_id uuid, target_user_email text, reason text, ticket_reference text,
              started_at timestamptz, expires_at timestamptz, ended_at timestamptz,
              is_active boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_target_namespace);
    RETURN QUERY
        SELECT o.id, o.operator_id, o.operator_email, o.operator_namespace, o.target_user_id,
               o.target_user_email, o.reason, o.ticket_reference, o.started_at, o.expires_at,
               o.ended_at,
               (o.ended_at IS NULL AND o.expires_at > now() AND s.id IS NOT NULL
                AND s.revoked_at IS NULL)
          FROM authn.operator_impersonation_sessions o
          LEFT JOIN authn.sessions s ON s.id = o.impersonation_session_id
         WHERE o.target_namespace = p_target_namespace
           AND (p_target_user_id IS NULL OR o.target_user_id = p_target_user_id)
         ORDER BY o.started_at DESC, o.id
         LIMIT p_limit;
END
$$;

CREATE FUNCTION authn.list_operator_impersonations_by_operator(p_operator_id uuid,
                                                               p_operator_namespace text,
                                                               p_limit int DEFAULT 100)
RETURNS TABLE(impersonation_id uuid, target_user_id uuid, target_user_email text,
              target_namespace text, reason text, ticket_reference text, started_at timestamptz,
              expires_at timestamptz, ended_at timestamptz, is_active boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_operator_namespace);
    RETURN QUERY
        SELECT o.id, o.target_user_id, o.target_user_email, o.target_namespace, o.reason,
               o.ticket_reference, o.started_at, o.expires_at, o.ended_at,
               (o.ended_at IS NULL AND o.expires_at > now() AND s.id IS NOT NULL
                AND s.revoked_at IS NULL)
          FROM authn.operator_impersonation_sessions o
          LEFT JOIN authn.sessions s ON s.id = o.impersonation_session_id
         WHERE o.operator_id = p_operator_id AND o.operator_namespace = p_operator_namespace
         ORDER BY o.started_at DESC, o.id
         LIMIT p_limit;
END
$$;

CREATE FUNCTION authn.list_active_operator_impersonations(p_limit int DEFAULT 100)
RETURNS TABLE(impersonation_id uuid, operator_id uuid, operator_email text, operator_namespace text,
              target_user_id uuid, target_user_email text, target_namespace text, reason text,
              ticket_reference text, started_at timestamptz, expires_at timestamptz,
              impersonation_session_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
        SELECT o.id, o.operator_id, o.operator_email, o.operator_namespace, o.target_user_id,
               o.target_user_email, o.target_namespace, o.reason, o.ticket_reference,
               o.started_at, o.expires_at, o.impersonation_session_id
          FROM authn.operator_impersonation_sessions o
          JOIN authn.sessions s ON s.id = o.impersonation_session_id
         WHERE o.ended_at IS NULL AND o.expires_at > now() AND s.revoked_at IS NULL
         ORDER BY o.started_at DESC, o.id
         LIMIT p_limit;
END
$$;

CREATE FUNCTION authn.get_operator_audit_events(p_limit int DEFAULT 100, p_event_type text DEFAULT NULL,
                                                p_operator_namespace text DEFAULT NULL,
                                                p_target_namespace text DEFAULT NULL)
RETURNS TABLE(event_id uuid, event_type text, occurred_at timestamptz, operator_namespace text,
              operator_id uuid, operator_email text, target_namespace text, target_user_id uuid,
              target_user_email text, reason text, ticket_reference text, ip_address inet,
              user_agent text, details jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
        SELECT e.id, e.event_type, e.occurred_at, e.operator_namespace, e.operator_id,
               e.operator_email, e.target_namespace, e.target_user_id, e.target_user_email,
               e.reason, e.ticket_reference, e.ip_address, e.user_agent, e.details
          FROM authn.operator_audit_events e
         WHERE (p_event_type IS NULL OR e.event_type = p_event_type)
           AND (p_operator_namespace IS NULL OR e.operator_namespace = p_operator_namespace)
           AND (p_target_namespace IS NULL OR e.target_namespace = p_target_namespace)
         ORDER BY e.occurred_at DESC, e.id
         LIMIT p_limit;
END
$$;

DO $revoke$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'authn.start_operator_impersonation(uuid, uuid, text, text, text, interval, text)',
        'authn.end_operator_impersonation(uuid)',
        'authn.get_operator_impersonation_context(uuid)',
        'authn.list_operator_impersonations_for_target(text, int, uuid)',
        'authn.list_operator_impersonations_by_operator(uuid, text, int)',
        'authn.list_active_operator_impersonations(int)',
        'authn.get_operator_audit_events(int, text, text, text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$revoke$;
