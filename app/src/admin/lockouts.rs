//! The lockout queue and the namespace's recent failed sign-ins.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedLine {
    pub email: String,
    pub user_id: Option<String>,
    pub failures: i64,
    pub last_attempt: String,
    pub last_ip: Option<String>,
    pub unlocks: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureLine {
    pub email: String,
    pub user_id: Option<String>,
    pub ip_address: Option<String>,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockoutsView {
    pub locked: Vec<LockedLine>,
    pub recent_failures: Vec<FailureLine>,
    pub threshold: u32,
    pub window_minutes: i64,
}

/// How many recent failed sign-ins the page lists, and with "Show more".
pub const FAILURES_FIRST: u16 = 50;
pub const FAILURES_MORE: u16 = 500;

#[server(endpoint = "admin_lockouts")]
pub async fn admin_lockouts(
    namespace: String,
    #[server(default)] more: bool,
) -> Result<LockoutsView, AppError> {
    use identity::admin::lockouts::{queue, recent_failures};

    let (state, _, authn) = super::ssr::admin(&namespace, None).await?;
    let policy = state.sign_in.lockout();
    let mut tx = authn.begin().await?;
    let locked = queue(&mut tx, policy).await?;
    let failures =
        recent_failures(&mut tx, if more { FAILURES_MORE } else { FAILURES_FIRST }).await?;
    tx.commit().await?;
    Ok(LockoutsView {
        locked: locked
            .into_iter()
            .map(|l| LockedLine {
                email: l.email,
                user_id: l.user_id.map(|id| id.to_string()),
                failures: l.failures,
                last_attempt: super::when(l.last_attempt_at),
                last_ip: l.last_ip.map(|ip| ip.to_string()),
                unlocks: super::when(l.unlocks_at),
            })
            .collect(),
        recent_failures: failures
            .into_iter()
            .map(|f| FailureLine {
                email: f.email,
                user_id: f.user_id.map(|id| id.to_string()),
                ip_address: f.ip_address.map(|ip| ip.to_string()),
                at: super::when(f.attempted_at),
            })
            .collect(),
        threshold: policy.max_attempts,
        window_minutes: policy.window.num_minutes(),
    })
}

/// Unlocks a locked-out address with a reason (audited as `lockout_cleared`).
#[server(endpoint = "admin_unlock")]
pub async fn admin_unlock(
    namespace: String,
    email: String,
    reason: String,
) -> Result<(), AppError> {
    let (state, _, authn) = super::ssr::admin(&namespace, None).await?;
    // `unlock` records the reason on its own events.
    let reason = identity::admin::Reason::parse(&reason)?;
    identity::admin::lockouts::unlock(&authn, state.sign_in.lockout(), &email, &reason).await?;
    leptos_axum::redirect(
        &vocabulary::Page::AdminLockouts.path_with(&namespace, &[("unlocked", "1")]),
    );
    Ok(())
}
