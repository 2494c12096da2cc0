//! Server function of the security overview: a checklist of the account's protections and its
//! recent security activity.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewView {
    pub email: String,
    pub email_verified: bool,
    pub totp_on: bool,
    pub passkeys: usize,
    pub recovery_codes_left: usize,
    /// Few enough left to warn about.
    pub recovery_codes_low: bool,
    pub sessions: usize,
    pub api_keys: usize,
    pub activity: Vec<ActivityView>,
}

/// One line of recent activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityView {
    pub when: String,
    pub what: String,
    pub detail: Option<String>,
    pub ip_address: Option<String>,
    pub device: Option<String>,
    /// Worth a second look: a failed sign-in or someone else acting as the account.
    pub attention: bool,
}

#[server]
pub async fn security_overview(namespace: String) -> Result<OverviewView, AppError> {
    use chrono::{DateTime, Utc};
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    let authn = &caller.authn;
    let user = authn
        .get_user(caller.user_id)
        .await?
        .ok_or(AppError::NotSignedIn)?;
    let mfa = state.security.mfa_status(authn, caller.user_id).await?;
    let sessions = authn.list_sessions(caller.user_id).await?.len();
    let api_keys = authn.list_api_keys(caller.user_id).await?.len();

    let entries = identity::activity::recent(authn, caller.user_id, 50).await?;
    let impersonations = authn
        .list_impersonation_history(Some(20), None, Some(caller.user_id))
        .await?;

    let when = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut timeline: Vec<(DateTime<Utc>, ActivityView)> = entries
        .into_iter()
        .map(|e| {
            let (what, attention) = describe(&e.kind);
            let device = e.user_agent.as_deref().map(|ua| {
                let (browser, system, _) = identity::devices::describe_user_agent(Some(ua));
                format!("{browser} on {system}")
            });
            (
                e.occurred_at,
                ActivityView {
                    when: when(e.occurred_at),
                    what: what.to_owned(),
                    detail: e.detail,
                    ip_address: e.ip_address.map(|ip| ip.to_string()),
                    device,
                    attention,
                },
            )
        })
        .collect();
    timeline.extend(impersonations.into_iter().map(|i| {
        (
            i.started_at,
            ActivityView {
                when: when(i.started_at),
                what: "An administrator acted as you".to_owned(),
                detail: Some(format!("{} — reason: {}", i.actor_email, i.reason)),
                ip_address: None,
                device: None,
                attention: true,
            },
        )
    }));
    // Platform support's accesses to this account, when the server can read them.
    if let Some(pool) = state.operator_pool.clone() {
        let ops = authn::Authn::new(pool, authn.namespace()).await?;
        let support =
            identity::support_access::into_namespace(&ops, &caller, Some(caller.user_id), 20)
                .await?;
        timeline.extend(support.into_iter().map(|a| {
            (
                a.started_at,
                ActivityView {
                    when: when(a.started_at),
                    what: "Platform support worked as you".to_owned(),
                    detail: Some(format!(
                        "{} — ticket {} — reason: {}",
                        a.operator_email,
                        a.ticket_reference.unwrap_or_default(),
                        a.reason
                    )),
                    ip_address: None,
                    device: None,
                    attention: true,
                },
            )
        }));
    }
    timeline.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    timeline.truncate(50);

    Ok(OverviewView {
        email: user.email,
        email_verified: user.email_verified_at.is_some(),
        totp_on: mfa.totp.is_some(),
        passkeys: mfa.passkeys,
        recovery_codes_left: mfa.recovery_codes_left,
        recovery_codes_low: mfa.recovery_codes_left <= identity::recovery::LOW_WATERMARK,
        sessions,
        api_keys,
        activity: timeline.into_iter().map(|(_, v)| v).collect(),
    })
}

/// How an activity kind reads, and whether it deserves attention.
#[cfg(feature = "ssr")]
fn describe(kind: &str) -> (&'static str, bool) {
    use vocabulary::ActivityKind as K;
    match K::parse(kind) {
        Some(K::SignIn) => ("Signed in", false),
        Some(K::SignInFailed) => ("Failed sign-in attempt", true),
        Some(K::PasswordChanged) => ("Password changed", false),
        Some(K::PasswordReset) => ("Password reset by email link", false),
        Some(K::MfaAdded) => ("Authenticator app added", false),
        Some(K::MfaRemoved) => ("Authenticator app removed", true),
        Some(K::RecoveryCodesRegenerated) => ("New recovery codes made", false),
        Some(K::ApiKeyCreated) => ("API key created", false),
        Some(K::ApiKeyRevoked) => ("API key revoked", false),
        Some(K::EmailChanged) => ("Email address changed", true),
        // Written by a newer version, or older rows: shown, never an error.
        None => ("Account activity", false),
    }
}
