-- authn core, part 5: actor context and audit partitions (§5.10), tenant context (§5.11).

CREATE FUNCTION authn.set_actor(p_actor_id text, p_request_id text DEFAULT NULL,
                                p_ip_address text DEFAULT NULL, p_user_agent text DEFAULT NULL,
                                p_on_behalf_of text DEFAULT NULL, p_reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    IF p_ip_address IS NOT NULL AND p_ip_address <> '' THEN
        BEGIN
            PERFORM p_ip_address::inet;
        EXCEPTION WHEN invalid_text_representation THEN
            RAISE EXCEPTION 'ip_address must be valid (got: %)', p_ip_address USING ERRCODE = '22023';
        END;
    END IF;
    PERFORM set_config('authn.actor_id', coalesce(p_actor_id, ''), true),
            set_config('authn.request_id', coalesce(p_request_id, ''), true),
            set_config('authn.ip_address', coalesce(p_ip_address, ''), true),
            set_config('authn.user_agent', coalesce(p_user_agent, ''), true),
            set_config('authn.on_behalf_of', coalesce(p_on_behalf_of, ''), true),
            set_config('authn.reason', coalesce(p_reason, ''), true);
END
$$;

CREATE FUNCTION authn.clear_actor() RETURNS void
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM set_config('authn.actor_id', '', true),
            set_config('authn.request_id', '', true),
            set_config('authn.ip_address', '', true),
            set_config('authn.user_agent', '', true),
            set_config('authn.on_behalf_of', '', true),
            set_config('authn.reason', '', true);
END
$$;

CREATE FUNCTION authn.set_tenant(p_tenant_id text) RETURNS void
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM authn._validate_namespace(p_tenant_id);
    PERFORM set_config('authn.tenant_id', p_tenant_id, true);
END
$$;

CREATE FUNCTION authn.clear_tenant() RETURNS void
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
BEGIN
    PERFORM set_config('authn.tenant_id', '', true);
END
$$;

-- Partition bounds are UTC month boundaries, whatever the session's TimeZone, so that two
-- callers in different zones agree on which partition a month is (see migrations/README.md).
CREATE FUNCTION authn.create_audit_partition(p_year int, p_month int) RETURNS text
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_name text;
    v_from timestamptz;
    v_to timestamptz;
BEGIN
    IF p_year IS NULL OR p_year < 1970 OR p_year > 9999 THEN
        RAISE EXCEPTION 'Year must be between 1970 and 9999, got %', p_year USING ERRCODE = '22023';
    END IF;
    IF p_month IS NULL OR p_month < 1 OR p_month > 12 THEN
        RAISE EXCEPTION 'Month must be between 1 and 12, got %', p_month USING ERRCODE = '22023';
    END IF;

    v_name := format('audit_events_y%sm%s', lpad(p_year::text, 4, '0'), lpad(p_month::text, 2, '0'));
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'authn' AND c.relname = v_name) THEN
        RETURN NULL;
    END IF;

    v_from := make_timestamptz(p_year, p_month, 1, 0, 0, 0, 'UTC');
    v_to := v_from AT TIME ZONE 'UTC' + interval '1 month';
    v_to := (v_to::timestamp) AT TIME ZONE 'UTC';
    EXECUTE format('CREATE TABLE authn.%I PARTITION OF authn.audit_events FOR VALUES FROM (%L) TO (%L)',
                   v_name, v_from, v_to);
    RETURN v_name;
END
$$;

CREATE FUNCTION authn.ensure_audit_partitions(p_months_ahead int DEFAULT 3) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    v_name text;
    i int;
BEGIN
    IF p_months_ahead IS NULL OR p_months_ahead < 0 THEN
        RETURN;
    END IF;
    FOR i IN 0 .. p_months_ahead LOOP
        v_name := authn.create_audit_partition(
            extract(year FROM v_month + make_interval(months => i))::int,
            extract(month FROM v_month + make_interval(months => i))::int);
        IF v_name IS NOT NULL THEN
            RETURN NEXT v_name;
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION authn.drop_audit_partitions(p_older_than_months int DEFAULT 84) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = authn, pg_temp AS $$
DECLARE
    v_cutoff date;
    v_part record;
    v_match text[];
    v_month date;
BEGIN
    IF p_older_than_months IS NULL THEN
        RETURN;
    END IF;
    v_cutoff := (date_trunc('month', now() AT TIME ZONE 'UTC')
                 - make_interval(months => p_older_than_months))::date;

    FOR v_part IN
        SELECT c.relname::text AS name
          FROM pg_catalog.pg_inherits inh
          JOIN pg_catalog.pg_class c ON c.oid = inh.inhrelid
         WHERE inh.inhparent = 'authn.audit_events'::regclass
           AND c.relname LIKE 'audit_events\_y%'
         ORDER BY c.relname
    LOOP
        v_match := regexp_match(v_part.name, '^audit_events_y([0-9]{4})m([0-9]{2})$');
        IF v_match IS NULL OR v_match[2]::int NOT BETWEEN 1 AND 12 THEN
            RAISE WARNING 'skipping audit partition with unexpected name %', v_part.name;
            CONTINUE;
        END IF;
        v_month := make_date(v_match[1]::int, v_match[2]::int, 1);
        IF (v_month + interval '1 month')::date <= v_cutoff THEN
            EXECUTE format('DROP TABLE authn.%I', v_part.name);
            RETURN NEXT v_part.name;
        END IF;
    END LOOP;
END
$$;
