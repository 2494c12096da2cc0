-- The audit trail's event-type CHECK asks a function instead of listing the types inline.
--
-- PostgreSQL keeps a table's CHECK expressions as text and parses them again for every INSERT
-- statement it starts. The inline list of 38 names made that parse 4.9% of PostgreSQL's CPU
-- samples over a pgbench replay of a password sign-in's statements (which write two audit
-- events; `perf` beside `scripts/bench replay`'s statements), and checking constraints 6.8% in
-- all. With the function the same replay spends 3.4% on constraints: the CHECK parses as one
-- function call, and the list inside it is compiled once per connection.
--
-- Same constraint name, same answers (NULL passes, as it did), same SQLSTATE (23514) for an
-- unknown type. The function is IMMUTABLE because its answer for a value never changes within
-- a release; a migration adding types replaces it, and rows already stored stay valid. No
-- `SET search_path`: the body names no object, and the comparison is pg_catalog's by name; a
-- SET clause would cost every insert the configuration save and restore this saves.
CREATE FUNCTION authn._is_audit_event_type(p_event_type text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN p_event_type OPERATOR(pg_catalog.=) ANY (ARRAY[
        'user_created', 'user_updated', 'user_disabled', 'user_enabled', 'user_deleted',
        'password_updated', 'email_updated', 'email_verified',
        'session_created', 'session_extended', 'session_revoked', 'sessions_revoked_all',
        'sessions_revoked_other',
        'token_created', 'token_consumed',
        'refresh_token_created', 'refresh_token_rotated', 'refresh_token_reuse_detected',
        'refresh_token_family_revoked', 'refresh_tokens_revoked_all',
        'api_key_created', 'api_key_revoked', 'api_keys_revoked_all',
        'mfa_added', 'mfa_removed', 'mfa_used',
        'login_attempt_failed', 'lockout_triggered',
        'impersonation_started', 'impersonation_ended',
        'lockout_cleared', 'namespace_settings_updated',
        'support_access_requested', 'support_access_approved', 'support_access_denied',
        'support_access_break_glass', 'role_granted', 'support_user_viewed']::pg_catalog.text[]);
END
$$;

ALTER TABLE authn.audit_events DROP CONSTRAINT audit_events_type_valid;
ALTER TABLE authn.audit_events ADD CONSTRAINT audit_events_type_valid
    CHECK (authn._is_audit_event_type(event_type));
