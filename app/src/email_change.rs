//! Server functions of the e-mail change: ask for a link to the new address, then use it.

use leptos::prelude::*;

use crate::error::AppError;

#[server]
pub async fn request_email_change(namespace: String, email: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    state.limit(
        identity::RateRule::SEND_MAIL,
        crate::session::ssr::RequestInfo::extract().await.ip,
    )?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_recent_authentication(&state).await?;
    state
        .flows
        .request_email_change(&caller.authn, caller.user_id, &caller.email, &email)
        .await?;
    leptos_axum::redirect(
        &vocabulary::Page::EmailChange.path_with(&namespace, &[vocabulary::Notice::Sent.flag()]),
    );
    Ok(())
}

/// Uses the link; works in any browser (the link itself proves the mailbox, and the request
/// was made in sudo mode).
#[server]
pub async fn confirm_email_change(namespace: String, token: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    state.limit(
        identity::RateRule::USE_TOKEN,
        crate::session::ssr::RequestInfo::extract().await.ip,
    )?;
    let authn = state.authn(&namespace).await?;
    state.flows.confirm_email_change(&authn, &token).await?;
    leptos_axum::redirect(
        &vocabulary::Page::EmailChange.path_with(&namespace, &[vocabulary::Notice::Changed.flag()]),
    );
    Ok(())
}
