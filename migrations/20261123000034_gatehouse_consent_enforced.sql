-- Review fixes to consent and the operator audit pages (G17).
--
-- Consent held only as long as the application asked for it: the operator pool could run the
-- core's start_operator_impersonation into a namespace that requires approval and never spend
-- one, and an admin turning approval on between the application's read of the setting and its
-- start let that start through. Now the database refuses to commit any operator access into
-- such a namespace unless the same transaction spent an approval on it or recorded break glass
-- (a support_requests row naming it), checked at commit against the setting as it then is.
CREATE INDEX support_requests_impersonation_idx ON gatehouse.support_requests (impersonation_id)
    WHERE impersonation_id IS NOT NULL;

CREATE FUNCTION gatehouse.support_access_consented() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM gatehouse.namespace_settings s
                WHERE s.namespace = NEW.target_namespace AND s.support_needs_approval)
       AND NOT EXISTS (SELECT 1 FROM gatehouse.support_requests r
                        WHERE r.impersonation_id = NEW.id) THEN
        RAISE EXCEPTION 'support access to namespace % needs an approval or break glass',
            NEW.target_namespace USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER operator_impersonation_needs_consent
    AFTER INSERT ON authn.operator_impersonation_sessions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION gatehouse.support_access_consented();

-- The operator audit log's keyset pages (migration 32) walk the whole table by time when no
-- filter narrows them: without this index each page was a scan and a sort of every event.
CREATE INDEX operator_audit_events_time_idx
    ON authn.operator_audit_events (occurred_at DESC, id DESC);

DO $grants$
BEGIN
    REVOKE ALL ON FUNCTION gatehouse.support_access_consented() FROM PUBLIC;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
        ALTER FUNCTION gatehouse.support_access_consented() OWNER TO authn_definer;
        GRANT SELECT ON gatehouse.namespace_settings TO authn_definer;
    END IF;
END
$grants$;
