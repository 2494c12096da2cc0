-- Mail bodies in the outbox carry live links and codes. From here on they are stored sealed
-- with the deployment's secret key (XChaCha20-Poly1305, bound to the namespace and recipient),
-- so a copy of the database or a backup does not hand them out, and a mail whose link has
-- expired is not delivered and loses its body (`purge_at`: when the token it carries expires).
-- Bodies queued before this migration cannot be opened by the worker and are recorded as
-- failed; their links expire within their own lifetimes.
ALTER TABLE gatehouse.mail_outbox ADD COLUMN purge_at timestamptz;
CREATE INDEX mail_outbox_purge_idx ON gatehouse.mail_outbox (purge_at)
    WHERE purge_at IS NOT NULL AND (text_body IS NOT NULL OR html_body IS NOT NULL);
