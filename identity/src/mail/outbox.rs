//! The mail outbox table (`gatehouse.mail_outbox`): enqueued inside the caller's transaction,
//! claimed by delivery workers with `SKIP LOCKED`, so several app instances can share it.
//!
//! Bodies are stored sealed with the deployment's key (they hold live links and codes; a copy
//! of the database must not hand them out) and bound to their namespace and recipient; a mail
//! whose link has expired is never delivered and loses its body (`purge_at`).

use authn::AuthnTx;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use super::Mail;
use crate::secret_box::SecretBox;

/// Channel the outbox notifies on commit, so the worker delivers at once instead of waiting
/// for its next poll.
pub const CHANNEL: &str = "gatehouse_mail";

/// A claimed message, to deliver. Its bodies are still sealed: see [`QueuedMail::open`].
#[derive(Clone, FromRow)]
pub struct QueuedMail {
    pub id: i64,
    pub namespace: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: Option<String>,
    pub html_body: Option<String>,
    pub attempts: i32,
}

/// A message as the developer mailbox lists it.
#[derive(Clone, Debug, FromRow)]
pub struct OutboxEntry {
    pub id: i64,
    pub namespace: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub attempts: i32,
}

/// What a body is sealed for: a body moved to another row (another namespace or recipient)
/// does not open.
fn seal_context(namespace: &str, recipient: &str) -> String {
    format!("mail:{namespace}:{recipient}")
}

/// Opens a stored body sealed by [`enqueue`]; `None` for a body that does not open (damaged,
/// another key, or stored before bodies were sealed).
pub fn open_body(
    keys: &SecretBox,
    namespace: &str,
    recipient: &str,
    sealed: &str,
) -> Option<String> {
    keys.open(sealed, &seal_context(namespace, recipient))
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

impl QueuedMail {
    /// The text and HTML bodies, opened; `None` if either does not open.
    pub fn open(&self, keys: &SecretBox) -> Option<(String, String)> {
        let open = |body: &Option<String>| {
            body.as_deref()
                .and_then(|b| open_body(keys, &self.namespace, &self.recipient, b))
        };
        Some((open(&self.text_body)?, open(&self.html_body)?))
    }
}

/// Adds a message in the caller's transaction; it is delivered only if that commits.
pub async fn enqueue(
    tx: &mut AuthnTx<'_>,
    mail: &Mail,
    keys: &SecretBox,
) -> Result<i64, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let context = seal_context(namespace, &mail.to);
    let id = sqlx::query_scalar(
        "INSERT INTO gatehouse.mail_outbox \
             (namespace, kind, recipient, subject, text_body, html_body, purge_at) \
         VALUES ($1, $2, $3, $4, $5, $6, now() + $7) RETURNING id",
    )
    .bind(namespace)
    .bind(mail.kind.as_str())
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(keys.seal(mail.text.as_bytes(), &context))
    .bind(keys.seal(mail.html.as_bytes(), &context))
    .bind(mail.valid_for)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(conn)
        .await?;
    Ok(id)
}

// The worker's steps serve every namespace, so they are the schema's SECURITY DEFINER
// functions (migration 26, G10): row-level security keeps the application role's own
// statements to one tenant.

/// Claims up to `limit` due messages for `lease_seconds`: a worker that dies mid-send leaves
/// them to be retried when the lease runs out (delivery is at least once).
pub async fn claim_due(
    pool: &PgPool,
    limit: i64,
    lease_seconds: i64,
) -> Result<Vec<QueuedMail>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM gatehouse.claim_due_mail($1, $2)")
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .bind(lease_seconds as f64)
        .fetch_all(pool)
        .await
}

/// Records delivery; the bodies (live links, codes) are dropped unless `keep_bodies`.
pub async fn mark_sent(pool: &PgPool, id: i64, keep_bodies: bool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT gatehouse.mark_mail_sent($1, $2)")
        .bind(id)
        .bind(keep_bodies)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records a failed attempt: retried after `retry_in_seconds`, or given up for good.
pub async fn mark_attempt_failed(
    pool: &PgPool,
    id: i64,
    error: &str,
    retry_in_seconds: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT gatehouse.mark_mail_failed($1, $2, $3)")
        .bind(id)
        .bind(error)
        .bind(retry_in_seconds.map(|s| s as f64))
        .execute(pool)
        .await?;
    Ok(())
}

/// The newest messages of every namespace, for the developer mailbox.
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<OutboxEntry>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM gatehouse.recent_mail($1)")
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .fetch_all(pool)
        .await
}

/// Drops the bodies of mails whose link or code has expired; one not delivered by then is
/// recorded as failed (a dead link helps nobody). Run by the delivery worker and the cleanup job.
pub async fn purge_expired_bodies(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let done: i64 = sqlx::query_scalar("SELECT gatehouse.purge_expired_mail_bodies()")
        .fetch_one(pool)
        .await?;
    Ok(done.try_into().unwrap_or_default())
}

/// Removes delivered or abandoned messages older than `days` (run by the cleanup job).
pub async fn purge_older_than(pool: &PgPool, days: i32) -> Result<u64, sqlx::Error> {
    let done: i64 = sqlx::query_scalar("SELECT gatehouse.purge_old_mail($1)")
        .bind(days)
        .fetch_one(pool)
        .await?;
    Ok(done.try_into().unwrap_or_default())
}
