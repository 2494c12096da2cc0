-- authn core, part 3: users (§5.1), credentials (§5.2), sessions (§5.3), refresh tokens (§5.4).
-- Every function filters by p_namespace explicitly as well as through RLS (decision D1).

-- §5.1 users ---------------------------------------------------------------------------------
CREATE FUNCTION authn.create_user(p_email text, p_password_hash text DEFAULT NULL,
                                  p_namespace text DEFAULT 'default')
RETURNS uuid
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
    v_id uuid;
BEGIN
    v_email := authn._validate_email(p_email);
    PERFORM authn._validate_hash(p_password_hash, 'password_hash', true);
    PERFORM authn._validate_namespace(p_namespace);

    INSERT INTO authn.users (namespace, email, password_hash)
    VALUES (p_namespace, v_email, p_password_hash)
    RETURNING id INTO v_id;

    PERFORM authn._log_event('user_created', p_namespace, 'user', v_id::text,
                             NULL, jsonb_build_object('email', v_email));
    RETURN v_id;
END
$$;

CREATE FUNCTION authn.get_user(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, email text, email_verified_at timestamptz, disabled_at timestamptz,
              created_at timestamptz, updated_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT u.id, u.email, u.email_verified_at, u.disabled_at, u.created_at, u.updated_at
          FROM authn.users u
         WHERE u.id = p_user_id AND u.namespace = p_namespace;
END
$$;

CREATE FUNCTION authn.get_user_by_email(p_email text, p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, email text, email_verified_at timestamptz, disabled_at timestamptz,
              created_at timestamptz, updated_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
BEGIN
    v_email := authn._validate_email(p_email);
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT u.id, u.email, u.email_verified_at, u.disabled_at, u.created_at, u.updated_at
          FROM authn.users u
         WHERE u.namespace = p_namespace AND u.email = v_email;
END
$$;

CREATE FUNCTION authn.update_email(p_user_id uuid, p_new_email text, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
    v_old text;
BEGIN
    v_email := authn._validate_email(p_new_email);
    PERFORM authn._validate_namespace(p_namespace);

    SELECT u.email INTO v_old
      FROM authn.users u
     WHERE u.id = p_user_id AND u.namespace = p_namespace
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE authn.users u
       SET email = v_email, email_verified_at = NULL, updated_at = now()
     WHERE u.id = p_user_id AND u.namespace = p_namespace;

    PERFORM authn._log_event('email_updated', p_namespace, 'user', p_user_id::text,
                             jsonb_build_object('email', v_old), jsonb_build_object('email', v_email));
    RETURN true;
END
$$;

CREATE FUNCTION authn.disable_user(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_count int;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.users u
       SET disabled_at = now(), updated_at = now()
     WHERE u.id = p_user_id AND u.namespace = p_namespace AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE authn.sessions s
       SET revoked_at = now()
     WHERE s.namespace = p_namespace AND s.user_id = p_user_id AND s.revoked_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;

    PERFORM authn._log_event('user_disabled', p_namespace, 'user', p_user_id::text,
                             NULL, jsonb_build_object('sessions_revoked', v_count));
    RETURN true;
END
$$;

CREATE FUNCTION authn.enable_user(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.users u
       SET disabled_at = NULL, updated_at = now()
     WHERE u.id = p_user_id AND u.namespace = p_namespace AND u.disabled_at IS NOT NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    PERFORM authn._log_event('user_enabled', p_namespace, 'user', p_user_id::text);
    RETURN true;
END
$$;

CREATE FUNCTION authn.delete_user(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    DELETE FROM authn.users u
     WHERE u.id = p_user_id AND u.namespace = p_namespace
    RETURNING u.email INTO v_email;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    PERFORM authn._log_event('user_deleted', p_namespace, 'user', p_user_id::text,
                             jsonb_build_object('email', v_email), NULL);
    RETURN true;
END
$$;

CREATE FUNCTION authn.list_users(p_namespace text DEFAULT 'default', p_limit int DEFAULT 100,
                                 p_cursor uuid DEFAULT NULL)
RETURNS TABLE(user_id uuid, email text, email_verified_at timestamptz, disabled_at timestamptz,
              created_at timestamptz, updated_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT u.id, u.email, u.email_verified_at, u.disabled_at, u.created_at, u.updated_at
          FROM authn.users u
         WHERE u.namespace = p_namespace
           AND (p_cursor IS NULL OR u.id > p_cursor)
         ORDER BY u.id
         LIMIT CASE WHEN p_limit IS NULL THEN NULL ELSE least(p_limit, 1000) END;
END
$$;

CREATE FUNCTION authn.get_users_batch(p_user_ids uuid[], p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, email text, email_verified_at timestamptz, disabled_at timestamptz,
              created_at timestamptz, updated_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT u.id, u.email, u.email_verified_at, u.disabled_at, u.created_at, u.updated_at
          FROM authn.users u
         WHERE u.namespace = p_namespace AND u.id = ANY (p_user_ids)
         ORDER BY u.id;
END
$$;

CREATE FUNCTION authn.get_or_create_user(p_email text, p_password_hash text DEFAULT NULL,
                                         p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, created boolean, disabled boolean)
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
    v_id uuid;
    v_disabled timestamptz;
BEGIN
    v_email := authn._validate_email(p_email);
    PERFORM authn._validate_hash(p_password_hash, 'password_hash', true);
    PERFORM authn._validate_namespace(p_namespace);

    INSERT INTO authn.users (namespace, email, password_hash)
    VALUES (p_namespace, v_email, p_password_hash)
    ON CONFLICT ON CONSTRAINT users_namespace_email_key DO NOTHING
    RETURNING id INTO v_id;

    IF v_id IS NOT NULL THEN
        PERFORM authn._log_event('user_created', p_namespace, 'user', v_id::text, NULL,
                                 jsonb_build_object('email', v_email, 'via', 'get_or_create'));
        RETURN QUERY SELECT v_id, true, false;
        RETURN;
    END IF;

    SELECT u.id, u.disabled_at INTO v_id, v_disabled
      FROM authn.users u
     WHERE u.namespace = p_namespace AND u.email = v_email;
    IF NOT FOUND THEN
        -- Deleted between the conflict and this read: report it rather than return nothing.
        RAISE EXCEPTION 'user % changed concurrently, retry', v_email USING ERRCODE = '40001';
    END IF;
    RETURN QUERY SELECT v_id, false, v_disabled IS NOT NULL;
END
$$;

-- §5.2 credentials ---------------------------------------------------------------------------
CREATE FUNCTION authn.get_credentials(p_email text, p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, password_hash text, disabled_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
BEGIN
    v_email := authn._validate_email(p_email);
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT u.id, u.password_hash, u.disabled_at
          FROM authn.users u
         WHERE u.namespace = p_namespace AND u.email = v_email;
END
$$;

CREATE FUNCTION authn.update_password(p_user_id uuid, p_new_password_hash text,
                                      p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_hash(p_new_password_hash, 'password_hash', false);
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.users u
       SET password_hash = p_new_password_hash, updated_at = now()
     WHERE u.id = p_user_id AND u.namespace = p_namespace;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    PERFORM authn._log_event('password_updated', p_namespace, 'user', p_user_id::text);
    RETURN true;
END
$$;

-- §5.3 sessions ------------------------------------------------------------------------------
CREATE FUNCTION authn.create_session(p_user_id uuid, p_token_hash text,
                                     p_expires_in interval DEFAULT NULL,
                                     p_ip_address inet DEFAULT NULL,
                                     p_user_agent text DEFAULT NULL,
                                     p_namespace text DEFAULT 'default')
RETURNS uuid
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_id uuid;
    v_expires timestamptz;
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._require_user_in_namespace(p_user_id, p_namespace);

    v_expires := now() + coalesce(p_expires_in, authn._session_duration());
    INSERT INTO authn.sessions (namespace, user_id, token_hash, expires_at, ip_address, user_agent)
    VALUES (p_namespace, p_user_id, p_token_hash, v_expires, p_ip_address, p_user_agent)
    RETURNING id INTO v_id;

    PERFORM authn._log_event('session_created', p_namespace, 'session', v_id::text, NULL,
                             jsonb_build_object('user_id', p_user_id, 'expires_at', v_expires),
                             p_ip_address);
    RETURN v_id;
END
$$;

-- Operator impersonation rows are invisible to ordinary roles; these two definer helpers
-- answer the only questions tenant functions need to ask about them, keyed by a session id.
CREATE FUNCTION authn._is_operator_impersonation_session(p_session_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM authn.operator_impersonation_sessions o
                    WHERE o.impersonation_session_id = p_session_id AND o.ended_at IS NULL)
$$;

-- Decision D13: an operator-impersonation session whose operator is disabled or gone
-- must not validate in the target namespace.
CREATE FUNCTION authn._operator_impersonation_rejected(p_session_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = authn, pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1
          FROM authn.operator_impersonation_sessions o
          LEFT JOIN authn.users op ON op.id = o.operator_id AND op.namespace = o.operator_namespace
         WHERE o.impersonation_session_id = p_session_id
           AND o.ended_at IS NULL
           AND (op.id IS NULL OR op.disabled_at IS NOT NULL))
$$;

-- The hot path. One index probe joins session, user and (only for sessions created by
-- start_impersonation, recognisable by their user agent) the impersonation row, so an
-- ordinary session costs one statement. Input checks run the full validators only when the
-- cheap test says something is wrong, so the error codes stay those of §4.
CREATE FUNCTION authn.validate_session(p_token_hash text, p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, email text, session_id uuid, is_impersonating boolean,
              impersonator_id uuid, impersonator_email text, impersonation_reason text)
LANGUAGE plpgsql VOLATILE SET search_path = authn, pg_temp AS $$
DECLARE
    v_user_id uuid;
    v_email text;
    v_session_id uuid;
    v_user_agent text;
    v_actor_id uuid;
    v_actor_email text;
    v_actor_disabled timestamptz;
    v_reason text;
BEGIN
    IF p_token_hash IS NULL OR length(p_token_hash) > 1024 OR btrim(p_token_hash) = ''
       OR p_token_hash ~ '[\x01-\x1f\x7f]'
       OR p_namespace IS NULL OR length(p_namespace) > 1024 OR p_namespace <> btrim(p_namespace)
       OR p_namespace = '' OR p_namespace ~ '[\x01-\x1f\x7f]' THEN
        PERFORM authn._validate_hash(p_token_hash, 'token_hash');
        PERFORM authn._validate_namespace(p_namespace);
    END IF;

    SELECT s.user_id, u.email, s.id, s.user_agent
      INTO v_user_id, v_email, v_session_id, v_user_agent
      FROM authn.sessions s
      JOIN authn.users u ON u.id = s.user_id
     WHERE s.namespace = p_namespace
       AND s.token_hash = p_token_hash
       AND s.revoked_at IS NULL
       AND s.expires_at > now()
       AND u.namespace = p_namespace
       AND u.disabled_at IS NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    IF v_user_agent = 'impersonation' THEN
        SELECT i.actor_id, a.email, a.disabled_at, i.reason
          INTO v_actor_id, v_actor_email, v_actor_disabled, v_reason
          FROM authn.impersonation_sessions i
          JOIN authn.users a ON a.id = i.actor_id AND a.namespace = p_namespace
         WHERE i.namespace = p_namespace
           AND i.impersonation_session_id = v_session_id
           AND i.ended_at IS NULL
           AND i.expires_at > now()
         ORDER BY i.started_at DESC
         LIMIT 1;
        IF FOUND THEN
            IF v_actor_disabled IS NOT NULL THEN
                RETURN;
            END IF;
            -- §5.3 / D6: attribute the rest of this transaction to the impersonator.
            PERFORM set_config('authn.actor_id', 'user:' || v_actor_id::text, true),
                    set_config('authn.request_id', '', true),
                    set_config('authn.ip_address', '', true),
                    set_config('authn.user_agent', '', true),
                    set_config('authn.on_behalf_of', 'user:' || v_user_id::text, true),
                    set_config('authn.reason', 'Impersonation: ' || v_reason, true);
            RETURN QUERY SELECT v_user_id, v_email, v_session_id, true, v_actor_id, v_actor_email, v_reason;
            RETURN;
        END IF;
    ELSIF v_user_agent = 'operator_impersonation' THEN
        IF authn._operator_impersonation_rejected(v_session_id) THEN
            RETURN;
        END IF;
    END IF;

    RETURN QUERY SELECT v_user_id, v_email, v_session_id, false, NULL::uuid, NULL::text, NULL::text;
END
$$;

CREATE FUNCTION authn.extend_session(p_token_hash text, p_extend_by interval DEFAULT NULL,
                                     p_namespace text DEFAULT 'default')
RETURNS timestamptz
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_id uuid;
    v_user_id uuid;
    v_expires timestamptz;
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_namespace(p_namespace);

    SELECT s.id, s.user_id INTO v_id, v_user_id
      FROM authn.sessions s
     WHERE s.namespace = p_namespace AND s.token_hash = p_token_hash
       AND s.revoked_at IS NULL AND s.expires_at > now()
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    -- Decision D7: an impersonation session lives exactly as long as its impersonation.
    IF EXISTS (SELECT 1 FROM authn.impersonation_sessions i
                WHERE i.namespace = p_namespace AND i.impersonation_session_id = v_id
                  AND i.ended_at IS NULL)
       OR authn._is_operator_impersonation_session(v_id) THEN
        RETURN NULL;
    END IF;

    v_expires := now() + coalesce(p_extend_by, authn._session_duration());
    UPDATE authn.sessions s SET expires_at = v_expires WHERE s.id = v_id;

    PERFORM authn._log_event('session_extended', p_namespace, 'session', v_id::text, NULL,
                             jsonb_build_object('user_id', v_user_id, 'new_expires_at', v_expires));
    RETURN v_expires;
END
$$;

CREATE FUNCTION authn.revoke_session(p_token_hash text, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_id uuid;
    v_user_id uuid;
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.sessions s
       SET revoked_at = now()
     WHERE s.namespace = p_namespace AND s.token_hash = p_token_hash AND s.revoked_at IS NULL
    RETURNING s.id, s.user_id INTO v_id, v_user_id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    PERFORM authn._log_event('session_revoked', p_namespace, 'session', v_id::text, NULL,
                             jsonb_build_object('user_id', v_user_id));
    RETURN true;
END
$$;

CREATE FUNCTION authn.revoke_all_sessions(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS int
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_count int;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.sessions s
       SET revoked_at = now()
     WHERE s.namespace = p_namespace AND s.user_id = p_user_id AND s.revoked_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;

    IF v_count > 0 THEN
        PERFORM authn._log_event('sessions_revoked_all', p_namespace, 'user', p_user_id::text, NULL,
                                 jsonb_build_object('sessions_revoked', v_count));
    END IF;
    RETURN v_count;
END
$$;

CREATE FUNCTION authn.revoke_other_sessions(p_user_id uuid, p_except_session_id uuid,
                                            p_namespace text DEFAULT 'default')
RETURNS int
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_count int;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    -- Decision D8 (kept): a NULL kept id matches nothing, so nothing is revoked.
    UPDATE authn.sessions s
       SET revoked_at = now()
     WHERE s.namespace = p_namespace AND s.user_id = p_user_id AND s.revoked_at IS NULL
       AND s.id <> p_except_session_id;
    GET DIAGNOSTICS v_count = ROW_COUNT;

    IF v_count > 0 THEN
        PERFORM authn._log_event('sessions_revoked_other', p_namespace, 'user', p_user_id::text, NULL,
                                 jsonb_build_object('sessions_revoked', v_count,
                                                    'preserved_session_id', p_except_session_id));
    END IF;
    RETURN v_count;
END
$$;

CREATE FUNCTION authn.list_sessions(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS TABLE(session_id uuid, created_at timestamptz, expires_at timestamptz, ip_address inet,
              user_agent text)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT s.id, s.created_at, s.expires_at, s.ip_address, s.user_agent
          FROM authn.sessions s
         WHERE s.namespace = p_namespace AND s.user_id = p_user_id
           AND s.revoked_at IS NULL AND s.expires_at > now()
         ORDER BY s.created_at DESC, s.id;
END
$$;

CREATE FUNCTION authn.revoke_session_by_id(p_session_id uuid, p_user_id uuid,
                                           p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.sessions s
       SET revoked_at = now()
     WHERE s.id = p_session_id AND s.user_id = p_user_id AND s.namespace = p_namespace
       AND s.revoked_at IS NULL;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    PERFORM authn._log_event('session_revoked', p_namespace, 'session', p_session_id::text, NULL,
                             jsonb_build_object('user_id', p_user_id));
    RETURN true;
END
$$;

-- §5.4 refresh tokens ------------------------------------------------------------------------
CREATE FUNCTION authn.create_refresh_token(p_session_id uuid, p_token_hash text,
                                           p_expires_in interval DEFAULT NULL,
                                           p_namespace text DEFAULT 'default')
RETURNS TABLE(refresh_token_id uuid, family_id uuid, expires_at timestamptz)
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_user_id uuid;
    v_id uuid;
    v_family uuid := gen_random_uuid();
    v_expires timestamptz;
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_namespace(p_namespace);

    SELECT s.user_id INTO v_user_id
      FROM authn.sessions s
     WHERE s.id = p_session_id AND s.namespace = p_namespace
       AND s.revoked_at IS NULL AND s.expires_at > now();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Session not found or invalid' USING ERRCODE = '22023';
    END IF;

    v_expires := now() + coalesce(p_expires_in, authn._refresh_token_duration());
    INSERT INTO authn.refresh_tokens (namespace, user_id, session_id, token_hash, family_id,
                                      generation, expires_at)
    VALUES (p_namespace, v_user_id, p_session_id, p_token_hash, v_family, 1, v_expires)
    RETURNING id INTO v_id;

    PERFORM authn._log_event('refresh_token_created', p_namespace, 'refresh_token', v_id::text, NULL,
                             jsonb_build_object('user_id', v_user_id, 'session_id', p_session_id,
                                                'family_id', v_family, 'expires_at', v_expires));
    RETURN QUERY SELECT v_id, v_family, v_expires;
END
$$;

CREATE FUNCTION authn.rotate_refresh_token(p_old_token_hash text, p_new_token_hash text,
                                           p_expires_in interval DEFAULT NULL,
                                           p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, session_id uuid, new_refresh_token_id uuid, family_id uuid,
              generation int, expires_at timestamptz)
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_old authn.refresh_tokens%ROWTYPE;
    v_count int;
    v_new_id uuid;
    v_expires timestamptz;
BEGIN
    PERFORM authn._validate_hash(p_old_token_hash, 'old_token_hash');
    PERFORM authn._validate_hash(p_new_token_hash, 'new_token_hash');
    PERFORM authn._validate_namespace(p_namespace);

    -- Decision D10: lock the presented token so that of two concurrent rotations the second
    -- sees replaced_by and is treated as reuse instead of forking the family.
    SELECT * INTO v_old
      FROM authn.refresh_tokens r
     WHERE r.namespace = p_namespace AND r.token_hash = p_old_token_hash
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    IF v_old.replaced_by IS NOT NULL THEN
        UPDATE authn.refresh_tokens r
           SET revoked_at = now()
         WHERE r.namespace = p_namespace AND r.family_id = v_old.family_id AND r.revoked_at IS NULL;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        PERFORM authn._log_event('refresh_token_reuse_detected', p_namespace, 'refresh_token',
                                 v_old.id::text, NULL,
                                 jsonb_build_object('user_id', v_old.user_id,
                                                    'family_id', v_old.family_id,
                                                    'generation', v_old.generation,
                                                    'tokens_revoked', v_count));
        RETURN;
    END IF;

    IF v_old.revoked_at IS NOT NULL OR v_old.expires_at <= now() THEN
        RETURN;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM authn.sessions s
                    WHERE s.id = v_old.session_id AND s.namespace = p_namespace
                      AND s.revoked_at IS NULL AND s.expires_at > now()) THEN
        RETURN;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM authn.users u
                    WHERE u.id = v_old.user_id AND u.namespace = p_namespace
                      AND u.disabled_at IS NULL) THEN
        RETURN;
    END IF;

    v_expires := now() + coalesce(p_expires_in, authn._refresh_token_duration());
    INSERT INTO authn.refresh_tokens (namespace, user_id, session_id, token_hash, family_id,
                                      generation, expires_at)
    VALUES (p_namespace, v_old.user_id, v_old.session_id, p_new_token_hash, v_old.family_id,
            v_old.generation + 1, v_expires)
    RETURNING id INTO v_new_id;

    UPDATE authn.refresh_tokens r SET replaced_by = v_new_id WHERE r.id = v_old.id;

    PERFORM authn._log_event('refresh_token_rotated', p_namespace, 'refresh_token', v_new_id::text,
                             jsonb_build_object('old_token_id', v_old.id,
                                                'old_generation', v_old.generation),
                             jsonb_build_object('user_id', v_old.user_id,
                                                'session_id', v_old.session_id,
                                                'family_id', v_old.family_id,
                                                'generation', v_old.generation + 1,
                                                'expires_at', v_expires));
    RETURN QUERY SELECT v_old.user_id, v_old.session_id, v_new_id, v_old.family_id,
                        v_old.generation + 1, v_expires;
END
$$;

CREATE FUNCTION authn.validate_refresh_token(p_token_hash text, p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, session_id uuid, family_id uuid, generation int, expires_at timestamptz,
              is_current boolean)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_namespace(p_namespace);
    RETURN QUERY
        SELECT r.user_id, r.session_id, r.family_id, r.generation, r.expires_at, true
          FROM authn.refresh_tokens r
          JOIN authn.sessions s ON s.id = r.session_id
          JOIN authn.users u ON u.id = r.user_id
         WHERE r.namespace = p_namespace AND r.token_hash = p_token_hash
           AND r.revoked_at IS NULL AND r.replaced_by IS NULL AND r.expires_at > now()
           AND s.namespace = p_namespace AND s.revoked_at IS NULL AND s.expires_at > now()
           AND u.namespace = p_namespace AND u.disabled_at IS NULL;
END
$$;

CREATE FUNCTION authn.revoke_refresh_token_family(p_family_id uuid, p_namespace text DEFAULT 'default')
RETURNS int
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_count int;
    v_user_id uuid;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    WITH revoked AS (
        UPDATE authn.refresh_tokens r
           SET revoked_at = now()
         WHERE r.namespace = p_namespace AND r.family_id = p_family_id AND r.revoked_at IS NULL
        RETURNING r.user_id
    )
    SELECT count(*), min(revoked.user_id::text)::uuid INTO v_count, v_user_id FROM revoked;

    IF v_count > 0 THEN
        PERFORM authn._log_event('refresh_token_family_revoked', p_namespace, 'refresh_token_family',
                                 p_family_id::text, NULL,
                                 jsonb_build_object('user_id', v_user_id, 'tokens_revoked', v_count));
    END IF;
    RETURN v_count;
END
$$;

CREATE FUNCTION authn.revoke_all_refresh_tokens(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS int
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_count int;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.refresh_tokens r
       SET revoked_at = now()
     WHERE r.namespace = p_namespace AND r.user_id = p_user_id AND r.revoked_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;

    IF v_count > 0 THEN
        PERFORM authn._log_event('refresh_tokens_revoked_all', p_namespace, 'user', p_user_id::text,
                                 NULL, jsonb_build_object('tokens_revoked', v_count));
    END IF;
    RETURN v_count;
END
$$;

CREATE FUNCTION authn.list_refresh_tokens(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS TABLE(refresh_token_id uuid, session_id uuid, family_id uuid, generation int,
              created_at timestamptz, expires_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT r.id, r.session_id, r.family_id, r.generation, r.created_at, r.expires_at
          FROM authn.refresh_tokens r
         WHERE r.namespace = p_namespace AND r.user_id = p_user_id
           AND r.revoked_at IS NULL AND r.replaced_by IS NULL AND r.expires_at > now()
         ORDER BY r.created_at DESC, r.id;
END
$$;
