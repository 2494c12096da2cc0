//! Starting and ending impersonations, the namespace's active ones and their history.
//!
//! Starting one gives the browser a fresh session cookie for the impersonation and keeps the
//! admin's own session token aside in a second cookie with the same protections; ending it
//! (by the banner's button, by its expiry, or by an admin elsewhere) puts the admin's session
//! back if it is still valid.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::user::ImpersonationLine;
use crate::error::AppError;

#[server(endpoint = "admin_impersonate")]
pub async fn admin_impersonate(
    namespace: String,
    user_id: String,
    reason: String,
    #[server(default)] minutes: String,
) -> Result<(), AppError> {
    use identity::admin::impersonation::{start, Impersonator};

    use crate::session::ssr::{session_token, set_cookie_until, set_session_cookie};

    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    if caller.impersonation.is_some() {
        return Err(AppError::NoChainedImpersonation);
    }
    // Who is asking comes first: a non-admin learns nothing from the validation below.
    let mut authn = caller.as_admin(None)?;
    // Acting as someone else takes a recent sign-in or password confirmation.
    caller.require_recent_authentication(&state).await?;
    let reason = identity::admin::Reason::parse(&reason)?;
    let duration = state.impersonation.duration(&minutes)?;
    authn.set_actor(authn::Actor {
        reason: Some(reason.as_str().to_owned()),
        ..authn::Actor::default()
    });
    let target = super::parse_id(&user_id, AppError::UnknownUser)?;
    let own_token = session_token(&state.cookie)
        .await
        .ok_or(AppError::NotSignedIn)?;
    let started = start(
        &authn,
        &state.links,
        &state.keys,
        Impersonator {
            user_id: caller.user_id,
            email: &caller.email,
            session_id: caller.session_id,
        },
        target,
        &reason,
        duration,
        state.sessions.policy().absolute,
    )
    .await?;
    // The kept-aside session goes when the impersonation does, even if nobody ends it.
    set_cookie_until(
        &state.cookie,
        &state.cookie.aside_name,
        Some(&own_token),
        Some(
            started.expires_at - chrono::Utc::now()
                + identity::admin::impersonation::RESTORE_WINDOW,
        ),
    );
    set_session_cookie(&state.cookie, Some(started.token.expose()));
    leptos_axum::redirect(&vocabulary::Page::Security.path(&namespace));
    Ok(())
}

/// Ends the caller's impersonation, if the session is one (and still runs), and gives the
/// admin back their own session kept aside, as a new session (see
/// `identity::admin::impersonation::restore_admin_session` for when that is allowed). Also
/// what the banner does when the time is up.
#[server(endpoint = "end_impersonation")]
pub async fn end_impersonation(namespace: String) -> Result<(), AppError> {
    use identity::admin::impersonation::{leave, Left};

    use crate::session::ssr::{cookie_value, session_token, set_cookie, set_session_cookie};

    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::resolve(&state, &namespace).await?;
    // An operator's support access ends through the operator pool, back to their console.
    if let Some(c) = caller.as_ref().filter(|c| {
        c.impersonation
            .as_ref()
            .is_some_and(|i| i.support.is_some())
    }) {
        return crate::support_access::ssr::end(&state, c).await;
    }
    let aside = cookie_value(&state.cookie.aside_name).await;
    let current = session_token(&state.cookie).await;
    // A support access already over leaves the operator's own session aside in this browser;
    // it lives in the operator namespace, so it is revoked there (an admin's is below).
    if let (None, Some(aside)) = (caller.as_ref(), aside.as_deref()) {
        if let Err(e) = crate::support_access::ssr::revoke_kept_aside(&state, aside).await {
            tracing::warn!(error = ?e, "revoking a kept-aside operator session failed");
        }
    }
    let authn = state.authn(&namespace).await?;
    // Identity orders the steps; this only carries the cookies both ways.
    let left = leave(
        &authn,
        caller.as_ref().map(|c| &c.0),
        current.as_deref(),
        aside.as_deref(),
    )
    .await?;
    set_cookie(&state.cookie, &state.cookie.aside_name, None);
    match left {
        Left::NotImpersonating => {
            leptos_axum::redirect(&vocabulary::Page::Account.path(&namespace));
        }
        Left::Restored(token) => {
            set_session_cookie(&state.cookie, Some(token.expose()));
            leptos_axum::redirect(
                &vocabulary::Page::AdminImpersonations
                    .path_with(&namespace, &[vocabulary::Notice::Ended.flag()]),
            );
        }
        Left::SignedOut => {
            set_session_cookie(&state.cookie, None);
            leptos_axum::redirect(&vocabulary::Page::SignIn.path(&namespace));
        }
    }
    Ok(())
}

/// Whether the browser holds an admin session set aside by an impersonation that is over
/// (its session cookie no longer signs in): the shell then offers the way back.
#[server(endpoint = "impersonation_left_over")]
pub async fn impersonation_left_over(namespace: String) -> Result<bool, AppError> {
    let state = crate::state::AppState::current()?;
    if crate::session::ssr::cookie_value(&state.cookie.aside_name)
        .await
        .is_none()
    {
        return Ok(false);
    }
    Ok(crate::caller::ssr::resolve(&state, &namespace)
        .await?
        .is_none())
}

/// An admin ends any running impersonation of the namespace.
#[server(endpoint = "admin_end_impersonation")]
pub async fn admin_end_impersonation(
    namespace: String,
    impersonation_id: String,
) -> Result<(), AppError> {
    let (_, _, authn) = super::ssr::admin(&namespace, None).await?;
    let id = super::parse_id(&impersonation_id, AppError::UnknownImpersonation)?;
    identity::admin::impersonation::end(&authn, id).await?;
    leptos_axum::redirect(
        &vocabulary::Page::AdminImpersonations
            .path_with(&namespace, &[vocabulary::Notice::Ended.flag()]),
    );
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveLine {
    pub impersonation_id: String,
    pub admin_email: String,
    pub target_id: String,
    pub target_email: String,
    pub reason: String,
    pub started: String,
    pub expires: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpersonationsView {
    pub active: Vec<ActiveLine>,
    pub history: Vec<ImpersonationLine>,
    pub notify_target: bool,
}

/// Running impersonations and the history, filtered by admin, target (addresses) and when
/// they started (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, UTC).
#[server(endpoint = "admin_impersonations")]
pub async fn admin_impersonations(
    namespace: String,
    admin: String,
    target: String,
    since: String,
    until: String,
) -> Result<ImpersonationsView, AppError> {
    use identity::admin::impersonation::{active, history, notify_target_of, HistoryFilter};

    use crate::error::FormField;

    let (_, _, authn) = super::ssr::admin(&namespace, None).await?;
    let (since, until) = super::audit::parse_range(&since, &until)?;
    let filter = HistoryFilter {
        admin_email: Some(admin),
        target_email: Some(target),
        since,
        until,
    };
    let history = history(&authn, &filter).await.map_err(|e| match e {
        identity::admin::AdminError::InvalidEmail(_) => {
            AppError::field(FormField::Filter, crate::error::FieldProblem::InvalidEmail)
        }
        other => other.into(),
    })?;
    let active = active(&authn).await?;
    let notify = notify_target_of(&authn).await?;
    Ok(ImpersonationsView {
        active: active
            .into_iter()
            .map(|a| ActiveLine {
                impersonation_id: a.impersonation_id.to_string(),
                admin_email: a.actor_email,
                target_id: a.target_user_id.to_string(),
                target_email: a.target_email,
                reason: a.reason,
                started: super::when(a.started_at),
                expires: super::when(a.expires_at),
            })
            .collect(),
        history: history
            .into_iter()
            .map(ImpersonationLine::from_record)
            .collect(),
        notify_target: notify,
    })
}

/// Turns the mail to impersonated people on or off for the namespace.
#[server(endpoint = "admin_set_impersonation_notice")]
pub async fn admin_set_impersonation_notice(
    namespace: String,
    #[server(default)] notify: String,
) -> Result<(), AppError> {
    let (state, caller, authn) = super::ssr::admin(&namespace, None).await?;
    let on = match notify.as_str() {
        "on" => true,
        "" | "off" => false,
        _ => return Err(AppError::FormRejected),
    };
    // Turning it off lets people be impersonated without being told: a sensitive change.
    if !on {
        caller.require_recent_authentication(&state).await?;
    }
    identity::admin::impersonation::set_notify_target(&authn, on).await?;
    leptos_axum::redirect(
        &vocabulary::Page::AdminImpersonations
            .path_with(&namespace, &[vocabulary::Notice::Saved.flag()]),
    );
    Ok(())
}
