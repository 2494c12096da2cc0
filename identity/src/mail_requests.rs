//! The table of recorded mail requests (`gatehouse.mail_requests`): what a sign-up, reset,
//! magic-link or e-mail-code request leaves behind, whatever the address. The worker in
//! `crate::flows` fulfils them; see migration 17 for why they are not fulfilled at once.

use authn::AuthnTx;
use chrono::TimeDelta;
use sqlx::{FromRow, PgPool};

/// Channel a recorded request notifies on commit, so the worker picks it up at once.
pub const CHANNEL: &str = "gatehouse_mail_requests";

/// Attempts after which a request that keeps failing is dropped (and logged).
pub const MAX_ATTEMPTS: i32 = 5;

/// How long a claimed request is left to its worker before another may try it.
const LEASE: TimeDelta = TimeDelta::minutes(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    SignUp,
    PasswordReset,
    MagicLink,
    EmailCode,
    /// "Was this you?" after a sign-in from a new browser and device (`crate::sign_in_alert`).
    NewDevice,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::SignUp => "sign_up",
            RequestKind::PasswordReset => "password_reset",
            RequestKind::MagicLink => "magic_link",
            RequestKind::EmailCode => "email_code",
            RequestKind::NewDevice => "new_device",
        }
    }

    fn parse(stored: &str) -> Option<RequestKind> {
        [
            RequestKind::SignUp,
            RequestKind::PasswordReset,
            RequestKind::MagicLink,
            RequestKind::EmailCode,
            RequestKind::NewDevice,
        ]
        .into_iter()
        .find(|k| k.as_str() == stored)
    }
}

/// A request taken for fulfilment.
#[derive(Clone, Debug)]
pub struct MailRequest {
    pub kind: RequestKind,
    pub email: String,
    pub password_hash: Option<String>,
    /// The sign-in a new-device notice is about: where from, on what, when.
    pub ip_address: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(FromRow)]
struct Row {
    kind: String,
    email: String,
    password_hash: Option<String>,
    ip_address: Option<std::net::IpAddr>,
    user_agent: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// Records a request in the caller's transaction: one insert and one notification, the same
/// statements for every address.
pub async fn record(
    tx: &mut AuthnTx<'_>,
    kind: RequestKind,
    email: &str,
    password_hash: Option<&str>,
) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query(
        "WITH recorded AS ( \
             INSERT INTO gatehouse.mail_requests (namespace, kind, email, password_hash) \
             VALUES ($1, $2, $3, $4) RETURNING id) \
         SELECT pg_notify($5, '') FROM recorded",
    )
    .bind(namespace)
    .bind(kind.as_str())
    .bind(email)
    .bind(password_hash)
    .bind(CHANNEL)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a new-device notice for `email` about the sign-in of `client`, in the sign-in's
/// transaction.
pub async fn record_new_device(
    tx: &mut AuthnTx<'_>,
    email: &str,
    client: crate::ClientInfo<'_>,
) -> Result<(), sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let user_agent: Option<String> = client.user_agent.map(|ua| ua.chars().take(512).collect());
    sqlx::query(
        "WITH recorded AS ( \
             INSERT INTO gatehouse.mail_requests (namespace, kind, email, ip_address, user_agent) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id) \
         SELECT pg_notify($6, '') FROM recorded",
    )
    .bind(namespace)
    .bind(RequestKind::NewDevice.as_str())
    .bind(email)
    .bind(client.ip_address)
    .bind(user_agent)
    .bind(CHANNEL)
    .execute(conn)
    .await?;
    Ok(())
}

/// Leases up to `limit` due requests of every namespace; returns their ids and namespaces.
/// Requests that failed [`MAX_ATTEMPTS`] times are dropped first. (One SECURITY DEFINER
/// function, migration 26: the worker serves every namespace, row-level security keeps the
/// application role's own statements to one.)
pub async fn claim(pool: &PgPool, limit: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows: Vec<(Option<i64>, String)> =
        sqlx::query_as("SELECT * FROM gatehouse.claim_mail_requests($1, $2, $3)")
            .bind(i32::try_from(limit).unwrap_or(i32::MAX))
            .bind(LEASE)
            .bind(MAX_ATTEMPTS)
            .fetch_all(pool)
            .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for (id, namespace) in rows {
        match id {
            Some(id) => claimed.push((id, namespace)),
            // The first row, without an id, counts the requests dropped.
            None => tracing::error!(
                dropped = %namespace,
                "mail requests dropped after repeated failures"
            ),
        }
    }
    Ok(claimed)
}

/// Takes a claimed request in the fulfilling transaction: it is gone if that commits, back
/// (after its lease) if it does not.
pub async fn take(tx: &mut AuthnTx<'_>, id: i64) -> Result<Option<MailRequest>, sqlx::Error> {
    let conn = tx.conn();
    let row: Option<Row> = sqlx::query_as(
        "DELETE FROM gatehouse.mail_requests WHERE id = $1 \
      RETURNING kind, email, password_hash, ip_address, user_agent, created_at",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| {
        Some(MailRequest {
            kind: RequestKind::parse(&r.kind)?,
            email: r.email,
            password_hash: r.password_hash,
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            created_at: r.created_at,
        })
    }))
}
