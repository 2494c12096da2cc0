-- Readiness (G18): `/readyz` compares the newest migration the server binary carries with the
-- newest one applied, so an instance started before `gatehouse migrate` ran says it is not
-- ready. The application role may read which versions are applied, and nothing else of the
-- migrations' table (not their SQL or checksums). A schema applied with plain psql (the SDK
-- check) has no such table: there is nothing to grant.
DO $$
BEGIN
    IF to_regclass('public._sqlx_migrations') IS NOT NULL THEN
        GRANT SELECT (version, success) ON public._sqlx_migrations TO authn_app;
    END IF;
END
$$;
