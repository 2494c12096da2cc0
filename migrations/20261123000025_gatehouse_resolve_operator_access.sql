-- Caller resolution knows operator support access (G8). The core's validate_session reports
-- is_impersonating = false for a session an operator started in another namespace, and the
-- operator tables are invisible to the application role, so resolve_session could not tell
-- such a session from the target's own: an operator would have got the target's roles and
-- could have changed the target's credentials.
--
-- gatehouse.operator_access(token hash) is the one question the tenant side may ask about
-- those rows: given a session token's hash (which only the holder of the cookie can produce)
-- it returns the live operator access that session is, or nothing. It runs with its owner's
-- rights like the core's operator functions, and only sessions created by
-- start_operator_impersonation (their user agent says so) reach the operator table, so an
-- ordinary session pays one index probe.
CREATE FUNCTION gatehouse.operator_access(p_token_hash text)
RETURNS TABLE (operator_id uuid, operator_email text, operator_namespace text, reason text,
               ticket_reference text, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.operator_id, c.operator_email, c.operator_namespace, c.reason, c.ticket_reference, c.expires_at
      FROM authn.sessions s
     CROSS JOIN LATERAL authn.get_operator_impersonation_context(s.id) AS c
     WHERE s.token_hash = p_token_hash
       AND s.user_agent = 'operator_impersonation'
       AND c.is_operator_impersonating
$$;

-- The result gains the operator access columns, so the function is replaced whole.
DROP FUNCTION gatehouse.resolve_session(text, text, text);

-- As migration 23, plus: an operator access is an impersonation too, and carries no roles.
CREATE FUNCTION gatehouse.resolve_session(p_token_hash text, p_namespace text,
                                          p_operator_namespace text)
RETURNS TABLE (user_id uuid, email text, session_id uuid, is_impersonating boolean,
               impersonator_id uuid, impersonator_email text, impersonation_reason text,
               operator_id uuid, operator_email text, operator_namespace text, operator_reason text,
               ticket_reference text, operator_access_expires_at timestamptz,
               admin boolean, operator boolean, console_requires_mfa boolean,
               accounts_require_mfa boolean)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT v.user_id, v.email, v.session_id, v.is_impersonating, v.impersonator_id,
           v.impersonator_email, v.impersonation_reason,
           o.operator_id, o.operator_email, o.operator_namespace, o.reason, o.ticket_reference, o.expires_at,
           NOT v.is_impersonating AND o.operator_id IS NULL
               AND EXISTS (SELECT 1 FROM gatehouse.namespace_admins a WHERE a.user_id = v.user_id),
           NOT v.is_impersonating AND o.operator_id IS NULL AND t.ns = p_operator_namespace
               AND EXISTS (SELECT 1 FROM gatehouse.platform_operators p WHERE p.user_id = v.user_id),
           coalesce(s.console_requires_mfa, true),
           coalesce(s.accounts_require_mfa, false)
      FROM pg_catalog.set_config('authn.tenant_id', p_namespace, true) AS t(ns)
     CROSS JOIN LATERAL authn.validate_session(p_token_hash, t.ns) AS v
      LEFT JOIN LATERAL gatehouse.operator_access(p_token_hash) AS o ON NOT v.is_impersonating
      LEFT JOIN gatehouse.namespace_settings s ON s.namespace = t.ns
$$;

DO $grants$
BEGIN
    REVOKE ALL ON FUNCTION gatehouse.operator_access(text) FROM PUBLIC;
    REVOKE ALL ON FUNCTION gatehouse.resolve_session(text, text, text) FROM PUBLIC;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
        ALTER FUNCTION gatehouse.operator_access(text) OWNER TO authn_definer;
        GRANT USAGE ON SCHEMA gatehouse TO authn_definer;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT EXECUTE ON FUNCTION gatehouse.operator_access(text) TO authn_app;
        GRANT EXECUTE ON FUNCTION gatehouse.resolve_session(text, text, text) TO authn_app;
    END IF;
END
$grants$;
