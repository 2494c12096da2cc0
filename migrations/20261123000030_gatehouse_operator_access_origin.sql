-- Going back after a support access must give the operator exactly the session the access was
-- started from, as the way back from an admin impersonation does (G13). That link
-- (original_session_id) is in the core's operator table, which no tenant function reports; the
-- operator pool asks this one function for it, by the access's own session id.
CREATE FUNCTION gatehouse.operator_access_origin(p_session_id uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT o.original_session_id
      FROM authn.operator_impersonation_sessions o
     WHERE o.impersonation_session_id = p_session_id
     ORDER BY o.started_at DESC
     LIMIT 1
$$;

DO $grants$
BEGIN
    REVOKE ALL ON FUNCTION gatehouse.operator_access_origin(uuid) FROM PUBLIC;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
        ALTER FUNCTION gatehouse.operator_access_origin(uuid) OWNER TO authn_definer;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_operator') THEN
        GRANT USAGE ON SCHEMA gatehouse TO authn_operator;
        GRANT EXECUTE ON FUNCTION gatehouse.operator_access_origin(uuid) TO authn_operator;
    END IF;
END
$grants$;
