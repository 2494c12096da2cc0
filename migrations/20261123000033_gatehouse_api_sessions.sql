-- Programs sign in over the JSON API and present a signed access token naming their core
-- session (`sid`), not the session's secret. The token's signature proves who issued it; this
-- function proves the session is still live, in the same one round trip and the same shape as
-- resolve_session (G16), so caller resolution builds a principal from either alike. Only
-- sessions the API's own sign-in opened ever get a token, and no impersonation does (the API
-- has no way to start one), so the impersonation columns are always empty here.
CREATE FUNCTION gatehouse.resolve_api_session(p_session_id uuid, p_namespace text,
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
      FROM authn.sessions s
      JOIN authn.users u ON u.id = s.user_id AND u.namespace = s.namespace
      LEFT JOIN gatehouse.namespace_settings st ON st.namespace = p_namespace
     WHERE s.id = p_session_id AND s.namespace = p_namespace
       AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL
$$;

DO $grants$
BEGIN
    REVOKE ALL ON FUNCTION gatehouse.resolve_api_session(uuid, text, text) FROM PUBLIC;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT EXECUTE ON FUNCTION gatehouse.resolve_api_session(uuid, text, text) TO authn_app;
    END IF;
END
$grants$;
