-- The server runs as a login role without DDL rights (migration 22's decision G5), yet its
-- hourly upkeep must create the coming months' audit partitions: with no partition for the
-- current month every audited write fails (decision D5). Creating a partition therefore runs
-- with its owner's rights (the migrator's), for the roles that need it only. The function
-- checks its inputs and builds the name and bounds itself; its search_path is pinned.
ALTER FUNCTION authn.create_audit_partition(int, int) SECURITY DEFINER;
REVOKE EXECUTE ON FUNCTION authn.create_audit_partition(int, int) FROM PUBLIC;

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT EXECUTE ON FUNCTION authn.create_audit_partition(int, int) TO authn_app;
    END IF;
END
$grants$;
