-- authn core, part 4: API keys (§5.5), one-time tokens (§5.6), MFA (§5.7), lockout (§5.8),
-- maintenance (§5.9).

-- §5.5 API keys ------------------------------------------------------------------------------
CREATE FUNCTION authn.create_api_key(p_user_id uuid, p_key_hash text, p_name text DEFAULT NULL,
                                     p_expires_in interval DEFAULT NULL,
                                     p_namespace text DEFAULT 'default')
RETURNS uuid
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_id uuid;
    v_expires timestamptz;
BEGIN
    PERFORM authn._validate_hash(p_key_hash, 'key_hash');
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._require_user_in_namespace(p_user_id, p_namespace);

    v_expires := CASE WHEN p_expires_in IS NULL THEN NULL ELSE now() + p_expires_in END;
    INSERT INTO authn.api_keys (namespace, user_id, key_hash, name, expires_at)
    VALUES (p_namespace, p_user_id, p_key_hash, p_name, v_expires)
    RETURNING id INTO v_id;

    PERFORM authn._log_event('api_key_created', p_namespace, 'api_key', v_id::text, NULL,
                             jsonb_build_object('user_id', p_user_id, 'name', p_name,
                                                'expires_at', v_expires));
    RETURN v_id;
END
$$;

CREATE FUNCTION authn.validate_api_key(p_key_hash text, p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, key_id uuid, name text, expires_at timestamptz)
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_key_hash IS NULL OR length(p_key_hash) > 1024 OR btrim(p_key_hash) = ''
       OR p_key_hash ~ '[\x01-\x1f\x7f]'
       OR p_namespace IS NULL OR length(p_namespace) > 1024 OR p_namespace <> btrim(p_namespace)
       OR p_namespace = '' OR p_namespace ~ '[\x01-\x1f\x7f]' THEN
        PERFORM authn._validate_hash(p_key_hash, 'key_hash');
        PERFORM authn._validate_namespace(p_namespace);
    END IF;

    RETURN QUERY
        UPDATE authn.api_keys k
           SET last_used_at = now()
          FROM authn.users u
         WHERE k.namespace = p_namespace AND k.key_hash = p_key_hash AND k.revoked_at IS NULL
           AND (k.expires_at IS NULL OR k.expires_at > now())
           AND u.id = k.user_id AND u.namespace = p_namespace AND u.disabled_at IS NULL
        RETURNING k.user_id, k.id, k.name, k.expires_at;
END
$$;

CREATE FUNCTION authn.revoke_api_key(p_key_id uuid, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_user_id uuid;
    v_name text;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.api_keys k
       SET revoked_at = now()
     WHERE k.id = p_key_id AND k.namespace = p_namespace AND k.revoked_at IS NULL
    RETURNING k.user_id, k.name INTO v_user_id, v_name;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    PERFORM authn._log_event('api_key_revoked', p_namespace, 'api_key', p_key_id::text, NULL,
                             jsonb_build_object('user_id', v_user_id, 'name', v_name));
    RETURN true;
END
$$;

CREATE FUNCTION authn.revoke_all_api_keys(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS int
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_count int;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.api_keys k
       SET revoked_at = now()
     WHERE k.namespace = p_namespace AND k.user_id = p_user_id AND k.revoked_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;

    IF v_count > 0 THEN
        PERFORM authn._log_event('api_keys_revoked_all', p_namespace, 'user', p_user_id::text, NULL,
                                 jsonb_build_object('keys_revoked', v_count));
    END IF;
    RETURN v_count;
END
$$;

CREATE FUNCTION authn.list_api_keys(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS TABLE(key_id uuid, name text, created_at timestamptz, expires_at timestamptz,
              last_used_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT k.id, k.name, k.created_at, k.expires_at, k.last_used_at
          FROM authn.api_keys k
         WHERE k.namespace = p_namespace AND k.user_id = p_user_id AND k.revoked_at IS NULL
           AND (k.expires_at IS NULL OR k.expires_at > now())
         ORDER BY k.created_at DESC, k.id;
END
$$;

-- §5.6 one-time tokens -----------------------------------------------------------------------
CREATE FUNCTION authn.create_token(p_user_id uuid, p_token_hash text, p_token_type text,
                                   p_expires_in interval DEFAULT NULL,
                                   p_namespace text DEFAULT 'default')
RETURNS uuid
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_id uuid;
    v_expires timestamptz;
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_token_type(p_token_type);
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._require_user_in_namespace(p_user_id, p_namespace);

    v_expires := now() + coalesce(p_expires_in, authn._token_expiry(p_token_type));
    INSERT INTO authn.tokens (namespace, user_id, token_hash, token_type, expires_at)
    VALUES (p_namespace, p_user_id, p_token_hash, p_token_type, v_expires)
    RETURNING id INTO v_id;

    PERFORM authn._log_event('token_created', p_namespace, 'token', v_id::text, NULL,
                             jsonb_build_object('user_id', p_user_id, 'token_type', p_token_type,
                                                'expires_at', v_expires));
    RETURN v_id;
END
$$;

-- Decision D12 (kept): the user's disabled state is not checked; callers must check it.
CREATE FUNCTION authn.consume_token(p_token_hash text, p_token_type text,
                                    p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, email text)
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_id uuid;
    v_user_id uuid;
    v_email text;
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_token_type(p_token_type);
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.tokens t
       SET used_at = now()
      FROM authn.users u
     WHERE t.namespace = p_namespace AND t.token_hash = p_token_hash
       AND t.token_type = p_token_type AND t.used_at IS NULL AND t.expires_at > now()
       AND u.id = t.user_id AND u.namespace = p_namespace
    RETURNING t.id, t.user_id, u.email INTO v_id, v_user_id, v_email;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    PERFORM authn._log_event('token_consumed', p_namespace, 'token', v_id::text, NULL,
                             jsonb_build_object('user_id', v_user_id, 'token_type', p_token_type));
    RETURN QUERY SELECT v_user_id, v_email;
END
$$;

CREATE FUNCTION authn.verify_email(p_token_hash text, p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, email text)
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_user_id uuid;
    v_email text;
BEGIN
    SELECT c.user_id, c.email INTO v_user_id, v_email
      FROM authn.consume_token(p_token_hash, 'email_verify', p_namespace) c;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    UPDATE authn.users u
       SET email_verified_at = now(), updated_at = now()
     WHERE u.id = v_user_id AND u.namespace = p_namespace;

    PERFORM authn._log_event('email_verified', p_namespace, 'user', v_user_id::text);
    RETURN QUERY SELECT v_user_id, v_email;
END
$$;

CREATE FUNCTION authn.invalidate_tokens(p_user_id uuid, p_token_type text,
                                        p_namespace text DEFAULT 'default')
RETURNS int
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_count int;
BEGIN
    PERFORM authn._validate_token_type(p_token_type);
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.tokens t
       SET used_at = now()
     WHERE t.namespace = p_namespace AND t.user_id = p_user_id AND t.token_type = p_token_type
       AND t.used_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- §5.7 MFA -----------------------------------------------------------------------------------
CREATE FUNCTION authn.add_mfa(p_user_id uuid, p_mfa_type text, p_secret text,
                              p_name text DEFAULT NULL, p_namespace text DEFAULT 'default')
RETURNS uuid
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_id uuid;
BEGIN
    PERFORM authn._validate_mfa_type(p_mfa_type);
    PERFORM authn._validate_secret(p_secret);
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._require_user_in_namespace(p_user_id, p_namespace);

    INSERT INTO authn.mfa_secrets (namespace, user_id, mfa_type, secret, name)
    VALUES (p_namespace, p_user_id, p_mfa_type, p_secret, p_name)
    RETURNING id INTO v_id;

    PERFORM authn._log_event('mfa_added', p_namespace, 'mfa', v_id::text, NULL,
                             jsonb_build_object('user_id', p_user_id, 'mfa_type', p_mfa_type,
                                                'name', p_name));
    RETURN v_id;
END
$$;

CREATE FUNCTION authn.get_mfa(p_user_id uuid, p_mfa_type text, p_namespace text DEFAULT 'default')
RETURNS TABLE(mfa_id uuid, secret text, name text)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_mfa_type(p_mfa_type);
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT m.id, m.secret, m.name
          FROM authn.mfa_secrets m
         WHERE m.namespace = p_namespace AND m.user_id = p_user_id AND m.mfa_type = p_mfa_type
         ORDER BY m.created_at, m.id;
END
$$;

CREATE FUNCTION authn.list_mfa(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS TABLE(mfa_id uuid, mfa_type text, name text, created_at timestamptz, last_used_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT m.id, m.mfa_type, m.name, m.created_at, m.last_used_at
          FROM authn.mfa_secrets m
         WHERE m.namespace = p_namespace AND m.user_id = p_user_id
         ORDER BY m.created_at, m.id;
END
$$;

CREATE FUNCTION authn.remove_mfa(p_mfa_id uuid, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_user_id uuid;
    v_type text;
    v_name text;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    DELETE FROM authn.mfa_secrets m
     WHERE m.id = p_mfa_id AND m.namespace = p_namespace
    RETURNING m.user_id, m.mfa_type, m.name INTO v_user_id, v_type, v_name;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    PERFORM authn._log_event('mfa_removed', p_namespace, 'mfa', p_mfa_id::text,
                             jsonb_build_object('user_id', v_user_id, 'mfa_type', v_type,
                                                'name', v_name), NULL);
    RETURN true;
END
$$;

CREATE FUNCTION authn.record_mfa_use(p_mfa_id uuid, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    UPDATE authn.mfa_secrets m
       SET last_used_at = now()
     WHERE m.id = p_mfa_id AND m.namespace = p_namespace;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    PERFORM authn._log_event('mfa_used', p_namespace, 'mfa', p_mfa_id::text);
    RETURN true;
END
$$;

CREATE FUNCTION authn.has_mfa(p_user_id uuid, p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    RETURN EXISTS (SELECT 1 FROM authn.mfa_secrets m
                    WHERE m.namespace = p_namespace AND m.user_id = p_user_id);
END
$$;

-- §5.8 lockout -------------------------------------------------------------------------------
CREATE FUNCTION authn.is_locked_out(p_email text, p_namespace text DEFAULT 'default',
                                    p_window interval DEFAULT NULL, p_max_attempts int DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
    v_window interval;
    v_max int;
    v_count int;
BEGIN
    v_email := authn._validate_email(p_email);
    PERFORM authn._validate_namespace(p_namespace);
    v_window := coalesce(p_window, authn._lockout_window());
    v_max := coalesce(p_max_attempts, authn._max_login_attempts());
    IF v_max <= 0 THEN
        RETURN true;
    END IF;

    -- Counting stops at the threshold: a flood of failures costs no more than the limit.
    SELECT count(*) INTO v_count
      FROM (SELECT 1
              FROM authn.login_attempts a
             WHERE a.namespace = p_namespace AND a.email = v_email AND NOT a.success
               AND a.attempted_at > now() - v_window
             LIMIT v_max) f;
    RETURN v_count >= v_max;
END
$$;

CREATE FUNCTION authn.record_login_attempt(p_email text, p_success boolean,
                                           p_ip_address inet DEFAULT NULL,
                                           p_namespace text DEFAULT 'default')
RETURNS void
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
BEGIN
    v_email := authn._validate_email(p_email);
    PERFORM authn._validate_namespace(p_namespace);

    INSERT INTO authn.login_attempts (namespace, email, success, ip_address)
    VALUES (p_namespace, v_email, p_success, p_ip_address);

    IF p_success THEN
        RETURN;
    END IF;

    PERFORM authn._log_event(
        CASE WHEN authn.is_locked_out(v_email, p_namespace) THEN 'lockout_triggered'
             ELSE 'login_attempt_failed' END,
        p_namespace, 'email', v_email, NULL, jsonb_build_object('email', v_email), p_ip_address);
END
$$;

CREATE FUNCTION authn.get_recent_attempts(p_email text, p_namespace text DEFAULT 'default',
                                          p_limit int DEFAULT 10)
RETURNS TABLE(success boolean, ip_address inet, attempted_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
BEGIN
    v_email := authn._validate_email(p_email);
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY
        SELECT a.success, a.ip_address, a.attempted_at
          FROM authn.login_attempts a
         WHERE a.namespace = p_namespace AND a.email = v_email
         ORDER BY a.attempted_at DESC, a.id DESC
         LIMIT least(coalesce(p_limit, 100), 100);
END
$$;

CREATE FUNCTION authn.clear_attempts(p_email text, p_namespace text DEFAULT 'default')
RETURNS bigint
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_email text;
    v_count bigint;
BEGIN
    v_email := authn._validate_email(p_email);
    PERFORM authn._validate_namespace(p_namespace);

    DELETE FROM authn.login_attempts a WHERE a.namespace = p_namespace AND a.email = v_email;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- §5.9 maintenance ---------------------------------------------------------------------------
CREATE FUNCTION authn.cleanup_expired(p_namespace text DEFAULT 'default')
RETURNS TABLE(sessions_deleted bigint, tokens_deleted bigint, refresh_tokens_deleted bigint,
              api_keys_deleted bigint, attempts_deleted bigint)
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_sessions bigint;
    v_tokens bigint;
    v_refresh bigint;
    v_keys bigint;
    v_attempts bigint;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    -- Refresh tokens first: they reference sessions. A surviving token is never replaced,
    -- so no survivor's replaced_by can point at a deleted row.
    DELETE FROM authn.refresh_tokens r
     WHERE r.namespace = p_namespace
       AND (r.expires_at < now() OR r.revoked_at IS NOT NULL OR r.replaced_by IS NOT NULL);
    GET DIAGNOSTICS v_refresh = ROW_COUNT;

    DELETE FROM authn.sessions s
     WHERE s.namespace = p_namespace AND (s.expires_at < now() OR s.revoked_at IS NOT NULL);
    GET DIAGNOSTICS v_sessions = ROW_COUNT;

    DELETE FROM authn.tokens t
     WHERE t.namespace = p_namespace AND (t.expires_at < now() OR t.used_at IS NOT NULL);
    GET DIAGNOSTICS v_tokens = ROW_COUNT;

    DELETE FROM authn.api_keys k
     WHERE k.namespace = p_namespace
       AND (k.revoked_at IS NOT NULL OR (k.expires_at IS NOT NULL AND k.expires_at < now()));
    GET DIAGNOSTICS v_keys = ROW_COUNT;

    DELETE FROM authn.login_attempts a
     WHERE a.namespace = p_namespace AND a.attempted_at < now() - authn._login_attempts_retention();
    GET DIAGNOSTICS v_attempts = ROW_COUNT;

    RETURN QUERY SELECT v_sessions, v_tokens, v_refresh, v_keys, v_attempts;
END
$$;

CREATE FUNCTION authn.get_stats(p_namespace text DEFAULT 'default')
RETURNS TABLE(user_count bigint, verified_user_count bigint, disabled_user_count bigint,
              active_session_count bigint, active_refresh_token_count bigint,
              active_api_key_count bigint, mfa_enabled_user_count bigint)
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_namespace);
    PERFORM authn._warn_namespace_mismatch(p_namespace);
    RETURN QUERY SELECT
        (SELECT count(*) FROM authn.users u WHERE u.namespace = p_namespace),
        (SELECT count(*) FROM authn.users u
          WHERE u.namespace = p_namespace AND u.email_verified_at IS NOT NULL),
        (SELECT count(*) FROM authn.users u
          WHERE u.namespace = p_namespace AND u.disabled_at IS NOT NULL),
        (SELECT count(*) FROM authn.sessions s
          WHERE s.namespace = p_namespace AND s.revoked_at IS NULL AND s.expires_at > now()),
        (SELECT count(*) FROM authn.refresh_tokens r
          WHERE r.namespace = p_namespace AND r.revoked_at IS NULL AND r.replaced_by IS NULL
            AND r.expires_at > now()),
        (SELECT count(*) FROM authn.api_keys k
          WHERE k.namespace = p_namespace AND k.revoked_at IS NULL
            AND (k.expires_at IS NULL OR k.expires_at > now())),
        (SELECT count(DISTINCT m.user_id) FROM authn.mfa_secrets m WHERE m.namespace = p_namespace);
END
$$;
