-- Each account's own security activity, for the portal's "recent security activity": sign-ins
-- (successful and failed, with how, from where and on what), and changes to how the account
-- signs in. Written by the identity services in the transaction of the event itself; the core's
-- audit trail stays the authoritative record for administrators. Kept 90 days (cleanup job).
CREATE TABLE gatehouse.account_activity (
    id           bigint      GENERATED ALWAYS AS IDENTITY,
    namespace    text        NOT NULL,
    user_id      uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    kind         text        NOT NULL,
    detail       text,
    ip_address   inet,
    user_agent   text,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT account_activity_pkey PRIMARY KEY (id),
    CONSTRAINT account_activity_kind_check CHECK (kind IN (
        'sign_in', 'sign_in_failed', 'password_changed', 'password_reset', 'mfa_added',
        'mfa_removed', 'recovery_codes_regenerated', 'api_key_created', 'api_key_revoked',
        'email_changed')),
    CONSTRAINT account_activity_detail_check CHECK (char_length(detail) <= 200),
    CONSTRAINT account_activity_user_agent_check CHECK (char_length(user_agent) <= 512)
);
CREATE INDEX account_activity_user_idx
    ON gatehouse.account_activity (namespace, user_id, occurred_at DESC, id DESC);
CREATE INDEX account_activity_occurred_idx ON gatehouse.account_activity (occurred_at);

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, DELETE ON gatehouse.account_activity TO authn_app;
    END IF;
END
$grants$;
