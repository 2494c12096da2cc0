-- From a review of migrations 25-28 (G12).
--
-- 1. operator_access looked the session up by its token hash alone, but authn.sessions is
--    indexed by (namespace, token_hash): every signed-in request scanned every namespace's
--    sessions. It now takes the namespace too (the one resolve_session validated in), and it
--    recognises a support access by the core's operator row for that session, not by the
--    session's user agent text (which the application role could change: that would have
--    given the session the target's roles back).
-- 2. recent_mail and purge_old_mail clamp their arguments: no unbounded list, and no purge of
--    mail younger than a day.
DROP FUNCTION gatehouse.resolve_session(text, text, text);
DROP FUNCTION gatehouse.operator_access(text);

CREATE FUNCTION gatehouse.operator_access(p_token_hash text, p_namespace text)
RETURNS TABLE (operator_id uuid, operator_email text, operator_namespace text, reason text,
               ticket_reference text, expires_at timestamptz)
LANGUAGE sql STABLE ROWS 1 SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT c.operator_id, c.operator_email, c.operator_namespace, c.reason, c.ticket_reference,
           c.expires_at
      FROM authn.sessions s
     CROSS JOIN LATERAL authn.get_operator_impersonation_context(s.id) AS c
     WHERE s.namespace = p_namespace
       AND s.token_hash = p_token_hash
       AND c.is_operator_impersonating
$$;

CREATE FUNCTION gatehouse.resolve_session(p_token_hash text, p_namespace text,
                                          p_operator_namespace text)
RETURNS TABLE (user_id uuid, email text, session_id uuid, is_impersonating boolean,
               impersonator_id uuid, impersonator_email text, impersonation_reason text,
               operator_id uuid, operator_email text, operator_namespace text, operator_reason text,
               ticket_reference text, operator_access_expires_at timestamptz,
               admin boolean, operator boolean, console_requires_mfa boolean,
               accounts_require_mfa boolean, email_verified boolean)
LANGUAGE sql VOLATILE ROWS 1 SET search_path = pg_catalog, pg_temp SET jit = off AS $$
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
      LEFT JOIN LATERAL gatehouse.operator_access(p_token_hash, p_namespace) AS o ON NOT v.is_impersonating
      LEFT JOIN gatehouse.namespace_settings s ON s.namespace = p_namespace
$$;

CREATE OR REPLACE FUNCTION gatehouse.recent_mail(p_limit int)
RETURNS TABLE (id bigint, namespace text, kind text, recipient text, subject text,
               text_body text, created_at timestamptz, sent_at timestamptz,
               failed_at timestamptz, attempts integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.id, m.namespace, m.kind, m.recipient, m.subject, m.text_body, m.created_at,
           m.sent_at, m.failed_at, m.attempts
      FROM gatehouse.mail_outbox m ORDER BY m.created_at DESC, m.id DESC
     LIMIT least(greatest(coalesce(p_limit, 50), 1), 200)
$$;

CREATE OR REPLACE FUNCTION gatehouse.purge_old_mail(p_days int) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH done AS (
        DELETE FROM gatehouse.mail_outbox
         WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)
           AND created_at < now() - make_interval(days => greatest(coalesce(p_days, 30), 1))
        RETURNING 1)
    SELECT count(*) FROM done
$$;

DO $grants$
BEGIN
    REVOKE ALL ON FUNCTION gatehouse.operator_access(text, text) FROM PUBLIC;
    REVOKE ALL ON FUNCTION gatehouse.resolve_session(text, text, text) FROM PUBLIC;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
        ALTER FUNCTION gatehouse.operator_access(text, text) OWNER TO authn_definer;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT EXECUTE ON FUNCTION gatehouse.operator_access(text, text) TO authn_app;
        GRANT EXECUTE ON FUNCTION gatehouse.resolve_session(text, text, text) TO authn_app;
    END IF;
END
$grants$;
