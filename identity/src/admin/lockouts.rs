//! The lockout queue: addresses locked out now under the sign-in policy, when each unlocks by
//! itself, the namespace's recent failed attempts, and unlocking with a reason. The core has
//! no function that lists lockouts; these read its `login_attempts` in the admin's
//! transaction (row-level security) through the index of migration 14.

use std::net::IpAddr;

use authn::{Authn, AuthnTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AdminError, Reason};
use crate::email::EmailAddress;
use crate::lockout::LockoutPolicy;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LockedAccount {
    pub email: String,
    /// The account of the address, if there is one (attempts are kept for any address).
    pub user_id: Option<Uuid>,
    /// Failed attempts inside the window.
    pub failures: i64,
    pub last_attempt_at: DateTime<Utc>,
    pub last_ip: Option<IpAddr>,
    /// When enough failures have left the window to let the address in again.
    pub unlocks_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FailedAttempt {
    pub email: String,
    pub user_id: Option<Uuid>,
    pub ip_address: Option<IpAddr>,
    pub attempted_at: DateTime<Utc>,
}

/// Every address locked out now, the most recently attempted first.
pub async fn queue(
    tx: &mut AuthnTx<'_>,
    policy: LockoutPolicy,
) -> Result<Vec<LockedAccount>, AdminError> {
    let namespace = tx.namespace().to_owned();
    let max = i32::try_from(policy.max_attempts.max(1)).unwrap_or(i32::MAX);
    Ok(sqlx::query_as(
        "WITH recent AS ( \
             SELECT a.email, a.attempted_at, a.ip_address \
               FROM authn.login_attempts a \
              WHERE a.namespace = $1 AND NOT a.success AND a.attempted_at > now() - $2::interval), \
         locked AS ( \
             SELECT email, count(*) AS failures, \
                    (array_agg(attempted_at ORDER BY attempted_at DESC))[1] AS last_attempt_at, \
                    (array_agg(ip_address ORDER BY attempted_at DESC))[1] AS last_ip, \
                    (array_agg(attempted_at ORDER BY attempted_at DESC))[$3] + $2::interval AS unlocks_at \
               FROM recent GROUP BY email HAVING count(*) >= $3) \
         SELECT l.email, u.id AS user_id, l.failures, l.last_attempt_at, l.last_ip, l.unlocks_at \
           FROM locked l LEFT JOIN authn.users u ON u.namespace = $1 AND u.email = l.email \
          ORDER BY l.last_attempt_at DESC, l.email",
    )
    .bind(namespace)
    .bind(policy.window)
    .bind(max)
    .fetch_all(tx.conn())
    .await?)
}

/// The namespace's latest failed sign-in attempts, newest first.
pub async fn recent_failures(
    tx: &mut AuthnTx<'_>,
    limit: u16,
) -> Result<Vec<FailedAttempt>, AdminError> {
    let namespace = tx.namespace().to_owned();
    Ok(sqlx::query_as(
        "SELECT a.email, u.id AS user_id, a.ip_address, a.attempted_at \
           FROM authn.login_attempts a \
           LEFT JOIN authn.users u ON u.namespace = a.namespace AND u.email = a.email \
          WHERE a.namespace = $1 AND NOT a.success \
          ORDER BY a.attempted_at DESC LIMIT $2",
    )
    .bind(namespace)
    .bind(i64::from(limit.clamp(1, 500)))
    .fetch_all(tx.conn())
    .await?)
}

/// Lets a locked-out address sign in again: its attempts are cleared (the core's
/// `clear_attempts`) and a `lockout_cleared` event records who did it and why. An address that
/// is not locked out is refused and nothing changes. Returns how many attempts were cleared.
pub async fn unlock(
    authn: &Authn,
    policy: LockoutPolicy,
    email: &str,
    reason: &Reason,
) -> Result<i64, AdminError> {
    unlock_within(authn, Some(policy), email, reason, false).await
}

/// [`unlock`] for the command line: any address, admins' and operators' included, and whether
/// or not it is locked out now (the command line does not know the server's lockout policy).
pub async fn unlock_any(authn: &Authn, email: &str, reason: &Reason) -> Result<i64, AdminError> {
    unlock_within(authn, None, email, reason, true).await
}

async fn unlock_within(
    authn: &Authn,
    policy: Option<LockoutPolicy>,
    email: &str,
    reason: &Reason,
    privileged_too: bool,
) -> Result<i64, AdminError> {
    let email = EmailAddress::parse(email)?;
    let mut reasoned = authn.clone();
    reasoned.set_actor(authn::Actor {
        reason: Some(reason.as_str().to_owned()),
        ..authn::Actor::default()
    });
    let mut tx = reasoned.begin().await?;
    if let Some(policy) = policy {
        if !policy.is_locked(&mut tx, email.as_str()).await? {
            return Err(AdminError::NotLockedOut);
        }
    }
    let user = tx.get_user_by_email(email.as_str()).await?;
    // Another admin's or an operator's lockout is lifted with the command line only: the
    // lockout may be all that stands between a guesser and a privileged account.
    if let Some(u) = user.as_ref().filter(|_| !privileged_too) {
        if crate::roles::holds_any_role(tx.conn(), u.user_id).await? {
            return Err(AdminError::PrivilegedAccount);
        }
    }
    let cleared = tx.clear_attempts(email.as_str()).await?;
    let (resource_type, resource_id) = match &user {
        Some(u) => ("user", u.user_id.to_string()),
        None => ("login_attempts", email.as_str().to_owned()),
    };
    let namespace = tx.namespace().to_owned();
    sqlx::query("SELECT authn._log_event('lockout_cleared', $1, $2, $3, NULL, $4)")
        .bind(namespace)
        .bind(resource_type)
        .bind(resource_id)
        .bind(serde_json::json!({ "email": email.as_str(), "attempts_cleared": cleared }))
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(cleared)
}
