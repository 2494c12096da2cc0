-- Admins and operators must have two-step verification (an authenticator app or a passkey)
-- to use the console: a namespace setting, on unless the namespace turns it off (with
-- `gatehouse set-console-mfa`). A namespace without a settings row counts as on.
ALTER TABLE gatehouse.namespace_settings
    ADD COLUMN console_requires_mfa boolean NOT NULL DEFAULT true;
