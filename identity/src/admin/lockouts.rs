//! The lockout queue: addresses locked out now under the sign-in policy, when each unlocks by
//! itself, the namespace's recent failed attempts, and unlocking with a reason. The core has
//! no function that lists lockouts; its console read models (`authn::console`) read them in
//! the admin's transaction (row-level security).

use authn::{Authn, AuthnTx};

pub use authn::console::{FailedAttempt, LockedAccount};

use super::{AdminError, Reason};
use crate::email::EmailAddress;
use crate::lockout::LockoutPolicy;

/// Every address locked out now, the most recently attempted first.
#[tracing::instrument(skip_all)]
pub async fn queue(
    tx: &mut AuthnTx<'_>,
    policy: LockoutPolicy,
) -> Result<Vec<LockedAccount>, AdminError> {
    // A limit of 0 locks every address (the core's reading); the queue lists those with a failure.
    let max = policy.core_max().max(1);
    Ok(tx.locked_accounts(policy.window, max).await?)
}

/// The namespace's latest failed sign-in attempts, newest first.
#[tracing::instrument(skip_all)]
pub async fn recent_failures(
    tx: &mut AuthnTx<'_>,
    limit: u16,
) -> Result<Vec<FailedAttempt>, AdminError> {
    Ok(tx
        .recent_failed_attempts(i64::from(limit.clamp(1, 500)))
        .await?)
}

/// Lets a locked-out address sign in again: its attempts are cleared (the core's
/// `clear_attempts`) and a `lockout_cleared` event records who did it and why. An address that
/// is not locked out is refused and nothing changes. Returns how many attempts were cleared.
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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
        if crate::roles::holds_any_role(&mut tx, u.user_id).await? {
            return Err(AdminError::PrivilegedAccount);
        }
    }
    let cleared = tx.clear_attempts(email.as_str()).await?;
    let (resource_type, resource_id) = match &user {
        Some(u) => ("user", u.user_id.to_string()),
        None => ("login_attempts", email.as_str().to_owned()),
    };
    tx.log_event(
        vocabulary::EventType::LockoutCleared.as_str(),
        resource_type,
        &resource_id,
        None,
        Some(serde_json::json!({ "email": email.as_str(), "attempts_cleared": cleared })),
    )
    .await?;
    tx.commit().await?;
    Ok(cleared)
}
