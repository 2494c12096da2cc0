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
            let (what, attention) = describe(&e.kind, e.detail.as_deref());
            // A second factor's detail is folded into the words; a sign-in's says how.
            let detail = e.detail.filter(|_| {
                !matches!(
                    vocabulary::ActivityKind::parse(&e.kind),
                    Some(vocabulary::ActivityKind::MfaAdded | vocabulary::ActivityKind::MfaRemoved)
                )
            });
            let device = e.user_agent.as_deref().map(|ua| {
                let (browser, system, _) = identity::devices::describe_user_agent(Some(ua));
                format!("{browser} on {system}")
            });
            (
                e.occurred_at,
                ActivityView {
                    when: when(e.occurred_at),
                    what,
                    detail,
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

/// How an activity line reads, and whether it deserves attention.
#[cfg(feature = "ssr")]
fn describe(kind: &str, detail: Option<&str>) -> (String, bool) {
    use identity::activity::SecondFactorKind;
    use vocabulary::ActivityKind as K;
    let factor = || match detail.and_then(SecondFactorKind::parse) {
        Some(SecondFactorKind::Authenticator) => "Authenticator app".to_owned(),
        Some(SecondFactorKind::Passkey(Some(name))) => format!("Passkey \u{201c}{name}\u{201d}"),
        Some(SecondFactorKind::Passkey(None)) => "Passkey".to_owned(),
        // Lines written before the method was kept.
        None => "Two-step method".to_owned(),
    };
    let (what, attention) = match K::parse(kind) {
        Some(K::SignIn) => ("Signed in".to_owned(), false),
        Some(K::SignInFailed) => ("Failed sign-in attempt".to_owned(), true),
        Some(K::PasswordChanged) => ("Password changed".to_owned(), false),
        Some(K::PasswordReset) => ("Password reset by email link".to_owned(), false),
        Some(K::MfaAdded) => (format!("{} added", factor()), false),
        Some(K::MfaRemoved) => (format!("{} removed", factor()), true),
        Some(K::RecoveryCodesRegenerated) => ("New recovery codes made".to_owned(), false),
        Some(K::ApiKeyCreated) => ("API key created".to_owned(), false),
        Some(K::ApiKeyRevoked) => ("API key revoked".to_owned(), false),
        Some(K::EmailChanged) => ("Email address changed".to_owned(), true),
        // Written by a newer version, or older rows: shown, never an error.
        None => ("Account activity".to_owned(), false),
    };
    (what, attention)
}
