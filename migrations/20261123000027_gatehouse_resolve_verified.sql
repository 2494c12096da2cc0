-- Every signed-in page showed whether the caller's address is confirmed, and asked the core for
-- the whole user to learn it: a second round trip on every page. resolve_session answers it
-- too (one primary-key probe of a row validate_session has just read). The result gains a
-- column, so the function is replaced whole; otherwise as migration 26.
DROP FUNCTION gatehouse.resolve_session(text, text, text);

CREATE FUNCTION gatehouse.resolve_session(p_token_hash text, p_namespace text,
                                          p_operator_namespace text)
RETURNS TABLE (user_id uuid, email text, session_id uuid, is_impersonating boolean,
               impersonator_id uuid, impersonator_email text, impersonation_reason text,
               operator_id uuid, operator_email text, operator_namespace text, operator_reason text,
               ticket_reference text, operator_access_expires_at timestamptz,
               admin boolean, operator boolean, console_requires_mfa boolean,
               accounts_require_mfa boolean, email_verified boolean)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.set_config('authn.tenant_id', p_namespace, true);
    SELECT v.user_id, v.email, v.session_id, v.is_impersonating, v.impersonator_id,
           v.impersonator_email, v.impersonation_reason,
           o.operator_id, o.operator_email, o.operator_namespace, o.reason, o.ticket_reference, o.expires_at,
           NOT v.is_impersonating AND o.operator_id IS NULL
               AND EXISTS (SELECT 1 FROM gatehouse.namespace_admins a WHERE a.user_id = v.user_id),
           NOT v.is_impersonating AND o.operator_id IS NULL AND p_namespace = p_operator_namespace
               AND EXISTS (SELECT 1 FROM gatehouse.platform_operators p WHERE p.user_id = v.user_id),
           coalesce(s.console_requires_mfa, true),
           coalesce(s.accounts_require_mfa, false),
           EXISTS (SELECT 1 FROM authn.users u
                    WHERE u.id = v.user_id AND u.email_verified_at IS NOT NULL)
      FROM authn.validate_session(p_token_hash, p_namespace) AS v
      LEFT JOIN LATERAL gatehouse.operator_access(p_token_hash) AS o ON NOT v.is_impersonating
      LEFT JOIN gatehouse.namespace_settings s ON s.namespace = p_namespace
$$;

DO $grants$
BEGIN
    REVOKE ALL ON FUNCTION gatehouse.resolve_session(text, text, text) FROM PUBLIC;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT EXECUTE ON FUNCTION gatehouse.resolve_session(text, text, text) TO authn_app;
    END IF;
END
$grants$;
