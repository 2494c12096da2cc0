-- authn._has_control_chars, the check every validator of a text argument makes (namespaces,
-- hashes, e-mail addresses: about fifteen calls in one password sign-in), was a SQL-language
-- function. Its pinned search_path keeps PostgreSQL from inlining it, so each statement that
-- called it planned its one expression anew (pg_stat_statements over a sign-in benchmark: six
-- plans per sign-in). As PL/pgSQL the expression is planned once per connection and kept. Same argument,
-- same answer (NULL for NULL), same pinned search_path; the owner and grants stay as they were.
CREATE OR REPLACE FUNCTION authn._has_control_chars(p_value text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = authn, pg_temp AS $$
BEGIN
    RETURN p_value ~ '[\x01-\x1f\x7f]';
END
$$;
