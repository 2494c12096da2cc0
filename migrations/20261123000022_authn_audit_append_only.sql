-- The audit trail is append-only for the application: its role may read and add events but
-- never change or remove one (removing old months is the migrator's work, by dropping whole
-- partitions). An application compromised through some other flaw then cannot cover its
-- tracks in the trail.
DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON authn.audit_events FROM authn_app;
    END IF;
END
$grants$;
