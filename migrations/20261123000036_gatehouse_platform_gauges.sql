-- Metrics (G19): the platform-wide gauges of /metrics — mail waiting in the outbox, live admin
-- impersonations and live support accesses — counted across namespaces by one definer function
-- that returns three numbers and nothing of any row.
CREATE FUNCTION gatehouse.platform_gauges()
RETURNS TABLE (mail_outbox_depth bigint, admin_impersonations bigint, support_accesses bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT (SELECT count(*) FROM gatehouse.mail_outbox o
             WHERE o.sent_at IS NULL AND o.failed_at IS NULL),
           (SELECT count(*) FROM authn.impersonation_sessions i
             WHERE i.ended_at IS NULL AND i.expires_at > now()),
           (SELECT count(*) FROM authn.operator_impersonation_sessions s
             WHERE s.ended_at IS NULL AND s.expires_at > now())
$$;

REVOKE ALL ON FUNCTION gatehouse.platform_gauges() FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
        ALTER FUNCTION gatehouse.platform_gauges() OWNER TO authn_definer;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT EXECUTE ON FUNCTION gatehouse.platform_gauges() TO authn_app;
    END IF;
END
$$;
