//! The entry pages of the admin and operator consoles: what an admin of a namespace and a
//! platform operator see first. Both check the role on the server on every call.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A namespace at a glance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceStats {
    pub users: i64,
    pub verified_users: i64,
    pub disabled_users: i64,
    pub active_sessions: i64,
    pub active_api_keys: i64,
    pub mfa_users: i64,
    /// Share of users with any second factor, in whole percent.
    pub mfa_percent: i64,
    pub locked_accounts: i64,
    pub active_impersonations: usize,
    /// The last 14 days, oldest first.
    pub sign_ins: Vec<DaySignIns>,
}

/// Sign-in attempts of one day, for the chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySignIns {
    /// "MM-DD" (UTC).
    pub label: String,
    pub succeeded: i64,
    pub failed: i64,
}

#[server]
pub async fn namespace_overview(namespace: String) -> Result<NamespaceStats, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_admin()?;
    let stats = caller.authn.get_stats().await?;
    let active_impersonations = caller.authn.list_active_impersonations().await?.len();
    let mut tx = caller.authn.begin().await?;
    let days = identity::dashboard::sign_ins_per_day(&mut tx, 14).await?;
    let locked_accounts =
        identity::dashboard::locked_out_count(&mut tx, state.sign_in.lockout()).await?;
    tx.commit().await?;
    let mfa_percent = if stats.user_count > 0 {
        (stats.mfa_enabled_user_count * 100 + stats.user_count / 2) / stats.user_count
    } else {
        0
    };
    Ok(NamespaceStats {
        mfa_percent,
        locked_accounts,
        active_impersonations,
        sign_ins: days
            .into_iter()
            .map(|d| DaySignIns {
                label: d.day.format("%m-%d").to_string(),
                succeeded: d.succeeded,
                failed: d.failed,
            })
            .collect(),
        users: stats.user_count,
        verified_users: stats.verified_user_count,
        disabled_users: stats.disabled_user_count,
        active_sessions: stats.active_session_count,
        active_api_keys: stats.active_api_key_count,
        mfa_users: stats.mfa_enabled_user_count,
    })
}
