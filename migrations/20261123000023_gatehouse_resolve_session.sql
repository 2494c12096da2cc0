-- Resolving a request's caller is the hot path of every signed-in request: the session (the
-- core's validate_session, with the tenant set inside the same statement as the core's own
-- one-shot reads do), the caller's roles and the namespace's two-step requirements, in one
-- round trip. An impersonated session carries no roles (an admin acting as another admin must
-- not gain the console through it), so they read as false for it.
CREATE FUNCTION gatehouse.resolve_session(p_token_hash text, p_namespace text,
                                          p_operator_namespace text)
RETURNS TABLE (user_id uuid, email text, session_id uuid, is_impersonating boolean,
               impersonator_id uuid, impersonator_email text, impersonation_reason text,
               admin boolean, operator boolean, console_requires_mfa boolean,
               accounts_require_mfa boolean)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT v.user_id, v.email, v.session_id, v.is_impersonating, v.impersonator_id,
           v.impersonator_email, v.impersonation_reason,
           NOT v.is_impersonating
               AND EXISTS (SELECT 1 FROM gatehouse.namespace_admins a WHERE a.user_id = v.user_id),
           NOT v.is_impersonating AND t.ns = p_operator_namespace
               AND EXISTS (SELECT 1 FROM gatehouse.platform_operators o WHERE o.user_id = v.user_id),
           coalesce(s.console_requires_mfa, true),
           coalesce(s.accounts_require_mfa, false)
      FROM pg_catalog.set_config('authn.tenant_id', p_namespace, true) AS t(ns)
     CROSS JOIN LATERAL authn.validate_session(p_token_hash, t.ns) AS v
      LEFT JOIN gatehouse.namespace_settings s ON s.namespace = t.ns
$$;

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        REVOKE ALL ON FUNCTION gatehouse.resolve_session(text, text, text) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION gatehouse.resolve_session(text, text, text) TO authn_app;
    END IF;
END
$grants$;
