-- A session looked up by its id is read through the primary key, whatever the planner believes
-- about its namespace. The three functions below named the namespace (and the user) and the
-- session's liveness beside the id, which lets the planner choose a partial index on
-- `revoked_at IS NULL` led by the namespace and filter on the id. Without statistics (a new
-- deployment, a restored dump) PostgreSQL takes `IS NULL` to match half a percent of rows,
-- estimates such an index at one row, as good as the primary key, and took it: every call read
-- every live session of the namespace (2,500 rows per API sign-in after a ten-second benchmark)
-- or of the user. Only the primary key answers `id = …` with one row without statistics.
--
-- Each now reads the row by id alone (behind an OFFSET 0 fence, or locked by id) and checks
-- namespace, user and liveness on that row. Same arguments, answers and errors; owners and
-- grants stay as they were.

-- §5.4: the first refresh token of a session. Unchanged but for the session's lookup.
CREATE OR REPLACE FUNCTION authn.create_refresh_token(p_session_id uuid, p_token_hash text,
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
      FROM (SELECT s.user_id, s.namespace, s.revoked_at, s.expires_at
              FROM authn.sessions s
             WHERE s.id = p_session_id
            OFFSET 0) AS s
     WHERE s.namespace = p_namespace AND s.revoked_at IS NULL AND s.expires_at > now();
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

-- G16: every API call with an access token. Unchanged but for the session's lookup (and the
-- user's, by id as well: a namespace's users can be many, too).
CREATE OR REPLACE FUNCTION gatehouse.resolve_api_session(p_session_id uuid, p_namespace text,
                                                         p_operator_namespace text)
RETURNS TABLE (user_id uuid, email text, session_id uuid, is_impersonating boolean,
               impersonator_id uuid, impersonator_email text, impersonation_reason text,
               operator_id uuid, operator_email text, operator_namespace text, operator_reason text,
               ticket_reference text, operator_access_expires_at timestamptz,
               admin boolean, operator boolean, console_requires_mfa boolean,
               accounts_require_mfa boolean, email_verified boolean)
LANGUAGE sql VOLATILE ROWS 1 SET jit = off SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.set_config('authn.tenant_id', p_namespace, true);
    SELECT u.id, u.email, s.id, false, NULL::uuid, NULL::text, NULL::text,
           NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::text, NULL::timestamptz,
           EXISTS (SELECT 1 FROM gatehouse.namespace_admins a WHERE a.user_id = u.id),
           p_namespace = p_operator_namespace
               AND EXISTS (SELECT 1 FROM gatehouse.platform_operators p WHERE p.user_id = u.id),
           coalesce(st.console_requires_mfa, true),
           coalesce(st.accounts_require_mfa, false),
           u.email_verified_at IS NOT NULL
      FROM (SELECT s.id, s.user_id, s.namespace, s.revoked_at, s.expires_at
              FROM authn.sessions s
             WHERE s.id = p_session_id
            OFFSET 0) AS s
      CROSS JOIN LATERAL (SELECT u.id, u.email, u.namespace, u.disabled_at, u.email_verified_at
                            FROM authn.users u
                           WHERE u.id = s.user_id
                          OFFSET 0) AS u
      LEFT JOIN gatehouse.namespace_settings st ON st.namespace = p_namespace
     WHERE s.namespace = p_namespace AND u.namespace = s.namespace
       AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL
$$;

-- §5.3: ending one session (signing out, a refresh token's reuse, an admin's revocation). The
-- id, user and namespace together let the planner read the user's live sessions (a program
-- signing in every few minutes keeps thousands) and filter on the id. The row is now locked
-- by id alone, checked, and updated by id alone: the primary key is the only index that
-- answers `id = …` with one row without statistics. The session_revoked_cascade trigger runs
-- as before.
CREATE OR REPLACE FUNCTION authn.revoke_session_by_id(p_session_id uuid, p_user_id uuid,
                                                      p_namespace text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_user_id uuid;
    v_namespace text;
    v_revoked_at timestamptz;
BEGIN
    PERFORM authn._validate_namespace(p_namespace);

    SELECT s.user_id, s.namespace, s.revoked_at INTO v_user_id, v_namespace, v_revoked_at
      FROM authn.sessions s
     WHERE s.id = p_session_id
       FOR UPDATE;
    IF NOT FOUND OR v_user_id IS DISTINCT FROM p_user_id OR v_namespace IS DISTINCT FROM p_namespace
       OR v_revoked_at IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE authn.sessions s SET revoked_at = now() WHERE s.id = p_session_id;

    PERFORM authn._log_event('session_revoked', p_namespace, 'session', p_session_id::text, NULL,
                             jsonb_build_object('user_id', p_user_id));
    RETURN true;
END
$$;
