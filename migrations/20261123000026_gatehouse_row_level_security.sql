-- Row-level security on the gatehouse schema's per-namespace tables, like the core's own (G10):
-- under the application role a statement sees and writes only the rows of the tenant its
-- transaction set (`authn.tenant_id`), so a query that forgets its namespace filter finds
-- nothing instead of another namespace's rows. FORCE applies it to the tables' owner too.
--
-- The work that is the platform's rather than a tenant's (the mail queues' workers, finding an
-- API key's namespace from the key) goes through the small SECURITY DEFINER functions below,
-- each doing one fixed thing.

DO $rls$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['namespace_settings', 'mail_outbox', 'pending_sign_ins',
                             'reauthentications', 'totp_last_steps', 'api_key_hints',
                             'account_activity', 'email_changes', 'passkeys',
                             'webauthn_ceremonies', 'email_codes', 'mail_requests',
                             'required_password_changes']
    LOOP
        EXECUTE format('ALTER TABLE gatehouse.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE gatehouse.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON gatehouse.%I FOR ALL '
            'USING (namespace = current_setting(''authn.tenant_id'', true)) '
            'WITH CHECK (namespace = current_setting(''authn.tenant_id'', true))',
            t || '_tenant_isolation', t);
    END LOOP;
    -- A role row names a user, and a user belongs to one namespace: the row is the tenant's
    -- when the tenant can see the user (the core's own policy on authn.users decides).
    FOREACH t IN ARRAY ARRAY['namespace_admins', 'platform_operators']
    LOOP
        EXECUTE format('ALTER TABLE gatehouse.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE gatehouse.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON gatehouse.%I FOR ALL '
            'USING (EXISTS (SELECT 1 FROM authn.users u WHERE u.id = user_id)) '
            'WITH CHECK (EXISTS (SELECT 1 FROM authn.users u WHERE u.id = user_id))',
            t || '_tenant_isolation', t);
    END LOOP;
END
$rls$;

-- resolve_session read the namespace's settings and the caller's roles in the statement that
-- set the tenant; with those tables under row-level security the tenant must be in place
-- before they are scanned, which a join order cannot promise. The first statement sets it,
-- the second is migration 25's query; still one round trip.
CREATE OR REPLACE FUNCTION gatehouse.resolve_session(p_token_hash text, p_namespace text,
                                                     p_operator_namespace text)
RETURNS TABLE (user_id uuid, email text, session_id uuid, is_impersonating boolean,
               impersonator_id uuid, impersonator_email text, impersonation_reason text,
               operator_id uuid, operator_email text, operator_namespace text, operator_reason text,
               ticket_reference text, operator_access_expires_at timestamptz,
               admin boolean, operator boolean, console_requires_mfa boolean,
               accounts_require_mfa boolean)
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
           coalesce(s.accounts_require_mfa, false)
      FROM authn.validate_session(p_token_hash, p_namespace) AS v
      LEFT JOIN LATERAL gatehouse.operator_access(p_token_hash) AS o ON NOT v.is_impersonating
      LEFT JOIN gatehouse.namespace_settings s ON s.namespace = p_namespace
$$;

-- The namespace an API key belongs to, from the key's hash (which only its holder can make):
-- a bearer key arrives before anything says which tenant it is for.
CREATE FUNCTION gatehouse.api_key_namespace(p_key_hash text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT h.namespace FROM gatehouse.api_key_hints h WHERE h.key_hash = p_key_hash
$$;

-- The mail request worker (G2) serves every namespace: it leases due requests across them and
-- then fulfils each in a transaction of its namespace. Requests that failed p_max_attempts
-- times are dropped first; their count is the first row (id NULL).
CREATE FUNCTION gatehouse.claim_mail_requests(p_limit int, p_lease interval, p_max_attempts int)
RETURNS TABLE (id bigint, namespace text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_dropped bigint;
BEGIN
    DELETE FROM gatehouse.mail_requests r
     WHERE r.attempts >= p_max_attempts AND r.not_before <= now();
    GET DIAGNOSTICS v_dropped = ROW_COUNT;
    IF v_dropped > 0 THEN
        RETURN QUERY SELECT NULL::bigint, v_dropped::text;
    END IF;
    RETURN QUERY
        UPDATE gatehouse.mail_requests r
           SET not_before = now() + p_lease, attempts = r.attempts + 1
         WHERE r.id IN (SELECT q.id FROM gatehouse.mail_requests q WHERE q.not_before <= now()
                         ORDER BY q.id LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING r.id, r.namespace;
END
$$;

-- The outbox's delivery worker likewise serves every namespace; these are its five steps, as
-- identity::mail::outbox wrote them before (migration 18 for purge_at).
CREATE FUNCTION gatehouse.claim_due_mail(p_limit int, p_lease_seconds float8)
RETURNS TABLE (id bigint, namespace text, recipient text, subject text, text_body text,
               html_body text, attempts integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    UPDATE gatehouse.mail_outbox m
       SET attempts = m.attempts + 1,
           next_attempt_at = now() + make_interval(secs => p_lease_seconds)
     WHERE m.id IN (SELECT q.id FROM gatehouse.mail_outbox q
                     WHERE q.sent_at IS NULL AND q.failed_at IS NULL AND q.next_attempt_at <= now()
                       AND (q.purge_at IS NULL OR q.purge_at > now())
                     ORDER BY q.next_attempt_at LIMIT p_limit FOR UPDATE SKIP LOCKED)
 RETURNING m.id, m.namespace, m.recipient, m.subject, m.text_body, m.html_body, m.attempts
$$;

CREATE FUNCTION gatehouse.mark_mail_sent(p_id bigint, p_keep_bodies boolean) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    UPDATE gatehouse.mail_outbox
       SET sent_at = now(), last_error = NULL,
           text_body = CASE WHEN p_keep_bodies THEN text_body END,
           html_body = CASE WHEN p_keep_bodies THEN html_body END
     WHERE id = p_id
$$;

-- p_retry_in_seconds NULL gives up for good (and drops the bodies).
CREATE FUNCTION gatehouse.mark_mail_failed(p_id bigint, p_error text, p_retry_in_seconds float8)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    UPDATE gatehouse.mail_outbox
       SET last_error = left(p_error, 500),
           next_attempt_at = CASE WHEN p_retry_in_seconds IS NULL THEN next_attempt_at
                                  ELSE now() + make_interval(secs => p_retry_in_seconds) END,
           failed_at = CASE WHEN p_retry_in_seconds IS NULL THEN now() END,
           text_body = CASE WHEN p_retry_in_seconds IS NULL THEN NULL ELSE text_body END,
           html_body = CASE WHEN p_retry_in_seconds IS NULL THEN NULL ELSE html_body END
     WHERE id = p_id
$$;

-- Bodies whose link or code has expired are dropped; a mail not delivered by then is recorded
-- as failed. Returns how many mails lost their bodies.
CREATE FUNCTION gatehouse.purge_expired_mail_bodies() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH done AS (
        UPDATE gatehouse.mail_outbox
           SET text_body = NULL, html_body = NULL,
               failed_at = CASE WHEN sent_at IS NULL THEN coalesce(failed_at, now()) END,
               last_error = CASE WHEN sent_at IS NULL AND failed_at IS NULL
                                 THEN 'expired before delivery' ELSE last_error END
         WHERE purge_at IS NOT NULL AND purge_at <= now()
           AND (text_body IS NOT NULL OR html_body IS NOT NULL)
        RETURNING 1)
    SELECT count(*) FROM done
$$;

-- Delivered or abandoned mails older than p_days are removed; returns how many.
CREATE FUNCTION gatehouse.purge_old_mail(p_days int) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH done AS (
        DELETE FROM gatehouse.mail_outbox
         WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)
           AND created_at < now() - make_interval(days => p_days)
        RETURNING 1)
    SELECT count(*) FROM done
$$;

-- The newest mails of every namespace, for the developer mailbox (dev mode only; bodies are
-- sealed, G3).
CREATE FUNCTION gatehouse.recent_mail(p_limit int)
RETURNS TABLE (id bigint, namespace text, kind text, recipient text, subject text,
               text_body text, created_at timestamptz, sent_at timestamptz,
               failed_at timestamptz, attempts integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.id, m.namespace, m.kind, m.recipient, m.subject, m.text_body, m.created_at,
           m.sent_at, m.failed_at, m.attempts
      FROM gatehouse.mail_outbox m ORDER BY m.created_at DESC, m.id DESC LIMIT p_limit
$$;

DO $grants$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'gatehouse.api_key_namespace(text)',
        'gatehouse.claim_mail_requests(int, interval, int)',
        'gatehouse.claim_due_mail(int, float8)',
        'gatehouse.mark_mail_sent(bigint, boolean)',
        'gatehouse.mark_mail_failed(bigint, text, float8)',
        'gatehouse.purge_expired_mail_bodies()',
        'gatehouse.purge_old_mail(int)',
        'gatehouse.recent_mail(int)']
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
            EXECUTE format('ALTER FUNCTION %s OWNER TO authn_definer', f);
        END IF;
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO authn_app', f);
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.mail_outbox, gatehouse.mail_requests
            TO authn_definer;
        GRANT SELECT ON gatehouse.api_key_hints TO authn_definer;
    END IF;
END
$grants$;
