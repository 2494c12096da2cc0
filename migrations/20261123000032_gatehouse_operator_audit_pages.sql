-- The operator audit log filtered the way the operator console filters it (operator address,
-- organisation, ticket, event type, time) and read in keyset pages, so the log and its export
-- show exactly the matching events however many there are (G15). The core's
-- get_operator_audit_events filters by type and namespace only and returns at most `limit`
-- rows; filtering its answer afterwards could leave out matches. The operator pool reads no
-- table, so this is one more definer function for it alone.

CREATE FUNCTION gatehouse.operator_audit_page(
    p_event_type text, p_target_namespace text, p_operator_email text, p_ticket_reference text,
    p_since timestamptz, p_until timestamptz, p_before_at timestamptz, p_before_id uuid,
    p_limit int)
RETURNS TABLE (event_id uuid, event_type text, occurred_at timestamptz, operator_namespace text,
               operator_id uuid, operator_email text, target_namespace text, target_user_id uuid,
               target_user_email text, reason text, ticket_reference text, ip_address inet,
               user_agent text, details jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT e.id, e.event_type, e.occurred_at, e.operator_namespace, e.operator_id,
           e.operator_email, e.target_namespace, e.target_user_id, e.target_user_email, e.reason,
           e.ticket_reference, e.ip_address, e.user_agent, e.details
      FROM authn.operator_audit_events e
     WHERE (p_event_type IS NULL OR e.event_type = p_event_type)
       AND (p_target_namespace IS NULL OR e.target_namespace = p_target_namespace)
       AND (p_operator_email IS NULL OR lower(e.operator_email) = lower(p_operator_email))
       AND (p_ticket_reference IS NULL OR e.ticket_reference = p_ticket_reference)
       AND (p_since IS NULL OR e.occurred_at >= p_since)
       AND (p_until IS NULL OR e.occurred_at < p_until)
       AND (p_before_at IS NULL OR (e.occurred_at, e.id) < (p_before_at, p_before_id))
     ORDER BY e.occurred_at DESC, e.id DESC
     LIMIT least(greatest(coalesce(p_limit, 100), 1), 1000)
$$;

DO $grants$
BEGIN
    REVOKE ALL ON FUNCTION gatehouse.operator_audit_page(text, text, text, text, timestamptz,
        timestamptz, timestamptz, uuid, int) FROM PUBLIC;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
        ALTER FUNCTION gatehouse.operator_audit_page(text, text, text, text, timestamptz,
            timestamptz, timestamptz, uuid, int) OWNER TO authn_definer;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_operator') THEN
        GRANT EXECUTE ON FUNCTION gatehouse.operator_audit_page(text, text, text, text,
            timestamptz, timestamptz, timestamptz, uuid, int) TO authn_operator;
    END IF;
END
$grants$;
