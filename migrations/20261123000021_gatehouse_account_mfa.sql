-- A namespace may require two-step verification of every account, not only of its admins
-- (`gatehouse set-account-mfa`). Only such a namespace may accept passwords shorter than 12
-- characters (GATEHOUSE_PASSWORD_MIN_CHARS down to 8, as ASVS 2.1.1 allows with MFA).
ALTER TABLE gatehouse.namespace_settings
    ADD COLUMN accounts_require_mfa boolean NOT NULL DEFAULT false;
