-- The admin console's reads and the one event it writes itself. Indexes on the core's tables
-- serve queries the console makes beside the core's functions (the core has no user search
-- and no lockout list); none of them changes what a core function does or returns.

-- User search: any part of the address (trigram), and keyset order by address or by age.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_email_trgm_idx ON authn.users USING gin (email gin_trgm_ops);
CREATE INDEX users_namespace_email_id_idx ON authn.users (namespace, email, id);
CREATE INDEX users_namespace_created_id_idx ON authn.users (namespace, created_at, id);

-- The lockout queue: failed attempts of the namespace inside the lockout window, newest first.
CREATE INDEX login_attempts_recent_failures_idx
    ON authn.login_attempts (namespace, attempted_at DESC) WHERE NOT success;

-- An admin unlocking an account clears its attempts with the core's `clear_attempts`, which
-- writes no audit event; the console records one of its own type beside the core's.
ALTER TABLE authn.audit_events DROP CONSTRAINT audit_events_type_valid;
ALTER TABLE authn.audit_events ADD CONSTRAINT audit_events_type_valid CHECK (event_type IN (
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
    'lockout_cleared'));

-- Whether the target of an impersonation is mailed when it starts (on unless turned off).
ALTER TABLE gatehouse.namespace_settings
    ADD COLUMN notify_impersonation boolean NOT NULL DEFAULT true;
