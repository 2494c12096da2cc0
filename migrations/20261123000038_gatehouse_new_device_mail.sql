-- "Was this you?": a sign-in from a browser and device the account has not signed in from in
-- the last 90 days mails its owner (identity::sign_in_alert). The decision is taken in the
-- sign-in's transaction from the account's own activity (kept 90 days, migration 11); the mail
-- is a request the mail worker fulfils (migration 17, G2), carrying the sign-in's address and
-- user agent to word the device. Owners may turn it off (gatehouse.user_preferences; no row
-- means on).

CREATE TABLE gatehouse.user_preferences (
    namespace        text        NOT NULL,
    user_id          uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    new_device_mail  boolean     NOT NULL DEFAULT true,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_preferences_pkey PRIMARY KEY (user_id)
);

ALTER TABLE gatehouse.user_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE gatehouse.user_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY user_preferences_tenant_isolation ON gatehouse.user_preferences FOR ALL
    USING (namespace = current_setting('authn.tenant_id', true))
    WITH CHECK (namespace = current_setting('authn.tenant_id', true));

ALTER TABLE gatehouse.mail_requests
    ADD COLUMN ip_address inet,
    ADD COLUMN user_agent text,
    DROP CONSTRAINT mail_requests_kind_check,
    ADD CONSTRAINT mail_requests_kind_check
        CHECK (kind IN ('sign_up', 'password_reset', 'magic_link', 'email_code', 'new_device')),
    ADD CONSTRAINT mail_requests_user_agent_check CHECK (char_length(user_agent) <= 512),
    -- Only the new-device notice says where a sign-in came from.
    ADD CONSTRAINT mail_requests_client_check
        CHECK (kind = 'new_device' OR (ip_address IS NULL AND user_agent IS NULL));

-- Sign-in activity by device, newest first: what the new-device check reads.
CREATE INDEX account_activity_sign_ins_idx
    ON gatehouse.account_activity (namespace, user_id, occurred_at DESC) WHERE kind = 'sign_in';

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, UPDATE ON gatehouse.user_preferences TO authn_app;
    END IF;
END
$grants$;
