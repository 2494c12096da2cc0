-- The browsers and devices each account has signed in from, one row per device (browser family,
-- system and kind: identity::devices::DeviceKey), with when it was last seen. The new-device
-- check of every sign-in (G20) reads this instead of grouping the account's whole sign-in
-- activity of 90 days: an account a program signs into every minute has some 130,000 such
-- entries, and each sign-in grouped them all and parsed every distinct user agent. Rows older
-- than 90 days are purged by upkeep like the activity they stand for.
--
-- Accounts that signed in before this migration have no rows yet: their first sign-in after it
-- derives them from their activity once (identity::sign_in_alert), since parsing a user agent
-- is the application's work, not SQL's.
CREATE TABLE gatehouse.known_devices (
    namespace     text        NOT NULL,
    user_id       uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    device        text        NOT NULL,
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT known_devices_pkey PRIMARY KEY (user_id, device),
    CONSTRAINT known_devices_device_check CHECK (char_length(device) BETWEEN 1 AND 300)
);
CREATE INDEX known_devices_last_seen_idx ON gatehouse.known_devices (last_seen_at);

ALTER TABLE gatehouse.known_devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE gatehouse.known_devices FORCE ROW LEVEL SECURITY;
CREATE POLICY known_devices_tenant_isolation ON gatehouse.known_devices FOR ALL
    USING (namespace = current_setting('authn.tenant_id', true))
    WITH CHECK (namespace = current_setting('authn.tenant_id', true));

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON gatehouse.known_devices TO authn_app;
    END IF;
END
$grants$;
