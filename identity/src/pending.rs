//! The pending step of a sign-in: the first factor is proven, the second is still owed.
//! A pending sign-in is a 256-bit token (the browser keeps it in a short-lived cookie; only
//! its SHA-256 is stored) bound to the namespace and user, expiring in minutes, used once,
//! and dropped after a few wrong second-factor attempts.

use authn::AuthnTx;
use std::net::IpAddr;

use chrono::TimeDelta;
use uuid::Uuid;

use crate::client_info::ClientInfo;
use crate::token::OpaqueToken;

/// How long the second step may take.
pub const PENDING_LIFETIME: TimeDelta = TimeDelta::minutes(5);
/// Wrong second factors before the pending sign-in is dropped (sign in again).
pub const MAX_SECOND_FACTOR_FAILURES: i32 = 5;

/// What proved the first factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstFactor {
    Password,
    MagicLink,
    EmailCode,
}

impl FirstFactor {
    /// How people read it in their activity list.
    pub fn label(self) -> &'static str {
        match self {
            FirstFactor::Password => "password",
            FirstFactor::MagicLink => "email link",
            FirstFactor::EmailCode => "email code",
        }
    }

    /// The stored form.
    pub fn parse(stored: &str) -> Option<FirstFactor> {
        match stored {
            "password" => Some(FirstFactor::Password),
            "magic_link" => Some(FirstFactor::MagicLink),
            "email_code" => Some(FirstFactor::EmailCode),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            FirstFactor::Password => "password",
            FirstFactor::MagicLink => "magic_link",
            FirstFactor::EmailCode => "email_code",
        }
    }
}

/// A pending sign-in as the second step finds it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingSignIn {
    pub user_id: Uuid,
    pub first_factor: String,
    pub ip_address: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub failures: i32,
}

/// Starts the second step; the token goes into the pending cookie and nowhere else.
pub async fn begin(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    first: FirstFactor,
    client: ClientInfo<'_>,
) -> Result<OpaqueToken, sqlx::Error> {
    insert(tx, user_id, first, client, false).await
}

/// Starts the step that sets a new password (see `crate::required_password_change`); only
/// [`complete_new_password`] ends it.
pub async fn begin_new_password(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    first: FirstFactor,
    client: ClientInfo<'_>,
) -> Result<OpaqueToken, sqlx::Error> {
    insert(tx, user_id, first, client, true).await
}

async fn insert(
    tx: &mut AuthnTx<'_>,
    user_id: Uuid,
    first: FirstFactor,
    client: ClientInfo<'_>,
    needs_new_password: bool,
) -> Result<OpaqueToken, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let token = OpaqueToken::generate();
    sqlx::query(
        "INSERT INTO gatehouse.pending_sign_ins \
             (token_hash, namespace, user_id, first_factor, ip_address, user_agent, expires_at, \
              needs_new_password) \
         VALUES ($1, $2, $3, $4, $5, $6, now() + $7, $8)",
    )
    .bind(token.hash())
    .bind(namespace)
    .bind(user_id)
    .bind(first.as_str())
    .bind(client.ip_address)
    .bind(client.user_agent)
    .bind(PENDING_LIFETIME)
    .bind(needs_new_password)
    .execute(conn)
    .await?;
    Ok(token)
}

/// The live pending sign-in of `token` in `namespace`, if any.
pub async fn find(tx: &mut AuthnTx<'_>, token: &str) -> Result<Option<PendingSignIn>, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query_as(
        "SELECT user_id, first_factor, ip_address, user_agent, failures \
           FROM gatehouse.pending_sign_ins \
          WHERE token_hash = $1 AND namespace = $2 AND expires_at > now() \
            AND NOT needs_new_password",
    )
    .bind(crate::token::hash_token(token))
    .bind(namespace)
    .fetch_optional(conn)
    .await
}

/// Counts a wrong second factor; returns whether the pending sign-in is still usable.
pub async fn record_failure(tx: &mut AuthnTx<'_>, token: &str) -> Result<bool, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let hash = crate::token::hash_token(token);
    let failures: Option<i32> = sqlx::query_scalar(
        "UPDATE gatehouse.pending_sign_ins SET failures = failures + 1 \
          WHERE token_hash = $1 AND namespace = $2 AND expires_at > now() RETURNING failures",
    )
    .bind(&hash)
    .bind(namespace)
    .fetch_optional(&mut *conn)
    .await?;
    match failures {
        Some(n) if n < MAX_SECOND_FACTOR_FAILURES => Ok(true),
        Some(_) => {
            sqlx::query("DELETE FROM gatehouse.pending_sign_ins WHERE token_hash = $1")
                .bind(&hash)
                .execute(conn)
                .await?;
            Ok(false)
        }
        None => Ok(false),
    }
}

/// Ends the pending sign-in once (the caller opens the session in the same transaction).
pub async fn complete(
    tx: &mut AuthnTx<'_>,
    token: &str,
) -> Result<Option<PendingSignIn>, sqlx::Error> {
    take(tx, token, false).await
}

/// Ends a pending sign-in that owes a new password, once (the caller sets the password and
/// goes on with the sign-in in the same transaction).
pub async fn complete_new_password(
    tx: &mut AuthnTx<'_>,
    token: &str,
) -> Result<Option<PendingSignIn>, sqlx::Error> {
    take(tx, token, true).await
}

/// One atomic delete: a pending step ends once, and only by what it owes.
async fn take(
    tx: &mut AuthnTx<'_>,
    token: &str,
    needs_new_password: bool,
) -> Result<Option<PendingSignIn>, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    sqlx::query_as(
        "DELETE FROM gatehouse.pending_sign_ins \
          WHERE token_hash = $1 AND namespace = $2 AND expires_at > now() \
            AND needs_new_password = $3 \
      RETURNING user_id, first_factor, ip_address, user_agent, failures",
    )
    .bind(crate::token::hash_token(token))
    .bind(namespace)
    .bind(needs_new_password)
    .fetch_optional(conn)
    .await
}

/// Drops every pending sign-in of an account (its password was reset: a first factor proven
/// before that must not lead anywhere).
pub async fn discard_for_user(tx: &mut AuthnTx<'_>, user_id: Uuid) -> Result<u64, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    Ok(
        sqlx::query("DELETE FROM gatehouse.pending_sign_ins WHERE namespace = $1 AND user_id = $2")
            .bind(namespace)
            .bind(user_id)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// Removes expired pending sign-ins (the cleanup job).
pub async fn purge_expired(tx: &mut AuthnTx<'_>) -> Result<u64, sqlx::Error> {
    let conn = tx.conn();
    Ok(
        sqlx::query("DELETE FROM gatehouse.pending_sign_ins WHERE expires_at <= now()")
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
