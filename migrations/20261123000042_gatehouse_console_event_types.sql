-- Two more of the console's own audit event types:
-- * `role_granted`: granting a namespace admin or a platform operator (the command line's
--   `create-admin`) is as much an admin action as anything the console does (new values: the
--   role). Namespace settings changed from the command line use `namespace_settings_updated`,
--   as the console's do.
-- * `support_user_viewed`: an operator reading a customer's user in the operator console (the
--   support view: the account, its sign-in methods, sessions and recent attempts) is recorded
--   in that customer's own trail, with the operator's address and namespace and the case's
--   ticket, so the customer's admins see who at the platform looked at whom and why, as they
--   see support accesses.
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
    'lockout_cleared', 'namespace_settings_updated',
    'support_access_requested', 'support_access_approved', 'support_access_denied',
    'support_access_break_glass', 'role_granted', 'support_user_viewed'));
