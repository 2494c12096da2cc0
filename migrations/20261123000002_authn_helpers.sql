-- authn core, part 2: configuration helpers (§3), validators (§4), audit writer (§6.2).

-- §3: a setting that is absent (NULL) or empty ('' after a SET LOCAL expired, decision D4)
-- falls back to the built-in default.
CREATE FUNCTION authn._setting(p_name text) RETURNS text
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT nullif(current_setting(p_name, true), '')
$$;

CREATE FUNCTION authn._session_duration() RETURNS interval
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT coalesce(authn._setting('authn.session_duration')::interval, interval '7 days')
$$;

CREATE FUNCTION authn._refresh_token_duration() RETURNS interval
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT coalesce(authn._setting('authn.refresh_token_duration')::interval, interval '30 days')
$$;

CREATE FUNCTION authn._token_expiry(p_token_type text) RETURNS interval
LANGUAGE sql IMMUTABLE SET search_path = authn, pg_temp AS $$
    SELECT CASE p_token_type
        WHEN 'password_reset' THEN interval '1 hour'
        WHEN 'email_verify' THEN interval '24 hours'
        WHEN 'magic_link' THEN interval '15 minutes'
        ELSE interval '1 hour'
    END
$$;

CREATE FUNCTION authn._lockout_window() RETURNS interval
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT coalesce(authn._setting('authn.lockout_window')::interval, interval '15 minutes')
$$;

CREATE FUNCTION authn._max_login_attempts() RETURNS int
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT coalesce(authn._setting('authn.max_login_attempts')::int, 5)
$$;

CREATE FUNCTION authn._login_attempts_retention() RETURNS interval
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT coalesce(authn._setting('authn.login_attempts_retention')::interval, interval '30 days')
$$;

CREATE FUNCTION authn._impersonation_default_duration() RETURNS interval
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT coalesce(authn._setting('authn.impersonation_default_duration')::interval, interval '1 hour')
$$;

CREATE FUNCTION authn._impersonation_max_duration() RETURNS interval
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT coalesce(authn._setting('authn.impersonation_max_duration')::interval, interval '8 hours')
$$;

CREATE FUNCTION authn._operator_impersonation_default_duration() RETURNS interval
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT coalesce(authn._setting('authn.operator_impersonation_default_duration')::interval,
                    interval '30 minutes')
$$;

CREATE FUNCTION authn._operator_impersonation_max_duration() RETURNS interval
LANGUAGE sql STABLE SET search_path = authn, pg_temp AS $$
    SELECT coalesce(authn._setting('authn.operator_impersonation_max_duration')::interval,
                    interval '4 hours')
$$;

-- §4: validators. Each raises the spec's SQLSTATE and message; none touches a table.
-- Control characters are U+0001-U+001F and U+007F (U+0000 cannot occur in text).
CREATE FUNCTION authn._has_control_chars(p_value text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = authn, pg_temp AS $$
    SELECT p_value ~ '[\x01-\x1f\x7f]'
$$;

CREATE FUNCTION authn._validate_email(p_email text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
DECLARE
    v text;
BEGIN
    IF p_email IS NULL THEN
        RAISE EXCEPTION 'email cannot be null' USING ERRCODE = '22004';
    END IF;
    v := lower(btrim(p_email));
    IF v = '' THEN
        RAISE EXCEPTION 'email cannot be empty' USING ERRCODE = '22026';
    END IF;
    IF length(v) > 1024 THEN
        RAISE EXCEPTION 'email exceeds maximum length of 1024 characters' USING ERRCODE = '22001';
    END IF;
    IF authn._has_control_chars(v) THEN
        RAISE EXCEPTION 'email contains invalid control characters' USING ERRCODE = '22023';
    END IF;
    IF v !~* '^[^@[:space:]]+@[^@[:space:]]+$' THEN
        RAISE EXCEPTION 'email format is invalid (got: %)', v USING ERRCODE = '22023';
    END IF;
    RETURN v;
END
$$;

CREATE FUNCTION authn._validate_hash(p_hash text, p_field_name text, p_allow_null boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_hash IS NULL THEN
        IF p_allow_null THEN
            RETURN;
        END IF;
        RAISE EXCEPTION '% cannot be null', p_field_name USING ERRCODE = '22004';
    END IF;
    IF btrim(p_hash) = '' THEN
        RAISE EXCEPTION '% cannot be empty', p_field_name USING ERRCODE = '22026';
    END IF;
    IF length(p_hash) > 1024 THEN
        RAISE EXCEPTION '% exceeds maximum length of 1024 characters', p_field_name
            USING ERRCODE = '22001';
    END IF;
    IF authn._has_control_chars(p_hash) THEN
        RAISE EXCEPTION '% contains invalid control characters', p_field_name
            USING ERRCODE = '22023';
    END IF;
END
$$;

CREATE FUNCTION authn._validate_namespace(p_value text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_value IS NULL THEN
        RAISE EXCEPTION 'namespace cannot be null' USING ERRCODE = '22004';
    END IF;
    IF btrim(p_value) = '' THEN
        RAISE EXCEPTION 'namespace cannot be empty' USING ERRCODE = '22026';
    END IF;
    IF length(p_value) > 1024 THEN
        RAISE EXCEPTION 'namespace exceeds maximum length of 1024 characters' USING ERRCODE = '22001';
    END IF;
    IF authn._has_control_chars(p_value) THEN
        RAISE EXCEPTION 'namespace contains invalid control characters' USING ERRCODE = '22023';
    END IF;
    IF p_value <> btrim(p_value) THEN
        RAISE EXCEPTION 'namespace cannot have leading or trailing whitespace' USING ERRCODE = '22023';
    END IF;
END
$$;

CREATE FUNCTION authn._validate_token_type(p_type text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_type IS NULL THEN
        RAISE EXCEPTION 'token_type cannot be null' USING ERRCODE = '22004';
    END IF;
    IF p_type NOT IN ('password_reset', 'email_verify', 'magic_link') THEN
        RAISE EXCEPTION 'token_type must be password_reset, email_verify, or magic_link (got: %)', p_type
            USING ERRCODE = '22023';
    END IF;
END
$$;

CREATE FUNCTION authn._validate_mfa_type(p_type text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_type IS NULL THEN
        RAISE EXCEPTION 'mfa_type cannot be null' USING ERRCODE = '22004';
    END IF;
    IF p_type NOT IN ('totp', 'webauthn', 'recovery_codes') THEN
        RAISE EXCEPTION 'mfa_type must be totp, webauthn, or recovery_codes (got: %)', p_type
            USING ERRCODE = '22023';
    END IF;
END
$$;

CREATE FUNCTION authn._validate_secret(p_secret text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_secret IS NULL THEN
        RAISE EXCEPTION 'secret cannot be null' USING ERRCODE = '22004';
    END IF;
    IF btrim(p_secret) = '' THEN
        RAISE EXCEPTION 'secret cannot be empty' USING ERRCODE = '22026';
    END IF;
    IF length(p_secret) > 65536 THEN
        RAISE EXCEPTION 'secret exceeds maximum length of 65536 characters' USING ERRCODE = '22001';
    END IF;
END
$$;

CREATE FUNCTION authn._validate_uuid(p_value text, p_field_name text) RETURNS uuid
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_value IS NULL THEN
        RAISE EXCEPTION '% cannot be null', p_field_name USING ERRCODE = '22004';
    END IF;
    RETURN p_value::uuid;
EXCEPTION WHEN invalid_text_representation THEN
    RAISE EXCEPTION '% must be a valid uuid (got: %)', p_field_name, p_value USING ERRCODE = '22023';
END
$$;

CREATE FUNCTION authn._validate_reason(p_reason text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        RAISE EXCEPTION 'reason cannot be null or empty' USING ERRCODE = '22004';
    END IF;
    RETURN btrim(p_reason);
END
$$;

-- §1.4: reads with a namespace other than the tenant context return nothing under RLS;
-- warn rather than fail so that a superuser deployment keeps working.
CREATE FUNCTION authn._warn_namespace_mismatch(p_namespace text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
DECLARE
    v_tenant text := current_setting('authn.tenant_id', true);
BEGIN
    IF v_tenant IS NOT NULL AND v_tenant <> '' AND v_tenant IS DISTINCT FROM p_namespace THEN
        RAISE WARNING 'namespace "%" differs from tenant context "%"; results will be empty because of row-level security',
            p_namespace, v_tenant;
    END IF;
END
$$;

-- §6.2: the only writer of audit_events. Actor columns come from the transaction-local
-- settings; '' and unset both mean absent.
CREATE FUNCTION authn._log_event(
    p_event_type text,
    p_namespace text,
    p_resource_type text,
    p_resource_id text,
    p_old_values jsonb DEFAULT NULL,
    p_new_values jsonb DEFAULT NULL,
    p_ip_override inet DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    INSERT INTO authn.audit_events (
        event_type, actor_id, request_id, reason, on_behalf_of, namespace,
        resource_type, resource_id, ip_address, user_agent, old_values, new_values)
    VALUES (
        p_event_type,
        nullif(current_setting('authn.actor_id', true), ''),
        nullif(current_setting('authn.request_id', true), ''),
        nullif(current_setting('authn.reason', true), ''),
        nullif(current_setting('authn.on_behalf_of', true), ''),
        p_namespace,
        p_resource_type,
        p_resource_id,
        coalesce(p_ip_override, nullif(current_setting('authn.ip_address', true), '')::inet),
        nullif(current_setting('authn.user_agent', true), ''),
        p_old_values,
        p_new_values);
END
$$;

-- Decision D19: creation functions refuse a user id that does not exist in the namespace
-- with the same SQLSTATE an unknown id gets from the foreign key.
CREATE FUNCTION authn._require_user_in_namespace(p_user_id uuid, p_namespace text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_user_id IS NULL THEN
        RETURN; -- the NOT NULL constraint reports it
    END IF;
    IF NOT EXISTS (SELECT 1 FROM authn.users u WHERE u.id = p_user_id AND u.namespace = p_namespace) THEN
        RAISE EXCEPTION 'user % does not exist in namespace %', p_user_id, p_namespace
            USING ERRCODE = '23503';
    END IF;
END
$$;
