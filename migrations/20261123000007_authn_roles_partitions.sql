-- authn core, part 7: roles and grants (decision D2) and the initial audit partitions (§1.7).
--
-- Three NOLOGIN roles, created when the migrating role may create them (superuser):
--   authn_app       what the application's login role is granted: the schema, the nine
--                   RLS-protected tables (row-level security still applies to it) and the
--                   tenant functions (EXECUTE is PUBLIC by default). No operator tables.
--   authn_operator  EXECUTE on the seven operator functions; grant it to the login role that
--                   implements "who is a platform operator" (the application does).
--   authn_definer   BYPASSRLS owner of the SECURITY DEFINER functions, so that operator
--                   impersonation can read and write across namespaces.
-- Roles are cluster-wide, so creation tolerates another database having created them first.
-- A migrating role that is not a superuser keeps ownership of everything; then the operator
-- functions cross namespaces only if that role itself bypasses RLS (a NOTICE says so).

DO $roles$
DECLARE
    v_is_super boolean;
    r text;
    f text;
BEGIN
    SELECT rolsuper INTO v_is_super FROM pg_catalog.pg_roles WHERE rolname = current_user;
    IF NOT v_is_super THEN
        RAISE NOTICE 'authn: not a superuser; roles authn_app/authn_operator/authn_definer not created, '
                     'SECURITY DEFINER functions stay owned by %', current_user;
        RETURN;
    END IF;

    -- Attributes are given at creation, and a role is altered only when it lacks one, so
    -- that migrations of two databases of the cluster running at once do not both update
    -- the same role row.
    FOREACH r IN ARRAY ARRAY['authn_app', 'authn_operator', 'authn_definer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN%s', r,
                               CASE WHEN r = 'authn_definer' THEN ' BYPASSRLS' ELSE '' END);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created concurrently by a migration of another database
            END;
        END IF;
    END LOOP;
    IF NOT (SELECT rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = 'authn_definer') THEN
        ALTER ROLE authn_definer BYPASSRLS;
    END IF;

    GRANT USAGE ON SCHEMA authn TO authn_app, authn_operator, authn_definer;
    GRANT SELECT, INSERT, UPDATE, DELETE ON
        authn.users, authn.sessions, authn.refresh_tokens, authn.tokens, authn.mfa_secrets,
        authn.login_attempts, authn.api_keys, authn.impersonation_sessions, authn.audit_events
        TO authn_app, authn_definer;
    GRANT SELECT, INSERT, UPDATE, DELETE ON
        authn.operator_impersonation_sessions, authn.operator_audit_events TO authn_definer;

    FOREACH f IN ARRAY ARRAY[
        'authn.start_operator_impersonation(uuid, uuid, text, text, text, interval, text)',
        'authn.end_operator_impersonation(uuid)',
        'authn.get_operator_impersonation_context(uuid)',
        'authn.list_operator_impersonations_for_target(text, int, uuid)',
        'authn.list_operator_impersonations_by_operator(uuid, text, int)',
        'authn.list_active_operator_impersonations(int)',
        'authn.get_operator_audit_events(int, text, text, text)']
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO authn_definer', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO authn_operator', f);
    END LOOP;

    ALTER FUNCTION authn._log_operator_audit_event(text, text, uuid, text, text, uuid, text, text,
                                                   text, uuid, uuid, jsonb) OWNER TO authn_definer;
    ALTER FUNCTION authn._operator_impersonation_deleted_revoke_session() OWNER TO authn_definer;
    ALTER FUNCTION authn._is_operator_impersonation_session(uuid) OWNER TO authn_definer;
    ALTER FUNCTION authn._operator_impersonation_rejected(uuid) OWNER TO authn_definer;
END
$roles$;

-- §1.7 step 7: the current month and the next three. The application keeps them ahead
-- (Authn::ensure_audit_partitions at start-up and in its periodic job).
SELECT authn.ensure_audit_partitions(3);
