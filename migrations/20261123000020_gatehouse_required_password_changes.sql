-- A password an admin typed for a new account is known to someone other than its owner, so it
-- must be replaced at the first sign-in (whatever the first factor): the account is listed
-- here until its owner sets a password of their own. Such a sign-in is pending, like a second
-- step, until the new password is set (`needs_new_password`); a pending sign-in of that kind
-- is never completed by a second factor alone.
CREATE TABLE gatehouse.required_password_changes (
    user_id     uuid        NOT NULL REFERENCES authn.users (id) ON DELETE CASCADE,
    namespace   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT required_password_changes_pkey PRIMARY KEY (user_id)
);

ALTER TABLE gatehouse.pending_sign_ins
    ADD COLUMN needs_new_password boolean NOT NULL DEFAULT false;

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authn_app') THEN
        GRANT SELECT, INSERT, DELETE ON gatehouse.required_password_changes TO authn_app;
    END IF;
END
$grants$;
