-- A straightforward PL/pgSQL validate_session written from the spec (§5.3), for the benchmark
-- to compare the core's lean path against: full validators, one statement per lookup.
CREATE SCHEMA IF NOT EXISTS bench_naive;

CREATE OR REPLACE FUNCTION bench_naive.validate_session(p_token_hash text, p_namespace text DEFAULT 'default')
RETURNS TABLE(user_id uuid, email text, session_id uuid, is_impersonating boolean,
              impersonator_id uuid, impersonator_email text, impersonation_reason text)
LANGUAGE plpgsql VOLATILE SET search_path = authn, pg_temp AS $$
DECLARE
    v_session_id uuid;
    v_user_id uuid;
    v_email text;
    v_disabled timestamptz;
    v_actor_id uuid;
    v_reason text;
    v_actor_email text;
    v_actor_disabled timestamptz;
BEGIN
    PERFORM authn._validate_hash(p_token_hash, 'token_hash');
    PERFORM authn._validate_namespace(p_namespace);
    SELECT s.id, s.user_id INTO v_session_id, v_user_id
      FROM authn.sessions s
     WHERE s.namespace = p_namespace AND s.token_hash = p_token_hash
       AND s.revoked_at IS NULL AND s.expires_at > now();
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT u.email, u.disabled_at INTO v_email, v_disabled
      FROM authn.users u WHERE u.id = v_user_id AND u.namespace = p_namespace;
    IF NOT FOUND OR v_disabled IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT i.actor_id, i.reason INTO v_actor_id, v_reason
      FROM authn.impersonation_sessions i
     WHERE i.namespace = p_namespace AND i.impersonation_session_id = v_session_id
       AND i.ended_at IS NULL AND i.expires_at > now();
    IF FOUND THEN
        SELECT a.email, a.disabled_at INTO v_actor_email, v_actor_disabled
          FROM authn.users a WHERE a.id = v_actor_id;
        IF v_actor_disabled IS NOT NULL THEN
            RETURN;
        END IF;
        PERFORM authn.set_actor('user:' || v_actor_id, NULL, NULL, NULL, 'user:' || v_user_id,
                                'Impersonation: ' || v_reason);
        RETURN QUERY SELECT v_user_id, v_email, v_session_id, true, v_actor_id, v_actor_email, v_reason;
        RETURN;
    END IF;
    RETURN QUERY SELECT v_user_id, v_email, v_session_id, false, NULL::uuid, NULL::text, NULL::text;
END
$$;

-- Average microseconds per call of one implementation, timed inside the server so that
-- network round trips do not blur the comparison.
CREATE OR REPLACE FUNCTION bench_naive.time_validate(p_impl text, p_calls int, p_tokens text[])
RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    r record;
    m int := array_length(p_tokens, 1);
BEGIN
    t0 := clock_timestamp();
    IF p_impl = 'core' THEN
        FOR i IN 1 .. p_calls LOOP
            SELECT * INTO r FROM authn.validate_session(p_tokens[1 + i % m], 'bench');
        END LOOP;
    ELSE
        FOR i IN 1 .. p_calls LOOP
            SELECT * INTO r FROM bench_naive.validate_session(p_tokens[1 + i % m], 'bench');
        END LOOP;
    END IF;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / p_calls;
END
$$;
